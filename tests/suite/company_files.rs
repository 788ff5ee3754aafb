//! The files companies actually have, made by tools that are not HeatDesk (`tests/fixtures/
//! company/make.sh`: openpyxl, xlwt, GDAL's ogr2ogr): a hotline system's export as .xlsx, .xls
//! and GBK CSV with title rows, naming buildings by compound and number; an ArcGIS Shapefile
//! in GBK and CGCS2000 Gauss-Krüger metres; a QGIS GeoPackage; GeoJSON in Web Mercator; CSV in
//! Gauss-Krüger metres that says nothing of its system. Plus the coordinate systems against
//! GDAL's own numbers, and the address spellings.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use heatdesk::demo::{self, DemoParams, Scale};
use heatdesk::domain::*;
use heatdesk::exchange::address::{building_key, compound_key};
use heatdesk::exchange::crs::Crs;
use heatdesk::exchange::mapping::{Mapping, guess_value};
use heatdesk::exchange::records::Columns;
use heatdesk::exchange::{self, Kind, Options, Progress};
use heatdesk::store::{DispatchStore, SqliteStore};
use heatdesk::words::Lang;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/company")
        .join(name)
}

fn now() -> Timestamp {
    demo::noon(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap())
}

fn city(dir: &Path) -> SqliteStore {
    let path = dir.join("city.db");
    demo::write_new(&path, &DemoParams::new(Scale::Demo, now())).unwrap();
    SqliteStore::open(&path).unwrap()
}

fn options(kind: Kind, columns: Columns) -> Options {
    let mut o = Options::new(kind, now());
    o.columns = columns;
    o
}

fn import(
    store: &mut SqliteStore,
    file: &Path,
    o: &Options,
) -> Result<exchange::Report, exchange::Failure> {
    exchange::import(store, file, o, &Progress::default())
}

/// What a database holds, row by row (equal before and after: nothing written).
fn contents(store: &SqliteStore) -> String {
    let all = store.everything().unwrap();
    format!(
        "{:?}{:?}{:?}{:?}{:?}{:?}",
        all.city.compounds,
        all.city.buildings,
        all.city.tickets,
        all.city.stations,
        all.city.teams,
        all.external_ids
    )
}

fn building(snap: &Snapshot, compound: &str, number: &str) -> BuildingId {
    let c = snap
        .compounds
        .iter()
        .find(|c| c.name == compound)
        .unwrap()
        .id;
    snap.buildings
        .iter()
        .find(|b| b.compound_id == c && b.number == number)
        .unwrap()
        .id
}

/// The hotline export as .xlsx, .xls and GBK CSV, each with title rows above the header:
/// mapped from its headers and values, every ticket on the building its compound and number
/// name, its codes mapped, its typed cells (dates, phone numbers) read as a user reads them.
#[test]
fn a_hotline_export_comes_in_from_excel_or_csv_matched_by_address() {
    let mut tickets_of = Vec::new();
    for file in [
        "hotline-12345.xlsx",
        "hotline-12345.xls",
        "hotline-12345.csv",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut store = city(dir.path());
        let report = import(
            &mut store,
            &fixture(file),
            &options(Kind::Tickets, Columns::Guess),
        )
        .unwrap_or_else(|f| panic!("{file}: {f}"));
        assert_eq!((report.rows, report.inserted), (6, 6), "{file}");
        let format = &report.encoding;
        match file {
            f if f.ends_with(".xlsx") => assert_eq!(format, "Excel (.xlsx), sheet 工单导出"),
            f if f.ends_with(".xls") => assert_eq!(format, "Excel (.xls), sheet 工单导出"),
            _ => assert_eq!(format, "CSV, GBK/GB18030"),
        }
        let snap = store.load().unwrap();
        let known = store.known_ids(batch_table()).unwrap();
        let by_external = |e: &str| {
            let id = known.external.iter().find(|(x, _)| x == e).unwrap().1;
            snap.ticket(id).unwrap().clone()
        };
        let t1 = by_external("GD20261127001");
        assert_eq!(t1.building_id, building(&snap, "阳光花园", "3号楼"));
        assert_eq!(
            (t1.channel, t1.category, t1.status),
            (Channel::Hotline, Category::Leak, TicketStatus::Received)
        );
        assert_eq!(t1.address_detail, "2单元 502");
        assert_eq!(t1.reporter_phone, "13812345678");
        assert_eq!(t1.created_at, at(8, 5));
        // 幸福里 is 幸福里小区; 5# is 5号楼; 十二号楼 is 12号楼; 7栋, 14幢
        let t2 = by_external("GD20261127002");
        assert_eq!(t2.building_id, building(&snap, "幸福里小区", "5号楼"));
        assert_eq!(t2.category, Category::NoHeat);
        let t3 = by_external("GD20261127003");
        assert_eq!(t3.building_id, building(&snap, "锦绣家园", "12号楼"));
        assert_eq!(
            (t3.channel, t3.status, t3.closed_at, t3.fixed_at),
            (
                Channel::Online,
                TicketStatus::Closed,
                Some(at(15, 0)),
                Some(at(15, 0))
            )
        );
        assert_eq!(
            by_external("GD20261127004").building_id,
            building(&snap, "和平小区", "7号楼")
        );
        assert_eq!(
            by_external("GD20261127005").building_id,
            building(&snap, "建设新村", "14号楼")
        );
        let mut six: Vec<(String, BuildingId, Category, TicketStatus, String)> = known
            .external
            .iter()
            .map(|(e, _)| {
                let t = by_external(e);
                (
                    e.clone(),
                    t.building_id,
                    t.category,
                    t.status,
                    t.address_detail,
                )
            })
            .collect();
        six.sort();
        tickets_of.push(six);
        // the trail says which file and row each came from
        let trail = store.history(t1.id).unwrap();
        assert!(trail[0].note.contains(file), "{:?}", trail[0]);
    }
    assert_eq!(tickets_of[0], tickets_of[1], "the .xls reads as the .xlsx");
    assert_eq!(tickets_of[0], tickets_of[2], "the CSV reads as the .xlsx");
}

