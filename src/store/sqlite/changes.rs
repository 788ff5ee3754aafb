//! The change log: one row per committed command naming what it changed, in commit order (an
//! SQLite writer holds the database's one write lock until it commits). A console reads the
//! rows after its mark to catch up with only what changed.

use rusqlite::{Connection, Transaction, params};

use super::StoreError;
use super::codec::time_to_sql;
use crate::domain::{Origin, Update};
use crate::store::commands::Logged;
use crate::store::record::{Named, changed};

/// How far a console has read the change log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Mark {
    log: i64,
}

/// Rows kept in the log: a console further behind reads everything again.
const KEPT: i64 = 20_000;

pub fn mark(conn: &Connection) -> Result<Mark, StoreError> {
    Ok(Mark {
        log: conn.query_row("SELECT coalesce(max(id), 0) FROM change_log", [], |r| {
            r.get(0)
        })?,
    })
}

/// Log what a command changed (in its transaction).
pub fn log(tx: &Transaction<'_>, origin: &Origin, change: &Logged) -> Result<i64, StoreError> {
    tx.prepare_cached(
        "INSERT INTO change_log (at, at_ms, actor, tickets, visits, readings, surveys, settings, reload, teams)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        time_to_sql(origin.at),
        crate::store::now_ms(),
        origin.actor,
        json(&change.tickets),
        json(&change.visits),
        json(&change.readings),
        json(&change.surveys),
        change.settings,
        change.reload,
        json(&change.teams),
    ])?;
    let id = tx.last_insert_rowid();
    if id % 1000 == 0 && id > KEPT {
        tx.execute("DELETE FROM change_log WHERE id <= ?1", [id - KEPT])?;
        tx.execute(
            "UPDATE change_log_pruned SET upto = max(upto, ?1)",
            [id - KEPT],
        )?;
    }
    Ok(id)
}

/// After this handle committed log entry `id`: the mark moves on over it when nothing came
/// between (a console alone never reads its own changes back), else it is remembered to be
/// passed over.
pub fn own_entry(mark: Mark, id: i64, own: &mut Vec<i64>) -> Mark {
    if id == mark.log + 1 && own.is_empty() {
        Mark { log: id }
    } else {
        own.push(id);
        mark
    }
}

/// A list as JSON text.
fn json<T: serde::Serialize>(list: &[T]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".into())
}

/// One logged change, read back.
pub struct Entry {
    pub id: i64,
    pub at_ms: i64,
    pub tickets: Vec<(i64, i64)>,
    pub visits: Vec<i64>,
    pub readings: Vec<i64>,
    pub surveys: Vec<i64>,
    pub settings: bool,
    pub reload: bool,
    pub teams: Vec<i64>,
}

fn parse<T: serde::de::DeserializeOwned + Default>(text: String) -> T {
    serde_json::from_str(&text).unwrap_or_default()
}

/// The log after `since`, oldest first; None when it no longer reaches back that far.
pub fn entries_after(conn: &Connection, since: Mark) -> Result<Option<Vec<Entry>>, StoreError> {
    let mut st = conn.prepare_cached(
        "SELECT id, at_ms, tickets, visits, readings, surveys, settings, reload, teams
         FROM change_log WHERE id > ?1 ORDER BY id",
    )?;
    let pruned: i64 = conn.query_row("SELECT upto FROM change_log_pruned", [], |r| r.get(0))?;
    if since.log < pruned {
        return Ok(None);
    }
    let entries = st
        .query_map([since.log], |r| {
            Ok(Entry {
                id: r.get(0)?,
                at_ms: r.get(1)?,
                tickets: parse(r.get(2)?),
                visits: parse(r.get(3)?),
                readings: parse(r.get(4)?),
                surveys: parse(r.get(5)?),
                settings: r.get(6)?,
                reload: r.get(7)?,
                teams: parse(r.get(8)?),
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(entries))
}

/// What changed after `since` (only the rows the log names), the new mark, and when each
/// change read was committed (ms since 1970 UTC). The entries in `own` (this handle's commits,
/// which it took in as it made them) are passed over, and forgotten once read past.
pub fn changes(
    conn: &Connection,
    since: Mark,
    own: &mut Vec<i64>,
) -> Result<(Update, Mark, Vec<i64>), StoreError> {
    let tx = conn.unchecked_transaction()?;
    let conn = &*tx;
    let Some(mut entries) = entries_after(conn, since)? else {
        return Ok((Update::Reload, mark(conn)?, Vec::new()));
    };
    let Some(last) = entries.last() else {
        return Ok((Update::UpToDate, since, Vec::new()));
    };
    let now = Mark { log: last.id };
    entries.retain(|e| !own.contains(&e.id));
    own.retain(|id| *id > now.log);
    let committed: Vec<i64> = entries.iter().map(|e| e.at_ms).collect();
    if entries.iter().any(|e| e.reload) {
        return Ok((Update::Reload, now, committed));
    }
    let ids = |pick: fn(&Entry) -> Vec<i64>| entries.iter().flat_map(pick).collect();
    let named = Named {
        tickets: ids(|e| e.tickets.iter().map(|t| t.0).collect()),
        visits: ids(|e| e.visits.clone()),
        readings: ids(|e| e.readings.clone()),
        surveys: ids(|e| e.surveys.clone()),
        teams: ids(|e| e.teams.clone()),
        settings: entries.iter().any(|e| e.settings),
    };
    let update = changed(&mut super::load::Rows(conn), named)?;
    Ok((update, now, committed))
}
