//! MBTiles reading on files the tests write: TMS row flip, metadata, ancestor fallback, and
//! clear refusals of files that are not MBTiles; and the demo basemap command's output.

use std::path::Path;

use heatdesk::map::basemap::world_pixel;
use heatdesk::map::tiles::mbtiles::{MbTiles, MbTilesError, MbTilesWriter, Metadata, TileXyz};

fn write_file(path: &Path, metadata: Option<(&str, &str)>, tiles: &[(u8, u32, u32, &[u8])]) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
         CREATE TABLE metadata (name TEXT, value TEXT);",
    )
    .unwrap();
    if let Some((min, max)) = metadata {
        conn.execute("INSERT INTO metadata VALUES ('minzoom', ?1), ('maxzoom', ?2), ('format', 'png'), ('bounds', '112.5,37.8,112.6,37.9')", [min, max])
            .unwrap();
    }
    for (z, x, row, data) in tiles {
        conn.execute(
            "INSERT INTO tiles VALUES (?1, ?2, ?3, ?4)",
            rusqlite::params![z, x, row, data],
        )
        .unwrap();
    }
}

#[test]
fn rows_are_flipped_from_tms_and_metadata_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.mbtiles");
    // at zoom 2 there are 4 rows: XYZ row 0 (north) is TMS row 3
    write_file(
        &path,
        Some(("1", "2")),
        &[
            (2, 1, 3, b"north"),
            (2, 1, 0, b"south"),
            (1, 0, 1, b"parent"),
        ],
    );
    let m = MbTiles::open(&path).unwrap();
    assert_eq!((m.metadata.min_zoom, m.metadata.max_zoom), (1, 2));
    assert_eq!(m.metadata.format, "png");
    assert_eq!(m.metadata.bounds, Some([112.5, 37.8, 112.6, 37.9]));
    assert_eq!(
        m.tile(TileXyz { z: 2, x: 1, y: 0 }).unwrap().as_deref(),
        Some(&b"north"[..])
    );
    assert_eq!(
        m.tile(TileXyz { z: 2, x: 1, y: 3 }).unwrap().as_deref(),
        Some(&b"south"[..])
    );
    assert_eq!(m.tile(TileXyz { z: 2, x: 0, y: 0 }).unwrap(), None);
}

#[test]
fn above_maxzoom_and_in_holes_the_nearest_stored_ancestor_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.mbtiles");
    // no metadata: zooms come from the tiles (1..=2)
    write_file(&path, None, &[(1, 0, 1, b"z1"), (2, 1, 3, b"z2")]);
    let m = MbTiles::open(&path).unwrap();
    assert_eq!((m.metadata.min_zoom, m.metadata.max_zoom), (1, 2));
    // zoom 5 tile inside z2 (1, 0): found at z2
    let (found, bytes) = m
        .tile_or_ancestor(TileXyz { z: 5, x: 8, y: 3 })
        .unwrap()
        .unwrap();
    assert_eq!(
        (found, bytes.as_slice()),
        (TileXyz { z: 2, x: 1, y: 0 }, &b"z2"[..])
    );
    // a hole at zoom 2 falls back to zoom 1
    let (found, _) = m
        .tile_or_ancestor(TileXyz { z: 2, x: 0, y: 1 })
        .unwrap()
        .unwrap();
    assert_eq!(found, TileXyz { z: 1, x: 0, y: 0 });
    // nothing stored above it at all
    assert!(
        m.tile_or_ancestor(TileXyz { z: 3, x: 7, y: 7 })
            .unwrap()
            .is_none()
    );
}

