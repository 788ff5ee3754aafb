//! Panels and dialogs: they draw the snapshot and send commands, nothing more.

mod alerts;
pub mod app;
mod backups;
mod board;
mod detail;
pub mod import;
pub mod intake;
mod leaders;
mod legend;
mod map_menu;
mod prefs;
pub mod queue;
mod rules;
pub mod search;
mod teams;
pub mod top_bar;
mod trace_panel;
pub mod visit_form;

use std::path::PathBuf;

use anyhow::Context as _;

pub use app::{HeatDeskApp, Prefs, Selection};
pub use queue::TicketDrag;

use crate::demo::{self, DemoParams, Scale};
use crate::store::{DispatchStore, SqliteStore};

/// A labelled drop-down over a fixed list (the label also names it for screen readers and
/// the UI tests).
pub(crate) fn combo<T: Copy + PartialEq, S: Into<egui::WidgetText>>(
    ui: &mut egui::Ui,
    id: impl std::hash::Hash + std::fmt::Debug,
    label: &str,
    value: &mut T,
    all: &[T],
    name: impl Fn(T) -> S,
) {
    egui::ComboBox::new(id, label)
        .selected_text(name(*value))
        .show_ui(ui, |ui| {
            for &v in all {
                ui.selectable_value(value, v, name(v));
            }
        });
}

/// Droid Sans Fallback (Apache-2.0, from Debian's fonts-droid-fallback): CJK on any machine.
const CJK_FONT: &[u8] = include_bytes!("../../assets/fonts/DroidSansFallbackFull.ttf");

/// Add the bundled CJK font after egui's own fonts, so Latin text keeps egui's look.
pub fn install_fonts(ctx: &egui::Context) {
    ctx.add_font(egui::epaint::text::FontInsert {
        name: "droid_sans_fallback".into(),
        data: egui::FontData::from_static(CJK_FONT),
        families: [egui::FontFamily::Proportional, egui::FontFamily::Monospace]
            .into_iter()
            .map(|family| egui::epaint::text::InsertFontFamily {
                family,
                priority: egui::epaint::text::FontPriority::Lowest,
            })
            .collect(),
    });
}

/// Where the console keeps its database when none is given: the platform data folder.
pub fn default_db_path() -> anyhow::Result<PathBuf> {
    let dir =
        eframe::storage_dir("HeatDesk").context("no data folder on this system; pass --db FILE")?;
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir.join("heatdesk.db"))
}

/// Open the database (the demo city on first start) and run the console window.
pub fn run_console(db: Option<PathBuf>) -> anyhow::Result<()> {
    let path = match db {
        Some(p) => p,
        None => {
            let p = default_db_path()?;
            if !p.exists() {
                let now = chrono::Local::now().naive_local();
                demo::write_new(&p, &DemoParams::new(Scale::Demo, now))?;
                eprintln!("heatdesk: created the demo city at {}", p.display());
            }
            let tiles = crate::map::basemap::beside(&p);
            if !tiles.exists() {
                crate::map::basemap::render_from_db(&p, &tiles, 11, 18)?;
            }
            p
        }
    };
    let folder = path.parent().unwrap_or(std::path::Path::new("."));
    let _log = crate::logging::init(&folder.join("logs"))?;
    tracing::info!(db = %path.display(), version = env!("CARGO_PKG_VERSION"), "console starting");
    // HTTPS tiles: rustls with the ring provider (see Cargo.toml)
    let _ = rustls::crypto::ring::default_provider().install_default();
    // every refusal (missing, foreign, newer, corrupt) happens here, before a window opens
    let store = SqliteStore::open(&path)?;
    // what the first frame needs; the season's history follows on a thread
    let since = HeatDeskApp::recent_since(chrono::Local::now().naive_local());
    let snap = store.load_recent(since)?;
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_inner_size([1600.0, 1000.0])
            .with_title("HeatDesk"),
        ..Default::default()
    };
    eframe::run_native(
        "HeatDesk",
        options,
        Box::new(move |cc| {
            install_fonts(&cc.egui_ctx);
            // a light theme: the map is light, and dispatch rooms are bright
            cc.egui_ctx.set_theme(egui::Theme::Light);
            let prefs: Prefs = cc
                .storage
                .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
                .unwrap_or_default();
            let clock: app::Clock = Box::new(|| chrono::Local::now().naive_local());
            let basemap = crate::map::basemap::beside(&path);
            let folder = path.parent().unwrap_or(std::path::Path::new("."));
            let exports = folder.join("exports");
            let backups = folder.join("backups");
            Ok(Box::new(
                HeatDeskApp::new(Box::new(store), snap, prefs, clock)
                    .with_demo_basemap(Some(basemap))
                    .with_export_dir(exports)
                    .with_backups(path.clone(), backups)
                    .with_older(path.clone(), since),
            ))
        }),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the console window: {e}"))
}
