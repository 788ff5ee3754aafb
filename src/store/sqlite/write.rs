//! Writing rows: seeding a new database (the demo city) and the single-row helpers commands
//! and imports use.

use rusqlite::{Connection, Transaction, params};

use super::StoreError;
use super::codec::{encode_path, encode_rings, time_to_sql};
use crate::domain::*;
use crate::store::chain::{self, Chain};
use crate::store::{AuditEvent, Everything};

/// Write a whole data set in one transaction: all of it lands, or none of it.
pub fn write_all(conn: &mut Connection, all: &Everything) -> Result<(), StoreError> {
    let (s, events, basemap) = (&all.city, &all.events, &all.basemap);
    let tx = conn.transaction()?;
    // tickets name their network tickets, which may come later
    tx.pragma_update(None, "defer_foreign_keys", true)?;
    {
        let mut st = tx.prepare("INSERT INTO departments (id, name) VALUES (?1, ?2)")?;
        for d in &s.departments {
            st.execute(params![d.id, d.name])?;
        }
        let mut st = tx.prepare(
            "INSERT INTO compounds (id, name, address, department_id, households, outline, extra_rings)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for c in &s.compounds {
            st.execute(params![
                c.id,
                c.name,
                c.address,
                c.department_id,
                c.households,
                encode_path(&c.outline),
                encode_rings(&c.extra)
            ])?;
        }
        let mut st =
            tx.prepare("INSERT INTO network_nodes (id, kind, lon, lat) VALUES (?1, ?2, ?3, ?4)")?;
        for n in &s.nodes {
            st.execute(params![n.id, n.kind.code(), n.position[0], n.position[1]])?;
        }
        let mut st = tx.prepare(
            "INSERT INTO heat_sources (id, name, node_id, capacity_mw, lon, lat) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for h in &s.sources {
            st.execute(params![
                h.id,
                h.name,
                h.node,
                h.capacity_mw,
                h.position[0],
                h.position[1]
            ])?;
        }
        let mut st = tx.prepare(
            "INSERT INTO stations (id, name, department_id, node_id, lon, lat) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for h in &s.stations {
            st.execute(params![
                h.id,
                h.name,
                h.department_id,
                h.node,
                h.position[0],
                h.position[1]
            ])?;
        }
        let mut st = tx.prepare(
            "INSERT INTO buildings (id, compound_id, number, units, floors, households, station_id, entry_node_id, footprint, extra_rings)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        for b in &s.buildings {
            st.execute(params![
                b.id,
                b.compound_id,
                b.number,
                b.units,
                b.floors,
                b.households,
                b.station_id,
                b.entry_node,
                encode_path(&b.footprint),
                encode_rings(&b.extra)
            ])?;
        }
        let mut st = tx.prepare(
            "INSERT INTO pipe_segments (id, from_node, to_node, tier, flow, dn, laid_year, path)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        for p in &s.segments {
            st.execute(params![
                p.id,
                p.from,
                p.to,
                p.tier.code(),
                p.flow.code(),
                p.dn,
                p.laid_year,
                encode_path(&p.path)
            ])?;
        }
        let mut st = tx.prepare(
            "INSERT INTO valves (id, segment_id, lon, lat, operable) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for v in &s.valves {
            st.execute(params![
                v.id,
                v.segment,
                v.position[0],
                v.position[1],
                v.operable
            ])?;
        }
        let mut st = tx.prepare(
            "INSERT INTO teams (id, name, department_id, members, skills, home_lon, home_lat, lon, lat, status)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        for t in &s.teams {
            let members = serde_json::to_string(&t.members)
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            let skills: Vec<&str> = t.skills.iter().map(|k| k.code()).collect();
            st.execute(params![
                t.id,
                t.name,
                t.department_id,
                members,
                skills.join(","),
                t.home_base[0],
                t.home_base[1],
                t.position[0],
                t.position[1],
                t.status.code()
            ])?;
        }
        for t in &s.tickets {
            insert_ticket(&tx, t)?;
        }
        // the audit chain in id order, its hashes made here rather than looked up per row
        let mut order: Vec<&TicketEvent> = events.iter().collect();
        order.sort_by_key(|e| e.id);
        let mut links = chain::Links::after(chain::GENESIS);
        for e in order {
            let e = &TicketEvent {
                at: chain::whole_seconds(e.at),
                ..e.clone()
            };
            insert_event_hashed(&tx, e, &links.ticket_event(e))?;
        }
        for v in &s.visits {
            insert_visit(&tx, v)?;
        }
        for r in &s.readings {
            insert_reading(&tx, r)?;
        }
        for r in &s.surveys {
            insert_survey(&tx, r)?;
        }
        if !s.rules.is_empty() {
            write_rules(&tx, &s.rules)?;
        }
        if s.kpi_rules != crate::domain::kpi::KpiRules::default() {
            let json = serde_json::to_string(&s.kpi_rules)
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            tx.execute(
                "INSERT INTO settings (key, value) VALUES ('kpi_rules', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [json],
            )?;
        }
        let mut st = tx.prepare(
            "INSERT INTO audit_events (id, at, actor, command, detail, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let mut order: Vec<&AuditEvent> = all.audit.iter().collect();
        order.sort_by_key(|a| a.id);
        let mut links = chain::Links::after(chain::GENESIS);
        for a in order {
            let hash = links.audit_event(a);
            st.execute(params![
                a.id,
                time_to_sql(a.at),
                a.actor,
                a.command,
                a.detail,
                &hash[..]
            ])?;
        }
        let mut st =
            tx.prepare("INSERT INTO external_ids (kind, external_id, id) VALUES (?1, ?2, ?3)")?;
        for (kind, external, id) in &all.external_ids {
            st.execute(params![kind, external, id])?;
        }
        let mut st = tx.prepare(
            "INSERT INTO basemap_features (id, kind, name, width_m, geometry) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for f in basemap {
            st.execute(params![
                f.id,
                f.kind.code(),
                f.name,
                f.width_m,
                encode_path(&f.geometry)
            ])?;
        }
        super::crew::write_everything(&tx, &all.field, &s.positions)?;
    }
    tx.commit()?;
    Ok(())
}

pub fn write_rules(tx: &Transaction<'_>, rules: &[SlaRule]) -> Result<(), StoreError> {
    let mut st = tx.prepare_cached(
        "INSERT INTO sla_rules (category, severity, respond_minutes, resolve_minutes) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (category, severity) DO UPDATE SET respond_minutes = excluded.respond_minutes,
             resolve_minutes = excluded.resolve_minutes",
    )?;
    for r in rules {
        st.execute(params![
            r.category.code(),
            r.severity.code(),
            r.respond_minutes,
            r.resolve_minutes
        ])?;
    }
    Ok(())
}

/// Insert a ticket; id 0 lets SQLite choose. Returns its id.
pub fn insert_ticket(tx: &Transaction<'_>, t: &Ticket) -> Result<i64, StoreError> {
    let mut st = tx.prepare_cached(
        "INSERT INTO tickets (id, version, channel, category, severity, building_id, address_detail,
            reporter_name, reporter_phone, description, status, team_id, created_at, respond_by, deadline,
            updated_at, fixed_at, closed_at, timely, satisfaction, parent_id, segment_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
            ?21, ?22)",
    )?;
    st.execute(params![
        (t.id != 0).then_some(t.id),
        t.version,
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
        t.parent_id,
        t.segment_id,
    ])?;
    Ok(tx.last_insert_rowid())
}

