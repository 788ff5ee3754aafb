//! The reads and writes of one PostgreSQL transaction, for the commands written once in
//! [`crate::store::commands`]: events record the server's session user, new rows take the
//! server's ids, and the change log is written in commit order and announced (NOTIFY).

use std::collections::HashMap;

use postgres::types::ToSql;
use postgres::{Statement, Transaction};

use super::load::{TICKET_COLUMNS, rules, table_name, ticket_row};
use crate::domain::batch::{Table, is_provisional};
use crate::domain::crew;
use crate::domain::*;
use crate::store::StoreError;
use crate::store::blob::{encode_path, encode_rings};
use crate::store::chain::{self, Chain};
use crate::store::commands::{Logged, Row, Tx};

/// The channel consoles LISTEN on.
pub const CHANNEL: &str = "heatdesk_changes";

/// Rows kept in the change log: a console further behind reads everything again.
const KEPT: i64 = 20_000;

/// One transaction and the connection's prepared statements.
pub struct PgTx<'a, 'b> {
    pub tx: &'a mut Transaction<'b>,
    pub statements: &'a mut HashMap<String, Statement>,
    /// Under the writers' lock: whom events name and each chain's last link (id, hash), moved
    /// on by each event this transaction writes.
    links: Option<Links>,
}

/// What a writer numbers and hashes its events from.
struct Links {
    actor: String,
    ticket_events: (i64, chain::Hash),
    audit_events: (i64, chain::Hash),
}

impl<'a, 'b> PgTx<'a, 'b> {
    pub fn new(
        tx: &'a mut Transaction<'b>,
        statements: &'a mut HashMap<String, Statement>,
    ) -> Self {
        PgTx {
            tx,
            statements,
            links: None,
        }
    }

    /// Start writing, in one round trip: take the writers' lock (the change log's ids and the
    /// audit chains follow commit order), record whom a phone's step is done for, and read
    /// both chains' last links. The store does it first in every transaction that applies a
    /// command, before any row lock, so two writers never wait on each other's rows while one
    /// holds it; the transaction's events are numbered from there (no other writer can come
    /// between), not from the identity sequences.
    pub fn begin_write(&mut self, on_behalf: Option<&str>) -> Result<(), StoreError> {
        self.links = Some(self.read_links(on_behalf)?);
        Ok(())
    }

    fn read_links(&mut self, on_behalf: Option<&str>) -> Result<Links, StoreError> {
        // the lock's key is the schema's (migration 4): 0x0048_4453_4B4C_4F47, "HDSKLOG"
        let row = self.query_one("SELECT * FROM heatdesk_begin_write($1)", &[&on_behalf])?;
        let link = |id: usize| -> Result<(i64, chain::Hash), StoreError> {
            let last: Option<i64> = row.try_get(id)?;
            let hash = chain::from_stored(row.try_get(id + 1)?).unwrap_or(chain::GENESIS);
            Ok((last.unwrap_or(0), hash))
        };
        Ok(Links {
            actor: row.try_get(0)?,
            ticket_events: link(1)?,
            audit_events: link(3)?,
        })
    }
}

impl PgTx<'_, '_> {
    /// The next event of a chain: its id, the actor the server records (the session's user and
    /// whom it acts for), and the hash of the last event; the chain then ends at `id` with the
    /// hash its caller stores (`linked`).
    fn next_link(&mut self, which: Chain) -> Result<(i64, String, chain::Hash), StoreError> {
        let links = match self.links.take() {
            Some(links) => links,
            // a transaction that did not start as a writer (none does today) becomes one
            None => self.read_links(None)?,
        };
        let (last, prev) = match which {
            Chain::TicketEvents => links.ticket_events,
            Chain::AuditEvents => links.audit_events,
        };
        let actor = links.actor.clone();
        self.links = Some(links);
        Ok((last + 1, actor, prev))
    }

    /// The chain `which` now ends at event `id` with `hash`.
    fn linked(&mut self, which: Chain, id: i64, hash: chain::Hash) {
        if let Some(links) = &mut self.links {
            match which {
                Chain::TicketEvents => links.ticket_events = (id, hash),
                Chain::AuditEvents => links.audit_events = (id, hash),
            }
        }
    }

