//! The reads and writes of one SQLite transaction, for the commands written once in
//! [`crate::store::commands`].

use rusqlite::{OptionalExtension, Transaction, params};

use super::StoreError;
use super::codec::{encode_path, encode_rings, time_from_sql, time_to_sql};
use super::load::{TICKET_COLUMNS, rules, table_name, ticket_row};
use super::write::{
    insert_event, insert_reading, insert_survey, insert_ticket, insert_visit, write_rules,
};
use crate::domain::batch::Table;
use crate::domain::crew;
use crate::domain::*;
use crate::store::commands::{Logged, Row, Tx};

/// One SQLite transaction (begun IMMEDIATE: the write lock is taken first, so two consoles never
/// both read a version and then race to write it).
pub struct SqliteTx<'a> {
    pub tx: &'a Transaction<'a>,
}

/// A refusal of an imported row, naming it.
fn refused(source: &str, e: rusqlite::Error) -> StoreError {
    StoreError::Invalid(format!("{source}: the database refused the row: {e}"))
}

/// The id a row is written with: NULL for a new one the database numbers.
fn own(id: i64) -> Option<i64> {
    (!crate::domain::batch::is_provisional(id)).then_some(id)
}

impl Tx for SqliteTx<'_> {
    fn ticket(&mut self, id: TicketId) -> Result<Option<Ticket>, StoreError> {
        Ok(self
            .tx
            .prepare_cached(&format!("{TICKET_COLUMNS} WHERE id = ?1"))?
            .query_row([id], ticket_row)
            .optional()?)
    }

    fn open_linked(&mut self, parent: TicketId) -> Result<Vec<Ticket>, StoreError> {
        let mut st = self.tx.prepare_cached(&format!(
            "{TICKET_COLUMNS} WHERE parent_id = ?1 AND status NOT IN ('fixed', 'callback_done', 'closed')
             ORDER BY id"
        ))?;
        Ok(st
            .query_map([parent], ticket_row)?
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

    fn insert_ticket(&mut self, t: &Ticket) -> Result<TicketId, StoreError> {
        insert_ticket(self.tx, t)
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

    fn insert_visit(&mut self, v: &Visit) -> Result<i64, StoreError> {
        insert_visit(self.tx, v)
    }

    fn insert_reading(&mut self, r: &TemperatureReading) -> Result<i64, StoreError> {
        insert_reading(self.tx, r)
    }

    fn insert_survey(&mut self, s: &SurveyResponse) -> Result<i64, StoreError> {
        insert_survey(self.tx, s)
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

    fn claim_client(
        &mut self,
        client_id: &str,
        actor: &str,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        super::crew::claim_client(self.tx, client_id, actor, at)
    }

    fn team(&mut self, id: TeamId) -> Result<Option<Team>, StoreError> {
        super::crew::team(self.tx, id)
    }

    fn set_team(&mut self, team: &Team) -> Result<(), StoreError> {
        super::crew::set_team(self.tx, team)
    }

    fn set_position(&mut self, p: &crew::TeamPosition) -> Result<(), StoreError> {
        super::crew::set_position(self.tx, p)
    }

    fn building_label(&mut self, id: BuildingId) -> Result<String, StoreError> {
        super::crew::building_label(self.tx, id)
    }

    fn setting(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        super::crew::setting(self.tx, key)
    }

    fn queue_message(&mut self, m: &crew::Message) -> Result<i64, StoreError> {
        super::crew::queue_message(self.tx, m)
    }

    fn insert_photo(
        &mut self,
        ticket: TicketId,
        event: i64,
        photo: &crew::Photo,
    ) -> Result<(), StoreError> {
        super::crew::insert_photo(self.tx, None, ticket, event, photo)
    }

    fn save_account(&mut self, a: &crew::Account) -> Result<(), StoreError> {
        super::crew::save_account(self.tx, a)
    }

    fn reporters_in(
        &mut self,
        buildings: &[BuildingId],
    ) -> Result<Vec<(TicketId, String)>, StoreError> {
        super::crew::reporters_in(self.tx, buildings)
    }

    fn upsert(&mut self, row: Row<'_>, source: &str) -> Result<i64, StoreError> {
        let refused = |e| refused(source, e);
        let (table, asked) = match row {
            Row::Node(n) => {
                self.tx
                    .prepare_cached(
                        "INSERT INTO network_nodes (id, kind, lon, lat) VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, lon = excluded.lon, lat = excluded.lat",
                    )?
                    .execute(params![own(n.id), n.kind.code(), n.position[0], n.position[1]])
                    .map_err(refused)?;
                (Table::Nodes, n.id)
            }
            Row::Department(d) => {
                self.tx
                    .prepare_cached(
                        "INSERT INTO departments (id, name) VALUES (?1, ?2)
                         ON CONFLICT (id) DO UPDATE SET name = excluded.name",
                    )?
                    .execute(params![own(d.id), d.name])
                    .map_err(refused)?;
                (Table::Departments, d.id)
            }
            Row::Compound(c) => {
                self.tx
                    .prepare_cached(
                        "INSERT INTO compounds (id, name, address, department_id, households, outline, extra_rings)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                         ON CONFLICT (id) DO UPDATE SET name = excluded.name, address = excluded.address,
                             department_id = excluded.department_id, households = excluded.households,
                             outline = excluded.outline, extra_rings = excluded.extra_rings",
                    )?
                    .execute(params![
                        own(c.id),
                        c.name,
                        c.address,
                        c.department_id,
                        c.households,
                        encode_path(&c.outline),
                        encode_rings(&c.extra)
                    ])
                    .map_err(refused)?;
                (Table::Compounds, c.id)
            }
            Row::Building(b) => {
                self.tx
                    .prepare_cached(
                        "INSERT INTO buildings (id, compound_id, number, units, floors, households, station_id, entry_node_id, footprint, extra_rings)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                         ON CONFLICT (id) DO UPDATE SET compound_id = excluded.compound_id, number = excluded.number,
                             units = excluded.units, floors = excluded.floors, households = excluded.households,
                             station_id = excluded.station_id, entry_node_id = excluded.entry_node_id,
                             footprint = excluded.footprint, extra_rings = excluded.extra_rings",
                    )?
                    .execute(params![
                        own(b.id),
                        b.compound_id,
                        b.number,
                        b.units,
                        b.floors,
                        b.households,
                        b.station_id,
                        b.entry_node,
                        encode_path(&b.footprint),
                        encode_rings(&b.extra)
                    ])
                    .map_err(refused)?;
                (Table::Buildings, b.id)
            }
            Row::Source(h) => {
                self.tx
                    .prepare_cached(
                        "INSERT INTO heat_sources (id, name, node_id, capacity_mw, lon, lat) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                         ON CONFLICT (id) DO UPDATE SET name = excluded.name, node_id = excluded.node_id,
                             capacity_mw = excluded.capacity_mw, lon = excluded.lon, lat = excluded.lat",
                    )?
                    .execute(params![own(h.id), h.name, h.node, h.capacity_mw, h.position[0], h.position[1]])
                    .map_err(refused)?;
                (Table::Sources, h.id)
            }
            Row::Station(s) => {
                self.tx
                    .prepare_cached(
                        "INSERT INTO stations (id, name, department_id, node_id, lon, lat) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                         ON CONFLICT (id) DO UPDATE SET name = excluded.name, department_id = excluded.department_id,
                             node_id = excluded.node_id, lon = excluded.lon, lat = excluded.lat",
                    )?
                    .execute(params![own(s.id), s.name, s.department_id, s.node, s.position[0], s.position[1]])
                    .map_err(refused)?;
                (Table::Stations, s.id)
            }
            Row::Pipe(p) => {
                self.tx
                    .prepare_cached(
                        "INSERT INTO pipe_segments (id, from_node, to_node, tier, flow, dn, laid_year, path)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                         ON CONFLICT (id) DO UPDATE SET from_node = excluded.from_node, to_node = excluded.to_node,
                             tier = excluded.tier, flow = excluded.flow, dn = excluded.dn,
                             laid_year = excluded.laid_year, path = excluded.path",
                    )?
                    .execute(params![own(p.id), p.from, p.to, p.tier.code(), p.flow.code(), p.dn, p.laid_year, encode_path(&p.path)])
                    .map_err(refused)?;
                (Table::Pipes, p.id)
            }
            Row::Valve(v) => {
                self.tx
                    .prepare_cached(
                        "INSERT INTO valves (id, segment_id, lon, lat, operable) VALUES (?1, ?2, ?3, ?4, ?5)
                         ON CONFLICT (id) DO UPDATE SET segment_id = excluded.segment_id, lon = excluded.lon,
                             lat = excluded.lat, operable = excluded.operable",
                    )?
                    .execute(params![own(v.id), v.segment, v.position[0], v.position[1], v.operable])
                    .map_err(refused)?;
                (Table::Valves, v.id)
            }
            Row::Team(t) => {
                let members = serde_json::to_string(&t.members)
                    .map_err(|e| StoreError::Invalid(e.to_string()))?;
                let skills: Vec<&str> = t.skills.iter().map(|k| k.code()).collect();
                self.tx
                    .prepare_cached(
                        "INSERT INTO teams (id, name, department_id, members, skills, home_lon, home_lat, lon, lat, status)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?6, ?7, ?8)
                         ON CONFLICT (id) DO UPDATE SET name = excluded.name, department_id = excluded.department_id,
                             members = excluded.members, skills = excluded.skills, home_lon = excluded.home_lon,
                             home_lat = excluded.home_lat, status = excluded.status",
                    )?
                    .execute(params![own(t.id), t.name, t.department_id, members, skills.join(","), t.home_base[0], t.home_base[1], t.status.code()])
                    .map_err(refused)?;
                (Table::Teams, t.id)
            }
            Row::Ticket(t) => {
                self.tx
                    .prepare_cached(
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
                    )?
                    .execute(params![
                        own(t.id),
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
                        t.segment_id,
                    ])
                    .map_err(refused)?;
                (Table::Tickets, t.id)
            }
            Row::Visit(v) => {
                self.tx
                    .prepare_cached(
                        "INSERT INTO visits (id, compound_id, at, leaders, staff, consultation_desk, households_entered, notes)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                         ON CONFLICT (id) DO UPDATE SET compound_id = excluded.compound_id, at = excluded.at,
                             leaders = excluded.leaders, staff = excluded.staff,
                             consultation_desk = excluded.consultation_desk,
                             households_entered = excluded.households_entered, notes = excluded.notes",
                    )?
                    .execute(params![own(v.id), v.compound_id, time_to_sql(v.at), v.leaders, v.staff, v.consultation_desk, v.households_entered, v.notes])
                    .map_err(refused)?;
                (Table::Visits, v.id)
            }
            Row::Reading(r) => {
                self.tx
                    .prepare_cached(
                        "INSERT INTO temperature_readings (id, building_id, visit_id, room, celsius, method, taken_at, taken_by)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                         ON CONFLICT (id) DO UPDATE SET building_id = excluded.building_id, visit_id = excluded.visit_id,
                             room = excluded.room, celsius = excluded.celsius, method = excluded.method,
                             taken_at = excluded.taken_at, taken_by = excluded.taken_by",
                    )?
                    .execute(params![own(r.id), r.building_id, r.visit_id, r.room, r.celsius, r.method.code(), time_to_sql(r.taken_at), r.taken_by])
                    .map_err(refused)?;
                (Table::Readings, r.id)
            }
            Row::Survey(s) => {
                self.tx
                    .prepare_cached(
                        "INSERT INTO survey_responses (id, building_id, ticket_id, visit_id, answer, at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                         ON CONFLICT (id) DO UPDATE SET building_id = excluded.building_id, ticket_id = excluded.ticket_id,
                             visit_id = excluded.visit_id, answer = excluded.answer, at = excluded.at",
                    )?
                    .execute(params![own(s.id), s.building_id, s.ticket_id, s.visit_id, s.answer.code(), time_to_sql(s.at)])
                    .map_err(refused)?;
                (Table::Surveys, s.id)
            }
        };
        let _ = table;
        Ok(if crate::domain::batch::is_provisional(asked) {
            self.tx.last_insert_rowid()
        } else {
            asked
        })
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
