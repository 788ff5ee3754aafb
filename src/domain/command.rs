//! Every change a user can make, as one enum: the store applies it with its audit event.

use serde::{Deserialize, Serialize};

use super::lifecycle::Action;
use super::model::{
    BuildingId, Category, Channel, Severity, SlaRule, TicketId, TicketStatus, Timestamp,
};

/// A new problem as the operator types it in (受理).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewTicket {
    pub channel: Channel,
    pub category: Category,
    pub severity: Severity,
    pub building_id: BuildingId,
    pub address_detail: String,
    pub reporter_name: String,
    pub reporter_phone: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Command {
    CreateTicket(NewTicket),
    /// A lifecycle step on a ticket as the user saw it (`seen_version`): refused if stale.
    Act {
        ticket: TicketId,
        seen_version: i64,
        action: Action,
    },
    /// Edit one row of the deadline table; tickets already given a deadline keep it.
    SetSlaRule(SlaRule),
    /// A repeated report of a problem already open: recorded on that ticket instead of
    /// creating a duplicate.
    LinkReport {
        ticket: TicketId,
        channel: Channel,
        reporter_name: String,
        reporter_phone: String,
        note: String,
    },
}

/// Open tickets for the same building and category: a new report of it is probably a repeat.
pub fn likely_duplicates(
    snap: &super::snapshot::Snapshot,
    building: BuildingId,
    category: Category,
) -> Vec<TicketId> {
    snap.tickets
        .iter()
        .filter(|t| t.status.is_open() && t.building_id == building && t.category == category)
        .map(|t| t.id)
        .collect()
}

/// Who makes a change and when: written into the audit event.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    pub actor: String,
    pub at: Timestamp,
}

/// What an applied command changed, so a view can update without reloading everything.
#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    Ticket {
        ticket: Box<super::model::Ticket>,
        event: super::model::TicketEvent,
        previous: Option<TicketStatus>,
        /// The resident's answer recorded by a callback.
        survey: Option<super::model::SurveyResponse>,
    },
    Rule(SlaRule),
}
