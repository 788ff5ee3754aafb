//! A company's files in: the demo city out and back in with the same figures, GBK sheets with
//! Chinese headers, pipes snapped into a network, and every kind of bad file refused with its
//! row and field named and the database untouched.

use crate::common;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use common::{heatdesk, succeeded};
use heatdesk::demo::{self, DemoParams, Scale};
use heatdesk::domain::kpi::{self, KpiRules};
use heatdesk::domain::trace::{Network, TraceFrom};
use heatdesk::domain::{Snapshot, Timestamp};
use heatdesk::exchange::{self, Failure, Kind, Options, Progress, Report};
use heatdesk::store::{DispatchStore, SqliteStore};
use heatdesk::words::Lang;

fn now() -> Timestamp {
    demo::noon(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap())
}

fn import(db: &Path, kind: Kind, file: &Path) -> Result<Report, Failure> {
    let mut store = SqliteStore::open(db).unwrap();
    exchange::import(
        &mut store,
        file,
        &Options::new(kind, now()),
        &Progress::default(),
    )
}

/// Every row of every table, in order: equal dumps are equal databases.
fn dump(db: &Path) -> String {
    let conn = rusqlite::Connection::open(db).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut out = String::new();
    for t in tables {
        let mut st = conn
            .prepare(&format!("SELECT * FROM {t} ORDER BY 1, 2"))
            .unwrap();
        let n = st.column_count();
        let mut rows = st.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            let values: Vec<rusqlite::types::Value> = (0..n).map(|i| r.get(i).unwrap()).collect();
            out.push_str(&format!("{t} {values:?}\n"));
        }
    }
    out
}

fn load(db: &Path) -> Snapshot {
    SqliteStore::open(db).unwrap().load().unwrap()
}

/// The demo city out as files (spatial kinds as GeoJSON or CSV with WKT), in import order.
fn export_city(snap: &Snapshot, dir: &Path, geojson: bool) -> Vec<(Kind, PathBuf)> {
    Kind::import_order()
        .iter()
        .map(|&kind| {
            let ext = if geojson && kind.geometry().is_some() {
                "geojson"
            } else {
                "csv"
            };
            let path = dir.join(format!("{}.{ext}", kind.code()));
            let n = exchange::writer::write(snap, kind, &path, true).unwrap();
            assert!(n > 0, "{kind:?} exported nothing");
            (kind, path)
        })
        .collect()
}

#[test]
fn the_demo_city_goes_out_and_comes_back_with_the_same_figures() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src.db");
    demo::write_new(&src, &DemoParams::new(Scale::Demo, now())).unwrap();
    let before = load(&src);
    for geojson in [true, false] {
        let files = dir.path().join(format!("files-{geojson}"));
        std::fs::create_dir(&files).unwrap();
        let exported = export_city(&before, &files, geojson);
        let dst = dir.path().join(format!("dst-{geojson}.db"));
        SqliteStore::create(&dst).unwrap();
        for (kind, path) in &exported {
            let report = import(&dst, *kind, path).unwrap_or_else(|f| panic!("{f}"));
            assert!(report.written);
            assert_eq!(report.inserted, report.rows, "{kind:?}: all new");
            if *kind == Kind::Pipes {
                let net = report.network.expect("pipes are checked as a network");
                assert_eq!(net.unreached_total, 0, "every building is fed");
                assert_eq!(net.dangling_total, 0);
            }
        }
        let after = load(&dst);
        assert_eq!(after.departments, before.departments);
        assert_eq!(after.compounds, before.compounds);
        assert_eq!(after.buildings, before.buildings);
        assert_eq!(after.sources, before.sources);
        assert_eq!(after.stations, before.stations);
        assert_eq!(after.nodes, before.nodes);
        assert_eq!(after.segments, before.segments);
        assert_eq!(after.valves, before.valves);
        assert_eq!(after.visits, before.visits);
        assert_eq!(after.readings, before.readings);
        assert_eq!(after.surveys, before.surveys);
        assert_eq!(after.teams.len(), before.teams.len());
        for (a, b) in after.teams.iter().zip(&before.teams) {
            // where a team is right now is the console's business, not the file's
            assert_eq!(
                (&a.name, &a.members, &a.skills, a.home_base),
                (&b.name, &b.members, &b.skills, b.home_base)
            );
        }
        assert_eq!(after.tickets.len(), before.tickets.len());
        for (a, b) in after.tickets.iter().zip(&before.tickets) {
            let mut b = b.clone();
            b.version = a.version; // a fresh row starts at version 1
            assert_eq!(*a, b);
        }
        let rules = KpiRules::default();
        let season = now() - chrono::Duration::days(60);
        assert_eq!(
            kpi::city_kpis(&after, season, now(), now(), &rules),
            kpi::city_kpis(&before, season, now(), now(), &rules)
        );
        assert_eq!(
            kpi::breakdown(&after, season, now(), now(), &rules),
            kpi::breakdown(&before, season, now(), now(), &rules)
        );
        let station = before.stations[3].node;
        assert_eq!(
            Network::build(&after)
                .downstream(TraceFrom::Node(station))
                .buildings,
            Network::build(&before)
                .downstream(TraceFrom::Node(station))
                .buildings
        );

        // the same files again update the rows they made, never duplicate them
        let tickets = &exported
            .iter()
            .find(|(k, _)| *k == Kind::Tickets)
            .unwrap()
            .1;
        let again = import(&dst, Kind::Tickets, tickets).unwrap();
        assert_eq!((again.inserted, again.updated), (0, before.tickets.len()));
        let compounds = &exported
            .iter()
            .find(|(k, _)| *k == Kind::Compounds)
            .unwrap()
            .1;
        let again = import(&dst, Kind::Compounds, compounds).unwrap();
        assert_eq!((again.inserted, again.updated), (0, before.compounds.len()));
        let twice = load(&dst);
        assert_eq!(twice.tickets.len(), before.tickets.len());
        assert_eq!(twice.compounds, before.compounds);
    }
}

