//! The map menu in the top bar: what colours the shapes, which basemap, GCJ-02, legend.

use egui::Ui;

use super::app::HeatDeskApp;
use crate::domain::colouring::Metric;
use crate::map::Basemap;
use crate::words::{self, Key};

pub fn show(app: &mut HeatDeskApp, ui: &mut Ui) {
    let lang = app.lang();
    let tr = |k| words::t(lang, k);
    ui.menu_button(tr(Key::MapSettings), |ui| {
        ui.label(egui::RichText::new(tr(Key::ColourBy)).strong());
        // only the colours are made again (at the end of the frame)
        for m in Metric::ALL {
            ui.radio_value(&mut app.prefs.map.metric, m, words::metric(lang, m));
        }
        ui.separator();
        ui.label(egui::RichText::new(tr(Key::Background)).strong());
        ui.radio_value(
            &mut app.prefs.map.basemap,
            Basemap::Demo,
            tr(Key::DemoBasemap),
        );
        ui.radio_value(
            &mut app.prefs.map.basemap,
            Basemap::None,
            tr(Key::NoBasemap),
        );
        ui.horizontal(|ui| {
            let chosen = matches!(app.prefs.map.basemap, Basemap::MbTiles(_));
            let _ = ui.radio(chosen, "");
            ui.label(tr(Key::MbTilesFile));
            ui.add(
                egui::TextEdit::singleline(&mut app.mbtiles_input)
                    .desired_width(220.0)
                    .hint_text("/path/to/city.mbtiles"),
            );
            if ui.button(tr(Key::Open)).clicked() && !app.mbtiles_input.trim().is_empty() {
                app.prefs.map.basemap = Basemap::MbTiles(app.mbtiles_input.trim().into());
            }
        });
        ui.checkbox(&mut app.prefs.map.gcj02, tr(Key::Gcj02));
        ui.separator();
        ui.checkbox(&mut app.prefs.layers.legend, tr(Key::Legend));
    });
}
