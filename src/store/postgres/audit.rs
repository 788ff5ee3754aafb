//! The audit chains on PostgreSQL: walked to verify them, started over the events of a database
//! made before them, and their heads for the daily report.

use std::io::Write;

use postgres::GenericClient;
use postgres::fallible_iterator::FallibleIterator;

use crate::domain::TicketEvent;
use crate::store::chain::{self, Chain, Walk};
use crate::store::record::{Record, select_linked};
use crate::store::{AuditEvent, StoreError};

enum Row {
    Ticket(crate::domain::TicketEvent),
    Audit(AuditEvent),
}

/// Every event of `which` in id order with its stored hash, as the rows arrive.
fn each(
    c: &mut impl GenericClient,
    which: Chain,
    mut f: impl FnMut(i64, Row, Option<chain::Hash>),
) -> Result<(), StoreError> {
    let sql = match which {
        Chain::TicketEvents => select_linked::<TicketEvent>("ORDER BY id"),
        Chain::AuditEvents => select_linked::<AuditEvent>("ORDER BY id"),
    };
    let none: [&(dyn postgres::types::ToSql + Sync); 0] = [];
    let mut it = c.query_raw(&sql, none)?;
    while let Some(r) = it.next()? {
        let (row, hash) = match which {
            Chain::TicketEvents => (
                Row::Ticket(TicketEvent::read(&r)?),
                r.try_get(TicketEvent::COLUMNS.len())?,
            ),
            Chain::AuditEvents => (
                Row::Audit(AuditEvent::read(&r)?),
                r.try_get(AuditEvent::COLUMNS.len())?,
            ),
        };
        f(r.try_get(0)?, row, chain::from_stored(hash));
    }
    Ok(())
}

/// Walk both chains (in one repeatable-read transaction: a consistent picture).
pub fn verify(c: &mut impl GenericClient) -> Result<chain::Report, StoreError> {
    let mut walks = Chain::ALL.map(Walk::new);
    for walk in &mut walks {
        let which = walk.head().chain;
        each(c, which, |_, row, stored| match &row {
            Row::Ticket(e) => walk.ticket_event(e, stored),
            Row::Audit(a) => walk.audit_event(a, stored),
        })?;
    }
    Ok(Walk::report(walks))
}

/// The last link of each chain.
pub fn heads(c: &mut impl GenericClient) -> Result<Vec<chain::Head>, StoreError> {
    Chain::ALL
        .iter()
        .map(|&which| {
            let row = c.query_opt(
                &format!(
                    "SELECT id, hash FROM {} ORDER BY id DESC LIMIT 1",
                    which.table()
                ),
                &[],
            )?;
            Ok(match row {
                Some(r) => chain::Head {
                    chain: which,
                    last_event: Some(r.try_get(0)?),
                    hash: chain::from_stored(r.try_get(1)?).unwrap_or(chain::GENESIS),
                },
                None => chain::Head {
                    chain: which,
                    last_event: None,
                    hash: chain::GENESIS,
                },
            })
        })
        .collect()
}

/// Give the events written before the chain their hashes, in id order (the schema upgrade that
/// brings the chain), through COPY into a table of the transaction and one UPDATE per chain;
/// returns how many.
pub fn start(c: &mut impl GenericClient) -> Result<u64, StoreError> {
    let mut n = 0;
    for which in Chain::ALL {
        let mut links = chain::Links::after(chain::GENESIS);
        let mut lines = String::new();
        each(c, which, |id, row, _| {
            let hash = match &row {
                Row::Ticket(e) => links.ticket_event(e),
                Row::Audit(a) => links.audit_event(a),
            };
            lines.push_str(&format!("{id}\t\\\\x{}\n", chain::hex(&hash)));
            n += 1;
        })?;
        if lines.is_empty() {
            continue;
        }
        c.batch_execute(
            "CREATE TEMP TABLE IF NOT EXISTS chain_start (id BIGINT PRIMARY KEY, hash BYTEA NOT NULL)
                 ON COMMIT DROP;
             TRUNCATE chain_start",
        )?;
        let mut w = c.copy_in("COPY chain_start (id, hash) FROM STDIN")?;
        w.write_all(lines.as_bytes())
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        w.finish()?;
        c.batch_execute(&format!(
            "UPDATE {} t SET hash = s.hash FROM chain_start s WHERE t.id = s.id",
            which.table()
        ))?;
    }
    Ok(n)
}
