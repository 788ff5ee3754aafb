//! Everything a console shows, loaded once from the store and updated by applied commands.

use std::collections::HashMap;

use super::model::*;

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Snapshot {
    pub departments: Vec<Department>,
    pub compounds: Vec<Compound>,
    pub buildings: Vec<Building>,
    pub sources: Vec<HeatSource>,
    pub stations: Vec<Station>,
    pub nodes: Vec<NetworkNode>,
    pub segments: Vec<PipeSegment>,
    pub valves: Vec<Valve>,
    pub teams: Vec<Team>,
    pub tickets: Vec<Ticket>,
    pub visits: Vec<Visit>,
    pub readings: Vec<TemperatureReading>,
    pub surveys: Vec<SurveyResponse>,
    pub rules: Vec<SlaRule>,
    /// The company's KPI definitions and thresholds.
    pub kpi_rules: super::kpi::KpiRules,
    /// Where each team's phone last said it was (teams without a phone have none).
    pub positions: Vec<super::crew::TeamPosition>,
    /// Made again where the rows arrive (`reindex`): never sent.
    #[serde(skip)]
    pub(crate) index: Index,
    /// Which loading of the rows this is: things kept per row ([`RowFacts`]) are only valid
    /// for the generation they were made from (rows are replaced or appended in place within
    /// one, never reordered).
    #[serde(skip)]
    pub(crate) generation: Generation,
}

/// One loading of a snapshot's rows (a new one each time rows are read or indexed anew).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Generation(u64);

impl Generation {
    fn next() -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        Generation(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
    }
}

/// Something kept for each row of one of a snapshot's tables, in the same order: made for one
/// [`Generation`] of the snapshot and extended as rows are appended. The type is the contract
/// that position `i` here is row `i` there.
#[derive(Debug, Clone)]
pub struct RowFacts<T> {
    pub(crate) generation: Generation,
    rows: Vec<T>,
}

impl<T> Default for RowFacts<T> {
    fn default() -> Self {
        RowFacts {
            generation: Generation::default(),
            rows: Vec::new(),
        }
    }
}

impl<T> RowFacts<T> {
    /// Empty, for the snapshot's current rows.
    pub fn for_snapshot(snap: &Snapshot) -> Self {
        RowFacts {
            generation: snap.generation,
            rows: Vec::new(),
        }
    }

    /// Made for this snapshot, and no longer than its table of `len` rows.
    pub fn fits(&self, snap: &Snapshot, len: usize) -> bool {
        self.generation == snap.generation && self.rows.len() <= len
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.rows.iter()
    }

    /// The facts of the row at `pos` changed.
    pub fn set(&mut self, pos: usize, fact: T) {
        self.rows[pos] = fact;
    }

    pub fn extend(&mut self, facts: impl IntoIterator<Item = T>) {
        self.rows.extend(facts);
    }
}

impl<'a, T> IntoIterator for &'a RowFacts<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.rows.iter()
    }
}

/// What changed in the store since a console last read it: the tickets touched (whole
/// rows), new visits, readings and answers, and the settings if any changed.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Changes {
    pub tickets: Vec<Ticket>,
    pub visits: Vec<Visit>,
    pub readings: Vec<TemperatureReading>,
    pub surveys: Vec<SurveyResponse>,
    /// Deadline rules set (each replaces the rule of its category and severity).
    pub rules: Vec<SlaRule>,
    pub kpi_rules: Option<super::kpi::KpiRules>,
    /// Teams whose row changed (status, position), and the positions their phones reported.
    pub teams: Vec<Team>,
    pub positions: Vec<super::crew::TeamPosition>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.teams.is_empty()
            && self.positions.is_empty()
            && self.tickets.is_empty()
            && self.visits.is_empty()
            && self.readings.is_empty()
            && self.surveys.is_empty()
            && self.rules.is_empty()
            && self.kpi_rules.is_none()
    }
}

/// How a console brings itself up to date with the store.
// one is made per catch-up and consumed at once, never kept in numbers: not worth a box
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Update {
    /// Nothing changed.
    UpToDate,
    /// These rows changed: take them in.
    Changed(Changes),
    /// The city itself changed (an import): read everything again.
    Reload,
}

