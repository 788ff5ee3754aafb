//! The three figures leaders are judged by, plus temperature compliance (DESIGN.md, "KPIs"),
//! for the city, each service department and each compound, over any period.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::model::{
    BuildingId, Category, CompoundId, DepartmentId, SurveyAnswer, SurveyResponse, Ticket, TicketId,
    Timestamp,
};
use super::snapshot::{RowFacts, Snapshot};

/// How the figures are defined and judged; cities differ, so these are company settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct KpiRules {
    /// Indoor standard in °C (18, or 20 in some provinces).
    pub temperature_standard: f64,
    /// Whether "basically satisfied" counts as satisfied.
    pub basic_counts_as_satisfied: bool,
    /// Complaints are counted per this many households (1,000 → ‰; 10,000 → per 万户).
    pub complaints_per_households: u32,
    /// A figure at or better than `green` is green, at or better than `amber` amber, else red.
    pub thresholds: Thresholds,
}

impl Default for KpiRules {
    fn default() -> Self {
        KpiRules {
            temperature_standard: 18.0,
            basic_counts_as_satisfied: true,
            complaints_per_households: 1000,
            thresholds: Thresholds::default(),
        }
    }
}

/// What a company's KPI settings got wrong (said by `words::problem`; English here, for the
/// log and the API, naming the setting's field).
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum KpiProblem {
    #[error("temperature_standard: {0} °C is not an indoor standard")]
    Standard(f64),
    #[error("complaints_per_households: {0} (1000 or 10000)")]
    Basis(u32),
    #[error("thresholds.{}: the limits must lie in 0..={max}", .rate.field())]
    Limits { rate: Rate, max: f64 },
}

/// One of the rates the company sets limits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Rate {
    Complaints,
    Satisfaction,
    Timely,
    Temperature,
}

impl Rate {
    /// Its field in the settings.
    pub fn field(self) -> &'static str {
        match self {
            Rate::Complaints => "complaints",
            Rate::Satisfaction => "satisfaction",
            Rate::Timely => "timely",
            Rate::Temperature => "temperature",
        }
    }
}

impl KpiRules {
    /// Settings a company could mean: a plausible indoor standard, a known basis, and limits
    /// that are numbers in range.
    pub fn check(&self) -> Result<(), KpiProblem> {
        if !(self.temperature_standard.is_finite()
            && (10.0..=30.0).contains(&self.temperature_standard))
        {
            return Err(KpiProblem::Standard(self.temperature_standard));
        }
        if ![1000, 10_000].contains(&self.complaints_per_households) {
            return Err(KpiProblem::Basis(self.complaints_per_households));
        }
        let t = &self.thresholds;
        for (metric, limits, max) in [
            (Rate::Complaints, t.complaints, 1000.0),
            (Rate::Satisfaction, t.satisfaction, 1.0),
            (Rate::Timely, t.timely, 1.0),
            (Rate::Temperature, t.temperature, 1.0),
        ] {
            if limits
                .iter()
                .any(|v| !(v.is_finite() && (0.0..=max).contains(v)))
            {
                return Err(KpiProblem::Limits { rate: metric, max });
            }
        }
        Ok(())
    }

    /// Whether an answer counts as satisfied under these rules.
    pub fn satisfied(&self, answer: SurveyAnswer) -> bool {
        match answer {
            SurveyAnswer::Satisfied => true,
            SurveyAnswer::BasicallySatisfied => self.basic_counts_as_satisfied,
            SurveyAnswer::Dissatisfied => false,
        }
    }
}

/// Green and amber limits per figure (complaints: at most; the others: at least).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    pub complaints: [f64; 2],
    pub satisfaction: [f64; 2],
    pub timely: [f64; 2],
    pub temperature: [f64; 2],
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            complaints: [1.0, 3.0],
            satisfaction: [0.95, 0.90],
            timely: [0.98, 0.95],
            temperature: [0.95, 0.90],
        }
    }
}

