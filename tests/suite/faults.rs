//! The room under faults: a PostgreSQL server restarted twice while 20 consoles commit (the
//! soak rides through and loses nothing), a phone's steps retried across a restart (each applied
//! once), and on SQLite consoles racing and killed while an outside client opens the file.
//!
//! The server here is a cluster of the test's own (initdb in a temporary folder, as `.ci/run`
//! makes its own), so restarting it disturbs no other test. It needs PostgreSQL's programs and
//! root (to run them as `postgres`); without them the PostgreSQL half is skipped and says so —
//! except where `HEATDESK_TEST_PG` is set (CI), where their absence fails.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use heatdesk::demo::{self, DemoParams, Scale};
use heatdesk::domain::*;
use heatdesk::store::{DispatchStore, Location};

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// A PostgreSQL cluster of this test's own, on a Unix socket and a free port.
struct Cluster {
    dir: tempfile::TempDir,
    port: u16,
}

fn as_postgres(args: &[&str]) -> std::process::Output {
    Process::new("runuser")
        .args(["-u", "postgres", "--"])
        .args(args)
        .output()
        .unwrap()
}

impl Cluster {
    fn start() -> Option<Cluster> {
        let initdb = format!("{PG_BIN}/initdb");
        let root = Process::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
        if !Path::new(&initdb).exists() || !root {
            assert!(
                crate::common::stores::server().is_none(),
                "HEATDESK_TEST_PG is set but this test cannot make a cluster of its own \
                 (needs {initdb} and root)"
            );
            eprintln!("*** faults: PostgreSQL half SKIPPED (no {initdb} or not root) ***");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        std::fs::create_dir(dir.path().join("sock")).unwrap();
        let path = dir.path().display().to_string();
        assert!(
            Process::new("chmod")
                .args(["755", &path])
                .status()
                .unwrap()
                .success()
        );
        assert!(
            Process::new("chown")
                .args(["-R", "postgres:postgres", &path])
                .status()
                .unwrap()
                .success()
        );
        let data = format!("{path}/data");
        let out = as_postgres(&[&initdb, "-D", &data, "-U", "postgres", "--auth-local=trust"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let c = Cluster { dir, port };
        c.pg_ctl("start");
        Some(c)
    }

    fn data(&self) -> String {
        format!("{}/data", self.dir.path().display())
    }

    fn pg_ctl(&self, what: &str) {
        let opts = format!(
            "-k {}/sock -p {} -c listen_addresses='' -c max_connections=200 -c fsync=off",
            self.dir.path().display(),
            self.port
        );
        let log = format!("{}/server.log", self.dir.path().display());
        let out = as_postgres(&[
            &format!("{PG_BIN}/pg_ctl"),
            "-D",
            &self.data(),
            "-l",
            &log,
            "-m",
            "fast",
            "-w",
            "-o",
            &opts,
            what,
        ]);
        assert!(
            out.status.success(),
            "pg_ctl {what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn url(&self, db: &str) -> String {
        format!(
            "postgres://postgres@/{db}?host={}/sock&port={}",
            self.dir.path().display(),
            self.port
        )
    }

    /// A new database holding the demo city.
    fn demo_db(&self, name: &str) -> Location {
        let mut admin = postgres::Client::connect(&self.url("postgres"), postgres::NoTls).unwrap();
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let location = Location::parse(&self.url(name)).unwrap();
        let now = demo::noon(chrono::Local::now().date_naive());
        demo::write_into(&location, &DemoParams::new(Scale::Demo, now)).unwrap();
        location
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = as_postgres(&[
            &format!("{PG_BIN}/pg_ctl"),
            "-D",
            &self.data(),
            "-m",
            "immediate",
            "stop",
        ]);
    }
}

/// 20 consoles commit for 24 s while 40 phones work their tickets through `heatdesk serve`;
/// the database server is restarted at 6 s and at 15 s. The soak rides through both (a refused
/// command sent again once back), and at the end every console equals a fresh load, no audit
/// event is lost or doubled, no stale write accepted: exit 0, and its last line counts the two
/// outages; every phone step the server took is stored exactly once.
#[test]
fn twenty_consoles_ride_through_two_server_restarts_and_lose_nothing() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let db = cluster.demo_db("soak_restarts");
    let url = cluster.url("soak_restarts");
    // phones on the database through a server of their own, retrying their steps; the
    // restarts wait for that server to be up (a server started while its database is away
    // does not start)
    let served = cluster.dir.path().join("phones-server.log");
    let phones = Process::new(env!("CARGO_BIN_EXE_heatdesk"))
        .args([
            "bench-phones",
            "--db",
            &url,
            "--phones",
            "40",
            "--seconds",
            "24",
        ])
        .env("HEATDESK_BENCH_SERVER_LOG", &served)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let up = Instant::now();
    while !std::fs::read_to_string(&served)
        .unwrap_or_default()
        .contains("the crews' page is at")
    {
        assert!(
            up.elapsed() < Duration::from_secs(120),
            "the phones' server did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let started = Instant::now();
    let soak = Process::new(env!("CARGO_BIN_EXE_heatdesk"))
        .args(["soak", "--db", &url, "--consoles", "20", "--seconds", "24"])
        .args(["--pace-ms", "400", "--tickets", "600"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut restarts = Vec::new();
    for at in [6, 15] {
        std::thread::sleep(Duration::from_secs(at).saturating_sub(started.elapsed()));
        let t = Instant::now();
        cluster.pg_ctl("restart");
        restarts.push(t.elapsed().as_secs_f64());
    }
    let phoned = phones.wait_with_output().unwrap();
    let phones_said = String::from_utf8_lossy(&phoned.stdout);
    eprintln!("{phones_said}");
    assert!(
        phoned.status.success(),
        "{phones_said}\n{}",
        String::from_utf8_lossy(&phoned.stderr)
    );
    assert!(
        phones_said.contains("each applied exactly once"),
        "{phones_said}"
    );
    let out = soak.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stdout.lines().last().unwrap_or_default();
    eprintln!("restarts took {restarts:?} s\n{last}");
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(last.contains("nothing lost"), "{last}");
    assert!(last.contains("outages 2,"), "{last}");
    assert!(last.contains("0 errors"), "{last}");
    // the phones' commits made while the consoles were still loading are start-up, not
    // propagation: outside the outages a delivery takes well under a second (debug build, a
    // busy machine: a loose bound, the figure is BENCHMARKS.md's)
    let outside_p99: f64 = last
        .split("outside the outages")
        .nth(1)
        .and_then(|s| s.split("p99 ").nth(1))
        .and_then(|s| s.split(" ms").next())
        .and_then(|s| s.parse().ok())
        .unwrap();
    assert!(outside_p99 <= 2000.0, "{last}");
    // every console back within 5 s of the server (the longest outage is the restart and
    // the consoles' next look)
    let longest: f64 = last
        .rsplit("longest ")
        .next()
        .and_then(|s| s.trim_end_matches(" s").parse().ok())
        .unwrap();
    let restart = restarts.iter().cloned().fold(0.0, f64::max);
    assert!(
        longest <= restart + 5.0,
        "{longest} s vs a restart of {restart} s"
    );
    // and the audit chain is whole
    let store = heatdesk::store::open(&db).unwrap();
    assert_eq!(store.verify_audit().unwrap().broken, None);
}

/// A phone's steps sent while the server's database restarts are answered 503 and sent again
/// with the same id until taken; a step sent twice (the answer lost) is applied once.
#[test]
fn a_phones_steps_retried_across_a_restart_are_applied_exactly_once() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let db = cluster.demo_db("phones_restart");
    let mut store = heatdesk::store::open(&db).unwrap();
    let now = chrono::Local::now().naive_local();
    let snap = store.load().unwrap();
    let team = snap.teams[0].id;
    store
        .apply(
            &Command::SaveAccount(heatdesk::domain::crew::Account {
                login: "zhang".into(),
                name: "张师傅".into(),
                team_id: Some(team),
                role: heatdesk::domain::crew::Role::Technician,
                password_hash: heatdesk::serve::auth::hash_password("secret-1").unwrap(),
                created_at: now,
                disabled: false,
            }),
            &Origin {
                actor: "调度员".into(),
                at: now,
            },
        )
        .unwrap();
    // three tickets given to the team now
    let mut tickets = Vec::new();
    for t in snap
        .tickets
        .iter()
        .filter(|t| t.status == TicketStatus::Received)
        .take(3)
    {
        let given = store
            .apply(
                &Command::Act {
                    ticket: t.id,
                    seen_version: t.version,
                    action: Action::Assign { team },
                },
                &Origin {
                    actor: "调度员".into(),
                    at: now,
                },
            )
            .unwrap()
            .tickets()[0]
            .clone();
        tickets.push(given);
    }
    let (addr, _server) = heatdesk::serve::spawn_local(
        heatdesk::store::open(&db).unwrap(),
        std::sync::Arc::new(|| chrono::Local::now().naive_local()),
    )
    .unwrap();
    heatdesk::serve::https();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let http = reqwest::Client::new();
    let cookie = rt.block_on(async {
        let r = http
            .post(format!("http://{addr}/api/login"))
            .json(&serde_json::json!({"login": "zhang", "password": "secret-1"}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
        r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string()
    });
    // a step until it is taken: 503 while the database is away, then 200 (duplicate or not)
    let send = |t: &Ticket, id: &str| -> (bool, u32) {
        rt.block_on(async {
            let mut tries = 0;
            let until = Instant::now() + Duration::from_secs(60);
            loop {
                tries += 1;
                let r = http
                    .post(format!("http://{addr}/api/tickets/{}/accept", t.id))
                    .header("cookie", &cookie)
                    .json(&serde_json::json!({"version": t.version, "client_id": id}))
                    .send()
                    .await
                    .unwrap();
                let status = r.status();
                let body: serde_json::Value = r.json().await.unwrap_or_default();
                if status.is_success() {
                    return (body["duplicate"].as_bool().unwrap(), tries);
                }
                assert_eq!(status, 503, "{body}");
                // the room's database address is not the phone's to see
                assert!(!body.to_string().contains("host="), "{body}");
                assert!(Instant::now() < until, "the server never came back");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    };
    assert_eq!(send(&tickets[0], "p-1"), (false, 1));
    cluster.pg_ctl("stop");
    let restart = std::thread::scope(|s| {
        let c = &cluster;
        s.spawn(move || {
            std::thread::sleep(Duration::from_secs(2));
            c.pg_ctl("start");
        });
        // sent while the database is away: retried until it is back
        let (dup, tries) = send(&tickets[1], "p-2");
        (dup, tries)
    });
    assert!(!restart.0, "applied once, on its first success");
    assert!(restart.1 > 1, "it was refused while the database was away");
    // the answers of p-1 and p-2 lost: the phone sends them again
    assert!(
        send(&tickets[0], "p-1").0,
        "a retry is answered as a duplicate"
    );
    assert!(send(&tickets[1], "p-2").0);
    assert_eq!(send(&tickets[2], "p-3"), (false, 1));
    // each ticket accepted exactly once
    let store = heatdesk::store::open(&db).unwrap();
    for t in &tickets {
        let accepts = store
            .history(t.id)
            .unwrap()
            .iter()
            .filter(|e| e.action == "accept")
            .count();
        assert_eq!(accepts, 1, "ticket #{}", t.id);
    }
    assert_eq!(store.verify_audit().unwrap().broken, None);
}

fn soak_child(db: &Path, args: &[&str]) -> std::process::Child {
    Process::new(env!("CARGO_BIN_EXE_heatdesk"))
        .arg("soak")
        .args(args)
        .arg("--db")
        .arg(db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// On a file: two consoles racing on the same tickets are killed at a different moment each
/// run while an outside SQLite client opens, reads and closes the file over and over; every
/// command either console confirmed is there, the file is whole, and the audit chain intact.
#[test]
fn racing_consoles_killed_while_an_outside_client_reads_lose_nothing_confirmed() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.db");
    let now = demo::noon(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
    demo::write_new(&base, &DemoParams::new(Scale::Demo, now)).unwrap();
    let mut confirmed = 0;
    for run in 0..4u64 {
        let db: PathBuf = dir.path().join(format!("run{run}.db"));
        std::fs::copy(&base, &db).unwrap();
        let mut children: Vec<_> = (0..2)
            .map(|k| {
                soak_child(
                    &db,
                    &[
                        "--seed",
                        &(run * 10 + k).to_string(),
                        "--commands",
                        "5000",
                        "--tickets",
                        "30",
                        "--actor",
                        &format!("console-{k}"),
                        "--poll-ms",
                        "300",
                    ],
                )
            })
            .collect();
        let readers: Vec<_> = children
            .iter_mut()
            .map(|c| {
                let out = c.stdout.take().unwrap();
                std::thread::spawn(move || {
                    std::io::BufReader::new(out)
                        .lines()
                        .map_while(Result::ok)
                        .filter_map(|l| serde_json::from_str::<heatdesk::soak::Outcome>(&l).ok())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let until = Instant::now() + Duration::from_millis(400 + run * 230);
        while Instant::now() < until {
            let conn = rusqlite::Connection::open(&db).unwrap();
            let _: i64 = conn
                .query_row("SELECT count(*) FROM tickets", [], |r| r.get(0))
                .unwrap_or(0);
            drop(conn);
            std::thread::sleep(Duration::from_millis(25));
        }
        for c in &mut children {
            c.kill().unwrap();
            c.wait().unwrap();
        }
        let done: Vec<heatdesk::soak::Outcome> = readers
            .into_iter()
            .flat_map(|r| r.join().unwrap())
            .collect();
        let conn = rusqlite::Connection::open(&db).unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        for o in done.iter().filter(|o| o.ok) {
            for e in &o.events {
                let n: i64 = conn
                    .query_row(
                        "SELECT count(*) FROM ticket_events WHERE id = ?1",
                        [e],
                        |r| r.get(0),
                    )
                    .unwrap();
                assert_eq!(
                    n, 1,
                    "run {run}: event {e} of a confirmed command is missing"
                );
                confirmed += 1;
            }
        }
        drop(conn);
        let store = heatdesk::store::SqliteStore::open(&db).unwrap();
        assert_eq!(store.verify_audit().unwrap().broken, None, "run {run}");
    }
    eprintln!("faults: {confirmed} confirmed events checked after kills beside an outside client");
    assert!(confirmed > 0);
}

/// On PostgreSQL: a console killed (SIGKILL) at a different moment each run, in the middle of a
/// burst of commands: every command it confirmed is stored with its events, nothing half-written
/// (each ticket's trail chains), and the audit chain is whole.
#[test]
fn a_console_killed_mid_commit_on_the_server_keeps_what_it_confirmed() {
    let Some(backend) = crate::common::stores::postgres() else {
        return;
    };
    let db = crate::common::stores::TestDb::blank(backend, "killed");
    let now = demo::noon(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
    demo::write_into(&db.location, &DemoParams::new(Scale::Demo, now)).unwrap();
    let first = db.count("SELECT coalesce(max(id), 0) FROM ticket_events");
    let mut confirmed = 0;
    for run in 0..4u64 {
        let mut child = Process::new(env!("CARGO_BIN_EXE_heatdesk"))
            .args(["soak", "--db", &db.arg(), "--seed", &run.to_string()])
            .args(["--commands", "5000", "--actor", &format!("killed-{run}")])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            std::io::BufReader::new(out)
                .lines()
                .map_while(Result::ok)
                .filter_map(|l| serde_json::from_str::<heatdesk::soak::Outcome>(&l).ok())
                .collect::<Vec<_>>()
        });
        std::thread::sleep(Duration::from_millis(900 + run * 370));
        child.kill().unwrap();
        child.wait().unwrap();
        for o in reader.join().unwrap().iter().filter(|o| o.ok) {
            for e in &o.events {
                assert_eq!(
                    db.count(&format!(
                        "SELECT count(*) FROM ticket_events WHERE id = {e}"
                    )),
                    1,
                    "run {run}: event {e} of a confirmed command is missing"
                );
                confirmed += 1;
            }
        }
    }
    let store = db.open();
    let after = store.everything().unwrap();
    assert_eq!(
        heatdesk::soak::stale_writes(&after.events, first),
        Vec::<String>::new(),
        "every trail chains: nothing half-written"
    );
    assert_eq!(store.verify_audit().unwrap().broken, None);
    eprintln!("faults: {confirmed} confirmed events checked after 4 kills on the server");
    assert!(confirmed > 0);
}
