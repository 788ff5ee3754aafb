//! Reading a PostgreSQL database into a [`Snapshot`]: the city, the season's activity (all of
//! it, or what the first frame needs), the settled season as a stream, one ticket's trail, and
//! the change log other consoles' commits are read from.

use postgres::GenericClient;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;

use crate::domain::batch::Table;
use crate::domain::*;
use crate::store::blob::{decode_path, decode_rings};
use crate::store::{KnownIds, OlderRow, StoreError};

/// A PostgreSQL row's column as one of the domain's coded values.
fn code<T>(r: &postgres::Row, i: usize, from: fn(&str) -> Option<T>) -> Result<T, StoreError> {
    let text: String = r.try_get(i)?;
    from(&text).ok_or_else(|| StoreError::Invalid(format!("unknown code {text:?}")))
}

fn opt_code<T>(
    r: &postgres::Row,
    i: usize,
    from: fn(&str) -> Option<T>,
) -> Result<Option<T>, StoreError> {
    let text: Option<String> = r.try_get(i)?;
    text.map(|t| from(&t).ok_or_else(|| StoreError::Invalid(format!("unknown code {t:?}"))))
        .transpose()
}

fn path(r: &postgres::Row, i: usize) -> Result<Vec<LonLat>, StoreError> {
    let bytes: &[u8] = r.try_get(i)?;
    decode_path(bytes).ok_or_else(|| StoreError::Invalid("a geometry is not whole".into()))
}

fn rings(r: &postgres::Row, i: usize) -> Result<ExtraRings, StoreError> {
    let text: Option<&str> = r.try_get(i)?;
    decode_rings(text).map_err(|e| StoreError::Invalid(format!("holes or parts: {e}")))
}

fn count(r: &postgres::Row, i: usize) -> Result<u32, StoreError> {
    let n: i32 = r.try_get(i)?;
    u32::try_from(n).map_err(|_| StoreError::Invalid(format!("{n} is not a count")))
}

fn rows<T>(
    client: &mut impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
    map: impl Fn(&postgres::Row) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    // row by row as they arrive: a season's 300,000 tickets are never held twice
    let mut it = client.query_raw(sql, params.iter().copied())?;
    let mut out = Vec::with_capacity(it.rows_affected().unwrap_or(0) as usize);
    while let Some(r) = postgres::fallible_iterator::FallibleIterator::next(&mut it)? {
        out.push(map(&r)?);
    }
    Ok(out)
}

