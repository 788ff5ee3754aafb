//! The crews in the field, in SQLite: accounts, requests already applied, team positions,
//! photos and the outbox of messages to residents.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::StoreError;
use super::codec::{Code, time_from_sql, time_to_sql};
use crate::domain::crew::{Account, Message, MessageKind, MessageStatus, Photo, TeamPosition};
use crate::domain::*;

pub const TEAM_COLUMNS: &str = "SELECT id, name, department_id, members, skills, home_lon, home_lat, lon, lat, status FROM teams";

pub fn team_row(r: &Row<'_>) -> rusqlite::Result<Team> {
    let members: String = r.get(3)?;
    let skills: String = r.get(4)?;
    Ok(Team {
        id: r.get(0)?,
        name: r.get(1)?,
        department_id: r.get(2)?,
        members: serde_json::from_str(&members).unwrap_or_default(),
        skills: skills.split(',').filter_map(Skill::from_code).collect(),
        home_base: [r.get(5)?, r.get(6)?],
        position: [r.get(7)?, r.get(8)?],
        status: r.get::<_, Code<TeamStatus>>(9)?.0,
    })
}

pub const POSITION_COLUMNS: &str =
    "SELECT team_id, lon, lat, accuracy_m, at, by FROM team_positions";

pub fn position_row(r: &Row<'_>) -> rusqlite::Result<TeamPosition> {
    Ok(TeamPosition {
        team_id: r.get(0)?,
        position: [r.get(1)?, r.get(2)?],
        accuracy_m: r.get(3)?,
        at: time_from_sql(r.get(4)?),
        by: r.get(5)?,
    })
}

/// Every team's last reported position.
pub fn positions(conn: &Connection) -> Result<Vec<TeamPosition>, StoreError> {
    Ok(conn
        .prepare_cached(&format!("{POSITION_COLUMNS} ORDER BY team_id"))?
        .query_map([], position_row)?
        .collect::<Result<_, _>>()?)
}

pub fn claim_client(
    conn: &Connection,
    client_id: &str,
    actor: &str,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let n = conn
        .prepare_cached(
            "INSERT INTO client_commands (client_id, actor, at) VALUES (?1, ?2, ?3)
             ON CONFLICT (client_id) DO NOTHING",
        )?
        .execute(params![client_id, actor, time_to_sql(at)])?;
    Ok(n == 1)
}

pub fn team(conn: &Connection, id: TeamId) -> Result<Option<Team>, StoreError> {
    Ok(conn
        .prepare_cached(&format!("{TEAM_COLUMNS} WHERE id = ?1"))?
        .query_row([id], team_row)
        .optional()?)
}

pub fn set_team(conn: &Connection, t: &Team) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE teams SET lon = ?2, lat = ?3, status = ?4 WHERE id = ?1")?
        .execute(params![t.id, t.position[0], t.position[1], t.status.code()])?;
    Ok(())
}

pub fn set_position(conn: &Connection, p: &TeamPosition) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO team_positions (team_id, lon, lat, accuracy_m, at, by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (team_id) DO UPDATE SET lon = excluded.lon, lat = excluded.lat,
             accuracy_m = excluded.accuracy_m, at = excluded.at, by = excluded.by",
    )?
    .execute(params![
        p.team_id,
        p.position[0],
        p.position[1],
        p.accuracy_m,
        time_to_sql(p.at),
        p.by
    ])?;
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
        Some((compound, number)) => building_label_of(compound.as_deref(), &number),
        None => format!("#{id}"),
    })
}

fn building_label_of(compound: Option<&str>, number: &str) -> String {
    crate::domain::snapshot::building_label(compound, number)
}

pub fn setting(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

/// A message into the outbox; its id is the database's unless it has one (a copy's).
pub fn queue_message(conn: &Connection, m: &Message) -> Result<i64, StoreError> {
    conn.prepare_cached(
        "INSERT INTO outbox (id, ticket_id, kind, phone, body, created_at, status, attempts,
             next_at, sent_at, error)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?
    .execute(params![
        (m.id != 0).then_some(m.id),
        m.ticket_id,
        m.kind.code(),
        m.phone,
        m.body,
        time_to_sql(m.created_at),
        m.status.code(),
        m.attempts,
        time_to_sql(m.next_at),
        m.sent_at.map(time_to_sql),
        m.error
    ])?;
    Ok(conn.last_insert_rowid())
}

/// A photo kept with a ticket's step; its id is the database's unless given (a copy's).
pub fn insert_photo(
    conn: &Connection,
    id: Option<i64>,
    ticket: TicketId,
    event: i64,
    p: &Photo,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO ticket_photos (id, ticket_id, event_id, mime, bytes)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![id, ticket, event, p.mime, p.bytes])?;
    Ok(())
}

pub fn save_account(conn: &Connection, a: &Account) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO accounts (login, name, team_id, password, created_at, disabled)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (login) DO UPDATE SET name = excluded.name, team_id = excluded.team_id,
             password = excluded.password, disabled = excluded.disabled",
    )?
    .execute(params![
        a.login,
        a.name,
        a.team_id,
        a.password_hash,
        time_to_sql(a.created_at),
        a.disabled
    ])?;
    Ok(())
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

const ACCOUNT_COLUMNS: &str =
    "SELECT login, name, team_id, password, created_at, disabled FROM accounts";