    /// The statement for `sql`, prepared once per connection.
    fn prepared(&mut self, sql: &str) -> Result<Statement, StoreError> {
        if let Some(st) = self.statements.get(sql) {
            return Ok(st.clone());
        }
        let st = self.tx.prepare(sql)?;
        self.statements.insert(sql.to_string(), st.clone());
        Ok(st)
    }

    fn execute(&mut self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, StoreError> {
        let st = self.prepared(sql)?;
        Ok(self.tx.execute(&st, params)?)
    }

    fn query_opt(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<postgres::Row>, StoreError> {
        let st = self.prepared(sql)?;
        Ok(self.tx.query_opt(&st, params)?)
    }

    fn query_one(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<postgres::Row, StoreError> {
        let st = self.prepared(sql)?;
        Ok(self.tx.query_one(&st, params)?)
    }

    /// An imported row's insert-or-update, refused with the row named.
    fn upsert_row(
        &mut self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
        source: &str,
    ) -> Result<i64, StoreError> {
        let st = self.prepared(sql)?;
        let row = self.tx.query_one(&st, params).map_err(|e| {
            StoreError::Invalid(format!(
                "{source}: the database refused the row: {}",
                super::explain(&e)
            ))
        })?;
        Ok(row.try_get(0)?)
    }
}

/// The id a row is written with: NULL asks for the next one of its table's identity.
fn own(id: i64) -> Option<i64> {
    (!is_provisional(id)).then_some(id)
}

/// `$1` as the row's id, or the next of the table's identity when it is NULL.
fn id_or_next(table: &str) -> String {
    format!("COALESCE($1, nextval(pg_get_serial_sequence('{table}', 'id')))")
}

fn i32_of(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

impl Tx for PgTx<'_, '_> {
    fn ticket(&mut self, id: TicketId) -> Result<Option<Ticket>, StoreError> {
        let sql = format!("{TICKET_COLUMNS} WHERE id = $1");
        self.query_opt(&sql, &[&id])?
            .map(|r| ticket_row(&r))
            .transpose()
    }

    fn open_linked(&mut self, parent: TicketId) -> Result<Vec<Ticket>, StoreError> {
        let sql = format!(
            "{TICKET_COLUMNS} WHERE parent_id = $1 AND status NOT IN ('fixed', 'callback_done', 'closed')
             ORDER BY id"
        );
        let st = self.prepared(&sql)?;
        self.tx
            .query(&st, &[&parent])?
            .iter()
            .map(ticket_row)
            .collect()
    }

    fn exists(&mut self, table: Table, id: i64) -> Result<bool, StoreError> {
        let sql = format!("SELECT 1 FROM {} WHERE id = $1", table_name(table));
        Ok(self.query_opt(&sql, &[&id])?.is_some())
    }

    fn compound_of(&mut self, building: BuildingId) -> Result<Option<CompoundId>, StoreError> {
        self.query_opt(
            "SELECT compound_id FROM buildings WHERE id = $1",
            &[&building],
        )?
        .map(|r| r.try_get(0).map_err(StoreError::from))
        .transpose()
    }

    fn rules(&mut self) -> Result<Vec<SlaRule>, StoreError> {
        rules(&mut *self.tx)
    }

    fn last_step(&mut self, ticket: TicketId) -> Result<Option<(String, Timestamp)>, StoreError> {
        self.query_opt(
            "SELECT actor, at FROM ticket_events WHERE ticket_id = $1 ORDER BY id DESC LIMIT 1",
            &[&ticket],
        )?
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .transpose()
    }

    fn insert_ticket(&mut self, t: &Ticket) -> Result<TicketId, StoreError> {
        let sql = format!(
            "INSERT INTO tickets (id, version, channel, category, severity, building_id, address_detail,
                reporter_name, reporter_phone, description, status, team_id, created_at, respond_by,
                deadline, updated_at, fixed_at, closed_at, timely, satisfaction, parent_id, segment_id)
             VALUES ({}, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
                $19, $20, $21, $22)
             RETURNING id",
            id_or_next("tickets")
        );
        let row = self.query_one(
            &sql,
            &[
                &(t.id != 0).then_some(t.id),
                &t.version,
                &t.channel.code(),
                &t.category.code(),
                &t.severity.code(),
                &t.building_id,
                &t.address_detail,
                &t.reporter_name,
                &t.reporter_phone,
                &t.description,
                &t.status.code(),
                &t.team_id,
                &t.created_at,
                &t.respond_by,
                &t.deadline,
                &t.updated_at,
                &t.fixed_at,
                &t.closed_at,
                &t.timely,
                &t.satisfaction.map(|a| a.code()),
                &t.parent_id,
                &t.segment_id,
            ],
        )?;
        Ok(row.try_get(0)?)
    }

    fn update_ticket(
        &mut self,
        t: &Ticket,
        seen_version: i64,
        team_changed: bool,
    ) -> Result<bool, StoreError> {
        // the team is written only when it changes: a leader may fix a ticket, never give it
        // to another team (the server grants no UPDATE of team_id to leaders)
        let team = if team_changed { ", team_id = $10" } else { "" };
        let sql = format!(
            "UPDATE tickets SET version = $2, status = $3, fixed_at = $4, timely = $5,
                satisfaction = $6, closed_at = $7, updated_at = $8{team}
             WHERE id = $1 AND version = $9"
        );
        let status = t.status.code();
        let satisfaction = t.satisfaction.map(|a| a.code());
        let mut params: Vec<&(dyn postgres::types::ToSql + Sync)> = vec![
            &t.id,
            &t.version,
            &status,
            &t.fixed_at,
            &t.timely,
            &satisfaction,
            &t.closed_at,
            &t.updated_at,
            &seen_version,
        ];
        if team_changed {
            params.push(&t.team_id);
        }
        let changed = self.execute(&sql, &params)?;
        Ok(changed == 1)
    }

    fn link_ticket(&mut self, t: &Ticket) -> Result<(), StoreError> {
        self.execute(
            "UPDATE tickets SET parent_id = $2, segment_id = $3, version = $4, updated_at = $5
             WHERE id = $1",
            &[
                &t.id,
                &t.parent_id,
                &t.segment_id,
                &t.version,
                &t.updated_at,
            ],
        )?;
        Ok(())
    }

    fn insert_event(&mut self, e: &TicketEvent) -> Result<(i64, String), StoreError> {
        // who did it is whom the server knows: the session's user, not a name typed in
        let (id, actor, prev) = self.next_link(Chain::TicketEvents)?;
        let e = TicketEvent {
            id,
            actor,
            at: chain::whole_seconds(e.at),
            ..e.clone()
        };
        let hash = chain::ticket_event(&prev, &e);
        self.execute(
            "INSERT INTO ticket_events (id, ticket_id, at, actor, action, from_status, to_status, team_id, note, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &[
                &e.id,
                &e.ticket_id,
                &e.at,
                &e.actor,
                &e.action,
                &e.from_status.map(|s| s.code()),
                &e.to_status.code(),
                &e.team_id,
                &e.note,
                &&hash[..],
            ],
        )?;
        self.linked(Chain::TicketEvents, e.id, hash);
        Ok((e.id, e.actor))
    }

    fn insert_visit(&mut self, v: &Visit) -> Result<i64, StoreError> {
        let row = self.query_one(
            "INSERT INTO visits (compound_id, at, leaders, staff, consultation_desk, households_entered, notes)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            &[
                &v.compound_id,
                &v.at,
                &v.leaders,
                &v.staff,
                &v.consultation_desk,
                &i32_of(v.households_entered),
                &v.notes,
            ],
        )?;
        Ok(row.try_get(0)?)
    }

    fn insert_reading(&mut self, r: &TemperatureReading) -> Result<i64, StoreError> {
        let row = self.query_one(
            "INSERT INTO temperature_readings (building_id, visit_id, room, celsius, method, taken_at, taken_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            &[
                &r.building_id,
                &r.visit_id,
                &r.room,
                &r.celsius,
                &r.method.code(),
                &r.taken_at,
                &r.taken_by,
            ],
        )?;
        Ok(row.try_get(0)?)
    }

