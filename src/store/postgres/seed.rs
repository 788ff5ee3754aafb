//! Filling an empty database on a server with a whole data set (the demo city, another
//! store's contents) through COPY, in one transaction; and reading a whole database back.

use std::io::Write;

use postgres::{Client, GenericClient};

use super::load;
use crate::domain::*;
use crate::store::blob::{encode_path, encode_rings};
use crate::store::chain;
use crate::store::{AuditEvent, Everything, StoreError};

/// One COPY text-format row being written.
struct Line(String);

impl Line {
    fn new() -> Self {
        Line(String::with_capacity(256))
    }

    fn sep(&mut self) {
        if !self.0.is_empty() {
            self.0.push('\t');
        }
    }

    fn text(&mut self, v: &str) -> &mut Self {
        self.sep();
        for c in v.chars() {
            match c {
                '\\' => self.0.push_str("\\\\"),
                '\t' => self.0.push_str("\\t"),
                '\n' => self.0.push_str("\\n"),
                '\r' => self.0.push_str("\\r"),
                c => self.0.push(c),
            }
        }
        self
    }

    fn null(&mut self) -> &mut Self {
        self.sep();
        self.0.push_str("\\N");
        self
    }

    fn num(&mut self, v: impl std::fmt::Display) -> &mut Self {
        self.sep();
        self.0.push_str(&v.to_string());
        self
    }

    fn opt_num(&mut self, v: Option<impl std::fmt::Display>) -> &mut Self {
        match v {
            Some(v) => self.num(v),
            None => self.null(),
        }
    }

    fn opt_text(&mut self, v: Option<&str>) -> &mut Self {
        match v {
            Some(v) => self.text(v),
            None => self.null(),
        }
    }

    fn real(&mut self, v: f64) -> &mut Self {
        // shortest representation that reads back to the same f64
        self.num(format!("{v:?}"))
    }

    fn flag(&mut self, v: bool) -> &mut Self {
        self.num(if v { "t" } else { "f" })
    }

    fn opt_flag(&mut self, v: Option<bool>) -> &mut Self {
        match v {
            Some(v) => self.flag(v),
            None => self.null(),
        }
    }

    fn time(&mut self, v: Timestamp) -> &mut Self {
        self.num(v.format("%Y-%m-%d %H:%M:%S"))
    }

    fn opt_time(&mut self, v: Option<Timestamp>) -> &mut Self {
        match v {
            Some(v) => self.time(v),
            None => self.null(),
        }
    }

    fn bytes(&mut self, v: &[u8]) -> &mut Self {
        self.sep();
        // bytea's hex form; the backslash doubled for COPY's text format
        self.0.push_str("\\\\x");
        for b in v {
            self.0.push_str(&format!("{b:02x}"));
        }
        self
    }
}

/// COPY the rows `write` produces into `table (columns)`.
fn copy<T>(
    client: &mut impl GenericClient,
    table: &str,
    columns: &str,
    rows: &[T],
    write: impl Fn(&mut Line, &T),
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut out = client.copy_in(&format!("COPY {table} ({columns}) FROM STDIN"))?;
    let mut buf = String::with_capacity(1 << 20);
    for row in rows {
        let mut line = Line::new();
        write(&mut line, row);
        buf.push_str(&line.0);
        buf.push('\n');
        if buf.len() > (1 << 20) {
            out.write_all(buf.as_bytes())
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            buf.clear();
        }
    }
    out.write_all(buf.as_bytes())
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    out.finish()?;
    Ok(())
}

