//! What the dispatch board shows, derived from the tickets once per data change.

use crate::domain::*;

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
        }
        board
    }
}
