//! `heatdesk bench-phones`: a server under its crews, on loopback. The server runs as its own
//! process (so its memory is its own); each phone logs in, reports its position every 30 s,
//! lists its team's tickets every 15 s and works them (接单, 出发, 到场, 完工). Every request's
//! latency is kept; the figures are the median and the 99th percentile, and the server's
//! memory now and at its peak.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::domain::crew::Account;
use crate::domain::{Command, Origin};
use crate::store::Location;

/// What the run measured.
pub struct Report {
    pub phones: usize,
    pub seconds: f64,
    /// (kind, latency) of every request answered.
    pub requests: Vec<(&'static str, Duration)>,
    pub refused: usize,
    pub failed: usize,
    pub server_rss_mb: f64,
    pub server_peak_mb: f64,
    /// Steps sent again with their id after an outage's refusal or a lost answer.
    pub retried: usize,
    /// Steps the server took: first applied, and answered as a retry of one applied before.
    pub applied: usize,
    pub duplicates: usize,
    /// The phones' steps the database holds from this run. Each step ends in one success,
    /// applied or answered as a duplicate (its first try held but its answer was lost): each
    /// was applied exactly once when the database holds `applied + duplicates`.
    pub stored: usize,
    /// The dispatchers' consoles through the same server at the same time (`--consoles`).
    pub consoles: Option<crate::soak::RoomReport>,
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let mut all: Vec<Duration> = self.requests.iter().map(|r| r.1).collect();
        all.sort();
        writeln!(
            f,
            "{} phones for {:.0} s: {} requests answered ({} refused as another's change or not allowed, {} failed)",
            self.phones,
            self.seconds,
            all.len(),
            self.refused,
            self.failed
        )?;
        for kind in ["login", "position", "tickets", "step"] {
            let mut some: Vec<Duration> = self
                .requests
                .iter()
                .filter(|r| r.0 == kind)
                .map(|r| r.1)
                .collect();
            some.sort();
            writeln!(
                f,
                "  {kind:<9} {:>6}  p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms",
                some.len(),
                ms(percentile(&some, 0.5)),
                ms(percentile(&some, 0.99)),
                ms(some.last().copied().unwrap_or_default())
            )?;
        }
        writeln!(
            f,
            "  all       {:>6}  p50 {:>7.2} ms  p99 {:>7.2} ms",
            all.len(),
            ms(percentile(&all, 0.5)),
            ms(percentile(&all, 0.99))
        )?;
        writeln!(
            f,
            "server memory: {:.0} MB now, {:.0} MB at its peak",
            self.server_rss_mb, self.server_peak_mb
        )?;
        write!(
            f,
            "steps: {} applied, {} answered as retries of an applied one, {} sent again after an \
             outage; {} stored: {}",
            self.applied,
            self.duplicates,
            self.retried,
            self.stored,
            if self.stored == self.applied + self.duplicates {
                "each applied exactly once"
            } else {
                "MISMATCH"
            }
        )?;
        if let Some(room) = &self.consoles {
            write!(f, "\nconsoles through the server: {}", room.last_line())?;
            for p in room.problems.iter().chain(&room.errors) {
                write!(f, "\n  {p}")?;
            }
        }
        Ok(())
    }
}