fn gbk(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable);
    bytes.into_owned()
}

#[test]
fn a_gbk_sheet_with_chinese_headers_imports_and_updates_by_its_own_ids() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("co.db");
    SqliteStore::create(&db).unwrap();
    let departments = dir.path().join("服务部.csv");
    std::fs::write(
        &departments,
        gbk("编号,部门名称\r\nD-01,城西供热服务部\r\nD-02,城东供热服务部\r\n"),
    )
    .unwrap();
    let report = import(&db, Kind::Departments, &departments).unwrap();
    assert_eq!(report.encoding, "CSV, GBK/GB18030");
    assert_eq!(report.inserted, 2);

    let compounds = dir.path().join("小区.csv");
    let sheet = "小区编号,小区名称,地址,所属部门,户数,几何,备注\r\n\
        XQ-0012,工银新村,建设路1号,D-02,120,\"POLYGON ((112.53 37.85, 112.54 37.85, 112.54 37.86, 112.53 37.86, 112.53 37.85))\",老小区\r\n";
    std::fs::write(&compounds, gbk(sheet)).unwrap();
    let report = import(&db, Kind::Compounds, &compounds).unwrap();
    assert_eq!(
        report.ignored,
        ["备注"],
        "an unknown column is named, not an error"
    );
    let snap = load(&db);
    let c = &snap.compounds[0];
    assert_eq!(
        (c.name.as_str(), c.address.as_str(), c.households),
        ("工银新村", "建设路1号", 120)
    );
    assert_eq!(
        snap.department(c.department_id).unwrap().name,
        "城东供热服务部"
    );
    assert_eq!(c.outline.len(), 5);

    // the sheet again, with a new figure: the same row changes
    std::fs::write(&compounds, gbk(&sheet.replace(",120,", ",130,"))).unwrap();
    let report = import(&db, Kind::Compounds, &compounds).unwrap();
    assert_eq!((report.inserted, report.updated), (0, 1));
    let snap = load(&db);
    assert_eq!(snap.compounds.len(), 1);
    assert_eq!(snap.compounds[0].households, 130);
}

/// A department, a compound, a station at (112.51, 37.80) and a heat source at (112.50, 37.80).
fn small_city(dir: &Path) -> PathBuf {
    let db = dir.join("small.db");
    SqliteStore::create(&db).unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    for (kind, name, text) in [
        (Kind::Departments, "d.csv", "id,name\n1,城西\n"),
        (
            Kind::Compounds,
            "c.csv",
            "id,name,department_id,households,wkt\n1,工银新村,1,200,\"POLYGON ((112.519 37.799, 112.531 37.799, 112.531 37.812, 112.519 37.812, 112.519 37.799))\"\n",
        ),
        (
            Kind::Sources,
            "s.csv",
            "id,name,lon,lat\n1,第一热电厂,112.50,37.80\n",
        ),
        (
            Kind::Stations,
            "st.csv",
            "id,name,department_id,lon,lat\n1,工银换热站,1,112.51,37.80\n",
        ),
    ] {
        let file = write(name, text);
        import(&db, kind, &file).unwrap_or_else(|f| panic!("{f}"));
    }
    db
}

