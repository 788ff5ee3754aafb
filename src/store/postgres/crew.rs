//! The crews in the field, in PostgreSQL: accounts, requests already applied, team positions,
//! photos and the outbox of messages to residents (the writes are the commands', through
//! [`crate::store::commands::Tx`]).

use postgres::GenericClient;
use postgres::types::ToSql;

use crate::domain::crew::{Account, Message, Photo};
use crate::domain::*;
use crate::store::record::{Record, select};
use crate::store::{ClientCommand, StoreError, StoredPhoto};

/// The rows of a table after `tail`.
fn rows<R: Record>(
    c: &mut impl GenericClient,
    tail: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<R>, StoreError> {
    c.query(&select::<R>(tail), params)?
        .iter()
        .map(R::read)
        .collect()
}

pub fn accounts(c: &mut impl GenericClient) -> Result<Vec<Account>, StoreError> {
    rows(c, "ORDER BY login", &[])
}

pub fn account(c: &mut impl GenericClient, login: &str) -> Result<Option<Account>, StoreError> {
    Ok(rows(c, "WHERE login = $1", &[&login])?.pop())
}

pub fn outbox(c: &mut impl GenericClient, limit: usize) -> Result<Vec<Message>, StoreError> {
    rows(c, "ORDER BY id DESC LIMIT $1", &[&(limit as i64)])
}

pub fn due_messages(
    c: &mut impl GenericClient,
    now: Timestamp,
    limit: usize,
) -> Result<Vec<Message>, StoreError> {
    rows(
        c,
        "WHERE status = 'pending' AND next_at <= $1 ORDER BY id LIMIT $2",
        &[&now, &(limit as i64)],
    )
}

pub fn message_tried(c: &mut impl GenericClient, m: &Message) -> Result<(), StoreError> {
    c.execute(
        "UPDATE outbox SET status = $2, attempts = $3, next_at = $4, sent_at = $5, error = $6
         WHERE id = $1",
        &[
            &m.id,
            &m.status.code(),
            &(m.attempts as i32),
            &m.next_at,
            &m.sent_at,
            &m.error,
        ],
    )?;
    Ok(())
}

pub fn photos(c: &mut impl GenericClient, ticket: TicketId) -> Result<Vec<Photo>, StoreError> {
    let stored: Vec<StoredPhoto> = rows(c, "WHERE ticket_id = $1 ORDER BY id", &[&ticket])?;
    Ok(stored.into_iter().map(|p| p.photo).collect())
}

/// Every crews' row, for a copy of the whole database.
pub fn everything(c: &mut impl GenericClient) -> Result<crate::store::FieldData, StoreError> {
    let templates = c
        .query_opt(
            "SELECT value FROM settings WHERE key = 'message_templates'",
            &[],
        )?
        .map(|r| r.try_get(0))
        .transpose()?;
    Ok(crate::store::FieldData {
        accounts: accounts(c)?,
        outbox: rows(c, "ORDER BY id", &[])?,
        photos: rows(c, "ORDER BY id", &[])?,
        templates,
        client_commands: rows::<ClientCommand>(c, "ORDER BY client_id", &[])?,
    })
}
