//! Everything a console shows, loaded once from the store and updated by applied commands.

use std::collections::HashMap;

use super::command::Applied;
use super::model::*;

#[derive(Debug, Clone, Default)]
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
    pub(crate) index: Index,
}

/// Id → position lookups, rebuilt when rows are added.
#[derive(Debug, Clone, Default)]
pub(crate) struct Index {
    compound: HashMap<CompoundId, usize>,
    building: HashMap<BuildingId, usize>,
    team: HashMap<TeamId, usize>,
    ticket: HashMap<TicketId, usize>,
    department: HashMap<DepartmentId, usize>,
    segment: HashMap<SegmentId, usize>,
}

impl Snapshot {
    /// Build the lookups; call after filling the vectors.
    pub fn reindex(&mut self) {
        fn ids<T>(rows: &[T], id: impl Fn(&T) -> i64) -> HashMap<i64, usize> {
            rows.iter().enumerate().map(|(i, r)| (id(r), i)).collect()
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
        self.index.building.get(&id).copied()
    }

    /// Where a pipe segment sits in `segments`.
    pub fn segment_pos(&self, id: SegmentId) -> Option<usize> {
        self.index.segment.get(&id).copied()
    }

    /// Where a compound sits in `compounds`.
    pub fn compound_pos(&self, id: CompoundId) -> Option<usize> {
        self.index.compound.get(&id).copied()
    }

    pub fn compound(&self, id: CompoundId) -> Option<&Compound> {
        self.index.compound.get(&id).map(|&i| &self.compounds[i])
    }
    pub fn building(&self, id: BuildingId) -> Option<&Building> {
        self.index.building.get(&id).map(|&i| &self.buildings[i])
    }
    pub fn team(&self, id: TeamId) -> Option<&Team> {
        self.index.team.get(&id).map(|&i| &self.teams[i])
    }
    pub fn ticket(&self, id: TicketId) -> Option<&Ticket> {
        self.index.ticket.get(&id).map(|&i| &self.tickets[i])
    }
    pub fn department(&self, id: DepartmentId) -> Option<&Department> {
        self.index
            .department
            .get(&id)
            .map(|&i| &self.departments[i])
    }

    /// "工银新村 3号楼", the way a dispatcher names a place.
    pub fn building_label(&self, id: BuildingId) -> String {
        match self.building(id) {
            Some(b) => match self.compound(b.compound_id) {
                Some(c) => format!("{} {}", c.name, b.number),
                None => b.number.clone(),
            },
            None => format!("#{id}"),
        }
    }

    /// Fold an applied command into the snapshot (the store has already committed it).
    pub fn absorb(&mut self, applied: &Applied) {
        match applied {
            Applied::Ticket { ticket, survey, .. } => {
                match self.index.ticket.get(&ticket.id) {
                    Some(&i) => self.tickets[i] = (**ticket).clone(),
                    None => {
                        self.index.ticket.insert(ticket.id, self.tickets.len());
                        self.tickets.push((**ticket).clone());
                    }
                }
                if let Some(s) = survey {
                    self.surveys.push(s.clone());
                }
            }
            Applied::Rule(rule) => {
                match self
                    .rules
                    .iter_mut()
                    .find(|r| r.category == rule.category && r.severity == rule.severity)
                {
                    Some(r) => *r = *rule,
                    None => self.rules.push(*rule),
                }
            }
        }
    }
}
