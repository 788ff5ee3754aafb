//! Every change a user can make, as one enum: the store applies it with its audit event.

use serde::{Deserialize, Serialize};

use super::lifecycle::Action;
use super::model::{
    BuildingId, Category, Channel, CompoundId, LonLat, SegmentId, Severity, SlaRule, SurveyAnswer,
    TempMethod, TicketId, TicketStatus, Timestamp,
};
use super::snapshot::{Changes, Update};

/// A new problem as the operator types it in (受理).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewTicket {
    pub channel: Channel,
    pub category: Category,
    pub severity: Severity,
    pub building_id: BuildingId,
    pub address_detail: String,
    pub reporter_name: String,
    pub reporter_phone: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Command {
    CreateTicket(NewTicket),
    /// A lifecycle step on a ticket as the user saw it (`seen_version`): refused if stale.
    Act {
        ticket: TicketId,
        seen_version: i64,
        action: Action,
    },
    /// Edit one row of the deadline table; tickets already given a deadline keep it.
    SetSlaRule(SlaRule),
    /// A network fault found from a complaint cluster: one ticket for the pipe, with the
    /// household reports linked to it (fixed with it; each resident still gets a callback).
    NetworkTicket {
        category: Category,
        severity: Severity,
        /// Where the crew goes: a building at the suspected point.
        building_id: BuildingId,
        segment: Option<SegmentId>,
        description: String,
        linked: Vec<TicketId>,
    },
    /// A leaders' visit with its readings, answers and the problems found (访民问暖).
    RecordVisit(NewVisit),
    /// The company's KPI definitions and thresholds.
    SetKpiRules(super::kpi::KpiRules),
    /// A repeated report of a problem already open: recorded on that ticket instead of
    /// creating a duplicate.
    LinkReport {
        ticket: TicketId,
        channel: Channel,
        reporter_name: String,
        reporter_phone: String,
        note: String,
    },
    /// A company's file: its rows inserted or updated all together, or none.
    Import(Box<super::batch::ImportBatch>),
    /// A crew's step from the phone page (applied once per client id).
    Field(Box<super::crew::FieldCommand>),
    /// Where a team's phone is now.
    ReportPosition(super::crew::TeamPosition),
    /// A technician's account made or changed (its password hash, team, name, disabled).
    SaveAccount(super::crew::Account),
    /// The texts of the messages residents get.
    SetMessageTemplates(super::crew::MessageTemplates),
    /// 停热 (or, `restore`, 恢复供热) messages to the residents of these buildings who gave a
    /// number with a report, for the time `when`.
    NotifyOutage {
        buildings: Vec<BuildingId>,
        restore: bool,
        when: Timestamp,
    },
}

impl Command {
    /// What kind of change this is, for logs (no personal data).
    pub fn kind(&self) -> &'static str {
        match self {
            Command::CreateTicket(_) => "create_ticket",
            Command::Act { action, .. } => action.code(),
            Command::SetSlaRule(_) => "set_sla_rule",
            Command::NetworkTicket { .. } => "network_ticket",
            Command::RecordVisit(_) => "record_visit",
            Command::SetKpiRules(_) => "set_kpi_rules",
            Command::LinkReport { .. } => "repeat_report",
            Command::Import(_) => "import",
            Command::Field(f) => f.step.code(),
            Command::ReportPosition(_) => "position",
            Command::SaveAccount(_) => "save_account",
            Command::SetMessageTemplates(_) => "set_message_templates",
            Command::NotifyOutage { .. } => "notify_outage",
        }
    }
}

/// A visit as written on the form: who went where, and what each household showed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewVisit {
    pub compound_id: CompoundId,
    pub at: Timestamp,
    /// 入户走访 (staff survey) or 领导走访 (leaders): the channel of the tickets it raises.
    pub channel: Channel,
    pub leaders: String,
    pub staff: String,
    pub consultation_desk: bool,
    pub households_entered: u32,
    pub notes: String,
    pub households: Vec<HouseholdVisit>,
}

/// One household entered during a visit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HouseholdVisit {
    pub building_id: BuildingId,
    /// "3单元 502"
    pub address_detail: String,
    pub readings: Vec<RoomReading>,
    pub problems: Vec<Problem>,
    pub answer: Option<SurveyAnswer>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomReading {
    pub room: String,
    pub celsius: f64,
    pub method: TempMethod,
}

/// A problem found in a household: fixed there and then, or registered for a team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    pub category: Category,
    pub severity: Severity,
    pub description: String,
    pub fixed_on_site: bool,
}