#[test]
fn files_that_are_not_mbtiles_are_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.mbtiles");
    assert!(matches!(
        MbTiles::open(&missing),
        Err(MbTilesError::Missing(_))
    ));

    let text = dir.path().join("text.mbtiles");
    std::fs::write(&text, "this is not a database at all, just some text").unwrap();
    let err = MbTiles::open(&text).err().unwrap();
    assert!(matches!(err, MbTilesError::NotSqlite(_)), "{err}");
    assert!(err.to_string().contains("text.mbtiles"));

    let no_tiles = dir.path().join("no_tiles.mbtiles");
    rusqlite::Connection::open(&no_tiles)
        .unwrap()
        .execute_batch("CREATE TABLE metadata (name TEXT, value TEXT);")
        .unwrap();
    let err = MbTiles::open(&no_tiles).err().unwrap();
    assert!(matches!(err, MbTilesError::NoTilesTable(_)), "{err}");
}

#[test]
fn the_writer_and_reader_agree() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.mbtiles");
    let meta = Metadata {
        name: "t".into(),
        format: "png".into(),
        min_zoom: 3,
        max_zoom: 4,
        bounds: None,
    };
    let mut w = MbTilesWriter::create(&path, &meta).unwrap();
    w.put(TileXyz { z: 4, x: 5, y: 6 }, b"a").unwrap();
    w.finish().unwrap();
    let m = MbTiles::open(&path).unwrap();
    assert_eq!(
        m.tile(TileXyz { z: 4, x: 5, y: 6 }).unwrap().as_deref(),
        Some(&b"a"[..])
    );
    let raw: u32 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("SELECT tile_row FROM tiles", [], |r| r.get(0))
        .unwrap();
    assert_eq!(raw, 16 - 1 - 6, "stored TMS-style");
}

#[test]
fn the_demo_basemap_command_writes_a_valid_mbtiles_over_the_city() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let now = heatdesk::demo::noon(chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
    heatdesk::demo::write_new(
        &db,
        &heatdesk::demo::DemoParams::new(heatdesk::demo::Scale::Demo, now),
    )
    .unwrap();
    let out = dir.path().join("demo.mbtiles");
    let render = |out: &std::path::Path, max| {
        use heatdesk::store::DispatchStore;
        let store = heatdesk::store::SqliteStore::open(&db).unwrap();
        let city = store.load_places().unwrap();
        let features = store.basemap_features().unwrap();
        heatdesk::map::basemap::write_basemap(&city, &features, out, 11, max)
    };
    let summary = render(&out, 15).unwrap();
    let m = MbTiles::open(&out).unwrap();
    assert_eq!((m.metadata.min_zoom, m.metadata.max_zoom), (11, 15));
    let zooms: Vec<(u8, u32)> = rusqlite::Connection::open(&out)
        .unwrap()
        .prepare("SELECT zoom_level, count(*) FROM tiles GROUP BY 1 ORDER BY 1")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        zooms.iter().map(|z| z.0).collect::<Vec<_>>(),
        vec![11, 12, 13, 14, 15]
    );
    assert_eq!(
        zooms.iter().map(|z| z.1 as usize).sum::<usize>(),
        summary.tiles
    );

    // the tile over 工银新村 at zoom 15 is a real PNG with more than one colour
    let store = heatdesk::store::SqliteStore::open(&db).unwrap();
    let snap = heatdesk::store::DispatchStore::load(&store).unwrap();
    let c = snap
        .compounds
        .iter()
        .find(|c| c.name == "工银新村")
        .unwrap();
    let px = world_pixel(c.outline[0], 15);
    let t = TileXyz {
        z: 15,
        x: (px[0] / 256.0) as u32,
        y: (px[1] / 256.0) as u32,
    };
    let png = m.tile(t).unwrap().expect("a tile over the city");
    assert_eq!(&png[1..4], b"PNG");
    let decoded = image_colours(&png);
    assert!(decoded > 2, "only {decoded} colours in the tile");
    assert!(render(&out, 12).is_err(), "never overwrites");
}

/// Distinct colours in a PNG (tiny-skia decodes what it encodes).
fn image_colours(png: &[u8]) -> usize {
    let pixmap = tiny_skia::Pixmap::decode_png(png).unwrap();
    let mut seen = std::collections::HashSet::new();
    for p in pixmap.pixels() {
        seen.insert((p.red(), p.green(), p.blue()));
    }
    seen.len()
}