/// VmRSS and VmHWM of a process, in MB.
fn memory_of(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

const PASSWORD: &str = "bench-only-password";

/// Run `phones` phones against a server on `location` (a file or a PostgreSQL database;
/// accounts `phone001`… are added). A step refused by an outage (503) or whose answer was lost
/// is sent again with its id until taken, as the phone page does.
/// With `consoles`, as many dispatchers' consoles work through the same server at the same
/// time (the room soak: each commits about once a second and takes in the others' changes
/// from the server's feed); their propagation delay and checks join the report.
pub fn run(
    location: &Location,
    phones: usize,
    consoles: usize,
    seconds: f64,
) -> anyhow::Result<Report> {
    super::https();
    let mut store = crate::store::open(location)?;
    let teams: Vec<i64> = store.load_places()?.teams.iter().map(|t| t.id).collect();
    anyhow::ensure!(!teams.is_empty(), "{location}: no teams for the phones");
    // the phones' steps from here on are this run's
    let first_event = store
        .audit_heads()?
        .iter()
        .find(|h| h.chain == crate::store::chain::Chain::TicketEvents)
        .and_then(|h| h.last_event)
        .unwrap_or(0);
    let hash = super::auth::hash_password(PASSWORD).map_err(anyhow::Error::msg)?;
    let now = chrono::Local::now().naive_local();
    let origin = Origin {
        actor: "bench".into(),
        at: now,
    };
    for i in 0..phones {
        store.apply(
            &Command::SaveAccount(Account {
                login: format!("phone{:03}", i + 1),
                name: format!("测试{:03}", i + 1),
                team_id: Some(teams[i % teams.len()]),
                role: crate::domain::crew::Role::Technician,
                password_hash: hash.clone(),
                created_at: now,
                disabled: false,
            }),
            &origin,
        )?;
    }
    if consoles > 0 {
        store.apply(
            &Command::SaveAccount(Account {
                login: DESK.into(),
                name: "调度台".into(),
                team_id: None,
                role: crate::domain::crew::Role::Dispatcher,
                password_hash: hash.clone(),
                created_at: now,
                disabled: false,
            }),
            &origin,
        )?;
    }
    let centre = {
        let snap = store.load_places()?;
        let n = snap.teams.len().max(1) as f64;
        [
            snap.teams.iter().map(|t| t.position[0]).sum::<f64>() / n,
            snap.teams.iter().map(|t| t.position[1]).sum::<f64>() / n,
        ]
    };
    drop(store);
    // the server as its own process, on a free port
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    // the server goes when the run does, however it ends
    struct Server(std::process::Child);
    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let child = Server(
        std::process::Command::new(std::env::current_exe()?)
            .arg("--db")
            .arg(location.to_string())
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env_remove("HEATDESK_SMS_URL")
            .stdout(std::process::Stdio::null())
            .stderr(match std::env::var_os("HEATDESK_BENCH_SERVER_LOG") {
                Some(path) => std::process::Stdio::from(std::fs::File::create(path)?),
                None => std::process::Stdio::null(),
            })
            .spawn()?,
    );
    let base = format!("http://127.0.0.1:{port}");
    let (result, room) = std::thread::scope(|s| {
        let room = (consoles > 0).then(|| {
            s.spawn(|| -> anyhow::Result<crate::soak::RoomReport> {
                listening(port)?;
                let through = crate::store::remote::ServerAddress::parse(&format!(
                    "http://{DESK}@127.0.0.1:{port}"
                ))?;
                crate::soak::room(
                    location,
                    &crate::soak::RoomParams {
                        consoles,
                        seconds,
                        seed: 1,
                        pace_ms: 1000,
                        tickets: None,
                        now,
                        through: Some((through, PASSWORD.to_string())),
                    },
                )
            })
        });
        let result = drive(&base, phones, seconds, centre);
        let room = room.map(|r| {
            r.join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("the consoles panicked")))
        });
        (result, room)
    });
    let (rss, peak) = memory_of(child.0.id());
    drop(child);
    let seen = result?;
    let consoles = room.transpose()?;
    // the steps the database holds from this run, on the tickets the phones stepped
    let store = crate::store::open(location)?;
    let mut stored = 0;
    for ticket in &seen.tickets {
        stored += store
            .history(*ticket)?
            .iter()
            .filter(|e| e.id > first_event && e.actor.contains("(phone"))
            .count();
    }
    Ok(Report {
        phones,
        seconds,
        requests: seen.requests,
        refused: seen.refused,
        failed: seen.failed,
        server_rss_mb: rss,
        server_peak_mb: peak,
        retried: seen.retried,
        applied: seen.applied,
        duplicates: seen.duplicates,
        stored,
        consoles,
    })
}

/// The consoles' account in a run with `--consoles`.
const DESK: &str = "bench-desk";

/// Wait (up to 30 s) until the server on `port` takes connections.
fn listening(port: u16) -> anyhow::Result<()> {
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(30),
            "the server did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

/// What the phones saw: every answered request (kind, latency), how many were refused, failed;
/// the steps sent again, applied, answered as duplicates, and the tickets stepped.
#[derive(Default)]
struct Seen {
    requests: Vec<(&'static str, Duration)>,
    refused: usize,
    failed: usize,
    retried: usize,
    applied: usize,
    duplicates: usize,
    tickets: std::collections::BTreeSet<i64>,
}
type Log = Arc<Mutex<Seen>>;

fn drive(base: &str, phones: usize, seconds: f64, centre: [f64; 2]) -> anyhow::Result<Seen> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let log: Log = Default::default();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        // wait for the server to listen
        let started = Instant::now();
        while client.get(format!("{base}/")).send().await.is_err() {
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(30),
                "the server did not start"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let until = Instant::now() + Duration::from_secs_f64(seconds);
        let mut tasks = Vec::new();
        for i in 0..phones {
            let (client, base, log) = (client.clone(), base.to_string(), Arc::clone(&log));
            tasks.push(tokio::spawn(async move {
                phone(client, base, i, until, centre, log).await;
            }));
        }
        for t in tasks {
            let _ = t.await;
        }
        anyhow::Ok(())
    })?;
    Ok(std::mem::take(
        &mut *log.lock().unwrap_or_else(|e| e.into_inner()),
    ))
}

