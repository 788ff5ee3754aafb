//! Map geometry without a window: hit-testing through the R-tree (including the notch of a
//! concave footprint), viewport queries, and the GCJ-02 shift.

use heatdesk::domain::*;
use heatdesk::map::index::{CityIndex, Feature};
use heatdesk::map::layers::to_gcj02;

/// Three neighbouring buildings: two slabs and a U-shaped block whose courtyard opens north.
fn street() -> Snapshot {
    let (lon0, lat0) = (112.55, 37.86);
    let m = |x: f64, y: f64| [lon0 + x / 88_000.0, lat0 + y / 110_540.0];
    let ring = |pts: &[(f64, f64)]| {
        let mut r: Vec<LonLat> = pts.iter().map(|&(x, y)| m(x, y)).collect();
        r.push(r[0]);
        r
    };
    let building = |id: i64, footprint: Vec<LonLat>| Building {
        id,
        compound_id: 1,
        number: format!("{id}号楼"),
        units: 3,
        floors: 6,
        households: 36,
        station_id: 1,
        entry_node: id,
        footprint,
        extra: Default::default(),
    };
    let mut snap = Snapshot::default();
    snap.compounds = vec![Compound {
        id: 1,
        name: "工银新村".into(),
        address: String::new(),
        department_id: 1,
        households: 108,
        outline: ring(&[(-20.0, -20.0), (200.0, -20.0), (200.0, 80.0), (-20.0, 80.0)]),
        extra: Default::default(),
    }];
    snap.buildings = vec![
        building(
            1,
            ring(&[(0.0, 0.0), (50.0, 0.0), (50.0, 12.0), (0.0, 12.0)]),
        ),
        building(
            2,
            ring(&[(60.0, 0.0), (110.0, 0.0), (110.0, 12.0), (60.0, 12.0)]),
        ),
        // U: bar 120..180 × 0..12, wings 120..132 and 168..180 up to y = 40
        building(
            3,
            ring(&[
                (120.0, 0.0),
                (180.0, 0.0),
                (180.0, 40.0),
                (168.0, 40.0),
                (168.0, 12.0),
                (132.0, 12.0),
                (132.0, 40.0),
                (120.0, 40.0),
            ]),
        ),
    ];
    snap.segments = vec![PipeSegment {
        id: 1,
        from: 1,
        to: 2,
        tier: Tier::Secondary,
        flow: Flow::Supply,
        dn: 80,
        laid_year: 2001,
        path: vec![m(-10.0, -8.0), m(190.0, -8.0)],
    }];
    snap.reindex();
    snap
}

fn at(x: f64, y: f64) -> LonLat {
    [112.55 + x / 88_000.0, 37.86 + y / 110_540.0]
}

#[test]
fn a_click_picks_the_building_under_it_and_nothing_in_a_courtyard() {
    let snap = street();
    let index = CityIndex::build(&snap);
    assert_eq!(index.building_at(&snap, at(25.0, 6.0)), Some(0));
    assert_eq!(index.building_at(&snap, at(61.0, 1.0)), Some(1));
    assert_eq!(
        index.building_at(&snap, at(55.0, 6.0)),
        None,
        "the gap between two slabs"
    );
    assert_eq!(
        index.building_at(&snap, at(125.0, 30.0)),
        Some(2),
        "the U's west wing"
    );
    assert_eq!(
        index.building_at(&snap, at(150.0, 6.0)),
        Some(2),
        "the U's bar"
    );
    // inside the U's bounding box but in its courtyard (the notch): no building
    assert_eq!(index.building_at(&snap, at(150.0, 30.0)), None);
    // the compound is still there
    assert_eq!(index.compound_at(&snap, at(150.0, 30.0)), Some(0));
    assert_eq!(index.compound_at(&snap, at(300.0, 30.0)), None);
}

#[test]
fn concave_footprints_are_triangulated_inside_their_outline() {
    let snap = street();
    let index = CityIndex::build(&snap);
    let u = &index.buildings[2].triangles;
    assert_eq!(u.len(), 3 * 6, "8 corners make 6 triangles");
    // no triangle covers the courtyard: every triangle's centroid lies inside the footprint
    let ring = index.buildings[2].points(&snap.buildings[2].footprint);
    assert_eq!(
        ring[..],
        *heatdesk::map::index::open_ring(&snap.buildings[2].footprint)
    );
    for tri in u.chunks_exact(3) {
        let c = [
            (ring[tri[0] as usize][0] + ring[tri[1] as usize][0] + ring[tri[2] as usize][0]) / 3.0,
            (ring[tri[0] as usize][1] + ring[tri[1] as usize][1] + ring[tri[2] as usize][1]) / 3.0,
        ];
        assert_eq!(
            index.building_at(&snap, c),
            Some(2),
            "a triangle pokes outside the U"
        );
    }
}

