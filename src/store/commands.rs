//! What each command does, written once for every store: validate it against the rows as they
//! stand in the transaction, change them by the lifecycle's rules, write its audit events, and
//! record what changed in the change log other consoles read. A backend supplies [`Tx`]: the
//! reads and writes of one transaction, in its own SQL.

use super::StoreError;
use super::record::{Cell, Dialect, Record};
use crate::domain::batch::{ImportBatch, Rows, Table, is_provisional};
use crate::domain::command::{FileRow, NewVisit, Refusal};
use crate::domain::crew::{self, FieldCommand, FieldStep, MessageFacts, MessageKind};
use crate::domain::lifecycle::{
    Transition, TransitionError, deadlines, fixed_with_network, record_problems, transition,
};
use crate::domain::*;

/// What a command touched, written to the change log (every console reads it to catch up).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Logged {
    /// Tickets changed or made, with the version they are at now.
    pub tickets: Vec<(TicketId, i64)>,
    pub visits: Vec<i64>,
    pub readings: Vec<i64>,
    pub surveys: Vec<i64>,
    /// Deadline rules or KPI definitions changed.
    pub settings: bool,
    /// Teams whose row or position changed.
    pub teams: Vec<TeamId>,
    /// The city itself (or a whole file of rows) changed: read everything again.
    pub reload: bool,
}

impl Logged {
    fn of(applied: &Applied) -> Self {
        let mut logged = Logged::default();
        logged.add(applied);
        logged
    }

    fn add(&mut self, applied: &Applied) {
        match applied {
            Applied::Ticket { ticket, survey, .. } => {
                self.tickets.retain(|(id, _)| *id != ticket.id);
                self.tickets.push((ticket.id, ticket.version));
                self.surveys.extend(survey.iter().map(|s| s.id));
            }
            Applied::Rule(_) | Applied::KpiRules(_) => self.settings = true,
            Applied::Batch(all) => all.iter().for_each(|a| self.add(a)),
            Applied::Visit {
                visit,
                readings,
                surveys,
            } => {
                self.visits.push(visit.id);
                self.readings.extend(readings.iter().map(|r| r.id));
                self.surveys.extend(surveys.iter().map(|s| s.id));
            }
            Applied::Import(_) => self.reload = true,
            Applied::Team { team, .. } => {
                if !self.teams.contains(&team.id) {
                    self.teams.push(team.id);
                }
            }
            Applied::Readings(readings) => self.readings.extend(readings.iter().map(|r| r.id)),
            Applied::Noted { .. } => {}
        }
    }
}

/// One transaction's reads and writes, in a backend's SQL. Ids of new rows come from the
/// database (0 in a row asks for one); an event's actor is whom the database says (SQLite:
/// the console's operator; PostgreSQL: the session's user).
pub trait Tx {
    fn ticket(&mut self, id: TicketId) -> Result<Option<Ticket>, StoreError>;
    /// The open household reports linked to a network ticket, by id.
    fn open_linked(&mut self, parent: TicketId) -> Result<Vec<Ticket>, StoreError>;
    fn exists(&mut self, table: Table, id: i64) -> Result<bool, StoreError>;
    /// The compound a building is in.
    fn compound_of(&mut self, building: BuildingId) -> Result<Option<CompoundId>, StoreError>;
    fn rules(&mut self) -> Result<Vec<SlaRule>, StoreError>;
    /// The last step of a ticket's trail: who, and when (for a stale action's refusal).
    fn last_step(&mut self, ticket: TicketId) -> Result<Option<(String, Timestamp)>, StoreError>;

