//! One assignment command (validate, update, audit event, commit) on the city-scale database:
//! 50,000+ buildings, 230,000 pipe segments, 300,000 tickets and their events.
//! Run: `cargo bench --bench commands`.

use criterion::{Criterion, criterion_group, criterion_main};
use heatdesk::demo::{self, DemoParams, Scale};
use heatdesk::domain::*;
use heatdesk::store::{DispatchStore, SqliteStore};

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("city.db");
    let now = demo::noon(chrono::NaiveDate::from_ymd_opt(2026, 11, 27).expect("valid date"));
    demo::write_new(&path, &DemoParams::new(Scale::City, now)).expect("city database");
    let mut store = SqliteStore::open(&path).expect("open");
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
    c.bench_function("assign_command_city_db", |b| {
        b.iter(|| {
            // re-dispatch between two teams: each is a full command with its audit event
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

criterion_group!(benches, bench);
criterion_main!(benches);
