//! 底图: the map's background, chosen in a window that stays open while it is used — the
//! city's own basemap (生成底图 renders it from the city's roads, river and blocks when there is
//! none, with progress), an MBTiles file through a file dialog drawn in the window (with the
//! files used lately), OpenStreetMap, 天地图 (vector or imagery, with its labels; the company's
//! key), any XYZ template; how opaque it is; and each source's attribution on the map.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, channel};

use egui::RichText;
use egui_file::FileDialog;

use super::app::{HeatDeskApp, Notice};
use crate::console::jobs::CityMap;
use crate::map::Basemap;
use crate::words::problem::{Problem, headed};
use crate::words::{self, Key};

/// A basemap being rendered: (tiles done, tiles in all), and its outcome.
type Rendering = (Arc<(AtomicU64, AtomicU64)>, Receiver<Result<usize, String>>);

/// The basemap window's state.
#[derive(Default)]
pub struct BasemapForm {
    pub open: bool,
    /// Typed or picked: an MBTiles file, an XYZ template, a 天地图 key.
    pub mbtiles: String,
    pub xyz: String,
    pub tianditu_key: String,
    pub tianditu_imagery: bool,
    dialog: Option<FileDialog>,
    /// The console reads the city's map ([`crate::console::Request::ReadCityMap`]).
    reading: bool,
    rendering: Option<Rendering>,
}

impl BasemapForm {
    pub fn rendering(&self) -> bool {
        self.reading || self.rendering.is_some()
    }

    /// While the city's basemap is made: the tiles drawn and in all (0 of 0 while its map is
    /// read).
    pub fn progress(&self) -> Option<(u64, u64)> {
        match &self.rendering {
            Some((p, _)) => Some((p.0.load(Ordering::Relaxed), p.1.load(Ordering::Relaxed))),
            None => self.reading.then_some((0, 0)),
        }
    }
}

impl HeatDeskApp {
    /// Open the basemap window, its fields filled from the current choice.
    pub fn open_basemap_window(&mut self) {
        let form = &mut self.basemap_form;
        form.open = true;
        match &self.prefs.map.basemap {
            Basemap::MbTiles(p) => form.mbtiles = p.display().to_string(),
            Basemap::Xyz { url } => form.xyz = url.clone(),
            Basemap::Tianditu { key, imagery } => {
                form.tianditu_key = key.clone();
                form.tianditu_imagery = *imagery;
            }
            _ => {}
        }
    }

    /// Use an MBTiles file, and remember it among the recent ones.
    pub fn use_mbtiles(&mut self, path: PathBuf) {
        self.prefs.recent_mbtiles.retain(|p| *p != path);
        self.prefs.recent_mbtiles.insert(0, path.clone());
        self.prefs.recent_mbtiles.truncate(8);
        self.basemap_form.mbtiles = path.display().to_string();
        self.prefs.map.basemap = Basemap::MbTiles(path);
    }

    /// Render the city's own basemap beside the database: the console reads the city's map
    /// on its worker, then it is drawn into tiles on one of the screen's (no store there).
    pub fn render_city_basemap(&mut self) {
        if self.map.demo_basemap.is_some() && !self.basemap_form.rendering() {
            self.console.push(crate::console::Request::ReadCityMap);
            self.basemap_form.reading = true;
        }
    }

