//! A full KPI recompute and the visit planner's ranking on the city-scale data set
//! (3,000 compounds, 300,000 tickets). Run: `cargo bench --bench kpi`.

use criterion::{Criterion, criterion_group, criterion_main};
use heatdesk::demo::{self, DemoParams, Scale};
use heatdesk::domain::kpi::{KpiFacts, KpiRules, breakdown, daily};
use heatdesk::domain::planner::{PlanWeights, factors, factors_from};

fn bench(c: &mut Criterion) {
    let now = demo::noon(chrono::NaiveDate::from_ymd_opt(2026, 11, 27).expect("valid date"));
    let snap = demo::generate(&DemoParams::new(Scale::City, now)).snapshot;
    eprintln!(
        "{} tickets, {} answers, {} readings",
        snap.tickets.len(),
        snap.surveys.len(),
        snap.readings.len()
    );
    let rules = KpiRules::default();
    let start = heatdesk::domain::season::season_start(now.date());
    let from = start.and_hms_opt(0, 0, 0).expect("midnight");
    let to = now
        .date()
        .succ_opt()
        .expect("a next day")
        .and_hms_opt(0, 0, 0)
        .expect("midnight");
    // city, 5 departments and 3,000 compounds over the season
    c.bench_function("kpi_breakdown_season", |b| {
        b.iter(|| breakdown(&snap, from, to, now, &rules))
    });
    c.bench_function("kpi_daily_trend_season", |b| {
        b.iter(|| daily(&snap, start, now.date(), now, &rules))
    });
    // what the console does after a command: the kept facts, not the season's tickets
    let facts = KpiFacts::of(&snap);
    c.bench_function("kpi_facts_breakdown_season", |b| {
        b.iter(|| facts.breakdown(&snap, (from, to), now, &rules))
    });
    c.bench_function("kpi_facts_daily_trend_season", |b| {
        b.iter(|| facts.daily(&snap, (start, now.date()), now, &rules))
    });
    c.bench_function("kpi_facts_kept_up_after_a_command", |b| {
        let mut kept = facts.clone();
        let touched = [snap.tickets[snap.tickets.len() / 2].id];
        b.iter(|| kept.update(&snap, &touched))
    });
    c.bench_function("planner_factors_from_facts", |b| {
        b.iter(|| factors_from(&snap, &facts, now, from, &rules))
    });
    let weights = PlanWeights::default();
    // once per data change: every compound's figures; on a slider move: the scores only
    c.bench_function("planner_factors_all_compounds", |b| {
        b.iter(|| factors(&snap, now, from, &rules))
    });
    let table = factors(&snap, now, from, &rules);
    c.bench_function("planner_rescore_all_compounds", |b| {
        b.iter(|| table.rank(&weights))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
