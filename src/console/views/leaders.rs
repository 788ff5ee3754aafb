//! The leaders' figures: the KPIs of a period for the city, each department and compound, the
//! season's daily trend, and the visit planner's factors and ranking — made when the leaders'
//! view asks, from the kept KPI facts, and kept until what they depend on changes.

use chrono::{Duration, NaiveDate, NaiveTime};

use crate::domain::kpi::{KpiBreakdown, KpiFacts, KpiRules, Kpis};
use crate::domain::planner::{FactorTable, PlanWeights, Priority, factors_from};
use crate::domain::season::season_start;
use crate::domain::{Snapshot, Timestamp};

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

/// The leaders' figures, made on demand.
#[derive(Debug, Default)]
pub struct LeadersFigures {
    /// The facts' version and the rules they were made for (the period kept in the figures).
    figures: Option<((u64, KpiRules), Figures)>,
    factors: Option<(u64, FactorTable)>,
    ranked: Option<((u64, PlanWeights), Vec<Priority>)>,
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

    /// The figures of `period` for facts at `facts_version`: kept while those and the rules
    /// stand; the trend is kept when only the period moved.
    pub fn figures(
        &mut self,
        snap: &Snapshot,
        facts: &KpiFacts,
        facts_version: u64,
        period: Period,
        now: Timestamp,
    ) -> &Figures {
        let rules = snap.kpi_rules;
        let key = (facts_version, rules);
        let fresh = matches!(&self.figures, Some((k, f)) if *k == key && f.period == period);
        if !fresh {
            let (from, to) = period.range(now);
            // the season's trend does not depend on the period shown: kept when only that moved
            let kept = self
                .figures
                .take()
                .filter(|(k, _)| *k == key)
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
            self.made += 1;
            self.figures = Some((
                key,
                Figures {
                    period,
                    breakdown,
                    daily,
                    version: self.made,
                },
            ));
        }
        &self.figures.as_ref().expect("just made").1
    }

    /// The compounds ranked for a visit: the figures once per change of the facts (or the
    /// visits), the scores again when a weight moves.
    pub fn ranked(
        &mut self,
        snap: &Snapshot,
        facts: &KpiFacts,
        facts_version: u64,
        weights: &PlanWeights,
        now: Timestamp,
    ) -> &[Priority] {
        if self.factors.as_ref().is_none_or(|f| f.0 != facts_version) {
            let season = season_start(now.date()).and_time(NaiveTime::MIN);
            let table = factors_from(snap, facts, now, season, &snap.kpi_rules);
            self.factors = Some((facts_version, table));
            self.ranked = None;
        }
        let key = (facts_version, weights.clone());
        if self.ranked.as_ref().is_none_or(|r| r.0 != key) {
            let table = &self.factors.as_ref().expect("just made").1;
            let list = table.rank(weights);
            self.ranked = Some((key, list));
        }
        &self.ranked.as_ref().expect("just ranked").1
    }

    /// The ranking as last made (for the route's explanations), if any.
    pub fn last_ranking(&self) -> &[Priority] {
        self.ranked.as_ref().map_or(&[], |r| &r.1)
    }
}