fn square(lon: f64, lat: f64) -> String {
    let d = 0.0002;
    format!(
        "[[[{lon},{lat}],[{},{lat}],[{},{}],[{lon},{}],[{lon},{lat}]]]",
        lon + d,
        lon + d,
        lat + d,
        lat + d
    )
}

#[test]
fn pipes_drawn_in_gis_snap_into_a_network_that_flows_from_the_source() {
    let dir = tempfile::tempdir().unwrap();
    let db = small_city(dir.path());
    let buildings = dir.path().join("buildings.geojson");
    let feature = |id: u32, lon: f64| {
        format!(
            r#"{{"type":"Feature","properties":{{"id":"B{id}","compound_id":1,"number":"{id}号楼","households":24,"station_id":1}},
               "geometry":{{"type":"Polygon","coordinates":{}}}}}"#,
            square(lon, 37.80)
        )
    };
    std::fs::write(
        &buildings,
        format!(
            r#"{{"type":"FeatureCollection","features":[{},{},{}]}}"#,
            feature(1, 112.520),
            feature(2, 112.522),
            feature(3, 112.530)
        ),
    )
    .unwrap();
    import(&db, Kind::Buildings, &buildings).unwrap_or_else(|f| panic!("{f}"));

    // about a metre off at the joints, and the first pipe drawn from the station to the source
    let j = [112.515, 37.80];
    let off = 0.00001; // ~0.9 m
    let line = |id: &str, tier: &str, a: [f64; 2], b: [f64; 2]| {
        format!(
            r#"{{"type":"Feature","properties":{{"id":"{id}","tier":"{tier}","dn":200}},
               "geometry":{{"type":"LineString","coordinates":[[{},{}],[{},{}]]}}}}"#,
            a[0], a[1], b[0], b[1]
        )
    };
    let pipes = dir.path().join("pipes.geojson");
    let features = [
        line("P1", "一次网", [112.51 + off, 37.80], [112.50, 37.80 + off]),
        line("P2", "二次网", [112.51, 37.80 - off], j),
        line("P3", "二次网", [j[0] + off, j[1]], [112.5201, 37.8001]),
        line("P4", "二次网", [j[0], j[1] + off], [112.5221, 37.8001]),
        line("P5", "二次网", j, [112.515, 37.81]),
    ];
    std::fs::write(
        &pipes,
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",")
        ),
    )
    .unwrap();
    let report = import(&db, Kind::Pipes, &pipes).unwrap_or_else(|f| panic!("{f}"));
    let net = report.network.clone().unwrap();
    assert_eq!(net.segments, 5);
    assert_eq!(
        net.new_junctions, 2,
        "the joint and the dangling end:\n{report}"
    );
    assert_eq!(net.dangling_total, 1, "{report}");
    assert!((net.dangling[0].1[1] - 37.81).abs() < 1e-9);
    assert_eq!(net.reversed, 1, "the pipe drawn backwards is turned round");
    assert_eq!(net.unreached_total, 1, "{report}");
    assert!(net.unreached[0].1.contains("3号楼"), "{:?}", net.unreached);
    let text = report.to_string();
    assert!(
        text.contains("dangling ends: 1") && text.contains("3号楼"),
        "{text}"
    );

    let snap = load(&db);
    let source = snap.sources[0].node;
    let p1 = snap.segments.iter().find(|s| s.id == 1).unwrap();
    assert_eq!(p1.from, source, "P1 flows from the source");
    assert_eq!(p1.path[0], [112.50, 37.80 + off], "its path turned with it");
    let fed = Network::build(&snap)
        .downstream(TraceFrom::Node(snap.stations[0].node))
        .buildings;
    assert_eq!(fed.len(), 2);
}