fn batch_table() -> heatdesk::domain::batch::Table {
    heatdesk::domain::batch::Table::Tickets
}

fn at(h: u32, m: u32) -> Timestamp {
    NaiveDate::from_ymd_opt(2026, 11, 27)
        .unwrap()
        .and_hms_opt(h, m, 0)
        .unwrap()
}

/// Rows that name no building, a building that is not there, a status no code fits: each a
/// problem naming the row as the spreadsheet numbers it and the nearest candidates; the
/// unknown value once with its count. Nothing written. With the value mapped in a profile and
/// `--skip-unmatched`, the matched rows come in and the others go to a file beside it.
#[test]
fn unmatched_rows_are_named_with_candidates_or_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = city(dir.path());
    let before = contents(&store);
    let file = dir.path().join("hotline-12345-bad.xlsx");
    std::fs::copy(fixture("hotline-12345-bad.xlsx"), &file).unwrap();
    let failure = import(&mut store, &file, &options(Kind::Tickets, Columns::Guess)).unwrap_err();
    let zh = failure.lines(Lang::Zh).join("\n");
    assert!(
        zh.contains(
            "第 10 行，楼栋编号（building_id）：没有名为“不存在花园”的小区（最接近：阳光花园"
        ),
        "{zh}"
    );
    assert!(
        zh.contains(
            "第 11 行，楼栋编号（building_id）：阳光花园没有“99号楼”（共 14 栋：1号楼、2号楼"
        ),
        "{zh}"
    );
    assert!(
        zh.contains("无法识别的值“神秘状态”，共 2 行（第 12 行、第 13 行）"),
        "{zh}"
    );
    assert_eq!(failure.total, 3, "the unknown value once, not once per row");
    let en = failure.to_string();
    assert!(
        en.contains("row 11, field building_id (楼栋编号): 阳光花园 has no building \"99号楼\""),
        "{en}"
    );
    assert_eq!(contents(&store), before, "nothing written");

    // the profile maps the status; unmatched rows are set aside
    let rows: Vec<Vec<String>> = Vec::new();
    let headers: Vec<String> = [
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
    ]
    .map(String::from)
    .to_vec();
    let mut profile = Mapping::guess(Kind::Tickets, &headers, &rows, false);
    profile.name = "12345 热线导出".into();
    profile
        .values
        .entry("status".into())
        .or_default()
        .insert("神秘状态".into(), "received".into());
    profile
        .values
        .entry("status".into())
        .or_default()
        .insert("已受理".into(), "received".into());
    profile
        .values
        .entry("status".into())
        .or_default()
        .insert("已办结".into(), "closed".into());
    for (v, c) in [
        ("漏水", "leak"),
        ("暖气不热", "no_heat"),
        ("温度低", "low_temperature"),
        ("积气", "air_lock"),
    ] {
        profile
            .values
            .entry("category".into())
            .or_default()
            .insert(v.into(), c.into());
    }
    for (v, c) in [("12345", "hotline"), ("网络", "online"), ("微信", "online")] {
        profile
            .values
            .entry("channel".into())
            .or_default()
            .insert(v.into(), c.into());
    }
    let saved = dir.path().join("profile.json");
    profile.save(&saved).unwrap();
    let mut o = options(
        Kind::Tickets,
        Columns::Given(Mapping::load(&saved).unwrap()),
    );
    o.skip_unmatched = true;
    let report = import(&mut store, &file, &o).unwrap_or_else(|f| panic!("{f}"));
    assert_eq!((report.inserted, report.set_aside), (8, 2));
    let aside = report.set_aside_file.clone().unwrap();
    assert_eq!(aside, dir.path().join("hotline-12345-bad.unmatched.csv"));
    let text = std::fs::read_to_string(&aside).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[1].starts_with("第 10 行,") && lines[1].contains("不存在花园"),
        "{text}"
    );
    assert!(
        lines[2].starts_with("第 11 行,") && lines[2].contains("99号楼"),
        "{text}"
    );
    let said = report.lines(Lang::Zh).join("\n");
    assert!(said.contains("2 行未匹配到楼栋，未导入，已写入"), "{said}");
}

