//! Builders shared by the tests that work on hand-made data sets.
#![allow(dead_code)]

pub mod console;

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

/// A store with one department, compound, building (fed by one station) and two teams.
pub fn tiny_store(dir: &std::path::Path) -> heatdesk::store::SqliteStore {
    let path = dir.join("tiny.db");
    let mut store = heatdesk::store::SqliteStore::create(&path).unwrap();
    store
        .connection()
        .execute_batch(
            "INSERT INTO departments VALUES (1, '城西供热服务部');
             INSERT INTO compounds VALUES (1, '工银新村', '建设路1号', 1, 120, x'');
             INSERT INTO network_nodes VALUES (1, 'station', 112.5, 37.8), (2, 'building_entry', 112.5, 37.8);
             INSERT INTO stations VALUES (1, '工银换热站', 1, 1, 112.5, 37.8);
             INSERT INTO buildings VALUES (1, 1, '1号楼', 3, 6, 36, 1, 2, x'');
             INSERT INTO teams VALUES (1, '城西维修一班', 1, '[\"张三\"]', 'valve', 112.5, 37.8, 112.5, 37.8, 'free'),
                                      (2, '城西维修二班', 1, '[\"李四\"]', 'radiator', 112.5, 37.8, 112.5, 37.8, 'free');",
        )
        .unwrap();
    store
}
