//! The crews in the field, in PostgreSQL: accounts, requests already applied, team positions,
//! photos and the outbox of messages to residents (SQLite's `field`, in PostgreSQL's SQL).

use postgres::GenericClient;

use crate::domain::crew::{Account, Message, MessageKind, MessageStatus, Photo, TeamPosition};
use crate::domain::*;
use crate::store::StoreError;

pub const TEAM_COLUMNS: &str = "SELECT id, name, department_id, members, skills, home_lon, home_lat, lon, lat, status FROM teams";

pub fn team_row(r: &postgres::Row) -> Result<Team, StoreError> {
    let members: String = r.try_get(3)?;
    let skills: String = r.try_get(4)?;
    let status: String = r.try_get(9)?;
    Ok(Team {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        department_id: r.try_get(2)?,
        members: serde_json::from_str(&members).unwrap_or_default(),
        skills: skills.split(',').filter_map(Skill::from_code).collect(),
        home_base: [r.try_get(5)?, r.try_get(6)?],
        position: [r.try_get(7)?, r.try_get(8)?],
        status: TeamStatus::from_code(&status)
            .ok_or_else(|| StoreError::Invalid(format!("unknown team status {status:?}")))?,
    })
}

pub const POSITION_COLUMNS: &str =
    "SELECT team_id, lon, lat, accuracy_m, at, by FROM team_positions";

pub fn position_row(r: &postgres::Row) -> Result<TeamPosition, StoreError> {
    Ok(TeamPosition {
        team_id: r.try_get(0)?,
        position: [r.try_get(1)?, r.try_get(2)?],
        accuracy_m: r.try_get(3)?,
        at: r.try_get(4)?,
        by: r.try_get(5)?,
    })
}

pub fn positions(c: &mut impl GenericClient) -> Result<Vec<TeamPosition>, StoreError> {
    c.query(&format!("{POSITION_COLUMNS} ORDER BY team_id"), &[])?
        .iter()
        .map(position_row)
        .collect()
}

const ACCOUNT_COLUMNS: &str =
    "SELECT login, name, team_id, password, created_at, disabled FROM accounts";

fn account_row(r: &postgres::Row) -> Result<Account, StoreError> {
    Ok(Account {
        login: r.try_get(0)?,
        name: r.try_get(1)?,
        team_id: r.try_get(2)?,
        password_hash: r.try_get(3)?,
        created_at: r.try_get(4)?,
        disabled: r.try_get(5)?,
    })
}

pub fn accounts(c: &mut impl GenericClient) -> Result<Vec<Account>, StoreError> {
    c.query(&format!("{ACCOUNT_COLUMNS} ORDER BY login"), &[])?
        .iter()
        .map(account_row)
        .collect()
}

pub fn account(c: &mut impl GenericClient, login: &str) -> Result<Option<Account>, StoreError> {
    c.query_opt(&format!("{ACCOUNT_COLUMNS} WHERE login = $1"), &[&login])?
        .map(|r| account_row(&r))
        .transpose()
}

pub const MESSAGE_COLUMNS: &str = "SELECT id, ticket_id, kind, phone, body, created_at, status, \
     attempts, next_at, sent_at, error FROM outbox";

pub fn message_row(r: &postgres::Row) -> Result<Message, StoreError> {
    let kind: String = r.try_get(2)?;
    let status: String = r.try_get(6)?;
    let attempts: i32 = r.try_get(7)?;
    Ok(Message {
        id: r.try_get(0)?,
        ticket_id: r.try_get(1)?,
        kind: MessageKind::from_code(&kind)
            .ok_or_else(|| StoreError::Invalid(format!("unknown message kind {kind:?}")))?,
        phone: r.try_get(3)?,
        body: r.try_get(4)?,
        created_at: r.try_get(5)?,
        status: MessageStatus::from_code(&status)
            .ok_or_else(|| StoreError::Invalid(format!("unknown message status {status:?}")))?,
        attempts: attempts.max(0) as u32,
        next_at: r.try_get(8)?,
        sent_at: r.try_get(9)?,
        error: r.try_get(10)?,
    })
}

