//! The database file's locks survive every start-up path. POSIX locks belong to the process and
//! the file: closing any descriptor of the file drops every lock the process holds on it, so
//! code that reads the file by path while a connection is open lets an outside client take
//! itself for the last connection, checkpoint and delete the write-ahead log — and every
//! commit after that goes into an unlinked file and is gone at the next crash.
//!
//! The HeatDesk process here is a child (this test binary run again in a mode of its own, or the
//! real `heatdesk serve`); the outside client is another child that opens the file read-write,
//! reads, and closes, as `sqlite3 file "select …"` does.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Stdio};
use std::time::{Duration, Instant};

use heatdesk::domain::*;
use heatdesk::store::{DispatchStore, Location, SqliteStore};

use crate::common::crews::{assigned, city};

/// The environment variable that turns this binary into one of the children below.
const ROLE: &str = "HEATDESK_LOCKS_ROLE";
const DB: &str = "HEATDESK_LOCKS_DB";

fn new_db(dir: &Path) -> (PathBuf, Ticket) {
    let path = dir.join("heatdesk.db");
    heatdesk::store::create(&Location::File(path.clone()))
        .unwrap()
        .seed(&city())
        .unwrap();
    let mut store = SqliteStore::open(&path).unwrap();
    let t = assigned(&mut store, 1, "1单元 101", "暖气不热");
    (path, t)
}

/// This test binary again, running only `test` with the role and database in its environment.
fn this_binary(test: &str, role: &str, db: &Path) -> Process {
    let mut p = Process::new(std::env::current_exe().unwrap());
    p.args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(ROLE, role)
        .env(DB, db);
    p
}

/// An outside SQLite client opens the file read-write, reads and closes — the last connection
/// in its own eyes unless it sees another process's lock, in which case the WAL stays.
fn outside_client(db: &Path) {
    let out = this_binary("locks::role_outside_client", "outside", db)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && said.contains("OUTSIDE-READ"),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn role_outside_client() {
    let Ok(db) = std::env::var(DB) else { return };
    if std::env::var(ROLE).as_deref() != Ok("outside") {
        return;
    }
    let conn = rusqlite::Connection::open(&db).unwrap();
    let n: i64 = conn
        .query_row("SELECT count(*) FROM tickets", [], |r| r.get(0))
        .unwrap();
    drop(conn);
    println!("OUTSIDE-READ {n}");
}

/// The locks `pid` holds on `file` as /proc/locks lists them (`READ` or `WRITE`).
fn locks_held(pid: u32, file: &Path) -> Vec<String> {
    use std::os::unix::fs::MetadataExt;
    let inode = std::fs::metadata(file).unwrap().ino();
    std::fs::read_to_string("/proc/locks")
        .unwrap()
        .lines()
        .filter_map(|l| {
            // 1: POSIX  ADVISORY  READ 1234 fd:01:5678 1073741826 1073742335
            let f: Vec<&str> = l.split_whitespace().collect();
            let at = f.iter().position(|w| *w == "ADVISORY")?;
            let (kind, owner, node) = (f.get(at + 1)?, f.get(at + 2)?, f.get(at + 3)?);
            let node_inode: u64 = node.rsplit(':').next()?.parse().ok()?;
            (owner.parse::<u32>().ok()? == pid && node_inode == inode).then(|| kind.to_string())
        })
        .collect()
}

fn wal(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push("-wal");
    PathBuf::from(p)
}

struct Killed(Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A line starting with `prefix` from the child, within `secs`.
fn line_from(lines: &std::sync::mpsc::Receiver<String>, prefix: &str, secs: u64) -> String {
    let until = Instant::now() + Duration::from_secs(secs);
    loop {
        let left = until.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            // (the harness may have begun the line with the test's name)
            Ok(l) if l.contains(prefix) => return l[l.find(prefix).unwrap()..].to_string(),
            Ok(_) => {}
            Err(e) => panic!("no {prefix} line from the child within {secs} s: {e}"),
        }
    }
}

fn read_lines(child: &mut Child) -> std::sync::mpsc::Receiver<String> {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for l in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(l);
        }
    });
    rx
}

