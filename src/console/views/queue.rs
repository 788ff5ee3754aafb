//! The queue as a dispatcher filters and sorts it: the tickets waiting for a team, deadline
//! first by default, from the board's list of queued tickets (a frame never walks the season).

use crate::domain::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueueSort {
    #[default]
    Deadline,
    Created,
    Severity,
}

/// Which queued tickets are shown, and in what order.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct QueueFilter {
    pub channel: Option<Channel>,
    pub category: Option<Category>,
    pub severity: Option<Severity>,
    pub department: Option<DepartmentId>,
    pub overdue_only: bool,
    pub sort: QueueSort,
}

impl QueueFilter {
    /// The queue as filtered and sorted (deadline first by default).
    pub fn apply(&self, snap: &Snapshot, now: chrono::NaiveDateTime) -> Vec<TicketId> {
        let queued: Vec<TicketId> = snap
            .tickets
            .iter()
            .filter(|t| t.status.in_queue())
            .map(|t| t.id)
            .collect();
        self.apply_to(snap, &queued, now)
    }

    /// The same over tickets already known to be queued (the console keeps that list per data
    /// change, so a frame never walks every ticket of the season).
    pub fn apply_to(
        &self,
        snap: &Snapshot,
        queued: &[TicketId],
        now: chrono::NaiveDateTime,
    ) -> Vec<TicketId> {
        let department_of = |t: &Ticket| {
            snap.building(t.building_id)
                .and_then(|b| snap.compound(b.compound_id))
                .map(|c| c.department_id)
        };
        let mut rows: Vec<&Ticket> = queued
            .iter()
            .filter_map(|&id| snap.ticket(id))
            .filter(|t| t.status.in_queue())
            .filter(|t| self.channel.is_none_or(|c| t.channel == c))
            .filter(|t| self.category.is_none_or(|c| t.category == c))
            .filter(|t| self.severity.is_none_or(|s| t.severity == s))
            .filter(|t| self.department.is_none_or(|d| department_of(t) == Some(d)))
            .filter(|t| !self.overdue_only || t.is_overdue(now))
            .collect();
        match self.sort {
            QueueSort::Deadline => rows.sort_by_key(|t| (t.deadline, t.id)),
            QueueSort::Created => rows.sort_by_key(|t| (t.created_at, t.id)),
            QueueSort::Severity => {
                rows.sort_by_key(|t| (std::cmp::Reverse(t.severity), t.deadline, t.id))
            }
        }
        rows.into_iter().map(|t| t.id).collect()
    }
}

/// What the queue list is made from: the board (its version), the filter, and the minute
/// (for "overdue only").
#[derive(Debug, Clone, Copy, PartialEq)]
struct QueueKey {
    board: u64,
    filter: QueueFilter,
    minute: i64,
}

/// The queue as last filtered and sorted.
#[derive(Debug, Default)]
pub struct QueueList {
    kept: super::memo::Memo<QueueKey, Vec<TicketId>>,
}

impl QueueList {
    /// The rows for `filter` over `queued` (the board at `board_version`), sorted again only
    /// when one of those or the minute moved.
    pub fn rows(
        &mut self,
        snap: &Snapshot,
        queued: &[TicketId],
        board_version: u64,
        filter: QueueFilter,
        now: Timestamp,
    ) -> &[TicketId] {
        let key = QueueKey {
            board: board_version,
            filter,
            minute: now.and_utc().timestamp() / 60,
        };
        self.kept.get(key, |_| filter.apply_to(snap, queued, now))
    }
}
