//! Builders shared by the tests that work on hand-made data sets.
#![allow(dead_code)]

use heatdesk::domain::*;

/// A received hotline report of `category` in `building`, due to be fixed by `deadline`.
pub fn ticket(
    id: TicketId,
    building: BuildingId,
    category: Category,
    created: Timestamp,
    deadline: Timestamp,
) -> Ticket {
    let new = NewTicket {
        channel: Channel::Hotline,
        category,
        severity: Severity::Normal,
        building_id: building,
        address_detail: String::new(),
        reporter_name: String::new(),
        reporter_phone: String::new(),
        description: String::new(),
    };
    Ticket::received(id, &new, created, (created, deadline))
}
