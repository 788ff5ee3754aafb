//! The three figures leaders are judged by, plus temperature compliance (DESIGN.md, "KPIs"),
//! for the city, each service department and each compound, over any period.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::model::{
    Category, CompoundId, DepartmentId, SurveyAnswer, SurveyResponse, TemperatureReading, Ticket,
    TicketId, Timestamp,
};
use super::snapshot::Snapshot;

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

impl KpiRules {
    /// Settings a company could mean: a plausible indoor standard, a known basis, and limits
    /// that are numbers in range (the message names the field).
    pub fn check(&self) -> Result<(), String> {
        if !(self.temperature_standard.is_finite()
            && (10.0..=30.0).contains(&self.temperature_standard))
        {
            return Err(format!(
                "temperature_standard: {} °C is not an indoor standard",
                self.temperature_standard
            ));
        }
        if ![1000, 10_000].contains(&self.complaints_per_households) {
            return Err(format!(
                "complaints_per_households: {} (1000 or 10000)",
                self.complaints_per_households
            ));
        }
        let t = &self.thresholds;
        for (name, limits, max) in [
            ("complaints", t.complaints, 1000.0),
            ("satisfaction", t.satisfaction, 1.0),
            ("timely", t.timely, 1.0),
            ("temperature", t.temperature, 1.0),
        ] {
            if limits
                .iter()
                .any(|v| !(v.is_finite() && (0.0..=max).contains(v)))
            {
                return Err(format!(
                    "thresholds.{name}: {limits:?} must lie in 0..={max}"
                ));
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
    let in_period = |t: Timestamp| t >= from && t < to;
    let by_building = snap.compound_pos_by_building();
    let where_is = |b| snap.compound_pos_of(&by_building, b);
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
    for t in &snap.tickets {
        let Some(i) = where_is(t.building_id) else {
            continue;
        };
        if t.category == Category::Complaint && in_period(t.created_at) {
            per[i].complaint_rate.numerator += 1;
        }
        if in_period(t.deadline) && t.deadline <= now {
            per[i]
                .timely
                .add(t.fixed_at.is_some_and(|f| f <= t.deadline));
        }
    }
    for s in snap.surveys.iter().filter(|s| in_period(s.at)) {
        if let Some(i) = where_is(s.building_id) {
            per[i].satisfaction.add(rules.satisfied(s.answer));
        }
    }
    for r in snap.readings.iter().filter(|r| in_period(r.taken_at)) {
        if let Some(i) = where_is(r.building_id) {
            per[i]
                .temperature
                .add(r.celsius >= rules.temperature_standard);
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

/// City-wide figures over `[from, to)`, as of `now` — the same as [`breakdown`]'s city, in
/// one plain pass.
pub fn city_kpis(
    snap: &Snapshot,
    from: Timestamp,
    to: Timestamp,
    now: Timestamp,
    rules: &KpiRules,
) -> Kpis {
    PeriodRows::new(snap, from, to).kpis(snap, now, rules)
}

/// [`city_kpis`] over the given rows only (those that can count in the period).
fn city_kpis_of<'a>(
    snap: &Snapshot,
    (tickets, surveys, readings): (
        impl Iterator<Item = TicketFacts>,
        impl Iterator<Item = &'a SurveyResponse>,
        impl Iterator<Item = &'a TemperatureReading>,
    ),
    (from, to): (Timestamp, Timestamp),
    now: Timestamp,
    rules: &KpiRules,
) -> Kpis {
    let in_period = |t: Timestamp| t >= from && t < to;
    let known = |b: i64| {
        snap.building(b)
            .is_some_and(|b| snap.compound(b.compound_id).is_some())
    };
    let mut k = Kpis {
        complaint_rate: Ratio {
            numerator: 0,
            denominator: snap.compounds.iter().map(|c| c.households as u64).sum(),
        },
        ..Kpis::default()
    };
    for t in tickets {
        let complaint = t.complaint && in_period(t.created_at);
        let due = in_period(t.deadline) && t.deadline <= now;
        if (complaint || due) && t.known {
            k.complaint_rate.numerator += complaint as u64;
            if due {
                k.timely.add(t.fixed_at.is_some_and(|f| f <= t.deadline));
            }
        }
    }
    for s in surveys.filter(|s| in_period(s.at) && known(s.building_id)) {
        k.satisfaction.add(rules.satisfied(s.answer));
    }
    for r in readings.filter(|r| in_period(r.taken_at) && known(r.building_id)) {
        k.temperature.add(r.celsius >= rules.temperature_standard);
    }
    k
}

/// The rows that can count in one period's city figures (tickets received or due in it,
/// answers and readings taken in it), kept up to date from the tickets a command touched and
/// the answers and readings added since: the top bar's figures after a command are not a
/// pass over a season.
#[derive(Debug, Clone)]
pub struct PeriodRows {
    from: Timestamp,
    to: Timestamp,
    /// What the figures need of each ticket, compact (a city's day has tens of thousands).
    tickets: Vec<TicketFacts>,
    surveys: Vec<usize>,
    readings: Vec<usize>,
    /// How many answers and readings have been looked at (they are only ever added).
    seen: (usize, usize),
}

/// A ticket as the city figures see it.
#[derive(Debug, Clone, Copy)]
struct TicketFacts {
    id: TicketId,
    created_at: Timestamp,
    deadline: Timestamp,
    fixed_at: Option<Timestamp>,
    complaint: bool,
    /// In a known building of a known compound.
    known: bool,
}

impl TicketFacts {
    fn of(snap: &Snapshot, t: &Ticket) -> Self {
        TicketFacts {
            id: t.id,
            created_at: t.created_at,
            deadline: t.deadline,
            fixed_at: t.fixed_at,
            complaint: t.category == Category::Complaint,
            known: snap
                .building(t.building_id)
                .is_some_and(|b| snap.compound(b.compound_id).is_some()),
        }
    }
}

impl PeriodRows {
    pub fn new(snap: &Snapshot, from: Timestamp, to: Timestamp) -> Self {
        let mut rows = PeriodRows {
            from,
            to,
            tickets: Vec::new(),
            surveys: Vec::new(),
            readings: Vec::new(),
            seen: (0, 0),
        };
        rows.tickets = snap
            .tickets
            .iter()
            .filter(|t| rows.counts(t))
            .map(|t| TicketFacts::of(snap, t))
            .collect();
        rows.take_new(snap);
        rows
    }

    pub fn period(&self) -> (Timestamp, Timestamp) {
        (self.from, self.to)
    }

    fn counts(&self, t: &Ticket) -> bool {
        let in_period = |x: Timestamp| x >= self.from && x < self.to;
        in_period(t.created_at) || in_period(t.deadline)
    }

    fn take_new(&mut self, snap: &Snapshot) {
        let in_period = |x: Timestamp| x >= self.from && x < self.to;
        let (s, r) = self.seen;
        self.surveys
            .extend((s..snap.surveys.len()).filter(|&i| in_period(snap.surveys[i].at)));
        self.readings
            .extend((r..snap.readings.len()).filter(|&i| in_period(snap.readings[i].taken_at)));
        self.seen = (snap.surveys.len(), snap.readings.len());
    }

    /// After a change to `touched` tickets and, perhaps, new answers and readings.
    pub fn update(&mut self, snap: &Snapshot, touched: &[TicketId]) {
        self.tickets.retain(|f| !touched.contains(&f.id));
        for t in touched.iter().filter_map(|&id| snap.ticket(id)) {
            if self.counts(t) {
                self.tickets.push(TicketFacts::of(snap, t));
            }
        }
        self.take_new(snap);
    }

    pub fn kpis(&self, snap: &Snapshot, now: Timestamp, rules: &KpiRules) -> Kpis {
        city_kpis_of(
            snap,
            (
                self.tickets.iter().copied(),
                self.surveys.iter().filter_map(|&i| snap.surveys.get(i)),
                self.readings.iter().filter_map(|&i| snap.readings.get(i)),
            ),
            (self.from, self.to),
            now,
            rules,
        )
    }
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
    let day = |t: Timestamp| {
        let d = (t.date() - first).num_days();
        (0..days).contains(&d).then_some(d as usize)
    };
    for t in &snap.tickets {
        if t.category == Category::Complaint
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
    for s in &snap.surveys {
        if let Some(d) = day(s.at) {
            out[d].1.satisfaction.add(rules.satisfied(s.answer));
        }
    }
    for r in &snap.readings {
        if let Some(d) = day(r.taken_at) {
            out[d]
                .1
                .temperature
                .add(r.celsius >= rules.temperature_standard);
        }
    }
    out
}
