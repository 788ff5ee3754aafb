//! Tables for people from the command line: the outage notice and the daily report.

use std::path::Path;

use anyhow::Context as _;

use heatdesk::domain::trace::{Network, TraceFrom};
use heatdesk::words::Lang;

/// What is shut off (one of them).
pub struct ShutOff {
    pub segment: Option<i64>,
    pub valve: Option<i64>,
    pub station: Option<i64>,
    pub burst: bool,
}

/// 停热通知: who loses heat when a pipe, valve or station is shut off.
pub fn outage(
    db: heatdesk::store::Location,
    off: ShutOff,
    out: &Path,
    lang: Lang,
) -> anyhow::Result<()> {
    let snap = super::load(&db)?;
    let net = Network::build(&snap);
    let buildings = match (off.segment, off.valve, off.station) {
        (Some(s), _, _) if off.burst => net.isolate(s).buildings_without_heat,
        (Some(s), _, _) => net.downstream(TraceFrom::Segment(s)).buildings,
        (_, Some(v), _) => net.downstream(TraceFrom::Valve(v)).buildings,
        (_, _, Some(id)) => {
            let st = snap
                .stations
                .iter()
                .find(|s| s.id == id)
                .with_context(|| format!("{db}: no station {id}"))?;
            net.downstream(TraceFrom::Node(st.node)).buildings
        }
        _ => anyhow::bail!("say what is shut off: --segment, --valve or --station"),
    };
    anyhow::ensure!(
        !buildings.is_empty(),
        "nothing downstream: check the id (or it feeds no building)"
    );
    let table = heatdesk::export::outage::outage_notice(&snap, &buildings, lang);
    heatdesk::export::write(out, &[table])?;
    let s = net.summary(&buildings);
    println!(
        "wrote {}: {} compounds, {} buildings, {} households",
        out.display(),
        s.compounds,
        s.buildings,
        s.households
    );
    Ok(())
}

/// The day's report: KPIs per department, overdue tickets, the day's visits.
pub fn daily(
    db: heatdesk::store::Location,
    date: Option<chrono::NaiveDate>,
    out: &Path,
    lang: Lang,
) -> anyhow::Result<()> {
    let snap = super::load(&db)?;
    let wall = chrono::Local::now().naive_local();
    let day = date.unwrap_or(wall.date());
    // a past day is reported as it stood at its end
    let end = day
        .succ_opt()
        .unwrap_or(day)
        .and_time(chrono::NaiveTime::MIN);
    let now = wall.min(end);
    let facts = heatdesk::domain::kpi::KpiFacts::of(&snap);
    let tables = heatdesk::export::report::daily_report(&snap, &facts, day, now, lang);
    heatdesk::export::write(out, &tables)?;
    println!(
        "wrote {}: {} departments, {} overdue tickets, {} visits on {day}",
        out.display(),
        tables[0].rows.len() - 1,
        tables[1].rows.len(),
        tables[2].rows.len()
    );
    Ok(())
}
