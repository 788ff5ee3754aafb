//! One assignment command (validate, update, audit event, commit) on the city-scale database:
//! 50,000+ buildings, 230,000 pipe segments, 300,000 tickets and their events.
//! The same command on PostgreSQL when `HEATDESK_TEST_PG` names a server whose user may
//! create databases (a demo city in a database made for the run, dropped after it).
//! Run: `cargo bench --bench commands`.

use criterion::{Criterion, criterion_group, criterion_main};
use heatdesk::demo::{self, DemoParams, Scale};
use heatdesk::domain::*;
use heatdesk::store::{DispatchStore, Location, SqliteStore};

/// Re-dispatch one queued ticket between two teams, `store`'s command after command: each is
/// a full command with its events and audit record.
fn assign_back_and_forth(
    c: &mut Criterion,
    name: &str,
    store: &mut dyn DispatchStore,
    now: Timestamp,
) {
    let snap = store.load().expect("load");
    let ticket = snap
        .tickets
        .iter()
        .find(|t| t.status == TicketStatus::Received)
        .expect("a queued ticket")
        .clone();
    let teams: Vec<TeamId> = snap.teams.iter().map(|t| t.id).take(2).collect();
    let origin = Origin {
        actor: "bench".into(),
        at: now,
    };
    let mut version = ticket.version;
    let mut k = 0usize;
    c.bench_function(name, |b| {
        b.iter(|| {
            k += 1;
            let applied = store
                .apply(
                    &Command::Act {
                        ticket: ticket.id,
                        seen_version: version,
                        action: Action::Assign { team: teams[k % 2] },
                    },
                    &origin,
                )
                .expect("assign");
            if let Applied::Ticket { ticket, .. } = applied {
                version = ticket.version;
            }
        })
    });
}

/// The command on a PostgreSQL server's demo city, if a server is given.
fn postgres(c: &mut Criterion) {
    let Some(server) = std::env::var("HEATDESK_TEST_PG")
        .ok()
        .filter(|s| !s.is_empty())
    else {
        eprintln!("assign_command_postgres skipped: set HEATDESK_TEST_PG=postgres://…");
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("demo.db");
    let now = demo::noon(chrono::NaiveDate::from_ymd_opt(2026, 11, 27).expect("valid date"));
    demo::write_new(&path, &DemoParams::new(Scale::Demo, now)).expect("demo database");
    let all = SqliteStore::open(&path)
        .and_then(|s| s.everything())
        .expect("demo contents");
    let name = format!("hd_bench_commands_{}", std::process::id());
    let mut admin =
        postgres::Client::connect(&server, postgres::NoTls).expect("the server answers");
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("a database for the bench");
    let url = heatdesk::store::postgres::url::with_database(&server, &name);
    {
        let location = Location::parse(&url).expect("URL");
        heatdesk::store::create(&location)
            .and_then(|mut s| s.seed(&all))
            .expect("seeded");
        let mut store = heatdesk::store::open(&location).expect("open");
        assign_back_and_forth(c, "assign_command_postgres", store.as_mut(), now);
    }
    let _ = admin.batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"));
}

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("city.db");
    let now = demo::noon(chrono::NaiveDate::from_ymd_opt(2026, 11, 27).expect("valid date"));
    demo::write_new(&path, &DemoParams::new(Scale::City, now)).expect("city database");
    let mut store = SqliteStore::open(&path).expect("open");
    assign_back_and_forth(c, "assign_command_city_db", &mut store, now);
    postgres(c);
}

criterion_group!(benches, bench);
criterion_main!(benches);