    /// The SQL the store speaks.
    fn dialect(&self) -> Dialect;
    /// Run an `INSERT … RETURNING id` with these values: the row's id.
    fn insert_row(&mut self, sql: &str, cells: &[Cell<'_>]) -> Result<i64, StoreError>;
    /// Run a statement with these values: the rows it wrote.
    fn execute_row(&mut self, sql: &str, cells: &[Cell<'_>]) -> Result<u64, StoreError>;
    /// Write a ticket's new state if it is still at `seen_version`; `team_changed`: the
    /// step gives it another team (or none). False when someone else moved it on.
    fn update_ticket(
        &mut self,
        t: &Ticket,
        seen_version: i64,
        team_changed: bool,
    ) -> Result<bool, StoreError>;
    /// Link a household report to a network ticket (its version moves on).
    fn link_ticket(&mut self, t: &Ticket) -> Result<(), StoreError>;
    /// Insert an audit event; returns its id and the actor written.
    fn insert_event(&mut self, e: &TicketEvent) -> Result<(i64, String), StoreError>;
    fn upsert_rules(&mut self, rules: &[SlaRule]) -> Result<(), StoreError>;
    fn set_setting(&mut self, key: &str, json: &str) -> Result<(), StoreError>;
    /// An audit record of a change that is not a ticket's step.
    fn audit(&mut self, origin: &Origin, command: &str, detail: &str) -> Result<(), StoreError>;
    /// Record what the transaction changed, for other consoles (and tell them).
    fn log_change(&mut self, origin: &Origin, change: &Logged) -> Result<i64, StoreError>;

    /// Record the company's id of a row.
    fn external_id(&mut self, table: Table, external: &str, id: i64) -> Result<(), StoreError>;
    /// Set a ticket's network ticket (an import links them last).
    fn set_parent(&mut self, child: TicketId, parent: TicketId) -> Result<(), StoreError>;
    /// An import wrote rows of these tables with ids of its own: whatever numbers new rows
    /// continues past them.
    fn imported(&mut self, _tables: &[Table]) -> Result<(), StoreError> {
        Ok(())
    }

    /// Record a phone's request id; false when it was recorded before (a retry).
    fn claim_client(
        &mut self,
        client_id: &str,
        actor: &str,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let claim = super::ClientCommand {
            client_id: client_id.to_string(),
            actor: actor.to_string(),
            at,
        };
        let sql = super::ClientCommand::statements().fresh(self.dialect());
        Ok(self.execute_row(sql, &claim.cells())? == 1)
    }
    fn team(&mut self, id: TeamId) -> Result<Option<Team>, StoreError>;
    /// Write a team's status and position.
    fn set_team(&mut self, team: &Team) -> Result<(), StoreError>;
    /// Where a team's phone last was (one row per team).
    fn set_position(&mut self, p: &crew::TeamPosition) -> Result<(), StoreError> {
        let sql = crew::TeamPosition::statements().upsert(self.dialect());
        self.execute_row(sql, &p.cells()).map(drop)
    }
    /// "工银新村 3号楼"
    fn building_label(&mut self, id: BuildingId) -> Result<String, StoreError>;
    /// A company setting's JSON.
    fn setting(&mut self, key: &str) -> Result<Option<String>, StoreError>;
    /// Put a message in the outbox (id 0: the next); returns its id.
    fn queue_message(&mut self, m: &crew::Message) -> Result<i64, StoreError> {
        let sql = crew::Message::statements().insert(self.dialect());
        self.insert_row(sql, &m.cells())
    }
    /// Keep a photo with a ticket's step (id 0: the next).
    fn insert_photo(&mut self, photo: &super::StoredPhoto) -> Result<(), StoreError> {
        let sql = super::StoredPhoto::statements().insert(self.dialect());
        self.insert_row(sql, &photo.cells()).map(drop)
    }
    /// Insert or replace an account (when it was made is kept).
    fn save_account(&mut self, a: &crew::Account) -> Result<(), StoreError> {
        let sql = crew::Account::statements().upsert(self.dialect());
        self.execute_row(sql, &a.cells()).map(drop)
    }
    /// The numbers residents of these buildings gave with their reports (each once), with
    /// the latest such ticket.
    fn reporters_in(
        &mut self,
        buildings: &[BuildingId],
    ) -> Result<Vec<(TicketId, String)>, StoreError>;
}

/// Write the crews' rows of a copy, with their ids, and the teams' last positions (through the
/// same statements as the commands that make them).
pub fn write_crews(
    tx: &mut dyn Tx,
    f: &super::FieldData,
    positions: &[crew::TeamPosition],
) -> Result<(), StoreError> {
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
        tx.insert_photo(p)?;
    }
    for c in &f.client_commands {
        tx.claim_client(&c.client_id, &c.actor, c.at)?;
    }
    if let Some(t) = &f.templates {
        tx.set_setting("message_templates", t)?;
    }
    Ok(())
}

/// Insert a row (id 0: the database gives the next): its id.
fn insert<R: Record>(tx: &mut dyn Tx, row: &R) -> Result<i64, StoreError> {
    let sql = R::statements().insert(tx.dialect());
    tx.insert_row(sql, &row.cells())
}

/// Insert or update one imported row (its id provisional: a new row the database numbers;
/// its references already resolved): its id. `at` names it in a refusal ("tickets.csv row 5").
fn upsert<R: Record>(tx: &mut dyn Tx, row: &R, at: &FileRow) -> Result<i64, StoreError> {
    let st = R::statements();
    tx.insert_row(st.upsert(tx.dialect()), &st.imported(row.cells()))
        .map_err(|e| {
            let detail = match e.problem() {
                crate::words::problem::Problem::Failed(detail) => detail,
                _ => e.to_string(),
            };
            Refusal::RowRefused {
                at: at.clone(),
                detail,
            }
            .into()
        })
}

/// Apply one command in `tx` (the caller commits), once per `request` when there is one: what
/// it did, and the id of its entry in the change log (a handle skips its own entries when it
/// catches up).
pub fn apply(
    tx: &mut dyn Tx,
    command: &Command,
    origin: &Origin,
    request: Option<&str>,
) -> Result<(Applied, i64), StoreError> {
    // the store keeps whole seconds: the answer says what the database holds, so a console
    // that takes it in agrees with a fresh load (a server's clock gives nanoseconds)
    let origin = &Origin {
        actor: origin.actor.clone(),
        at: super::chain::whole_seconds(origin.at),
    };
    if let Some(request) = request
        && !tx.claim_client(request, &origin.actor, origin.at)?
    {
        return Err(StoreError::AlreadyApplied {
            client_id: request.to_string(),
        });
    }
    let applied = match command {
        Command::CreateTicket(new) => create_ticket(tx, new, origin)?,
        Command::Act {
            ticket,
            seen_version,
            action,
        } => act(tx, *ticket, *seen_version, action, origin)?,
        Command::SetSlaRule(rule) => {
            if rule.respond_minutes == 0 || rule.resolve_minutes == 0 {
                return Err(Refusal::DeadlineUnderAMinute.into());
            }
            tx.upsert_rules(std::slice::from_ref(rule))?;
            tx.audit(origin, "set_sla_rule", &json(rule)?)?;
            Applied::Rule(*rule)
        }
        Command::NetworkTicket {
            category,
            severity,
            building_id,
            segment,
            description,
            linked,
        } => network_ticket(
            tx,
            (*category, *severity, *building_id, *segment),
            description,
            linked,
            origin,
        )?,
        Command::RecordVisit(new) => record_visit(tx, new, origin)?,
        Command::SetKpiRules(rules) => {
            rules.check().map_err(Refusal::Kpi)?;
            let json = json(rules)?;
            tx.set_setting("kpi_rules", &json)?;
            tx.audit(origin, "set_kpi_rules", &json)?;
            Applied::KpiRules(*rules)
        }
        Command::LinkReport {
            ticket,
            channel,
            reporter_name,
            reporter_phone,
            note,
        } => link_report(
            tx,
            *ticket,
            *channel,
            (reporter_name, reporter_phone, note),
            origin,
        )?,
        Command::Import(batch) => import(tx, batch, origin)?,
        Command::Field(f) => field_step(tx, f, origin)?,
        Command::ReportPosition(p) => report_position(tx, p)?,
        Command::SaveAccount(a) => {
            if !crew::valid_login(&a.login) {
                return Err(Refusal::BadLogin(a.login.clone()).into());
            }
            if !a.password_hash.starts_with("$argon2") {
                return Err(Refusal::PasswordNotHashed.into());
            }
            if !a.fits() {
                return Err(Refusal::RoleTeam {
                    login: a.login.clone(),
                    role: a.role,
                }
                .into());
            }
            if let Some(team) = a.team_id {
                require(tx, Table::Teams, "team", team)?;
            }
            tx.save_account(a)?;
            // the audit trail names the account and its team, never the hash
            let detail = serde_json::json!({
                "login": a.login, "name": a.name, "team": a.team_id, "role": a.role.code(),
                "disabled": a.disabled,
            });
            tx.audit(origin, "save_account", &detail.to_string())?;
            Applied::Noted { messages: 0 }
        }
        Command::SetMessageTemplates(t) => {
            t.check().map_err(Refusal::EmptyTemplate)?;
            let json = json(t)?;
            tx.set_setting("message_templates", &json)?;
            tx.audit(origin, "set_message_templates", &json)?;
            Applied::Noted { messages: 0 }
        }
        Command::NotifyOutage {
            buildings,
            restore,
            when,
        } => notify_outage(tx, buildings, *restore, *when, origin)?,
    };
    let logged = tx.log_change(origin, &Logged::of(&applied))?;
    Ok((applied, logged))
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Invalid(e.to_string()))
}

fn require(tx: &mut dyn Tx, table: Table, what: &'static str, id: i64) -> Result<(), StoreError> {
    if tx.exists(table, id)? {
        Ok(())
    } else {
        Err(StoreError::NotFound { what, id })
    }
}

fn ticket_by_id(tx: &mut dyn Tx, id: TicketId) -> Result<Ticket, StoreError> {
    tx.ticket(id)?
        .ok_or(StoreError::NotFound { what: "ticket", id })
}

/// A ticket moved on by someone else since `seen`: refused, naming who and when.
fn stale(tx: &mut dyn Tx, ticket: TicketId, seen: i64, current: i64) -> StoreError {
    let (by, at) = tx.last_step(ticket).ok().flatten().unzip();
    StoreError::Stale {
        ticket,
        seen,
        current,
        by,
        at,
    }
}

/// Write an event, with the actor the database records.
fn write_event(tx: &mut dyn Tx, mut e: TicketEvent) -> Result<TicketEvent, StoreError> {
    let (id, actor) = tx.insert_event(&e)?;
    e.id = id;
    e.actor = actor;
    Ok(e)
}

fn create_ticket(tx: &mut dyn Tx, new: &NewTicket, origin: &Origin) -> Result<Applied, StoreError> {
    create_ticket_as(tx, new, origin, "create", String::new())
}

fn create_ticket_as(
    tx: &mut dyn Tx,
    new: &NewTicket,
    origin: &Origin,
    action: &str,
    note: String,
) -> Result<Applied, StoreError> {
    require(tx, Table::Buildings, "building", new.building_id)?;
    let due = deadlines(&tx.rules()?, new.category, new.severity, origin.at);
    // the id is the database's to give (never max(id) + 1 read by a client)
    let mut ticket = Ticket::received(0, new, origin.at, due);
    ticket.id = insert(tx, &ticket)?;
    let event = write_event(
        tx,
        TicketEvent {
            id: 0,
            ticket_id: ticket.id,
            at: origin.at,
            actor: origin.actor.clone(),
            action: action.into(),
            from_status: None,
            to_status: TicketStatus::Received,
            team_id: None,
            note,
        },
    )?;
    Ok(Applied::Ticket {
        ticket: Box::new(ticket),
        event,
        previous: None,
        survey: None,
    })
}

fn act(
    tx: &mut dyn Tx,
    id: TicketId,
    seen_version: i64,
    action: &Action,
    origin: &Origin,
) -> Result<Applied, StoreError> {
    let ticket = ticket_by_id(tx, id)?;
    if ticket.version != seen_version {
        return Err(stale(tx, id, seen_version, ticket.version));
    }
    if let Action::Assign { team } = action {
        require(tx, Table::Teams, "team", *team)?;
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
    if let (Action::Assign { team }, Applied::Ticket { ticket, .. }) = (action, &applied) {
        // the resident hears which team comes, and by when
        message(tx, ticket, MessageKind::Assigned, Some(*team), "", origin)?;
    }
    if !matches!(action, Action::Fix) {
        return Ok(applied);
    }
    // the household reports linked to a network ticket are fixed with it
    let linked = tx.open_linked(id)?;
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
fn save_step(
    tx: &mut dyn Tx,
    mut ticket: Ticket,
    next: Transition,
    action: &str,
    note: String,
    answer: Option<SurveyAnswer>,
    origin: &Origin,
) -> Result<Applied, StoreError> {
    let (id, seen_version, previous) = (ticket.id, ticket.version, ticket.status);
    let team_changed = ticket.team_id != next.team;
    ticket.status = next.to;
    ticket.team_id = next.team;
    ticket.fixed_at = next.fixed_at;
    ticket.timely = next.timely;
    ticket.satisfaction = next.satisfaction;
    ticket.closed_at = next.closed_at;
    ticket.updated_at = origin.at;
    ticket.version += 1;
    if !tx.update_ticket(&ticket, seen_version, team_changed)? {
        return Err(stale(tx, id, seen_version, seen_version + 1));
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
            s.id = insert(tx, &s)?;
            Some(s)
        }
        None => None,
    };
    let event = write_event(
        tx,
        TicketEvent {
            id: 0,
            ticket_id: id,
            at: origin.at,
            actor: origin.actor.clone(),
            action: action.into(),
            from_status: Some(previous),
            to_status: ticket.status,
            team_id: ticket.team_id,
            note,
        },
    )?;
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
    tx: &mut dyn Tx,
    (category, severity, building_id, segment): (Category, Severity, BuildingId, Option<SegmentId>),
    description: &str,
    linked: &[TicketId],
    origin: &Origin,
) -> Result<Applied, StoreError> {
    if let Some(seg) = segment {
        require(tx, Table::Pipes, "pipe segment", seg)?;
    }
    let new = NewTicket {
        channel: Channel::NetworkAlert,
        category,
        severity,
        building_id,
        address_detail: String::new(),
        reporter_name: origin.actor.clone(),
        reporter_phone: String::new(),
        description: description.to_string(),
    };
    let note = linked
        .iter()
        .map(|t| format!("#{t}"))
        .collect::<Vec<_>>()
        .join(" ");
    let Applied::Ticket {
        mut ticket, event, ..
    } = create_ticket_as(tx, &new, origin, "network_ticket", note)?
    else {
        unreachable!("create_ticket_as makes one ticket")
    };
    if segment.is_some() {
        ticket.segment_id = segment;
        tx.link_ticket(&ticket)?;
    }
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
            return Err(Refusal::CannotLink {
                ticket: child,
                status: t.status,
            }
            .into());
        }
        if let Some(p) = t.parent_id {
            return Err(Refusal::AlreadyLinked {
                ticket: child,
                parent: p,
            }
            .into());
        }
        t.parent_id = Some(parent);
        t.version += 1;
        t.updated_at = origin.at;
        tx.link_ticket(&t)?;
        let event = write_event(
            tx,
            TicketEvent {
                id: 0,
                ticket_id: child,
                at: origin.at,
                actor: origin.actor.clone(),
                action: "link_network".into(),
                from_status: Some(t.status),
                to_status: t.status,
                team_id: t.team_id,
                note: format!("#{parent}"),
            },
        )?;
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
    tx: &mut dyn Tx,
    id: TicketId,
    channel: Channel,
    (reporter_name, reporter_phone, note): (&str, &str, &str),
    origin: &Origin,
) -> Result<Applied, StoreError> {
    let ticket = ticket_by_id(tx, id)?;
    if !ticket.status.is_open() {
        return Err(Refusal::NotOpen {
            ticket: id,
            status: ticket.status,
        }
        .into());
    }
    let event = write_event(
        tx,
        TicketEvent {
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
        },
    )?;
    Ok(Applied::Ticket {
        previous: Some(ticket.status),
        ticket: Box::new(ticket),
        event,
        survey: None,
    })
}

/// A leaders' visit: the visit, its readings and answers, and a ticket for every problem
/// found — fixed on site or registered for a team.
fn record_visit(tx: &mut dyn Tx, new: &NewVisit, origin: &Origin) -> Result<Applied, StoreError> {
    new.check().map_err(Refusal::Visit)?;
    require(tx, Table::Compounds, "compound", new.compound_id)?;
    for (h, household) in new.households.iter().enumerate() {
        if tx.compound_of(household.building_id)? != Some(new.compound_id) {
            return Err(Refusal::HouseholdElsewhere {
                household: h + 1,
                building: household.building_id,
                compound: new.compound_id,
            }
            .into());
        }
    }
    let mut visit = Visit {
        id: 0,
        compound_id: new.compound_id,
        at: new.at,
        leaders: new.leaders.trim().to_string(),
        staff: new.staff.trim().to_string(),
        consultation_desk: new.consultation_desk,
        households_entered: new.households_entered,
        notes: new.notes.clone(),
    };
    visit.id = insert(tx, &visit)?;
    let taken_by = visit
        .leaders
        .split(['、', ',', '，', ' '])
        .next()
        .unwrap_or_default()
        .to_string();
    let (mut readings, mut surveys, mut tickets) = (Vec::new(), Vec::new(), Vec::new());
    // the tickets carry the visit's time; the audit trail says who recorded them
    let at_visit = Origin {
        actor: origin.actor.clone(),
        at: new.at,
    };
    for household in &new.households {
        for r in &household.readings {
            let mut reading = TemperatureReading {
                id: 0,
                building_id: household.building_id,
                visit_id: Some(visit.id),
                room: format!("{} {}", household.address_detail, r.room)
                    .trim()
                    .to_string(),
                celsius: r.celsius,
                method: r.method,
                taken_at: new.at,
                taken_by: taken_by.clone(),
            };
            reading.id = insert(tx, &reading)?;
            readings.push(reading);
        }
        if let Some(answer) = household.answer {
            let mut s = SurveyResponse {
                id: 0,
                building_id: household.building_id,
                ticket_id: None,
                visit_id: Some(visit.id),
                answer,
                at: new.at,
            };
            s.id = insert(tx, &s)?;
            surveys.push(s);
        }
        for p in &household.problems {
            let created = create_ticket(
                tx,
                &NewTicket {
                    channel: new.channel,
                    category: p.category,
                    severity: p.severity,
                    building_id: household.building_id,
                    address_detail: household.address_detail.clone(),
                    reporter_name: String::new(),
                    reporter_phone: String::new(),
                    description: p.description.clone(),
                },
                &at_visit,
            )?;
            if !p.fixed_on_site {
                tickets.push(created);
                continue;
            }
            // fixed there and then: on time by definition (both steps are reported: each wrote
            // its audit event)
            let Applied::Ticket { ticket, .. } = created.clone() else {
                unreachable!("create_ticket makes one ticket")
            };
            tickets.push(created);
            let fixed = Transition {
                to: TicketStatus::Fixed,
                team: None,
                fixed_at: Some(new.at),
                timely: Some(true),
                satisfaction: None,
                closed_at: None,
            };
            let note = format!("on_site visit #{}", visit.id);
            tickets.push(save_step(tx, *ticket, fixed, "fix", note, None, &at_visit)?);
        }
    }
    let mut all = vec![Applied::Visit {
        visit,
        readings,
        surveys,
    }];
    all.extend(tickets);
    Ok(Applied::Batch(all))
}

/// An import: each row inserted or updated, new rows numbered by the database (provisional ids
/// replaced wherever the batch names them), each imported ticket checked by the lifecycle's
/// rules and given an `import` step; one audit record.
fn import(tx: &mut dyn Tx, batch: &ImportBatch, origin: &Origin) -> Result<Applied, StoreError> {
    let mut placed = Placed::default();
    let file_source = |i: usize| FileRow {
        file: batch.file.clone(),
        at: batch.sources.get(i).copied(),
    };
    for node in &batch.nodes {
        let whole = FileRow {
            file: batch.file.clone(),
            at: None,
        };
        let id = upsert(tx, node, &whole)?;
        placed.record(Table::Nodes, node.id, id);
    }
    let table = batch.rows.table();
    if let Rows::Tickets(rows) = &batch.rows {
        for (i, t) in rows.iter().enumerate() {
            if let Some(problem) = record_problems(t).first() {
                return Err(Refusal::ImportedMisfit {
                    at: file_source(i),
                    status: t.status,
                    field: problem.field().into(),
                }
                .into());
            }
        }
    }
    let node = |placed: &Placed, id| placed.id(batch, Table::Nodes, id);
    for i in 0..batch.rows.len() {
        let at = file_source(i);
        let (asked, id) = match &batch.rows {
            Rows::Departments(r) => (r[i].id, upsert(tx, &r[i], &at)?),
            Rows::Compounds(r) => (r[i].id, upsert(tx, &r[i], &at)?),
            Rows::Buildings(r) => {
                let mut b = r[i].clone();
                b.entry_node = node(&placed, b.entry_node)?;
                (b.id, upsert(tx, &b, &at)?)
            }
            Rows::Sources(r) => {
                let mut h = r[i].clone();
                h.node = node(&placed, h.node)?;
                (h.id, upsert(tx, &h, &at)?)
            }
            Rows::Stations(r) => {
                let mut s = r[i].clone();
                s.node = node(&placed, s.node)?;
                (s.id, upsert(tx, &s, &at)?)
            }
            Rows::Pipes(r) => {
                let mut p = r[i].clone();
                (p.from, p.to) = (node(&placed, p.from)?, node(&placed, p.to)?);
                (p.id, upsert(tx, &p, &at)?)
            }
            Rows::Valves(r) => {
                let mut v = r[i].clone();
                v.segment = placed.id(batch, Table::Pipes, v.segment)?;
                (v.id, upsert(tx, &v, &at)?)
            }
            Rows::Teams(r) => (r[i].id, upsert(tx, &r[i], &at)?),
            Rows::Tickets(r) => {
                let t = &r[i];
                let id = upsert(tx, t, &at)?;
                // the trail says where the ticket came from
                write_event(
                    tx,
                    TicketEvent {
                        id: 0,
                        ticket_id: id,
                        at: origin.at,
                        actor: origin.actor.clone(),
                        action: "import".into(),
                        from_status: None,
                        to_status: t.status,
                        team_id: t.team_id,
                        note: at.to_string(),
                    },
                )?;
                (t.id, id)
            }
            Rows::Visits(r) => (r[i].id, upsert(tx, &r[i], &at)?),
            Rows::Readings(r) => (r[i].id, upsert(tx, &r[i], &at)?),
            Rows::Surveys(r) => (r[i].id, upsert(tx, &r[i], &at)?),
        };
        placed.record(table, asked, id);
    }
    if let Rows::Tickets(rows) = &batch.rows {
        // links to network tickets last: they may name a ticket further down the file
        for (i, t) in rows.iter().enumerate() {
            let Some(parent) = t.parent_id else { continue };
            let (id, parent) = (
                placed.id(batch, Table::Tickets, t.id)?,
                placed.id(batch, Table::Tickets, parent)?,
            );
            if id == parent {
                return Err(Refusal::OwnNetworkTicket(file_source(i)).into());
            }
            tx.set_parent(id, parent)?;
        }
    }
    tx.imported(&[table, Table::Nodes])?;
    for e in &batch.external_ids {
        let id = placed.id(batch, e.table, e.id)?;
        // "57" kept as row 57 needs no entry: an id the company wrote is the row's own
        if e.external != id.to_string() {
            tx.external_id(e.table, &e.external, id)?;
        }
    }
    let summary = batch.summary(!batch.dry_run);
    let detail = serde_json::json!({
        "kind": summary.table.code(), "file": summary.file, "rows": summary.rows,
        "inserted": summary.inserted, "updated": summary.updated,
    });
    tx.audit(origin, "import", &detail.to_string())?;
    Ok(Applied::Import(summary))
}

/// Where row `i` of a batch came from ("row 5").
pub fn source(batch: &ImportBatch, i: usize) -> String {
    batch
        .sources
        .get(i)
        .map_or(String::new(), |at| at.to_string())
}

/// What the database numbered the batch's new rows.
#[derive(Debug, Default)]
pub struct Placed {
    ids: std::collections::HashMap<(Table, i64), i64>,
}

impl Placed {
    fn record(&mut self, table: Table, asked: i64, id: i64) {
        if is_provisional(asked) {
            self.ids.insert((table, asked), id);
        }
    }

    /// The real id of a row the batch names (a provisional id once its row is written).
    pub fn id(&self, batch: &ImportBatch, table: Table, id: i64) -> Result<i64, StoreError> {
        if !is_provisional(id) {
            return Ok(id);
        }
        self.ids.get(&(table, id)).copied().ok_or_else(|| {
            Refusal::MissingNewRow {
                file: batch.file.clone(),
                table: batch.rows.table(),
                refers: table,
            }
            .into()
        })
    }
}

/// The message texts the company set (or the defaults).
fn templates(tx: &mut dyn Tx) -> Result<crew::MessageTemplates, StoreError> {
    Ok(tx
        .setting("message_templates")?
        .and_then(|j| serde_json::from_str(&j).ok())
        .unwrap_or_default())
}

/// Queue a message of `kind` about `ticket` for its reporter, if they gave a number.
fn message(
    tx: &mut dyn Tx,
    ticket: &Ticket,
    kind: MessageKind,
    team: Option<TeamId>,
    note: &str,
    origin: &Origin,
) -> Result<usize, StoreError> {
    if !crew::reachable(&ticket.reporter_phone) {
        return Ok(0);
    }
    let team = match team {
        Some(id) => tx.team(id)?.map(|t| t.name).unwrap_or_default(),
        None => String::new(),
    };
    let facts = MessageFacts {
        ticket: Some(ticket.id),
        team,
        place: tx.building_label(ticket.building_id)?,
        eta: Some(ticket.respond_by),
        time: Some(origin.at),
        note: note.to_string(),
    };
    let body = templates(tx)?.compose(kind, &facts);
    tx.queue_message(&crew::Message::pending(
        Some(ticket.id),
        kind,
        ticket.reporter_phone.clone(),
        body,
        origin.at,
    ))?;
    Ok(1)
}

/// 停热 / 恢复供热 messages for everyone in these buildings who gave a number.
fn notify_outage(
    tx: &mut dyn Tx,
    buildings: &[BuildingId],
    restore: bool,
    when: Timestamp,
    origin: &Origin,
) -> Result<Applied, StoreError> {
    if buildings.is_empty() {
        return Err(Refusal::NoBuildingToNotify.into());
    }
    let kind = if restore {
        MessageKind::OutageRestore
    } else {
        MessageKind::OutageStop
    };
    let templates = templates(tx)?;
    let mut sent = 0;
    for (ticket, phone) in tx.reporters_in(buildings)? {
        let Some(t) = tx.ticket(ticket)? else {
            continue;
        };
        let facts = MessageFacts {
            ticket: None,
            place: tx.building_label(t.building_id)?,
            time: Some(when),
            ..Default::default()
        };
        tx.queue_message(&crew::Message::pending(
            Some(ticket),
            kind,
            phone,
            templates.compose(kind, &facts),
            origin.at,
        ))?;
        sent += 1;
    }
    tx.audit(
        origin,
        kind.code(),
        &serde_json::json!({ "buildings": buildings, "messages": sent }).to_string(),
    )?;
    Ok(Applied::Noted { messages: sent })
}

/// A team's phone says where it is: the team's marker moves there.
fn report_position(tx: &mut dyn Tx, p: &crew::TeamPosition) -> Result<Applied, StoreError> {
    let valid = p.position[0].is_finite()
        && p.position[1].is_finite()
        && (-180.0..=180.0).contains(&p.position[0])
        && (-90.0..=90.0).contains(&p.position[1])
        && p.accuracy_m.is_finite()
        && p.accuracy_m >= 0.0;
    if !valid {
        return Err(Refusal::NotOnEarth {
            position: p.position,
            accuracy_m: p.accuracy_m,
        }
        .into());
    }
    let mut team = tx.team(p.team_id)?.ok_or(StoreError::NotFound {
        what: "team",
        id: p.team_id,
    })?;
    team.position = p.position;
    tx.set_team(&team)?;
    tx.set_position(p)?;
    Ok(Applied::Team {
        team: Box::new(team),
        position: Some(p.clone()),
    })
}

/// A crew's step from the phone: the same lifecycle rules and stale-version refusal as the
/// console's, applied once per client id; the team's status follows, the resident hears of
/// it, and 完工 keeps its reading and photos.
fn field_step(tx: &mut dyn Tx, f: &FieldCommand, origin: &Origin) -> Result<Applied, StoreError> {
    if f.client_id.trim().is_empty() || f.client_id.len() > 80 {
        return Err(Refusal::NoClientId.into());
    }
    if !tx.claim_client(&f.client_id, &origin.actor, origin.at)? {
        return Err(StoreError::AlreadyApplied {
            client_id: f.client_id.clone(),
        });
    }
    let ticket = ticket_by_id(tx, f.ticket)?;
    // another team's ticket is not there for this phone at all
    if ticket.team_id != Some(f.team) {
        return Err(StoreError::NotFound {
            what: "ticket",
            id: f.ticket,
        });
    }
    if ticket.version != f.seen_version {
        return Err(stale(tx, f.ticket, f.seen_version, ticket.version));
    }
    let mut team = tx.team(f.team)?.ok_or(StoreError::NotFound {
        what: "team",
        id: f.team,
    })?;
    let (applied, status, said) = match &f.step {
        FieldStep::Accept => (
            act(tx, f.ticket, f.seen_version, &Action::Accept, origin)?,
            None,
            None,
        ),
        FieldStep::Depart => {
            if ticket.status != TicketStatus::Accepted {
                return Err(StoreError::Refused(TransitionError::Illegal {
                    ticket: ticket.id,
                    status: ticket.status,
                    action: "depart",
                }));
            }
            let next = same_state(&ticket);
            let applied = save_step(
                tx,
                ticket.clone(),
                next,
                "depart",
                String::new(),
                None,
                origin,
            )?;
            (applied, Some(TeamStatus::OnRoute), None)
        }
        FieldStep::Arrive {
            at,
            accuracy_m,
            distance_m,
        } => {
            let note = format!("{distance_m:.0} m ±{accuracy_m:.0} m");
            let next = transition(&ticket, &Action::ArriveOnSite, origin.at)?;
            let applied = save_step(tx, ticket.clone(), next, "arrive", note, None, origin)?;
            team.position = *at;
            tx.set_position(&crew::TeamPosition {
                team_id: f.team,
                position: *at,
                accuracy_m: *accuracy_m,
                at: origin.at,
                by: origin.actor.clone(),
            })?;
            (
                applied,
                Some(TeamStatus::OnSite),
                Some(MessageKind::Arrived),
            )
        }
        FieldStep::Complete {
            celsius,
            method,
            work,
            photos,
        } => {
            if work.trim().is_empty() {
                return Err(StoreError::Refused(TransitionError::ReasonRequired("fix")));
            }
            if photos.len() > crew::MAX_PHOTOS
                || photos.iter().any(|p| p.bytes.len() > crew::MAX_PHOTO_BYTES)
            {
                return Err(Refusal::TooManyPhotos.into());
            }
            if let Some(c) = celsius
                && !(-30.0..=45.0).contains(c)
            {
                return Err(Refusal::ImplausibleTemperature(*c).into());
            }
            let next = transition(&ticket, &Action::Fix, origin.at)?;
            let applied = save_step(
                tx,
                ticket.clone(),
                next,
                "fix",
                work.trim().to_string(),
                None,
                origin,
            )?;
            let Applied::Ticket { event, .. } = &applied else {
                unreachable!("one ticket's step")
            };
            for p in photos {
                tx.insert_photo(&super::StoredPhoto {
                    id: 0,
                    ticket: f.ticket,
                    event: event.id,
                    photo: p.clone(),
                })?;
            }
            let mut all = vec![applied];
            if let Some(celsius) = celsius {
                let mut r = TemperatureReading {
                    id: 0,
                    building_id: ticket.building_id,
                    visit_id: None,
                    room: ticket.address_detail.clone(),
                    celsius: *celsius,
                    method: *method,
                    taken_at: origin.at,
                    taken_by: origin.actor.clone(),
                };
                r.id = insert(tx, &r)?;
                all.push(Applied::Readings(vec![r]));
            }
            // the household reports linked to a network ticket are fixed with it
            for child in tx.open_linked(f.ticket)? {
                if let Some(next) = fixed_with_network(&child, origin.at) {
                    all.push(save_step(
                        tx,
                        child,
                        next,
                        "fix",
                        format!("#{}", f.ticket),
                        None,
                        origin,
                    )?);
                }
            }
            (
                Applied::Batch(all),
                Some(TeamStatus::Free),
                Some(MessageKind::Fixed),
            )
        }
        FieldStep::Hold { reason } => (
            act(
                tx,
                f.ticket,
                f.seen_version,
                &Action::Hold {
                    reason: reason.clone(),
                },
                origin,
            )?,
            None,
            None,
        ),
        FieldStep::Return { reason } => (
            act(
                tx,
                f.ticket,
                f.seen_version,
                &Action::Return {
                    reason: reason.clone(),
                },
                origin,
            )?,
            Some(TeamStatus::Free),
            None,
        ),
    };
    if let Some(kind) = said {
        let note = match &f.step {
            FieldStep::Complete { work, .. } => work.as_str(),
            _ => "",
        };
        message(tx, &ticket, kind, Some(f.team), note, origin)?;
    }
    let mut all = match applied {
        Applied::Batch(all) => all,
        one => vec![one],
    };
    if let Some(status) = status {
        team.status = status;
    }
    tx.set_team(&team)?;
    let position = match &f.step {
        FieldStep::Arrive { at, accuracy_m, .. } => Some(crew::TeamPosition {
            team_id: f.team,
            position: *at,
            accuracy_m: *accuracy_m,
            at: origin.at,
            by: origin.actor.clone(),
        }),
        _ => None,
    };
    all.push(Applied::Team {
        team: Box::new(team),
        position,
    });
    Ok(Applied::Batch(all))
}

/// A step that leaves the ticket's state as it is (出发).
fn same_state(t: &Ticket) -> Transition {
    Transition {
        to: t.status,
        team: t.team_id,
        fixed_at: t.fixed_at,
        timely: t.timely,
        satisfaction: t.satisfaction,
        closed_at: t.closed_at,
    }
}
