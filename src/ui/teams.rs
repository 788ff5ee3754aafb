//! The right panel: team cards; drop a ticket on a card to assign it to that team.

use egui::{Color32, Label, RichText, Sense, Ui};

use super::app::{HeatDeskApp, Selection};
use super::queue::TicketDrag;
use crate::domain::{TeamId, TicketId};
use crate::words::{self, Key};

pub fn show(app: &mut HeatDeskApp, ui: &mut Ui) {
    ui.heading(app.tr(Key::Teams));
    ui.separator();
    let team_ids: Vec<TeamId> = app.console.snapshot().teams.iter().map(|t| t.id).collect();
    let mut assign: Option<(TicketDrag, TeamId)> = None;
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            for id in team_ids {
                // a card out of view takes its last height without being laid out: a city
                // has two hundred teams
                let known = app.team_card_heights.get(&id).copied();
                if let Some(h) = known {
                    let rect = egui::Rect::from_min_size(
                        ui.cursor().min,
                        egui::vec2(ui.available_width(), h),
                    );
                    if !ui.is_rect_visible(rect) {
                        ui.allocate_space(egui::vec2(ui.available_width(), h));
                        ui.add_space(4.0);
                        continue;
                    }
                }
                let top = ui.cursor().min.y;
                if let Some(dropped) = card(app, ui, id) {
                    assign = Some((dropped, id));
                }
                let h = ui.cursor().min.y - top;
                app.team_card_heights
                    .insert(id, h - ui.spacing().item_spacing.y);
                ui.add_space(4.0);
            }
        });
    if let Some((drag, team)) = assign {
        app.assign(drag.ticket, drag.version, team);
    }
}

/// Chips shown per card; the rest are counted (click the card for the full list below).
const MAX_CHIPS: usize = 8;

/// One team card; returns a ticket dropped on it this frame.
fn card(app: &mut HeatDeskApp, ui: &mut Ui, id: TeamId) -> Option<TicketDrag> {
    let can_assign = app.console.permissions().assign;
    let team = app.console.snapshot().team(id)?.clone();
    let lang = app.lang();
    let selected = app.selection == Some(Selection::Team(id));
    let open: Vec<(TicketId, i64, String)> = app
        .console
        .views()
        .board
        .open_by_team
        .get(&id)
        .into_iter()
        .flatten()
        .filter_map(|&t| app.console.snapshot().ticket(t))
        .map(|t| {
            (
                t.id,
                t.version,
                words::category(lang, t.category).to_string(),
            )
        })
        .collect();
    let frame = egui::Frame::group(ui.style())
        .fill(if selected {
            ui.visuals().selection.bg_fill.gamma_multiply(0.35)
        } else {
            ui.visuals().panel_fill
        })
        .inner_margin(6.0);
    let (inner, dropped) = ui.dnd_drop_zone::<TicketDrag, _>(frame, |ui| {
        ui.set_width(ui.available_width());
        ui.horizontal(|ui| {
            let (dot, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), Sense::hover());
            ui.painter().circle_filled(
                dot.center(),
                5.0,
                crate::map::style::team_colour(team.status),
            );
            ui.add(Label::new(RichText::new(&team.name).strong()).selectable(false));
            ui.add(
                Label::new(RichText::new(words::team_status(lang, team.status)).small())
                    .selectable(false),
            );
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let colour = match open.len() {
                    0 => Color32::from_rgb(0x2e, 0x9d, 0x44),
                    1..=3 => ui.visuals().text_color(),
                    _ => Color32::from_rgb(0xc6, 0x28, 0x28),
                };
                ui.add(
                    Label::new(
                        RichText::new(format!("{} {}", words::t(lang, Key::Workload), open.len()))
                            .color(colour),
                    )
                    .selectable(false),
                );
            });
        });
        let department = app
            .console
            .snapshot()
            .department_name(team.department_id)
            .to_string();
        ui.add(
            Label::new(
                RichText::new(format!("{department} · {}", team.members.join("、"))).small(),
            )
            .selectable(false),
        );
        // where the team's phone last said it was, and how long ago
        if let Some(p) = app.console.snapshot().position_of(id) {
            let now = app.now();
            let age = format!(
                "{} {} ±{:.0} m · {}",
                words::t(lang, Key::LastPosition),
                words::position_age(lang, p.age_minutes(now)),
                p.accuracy_m,
                p.by
            );
            let text = if p.is_stale(now) {
                RichText::new(format!("{age} · {}", words::t(lang, Key::PositionStale)))
                    .small()
                    .color(crate::map::style::STALE_TEAM_LABEL)
            } else {
                RichText::new(age).small()
            };
            ui.add(Label::new(text).selectable(false));
        }
        let skills: Vec<&str> = team.skills.iter().map(|s| words::skill(lang, *s)).collect();
        ui.add(
            Label::new(
                RichText::new(format!(
                    "{}: {}",
                    words::t(lang, Key::Skills),
                    skills.join(" · ")
                ))
                .small()
                .weak(),
            )
            .selectable(false),
        );
        if !open.is_empty() {
            ui.horizontal_wrapped(|ui| {
                for (ticket, version, category) in open.iter().take(MAX_CHIPS) {
                    // a chip per current ticket: drag it back to the queue to return it
                    let chip = ui.add(
                        egui::Button::new(RichText::new(format!("#{ticket} {category}")).small())
                            .sense(Sense::click_and_drag()),
                    );
                    if can_assign {
                        chip.dnd_set_drag_payload(TicketDrag {
                            ticket: *ticket,
                            version: *version,
                        });
                    }
                    if chip.clicked() {
                        app.select(Selection::Ticket(*ticket));
                    }
                }
                if open.len() > MAX_CHIPS {
                    ui.label(
                        RichText::new(format!(
                            "+{} {}",
                            open.len() - MAX_CHIPS,
                            words::t(lang, Key::More)
                        ))
                        .small()
                        .weak(),
                    );
                }
            });
        }
    });
    if inner.response.interact(Sense::click()).clicked() {
        app.select(Selection::Team(id));
    }
    // a ticket held over the card by a role that does not assign: why, where it would land
    if !can_assign
        && egui::DragAndDrop::has_payload_of_type::<TicketDrag>(ui.ctx())
        && inner.response.contains_pointer()
        && let Some(at) = ui.ctx().pointer_hover_pos()
    {
        refusal_at(ui.ctx(), at, app.tr(Key::RoleCannotAssign));
    }
    dropped.map(|d| *d)
}

/// A short refusal beside the pointer, above everything (a drop that will not be taken).
fn refusal_at(ctx: &egui::Context, at: egui::Pos2, text: &str) {
    egui::Area::new(egui::Id::unique("drop-refused"))
        .order(egui::Order::Tooltip)
        .fixed_pos(at + egui::vec2(14.0, 14.0))
        .interactable(false)
        .show(ctx, |ui| {
            egui::Frame::popup(ui.style())
                .stroke(egui::Stroke::new(1.5, Color32::from_rgb(0xc6, 0x28, 0x28)))
                .show(ui, |ui| {
                    ui.set_max_width(260.0);
                    ui.label(RichText::new(text).color(Color32::from_rgb(0xc6, 0x28, 0x28)));
                });
        });
}
