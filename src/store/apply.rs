//! Applying a command: validate, change, write its audit event, commit — all or nothing.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::StoreError;
use super::codec::time_to_sql;
use super::load::{TICKET_COLUMNS, rules, ticket_row};
use super::write::{insert_event, insert_ticket, write_rules};
use crate::domain::lifecycle::{deadlines, transition};
use crate::domain::*;

pub fn apply(
    conn: &mut Connection,
    command: &Command,
    origin: &Origin,
) -> Result<Applied, StoreError> {
    // IMMEDIATE takes the write lock first, so two consoles never both read a version and
    // then race to write it.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let applied = match command {
        Command::CreateTicket(new) => create_ticket(&tx, new, origin)?,
        Command::Act {
            ticket,
            seen_version,
            action,
        } => act(&tx, *ticket, *seen_version, action, origin)?,
        Command::SetSlaRule(rule) => {
            if rule.respond_minutes == 0 || rule.resolve_minutes == 0 {
                return Err(StoreError::Invalid(
                    "deadlines must be at least one minute".into(),
                ));
            }
            write_rules(&tx, std::slice::from_ref(rule))?;
            tx.execute(
                "INSERT INTO audit_events (at, actor, command, detail) VALUES (?1, ?2, 'set_sla_rule', ?3)",
                params![
                    time_to_sql(origin.at),
                    origin.actor,
                    serde_json::to_string(rule).map_err(|e| StoreError::Invalid(e.to_string()))?
                ],
            )?;
            Applied::Rule(*rule)
        }
        Command::LinkReport {
            ticket,
            channel,
            reporter_name,
            reporter_phone,
            note,
        } => link_report(
            &tx,
            *ticket,
            *channel,
            reporter_name,
            reporter_phone,
            note,
            origin,
        )?,
    };
    tx.commit()?;
    Ok(applied)
}

fn create_ticket(
    tx: &rusqlite::Transaction<'_>,
    new: &NewTicket,
    origin: &Origin,
) -> Result<Applied, StoreError> {
    let exists: bool = tx
        .query_row(
            "SELECT 1 FROM buildings WHERE id = ?1",
            [new.building_id],
            |_| Ok(true),
        )
        .optional()?
        .unwrap_or(false);
    if !exists {
        return Err(StoreError::NotFound {
            what: "building",
            id: new.building_id,
        });
    }
    let (respond_by, deadline) = deadlines(&rules(tx)?, new.category, new.severity, origin.at);
    let id: i64 = tx.query_row("SELECT coalesce(max(id), 0) + 1 FROM tickets", [], |r| {
        r.get(0)
    })?;
    let ticket = Ticket {
        id,
        version: 1,
        channel: new.channel,
        category: new.category,
        severity: new.severity,
        building_id: new.building_id,
        address_detail: new.address_detail.clone(),
        reporter_name: new.reporter_name.clone(),
        reporter_phone: new.reporter_phone.clone(),
        description: new.description.clone(),
        status: TicketStatus::Received,
        team_id: None,
        created_at: origin.at,
        respond_by,
        deadline,
        updated_at: origin.at,
        fixed_at: None,
        closed_at: None,
        timely: None,
        satisfaction: None,
    };
    insert_ticket(tx, &ticket)?;
    let mut event = TicketEvent {
        id: 0,
        ticket_id: id,
        at: origin.at,
        actor: origin.actor.clone(),
        action: "create".into(),
        from_status: None,
        to_status: TicketStatus::Received,
        team_id: None,
        note: String::new(),
    };
    event.id = insert_event(tx, &event)?;
    Ok(Applied::Ticket {
        ticket: Box::new(ticket),
        event,
        previous: None,
        survey: None,
    })
}

