//! The left panel: tickets waiting for a team, deadline first; drag one onto a team.

use egui::{Color32, Label, RichText, Sense, Ui, UiBuilder, vec2};

use super::app::{HeatDeskApp, Selection};
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueueSort {
    #[default]
    Deadline,
    Created,
    Severity,
}

/// Which queued tickets are shown, and in what order.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct QueueFilter {
    pub channel: Option<Channel>,
    pub category: Option<Category>,
    pub severity: Option<Severity>,
    pub department: Option<DepartmentId>,
    pub overdue_only: bool,
    pub sort: QueueSort,
}

impl QueueFilter {
    /// The queue as filtered and sorted (deadline first by default).
    pub fn apply(&self, snap: &Snapshot, now: chrono::NaiveDateTime) -> Vec<TicketId> {
        let queued: Vec<TicketId> = snap
            .tickets
            .iter()
            .filter(|t| t.status.in_queue())
            .map(|t| t.id)
            .collect();
        self.apply_to(snap, &queued, now)
    }

    /// The same over tickets already known to be queued (the console keeps that list per data
    /// change, so a frame never walks every ticket of the season).
    pub fn apply_to(
        &self,
        snap: &Snapshot,
        queued: &[TicketId],
        now: chrono::NaiveDateTime,
    ) -> Vec<TicketId> {
        let department_of = |t: &Ticket| {
            snap.building(t.building_id)
                .and_then(|b| snap.compound(b.compound_id))
                .map(|c| c.department_id)
        };
        let mut rows: Vec<&Ticket> = queued
            .iter()
            .filter_map(|&id| snap.ticket(id))
            .filter(|t| t.status.in_queue())
            .filter(|t| self.channel.is_none_or(|c| t.channel == c))
            .filter(|t| self.category.is_none_or(|c| t.category == c))
            .filter(|t| self.severity.is_none_or(|s| t.severity == s))
            .filter(|t| self.department.is_none_or(|d| department_of(t) == Some(d)))
            .filter(|t| !self.overdue_only || t.is_overdue(now))
            .collect();
        match self.sort {
            QueueSort::Deadline => rows.sort_by_key(|t| (t.deadline, t.id)),
            QueueSort::Created => rows.sort_by_key(|t| (t.created_at, t.id)),
            QueueSort::Severity => {
                rows.sort_by_key(|t| (std::cmp::Reverse(t.severity), t.deadline, t.id))
            }
        }
        rows.into_iter().map(|t| t.id).collect()
    }
}

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
        .snap
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
    // filtered and sorted once per data change, filter change or minute (for "overdue only"),
    // not every frame: a city's queue holds thousands of tickets
    let key = (
        app.data_gen,
        app.queue_filter,
        now.and_utc().timestamp() / 60,
    );
    if app.queue_cache.as_ref().is_none_or(|c| c.0 != key) {
        let rows = app.queue_filter.apply_to(&app.snap, &app.board.queued, now);
        app.queue_cache = Some((key, rows));
    }
    let queue = app
        .queue_cache
        .as_ref()
        .map(|c| c.1.clone())
        .unwrap_or_default();

    ui.horizontal(|ui| {
        ui.heading(app.tr(Key::Queue));
        ui.label(RichText::new(queue.len().to_string()).strong());
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui
                .button(format!("＋ {}", app.tr(Key::NewTicket)))
                .clicked()
            {
                app.intake.open = true;
            }
            // the queue as filtered on screen, for a spreadsheet
            for ext in ["xlsx", "csv"] {
                if ui
                    .small_button(ext.to_uppercase())
                    .on_hover_text(app.tr(Key::ExportQueue))
                    .clicked()
                {
                    let table = crate::export::layers::tickets(&app.snap, &queue, app.lang());
                    app.export("tickets", ext, &[table]);
                }
            }
        });
    });
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
            .snap
            .ticket(drag.ticket)
            .is_some_and(|t| t.status.in_queue());
        if !in_queue {
            let reason = words::t(app.lang(), Key::DraggedBack).to_string();
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
        words::category(lang, ticket.category),
        words::severity(lang, ticket.severity)
    );
    let place = format!(
        "{} {}",
        app.snap.building_label(ticket.building_id),
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