/// Every table's rows, ids kept, in one transaction; the identities then continue past them.
pub fn seed(client: &mut Client, shown: &str, all: &Everything) -> Result<(), StoreError> {
    let mut tx = client.transaction()?;
    let rows: i64 = tx
        .query_one(
            "SELECT (SELECT count(*) FROM departments) + (SELECT count(*) FROM tickets)",
            &[],
        )?
        .try_get(0)?;
    if rows > 0 {
        return Err(StoreError::NotEmpty {
            path: shown.to_string(),
            what: "seeding a data set",
        });
    }
    // tickets name network tickets that may come later
    tx.batch_execute("SET CONSTRAINTS ALL DEFERRED")?;
    let s = &all.city;
    copy(
        &mut tx,
        "departments",
        "id, name",
        &s.departments,
        |l, d| {
            l.num(d.id).text(&d.name);
        },
    )?;
    copy(
        &mut tx,
        "compounds",
        "id, name, address, department_id, households, outline, extra_rings",
        &s.compounds,
        |l, c| {
            l.num(c.id)
                .text(&c.name)
                .text(&c.address)
                .num(c.department_id)
                .num(c.households)
                .bytes(&encode_path(&c.outline))
                .opt_text(encode_rings(&c.extra).as_deref());
        },
    )?;
    copy(
        &mut tx,
        "network_nodes",
        "id, kind, lon, lat",
        &s.nodes,
        |l, n| {
            l.num(n.id)
                .text(n.kind.code())
                .real(n.position[0])
                .real(n.position[1]);
        },
    )?;
    copy(
        &mut tx,
        "heat_sources",
        "id, name, node_id, capacity_mw, lon, lat",
        &s.sources,
        |l, h| {
            l.num(h.id)
                .text(&h.name)
                .num(h.node)
                .real(h.capacity_mw)
                .real(h.position[0])
                .real(h.position[1]);
        },
    )?;
    copy(
        &mut tx,
        "stations",
        "id, name, department_id, node_id, lon, lat",
        &s.stations,
        |l, h| {
            l.num(h.id)
                .text(&h.name)
                .num(h.department_id)
                .num(h.node)
                .real(h.position[0])
                .real(h.position[1]);
        },
    )?;
    copy(
        &mut tx,
        "buildings",
        "id, compound_id, number, units, floors, households, station_id, entry_node_id, footprint, extra_rings",
        &s.buildings,
        |l, b| {
            l.num(b.id)
                .num(b.compound_id)
                .text(&b.number)
                .num(b.units)
                .num(b.floors)
                .num(b.households)
                .num(b.station_id)
                .num(b.entry_node)
                .bytes(&encode_path(&b.footprint))
                .opt_text(encode_rings(&b.extra).as_deref());
        },
    )?;
    copy(
        &mut tx,
        "pipe_segments",
        "id, from_node, to_node, tier, flow, dn, laid_year, path",
        &s.segments,
        |l, p| {
            l.num(p.id)
                .num(p.from)
                .num(p.to)
                .text(p.tier.code())
                .text(p.flow.code())
                .num(p.dn)
                .num(p.laid_year)
                .bytes(&encode_path(&p.path));
        },
    )?;
    copy(
        &mut tx,
        "valves",
        "id, segment_id, lon, lat, operable",
        &s.valves,
        |l, v| {
            l.num(v.id)
                .num(v.segment)
                .real(v.position[0])
                .real(v.position[1])
                .flag(v.operable);
        },
    )?;
    copy(
        &mut tx,
        "teams",
        "id, name, department_id, members, skills, home_lon, home_lat, lon, lat, status",
        &s.teams,
        |l, t| {
            let skills: Vec<&str> = t.skills.iter().map(|k| k.code()).collect();
            l.num(t.id)
                .text(&t.name)
                .num(t.department_id)
                .text(&serde_json::to_string(&t.members).unwrap_or_else(|_| "[]".into()))
                .text(&skills.join(","))
                .real(t.home_base[0])
                .real(t.home_base[1])
                .real(t.position[0])
                .real(t.position[1])
                .text(t.status.code());
        },
    )?;
    copy(
        &mut tx,
        "tickets",
        "id, version, channel, category, severity, building_id, address_detail, reporter_name,
         reporter_phone, description, status, team_id, created_at, respond_by, deadline,
         updated_at, fixed_at, closed_at, timely, satisfaction, parent_id, segment_id",
        &s.tickets,
        |l, t| {
            l.num(t.id)
                .num(t.version)
                .text(t.channel.code())
                .text(t.category.code())
                .text(t.severity.code())
                .num(t.building_id)
                .text(&t.address_detail)
                .text(&t.reporter_name)
                .text(&t.reporter_phone)
                .text(&t.description)
                .text(t.status.code())
                .opt_num(t.team_id)
                .time(t.created_at)
                .time(t.respond_by)
                .time(t.deadline)
                .time(t.updated_at)
                .opt_time(t.fixed_at)
                .opt_time(t.closed_at)
                .opt_flag(t.timely)
                .opt_text(t.satisfaction.map(|a| a.code()))
                .opt_num(t.parent_id)
                .opt_num(t.segment_id);
        },
    )?;
    // the audit chains in id order, hashed as they are written
    let mut events: Vec<&TicketEvent> = all.events.iter().collect();
    events.sort_by_key(|e| e.id);
    let mut links = chain::Links::after(chain::GENESIS);
    let events: Vec<(&TicketEvent, chain::Hash)> = events
        .into_iter()
        .map(|e| (e, links.ticket_event(e)))
        .collect();
    copy(
        &mut tx,
        "ticket_events",
        "id, ticket_id, at, actor, action, from_status, to_status, team_id, note, hash",
        &events,
        |l, (e, hash)| {
            l.num(e.id)
                .num(e.ticket_id)
                .time(e.at)
                .text(&e.actor)
                .text(&e.action)
                .opt_text(e.from_status.map(|s| s.code()))
                .text(e.to_status.code())
                .opt_num(e.team_id)
                .text(&e.note)
                .bytes(hash);
        },
    )?;
    copy(
        &mut tx,
        "visits",
        "id, compound_id, at, leaders, consultation_desk, households_entered, notes, staff",
        &s.visits,
        |l, v| {
            l.num(v.id)
                .num(v.compound_id)
                .time(v.at)
                .text(&v.leaders)
                .flag(v.consultation_desk)
                .num(v.households_entered)
                .text(&v.notes)
                .text(&v.staff);
        },
    )?;
    copy(
        &mut tx,
        "temperature_readings",
        "id, building_id, visit_id, room, celsius, method, taken_at, taken_by",
        &s.readings,
        |l, r| {
            l.num(r.id)
                .num(r.building_id)
                .opt_num(r.visit_id)
                .text(&r.room)
                .real(r.celsius)
                .text(r.method.code())
                .time(r.taken_at)
                .text(&r.taken_by);
        },
    )?;
    copy(
        &mut tx,
        "survey_responses",
        "id, building_id, ticket_id, visit_id, answer, at",
        &s.surveys,
        |l, r| {
            l.num(r.id)
                .num(r.building_id)
                .opt_num(r.ticket_id)
                .opt_num(r.visit_id)
                .text(r.answer.code())
                .time(r.at);
        },
    )?;
    let mut audit: Vec<&AuditEvent> = all.audit.iter().collect();
    audit.sort_by_key(|a| a.id);
    let mut links = chain::Links::after(chain::GENESIS);
    let audit: Vec<(&AuditEvent, chain::Hash)> = audit
        .into_iter()
        .map(|a| (a, links.audit_event(a)))
        .collect();
    copy(
        &mut tx,
        "audit_events",
        "id, at, actor, command, detail, hash",
        &audit,
        |l, (a, hash)| {
            l.num(a.id)
                .time(a.at)
                .text(&a.actor)
                .text(&a.command)
                .text(&a.detail)
                .bytes(hash);
        },
    )?;
    copy(
        &mut tx,
        "external_ids",
        "kind, external_id, id",
        &all.external_ids,
        |l, (kind, external, id)| {
            l.text(kind).text(external).num(id);
        },
    )?;
    copy(
        &mut tx,
        "basemap_features",
        "id, kind, name, width_m, geometry",
        &all.basemap,
        |l, f| {
            l.num(f.id)
                .text(f.kind.code())
                .text(&f.name)
                .real(f.width_m)
                .bytes(&encode_path(&f.geometry));
        },
    )?;
    if !s.rules.is_empty() {
        tx.execute("DELETE FROM sla_rules", &[])?;
        copy(
            &mut tx,
            "sla_rules",
            "category, severity, respond_minutes, resolve_minutes",
            &s.rules,
            |l, r| {
                l.text(r.category.code())
                    .text(r.severity.code())
                    .num(r.respond_minutes)
                    .num(r.resolve_minutes);
            },
        )?;
    }
    let kpi =
        serde_json::to_string(&s.kpi_rules).map_err(|e| StoreError::Invalid(e.to_string()))?;
    tx.execute(
        "INSERT INTO settings (key, value) VALUES ('kpi_rules', $1)
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        &[&kpi],
    )?;
    super::crew::write_everything(
        &mut super::tx::PgTx::new(&mut tx, &mut Default::default()),
        &all.field,
        &s.positions,
    )?;
    // the identities continue past the ids written
    for table in [
        "outbox",
        "ticket_photos",
        "departments",
        "compounds",
        "network_nodes",
        "heat_sources",
        "stations",
        "buildings",
        "pipe_segments",
        "valves",
        "teams",
        "tickets",
        "ticket_events",
        "visits",
        "temperature_readings",
        "survey_responses",
        "audit_events",
        "basemap_features",
    ] {
        tx.batch_execute(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                 coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
        ))?;
    }
    tx.commit()?;
    Ok(())
}

/// Everything a database on a server holds, read in one repeatable-read transaction.
pub fn everything(tx: &mut impl GenericClient) -> Result<Everything, StoreError> {
    let mut city = load::places(tx)?;
    load::activity(tx, &mut city, None)?;
    city.reindex();
    let events = load::all_events(tx)?;
    let audit = tx
        .query(
            "SELECT id, at, actor, command, detail FROM audit_events ORDER BY id",
            &[],
        )?
        .iter()
        .map(super::audit::audit_row)
        .collect::<Result<Vec<_>, StoreError>>()?;
    let external_ids = tx
        .query(
            "SELECT kind, external_id, id FROM external_ids ORDER BY kind, external_id",
            &[],
        )?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Everything {
        field: super::crew::everything(tx)?,
        city,
        events,
        audit,
        external_ids,
        basemap: load::basemap(tx)?,
    })
}
