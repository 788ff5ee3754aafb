//! Writing rows: seeding a new database (the demo city) and the single-row helpers commands
//! and imports use, each from its table's description ([`crate::store::record`]).

use rusqlite::{Connection, Transaction, params, params_from_iter};

use super::StoreError;
use crate::domain::*;
use crate::store::chain::{self, Chain};
use crate::store::record::{Cell, Dialect, Record, given_id};
use crate::store::{AuditEvent, Everything};

/// Insert a row (id 0: the next); returns its id.
pub fn insert<R: Record>(tx: &Connection, row: &R) -> Result<i64, StoreError> {
    insert_cells(tx, R::statements().insert(Dialect::Sqlite), &row.cells())
}

/// Run an INSERT with these values: the row's own id, or the one SQLite gave it.
pub fn insert_cells(tx: &Connection, sql: &str, cells: &[Cell<'_>]) -> Result<i64, StoreError> {
    tx.prepare_cached(sql)?.execute(params_from_iter(cells))?;
    Ok(given_id(cells).unwrap_or_else(|| tx.last_insert_rowid()))
}

/// Insert a link of an audit chain with its hash; returns its id.
fn insert_linked<R: Record>(
    tx: &Connection,
    row: &R,
    hash: &chain::Hash,
) -> Result<i64, StoreError> {
    let mut cells = row.cells();
    cells.push(Cell::Borrowed(&hash[..]));
    tx.prepare_cached(R::statements().insert(Dialect::Sqlite))?
        .execute(params_from_iter(cells))?;
    Ok(tx.last_insert_rowid())
}

fn insert_every<R: Record>(tx: &Connection, rows: &[R]) -> Result<(), StoreError> {
    for row in rows {
        insert(tx, row)?;
    }
    Ok(())
}

/// Write a whole data set in one transaction: all of it lands, or none of it.
pub fn write_all(conn: &mut Connection, all: &Everything) -> Result<(), StoreError> {
    let (s, events, basemap) = (&all.city, &all.events, &all.basemap);
    let tx = conn.transaction()?;
    // tickets name their network tickets, which may come later
    tx.pragma_update(None, "defer_foreign_keys", true)?;
    {
        insert_every(&tx, &s.departments)?;
        insert_every(&tx, &s.compounds)?;
        insert_every(&tx, &s.nodes)?;
        insert_every(&tx, &s.sources)?;
        insert_every(&tx, &s.stations)?;
        insert_every(&tx, &s.buildings)?;
        insert_every(&tx, &s.segments)?;
        insert_every(&tx, &s.valves)?;
        insert_every(&tx, &s.teams)?;
        insert_every(&tx, &s.tickets)?;
        // the audit chain in id order, its hashes made here rather than looked up per row
        let mut order: Vec<&TicketEvent> = events.iter().collect();
        order.sort_by_key(|e| e.id);
        let mut links = chain::Links::after(chain::GENESIS);
        for e in order {
            let e = &TicketEvent {
                at: chain::whole_seconds(e.at),
                ..e.clone()
            };
            insert_linked(&tx, e, &links.ticket_event(e))?;
        }
        insert_every(&tx, &s.visits)?;
        insert_every(&tx, &s.readings)?;
        insert_every(&tx, &s.surveys)?;
        if !s.rules.is_empty() {
            write_rules(&tx, &s.rules)?;
        }
        if s.kpi_rules != crate::domain::kpi::KpiRules::default() {
            let json = serde_json::to_string(&s.kpi_rules)
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            tx.execute(
                "INSERT INTO settings (key, value) VALUES ('kpi_rules', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [json],
            )?;
        }
        let mut order: Vec<&AuditEvent> = all.audit.iter().collect();
        order.sort_by_key(|a| a.id);
        let mut links = chain::Links::after(chain::GENESIS);
        for a in order {
            insert_linked(&tx, a, &links.audit_event(a))?;
        }
        let mut st =
            tx.prepare("INSERT INTO external_ids (kind, external_id, id) VALUES (?1, ?2, ?3)")?;
        for (kind, external, id) in &all.external_ids {
            st.execute(params![kind, external, id])?;
        }
        insert_every(&tx, basemap)?;
        crate::store::commands::write_crews(
            &mut super::tx::SqliteTx { tx: &tx },
            &all.field,
            &s.positions,
        )?;
    }
    tx.commit()?;
    Ok(())
}

pub fn write_rules(tx: &Transaction<'_>, rules: &[SlaRule]) -> Result<(), StoreError> {
    let mut st = tx.prepare_cached(
        "INSERT INTO sla_rules (category, severity, respond_minutes, resolve_minutes) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (category, severity) DO UPDATE SET respond_minutes = excluded.respond_minutes,
             resolve_minutes = excluded.resolve_minutes",
    )?;
    for r in rules {
        st.execute(params![
            r.category.code(),
            r.severity.code(),
            r.respond_minutes,
            r.resolve_minutes
        ])?;
    }
    Ok(())
}

/// The last link of a chain: its event's id (0 when empty) and stored hash.
pub fn chain_tail(tx: &Connection, which: Chain) -> Result<(i64, chain::Hash), StoreError> {
    use rusqlite::OptionalExtension;
    let last = tx
        .prepare_cached(&format!(
            "SELECT id, hash FROM {} ORDER BY id DESC LIMIT 1",
            which.table()
        ))?
        .query_row([], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Option<Vec<u8>>>(1)?))
        })
        .optional()?;
    Ok(match last {
        Some((id, hash)) => (id, chain::from_stored(hash).unwrap_or(chain::GENESIS)),
        None => (0, chain::GENESIS),
    })
}

/// Insert a ticket's step, chained onto the last one (id 0: the next id); returns its id.
pub fn insert_event(tx: &Transaction<'_>, e: &TicketEvent) -> Result<i64, StoreError> {
    let (last, prev) = chain_tail(tx, Chain::TicketEvents)?;
    let e = TicketEvent {
        id: if e.id != 0 { e.id } else { last + 1 },
        at: chain::whole_seconds(e.at),
        ..e.clone()
    };
    let hash = chain::ticket_event(&prev, &e);
    insert_linked(tx, &e, &hash)
}

/// Insert another audit record, chained onto the last one.
pub fn insert_audit(
    tx: &Transaction<'_>,
    at: Timestamp,
    actor: &str,
    command: &str,
    detail: &str,
) -> Result<(), StoreError> {
    let (last, prev) = chain_tail(tx, Chain::AuditEvents)?;
    let a = AuditEvent {
        id: last + 1,
        at: chain::whole_seconds(at),
        actor: actor.to_string(),
        command: command.to_string(),
        detail: detail.to_string(),
    };
    let hash = chain::audit_event(&prev, &a);
    insert_linked(tx, &a, &hash)?;
    Ok(())
}
