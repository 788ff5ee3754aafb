//! Everything the console derives from the data, each view declaring what it is made from and
//! brought up to date in one place ([`Views::update`]) from one [`Change`].

pub mod alerts;
pub mod board;
pub mod colours;
pub mod counts;
pub mod leaders;
pub mod memo;
pub mod queue;
pub mod search;

use std::collections::HashSet;

use chrono::{Duration, NaiveTime};

use crate::domain::colouring::Metric;
use crate::domain::kpi::{KpiFacts, Kpis};
use crate::domain::trace::Topology;
use crate::domain::{Snapshot, TicketId, Timestamp};

use alerts::Alerts;
use board::Board;
use colours::{AnswerSums, Colours};
use counts::MapCounts;
use leaders::LeadersFigures;
use queue::QueueList;
use search::SearchNames;

/// What kinds of data changed: each view is made from some of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Dirty(u16);

impl Dirty {
    pub const NOTHING: Dirty = Dirty(0);
    /// Tickets changed or were added.
    pub const TICKETS: Dirty = Dirty(1);
    /// A cold report opened, closed, was linked or added (complaint clusters move).
    pub const COLD: Dirty = Dirty(1 << 1);
    /// Residents' answers were added.
    pub const ANSWERS: Dirty = Dirty(1 << 2);
    /// Temperature readings were added.
    pub const READINGS: Dirty = Dirty(1 << 3);
    /// Visits were added.
    pub const VISITS: Dirty = Dirty(1 << 4);
    /// Deadline rules or KPI definitions changed.
    pub const SETTINGS: Dirty = Dirty(1 << 5);
    /// Everything was read anew (the city itself may have changed).
    pub const CITY: Dirty = Dirty(1 << 6);
    /// The map is coloured by another metric.
    pub const COLOURING: Dirty = Dirty(1 << 7);
    /// A minute passed (countdowns, overdue).
    pub const MINUTE: Dirty = Dirty(1 << 8);
    /// Five minutes passed (the alerts' window slides).
    pub const SLIDE: Dirty = Dirty(1 << 9);
    /// A day passed (the top bar's "today", the leaders' periods).
    pub const DAY: Dirty = Dirty(1 << 10);
    /// The season's settled facts arrived (closed tickets and earlier answers, no rows).
    pub const SETTLED: Dirty = Dirty(1 << 11);
    pub const ALL: Dirty = Dirty((1 << 12) - 1);

    pub const fn or(self, other: Dirty) -> Dirty {
        Dirty(self.0 | other.0)
    }

    /// Any of `deps` is among these.
    pub fn any(self, deps: Dirty) -> bool {
        self.0 & deps.0 != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl std::ops::BitOr for Dirty {
    type Output = Dirty;
    fn bitor(self, other: Dirty) -> Dirty {
        self.or(other)
    }
}

impl std::ops::BitOrAssign for Dirty {
    fn bitor_assign(&mut self, other: Dirty) {
        *self = self.or(other);
    }
}

/// What changed since the views were last brought up to date: which kinds of data, and which
/// tickets (the touched ones are enough for the views kept up from them).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Change {
    pub dirty: Dirty,
    pub touched: Vec<TicketId>,
}

impl Change {
    pub fn of(dirty: Dirty) -> Self {
        Change {
            dirty,
            touched: Vec::new(),
        }
    }

    pub fn merge(&mut self, other: Change) {
        self.dirty |= other.dirty;
        self.touched.extend(other.touched);
    }

    pub fn is_empty(&self) -> bool {
        self.dirty.is_empty() && self.touched.is_empty()
    }
}

/// What each view is made from (a view made from another also names that one's sources).
pub mod made_from {
    use super::Dirty;
    pub const TOPOLOGY: Dirty = Dirty::CITY;
    pub const SEARCH: Dirty = Dirty::CITY;
    /// (the settled season's linked reports too)
    pub const BOARD: Dirty = Dirty::CITY.or(Dirty::TICKETS).or(Dirty::SETTLED);
    /// (the board's open tickets: the settled season has none)
    pub const COUNTS: Dirty = Dirty::CITY.or(Dirty::TICKETS).or(Dirty::MINUTE);
    pub const SUMS: Dirty = Dirty::CITY
        .or(Dirty::ANSWERS)
        .or(Dirty::READINGS)
        .or(Dirty::SETTINGS)
        .or(Dirty::SETTLED);
    pub const COLOURS: Dirty = Dirty::COLOURING.or(COUNTS).or(SUMS);
    pub const FACTS: Dirty = Dirty::CITY
        .or(Dirty::TICKETS)
        .or(Dirty::ANSWERS)
        .or(Dirty::READINGS)
        .or(Dirty::SETTLED);
    /// (not the settled season: it ended before the first load's horizon, days before today)
    pub const TODAY: Dirty = Dirty::CITY
        .or(Dirty::TICKETS)
        .or(Dirty::ANSWERS)
        .or(Dirty::READINGS)
        .or(Dirty::SETTINGS)
        .or(Dirty::MINUTE);
    pub const ALERTS: Dirty = TOPOLOGY.or(Dirty::COLD).or(Dirty::SLIDE);
    /// (what is due, overdue or how long ago moves with the clock)
    pub const LEADERS: Dirty = FACTS
        .or(Dirty::SETTINGS)
        .or(Dirty::VISITS)
        .or(Dirty::MINUTE)
        .or(Dirty::DAY);
}

/// The console's derived views.
pub struct Views {
    /// The network's topology (tickets do not change it).
    pub topology: Topology,
    pub board: Board,
    pub counts: MapCounts,
    pub sums: AnswerSums,
    pub colours: Colours,
    /// What the figures need of every ticket, answer and reading.
    pub facts: KpiFacts,
    /// Today's city figures (the top bar's chips).
    pub today: Kpis,
    /// Suspected network faults.
    pub alerts: Alerts,
    pub search: SearchNames,
    /// The queue as filtered (made when drawn).
    pub queue: QueueList,
    /// The leaders' figures and the planner (made when drawn).
    pub leaders: LeadersFigures,
    /// Bumped when each is made anew, for what is kept beside it (a sorted list, map markers).
    pub versions: Versions,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Versions {
    pub city: u64,
    pub board: u64,
    pub colours: u64,
    pub alerts: u64,
    /// What the leaders' figures are made from (facts, settings, visits, the day).
    pub leaders: u64,
}

impl Views {
    /// Every view made from scratch.
    pub fn recount(snap: &Snapshot, now: Timestamp, colouring: Metric) -> Self {
        Self::recount_with(snap, KpiFacts::of(snap), now, colouring)
    }

