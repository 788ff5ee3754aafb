//! Tickets as a table, as the queue shows them (numbers masked). Layers and data files for
//! GIS tools and re-import are in [`crate::exchange::writer`].

use super::{Cell, Table};
use crate::domain::{Snapshot, TicketId};
use crate::words::format::mask_phone;
use crate::words::{self, Lang};

/// Tickets as a table, in the order given (the queue as filtered on screen); numbers masked.
pub fn tickets(snap: &Snapshot, ids: &[TicketId], lang: Lang) -> Table {
    Table {
        title: lang.pick("工单", "Tickets").into(),
        headers: [
            lang.pick("工单号", "Ticket"),
            lang.pick("渠道", "Channel"),
            lang.pick("类别", "Category"),
            lang.pick("紧急程度", "Severity"),
            lang.pick("状态", "Status"),
            lang.pick("地址", "Address"),
            lang.pick("报修人", "Reporter"),
            lang.pick("描述", "Description"),
            lang.pick("班组", "Team"),
            lang.pick("受理时间", "Received"),
            lang.pick("处置时限", "Deadline"),
        ]
        .map(String::from)
        .to_vec(),
        rows: ids
            .iter()
            .filter_map(|&id| snap.ticket(id))
            .map(|t| {
                vec![
                    Cell::from(format!("#{}", t.id)),
                    words::channel(lang, t.channel).into(),
                    words::category(lang, t.category).into(),
                    words::severity(lang, t.severity).into(),
                    words::status(lang, t.status).into(),
                    format!(
                        "{} {}",
                        snap.building_label(t.building_id),
                        t.address_detail
                    )
                    .into(),
                    format!("{} {}", t.reporter_name, mask_phone(&t.reporter_phone)).into(),
                    t.description.clone().into(),
                    t.team_id
                        .and_then(|id| snap.team(id))
                        .map_or(String::new(), |x| x.name.clone())
                        .into(),
                    t.created_at.format("%Y-%m-%d %H:%M").to_string().into(),
                    t.deadline.format("%Y-%m-%d %H:%M").to_string().into(),
                ]
            })
            .collect(),
    }
}
