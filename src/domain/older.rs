//! The season before the first load — its closed tickets and earlier answers — read behind the
//! first frame and kept as facts, not rows: a city's season is 300,000 tickets (about 100 MB of
//! rows), and the console shows the open and recent ones; the figures need only the facts.

use std::collections::HashSet;

use super::kpi::{Placement, Settled};
use super::model::{SurveyResponse, Ticket};

/// The settled season as it is read (on the reading thread), row by row into facts.
#[derive(Debug, Default)]
pub struct SettledSeason {
    facts: Settled,
    /// Answers the snapshot holds already (entered since for an earlier time): not twice.
    answered: HashSet<i64>,
}

impl SettledSeason {
    /// `answered`: the ids of the answers the snapshot holds.
    pub fn new(answered: HashSet<i64>) -> Self {
        SettledSeason {
            facts: Settled::default(),
            answered,
        }
    }

    /// One closed ticket (in id order); its row is dropped once its facts are made.
    pub fn ticket(&mut self, t: &Ticket, placement: &Placement) {
        self.facts.push_ticket(t, placement);
    }

    /// One earlier answer.
    pub fn answer(&mut self, s: &SurveyResponse, placement: &Placement) {
        if !self.answered.contains(&s.id) {
            self.facts.push_answer(s, placement);
        }
    }

    /// The facts, to be taken in by the console's [`super::kpi::KpiFacts::settle`].
    pub fn facts(self) -> Settled {
        self.facts
    }
}
