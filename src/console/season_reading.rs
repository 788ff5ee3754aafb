//! The season before the first load, read on a thread of its own after the first frame and
//! kept as facts (the figures' and the map's), made as it is read: its rows are never held.

use crate::words::problem::Problem;
use std::collections::HashSet;
use std::sync::mpsc::{Receiver, channel};

use crate::domain::kpi::{Placement, Settled};
use crate::domain::older::SettledSeason;
use crate::domain::{Snapshot, Timestamp};
use crate::store::{DispatchStore, OlderRow};

/// The season's settled facts being read.
pub struct SeasonReading {
    read: Receiver<Result<Settled, Problem>>,
    /// The snapshot's rows when the reading began (a settled ticket can be a row only if it was
    /// taken in after), and the generation of rows they belong to.
    rows_then: (usize, crate::domain::snapshot::Generation),
}

impl SeasonReading {
    /// Read the season before `since` on `store` (a second handle) on a thread of its own.
    pub fn read(store: Box<dyn DispatchStore>, snap: &Snapshot, since: Timestamp) -> Self {
        let (tx, rx) = channel();
        let placement = Placement::of_snapshot(snap);
        let answered: HashSet<i64> = snap.surveys.iter().map(|s| s.id).collect();
        std::thread::spawn(move || {
            let mut season = SettledSeason::new(answered);
            let read = store
                .read_older(since, &mut |row| match row {
                    OlderRow::Ticket(t) => season.ticket(&t, &placement),
                    OlderRow::Answer(a) => season.answer(&a, &placement),
                })
                .map(|()| season.facts())
                .map_err(|e| e.problem());
            let _ = tx.send(read);
        });
        SeasonReading {
            read: rx,
            rows_then: (snap.tickets.len(), snap.generation()),
        }
    }

    /// The first row that may also be a settled ticket.
    pub fn new_rows_from(&self, snap: &Snapshot) -> usize {
        let (rows, generation) = self.rows_then;
        if generation == snap.generation() {
            rows
        } else {
            0
        }
    }

    /// The facts once read (None while still reading).
    pub fn arrived(&self) -> Option<Result<Settled, Problem>> {
        match self.read.try_recv() {
            Ok(read) => Some(read),
            Err(std::sync::mpsc::TryRecvError::Empty) => None,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => Some(Err(Problem::Stopped)),
        }
    }
}
