//! What compounds and buildings are coloured by, with class breaks for the legend.

use serde::{Deserialize, Serialize};

use crate::domain::Snapshot;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Metric {
    /// Open faults per 1,000 households.
    #[default]
    OpenFaults,
    /// Satisfied + basically satisfied ÷ answers.
    Satisfaction,
    /// Readings ≥ standard ÷ readings.
    TemperatureCompliance,
    /// Open tickets past their deadline.
    Overdue,
}

impl Metric {
    pub const ALL: [Metric; 4] = [
        Metric::OpenFaults,
        Metric::Satisfaction,
        Metric::TemperatureCompliance,
        Metric::Overdue,
    ];

    /// Lower bounds of the five classes, from good to bad.
    pub fn breaks(self) -> [f64; 5] {
        match self {
            Metric::OpenFaults => [0.0, 1.0, 3.0, 6.0, 12.0],
            Metric::Satisfaction | Metric::TemperatureCompliance => [1.0, 0.95, 0.9, 0.8, 0.7],
            Metric::Overdue => [0.0, 1.0, 2.0, 4.0, 8.0],
        }
    }

    /// Class 0 (good) to 4 (bad) of a value: how many class bounds it has crossed.
    pub fn class(self, value: f64) -> usize {
        let b = self.breaks();
        if b[4] > b[0] {
            b[1..].iter().filter(|&&x| value >= x).count()
        } else {
            b[1..].iter().filter(|&&x| value < x).count()
        }
    }

    /// Legend text of each class.
    pub fn class_labels(self) -> [String; 5] {
        let b = self.breaks();
        let f = |x: f64| match self {
            Metric::Satisfaction | Metric::TemperatureCompliance => format!("{:.0}%", x * 100.0),
            _ => format!("{x}"),
        };
        if b[4] > b[0] {
            [
                format!("< {}", f(b[1])),
                format!("{}–{}", f(b[1]), f(b[2])),
                format!("{}–{}", f(b[2]), f(b[3])),
                format!("{}–{}", f(b[3]), f(b[4])),
                format!("≥ {}", f(b[4])),
            ]
        } else {
            [
                format!("≥ {}", f(b[1])),
                format!("{}–{}", f(b[2]), f(b[1])),
                format!("{}–{}", f(b[3]), f(b[2])),
                format!("{}–{}", f(b[4]), f(b[3])),
                format!("< {}", f(b[4])),
            ]
        }
    }
}

/// A metric's value per compound and per building (None where there is nothing to measure).
#[derive(Debug, Clone, Default)]
pub struct MetricValues {
    pub compounds: Vec<Option<f64>>,
    pub buildings: Vec<Option<f64>>,
}

/// A fault metric (open faults, overdue) from its count per building (positions as in the
/// snapshot), for buildings and their compounds.
pub fn counted(snap: &Snapshot, metric: Metric, per_building: &[u32]) -> MetricValues {
    finish(
        snap,
        metric,
        per_building.iter().map(|&n| (n as f64, 0.0)).collect(),
    )
}

/// Satisfaction or temperature compliance for every compound and building; they follow the
/// company's KPI definitions, so the map agrees with the dashboard.
pub fn values(snap: &Snapshot, metric: Metric) -> MetricValues {
    let rules = &snap.kpi_rules;
    // (numerator, denominator) per building
    let mut b = vec![(0.0f64, 0.0f64); snap.buildings.len()];
    let mut add = |id: i64, yes: bool| {
        if let Some(bi) = snap.building_pos(id) {
            b[bi].0 += yes as u8 as f64;
            b[bi].1 += 1.0;
        }
    };
    match metric {
        Metric::Satisfaction => {
            for s in &snap.surveys {
                add(s.building_id, rules.satisfied(s.answer));
            }
        }
        Metric::TemperatureCompliance => {
            for r in &snap.readings {
                add(r.building_id, r.celsius >= rules.temperature_standard);
            }
        }
        Metric::OpenFaults | Metric::Overdue => {}
    }
    finish(snap, metric, b)
}

/// Per-building (numerator, denominator) → the shown values of buildings and compounds.
fn finish(snap: &Snapshot, metric: Metric, b: Vec<(f64, f64)>) -> MetricValues {
    let mut c = vec![(0.0f64, 0.0f64); snap.compounds.len()];
    for (bi, v) in b.iter().enumerate() {
        if let Some(ci) = snap.compound_pos(snap.buildings[bi].compound_id) {
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
