//! The audit chains on SQLite: walked to verify them, started over the events of a database
//! made before them, and their heads for the daily report.

use rusqlite::{Connection, params};

use super::StoreError;
use crate::domain::TicketEvent;
use crate::store::AuditEvent;
use crate::store::chain::{self, Chain, Walk};
use crate::store::record::{Record, select_linked};

/// Rows read at a time while walking a chain.
const PAGE: i64 = 20_000;

/// Every event of `which` in id order with its stored hash, a page at a time.
fn each(
    conn: &Connection,
    which: Chain,
    mut f: impl FnMut(Row, Option<chain::Hash>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let page = "WHERE id > ?1 ORDER BY id LIMIT ?2";
    let sql = match which {
        Chain::TicketEvents => select_linked::<TicketEvent>(page),
        Chain::AuditEvents => select_linked::<AuditEvent>(page),
    };
    let mut after = i64::MIN;
    loop {
        let mut st = conn.prepare_cached(&sql)?;
        let mut rows = st.query(params![after, PAGE])?;
        let mut page = Vec::new();
        while let Some(r) = rows.next()? {
            let (row, hash) = match which {
                Chain::TicketEvents => (
                    Row::Ticket(TicketEvent::read(r)?),
                    r.get(TicketEvent::COLUMNS.len())?,
                ),
                Chain::AuditEvents => (
                    Row::Audit(AuditEvent::read(r)?),
                    r.get(AuditEvent::COLUMNS.len())?,
                ),
            };
            page.push((row, chain::from_stored(hash)));
        }
        drop(rows);
        drop(st);
        let Some(last) = page.last().map(|(r, _)| r.id()) else {
            return Ok(());
        };
        after = last;
        for (row, hash) in page {
            f(row, hash)?;
        }
    }
}

enum Row {
    Ticket(crate::domain::TicketEvent),
    Audit(AuditEvent),
}

impl Row {
    fn id(&self) -> i64 {
        match self {
            Row::Ticket(e) => e.id,
            Row::Audit(a) => a.id,
        }
    }
}

/// Walk both chains.
pub fn verify(conn: &Connection) -> Result<chain::Report, StoreError> {
    let mut walks = Chain::ALL.map(Walk::new);
    for walk in &mut walks {
        let which = walk.head().chain;
        each(conn, which, |row, stored| {
            match &row {
                Row::Ticket(e) => walk.ticket_event(e, stored),
                Row::Audit(a) => walk.audit_event(a, stored),
            }
            Ok(())
        })?;
    }
    Ok(Walk::report(walks))
}

/// The last link of each chain.
pub fn heads(conn: &Connection) -> Result<Vec<chain::Head>, StoreError> {
    Chain::ALL
        .iter()
        .map(|&c| {
            let (last, hash) = super::write::chain_tail(conn, c)?;
            Ok(chain::Head {
                chain: c,
                last_event: (last != 0).then_some(last),
                hash,
            })
        })
        .collect()
}

/// Give the events written before the chain their hashes, in id order (the schema upgrade that
/// brings the chain); returns how many.
pub fn start(conn: &Connection) -> Result<u64, StoreError> {
    let mut n = 0;
    for which in Chain::ALL {
        let mut links = chain::Links::after(chain::GENESIS);
        let mut hashes = Vec::new();
        each(conn, which, |row, _| {
            let hash = match &row {
                Row::Ticket(e) => links.ticket_event(e),
                Row::Audit(a) => links.audit_event(a),
            };
            hashes.push((row.id(), hash));
            Ok(())
        })?;
        let mut st = conn.prepare_cached(&format!(
            "UPDATE {} SET hash = ?2 WHERE id = ?1",
            which.table()
        ))?;
        for (id, hash) in &hashes {
            st.execute(params![id, &hash[..]])?;
        }
        n += hashes.len() as u64;
    }
    Ok(n)
}