fn account_row(r: &Row<'_>) -> rusqlite::Result<Account> {
    Ok(Account {
        login: r.get(0)?,
        name: r.get(1)?,
        team_id: r.get(2)?,
        password_hash: r.get(3)?,
        created_at: time_from_sql(r.get(4)?),
        disabled: r.get(5)?,
    })
}

pub fn accounts(conn: &Connection) -> Result<Vec<Account>, StoreError> {
    Ok(conn
        .prepare_cached(&format!("{ACCOUNT_COLUMNS} ORDER BY login"))?
        .query_map([], account_row)?
        .collect::<Result<_, _>>()?)
}

pub fn account(conn: &Connection, login: &str) -> Result<Option<Account>, StoreError> {
    Ok(conn
        .prepare_cached(&format!("{ACCOUNT_COLUMNS} WHERE login = ?1"))?
        .query_row([login], account_row)
        .optional()?)
}

const MESSAGE_COLUMNS: &str = "SELECT id, ticket_id, kind, phone, body, created_at, status, \
     attempts, next_at, sent_at, error FROM outbox";

fn message_row(r: &Row<'_>) -> rusqlite::Result<Message> {
    let bad = |what: &str, code: String| {
        rusqlite::Error::FromSqlConversionFailure(
            2,
            rusqlite::types::Type::Text,
            format!("unknown {what} {code:?}").into(),
        )
    };
    let kind: String = r.get(2)?;
    let status: String = r.get(6)?;
    Ok(Message {
        id: r.get(0)?,
        ticket_id: r.get(1)?,
        kind: MessageKind::from_code(&kind).ok_or_else(|| bad("message kind", kind.clone()))?,
        phone: r.get(3)?,
        body: r.get(4)?,
        created_at: time_from_sql(r.get(5)?),
        status: MessageStatus::from_code(&status)
            .ok_or_else(|| bad("message status", status.clone()))?,
        attempts: r.get(7)?,
        next_at: time_from_sql(r.get(8)?),
        sent_at: r.get::<_, Option<i64>>(9)?.map(time_from_sql),
        error: r.get(10)?,
    })
}

/// The newest `limit` messages, newest first.
pub fn outbox(conn: &Connection, limit: usize) -> Result<Vec<Message>, StoreError> {
    Ok(conn
        .prepare_cached(&format!("{MESSAGE_COLUMNS} ORDER BY id DESC LIMIT ?1"))?
        .query_map([limit as i64], message_row)?
        .collect::<Result<_, _>>()?)
}

/// Messages to send now, oldest first.
pub fn due_messages(
    conn: &Connection,
    now: Timestamp,
    limit: usize,
) -> Result<Vec<Message>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "{MESSAGE_COLUMNS} WHERE status = 'pending' AND next_at <= ?1 ORDER BY id LIMIT ?2"
        ))?
        .query_map(params![time_to_sql(now), limit as i64], message_row)?
        .collect::<Result<_, _>>()?)
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
    Ok(conn
        .prepare_cached("SELECT mime, bytes FROM ticket_photos WHERE ticket_id = ?1 ORDER BY id")?
        .query_map([ticket], |r| {
            Ok(Photo {
                mime: r.get(0)?,
                bytes: r.get(1)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}

/// Every crews' row, for a copy of the whole database.
pub fn everything(conn: &Connection) -> Result<crate::store::FieldData, StoreError> {
    Ok(crate::store::FieldData {
        accounts: accounts(conn)?,
        outbox: conn
            .prepare(&format!("{MESSAGE_COLUMNS} ORDER BY id"))?
            .query_map([], message_row)?
            .collect::<Result<_, _>>()?,
        photos: conn
            .prepare("SELECT id, ticket_id, event_id, mime, bytes FROM ticket_photos ORDER BY id")?
            .query_map([], |r| {
                Ok(crate::store::StoredPhoto {
                    id: r.get(0)?,
                    ticket: r.get(1)?,
                    event: r.get(2)?,
                    photo: Photo {
                        mime: r.get(3)?,
                        bytes: r.get(4)?,
                    },
                })
            })?
            .collect::<Result<_, _>>()?,
        templates: setting(conn, "message_templates")?,
        client_commands: conn
            .prepare("SELECT client_id, actor, at FROM client_commands ORDER BY client_id")?
            .query_map([], |r| {
                Ok(crate::store::ClientCommand {
                    client_id: r.get(0)?,
                    actor: r.get(1)?,
                    at: time_from_sql(r.get(2)?),
                })
            })?
            .collect::<Result<_, _>>()?,
    })
}

/// Write the crews' rows of a copy, with their ids, and the teams' last positions.
pub fn write_everything(
    conn: &Connection,
    f: &crate::store::FieldData,
    positions: &[TeamPosition],
) -> Result<(), StoreError> {
    for a in &f.accounts {
        save_account(conn, a)?;
    }
    for p in positions {
        set_position(conn, p)?;
    }
    for m in &f.outbox {
        queue_message(conn, m)?;
    }
    for p in &f.photos {
        insert_photo(conn, Some(p.id), p.ticket, p.event, &p.photo)?;
    }
    for c in &f.client_commands {
        claim_client(conn, &c.client_id, &c.actor, c.at)?;
    }
    if let Some(t) = &f.templates {
        conn.execute(
            "INSERT INTO settings (key, value) VALUES ('message_templates', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [t],
        )?;
    }
    Ok(())
}
