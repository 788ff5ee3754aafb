//! The map's legend (colour classes of the chosen metric, pins, teams, pipes) and its one
//! status line when the basemap cannot be read.

use egui::{Color32, Rect, RichText, Ui, UiBuilder, vec2};

use super::app::HeatDeskApp;
use crate::domain::{Flow, TeamStatus, Tier};
use crate::map::style;
use crate::words::{self, Key};

pub fn show(app: &HeatDeskApp, ui: &mut Ui, map: Rect) {
    let lang = app.lang();
    // a basemap that cannot be read is a quiet note, not an alarm (the map works without it)
    let exporting = !matches!(app.map_export, super::picture::Export::Idle);
    if let Some(problem) = app.map.tiles_problem.as_ref().filter(|_| !exporting) {
        let at = Rect::from_min_size(
            map.left_top() + vec2(8.0, 8.0),
            vec2((map.width() - 100.0).max(100.0), 22.0),
        );
        ui.scope_builder(UiBuilder::new().max_rect(at), |ui| {
            ui.horizontal(|ui| {
                ui.label(
                    RichText::new(format!(
                        "{}: {problem}",
                        words::t(lang, Key::BasemapProblem)
                    ))
                    .small()
                    .color(Color32::from_gray(90)),
                );
            });
        });
    }
    if !app.prefs.layers.legend {
        return;
    }
    let metric = app.prefs.map.metric;
    let size = vec2(200.0, 280.0);
    let at = Rect::from_min_size(map.left_bottom() + vec2(10.0, -size.y - 10.0), size);
    ui.scope_builder(UiBuilder::new().max_rect(at), |ui| {
        egui::Frame::new()
            .fill(Color32::from_rgba_unmultiplied(255, 255, 255, 225))
            .corner_radius(6.0)
            .inner_margin(8.0)
            .show(ui, |ui| {
                ui.label(RichText::new(words::metric(lang, metric)).strong());
                for (k, label) in metric.class_labels().iter().enumerate() {
                    swatch(ui, style::class_colour(k), label);
                }
                swatch(ui, style::NO_DATA, words::t(lang, Key::NoData));
                ui.add_space(4.0);
                ui.horizontal(|ui| {
                    for (k, name) in [
                        (1, Key::SeverityNormal),
                        (2, Key::SeverityUrgent),
                        (3, Key::SeverityEmergency),
                    ] {
                        let (r, _) = ui.allocate_exact_size(vec2(10.0, 10.0), egui::Sense::hover());
                        ui.painter()
                            .circle_filled(r.center(), 5.0, style::severity_colour(k));
                        ui.label(RichText::new(words::t(lang, name)).small());
                    }
                });
                ui.horizontal(|ui| {
                    for status in [TeamStatus::Free, TeamStatus::OnRoute, TeamStatus::OnSite] {
                        let (r, _) = ui.allocate_exact_size(vec2(10.0, 10.0), egui::Sense::hover());
                        ui.painter()
                            .circle_filled(r.center(), 5.0, style::team_colour(status));
                        ui.label(RichText::new(words::team_status(lang, status)).small());
                    }
                    let (r, _) = ui.allocate_exact_size(vec2(10.0, 10.0), egui::Sense::hover());
                    ui.painter()
                        .circle_filled(r.center(), 5.0, style::STALE_TEAM);
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
            });
    });
}

fn swatch(ui: &mut Ui, colour: Color32, label: &str) {
    ui.horizontal(|ui| {
        let (r, _) = ui.allocate_exact_size(vec2(22.0, 12.0), egui::Sense::hover());
        ui.painter().rect_filled(r, 2.0, colour);
        ui.label(RichText::new(label).small());
    });
}
