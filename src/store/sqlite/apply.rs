//! Applying a command: validate, change, write its audit event, commit — all or nothing.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::StoreError;
use super::codec::time_to_sql;
use super::load::{TICKET_COLUMNS, rules, ticket_row};
use super::write::{insert_event, insert_survey, insert_ticket, write_rules};
use crate::domain::lifecycle::{Transition, deadlines, fixed_with_network, transition};
use crate::domain::*;

pub fn apply(
    conn: &mut Connection,
    command: &Command,
    origin: &Origin,
) -> Result<Applied, StoreError> {
    if let Command::Import(batch) = command {
        return super::import::apply(conn, batch, origin);
    }
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
        Command::NetworkTicket { .. } => network_ticket(&tx, command, origin)?,
        Command::RecordVisit(new) => super::visit::record_visit(&tx, new, origin)?,
        Command::SetKpiRules(rules) => {
            rules.check().map_err(StoreError::Invalid)?;
            let json =
                serde_json::to_string(rules).map_err(|e| StoreError::Invalid(e.to_string()))?;
            tx.execute(
                "INSERT INTO settings (key, value) VALUES ('kpi_rules', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [&json],
            )?;
            tx.execute(
                "INSERT INTO audit_events (at, actor, command, detail) VALUES (?1, ?2, 'set_kpi_rules', ?3)",
                params![time_to_sql(origin.at), origin.actor, json],
            )?;
            Applied::KpiRules(*rules)
        }
        Command::Import(_) => unreachable!("applied above, in a transaction of its own"),
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

/// The ticket as stored now.
fn ticket_by_id(tx: &rusqlite::Transaction<'_>, id: TicketId) -> Result<Ticket, StoreError> {
    tx.query_row(&format!("{TICKET_COLUMNS} WHERE id = ?1"), [id], ticket_row)
        .optional()?
        .ok_or(StoreError::NotFound { what: "ticket", id })
}

/// A row the command refers to must exist (`table` is one of ours, never user input).
pub(super) fn require(
    tx: &rusqlite::Transaction<'_>,
    table: &str,
    what: &'static str,
    id: i64,
) -> Result<(), StoreError> {
    let found = tx
        .query_row(
            &format!("SELECT 1 FROM {table} WHERE id = ?1"),
            [id],
            |_| Ok(()),
        )
        .optional()?;
    found.ok_or(StoreError::NotFound { what, id })
}

pub(super) fn create_ticket(
    tx: &rusqlite::Transaction<'_>,
    new: &NewTicket,
    origin: &Origin,
) -> Result<Applied, StoreError> {
    require(tx, "buildings", "building", new.building_id)?;
    let (respond_by, deadline) = deadlines(&rules(tx)?, new.category, new.severity, origin.at);
    // the id is the database's to give (never max(id) + 1 read by a client)
    let mut ticket = Ticket::received(0, new, origin.at, (respond_by, deadline));
    ticket.id = insert_ticket(tx, &ticket)?;
    let id = ticket.id;
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
    let ticket = ticket_by_id(tx, id)?;
    if ticket.version != seen_version {
        return Err(StoreError::Stale {
            ticket: id,
            seen: seen_version,
            current: ticket.version,
        });
    }
    if let Action::Assign { team } = action {
        require(tx, "teams", "team", *team)?;
    }
    let next = transition(&ticket, action, origin.at)?;
    let survey_answer = match action {
        Action::Callback { answer } => Some(*answer),
        _ => None,
    };
    let note = match action {
        Action::Callback { answer } => answer.code().to_string(),
        other => other.reason().unwrap_or_default().to_string(),
    };
    let applied = save_step(tx, ticket, next, action.code(), note, survey_answer, origin)?;
    if !matches!(action, Action::Fix) {
        return Ok(applied);
    }
    // the household reports linked to a network ticket are fixed with it
    let linked = {
        let mut st = tx.prepare_cached(&format!(
            "{TICKET_COLUMNS} WHERE parent_id = ?1 AND status NOT IN ('fixed', 'callback_done', 'closed')
             ORDER BY id"
        ))?;
        st.query_map([id], ticket_row)?
            .collect::<Result<Vec<_>, _>>()?
    };
    if linked.is_empty() {
        return Ok(applied);
    }
    let mut all = vec![applied];
    for child in linked {
        if let Some(next) = fixed_with_network(&child, origin.at) {
            all.push(save_step(
                tx,
                child,
                next,
                "fix",
                format!("#{id}"),
                None,
                origin,
            )?);
        }
    }
    Ok(Applied::Batch(all))
}

/// Write one lifecycle step of a ticket (its row, its audit event, a callback's answer).
pub(super) fn save_step(
    tx: &rusqlite::Transaction<'_>,
    mut ticket: Ticket,
    next: Transition,
    action: &str,
    note: String,
    answer: Option<SurveyAnswer>,
    origin: &Origin,
) -> Result<Applied, StoreError> {
    let id = ticket.id;
    let seen_version = ticket.version;
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
    let survey = match answer {
        Some(answer) => {
            let mut s = SurveyResponse {
                id: 0,
                building_id: ticket.building_id,
                ticket_id: Some(id),
                visit_id: None,
                answer,
                at: origin.at,
            };
            s.id = insert_survey(tx, &s)?;
            Some(s)
        }
        None => None,
    };
    let mut event = TicketEvent {
        id: 0,
        ticket_id: id,
        at: origin.at,
        actor: origin.actor.clone(),
        action: action.into(),
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

/// A network ticket from a complaint cluster, and the open household reports it explains
/// linked to it (each with its own audit event).
fn network_ticket(
    tx: &rusqlite::Transaction<'_>,
    command: &Command,
    origin: &Origin,
) -> Result<Applied, StoreError> {
    let Command::NetworkTicket {
        category,
        severity,
        building_id,
        segment,
        description,
        linked,
    } = command
    else {
        unreachable!("called for network tickets only")
    };
    if let Some(seg) = segment {
        require(tx, "pipe_segments", "pipe segment", *seg)?;
    }
    let new = NewTicket {
        channel: Channel::NetworkAlert,
        category: *category,
        severity: *severity,
        building_id: *building_id,
        address_detail: String::new(),
        reporter_name: origin.actor.clone(),
        reporter_phone: String::new(),
        description: description.clone(),
    };
    let Applied::Ticket {
        mut ticket,
        mut event,
        ..
    } = create_ticket(tx, &new, origin)?
    else {
        unreachable!("create_ticket makes one ticket")
    };
    ticket.segment_id = *segment;
    tx.execute(
        "UPDATE tickets SET segment_id = ?2 WHERE id = ?1",
        params![ticket.id, segment],
    )?;
    event.action = "network_ticket".into();
    event.note = linked
        .iter()
        .map(|t| format!("#{t}"))
        .collect::<Vec<_>>()
        .join(" ");
    tx.execute(
        "UPDATE ticket_events SET action = ?2, note = ?3 WHERE id = ?1",
        params![event.id, event.action, event.note],
    )?;
    let parent = ticket.id;
    let mut all = vec![Applied::Ticket {
        ticket,
        event,
        previous: None,
        survey: None,
    }];
    for &child in linked {
        let mut t = ticket_by_id(tx, child)?;
        if !t.status.is_open() {
            return Err(StoreError::Invalid(format!(
                "ticket #{child} is already {:?}: it cannot be linked",
                t.status
            )));
        }
        if let Some(p) = t.parent_id {
            return Err(StoreError::Invalid(format!(
                "ticket #{child} is already linked to network ticket #{p}"
            )));
        }
        t.parent_id = Some(parent);
        t.version += 1;
        t.updated_at = origin.at;
        tx.execute(
            "UPDATE tickets SET parent_id = ?2, version = ?3, updated_at = ?4 WHERE id = ?1",
            params![child, parent, t.version, time_to_sql(origin.at)],
        )?;
        let mut event = TicketEvent {
            id: 0,
            ticket_id: child,
            at: origin.at,
            actor: origin.actor.clone(),
            action: "link_network".into(),
            from_status: Some(t.status),
            to_status: t.status,
            team_id: t.team_id,
            note: format!("#{parent}"),
        };
        event.id = insert_event(tx, &event)?;
        all.push(Applied::Ticket {
            previous: Some(t.status),
            ticket: Box::new(t),
            event,
            survey: None,
        });
    }
    Ok(Applied::Batch(all))
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
    let ticket = ticket_by_id(tx, id)?;
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