    /// Every view made from scratch, with these facts (the settled season's among them).
    pub fn recount_with(
        snap: &Snapshot,
        facts: KpiFacts,
        now: Timestamp,
        colouring: Metric,
    ) -> Self {
        let topology = Topology::build(snap);
        let board = Board::derive(snap, facts.settled());
        let counts = MapCounts::count(snap, &board.open, now);
        let sums = AnswerSums::count(snap, &facts);
        let colours = Colours::of(snap, colouring, &counts, &sums);
        let today = today(snap, &facts, now);
        let alerts = Alerts::find(snap, &topology, &board.open, now);
        Views {
            topology,
            board,
            counts,
            sums,
            colours,
            facts,
            today,
            alerts,
            search: SearchNames::prepare(snap),
            queue: QueueList::default(),
            leaders: LeadersFigures::default(),
            versions: Versions {
                city: 1,
                board: 1,
                colours: 1,
                alerts: 1,
                leaders: 1,
            },
        }
    }

    /// The one place the views are brought up to date: each whose sources are among the
    /// change is made again, or kept up from the touched tickets and the rows added.
    pub fn update(&mut self, snap: &Snapshot, change: &Change, now: Timestamp, colouring: Metric) {
        let d = change.dirty;
        let everything = d.any(Dirty::CITY);
        if d.any(made_from::TOPOLOGY) {
            self.topology = Topology::build(snap);
            self.versions.city += 1;
        }
        if d.any(made_from::SEARCH) {
            self.search = SearchNames::prepare(snap);
        }
        if d.any(made_from::FACTS) {
            self.facts.update(snap, &change.touched);
        }
        if d.any(made_from::BOARD) {
            if everything {
                self.board = Board::derive(snap, self.facts.settled());
            } else {
                if d.any(Dirty::SETTLED) {
                    self.board.add_settled_links(self.facts.settled());
                }
                self.board.update(snap, &change.touched);
            }
            self.versions.board += 1;
        }
        if d.any(made_from::COUNTS) {
            self.counts = MapCounts::count(snap, &self.board.open, now);
        }
        if d.any(made_from::SUMS) {
            if everything || d.any(Dirty::SETTINGS.or(Dirty::SETTLED)) {
                self.sums = AnswerSums::count(snap, &self.facts);
            } else {
                self.sums.add_new(snap, &self.facts);
            }
        }
        if d.any(made_from::COLOURS) {
            self.colours = Colours::of(snap, colouring, &self.counts, &self.sums);
            self.versions.colours += 1;
        }
        if d.any(made_from::TODAY) {
            self.today = today(snap, &self.facts, now);
        }
        if d.any(made_from::ALERTS) {
            self.alerts = Alerts::find(snap, &self.topology, &self.board.open, now);
            self.versions.alerts += 1;
        }
        if d.any(made_from::LEADERS) {
            if everything {
                self.leaders.clear();
            }
            self.versions.leaders += 1;
        }
    }
}

/// Today's city figures, as of `now`.
fn today(snap: &Snapshot, facts: &KpiFacts, now: Timestamp) -> Kpis {
    let today = now.date().and_time(NaiveTime::MIN);
    facts.city(
        snap,
        (today, today + Duration::days(1)),
        now,
        &snap.kpi_rules,
    )
}

/// Which of `touched` (new versions, not yet in `snap`) move the complaint clusters: a cold
/// report opened, closed, linked or new. Assigning one does not.
pub fn moves_clusters<'t>(
    snap: &Snapshot,
    touched: impl IntoIterator<Item = &'t crate::domain::Ticket>,
) -> bool {
    let counts = |t: &crate::domain::Ticket| t.status.is_open() && board::counts_as_cold(t);
    touched
        .into_iter()
        .any(|t| snap.ticket(t.id).is_some_and(counts) != counts(t))
}

/// A set of ticket ids, for lists that are filtered by many touched ids.
pub(crate) fn id_set(ids: &[TicketId]) -> HashSet<TicketId> {
    ids.iter().copied().collect()
}