/// The city and its network (not yet indexed).
pub fn places(c: &mut impl GenericClient) -> Result<Snapshot, StoreError> {
    Ok(Snapshot {
        departments: rows(
            c,
            "SELECT id, name FROM departments ORDER BY id",
            &[],
            |r| {
                Ok(Department {
                    id: r.try_get(0)?,
                    name: r.try_get(1)?,
                })
            },
        )?,
        compounds: rows(
            c,
            "SELECT id, name, address, department_id, households, outline, extra_rings
             FROM compounds ORDER BY id",
            &[],
            |r| {
                Ok(Compound {
                    id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    address: r.try_get(2)?,
                    department_id: r.try_get(3)?,
                    households: count(r, 4)?,
                    outline: path(r, 5)?,
                    extra: rings(r, 6)?,
                })
            },
        )?,
        buildings: rows(
            c,
            "SELECT id, compound_id, number, units, floors, households, station_id, entry_node_id,
                    footprint, extra_rings
             FROM buildings ORDER BY id",
            &[],
            |r| {
                Ok(Building {
                    id: r.try_get(0)?,
                    compound_id: r.try_get(1)?,
                    number: r.try_get(2)?,
                    units: count(r, 3)?,
                    floors: count(r, 4)?,
                    households: count(r, 5)?,
                    station_id: r.try_get(6)?,
                    entry_node: r.try_get(7)?,
                    footprint: path(r, 8)?,
                    extra: rings(r, 9)?,
                })
            },
        )?,
        sources: rows(
            c,
            "SELECT id, name, node_id, capacity_mw, lon, lat FROM heat_sources ORDER BY id",
            &[],
            |r| {
                Ok(HeatSource {
                    id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    node: r.try_get(2)?,
                    capacity_mw: r.try_get(3)?,
                    position: [r.try_get(4)?, r.try_get(5)?],
                })
            },
        )?,
        stations: rows(
            c,
            "SELECT id, name, department_id, node_id, lon, lat FROM stations ORDER BY id",
            &[],
            |r| {
                Ok(Station {
                    id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    department_id: r.try_get(2)?,
                    node: r.try_get(3)?,
                    position: [r.try_get(4)?, r.try_get(5)?],
                })
            },
        )?,
        nodes: rows(
            c,
            "SELECT id, kind, lon, lat FROM network_nodes ORDER BY id",
            &[],
            |r| {
                Ok(NetworkNode {
                    id: r.try_get(0)?,
                    kind: code(r, 1, NodeKind::from_code)?,
                    position: [r.try_get(2)?, r.try_get(3)?],
                })
            },
        )?,
        segments: rows(
            c,
            "SELECT id, from_node, to_node, tier, flow, dn, laid_year, path FROM pipe_segments ORDER BY id",
            &[],
            |r| {
                Ok(PipeSegment {
                    id: r.try_get(0)?,
                    from: r.try_get(1)?,
                    to: r.try_get(2)?,
                    tier: code(r, 3, Tier::from_code)?,
                    flow: code(r, 4, Flow::from_code)?,
                    dn: count(r, 5)?,
                    laid_year: u16::try_from(r.try_get::<_, i32>(6)?).unwrap_or_default(),
                    path: path(r, 7)?,
                })
            },
        )?,
        valves: rows(
            c,
            "SELECT id, segment_id, lon, lat, operable FROM valves ORDER BY id",
            &[],
            |r| {
                Ok(Valve {
                    id: r.try_get(0)?,
                    segment: r.try_get(1)?,
                    position: [r.try_get(2)?, r.try_get(3)?],
                    operable: r.try_get(4)?,
                })
            },
        )?,
        teams: rows(
            c,
            &format!("{} ORDER BY id", super::crew::TEAM_COLUMNS),
            &[],
            super::crew::team_row,
        )?,
        ..Snapshot::default()
    })
}

pub const TICKET_COLUMNS: &str = "SELECT id, version, channel, category, severity, building_id,
    address_detail, reporter_name, reporter_phone, description, status, team_id, created_at,
    respond_by, deadline, updated_at, fixed_at, closed_at, timely, satisfaction, parent_id,
    segment_id FROM tickets";

pub fn ticket_row(r: &postgres::Row) -> Result<Ticket, StoreError> {
    Ok(Ticket {
        id: r.try_get(0)?,
        version: r.try_get(1)?,
        channel: code(r, 2, Channel::from_code)?,
        category: code(r, 3, Category::from_code)?,
        severity: code(r, 4, Severity::from_code)?,
        building_id: r.try_get(5)?,
        address_detail: r.try_get(6)?,
        reporter_name: r.try_get(7)?,
        reporter_phone: r.try_get(8)?,
        description: r.try_get(9)?,
        status: code(r, 10, TicketStatus::from_code)?,
        team_id: r.try_get(11)?,
        created_at: r.try_get(12)?,
        respond_by: r.try_get(13)?,
        deadline: r.try_get(14)?,
        updated_at: r.try_get(15)?,
        fixed_at: r.try_get(16)?,
        closed_at: r.try_get(17)?,
        timely: r.try_get(18)?,
        satisfaction: opt_code(r, 19, SurveyAnswer::from_code)?,
        parent_id: r.try_get(20)?,
        segment_id: r.try_get(21)?,
    })
}

pub const VISIT_COLUMNS: &str = "SELECT id, compound_id, at, leaders, consultation_desk,
    households_entered, notes, staff FROM visits";

pub fn visit_row(r: &postgres::Row) -> Result<Visit, StoreError> {
    Ok(Visit {
        id: r.try_get(0)?,
        compound_id: r.try_get(1)?,
        at: r.try_get(2)?,
        leaders: r.try_get(3)?,
        consultation_desk: r.try_get(4)?,
        households_entered: count(r, 5)?,
        notes: r.try_get(6)?,
        staff: r.try_get(7)?,
    })
}