fn act(
    tx: &rusqlite::Transaction<'_>,
    id: TicketId,
    seen_version: i64,
    action: &Action,
    origin: &Origin,
) -> Result<Applied, StoreError> {
    let mut ticket = tx
        .query_row(&format!("{TICKET_COLUMNS} WHERE id = ?1"), [id], ticket_row)
        .optional()?
        .ok_or(StoreError::NotFound { what: "ticket", id })?;
    if ticket.version != seen_version {
        return Err(StoreError::Stale {
            ticket: id,
            seen: seen_version,
            current: ticket.version,
        });
    }
    if let Action::Assign { team } = action {
        let exists: bool = tx
            .query_row("SELECT 1 FROM teams WHERE id = ?1", [team], |_| Ok(true))
            .optional()?
            .unwrap_or(false);
        if !exists {
            return Err(StoreError::NotFound {
                what: "team",
                id: *team,
            });
        }
    }
    let next = transition(&ticket, action, origin.at)?;
    let previous = ticket.status;
    ticket.status = next.to;
    ticket.team_id = next.team;
    ticket.fixed_at = next.fixed_at;
    ticket.timely = next.timely;
    ticket.satisfaction = next.satisfaction;
    ticket.closed_at = next.closed_at;
    ticket.updated_at = origin.at;
    ticket.version += 1;
    let changed = tx.execute(
        "UPDATE tickets SET version = ?2, status = ?3, team_id = ?4, fixed_at = ?5, timely = ?6,
            satisfaction = ?7, closed_at = ?8, updated_at = ?9
         WHERE id = ?1 AND version = ?10",
        params![
            id,
            ticket.version,
            ticket.status.code(),
            ticket.team_id,
            ticket.fixed_at.map(time_to_sql),
            ticket.timely,
            ticket.satisfaction.map(|a| a.code()),
            ticket.closed_at.map(time_to_sql),
            time_to_sql(origin.at),
            seen_version,
        ],
    )?;
    if changed != 1 {
        return Err(StoreError::Stale {
            ticket: id,
            seen: seen_version,
            current: seen_version + 1,
        });
    }
    let survey = match action {
        Action::Callback { answer } => {
            tx.execute(
                "INSERT INTO survey_responses (building_id, ticket_id, visit_id, answer, at) VALUES (?1, ?2, NULL, ?3, ?4)",
                params![ticket.building_id, id, answer.code(), time_to_sql(origin.at)],
            )?;
            Some(SurveyResponse {
                id: tx.last_insert_rowid(),
                building_id: ticket.building_id,
                ticket_id: Some(id),
                visit_id: None,
                answer: *answer,
                at: origin.at,
            })
        }
        _ => None,
    };
    let note = match action {
        Action::Callback { answer } => answer.code().to_string(),
        other => other.reason().unwrap_or_default().to_string(),
    };
    let mut event = TicketEvent {
        id: 0,
        ticket_id: id,
        at: origin.at,
        actor: origin.actor.clone(),
        action: action.code().into(),
        from_status: Some(previous),
        to_status: ticket.status,
        team_id: ticket.team_id,
        note,
    };
    event.id = insert_event(tx, &event)?;
    Ok(Applied::Ticket {
        ticket: Box::new(ticket),
        event,
        previous: Some(previous),
        survey,
    })
}

/// Record a repeated report on the open ticket it repeats (no new ticket, no state change).
fn link_report(
    tx: &rusqlite::Transaction<'_>,
    id: TicketId,
    channel: Channel,
    reporter_name: &str,
    reporter_phone: &str,
    note: &str,
    origin: &Origin,
) -> Result<Applied, StoreError> {
    let ticket = tx
        .query_row(&format!("{TICKET_COLUMNS} WHERE id = ?1"), [id], ticket_row)
        .optional()?
        .ok_or(StoreError::NotFound { what: "ticket", id })?;
    if !ticket.status.is_open() {
        return Err(StoreError::Invalid(format!(
            "ticket #{id} is already {:?}; create a new ticket instead",
            ticket.status
        )));
    }
    let mut event = TicketEvent {
        id: 0,
        ticket_id: id,
        at: origin.at,
        actor: origin.actor.clone(),
        action: "repeat_report".into(),
        from_status: Some(ticket.status),
        to_status: ticket.status,
        team_id: ticket.team_id,
        note: format!(
            "{} · {reporter_name} {reporter_phone} · {note}",
            channel.code()
        ),
    };
    event.id = insert_event(tx, &event)?;
    Ok(Applied::Ticket {
        previous: Some(ticket.status),
        ticket: Box::new(ticket),
        event,
        survey: None,
    })
}