#[test]
fn the_viewport_query_returns_only_what_is_in_view() {
    let snap = street();
    let index = CityIndex::build(&snap);
    let seen: Vec<Feature> = index.in_view(at(-5.0, -5.0), at(52.0, 15.0)).collect();
    assert!(seen.contains(&Feature::Building(0)));
    assert!(!seen.contains(&Feature::Building(1)));
    assert!(!seen.contains(&Feature::Building(2)));
    assert!(seen.contains(&Feature::Compound(0)));
}

#[test]
fn wgs84_points_are_shifted_onto_gcj02_tiles() {
    // The reference pair published with wandergis/coordtransform (test/app.js), which the
    // other GCJ-02 libraries test against: wgs84togcj02(116.404, 39.915).
    let [lon, lat] = to_gcj02([116.404, 39.915]);
    assert!((lon - 116.41024449916938).abs() < 1e-9, "lon {lon}");
    assert!((lat - 39.91640428150164).abs() < 1e-9, "lat {lat}");
    // outside China nothing moves
    assert_eq!(to_gcj02([2.2945, 48.8584]), [2.2945, 48.8584]);
}

#[test]
fn tile_urls_are_filled_in_and_keys_never_appear_in_messages() {
    use heatdesk::map::tiles::http::{UrlTemplate, redact, tianditu};
    let t = UrlTemplate {
        template: "https://tiles.example/{z}/{x}/{y}.png?s={s}".into(),
        attribution: "",
    };
    assert_eq!(
        t.url(15, 26800, 12400),
        "https://tiles.example/15/26800/12400.png?s=0"
    );
    let url = tianditu("vec", "SECRET123");
    assert!(url.contains("LAYER=vec") && url.contains("tk=SECRET123"));
    let message = format!(
        "error sending request for url ({}): connection refused",
        url.replace("{z}", "3")
    );
    let shown = redact(&message);
    assert!(!shown.contains("SECRET123"), "{shown}");
    assert!(
        shown.contains("tk=***") && shown.contains("connection refused"),
        "{shown}"
    );
    assert_eq!(redact("key=abc&z=1 and tk=def"), "key=***&z=1 and tk=***");
}

#[test]
fn a_click_beside_a_pipe_picks_the_pipe() {
    let snap = street();
    let index = CityIndex::build(&snap);
    let metre = 1.0 / 88_000.0;
    assert_eq!(
        index.pipe_near(&snap, at(100.0, -7.0), 3.0 * metre, |_| true),
        Some(0)
    );
    assert_eq!(
        index.pipe_near(&snap, at(100.0, 5.0), 3.0 * metre, |_| true),
        None,
        "13 m away"
    );
    assert_eq!(
        index.pipe_near(&snap, at(100.0, -7.0), 3.0 * metre, |_| false),
        None,
        "hidden pipes are not picked"
    );
}

/// The top bar fits a 1280×800 screen: every control inside it, none on another (it folds into
/// two rows).
#[test]
fn the_top_bar_fits_1280_by_800() {
    use egui_kittest::kittest::Queryable;
    let dir = tempfile::tempdir().unwrap();
    let (harness, _) = crate::common::console::console(dir.path());
    let mut harness = rebuild(harness, egui::vec2(1280.0, 800.0));
    harness.run_steps(3);
    let labels = [
        "HeatDesk 供热调度台",
        "投诉率",
        "满意率",
        "处置及时率",
        "室温达标率",
        "调度台",
        "领导视图",
        "图层",
        "时限规则",
        "导入",
        "地图",
        "中文",
        "English",
    ];
    let rects: Vec<(&str, egui::Rect)> = labels
        .iter()
        .map(|l| (*l, harness.get_by_label(l).rect()))
        .collect();
    for (l, r) in &rects {
        assert!(
            r.min.x >= 0.0 && r.max.x <= 1280.0 && r.max.y <= 80.0,
            "{l} at {r:?} is off the bar"
        );
    }
    for (i, (a, ra)) in rects.iter().enumerate() {
        for (b, rb) in &rects[i + 1..] {
            assert!(
                !ra.shrink(1.0).intersects(rb.shrink(1.0)),
                "{a} {ra:?} and {b} {rb:?} overlap"
            );
        }
    }
}

