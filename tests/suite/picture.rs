//! The map as a picture: the software rasterizer against shapes of known colour, `heatdesk
//! map-image` on the demo city (legend, title, basemap, the area asked for, bad input), the
//! daily report's map sheet, and the console's 导出地图 cropping its screenshot to the map.

use egui::{Color32, pos2, vec2};
use heatdesk::demo::{self, DemoParams, Scale};
use heatdesk::store::{DispatchStore, SqliteStore};
use heatdesk::ui::picture::{Area, Options, map_png, render};
use heatdesk::ui::raster::Canvas;
use heatdesk::ui::{HeatDeskApp, Prefs, install_fonts};

use crate::common::console::now;
use crate::common::{heatdesk, succeeded};

/// A PNG's size and pixels (premultiplied RGBA; the pictures are opaque).
fn decode(png: &[u8]) -> tiny_skia::Pixmap {
    tiny_skia::Pixmap::decode_png(png).expect("a PNG")
}

fn count(p: &tiny_skia::Pixmap, rgb: [u8; 3]) -> usize {
    p.pixels()
        .iter()
        .filter(|c| [c.red(), c.green(), c.blue()] == rgb)
        .count()
}

fn rgb(c: Color32) -> [u8; 3] {
    [c.r(), c.g(), c.b()]
}

#[test]
fn the_rasterizer_paints_what_egui_tessellates() {
    let ctx = egui::Context::default();
    install_fonts(&ctx);
    let input = egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            pos2(0.0, 0.0),
            vec2(200.0, 100.0),
        )),
        ..Default::default()
    };
    let mut out = ctx.run_ui(input, |ui| {
        let p = ui.painter();
        p.rect_filled(
            egui::Rect::from_min_max(pos2(10.0, 10.0), pos2(50.0, 50.0)),
            0.0,
            Color32::RED,
        );
        // half-transparent blue over white: one blend, no seam along the quad's diagonal
        p.rect_filled(
            egui::Rect::from_min_max(pos2(60.0, 10.0), pos2(100.0, 50.0)),
            0.0,
            Color32::from_rgba_unmultiplied(0, 0, 255, 128),
        );
        p.text(
            pos2(110.0, 10.0),
            egui::Align2::LEFT_TOP,
            "供热 42",
            egui::FontId::proportional(24.0),
            Color32::BLACK,
        );
    });
    let mut canvas = Canvas::new(200, 100, Color32::WHITE);
    canvas.set_textures(&mut out.textures_delta);
    let primitives = ctx.tessellate(out.shapes, out.pixels_per_point);
    canvas.paint(&primitives, out.pixels_per_point);
    canvas.free_textures(out.textures_delta);
    assert_eq!(canvas.pixel(30, 30), [255, 0, 0, 255]);
    assert_eq!(
        canvas.pixel(5, 5),
        [255, 255, 255, 255],
        "outside: untouched"
    );
    let blue = canvas.pixel(70, 40);
    assert!(
        (126..=128).contains(&blue[0]) && blue[2] == 255 && blue[3] == 255,
        "{blue:?}"
    );
    // (75.5, 25.5) lies on the diagonal from (60, 10) to (100, 50)
    assert_eq!(canvas.pixel(75, 25), blue, "no seam on the diagonal");
    assert_eq!(canvas.pixel(76, 25), blue);
    // the glyphs come from the font texture: dark pixels where the text is, none below it
    let dark = |y0: u32, y1: u32| {
        (110..200)
            .flat_map(|x| (y0..y1).map(move |y| (x, y)))
            .filter(|&(x, y)| canvas.pixel(x, y)[0] < 100)
            .count()
    };
    assert!(dark(10, 40) > 40, "text drawn: {}", dark(10, 40));
    assert_eq!(dark(50, 100), 0);
    let png = canvas.png().unwrap();
    assert_eq!(decode(&png).width(), 200);
}

/// The demo city in a file, with its basemap rendered beside it (coarse zooms: quick).
fn demo_city(dir: &std::path::Path, basemap: bool) -> std::path::PathBuf {
    let db = dir.join("demo.db");
    demo::write_new(&db, &DemoParams::new(Scale::Demo, now())).unwrap();
    if basemap {
        let store = SqliteStore::open(&db).unwrap();
        let snap = store.load().unwrap();
        let features = store.basemap_features().unwrap();
        heatdesk::map::basemap::write_basemap(
            &snap,
            &features,
            &heatdesk::map::basemap::beside(&db),
            12,
            13,
        )
        .unwrap();
    }
    db
}

