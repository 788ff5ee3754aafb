//! Files for people outside the console: the outage notice as CSV and XLSX, from the
//! library and from the command line.

use crate::common;

use chrono::NaiveDate;
use common::{heatdesk, succeeded};
use heatdesk::demo::{self, DemoParams, Scale};
use heatdesk::domain::trace::{Network, TraceFrom};
use heatdesk::export::{self, outage::outage_notice};
use heatdesk::words::Lang;

fn now() -> chrono::NaiveDateTime {
    demo::noon(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap())
}

#[test]
fn an_outage_notice_lists_every_building_that_loses_heat() {
    let city = demo::generate(&DemoParams::new(Scale::Demo, now()));
    let snap = &city.snapshot;
    let station = &snap.stations[5];
    let net = Network::build(snap);
    let buildings = net.downstream(TraceFrom::Node(station.node)).buildings;
    let summary = net.summary(&buildings);
    let table = outage_notice(snap, &buildings, Lang::Zh);

    let dir = tempfile::tempdir().unwrap();
    let csv_path = dir.path().join("outage.csv");
    export::write(&csv_path, std::slice::from_ref(&table)).unwrap();
    let bytes = std::fs::read(&csv_path).unwrap();
    assert!(bytes.starts_with("\u{feff}".as_bytes()), "a BOM for Excel");
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        ["小区", "地址", "服务中心", "楼号", "单元数", "户数"]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(
        rows.len(),
        buildings.len() + 1,
        "a row per building and a total"
    );
    let households: u64 = rows[..rows.len() - 1]
        .iter()
        .map(|r| r[5].parse::<u64>().unwrap())
        .sum();
    assert_eq!(households, summary.households);
    let total = rows.last().unwrap();
    assert_eq!(&total[0], "合计");
    assert_eq!(total[5].parse::<u64>().unwrap(), summary.households);
    // every building of the trace, by its compound's name and number
    for &b in &buildings {
        let building = snap.building(b).unwrap();
        let compound = snap.compound(building.compound_id).unwrap();
        assert!(
            rows.iter()
                .any(|r| r[0] == compound.name && r[3] == building.number),
            "{} {}",
            compound.name,
            building.number
        );
    }

    let xlsx_path = dir.path().join("outage.xlsx");
    export::write(&xlsx_path, &[table]).unwrap();
    let xlsx = std::fs::read(&xlsx_path).unwrap();
    assert!(xlsx.starts_with(b"PK"), "an XLSX is a zip");
    assert!(
        !dir.path().join("outage.partial").exists(),
        "no half-written file left"
    );
}

#[test]
fn the_outage_command_writes_the_notice_or_says_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    demo::write_new(&db, &DemoParams::new(Scale::Demo, now())).unwrap();
    let out = dir.path().join("notice.xlsx");
    let ok = heatdesk(
        &db,
        &["outage", "--station", "2", "--out", out.to_str().unwrap()],
    );
    assert!(succeeded(&ok).contains("households"));
    assert!(std::fs::read(&out).unwrap().starts_with(b"PK"));

    let missing = heatdesk(&db, &["outage", "--out", "x.csv"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("--segment, --valve or --station"));

    let wrong = heatdesk(&db, &["outage", "--station", "999999", "--out", "x.csv"]);
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("no station 999999"));
}

#[test]
fn the_daily_report_has_kpis_overdue_tickets_and_visits() {
    let city = demo::generate(&DemoParams::new(Scale::Demo, now()));
    let snap = &city.snapshot;
    let tables = export::report::daily_report(
        snap,
        &heatdesk::domain::kpi::KpiFacts::of(snap),
        now().date(),
        now(),
        Lang::Zh,
    );
    assert_eq!(tables.len(), 3);
    assert_eq!(
        tables[0].rows.len(),
        snap.departments.len() + 1,
        "+ the city"
    );
    let overdue = snap.tickets.iter().filter(|t| t.is_overdue(now())).count();
    assert_eq!(tables[1].rows.len(), overdue);
    // no resident's number leaves whole
    for row in &tables[1].rows {
        assert!(row[8].to_string().contains("****"), "{}", row[8]);
    }
    let visits_today = snap
        .visits
        .iter()
        .filter(|v| v.at.date() == now().date())
        .count();
    assert_eq!(tables[2].rows.len(), visits_today);

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    demo::write_new(&db, &DemoParams::new(Scale::Demo, now())).unwrap();
    let out = dir.path().join("report.csv");
    succeeded(&heatdesk(
        &db,
        &[
            "report",
            "--date",
            "2026-11-27",
            "--out",
            out.to_str().unwrap(),
        ],
    ));
    // one CSV per sheet (the audit chains' last links and the season's trend among them), and
    // the city map beside them
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("report"))
        .collect();
    assert_eq!(names.len(), 6, "{names:?}");
    for sheet in ["report-审计链.csv", "report-每日趋势.csv"] {
        assert!(names.contains(&sheet.to_string()), "{names:?}");
    }
    assert!(
        names.contains(&"report-城市地图.png".to_string()),
        "{names:?}"
    );
}