/// The command line: `--mapping auto --check` prints the guess and writes nothing;
/// `--save-mapping` keeps it as a profile `--mapping FILE.json` uses next time.
#[test]
fn the_command_line_guesses_prints_saves_and_reuses_the_mapping() {
    let dir = tempfile::tempdir().unwrap();
    let store = city(dir.path());
    let db = store.path().to_path_buf();
    let before = contents(&store);
    drop(store);
    let profile = dir.path().join("12345.json");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_heatdesk"))
            .args(args)
            .arg("--db")
            .arg(&db)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string(),
        )
    };
    let xlsx = fixture("hotline-12345.xlsx");
    let (ok, said) = run(&[
        "import",
        "tickets",
        xlsx.to_str().unwrap(),
        "--mapping",
        "auto",
        "--check",
        "--save-mapping",
        profile.to_str().unwrap(),
    ]);
    assert!(ok, "{said}");
    for line in [
        "已检查（未写入）6 行，将新增 6",
        "工单编号 -> 工单号（id）",
        "小区名称 -> 小区名称（找楼栋）",
        "处理状态 -> 状态（status）",
        "已办结 -> closed",
    ] {
        assert!(said.contains(line), "{line}: {said}");
    }
    assert_eq!(contents(&SqliteStore::open(&db).unwrap()), before);
    // without a mapping the file is refused, and told how
    let (ok, _) = run(&["import", "tickets", xlsx.to_str().unwrap()]);
    assert!(!ok);
    let (ok, said) = run(&[
        "import",
        "tickets",
        fixture("hotline-12345.csv").to_str().unwrap(),
        "--mapping",
        profile.to_str().unwrap(),
    ]);
    assert!(ok, "{said}");
    assert!(said.contains("已导入 6 行，新增 6"), "{said}");
}

