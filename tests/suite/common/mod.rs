//! Builders shared by the tests that work on hand-made data sets.
#![allow(dead_code)]

pub mod console;
pub mod crews;
pub mod stores;

use heatdesk::domain::*;

/// A received hotline report of `category` in `building`, due to be fixed by `deadline`.
pub fn ticket(
    id: TicketId,
    building: BuildingId,
    category: Category,
    created: Timestamp,
    deadline: Timestamp,
) -> Ticket {
    let new = NewTicket {
        channel: Channel::Hotline,
        category,
        severity: Severity::Normal,
        building_id: building,
        address_detail: String::new(),
        reporter_name: String::new(),
        reporter_phone: String::new(),
        description: String::new(),
    };
    Ticket::received(id, &new, created, (created, deadline))
}

/// The test's own connection to a database file, to set up or look at rows directly.
pub fn sql(path: &std::path::Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    conn
}

/// A store with one department, compound, building (fed by one station) and two teams.
pub fn tiny_store(dir: &std::path::Path) -> heatdesk::store::SqliteStore {
    let path = dir.join("tiny.db");
    drop(heatdesk::store::SqliteStore::create(&path).unwrap());
    sql(&path)
        .execute_batch(
            "INSERT INTO departments VALUES (1, '城西供热服务部');
             INSERT INTO compounds VALUES (1, '工银新村', '建设路1号', 1, 120, x'', NULL);
             INSERT INTO network_nodes VALUES (1, 'station', 112.5, 37.8), (2, 'building_entry', 112.5, 37.8);
             INSERT INTO stations VALUES (1, '工银换热站', 1, 1, 112.5, 37.8);
             INSERT INTO buildings VALUES (1, 1, '1号楼', 3, 6, 36, 1, 2, x'', NULL);
             INSERT INTO teams VALUES (1, '城西维修一班', 1, '[\"张三\"]', 'valve', 112.5, 37.8, 112.5, 37.8, 'free'),
                                      (2, '城西维修二班', 1, '[\"李四\"]', 'radiator', 112.5, 37.8, 112.5, 37.8, 'free');",
        )
        .unwrap();
    heatdesk::store::SqliteStore::open(&path).unwrap()
}

/// A compound of `households` in department `dept`, with no outline.
pub fn compound(id: CompoundId, name: &str, dept: DepartmentId, households: u32) -> Compound {
    Compound {
        id,
        name: name.into(),
        address: String::new(),
        department_id: dept,
        households,
        outline: vec![],
        extra: Default::default(),
    }
}

/// A six-floor building of 24 households in `compound`, on network node `id`, station 1.
pub fn building(id: BuildingId, compound: CompoundId) -> Building {
    Building {
        id,
        compound_id: compound,
        number: "1号楼".into(),
        units: 2,
        floors: 6,
        households: 24,
        station_id: 1,
        entry_node: id,
        footprint: vec![],
        extra: Default::default(),
    }
}

/// Run the `heatdesk` binary with `args` on the database `db`.
pub fn heatdesk(db: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_heatdesk"))
        .args(args)
        .arg("--db")
        .arg(db)
        .output()
        .unwrap()
}

/// What a run printed, once it is known to have succeeded (else its error is shown).
pub fn succeeded(run: &std::process::Output) -> String {
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    String::from_utf8_lossy(&run.stdout).into_owned()
}

/// A room soak that lost nothing: no problem, no error, more than 50 commits, every audit event
/// written stored once, and the consoles heard of each other.
pub fn soak_lost_nothing(report: &heatdesk::soak::RoomReport, label: &str) {
    eprintln!("{label}: {}", report.last_line());
    assert!(
        report.problems.is_empty(),
        "{label}: {:#?}",
        report.problems
    );
    assert!(report.errors.is_empty(), "{label}: {:?}", report.errors);
    assert!(report.commits > 50, "{label}: {}", report.last_line());
    assert_eq!(report.events_written, report.events_found);
    assert!(
        !report.delays_ms.is_empty(),
        "the consoles heard of each other"
    );
}