pub const READING_COLUMNS: &str = "SELECT id, building_id, visit_id, room, celsius, method,
    taken_at, taken_by FROM temperature_readings";

pub fn reading_row(r: &postgres::Row) -> Result<TemperatureReading, StoreError> {
    Ok(TemperatureReading {
        id: r.try_get(0)?,
        building_id: r.try_get(1)?,
        visit_id: r.try_get(2)?,
        room: r.try_get(3)?,
        celsius: r.try_get(4)?,
        method: code(r, 5, TempMethod::from_code)?,
        taken_at: r.try_get(6)?,
        taken_by: r.try_get(7)?,
    })
}

pub const SURVEY_COLUMNS: &str =
    "SELECT id, building_id, ticket_id, visit_id, answer, at FROM survey_responses";

pub fn survey_row(r: &postgres::Row) -> Result<SurveyResponse, StoreError> {
    Ok(SurveyResponse {
        id: r.try_get(0)?,
        building_id: r.try_get(1)?,
        ticket_id: r.try_get(2)?,
        visit_id: r.try_get(3)?,
        answer: code(r, 4, SurveyAnswer::from_code)?,
        at: r.try_get(5)?,
    })
}

/// The tickets the recent load leaves for later: closed, and received, due and last changed
/// before the given time.
const OLDER_TICKETS: &str = "status IN ('fixed', 'callback_done', 'closed')
    AND created_at < $1 AND deadline < $1 AND updated_at < $1";

/// What commands change — tickets, visits, readings, answers, rules — and how far the change
/// log reached, read in one (repeatable-read) transaction so they agree. With `since`, only
/// what the first frame needs (see the SQLite store's `activity`).
pub fn activity(
    c: &mut impl GenericClient,
    s: &mut Snapshot,
    since: Option<Timestamp>,
) -> Result<i64, StoreError> {
    let mark = log_mark(c)?;
    match since {
        None => {
            s.tickets = rows(c, &format!("{TICKET_COLUMNS} ORDER BY id"), &[], ticket_row)?;
            s.surveys = rows(c, &format!("{SURVEY_COLUMNS} ORDER BY id"), &[], survey_row)?;
        }
        Some(since) => {
            s.tickets = rows(
                c,
                &format!("{TICKET_COLUMNS} WHERE NOT ({OLDER_TICKETS}) ORDER BY id"),
                &[&since],
                ticket_row,
            )?;
            s.surveys = rows(
                c,
                &format!("{SURVEY_COLUMNS} WHERE at >= $1 ORDER BY id"),
                &[&since],
                survey_row,
            )?;
        }
    }
    s.visits = rows(c, &format!("{VISIT_COLUMNS} ORDER BY id"), &[], visit_row)?;
    s.readings = rows(
        c,
        &format!("{READING_COLUMNS} ORDER BY id"),
        &[],
        reading_row,
    )?;
    s.rules = rules(c)?;
    s.kpi_rules = setting(c, "kpi_rules")?.unwrap_or_default();
    // teams move (their phones report): read with the activity, as of the same mark
    s.teams = rows(
        c,
        &format!("{} ORDER BY id", super::crew::TEAM_COLUMNS),
        &[],
        super::crew::team_row,
    )?;
    s.positions = super::crew::positions(c)?;
    Ok(mark)
}

/// The season before `since`: closed tickets in id order, then answers, row by row.
pub fn older_activity(
    c: &mut impl GenericClient,
    since: Timestamp,
    each: &mut dyn FnMut(OlderRow),
) -> Result<(), StoreError> {
    let params: [&(dyn ToSql + Sync); 1] = [&since];
    let mut it = c.query_raw(
        &format!("{TICKET_COLUMNS} WHERE {OLDER_TICKETS} ORDER BY id"),
        params,
    )?;
    while let Some(r) = it.next()? {
        each(OlderRow::Ticket(ticket_row(&r)?));
    }
    drop(it);
    let mut it = c.query_raw(
        &format!("{SURVEY_COLUMNS} WHERE at < $1 ORDER BY id"),
        params,
    )?;
    while let Some(r) = it.next()? {
        each(OlderRow::Answer(survey_row(&r)?));
    }
    Ok(())
}