#[test]
fn gcj02_coordinates_are_converted_and_a_dry_run_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = small_city(dir.path());
    let file = dir.path().join("stations.csv");
    std::fs::write(
        &file,
        "id,name,department_id,lon,lat\n2,新站,1,112.5230,37.8010\n",
    )
    .unwrap();
    let before = dump(&db);
    let mut store = SqliteStore::open(&db).unwrap();
    let mut options = Options::new(Kind::Stations, now());
    options.crs = Some(heatdesk::exchange::crs::Crs::Gcj02);
    options.check = true;
    let report = exchange::import(&mut store, &file, &options, &Progress::default()).unwrap();
    assert!(!report.written);
    assert_eq!(report.inserted, 1);
    drop(store);
    assert_eq!(dump(&db), before, "a dry run changes nothing");

    let mut store = SqliteStore::open(&db).unwrap();
    options.check = false;
    exchange::import(&mut store, &file, &options, &Progress::default()).unwrap();
    let station = load(&db)
        .stations
        .into_iter()
        .find(|s| s.name == "新站")
        .unwrap();
    let (lon, lat) = coordtransform_expected(112.5230, 37.8010);
    assert!((station.position[0] - lon).abs() < 1e-9 && (station.position[1] - lat).abs() < 1e-9);
    // GCJ-02 sits a few hundred metres off WGS-84 in China
    assert!((station.position[0] - 112.5230).abs() > 1e-4);
}

/// A courtyard block (回字楼) and a compound on both sides of a road come in whole — holes and
/// parts kept, drawn and hit as drawn — and go out again as the same Polygon and MultiPolygon.
#[test]
fn courtyards_and_compounds_in_parts_are_kept_and_go_out_as_they_came() {
    let dir = tempfile::tempdir().unwrap();
    let db = small_city(dir.path());
    // a second part east of the first, across a road
    let compounds = dir.path().join("compounds.geojson");
    std::fs::write(
        &compounds,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","id":1,
          "properties":{"name":"工银新村","department_id":1,"households":200},
          "geometry":{"type":"MultiPolygon","coordinates":[
            [[[112.519,37.799],[112.531,37.799],[112.531,37.812],[112.519,37.812],[112.519,37.799]]],
            [[[112.533,37.799],[112.537,37.799],[112.537,37.803],[112.533,37.803],[112.533,37.799]]]]}}]}"#,
    )
    .unwrap();
    import(&db, Kind::Compounds, &compounds).unwrap_or_else(|f| panic!("{f}"));
    // 40 m x 40 m with a 20 m x 20 m courtyard, as WKT in a sheet
    let (x0, y0, d, h) = (112.5240, 37.8040, 0.00046, 0.00023);
    let ring = |x: f64, y: f64, w: f64| {
        format!(
            "({x} {y}, {} {y}, {} {}, {x} {}, {x} {y})",
            x + w,
            x + w,
            y + w,
            y + w
        )
    };
    let buildings = dir.path().join("buildings.csv");
    std::fs::write(
        &buildings,
        format!(
            "id,compound_id,number,households,station_id,wkt
1,1,回字楼,80,1,\"POLYGON ({}, {})\"\n",
            ring(x0, y0, d),
            ring(x0 + h / 2.0, y0 + h / 2.0, h)
        ),
    )
    .unwrap();
    let report = import(&db, Kind::Buildings, &buildings).unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(report.inserted, 1);

    let snap = load(&db);
    let (c, b) = (&snap.compounds[0], &snap.buildings[0]);
    assert_eq!((c.extra.holes.len(), c.extra.parts.len()), (0, 1));
    assert!(
        (c.outline[1][0] - 112.531).abs() < 1e-9,
        "the larger part is the outline"
    );
    assert_eq!((b.extra.holes.len(), b.extra.parts.len()), (1, 0));
    let index = heatdesk::map::index::CityIndex::build(&snap);
    let centre = [x0 + d / 2.0, y0 + d / 2.0];
    assert_eq!(
        index.building_at(&snap, centre),
        None,
        "the courtyard is no building"
    );
    assert_eq!(
        index.building_at(&snap, [x0 + d * 0.1, y0 + d / 2.0]),
        Some(0)
    );
    assert_eq!(index.compound_at(&snap, centre), Some(0));
    assert_eq!(
        index.compound_at(&snap, [112.535, 37.801]),
        Some(0),
        "the part across the road"
    );
    assert_eq!(
        index.compound_at(&snap, [112.532, 37.801]),
        None,
        "the road"
    );
    assert_eq!(index.buildings[0].rings(&b.footprint).count(), 2);
    assert_eq!(index.compounds[0].rings(&c.outline).count(), 2);
    // the fill covers the ring and not the courtyard: 40² - 20² of 40²
    let area: f64 = {
        let p = index.buildings[0].points(&b.footprint);
        index.buildings[0]
            .triangles
            .chunks_exact(3)
            .map(|t| {
                let [a, b, c] = [p[t[0] as usize], p[t[1] as usize], p[t[2] as usize]];
                ((b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1])).abs() / 2.0
            })
            .sum()
    };
    assert!((area / (d * d) - 0.75).abs() < 1e-6, "{}", area / (d * d));

    // out as GeoJSON and as WKT, and back into an empty database: the same rings
    for out in ["c.geojson", "b.geojson", "b.csv", "c.csv"] {
        let kind = if out.starts_with('c') {
            Kind::Compounds
        } else {
            Kind::Buildings
        };
        let path = dir.path().join(out);
        exchange::writer::write(&snap, kind, &path, false).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let expected = match (kind, out.ends_with("csv")) {
            (Kind::Compounds, false) => "\"MultiPolygon\"",
            (Kind::Compounds, true) => "MULTIPOLYGON (((",
            (_, false) => "\"Polygon\"",
            (_, true) => "POLYGON ((",
        };
        assert!(text.contains(expected), "{out}: {text}");
    }
    let elsewhere = dir.path().join("again");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let empty = small_city(&elsewhere);
    for out in ["c.csv", "b.geojson"] {
        let kind = if out.starts_with('c') {
            Kind::Compounds
        } else {
            Kind::Buildings
        };
        import(&empty, kind, &dir.path().join(out)).unwrap_or_else(|f| panic!("{f}"));
    }
    let again = load(&empty);
    assert_eq!(again.compounds, snap.compounds);
    assert_eq!(again.buildings[0].footprint, b.footprint);
    assert_eq!(again.buildings[0].extra, b.extra);
}

