//! Which compounds leaders should visit next (访民问暖): a priority score that explains itself,
//! and a short route through the chosen ones.

use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::kpi::{KpiFacts, KpiRules, secs};
use super::model::{Category, CompoundId, LonLat, Timestamp, centroid};
use super::snapshot::Snapshot;
use super::suggest::distance_km;

/// What makes a compound worth a visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Factor {
    /// open tickets per 100 households
    OpenTickets,
    /// open tickets past their deadline
    Overdue,
    /// complaints this season per 1,000 households
    Complaints,
    /// share of residents' answers that were "dissatisfied" this season
    Dissatisfaction,
    /// share of the last two weeks' readings below the standard
    ColdRooms,
    /// buildings that reported the same fault twice or more this season
    RepeatFaults,
    /// days since a leader last visited (a month or more counts in full)
    DaysSinceVisit,
}

impl Factor {
    pub const ALL: [Factor; 7] = [
        Factor::OpenTickets,
        Factor::Overdue,
        Factor::Complaints,
        Factor::Dissatisfaction,
        Factor::ColdRooms,
        Factor::RepeatFaults,
        Factor::DaysSinceVisit,
    ];
}

/// The weight of each factor (sliders in the planner). A factor's points are its weight times
/// the compound's value relative to the city's worst, so every factor ranges 0..weight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlanWeights {
    pub weights: Vec<(Factor, f64)>,
}

impl Default for PlanWeights {
    fn default() -> Self {
        PlanWeights {
            weights: vec![
                (Factor::OpenTickets, 1.0),
                (Factor::Overdue, 2.0),
                (Factor::Complaints, 1.5),
                (Factor::Dissatisfaction, 2.0),
                (Factor::ColdRooms, 1.5),
                (Factor::RepeatFaults, 1.0),
                (Factor::DaysSinceVisit, 1.0),
            ],
        }
    }
}

impl PlanWeights {
    pub fn get(&self, f: Factor) -> f64 {
        self.weights.iter().find(|w| w.0 == f).map_or(0.0, |w| w.1)
    }

    pub fn get_mut(&mut self, f: Factor) -> &mut f64 {
        if let Some(i) = self.weights.iter().position(|w| w.0 == f) {
            &mut self.weights[i].1
        } else {
            self.weights.push((f, 0.0));
            &mut self.weights.last_mut().expect("just pushed").1
        }
    }
}

/// One factor's part of a score: the raw figure and the points it earned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Contribution {
    pub factor: Factor,
    /// In the factor's own unit (tickets, ‰, share, days).
    pub value: f64,
    pub points: f64,
}

/// A compound's priority, with the contributions it adds up from, largest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Priority {
    pub compound: CompoundId,
    pub score: f64,
    pub contributions: Vec<Contribution>,
}

/// Each compound's raw figure per factor, computed once per data change; moving a weight
/// slider only re-scores it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FactorTable {
    compounds: Vec<CompoundId>,
    raw: Vec<[f64; 7]>,
    /// The city's worst value per factor (days since a visit: a month).
    worst: [f64; 7],
}

fn slot(f: Factor) -> usize {
    f as usize
}

/// The figures behind the priorities, as of `now`, for the season since `season_start`.
pub fn factors(
    snap: &Snapshot,
    now: Timestamp,
    season_start: Timestamp,
    rules: &KpiRules,
) -> FactorTable {
    factors_from(snap, &KpiFacts::of(snap), now, season_start, rules)
}

/// [`factors`] from the KPI facts the console keeps (a pass over a few megabytes, not over the
/// season's tickets).
pub fn factors_from(
    snap: &Snapshot,
    facts: &KpiFacts,
    now: Timestamp,
    season_start: Timestamp,
    rules: &KpiRules,
) -> FactorTable {
    let n = snap.compounds.len();
    let by_building = snap.compound_pos_by_building();
    let (now_s, season) = (secs(now), secs(season_start));
    let mut raw = vec![[0.0f64; 7]; n];
    let mut answers = vec![(0u32, 0u32); n];
    let mut readings = vec![(0u32, 0u32); n];
    // reports per building (by position) and category: twice or more is a repeat fault
    let mut faults = vec![[0u16; Category::ALL.len()]; snap.buildings.len()];
    for t in facts.all_tickets() {
        let Some(i) = t.compound.map(|c| c as usize) else {
            continue;
        };
        if t.open {
            raw[i][slot(Factor::OpenTickets)] += 1.0;
            if now_s > t.deadline {
                raw[i][slot(Factor::Overdue)] += 1.0;
            }
        }
        if t.created_at >= season {
            if t.complaint {
                raw[i][slot(Factor::Complaints)] += 1.0;
            }
            if (t.category.is_household_fault() || t.category.is_network_fault())
                && let Some(b) = t.building
            {
                let count = &mut faults[b as usize][t.category as usize];
                *count = count.saturating_add(1);
            }
        }
    }
    for (b, counts) in faults.iter().enumerate() {
        if counts.iter().any(|c| *c >= 2)
            && let Some(i) = by_building[b]
        {
            raw[i][slot(Factor::RepeatFaults)] += 1.0;
        }
    }
    for &(_, answer, c, _) in facts.all_answers().filter(|a| a.0 >= season) {
        if let Some(i) = c {
            answers[i as usize].1 += 1;
            answers[i as usize].0 += (!rules.satisfied(answer)) as u32;
        }
    }
    let fortnight = secs(now - Duration::days(14));
    for &(_, celsius, c) in facts.readings.iter().filter(|r| r.0 >= fortnight) {
        if let Some(i) = c {
            readings[i as usize].1 += 1;
            readings[i as usize].0 += (celsius < rules.temperature_standard) as u32;
        }
    }
    let mut last_visit: Vec<Option<Timestamp>> = vec![None; n];
    for v in &snap.visits {
        if let Some(i) = snap.compound_pos(v.compound_id) {
            last_visit[i] = last_visit[i].max(Some(v.at));
        }
    }
    for (i, c) in snap.compounds.iter().enumerate() {
        let households = (c.households as f64).max(1.0);
        raw[i][slot(Factor::OpenTickets)] *= 100.0 / households;
        raw[i][slot(Factor::Complaints)] *= 1000.0 / households;
        let share = |(bad, all): (u32, u32)| {
            if all == 0 {
                0.0
            } else {
                bad as f64 / all as f64
            }
        };
        raw[i][slot(Factor::Dissatisfaction)] = share(answers[i]);
        raw[i][slot(Factor::ColdRooms)] = share(readings[i]);
        raw[i][slot(Factor::DaysSinceVisit)] = match last_visit[i] {
            Some(at) => ((now - at).num_hours() as f64 / 24.0).clamp(0.0, 30.0),
            None => 30.0,
        };
    }
    let mut worst = [0.0f64; 7];
    for r in &raw {
        for (w, v) in worst.iter_mut().zip(r) {
            *w = w.max(*v);
        }
    }
    worst[slot(Factor::DaysSinceVisit)] = 30.0;
    FactorTable {
        compounds: snap.compounds.iter().map(|c| c.id).collect(),
        raw,
        worst,
    }
}

