//! Reading the database into a [`Snapshot`] and a ticket's history.

use rusqlite::{Connection, Row};

use super::codec::{Code, Path, Rings, time_from_sql, time_to_sql};
use crate::domain::batch::Table;
use crate::domain::*;
use crate::store::{KnownIds, OlderRow, StoreError};

fn all<T>(
    conn: &Connection,
    sql: &str,
    map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([], map)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

pub(super) fn time(row: &Row<'_>, i: usize) -> rusqlite::Result<Timestamp> {
    Ok(time_from_sql(row.get(i)?))
}

fn opt_time(row: &Row<'_>, i: usize) -> rusqlite::Result<Option<Timestamp>> {
    Ok(row.get::<_, Option<i64>>(i)?.map(time_from_sql))
}

/// The city and its network: what only imports change (not yet indexed).
pub fn places(conn: &Connection) -> Result<Snapshot, StoreError> {
    Ok(Snapshot {
        departments: all(conn, "SELECT id, name FROM departments ORDER BY id", |r| {
            Ok(Department {
                id: r.get(0)?,
                name: r.get(1)?,
            })
        })?,
        compounds: all(
            conn,
            "SELECT id, name, address, department_id, households, outline, extra_rings
             FROM compounds ORDER BY id",
            |r| {
                Ok(Compound {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    address: r.get(2)?,
                    department_id: r.get(3)?,
                    households: r.get(4)?,
                    outline: r.get::<_, Path>(5)?.0,
                    extra: r.get::<_, Rings>(6)?.0,
                })
            },
        )?,
        buildings: all(
            conn,
            "SELECT id, compound_id, number, units, floors, households, station_id, entry_node_id,
                    footprint, extra_rings
             FROM buildings ORDER BY id",
            |r| {
                Ok(Building {
                    id: r.get(0)?,
                    compound_id: r.get(1)?,
                    number: r.get(2)?,
                    units: r.get(3)?,
                    floors: r.get(4)?,
                    households: r.get(5)?,
                    station_id: r.get(6)?,
                    entry_node: r.get(7)?,
                    footprint: r.get::<_, Path>(8)?.0,
                    extra: r.get::<_, Rings>(9)?.0,
                })
            },
        )?,
        sources: all(
            conn,
            "SELECT id, name, node_id, capacity_mw, lon, lat FROM heat_sources ORDER BY id",
            |r| {
                Ok(HeatSource {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    node: r.get(2)?,
                    capacity_mw: r.get(3)?,
                    position: [r.get(4)?, r.get(5)?],
                })
            },
        )?,
        stations: all(
            conn,
            "SELECT id, name, department_id, node_id, lon, lat FROM stations ORDER BY id",
            |r| {
                Ok(Station {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    department_id: r.get(2)?,
                    node: r.get(3)?,
                    position: [r.get(4)?, r.get(5)?],
                })
            },
        )?,
        nodes: all(
            conn,
            "SELECT id, kind, lon, lat FROM network_nodes ORDER BY id",
            |r| {
                Ok(NetworkNode {
                    id: r.get(0)?,
                    kind: r.get::<_, Code<NodeKind>>(1)?.0,
                    position: [r.get(2)?, r.get(3)?],
                })
            },
        )?,
        segments: all(
            conn,
            "SELECT id, from_node, to_node, tier, flow, dn, laid_year, path FROM pipe_segments ORDER BY id",
            |r| {
                Ok(PipeSegment {
                    id: r.get(0)?,
                    from: r.get(1)?,
                    to: r.get(2)?,
                    tier: r.get::<_, Code<Tier>>(3)?.0,
                    flow: r.get::<_, Code<Flow>>(4)?.0,
                    dn: r.get(5)?,
                    laid_year: r.get(6)?,
                    path: r.get::<_, Path>(7)?.0,
                })
            },
        )?,
        valves: all(
            conn,
            "SELECT id, segment_id, lon, lat, operable FROM valves ORDER BY id",
            |r| {
                Ok(Valve {
                    id: r.get(0)?,
                    segment: r.get(1)?,
                    position: [r.get(2)?, r.get(3)?],
                    operable: r.get(4)?,
                })
            },
        )?,
        teams: all(
            conn,
            &format!("{} ORDER BY id", super::crew::TEAM_COLUMNS),
            super::crew::team_row,
        )?,
        ..Snapshot::default()
    })
}

/// The tickets the recent load leaves for later: closed, and received, due and last changed
/// before the given time.
const OLDER_TICKETS: &str = "status IN ('fixed', 'callback_done', 'closed')
    AND created_at < ?1 AND deadline < ?1 AND updated_at < ?1";

/// What commands change — tickets, visits, readings, answers, rules — read in one
/// transaction so they agree with each other. With `since`, only what the first frame needs:
/// every open ticket and those received, due or changed since then, and the answers since
/// then ([`older_activity`] reads the rest); visits and readings whole either way.
pub fn activity(
    conn: &Connection,
    s: &mut Snapshot,
    since: Option<Timestamp>,
) -> Result<super::changes::Mark, StoreError> {
    let tx = conn.unchecked_transaction()?;
    let conn = &*tx;
    let read_to = super::changes::mark(conn)?;
    match since {
        None => {
            s.tickets = all(conn, &format!("{TICKET_COLUMNS} ORDER BY id"), ticket_row)?;
            activity_tails(conn, true, s)?;
        }
        Some(since) => {
            let since = time_to_sql(since);
            s.tickets = all_since(
                since,
                conn,
                &format!("{TICKET_COLUMNS} WHERE NOT ({OLDER_TICKETS}) ORDER BY id"),
                ticket_row,
            )?;
            activity_tails(conn, false, s)?;
            s.surveys = all_since(
                since,
                conn,
                &format!("{SURVEY_COLUMNS} WHERE at >= ?1 ORDER BY id"),
                survey_row,
            )?;
        }
    }
    s.rules = rules(conn)?;
    s.kpi_rules = setting(conn, "kpi_rules")?.unwrap_or_default();
    // teams move (their phones report): read with the activity, as of the same mark
    s.teams = all(
        conn,
        &format!("{} ORDER BY id", super::crew::TEAM_COLUMNS),
        super::crew::team_row,
    )?;
    s.positions = super::crew::positions(conn)?;
    Ok(read_to)
}

/// The season before `since` that [`activity`] left out — closed tickets, then answers — row
/// by row to `each` (a city's season is not held as rows while it is read).
pub fn older_activity(
    conn: &Connection,
    since: Timestamp,
    each: &mut dyn FnMut(OlderRow),
) -> Result<(), StoreError> {
    let tx = conn.unchecked_transaction()?;
    let conn = &*tx;
    let since = time_to_sql(since);
    let mut st = conn.prepare(&format!(
        "{TICKET_COLUMNS} WHERE {OLDER_TICKETS} ORDER BY id"
    ))?;
    let mut rows = st.query([since])?;
    while let Some(r) = rows.next()? {
        each(OlderRow::Ticket(ticket_row(r)?));
    }
    let mut st = conn.prepare(&format!("{SURVEY_COLUMNS} WHERE at < ?1 ORDER BY id"))?;
    let mut rows = st.query([since])?;
    while let Some(r) = rows.next()? {
        each(OlderRow::Answer(survey_row(r)?));
    }
    Ok(())
}

/// The rows of a table and the company's ids for them.
pub fn known_ids(conn: &Connection, table: Table) -> Result<KnownIds, StoreError> {
    let mut st = conn.prepare("SELECT external_id, id FROM external_ids WHERE kind = ?1")?;
    let external = st
        .query_map([table.code()], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut st = conn.prepare(&format!("SELECT id FROM {}", table_name(table)))?;
    let rows = st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    Ok(KnownIds { rows, external })
}

/// The SQL table a batch table lives in (the same in every store).
pub fn table_name(table: Table) -> &'static str {
    match table {
        Table::Departments => "departments",
        Table::Compounds => "compounds",
        Table::Buildings => "buildings",
        Table::Sources => "heat_sources",
        Table::Stations => "stations",
        Table::Nodes => "network_nodes",
        Table::Pipes => "pipe_segments",
        Table::Valves => "valves",
        Table::Teams => "teams",
        Table::Tickets => "tickets",
        Table::Visits => "visits",
        Table::Readings => "temperature_readings",
        Table::Surveys => "survey_responses",
    }
}

pub fn rules(conn: &Connection) -> Result<Vec<SlaRule>, StoreError> {
    all(
        conn,
        "SELECT category, severity, respond_minutes, resolve_minutes FROM sla_rules
         ORDER BY category, severity",
        |r| {
            Ok(SlaRule {
                category: r.get::<_, Code<Category>>(0)?.0,
                severity: r.get::<_, Code<Severity>>(1)?.0,
                respond_minutes: r.get(2)?,
                resolve_minutes: r.get(3)?,
            })
        },
    )
}

pub const TICKET_COLUMNS: &str = "SELECT id, version, channel, category, severity, building_id,
    address_detail, reporter_name, reporter_phone, description, status, team_id, created_at,
    respond_by, deadline, updated_at, fixed_at, closed_at, timely, satisfaction, parent_id, segment_id FROM tickets";

pub fn ticket_row(r: &Row<'_>) -> rusqlite::Result<Ticket> {
    Ok(Ticket {
        id: r.get(0)?,
        version: r.get(1)?,
        channel: r.get::<_, Code<Channel>>(2)?.0,
        category: r.get::<_, Code<Category>>(3)?.0,
        severity: r.get::<_, Code<Severity>>(4)?.0,
        building_id: r.get(5)?,
        address_detail: r.get(6)?,
        reporter_name: r.get(7)?,
        reporter_phone: r.get(8)?,
        description: r.get(9)?,
        status: r.get::<_, Code<TicketStatus>>(10)?.0,
        team_id: r.get(11)?,
        created_at: time(r, 12)?,
        respond_by: time(r, 13)?,
        deadline: time(r, 14)?,
        updated_at: time(r, 15)?,
        fixed_at: opt_time(r, 16)?,
        closed_at: opt_time(r, 17)?,
        timely: r.get(18)?,
        satisfaction: r.get::<_, Option<Code<SurveyAnswer>>>(19)?.map(|c| c.0),
        parent_id: r.get(20)?,
        segment_id: r.get(21)?,
    })
}

pub fn history(conn: &Connection, ticket: TicketId) -> Result<Vec<TicketEvent>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT id, ticket_id, at, actor, action, from_status, to_status, team_id, note
         FROM ticket_events WHERE ticket_id = ?1 ORDER BY at, id",
    )?;
    let rows = stmt.query_map([ticket], event_row)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

