//! Panels and dialogs: they draw the snapshot and send commands, nothing more.

mod alerts;
pub mod app;
pub mod basemap;
pub mod crews;
mod detail;
pub mod door;
pub mod import;
pub mod intake;
mod leaders;
pub mod legend;
mod map_menu;
pub mod map_tools;
pub mod picture;
mod prefs;
pub mod queue;
pub mod raster;
mod rules;
mod teams;
pub mod top_bar;
mod trace_panel;
pub mod visit_form;

pub use app::{HeatDeskApp, Prefs, Selection};
pub use queue::TicketDrag;

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

/// What the window opens on: the store and what it loaded, and where the files beside it go.
pub struct Start {
    pub store: Box<dyn crate::store::DispatchStore>,
    /// What the first frame needs (`load_recent(since)`); the rest follows on a thread.
    pub snapshot: crate::domain::Snapshot,
    pub since: crate::domain::Timestamp,
    /// The offline basemap of [`crate::map::Basemap::Demo`].
    pub basemap: Option<std::path::PathBuf>,
    pub exports: std::path::PathBuf,
    /// Where import mapping profiles are kept.
    pub profiles: Option<std::path::PathBuf>,
    /// Where automatic backups go (a file store).
    pub backups: Option<std::path::PathBuf>,
    /// The city's basemap is not there yet: make it once the window is open (a server's city
    /// on this PC's first start), with its progress on the map.
    pub render_basemap: bool,
}

/// What the window opens on: a store ready, or the room's server's door first.
pub enum Opening {
    Ready(Box<Start>),
    /// Log in to the room's server in the window, then start on what `then` reads.
    Door {
        address: crate::store::remote::ServerAddress,
        then: door::Then,
    },
}

/// The console on what `start` loaded, with the remembered preferences.
pub fn console_app(start: Start, prefs: Prefs, ctx: &egui::Context) -> HeatDeskApp {
    let clock: crate::console::Clock = Box::new(|| chrono::Local::now().naive_local());
    let mut app = HeatDeskApp::new(start.store, start.snapshot, prefs, clock)
        .with_demo_basemap(start.basemap)
        .with_export_dir(start.exports)
        .with_older(start.since);
    if let Some(dir) = start.backups {
        app = app.with_backups(dir);
    }
    if let Some(dir) = start.profiles {
        app = app.with_profiles_dir(dir);
    }
    if start.render_basemap {
        app.render_city_basemap();
    }
    // another console's commit, heard on the store's thread, redraws the screen now
    let ctx = ctx.clone();
    app.console
        .watch(std::sync::Arc::new(move || ctx.request_repaint()));
    app
}

/// Open the console window on `opening` and run it until it is closed.
pub fn open_window(opening: Opening) -> anyhow::Result<()> {
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
            Ok(match opening {
                Opening::Ready(start) => Box::new(console_app(*start, prefs, &cc.egui_ctx)),
                Opening::Door { address, then } => {
                    let remembered = prefs.server_logins.get(&address.base).cloned();
                    let door = door::Door::new(address, remembered.as_deref(), then);
                    Box::new(door::Entrance::new(door, prefs))
                }
            })
        }),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the console window: {e}"))
}
