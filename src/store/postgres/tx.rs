//! The reads and writes of one PostgreSQL transaction, for the commands written once in
//! [`crate::store::commands`]: events record the server's session user, new rows take the
//! server's ids, and the change log is written in commit order and announced (NOTIFY).

use std::collections::HashMap;

use postgres::types::ToSql;
use postgres::{Statement, Transaction};

use super::load::rules;
use crate::domain::batch::Table;
use crate::domain::*;
use crate::store::StoreError;
use crate::store::chain::{self, Chain};
use crate::store::commands::{Logged, Tx};
use crate::store::record::table_name;
use crate::store::record::{Cell, Dialect, Record, UNDONE, select};

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
}

/// Cells as the driver's parameters.
fn params<'a>(cells: &'a [Cell<'_>]) -> Vec<&'a (dyn ToSql + Sync)> {
    cells.iter().map(|c| c as &(dyn ToSql + Sync)).collect()
}

impl Tx for PgTx<'_, '_> {
    fn ticket(&mut self, id: TicketId) -> Result<Option<Ticket>, StoreError> {
        self.query_opt(&select::<Ticket>("WHERE id = $1"), &[&id])?
            .map(|r| Ticket::read(&r))
            .transpose()
    }

    fn open_linked(&mut self, parent: TicketId) -> Result<Vec<Ticket>, StoreError> {
        let sql = select::<Ticket>(&format!("WHERE parent_id = $1 AND {UNDONE} ORDER BY id"));
        let st = self.prepared(&sql)?;
        self.tx
            .query(&st, &[&parent])?
            .iter()
            .map(Ticket::read)
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

    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn execute_row(&mut self, sql: &str, cells: &[Cell<'_>]) -> Result<u64, StoreError> {
        self.execute(sql, &params(cells))
    }

    fn insert_row(&mut self, sql: &str, cells: &[Cell<'_>]) -> Result<i64, StoreError> {
        Ok(self.query_one(sql, &params(cells))?.try_get(0)?)
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
        let mut cells = e.cells();
        cells.push(Cell::Borrowed(&hash[..]));
        self.execute_row(TicketEvent::statements().insert(Dialect::Postgres), &cells)?;
        self.linked(Chain::TicketEvents, e.id, hash);
        Ok((e.id, e.actor))
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
                    &Cell::int32(r.respond_minutes),
                    &Cell::int32(r.resolve_minutes),
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
        let mut cells = a.cells();
        cells.push(Cell::Borrowed(&hash[..]));
        self.execute_row(
            crate::store::AuditEvent::statements().insert(Dialect::Postgres),
            &cells,
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

    fn team(&mut self, id: TeamId) -> Result<Option<Team>, StoreError> {
        self.query_opt(&select::<Team>("WHERE id = $1"), &[&id])?
            .map(|r| Team::read(&r))
            .transpose()
    }

    fn set_team(&mut self, t: &Team) -> Result<(), StoreError> {
        self.execute(
            "UPDATE teams SET lon = $2, lat = $3, status = $4 WHERE id = $1",
            &[&t.id, &t.position[0], &t.position[1], &t.status.code()],
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