fn coordtransform_expected(lon: f64, lat: f64) -> (f64, f64) {
    let mut shape = exchange::shape::Shape::Point([lon, lat]);
    exchange::shape::gcj02_to_wgs84(&mut shape);
    match shape {
        exchange::shape::Shape::Point(p) => (p[0], p[1]),
        _ => unreachable!(),
    }
}

const TICKET_HEAD: &str = "id,channel,category,building_id,created_at\n";

/// A bad file: what it is, its kind and name and bytes, and what its problem must say.
type BadFile = (&'static str, Kind, &'static str, Vec<u8>, Vec<&'static str>);

fn bad_files() -> Vec<BadFile> {
    let polygon = |coords: &str| {
        format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"id":"X","name":"坏小区","department_id":1,"households":10}},"geometry":{{"type":"Polygon","coordinates":[{coords}]}}}}]}}"#
        )
        .into_bytes()
    };
    vec![
        (
            "malformed JSON",
            Kind::Compounds,
            "c.geojson",
            br#"{"type":"FeatureCollection","features":[{"type":"Feature","#.to_vec(),
            vec!["malformed JSON", "line 1"],
        ),
        (
            "a ring of three points",
            Kind::Compounds,
            "c.geojson",
            polygon("[[112.52,37.80],[112.53,37.80],[112.52,37.80]]"),
            vec!["feature 1", "3 points", "at least 4"],
        ),
        (
            "an unclosed ring",
            Kind::Compounds,
            "c.geojson",
            polygon("[[112.52,37.80],[112.53,37.80],[112.53,37.81],[112.52,37.81]]"),
            vec!["feature 1", "not closed"],
        ),
        (
            "a self-intersecting ring",
            Kind::Compounds,
            "c.geojson",
            polygon("[[112.52,37.80],[112.53,37.81],[112.53,37.80],[112.52,37.81],[112.52,37.80]]"),
            vec!["feature 1", "invalid polygon"],
        ),
        (
            "an empty multipolygon",
            Kind::Compounds,
            "c.geojson",
            br#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"X","name":"x","department_id":1,"households":10},"geometry":{"type":"MultiPolygon","coordinates":[]}}]}"#.to_vec(),
            vec!["feature 1", "geometry is empty"],
        ),
        (
            "an empty coordinate",
            Kind::Compounds,
            "c.geojson",
            polygon("[[112.52,37.80],[112.53,null],[112.53,37.81],[112.52,37.80]]"),
            vec!["feature 1", "coordinate null is not a number"],
        ),
        (
            "a NaN coordinate",
            Kind::Stations,
            "s.csv",
            b"id,name,department_id,lon,lat\n2,x,1,NaN,37.8\n".to_vec(),
            vec!["row 2", "not a number"],
        ),
        (
            "an empty longitude",
            Kind::Stations,
            "s.csv",
            b"id,name,department_id,lon,lat\n2,x,1,,37.8\n".to_vec(),
            vec!["row 2", "longitude \"\" is not a number"],
        ),
        (
            "latitude and longitude swapped",
            Kind::Stations,
            "s.csv",
            b"id,name,department_id,lon,lat\n2,x,1,37.8,112.52\n".to_vec(),
            vec!["row 2", "longitude first"],
        ),
        (
            "Gauss-Krüger metres without their zone",
            Kind::Stations,
            "s.csv",
            b"id,name,department_id,lon,lat\n2,x,1,500123.5,4190000.2\n".to_vec(),
            vec!["Gauss-Krüger metres without the zone number", "--crs EPSG:"],
        ),
        (
            "projected metres of no system the file names",
            Kind::Stations,
            "s.csv",
            b"id,name,department_id,lon,lat\n2,x,1,12345678.5,4190000.2\n".to_vec(),
            vec!["projected metres", "--crs"],
        ),
        (
            "an unknown category",
            Kind::Tickets,
            "t.csv",
            format!("{TICKET_HEAD}9,hotline,heating_broken,B1,2026-11-27 08:00\n").into_bytes(),
            vec!["row 2, field category (类别)", "unknown value \"heating_broken\""],
        ),
        (
            "an unknown channel",
            Kind::Tickets,
            "t.csv",
            format!("{TICKET_HEAD}9,飞鸽传书,no_heat,B1,2026-11-27 08:00\n").into_bytes(),
            vec!["row 2, field channel (渠道)", "unknown value \"飞鸽传书\""],
        ),
        (
            "a building that does not exist",
            Kind::Tickets,
            "t.csv",
            format!("{TICKET_HEAD}9,hotline,no_heat,B77,2026-11-27 08:00\n").into_bytes(),
            vec!["row 2, field building_id (楼栋编号)", "no building with id \"B77\""],
        ),
        (
            "a duplicate id",
            Kind::Tickets,
            "t.csv",
            format!(
                "{TICKET_HEAD}9,hotline,no_heat,B1,2026-11-27 08:00\n9,来电,不热,B1,2026-11-27 09:00\n"
            )
            .into_bytes(),
            vec!["row 3, field id (工单号)", "duplicate id \"9\" (first at row 2)"],
        ),
        (
            "a wrong date format",
            Kind::Tickets,
            "t.csv",
            format!("{TICKET_HEAD}9,hotline,no_heat,B1,27.11.2026 8:00\n").into_bytes(),
            vec!["row 2, field created_at (受理时间)", "\"27.11.2026 8:00\" is not a date"],
        ),
        (
            "a buildings file imported as compounds",
            Kind::Compounds,
            "c.csv",
            b"id,compound_id,number,households,station_id,wkt\n".to_vec(),
            vec!["missing column(s) name (小区名称)", "look like a buildings file"],
        ),
        (
            "a workbook instead of CSV",
            Kind::Tickets,
            "t.csv",
            b"PK\x03\x04\x14\x00\x06\x00".to_vec(),
            vec!["Excel workbook"],
        ),
    ]
}