#[test]
fn layers_go_out_as_geojson_and_tickets_as_a_masked_table() {
    use heatdesk::exchange::{Kind, writer::write};
    use heatdesk::export::layers;
    let city = demo::generate(&DemoParams::new(Scale::Demo, now()));
    let snap = &city.snapshot;
    let dir = tempfile::tempdir().unwrap();
    for (layer, count, kind) in [
        (Kind::Compounds, snap.compounds.len(), "Polygon"),
        (Kind::Buildings, snap.buildings.len(), "Polygon"),
        (Kind::Pipes, snap.segments.len(), "LineString"),
        (Kind::Stations, snap.stations.len(), "Point"),
        (Kind::Valves, snap.valves.len(), "Point"),
    ] {
        let path = dir.path().join(format!("{layer:?}.geojson"));
        assert_eq!(write(snap, layer, &path, false).unwrap(), count);
        let text = std::fs::read_to_string(&path).unwrap();
        let back: geojson::FeatureCollection = text
            .parse::<geojson::GeoJson>()
            .unwrap()
            .try_into()
            .unwrap();
        assert_eq!(back.features.len(), count, "{layer:?}");
        let g = back.features[0].geometry.as_ref().unwrap();
        assert_eq!(g.value.type_name(), kind);
        if let geojson::GeometryValue::Polygon { coordinates } = &g.value {
            assert_eq!(coordinates[0].first(), coordinates[0].last(), "closed ring");
        }
    }
    let first = &snap.compounds[0];
    let text = std::fs::read_to_string(dir.path().join("Compounds.geojson")).unwrap();
    assert!(text.contains(&first.name), "names travel as written");

    let open: Vec<i64> = snap
        .tickets
        .iter()
        .filter(|t| t.status.is_open())
        .map(|t| t.id)
        .collect();
    let table = layers::tickets(snap, &open, Lang::Zh);
    assert_eq!(table.rows.len(), open.len());
    let t = snap.ticket(open[0]).unwrap();
    let reporter = table.rows[0][6].to_string();
    assert!(!reporter.contains(&t.reporter_phone), "{reporter}");
    assert!(reporter.contains("****"));
}

#[test]
fn the_export_command_writes_a_layer_or_the_tickets() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    demo::write_new(&db, &DemoParams::new(Scale::Demo, now())).unwrap();
    let run = |args: &[&str]| heatdesk(&db, args);
    let pipes = dir.path().join("pipes.geojson");
    let out = run(&[
        "export",
        "--layer",
        "pipes",
        "--out",
        pipes.to_str().unwrap(),
    ]);
    assert!(succeeded(&out).contains("3458 pipes"));
    let tickets = dir.path().join("open.xlsx");
    let out = run(&[
        "export",
        "--tickets",
        "--open",
        "--out",
        tickets.to_str().unwrap(),
    ]);
    succeeded(&out);
    assert!(std::fs::read(&tickets).unwrap().starts_with(b"PK"));
    let neither = run(&["export", "--out", "x.csv"]);
    assert!(!neither.status.success());
}

/// The daily report's workbook as Excel reads it: the KPI cells are numbers (percentages and
/// ‰ as number formats, a missing value an empty cell), and the season's daily trend is on its
/// sheet with a native line chart of the three rates.
#[test]
fn the_daily_reports_figures_are_numbers_with_formats_and_the_trend_is_charted() {
    use calamine::{Data, Reader};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    demo::write_new(&db, &DemoParams::new(Scale::Demo, now())).unwrap();
    let out = dir.path().join("report.xlsx");
    succeeded(&heatdesk(
        &db,
        &[
            "report",
            "--date",
            "2026-11-27",
            "--out",
            out.to_str().unwrap(),
        ],
    ));
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&out).unwrap();
    let names = book.sheet_names();
    assert!(names.iter().any(|n| n == "每日趋势"), "{names:?}");
    let kpis = book.worksheet_range(&names[0]).unwrap();
    let rows: Vec<&[Data]> = kpis.rows().collect();
    assert!(rows.len() > 2);
    // the city's row: complaints (a count), then the four figures
    let city = rows.last().unwrap();
    assert_eq!(city[0], Data::String("全市".into()));
    assert!(
        matches!(city[1], Data::Float(_) | Data::Int(_)),
        "{:?}",
        city[1]
    );
    for (i, cell) in city[2..6].iter().enumerate() {
        match cell {
            Data::Float(v) => {
                assert!(*v >= 0.0, "figure {i}: {v}");
                // the rates are ratios (0..1) formatted as percentages, not 87.5 or "87.5%"
                if i > 0 {
                    assert!(*v <= 1.0, "figure {i}: {v}");
                }
            }
            Data::Empty => {}
            other => panic!("figure {i} is not a number: {other:?}"),
        }
    }
    assert!(
        rows.iter()
            .skip(1)
            .all(|r| r[2..6].iter().all(|c| !matches!(c, Data::String(_)))),
        "no KPI cell is text"
    );
    // the trend: a row per day of the season so far, numbers or empty
    let trend = book.worksheet_range("每日趋势").unwrap();
    let days = trend.rows().count() - 1;
    let season = (now().date() - heatdesk::domain::season::season_start(now().date())).num_days();
    assert_eq!(days as i64, season + 1);
    assert!(
        trend
            .rows()
            .skip(1)
            .any(|r| matches!(r[2], Data::Float(v) if (0.0..=1.0).contains(&v)))
    );
    // the formats and the chart, as stored in the workbook
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&out).unwrap()).unwrap();
    let part = |zip: &mut zip::ZipArchive<std::fs::File>, name: &str| {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut zip.by_name(name).unwrap(), &mut s).unwrap();
        s
    };
    let styles = part(&mut zip, "xl/styles.xml");
    assert!(styles.contains("formatCode=\"0.0%\""), "{styles}");
    assert!(styles.contains("0.00&quot;‰&quot;"), "{styles}");
    let chart = part(&mut zip, "xl/charts/chart1.xml");
    assert!(chart.contains("<c:lineChart>"), "{chart}");
    assert_eq!(chart.matches("<c:ser>").count(), 3, "three rates drawn");
    assert!(
        chart.contains("每日趋势"),
        "the series read the trend sheet"
    );
}