async fn timed(
    log: &Log,
    kind: &'static str,
    request: reqwest::RequestBuilder,
) -> Option<reqwest::Response> {
    let started = Instant::now();
    let answer = request.send().await;
    let took = started.elapsed();
    let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
    match answer {
        Ok(r) => {
            log.requests.push((kind, took));
            if r.status().is_client_error() {
                log.refused += 1;
            } else if r.status().is_server_error() {
                log.failed += 1;
            }
            Some(r)
        }
        Err(_) => {
            log.failed += 1;
            None
        }
    }
}

/// One phone: log in, then positions every 30 s, the list every 15 s, a step on a ticket
/// after each list.
async fn phone(
    client: reqwest::Client,
    base: String,
    i: usize,
    until: Instant,
    centre: [f64; 2],
    log: Log,
) {
    // the phones start spread over the first seconds, as a shift does
    tokio::time::sleep(Duration::from_millis((i as u64 * 37) % 5000)).await;
    let login = format!("phone{:03}", i + 1);
    // logged in, or trying again a second later (the server's database may be restarting)
    let cookie = loop {
        let answer = timed(
            &log,
            "login",
            client
                .post(format!("{base}/api/login"))
                .json(&serde_json::json!({ "login": login, "password": PASSWORD })),
        )
        .await;
        let cookie = answer.as_ref().and_then(|r| {
            r.headers()
                .get(reqwest::header::SET_COOKIE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(';').next())
                .map(str::to_string)
        });
        match cookie {
            Some(c) => break c,
            None if Instant::now() < until => tokio::time::sleep(Duration::from_secs(1)).await,
            None => return,
        }
    };
    let mut tick = 0u64;
    let offset = (i as u64 * 7919) % 30;
    let run = crate::store::now_ms();
    let mut n = 0u64;
    while Instant::now() < until {
        let here = [
            centre[0] + ((i as f64 * 0.37).sin() * 0.02),
            centre[1] + ((i as f64 * 0.53).cos() * 0.015),
        ];
        if (tick + offset).is_multiple_of(30) {
            timed(
                &log,
                "position",
                client
                    .post(format!("{base}/api/position"))
                    .header(reqwest::header::COOKIE, &cookie)
                    .json(&serde_json::json!({ "lon": here[0], "lat": here[1], "accuracy": 12.0 })),
            )
            .await;
        }
        if (tick + offset).is_multiple_of(15)
            && let Some(r) = timed(
                &log,
                "tickets",
                client
                    .get(format!(
                        "{base}/api/tickets?lon={}&lat={}",
                        here[0], here[1]
                    ))
                    .header(reqwest::header::COOKIE, &cookie),
            )
            .await
            && let Ok(list) = r.json::<serde_json::Value>().await
            && let Some(t) = list["tickets"].as_array().and_then(|a| a.first())
        {
            let step = match t["status"].as_str() {
                Some("assigned") => Some(("accept", serde_json::json!({}))),
                Some("accepted") => Some((
                    "arrive",
                    serde_json::json!({ "lon": t["lon"], "lat": t["lat"], "accuracy": 8.0 }),
                )),
                Some("on_site") => Some((
                    "complete",
                    serde_json::json!({ "celsius": 19.5, "method": "thermometer", "work": "排气阀放气，恢复正常" }),
                )),
                _ => None,
            };
            if let Some((action, mut body)) = step {
                n += 1;
                body["version"] = t["version"].clone();
                // unique to this run: a database keeps the ids of earlier runs' steps
                body["client_id"] = serde_json::json!(format!("{login}-{run}-{n}"));
                // sent until taken: an outage's 503 or a lost answer sends it again, with
                // its id (applied once whatever happened to the first)
                let give_up = until + Duration::from_secs(60);
                loop {
                    let answer = timed(
                        &log,
                        "step",
                        client
                            .post(format!("{base}/api/tickets/{}/{action}", t["id"]))
                            .header(reqwest::header::COOKIE, &cookie)
                            .json(&body),
                    )
                    .await;
                    let status = answer.as_ref().map(|r| r.status());
                    match (status, answer) {
                        (Some(s), Some(r)) if s.is_success() => {
                            let dup = r
                                .json::<serde_json::Value>()
                                .await
                                .ok()
                                .and_then(|v| v["duplicate"].as_bool())
                                .unwrap_or(false);
                            let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
                            if dup {
                                log.duplicates += 1;
                            } else {
                                log.applied += 1;
                            }
                            if let Some(id) = t["id"].as_i64() {
                                log.tickets.insert(id);
                            }
                            break;
                        }
                        (Some(s), _) if s.is_client_error() => break,
                        _ if Instant::now() < give_up => {
                            log.lock().unwrap_or_else(|e| e.into_inner()).retried += 1;
                            tokio::time::sleep(Duration::from_millis(500)).await;
                        }
                        _ => break,
                    }
                }
            }
        }
        tick += 1;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