/// One of the four figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Figure {
    Complaints,
    Satisfaction,
    Timely,
    Temperature,
}

impl Figure {
    pub const ALL: [Figure; 4] = [
        Figure::Complaints,
        Figure::Satisfaction,
        Figure::Timely,
        Figure::Temperature,
    ];
}

/// Red / amber / green, as a leader reads a figure at a glance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rag {
    Green,
    Amber,
    Red,
    /// Nothing to judge (no answers, no readings, nothing due).
    NoData,
}

/// A ratio with its parts, so a figure can always say what it was computed from.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Ratio {
    pub numerator: u64,
    pub denominator: u64,
}

impl Ratio {
    pub fn value(self) -> Option<f64> {
        (self.denominator > 0).then(|| self.numerator as f64 / self.denominator as f64)
    }

    fn add(&mut self, hit: bool) {
        self.denominator += 1;
        self.numerator += hit as u64;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Kpis {
    /// complaints ÷ households served
    pub complaint_rate: Ratio,
    /// (satisfied [+ basically satisfied]) ÷ answers
    pub satisfaction: Ratio,
    /// fixed within deadline ÷ due in the period
    pub timely: Ratio,
    /// readings ≥ standard ÷ readings
    pub temperature: Ratio,
}

impl Kpis {
    pub fn ratio(&self, figure: Figure) -> Ratio {
        match figure {
            Figure::Complaints => self.complaint_rate,
            Figure::Satisfaction => self.satisfaction,
            Figure::Timely => self.timely,
            Figure::Temperature => self.temperature,
        }
    }

    /// The figure as shown: complaints per `complaints_per_households`, the rest as 0..1.
    pub fn value(&self, figure: Figure, rules: &KpiRules) -> Option<f64> {
        let v = self.ratio(figure).value()?;
        Some(match figure {
            Figure::Complaints => v * rules.complaints_per_households as f64,
            _ => v,
        })
    }

    pub fn rag(&self, figure: Figure, rules: &KpiRules) -> Rag {
        let Some(v) = self.value(figure, rules) else {
            return Rag::NoData;
        };
        let t = &rules.thresholds;
        let (limits, lower_is_better) = match figure {
            Figure::Complaints => (t.complaints, true),
            Figure::Satisfaction => (t.satisfaction, false),
            Figure::Timely => (t.timely, false),
            Figure::Temperature => (t.temperature, false),
        };
        let within = |limit: f64| {
            if lower_is_better {
                v <= limit
            } else {
                v >= limit
            }
        };
        if within(limits[0]) {
            Rag::Green
        } else if within(limits[1]) {
            Rag::Amber
        } else {
            Rag::Red
        }
    }

    fn merge(&mut self, o: &Kpis) {
        for (a, b) in [
            (&mut self.complaint_rate, o.complaint_rate),
            (&mut self.satisfaction, o.satisfaction),
            (&mut self.timely, o.timely),
            (&mut self.temperature, o.temperature),
        ] {
            a.numerator += b.numerator;
            a.denominator += b.denominator;
        }
    }
}

/// The figures of a period for the city, each department and each compound.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KpiBreakdown {
    pub city: Kpis,
    pub departments: Vec<(DepartmentId, Kpis)>,
    pub compounds: Vec<(CompoundId, Kpis)>,
}

/// All four figures over `[from, to)`, as of `now` (a ticket is "due" once its deadline has
/// passed), in one pass over tickets, answers and readings.
pub fn breakdown(
    snap: &Snapshot,
    from: Timestamp,
    to: Timestamp,
    now: Timestamp,
    rules: &KpiRules,
) -> KpiBreakdown {
    KpiFacts::of(snap).breakdown(snap, (from, to), now, rules)
}

/// City-wide figures over `[from, to)`, as of `now` — the same as [`breakdown`]'s city.
pub fn city_kpis(
    snap: &Snapshot,
    from: Timestamp,
    to: Timestamp,
    now: Timestamp,
    rules: &KpiRules,
) -> Kpis {
    KpiFacts::of(snap).city(snap, (from, to), now, rules)
}

/// The city's figures day by day over `first..=last` (the dashboard's trend lines), in one
/// pass. A day's timely figure counts the tickets due that day (up to `now`).
pub fn daily(
    snap: &Snapshot,
    first: NaiveDate,
    last: NaiveDate,
    now: Timestamp,
    rules: &KpiRules,
) -> Vec<(NaiveDate, Kpis)> {
    KpiFacts::of(snap).daily(snap, (first, last), now, rules)
}

/// What the figures need of each ticket, answer and reading, compact: those of the snapshot's
/// rows in the snapshot's order, and those of the season's closed tickets and earlier answers
/// the console keeps without their rows ([`Settled`]). A season's figures are a pass over a
/// few megabytes instead of over 300,000 tickets, and after a command only the touched
/// tickets' facts change.
#[derive(Debug, Clone, Default)]
pub struct KpiFacts {
    pub(crate) tickets: RowFacts<TicketFacts>,
    pub(crate) answers: RowFacts<AnswerFacts>,
    pub(crate) readings: RowFacts<ReadingFacts>,
    pub(crate) settled: Settled,
}

/// The facts of the season's closed tickets and earlier answers, kept without their rows
/// (read behind the first frame); a ticket that comes back as a row of the snapshot (reopened,
/// linked, looked at) is no longer counted here.
#[derive(Debug, Clone, Default)]
pub struct Settled {
    /// The latest time any of these facts holds (received, due, fixed, answered): a period
    /// after it has none of them.
    latest: Secs,
    /// Sorted, beside `tickets`.
    ticket_ids: Vec<TicketId>,
    tickets: Vec<TicketFacts>,
    answers: Vec<AnswerFacts>,
    /// Settled household reports linked to a network ticket: (report, network ticket).
    links: Vec<(TicketId, TicketId)>,
}

impl Settled {
    /// A closed ticket, placed by `placement` (tickets come in id order).
    pub fn push_ticket(&mut self, t: &Ticket, placement: &Placement) {
        debug_assert!(self.ticket_ids.last().is_none_or(|last| *last < t.id));
        self.ticket_ids.push(t.id);
        let fact = TicketFacts::of(t, placement.of(t.building_id));
        self.latest = self
            .latest
            .max(fact.created_at)
            .max(fact.deadline)
            .max(fact.fixed_at.unwrap_or(Secs::MIN));
        self.tickets.push(fact);
        if let Some(parent) = t.parent_id {
            self.links.push((t.id, parent));
        }
    }

