//! Random and mutated files fed to every importer: an answer (a report or a list of problems)
//! every time, never a panic, and a dry run never writes.

use std::path::PathBuf;
use std::sync::OnceLock;

use chrono::NaiveDate;
use heatdesk::demo::{self, DemoParams, Scale};
use heatdesk::exchange::{self, Kind, Options, Progress};
use heatdesk::store::{DispatchStore, SqliteStore};
use proptest::prelude::*;

struct Fixture {
    _dir: tempfile::TempDir,
    db: PathBuf,
    /// Valid files of each kind (the first rows of the demo city), CSV and GeoJSON.
    seeds: Vec<(Kind, &'static str, Vec<u8>)>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("demo.db");
        let now = demo::noon(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
        demo::write_new(&db, &DemoParams::new(Scale::Demo, now)).unwrap();
        let mut snap = SqliteStore::open(&db).unwrap().load().unwrap();
        // a few rows of each is enough to mutate
        snap.compounds.truncate(3);
        snap.buildings.truncate(3);
        snap.segments.truncate(4);
        snap.valves.truncate(3);
        snap.stations.truncate(3);
        snap.teams.truncate(3);
        snap.tickets.truncate(4);
        snap.visits.truncate(3);
        snap.readings.truncate(3);
        snap.surveys.truncate(3);
        let mut seeds = Vec::new();
        for &kind in Kind::ALL {
            for ext in ["csv", "geojson"] {
                if ext == "geojson" && kind.geometry().is_none() {
                    continue;
                }
                let path = dir.path().join(format!("seed-{}.{ext}", kind.code()));
                exchange::writer::write(&snap, kind, &path, false).unwrap();
                seeds.push((kind, ext, std::fs::read(&path).unwrap()));
            }
        }
        Fixture {
            _dir: dir,
            db,
            seeds,
        }
    })
}

fn rows(db: &std::path::Path, kind: Kind) -> i64 {
    use heatdesk::store::DispatchStore;
    let store = heatdesk::store::SqliteStore::open(db).unwrap();
    store.known_ids(kind.table()).unwrap().rows.len() as i64
}

/// Bytes that break parsers: quotes, separators, brackets, odd numbers, CJK, NUL, BOMs.
fn splinter() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"\"".to_vec()),
        Just(b",".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"{".to_vec()),
        Just(b"]".to_vec()),
        Just(b"NaN".to_vec()),
        Just(b"-1e309".to_vec()),
        Just(b"null".to_vec()),
        Just("中文".as_bytes().to_vec()),
        Just(vec![0]),
        Just(vec![0xEF, 0xBB, 0xBF]),
        Just(vec![0xFF, 0xFE]),
        Just(vec![0xC4, 0xE3]), // 你 in GBK
        proptest::collection::vec(any::<u8>(), 1..8),
    ]
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, byte: u8 },
    Insert { at: usize, bytes: Vec<u8> },
    Cut { at: usize },
    Remove { at: usize, len: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Flip { at, byte }),
        (any::<usize>(), splinter()).prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        any::<usize>().prop_map(|at| Mutation::Cut { at }),
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Mutation::Remove { at, len }),
    ]
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let n = bytes.len().max(1);
        match m {
            Mutation::Flip { at, byte } => {
                if !bytes.is_empty() {
                    bytes[at % n] = *byte;
                }
            }
            Mutation::Insert { at, bytes: b } => {
                let at = at % (bytes.len() + 1);
                bytes.splice(at..at, b.iter().copied());
            }
            Mutation::Cut { at } => bytes.truncate(at % n),
            Mutation::Remove { at, len } => {
                let at = at % n;
                let end = (at + len).min(bytes.len());
                if at < end {
                    bytes.drain(at..end);
                }
            }
        }
    }
    bytes
}

/// Import `bytes` as `kind` in a dry run: whatever it says, it must say it, and write nothing.
fn dry_run(kind: Kind, ext: &str, bytes: &[u8]) -> Result<(), TestCaseError> {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("input.{ext}"));
    std::fs::write(&path, bytes).unwrap();
    let before = rows(&f.db, kind);
    let mut store = SqliteStore::open(&f.db).unwrap();
    let now = demo::noon(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
    let mut options = Options::new(kind, now);
    options.check = true;
    match exchange::import(&mut store, &path, &options, &Progress::default()) {
        Ok(report) => prop_assert!(!report.written),
        Err(failure) => {
            prop_assert!(failure.total >= 1);
            prop_assert!(!failure.to_string().is_empty());
        }
    }
    drop(store);
    prop_assert_eq!(rows(&f.db, kind), before);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn mutated_files_never_panic_any_importer(
        seed in any::<prop::sample::Index>(),
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let f = fixture();
        let (kind, ext, bytes) = &f.seeds[seed.index(f.seeds.len())];
        dry_run(*kind, ext, &mutate(bytes.clone(), &mutations))?;
    }

    #[test]
    fn random_bytes_never_panic_any_importer(
        kind in any::<prop::sample::Index>(),
        geojson in any::<bool>(),
        bytes in proptest::collection::vec(any::<u8>(), 0..400),
    ) {
        let kind = Kind::ALL[kind.index(Kind::ALL.len())];
        dry_run(kind, if geojson { "geojson" } else { "csv" }, &bytes)?;
    }
}

#[test]
fn the_seeds_themselves_import_cleanly() {
    let f = fixture();
    for (kind, ext, bytes) in &f.seeds {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("input.{ext}"));
        std::fs::write(&path, bytes).unwrap();
        let mut store = SqliteStore::open(&f.db).unwrap();
        let now = demo::noon(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
        let mut options = Options::new(*kind, now);
        options.check = true;
        let report = exchange::import(&mut store, &path, &options, &Progress::default())
            .unwrap_or_else(|e| panic!("{kind:?} {ext}: {e}"));
        assert_eq!(
            report.updated, report.rows,
            "{kind:?} {ext}: the same rows again"
        );
    }
}
