//! Best-fit teams for a ticket: a score from distance, skills, workload and department, and
//! for every rank the reasons in words a dispatcher can check.

use super::model::{Skill, TeamId, TeamStatus, Ticket};
use super::snapshot::Snapshot;

/// How much each reason weighs (lower total is better).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SuggestWeights {
    /// per kilometre from the team to the building
    pub per_km: f64,
    /// when the team lacks the skill the category needs
    pub missing_skill: f64,
    /// per open ticket the team already has
    pub per_open_ticket: f64,
    /// when the team belongs to another service department
    pub other_department: f64,
    /// when the team is busy on site (free teams go first)
    pub busy: f64,
}

impl Default for SuggestWeights {
    fn default() -> Self {
        SuggestWeights {
            per_km: 1.0,
            missing_skill: 4.0,
            per_open_ticket: 0.8,
            other_department: 2.0,
            busy: 1.0,
        }
    }
}

/// One ranked team, with the facts its score came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub team: TeamId,
    pub score: f64,
    pub distance_km: f64,
    pub skill: Skill,
    pub has_skill: bool,
    pub open_tickets: usize,
    pub same_department: bool,
    pub status: TeamStatus,
}

/// Great-circle distance in kilometres.
pub fn distance_km(a: [f64; 2], b: [f64; 2]) -> f64 {
    let (lat1, lat2) = (a[1].to_radians(), b[1].to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b[0] - a[0]).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

/// Teams ranked for `ticket`, best first; teams off shift are left out.
pub fn suggest(snap: &Snapshot, ticket: &Ticket, weights: &SuggestWeights) -> Vec<Suggestion> {
    let Some(building) = snap.building(ticket.building_id) else {
        return Vec::new();
    };
    let at = super::model::centroid(&building.footprint);
    let department = snap.compound(building.compound_id).map(|c| c.department_id);
    let skill = ticket.category.needed_skill();
    let mut open = std::collections::HashMap::<TeamId, usize>::new();
    for t in snap
        .tickets
        .iter()
        .filter(|t| t.status.is_open() && t.id != ticket.id)
    {
        if let Some(team) = t.team_id {
            *open.entry(team).or_default() += 1;
        }
    }
    let mut ranked: Vec<Suggestion> = snap
        .teams
        .iter()
        .filter(|t| t.status != TeamStatus::OffShift)
        .map(|t| {
            let distance_km = distance_km(t.position, at);
            let has_skill = t.skills.contains(&skill);
            let open_tickets = open.get(&t.id).copied().unwrap_or(0);
            let same_department = Some(t.department_id) == department;
            let score = distance_km * weights.per_km
                + if has_skill {
                    0.0
                } else {
                    weights.missing_skill
                }
                + open_tickets as f64 * weights.per_open_ticket
                + if same_department {
                    0.0
                } else {
                    weights.other_department
                }
                + if t.status == TeamStatus::OnSite {
                    weights.busy
                } else {
                    0.0
                };
            Suggestion {
                team: t.id,
                score,
                distance_km,
                skill,
                has_skill,
                open_tickets,
                same_department,
                status: t.status,
            }
        })
        .collect();
    ranked.sort_by(|a, b| a.score.total_cmp(&b.score).then(a.team.cmp(&b.team)));
    ranked
}
