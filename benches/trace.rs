//! Downstream trace, burst isolation and complaint clusters on the city-scale network
//! (~255,000 pipe segments, 300,000 tickets).
//! Run: `cargo bench --bench trace`.

use criterion::{Criterion, criterion_group, criterion_main};
use heatdesk::demo::{self, DemoParams, Scale};
use heatdesk::domain::trace::{ClusterRules, Network, Topology, TraceFrom};
use heatdesk::domain::{Flow, Tier};

fn bench(c: &mut Criterion) {
    let now = demo::noon(chrono::NaiveDate::from_ymd_opt(2026, 11, 27).expect("valid date"));
    let snap = demo::generate(&DemoParams::new(Scale::City, now)).snapshot;
    let net = Network::build(&snap);
    // a primary feeder near the middle of the city (feeds many stations), and a service pipe
    let feeder = snap
        .segments
        .iter()
        .filter(|s| s.tier == Tier::Primary && s.flow == Flow::Supply && s.dn == 400)
        .nth(20)
        .expect("a feeder");
    let secondary = snap
        .segments
        .iter()
        .filter(|s| s.tier == Tier::Secondary && s.flow == Flow::Supply)
        .nth(50_000)
        .expect("a secondary pipe");
    let station = snap.stations[snap.stations.len() / 2].node;
    let fed = net
        .downstream(TraceFrom::Segment(feeder.id))
        .buildings
        .len();
    eprintln!("feeder {} feeds {fed} buildings", feeder.id);

    c.bench_function("downstream_trace_primary_feeder", |b| {
        b.iter(|| net.downstream(TraceFrom::Segment(feeder.id)))
    });
    c.bench_function("downstream_trace_station", |b| {
        b.iter(|| net.downstream(TraceFrom::Node(station)))
    });
    c.bench_function("isolation_secondary_burst", |b| {
        b.iter(|| net.isolate(secondary.id))
    });
    c.bench_function("isolation_primary_burst", |b| {
        b.iter(|| net.isolate(feeder.id))
    });
    // what the console does once per load, and on every data change
    c.bench_function("topology_build", |b| b.iter(|| Topology::build(&snap)));
    let rules = ClusterRules::recent(now, 48);
    eprintln!("{} clusters in the last 48 h", net.clusters(&rules).len());
    c.bench_function("complaint_clusters", |b| b.iter(|| net.clusters(&rules)));
    // as the console looks: among the open cold reports it keeps (the board's list)
    let cold: Vec<_> = snap
        .tickets
        .iter()
        .filter(|t| t.status.is_open())
        .map(|t| heatdesk::console::views::board::OpenTicket::of(&snap, t))
        .filter(|o| o.cold)
        .map(|o| o.id)
        .collect();
    eprintln!("{} open cold reports", cold.len());
    c.bench_function("complaint_clusters_among_open_cold_reports", |b| {
        b.iter(|| net.clusters_among(&rules, cold.iter().filter_map(|&id| snap.ticket(id))))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