pub fn rules(c: &mut impl GenericClient) -> Result<Vec<SlaRule>, StoreError> {
    rows(
        c,
        "SELECT category, severity, respond_minutes, resolve_minutes FROM sla_rules
         ORDER BY category, severity",
        &[],
        |r| {
            Ok(SlaRule {
                category: code(r, 0, Category::from_code)?,
                severity: code(r, 1, Severity::from_code)?,
                respond_minutes: count(r, 2)?,
                resolve_minutes: count(r, 3)?,
            })
        },
    )
}

/// A company setting stored as JSON; None when never set.
pub fn setting<T: serde::de::DeserializeOwned>(
    c: &mut impl GenericClient,
    key: &str,
) -> Result<Option<T>, StoreError> {
    let row = c.query_opt("SELECT value FROM settings WHERE key = $1", &[&key])?;
    row.map(|r| {
        let json: String = r.try_get(0)?;
        serde_json::from_str(&json).map_err(|e| StoreError::Invalid(format!("setting {key}: {e}")))
    })
    .transpose()
}

pub(super) fn event_row(r: &postgres::Row) -> Result<TicketEvent, StoreError> {
    Ok(TicketEvent {
        id: r.try_get(0)?,
        ticket_id: r.try_get(1)?,
        at: r.try_get(2)?,
        actor: r.try_get(3)?,
        action: r.try_get(4)?,
        from_status: opt_code(r, 5, TicketStatus::from_code)?,
        to_status: code(r, 6, TicketStatus::from_code)?,
        team_id: r.try_get(7)?,
        note: r.try_get(8)?,
    })
}

pub fn history(
    c: &mut impl GenericClient,
    ticket: TicketId,
) -> Result<Vec<TicketEvent>, StoreError> {
    rows(
        c,
        "SELECT id, ticket_id, at, actor, action, from_status, to_status, team_id, note
         FROM ticket_events WHERE ticket_id = $1 ORDER BY at, id",
        &[&ticket],
        event_row,
    )
}

/// Every ticket's trail, in id order.
pub fn all_events(c: &mut impl GenericClient) -> Result<Vec<TicketEvent>, StoreError> {
    rows(
        c,
        "SELECT id, ticket_id, at, actor, action, from_status, to_status, team_id, note
         FROM ticket_events ORDER BY id",
        &[],
        event_row,
    )
}

pub fn basemap(c: &mut impl GenericClient) -> Result<Vec<BasemapFeature>, StoreError> {
    rows(
        c,
        "SELECT id, kind, name, width_m, geometry FROM basemap_features ORDER BY id",
        &[],
        |r| {
            Ok(BasemapFeature {
                id: r.try_get(0)?,
                kind: code(r, 1, BasemapKind::from_code)?,
                name: r.try_get(2)?,
                width_m: r.try_get(3)?,
                geometry: path(r, 4)?,
            })
        },
    )
}

/// The SQL table a batch table lives in.
pub fn table_name(table: Table) -> &'static str {
    crate::store::sqlite::table_name(table)
}

pub fn known_ids(c: &mut impl GenericClient, table: Table) -> Result<KnownIds, StoreError> {
    let external = rows(
        c,
        "SELECT external_id, id FROM external_ids WHERE kind = $1",
        &[&table.code()],
        |r| Ok((r.try_get(0)?, r.try_get(1)?)),
    )?;
    let ids = rows(
        c,
        &format!("SELECT id FROM {}", table_name(table)),
        &[],
        |r| Ok(r.try_get(0)?),
    )?;
    Ok(KnownIds {
        rows: ids,
        external,
    })
}

pub fn ticket(c: &mut impl GenericClient, id: TicketId) -> Result<Option<Ticket>, StoreError> {
    c.query_opt(&format!("{TICKET_COLUMNS} WHERE id = $1"), &[&id])?
        .map(|r| ticket_row(&r))
        .transpose()
}

