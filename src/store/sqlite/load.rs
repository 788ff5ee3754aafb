//! Reading the database into a [`Snapshot`] and a ticket's history.

use rusqlite::{Connection, Row};

use super::codec::{Code, time_to_sql};
use crate::store::record::{
    Dialect, Reader, Record, older_tickets, select, settings_and_teams, table_name,
};

const SQLITE: Dialect = Dialect::Sqlite;
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

/// Every row of a table, in id order.
fn every<R: Record>(conn: &Connection) -> Result<Vec<R>, StoreError> {
    all(conn, &select::<R>(&format!("ORDER BY {}", R::KEY)), |r| {
        R::read(r)
    })
}

/// Whole tables' rows from a connection.
pub struct Rows<'a>(pub &'a Connection);

impl Reader for Rows<'_> {
    fn every<R: Record>(&mut self) -> Result<Vec<R>, StoreError> {
        every(self.0)
    }

    fn among<R: Record>(&mut self, keys: &[i64]) -> Result<Vec<R>, StoreError> {
        let key = R::KEY;
        let keys = serde_json::to_string(keys).unwrap_or_else(|_| "[]".into());
        Ok(self
            .0
            .prepare_cached(&select::<R>(&format!(
                "WHERE {key} IN (SELECT value FROM json_each(?1)) ORDER BY {key}"
            )))?
            .query_map([keys], |r| R::read(r))?
            .collect::<Result<_, _>>()?)
    }
    fn rules(&mut self) -> Result<Vec<SlaRule>, StoreError> {
        rules(self.0)
    }

    fn kpi_rules(&mut self) -> Result<crate::domain::kpi::KpiRules, StoreError> {
        Ok(setting(self.0, "kpi_rules")?.unwrap_or_default())
    }
}

/// The city and its network: what only imports change (not yet indexed).
pub fn places(conn: &Connection) -> Result<Snapshot, StoreError> {
    crate::store::record::places(&mut Rows(conn))
}

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
            s.tickets = every(conn)?;
            activity_tails(conn, true, s)?;
        }
        Some(since) => {
            let since = time_to_sql(since);
            s.tickets = all_since(
                since,
                conn,
                &select::<Ticket>(&format!(
                    "WHERE NOT ({}) ORDER BY id",
                    older_tickets(SQLITE)
                )),
                |r| Ticket::read(r),
            )?;
            activity_tails(conn, false, s)?;
            s.surveys = all_since(
                since,
                conn,
                &select::<SurveyResponse>("WHERE at >= ?1 ORDER BY id"),
                |r| SurveyResponse::read(r),
            )?;
        }
    }
    settings_and_teams(&mut Rows(conn), s)?;
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
    let mut st = conn.prepare(&select::<Ticket>(&format!(
        "WHERE {} ORDER BY id",
        older_tickets(SQLITE)
    )))?;
    let mut rows = st.query([since])?;
    while let Some(r) = rows.next()? {
        each(OlderRow::Ticket(Ticket::read(r)?));
    }
    let mut st = conn.prepare(&select::<SurveyResponse>("WHERE at < ?1 ORDER BY id"))?;
    let mut rows = st.query([since])?;
    while let Some(r) = rows.next()? {
        each(OlderRow::Answer(SurveyResponse::read(r)?));
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

pub fn history(conn: &Connection, ticket: TicketId) -> Result<Vec<TicketEvent>, StoreError> {
    let mut stmt = conn.prepare(&select::<TicketEvent>(
        "WHERE ticket_id = ?1 ORDER BY at, id",
    ))?;
    let rows = stmt.query_map([ticket], |r| TicketEvent::read(r))?;
    Ok(rows.collect::<Result<Vec<_>, _>>()?)
}

pub fn basemap(conn: &Connection) -> Result<Vec<BasemapFeature>, StoreError> {
    every(conn)
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
    s.visits = every(conn)?;
    s.readings = every(conn)?;
    if answers {
        s.surveys = every(conn)?;
    }
    Ok(())
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
    every(conn)
}

/// The audit records of changes that are not ticket steps.
pub fn audit(conn: &Connection) -> Result<Vec<crate::store::AuditEvent>, StoreError> {
    every(conn)
}

/// The company's ids of every table.
pub fn external_ids(conn: &Connection) -> Result<Vec<(String, String, i64)>, StoreError> {
    all(
        conn,
        "SELECT kind, external_id, id FROM external_ids ORDER BY kind, external_id",
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
}