/// An ArcGIS Shapefile: text in GBK (from its .cpg, or detected without it), CGCS2000
/// Gauss-Krüger metres with the zone number (its .prj), compounds without ids or departments:
/// new ids, the department of the compounds around them, the outline back in degrees where
/// GDAL put it. Imported again: the same compounds, found by name.
#[test]
fn a_gbk_shapefile_in_gauss_kruger_brings_compounds_without_ids() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = city(dir.path());
    // names, households and addresses alone, with the default mapping (as the README says
    // places without ids come): new ids; `--department` gives the department
    let given = {
        let dir = tempfile::tempdir().unwrap();
        let mut other = city(dir.path());
        let mut o = options(Kind::Compounds, Columns::Own);
        o.department = Some(2);
        let report = import(&mut other, &fixture("compounds-cgcs2000.shp"), &o)
            .unwrap_or_else(|f| panic!("{f}"));
        assert_eq!(report.inserted, 2);
        other.load().unwrap()
    };
    let given: Vec<_> = given
        .compounds
        .iter()
        .filter(|c| c.name == "北苑新村" || c.name == "梧桐里小区")
        .collect();
    assert_eq!(given.len(), 2);
    assert!(given.iter().all(|c| c.department_id == 2), "{given:?}");
    let report = import(
        &mut store,
        &fixture("compounds-cgcs2000.shp"),
        &options(Kind::Compounds, Columns::Own),
    )
    .unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(report.inserted, 2);
    assert_eq!(report.encoding, "Shapefile, GBK/GB18030 (.cpg: GBK)");
    let (crs, how) = report.crs.clone().unwrap();
    assert_eq!(crs, "CGCS2000_3_Degree_GK_Zone_38 (EPSG:4526)");
    assert_eq!(how.en, "as the file declares");
    let snap = store.load().unwrap();
    let north = snap
        .compounds
        .iter()
        .find(|c| c.name == "北苑新村")
        .unwrap();
    assert_eq!(north.households, 480);
    assert_eq!(north.address, "北苑路8号");
    let corner = north.outline[0];
    assert!(
        (corner[0] - 112.535).abs() < 1e-7 && (corner[1] - 37.881).abs() < 1e-7,
        "{corner:?}"
    );
    // the department of the nearest compounds
    let nearest = snap
        .compounds
        .iter()
        .filter(|c| c.id != north.id && c.name != "梧桐里小区")
        .min_by(|a, b| {
            let d = |c: &Compound| {
                let p = c.outline[0];
                (p[0] - corner[0]).powi(2) + (p[1] - corner[1]).powi(2)
            };
            d(a).total_cmp(&d(b))
        })
        .unwrap();
    assert_eq!(north.department_id, nearest.department_id);
    // again, and without the .cpg (GBK detected): found by name, nothing new
    for file in ["compounds-cgcs2000.shp", "compounds-nocpg.shp"] {
        let again = import(
            &mut store,
            &fixture(file),
            &options(Kind::Compounds, Columns::Guess),
        )
        .unwrap_or_else(|f| panic!("{f}"));
        assert_eq!((again.inserted, again.updated), (0, 2), "{file}");
    }
    assert!(
        import(
            &mut store,
            &fixture("compounds-nocpg.shp"),
            &options(Kind::Compounds, Columns::Guess)
        )
        .unwrap()
        .encoding
        .contains("GBK (detected)")
    );
    // the wrong zone given by hand: every point outside it, named
    let mut o = options(Kind::Compounds, Columns::Guess);
    o.crs = Some(Crs::parse("EPSG:4527").unwrap());
    let wrong = import(&mut store, &fixture("compounds-cgcs2000.shp"), &o).unwrap_err();
    assert!(
        wrong.to_string().contains("lies outside CGCS2000"),
        "{wrong}"
    );
}

/// A GeoPackage (CGCS2000 degrees): buildings named by their compound (a new one, an old one),
/// without ids or stations — new ids, the nearest station; then a station from GeoJSON in Web
/// Mercator and a team from CSV in Gauss-Krüger metres that names no system, each where GDAL
/// put them.
#[test]
fn geopackage_web_mercator_and_undeclared_gauss_kruger_come_in_where_they_belong() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = city(dir.path());
    import(
        &mut store,
        &fixture("compounds-cgcs2000.shp"),
        &options(Kind::Compounds, Columns::Guess),
    )
    .unwrap();
    let report = import(
        &mut store,
        &fixture("buildings.gpkg"),
        &options(Kind::Buildings, Columns::Guess),
    )
    .unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(report.inserted, 3);
    assert_eq!(report.encoding, "GeoPackage, layer buildings");
    assert_eq!(report.crs.as_ref().unwrap().0, "CGCS2000 (EPSG:4490)");
    assert_eq!(report.nearest_station, 3);
    let snap = store.load().unwrap();
    let north = snap
        .compounds
        .iter()
        .find(|c| c.name == "北苑新村")
        .unwrap()
        .id;
    let new: Vec<&Building> = snap
        .buildings
        .iter()
        .filter(|b| b.compound_id == north)
        .collect();
    assert_eq!(new.len(), 2);
    assert_eq!(new[0].floors, 6);
    let old = building(&snap, "阳光花园", "15#");
    assert!(snap.building(old).unwrap().footprint[0][0] > 112.5);

    let report = import(
        &mut store,
        &fixture("stations-3857.geojson"),
        &options(Kind::Stations, Columns::Guess),
    )
    .unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(
        report.crs.as_ref().unwrap().0,
        "WGS 84 / Pseudo-Mercator (EPSG:3857)"
    );
    let snap = store.load().unwrap();
    let st = snap
        .stations
        .iter()
        .find(|s| s.name == "北苑换热站")
        .unwrap();
    assert!((st.position[0] - 112.5358).abs() < 1e-7 && (st.position[1] - 37.8825).abs() < 1e-7);
    assert_eq!(st.department_id, 1, "城西供热服务部, by name");

    let report = import(
        &mut store,
        &fixture("teams-gk.csv"),
        &options(Kind::Teams, Columns::Guess),
    )
    .unwrap_or_else(|f| panic!("{f}"));
    let (crs, how) = report.crs.clone().unwrap();
    assert_eq!(crs, "CGCS2000 / 3-degree Gauss-Kruger zone 38 (EPSG:4526)");
    assert_eq!(how.en, "recognised from the numbers");
    let snap = store.load().unwrap();
    let team = snap.teams.iter().find(|t| t.name == "北苑维修班").unwrap();
    assert!(
        (team.position[0] - 112.5361).abs() < 1e-7 && (team.position[1] - 37.8822).abs() < 1e-7
    );
    assert_eq!(team.skills, [Skill::Radiator]);
}

