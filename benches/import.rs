//! Importing a season of tickets (300,000 rows of CSV) into the city-scale database, and the
//! sqlite3 shell's `.import` of the same file into a bare table as a yardstick.
//! Run: `cargo bench --bench import` (criterion prints the rows per second as "thrpt").

use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use heatdesk::demo::{self, DemoParams, Scale};
use heatdesk::exchange::{self, Kind, Options, Progress};
use heatdesk::store::{DispatchStore, SqliteStore};

fn bench(c: &mut Criterion) {
    let now = demo::noon(chrono::NaiveDate::from_ymd_opt(2026, 11, 27).expect("valid date"));
    let dir = tempfile::tempdir().expect("temp dir");
    let snap = demo::generate(&DemoParams::new(Scale::City, now)).snapshot;
    let tickets = dir.path().join("tickets.csv");
    let rows = exchange::export::write(&snap, Kind::Tickets, &tickets, true).expect("export");
    // the city without its season: where a company's ticket history is imported into
    let places = dir.path().join("places.db");
    {
        let mut city = snap.clone();
        city.tickets.clear();
        city.surveys.clear();
        city.visits.clear();
        city.readings.clear();
        let mut store = SqliteStore::create(&places).expect("new database");
        store
            .seed(&heatdesk::store::Everything {
                city,
                ..Default::default()
            })
            .expect("city written");
    }
    drop(snap);
    eprintln!(
        "{rows} tickets, {:.0} MB of CSV",
        std::fs::metadata(&tickets).expect("written").len() as f64 / 1e6
    );

    let mut group = c.benchmark_group("import");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(30));
    group.throughput(Throughput::Elements(rows as u64));
    group.bench_function("heatdesk_import_tickets_csv", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for i in 0..iters {
                let db = dir.path().join(format!("run-{i}.db"));
                std::fs::copy(&places, &db).expect("copy");
                let mut store = SqliteStore::open(&db).expect("open");
                let start = Instant::now();
                let report = exchange::import(
                    &mut store,
                    &tickets,
                    &Options::new(Kind::Tickets, now),
                    &Progress::default(),
                )
                .expect("imports");
                total += start.elapsed();
                assert_eq!(report.inserted, rows);
                drop(store);
                remove_db(&db);
            }
            total
        })
    });
    if which_sqlite3() {
        group.bench_function("sqlite3_dot_import_same_csv", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for i in 0..iters {
                    let db = dir.path().join(format!("bare-{i}.db"));
                    let start = Instant::now();
                    let out = std::process::Command::new("sqlite3")
                        .arg(&db)
                        .arg(format!(".import --csv {} tickets", tickets.display()))
                        .output()
                        .expect("sqlite3 runs");
                    total += start.elapsed();
                    assert!(
                        out.status.success(),
                        "{}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                    remove_db(&db);
                }
                total
            })
        });
    } else {
        eprintln!("sqlite3 not installed: no yardstick (apt install sqlite3)");
    }
    group.finish();
}

fn which_sqlite3() -> bool {
    std::process::Command::new("sqlite3")
        .arg("-version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn remove_db(db: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
