//! Importing a season of tickets (300,000 rows of CSV) into the city-scale database, and the
//! sqlite3 shell's `.import` of the same file into a bare table as a yardstick; the same
//! season as a hotline system's Excel export (title rows, its own column names and codes,
//! buildings named by compound and number), mapped and matched by address; and the address
//! matching alone.
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
    let rows = exchange::writer::write(&snap, Kind::Tickets, &tickets, true).expect("export");
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
    let hotline = dir.path().join("hotline.xlsx");
    write_hotline_export(&snap, &hotline);
    let pairs: Vec<(String, String, String)> = snap
        .tickets
        .iter()
        .map(|t| spelled(&snap, t.building_id))
        .collect();
    let addresses = heatdesk::exchange::address::Addresses::new(&snap);
    drop(snap);
    eprintln!(
        "hotline export: {:.0} MB of .xlsx",
        std::fs::metadata(&hotline).expect("written").len() as f64 / 1e6
    );
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
    group.bench_function("heatdesk_import_hotline_xlsx_mapped_and_matched", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for i in 0..iters {
                let db = dir.path().join(format!("xlsx-{i}.db"));
                std::fs::copy(&places, &db).expect("copy");
                let mut store = SqliteStore::open(&db).expect("open");
                let mut options = Options::new(Kind::Tickets, now);
                options.columns = heatdesk::exchange::records::Columns::Guess;
                let start = Instant::now();
                let report = exchange::import(&mut store, &hotline, &options, &Progress::default())
                    .expect("imports");
                total += start.elapsed();
                assert_eq!(report.inserted, rows);
                drop(store);
                remove_db(&db);
            }
            total
        })
    });
    group.bench_function("address_matching_alone", |b| {
        b.iter(|| {
            // a fresh index each time (as each import makes one): its memo starts empty
            let fresh = heatdesk::exchange::address::Addresses::new(&places_snapshot(&places));
            let _ = &addresses;
            let found = pairs
                .iter()
                .filter(|(c, n, l)| fresh.building(c, n, l).is_ok())
                .count();
            assert_eq!(found, rows);
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

/// The city's places as an import reads them.
fn places_snapshot(db: &Path) -> heatdesk::domain::Snapshot {
    SqliteStore::open(db)
        .expect("open")
        .load_places()
        .expect("places")
}

/// A building as a hotline clerk writes it: the compound's name, sometimes with 小区 added,
/// the number in one of the usual spellings (3号楼, 3#, 3栋, 三号楼 …), and where the compound
/// is (its street address: the city has compounds of the same name).
fn spelled(snap: &heatdesk::domain::Snapshot, building: i64) -> (String, String, String) {
    let b = snap.building(building).expect("a building");
    let c = snap.compound(b.compound_id).expect("its compound");
    let n: String = b.number.trim_end_matches("号楼").to_string();
    let number = match building % 4 {
        0 => b.number.clone(),
        1 => format!("{n}#"),
        2 => format!("{n}栋"),
        _ => format!("{n}幢"),
    };
    let compound = if building % 3 == 0 && !c.name.ends_with("小区") {
        format!("{}小区", c.name)
    } else {
        c.name.clone()
    };
    (compound, number, c.address.clone())
}

/// The season as a hotline system exports it to Excel: two title rows, then its own headers,
/// its own words for channels, categories and statuses, times as Excel dates, phone numbers
/// as numbers.
fn write_hotline_export(snap: &heatdesk::domain::Snapshot, to: &Path) {
    use heatdesk::words::{self, Lang};
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("工单导出").expect("a sheet name");
    sheet
        .write_string(0, 0, "12345 热线工单导出")
        .expect("cell");
    sheet
        .write_string(1, 0, "导出时间：2026-11-28")
        .expect("cell");
    let head = [
        "工单编号",
        "受理时间",
        "来源渠道",
        "问题类别",
        "小区名称",
        "楼号",
        "单元",
        "房号",
        "联系人",
        "联系电话",
        "问题描述",
        "处理状态",
        "办结时间",
        "小区地址",
    ];
    for (j, h) in head.iter().enumerate() {
        sheet.write_string(2, j as u16, *h).expect("cell");
    }
    let when = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let excel = |t: heatdesk::domain::Timestamp| {
        ExcelDateTime::parse_from_str(&t.format("%Y-%m-%dT%H:%M:%S").to_string()).expect("a time")
    };
    for (i, t) in snap.tickets.iter().enumerate() {
        let r = 3 + i as u32;
        let (compound, number, address) = spelled(snap, t.building_id);
        // a hotline system knows received and closed (办结), not the crews' steps
        let status = if t.closed_at.is_some() {
            "已办结"
        } else {
            "已受理"
        };
        let (unit, room) = t
            .address_detail
            .split_once(' ')
            .unwrap_or(("", &t.address_detail));
        sheet
            .write_string(r, 0, format!("GD{:08}", t.id))
            .expect("cell");
        sheet
            .write_datetime_with_format(r, 1, excel(t.created_at), &when)
            .expect("cell");
        sheet
            .write_string(r, 2, words::channel(Lang::Zh, t.channel))
            .expect("cell");
        sheet
            .write_string(r, 3, words::category(Lang::Zh, t.category))
            .expect("cell");
        sheet.write_string(r, 4, compound).expect("cell");
        sheet.write_string(r, 5, number).expect("cell");
        sheet.write_string(r, 6, unit).expect("cell");
        sheet.write_string(r, 7, room).expect("cell");
        sheet.write_string(r, 8, &t.reporter_name).expect("cell");
        if let Ok(phone) = t.reporter_phone.parse::<f64>() {
            sheet.write_number(r, 9, phone).expect("cell");
        }
        sheet.write_string(r, 10, &t.description).expect("cell");
        sheet.write_string(r, 11, status).expect("cell");
        if let Some(c) = t.closed_at {
            sheet
                .write_datetime_with_format(r, 12, excel(c), &when)
                .expect("cell");
        }
        sheet.write_string(r, 13, address).expect("cell");
    }
    book.save(to).expect("saved");
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
