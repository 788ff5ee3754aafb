//! Nothing a user confirmed is lost: a console killed (SIGKILL) in the middle of a burst of
//! commands, and consoles racing on the same tickets. The consoles are child processes running
//! `heatdesk soak`, which prints a line for every command only after the store committed it.

use crate::common;

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};
use std::time::Duration;

use chrono::NaiveDate;
use heatdesk::demo::{self, DemoParams, Scale};
use heatdesk::domain::*;
use heatdesk::soak::Outcome;
use heatdesk::store::{DispatchStore, SqliteStore};

fn base(dir: &Path) -> PathBuf {
    let path = dir.join("base.db");
    let now = demo::noon(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
    demo::write_new(&path, &DemoParams::new(Scale::Demo, now)).unwrap();
    path
}

fn copy_of(base: &Path, name: &str) -> PathBuf {
    let path = base.with_file_name(name);
    std::fs::copy(base, &path).unwrap();
    path
}

fn soak(db: &Path, args: &[&str]) -> std::process::Child {
    Process::new(env!("CARGO_BIN_EXE_heatdesk"))
        .arg("soak")
        .args(args)
        .arg("--db")
        .arg(db)
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(said(db, args)).unwrap())
        .spawn()
        .unwrap()
}

/// Where a soak child's stderr goes (beside its database, named by its actor).
fn said(db: &Path, args: &[&str]) -> PathBuf {
    let actor = args
        .iter()
        .skip_while(|a| **a != "--actor")
        .nth(1)
        .unwrap_or(&"soak");
    db.with_file_name(format!("{actor}.stderr"))
}

/// The outcomes a child printed (a line cut short by a kill is not a promise).
fn outcomes(child: &mut std::process::Child) -> std::thread::JoinHandle<Vec<Outcome>> {
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .filter_map(|l| serde_json::from_str(&l).ok())
            .collect()
    })
}

fn integrity(store: &mut SqliteStore) -> String {
    common::sql(store.path())
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap()
}

/// Every ticket's audit trail agrees with its row: one event per version (repeat reports aside),
/// and each step starts where the previous one ended.
fn trails_agree(store: &mut SqliteStore) {
    let snap = store.load().unwrap();
    let conn = common::sql(store.path());
    let mut st = conn
        .prepare("SELECT ticket_id, action, from_status, to_status FROM ticket_events ORDER BY ticket_id, id")
        .unwrap();
    let mut rows = st
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, String>(3)?,
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .peekable();
    for t in &snap.tickets {
        let mut steps = 0;
        let mut at: Option<String> = None;
        while let Some(e) = rows.next_if(|e| e.0 == t.id) {
            if e.1 != "repeat_report" {
                steps += 1;
            }
            if let Some(prev) = &at {
                assert_eq!(e.2.as_deref(), Some(prev.as_str()), "#{} {}", t.id, e.1);
            }
            at = Some(e.3);
        }
        assert_eq!(steps, t.version, "ticket #{}: events vs version", t.id);
        assert_eq!(at.as_deref(), Some(t.status.code()), "ticket #{}", t.id);
    }
}