/// A description with a comma not in quotes: the row has a field too many, and is named.
#[test]
fn a_row_with_a_field_too_many_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = city(dir.path());
    let f = import(
        &mut store,
        &fixture("hotline-12345-comma.csv"),
        &options(Kind::Tickets, Columns::Guess),
    )
    .unwrap_err();
    assert_eq!(f.total, 1, "{f}");
    assert!(
        f.to_string()
            .contains("row 9: has 14 fields but the header has 13: a comma inside a text that is not in quotes?"),
        "{f}"
    );
}

/// Known points computed by GDAL/PROJ (`echo "116.39 39.91" | gdaltransform -s_srs EPSG:4326
/// -t_srs EPSG:4527 -output_xy`): Beijing in CGCS2000 3° zone 39, with and without the zone
/// number (EPSG:4548), and in Web Mercator.
#[test]
fn coordinate_systems_agree_with_gdal() {
    let zoned = Crs::epsg(4527).unwrap();
    let p = zoned
        .to_wgs84()
        .unwrap()
        .point([39_447_841.248, 4_419_714.133])
        .unwrap();
    assert!(
        (p[0] - 116.39).abs() < 1e-6 && (p[1] - 39.91).abs() < 1e-6,
        "{p:?}"
    );
    let recognised = Crs::recognise(&[[39_447_841.248, 4_419_714.133]]).unwrap();
    assert_eq!(recognised.name(), zoned.name());
    let q = Crs::epsg(4548)
        .unwrap()
        .to_wgs84()
        .unwrap()
        .point([447_841.248, 4_419_714.133])
        .unwrap();
    assert!((q[0] - p[0]).abs() < 1e-9 && (q[1] - p[1]).abs() < 1e-9);
    // metres without the zone number name no system
    assert!(Crs::recognise(&[[447_841.248, 4_419_714.133]]).is_err());
    // a point of the next zone is outside this one
    assert!(
        zoned
            .to_wgs84()
            .unwrap()
            .point([39_960_997.0, 4_433_470.0])
            .is_err()
    );
    let m = Crs::parse("EPSG:3857")
        .unwrap()
        .to_wgs84()
        .unwrap()
        .point([12_956_698.172, 4_852_436.962])
        .unwrap();
    assert!(
        (m[0] - 116.392).abs() < 1e-6 && (m[1] - 39.907).abs() < 1e-6,
        "{m:?}"
    );
    let gcj = Crs::Gcj02
        .to_wgs84()
        .unwrap()
        .point([116.404, 39.915])
        .unwrap();
    assert!((gcj[0] - 116.3978).abs() < 0.001, "{gcj:?}");
    let bd = Crs::parse("bd09")
        .unwrap()
        .to_wgs84()
        .unwrap()
        .point([116.404, 39.915])
        .unwrap();
    assert!((bd[0] - 116.391).abs() < 0.002, "{bd:?}");
    assert!(Crs::parse("beijing54").is_err());
    assert!(
        Crs::epsg(2436).is_err(),
        "Beijing 1954 Gauss-Krüger is refused"
    );
    let esri = r#"PROJCS["CGCS2000_3_Degree_GK_Zone_39",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",39500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",117.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
    let from_prj = Crs::from_wkt(esri).unwrap().unwrap();
    let r = from_prj
        .to_wgs84()
        .unwrap()
        .point([39_447_841.248, 4_419_714.133])
        .unwrap();
    assert!(
        (r[0] - 116.39).abs() < 1e-6 && (r[1] - 39.91).abs() < 1e-6,
        "{r:?}"
    );
    let bj = r#"PROJCS["Beijing_1954_3_Degree_GK_CM_117E",GEOGCS["GCS_Beijing_1954",DATUM["D_Beijing_1954",SPHEROID["Krasovsky_1940",6378245.0,298.3]]]]"#;
    assert!(Crs::from_wkt(bj).is_err());
}

