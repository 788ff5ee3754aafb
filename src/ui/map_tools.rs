//! What a GIS user reaches for on the map: zoom buttons and "whole city", a scale bar, the zoom
//! level and the pointer's coordinates (WGS-84, and GCJ-02 when the tiles are), and a distance
//! tool (click points, read metres; right-click or Esc ends it).

use egui::{Align2, Color32, FontId, Rect, RichText, Stroke, Ui, UiBuilder, pos2, vec2};

use super::app::HeatDeskApp;
use crate::domain::LonLat;
use crate::map::overlays::{distance_text, metres};
use crate::words::{self, Key};

/// The map tools' state.
#[derive(Debug, Clone, Default)]
pub struct MapTools {
    /// The distance tool is on: clicks on the map add points.
    pub measuring: bool,
    pub points: Vec<LonLat>,
    /// Where the pointer was last frame, and the scale there.
    pub pointer: Option<LonLat>,
    pub metres_per_pixel: f64,
    /// Where the legend was drawn last frame (it stays inside the map).
    pub legend: Option<egui::Rect>,
}

impl MapTools {
    /// The distance so far.
    pub fn total_m(&self) -> f64 {
        self.points.windows(2).map(|w| metres(w[0], w[1])).sum()
    }
}

/// +, −, whole city and the distance tool, at the map's top right.
pub fn controls(app: &mut HeatDeskApp, ui: &mut Ui, map: Rect) {
    let lang = app.lang();
    let tr = |k| words::t(lang, k);
    let at = Rect::from_min_size(map.right_top() + vec2(-84.0, 10.0), vec2(74.0, 170.0));
    let mut zoom = 0.0;
    let mut whole = false;
    let mut measure = false;
    ui.scope_builder(UiBuilder::new().max_rect(at), |ui| {
        egui::Frame::new()
            .fill(Color32::from_white_alpha(235))
            .corner_radius(6.0)
            .inner_margin(4.0)
            .show(ui, |ui| {
                ui.vertical_centered_justified(|ui| {
                    if ui
                        .button(RichText::new("+").size(18.0))
                        .on_hover_text(tr(Key::ZoomIn))
                        .clicked()
                    {
                        zoom = 1.0;
                    }
                    if ui
                        .button(RichText::new("-").size(18.0))
                        .on_hover_text(tr(Key::ZoomOut))
                        .clicked()
                    {
                        zoom = -1.0;
                    }
                    if ui.button(tr(Key::WholeCity)).clicked() {
                        whole = true;
                    }
                    if ui
                        .selectable_label(app.map_tools.measuring, tr(Key::Measure))
                        .on_hover_text(tr(Key::MeasureHint))
                        .clicked()
                    {
                        measure = true;
                    }
                });
            });
    });
    if zoom != 0.0 {
        app.map.zoom_by(zoom);
    }
    if whole {
        app.show_whole_city();
    }
    if measure {
        let t = &mut app.map_tools;
        t.measuring = !t.measuring;
        t.points.clear();
    }
    let ends = ui.input(|i| i.key_pressed(egui::Key::Escape))
        || ui.input(|i| i.pointer.secondary_clicked()) && ui.rect_contains_pointer(map);
    if app.map_tools.measuring && ends {
        app.map_tools.measuring = false;
    }
}

/// A length that reads well (1, 2 or 5 times a power of ten) for about `at_most` metres.
fn nice_length(at_most: f64) -> f64 {
    let p = 10f64.powf(at_most.log10().floor());
    [5.0, 2.0, 1.0]
        .into_iter()
        .map(|f| f * p)
        .find(|l| *l <= at_most)
        .unwrap_or(p)
}

/// The scale bar at the bottom right, and the status line: zoom, pointer, the distance so far.
pub fn scale_and_status(app: &HeatDeskApp, ui: &mut Ui, map: Rect) {
    let lang = app.lang();
    let tools = &app.map_tools;
    let painter = ui.painter_at(map);
    let ink = Color32::from_gray(40);
    // the scale bar: at most 120 px
    if tools.metres_per_pixel > 0.0 {
        let metres = nice_length(tools.metres_per_pixel * 120.0);
        let px = (metres / tools.metres_per_pixel) as f32;
        let right = map.right_bottom() + vec2(-16.0, -34.0);
        let left = right - vec2(px, 0.0);
        let back = Rect::from_min_max(left + vec2(-6.0, -18.0), right + vec2(6.0, 6.0));
        painter.rect_filled(back, 3.0, Color32::from_white_alpha(220));
        let stroke = Stroke::new(2.0, ink);
        painter.line_segment([left, right], stroke);
        painter.line_segment([left, left - vec2(0.0, 6.0)], stroke);
        painter.line_segment([right, right - vec2(0.0, 6.0)], stroke);
        painter.text(
            pos2((left.x + right.x) / 2.0, left.y - 4.0),
            Align2::CENTER_BOTTOM,
            distance_text(metres),
            FontId::proportional(11.0),
            ink,
        );
    }
    // the status line
    let mut parts = vec![format!(
        "{} {:.1}",
        words::t(lang, Key::MapZoom),
        app.map.memory.zoom()
    )];
    if let Some(p) = tools.pointer {
        parts.push(format!("WGS-84 {:.6}, {:.6}", p[0], p[1]));
        if app.prefs.map.gcj02 {
            let g = crate::map::layers::to_gcj02(p);
            parts.push(format!("GCJ-02 {:.6}, {:.6}", g[0], g[1]));
        }
    }
    if tools.measuring {
        parts.push(if tools.points.len() < 2 {
            words::t(lang, Key::MeasureHint).to_string()
        } else {
            format!(
                "{} {}",
                words::t(lang, Key::MeasureTotal),
                distance_text(tools.total_m())
            )
        });
    }
    if let Some(terms) = crate::map::MapView::attribution(&app.prefs.map.basemap) {
        parts.push(terms.to_string());
    }
    let text = parts.join(" · ");
    let galley = painter.layout_no_wrap(text, FontId::proportional(11.0), ink);
    let at =
        Align2::RIGHT_BOTTOM.anchor_size(map.right_bottom() + vec2(-16.0, -8.0), galley.size());
    painter.rect_filled(at.expand(3.0), 3.0, Color32::from_white_alpha(220));
    painter.galley(at.min, galley, ink);
}