/// A command the store refuses for what it asks (its input, or the tickets it names), said in
/// the reader's language by `words::problem` (English here, for the log and the API).
#[derive(Debug, Clone, PartialEq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum Refusal {
    #[error("deadlines must be at least one minute")]
    DeadlineUnderAMinute,
    #[error("login {0:?}: use 1–32 letters, digits, '.', '_' or '-'")]
    BadLogin(String),
    /// A technician's account without a team, or another role's with one.
    #[error("account {login:?}: a technician belongs to a team; a {} does not", .role.code())]
    RoleTeam {
        login: String,
        role: super::crew::Role,
    },
    #[error("ticket #{ticket} is already {}: it cannot be linked", .status.code())]
    CannotLink {
        ticket: TicketId,
        status: TicketStatus,
    },
    #[error("ticket #{ticket} is already linked to network ticket #{parent}")]
    AlreadyLinked { ticket: TicketId, parent: TicketId },
    #[error("ticket #{ticket} is already {}; create a new ticket instead", .status.code())]
    NotOpen {
        ticket: TicketId,
        status: TicketStatus,
    },
    #[error("no building to notify")]
    NoBuildingToNotify,
    #[error("an account keeps an Argon2 hash of its password, never the password")]
    PasswordNotHashed,
    #[error("the {} message is empty", .0.code())]
    EmptyTemplate(super::crew::MessageKind),
    #[error(transparent)]
    Visit(#[from] VisitProblem),
    /// `household` counts from 1.
    #[error("household {household}: building #{building} is not in compound #{compound}")]
    HouseholdElsewhere {
        household: usize,
        building: BuildingId,
        compound: CompoundId,
    },
    #[error("{at}: ticket status {} does not fit field {field}", .status.code())]
    ImportedMisfit {
        at: FileRow,
        status: TicketStatus,
        field: String,
    },
    #[error("{0}: a ticket cannot be its own network ticket")]
    OwnNetworkTicket(FileRow),
    #[error("{file}: a {} row refers to a new {} row that the file does not have", .table.code(), .refers.code())]
    MissingNewRow {
        file: String,
        table: super::batch::Table,
        refers: super::batch::Table,
    },
    /// The database's own constraint refused an imported row (its words follow).
    #[error("{at}: the database refused the row: {detail}")]
    RowRefused { at: FileRow, detail: String },
    #[error("position {position:?} ±{accuracy_m} m is not a place on Earth")]
    NotOnEarth { position: LonLat, accuracy_m: f64 },
    #[error("a phone's request needs a client id (1–80 characters)")]
    NoClientId,
    #[error("at most {} photos of at most {} KB each", super::crew::MAX_PHOTOS, super::crew::MAX_PHOTO_BYTES / 1024)]
    TooManyPhotos,
    #[error("an indoor temperature of {0} °C cannot be right")]
    ImplausibleTemperature(f64),
    #[error(transparent)]
    Kpi(#[from] super::kpi::KpiProblem),
}

/// Where in a company's file a row came from: "tickets.csv row 5" (or the file alone).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FileRow {
    pub file: String,
    pub at: Option<super::batch::RowAt>,
}

impl std::fmt::Display for FileRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.at {
            Some(at) => write!(f, "{} {at}", self.file),
            None => write!(f, "{}", self.file),
        }
    }
}

/// What a visit's form got wrong: the form says it in the reader's language
/// (`words::visit_problem`), the store refuses the same (in English, for the log).
#[derive(Debug, Clone, PartialEq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum VisitProblem {
    #[error("channel: a visit is LeaderVisit or DoorToDoor")]
    Channel,
    #[error("leaders: name who went")]
    NoLeaders,
    #[error("households_entered: {entered} is fewer than the {recorded} households recorded")]
    FewerEntered { entered: u32, recorded: usize },
    /// `household` and `reading` count from 1.
    #[error("household {household}, reading {reading}: {celsius} °C is not an indoor temperature")]
    Reading {
        household: usize,
        reading: usize,
        celsius: f64,
    },
    /// `household` and `problem` count from 1.
    #[error("household {household}, problem {problem}: describe the problem")]
    Undescribed { household: usize, problem: usize },
}

impl NewVisit {
    /// What the form must get right before anything is saved.
    pub fn check(&self) -> Result<(), VisitProblem> {
        if !matches!(self.channel, Channel::LeaderVisit | Channel::DoorToDoor) {
            return Err(VisitProblem::Channel);
        }
        if self.leaders.trim().is_empty() {
            return Err(VisitProblem::NoLeaders);
        }
        if (self.households_entered as usize) < self.households.len() {
            return Err(VisitProblem::FewerEntered {
                entered: self.households_entered,
                recorded: self.households.len(),
            });
        }
        for (h, household) in self.households.iter().enumerate() {
            for (r, reading) in household.readings.iter().enumerate() {
                if !(reading.celsius.is_finite() && (0.0..=40.0).contains(&reading.celsius)) {
                    return Err(VisitProblem::Reading {
                        household: h + 1,
                        reading: r + 1,
                        celsius: reading.celsius,
                    });
                }
            }
            for (p, problem) in household.problems.iter().enumerate() {
                if problem.description.trim().is_empty() {
                    return Err(VisitProblem::Undescribed {
                        household: h + 1,
                        problem: p + 1,
                    });
                }
            }
        }
        Ok(())
    }
}

