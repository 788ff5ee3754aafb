//! Tracing on a small hand-drawn network:
//!
//! ```text
//! source(1) ─s1[V1]─ junction(2) ─s2[V2 seized]─ station A(3) ─s3─ junction(4) ─s4[V4]─ B1(10)
//!                                                                            ├─s5─ B2(11)
//!                                                                            └─s6─ B3(12)
//!                              └─s7[V3]─ station B(5) ─s8─ B4(13), ─s9─ B5(14), ─s10─ B6(15)
//! ```
//! Every supply segment n has a return twin 100 + n with the same ends.

use crate::common;

use chrono::NaiveDate;
use heatdesk::domain::trace::{ClusterRules, Network, TraceFrom};
use heatdesk::domain::*;

fn at(d: u32) -> Timestamp {
    NaiveDate::from_ymd_opt(2026, 11, d)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap()
}

fn network() -> Snapshot {
    let node = |id, kind| NetworkNode {
        id,
        kind,
        position: [112.5 + id as f64 * 0.001, 37.8],
    };
    let mut s = Snapshot::default();
    s.nodes = vec![
        node(1, NodeKind::Source),
        node(2, NodeKind::Junction),
        node(3, NodeKind::Station),
        node(4, NodeKind::Junction),
        node(5, NodeKind::Station),
    ];
    for e in 10..=15 {
        s.nodes.push(node(e, NodeKind::BuildingEntry));
    }
    let edges = [
        (1, 1, 2),
        (2, 2, 3),
        (3, 3, 4),
        (4, 4, 10),
        (5, 4, 11),
        (6, 4, 12),
        (7, 2, 5),
        (8, 5, 13),
        (9, 5, 14),
        (10, 5, 15),
    ];
    for (id, from, to) in edges {
        for (flow, offset) in [(Flow::Supply, 0), (Flow::Return, 100)] {
            s.segments.push(PipeSegment {
                id: id + offset,
                from,
                to,
                tier: if id <= 2 || id == 7 {
                    Tier::Primary
                } else {
                    Tier::Secondary
                },
                flow,
                dn: 100,
                laid_year: 2000,
                path: vec![[112.5, 37.8], [112.51, 37.8]],
            });
        }
    }
    let valve = |id, segment, operable| Valve {
        id,
        segment,
        position: [112.5, 37.8],
        operable,
    };
    s.valves = vec![
        valve(1, 1, true),
        valve(2, 2, false),
        valve(3, 7, true),
        valve(4, 4, true),
    ];
    s.stations = vec![
        Station {
            id: 1,
            name: "A站".into(),
            department_id: 1,
            node: 3,
            position: [112.5, 37.8],
        },
        Station {
            id: 2,
            name: "B站".into(),
            department_id: 1,
            node: 5,
            position: [112.5, 37.8],
        },
    ];
    s.compounds = vec![
        Compound {
            id: 1,
            name: "工银新村".into(),
            address: String::new(),
            department_id: 1,
            households: 60,
            outline: vec![],
            extra: Default::default(),
        },
        Compound {
            id: 2,
            name: "长城小区".into(),
            address: String::new(),
            department_id: 1,
            households: 60,
            outline: vec![],
            extra: Default::default(),
        },
    ];
    for (i, entry) in (10..=15).enumerate() {
        s.buildings.push(Building {
            id: i as i64 + 1,
            compound_id: if i < 3 { 1 } else { 2 },
            number: format!("{}号楼", i + 1),
            units: 2,
            floors: 5,
            households: 20,
            station_id: if i < 3 { 1 } else { 2 },
            entry_node: entry,
            footprint: vec![],
            extra: Default::default(),
        });
    }
    s.reindex();
    s
}

fn complaint(id: i64, building: i64, category: Category, day: u32) -> Ticket {
    common::ticket(id, building, category, at(day), at(day + 1))
}

fn rules() -> ClusterRules {
    ClusterRules {
        min_buildings: 3,
        min_share: 0.2,
        since: at(20),
    }
}

#[test]
fn downstream_of_a_segment_a_valve_and_a_node() {
    let s = network();
    let net = Network::build(&s);
    let a = net.downstream(TraceFrom::Segment(2));
    assert_eq!(a.buildings, vec![1, 2, 3]);
    let mut segs = a.segments.clone();
    segs.sort();
    assert_eq!(
        segs,
        vec![2, 3, 4, 5, 6, 102, 103, 104, 105, 106],
        "supply and return together"
    );
    assert_eq!(
        net.downstream(TraceFrom::Segment(102)),
        a,
        "a return pipe traces like its supply twin"
    );
    assert_eq!(net.downstream(TraceFrom::Valve(3)).buildings, vec![4, 5, 6]);
    assert_eq!(
        net.downstream(TraceFrom::Node(2)).buildings,
        vec![1, 2, 3, 4, 5, 6]
    );
    assert_eq!(net.downstream(TraceFrom::Segment(5)).buildings, vec![2]);

    let summary = net.summary(&net.downstream(TraceFrom::Segment(2)).buildings);
    assert_eq!(
        (summary.compounds, summary.buildings, summary.households),
        (1, 3, 60)
    );
}

#[test]
fn isolating_a_burst_closes_the_nearest_operable_valves_and_skips_a_seized_one() {
    let s = network();
    let net = Network::build(&s);
    // burst on s3: upstream s2's valve is seized, so V1 on s1; downstream V4 on s4
    let iso = net.isolate(3);
    assert_eq!(iso.valves, vec![1, 4]);
    assert_eq!(iso.skipped, vec![2]);
    assert_eq!(
        iso.buildings_without_heat,
        vec![1, 2, 3, 4, 5, 6],
        "V1 cuts the whole tree"
    );
    // burst on s8: V3 on s7 is enough, only station B's buildings lose heat
    let iso = net.isolate(8);
    assert_eq!(iso.valves, vec![3]);
    assert!(iso.skipped.is_empty());
    assert_eq!(iso.buildings_without_heat, vec![4, 5, 6]);
}

#[test]
fn a_cluster_is_found_at_the_branch_point_not_at_the_root() {
    let mut s = network();
    s.tickets = vec![
        complaint(1, 1, Category::LowTemperature, 21),
        complaint(2, 2, Category::NoHeat, 22),
        complaint(3, 3, Category::LowTemperature, 22),
        // a household fault and an old complaint do not count
        complaint(4, 4, Category::AirLock, 22),
        complaint(5, 5, Category::LowTemperature, 10),
    ];
    s.reindex();
    let net = Network::build(&s);
    let clusters = net.clusters(&rules());
    assert_eq!(clusters.len(), 1, "{clusters:?}");
    let c = &clusters[0];
    assert_eq!(
        c.node, 4,
        "junction 4 feeds exactly the three complaining buildings"
    );
    assert_eq!(c.feeding_segment, Some(3));
    assert_eq!(c.buildings, vec![1, 2, 3]);
    assert_eq!(c.tickets, vec![1, 2, 3]);
    assert_eq!(c.fed_buildings, 3);

    // two complaints are not enough
    s.tickets.truncate(2);
    s.reindex();
    assert!(Network::build(&s).clusters(&rules()).is_empty());
}

#[test]
fn complaints_under_different_branches_make_no_cluster() {
    let mut s = network();
    // two under station A, one under station B: their only common point is the primary junction
    s.tickets = vec![
        complaint(1, 1, Category::LowTemperature, 21),
        complaint(2, 2, Category::LowTemperature, 21),
        complaint(3, 5, Category::NoHeat, 21),
    ];
    s.reindex();
    assert!(Network::build(&s).clusters(&rules()).is_empty());
}
