//! What the dispatch board shows, derived from the tickets once per data change.

use crate::domain::*;
use crate::map::OpenTicket;

/// Lists the board panels draw every frame, derived once per data change.
#[derive(Debug, Clone, Default)]
pub struct Board {
    /// Tickets waiting in the queue (received or escalated), except those a network ticket
    /// already covers.
    pub queued: Vec<TicketId>,
    /// Each network ticket's linked household reports.
    pub linked: std::collections::HashMap<TicketId, Vec<TicketId>>,
    /// Each team's open tickets, oldest first.
    pub open_by_team: std::collections::HashMap<TeamId, Vec<TicketId>>,
    /// Every open ticket, by id, as the map counts it: a season's closed tickets are most of a
    /// city's 300,000 and count for nothing there, and these few bytes each stay in the cache
    /// where the tickets themselves would not.
    pub open: Vec<OpenTicket>,
}

impl Board {
    pub fn derive(snap: &Snapshot) -> Self {
        let mut board = Board::default();
        for t in &snap.tickets {
            if t.status.in_queue() && t.parent_id.is_none() {
                board.queued.push(t.id);
            }
            if let Some(parent) = t.parent_id {
                board.linked.entry(parent).or_default().push(t.id);
            }
            if let Some(team) = t.team_id
                && t.status.is_open()
            {
                board.open_by_team.entry(team).or_default().push(t.id);
            }
            if t.status.is_open() {
                board.open.push(OpenTicket::of(snap, t));
            }
        }
        // kept by id: updates find their place by binary search
        board.open.sort_unstable_by_key(|o| o.id);
        // the season's older tickets sit after the recent ones: lists by id all the same
        board.linked.values_mut().for_each(|l| l.sort_unstable());
        board
    }

    /// Bring the lists up to date after a change to `touched` tickets only (a command, another
    /// console's commit): a city's board is not re-derived from 300,000 tickets each time.
    pub fn update(&mut self, snap: &Snapshot, touched: &[TicketId]) {
        let gone = |list: &mut Vec<TicketId>| list.retain(|id| !touched.contains(id));
        gone(&mut self.queued);
        self.open.retain(|o| !touched.contains(&o.id));
        self.linked.values_mut().for_each(gone);
        self.open_by_team.values_mut().for_each(gone);
        for t in touched.iter().filter_map(|&id| snap.ticket(id)) {
            if t.status.is_open()
                && let Err(at) = self.open.binary_search_by_key(&t.id, |o| o.id)
            {
                self.open.insert(at, OpenTicket::of(snap, t));
            }
            if t.status.in_queue() && t.parent_id.is_none() {
                self.queued.push(t.id);
            }
            if let Some(parent) = t.parent_id {
                let list = self.linked.entry(parent).or_default();
                list.push(t.id);
                list.sort_unstable();
            }
            if let Some(team) = t.team_id
                && t.status.is_open()
            {
                let list = self.open_by_team.entry(team).or_default();
                list.push(t.id);
                list.sort_unstable();
            }
        }
    }
}