/// How far the change log reaches.
pub fn log_mark(c: &mut impl GenericClient) -> Result<i64, StoreError> {
    Ok(
        c.query_one("SELECT coalesce(max(id), 0)::BIGINT FROM change_log", &[])?
            .try_get(0)?,
    )
}

/// What changed after `since` (only the rows the log names), the new mark, and when each
/// change was committed (ms since 1970 UTC). The entries in `own` (this handle's commits,
/// which it took in as it made them) are passed over, and forgotten once read past.
pub fn changes(
    c: &mut impl GenericClient,
    since: i64,
    own: &mut Vec<i64>,
) -> Result<(Update, i64, Vec<i64>), StoreError> {
    let pruned: i64 = c
        .query_one("SELECT upto FROM change_log_pruned", &[])?
        .try_get(0)?;
    if since < pruned {
        // pruned past the mark: read everything again
        return Ok((Update::Reload, log_mark(c)?, Vec::new()));
    }
    let mut entries = c.query(
        "SELECT id, at_ms, tickets, visits, readings, surveys, settings, reload, teams
         FROM change_log WHERE id > $1 ORDER BY id",
        &[&since],
    )?;
    let Some(last) = entries.last() else {
        return Ok((Update::UpToDate, since, Vec::new()));
    };
    let now: i64 = last.try_get(0)?;
    entries.retain(|r| r.try_get::<_, i64>(0).is_ok_and(|id| !own.contains(&id)));
    own.retain(|id| *id > now);
    let committed = entries
        .iter()
        .map(|r| r.try_get::<_, i64>(1))
        .collect::<Result<Vec<_>, _>>()?;
    let mut reload = false;
    let mut settings = false;
    let (mut tickets, mut visits, mut readings, mut surveys, mut teams) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for r in &entries {
        let list = |i: usize| -> Result<Vec<i64>, StoreError> {
            let text: String = r.try_get(i)?;
            Ok(serde_json::from_str(&text).unwrap_or_default())
        };
        let touched: Vec<(i64, i64)> =
            serde_json::from_str(&r.try_get::<_, String>(2)?).unwrap_or_default();
        tickets.extend(touched.into_iter().map(|t| t.0));
        visits.extend(list(3)?);
        readings.extend(list(4)?);
        surveys.extend(list(5)?);
        teams.extend(list(8)?);
        settings |= r.try_get::<_, bool>(6)?;
        reload |= r.try_get::<_, bool>(7)?;
    }
    if reload {
        return Ok((Update::Reload, now, committed));
    }
    for list in [
        &mut tickets,
        &mut visits,
        &mut readings,
        &mut surveys,
        &mut teams,
    ] {
        list.sort_unstable();
        list.dedup();
    }
    let by_ids = |columns: &str| format!("{columns} WHERE id = ANY($1) ORDER BY id");
    let mut changes = Changes {
        tickets: rows(c, &by_ids(TICKET_COLUMNS), &[&tickets], ticket_row)?,
        visits: rows(c, &by_ids(VISIT_COLUMNS), &[&visits], visit_row)?,
        readings: rows(c, &by_ids(READING_COLUMNS), &[&readings], reading_row)?,
        surveys: rows(c, &by_ids(SURVEY_COLUMNS), &[&surveys], survey_row)?,
        teams: rows(
            c,
            &by_ids(super::crew::TEAM_COLUMNS),
            &[&teams],
            super::crew::team_row,
        )?,
        positions: rows(
            c,
            &format!(
                "{} WHERE team_id = ANY($1) ORDER BY team_id",
                super::crew::POSITION_COLUMNS
            ),
            &[&teams],
            super::crew::position_row,
        )?,
        ..Changes::default()
    };
    if settings {
        changes.rules = rules(c)?;
        changes.kpi_rules = Some(setting(c, "kpi_rules")?.unwrap_or_default());
    }
    let update = if changes.is_empty() {
        Update::UpToDate
    } else {
        Update::Changed(changes)
    };
    Ok((update, now, committed))
}