    fn insert_survey(&mut self, s: &SurveyResponse) -> Result<i64, StoreError> {
        let row = self.query_one(
            "INSERT INTO survey_responses (building_id, ticket_id, visit_id, answer, at)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
            &[
                &s.building_id,
                &s.ticket_id,
                &s.visit_id,
                &s.answer.code(),
                &s.at,
            ],
        )?;
        Ok(row.try_get(0)?)
    }

    fn upsert_rules(&mut self, rules: &[SlaRule]) -> Result<(), StoreError> {
        for r in rules {
            self.execute(
                "INSERT INTO sla_rules (category, severity, respond_minutes, resolve_minutes)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (category, severity) DO UPDATE SET
                     respond_minutes = EXCLUDED.respond_minutes,
                     resolve_minutes = EXCLUDED.resolve_minutes",
                &[
                    &r.category.code(),
                    &r.severity.code(),
                    &i32_of(r.respond_minutes),
                    &i32_of(r.resolve_minutes),
                ],
            )?;
        }
        Ok(())
    }

    fn set_setting(&mut self, key: &str, json: &str) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO settings (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            &[&key, &json],
        )?;
        Ok(())
    }

    fn audit(&mut self, origin: &Origin, command: &str, detail: &str) -> Result<(), StoreError> {
        let (id, actor, prev) = self.next_link(Chain::AuditEvents)?;
        let a = crate::store::AuditEvent {
            id,
            at: chain::whole_seconds(origin.at),
            actor,
            command: command.to_string(),
            detail: detail.to_string(),
        };
        let hash = chain::audit_event(&prev, &a);
        self.execute(
            "INSERT INTO audit_events (id, at, actor, command, detail, hash)
             VALUES ($1, $2, $3, $4, $5, $6)",
            &[&a.id, &a.at, &a.actor, &a.command, &a.detail, &&hash[..]],
        )?;
        self.linked(Chain::AuditEvents, a.id, hash);
        Ok(())
    }

    fn log_change(&mut self, origin: &Origin, change: &Logged) -> Result<i64, StoreError> {
        // the log's ids follow commit order: the store took the writers' lock first thing in
        // this transaction (`begin_write`), so one writer at a time from there to its commit
        let at_ms = crate::store::now_ms();
        let json = |list: &[i64]| serde_json::to_string(list).unwrap_or_default();
        let tickets = serde_json::to_string(&change.tickets).unwrap_or_default();
        let row = self.query_one(
            "INSERT INTO change_log (at, at_ms, actor, tickets, visits, readings, surveys, settings, reload, teams)
             VALUES ($1, $2, session_user, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            &[
                &origin.at,
                &at_ms,
                &tickets,
                &json(&change.visits),
                &json(&change.readings),
                &json(&change.surveys),
                &change.settings,
                &change.reload,
                &json(&change.teams),
            ],
        )?;
        let id: i64 = row.try_get(0)?;
        if id % 1000 == 0 && id > KEPT {
            self.execute("DELETE FROM change_log WHERE id <= $1", &[&(id - KEPT)])?;
            self.execute(
                "UPDATE change_log_pruned SET upto = GREATEST(upto, $1)",
                &[&(id - KEPT)],
            )?;
        }
        // consoles listening read only what the log names; a payload stays far under 8,000
        // bytes (the tickets are left out of a large one: the log has them)
        let mut payload = format!(r#"{{"id":{id},"at_ms":{at_ms},"t":{tickets}}}"#);
        if payload.len() > 4000 {
            payload = format!(r#"{{"id":{id},"at_ms":{at_ms}}}"#);
        }
        self.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &payload])?;
        Ok(id)
    }

    fn claim_client(
        &mut self,
        client_id: &str,
        actor: &str,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let n = self.execute(
            "INSERT INTO client_commands (client_id, actor, at) VALUES ($1, $2, $3)
             ON CONFLICT (client_id) DO NOTHING",
            &[&client_id, &actor, &at],
        )?;
        Ok(n == 1)
    }

    fn team(&mut self, id: TeamId) -> Result<Option<Team>, StoreError> {
        let sql = format!("{} WHERE id = $1", super::crew::TEAM_COLUMNS);
        self.query_opt(&sql, &[&id])?
            .map(|r| super::crew::team_row(&r))
            .transpose()
    }

    fn set_team(&mut self, t: &Team) -> Result<(), StoreError> {
        self.execute(
            "UPDATE teams SET lon = $2, lat = $3, status = $4 WHERE id = $1",
            &[&t.id, &t.position[0], &t.position[1], &t.status.code()],
        )?;
        Ok(())
    }

    fn set_position(&mut self, p: &crew::TeamPosition) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO team_positions (team_id, lon, lat, accuracy_m, at, by)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (team_id) DO UPDATE SET lon = EXCLUDED.lon, lat = EXCLUDED.lat,
                 accuracy_m = EXCLUDED.accuracy_m, at = EXCLUDED.at, by = EXCLUDED.by",
            &[
                &p.team_id,
                &p.position[0],
                &p.position[1],
                &p.accuracy_m,
                &p.at,
                &p.by,
            ],
        )?;
        Ok(())
    }

    fn building_label(&mut self, id: BuildingId) -> Result<String, StoreError> {
        let found = self.query_opt(
            "SELECT c.name, b.number FROM buildings b LEFT JOIN compounds c ON c.id = b.compound_id
             WHERE b.id = $1",
            &[&id],
        )?;
        Ok(match found {
            Some(r) => {
                let compound: Option<String> = r.try_get(0)?;
                let number: String = r.try_get(1)?;
                crate::domain::snapshot::building_label(compound.as_deref(), &number)
            }
            None => format!("#{id}"),
        })
    }

    fn setting(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        self.query_opt("SELECT value FROM settings WHERE key = $1", &[&key])?
            .map(|r| r.try_get(0).map_err(StoreError::from))
            .transpose()
    }

    /// Its id is the database's unless it has one (a copy's).
    fn queue_message(&mut self, m: &crew::Message) -> Result<i64, StoreError> {
        let row = self.query_one(
            &format!(
                "INSERT INTO outbox (id, ticket_id, kind, phone, body, created_at, status,
                     attempts, next_at, sent_at, error)
                 VALUES ({}, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                id_or_next("outbox")
            ),
            &[
                &(m.id != 0).then_some(m.id),
                &m.ticket_id,
                &m.kind.code(),
                &m.phone,
                &m.body,
                &m.created_at,
                &m.status.code(),
                &(m.attempts as i32),
                &m.next_at,
                &m.sent_at,
                &m.error,
            ],
        )?;
        Ok(row.try_get(0)?)
    }

    fn insert_photo(
        &mut self,
        ticket: TicketId,
        event: i64,
        photo: &crew::Photo,
    ) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO ticket_photos (ticket_id, event_id, mime, bytes) VALUES ($1, $2, $3, $4)",
            &[&ticket, &event, &photo.mime, &photo.bytes],
        )?;
        Ok(())
    }

    fn save_account(&mut self, a: &crew::Account) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO accounts (login, name, team_id, password, created_at, disabled)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (login) DO UPDATE SET name = EXCLUDED.name, team_id = EXCLUDED.team_id,
                 password = EXCLUDED.password, disabled = EXCLUDED.disabled",
            &[
                &a.login,
                &a.name,
                &a.team_id,
                &a.password_hash,
                &a.created_at,
                &a.disabled,
            ],
        )?;
        Ok(())
    }

    fn reporters_in(
        &mut self,
        buildings: &[BuildingId],
    ) -> Result<Vec<(TicketId, String)>, StoreError> {
        let st = self.prepared(
            "SELECT max(id), reporter_phone FROM tickets
             WHERE building_id = ANY($1) AND reporter_phone <> ''
             GROUP BY reporter_phone ORDER BY max(id)",
        )?;
        let rows = self.tx.query(&st, &[&buildings])?;
        let mut out = Vec::new();
        for r in rows {
            let phone: String = r.try_get(1)?;
            if crate::domain::crew::reachable(&phone) {
                out.push((r.try_get(0)?, phone));
            }
        }
        Ok(out)
    }

    fn upsert(&mut self, row: Row<'_>, source: &str) -> Result<i64, StoreError> {
        match row {
            Row::Node(n) => self.upsert_row(
                &format!(
                    "INSERT INTO network_nodes (id, kind, lon, lat) VALUES ({}, $2, $3, $4)
                     ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, lon = EXCLUDED.lon,
                         lat = EXCLUDED.lat RETURNING id",
                    id_or_next("network_nodes")
                ),
                &[&own(n.id), &n.kind.code(), &n.position[0], &n.position[1]],
                source,
            ),
            Row::Department(d) => self.upsert_row(
                &format!(
                    "INSERT INTO departments (id, name) VALUES ({}, $2)
                     ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name RETURNING id",
                    id_or_next("departments")
                ),
                &[&own(d.id), &d.name],
                source,
            ),
            Row::Compound(c) => self.upsert_row(
                &format!(
                    "INSERT INTO compounds (id, name, address, department_id, households, outline, extra_rings)
                     VALUES ({}, $2, $3, $4, $5, $6, $7)
                     ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, address = EXCLUDED.address,
                         department_id = EXCLUDED.department_id, households = EXCLUDED.households,
                         outline = EXCLUDED.outline, extra_rings = EXCLUDED.extra_rings
                     RETURNING id",
                    id_or_next("compounds")
                ),
                &[
                    &own(c.id),
                    &c.name,
                    &c.address,
                    &c.department_id,
                    &i32_of(c.households),
                    &encode_path(&c.outline),
                    &encode_rings(&c.extra),
                ],
                source,
            ),
            Row::Building(b) => self.upsert_row(
                &format!(
                    "INSERT INTO buildings (id, compound_id, number, units, floors, households, station_id,
                         entry_node_id, footprint, extra_rings)
                     VALUES ({}, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                     ON CONFLICT (id) DO UPDATE SET compound_id = EXCLUDED.compound_id,
                         number = EXCLUDED.number, units = EXCLUDED.units, floors = EXCLUDED.floors,
                         households = EXCLUDED.households, station_id = EXCLUDED.station_id,
                         entry_node_id = EXCLUDED.entry_node_id, footprint = EXCLUDED.footprint,
                         extra_rings = EXCLUDED.extra_rings
                     RETURNING id",
                    id_or_next("buildings")
                ),
                &[
                    &own(b.id),
                    &b.compound_id,
                    &b.number,
                    &i32_of(b.units),
                    &i32_of(b.floors),
                    &i32_of(b.households),
                    &b.station_id,
                    &b.entry_node,
                    &encode_path(&b.footprint),
                    &encode_rings(&b.extra),
                ],
                source,
            ),
            Row::Source(h) => self.upsert_row(
                &format!(
                    "INSERT INTO heat_sources (id, name, node_id, capacity_mw, lon, lat)
                     VALUES ({}, $2, $3, $4, $5, $6)
                     ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, node_id = EXCLUDED.node_id,
                         capacity_mw = EXCLUDED.capacity_mw, lon = EXCLUDED.lon, lat = EXCLUDED.lat
                     RETURNING id",
                    id_or_next("heat_sources")
                ),
                &[
                    &own(h.id),
                    &h.name,
                    &h.node,
                    &h.capacity_mw,
                    &h.position[0],
                    &h.position[1],
                ],
                source,
            ),
            Row::Station(s) => self.upsert_row(
                &format!(
                    "INSERT INTO stations (id, name, department_id, node_id, lon, lat)
                     VALUES ({}, $2, $3, $4, $5, $6)
                     ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name,
                         department_id = EXCLUDED.department_id, node_id = EXCLUDED.node_id,
                         lon = EXCLUDED.lon, lat = EXCLUDED.lat
                     RETURNING id",
                    id_or_next("stations")
                ),
                &[
                    &own(s.id),
                    &s.name,
                    &s.department_id,
                    &s.node,
                    &s.position[0],
                    &s.position[1],
                ],
                source,
            ),
            Row::Pipe(p) => self.upsert_row(
                &format!(
                    "INSERT INTO pipe_segments (id, from_node, to_node, tier, flow, dn, laid_year, path)
                     VALUES ({}, $2, $3, $4, $5, $6, $7, $8)
                     ON CONFLICT (id) DO UPDATE SET from_node = EXCLUDED.from_node,
                         to_node = EXCLUDED.to_node, tier = EXCLUDED.tier, flow = EXCLUDED.flow,
                         dn = EXCLUDED.dn, laid_year = EXCLUDED.laid_year, path = EXCLUDED.path
                     RETURNING id",
                    id_or_next("pipe_segments")
                ),
                &[
                    &own(p.id),
                    &p.from,
                    &p.to,
                    &p.tier.code(),
                    &p.flow.code(),
                    &i32_of(p.dn),
                    &i32::from(p.laid_year),
                    &encode_path(&p.path),
                ],
                source,
            ),
            Row::Valve(v) => self.upsert_row(
                &format!(
                    "INSERT INTO valves (id, segment_id, lon, lat, operable) VALUES ({}, $2, $3, $4, $5)
                     ON CONFLICT (id) DO UPDATE SET segment_id = EXCLUDED.segment_id,
                         lon = EXCLUDED.lon, lat = EXCLUDED.lat, operable = EXCLUDED.operable
                     RETURNING id",
                    id_or_next("valves")
                ),
                &[
                    &own(v.id),
                    &v.segment,
                    &v.position[0],
                    &v.position[1],
                    &v.operable,
                ],
                source,
            ),
            Row::Team(t) => {
                let members = serde_json::to_string(&t.members)
                    .map_err(|e| StoreError::Invalid(e.to_string()))?;
                let skills: Vec<&str> = t.skills.iter().map(|k| k.code()).collect();
                // a team's current position stays where the console last saw it
                self.upsert_row(
                    &format!(
                        "INSERT INTO teams (id, name, department_id, members, skills, home_lon, home_lat,
                             lon, lat, status)
                         VALUES ({}, $2, $3, $4, $5, $6, $7, $6, $7, $8)
                         ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name,
                             department_id = EXCLUDED.department_id, members = EXCLUDED.members,
                             skills = EXCLUDED.skills, home_lon = EXCLUDED.home_lon,
                             home_lat = EXCLUDED.home_lat, status = EXCLUDED.status
                         RETURNING id",
                        id_or_next("teams")
                    ),
                    &[
                        &own(t.id),
                        &t.name,
                        &t.department_id,
                        &members,
                        &skills.join(","),
                        &t.home_base[0],
                        &t.home_base[1],
                        &t.status.code(),
                    ],
                    source,
                )
            }
            Row::Ticket(t) => self.upsert_row(
                &format!(
                    "INSERT INTO tickets (id, version, channel, category, severity, building_id,
                         address_detail, reporter_name, reporter_phone, description, status, team_id,
                         created_at, respond_by, deadline, updated_at, fixed_at, closed_at, timely,
                         satisfaction, segment_id)
                     VALUES ({}, 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                         $17, $18, $19, $20)
                     ON CONFLICT (id) DO UPDATE SET version = tickets.version + 1,
                         channel = EXCLUDED.channel, category = EXCLUDED.category,
                         severity = EXCLUDED.severity, building_id = EXCLUDED.building_id,
                         address_detail = EXCLUDED.address_detail,
                         reporter_name = EXCLUDED.reporter_name,
                         -- a masked number (138****5678, from an export) keeps the one on file
                         reporter_phone = CASE WHEN position('*' IN EXCLUDED.reporter_phone) > 0
                             THEN tickets.reporter_phone ELSE EXCLUDED.reporter_phone END,
                         description = EXCLUDED.description, status = EXCLUDED.status,
                         team_id = EXCLUDED.team_id, created_at = EXCLUDED.created_at,
                         respond_by = EXCLUDED.respond_by, deadline = EXCLUDED.deadline,
                         updated_at = EXCLUDED.updated_at, fixed_at = EXCLUDED.fixed_at,
                         closed_at = EXCLUDED.closed_at, timely = EXCLUDED.timely,
                         satisfaction = EXCLUDED.satisfaction, segment_id = EXCLUDED.segment_id
                     RETURNING id",
                    id_or_next("tickets")
                ),
                &[
                    &own(t.id),
                    &t.channel.code(),
                    &t.category.code(),
                    &t.severity.code(),
                    &t.building_id,
                    &t.address_detail,
                    &t.reporter_name,
                    &t.reporter_phone,
                    &t.description,
                    &t.status.code(),
                    &t.team_id,
                    &t.created_at,
                    &t.respond_by,
                    &t.deadline,
                    &t.updated_at,
                    &t.fixed_at,
                    &t.closed_at,
                    &t.timely,
                    &t.satisfaction.map(|a| a.code()),
                    &t.segment_id,
                ],
                source,
            ),
            Row::Visit(v) => self.upsert_row(
                &format!(
                    "INSERT INTO visits (id, compound_id, at, leaders, staff, consultation_desk,
                         households_entered, notes)
                     VALUES ({}, $2, $3, $4, $5, $6, $7, $8)
                     ON CONFLICT (id) DO UPDATE SET compound_id = EXCLUDED.compound_id,
                         at = EXCLUDED.at, leaders = EXCLUDED.leaders, staff = EXCLUDED.staff,
                         consultation_desk = EXCLUDED.consultation_desk,
                         households_entered = EXCLUDED.households_entered, notes = EXCLUDED.notes
                     RETURNING id",
                    id_or_next("visits")
                ),
                &[
                    &own(v.id),
                    &v.compound_id,
                    &v.at,
                    &v.leaders,
                    &v.staff,
                    &v.consultation_desk,
                    &i32_of(v.households_entered),
                    &v.notes,
                ],
                source,
            ),
            Row::Reading(r) => self.upsert_row(
                &format!(
                    "INSERT INTO temperature_readings (id, building_id, visit_id, room, celsius, method,
                         taken_at, taken_by)
                     VALUES ({}, $2, $3, $4, $5, $6, $7, $8)
                     ON CONFLICT (id) DO UPDATE SET building_id = EXCLUDED.building_id,
                         visit_id = EXCLUDED.visit_id, room = EXCLUDED.room,
                         celsius = EXCLUDED.celsius, method = EXCLUDED.method,
                         taken_at = EXCLUDED.taken_at, taken_by = EXCLUDED.taken_by
                     RETURNING id",
                    id_or_next("temperature_readings")
                ),
                &[
                    &own(r.id),
                    &r.building_id,
                    &r.visit_id,
                    &r.room,
                    &r.celsius,
                    &r.method.code(),
                    &r.taken_at,
                    &r.taken_by,
                ],
                source,
            ),
            Row::Survey(s) => self.upsert_row(
                &format!(
                    "INSERT INTO survey_responses (id, building_id, ticket_id, visit_id, answer, at)
                     VALUES ({}, $2, $3, $4, $5, $6)
                     ON CONFLICT (id) DO UPDATE SET building_id = EXCLUDED.building_id,
                         ticket_id = EXCLUDED.ticket_id, visit_id = EXCLUDED.visit_id,
                         answer = EXCLUDED.answer, at = EXCLUDED.at
                     RETURNING id",
                    id_or_next("survey_responses")
                ),
                &[
                    &own(s.id),
                    &s.building_id,
                    &s.ticket_id,
                    &s.visit_id,
                    &s.answer.code(),
                    &s.at,
                ],
                source,
            ),
        }
    }

    fn external_id(&mut self, table: Table, external: &str, id: i64) -> Result<(), StoreError> {
        self.execute(
            "INSERT INTO external_ids (kind, external_id, id) VALUES ($1, $2, $3)
             ON CONFLICT (kind, external_id) DO UPDATE SET id = EXCLUDED.id",
            &[&table.code(), &external, &id],
        )?;
        Ok(())
    }

    fn set_parent(&mut self, child: TicketId, parent: TicketId) -> Result<(), StoreError> {
        self.execute(
            "UPDATE tickets SET parent_id = $2 WHERE id = $1",
            &[&child, &parent],
        )?;
        Ok(())
    }

    fn imported(&mut self, tables: &[Table]) -> Result<(), StoreError> {
        // rows written with the ids the file gave them: the identities continue past them
        for table in tables {
            let name = table_name(*table);
            self.execute(
                &format!(
                    // never backwards: past both the ids written and those given out
                    "SELECT setval(pg_get_serial_sequence('{name}', 'id'),
                         GREATEST(coalesce((SELECT max(id) FROM {name}), 0) + 1,
                                  nextval(pg_get_serial_sequence('{name}', 'id'))), false)"
                ),
                &[],
            )?;
        }
        Ok(())
    }
}
