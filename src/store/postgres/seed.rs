//! Filling an empty database on a server with a whole data set (the demo city, another
//! store's contents) through COPY, in one transaction; and reading a whole database back.

use std::io::Write;

use postgres::{Client, GenericClient};

use super::load;
use crate::domain::*;
use crate::store::chain;
use crate::store::record::{Cell, Record, select};
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

    fn cell(&mut self, c: &Cell<'_>) -> &mut Self {
        match c {
            Cell::Id(id) => self.opt_num(Cell::own(*id)),
            Cell::Int(v) => self.num(v),
            Cell::OptInt(v) => self.opt_num(*v),
            Cell::Count(v) => self.num(v),
            Cell::Real(v) => self.real(*v),
            Cell::Text(v) => self.text(v),
            Cell::OptText(v) => self.opt_text(*v),
            Cell::Made(v) => self.text(v),
            Cell::OptMade(v) => self.opt_text(v.as_deref()),
            Cell::Flag(v) => self.flag(*v),
            Cell::OptFlag(v) => self.opt_flag(*v),
            Cell::Time(v) => self.time(*v),
            Cell::OptTime(v) => self.opt_time(*v),
            Cell::Bytes(v) => self.bytes(v),
            Cell::Borrowed(v) => self.bytes(v),
        }
    }
}

/// COPY a table's rows, each as its description binds it.
fn copy_rows<R: Record>(client: &mut impl GenericClient, rows: &[R]) -> Result<(), StoreError> {
    copy(client, R::statements().copy.as_str(), rows, |l, r| {
        r.cells().iter().for_each(|c| {
            l.cell(c);
        })
    })
}

/// COPY links of an audit chain in id order, each hashed onto the one before.
fn copy_chain<R: Record>(
    client: &mut impl GenericClient,
    rows: &[R],
    id: fn(&R) -> i64,
    link: fn(&mut chain::Links, &R) -> chain::Hash,
) -> Result<(), StoreError> {
    let mut rows: Vec<&R> = rows.iter().collect();
    rows.sort_by_key(|r| id(r));
    let mut links = chain::Links::after(chain::GENESIS);
    let linked: Vec<(&R, chain::Hash)> =
        rows.into_iter().map(|r| (r, link(&mut links, r))).collect();
    copy(
        client,
        R::statements().copy.as_str(),
        &linked,
        |l, (r, hash)| {
            r.cells().iter().for_each(|c| {
                l.cell(c);
            });
            l.bytes(hash);
        },
    )
}

/// COPY the rows `write` produces into `table (columns)`.
fn copy<T>(
    client: &mut impl GenericClient,
    statement: &str,
    rows: &[T],
    write: impl Fn(&mut Line, &T),
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut out = client.copy_in(statement)?;
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
    copy_rows(&mut tx, &s.departments)?;
    copy_rows(&mut tx, &s.compounds)?;
    copy_rows(&mut tx, &s.nodes)?;
    copy_rows(&mut tx, &s.sources)?;
    copy_rows(&mut tx, &s.stations)?;
    copy_rows(&mut tx, &s.buildings)?;
    copy_rows(&mut tx, &s.segments)?;
    copy_rows(&mut tx, &s.valves)?;
    copy_rows(&mut tx, &s.teams)?;
    copy_rows(&mut tx, &s.tickets)?;
    // the audit chains in id order, hashed as they are written
    copy_chain(&mut tx, &all.events, |e| e.id, chain::Links::ticket_event)?;
    copy_rows(&mut tx, &s.visits)?;
    copy_rows(&mut tx, &s.readings)?;
    copy_rows(&mut tx, &s.surveys)?;
    copy_chain(&mut tx, &all.audit, |a| a.id, chain::Links::audit_event)?;
    copy(
        &mut tx,
        "COPY external_ids (kind, external_id, id) FROM STDIN",
        &all.external_ids,
        |l, (kind, external, id)| {
            l.text(kind).text(external).num(id);
        },
    )?;
    copy_rows(&mut tx, &all.basemap)?;
    if !s.rules.is_empty() {
        tx.execute("DELETE FROM sla_rules", &[])?;
        copy(
            &mut tx,
            "COPY sla_rules (category, severity, respond_minutes, resolve_minutes) FROM STDIN",
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
    crate::store::commands::write_crews(
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
        .query(&select::<AuditEvent>("ORDER BY id"), &[])?
        .iter()
        .map(AuditEvent::read)
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
