//! The season's rows: tickets, visits, temperature readings, survey answers.

use std::sync::LazyLock;

use super::bilingual::{Bilingual, bilingual, words};
use super::columns::{Row, empty, labels};
use super::import::Importer;
use super::kind::Kind;
use super::records::Record;
use crate::domain::lifecycle::{RecordProblem, deadlines, record_problems};
use crate::domain::*;
use crate::words;

// the labels each coded field accepts, built once
type Labels<T> = LazyLock<Vec<(&'static str, T)>>;
static CHANNELS: Labels<Channel> = LazyLock::new(|| labels(Channel::ALL, words::channel));
static CATEGORIES: Labels<Category> = LazyLock::new(|| labels(Category::ALL, words::category));
static SEVERITIES: Labels<Severity> = LazyLock::new(|| labels(Severity::ALL, words::severity));
static STATUSES: Labels<TicketStatus> = LazyLock::new(|| labels(TicketStatus::ALL, words::status));
static ANSWERS: Labels<SurveyAnswer> = LazyLock::new(|| labels(SurveyAnswer::ALL, words::answer));
static METHODS: Labels<TempMethod> = LazyLock::new(|| {
    let mut all = labels(TempMethod::ALL, crate::words::method_name);
    all.extend([
        ("温度计", TempMethod::Thermometer),
        ("红外", TempMethod::InfraredAverage),
        ("红外测温", TempMethod::InfraredAverage),
    ]);
    all
});

impl Importer {
    pub(super) fn ticket(&mut self, rec: &Record<'_>) {
        let Some((id, new)) = self.assign(rec) else {
            return;
        };
        let mut row = Row::new(rec, Kind::Tickets);
        let building = self.building_ref(&mut row, Kind::Tickets, true);
        let channel = row.code("channel", None, Channel::from_code, &CHANNELS);
        let category = row.code("category", None, Category::from_code, &CATEGORIES);
        let severity = row.code(
            "severity",
            Some(Severity::Normal),
            Severity::from_code,
            &SEVERITIES,
        );
        let status = row.code(
            "status",
            Some(TicketStatus::Received),
            TicketStatus::from_code,
            &STATUSES,
        );
        let team = row.reference(
            "team_id",
            self.ids(Kind::Teams),
            words("team", "班组"),
            false,
        );
        let segment = row.reference(
            "segment_id",
            self.ids(Kind::Pipes),
            words("pipe segment", "管段"),
            false,
        );
        let created = row.time("created_at", true).given();
        let respond_by = row.time("respond_by", false);
        let deadline = row.time("deadline", false);
        let updated = row.time("updated_at", false);
        let fixed = row.time("fixed_at", false);
        let closed = row.time("closed_at", false);
        let timely = row.value(
            "timely",
            Some(None),
            |v| super::columns::parse_bool(v).map(Some),
            words("yes or no (1/0, 是/否)", "是或否（1/0、是/否）"),
        );
        let satisfaction = row.value(
            "satisfaction",
            Some(None),
            |v| {
                SurveyAnswer::from_code(&v.to_lowercase())
                    .or_else(|| {
                        ANSWERS
                            .iter()
                            .find(|(l, _)| l.eq_ignore_ascii_case(v))
                            .map(|&(_, a)| a)
                    })
                    .map(Some)
            },
            words("满意, 基本满意 or 不满意", "满意、基本满意或不满意"),
        );
        let (Some(created), Some(status)) = (created, status) else {
            self.accept_row(row);
            return;
        };
        if fixed.refused() || closed.refused() {
            self.accept_row(row);
            return;
        }
        let (fixed, closed) = (fixed.given(), closed.given());
        // a hotline system that records only when a ticket was closed: it was fixed by then
        let done = matches!(
            status,
            TicketStatus::Fixed | TicketStatus::CallbackDone | TicketStatus::Closed
        );
        let fixed = fixed.or(closed.filter(|_| done));
        let mut ticket = Ticket {
            id,
            version: 1,
            channel: channel.unwrap_or(Channel::Hotline),
            category: category.unwrap_or(Category::Enquiry),
            severity: severity.unwrap_or(Severity::Normal),
            building_id: building.given().unwrap_or_default(),
            address_detail: rec.get(Kind::Tickets.field("address_detail")).into(),
            reporter_name: rec.get(Kind::Tickets.field("reporter_name")).into(),
            reporter_phone: rec.get(Kind::Tickets.field("reporter_phone")).into(),
            description: rec.get(Kind::Tickets.field("description")).into(),
            status,
            team_id: team.given(),
            created_at: created,
            respond_by: created,
            deadline: created,
            updated_at: created,
            fixed_at: fixed,
            closed_at: closed,
            timely: None,
            satisfaction: satisfaction.flatten(),
            parent_id: None,
            segment_id: segment.given(),
        };
        // the state it arrives in must be one the lifecycle can reach (the store checks again)
        for problem in record_problems(&ticket) {
            let message = match problem {
                RecordProblem::FixedBeforeReceived => {
                    bilingual!("is before the ticket was received", "早于工单受理时间")
                }
                _ => empty_but(status),
            };
            row.fail_field(problem.field(), message);
        }
        let (Some(_), Some(_)) = (category, severity) else {
            self.accept_row(row);
            return;
        };
        let due = deadlines(&self.rules, ticket.category, ticket.severity, created);
        ticket.respond_by = respond_by.given().unwrap_or(due.0);
        ticket.deadline = deadline.given().unwrap_or(due.1);
        ticket.timely = timely.flatten().or(fixed.map(|f| f <= ticket.deadline));
        let parent = rec.get(Kind::Tickets.field("parent_id"));
        if !self.accept_row(row) {
            return;
        }
        ticket.updated_at = updated
            .given()
            .unwrap_or_else(|| closed.or(fixed).unwrap_or(created));
        if !parent.is_empty() {
            self.parents
                .push((self.out.tickets.len(), parent.to_string(), rec.loc));
        }
        self.out.tickets.push(ticket);
        self.kept(rec, new);
    }

    pub(super) fn visit(&mut self, rec: &Record<'_>) {
        let Some((id, new)) = self.assign(rec) else {
            return;
        };
        let mut row = Row::new(rec, Kind::Visits);
        let compound = self.compound_ref(&mut row, Kind::Visits);
        let at = row.time("at", true).given();
        let leaders = row.required("leaders");
        let desk = row.flag("consultation_desk", false);
        let entered = row.count("households_entered", Some(0));
        if !self.accept_row(row) {
            return;
        }
        self.out.visits.push(Visit {
            id,
            compound_id: compound.given().unwrap_or_default(),
            at: at.unwrap_or_default(),
            leaders: leaders.unwrap_or_default().into(),
            staff: rec.get(Kind::Visits.field("staff")).into(),
            consultation_desk: desk.unwrap_or_default(),
            households_entered: entered.unwrap_or_default(),
            notes: rec.get(Kind::Visits.field("notes")).into(),
        });
        self.kept(rec, new);
    }

    pub(super) fn reading(&mut self, rec: &Record<'_>) {
        let Some((id, new)) = self.assign(rec) else {
            return;
        };
        let mut row = Row::new(rec, Kind::Readings);
        let building = self.building_ref(&mut row, Kind::Readings, true);
        let visit = row.reference(
            "visit_id",
            self.ids(Kind::Visits),
            words("visit", "走访记录"),
            false,
        );
        let celsius = row.number("celsius", None);
        if celsius.is_some_and(|c| !(-30.0..=45.0).contains(&c)) {
            let c = celsius.unwrap_or_default();
            row.fail_field(
                "celsius",
                bilingual!("{c} °C is no indoor temperature", "{c} °C 不是室内温度"),
            );
        }
        let method = row.code(
            "method",
            Some(TempMethod::Thermometer),
            TempMethod::from_code,
            &METHODS,
        );
        let taken = row.time("taken_at", true).given();
        if !self.accept_row(row) {
            return;
        }
        self.out.readings.push(TemperatureReading {
            id,
            building_id: building.given().unwrap_or_default(),
            visit_id: visit.given(),
            room: rec.get(Kind::Readings.field("room")).into(),
            celsius: celsius.unwrap_or_default(),
            method: method.unwrap_or(TempMethod::Thermometer),
            taken_at: taken.unwrap_or_default(),
            taken_by: rec.get(Kind::Readings.field("taken_by")).into(),
        });
        self.kept(rec, new);
    }

    pub(super) fn survey(&mut self, rec: &Record<'_>) {
        let Some((id, new)) = self.assign(rec) else {
            return;
        };
        let mut row = Row::new(rec, Kind::Surveys);
        let building = self.building_ref(&mut row, Kind::Surveys, true);
        let ticket = row.reference(
            "ticket_id",
            self.ids(Kind::Tickets),
            words("ticket", "工单"),
            false,
        );
        let visit = row.reference(
            "visit_id",
            self.ids(Kind::Visits),
            words("visit", "走访记录"),
            false,
        );
        let answer = row.code("answer", None, SurveyAnswer::from_code, &ANSWERS);
        let at = row.time("at", true).given();
        if !self.accept_row(row) {
            return;
        }
        self.out.surveys.push(SurveyResponse {
            id,
            building_id: building.given().unwrap_or_default(),
            ticket_id: ticket.given(),
            visit_id: visit.given(),
            answer: answer.unwrap_or(SurveyAnswer::Satisfied),
            at: at.unwrap_or_default(),
        });
        self.kept(rec, new);
    }
}

/// A blank time or team that the ticket's status needs.
fn empty_but(status: TicketStatus) -> Bilingual {
    let (en, zh) = (status.code(), words::status(words::Lang::Zh, status));
    let mut message = empty();
    message.en += &format!(", but the ticket is {en}");
    message.zh += &format!("，但工单状态为{zh}");
    message
}