pub(super) fn event_row(r: &Row<'_>) -> rusqlite::Result<TicketEvent> {
    Ok(TicketEvent {
        id: r.get(0)?,
        ticket_id: r.get(1)?,
        at: time(r, 2)?,
        actor: r.get(3)?,
        action: r.get(4)?,
        from_status: r.get::<_, Option<Code<TicketStatus>>>(5)?.map(|c| c.0),
        to_status: r.get::<_, Code<TicketStatus>>(6)?.0,
        team_id: r.get(7)?,
        note: r.get(8)?,
    })
}

pub fn basemap(conn: &Connection) -> Result<Vec<BasemapFeature>, StoreError> {
    all(
        conn,
        "SELECT id, kind, name, width_m, geometry FROM basemap_features ORDER BY id",
        |r| {
            Ok(BasemapFeature {
                id: r.get(0)?,
                kind: r.get::<_, Code<BasemapKind>>(1)?.0,
                name: r.get(2)?,
                width_m: r.get(3)?,
                geometry: r.get::<_, Path>(4)?.0,
            })
        },
    )
}

/// A company setting stored as JSON; None when never set.
pub fn setting<T: serde::de::DeserializeOwned>(
    conn: &Connection,
    key: &str,
) -> Result<Option<T>, StoreError> {
    use rusqlite::OptionalExtension;
    let json: Option<String> = conn
        .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .optional()?;
    json.map(|j| {
        serde_json::from_str(&j).map_err(|e| StoreError::Invalid(format!("setting {key}: {e}")))
    })
    .transpose()
}

