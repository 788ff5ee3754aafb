//! The left panel: tickets waiting for a team, deadline first; drag one onto a team.

use egui::{Color32, Label, RichText, Sense, Ui, UiBuilder, vec2};

use super::app::{HeatDeskApp, Selection};
use crate::console::views::queue::QueueSort;
use crate::domain::*;
use crate::words::format::countdown;
use crate::words::{self, Key};

/// What is carried while a ticket is dragged: the ticket as the user saw it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TicketDrag {
    pub ticket: TicketId,
    pub version: i64,
}

const ROW_HEIGHT: f32 = 48.0;

fn filter_combo<T: Copy + PartialEq>(
    ui: &mut Ui,
    label: &str,
    all_label: &str,
    value: &mut Option<T>,
    all: &[T],
    name: impl Fn(T) -> String,
) {
    egui::ComboBox::new(label, label)
        .selected_text(value.map_or(all_label.to_string(), &name))
        .width(84.0)
        .show_ui(ui, |ui| {
            ui.selectable_value(value, None, all_label);
            for &v in all {
                ui.selectable_value(value, Some(v), name(v));
            }
        });
}

fn filters(app: &mut HeatDeskApp, ui: &mut Ui) {
    let lang = app.lang();
    let tr = |k| words::t(lang, k);
    let departments: Vec<(DepartmentId, String)> = app
        .console
        .snapshot()
        .departments
        .iter()
        .map(|d| (d.id, d.name.clone()))
        .collect();
    let ids: Vec<DepartmentId> = departments.iter().map(|d| d.0).collect();
    let f = &mut app.queue_filter;
    ui.horizontal_wrapped(|ui| {
        filter_combo(
            ui,
            tr(Key::Channel),
            tr(Key::All),
            &mut f.channel,
            Channel::ALL,
            |c| words::channel(lang, c).into(),
        );
        filter_combo(
            ui,
            tr(Key::Category),
            tr(Key::All),
            &mut f.category,
            Category::ALL,
            |c| words::category(lang, c).into(),
        );
        filter_combo(
            ui,
            tr(Key::Severity),
            tr(Key::All),
            &mut f.severity,
            Severity::ALL,
            |s| words::severity(lang, s).into(),
        );
        filter_combo(
            ui,
            tr(Key::Department),
            tr(Key::All),
            &mut f.department,
            &ids,
            |d| {
                departments
                    .iter()
                    .find(|x| x.0 == d)
                    .map(|x| x.1.clone())
                    .unwrap_or_default()
            },
        );
        ui.checkbox(&mut f.overdue_only, tr(Key::OverdueOnly));
        egui::ComboBox::new("f_sort", tr(Key::SortBy))
            .selected_text(match f.sort {
                QueueSort::Deadline => tr(Key::SortDeadline),
                QueueSort::Created => tr(Key::SortCreated),
                QueueSort::Severity => tr(Key::SortSeverity),
            })
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut f.sort, QueueSort::Deadline, tr(Key::SortDeadline));
                ui.selectable_value(&mut f.sort, QueueSort::Created, tr(Key::SortCreated));
                ui.selectable_value(&mut f.sort, QueueSort::Severity, tr(Key::SortSeverity));
            });
    });
}

