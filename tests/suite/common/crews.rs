//! What the crews' tests share: the day's clock, the dispatcher, a tiny city whose building has
//! a footprint (so a phone's distance to it means something), a ticket from a resident who left
//! a number given to a team, and a console that must see a change within a second.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use heatdesk::domain::*;
use heatdesk::store::{DispatchStore, Everything};

/// The resident's number on the tickets these tests make.
pub const PHONE: &str = "13812345678";

/// `h:m` on 2026-11-27.
pub fn at(h: u32, m: u32) -> Timestamp {
    NaiveDate::from_ymd_opt(2026, 11, 27)
        .unwrap()
        .and_hms_opt(h, m, 0)
        .unwrap()
}

/// The dispatcher at `h:m`.
pub fn desk(h: u32, m: u32) -> Origin {
    Origin {
        actor: "调度员".into(),
        at: at(h, m),
    }
}

/// The tiny city with building 1 drawn as a small square (about 45 × 55 m) round
/// (112.5, 37.8).
pub fn city() -> Everything {
    let mut all = super::stores::tiny();
    let (x, y, d) = (112.5, 37.8, 0.00025);
    all.city.buildings[0].footprint = vec![
        [x - d, y - d],
        [x + d, y - d],
        [x + d, y + d],
        [x - d, y + d],
    ];
    all
}

/// Save accounts at 07:00, each (login, name, role, team) with `password`.
pub fn save_accounts(
    store: &mut dyn DispatchStore,
    password: &str,
    accounts: &[(&str, &str, crew::Role, Option<TeamId>)],
) {
    let hash = heatdesk::serve::auth::hash_password(password).unwrap();
    for &(login, name, role, team) in accounts {
        store
            .apply(
                &Command::SaveAccount(crew::Account {
                    login: login.into(),
                    name: name.into(),
                    team_id: team,
                    role,
                    password_hash: hash.clone(),
                    created_at: at(7, 0),
                    disabled: false,
                }),
                &desk(7, 0),
            )
            .unwrap();
    }
}

/// A hotline report from 王先生 (who left [`PHONE`]) in building 1, made at 08:00 and given to
/// `team` at 08:05; the ticket as assigned.
pub fn assigned(store: &mut dyn DispatchStore, team: TeamId, room: &str, what: &str) -> Ticket {
    let made = store
        .apply(
            &Command::CreateTicket(NewTicket {
                channel: Channel::Hotline,
                category: Category::AirLock,
                severity: Severity::Normal,
                building_id: 1,
                address_detail: room.into(),
                reporter_name: "王先生".into(),
                reporter_phone: PHONE.into(),
                description: what.into(),
            }),
            &desk(8, 0),
        )
        .unwrap();
    let t = made.tickets()[0].clone();
    store
        .apply(
            &Command::Act {
                ticket: t.id,
                seen_version: t.version,
                action: Action::Assign { team },
            },
            &desk(8, 5),
        )
        .unwrap()
        .tickets()[0]
        .clone()
}

/// The console's handle takes in what others committed until `seen` holds; false if a second
/// passed first. Runs on a thread of its own (the PostgreSQL client may not block inside an
/// async test).
pub fn console_sees(
    console: &mut Box<dyn DispatchStore>,
    snap: &mut Snapshot,
    seen: impl Fn(&Snapshot) -> bool + Send,
) -> bool {
    std::thread::scope(|s| {
        s.spawn(move || {
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(1) {
                match console.catch_up().unwrap() {
                    Update::Changed(changes) => snap.absorb(changes),
                    Update::Reload => *snap = console.load().unwrap(),
                    _ => {}
                }
                if seen(snap) {
                    return true;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            false
        })
        .join()
        .unwrap()
    })
}

/// `heatdesk serve` in a process of its own on a loopback port, killed when this is dropped
/// (passed or not: a server left behind holds the test's output).
pub struct HttpsServer {
    pub port: u16,
    child: std::process::Child,
}

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl HttpsServer {
    /// Started on `db` (a `--db` value) with a certificate and its key; returns once it listens.
    pub fn start(db: &str, cert: &std::path::Path, key: &std::path::Path) -> HttpsServer {
        let tls = [
            "--tls-cert".as_ref(),
            cert.as_os_str(),
            "--tls-key".as_ref(),
            key.as_os_str(),
        ];
        HttpsServer::with(db, free_port(), &tls, &[])
    }

    /// Started on `db` over plain HTTP at `port`, signing sessions with the room's `key`.
    pub fn plain(db: &str, port: u16, key: &str) -> HttpsServer {
        HttpsServer::with(
            db,
            port,
            &["--plain-http".as_ref()],
            &[("HEATDESK_SESSION_KEY", key)],
        )
    }

    fn with(db: &str, port: u16, args: &[&std::ffi::OsStr], envs: &[(&str, &str)]) -> HttpsServer {
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_heatdesk"))
            .args([
                "--db",
                db,
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
            ])
            .args(args)
            .envs(envs.iter().copied())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let server = HttpsServer { port, child };
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "the server did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }
}

impl Drop for HttpsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