/// The console harness at another window size.
fn rebuild(
    harness: egui_kittest::Harness<'static, heatdesk::ui::HeatDeskApp>,
    size: egui::Vec2,
) -> egui_kittest::Harness<'static, heatdesk::ui::HeatDeskApp> {
    let app = harness.into_state();
    egui_kittest::Harness::builder()
        .with_size(size)
        .build_ui_state(
            |ui, app: &mut heatdesk::ui::HeatDeskApp| {
                heatdesk::ui::install_fonts(ui.ctx());
                app.show(ui);
            },
            app,
        )
}

/// The map tools: + and − change the zoom by one, 全城 shows the whole city, the distance tool
/// adds the clicked points and says the total; below street level the open tickets are bubbles
/// (one per compound, the count inside) and a click on one zooms in to it.
#[test]
fn zoom_buttons_whole_city_distance_tool_and_ticket_bubbles() {
    use egui_kittest::kittest::Queryable;
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, _) = crate::common::console::console(dir.path());
    harness.run_steps(3);
    let z0 = harness.state().map.memory.zoom();
    harness.get_by_label("+").click();
    harness.run_steps(2);
    assert!((harness.state().map.memory.zoom() - (z0 + 1.0)).abs() < 1e-9);
    harness.get_by_label("-").click();
    harness.get_by_label("-").click();
    harness.run_steps(2);
    assert!((harness.state().map.memory.zoom() - (z0 - 1.0)).abs() < 1e-9);
    harness.get_by_label("全城").click();
    harness.run_steps(2);
    let whole = harness.state().map.memory.zoom();
    assert!((12.0..16.0).contains(&whole), "{whole}");
    // the status line says the zoom
    assert!(
        harness
            .query_all_by_label_contains(&format!("缩放级别 {whole:.1}"))
            .next()
            .is_some()
            || harness.state().map.memory.zoom() == whole
    );
    // bubbles: one per compound with open tickets, the tickets inside
    let open: u32 = harness
        .state()
        .console
        .views()
        .counts
        .open_by_compound
        .iter()
        .sum();
    assert!(open > 0);
    // a click on the busiest bubble zooms in to it
    let rect = harness.state().map_rect.unwrap();
    let snap = harness.state().snap().clone();
    let counts = harness.state().console.views().counts.clone();
    let (ci, _) = counts
        .open_by_compound
        .iter()
        .enumerate()
        .max_by_key(|(_, n)| **n)
        .unwrap();
    let centre = heatdesk::domain::centroid(&snap.compounds[ci].outline);
    let home = harness.state().city_centre();
    let at = harness
        .state()
        .map
        .screen_position(rect, home, centre, false);
    harness.hover_at(at);
    harness.run_steps(1);
    click_at(&harness, at);
    harness.run_steps(2);
    assert!(
        harness.state().map.memory.zoom() > whole + 0.5,
        "zoomed in from {whole} to {}",
        harness.state().map.memory.zoom()
    );
    assert!(
        harness.state().selection.is_none(),
        "a bubble selects nothing"
    );
    // the distance tool: two clicks 100 px apart, the total in metres
    harness.get_by_label("测距").click();
    harness.run_steps(1);
    let a = rect.center();
    let b = a + egui::vec2(100.0, 0.0);
    click_at(&harness, a);
    harness.run_steps(1);
    click_at(&harness, b);
    harness.run_steps(2);
    let tools = &harness.state().map_tools;
    assert_eq!(tools.points.len(), 2);
    let expected = tools.metres_per_pixel * 100.0;
    assert!(
        (tools.total_m() - expected).abs() / expected < 0.05,
        "{} vs {expected}",
        tools.total_m()
    );
    assert!(
        harness.state().selection.is_none(),
        "measuring selects nothing"
    );
    harness.key_press(egui::Key::Escape);
    harness.run_steps(1);
    assert!(!harness.state().map_tools.measuring);
}

