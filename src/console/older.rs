//! The season's history, read on a thread of its own after the first frame and folded into the
//! snapshot a few thousand rows a frame (with the figures' facts made where it was read).

use std::sync::mpsc::{Receiver, channel};

use crate::domain::kpi::{KpiFacts, Placement};
use crate::domain::older::OlderRows;
use crate::domain::{Snapshot, TicketId, Timestamp};
use crate::store::DispatchStore;

/// The share of a frame that folding the season's history in may take.
const FOLD_BUDGET: std::time::Duration = std::time::Duration::from_millis(4);

/// Where the season's history is.
pub enum Older {
    /// Being read.
    Reading(Receiver<Result<OlderRows, String>>),
    /// Read, and being folded in.
    Folding(Box<OlderRows>),
}

/// What a frame's folding step did.
pub enum Folded {
    /// Rows went in (no view needs them yet).
    Some,
    /// The last rows are in: these appended tickets are linked to a network ticket.
    AllIn(Vec<TicketId>),
    Failed(String),
}

impl Older {
    /// Read the season before `since` on `store` (a second handle) on a thread of its own.
    pub fn read(store: Box<dyn DispatchStore>, snap: &Snapshot, since: Timestamp) -> Self {
        let (tx, rx) = channel();
        let placement = Placement::of_snapshot(snap);
        std::thread::spawn(move || {
            let read = store
                .load_older(since)
                .map(|(tickets, surveys)| {
                    let facts = KpiFacts::of_rows(&placement, &tickets, &surveys);
                    OlderRows::read(tickets, surveys, facts)
                })
                .map_err(|e| e.to_string());
            let _ = tx.send(read);
        });
        Older::Reading(rx)
    }

    /// A frame's share of the work; None while it is still being read.
    pub fn step(&mut self, snap: &mut Snapshot, facts: &mut KpiFacts) -> Option<Folded> {
        if let Older::Reading(rx) = self {
            match rx.try_recv() {
                Ok(Ok(rows)) => *self = Older::Folding(Box::new(rows)),
                Ok(Err(e)) => return Some(Folded::Failed(e)),
                Err(std::sync::mpsc::TryRecvError::Empty) => return None,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                    return Some(Folded::Failed("the reading thread stopped".into()));
                }
            }
        }
        let Older::Folding(rows) = self else {
            return None;
        };
        if !rows.all_in() {
            // a step of rows at a time until the frame's share is spent
            let started = std::time::Instant::now();
            while started.elapsed() < FOLD_BUDGET && !rows.step(snap, facts, 1024) {}
            return Some(Folded::Some);
        }
        Some(Folded::AllIn(rows.linked().to_vec()))
    }

    /// Being folded in (not only read).
    pub fn folding(&self) -> bool {
        matches!(self, Older::Folding(_))
    }
}
