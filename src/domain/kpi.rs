//! The three figures leaders are judged by, plus temperature compliance (DESIGN.md, "KPIs").

use serde::{Deserialize, Serialize};

use super::model::{Category, SurveyAnswer, Timestamp};
use super::snapshot::Snapshot;

/// How the figures are defined; cities differ, so these are settings.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KpiRules {
    /// Indoor standard in °C (18, or 20 in some provinces).
    pub temperature_standard: f64,
    /// Whether "basically satisfied" counts as satisfied.
    pub basic_counts_as_satisfied: bool,
}

impl Default for KpiRules {
    fn default() -> Self {
        KpiRules {
            temperature_standard: 18.0,
            basic_counts_as_satisfied: true,
        }
    }
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
}

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Kpis {
    /// complaints ÷ households served (show ×1000 as ‰)
    pub complaint_rate: Ratio,
    /// (satisfied + basically satisfied) ÷ answers
    pub satisfaction: Ratio,
    /// finished within deadline ÷ due in the period
    pub timely: Ratio,
    /// readings ≥ standard ÷ readings
    pub temperature: Ratio,
}

/// City-wide figures over `[from, to)`, as of `now` (a ticket is "due" once its deadline passed).
pub fn city_kpis(
    snap: &Snapshot,
    from: Timestamp,
    to: Timestamp,
    now: Timestamp,
    rules: &KpiRules,
) -> Kpis {
    let in_period = |t: Timestamp| t >= from && t < to;
    let households: u64 = snap.compounds.iter().map(|c| c.households as u64).sum();
    let complaints = snap
        .tickets
        .iter()
        .filter(|t| t.category == Category::Complaint && in_period(t.created_at))
        .count() as u64;

    let mut satisfaction = Ratio::default();
    for s in snap.surveys.iter().filter(|s| in_period(s.at)) {
        satisfaction.denominator += 1;
        let ok = match s.answer {
            SurveyAnswer::Satisfied => true,
            SurveyAnswer::BasicallySatisfied => rules.basic_counts_as_satisfied,
            SurveyAnswer::Dissatisfied => false,
        };
        satisfaction.numerator += ok as u64;
    }

    let mut timely = Ratio::default();
    for t in snap
        .tickets
        .iter()
        .filter(|t| in_period(t.deadline) && t.deadline <= now)
    {
        timely.denominator += 1;
        timely.numerator += t.fixed_at.is_some_and(|f| f <= t.deadline) as u64;
    }

    let mut temperature = Ratio::default();
    for r in snap.readings.iter().filter(|r| in_period(r.taken_at)) {
        temperature.denominator += 1;
        temperature.numerator += (r.celsius >= rules.temperature_standard) as u64;
    }

    Kpis {
        complaint_rate: Ratio {
            numerator: complaints,
            denominator: households,
        },
        satisfaction,
        timely,
        temperature,
    }
}