/// Id → position lookups, rebuilt when rows are added.
#[derive(Debug, Clone, Default)]
pub(crate) struct Index {
    compound: IdIndex,
    building: IdIndex,
    team: IdIndex,
    ticket: IdIndex,
    department: IdIndex,
    segment: IdIndex,
}

/// Id → position. Ids in a database table are nearly always 1..n, so a plain array answers
/// in one load (KPIs look up 300,000 tickets' buildings); scattered ids fall back to a map.
#[derive(Debug, Clone)]
pub(crate) enum IdIndex {
    Dense(Vec<u32>),
    Sparse(HashMap<i64, usize>),
}

const NONE: u32 = u32::MAX;

impl Default for IdIndex {
    fn default() -> Self {
        IdIndex::Dense(Vec::new())
    }
}

impl IdIndex {
    /// Dense or sparse as the ids as a whole are, whatever their order.
    fn build(ids: impl Iterator<Item = i64> + Clone) -> Self {
        let (rows, lowest, highest) = ids
            .clone()
            .fold((0, i64::MAX, i64::MIN), |(n, lo, hi), id| {
                (n + 1, lo.min(id), hi.max(id))
            });
        if rows > 0 && !(lowest >= 0 && Self::dense_enough(highest, rows)) {
            return IdIndex::Sparse(ids.enumerate().map(|(pos, id)| (id, pos)).collect());
        }
        let mut positions = vec![NONE; if rows > 0 { highest as usize + 1 } else { 0 }];
        for (pos, id) in ids.enumerate() {
            positions[id as usize] = pos as u32;
        }
        IdIndex::Dense(positions)
    }

    /// Still worth an array: ids not far beyond the number of rows.
    fn dense_enough(id: i64, rows: usize) -> bool {
        id >= 0 && (id as usize) <= 2 * rows + 1024 && rows < NONE as usize
    }

    pub(crate) fn get(&self, id: i64) -> Option<usize> {
        match self {
            IdIndex::Dense(v) => {
                let p = *v.get(usize::try_from(id).ok()?)?;
                (p != NONE).then_some(p as usize)
            }
            IdIndex::Sparse(m) => m.get(&id).copied(),
        }
    }

    pub(crate) fn insert(&mut self, id: i64, pos: usize) {
        if let IdIndex::Dense(v) = self {
            // within the array already, or not far beyond the rows
            if (0..v.len() as i64).contains(&id) || Self::dense_enough(id, pos + 1) {
                let i = id as usize;
                if i >= v.len() {
                    v.resize(i + 1, NONE);
                }
                v[i] = pos as u32;
                return;
            }
            let map = v
                .iter()
                .enumerate()
                .filter(|(_, p)| **p != NONE)
                .map(|(i, p)| (i as i64, *p as usize))
                .collect();
            *self = IdIndex::Sparse(map);
        }
        if let IdIndex::Sparse(m) = self {
            m.insert(id, pos);
        }
    }
}

impl Snapshot {
    /// Which loading of the rows this is.
    pub fn generation(&self) -> Generation {
        self.generation
    }

    /// Build the lookups; call after filling the vectors (a new generation of rows begins).
    pub fn reindex(&mut self) {
        self.generation = Generation::next();
        fn ids<T>(rows: &[T], id: impl Fn(&T) -> i64 + Clone) -> IdIndex {
            IdIndex::build(rows.iter().map(id))
        }
        self.index = Index {
            compound: ids(&self.compounds, |c| c.id),
            building: ids(&self.buildings, |b| b.id),
            team: ids(&self.teams, |t| t.id),
            ticket: ids(&self.tickets, |t| t.id),
            department: ids(&self.departments, |d| d.id),
            segment: ids(&self.segments, |s| s.id),
        };
    }

    /// Where a building sits in `buildings` (map layers keep per-position arrays).
    pub fn building_pos(&self, id: BuildingId) -> Option<usize> {
        self.index.building.get(id)
    }

    /// Where a ticket sits in `tickets`.
    pub fn ticket_pos(&self, id: TicketId) -> Option<usize> {
        self.index.ticket.get(id)
    }

    /// Where a pipe segment sits in `segments`.
    pub fn segment_pos(&self, id: SegmentId) -> Option<usize> {
        self.index.segment.get(id)
    }

    /// For each building (by position in `buildings`), its compound's position in `compounds`.
    pub fn compound_pos_by_building(&self) -> Vec<Option<usize>> {
        self.buildings
            .iter()
            .map(|b| self.compound_pos(b.compound_id))
            .collect()
    }

