//! The season's rows: tickets, visits, temperature readings, survey answers.

use std::sync::LazyLock;

use rusqlite::params;

use super::fields::{Problem, Row, empty, labels};
use super::import::Importer;
use super::kind::Kind;
use super::records::Record;
use super::said::{Said, said, words};
use crate::domain::lifecycle::deadlines;
use crate::domain::{Category, Channel, Severity, SurveyAnswer, TempMethod, TicketStatus};
use crate::store::codec::time_to_sql;
use crate::words;

type Written = Result<(), crate::store::StoreError>;

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

impl Importer<'_> {
    pub(super) fn ticket(&mut self, rec: &Record<'_>) -> Written {
        let Some((id, new)) = self.assign(rec) else {
            return Ok(());
        };
        let mut row = Row::new(rec, Kind::Tickets);
        let channel = row.code("channel", None, Channel::from_code, &CHANNELS);
        let category = row.code("category", None, Category::from_code, &CATEGORIES);
        let severity = row.code(
            "severity",
            Some(Severity::Normal),
            Severity::from_code,
            &SEVERITIES,
        );
        let building = row.reference(
            "building_id",
            self.ids(Kind::Buildings),
            words("building", "楼栋"),
            true,
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
        let created = row.time("created_at", true).flatten();
        let respond_by = row.time("respond_by", false);
        let deadline = row.time("deadline", false);
        let updated = row.time("updated_at", false);
        let fixed = row.time("fixed_at", false);
        let closed = row.time("closed_at", false);
        let timely = row.value(
            "timely",
            Some(None),
            |v| super::fields::parse_bool(v).map(Some),
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
        let (Some(created), Some(status), Some(fixed), Some(closed)) =
            (created, status, fixed, closed)
        else {
            self.accept(row.found);
            return Ok(());
        };
        let done = matches!(
            status,
            TicketStatus::Fixed | TicketStatus::CallbackDone | TicketStatus::Closed
        );
        if done && fixed.is_none() {
            row.fail_field("fixed_at", empty_but(status));
        }
        if status == TicketStatus::Closed && closed.is_none() {
            row.fail_field("closed_at", empty_but(status));
        }
        if fixed.is_some_and(|f| f < created) {
            row.fail_field(
                "fixed_at",
                said!("is before the ticket was received", "早于工单受理时间"),
            );
        }
        let needs_team = matches!(
            status,
            TicketStatus::Assigned | TicketStatus::Accepted | TicketStatus::OnSite
        );
        if needs_team && team.flatten().is_none() {
            row.fail_field("team_id", empty_but(status));
        }
        let (Some(category), Some(severity)) = (category, severity) else {
            self.accept(row.found);
            return Ok(());
        };
        let due = deadlines(&self.rules, category, severity, created);
        let respond_by = respond_by.flatten().unwrap_or(due.0);
        let deadline = deadline.flatten().unwrap_or(due.1);
        let timely = timely.flatten().or(fixed.map(|f| f <= deadline));
        let parent = rec.get(Kind::Tickets.field("parent_id"));
        if !self.accept(row.found) {
            return Ok(());
        }
        let updated = updated
            .flatten()
            .unwrap_or_else(|| closed.or(fixed).unwrap_or(created));
        self.tx
            .prepare_cached(
                "INSERT INTO tickets (id, version, channel, category, severity, building_id, address_detail,
                     reporter_name, reporter_phone, description, status, team_id, created_at, respond_by,
                     deadline, updated_at, fixed_at, closed_at, timely, satisfaction, segment_id)
                 VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)
                 ON CONFLICT (id) DO UPDATE SET version = tickets.version + 1, channel = excluded.channel,
                     category = excluded.category, severity = excluded.severity,
                     building_id = excluded.building_id, address_detail = excluded.address_detail,
                     reporter_name = excluded.reporter_name,
                     -- a masked number (138****5678, from an export) keeps the one on file
                     reporter_phone = CASE WHEN instr(excluded.reporter_phone, '*') > 0
                         THEN tickets.reporter_phone ELSE excluded.reporter_phone END,
                     description = excluded.description, status = excluded.status,
                     team_id = excluded.team_id, created_at = excluded.created_at,
                     respond_by = excluded.respond_by, deadline = excluded.deadline,
                     updated_at = excluded.updated_at, fixed_at = excluded.fixed_at,
                     closed_at = excluded.closed_at, timely = excluded.timely,
                     satisfaction = excluded.satisfaction, segment_id = excluded.segment_id",
            )?
            .execute(params![
                id,
                channel.map(|c| c.code()),
                category.code(),
                severity.code(),
                building.flatten(),
                rec.get(Kind::Tickets.field("address_detail")),
                rec.get(Kind::Tickets.field("reporter_name")),
                rec.get(Kind::Tickets.field("reporter_phone")),
                rec.get(Kind::Tickets.field("description")),
                status.code(),
                team.flatten(),
                time_to_sql(created),
                time_to_sql(respond_by),
                time_to_sql(deadline),
                time_to_sql(updated),
                fixed.map(time_to_sql),
                closed.map(time_to_sql),
                timely,
                satisfaction.flatten().map(|a| a.code()),
                segment.flatten(),
            ])?;
        // the trail says where the ticket came from
        self.tx
            .prepare_cached(
                "INSERT INTO ticket_events (ticket_id, at, actor, action, from_status, to_status, team_id, note)
                 VALUES (?1, ?2, ?3, 'import', NULL, ?4, ?5, ?6)",
            )?
            .execute(params![
                id,
                time_to_sql(self.options.now),
                self.options.actor,
                status.code(),
                team.flatten(),
                format!("{} {}", self.file, rec.loc)
            ])?;
        if !parent.is_empty() {
            self.parents.push((id, parent.to_string(), rec.loc));
        }
        self.counted(new);
        Ok(())
    }

    /// Link tickets to network tickets named anywhere in the file or the database.
    pub(super) fn link_parents(&mut self) -> Written {
        let parents = std::mem::take(&mut self.parents);
        let field = &Kind::Tickets.fields()[Kind::Tickets.field("parent_id")];
        for (id, external, loc) in parents {
            match self.ids(Kind::Tickets).find(&external) {
                Some(parent) if parent != id => {
                    self.tx
                        .prepare_cached("UPDATE tickets SET parent_id = ?2 WHERE id = ?1")?
                        .execute(params![id, parent])?;
                }
                found => self.problems.push(Problem {
                    loc: Some(loc),
                    field: Some(field),
                    message: if found.is_some() {
                        said!(
                            "a ticket cannot be its own network ticket",
                            "工单不能是自己的管网工单"
                        )
                    } else {
                        said!(
                            "no ticket with id \"{external}\"",
                            "没有编号为“{external}”的工单"
                        )
                    },
                }),
            }
        }
        Ok(())
    }

    pub(super) fn visit(&mut self, rec: &Record<'_>) -> Written {
        let Some((id, new)) = self.assign(rec) else {
            return Ok(());
        };
        let mut row = Row::new(rec, Kind::Visits);
        let compound = row.reference(
            "compound_id",
            self.ids(Kind::Compounds),
            words("compound", "小区"),
            true,
        );
        let at = row.time("at", true).flatten();
        let leaders = row.required("leaders");
        let desk = row.flag("consultation_desk", false);
        let entered = row.count("households_entered", Some(0));
        if !self.accept(row.found) {
            return Ok(());
        }
        self.tx
            .prepare_cached(
                "INSERT INTO visits (id, compound_id, at, leaders, staff, consultation_desk, households_entered, notes)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (id) DO UPDATE SET compound_id = excluded.compound_id, at = excluded.at,
                     leaders = excluded.leaders, staff = excluded.staff,
                     consultation_desk = excluded.consultation_desk,
                     households_entered = excluded.households_entered, notes = excluded.notes",
            )?
            .execute(params![
                id,
                compound.flatten(),
                at.map(time_to_sql),
                leaders,
                rec.get(Kind::Visits.field("staff")),
                desk,
                entered,
                rec.get(Kind::Visits.field("notes")),
            ])?;
        self.counted(new);
        Ok(())
    }

    pub(super) fn reading(&mut self, rec: &Record<'_>) -> Written {
        let Some((id, new)) = self.assign(rec) else {
            return Ok(());
        };
        let mut row = Row::new(rec, Kind::Readings);
        let building = row.reference(
            "building_id",
            self.ids(Kind::Buildings),
            words("building", "楼栋"),
            true,
        );
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
                said!("{c} °C is no indoor temperature", "{c} °C 不是室内温度"),
            );
        }
        let method = row.code(
            "method",
            Some(TempMethod::Thermometer),
            TempMethod::from_code,
            &METHODS,
        );
        let taken = row.time("taken_at", true).flatten();
        if !self.accept(row.found) {
            return Ok(());
        }
        self.tx
            .prepare_cached(
                "INSERT INTO temperature_readings (id, building_id, visit_id, room, celsius, method, taken_at, taken_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (id) DO UPDATE SET building_id = excluded.building_id, visit_id = excluded.visit_id,
                     room = excluded.room, celsius = excluded.celsius, method = excluded.method,
                     taken_at = excluded.taken_at, taken_by = excluded.taken_by",
            )?
            .execute(params![
                id,
                building.flatten(),
                visit.flatten(),
                rec.get(Kind::Readings.field("room")),
                celsius,
                method.map(|m| m.code()),
                taken.map(time_to_sql),
                rec.get(Kind::Readings.field("taken_by")),
            ])?;
        self.counted(new);
        Ok(())
    }

    pub(super) fn survey(&mut self, rec: &Record<'_>) -> Written {
        let Some((id, new)) = self.assign(rec) else {
            return Ok(());
        };
        let mut row = Row::new(rec, Kind::Surveys);
        let building = row.reference(
            "building_id",
            self.ids(Kind::Buildings),
            words("building", "楼栋"),
            true,
        );
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
        let at = row.time("at", true).flatten();
        if !self.accept(row.found) {
            return Ok(());
        }
        self.tx
            .prepare_cached(
                "INSERT INTO survey_responses (id, building_id, ticket_id, visit_id, answer, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (id) DO UPDATE SET building_id = excluded.building_id, ticket_id = excluded.ticket_id,
                     visit_id = excluded.visit_id, answer = excluded.answer, at = excluded.at",
            )?
            .execute(params![
                id,
                building.flatten(),
                ticket.flatten(),
                visit.flatten(),
                answer.map(|a| a.code()),
                at.map(time_to_sql),
            ])?;
        self.counted(new);
        Ok(())
    }
}

/// A blank time or team that the ticket's status needs.
fn empty_but(status: TicketStatus) -> Said {
    let (en, zh) = (status.code(), words::status(words::Lang::Zh, status));
    let mut message = empty();
    message.en += &format!(", but the ticket is {en}");
    message.zh += &format!("，但工单状态为{zh}");
    message
}