/// The last link of a chain: its event's id (0 when empty) and stored hash.
pub fn chain_tail(tx: &Connection, which: Chain) -> Result<(i64, chain::Hash), StoreError> {
    use rusqlite::OptionalExtension;
    let last = tx
        .prepare_cached(&format!(
            "SELECT id, hash FROM {} ORDER BY id DESC LIMIT 1",
            which.table()
        ))?
        .query_row([], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Option<Vec<u8>>>(1)?))
        })
        .optional()?;
    Ok(match last {
        Some((id, hash)) => (id, chain::from_stored(hash).unwrap_or(chain::GENESIS)),
        None => (0, chain::GENESIS),
    })
}

/// Insert a ticket's step, chained onto the last one (id 0: the next id); returns its id.
pub fn insert_event(tx: &Transaction<'_>, e: &TicketEvent) -> Result<i64, StoreError> {
    let (last, prev) = chain_tail(tx, Chain::TicketEvents)?;
    let e = TicketEvent {
        id: if e.id != 0 { e.id } else { last + 1 },
        at: chain::whole_seconds(e.at),
        ..e.clone()
    };
    let hash = chain::ticket_event(&prev, &e);
    insert_event_hashed(tx, &e, &hash)
}

/// Insert a ticket's step with its chain hash; returns its id.
fn insert_event_hashed(
    tx: &Transaction<'_>,
    e: &TicketEvent,
    hash: &chain::Hash,
) -> Result<i64, StoreError> {
    let mut st = tx.prepare_cached(
        "INSERT INTO ticket_events (id, ticket_id, at, actor, action, from_status, to_status, team_id, note, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    st.execute(params![
        e.id,
        e.ticket_id,
        time_to_sql(e.at),
        e.actor,
        e.action,
        e.from_status.map(|s| s.code()),
        e.to_status.code(),
        e.team_id,
        e.note,
        &hash[..],
    ])?;
    Ok(tx.last_insert_rowid())
}