#[test]
fn every_bad_file_names_its_row_and_field_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = small_city(dir.path());
    let b = dir.path().join("b.geojson");
    std::fs::write(
        &b,
        format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"id":"B1","compound_id":1,"number":"1号楼","households":24,"station_id":1}},"geometry":{{"type":"Polygon","coordinates":{}}}}}]}}"#,
            square(112.52, 37.80)
        ),
    )
    .unwrap();
    import(&db, Kind::Buildings, &b).unwrap();
    // a good row before the bad one: it must not land either
    let good_first = |bytes: &[u8], kind: Kind| -> Vec<u8> {
        if kind != Kind::Tickets || !bytes.starts_with(TICKET_HEAD.as_bytes()) {
            return bytes.to_vec();
        }
        let mut out = TICKET_HEAD.as_bytes().to_vec();
        out.extend_from_slice(b"1,hotline,no_heat,B1,2026-11-27 07:00\n");
        out.extend_from_slice(&bytes[TICKET_HEAD.len()..]);
        out
    };
    for (what, kind, name, bytes, expected) in bad_files() {
        let before = dump(&db);
        let path = dir.path().join(name);
        let bytes = good_first(&bytes, kind);
        std::fs::write(&path, &bytes).unwrap();
        let failure = match import(&db, kind, &path) {
            Ok(report) => panic!("{what}: imported\n{report}"),
            Err(f) => f,
        };
        let shown = failure.to_string();
        for e in &expected {
            // the good first row shifts a ticket problem down a row
            let e = if kind == Kind::Tickets && bytes.len() > TICKET_HEAD.len() + 10 {
                e.replace("row 3", "row 4").replace("row 2", "row 3")
            } else {
                e.to_string()
            };
            assert!(shown.contains(&e), "{what}: expected {e:?} in\n{shown}");
        }
        assert!(shown.contains(name), "{what}: names the file\n{shown}");
        // and in Chinese: the same place, in words a clerk reads (no English sentence left)
        for p in &failure.problems {
            let zh = p.text(Lang::Zh);
            if let Some(loc) = p.loc {
                assert!(zh.starts_with(&loc.text(Lang::Zh)), "{what}: {zh}");
            }
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{what}: {zh}"
            );
            assert_ne!(p.message.zh, p.message.en, "{what}: {zh}");
            let english = [
                "is not",
                "missing",
                "unknown",
                "expected",
                "duplicate",
                "no ",
                "the ",
            ];
            let said = p
                .message
                .zh
                .split(['：', '（'])
                .next()
                .unwrap_or_default()
                .to_string();
            assert!(!english.iter().any(|w| said.contains(w)), "{what}: {zh}");
        }
        assert_eq!(dump(&db), before, "{what}: the database changed");
    }
}