/// Every visit and reading, and (with `answers`) every answer.
fn activity_tails(conn: &Connection, answers: bool, s: &mut Snapshot) -> Result<(), StoreError> {
    s.visits = all(conn, &format!("{VISIT_COLUMNS} ORDER BY id"), visit_row)?;
    s.readings = all(conn, &format!("{READING_COLUMNS} ORDER BY id"), reading_row)?;
    if answers {
        s.surveys = all(conn, &format!("{SURVEY_COLUMNS} ORDER BY id"), survey_row)?;
    }
    Ok(())
}

pub const VISIT_COLUMNS: &str = "SELECT id, compound_id, at, leaders, consultation_desk,
    households_entered, notes, staff FROM visits";

pub fn visit_row(r: &Row<'_>) -> rusqlite::Result<Visit> {
    Ok(Visit {
        id: r.get(0)?,
        compound_id: r.get(1)?,
        at: time(r, 2)?,
        leaders: r.get(3)?,
        consultation_desk: r.get(4)?,
        households_entered: r.get(5)?,
        notes: r.get(6)?,
        staff: r.get(7)?,
    })
}

pub const READING_COLUMNS: &str = "SELECT id, building_id, visit_id, room, celsius, method,
    taken_at, taken_by FROM temperature_readings";

pub fn reading_row(r: &Row<'_>) -> rusqlite::Result<TemperatureReading> {
    Ok(TemperatureReading {
        id: r.get(0)?,
        building_id: r.get(1)?,
        visit_id: r.get(2)?,
        room: r.get(3)?,
        celsius: r.get(4)?,
        method: r.get::<_, Code<TempMethod>>(5)?.0,
        taken_at: time(r, 6)?,
        taken_by: r.get(7)?,
    })
}

