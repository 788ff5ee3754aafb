//! The season's older rows, read behind the first frame, folded into the snapshot and its
//! figures' facts a step at a time.
//!
//! They are appended, never merged in id order, so that nothing already in the snapshot moves
//! (the facts and the map's caches are kept by position); and a step takes a bounded number of
//! rows, so that a frame folding them in stays a frame (a city's 300,000 tickets are 55 MB of
//! rows: one frame writing them all took 140–230 ms).

use std::collections::HashSet;

use super::kpi::{KpiFacts, TicketFacts};
use super::model::{SurveyAnswer, SurveyResponse, Ticket, TicketId, Timestamp};
use super::snapshot::Snapshot;

type AnswerFacts = (super::kpi::Secs, SurveyAnswer, Option<u32>);

/// Older tickets and answers with their facts (made where they were read), still to fold in.
pub struct OlderRows {
    tickets: std::iter::Zip<std::vec::IntoIter<Ticket>, std::vec::IntoIter<TicketFacts>>,
    answers: std::iter::Zip<std::vec::IntoIter<SurveyResponse>, std::vec::IntoIter<AnswerFacts>>,
    /// The highest ticket id among them, and the latest answer: found where they were read.
    highest: i64,
    latest: Option<Timestamp>,
    /// Set by the first step, which makes room in the snapshot.
    begun: bool,
    /// Answers the snapshot already holds for before the recent load (entered for an
    /// earlier time): not added twice.
    answered: HashSet<i64>,
    /// The facts matched the snapshot row for row when folding began: they are extended
    /// alongside; otherwise they are counted anew at the end.
    in_step: bool,
    /// The appended tickets linked to a network ticket.
    linked: Vec<TicketId>,
}

impl OlderRows {
    /// On the thread that read them: the rows and their facts, [`KpiFacts::of_rows`].
    pub fn read(tickets: Vec<Ticket>, surveys: Vec<SurveyResponse>, facts: KpiFacts) -> Self {
        OlderRows {
            highest: tickets.iter().map(|t| t.id).max().unwrap_or(i64::MIN),
            latest: surveys.iter().map(|s| s.at).max(),
            tickets: tickets.into_iter().zip(facts.tickets.into_rows()),
            answers: surveys.into_iter().zip(facts.answers.into_rows()),
            begun: false,
            answered: HashSet::new(),
            in_step: false,
            linked: Vec::new(),
        }
    }

    /// Before the first row goes in: room in the snapshot and the facts, made once (growing
    /// by doubling mid-way would copy a city's rows within a frame), and a dense lookup.
    fn begin(&mut self, snap: &mut Snapshot, facts: &mut KpiFacts) {
        self.begun = true;
        // answers are loaded from the recent load's start on and new ones are made now: only
        // one entered for an earlier time can be in both
        self.answered = snap
            .surveys
            .iter()
            .filter(|s| self.latest.is_some_and(|l| s.at <= l))
            .map(|s| s.id)
            .collect();
        let (tickets, answers) = (self.tickets.len(), self.answers.len());
        snap.expect_tickets(tickets, self.highest);
        snap.tickets.reserve(tickets);
        snap.surveys.reserve(answers);
        self.in_step = facts.covers(snap);
        if self.in_step {
            facts.tickets.reserve(tickets);
            facts.answers.reserve(answers);
        }
    }

    /// Fold up to `rows` more rows into `snap` and `facts`; true once all are in (and the
    /// facts whole).
    pub fn step(&mut self, snap: &mut Snapshot, facts: &mut KpiFacts, rows: usize) -> bool {
        if !self.begun {
            // a step of its own: it writes a few megabytes
            self.begin(snap, facts);
            return false;
        }
        for _ in 0..rows {
            if let Some((ticket, fact)) = self.tickets.next() {
                // a ticket changed since the recent load is here already, newer
                let link = ticket.parent_id.map(|_| ticket.id);
                if snap.append_older_ticket(ticket) {
                    self.linked.extend(link);
                    if self.in_step {
                        facts.tickets.push(fact);
                    }
                }
            } else if let Some((answer, fact)) = self.answers.next() {
                if !self.answered.contains(&answer.id) {
                    snap.surveys.push(answer);
                    if self.in_step {
                        facts.answers.push(fact);
                    }
                }
            } else {
                if !(self.in_step && facts.covers(snap)) {
                    *facts = KpiFacts::of(snap);
                }
                return true;
            }
        }
        false
    }

    /// Every row has gone in.
    pub fn all_in(&self) -> bool {
        self.begun && self.tickets.len() == 0 && self.answers.len() == 0
    }

    /// The appended tickets linked to a network ticket (the board's lists of them grow).
    pub fn linked(&self) -> &[TicketId] {
        &self.linked
    }
}
