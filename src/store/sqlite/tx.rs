//! The reads and writes of one SQLite transaction, for the commands written once in
//! [`crate::store::commands`].

use rusqlite::{OptionalExtension, Transaction, params};

use super::StoreError;
use super::codec::{time_from_sql, time_to_sql};
use super::load::rules;
use super::write::{insert_event, write_rules};
use crate::domain::batch::Table;
use crate::domain::*;
use crate::store::commands::{Logged, Tx};
use crate::store::record::table_name;
use crate::store::record::{Cell, Dialect, Record, UNDONE, select};

/// One SQLite transaction (begun IMMEDIATE: the write lock is taken first, so two consoles never
/// both read a version and then race to write it).
pub struct SqliteTx<'a> {
    pub tx: &'a Transaction<'a>,
}

impl Tx for SqliteTx<'_> {
    fn ticket(&mut self, id: TicketId) -> Result<Option<Ticket>, StoreError> {
        Ok(self
            .tx
            .prepare_cached(&select::<Ticket>("WHERE id = ?1"))?
            .query_row([id], |r| Ticket::read(r))
            .optional()?)
    }

    fn open_linked(&mut self, parent: TicketId) -> Result<Vec<Ticket>, StoreError> {
        let mut st = self.tx.prepare_cached(&select::<Ticket>(&format!(
            "WHERE parent_id = ?1 AND {UNDONE} ORDER BY id"
        )))?;
        Ok(st
            .query_map([parent], |r| Ticket::read(r))?
            .collect::<Result<Vec<_>, _>>()?)
    }

    fn exists(&mut self, table: Table, id: i64) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .prepare_cached(&format!(
                "SELECT 1 FROM {} WHERE id = ?1",
                table_name(table)
            ))?
            .query_row([id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    fn compound_of(&mut self, building: BuildingId) -> Result<Option<CompoundId>, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT compound_id FROM buildings WHERE id = ?1")?
            .query_row([building], |r| r.get(0))
            .optional()?)
    }

    fn rules(&mut self) -> Result<Vec<SlaRule>, StoreError> {
        rules(self.tx)
    }

    fn last_step(&mut self, ticket: TicketId) -> Result<Option<(String, Timestamp)>, StoreError> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT actor, at FROM ticket_events WHERE ticket_id = ?1 ORDER BY id DESC LIMIT 1",
            )?
            .query_row([ticket], |r| {
                Ok((r.get::<_, String>(0)?, time_from_sql(r.get(1)?)))
            })
            .optional()?)
    }

    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn execute_row(&mut self, sql: &str, cells: &[Cell<'_>]) -> Result<u64, StoreError> {
        Ok(self
            .tx
            .prepare_cached(sql)?
            .execute(rusqlite::params_from_iter(cells))? as u64)
    }

    fn insert_row(&mut self, sql: &str, cells: &[Cell<'_>]) -> Result<i64, StoreError> {
        super::write::insert_cells(self.tx, sql, cells)
    }

    fn update_ticket(
        &mut self,
        t: &Ticket,
        seen_version: i64,
        _team_changed: bool,
    ) -> Result<bool, StoreError> {
        let changed = self
            .tx
            .prepare_cached(
                "UPDATE tickets SET version = ?2, status = ?3, team_id = ?4, fixed_at = ?5, timely = ?6,
                    satisfaction = ?7, closed_at = ?8, updated_at = ?9
                 WHERE id = ?1 AND version = ?10",
            )?
            .execute(params![
                t.id,
                t.version,
                t.status.code(),
                t.team_id,
                t.fixed_at.map(time_to_sql),
                t.timely,
                t.satisfaction.map(|a| a.code()),
                t.closed_at.map(time_to_sql),
                time_to_sql(t.updated_at),
                seen_version,
            ])?;
        Ok(changed == 1)
    }

    fn link_ticket(&mut self, t: &Ticket) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "UPDATE tickets SET parent_id = ?2, segment_id = ?3, version = ?4, updated_at = ?5
                 WHERE id = ?1",
            )?
            .execute(params![
                t.id,
                t.parent_id,
                t.segment_id,
                t.version,
                time_to_sql(t.updated_at)
            ])?;
        Ok(())
    }

    fn insert_event(&mut self, e: &TicketEvent) -> Result<(i64, String), StoreError> {
        Ok((insert_event(self.tx, e)?, e.actor.clone()))
    }

    fn upsert_rules(&mut self, rules: &[SlaRule]) -> Result<(), StoreError> {
        write_rules(self.tx, rules)
    }

    fn set_setting(&mut self, key: &str, json: &str) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )?
            .execute([key, json])?;
        Ok(())
    }

    fn audit(&mut self, origin: &Origin, command: &str, detail: &str) -> Result<(), StoreError> {
        super::write::insert_audit(self.tx, origin.at, &origin.actor, command, detail)
    }

    fn log_change(&mut self, origin: &Origin, change: &Logged) -> Result<i64, StoreError> {
        super::changes::log(self.tx, origin, change)
    }

    fn team(&mut self, id: TeamId) -> Result<Option<Team>, StoreError> {
        super::crew::team(self.tx, id)
    }

    fn set_team(&mut self, team: &Team) -> Result<(), StoreError> {
        super::crew::set_team(self.tx, team)
    }

    fn building_label(&mut self, id: BuildingId) -> Result<String, StoreError> {
        super::crew::building_label(self.tx, id)
    }

    fn setting(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        super::crew::setting(self.tx, key)
    }

    fn reporters_in(
        &mut self,
        buildings: &[BuildingId],
    ) -> Result<Vec<(TicketId, String)>, StoreError> {
        super::crew::reporters_in(self.tx, buildings)
    }

    fn external_id(&mut self, table: Table, external: &str, id: i64) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO external_ids (kind, external_id, id) VALUES (?1, ?2, ?3)
                 ON CONFLICT (kind, external_id) DO UPDATE SET id = excluded.id",
            )?
            .execute(params![table.code(), external, id])?;
        Ok(())
    }

    fn set_parent(&mut self, child: TicketId, parent: TicketId) -> Result<(), StoreError> {
        self.tx
            .prepare_cached("UPDATE tickets SET parent_id = ?2 WHERE id = ?1")?
            .execute(params![child, parent])?;
        Ok(())
    }
}
