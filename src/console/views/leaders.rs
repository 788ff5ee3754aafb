//! The leaders' figures: the KPIs of a period for the city, each department and compound, the
//! season's daily trend, and the visit planner's factors and ranking — made when the leaders'
//! view asks, from the kept KPI facts, and kept until what they depend on changes.

use chrono::{Duration, NaiveDate, NaiveTime};

use crate::domain::kpi::{KpiBreakdown, KpiFacts, KpiRules, Kpis};
use crate::domain::planner::{FactorTable, PlanWeights, Priority, factors_from};
use crate::domain::season::season_start;
use crate::domain::{Snapshot, Timestamp};

use super::memo::Memo;

/// The period the dashboard covers, ending today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Period {
    Today,
    Week,
    #[default]
    Season,
}

impl Period {
    /// `[from, to)` for a period ending with the day of `now`.
    pub fn range(self, now: Timestamp) -> (Timestamp, Timestamp) {
        let today = now.date();
        let to = (today + Duration::days(1)).and_time(NaiveTime::MIN);
        let from = match self {
            Period::Today => today,
            Period::Week => today - Duration::days(6),
            Period::Season => season_start(today),
        };
        (from.and_time(NaiveTime::MIN), to)
    }
}

/// A period's figures and the season's trend.
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub period: Period,
    pub breakdown: KpiBreakdown,
    pub daily: Vec<(NaiveDate, Kpis)>,
    /// Bumped whenever made anew (for presentations kept beside it, like a sorted table).
    pub version: u64,
}

/// What the figures of a period are made from (beside the period itself).
#[derive(Debug, Clone, Copy, PartialEq)]
struct FiguresKey {
    /// The version of what the leaders' figures depend on (facts, settings, visits, clock).
    made_from: u64,
    rules: KpiRules,
    period: Period,
}

/// What the planner's ranking is made from.
#[derive(Debug, Clone, PartialEq)]
struct RankingKey {
    made_from: u64,
    weights: PlanWeights,
}

/// The leaders' figures, made on demand.
#[derive(Debug, Default)]
pub struct LeadersFigures {
    figures: Memo<FiguresKey, Figures>,
    /// The planner's figures (made from the same as the leaders' figures).
    factors: Memo<u64, FactorTable>,
    ranked: Memo<RankingKey, Vec<Priority>>,
    made: u64,
}

impl LeadersFigures {
    /// Forget everything (the facts they were made from are gone).
    pub fn clear(&mut self) {
        *self = LeadersFigures {
            made: self.made,
            ..LeadersFigures::default()
        };
    }

    /// The figures of `period` for what they depend on at `made_from`: kept while those and
    /// the rules stand; the season's trend is kept when only the period moved.
    pub fn figures(
        &mut self,
        snap: &Snapshot,
        facts: &KpiFacts,
        made_from: u64,
        period: Period,
        now: Timestamp,
    ) -> &Figures {
        let rules = snap.kpi_rules;
        let key = FiguresKey {
            made_from,
            rules,
            period,
        };
        let made = &mut self.made;
        self.figures.get(key, |previous| {
            let (from, to) = period.range(now);
            // the season's trend does not depend on the period shown: kept when only that moved
            let kept = previous
                .filter(|(k, _)| k.made_from == made_from && k.rules == rules)
                .map(|(_, f)| f.daily);
            // two passes over the season's facts, one on each core
            let (breakdown, daily) = std::thread::scope(|s| {
                let daily = kept.is_none().then(|| {
                    s.spawn(|| {
                        facts.daily(snap, (season_start(now.date()), now.date()), now, &rules)
                    })
                });
                let breakdown = facts.breakdown(snap, (from, to), now, &rules);
                let daily = match daily {
                    Some(worker) => worker.join().expect("the daily figures"),
                    None => kept.unwrap_or_default(),
                };
                (breakdown, daily)
            });
            *made += 1;
            Figures {
                period,
                breakdown,
                daily,
                version: *made,
            }
        })
    }

    /// The compounds ranked for a visit: the figures once per change of what they depend on,
    /// the scores again when a weight moves.
    pub fn ranked(
        &mut self,
        snap: &Snapshot,
        facts: &KpiFacts,
        made_from: u64,
        weights: &PlanWeights,
        now: Timestamp,
    ) -> &[Priority] {
        let table = self.factors.get(made_from, |_| {
            let season = season_start(now.date()).and_time(NaiveTime::MIN);
            factors_from(snap, facts, now, season, &snap.kpi_rules)
        });
        let key = RankingKey {
            made_from,
            weights: weights.clone(),
        };
        self.ranked.get(key, |_| table.rank(weights))
    }

    /// The ranking as last made (for the route's explanations), if any.
    pub fn last_ranking(&self) -> &[Priority] {
        self.ranked.last().map_or(&[], Vec::as_slice)
    }
}
