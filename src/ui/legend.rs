//! The map's legend (colour classes of the chosen metric, pins, teams, pipes) and its one
//! status line when the basemap cannot be read.

use egui::{Color32, Rect, RichText, Ui, UiBuilder, vec2};

use super::app::HeatDeskApp;
use crate::domain::{Flow, TeamStatus, Tier};
use crate::map::style;
use crate::words::{self, Key};

/// Draw the legend at the map's bottom left, inside the map at any size; returns where it was
/// drawn (none when the legend layer is off).
pub fn show(app: &HeatDeskApp, ui: &mut Ui, map: Rect) -> Option<Rect> {
    let lang = app.lang();
    // a basemap that cannot be read is a quiet note, not an alarm (the map works without it)
    let exporting = !matches!(app.map_export, super::picture::Export::Idle);
    let rendering = app.basemap_form.progress();
    if let Some(problem) = app
        .map
        .tiles_problem
        .as_ref()
        .filter(|_| !exporting && rendering.is_none())
    {
        let at = Rect::from_min_size(
            map.left_top() + vec2(8.0, 8.0),
            vec2((map.width() - 100.0).max(100.0), 22.0),
        );
        ui.scope_builder(UiBuilder::new().max_rect(at), |ui| {
            ui.horizontal(|ui| {
                // the reader's language on the map; the file's own error (a path, the
                // driver's words) on hover and in the basemap dialog
                ui.label(
                    RichText::new(words::t(lang, Key::BasemapProblem))
                        .small()
                        .color(Color32::from_gray(90)),
                )
                .on_hover_text(problem);
            });
        });
    }
    // the city's basemap being made (a server's, on first start): how far, on the map itself
    if let Some((done, all)) = rendering.filter(|_| !exporting) {
        let at = Rect::from_min_size(map.left_top() + vec2(10.0, 10.0), vec2(320.0, 34.0));
        ui.scope_builder(UiBuilder::new().max_rect(at), |ui| {
            egui::Frame::new()
                .fill(Color32::from_white_alpha(235))
                .stroke(egui::Stroke::new(1.0, Color32::from_gray(190)))
                .corner_radius(4.0)
                .inner_margin(egui::Margin::symmetric(8, 4))
                .show(ui, |ui| {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        let text = if all == 0 {
                            format!("{}…", words::t(lang, Key::BasemapRendering))
                        } else {
                            format!(
                                "{} {}%",
                                words::t(lang, Key::BasemapRendering),
                                done * 100 / all.max(1)
                            )
                        };
                        ui.label(RichText::new(text).color(Color32::from_gray(40)));
                    });
                });
        });
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_millis(250));
    }
    if !app.prefs.layers.legend {
        return None;
    }
    let metric = app.prefs.map.metric;
    // measured last frame (its size depends on the language and the metric's classes); the
    // first frame takes an estimate
    let id = egui::Id::unique((
        "legend",
        lang,
        metric as u8,
        map.height() >= TWO_COLUMNS_BELOW,
    ));
    let columns = if map.height() >= TWO_COLUMNS_BELOW {
        1
    } else {
        2
    };
    let estimate = if columns == 1 {
        vec2(200.0, 280.0)
    } else {
        vec2(380.0, 170.0)
    };
    let size: egui::Vec2 = ui.ctx().data(|d| d.get_temp(id)).unwrap_or(estimate);
    // bottom-left, inside the map whatever its size
    let margin = 10.0;
    let top = (map.bottom() - size.y - margin).max(map.top() + margin);
    let at = Rect::from_min_max(
        egui::pos2(map.left() + margin, top),
        egui::pos2(map.right() - margin, map.bottom() - margin),
    );
    let drawn = ui
        .scope_builder(UiBuilder::new().max_rect(at), |ui| {
            egui::Frame::new()
                .fill(Color32::from_rgba_unmultiplied(255, 255, 255, 225))
                .corner_radius(6.0)
                .inner_margin(8.0)
                .show(ui, |ui| {
                    if columns == 1 {
                        ui.vertical(|ui| {
                            classes(ui, lang, metric);
                            ui.add_space(4.0);
                            symbols(ui, lang);
                        });
                    } else {
                        ui.horizontal_top(|ui| {
                            ui.vertical(|ui| classes(ui, lang, metric));
                            ui.add_space(10.0);
                            ui.vertical(|ui| symbols(ui, lang));
                        });
                    }
                })
                .response
                .rect
        })
        .inner;
    ui.ctx().data_mut(|d| d.insert_temp(id, drawn.size()));
    Some(drawn)
}

/// Below this map height the legend is laid out in two columns (a short wall picture, a small
/// window), so it never runs past the map's bottom edge.
pub const TWO_COLUMNS_BELOW: f32 = 560.0;

/// The metric's colour classes.
fn classes(ui: &mut Ui, lang: words::Lang, metric: crate::domain::colouring::Metric) {
    ui.label(RichText::new(words::metric(lang, metric)).strong());
    for (k, label) in metric.class_labels().iter().enumerate() {
        swatch(ui, style::class_colour(k), label);
    }
    swatch(ui, style::NO_DATA, words::t(lang, Key::NoData));
}

/// Pins by severity, teams by status, pipes by tier.
fn symbols(ui: &mut Ui, lang: words::Lang) {
    ui.horizontal(|ui| {
        for (k, name) in [
            (1, Key::SeverityNormal),
            (2, Key::SeverityUrgent),
            (3, Key::SeverityEmergency),
        ] {
            dot(ui, style::severity_colour(k));
            ui.label(RichText::new(words::t(lang, name)).small());
        }
    });
    ui.horizontal(|ui| {
        for status in [TeamStatus::Free, TeamStatus::OnRoute, TeamStatus::OnSite] {
            dot(ui, style::team_colour(status));
            ui.label(RichText::new(words::team_status(lang, status)).small());
        }
    });
    ui.horizontal(|ui| {
        dot(ui, style::STALE_TEAM);
        ui.label(RichText::new(words::t(lang, Key::PositionStale)).small());
    });
    for (tier, flow) in [
        (Tier::Primary, Flow::Supply),
        (Tier::Primary, Flow::Return),
        (Tier::Secondary, Flow::Supply),
    ] {
        ui.horizontal(|ui| {
            let (r, _) = ui.allocate_exact_size(vec2(22.0, 10.0), egui::Sense::hover());
            ui.painter().line_segment(
                [r.left_center(), r.right_center()],
                egui::Stroke::new(3.0, style::pipe_colour(tier, flow)),
            );
            ui.label(RichText::new(words::tier(lang, tier, flow)).small());
        });
    }
}

fn dot(ui: &mut Ui, colour: Color32) {
    let (r, _) = ui.allocate_exact_size(vec2(10.0, 10.0), egui::Sense::hover());
    ui.painter().circle_filled(r.center(), 5.0, colour);
}

fn swatch(ui: &mut Ui, colour: Color32, label: &str) {
    ui.horizontal(|ui| {
        let (r, _) = ui.allocate_exact_size(vec2(22.0, 12.0), egui::Sense::hover());
        ui.painter().rect_filled(r, 2.0, colour);
        ui.label(RichText::new(label).small());
    });
}