pub fn outbox(c: &mut impl GenericClient, limit: usize) -> Result<Vec<Message>, StoreError> {
    c.query(
        &format!("{MESSAGE_COLUMNS} ORDER BY id DESC LIMIT $1"),
        &[&(limit as i64)],
    )?
    .iter()
    .map(message_row)
    .collect()
}

pub fn due_messages(
    c: &mut impl GenericClient,
    now: Timestamp,
    limit: usize,
) -> Result<Vec<Message>, StoreError> {
    c.query(
        &format!(
            "{MESSAGE_COLUMNS} WHERE status = 'pending' AND next_at <= $1 ORDER BY id LIMIT $2"
        ),
        &[&now, &(limit as i64)],
    )?
    .iter()
    .map(message_row)
    .collect()
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
    c.query(
        "SELECT mime, bytes FROM ticket_photos WHERE ticket_id = $1 ORDER BY id",
        &[&ticket],
    )?
    .iter()
    .map(|r| {
        Ok(Photo {
            mime: r.try_get(0)?,
            bytes: r.try_get(1)?,
        })
    })
    .collect()
}

/// Every crews' row, for a copy of the whole database.
pub fn everything(c: &mut impl GenericClient) -> Result<crate::store::FieldData, StoreError> {
    let outbox = c
        .query(&format!("{MESSAGE_COLUMNS} ORDER BY id"), &[])?
        .iter()
        .map(message_row)
        .collect::<Result<_, _>>()?;
    let photos = c
        .query(
            "SELECT id, ticket_id, event_id, mime, bytes FROM ticket_photos ORDER BY id",
            &[],
        )?
        .iter()
        .map(|r| {
            Ok(crate::store::StoredPhoto {
                id: r.try_get(0)?,
                ticket: r.try_get(1)?,
                event: r.try_get(2)?,
                photo: Photo {
                    mime: r.try_get(3)?,
                    bytes: r.try_get(4)?,
                },
            })
        })
        .collect::<Result<_, StoreError>>()?;
    let templates = c
        .query_opt(
            "SELECT value FROM settings WHERE key = 'message_templates'",
            &[],
        )?
        .map(|r| r.try_get(0))
        .transpose()?;
    let client_commands = c
        .query(
            "SELECT client_id, actor, at FROM client_commands ORDER BY client_id",
            &[],
        )?
        .iter()
        .map(|r| {
            Ok(crate::store::ClientCommand {
                client_id: r.try_get(0)?,
                actor: r.try_get(1)?,
                at: r.try_get(2)?,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(crate::store::FieldData {
        accounts: accounts(c)?,
        outbox,
        photos,
        templates,
        client_commands,
    })
}

/// Write the crews' rows of a copy, with their ids, and the teams' last positions (through
/// the same statements as the commands that make them).
pub fn write_everything(
    tx: &mut super::tx::PgTx<'_, '_>,
    f: &crate::store::FieldData,
    positions: &[TeamPosition],
) -> Result<(), StoreError> {
    use crate::store::commands::Tx;
    for a in &f.accounts {
        tx.save_account(a)?;
    }
    for p in positions {
        tx.set_position(p)?;
    }
    for m in &f.outbox {
        tx.queue_message(m)?;
    }
    for p in &f.photos {
        tx.tx.execute(
            "INSERT INTO ticket_photos (id, ticket_id, event_id, mime, bytes)
             VALUES ($1, $2, $3, $4, $5)",
            &[&p.id, &p.ticket, &p.event, &p.photo.mime, &p.photo.bytes],
        )?;
    }
    for c in &f.client_commands {
        tx.claim_client(&c.client_id, &c.actor, c.at)?;
    }
    if let Some(t) = &f.templates {
        tx.tx.execute(
            "INSERT INTO settings (key, value) VALUES ('message_templates', $1)
             ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            &[t],
        )?;
    }
    Ok(())
}
