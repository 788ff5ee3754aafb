//! Checking a copy of a whole database against its original (`heatdesk migrate`): every
//! table's row count, every row, and the season's KPIs as the leaders' view computes them.

use super::{DispatchStore, Everything, StoreError};
use crate::domain::kpi::{self, Kpis};
use crate::domain::{Snapshot, Timestamp};

/// What was compared and found equal.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// Rows per table, in both.
    pub counts: Vec<(&'static str, usize)>,
    /// The season's city-wide figures, in both.
    pub kpis: Kpis,
    /// As of the latest thing either holds.
    pub as_of: Option<Timestamp>,
}

impl Check {
    /// One line: the rows compared and the figures.
    pub fn summary(&self) -> String {
        let rows: usize = self.counts.iter().map(|(_, n)| n).sum();
        let tickets = self
            .counts
            .iter()
            .find(|(t, _)| *t == "tickets")
            .map_or(0, |(_, n)| *n);
        let pct = |r: kpi::Ratio| {
            r.value()
                .map_or("—".into(), |v| format!("{:.1}%", v * 100.0))
        };
        format!(
            "{rows} rows in {} tables equal ({tickets} tickets); the season's satisfaction {}, \
             timely {}, temperature {} equal",
            self.counts.len(),
            pct(self.kpis.satisfaction),
            pct(self.kpis.timely),
            pct(self.kpis.temperature),
        )
    }
}

/// Compare one table's rows in order: their count, or where they first differ.
fn table<T: PartialEq + std::fmt::Debug>(
    name: &'static str,
    a: &[T],
    b: &[T],
    counts: &mut Vec<(&'static str, usize)>,
) -> Result<(), StoreError> {
    if a.len() != b.len() {
        return Err(StoreError::Invalid(format!(
            "the copy differs: {name} has {} rows in the original, {} in the copy",
            a.len(),
            b.len()
        )));
    }
    if let Some(i) = a.iter().zip(b).position(|(x, y)| x != y) {
        return Err(StoreError::Invalid(format!(
            "the copy differs: {name} row {} is\n  {:?}\nin the original but\n  {:?}\nin the copy",
            i + 1,
            a[i],
            b[i]
        )));
    }
    counts.push((name, a.len()));
    Ok(())
}

/// Every table compared (the settings as one row).
fn tables(a: &Everything, b: &Everything) -> Result<Vec<(&'static str, usize)>, StoreError> {
    let mut n = Vec::new();
    let (x, y) = (&a.city, &b.city);
    table("departments", &x.departments, &y.departments, &mut n)?;
    table("compounds", &x.compounds, &y.compounds, &mut n)?;
    table("buildings", &x.buildings, &y.buildings, &mut n)?;
    table("heat_sources", &x.sources, &y.sources, &mut n)?;
    table("stations", &x.stations, &y.stations, &mut n)?;
    table("network_nodes", &x.nodes, &y.nodes, &mut n)?;
    table("pipe_segments", &x.segments, &y.segments, &mut n)?;
    table("valves", &x.valves, &y.valves, &mut n)?;
    table("teams", &x.teams, &y.teams, &mut n)?;
    table("tickets", &x.tickets, &y.tickets, &mut n)?;
    table("ticket_events", &a.events, &b.events, &mut n)?;
    table("visits", &x.visits, &y.visits, &mut n)?;
    table("temperature_readings", &x.readings, &y.readings, &mut n)?;
    table("survey_responses", &x.surveys, &y.surveys, &mut n)?;
    table("sla_rules", &x.rules, &y.rules, &mut n)?;
    table("settings", &[x.kpi_rules], &[y.kpi_rules], &mut n)?;
    table("audit_events", &a.audit, &b.audit, &mut n)?;
    table("external_ids", &a.external_ids, &b.external_ids, &mut n)?;
    table("basemap_features", &a.basemap, &b.basemap, &mut n)?;
    table("accounts", &a.field.accounts, &b.field.accounts, &mut n)?;
    table("team_positions", &x.positions, &y.positions, &mut n)?;
    table("outbox", &a.field.outbox, &b.field.outbox, &mut n)?;
    table("ticket_photos", &a.field.photos, &b.field.photos, &mut n)?;
    table(
        "client_commands",
        &a.field.client_commands,
        &b.field.client_commands,
        &mut n,
    )?;
    table(
        "message_templates",
        &[&a.field.templates],
        &[&b.field.templates],
        &mut n,
    )?;
    Ok(n)
}

/// The latest moment a data set records: the season's KPIs are computed as of then.
fn latest(s: &Snapshot) -> Option<Timestamp> {
    let tickets = s.tickets.iter().map(|t| t.updated_at);
    let visits = s.visits.iter().map(|v| v.at);
    tickets.chain(visits).max()
}

/// The season's city-wide figures as of `now`.
fn season(s: &Snapshot, now: Timestamp) -> Kpis {
    let from = crate::domain::season::season_start(now.date()).and_time(chrono::NaiveTime::MIN);
    kpi::city_kpis(s, from, now, now, &s.kpi_rules)
}

/// Compare two data sets: equal, or an error naming the first table and row that differ.
pub fn compare_data(a: &Everything, b: &Everything) -> Result<Check, StoreError> {
    let counts = tables(a, b)?;
    let as_of = latest(&a.city).max(latest(&b.city));
    let kpis = as_of.map(|now| (season(&a.city, now), season(&b.city, now)));
    if let Some((ka, kb)) = kpis
        && ka != kb
    {
        return Err(StoreError::Invalid(format!(
            "the copy differs: the season's KPIs are {ka:?} in the original, {kb:?} in the copy"
        )));
    }
    Ok(Check {
        counts,
        kpis: kpis.map(|(k, _)| k).unwrap_or_default(),
        as_of,
    })
}

/// Compare what two stores hold.
pub fn compare(a: &dyn DispatchStore, b: &dyn DispatchStore) -> Result<Check, StoreError> {
    compare_data(&a.everything()?, &b.everything()?)
}
