//! Applying an import: a file's rows inserted or updated in one transaction with one audit
//! record, new rows given their ids by the database (placeholders in the batch replaced
//! wherever the batch refers to them), and each imported ticket checked by the lifecycle's
//! rules and given an `import` step in its trail.

use std::collections::HashMap;

use rusqlite::{Connection, Transaction, TransactionBehavior, params};

use super::StoreError;
use super::codec::{encode_path, encode_rings, time_to_sql};
use crate::domain::batch::{ImportBatch, Rows, Table, is_placeholder};
use crate::domain::lifecycle::record_problems;
use crate::domain::*;

pub fn apply(
    conn: &mut Connection,
    batch: &ImportBatch,
    origin: &Origin,
) -> Result<Applied, StoreError> {
    // a season of tickets touches more pages than SQLite's default 2 MB cache holds: without
    // room it writes pages out and reads them back within the transaction
    let cache: i64 = conn.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
    conn.pragma_update(None, "cache_size", -256_000)?;
    let result = apply_in_transaction(conn, batch, origin);
    let _ = conn.pragma_update(None, "cache_size", cache);
    result
}

fn apply_in_transaction(
    conn: &mut Connection,
    batch: &ImportBatch,
    origin: &Origin,
) -> Result<Applied, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut w = Writer {
        tx: &tx,
        batch,
        origin,
        ids: HashMap::new(),
    };
    for node in &batch.nodes {
        w.node(node)?;
    }
    w.rows()?;
    for e in &batch.external_ids {
        let id = w.id(e.table, e.id)?;
        // "57" kept as row 57 needs no entry: an id the company wrote is the row's own
        if e.external != id.to_string() {
            tx.prepare_cached(
                "INSERT INTO external_ids (kind, external_id, id) VALUES (?1, ?2, ?3)
                 ON CONFLICT (kind, external_id) DO UPDATE SET id = excluded.id",
            )?
            .execute(params![e.table.code(), e.external, id])?;
        }
    }
    let summary = batch.summary(!batch.dry_run);
    tx.execute(
        "INSERT INTO audit_events (at, actor, command, detail) VALUES (?1, ?2, 'import', ?3)",
        params![
            time_to_sql(origin.at),
            origin.actor,
            serde_json::json!({
                "kind": summary.table.code(), "file": summary.file, "rows": summary.rows,
                "inserted": summary.inserted, "updated": summary.updated,
            })
            .to_string()
        ],
    )?;
    if batch.dry_run {
        // everything was checked, the database's own rules included; nothing stays
        tx.rollback()?;
    } else {
        tx.commit()?;
    }
    Ok(Applied::Import(summary))
}

struct Writer<'a> {
    tx: &'a Transaction<'a>,
    batch: &'a ImportBatch,
    origin: &'a Origin,
    /// placeholder → the id the database gave the row
    ids: HashMap<(Table, i64), i64>,
}

