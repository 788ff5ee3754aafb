//! What colours compounds and buildings on the map: the chosen metric's value for each, with
//! satisfaction and temperature compliance summed per building as answers and readings come
//! in (they follow the company's KPI definitions, so the map agrees with the dashboard).

use crate::domain::colouring::Metric;
use crate::domain::kpi::{KpiFacts, KpiRules};
use crate::domain::{Snapshot, SurveyAnswer};

use super::counts::MapCounts;

/// A metric's value per compound and per building (None where there is nothing to measure).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricValues {
    pub compounds: Vec<Option<f64>>,
    pub buildings: Vec<Option<f64>>,
}

/// Answers (the settled season's too) and readings summed per building (positions as in the
/// snapshot): (counted as satisfied or at standard, all).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnswerSums {
    satisfied: Vec<(u32, u32)>,
    warm: Vec<(u32, u32)>,
    /// How many of the snapshot's answers (their facts) and readings are in the sums (they are
    /// only ever appended between full loads).
    answers_in: usize,
    readings_in: usize,
}

impl AnswerSums {
    pub fn count(snap: &Snapshot, facts: &KpiFacts) -> Self {
        let mut sums = AnswerSums {
            satisfied: vec![(0, 0); snap.buildings.len()],
            warm: vec![(0, 0); snap.buildings.len()],
            ..AnswerSums::default()
        };
        let rules = &snap.kpi_rules;
        for b in facts.settled_answer_buildings() {
            sums.add_answer(b, rules);
        }
        sums.add_new(snap, facts);
        sums
    }

    fn add_answer(&mut self, (building, answer): (Option<u32>, SurveyAnswer), rules: &KpiRules) {
        if let Some(v) = building.and_then(|b| self.satisfied.get_mut(b as usize)) {
            v.0 += rules.satisfied(answer) as u32;
            v.1 += 1;
        }
    }

    /// Add the answers and readings appended to the snapshot since the last call.
    pub fn add_new(&mut self, snap: &Snapshot, facts: &KpiFacts) {
        let rules = &snap.kpi_rules;
        let new: Vec<(Option<u32>, SurveyAnswer)> =
            facts.row_answer_buildings().skip(self.answers_in).collect();
        self.answers_in += new.len();
        for b in new {
            self.add_answer(b, rules);
        }
        for r in &snap.readings[self.readings_in.min(snap.readings.len())..] {
            if let Some(b) = snap.building_pos(r.building_id) {
                let v = &mut self.warm[b];
                v.0 += (r.celsius >= rules.temperature_standard) as u32;
                v.1 += 1;
            }
        }
        self.readings_in = snap.readings.len();
    }

    /// Answers in a set of buildings (positions): (satisfied by the company's definition, all).
    pub fn satisfaction(&self, buildings: impl Iterator<Item = usize>) -> (u32, u32) {
        buildings
            .filter_map(|b| self.satisfied.get(b))
            .fold((0, 0), |a, v| (a.0 + v.0, a.1 + v.1))
    }
}

/// The map's colouring: the metric chosen and its values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Colours {
    pub metric: Metric,
    pub values: MetricValues,
}

impl Colours {
    /// The values of `metric` from the counts and sums already kept (no pass over the season).
    pub fn of(snap: &Snapshot, metric: Metric, counts: &MapCounts, sums: &AnswerSums) -> Self {
        let per_building: Vec<(f64, f64)> = match metric {
            Metric::OpenFaults => counted(&counts.faults_by_building),
            Metric::Overdue => counted(&counts.overdue_by_building),
            Metric::Satisfaction => ratios(&sums.satisfied),
            Metric::TemperatureCompliance => ratios(&sums.warm),
        };
        Colours {
            metric,
            values: finish(snap, metric, per_building),
        }
    }
}

fn counted(per_building: &[u32]) -> Vec<(f64, f64)> {
    per_building.iter().map(|&n| (n as f64, 0.0)).collect()
}

fn ratios(per_building: &[(u32, u32)]) -> Vec<(f64, f64)> {
    per_building
        .iter()
        .map(|&(n, d)| (n as f64, d as f64))
        .collect()
}

/// Per-building (numerator, denominator) → the shown values of buildings and compounds.
fn finish(snap: &Snapshot, metric: Metric, b: Vec<(f64, f64)>) -> MetricValues {
    let mut c = vec![(0.0f64, 0.0f64); snap.compounds.len()];
    for (bi, v) in b.iter().enumerate() {
        if let Some(ci) = snap
            .buildings
            .get(bi)
            .and_then(|x| snap.compound_pos(x.compound_id))
        {
            c[ci].0 += v.0;
            c[ci].1 += v.1;
        }
    }
    let value = |(num, den): (f64, f64), households: u32| match metric {
        Metric::OpenFaults => Some(num * 1000.0 / households.max(1) as f64),
        Metric::Overdue => Some(num),
        _ => (den > 0.0).then(|| num / den),
    };
    MetricValues {
        compounds: c
            .into_iter()
            .zip(&snap.compounds)
            .map(|(v, x)| value(v, x.households))
            .collect(),
        buildings: b
            .into_iter()
            .zip(&snap.buildings)
            .map(|(v, x)| value(v, x.households))
            .collect(),
    }
}
