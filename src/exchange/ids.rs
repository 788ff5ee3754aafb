//! The company's ids (text, e.g. "XQ-0012" or "57") and HeatDesk's row ids.
//!
//! An imported row keeps its external id in `external_ids`, so importing the same file again
//! updates it. A whole-number id that is still free becomes the row id itself, so a
//! HeatDesk export imported into an empty database keeps every id; rows made in HeatDesk
//! (no external id) are found by their own id.

use std::collections::{HashMap, HashSet};

use rusqlite::{Connection, params};

pub struct Ids {
    kind: &'static str,
    mapped: HashMap<String, i64>,
    mapped_ids: HashSet<i64>,
    existing: HashSet<i64>,
    next: i64,
    fresh: Vec<(String, i64)>,
}

impl Ids {
    pub fn load(conn: &Connection, kind: &'static str, table: &str) -> rusqlite::Result<Ids> {
        let mut st = conn.prepare("SELECT external_id, id FROM external_ids WHERE kind = ?1")?;
        let mapped: HashMap<String, i64> = st
            .query_map([kind], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let mut st = conn.prepare(&format!("SELECT id FROM {table}"))?;
        let existing: HashSet<i64> = st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
        let next = existing.iter().max().map_or(1, |m| m + 1);
        Ok(Ids {
            kind,
            mapped_ids: mapped.values().copied().collect(),
            mapped,
            existing,
            next,
            fresh: Vec::new(),
        })
    }

    /// The row an external id refers to, if there is one.
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
            _ => {
                while self.existing.contains(&self.next) {
                    self.next += 1;
                }
                self.next
            }
        };
        self.existing.insert(id);
        self.mapped.insert(external.to_string(), id);
        self.mapped_ids.insert(id);
        self.fresh.push((external.to_string(), id));
        (id, true)
    }

    /// A new row with no external id (a junction found by snapping, a station's own node).
    pub fn allocate(&mut self) -> i64 {
        while self.existing.contains(&self.next) {
            self.next += 1;
        }
        self.existing.insert(self.next);
        self.next
    }

    /// Record the external ids given out by this import.
    pub fn save(&mut self, conn: &Connection) -> rusqlite::Result<()> {
        let mut st = conn.prepare_cached(
            "INSERT INTO external_ids (kind, external_id, id) VALUES (?1, ?2, ?3)
             ON CONFLICT (kind, external_id) DO UPDATE SET id = excluded.id",
        )?;
        for (external, id) in self.fresh.drain(..) {
            // "57" kept as row 57 needs no entry: `find` reads it as the row's own id
            if external != id.to_string() {
                st.execute(params![self.kind, external, id])?;
            }
        }
        Ok(())
    }
}

/// "57.0" is how a spreadsheet saves the id 57.
fn key(external: &str) -> &str {
    match external.strip_suffix(".0") {
        Some(whole) if !whole.is_empty() && whole.bytes().all(|b| b.is_ascii_digit()) => whole,
        _ => external,
    }
}