/// After the start-up paths the process still holds its shared lock, the WAL survives an
/// outside client, and what was acknowledged after that survives SIGKILL.
fn check_survives(
    pid: u32,
    db: &Path,
    child: &mut Child,
    lines: &std::sync::mpsc::Receiver<String>,
) {
    assert!(
        locks_held(pid, db).iter().any(|k| k == "READ"),
        "the HeatDesk process holds its shared lock on the file after start-up: {:?}",
        locks_held(pid, db)
    );
    outside_client(db);
    assert!(
        wal(db).exists(),
        "the write-ahead log survives an outside client"
    );
    assert!(
        locks_held(pid, db).iter().any(|k| k == "READ"),
        "the shared lock is still held after the outside client closed"
    );
    writeln!(child.stdin.as_mut().unwrap(), "GO").unwrap();
    let ack = line_from(lines, "ACK", 30);
    let f: Vec<i64> = ack
        .split_whitespace()
        .skip(1)
        .map(|w| w.parse().unwrap())
        .collect();
    let (id, version) = (f[0], f[1]);
    // another process sees the acknowledged commit before the crash …
    let seen: i64 = crate::common::sql(db)
        .query_row("SELECT version FROM tickets WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(
        seen, version,
        "another process sees the acknowledged change"
    );
    // … and after it
    child.kill().unwrap();
    child.wait().unwrap();
    let store = SqliteStore::open(db).unwrap();
    let t = store.ticket(id).unwrap().unwrap();
    assert_eq!(
        t.version, version,
        "the acknowledged change survives SIGKILL"
    );
}