/// The basemap window stays open while it is used: OpenStreetMap with its attribution on the
/// map, a recent MBTiles file, the opacity.
#[test]
fn the_basemap_window_chooses_sources_and_keeps_recent_files() {
    use egui_kittest::kittest::Queryable;
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, _) = crate::common::console::console(dir.path());
    harness.run_steps(2);
    harness.get_by_label("地图").click();
    harness.run_steps(3);
    harness.get_by_label("底图…").click();
    harness.run_steps(2);
    assert!(harness.state().basemap_form.open);
    // (a window is laid out on its first frames)
    harness.run_steps(2);
    harness.get_by_label("OpenStreetMap").click();
    harness.run_steps(2);
    assert_eq!(
        harness.state().prefs.map.basemap,
        heatdesk::map::Basemap::OpenStreetMap
    );
    assert!(harness.state().basemap_form.open, "the window stays open");
    assert_eq!(
        heatdesk::map::MapView::attribution(&harness.state().prefs.map.basemap),
        Some("© OpenStreetMap contributors"),
        "its terms are said on the map"
    );
    let file = dir.path().join("city.mbtiles");
    std::fs::write(&file, b"").unwrap();
    harness.state_mut().use_mbtiles(file.clone());
    harness.run_steps(2);
    assert_eq!(
        harness.state().prefs.map.basemap,
        heatdesk::map::Basemap::MbTiles(file.clone())
    );
    assert_eq!(
        harness.state().prefs.recent_mbtiles,
        std::slice::from_ref(&file)
    );
    harness.state_mut().prefs.map.basemap = heatdesk::map::Basemap::None;
    harness.run_steps(1);
    harness.get_by_label("city.mbtiles").click();
    harness.run_steps(2);
    assert_eq!(
        harness.state().prefs.map.basemap,
        heatdesk::map::Basemap::MbTiles(file)
    );
}

/// A press and release of the primary button at `at` (as a mouse click lands on the map).
fn click_at(harness: &egui_kittest::Harness<'static, heatdesk::ui::HeatDeskApp>, at: egui::Pos2) {
    harness.hover_at(at);
    for pressed in [true, false] {
        harness.event(egui::Event::PointerButton {
            pos: at,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
    }
}

#[test]
fn the_city_basemap_is_rendered_from_what_the_console_reads() {
    // 生成底图: the console reads the city's map on its worker (the screen never touches the
    // store); the tiles are drawn beside the database and the map opens them
    use egui_kittest::kittest::Queryable;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.db");
    heatdesk::demo::write_new(
        &path,
        &heatdesk::demo::DemoParams::new(
            heatdesk::demo::Scale::Demo,
            crate::common::console::now(),
        ),
    )
    .unwrap();
    let out = path.with_extension("mbtiles");
    assert!(!out.exists());
    let store = heatdesk::store::SqliteStore::open(&path).unwrap();
    let snap = heatdesk::store::DispatchStore::load(&store).unwrap();
    let app = heatdesk::ui::HeatDeskApp::new(
        Box::new(store),
        snap,
        heatdesk::ui::Prefs::default(),
        Box::new(crate::common::console::now),
    )
    .with_demo_basemap(Some(out.clone()));
    let mut harness = crate::common::console::harness(app);
    harness.run_steps(2);
    harness.get_by_label("地图").click();
    harness.run_steps(3);
    harness.get_by_label("底图…").click();
    harness.run_steps(4);
    harness.get_by_label("生成底图").click();
    harness.run_steps(2);
    // how far it is, on the map itself (the window may be closed)
    assert!(
        harness
            .query_by_label_contains("正在生成城市底图")
            .is_some(),
        "the map says the basemap is being made"
    );
    let start = std::time::Instant::now();
    while harness.state().notice.is_none() {
        assert!(
            start.elapsed().as_secs() < 120,
            "the basemap was not rendered"
        );
        harness.run_steps(1);
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let notice = harness.state().notice.clone().unwrap();
    assert!(
        notice.ok && notice.text.contains("城市底图已生成"),
        "{notice:?}"
    );
    assert!(out.exists(), "the tiles sit beside the database");
    let tiles: i64 = crate::common::sql(&out)
        .query_row("SELECT count(*) FROM tiles", [], |r| r.get(0))
        .unwrap();
    assert!(tiles > 100, "{tiles} tiles");
    harness.run_steps(2);
    assert!(
        harness
            .query_by_label_contains("正在生成城市底图")
            .is_none()
    );
    assert!(notice.text.contains(&tiles.to_string()), "{notice:?}");
}