    /// The position in `compounds` of the compound a building belongs to.
    pub fn compound_pos_of(
        &self,
        by_building: &[Option<usize>],
        building: BuildingId,
    ) -> Option<usize> {
        by_building
            .get(self.building_pos(building)?)
            .copied()
            .flatten()
    }

    /// Where a compound sits in `compounds`.
    pub fn compound_pos(&self, id: CompoundId) -> Option<usize> {
        self.index.compound.get(id)
    }

    pub fn compound(&self, id: CompoundId) -> Option<&Compound> {
        self.index.compound.get(id).map(|i| &self.compounds[i])
    }
    pub fn building(&self, id: BuildingId) -> Option<&Building> {
        self.index.building.get(id).map(|i| &self.buildings[i])
    }
    pub fn team(&self, id: TeamId) -> Option<&Team> {
        self.index.team.get(id).map(|i| &self.teams[i])
    }
    pub fn ticket(&self, id: TicketId) -> Option<&Ticket> {
        self.index.ticket.get(id).map(|i| &self.tickets[i])
    }
    pub fn department(&self, id: DepartmentId) -> Option<&Department> {
        self.index.department.get(id).map(|i| &self.departments[i])
    }

    /// A department's name ("" for an unknown one).
    pub fn department_name(&self, id: DepartmentId) -> &str {
        self.department(id).map_or("", |d| &d.name)
    }

    /// "工银新村 3号楼", the way a dispatcher names a place.
    pub fn building_label(&self, id: BuildingId) -> String {
        match self.building(id) {
            Some(b) => building_label(
                self.compound(b.compound_id).map(|c| c.name.as_str()),
                &b.number,
            ),
            None => format!("#{id}"),
        }
    }

    /// Take changes in (a command's, or other consoles' commits): touched tickets replaced or
    /// added, new rows appended (rows already here are not added twice).
    pub fn absorb(&mut self, changes: Changes) {
        for t in changes.tickets {
            match self.index.ticket.get(t.id) {
                Some(i) => self.tickets[i] = t,
                None => {
                    self.index.ticket.insert(t.id, self.tickets.len());
                    self.tickets.push(t);
                }
            }
        }
        fn append<T>(rows: &mut Vec<T>, new: Vec<T>, id: impl Fn(&T) -> i64) {
            let last = rows.last().map_or(i64::MIN, &id);
            let mut known: std::collections::HashSet<i64> = Default::default();
            if new.first().is_some_and(|n| id(n) <= last) {
                known = rows.iter().map(&id).collect();
            }
            rows.extend(new.into_iter().filter(|n| !known.contains(&id(n))));
        }
        append(&mut self.visits, changes.visits, |v| v.id);
        append(&mut self.readings, changes.readings, |r| r.id);
        append(&mut self.surveys, changes.surveys, |s| s.id);
        for rule in changes.rules {
            self.set_rule(rule);
        }
        if let Some(kpi) = changes.kpi_rules {
            self.kpi_rules = kpi;
        }
        for team in changes.teams {
            match self.index.team.get(team.id) {
                Some(i) => self.teams[i] = team,
                None => {
                    self.index.team.insert(team.id, self.teams.len());
                    self.teams.push(team);
                }
            }
        }
        for p in changes.positions {
            match self.positions.iter_mut().find(|q| q.team_id == p.team_id) {
                Some(q) => *q = p,
                None => self.positions.push(p),
            }
        }
    }

    /// Where a team's phone last said it was.
    pub fn position_of(&self, team: TeamId) -> Option<&super::crew::TeamPosition> {
        self.positions.iter().find(|p| p.team_id == team)
    }

    /// A deadline rule set: it replaces the rule of its category and severity.
    fn set_rule(&mut self, rule: SlaRule) {
        match self
            .rules
            .iter_mut()
            .find(|r| r.category == rule.category && r.severity == rule.severity)
        {
            Some(r) => *r = rule,
            None => self.rules.push(rule),
        }
    }
}

/// "工银新村 3号楼": a building as people name it (its number alone without a known compound).
pub fn building_label(compound: Option<&str>, number: &str) -> String {
    match compound {
        Some(c) => format!("{c} {number}"),
        None => number.to_string(),
    }
}