    /// The console read the city's map: draw it into tiles (on a worker, with progress).
    pub(super) fn city_map_read(&mut self, read: Result<CityMap, Problem>) {
        self.basemap_form.reading = false;
        let Some(out) = self.map.demo_basemap.clone() else {
            return;
        };
        let city = match read {
            Ok(city) => city,
            Err(e) => {
                let lang = self.lang();
                self.notice = Some(Notice::said(false, lang, move |lang| {
                    headed(lang, words::t(lang, Key::Refused), &e)
                }));
                return;
            }
        };
        let progress = Arc::new((AtomicU64::new(0), AtomicU64::new(0)));
        let shared = progress.clone();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let done = crate::map::basemap::write_basemap_with(
                &city.places,
                &city.features,
                &out,
                11,
                18,
                &shared,
            )
            .map(|s| s.tiles);
            let _ = tx.send(done);
        });
        self.basemap_form.rendering = Some((progress, rx));
    }

    fn finish_rendering(&mut self) {
        let Some((_, rx)) = &self.basemap_form.rendering else {
            return;
        };
        let Ok(done) = rx.try_recv() else { return };
        self.basemap_form.rendering = None;
        self.notice = Some(match done {
            Ok(tiles) => {
                // opened afresh, now that it is there
                self.prefs.map.basemap = Basemap::Demo;
                self.map.reopen_tiles();
                Notice::said(true, self.lang(), move |lang| {
                    format!("{} ({tiles})", words::t(lang, Key::BasemapRendered))
                })
            }
            Err(e) => Notice::said(false, self.lang(), move |lang| {
                format!("{}: {e}", words::t(lang, Key::Refused))
            }),
        });
    }
}

