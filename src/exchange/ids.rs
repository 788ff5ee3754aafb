//! The company's ids (text, e.g. "XQ-0012" or "57") and HeatDesk's row ids.
//!
//! An imported row keeps its external id, so importing the same file again updates it. A
//! whole-number id that is still free becomes the row id itself, so a HeatDesk export
//! imported into an empty database keeps every id; rows made in HeatDesk (no external id) are
//! found by their own id. Other new rows get a provisional id (-1, -2, …) that the store turns
//! into the id the database gives them.

use std::collections::{HashMap, HashSet};

use crate::domain::batch::{ExternalId, Table};
use crate::store::KnownIds;

pub struct Ids {
    table: Table,
    mapped: HashMap<String, i64>,
    mapped_ids: HashSet<i64>,
    existing: HashSet<i64>,
    /// The last provisional id given out.
    provisional: i64,
    fresh: Vec<(String, i64)>,
}

impl Ids {
    pub fn new(table: Table, known: KnownIds) -> Ids {
        Ids {
            table,
            mapped_ids: known.external.iter().map(|e| e.1).collect(),
            mapped: known.external.into_iter().collect(),
            existing: known.rows.into_iter().collect(),
            provisional: 0,
            fresh: Vec::new(),
        }
    }

    /// The row an external id refers to, if there is one (a provisional id for a row new in
    /// this file).
    pub fn find(&self, external: &str) -> Option<i64> {
        let external = key(external);
        if let Some(&id) = self.mapped.get(external) {
            return Some(id);
        }
        let id: i64 = external.parse().ok()?;
        (self.existing.contains(&id) && !self.mapped_ids.contains(&id)).then_some(id)
    }

    /// The row for this external id: the one it names (false), or a new one (true).
    pub fn assign(&mut self, external: &str) -> (i64, bool) {
        let external = key(external);
        if let Some(id) = self.find(external) {
            return (id, false);
        }
        let id = match external.parse::<i64>() {
            Ok(n) if n > 0 && !self.existing.contains(&n) => n,
            _ => self.allocate(),
        };
        self.existing.insert(id);
        self.mapped.insert(external.to_string(), id);
        self.mapped_ids.insert(id);
        self.fresh.push((external.to_string(), id));
        (id, true)
    }

    /// Take back an id given out by this import (a row set aside): as if never seen.
    pub fn forget(&mut self, external: &str) {
        let external = key(external);
        if let Some(at) = self.fresh.iter().position(|(e, _)| e == external) {
            let (_, id) = self.fresh.remove(at);
            self.mapped.remove(external);
            self.mapped_ids.remove(&id);
            self.existing.remove(&id);
        }
    }

    /// A new row with no external id (a junction found by snapping, a station's own node):
    /// a provisional id the store replaces with the database's id.
    pub fn allocate(&mut self) -> i64 {
        self.provisional -= 1;
        self.provisional
    }

    /// The external ids given out by this import.
    pub fn take_fresh(&mut self) -> impl Iterator<Item = ExternalId> + '_ {
        let table = self.table;
        self.fresh.drain(..).map(move |(external, id)| ExternalId {
            table,
            external,
            id,
        })
    }
}

/// "57.0" is how a spreadsheet saves the id 57.
fn key(external: &str) -> &str {
    match external.strip_suffix(".0") {
        Some(whole) if !whole.is_empty() && whole.bytes().all(|b| b.is_ascii_digit()) => whole,
        _ => external,
    }
}
