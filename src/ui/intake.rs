//! The "new ticket" form (受理): typed while the resident talks, deadline shown at once, and a
//! repeat of an open problem flagged with the option to link it instead.

use egui::{Color32, RichText};

use super::app::{HeatDeskApp, Selection};
use crate::domain::lifecycle::deadlines;
use crate::domain::*;
use crate::words::format::time;
use crate::words::{self, Key};

/// What the operator has typed so far.
#[derive(Debug, Clone, PartialEq)]
pub struct IntakeForm {
    pub open: bool,
    pub channel: Channel,
    pub category: Category,
    pub severity: Severity,
    pub building_query: String,
    pub building: Option<BuildingId>,
    pub address_detail: String,
    pub reporter_name: String,
    pub reporter_phone: String,
    pub description: String,
    pub problem: Option<String>,
}

impl Default for IntakeForm {
    fn default() -> Self {
        IntakeForm {
            open: false,
            channel: Channel::Hotline,
            category: Category::LowTemperature,
            severity: Severity::Normal,
            building_query: String::new(),
            building: None,
            address_detail: String::new(),
            reporter_name: String::new(),
            reporter_phone: String::new(),
            description: String::new(),
            problem: None,
        }
    }
}

pub fn show(app: &mut HeatDeskApp, ctx: &egui::Context) {
    if !app.intake.open {
        return;
    }
    let lang = app.lang();
    let tr = |k| words::t(lang, k);
    let mut open = true;
    let mut submit: Option<Command> = None;
    egui::Window::new(tr(Key::NewTicket))
        .open(&mut open)
        .default_width(460.0)
        .collapsible(false)
        .show(ctx, |ui| {
            let now = app.now();
            let form = &mut app.intake;
            egui::Grid::new("intake")
                .num_columns(2)
                .spacing([10.0, 6.0])
                .show(ui, |ui| {
                    ui.spacing_mut().combo_width = 180.0;
                    ui.label("");
                    let label = tr(Key::Channel);
                    super::combo(ui, label, label, &mut form.channel, Channel::ALL, |c| {
                        words::channel(lang, c)
                    });
                    ui.end_row();
                    ui.label("");
                    super::combo(
                        ui,
                        tr(Key::Category),
                        tr(Key::Category),
                        &mut form.category,
                        Category::ALL,
                        |c| words::category(lang, c),
                    );
                    ui.end_row();
                    ui.label("");
                    super::combo(
                        ui,
                        tr(Key::Severity),
                        tr(Key::Severity),
                        &mut form.severity,
                        Severity::ALL,
                        |s| words::severity(lang, s),
                    );
                    ui.end_row();
                    ui.label(tr(Key::Building));
                    ui.vertical(|ui| {
                        ui.add(
                            egui::TextEdit::singleline(&mut form.building_query)
                                .hint_text(tr(Key::BuildingHint))
                                .desired_width(260.0),
                        );
                        if let Some(b) = form.building {
                            ui.label(
                                RichText::new(format!(
                                    "{} {}",
                                    tr(Key::Picked),
                                    app.console.snapshot().building_label(b)
                                ))
                                .strong(),
                            );
                        }
                    });
                    ui.end_row();
                    ui.label(tr(Key::UnitRoom));
                    ui.add(
                        egui::TextEdit::singleline(&mut form.address_detail)
                            .hint_text("3单元 502")
                            .desired_width(260.0),
                    );
                    ui.end_row();
                    ui.label(tr(Key::Reporter));
                    ui.add(
                        egui::TextEdit::singleline(&mut form.reporter_name).desired_width(260.0),
                    );
                    ui.end_row();
                    ui.label(tr(Key::Phone));
                    ui.add(
                        egui::TextEdit::singleline(&mut form.reporter_phone).desired_width(260.0),
                    );
                    ui.end_row();
                    ui.label(tr(Key::Description));
                    ui.add(
                        egui::TextEdit::multiline(&mut form.description)
                            .desired_rows(2)
                            .desired_width(260.0),
                    );
                    ui.end_row();
                    let (respond, fix) = deadlines(
                        &app.console.snapshot().rules,
                        form.category,
                        form.severity,
                        now,
                    );
                    ui.label(tr(Key::Deadline));
                    ui.label(
                        RichText::new(format!(
                            "{} {} · {} {}",
                            tr(Key::RespondBy),
                            time(respond),
                            tr(Key::Deadline),
                            time(fix)
                        ))
                        .strong(),
                    );
                    ui.end_row();
                });

            // building candidates for what was typed, and the building picked on the map
            let query = form.building_query.trim().to_string();
            if !query.is_empty()
                && form
                    .building
                    .map(|b| app.console.snapshot().building_label(b))
                    != Some(query.clone())
            {
                let compact = query.replace(' ', "");
                let matches: Vec<(BuildingId, String)> = app
                    .console
                    .snapshot()
                    .buildings
                    .iter()
                    .map(|b| (b.id, app.console.snapshot().building_label(b.id)))
                    .filter(|(_, l)| l.replace(' ', "").contains(&compact))
                    .take(6)
                    .collect();
                ui.horizontal_wrapped(|ui| {
                    for (id, label) in matches {
                        if ui.button(&label).clicked() {
                            app.intake.building = Some(id);
                            app.intake.building_query = label;
                        }
                    }
                });
            }
            if let Some(Selection::Building(b)) = app.selection
                && app.intake.building != Some(b)
                && ui
                    .button(format!(
                        "{} {}",
                        tr(Key::UseMapBuilding),
                        app.console.snapshot().building_label(b)
                    ))
                    .clicked()
            {
                app.intake.building = Some(b);
                app.intake.building_query = app.console.snapshot().building_label(b);
            }

            let form = &app.intake;
            let duplicates = form
                .building
                .map(|b| likely_duplicates(app.console.snapshot(), b, form.category))
                .unwrap_or_default();
            if let Some(&dup) = duplicates.first() {
                ui.separator();
                ui.label(
                    RichText::new(format!("{} #{dup}", tr(Key::LikelyDuplicate)))
                        .color(Color32::from_rgb(0xb2, 0x6a, 0x00)),
                );
                if ui
                    .button(format!("{} #{dup}", tr(Key::LinkInstead)))
                    .clicked()
                {
                    submit = Some(Command::LinkReport {
                        ticket: dup,
                        channel: form.channel,
                        reporter_name: form.reporter_name.trim().into(),
                        reporter_phone: form.reporter_phone.trim().into(),
                        note: form.description.trim().into(),
                    });
                }
            }
            if let Some(p) = &form.problem {
                ui.label(RichText::new(p).color(Color32::from_rgb(0xc6, 0x28, 0x28)));
            }
            ui.separator();
            let create = ui
                .button(RichText::new(tr(Key::CreateTicket)).strong())
                .clicked()
                || ui.input(|i| i.modifiers.command && i.key_pressed(egui::Key::Enter));
            if create && submit.is_none() {
                match form.building {
                    None => app.intake.problem = Some(tr(Key::PickBuilding).into()),
                    Some(building_id) => {
                        submit = Some(Command::CreateTicket(NewTicket {
                            channel: form.channel,
                            category: form.category,
                            severity: form.severity,
                            building_id,
                            address_detail: form.address_detail.trim().into(),
                            reporter_name: form.reporter_name.trim().into(),
                            reporter_phone: form.reporter_phone.trim().into(),
                            description: form.description.trim().into(),
                        }))
                    }
                }
            }
        });
    if !open {
        app.intake = IntakeForm::default();
    }
    if let Some(command) = submit {
        // the form closes and the new ticket is selected once the store has it
        app.send_from(crate::console::Tag::Intake, command);
    }
}