impl Writer<'_> {
    /// The real id of a row the batch names (a placeholder once its row is written).
    fn id(&self, table: Table, id: i64) -> Result<i64, StoreError> {
        if !is_placeholder(id) {
            return Ok(id);
        }
        self.ids.get(&(table, id)).copied().ok_or_else(|| {
            StoreError::Invalid(format!(
                "{}: a {} row refers to a new {} row that the file does not have",
                self.batch.file,
                self.batch.rows.table().code(),
                table.code()
            ))
        })
    }

    fn opt_id(&self, table: Table, id: Option<i64>) -> Result<Option<i64>, StoreError> {
        id.map(|id| self.id(table, id)).transpose()
    }

    /// After writing a row asked for as `asked`: remember what a placeholder became.
    fn written(&mut self, table: Table, asked: i64) -> i64 {
        if is_placeholder(asked) {
            let id = self.tx.last_insert_rowid();
            self.ids.insert((table, asked), id);
            id
        } else {
            asked
        }
    }

    /// A database refusal of row `i`, naming it.
    fn refused(&self, i: usize, e: rusqlite::Error) -> StoreError {
        let source = self.batch.sources.get(i).map_or("", String::as_str);
        StoreError::Invalid(format!(
            "{} {source}: the database refused the row: {e}",
            self.batch.file
        ))
    }

    fn node(&mut self, n: &NetworkNode) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO network_nodes (id, kind, lon, lat) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, lon = excluded.lon, lat = excluded.lat",
            )?
            .execute(params![
                own(n.id),
                n.kind.code(),
                n.position[0],
                n.position[1]
            ])?;
        self.written(Table::Nodes, n.id);
        Ok(())
    }

    fn rows(&mut self) -> Result<(), StoreError> {
        let batch = self.batch;
        match &batch.rows {
            Rows::Departments(rows) => {
                for (i, d) in rows.iter().enumerate() {
                    self.upsert(
                        i,
                        Table::Departments,
                        d.id,
                        "INSERT INTO departments (id, name) VALUES (?1, ?2)
                         ON CONFLICT (id) DO UPDATE SET name = excluded.name",
                        |st, id| st.execute(params![id, d.name]),
                    )?;
                }
            }
            Rows::Compounds(rows) => {
                for (i, c) in rows.iter().enumerate() {
                    self.upsert(i, Table::Compounds, c.id,
                        "INSERT INTO compounds (id, name, address, department_id, households, outline, extra_rings)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                         ON CONFLICT (id) DO UPDATE SET name = excluded.name, address = excluded.address,
                             department_id = excluded.department_id, households = excluded.households,
                             outline = excluded.outline, extra_rings = excluded.extra_rings",
                        |st, id| {
                            st.execute(params![
                                id,
                                c.name,
                                c.address,
                                c.department_id,
                                c.households,
                                encode_path(&c.outline),
                                encode_rings(&c.extra)
                            ])
                        })?;
                }
            }
            Rows::Buildings(rows) => {
                for (i, b) in rows.iter().enumerate() {
                    let entry = self.id(Table::Nodes, b.entry_node)?;
                    self.upsert(i, Table::Buildings, b.id,
                        "INSERT INTO buildings (id, compound_id, number, units, floors, households, station_id, entry_node_id, footprint, extra_rings)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                         ON CONFLICT (id) DO UPDATE SET compound_id = excluded.compound_id, number = excluded.number,
                             units = excluded.units, floors = excluded.floors, households = excluded.households,
                             station_id = excluded.station_id, entry_node_id = excluded.entry_node_id,
                             footprint = excluded.footprint, extra_rings = excluded.extra_rings",
                        |st, id| {
                            st.execute(params![
                                id,
                                b.compound_id,
                                b.number,
                                b.units,
                                b.floors,
                                b.households,
                                b.station_id,
                                entry,
                                encode_path(&b.footprint),
                                encode_rings(&b.extra)
                            ])
                        })?;
                }
            }
            Rows::Sources(rows) => {
                for (i, h) in rows.iter().enumerate() {
                    let node = self.id(Table::Nodes, h.node)?;
                    self.upsert(i, Table::Sources, h.id,
                        "INSERT INTO heat_sources (id, name, node_id, capacity_mw, lon, lat) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                         ON CONFLICT (id) DO UPDATE SET name = excluded.name, node_id = excluded.node_id,
                             capacity_mw = excluded.capacity_mw, lon = excluded.lon, lat = excluded.lat",
                        |st, id| {
                            st.execute(params![id, h.name, node, h.capacity_mw, h.position[0], h.position[1]])
                        })?;
                }
            }
            Rows::Stations(rows) => {
                for (i, s) in rows.iter().enumerate() {
                    let node = self.id(Table::Nodes, s.node)?;
                    self.upsert(i, Table::Stations, s.id,
                        "INSERT INTO stations (id, name, department_id, node_id, lon, lat) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                         ON CONFLICT (id) DO UPDATE SET name = excluded.name, department_id = excluded.department_id,
                             node_id = excluded.node_id, lon = excluded.lon, lat = excluded.lat",
                        |st, id| {
                            st.execute(params![id, s.name, s.department_id, node, s.position[0], s.position[1]])
                        })?;
                }
            }
            Rows::Pipes(rows) => {
                for (i, p) in rows.iter().enumerate() {
                    let (from, to) = (self.id(Table::Nodes, p.from)?, self.id(Table::Nodes, p.to)?);
                    self.upsert(i, Table::Pipes, p.id,
                        "INSERT INTO pipe_segments (id, from_node, to_node, tier, flow, dn, laid_year, path)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                         ON CONFLICT (id) DO UPDATE SET from_node = excluded.from_node, to_node = excluded.to_node,
                             tier = excluded.tier, flow = excluded.flow, dn = excluded.dn,
                             laid_year = excluded.laid_year, path = excluded.path",
                        |st, id| {
                            st.execute(params![id, from, to, p.tier.code(), p.flow.code(), p.dn, p.laid_year, encode_path(&p.path)])
                        })?;
                }
            }
            Rows::Valves(rows) => {
                for (i, v) in rows.iter().enumerate() {
                    let segment = self.id(Table::Pipes, v.segment)?;
                    self.upsert(i, Table::Valves, v.id,
                        "INSERT INTO valves (id, segment_id, lon, lat, operable) VALUES (?1, ?2, ?3, ?4, ?5)
                         ON CONFLICT (id) DO UPDATE SET segment_id = excluded.segment_id, lon = excluded.lon,
                             lat = excluded.lat, operable = excluded.operable",
                        |st, id| st.execute(params![id, segment, v.position[0], v.position[1], v.operable]))?;
                }
            }
            Rows::Teams(rows) => {
                for (i, t) in rows.iter().enumerate() {
                    let members = serde_json::to_string(&t.members)
                        .map_err(|e| StoreError::Invalid(e.to_string()))?;
                    let skills: Vec<&str> = t.skills.iter().map(|k| k.code()).collect();
                    let skills = skills.join(",");
                    // a team's current position stays where the console last saw it
                    self.upsert(i, Table::Teams, t.id,
                        "INSERT INTO teams (id, name, department_id, members, skills, home_lon, home_lat, lon, lat, status)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?6, ?7, ?8)
                         ON CONFLICT (id) DO UPDATE SET name = excluded.name, department_id = excluded.department_id,
                             members = excluded.members, skills = excluded.skills, home_lon = excluded.home_lon,
                             home_lat = excluded.home_lat, status = excluded.status",
                        |st, id| {
                            st.execute(params![id, t.name, t.department_id, members, skills, t.home_base[0], t.home_base[1], t.status.code()])
                        })?;
                }
            }
            Rows::Tickets(rows) => self.tickets(rows)?,
            Rows::Visits(rows) => {
                for (i, v) in rows.iter().enumerate() {
                    self.upsert(i, Table::Visits, v.id,
                        "INSERT INTO visits (id, compound_id, at, leaders, staff, consultation_desk, households_entered, notes)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                         ON CONFLICT (id) DO UPDATE SET compound_id = excluded.compound_id, at = excluded.at,
                             leaders = excluded.leaders, staff = excluded.staff,
                             consultation_desk = excluded.consultation_desk,
                             households_entered = excluded.households_entered, notes = excluded.notes",
                        |st, id| {
                            st.execute(params![id, v.compound_id, time_to_sql(v.at), v.leaders, v.staff, v.consultation_desk, v.households_entered, v.notes])
                        })?;
                }
            }
            Rows::Readings(rows) => {
                for (i, r) in rows.iter().enumerate() {
                    self.upsert(i, Table::Readings, r.id,
                        "INSERT INTO temperature_readings (id, building_id, visit_id, room, celsius, method, taken_at, taken_by)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                         ON CONFLICT (id) DO UPDATE SET building_id = excluded.building_id, visit_id = excluded.visit_id,
                             room = excluded.room, celsius = excluded.celsius, method = excluded.method,
                             taken_at = excluded.taken_at, taken_by = excluded.taken_by",
                        |st, id| {
                            st.execute(params![id, r.building_id, r.visit_id, r.room, r.celsius, r.method.code(), time_to_sql(r.taken_at), r.taken_by])
                        })?;
                }
            }
            Rows::Surveys(rows) => {
                for (i, s) in rows.iter().enumerate() {
                    self.upsert(i, Table::Surveys, s.id,
                        "INSERT INTO survey_responses (id, building_id, ticket_id, visit_id, answer, at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                         ON CONFLICT (id) DO UPDATE SET building_id = excluded.building_id, ticket_id = excluded.ticket_id,
                             visit_id = excluded.visit_id, answer = excluded.answer, at = excluded.at",
                        |st, id| {
                            st.execute(params![id, s.building_id, s.ticket_id, s.visit_id, s.answer.code(), time_to_sql(s.at)])
                        })?;
                }
            }
        }
        Ok(())
    }

    /// Insert or update row `i` of `table` with the statement `sql` (its first parameter the
    /// id: NULL for a new row the database numbers).
    fn upsert(
        &mut self,
        i: usize,
        table: Table,
        id: i64,
        sql: &str,
        run: impl FnOnce(&mut rusqlite::CachedStatement<'_>, Option<i64>) -> rusqlite::Result<usize>,
    ) -> Result<i64, StoreError> {
        let mut st = self.tx.prepare_cached(sql)?;
        run(&mut st, own(id)).map_err(|e| self.refused(i, e))?;
        drop(st);
        Ok(self.written(table, id))
    }

    /// Tickets: each checked by the lifecycle's rules, written (a masked number never
    /// overwrites the one on file), given an `import` step; links to network tickets last
    /// (they may name a ticket further down the file).
    fn tickets(&mut self, rows: &[Ticket]) -> Result<(), StoreError> {
        let batch = self.batch;
        for (i, t) in rows.iter().enumerate() {
            if let Some(problem) = record_problems(t).first() {
                let source = batch.sources.get(i).map_or("", String::as_str);
                return Err(StoreError::Invalid(format!(
                    "{} {source}: ticket status {} does not fit field {}",
                    batch.file,
                    t.status.code(),
                    problem.field()
                )));
            }
            let segment = self.opt_id(Table::Pipes, t.segment_id)?;
            let id = self.upsert(i, Table::Tickets, t.id,
                "INSERT INTO tickets (id, version, channel, category, severity, building_id, address_detail,
                     reporter_name, reporter_phone, description, status, team_id, created_at, respond_by,
                     deadline, updated_at, fixed_at, closed_at, timely, satisfaction, segment_id)
                 VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)
                 ON CONFLICT (id) DO UPDATE SET version = tickets.version + 1, channel = excluded.channel,
                     category = excluded.category, severity = excluded.severity,
                     building_id = excluded.building_id, address_detail = excluded.address_detail,
                     reporter_name = excluded.reporter_name,
                     -- a masked number (138****5678, from an export) keeps the one on file
                     reporter_phone = CASE WHEN instr(excluded.reporter_phone, '*') > 0
                         THEN tickets.reporter_phone ELSE excluded.reporter_phone END,
                     description = excluded.description, status = excluded.status,
                     team_id = excluded.team_id, created_at = excluded.created_at,
                     respond_by = excluded.respond_by, deadline = excluded.deadline,
                     updated_at = excluded.updated_at, fixed_at = excluded.fixed_at,
                     closed_at = excluded.closed_at, timely = excluded.timely,
                     satisfaction = excluded.satisfaction, segment_id = excluded.segment_id",
                |st, id| {
                    st.execute(params![
                        id,
                        t.channel.code(),
                        t.category.code(),
                        t.severity.code(),
                        t.building_id,
                        t.address_detail,
                        t.reporter_name,
                        t.reporter_phone,
                        t.description,
                        t.status.code(),
                        t.team_id,
                        time_to_sql(t.created_at),
                        time_to_sql(t.respond_by),
                        time_to_sql(t.deadline),
                        time_to_sql(t.updated_at),
                        t.fixed_at.map(time_to_sql),
                        t.closed_at.map(time_to_sql),
                        t.timely,
                        t.satisfaction.map(|a| a.code()),
                        segment,
                    ])
                })?;
            // the trail says where the ticket came from
            let source = batch.sources.get(i).map_or("", String::as_str);
            self.tx
                .prepare_cached(
                    "INSERT INTO ticket_events (ticket_id, at, actor, action, from_status, to_status, team_id, note)
                     VALUES (?1, ?2, ?3, 'import', NULL, ?4, ?5, ?6)",
                )?
                .execute(params![
                    id,
                    time_to_sql(self.origin.at),
                    self.origin.actor,
                    t.status.code(),
                    t.team_id,
                    format!("{} {source}", batch.file)
                ])?;
        }
        for (i, t) in rows.iter().enumerate() {
            let Some(parent) = t.parent_id else { continue };
            let (id, parent) = (
                self.id(Table::Tickets, t.id)?,
                self.id(Table::Tickets, parent)?,
            );
            if id == parent {
                let source = batch.sources.get(i).map_or("", String::as_str);
                return Err(StoreError::Invalid(format!(
                    "{} {source}: a ticket cannot be its own network ticket",
                    batch.file
                )));
            }
            self.tx
                .prepare_cached("UPDATE tickets SET parent_id = ?2 WHERE id = ?1")?
                .execute(params![id, parent])
                .map_err(|e| self.refused(i, e))?;
        }
        Ok(())
    }
}

/// The id a row is written with: NULL for a new one the database numbers.
fn own(id: i64) -> Option<i64> {
    (!is_placeholder(id)).then_some(id)
}