/// The committed outcomes are all in the database, whole.
fn all_there(store: &mut SqliteStore, done: &[Outcome]) -> usize {
    let conn = common::sql(store.path());
    let mut checked = 0;
    for o in done.iter().filter(|o| o.ok) {
        for &e in &o.events {
            let found: i64 = conn
                .query_row(
                    "SELECT count(*) FROM ticket_events WHERE id = ?1",
                    [e],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(found, 1, "event {e} of a committed command is missing");
        }
        if let Some(v) = o.visit {
            let readings: i64 = conn
                .query_row(
                    "SELECT count(*) FROM temperature_readings WHERE visit_id = ?1",
                    [v],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(readings, 2, "visit {v} without all its readings");
        }
        if let Command::Act { ticket, action, .. } = &o.command {
            let (t, a): (i64, String) = conn
                .query_row(
                    "SELECT ticket_id, action FROM ticket_events WHERE id = ?1",
                    [o.events[0]],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .unwrap();
            assert_eq!((t, a.as_str()), (*ticket, action.code()));
        }
        checked += 1;
    }
    checked
}

#[test]
fn a_console_killed_mid_burst_keeps_every_command_it_confirmed() {
    let dir = tempfile::tempdir().unwrap();
    let base = base(dir.path());
    let (mut kills, mut checked) = (0, 0);
    for run in 0..12u64 {
        let db = copy_of(&base, &format!("run{run}.db"));
        let mut child = soak(&db, &["--seed", &run.to_string(), "--commands", "5000"]);
        let reader = outcomes(&mut child);
        // a different moment every run: during start-up, between commands, inside a commit
        std::thread::sleep(Duration::from_millis(150 + run * 97 % 900));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;
        let done = reader.join().unwrap();

        let mut store = SqliteStore::open(&db).expect("the database opens after a kill");
        assert_eq!(integrity(&mut store), "ok");
        checked += all_there(&mut store, &done);
        trails_agree(&mut store);
    }
    eprintln!("crash test: {kills} kills survived, {checked} confirmed commands checked");
    assert!(
        checked > 0,
        "the children committed something before being killed"
    );
}

#[test]
fn consoles_racing_on_the_same_tickets_lose_no_update() {
    let dir = tempfile::tempdir().unwrap();
    let base = base(dir.path());
    let shared = copy_of(&base, "shared.db");
    let mut children: Vec<_> = (0..3)
        .map(|k| {
            let seed = (100 + k).to_string();
            let actor = format!("console-{k}");
            soak(
                &shared,
                &[
                    "--seed",
                    &seed,
                    "--commands",
                    "100",
                    "--tickets",
                    "20",
                    "--actor",
                    &actor,
                    // like a console: look for others' changes every 300 ms, act every 10 ms
                    "--poll-ms",
                    "300",
                    "--pace-ms",
                    "10",
                ],
            )
        })
        .collect();
    let readers: Vec<_> = children.iter_mut().map(outcomes).collect();
    for (k, c) in children.iter_mut().enumerate() {
        let stderr = shared.with_file_name(format!("console-{k}.stderr"));
        assert!(
            c.wait().unwrap().success(),
            "console-{k} failed: {}",
            std::fs::read_to_string(stderr).unwrap_or_default()
        );
    }
    let all: Vec<Outcome> = readers
        .into_iter()
        .flat_map(|r| r.join().unwrap())
        .collect();
    assert_eq!(all.len(), 300, "every command reported");
    let refused: Vec<&Outcome> = all.iter().filter(|o| !o.ok).collect();
    for r in &refused {
        let why = r.error.as_deref().unwrap_or_default();
        assert!(
            r.stale || why.contains("cannot"),
            "an unexplained refusal: {why}"
        );
    }
    let mut store = SqliteStore::open(&shared).unwrap();
    assert_eq!(integrity(&mut store), "ok");
    let checked = all_there(&mut store, &all);
    trails_agree(&mut store);

    // the final state is what the accepted commands give when replayed one after another
    let mut accepted: Vec<&Outcome> = all.iter().filter(|o| o.ok).collect();
    accepted.sort_by_key(|o| o.events[0]);
    let replay = copy_of(&base, "replay.db");
    let mut serial = SqliteStore::open(&replay).unwrap();
    for o in &accepted {
        let origin = Origin {
            actor: o.actor.clone(),
            at: o.at,
        };
        serial
            .apply(&o.command, &origin)
            .unwrap_or_else(|e| panic!("replaying {:?}: {e}", o.command));
    }
    for sql in [
        "SELECT * FROM tickets ORDER BY id",
        "SELECT * FROM ticket_events ORDER BY id",
        "SELECT * FROM visits ORDER BY id",
        "SELECT * FROM temperature_readings ORDER BY id",
        "SELECT * FROM survey_responses ORDER BY id",
    ] {
        let (raced, replayed) = (dump(&mut store, sql), dump(&mut serial, sql));
        assert_eq!(raced.len(), replayed.len(), "{sql}");
        if let Some((a, b)) = raced.iter().zip(&replayed).find(|(a, b)| a != b) {
            panic!("{sql}: raced {a} vs replayed {b}");
        }
    }
    let stale = refused.iter().filter(|r| r.stale).count();
    eprintln!(
        "concurrency test: 3 consoles, {} accepted ({checked} checked), {} refused ({stale} stale)",
        accepted.len(),
        refused.len()
    );
    assert!(stale > 0, "the consoles did collide");
}

/// A console opening a file in rollback-journal mode (as a copy or a restored backup is) while
/// another writes to it waits its turn to switch the file to WAL. SQLite asks for the write
/// lock there while already reading, which fails at once rather than waiting: consoles started
/// together exited "database is locked" about once in fifteen starts.
#[test]
fn a_console_opening_a_file_another_is_writing_waits_its_turn() {
    let dir = tempfile::tempdir().unwrap();
    let path = base(dir.path());
    let other = common::sql(&path);
    let mode: String = other
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "delete", "the demo city is written in rollback mode");
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let (opened, took) = std::thread::scope(|s| {
        let opening = s.spawn(|| {
            let started = std::time::Instant::now();
            (SqliteStore::open(&path).map(|_| ()), started.elapsed())
        });
        std::thread::sleep(Duration::from_millis(300));
        other.execute_batch("COMMIT").unwrap();
        opening.join().unwrap()
    });
    if let Err(e) = opened {
        panic!("the second console could not open the file: {e}");
    }
    assert!(took >= Duration::from_millis(250), "it waited: {took:?}");
}

fn dump(store: &mut SqliteStore, sql: &str) -> Vec<String> {
    let conn = common::sql(store.path());
    let mut st = conn.prepare(sql).unwrap();
    let n = st.column_count();
    st.query_map([], |r| {
        Ok((0..n)
            .map(|i| match r.get_ref(i).unwrap() {
                rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                v => format!("{v:?}"),
            })
            .collect::<Vec<_>>()
            .join("|"))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

#[test]
fn a_crash_report_keeps_the_form_that_was_being_typed() {
    let dir = tempfile::tempdir().unwrap();
    heatdesk::logging::remember_draft(Some(
        "reporter_name: \"刘女士\", description: \"楼道漏水\"".into(),
    ));
    let path = heatdesk::logging::crash_report(dir.path(), "panicked at 'boom'");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("panicked at 'boom'"));
    assert!(
        text.contains("楼道漏水"),
        "the unsaved form is in the report"
    );
    heatdesk::logging::remember_draft(None);
    let path = heatdesk::logging::crash_report(&dir.path().join("again"), "x");
    assert!(!path.exists() || !std::fs::read_to_string(&path).unwrap().contains("楼道漏水"));
}
