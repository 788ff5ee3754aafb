//! The audit trail proves itself, on both stores: every event carries a hash over the one
//! before it; an event altered, removed or inserted by hand (sqlite3, psql) is found and named;
//! a database made before the chain gets it started by the upgrade; a copy carries it unchanged;
//! the daily report states its last hashes.

use std::process::Command as Process;

use heatdesk::domain::*;
use heatdesk::store::chain::{Chain, hex};
use heatdesk::store::{DispatchStore, Location, StoreError};

use crate::common::crews::{assigned, desk};
use crate::common::stores::{self, Backend, TestDb};

/// A room's morning: a ticket made and given to a team, moved on, a deadline rule changed (an
/// audit record that is no ticket step).
fn morning(store: &mut dyn DispatchStore) -> Ticket {
    let t = assigned(store, 1, "3单元 502", "暖气片上热下凉");
    let t = store
        .apply(
            &Command::Act {
                ticket: t.id,
                seen_version: t.version,
                action: Action::Assign { team: 2 },
            },
            &desk(8, 20),
        )
        .unwrap()
        .tickets()[0]
        .clone();
    let mut rules = store.deadline_rules().unwrap();
    rules[0].resolve_minutes += 60;
    store
        .apply(&Command::SetSlaRule(rules[0]), &desk(8, 30))
        .unwrap();
    t
}