#[test]
fn map_image_draws_the_city_its_legend_title_and_basemap() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_city(dir.path(), true);
    let out = dir.path().join("city.png");
    let said = succeeded(&heatdesk(
        &db,
        &[
            "map-image",
            "--out",
            out.to_str().unwrap(),
            "--size",
            "1000x700",
        ],
    ));
    assert!(said.contains("1000x700"), "{said}");
    let p = decode(&std::fs::read(&out).unwrap());
    assert_eq!((p.width(), p.height()), (1000, 700));
    // every legend class has its swatch (22 × 12 px) in its own colour
    for class in 0..5 {
        let c = heatdesk::map::style::class_colour(class);
        assert!(
            count(&p, rgb(c)) >= 200,
            "class {class}: {}",
            count(&p, rgb(c))
        );
    }
    // the basemap's land shows between the compounds
    let land = count(&p, [0xf2, 0xef, 0xe9]);
    assert!(land > 20_000, "basemap land pixels: {land}");
    // the title's dark letters at the top left
    let title = (20..300)
        .flat_map(|x| (15..50).map(move |y| (x, y)))
        .filter(|&(x, y)| p.pixel(x, y).unwrap().red() < 80)
        .count();
    assert!(title > 100, "title pixels: {title}");

    // without a basemap: a plain background, no land colour
    let bare = dir.path().join("bare.png");
    let other = dir.path().join("other.db");
    std::fs::copy(&db, &other).unwrap();
    succeeded(&heatdesk(
        &other,
        &[
            "map-image",
            "--out",
            bare.to_str().unwrap(),
            "--size",
            "800x500",
        ],
    ));
    assert_eq!(
        count(&decode(&std::fs::read(&bare).unwrap()), [0xf2, 0xef, 0xe9]),
        0
    );
}

#[test]
fn a_compound_or_a_box_is_fitted_into_the_picture() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_city(dir.path(), false);
    let open = || {
        let store = SqliteStore::open(&db).unwrap();
        let snap = store.load().unwrap();
        HeatDeskApp::new(Box::new(store), snap, Prefs::default(), Box::new(now))
    };
    let mut city = open();
    render(&mut city, &Area::City, [800, 600]).unwrap();
    let city_zoom = city.map.memory.zoom();
    let mut one = open();
    let compound = one.console.snapshot().compounds[7].clone();
    render(&mut one, &Area::Compound(compound.name.clone()), [800, 600]).unwrap();
    assert!(
        one.map.memory.zoom() > city_zoom + 2.0,
        "{} vs the city's {city_zoom}",
        one.map.memory.zoom()
    );
    // the compound sits in the middle of the picture
    let (lo, hi) = one.bounds(|c| c.id == compound.id).unwrap();
    let rect = one.map.rect.unwrap();
    let home = one.city_centre();
    for corner in [lo, hi] {
        let at = one.map.screen_position(rect, home, corner, false);
        assert!(rect.shrink(20.0).contains(at), "{corner:?} at {at:?}");
    }
    // a box: its corners inside, and most of it used
    let mut boxed = open();
    render(&mut boxed, &Area::Bbox(lo, hi), [800, 600]).unwrap();
    assert!((boxed.map.memory.zoom() - one.map.memory.zoom()).abs() < 0.01);

    // what cannot be drawn is refused, and nothing is written
    let out = dir.path().join("x.png");
    for (args, says) in [
        (vec!["--compound", "没有这个小区"], "no compound named"),
        (vec!["--bbox", "112.5,37.8,112.6"], "--bbox"),
        (vec!["--bbox", "112.5,37.8,112.5,37.9"], "no area"),
        (vec!["--size", "10x10"], "64 to 8192"),
        (vec!["--size", "big"], "--size"),
    ] {
        let mut all = vec!["map-image", "--out", out.to_str().unwrap()];
        all.extend(args.iter().copied());
        let run = heatdesk(&db, &all);
        assert!(!run.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&run.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(!out.exists(), "{args:?}");
    }
}

#[test]
fn the_daily_report_carries_the_city_map() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_city(dir.path(), false);
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
    let bytes = std::fs::read(&out).unwrap();
    // the workbook holds one picture, on the sheet after the tables
    let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(has(b"xl/media/image1.png"));
    assert!(!has(b"xl/media/image2.png"));
    use calamine::Reader;
    let book: calamine::Xlsx<_> = calamine::open_workbook(&out).unwrap();
    assert_eq!(book.sheet_names().last().unwrap(), "城市地图");
}