#[test]
fn a_file_full_of_mistakes_lists_the_first_hundred_and_counts_them_all() {
    let dir = tempfile::tempdir().unwrap();
    let db = small_city(dir.path());
    let mut text = TICKET_HEAD.to_string();
    for i in 0..150 {
        text.push_str(&format!("{i},hotline,no_heat,B404,2026-11-27 08:00\n"));
    }
    let path = dir.path().join("t.csv");
    std::fs::write(&path, text).unwrap();
    let failure = import(&db, Kind::Tickets, &path).unwrap_err();
    assert_eq!(failure.total, 150);
    assert_eq!(failure.problems.len(), 100);
    assert!(failure.to_string().contains("… and 50 more"));
}

#[test]
fn the_import_command_prints_the_report_or_the_problems_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let db = small_city(dir.path());
    let bad = dir.path().join("teams.csv");
    std::fs::write(
        &bad,
        "id,name,department_id,skills,lon,lat\n1,一班,1,弹钢琴,112.52,37.80\n",
    )
    .unwrap();
    let before = dump(&db);
    let bad = bad.to_str().unwrap();
    let out = heatdesk(&db, &["import", "teams", bad, "--english"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("teams.csv: row 2, field skills (技能): unknown skill \"弹钢琴\""),
        "{err}"
    );
    assert!(err.contains("nothing was imported"), "{err}");
    // Chinese unless --english, as the other commands
    let out = heatdesk(&db, &["import", "teams", bad]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("teams.csv：第 2 行，技能（skills）：无法识别的技能“弹钢琴”"),
        "{err}"
    );
    assert!(err.contains("未导入任何数据"), "{err}");
    assert_eq!(dump(&db), before);

    let good = dir.path().join("teams-ok.csv");
    std::fs::write(
        &good,
        "班组编号,班组名称,部门编号,成员,技能,经度,纬度\n1,一班,1.0,张三、李四,阀门,112.52,37.80\n",
    )
    .unwrap();
    let checked = succeeded(&heatdesk(
        &db,
        &[
            "import",
            "teams",
            good.to_str().unwrap(),
            "--check",
            "--english",
        ],
    ));
    assert!(
        checked.contains("checked (nothing written): 1 row(s), 1 new"),
        "{checked}"
    );
    assert_eq!(dump(&db), before);
    let done = succeeded(&heatdesk(&db, &["import", "teams", good.to_str().unwrap()]));
    assert!(done.contains("已导入 1 行，新增 1，更新 0"), "{done}");
    let team = load(&db).teams.remove(0);
    assert_eq!(team.members, ["张三", "李四"]);
    assert_eq!(team.skills, [heatdesk::domain::Skill::Valve]);

    let exported = dir.path().join("teams-out.csv");
    succeeded(&heatdesk(
        &db,
        &[
            "export",
            "--layer",
            "teams",
            "--out",
            exported.to_str().unwrap(),
        ],
    ));
    let text = std::fs::read_to_string(&exported).unwrap();
    assert!(
        text.contains("张三,李四") && text.contains("POINT (112.52 37.8)"),
        "{text}"
    );
}

/// A file as the window system hands it over when dropped on the console.
#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