pub fn show(app: &mut HeatDeskApp, ui: &mut Ui) {
    let now = app.now();
    // filtered and sorted once per change of the board, the filter or the minute (for
    // "overdue only"), not every frame: a city's queue holds thousands of tickets
    let filter = app.queue_filter;
    let (snap, views) = app.console.views_mut();
    let queued = &views.board.queued;
    let version = views.versions.board;
    let queue = views
        .queue
        .rows(snap, queued, version, filter, now)
        .to_vec();

    // the heading and its count, then the buttons at the right; on a panel too narrow for both
    // (English at 1600 px) the buttons go on a row of their own rather than over the count
    let title = app.tr(Key::Queue).to_string();
    let count = queue.len().to_string();
    let new_ticket = format!("＋ {}", app.tr(Key::NewTicket));
    let width = |ui: &Ui, text: &str, style: egui::TextStyle| {
        ui.painter()
            .layout_no_wrap(
                text.to_string(),
                style.resolve(ui.style()),
                egui::Color32::BLACK,
            )
            .size()
            .x
    };
    let pad = ui.spacing().button_padding.x * 2.0 + ui.spacing().item_spacing.x;
    let needed = width(ui, &title, egui::TextStyle::Heading)
        + width(ui, &count, egui::TextStyle::Body)
        + width(ui, &new_ticket, egui::TextStyle::Button)
        + width(ui, "CSV", egui::TextStyle::Small)
        + width(ui, "XLSX", egui::TextStyle::Small)
        + 3.0 * pad
        + 3.0 * ui.spacing().item_spacing.x
        + 8.0;
    let one_row = needed <= ui.available_width();
    // which button was pressed: the new-ticket form, or an export of the queue as filtered
    let hint = app.tr(Key::ExportQueue).to_string();
    let buttons = |ui: &mut Ui, right_to_left: bool| -> Option<&'static str> {
        // laid out from the right on the heading's row, from the left on a row of their own
        let order = if right_to_left {
            ["new", "xlsx", "csv"]
        } else {
            ["csv", "xlsx", "new"]
        };
        let mut pressed = None;
        for item in order {
            let clicked = if item == "new" {
                ui.button(&new_ticket).clicked()
            } else {
                ui.small_button(item.to_uppercase())
                    .on_hover_text(&hint)
                    .clicked()
            };
            if clicked {
                pressed = Some(item);
            }
        }
        pressed
    };
    let mut pressed = None;
    ui.horizontal(|ui| {
        ui.heading(&title);
        ui.label(RichText::new(&count).strong());
        if one_row {
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                pressed = buttons(ui, true);
            });
        }
    });
    if !one_row {
        ui.horizontal(|ui| pressed = buttons(ui, false));
    }
    match pressed {
        Some("new") => app.intake.open = true,
        // the queue as filtered on screen, for a spreadsheet
        Some(ext) => {
            let table = crate::export::layers::tickets(app.console.snapshot(), &queue, app.lang());
            app.export("tickets", ext, &[table]);
        }
        None => {}
    }
    super::alerts::show(app, ui);
    filters(app, ui);
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
                    for &id in &queue[range] {
                        row(app, ui, id, now);
                    }
                },
            );
    });
    if let Some(drag) = dropped {
        let in_queue = app
            .console
            .snapshot()
            .ticket(drag.ticket)
            .is_some_and(|t| t.status.in_queue());
        if !in_queue {
            let reason = words::t(app.lang(), Key::DraggedBack).to_string();
            app.send(Command::Act {
                ticket: drag.ticket,
                seen_version: drag.version,
                action: Action::Return { reason },
            });
        }
    }
}

fn row(app: &mut HeatDeskApp, ui: &mut Ui, id: TicketId, now: chrono::NaiveDateTime) {
    let Some(ticket) = app.console.snapshot().ticket(id) else {
        return;
    };
    let lang = app.lang();
    let (text, overdue) = countdown(lang, ticket.deadline, now);
    let selected = app.selection == Some(Selection::Ticket(id));
    let (rect, response) = ui.allocate_exact_size(
        vec2(ui.available_width(), ROW_HEIGHT),
        Sense::click_and_drag(),
    );
    // every role drags: where a role may not assign, the team card says why as it is reached
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
        words::category(lang, ticket.category),
        words::severity(lang, ticket.severity)
    );
    let place = format!(
        "{} {}",
        app.console.snapshot().building_label(ticket.building_id),
        ticket.address_detail
    );
    let channel = words::channel(lang, ticket.channel);
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
        app.select_and_fly(Selection::Ticket(id));
    }
}
