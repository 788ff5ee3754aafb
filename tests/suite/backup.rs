//! Backups and restores: online copies while a console writes, rotation, and a restore that
//! keeps the current file aside and refuses a backup that does not open.

use crate::common;

use chrono::NaiveDate;
use common::{heatdesk, succeeded};
use heatdesk::demo::{self, DemoParams, Scale};
use heatdesk::domain::*;
use heatdesk::store::{DispatchStore, SqliteStore, StoreError, backup};

fn now() -> Timestamp {
    demo::noon(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap())
}

fn demo_db(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("heatdesk.db");
    demo::write_new(&path, &DemoParams::new(Scale::Demo, now())).unwrap();
    path
}

fn new_ticket(store: &mut SqliteStore) -> Ticket {
    let b = store.load().unwrap().buildings[0].id;
    let cmd = Command::CreateTicket(NewTicket {
        channel: Channel::Hotline,
        category: Category::AirLock,
        severity: Severity::Normal,
        building_id: b,
        address_detail: String::new(),
        reporter_name: "备份测试".into(),
        reporter_phone: String::new(),
        description: String::new(),
    });
    let origin = Origin {
        actor: "t".into(),
        at: now(),
    };
    match store.apply(&cmd, &origin).unwrap() {
        Applied::Ticket { ticket, .. } => *ticket,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_backup_taken_while_a_console_writes_is_whole_and_rotation_keeps_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path());
    let mut console = SqliteStore::open(&db).unwrap();
    // committed in the write-ahead log, not yet in the main file: the backup still has it
    let t = new_ticket(&mut console);
    let backups = dir.path().join("backups");
    let mut made = Vec::new();
    for minute in 0..5 {
        let at = now() + chrono::Duration::minutes(minute);
        made.push(backup::rotating(&db, &backups, 3, at).unwrap());
        new_ticket(&mut console);
    }
    let kept = backup::list(&backups);
    assert_eq!(kept, made[2..].to_vec(), "the three newest are kept");
    let copy = SqliteStore::open(&kept[0]).unwrap();
    let snap = copy.load().unwrap();
    assert!(
        snap.ticket(t.id).is_some(),
        "the backup has the last commit"
    );
    backup::verify(&kept[0]).unwrap();
    // never overwrites
    assert!(matches!(
        backup::backup(&db, &kept[0]),
        Err(StoreError::Exists { .. })
    ));
}

#[test]
fn a_restore_keeps_the_current_file_aside_and_refuses_what_does_not_open() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path());
    let saved = dir.path().join("saved.db");
    backup::backup(&db, &saved).unwrap();
    let later = {
        let mut console = SqliteStore::open(&db).unwrap();
        new_ticket(&mut console)
    };

    // a file that is not a backup: refused, nothing touched
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"not a database at all, just text").unwrap();
    let before = std::fs::read(&db).unwrap();
    assert!(matches!(
        backup::restore(&db, &junk, now()),
        Err(StoreError::NotHeatDesk { .. })
    ));
    assert_eq!(std::fs::read(&db).unwrap(), before);

    let aside = backup::restore(&db, &saved, now()).unwrap();
    let restored = SqliteStore::open(&db).unwrap().load().unwrap();
    assert!(restored.ticket(later.id).is_none(), "back to the backup");
    let kept = SqliteStore::open(&aside).unwrap().load().unwrap();
    assert!(
        kept.ticket(later.id).is_some(),
        "the replaced file, with its last commit"
    );
}

#[test]
fn backup_and_restore_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_db(dir.path());
    let run = |args: &[&str]| heatdesk(&db, args);
    let out = run(&["backup"]);
    succeeded(&out);
    let made = backup::list(&dir.path().join("backups"));
    assert_eq!(made.len(), 1);
    let from = made[0].to_str().unwrap().to_string();
    let out = run(&["restore", "--from", &from]);
    assert!(succeeded(&out).contains("kept as"));
    let missing = run(&["restore", "--from", "/nonexistent/x.db"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/x.db"));
}