/// Run frames until the import worker is done (a few seconds at most).
fn until_imported(harness: &mut egui_kittest::Harness<'static, heatdesk::ui::HeatDeskApp>) {
    for _ in 0..200 {
        harness.run_steps(1);
        if !harness.state().import.running() && harness.state().import.outcome.is_some() {
            harness.run_steps(2);
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    panic!(
        "the import did not finish: running {} outcome {:?} previewing {}",
        harness.state().import.running(),
        harness.state().import.outcome.is_some(),
        harness.state().import.previewing()
    );
}

#[test]
fn a_sheet_dropped_on_the_console_is_checked_imported_and_shown() {
    use egui_kittest::kittest::Queryable;
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, db) = common::console::console(dir.path());
    harness.run_steps(2);
    let teams_before = harness.state().snap().teams.len();

    // a sheet with a mistake, through the window
    let bad = dir.path().join("teams-bad.csv");
    std::fs::write(
        &bad,
        gbk("班组编号,班组名称,部门编号,技能,经度,纬度\nN1,城南抢修三班,1,焊接抢修,37.85,112.53\n"),
    )
    .unwrap();
    let before = dump(&db);
    harness.get_by_label("导入").click();
    harness.run_steps(4);
    {
        let form = &mut harness.state_mut().import;
        form.kind = Some(Kind::Teams);
        form.path = bad.display().to_string();
    }
    harness.run_steps(1);
    harness.get_by_label("开始导入").click();
    until_imported(&mut harness);
    assert!(
        harness
            .query_all_by_value("未导入，数据库未改动: 1 个问题")
            .next()
            .is_some(),
        "the failure is shown"
    );
    assert!(
        harness
            .query_all_by_value("  teams-bad.csv：第 2 行：几何：第 1 个坐标（37.85, 112.53）像是纬度在前：应为经度在前")
            .next()
            .is_some(),
        "with its row, in the console's language"
    );
    harness.state_mut().prefs.lang = heatdesk::words::Lang::En;
    harness.run_steps(2);
    assert!(
        harness
            .query_all_by_value("  teams-bad.csv: row 2: geometry: coordinate 1 (37.85, 112.53) looks like latitude, longitude: the order is longitude first")
            .next()
            .is_some(),
        "and again in English when the language is switched"
    );
    harness.state_mut().prefs.lang = heatdesk::words::Lang::Zh;
    harness.run_steps(2);
    assert_eq!(dump(&db), before);

    // the mended sheet dropped on the window: the kind comes from its name
    let good = dir.path().join("班组.csv");
    std::fs::write(
        &good,
        gbk("班组编号,班组名称,部门编号,技能,经度,纬度\nN1,城南抢修三班,1,焊接抢修,112.53,37.85\n"),
    )
    .unwrap();
    harness
        .input_mut()
        .dropped_files
        .push(std::sync::Arc::new(Dropped(good.clone())));
    harness.run_steps(2);
    assert_eq!(harness.state().import.kind, Some(Kind::Teams));
    assert_eq!(harness.state().import.path, good.display().to_string());
    harness.get_by_label("只检查").click();
    until_imported(&mut harness);
    assert!(
        harness
            .query_all_by_value("检查通过(未写入): 1 行 · 1 新增 · 0 更新 (CSV, GBK/GB18030)")
            .next()
            .is_some()
    );
    assert_eq!(dump(&db), before, "a check writes nothing");
    harness.get_by_label("开始导入").click();
    until_imported(&mut harness);
    // the console picks the new team up from the database at its next poll
    for _ in 0..20 {
        harness.run_steps(1);
        if harness.state().snap().teams.len() > teams_before {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let snap = harness.state().snap();
    assert_eq!(snap.teams.len(), teams_before + 1);
    let team = snap
        .teams
        .iter()
        .find(|t| t.name == "城南抢修三班")
        .unwrap();
    assert_eq!(team.skills, [heatdesk::domain::Skill::Welding]);
    assert!(harness.state().notice.as_ref().is_some_and(|n| n.ok));
}

#[test]
fn the_readme_lists_every_column_of_every_kind() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for &kind in Kind::ALL {
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| {} |", kind.code())))
            .unwrap_or_else(|| panic!("README has no row for {}", kind.code()));
        for f in kind.fields() {
            let shown = format!("`{}` {}", f.name, f.zh);
            let shown = if f.required {
                format!("**{shown}**")
            } else {
                shown
            };
            assert!(
                row.contains(&shown),
                "{}: {shown} missing from\n{row}",
                kind.code()
            );
        }
    }
}