/// The HeatDesk process of the first test: every start-up path the console and the server take
/// on a file, then (told GO) an acknowledged command, then it waits to be killed.
#[test]
fn role_heatdesk_process() {
    let Ok(db) = std::env::var(DB) else { return };
    if std::env::var(ROLE).as_deref() != Ok("heatdesk") {
        return;
    }
    let db = PathBuf::from(db);
    let work = db.parent().unwrap().to_path_buf();
    let at = crate::common::crews::at(9, 0);
    // the console model, with its start-up backup
    let store = SqliteStore::open(&db).unwrap();
    let snap = store.load().unwrap();
    let mut console = heatdesk::console::Console::new(
        Box::new(store),
        snap,
        Box::new(move || at),
        heatdesk::domain::colouring::Metric::OpenFaults,
        |_| {},
    )
    .with_backups(work.join("backups"));
    let started = Instant::now();
    let mut backed_up = None;
    while backed_up.is_none() {
        for e in console.step(started.elapsed().as_secs_f64() + 1.0, 4, 5) {
            match e {
                heatdesk::console::Event::BackedUp(p) => backed_up = Some(p),
                heatdesk::console::Event::BackupFailed(e) => panic!("{e:?}"),
                _ => {}
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no start-up backup"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    console.read_older(at - chrono::Duration::days(7)).unwrap();
    // the server on the same file, as `heatdesk serve` opens it (its own handles and sender)
    let served = SqliteStore::open(&db).unwrap();
    let _sender = served.second_handle().unwrap();
    let (_addr, _server) =
        heatdesk::serve::spawn_local(Box::new(served), std::sync::Arc::new(move || at)).unwrap();
    // a backup by hand, the restore's check of a backup and of the file, and a migration out
    let copy = work.join("by-hand.db");
    heatdesk::store::backup::backup(&db, &copy).unwrap();
    heatdesk::store::backup::verify(&copy).unwrap();
    heatdesk::store::backup::verify(backed_up.as_ref().unwrap()).unwrap();
    heatdesk::store::sqlite::identify(&db).unwrap();
    let all = heatdesk::store::open(&Location::File(db.clone()))
        .unwrap()
        .everything()
        .unwrap();
    heatdesk::store::create(&Location::File(work.join("migrated.db")))
        .unwrap()
        .seed(&all)
        .unwrap();
    println!("READY");
    let mut go = String::new();
    std::io::stdin().read_line(&mut go).unwrap();
    // an acknowledged command: the dispatcher's drag of the ticket onto another team
    let t = console.snapshot().tickets[0].clone();
    console.push(heatdesk::console::Request::Assign {
        ticket: t.id,
        seen_version: t.version,
        team: 2,
    });
    let events = console.step(started.elapsed().as_secs_f64() + 2.0, 4, 5);
    let applied = events
        .iter()
        .find_map(|e| match e {
            heatdesk::console::Event::Applied { applied, .. } => Some(applied.tickets()[0].clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("the drag was not applied: {events:?}"));
    println!("ACK {} {}", applied.id, applied.version);
    std::thread::sleep(Duration::from_secs(120));
}

#[test]
fn an_outside_client_after_every_start_up_path_loses_no_acknowledged_commit() {
    if std::env::var(DB).is_ok() {
        return; // inside a child
    }
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = new_db(dir.path());
    let mut child = Killed(
        this_binary("locks::role_heatdesk_process", "heatdesk", &db)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let lines = read_lines(&mut child.0);
    line_from(&lines, "READY", 120);
    let pid = child.0.id();
    check_survives(pid, &db, &mut child.0, &lines);
}

/// The issue's own reproduction: `heatdesk serve` on a file, an outside `select`, a phone's
/// 接单 answered 200, the server killed: the step is there.
#[test]
fn a_phone_step_the_server_acknowledged_survives_an_outside_client_and_sigkill() {
    if std::env::var(DB).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (db, t) = new_db(dir.path());
    {
        let mut store = SqliteStore::open(&db).unwrap();
        store
            .apply(
                &Command::SaveAccount(heatdesk::domain::crew::Account {
                    login: "zhang".into(),
                    name: "张师傅".into(),
                    team_id: Some(1),
                    role: heatdesk::domain::crew::Role::Technician,
                    password_hash: heatdesk::serve::auth::hash_password("secret-1").unwrap(),
                    created_at: crate::common::crews::at(7, 0),
                    disabled: false,
                }),
                &crate::common::crews::desk(7, 0),
            )
            .unwrap();
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Killed(
        Process::new(env!("CARGO_BIN_EXE_heatdesk"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--db"])
            .arg(&db)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let start = Instant::now();
    while std::net::TcpStream::connect(addr).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let pid = child.0.id();
    assert!(
        locks_held(pid, &db).iter().any(|k| k == "READ"),
        "the server holds its shared lock on the file"
    );
    outside_client(&db);
    assert!(
        wal(&db).exists(),
        "the write-ahead log survives an outside client"
    );
    heatdesk::serve::https();
    let version = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let http = reqwest::Client::new();
            let r = http
                .post(format!("http://{addr}/api/login"))
                .json(&serde_json::json!({"login": "zhang", "password": "secret-1"}))
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "{}", r.status());
            let cookie = r.headers()["set-cookie"]
                .to_str()
                .unwrap()
                .split(';')
                .next()
                .unwrap()
                .to_string();
            let r = http
                .post(format!("http://{addr}/api/tickets/{}/accept", t.id))
                .header("cookie", cookie)
                .json(&serde_json::json!({"version": t.version, "client_id": "lock-1"}))
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "{}", r.status());
            let body: serde_json::Value = r.json().await.unwrap();
            body["ticket"]["version"].as_i64().unwrap()
        });
    child.0.kill().unwrap();
    child.0.wait().unwrap();
    let store = SqliteStore::open(&db).unwrap();
    let after = store.ticket(t.id).unwrap().unwrap();
    assert_eq!(after.version, version, "接单 survives the server's SIGKILL");
    assert_eq!(after.status, TicketStatus::Accepted);
}