/// The usual spellings of a building and a compound are one; the codes hotline systems use
/// map to HeatDesk's, and a value no code fits is left to the user.
#[test]
fn spellings_and_codes_people_use() {
    for s in [
        "3号楼",
        "3#楼",
        "3#",
        "3栋",
        "3幢",
        "三号楼",
        "3",
        "03",
        "第3栋",
        "３号楼",
        "3 号楼",
    ] {
        assert_eq!(building_key(s), "3", "{s}");
    }
    assert_eq!(building_key("十二号楼"), "12");
    assert_eq!(building_key("二十一栋"), "21");
    assert_eq!(building_key("A座"), "a");
    assert_ne!(building_key("13号楼"), building_key("3号楼"));
    assert_eq!(compound_key("工银新村小区"), compound_key("工银新村"));
    assert_eq!(compound_key(" 工银 新村 "), "工银新村");
    assert_eq!(
        compound_key("新小区"),
        "新小区",
        "a name that is only 小区 keeps it"
    );
    assert_eq!(
        guess_value(Kind::Tickets, "status", "已办结"),
        Some("closed")
    );
    assert_eq!(guess_value(Kind::Tickets, "status", "神秘状态"), None);
    assert_eq!(
        guess_value(Kind::Tickets, "category", "漏水/爆管"),
        None,
        "a label already"
    );
    assert_eq!(guess_value(Kind::Tickets, "category", "漏水"), Some("leak"));
    assert_eq!(
        guess_value(Kind::Tickets, "channel", "12345"),
        Some("hotline")
    );
    // a profile made for these headers fits them in another order
    let h: Vec<String> = [
        "工单编号",
        "受理时间",
        "小区名称",
        "楼号",
        "问题类别",
        "来源渠道",
    ]
    .map(String::from)
    .to_vec();
    let m = Mapping::guess(Kind::Tickets, &h, &[], false);
    let mut other = h.clone();
    other.reverse();
    assert!(m.fits(&other));
    assert_eq!(m.for_headers(&other).columns[0].0, "来源渠道");
    assert_eq!(m.for_headers(&other).columns[0].1, "channel");
}

