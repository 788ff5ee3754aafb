//! The deadline rule table (时限规则), editable: a change applies to new tickets only.

use egui::RichText;

use super::app::HeatDeskApp;
use crate::domain::Command;
use crate::words::{self, Key};

pub fn show(app: &mut HeatDeskApp, ctx: &egui::Context) {
    if !app.show_rules {
        return;
    }
    if app.rules_edit.is_empty() {
        app.rules_edit = app.console.snapshot().rules.clone();
    }
    let lang = app.lang();
    let tr = |k| words::t(lang, k);
    let mut open = true;
    let mut save = Vec::new();
    egui::Window::new(tr(Key::Rules))
        .open(&mut open)
        .default_height(520.0)
        .show(ctx, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                egui::Grid::new("rules")
                    .striped(true)
                    .num_columns(5)
                    .show(ui, |ui| {
                        ui.strong(tr(Key::Category));
                        ui.strong(tr(Key::Severity));
                        ui.strong(tr(Key::RespondMinutes));
                        ui.strong(tr(Key::ResolveMinutes));
                        ui.label("");
                        ui.end_row();
                        for (i, rule) in app.rules_edit.iter_mut().enumerate() {
                            let stored = app
                                .console
                                .snapshot()
                                .rules
                                .iter()
                                .find(|r| {
                                    r.category == rule.category && r.severity == rule.severity
                                })
                                .copied();
                            ui.label(words::category(lang, rule.category));
                            ui.label(words::severity(lang, rule.severity));
                            ui.add(
                                egui::DragValue::new(&mut rule.respond_minutes)
                                    .range(1..=10_080)
                                    .speed(5),
                            );
                            ui.add(
                                egui::DragValue::new(&mut rule.resolve_minutes)
                                    .range(1..=43_200)
                                    .speed(15),
                            );
                            let changed = stored != Some(*rule);
                            if ui
                                .add_enabled(
                                    changed,
                                    egui::Button::new(RichText::new(tr(Key::Save))),
                                )
                                .clicked()
                            {
                                save.push(i);
                            }
                            ui.end_row();
                        }
                    });
            });
        });
    for i in save {
        let rule = app.rules_edit[i];
        app.send(Command::SetSlaRule(rule));
    }
    if !open {
        app.show_rules = false;
        app.rules_edit.clear();
    }
}