    /// An answer, placed by `placement`.
    pub fn push_answer(&mut self, s: &SurveyResponse, placement: &Placement) {
        let (building, compound) = placement.of(s.building_id);
        self.answers
            .push((secs(s.at), s.answer, compound, building));
    }

    /// The settled reports linked to a network ticket, (report, network ticket), except those
    /// back as rows of the snapshot.
    pub fn links(&self) -> impl Iterator<Item = (TicketId, TicketId)> + '_ {
        self.links.iter().copied().filter(|(child, _)| {
            self.ticket_ids
                .binary_search(child)
                .is_ok_and(|i| self.tickets[i].counted)
        })
    }

    /// The ticket is a row of the snapshot now: its facts are counted there.
    pub fn forget(&mut self, id: TicketId) {
        if let Ok(i) = self.ticket_ids.binary_search(&id) {
            self.tickets[i].counted = false;
        }
    }

    pub fn tickets(&self) -> usize {
        self.tickets.len()
    }

    pub fn answers(&self) -> usize {
        self.answers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tickets.is_empty() && self.answers.is_empty()
    }
}

/// When an answer was given, what it was, and its compound's and building's positions.
pub(crate) type AnswerFacts = (Secs, SurveyAnswer, Option<u32>, Option<u32>);
/// When a reading was taken, what it read, and its compound's position.
pub(crate) type ReadingFacts = (Secs, f64, Option<u32>);