/// Insert another audit record, chained onto the last one.
pub fn insert_audit(
    tx: &Transaction<'_>,
    at: Timestamp,
    actor: &str,
    command: &str,
    detail: &str,
) -> Result<(), StoreError> {
    let (last, prev) = chain_tail(tx, Chain::AuditEvents)?;
    let a = AuditEvent {
        id: last + 1,
        at: chain::whole_seconds(at),
        actor: actor.to_string(),
        command: command.to_string(),
        detail: detail.to_string(),
    };
    let hash = chain::audit_event(&prev, &a);
    tx.prepare_cached(
        "INSERT INTO audit_events (id, at, actor, command, detail, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        a.id,
        time_to_sql(a.at),
        a.actor,
        a.command,
        a.detail,
        &hash[..]
    ])?;
    Ok(())
}

/// Insert a visit; id 0 lets SQLite choose. Returns its id.
pub fn insert_visit(tx: &Transaction<'_>, v: &Visit) -> Result<i64, StoreError> {
    tx.prepare_cached(
        "INSERT INTO visits (id, compound_id, at, leaders, staff, consultation_desk, households_entered, notes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        (v.id != 0).then_some(v.id),
        v.compound_id,
        time_to_sql(v.at),
        v.leaders,
        v.staff,
        v.consultation_desk,
        v.households_entered,
        v.notes
    ])?;
    Ok(tx.last_insert_rowid())
}

/// Insert a temperature reading; id 0 lets SQLite choose. Returns its id.
pub fn insert_reading(tx: &Transaction<'_>, r: &TemperatureReading) -> Result<i64, StoreError> {
    tx.prepare_cached(
        "INSERT INTO temperature_readings (id, building_id, visit_id, room, celsius, method, taken_at, taken_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        (r.id != 0).then_some(r.id),
        r.building_id,
        r.visit_id,
        r.room,
        r.celsius,
        r.method.code(),
        time_to_sql(r.taken_at),
        r.taken_by
    ])?;
    Ok(tx.last_insert_rowid())
}

/// Insert a resident's answer; id 0 lets SQLite choose. Returns its id.
pub fn insert_survey(tx: &Transaction<'_>, r: &SurveyResponse) -> Result<i64, StoreError> {
    tx.prepare_cached(
        "INSERT INTO survey_responses (id, building_id, ticket_id, visit_id, answer, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        (r.id != 0).then_some(r.id),
        r.building_id,
        r.ticket_id,
        r.visit_id,
        r.answer.code(),
        time_to_sql(r.at)
    ])?;
    Ok(tx.last_insert_rowid())
}
