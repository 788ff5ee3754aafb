//! What the map counts per building and compound: open tickets, overdue ones, the worst
//! severity and the ticket a building's pin opens — from the board's open tickets only.

use crate::domain::{Severity, Snapshot, TicketId, Timestamp};

use super::board::OpenTicket;

/// Counts per building (positions as in the snapshot) and per compound.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MapCounts {
    pub open_by_building: Vec<u32>,
    pub open_by_compound: Vec<u32>,
    /// Overdue open tickets per compound (a cluster bubble is ringed for any).
    pub overdue_by_compound: Vec<u32>,
    /// Worst severity per compound (0 none … 3 emergency), as per building.
    pub worst_by_compound: Vec<u8>,
    pub overdue_by_building: Vec<u32>,
    /// Open household or network faults per building.
    pub faults_by_building: Vec<u32>,
    /// Worst severity of the open tickets per building (0 none, 1 normal, 2 urgent, 3 emergency).
    pub worst_by_building: Vec<u8>,
    /// The open ticket with the earliest deadline per building (what its pin opens).
    pub first_ticket_by_building: Vec<Option<TicketId>>,
}

impl MapCounts {
    /// Counted in one pass over the open tickets (a few thousand in a city, not the season).
    pub fn count(snap: &Snapshot, open: &[OpenTicket], now: Timestamp) -> Self {
        let n = snap.buildings.len();
        let mut c = MapCounts {
            open_by_building: vec![0; n],
            open_by_compound: vec![0; snap.compounds.len()],
            overdue_by_compound: vec![0; snap.compounds.len()],
            worst_by_compound: vec![0; snap.compounds.len()],
            overdue_by_building: vec![0; n],
            faults_by_building: vec![0; n],
            worst_by_building: vec![0; n],
            first_ticket_by_building: vec![None; n],
        };
        let mut first_deadline = vec![None; n];
        for t in open {
            let Some(bi) = t.building.map(|b| b as usize) else {
                continue;
            };
            c.open_by_building[bi] += 1;
            if now > t.deadline {
                c.overdue_by_building[bi] += 1;
            }
            if t.fault {
                c.faults_by_building[bi] += 1;
            }
            let sev = match t.severity {
                Severity::Normal => 1,
                Severity::Urgent => 2,
                Severity::Emergency => 3,
            };
            c.worst_by_building[bi] = c.worst_by_building[bi].max(sev);
            if first_deadline[bi].is_none_or(|d| t.deadline < d) {
                first_deadline[bi] = Some(t.deadline);
                c.first_ticket_by_building[bi] = Some(t.id);
            }
        }
        for (bi, &count) in c.open_by_building.iter().enumerate() {
            if count > 0
                && let Some(ci) = snap.compound_pos(snap.buildings[bi].compound_id)
            {
                c.open_by_compound[ci] += count;
                c.overdue_by_compound[ci] += c.overdue_by_building[bi];
                c.worst_by_compound[ci] = c.worst_by_compound[ci].max(c.worst_by_building[bi]);
            }
        }
        c
    }
}
