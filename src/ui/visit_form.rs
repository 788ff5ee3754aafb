//! The visit record (访民问暖登记): one form for a visit — who went, the households entered,
//! their room temperatures, the problems found (fixed on site or registered) and each
//! resident's answer — saved as one command.

use egui::{Color32, RichText, Ui};

use super::app::HeatDeskApp;
use crate::domain::command::{HouseholdVisit, NewVisit, Problem, RoomReading};
use crate::domain::*;
use crate::words::{self, Key, Lang};

/// One household as typed so far.
#[derive(Debug, Clone, PartialEq)]
pub struct HouseholdDraft {
    pub building: Option<BuildingId>,
    pub address: String,
    pub readings: Vec<RoomReading>,
    pub problems: Vec<Problem>,
    pub answer: Option<SurveyAnswer>,
}

impl HouseholdDraft {
    fn new(building: Option<BuildingId>) -> Self {
        HouseholdDraft {
            building,
            address: String::new(),
            readings: vec![RoomReading {
                room: String::new(),
                celsius: 18.0,
                method: TempMethod::Thermometer,
            }],
            problems: Vec::new(),
            answer: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct VisitForm {
    pub open: bool,
    pub compound: Option<CompoundId>,
    /// "2026-11-27 10:00"
    pub at_text: String,
    pub channel: Channel,
    pub leaders: String,
    pub staff: String,
    pub consultation_desk: bool,
    pub households_entered: u32,
    pub notes: String,
    pub households: Vec<HouseholdDraft>,
    pub problem: Option<String>,
}

impl Default for VisitForm {
    fn default() -> Self {
        VisitForm {
            open: false,
            compound: None,
            at_text: String::new(),
            channel: Channel::LeaderVisit,
            leaders: String::new(),
            staff: String::new(),
            consultation_desk: false,
            households_entered: 1,
            notes: String::new(),
            households: Vec::new(),
            problem: None,
        }
    }
}

const TIME_FORMAT: &str = "%Y-%m-%d %H:%M";

impl VisitForm {
    /// A fresh form for a visit to `compound` now, with one household in its first building.
    pub fn open_for(&mut self, snap: &Snapshot, compound: CompoundId, now: Timestamp) {
        let first = snap
            .buildings
            .iter()
            .find(|b| b.compound_id == compound)
            .map(|b| b.id);
        *self = VisitForm {
            open: true,
            compound: Some(compound),
            at_text: now.format(TIME_FORMAT).to_string(),
            households: vec![HouseholdDraft::new(first)],
            ..VisitForm::default()
        };
    }

    /// The command the form describes, or what is missing (named by field).
    pub fn to_command(&self, lang: Lang) -> Result<Command, String> {
        let compound = self
            .compound
            .ok_or_else(|| words::t(lang, Key::Compound).to_string())?;
        let at = chrono::NaiveDateTime::parse_from_str(self.at_text.trim(), TIME_FORMAT)
            .map_err(|_| format!("{}: YYYY-MM-DD HH:MM", words::t(lang, Key::VisitTime)))?;
        let mut households = Vec::new();
        for (i, h) in self.households.iter().enumerate() {
            let building = h.building.ok_or_else(|| {
                format!(
                    "{} {}: {}",
                    words::t(lang, Key::Household),
                    i + 1,
                    words::t(lang, Key::Building)
                )
            })?;
            households.push(HouseholdVisit {
                building_id: building,
                address_detail: h.address.trim().to_string(),
                readings: h.readings.clone(),
                problems: h.problems.clone(),
                answer: h.answer,
            });
        }
        let visit = NewVisit {
            compound_id: compound,
            at,
            channel: self.channel,
            leaders: self.leaders.clone(),
            staff: self.staff.clone(),
            consultation_desk: self.consultation_desk,
            households_entered: self.households_entered.max(households.len() as u32),
            notes: self.notes.clone(),
            households,
        };
        visit.check().map_err(|p| words::problem::visit(lang, &p))?;
        Ok(Command::RecordVisit(visit))
    }
}

pub fn show(app: &mut HeatDeskApp, ctx: &egui::Context) {
    if !app.visit_form.open {
        return;
    }
    let lang = app.lang();
    let tr = |k| words::t(lang, k);
    let compound_name = app
        .visit_form
        .compound
        .and_then(|c| app.console.snapshot().compound(c))
        .map_or(String::new(), |c| c.name.clone());
    let buildings: Vec<(BuildingId, String)> = app
        .console
        .snapshot()
        .buildings
        .iter()
        .filter(|b| Some(b.compound_id) == app.visit_form.compound)
        .map(|b| (b.id, b.number.clone()))
        .collect();
    let mut open = true;
    let mut save = false;
    egui::Window::new(format!("{} · {compound_name}", tr(Key::RecordVisit)))
        .open(&mut open)
        .default_width(560.0)
        .default_height(620.0)
        .collapsible(false)
        .show(ctx, |ui| {
            let f = &mut app.visit_form;
            egui::Grid::new("visit_head")
                .num_columns(2)
                .spacing([10.0, 4.0])
                .show(ui, |ui| {
                    ui.label(tr(Key::VisitTime));
                    ui.text_edit_singleline(&mut f.at_text);
                    ui.end_row();
                    ui.label(tr(Key::Channel));
                    ui.horizontal(|ui| {
                        for c in [Channel::LeaderVisit, Channel::DoorToDoor] {
                            ui.radio_value(&mut f.channel, c, words::channel(lang, c));
                        }
                    });
                    ui.end_row();
                    ui.label(tr(Key::Leaders));
                    ui.add(egui::TextEdit::singleline(&mut f.leaders).hint_text("王书记、李经理"));
                    ui.end_row();
                    ui.label(tr(Key::Staff));
                    ui.text_edit_singleline(&mut f.staff);
                    ui.end_row();
                    ui.label(tr(Key::HouseholdsEntered));
                    ui.add(egui::DragValue::new(&mut f.households_entered).range(0..=500));
                    ui.end_row();
                    ui.label("");
                    ui.checkbox(&mut f.consultation_desk, tr(Key::ConsultationDeskSet));
                    ui.end_row();
                });
            ui.separator();
            egui::ScrollArea::vertical()
                .max_height(420.0)
                .show(ui, |ui| {
                    let mut remove = None;
                    for (h, draft) in f.households.iter_mut().enumerate() {
                        household(ui, lang, h, draft, &buildings);
                        if ui.small_button(tr(Key::RemoveHousehold)).clicked() {
                            remove = Some(h);
                        }
                        ui.separator();
                    }
                    if let Some(h) = remove {
                        f.households.remove(h);
                    }
                    if ui.button(format!("＋ {}", tr(Key::Household))).clicked() {
                        let first = buildings.first().map(|b| b.0);
                        f.households.push(HouseholdDraft::new(first));
                    }
                });
            ui.label(tr(Key::Notes));
            ui.text_edit_multiline(&mut f.notes);
            if let Some(p) = &f.problem {
                ui.label(RichText::new(p).color(Color32::RED));
            }
            if ui
                .button(RichText::new(tr(Key::SaveVisit)).strong())
                .clicked()
            {
                save = true;
            }
        });
    if save {
        match app.visit_form.to_command(lang) {
            // closed once the store has it; a refusal is shown in the form
            Ok(command) => app.send_from(crate::console::Tag::VisitForm, command),
            Err(why) => app.visit_form.problem = Some(why),
        }
    } else if !open {
        app.visit_form.open = false;
    }
}

fn household(
    ui: &mut Ui,
    lang: Lang,
    h: usize,
    d: &mut HouseholdDraft,
    buildings: &[(BuildingId, String)],
) {
    let tr = |k| words::t(lang, k);
    ui.horizontal(|ui| {
        ui.strong(format!("{} {}", tr(Key::Household), h + 1));
        let name = |id: Option<BuildingId>| {
            id.and_then(|id| buildings.iter().find(|b| b.0 == id))
                .map_or("—".to_string(), |b| b.1.clone())
        };
        egui::ComboBox::new(("v_building", h), tr(Key::Building))
            .selected_text(name(d.building))
            .show_ui(ui, |ui| {
                for b in buildings {
                    ui.selectable_value(&mut d.building, Some(b.0), &b.1);
                }
            });
        ui.add(
            egui::TextEdit::singleline(&mut d.address)
                .hint_text("3单元 502")
                .desired_width(110.0),
        );
    });
    let mut remove = None;
    for (r, reading) in d.readings.iter_mut().enumerate() {
        ui.horizontal(|ui| {
            ui.label(tr(Key::Reading));
            ui.add(
                egui::TextEdit::singleline(&mut reading.room)
                    .hint_text(tr(Key::Room))
                    .desired_width(80.0),
            );
            ui.add(
                egui::DragValue::new(&mut reading.celsius)
                    .range(0.0..=40.0)
                    .speed(0.1)
                    .suffix(" °C"),
            );
            super::combo(
                ui,
                ("v_method", h, r),
                tr(Key::Method),
                &mut reading.method,
                &[TempMethod::Thermometer, TempMethod::InfraredAverage],
                |m| words::method_name(lang, m).to_string(),
            );
            if ui.small_button("x").clicked() {
                remove = Some(r);
            }
        });
    }
    if let Some(r) = remove {
        d.readings.remove(r);
    }
    let mut remove = None;
    for (p, problem) in d.problems.iter_mut().enumerate() {
        ui.horizontal(|ui| {
            super::combo(
                ui,
                ("v_category", h, p),
                tr(Key::Problem),
                &mut problem.category,
                Category::ALL,
                |c| words::category(lang, c).to_string(),
            );
            ui.add(
                egui::TextEdit::singleline(&mut problem.description)
                    .hint_text(tr(Key::Description))
                    .desired_width(150.0),
            );
            ui.checkbox(&mut problem.fixed_on_site, tr(Key::FixedOnSite));
            if ui.small_button("x").clicked() {
                remove = Some(p);
            }
        });
    }
    if let Some(p) = remove {
        d.problems.remove(p);
    }
    ui.horizontal(|ui| {
        if ui
            .small_button(format!("＋ {}", tr(Key::Reading)))
            .clicked()
        {
            d.readings.push(RoomReading {
                room: String::new(),
                celsius: 18.0,
                method: TempMethod::Thermometer,
            });
        }
        if ui
            .small_button(format!("＋ {}", tr(Key::Problem)))
            .clicked()
        {
            d.problems.push(Problem {
                category: Category::AirLock,
                severity: Severity::Normal,
                description: String::new(),
                fixed_on_site: false,
            });
        }
        let answers = [
            None,
            Some(SurveyAnswer::Satisfied),
            Some(SurveyAnswer::BasicallySatisfied),
            Some(SurveyAnswer::Dissatisfied),
        ];
        super::combo(
            ui,
            ("v_answer", h),
            tr(Key::Answer),
            &mut d.answer,
            &answers,
            |a| {
                a.map_or(tr(Key::NoAnswer).to_string(), |a| {
                    words::answer(lang, a).to_string()
                })
            },
        );
    });
}