pub fn show(app: &mut HeatDeskApp, ctx: &egui::Context) {
    app.finish_rendering();
    if !app.basemap_form.open {
        return;
    }
    let lang = app.lang();
    let tr = |k| words::t(lang, k);
    let mut open = true;
    let mut render = false;
    let mut picked: Option<PathBuf> = None;
    let has_city_basemap = app.map.demo_basemap.as_ref().is_some_and(|p| p.exists());
    egui::Window::new(tr(Key::BasemapTitle))
        .open(&mut open)
        .default_width(520.0)
        .show(ctx, |ui| {
            let basemap = &mut app.prefs.map.basemap;
            let form = &mut app.basemap_form;
            // the city's own
            ui.horizontal(|ui| {
                ui.radio_value(basemap, Basemap::Demo, tr(Key::DemoBasemap));
                if !has_city_basemap && !form.rendering() {
                    ui.label(RichText::new(tr(Key::BasemapMissing)).small().weak());
                    if ui.button(tr(Key::RenderBasemap)).clicked() {
                        render = true;
                    }
                }
            });
            if let Some((progress, _)) = &form.rendering {
                let (done, all) = (
                    progress.0.load(Ordering::Relaxed),
                    progress.1.load(Ordering::Relaxed).max(1),
                );
                ui.add(
                    egui::ProgressBar::new(done as f32 / all as f32)
                        .text(format!("{done} / {all}")),
                );
                ui.ctx()
                    .request_repaint_after(std::time::Duration::from_millis(200));
            }
            // an MBTiles file
            ui.horizontal(|ui| {
                let chosen = matches!(basemap, Basemap::MbTiles(_));
                if ui.radio(chosen, tr(Key::MbTilesFile)).clicked()
                    && !form.mbtiles.trim().is_empty()
                {
                    picked = Some(PathBuf::from(form.mbtiles.trim()));
                }
                let label = ui.label("");
                ui.add(
                    egui::TextEdit::singleline(&mut form.mbtiles)
                        .desired_width(240.0)
                        .hint_text("/path/to/city.mbtiles"),
                )
                .labelled_by(label.id);
                if ui.button(tr(Key::Browse)).clicked() {
                    let mut dialog = FileDialog::open_file()
                        .title(tr(Key::MbTilesFile))
                        .open_button_text(tr(Key::Open).into())
                        .cancel_button_text(tr(Key::Cancel).into())
                        .file_label_text(tr(Key::FileLabel).into())
                        .show_hidden_checkbox_text(tr(Key::ShowHidden).into())
                        .refresh_button_hover_text(tr(Key::Refresh).into())
                        .parent_folder_button_hover_text(tr(Key::ParentFolder).into())
                        .show_rename(false)
                        .show_new_folder(false)
                        .show_files_filter(Box::new(|p: &std::path::Path| {
                            p.extension()
                                .is_some_and(|e| e.eq_ignore_ascii_case("mbtiles"))
                        }));
                    if let Some(dir) = PathBuf::from(form.mbtiles.trim()).parent()
                        && dir.is_dir()
                    {
                        dialog = dialog.initial_path(dir);
                    }
                    dialog.open();
                    form.dialog = Some(dialog);
                }
                if ui.button(tr(Key::Open)).clicked() && !form.mbtiles.trim().is_empty() {
                    picked = Some(PathBuf::from(form.mbtiles.trim()));
                }
            });
            if !app.prefs.recent_mbtiles.is_empty() {
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new(tr(Key::RecentFiles)).small());
                    for p in &app.prefs.recent_mbtiles {
                        let name = p.file_name().map_or_else(
                            || p.display().to_string(),
                            |n| n.to_string_lossy().into_owned(),
                        );
                        if ui
                            .small_button(name)
                            .on_hover_text(p.display().to_string())
                            .clicked()
                        {
                            picked = Some(p.clone());
                        }
                    }
                });
            }
            // online sources
            ui.radio_value(basemap, Basemap::OpenStreetMap, "OpenStreetMap");
            ui.horizontal(|ui| {
                let chosen = matches!(basemap, Basemap::Tianditu { .. });
                if ui.radio(chosen, tr(Key::Tianditu)).clicked() {
                    *basemap = Basemap::Tianditu {
                        key: form.tianditu_key.trim().to_string(),
                        imagery: form.tianditu_imagery,
                    };
                }
                let label = ui.label(tr(Key::TiandituKey));
                let typed = ui
                    .add(egui::TextEdit::singleline(&mut form.tianditu_key).desired_width(180.0))
                    .labelled_by(label.id);
                let kind = ui.checkbox(&mut form.tianditu_imagery, tr(Key::Imagery));
                if (typed.lost_focus() || kind.changed()) && chosen {
                    *basemap = Basemap::Tianditu {
                        key: form.tianditu_key.trim().to_string(),
                        imagery: form.tianditu_imagery,
                    };
                }
            });
            ui.horizontal(|ui| {
                let chosen = matches!(basemap, Basemap::Xyz { .. });
                if ui.radio(chosen, "XYZ").clicked() && !form.xyz.trim().is_empty() {
                    *basemap = Basemap::Xyz {
                        url: form.xyz.trim().to_string(),
                    };
                }
                let label = ui.label("");
                let typed = ui
                    .add(
                        egui::TextEdit::singleline(&mut form.xyz)
                            .desired_width(360.0)
                            .hint_text("https://…/{z}/{x}/{y}.png（TMS: {-y}）"),
                    )
                    .labelled_by(label.id);
                if typed.lost_focus() && chosen && !form.xyz.trim().is_empty() {
                    *basemap = Basemap::Xyz {
                        url: form.xyz.trim().to_string(),
                    };
                }
            });
            ui.radio_value(basemap, Basemap::None, tr(Key::NoBasemap));
            ui.separator();
            ui.horizontal(|ui| {
                let label = ui.label(tr(Key::Opacity));
                ui.add(egui::Slider::new(&mut app.prefs.map.opacity, 0.1..=1.0))
                    .labelled_by(label.id);
            });
            ui.checkbox(&mut app.prefs.map.gcj02, tr(Key::Gcj02));
            if let Some(note) = &app.map.tiles_problem {
                ui.label(RichText::new(note).small().weak());
            }
        });
    // the file dialog, drawn in the window (the same on every desktop and in tests)
    if let Some(dialog) = &mut app.basemap_form.dialog {
        if dialog.show(ctx).selected()
            && let Some(path) = dialog.path()
        {
            picked = Some(path.to_path_buf());
        }
        if !dialog.visible() {
            app.basemap_form.dialog = None;
        }
    }
    if let Some(path) = picked {
        app.use_mbtiles(path);
    }
    if render {
        app.render_city_basemap();
    }
    if !open {
        app.basemap_form.open = false;
    }
}
