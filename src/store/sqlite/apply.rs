//! Applying a command in one SQLite transaction: the commands themselves are written once
//! ([`crate::store::commands`]); this begins, commits or rolls back.

use rusqlite::{Connection, TransactionBehavior};

use super::StoreError;
use super::tx::SqliteTx;
use crate::domain::{Applied, Command, Origin};

pub fn apply(
    conn: &mut Connection,
    command: &Command,
    origin: &Origin,
    request: Option<&str>,
) -> Result<(Applied, i64), StoreError> {
    // a season of tickets touches more pages than SQLite's default 2 MB cache holds: without
    // room it writes pages out and reads them back within the transaction. Places (compounds,
    // buildings, pipes) are appended page after page and gain nothing from it: 200,000
    // compounds import faster without it (1.35 s against 1.61 s) and 6 MB smaller.
    let import = matches!(
        command,
        Command::Import(batch) if matches!(
            batch.rows,
            crate::domain::batch::Rows::Tickets(_)
                | crate::domain::batch::Rows::Visits(_)
                | crate::domain::batch::Rows::Readings(_)
                | crate::domain::batch::Rows::Surveys(_)
        )
    );
    let cache: Option<i64> = if import {
        let cache = conn.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
        conn.pragma_update(None, "cache_size", -256_000)?;
        Some(cache)
    } else {
        None
    };
    let result = in_transaction(conn, command, origin, request);
    if let Some(cache) = cache {
        let _ = conn.pragma_update(None, "cache_size", cache);
    }
    result
}

fn in_transaction(
    conn: &mut Connection,
    command: &Command,
    origin: &Origin,
    request: Option<&str>,
) -> Result<(Applied, i64), StoreError> {
    // IMMEDIATE takes the write lock first, so two consoles never both read a version and
    // then race to write it
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let (applied, logged) =
        crate::store::commands::apply(&mut SqliteTx { tx: &tx }, command, origin, request)?;
    match &applied {
        // a dry run checked everything, the database's own rules included; nothing stays
        Applied::Import(summary) if !summary.written => tx.rollback()?,
        _ => tx.commit()?,
    }
    Ok((applied, logged))
}