impl FactorTable {
    /// Every compound ranked, most in need of a visit first. A factor's points are its weight
    /// times the compound's value relative to the city's worst.
    pub fn rank(&self, weights: &PlanWeights) -> Vec<Priority> {
        let mut out: Vec<Priority> = self
            .compounds
            .iter()
            .zip(&self.raw)
            .map(|(&compound, r)| {
                let mut contributions: Vec<Contribution> = Factor::ALL
                    .iter()
                    .map(|&factor| {
                        let k = slot(factor);
                        Contribution {
                            factor,
                            value: r[k],
                            points: if self.worst[k] > 0.0 {
                                weights.get(factor) * r[k] / self.worst[k]
                            } else {
                                0.0
                            },
                        }
                    })
                    .collect();
                contributions.sort_by(|a, b| b.points.total_cmp(&a.points));
                Priority {
                    compound,
                    score: contributions.iter().map(|c| c.points).sum(),
                    contributions,
                }
            })
            .collect();
        out.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.compound.cmp(&b.compound))
        });
        out
    }
}

/// Every compound ranked, most in need of a visit first (the figures and the ranking at once).
pub fn priorities(
    snap: &Snapshot,
    now: Timestamp,
    season_start: Timestamp,
    weights: &PlanWeights,
    rules: &KpiRules,
) -> Vec<Priority> {
    factors(snap, now, season_start, rules).rank(weights)
}

/// A visit day: the stops in driving order, with the distance and time of each leg.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Route {
    /// Indexes into the stops given, in visiting order.
    pub order: Vec<usize>,
    /// Kilometres from the start (or the previous stop) to each stop, in order.
    pub legs_km: Vec<f64>,
}

/// City driving (a leaders' car between compounds, km/h).
pub const DRIVING_KMH: f64 = 25.0;

impl Route {
    pub fn total_km(&self) -> f64 {
        self.legs_km.iter().sum()
    }

    /// Driving minutes of each leg.
    pub fn leg_minutes(&self) -> Vec<f64> {
        self.legs_km
            .iter()
            .map(|km| km / DRIVING_KMH * 60.0)
            .collect()
    }
}

/// The length of visiting `stops` in `order` from `start` (not returning).
pub fn route_km(start: LonLat, stops: &[LonLat], order: &[usize]) -> f64 {
    let mut at = start;
    let mut km = 0.0;
    for &i in order {
        km += distance_km(at, stops[i]);
        at = stops[i];
    }
    km
}

/// Nearest neighbour from `start`: the order a dispatcher would pick by eye.
pub fn nearest_neighbour(start: LonLat, stops: &[LonLat]) -> Vec<usize> {
    let mut left: Vec<usize> = (0..stops.len()).collect();
    let mut order = Vec::with_capacity(stops.len());
    let mut at = start;
    while !left.is_empty() {
        let (k, _) = left
            .iter()
            .enumerate()
            .map(|(k, &i)| (k, distance_km(at, stops[i])))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .expect("not empty");
        let i = left.swap_remove(k);
        at = stops[i];
        order.push(i);
    }
    order
}

/// Improve an order by reversing stretches while that shortens it (2-opt). Never longer.
pub fn two_opt(start: LonLat, stops: &[LonLat], mut order: Vec<usize>) -> Vec<usize> {
    let n = order.len();
    let mut best = route_km(start, stops, &order);
    let mut improved = true;
    while improved {
        improved = false;
        for i in 0..n {
            for j in i + 1..n {
                order[i..=j].reverse();
                let km = route_km(start, stops, &order);
                if km + 1e-9 < best {
                    best = km;
                    improved = true;
                } else {
                    order[i..=j].reverse();
                }
            }
        }
    }
    order
}

/// A short route from `start` through every stop: nearest neighbour, then 2-opt.
pub fn plan_route(start: LonLat, stops: &[LonLat]) -> Route {
    let order = two_opt(start, stops, nearest_neighbour(start, stops));
    let mut at = start;
    let legs_km = order
        .iter()
        .map(|&i| {
            let km = distance_km(at, stops[i]);
            at = stops[i];
            km
        })
        .collect();
    Route { order, legs_km }
}

/// Where a compound's visit stop is: the middle of its outline.
pub fn compound_stop(snap: &Snapshot, compound: CompoundId) -> Option<LonLat> {
    snap.compound(compound).map(|c| centroid(&c.outline))
}