/// Where the figures place each building (its position, and its compound's), by id: taken
/// from the snapshot on the console's thread, so that a worker can make facts without it.
#[derive(Debug, Clone, Default)]
pub struct Placement {
    by_building: HashMap<BuildingId, (Option<u32>, Option<u32>)>,
}

impl Placement {
    pub fn of_snapshot(snap: &Snapshot) -> Self {
        Placement {
            by_building: snap
                .buildings
                .iter()
                .enumerate()
                .map(|(pos, b)| {
                    let compound = snap.compound_pos(b.compound_id).map(|c| c as u32);
                    (b.id, (Some(pos as u32), compound))
                })
                .collect(),
        }
    }

    /// The position of a building and of its compound (None: not known).
    pub fn of(&self, building: BuildingId) -> (Option<u32>, Option<u32>) {
        self.by_building
            .get(&building)
            .copied()
            .unwrap_or((None, None))
    }
}

#[derive(Debug, Clone, Copy)]
pub struct TicketFacts {
    /// False once the ticket's facts are counted elsewhere (a settled ticket back as a row).
    pub(crate) counted: bool,
    pub(crate) created_at: Secs,
    pub(crate) deadline: Secs,
    pub(crate) fixed_at: Option<Secs>,
    pub(crate) complaint: bool,
    pub(crate) open: bool,
    pub(crate) category: Category,
    /// The position of the ticket's building and compound (None: not known).
    pub(crate) building: Option<u32>,
    pub(crate) compound: Option<u32>,
}

impl TicketFacts {
    /// A ticket's facts, its building and compound placed at `(building, compound)`.
    pub(crate) fn of(t: &Ticket, (building, compound): (Option<u32>, Option<u32>)) -> Self {
        TicketFacts {
            counted: true,
            created_at: secs(t.created_at),
            deadline: secs(t.deadline),
            fixed_at: t.fixed_at.map(secs),
            complaint: t.category == Category::Complaint,
            open: t.status.is_open(),
            category: t.category,
            building,
            compound,
        }
    }
}

impl KpiFacts {
    pub fn of(snap: &Snapshot) -> Self {
        let mut facts = KpiFacts::default();
        facts.update(snap, &[]);
        facts
    }

    fn compound_of(snap: &Snapshot, building: i64) -> Option<u32> {
        snap.building(building)
            .and_then(|b| snap.compound_pos(b.compound_id))
            .map(|c| c as u32)
    }

    fn ticket(snap: &Snapshot, t: &Ticket) -> TicketFacts {
        let place = (
            snap.building_pos(t.building_id).map(|b| b as u32),
            Self::compound_of(snap, t.building_id),
        );
        TicketFacts::of(t, place)
    }

    /// Every ticket's facts: the snapshot's rows' and the settled ones.
    pub(crate) fn all_tickets(&self) -> impl Iterator<Item = &TicketFacts> {
        self.tickets_from(Secs::MIN)
    }

    /// The tickets' facts a period from `from` on may count: the settled ones only if the
    /// period reaches back to them.
    fn tickets_from(&self, from: Secs) -> impl Iterator<Item = &TicketFacts> {
        let settled = if from <= self.settled.latest {
            &self.settled.tickets[..]
        } else {
            &[]
        };
        self.tickets.iter().chain(settled).filter(|t| t.counted)
    }

    /// Every answer's facts: the snapshot's rows' and the settled ones.
    pub(crate) fn all_answers(&self) -> impl Iterator<Item = &AnswerFacts> {
        self.answers_from(Secs::MIN)
    }

    fn answers_from(&self, from: Secs) -> impl Iterator<Item = &AnswerFacts> {
        let settled = if from <= self.settled.latest {
            &self.settled.answers[..]
        } else {
            &[]
        };
        self.answers.iter().chain(settled)
    }