/// Frames until the import window has read its file (a second at most here).
fn until_read(harness: &mut egui_kittest::Harness<'static, heatdesk::ui::HeatDeskApp>) {
    for _ in 0..200 {
        harness.run_steps(1);
        if harness.state().import.preview().is_some() && !harness.state().import.previewing() {
            harness.run_steps(2);
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("the file was not read");
}

fn until_imported(harness: &mut egui_kittest::Harness<'static, heatdesk::ui::HeatDeskApp>) {
    for _ in 0..300 {
        harness.run_steps(1);
        if !harness.state().import.running() && harness.state().import.outcome.is_some() {
            harness.run_steps(2);
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("the import did not finish");
}

/// The import window with a hotline workbook: each column shown with what it is taken for,
/// the first rows as they will be stored (the building each names), the codes mapped; a
/// building picked by hand for a row that names none, a value no code fits mapped in the
/// window, the mapping saved as a profile — and offered again for the same export as CSV.
#[test]
fn the_import_window_maps_previews_picks_and_keeps_a_profile() {
    use egui_kittest::kittest::Queryable;
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, _db) = crate::common::console::console(dir.path());
    let profiles = dir.path().join("profiles");
    harness.state_mut().profiles_dir = Some(profiles.clone());
    harness.run_steps(2);
    harness.get_by_label("导入").click();
    harness.run_steps(2);
    let file = dir.path().join("hotline-12345-bad.xlsx");
    std::fs::copy(fixture("hotline-12345-bad.xlsx"), &file).unwrap();
    {
        let form = &mut harness.state_mut().import;
        form.kind = Some(Kind::Tickets);
        form.path = file.display().to_string();
    }
    until_read(&mut harness);
    // what each column is taken for, what it holds, the rows as stored
    for shown in [
        "列的对应",
        "小区名称（找楼栋）",
        "单元（写入门牌）",
        "状态（status）",
        "阳光花园 3号楼",
        "GD20261127001",
        "2单元 502",
    ] {
        assert!(
            harness.query_all_by_label(shown).next().is_some()
                || harness.query_all_by_value(shown).next().is_some(),
            "{shown} is shown"
        );
    }
    assert!(
        harness
            .query_all_by_label("状态: 神秘状态 ×2")
            .next()
            .is_some(),
        "the value no code fits, with its count"
    );
    // row 11 names a building its compound does not have: picked by hand
    let preview = harness.state().import.preview().cloned().unwrap().unwrap();
    let row11 = preview
        .rows
        .iter()
        .find(|r| r.loc == heatdesk::exchange::records::Loc::Row(11))
        .unwrap();
    assert!(matches!(row11.place, Some(Err(_))));
    assert!(!row11.candidates.is_empty());
    let pick = row11.candidates[0].clone();
    // rows 10 and 11 each have a picker: the second is row 11's (scrolled to, as a user does)
    harness
        .get_all_by_label("选择楼栋…")
        .nth(1)
        .unwrap()
        .scroll_to_me();
    harness.run_steps(2);
    harness
        .get_all_by_label("选择楼栋…")
        .nth(1)
        .unwrap()
        .click_accesskit();
    harness.run_steps(2);
    harness
        .get_all_by_label(&pick.1)
        .last()
        .unwrap()
        .click_accesskit();
    harness.run_steps(2);
    assert!(
        harness
            .state()
            .import
            .buildings
            .iter()
            .any(|b| b.1 == pick.0)
    );
    // the status no code fits: mapped to 受理 in the window
    {
        let form = &mut harness.state_mut().import;
        form.mapping
            .as_mut()
            .unwrap()
            .values
            .entry("status".into())
            .or_default()
            .insert("神秘状态".into(), "received".into());
        // the row naming a compound that does not exist is set aside
        form.skip_unmatched = true;
        form.profile_name = "12345 热线导出".into();
    }
    until_read(&mut harness);
    harness.get_by_label("保存方案").click_accesskit();
    harness.run_steps(2);
    assert!(profiles.join("12345 热线导出.json").exists());
    harness.get_by_label("开始导入").click();
    until_imported(&mut harness);
    let report = match &harness.state().import.outcome {
        Some(Ok(r)) => r.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!((report.inserted, report.set_aside), (9, 1));
    // the same export as CSV: the profile is offered and used
    {
        let form = &mut harness.state_mut().import;
        form.path = fixture("hotline-12345.csv").display().to_string();
    }
    harness.run_steps(1);
    until_read(&mut harness);
    assert_eq!(harness.state().import.profile_name, "12345 热线导出");
    let mapping = harness.state().import.mapping.clone().unwrap();
    assert_eq!(mapping.values["status"]["神秘状态"], "received");
}

/// The new user's case on the command line: a compounds Shapefile with names and households only
/// (CGCS2000, GBK), `--department 1`, no `--mapping`: imported with new ids in department 1.
#[test]
fn a_compounds_file_without_ids_imports_with_the_default_mapping_and_a_department() {
    let dir = tempfile::tempdir().unwrap();
    let store = city(dir.path());
    let db = store.path().to_path_buf();
    drop(store);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_heatdesk"))
        .args(["import", "compounds"])
        .arg(fixture("compounds-cgcs2000.shp"))
        .args(["--department", "1", "--english", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{said}");
    assert!(!said.contains("missing column"), "{said}");
    let snap = SqliteStore::open(&db).unwrap().load().unwrap();
    let new: Vec<_> = snap
        .compounds
        .iter()
        .filter(|c| c.name == "北苑新村" || c.name == "梧桐里小区")
        .collect();
    assert_eq!(new.len(), 2, "{said}");
    assert!(new.iter().all(|c| c.department_id == 1));
    assert_eq!(new.iter().map(|c| c.households).sum::<u32>(), 480 + 360);
}
