//! The map as a picture for the duty-room wall and the reports: what the console draws —
//! basemap, layers, legend, scale bar — under a title with the date. Headless (the command line,
//! the daily report) it is drawn by egui and rasterized in software; in the window, 导出地图
//! takes the console's own screenshot of the map.

use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::{Color32, FontId, Rect, Ui, pos2, vec2};

use super::app::HeatDeskApp;
use crate::domain::LonLat;
use crate::words::{self, Key};

/// What part of the city a picture shows.
#[derive(Debug, Clone, PartialEq)]
pub enum Area {
    /// Every compound.
    City,
    /// One compound, by its name.
    Compound(String),
    /// A box: lower-left and upper-right corners (WGS-84).
    Bbox(LonLat, LonLat),
}

/// The title strip: the title, and the metric with the time it shows.
pub fn title_strip(app: &HeatDeskApp, ui: &Ui, map: Rect, title: &str) {
    let lang = app.lang();
    let painter = ui.painter_at(map);
    let ink = Color32::from_gray(25);
    let head = painter.layout_no_wrap(title.to_string(), FontId::proportional(22.0), ink);
    let under = format!(
        "{} · {} · HeatDesk",
        words::metric(lang, app.prefs.map.metric),
        app.now().format("%Y-%m-%d %H:%M")
    );
    let sub = painter.layout_no_wrap(under, FontId::proportional(13.0), Color32::from_gray(70));
    let width = head.size().x.max(sub.size().x);
    let at = map.left_top() + vec2(12.0, 12.0);
    let back = Rect::from_min_size(at, vec2(width + 24.0, head.size().y + sub.size().y + 20.0));
    painter.rect_filled(back, 6.0, Color32::from_white_alpha(235));
    painter.galley(at + vec2(12.0, 8.0), head.clone(), ink);
    painter.galley(
        at + vec2(12.0, 12.0 + head.size().y),
        sub,
        Color32::from_gray(70),
    );
}

/// The picture's title: "集中供热地图", and the compound when it shows one.
pub fn title(app: &HeatDeskApp, area: &Area) -> String {
    let base = app.tr(Key::MapPictureTitle);
    match area {
        Area::Compound(name) => format!("{base} · {name}"),
        _ => base.to_string(),
    }
}

/// Draw one frame of the picture: the map over the whole screen, legend, scale, title.
fn draw(app: &mut HeatDeskApp, ui: &mut Ui, title: &str) {
    egui::CentralPanel::default()
        .frame(egui::Frame::NONE)
        .show(ui, |ui| {
            let home = app.city_centre();
            let views = app.console.views();
            let (hits, response) = app.map.show(
                ui,
                app.console.snapshot(),
                crate::map::Shading {
                    counts: &views.counts,
                    colours: &views.colours,
                },
                app.prefs.layers,
                &app.prefs.map,
                crate::map::Focus::default(),
                home,
            );
            app.map_tools.pointer = None;
            app.map_tools.metres_per_pixel = hits.metres_per_pixel;
            if let Some(r) = response {
                app.map_tools.legend = super::legend::show(app, ui, r.rect);
                super::map_tools::scale_and_status(app, ui, r.rect);
                title_strip(app, ui, r.rect, title);
            }
        });
}