/// Open tickets for the same building and category: a new report of it is probably a repeat.
pub fn likely_duplicates(
    snap: &super::snapshot::Snapshot,
    building: BuildingId,
    category: Category,
) -> Vec<TicketId> {
    snap.tickets
        .iter()
        .filter(|t| t.status.is_open() && t.building_id == building && t.category == category)
        .map(|t| t.id)
        .collect()
}

/// Who makes a change and when: written into the audit event.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    pub actor: String,
    pub at: Timestamp,
}

/// What an applied command changed, so a view can update without reloading everything.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Applied {
    Ticket {
        ticket: Box<super::model::Ticket>,
        event: super::model::TicketEvent,
        previous: Option<TicketStatus>,
        /// The resident's answer recorded by a callback.
        survey: Option<super::model::SurveyResponse>,
    },
    Rule(SlaRule),
    KpiRules(super::kpi::KpiRules),
    /// One command that changed several things (a network ticket and the reports it links;
    /// a fix that fixes them too; a visit record), first the main one.
    Batch(Vec<Applied>),
    /// A leaders' visit with its readings and answers (its tickets follow in a `Batch`).
    Visit {
        visit: super::model::Visit,
        readings: Vec<super::model::TemperatureReading>,
        surveys: Vec<super::model::SurveyResponse>,
    },
    /// A company's file imported (or, in a dry run, checked).
    Import(super::batch::ImportSummary),
    /// A team's row (its status, where it is) and the position its phone reported.
    Team {
        team: Box<super::model::Team>,
        position: Option<super::crew::TeamPosition>,
    },
    /// Readings taken outside a visit (a crew's 完工).
    Readings(Vec<super::model::TemperatureReading>),
    /// Recorded (an account, the message texts, messages queued): nothing a view shows.
    Noted {
        messages: usize,
    },
}

impl Applied {
    /// Every ticket this change touched, the main one first; a ticket stepped twice (made and
    /// fixed on a visit) once, as it ended.
    pub fn tickets(&self) -> Vec<&super::model::Ticket> {
        let mut out: Vec<&super::model::Ticket> = Vec::new();
        self.each_ticket(&mut |t| match out.iter_mut().find(|o| o.id == t.id) {
            Some(o) => *o = t,
            None => out.push(t),
        });
        out
    }

    fn each_ticket<'a>(&'a self, f: &mut impl FnMut(&'a super::model::Ticket)) {
        match self {
            Applied::Ticket { ticket, .. } => f(ticket),
            Applied::Batch(all) => all.iter().for_each(|a| a.each_ticket(f)),
            Applied::Rule(_)
            | Applied::KpiRules(_)
            | Applied::Visit { .. }
            | Applied::Import(_)
            | Applied::Team { .. }
            | Applied::Readings(_)
            | Applied::Noted { .. } => {}
        }
    }

    /// What a console takes in from this change: the same as another console's commit.
    pub fn update(&self) -> Update {
        let mut changes = Changes::default();
        match self {
            Applied::Import(summary) if !summary.written => return Update::UpToDate,
            Applied::Import(_) => return Update::Reload,
            _ => self.collect(&mut changes),
        }
        Update::Changed(changes)
    }

    fn collect(&self, changes: &mut Changes) {
        match self {
            Applied::Ticket { ticket, survey, .. } => {
                // a ticket touched twice by one command (a batch) is taken in once, newest
                match changes.tickets.iter_mut().find(|t| t.id == ticket.id) {
                    Some(t) => *t = (**ticket).clone(),
                    None => changes.tickets.push((**ticket).clone()),
                }
                changes.surveys.extend(survey.iter().cloned());
            }
            Applied::Rule(rule) => changes.rules.push(*rule),
            Applied::KpiRules(rules) => changes.kpi_rules = Some(*rules),
            Applied::Batch(all) => all.iter().for_each(|a| a.collect(changes)),
            Applied::Visit {
                visit,
                readings,
                surveys,
            } => {
                changes.visits.push(visit.clone());
                changes.readings.extend(readings.iter().cloned());
                changes.surveys.extend(surveys.iter().cloned());
            }
            Applied::Team { team, position } => {
                changes.teams.retain(|t| t.id != team.id);
                changes.teams.push((**team).clone());
                changes.positions.extend(position.iter().cloned());
            }
            Applied::Readings(readings) => changes.readings.extend(readings.iter().cloned()),
            Applied::Import(_) | Applied::Noted { .. } => {}
        }
    }
}
