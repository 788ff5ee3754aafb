//! The left panel: tickets waiting for a team, deadline first; drag one onto a team.

use egui::{Color32, Label, RichText, Sense, Ui, UiBuilder, vec2};

use super::app::{HeatDeskApp, Selection};
use super::format::countdown;
use super::i18n::{self, Key};
use crate::domain::{Action, Command, TicketId};

/// What is carried while a ticket is dragged: the ticket as the user saw it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TicketDrag {
    pub ticket: TicketId,
    pub version: i64,
}

const ROW_HEIGHT: f32 = 48.0;

pub fn show(app: &mut HeatDeskApp, ui: &mut Ui) {
    let now = app.now();
    let mut queue: Vec<(TicketId, chrono::NaiveDateTime)> = app
        .snap
        .tickets
        .iter()
        .filter(|t| t.status.in_queue())
        .map(|t| (t.id, t.deadline))
        .collect();
    queue.sort_by_key(|&(id, deadline)| (deadline, id));

    ui.horizontal(|ui| {
        ui.heading(app.tr(Key::Queue));
        ui.label(RichText::new(queue.len().to_string()).strong());
    });
    ui.separator();

    // the whole list is also where a ticket is dragged back to, to return it to the queue
    let frame = egui::Frame::new().inner_margin(2.0);
    let (_, dropped) = ui.dnd_drop_zone::<TicketDrag, _>(frame, |ui| {
        ui.set_min_size(ui.available_size());
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show_rows(
                ui,
                ROW_HEIGHT + ui.spacing().item_spacing.y,
                queue.len(),
                |ui, range| {
                    for &(id, _) in &queue[range] {
                        row(app, ui, id, now);
                    }
                },
            );
    });
    if let Some(drag) = dropped {
        let in_queue = app
            .snap
            .ticket(drag.ticket)
            .is_some_and(|t| t.status.in_queue());
        if !in_queue {
            let reason = i18n::t(app.lang(), Key::DraggedBack).to_string();
            app.apply(Command::Act {
                ticket: drag.ticket,
                seen_version: drag.version,
                action: Action::Return { reason },
            });
        }
    }
}

fn row(app: &mut HeatDeskApp, ui: &mut Ui, id: TicketId, now: chrono::NaiveDateTime) {
    let Some(ticket) = app.snap.ticket(id) else {
        return;
    };
    let lang = app.lang();
    let (text, overdue) = countdown(lang, ticket.deadline, now);
    let selected = app.selection == Some(Selection::Ticket(id));
    let (rect, response) = ui.allocate_exact_size(
        vec2(ui.available_width(), ROW_HEIGHT),
        Sense::click_and_drag(),
    );
    response.dnd_set_drag_payload(TicketDrag {
        ticket: id,
        version: ticket.version,
    });
    let fill = if selected {
        ui.visuals().selection.bg_fill.gamma_multiply(0.5)
    } else if overdue {
        Color32::from_rgb(0xfd, 0xe2, 0xe0)
    } else if response.hovered() {
        ui.visuals().widgets.hovered.weak_bg_fill
    } else {
        ui.visuals().faint_bg_color
    };
    ui.painter().rect_filled(rect, 4.0, fill);
    let severity_colour = crate::map::style::severity_colour(match ticket.severity {
        crate::domain::Severity::Normal => 1,
        crate::domain::Severity::Urgent => 2,
        crate::domain::Severity::Emergency => 3,
    });
    ui.painter().rect_filled(
        egui::Rect::from_min_size(rect.min, vec2(4.0, rect.height())),
        2.0,
        severity_colour,
    );
    let title = format!(
        "#{} {} · {}",
        ticket.id,
        i18n::category(lang, ticket.category),
        i18n::severity(lang, ticket.severity)
    );
    let place = format!(
        "{} {}",
        app.snap.building_label(ticket.building_id),
        ticket.address_detail
    );
    let channel = i18n::channel(lang, ticket.channel);
    ui.scope_builder(
        UiBuilder::new().max_rect(rect.shrink2(vec2(8.0, 3.0))),
        |ui| {
            ui.horizontal(|ui| {
                ui.add(Label::new(RichText::new(title).strong()).selectable(false));
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    let colour = if overdue {
                        Color32::from_rgb(0xc6, 0x28, 0x28)
                    } else {
                        ui.visuals().text_color()
                    };
                    ui.add(Label::new(RichText::new(text).color(colour)).selectable(false));
                });
            });
            ui.horizontal(|ui| {
                ui.add(
                    Label::new(RichText::new(place).small())
                        .selectable(false)
                        .truncate(),
                );
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    ui.add(Label::new(RichText::new(channel).small().weak()).selectable(false));
                });
            });
        },
    );
    if response.clicked() {
        app.select(Selection::Ticket(id));
    }
}
