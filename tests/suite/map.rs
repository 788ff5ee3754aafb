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
    assert_eq!(index.building_at(at(25.0, 6.0)), Some(0));
    assert_eq!(index.building_at(at(61.0, 1.0)), Some(1));
    assert_eq!(
        index.building_at(at(55.0, 6.0)),
        None,
        "the gap between two slabs"
    );
    assert_eq!(
        index.building_at(at(125.0, 30.0)),
        Some(2),
        "the U's west wing"
    );
    assert_eq!(index.building_at(at(150.0, 6.0)), Some(2), "the U's bar");
    // inside the U's bounding box but in its courtyard (the notch): no building
    assert_eq!(index.building_at(at(150.0, 30.0)), None);
    // the compound is still there
    assert_eq!(index.compound_at(at(150.0, 30.0)), Some(0));
    assert_eq!(index.compound_at(at(300.0, 30.0)), None);
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
            index.building_at(c),
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