fn heatdesk_cli(args: &[&str]) -> (bool, String) {
    let out = Process::new(env!("CARGO_BIN_EXE_heatdesk"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn verify(db: &TestDb) -> (bool, String) {
    heatdesk_cli(&["audit", "verify", "--english", "--db", &db.arg()])
}

#[test]
fn every_event_is_chained_and_a_hand_edit_is_found_and_named() {
    for backend in stores::backends() {
        let db = stores::tiny_db(backend, "chain");
        let mut store = db.open();
        let t = morning(&mut *store);
        let events = db.count("SELECT count(*) FROM ticket_events")
            + db.count("SELECT count(*) FROM audit_events");
        assert!(events >= 4, "{events}");
        let report = store.verify_audit().unwrap();
        assert_eq!(report.events, events as u64);
        assert_eq!(report.broken, None, "{backend:?}");
        assert_eq!(
            db.count("SELECT count(*) FROM ticket_events WHERE hash IS NULL")
                + db.count("SELECT count(*) FROM audit_events WHERE hash IS NULL"),
            0,
            "every event written with its hash"
        );
        let (ok, said) = verify(&db);
        assert!(ok, "{said}");
        assert!(
            said.lines()
                .last()
                .unwrap()
                .contains(&format!("audit: {events} events, chain intact")),
            "{said}"
        );
        // the heads printed are the stores' own
        for h in store.audit_heads().unwrap() {
            assert!(said.contains(&hex(&h.hash)), "{said}");
        }

        // someone rewrites what the second step said
        let second: i64 = db.count(&format!(
            "SELECT id FROM ticket_events WHERE ticket_id = {} ORDER BY id LIMIT 1 OFFSET 1",
            t.id
        ));
        db.execute(
            &format!("UPDATE ticket_events SET note = '已解决' WHERE id = {second}"),
            &format!("UPDATE ticket_events SET note = '已解决' WHERE id = {second}"),
        );
        let broken = store.verify_audit().unwrap().broken.unwrap();
        assert_eq!(
            (broken.chain, broken.event, broken.missing),
            (Chain::TicketEvents, second, false)
        );
        let (ok, said) = verify(&db);
        assert!(!ok, "a broken chain exits non-zero: {said}");
        assert!(
            said.contains(&format!("BROKEN at ticket_events #{second}")),
            "{said}"
        );
        // a chain broken in the source is not laundered into a clean copy
        if backend == Backend::Sqlite {
            let dir = tempfile::tempdir().unwrap();
            let to = dir.path().join("copy.db");
            let (ok, said) =
                heatdesk_cli(&["migrate", "--from", &db.arg(), "--to", to.to_str().unwrap()]);
            assert!(!ok && said.contains("BROKEN"), "{said}");
            assert!(!to.exists(), "nothing copied");
        }
    }
}

#[test]
fn a_removed_or_inserted_event_is_named() {
    for backend in stores::backends() {
        let db = stores::tiny_db(backend, "chain_gaps");
        let mut store = db.open();
        morning(&mut *store);
        morning(&mut *store);
        // the audit record of the first rule change removed
        let first = db.count("SELECT min(id) FROM audit_events");
        let next = db.count(&format!(
            "SELECT min(id) FROM audit_events WHERE id > {first}"
        ));
        db.execute(
            &format!("DELETE FROM audit_events WHERE id = {first}"),
            &format!("DELETE FROM audit_events WHERE id = {first}"),
        );
        let broken = store.verify_audit().unwrap().broken.unwrap();
        assert_eq!((broken.chain, broken.event), (Chain::AuditEvents, next));

        // a step slipped in by hand, without HeatDesk (and so without a hash), at the next id
        let db = stores::tiny_db(backend, "chain_insert");
        let mut store = db.open();
        let t = morning(&mut *store);
        let id = db.count("SELECT max(id) FROM ticket_events") + 1;
        let at = "'2026-11-27 08:40:00'";
        let sqlite_at = at.replace('\'', "");
        let sqlite_at = chrono::NaiveDateTime::parse_from_str(&sqlite_at, "%Y-%m-%d %H:%M:%S")
            .unwrap()
            .and_utc()
            .timestamp();
        db.execute(
            &format!(
                "INSERT INTO ticket_events (id, ticket_id, at, actor, action, to_status, note)
                 VALUES ({id}, {}, {sqlite_at}, '调度员', 'close', 'closed', '')",
                t.id
            ),
            &format!(
                "INSERT INTO ticket_events (id, ticket_id, at, actor, action, to_status, note)
                 VALUES ({id}, {}, {at}, '调度员', 'close', 'closed', '')",
                t.id
            ),
        );
        let inserted = db.count("SELECT max(id) FROM ticket_events");
        let broken = store.verify_audit().unwrap().broken.unwrap();
        assert_eq!(
            (broken.chain, broken.event, broken.missing),
            (Chain::TicketEvents, inserted, true)
        );
        // the chain goes on past it for HeatDesk's own writes, and the break stays named
        morning(&mut *store);
        let broken = store.verify_audit().unwrap().broken.unwrap();
        assert_eq!(broken.event, inserted);
    }
}

/// A database written before the chain (schema 8 on SQLite, 2 on PostgreSQL): the upgrade
/// hashes its events in id order, and the result is the chain HeatDesk would have written.
#[test]
fn a_database_made_before_the_chain_gets_it_started_by_the_upgrade() {
    for backend in stores::backends() {
        let db = stores::tiny_db(backend, "chain_upgrade");
        let mut store = db.open();
        morning(&mut *store);
        let heads = store.audit_heads().unwrap();
        drop(store);
        db.execute(
            "ALTER TABLE ticket_events DROP COLUMN hash; ALTER TABLE audit_events DROP COLUMN hash;
             PRAGMA user_version = 8;",
            "ALTER TABLE ticket_events DROP COLUMN hash; ALTER TABLE audit_events DROP COLUMN hash;
             UPDATE heatdesk_meta SET value = '2' WHERE key = 'schema';",
        );
        let store = db.open();
        let report = store.verify_audit().unwrap();
        assert_eq!(report.broken, None);
        assert_eq!(report.heads, heads, "the same chain as written live");
    }
}

/// An operator's console meeting a database a newer HeatDesk must upgrade is refused, told
/// the owner upgrades it, and changes nothing; the owner's first open upgrades it.
#[test]
fn an_operator_meeting_an_older_schema_is_told_who_upgrades_it() {
    let Some(backend) = stores::postgres() else {
        return;
    };
    // the reader's role is made with the first database; the login goes before the database
    let db = stores::tiny_db(backend, "older_schema");
    let wang = stores::Login::new("upgrade_wang", "heatdesk_reader");
    let db = db;
    db.execute(
        "",
        "DROP FUNCTION heatdesk_begin_write(TEXT); UPDATE heatdesk_meta SET value = '3' WHERE key = 'schema';",
    );
    let url = db.url_as(&wang.name);
    match heatdesk::store::open(&Location::parse(&url).unwrap()) {
        Err(StoreError::SchemaRefused { detail, .. }) => {
            assert!(detail.contains("the database's owner"), "{detail}")
        }
        other => panic!("not refused as it should be: {:?}", other.map(|_| ())),
    }
    assert_eq!(
        db.count("SELECT value::bigint FROM heatdesk_meta WHERE key = 'schema'"),
        3
    );
    let mut store = db.open();
    morning(&mut *store);
    assert_eq!(store.verify_audit().unwrap().broken, None);
    assert_eq!(
        db.count("SELECT value::bigint FROM heatdesk_meta WHERE key = 'schema'"),
        heatdesk::store::postgres::schema::latest_version()
    );
}

/// A copy into another store carries the chain unchanged, and the daily report states the
/// last hashes `audit verify` prints.
#[test]
fn a_copy_carries_the_chain_and_the_daily_report_states_its_head() {
    let dir = tempfile::tempdir().unwrap();
    let original = stores::tiny_db(Backend::Sqlite, "chain_copy");
    let mut store = original.open();
    morning(&mut *store);
    let heads = store.audit_heads().unwrap();
    let pg = stores::postgres().map(|b| TestDb::blank(b, "chain_copy_pg"));
    let mut targets = vec![dir.path().join("copy.db").display().to_string()];
    targets.extend(pg.as_ref().map(TestDb::arg));
    for to in &targets {
        let (ok, said) = heatdesk_cli(&["migrate", "--from", &original.arg(), "--to", to]);
        assert!(ok && said.contains("carried unchanged"), "{said}");
        let copy = heatdesk::store::open(&Location::parse(to).unwrap()).unwrap();
        assert_eq!(copy.audit_heads().unwrap(), heads, "{to}");
        assert_eq!(copy.verify_audit().unwrap().broken, None);
    }
    let report = dir.path().join("day.csv");
    let (ok, said) = heatdesk_cli(&[
        "report",
        "--db",
        &original.arg(),
        "--date",
        "2026-11-27",
        "--english",
        "--out",
        report.to_str().unwrap(),
    ]);
    assert!(ok, "{said}");
    let sheets: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .filter(|text| text.contains("ticket_events"))
        .collect();
    assert_eq!(sheets.len(), 1, "one sheet names the chains");
    for h in &heads {
        assert!(sheets[0].contains(&hex(&h.hash)), "{}", sheets[0]);
        assert!(sheets[0].contains(&format!("#{}", h.last_event.unwrap())));
    }
}