#[test]
fn the_lib_draws_in_english_too() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_city(dir.path(), false);
    let store = SqliteStore::open(&db).unwrap();
    let snap = store.load().unwrap();
    let png = map_png(
        Box::new(store),
        snap,
        &Options {
            area: Area::City,
            size: [640, 480],
            metric: heatdesk::domain::colouring::Metric::Satisfaction,
            lang: heatdesk::words::Lang::En,
            basemap: None,
            now: now(),
        },
    )
    .unwrap();
    let p = decode(&png);
    assert_eq!((p.width(), p.height()), (640, 480));
}

/// 导出地图 in the console: the window's screenshot, cut to the map, saved in the exports.
#[test]
fn export_map_saves_the_map_part_of_the_window() {
    use egui_kittest::kittest::Queryable;
    let dir = tempfile::tempdir().unwrap();
    let (mut harness, _) = crate::common::console::console(dir.path());
    let exports = dir.path().join("exports");
    harness.state_mut().export_dir = exports.clone();
    harness.run_steps(2);
    harness.get_by_label("地图").click();
    harness.run_steps(3);
    harness.get_by_label("导出地图").click();
    // the title goes on the map, then the screenshot is asked for
    let mut asked = None;
    for _ in 0..4 {
        harness.step();
        asked = harness
            .output()
            .viewport_output
            .values()
            .flat_map(|v| v.commands.iter())
            .find_map(|c| match c {
                egui::ViewportCommand::Screenshot(cb) => Some(cb.clone()),
                _ => None,
            });
        if asked.is_some() {
            break;
        }
    }
    let asked = asked.expect("a screenshot asked for");
    // the window's pixels: each one says where it is
    let (w, h) = (1600usize, 1000usize);
    let pixels = (0..h)
        .flat_map(|y| (0..w).map(move |x| Color32::from_rgb((x % 251) as u8, (y % 251) as u8, 7)))
        .collect();
    asked.complete(std::sync::Arc::new(egui::ColorImage::new([w, h], pixels)));
    harness.run_steps(2);
    let notice = harness.state().notice.clone().unwrap();
    assert!(notice.ok, "{}", notice.text);
    let file = std::fs::read_dir(&exports)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "png"))
        .unwrap();
    assert!(notice.text.contains(&file.display().to_string()));
    let map = harness.state().map_rect.unwrap();
    let p = decode(&std::fs::read(&file).unwrap());
    assert_eq!(
        (p.width() as usize, p.height() as usize),
        (
            map.max.x as usize - map.min.x as usize,
            map.max.y as usize - map.min.y as usize
        )
    );
    let corner = p.pixel(0, 0).unwrap();
    assert_eq!(
        [corner.red(), corner.green(), corner.blue()],
        [
            (map.min.x as usize % 251) as u8,
            (map.min.y as usize % 251) as u8,
            7
        ]
    );
    assert!(matches!(
        harness.state().map_export,
        heatdesk::ui::picture::Export::Idle
    ));
}

/// The legend fits the picture at every size from 800×600 up, in both languages: at
/// 1200×600 (a wall strip) it went past the bottom edge and the pipe classes fell outside.
#[test]
fn the_legend_fits_the_picture_at_every_size() {
    let dir = tempfile::tempdir().unwrap();
    let db = demo_city(dir.path(), false);
    for lang in [heatdesk::words::Lang::Zh, heatdesk::words::Lang::En] {
        for size in [
            [800, 600],
            [1200, 600],
            [1000, 700],
            [1280, 720],
            [1600, 1000],
            [1920, 1080],
        ] {
            let store = SqliteStore::open(&db).unwrap();
            let snap = store.load().unwrap();
            let prefs = Prefs {
                lang,
                ..Prefs::default()
            };
            let mut app = HeatDeskApp::new(Box::new(store), snap, prefs, Box::new(now));
            render(&mut app, &Area::City, size).unwrap();
            let legend = app.map_tools.legend.expect("the legend is drawn");
            let picture = egui::Rect::from_min_size(
                egui::pos2(0.0, 0.0),
                egui::vec2(size[0] as f32, size[1] as f32),
            );
            assert!(
                picture.shrink(4.0).contains_rect(legend),
                "{lang:?} {size:?}: the legend at {legend:?}"
            );
            let two = (size[1] as f32) < heatdesk::ui::legend::TWO_COLUMNS_BELOW;
            assert_eq!(
                legend.width() > legend.height(),
                two,
                "{lang:?} {size:?}: {legend:?}"
            );
        }
    }
}
