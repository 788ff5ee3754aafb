//! What the dispatch board shows — the queue, each team's tickets, the open tickets the map
//! counts — kept up from the touched tickets of each change.

use crate::domain::*;

/// What the map and the alerts need of an open ticket: a few bytes each, kept by id.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OpenTicket {
    pub id: TicketId,
    /// The building's position in the snapshot (None: not a known building).
    pub building: Option<u32>,
    pub deadline: Timestamp,
    pub severity: Severity,
    /// A household or network fault (not an enquiry or a complaint).
    pub fault: bool,
    /// A cold report (no heat, too cold) not yet linked to a network ticket: what complaint
    /// clusters are made of.
    pub cold: bool,
}

impl OpenTicket {
    pub fn of(snap: &Snapshot, t: &Ticket) -> Self {
        OpenTicket {
            id: t.id,
            building: snap.building_pos(t.building_id).map(|b| b as u32),
            deadline: t.deadline,
            severity: t.severity,
            fault: t.category.is_household_fault() || t.category.is_network_fault(),
            cold: counts_as_cold(t),
        }
    }
}

/// An open cold report not linked to a network ticket: what complaint clusters count.
pub fn counts_as_cold(t: &Ticket) -> bool {
    t.parent_id.is_none() && matches!(t.category, Category::LowTemperature | Category::NoHeat)
}

/// Lists the board panels draw every frame, derived once per data change.
#[derive(Debug, Clone, Default, PartialEq)]
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
    /// The board of the snapshot's tickets, with the settled season's linked reports.
    pub fn derive(snap: &Snapshot, settled: &crate::domain::kpi::Settled) -> Self {
        let mut board = Board::default();
        board.add_settled_links(settled);
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

    /// The settled season's reports linked to network tickets (they arrive behind the first
    /// frame; none is a row of the snapshot).
    pub fn add_settled_links(&mut self, settled: &crate::domain::kpi::Settled) {
        for (report, network) in settled.links() {
            let list = self.linked.entry(network).or_default();
            if !list.contains(&report) {
                list.push(report);
                list.sort_unstable();
            }
        }
    }

    /// Bring the lists up to date after a change to `touched` tickets only (a command, another
    /// console's commit): a city's board is not re-derived from 300,000 tickets each time.
    pub fn update(&mut self, snap: &Snapshot, touched: &[TicketId]) {
        if touched.is_empty() {
            return;
        }
        let set = super::id_set(touched);
        let gone = |list: &mut Vec<TicketId>| list.retain(|id| !set.contains(id));
        gone(&mut self.queued);
        self.open.retain(|o| !set.contains(&o.id));
        self.linked.values_mut().for_each(gone);
        self.open_by_team.values_mut().for_each(gone);
        let mut seen = std::collections::HashSet::new();
        for t in touched
            .iter()
            .filter(|id| seen.insert(**id))
            .filter_map(|&id| snap.ticket(id))
        {
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
