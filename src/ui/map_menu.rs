//! The map menu in the top bar: what colours the shapes, the basemap (its window), GCJ-02, the
//! legend. A click inside it keeps it open (its switches are used several at a time).

use egui::Ui;
use egui::containers::menu::{MenuButton, MenuConfig};

use super::app::HeatDeskApp;
use crate::domain::colouring::Metric;
use crate::words::{self, Key};

/// A menu that stays open while its fields are used (a click outside closes it).
pub fn menu_config() -> MenuConfig {
    MenuConfig::new().close_behavior(egui::PopupCloseBehavior::CloseOnClickOutside)
}

pub fn show(app: &mut HeatDeskApp, ui: &mut Ui) {
    let lang = app.lang();
    let tr = |k| words::t(lang, k);
    let mut open_window = false;
    let mut export = false;
    MenuButton::new(tr(Key::MapSettings))
        .config(menu_config())
        .ui(ui, |ui| {
            ui.label(egui::RichText::new(tr(Key::ColourBy)).strong());
            // only the colours are made again (at the end of the frame)
            for m in Metric::ALL {
                ui.radio_value(&mut app.prefs.map.metric, m, words::metric(lang, m));
            }
            ui.separator();
            if ui.button(tr(Key::BasemapMore)).clicked() {
                open_window = true;
                ui.close();
            }
            ui.checkbox(&mut app.prefs.map.gcj02, tr(Key::Gcj02));
            if ui.button(tr(Key::ExportMap)).clicked() {
                export = true;
                ui.close();
            }
            ui.separator();
            ui.checkbox(&mut app.prefs.layers.legend, tr(Key::Legend));
        });
    if open_window {
        app.open_basemap_window();
    }
    if export {
        super::picture::ask_export(app, &ui.ctx().clone());
    }
}