/// Render the map of `area` headless into a PNG of `size` pixels. Waits (at most ten seconds)
/// for the offline basemap's tiles.
pub fn render(app: &mut HeatDeskApp, area: &Area, size: [u32; 2]) -> anyhow::Result<Vec<u8>> {
    anyhow::ensure!(
        (64..=8192).contains(&size[0]) && (64..=8192).contains(&size[1]),
        "a picture is 64 to 8192 pixels wide and high, not {}x{}",
        size[0],
        size[1]
    );
    let bounds = match area {
        Area::City => app.bounds(|_| true),
        Area::Compound(name) => {
            let found = app.bounds(|c| c.name == *name);
            anyhow::ensure!(found.is_some(), "no compound named {name:?}");
            found
        }
        Area::Bbox(lo, hi) => Some((
            [lo[0].min(hi[0]), lo[1].min(hi[1])],
            [lo[0].max(hi[0]), lo[1].max(hi[1])],
        )),
    };
    let title = title(app, area);
    let ctx = egui::Context::default();
    super::install_fonts(&ctx);
    ctx.set_theme(egui::Theme::Light);
    let input = |t: f64| egui::RawInput {
        screen_rect: Some(Rect::from_min_size(
            pos2(0.0, 0.0),
            vec2(size[0] as f32, size[1] as f32),
        )),
        time: Some(t),
        ..Default::default()
    };
    // the map's area is known after the first frame; then the view is fitted and the tiles
    // it needs are read
    let mut canvas = super::raster::Canvas::new(size[0], size[1], Color32::WHITE);
    let started = Instant::now();
    let mut frame = 0;
    loop {
        let mut out = ctx.run_ui(input(frame as f64 / 60.0), |ui| draw(app, ui, &title));
        canvas.set_textures(&mut out.textures_delta);
        canvas.free_textures(out.textures_delta);
        if frame == 0
            && let Some((lo, hi)) = bounds
        {
            app.map.fit(lo, hi, 3.0);
        }
        frame += 1;
        let waiting = app.map.tiles_loading() && started.elapsed() < Duration::from_secs(10);
        if frame >= 3 && !waiting {
            // one more frame: the tiles read last are drawn
            let mut out = ctx.run_ui(input(frame as f64 / 60.0), |ui| draw(app, ui, &title));
            canvas.set_textures(&mut out.textures_delta);
            let primitives = ctx.tessellate(out.shapes, out.pixels_per_point);
            canvas.paint(&primitives, out.pixels_per_point);
            canvas.free_textures(out.textures_delta);
            // the tiles' textures belong to this context: let them go while it is here
            app.map.reopen_tiles();
            ctx.run_ui(input(frame as f64 / 60.0), |_| {})
                .textures_delta
                .clear();
            return canvas.png();
        }
        if waiting {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// A screenshot on its way from the window.
type Shot = Arc<std::sync::Mutex<Option<Arc<egui::ColorImage>>>>;

/// The console's 导出地图: asked, then waiting for the window's screenshot.
#[derive(Debug, Clone, Default)]
pub enum Export {
    #[default]
    Idle,
    /// The title is drawn on the map; the screenshot is asked for on the frame after the one
    /// the menu closed in.
    Asked { since: f64, frames: u32, shot: Shot },
}

/// Start an export of the map on screen.
pub fn ask_export(app: &mut HeatDeskApp, ctx: &egui::Context) {
    app.map_export = Export::Asked {
        since: ctx.input(|i| i.time),
        frames: 0,
        shot: Default::default(),
    };
    ctx.request_repaint();
}

/// While an export is under way: draw the title, ask for the screenshot, and save the map's
/// part of it when it comes.
pub fn export_step(app: &mut HeatDeskApp, ui: &Ui, map: Rect) {
    let Export::Asked {
        since,
        frames,
        shot,
    } = &mut app.map_export
    else {
        return;
    };
    *frames += 1;
    if *frames == 2 {
        let (into, ctx) = (Arc::clone(shot), ui.ctx().clone());
        ui.ctx().request_screenshot(move |image| {
            *into.lock().unwrap_or_else(|e| e.into_inner()) = Some(image);
            ctx.request_repaint();
        });
    }
    let taken = shot.lock().unwrap_or_else(|e| e.into_inner()).take();
    let since = *since;
    title_strip(app, ui, map, &title(app, &Area::City));
    let now = ui.input(|i| i.time);
    let lang = app.lang();
    if let Some(image) = taken {
        app.map_export = Export::Idle;
        let ppp = ui.ctx().pixels_per_point();
        let region = image.region(&map, Some(ppp));
        let result = save_png(app, &region);
        app.notice = Some(match result {
            Ok(path) => super::app::Notice::said(true, lang, move |lang| {
                format!("{}: {}", words::t(lang, Key::MapExported), path.display())
            }),
            Err(e) => {
                let e = format!("{e:#}");
                super::app::Notice::said(false, lang, move |lang| {
                    format!("{}: {e}", words::t(lang, Key::ExportMap))
                })
            }
        });
    } else if now - since > 5.0 {
        // a window that cannot read its pixels back: say so rather than wait
        app.map_export = Export::Idle;
        app.notice = Some(super::app::Notice::said(false, lang, |lang| {
            words::t(lang, Key::MapExportFailed).to_string()
        }));
    } else {
        ui.ctx().request_repaint();
    }
}

/// Write a picture into the exports folder, named by the time.
fn save_png(app: &HeatDeskApp, image: &egui::ColorImage) -> anyhow::Result<std::path::PathBuf> {
    let [w, h] = image.size;
    let size = tiny_skia::IntSize::from_wh(w as u32, h as u32)
        .ok_or_else(|| anyhow::anyhow!("the map has no size on screen"))?;
    let bytes = image
        .pixels
        .iter()
        .flat_map(|c| [c.r(), c.g(), c.b(), c.a()])
        .collect();
    let png = tiny_skia::Pixmap::from_vec(bytes, size)
        .ok_or_else(|| anyhow::anyhow!("the screenshot's pixels do not match its size"))?
        .encode_png()?;
    std::fs::create_dir_all(&app.export_dir)?;
    let path = app.export_dir.join(format!(
        "{}-{}.png",
        app.tr(Key::MapFileStem),
        app.now().format("%Y%m%d-%H%M%S")
    ));
    std::fs::write(&path, png)?;
    Ok(path)
}

/// What `heatdesk map-image` (and the daily report) asks for.
pub struct Options {
    pub area: Area,
    pub size: [u32; 2],
    pub metric: crate::domain::colouring::Metric,
    pub lang: crate::words::Lang,
    /// The offline basemap under the map (none: a plain background).
    pub basemap: Option<std::path::PathBuf>,
    /// The time the picture shows (the colours and its title).
    pub now: crate::domain::Timestamp,
}

/// The map of a database as a PNG, drawn as the console draws it.
pub fn map_png(
    store: Box<dyn crate::store::DispatchStore>,
    snap: crate::domain::Snapshot,
    options: &Options,
) -> anyhow::Result<Vec<u8>> {
    let mut prefs = super::Prefs {
        lang: options.lang,
        ..Default::default()
    };
    prefs.map.metric = options.metric;
    let basemap = options.basemap.clone().filter(|p| p.exists());
    if basemap.is_none() {
        prefs.map.basemap = crate::map::Basemap::None;
    }
    let now = options.now;
    let mut app =
        HeatDeskApp::new(store, snap, prefs, Box::new(move || now)).with_demo_basemap(basemap);
    render(&mut app, &options.area, options.size)
}
