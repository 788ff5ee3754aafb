//! What compounds and buildings are coloured by, with class breaks for the legend.

use crate::domain::Snapshot;
pub use crate::domain::colouring::Metric;

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