pub const SURVEY_COLUMNS: &str =
    "SELECT id, building_id, ticket_id, visit_id, answer, at FROM survey_responses";

pub fn survey_row(r: &Row<'_>) -> rusqlite::Result<SurveyResponse> {
    Ok(SurveyResponse {
        id: r.get(0)?,
        building_id: r.get(1)?,
        ticket_id: r.get(2)?,
        visit_id: r.get(3)?,
        answer: r.get::<_, Code<SurveyAnswer>>(4)?.0,
        at: time(r, 5)?,
    })
}

fn all_since<T>(
    since: i64,
    conn: &Connection,
    sql: &str,
    map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, StoreError> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([since], map)?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

/// Every ticket's trail, in id order.
pub fn all_events(conn: &Connection) -> Result<Vec<TicketEvent>, StoreError> {
    all(
        conn,
        "SELECT id, ticket_id, at, actor, action, from_status, to_status, team_id, note
         FROM ticket_events ORDER BY id",
        event_row,
    )
}

/// The audit records of changes that are not ticket steps.
pub fn audit(conn: &Connection) -> Result<Vec<crate::store::AuditEvent>, StoreError> {
    all(
        conn,
        "SELECT id, at, actor, command, detail FROM audit_events ORDER BY id",
        |r| {
            Ok(crate::store::AuditEvent {
                id: r.get(0)?,
                at: time(r, 1)?,
                actor: r.get(2)?,
                command: r.get(3)?,
                detail: r.get(4)?,
            })
        },
    )
}

/// The company's ids of every table.
pub fn external_ids(conn: &Connection) -> Result<Vec<(String, String, i64)>, StoreError> {
    all(
        conn,
        "SELECT kind, external_id, id FROM external_ids ORDER BY kind, external_id",
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
}
