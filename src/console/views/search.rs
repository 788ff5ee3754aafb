//! What the search box finds: ticket numbers, compounds, buildings ("工银新村 3号楼" or
//! "工银新村3"), teams and their members. The names are prepared once per city (52,600 building
//! labels at city scale), on a thread of their own.

use crate::console::Selection;
use crate::domain::Snapshot;
use crate::domain::snapshot::building_label;

/// What a query found: where to go, and how to say it.
pub type Found = Vec<(Selection, String)>;

/// Every searchable name, prepared: what is shown, and what a query is matched against.
#[derive(Default)]
pub struct SearchIndex {
    entries: Vec<(Selection, String, String)>,
}

/// Lower case, no spaces: "工银新村 3号楼" and "工银新村3号楼" are the same to a search.
fn key(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The names a search index is made of, copied out of the snapshot (cheap) so the index can
/// be prepared on another thread.
pub struct Names {
    compounds: Vec<(i64, String, String)>,
    buildings: Vec<(i64, i64, String)>,
    teams: Vec<(i64, String, Vec<String>)>,
}

impl Names {
    pub fn of(snap: &Snapshot) -> Self {
        Names {
            compounds: snap
                .compounds
                .iter()
                .map(|c| (c.id, c.name.clone(), c.address.clone()))
                .collect(),
            buildings: snap
                .buildings
                .iter()
                .map(|b| (b.id, b.compound_id, b.number.clone()))
                .collect(),
            teams: snap
                .teams
                .iter()
                .map(|t| (t.id, t.name.clone(), t.members.clone()))
                .collect(),
        }
    }
}

impl SearchIndex {
    pub fn build(names: Names) -> Self {
        let mut entries = Vec::with_capacity(names.compounds.len() + names.buildings.len());
        let compound: std::collections::HashMap<i64, &str> = names
            .compounds
            .iter()
            .map(|(id, name, _)| (*id, name.as_str()))
            .collect();
        for (id, name, address) in &names.compounds {
            let text = format!("{name}\u{1}{address}");
            entries.push((Selection::Compound(*id), name.clone(), key(&text)));
        }
        for (id, compound_id, number) in &names.buildings {
            let label = building_label(compound.get(compound_id).copied(), number);
            let k = key(&label);
            entries.push((Selection::Building(*id), label, k));
        }
        for (id, name, members) in &names.teams {
            let text = format!("{name}\u{1}{}", members.join("\u{1}"));
            entries.push((Selection::Team(*id), name.clone(), key(&text)));
        }
        SearchIndex { entries }
    }

    /// The first `limit` names the query is part of, in the order compounds, buildings, teams.
    pub fn find(&self, query: &str, limit: usize) -> Found {
        let q = key(query);
        if q.is_empty() {
            return Vec::new();
        }
        self.entries
            .iter()
            .filter(|(_, _, k)| k.contains(&q))
            .take(limit)
            .map(|(sel, label, _)| (*sel, label.clone()))
            .collect()
    }
}

/// What the search box finds, best first: a ticket number, then names.
pub fn results(snap: &Snapshot, names: &mut SearchNames, query: &str, limit: usize) -> Found {
    let q = query.trim();
    if q.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    if let Ok(id) = q.trim_start_matches('#').parse::<i64>()
        && let Some(ticket) = snap.ticket(id)
    {
        out.push((
            Selection::Ticket(id),
            format!("#{id} {}", snap.building_label(ticket.building_id)),
        ));
    }
    out.extend(names.ready(snap).find(q, limit));
    out.truncate(limit);
    out
}

/// Where the search names are: being prepared on a thread, or ready.
#[derive(Default)]
pub enum SearchNames {
    #[default]
    None,
    Preparing(std::sync::mpsc::Receiver<SearchIndex>),
    Ready(SearchIndex),
}

impl SearchNames {
    /// Prepare the names of `snap` on a thread of their own (at start and after a reload).
    pub fn prepare(snap: &Snapshot) -> Self {
        let names = Names::of(snap);
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(SearchIndex::build(names));
        });
        SearchNames::Preparing(rx)
    }

    /// The names: ready, or (a query before they are) waited for, or made here and now.
    pub fn ready(&mut self, snap: &Snapshot) -> &SearchIndex {
        let index = match std::mem::take(self) {
            SearchNames::Ready(index) => index,
            SearchNames::Preparing(rx) => rx
                .recv()
                .unwrap_or_else(|_| SearchIndex::build(Names::of(snap))),
            SearchNames::None => SearchIndex::build(Names::of(snap)),
        };
        *self = SearchNames::Ready(index);
        match self {
            SearchNames::Ready(index) => index,
            _ => unreachable!("just set"),
        }
    }
}
