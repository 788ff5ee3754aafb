//! The console on a fresh demo city, in an egui_kittest harness.

use chrono::NaiveDate;
use egui_kittest::Harness;
use heatdesk::demo::{self, DemoParams, Scale};
use heatdesk::domain::Timestamp;
use heatdesk::store::{DispatchStore, SqliteStore};
use heatdesk::ui::{HeatDeskApp, Prefs, install_fonts};

pub fn now() -> Timestamp {
    demo::noon(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap())
}

pub fn console(dir: &std::path::Path) -> (Harness<'static, HeatDeskApp>, std::path::PathBuf) {
    let path = dir.join("demo.db");
    demo::write_new(&path, &DemoParams::new(Scale::Demo, now())).unwrap();
    let store = SqliteStore::open(&path).unwrap();
    let snap = store.load().unwrap();
    let app = HeatDeskApp::new(Box::new(store), snap, Prefs::default(), Box::new(now));
    (harness(app), path)
}

/// A console window of the usual size around `app`.
pub fn harness(app: HeatDeskApp) -> Harness<'static, HeatDeskApp> {
    Harness::builder()
        .with_size(egui::vec2(1600.0, 1000.0))
        .build_ui_state(
            |ui, app: &mut HeatDeskApp| {
                install_fonts(ui.ctx());
                app.show(ui);
            },
            app,
        )
}