    /// Take in the season's settled facts (read behind the first frame); a ticket that is a
    /// row of the snapshot too is counted there. The first load left every settled ticket out,
    /// so only rows from `new_rows` on (taken in since) can be both.
    pub fn settle(&mut self, mut settled: Settled, snap: &Snapshot, new_rows: usize) {
        for t in &snap.tickets[new_rows.min(snap.tickets.len())..] {
            settled.forget(t.id);
        }
        self.settled = settled;
    }

    /// The building (position) and answer of each settled answer.
    pub fn settled_answer_buildings(
        &self,
    ) -> impl Iterator<Item = (Option<u32>, SurveyAnswer)> + '_ {
        self.settled.answers.iter().map(|a| (a.3, a.1))
    }

    /// The building (position) and answer of each of the snapshot's answers, in row order.
    pub fn row_answer_buildings(&self) -> impl Iterator<Item = (Option<u32>, SurveyAnswer)> + '_ {
        self.answers.iter().map(|a| (a.3, a.1))
    }

    /// The settled facts (for the board's linked reports).
    pub fn settled(&self) -> &Settled {
        &self.settled
    }

    /// How many answers' facts there are in all.
    pub fn answer_count(&self) -> usize {
        self.answers.len() + self.settled.answers.len()
    }

    /// After `touched` tickets changed and rows were appended; facts made for another
    /// generation of the snapshot's rows (a full reload) are made anew.
    pub fn update(&mut self, snap: &Snapshot, touched: &[TicketId]) {
        if !self.fits(snap) {
            *self = KpiFacts {
                tickets: RowFacts::for_snapshot(snap),
                answers: RowFacts::for_snapshot(snap),
                readings: RowFacts::for_snapshot(snap),
                settled: Settled::default(),
            };
        }
        let known = self.tickets.len();
        for id in touched {
            if let Some(i) = snap.ticket_pos(*id).filter(|&i| i < known) {
                self.tickets.set(i, Self::ticket(snap, &snap.tickets[i]));
            }
        }
        let tickets = &snap.tickets[known..];
        for t in tickets {
            // a settled ticket back as a row is counted as a row from now on
            self.settled.forget(t.id);
        }
        self.tickets
            .extend(tickets.iter().map(|t| Self::ticket(snap, t)));
        let answers = &snap.surveys[self.answers.len()..];
        self.answers.extend(answers.iter().map(|s| {
            (
                secs(s.at),
                s.answer,
                Self::compound_of(snap, s.building_id),
                snap.building_pos(s.building_id).map(|b| b as u32),
            )
        }));
        let readings = &snap.readings[self.readings.len()..];
        self.readings.extend(readings.iter().map(|r| {
            (
                secs(r.taken_at),
                r.celsius,
                Self::compound_of(snap, r.building_id),
            )
        }));
    }

    /// Made for this snapshot's rows (some may still be missing at the end).
    pub fn fits(&self, snap: &Snapshot) -> bool {
        self.tickets.fits(snap, snap.tickets.len())
            && self.answers.fits(snap, snap.surveys.len())
            && self.readings.fits(snap, snap.readings.len())
    }

    /// Every compound's figures over the period, and the departments' and city's sums.
    pub fn breakdown(
        &self,
        snap: &Snapshot,
        (from, to): (Timestamp, Timestamp),
        now: Timestamp,
        rules: &KpiRules,
    ) -> KpiBreakdown {
        let (from, to, now) = (secs(from), secs(to), secs(now));
        let in_period = |t: Secs| t >= from && t < to;
        let mut per: Vec<Kpis> = snap
            .compounds
            .iter()
            .map(|c| Kpis {
                complaint_rate: Ratio {
                    numerator: 0,
                    denominator: c.households as u64,
                },
                ..Kpis::default()
            })
            .collect();
        for t in self.tickets_from(from) {
            let Some(i) = t.compound.map(|c| c as usize) else {
                continue;
            };
            if t.complaint && in_period(t.created_at) {
                per[i].complaint_rate.numerator += 1;
            }
            if in_period(t.deadline) && t.deadline <= now {
                per[i]
                    .timely
                    .add(t.fixed_at.is_some_and(|f| f <= t.deadline));
            }
        }
        for &(at, answer, c, _) in self.answers_from(from) {
            if let Some(i) = c.filter(|_| in_period(at)) {
                per[i as usize].satisfaction.add(rules.satisfied(answer));
            }
        }
        for &(at, celsius, c) in &self.readings {
            if let Some(i) = c.filter(|_| in_period(at)) {
                per[i as usize]
                    .temperature
                    .add(celsius >= rules.temperature_standard);
            }
        }
        let mut city = Kpis::default();
        let mut departments: Vec<(DepartmentId, Kpis)> = snap
            .departments
            .iter()
            .map(|d| (d.id, Kpis::default()))
            .collect();
        let department_pos: HashMap<DepartmentId, usize> = departments
            .iter()
            .enumerate()
            .map(|(i, d)| (d.0, i))
            .collect();
        for (c, k) in snap.compounds.iter().zip(&per) {
            city.merge(k);
            if let Some(&d) = department_pos.get(&c.department_id) {
                departments[d].1.merge(k);
            }
        }
        KpiBreakdown {
            city,
            departments,
            compounds: snap.compounds.iter().map(|c| c.id).zip(per).collect(),
        }
    }

    /// The city's figures over the period (the top bar's): the compounds' summed.
    pub fn city(
        &self,
        snap: &Snapshot,
        period: (Timestamp, Timestamp),
        now: Timestamp,
        rules: &KpiRules,
    ) -> Kpis {
        self.breakdown(snap, period, now, rules).city
    }

    /// The city's figures day by day over `first..=last`. A day's timely figure counts the
    /// tickets due that day (up to `now`).
    pub fn daily(
        &self,
        snap: &Snapshot,
        (first, last): (NaiveDate, NaiveDate),
        now: Timestamp,
        rules: &KpiRules,
    ) -> Vec<(NaiveDate, Kpis)> {
        let days = (last - first).num_days().max(-1) + 1;
        let households: u64 = snap.compounds.iter().map(|c| c.households as u64).sum();
        let mut out: Vec<(NaiveDate, Kpis)> = (0..days)
            .map(|d| {
                (
                    first + chrono::Duration::days(d),
                    Kpis {
                        complaint_rate: Ratio {
                            numerator: 0,
                            denominator: households,
                        },
                        ..Kpis::default()
                    },
                )
            })
            .collect();
        let start = secs(first.and_time(chrono::NaiveTime::MIN));
        let now = secs(now);
        let day = |t: Secs| {
            let d = (t - start).div_euclid(86_400);
            (0..days).contains(&d).then_some(d as usize)
        };
        for t in self.all_tickets() {
            if t.complaint
                && let Some(d) = day(t.created_at)
            {
                out[d].1.complaint_rate.numerator += 1;
            }
            if t.deadline <= now
                && let Some(d) = day(t.deadline)
            {
                out[d]
                    .1
                    .timely
                    .add(t.fixed_at.is_some_and(|f| f <= t.deadline));
            }
        }
        for &(at, answer, _, _) in self.all_answers() {
            if let Some(d) = day(at) {
                out[d].1.satisfaction.add(rules.satisfied(answer));
            }
        }
        for &(at, celsius, _) in &self.readings {
            if let Some(d) = day(at) {
                out[d]
                    .1
                    .temperature
                    .add(celsius >= rules.temperature_standard);
            }
        }
        out
    }
}

/// Seconds of the company's wall clock (as stored): cheap to compare and to bucket by day.
pub(crate) type Secs = i64;

pub(crate) fn secs(t: Timestamp) -> Secs {
    t.and_utc().timestamp()
}
