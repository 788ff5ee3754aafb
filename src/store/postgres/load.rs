//! Reading a PostgreSQL database into a [`Snapshot`]: the city, the season's activity (all of
//! it, or what the first frame needs), the settled season as a stream, one ticket's trail, and
//! the change log other consoles' commits are read from.

use postgres::GenericClient;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;

use crate::domain::batch::Table;
use crate::domain::*;
use crate::store::record::{
    Cells, Dialect, Named, Reader, Record, changed, older_tickets, select, settings_and_teams,
    table_name,
};
use crate::store::{KnownIds, OlderRow, StoreError};

const PG: Dialect = Dialect::Postgres;

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

/// Every row of a table, in id order.
fn every<R: Record>(c: &mut impl GenericClient) -> Result<Vec<R>, StoreError> {
    rows(
        c,
        &select::<R>(&format!("ORDER BY {}", R::KEY)),
        &[],
        R::read,
    )
}

/// Whole tables' rows from a client.
struct Rows<'a, C>(&'a mut C);

impl<C: GenericClient> Reader for Rows<'_, C> {
    fn every<R: Record>(&mut self) -> Result<Vec<R>, StoreError> {
        every(self.0)
    }

    fn among<R: Record>(&mut self, keys: &[i64]) -> Result<Vec<R>, StoreError> {
        let key = R::KEY;
        rows(
            self.0,
            &select::<R>(&format!("WHERE {key} = ANY($1) ORDER BY {key}")),
            &[&keys],
            R::read,
        )
    }

    fn rules(&mut self) -> Result<Vec<SlaRule>, StoreError> {
        rules(self.0)
    }

    fn kpi_rules(&mut self) -> Result<crate::domain::kpi::KpiRules, StoreError> {
        Ok(setting(self.0, "kpi_rules")?.unwrap_or_default())
    }
}

/// The city and its network (not yet indexed).
pub fn places(c: &mut impl GenericClient) -> Result<Snapshot, StoreError> {
    crate::store::record::places(&mut Rows(c))
}

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
            s.tickets = every(c)?;
            s.surveys = every(c)?;
        }
        Some(since) => {
            s.tickets = rows(
                c,
                &select::<Ticket>(&format!("WHERE NOT ({}) ORDER BY id", older_tickets(PG))),
                &[&since],
                Ticket::read,
            )?;
            s.surveys = rows(
                c,
                &select::<SurveyResponse>("WHERE at >= $1 ORDER BY id"),
                &[&since],
                SurveyResponse::read,
            )?;
        }
    }
    s.visits = every(c)?;
    s.readings = every(c)?;
    settings_and_teams(&mut Rows(c), s)?;
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
        &select::<Ticket>(&format!("WHERE {} ORDER BY id", older_tickets(PG))),
        params,
    )?;
    while let Some(r) = it.next()? {
        each(OlderRow::Ticket(Ticket::read(&r)?));
    }
    drop(it);
    let mut it = c.query_raw(
        &select::<SurveyResponse>("WHERE at < $1 ORDER BY id"),
        params,
    )?;
    while let Some(r) = it.next()? {
        each(OlderRow::Answer(SurveyResponse::read(&r)?));
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
                category: r.code(0)?,
                severity: r.code(1)?,
                respond_minutes: r.count(2)?,
                resolve_minutes: r.count(3)?,
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

pub fn history(
    c: &mut impl GenericClient,
    ticket: TicketId,
) -> Result<Vec<TicketEvent>, StoreError> {
    rows(
        c,
        &select::<TicketEvent>("WHERE ticket_id = $1 ORDER BY at, id"),
        &[&ticket],
        TicketEvent::read,
    )
}

/// Every ticket's trail, in id order.
pub fn all_events(c: &mut impl GenericClient) -> Result<Vec<TicketEvent>, StoreError> {
    every(c)
}

pub fn basemap(c: &mut impl GenericClient) -> Result<Vec<BasemapFeature>, StoreError> {
    every(c)
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
    c.query_opt(&select::<Ticket>("WHERE id = $1"), &[&id])?
        .map(|r| Ticket::read(&r))
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
    let mut named = Named::default();
    for r in &entries {
        let list = |i: usize| -> Result<Vec<i64>, StoreError> {
            let text: String = r.try_get(i)?;
            Ok(serde_json::from_str(&text).unwrap_or_default())
        };
        let touched: Vec<(i64, i64)> =
            serde_json::from_str(&r.try_get::<_, String>(2)?).unwrap_or_default();
        named.tickets.extend(touched.into_iter().map(|t| t.0));
        named.visits.extend(list(3)?);
        named.readings.extend(list(4)?);
        named.surveys.extend(list(5)?);
        named.teams.extend(list(8)?);
        named.settings |= r.try_get::<_, bool>(6)?;
        reload |= r.try_get::<_, bool>(7)?;
    }
    if reload {
        return Ok((Update::Reload, now, committed));
    }
    let update = changed(&mut Rows(c), named)?;
    Ok((update, now, committed))
}
