//! The crews in the field, in SQLite: accounts, requests already applied, team positions,
//! photos and the outbox of messages to residents (the writes are the commands', through
//! [`crate::store::commands::Tx`]).

use rusqlite::{Connection, OptionalExtension, params};

use super::StoreError;
use super::codec::time_to_sql;
use crate::domain::crew::{Account, Message, Photo};
use crate::domain::*;
use crate::store::record::{Record, select};
use crate::store::{ClientCommand, StoredPhoto};

/// The rows of a table after `tail`.
fn rows<R: Record>(
    conn: &Connection,
    tail: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<R>, StoreError> {
    Ok(conn
        .prepare_cached(&select::<R>(tail))?
        .query_map(params, |r| R::read(r))?
        .collect::<Result<_, _>>()?)
}

pub fn team(conn: &Connection, id: TeamId) -> Result<Option<Team>, StoreError> {
    Ok(conn
        .prepare_cached(&select::<Team>("WHERE id = ?1"))?
        .query_row([id], |r| Team::read(r))
        .optional()?)
}

pub fn set_team(conn: &Connection, t: &Team) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE teams SET lon = ?2, lat = ?3, status = ?4 WHERE id = ?1")?
        .execute(params![t.id, t.position[0], t.position[1], t.status.code()])?;
    Ok(())
}

pub fn building_label(conn: &Connection, id: BuildingId) -> Result<String, StoreError> {
    let found: Option<(Option<String>, String)> = conn
        .prepare_cached(
            "SELECT c.name, b.number FROM buildings b LEFT JOIN compounds c ON c.id = b.compound_id
             WHERE b.id = ?1",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(match found {
        Some((compound, number)) => {
            crate::domain::snapshot::building_label(compound.as_deref(), &number)
        }
        None => format!("#{id}"),
    })
}

pub fn setting(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

pub fn reporters_in(
    conn: &Connection,
    buildings: &[BuildingId],
) -> Result<Vec<(TicketId, String)>, StoreError> {
    let ids = serde_json::to_string(buildings).unwrap_or_else(|_| "[]".into());
    Ok(conn
        .prepare_cached(
            "SELECT max(id), reporter_phone FROM tickets
             WHERE building_id IN (SELECT value FROM json_each(?1)) AND reporter_phone <> ''
             GROUP BY reporter_phone ORDER BY max(id)",
        )?
        .query_map([ids], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<Vec<(i64, String)>, _>>()?
        .into_iter()
        .filter(|(_, phone)| crate::domain::crew::reachable(phone))
        .collect())
}

pub fn accounts(conn: &Connection) -> Result<Vec<Account>, StoreError> {
    rows(conn, "ORDER BY login", [])
}

pub fn account(conn: &Connection, login: &str) -> Result<Option<Account>, StoreError> {
    Ok(rows(conn, "WHERE login = ?1", [login])?.pop())
}

/// The newest `limit` messages, newest first.
pub fn outbox(conn: &Connection, limit: usize) -> Result<Vec<Message>, StoreError> {
    rows(conn, "ORDER BY id DESC LIMIT ?1", [limit as i64])
}

/// Messages to send now, oldest first.
pub fn due_messages(
    conn: &Connection,
    now: Timestamp,
    limit: usize,
) -> Result<Vec<Message>, StoreError> {
    rows(
        conn,
        "WHERE status = 'pending' AND next_at <= ?1 ORDER BY id LIMIT ?2",
        params![time_to_sql(now), limit as i64],
    )
}

/// What the gateway said of a message.
pub fn message_tried(conn: &Connection, m: &Message) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE outbox SET status = ?2, attempts = ?3, next_at = ?4, sent_at = ?5, error = ?6
         WHERE id = ?1",
    )?
    .execute(params![
        m.id,
        m.status.code(),
        m.attempts,
        time_to_sql(m.next_at),
        m.sent_at.map(time_to_sql),
        m.error
    ])?;
    Ok(())
}

pub fn photos(conn: &Connection, ticket: TicketId) -> Result<Vec<Photo>, StoreError> {
    let stored: Vec<StoredPhoto> = rows(conn, "WHERE ticket_id = ?1 ORDER BY id", [ticket])?;
    Ok(stored.into_iter().map(|p| p.photo).collect())
}

/// Every crews' row, for a copy of the whole database.
pub fn everything(conn: &Connection) -> Result<crate::store::FieldData, StoreError> {
    Ok(crate::store::FieldData {
        accounts: accounts(conn)?,
        outbox: rows(conn, "ORDER BY id", [])?,
        photos: rows(conn, "ORDER BY id", [])?,
        templates: setting(conn, "message_templates")?,
        client_commands: rows::<ClientCommand>(conn, "ORDER BY client_id", [])?,
    })
}
