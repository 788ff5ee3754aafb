//! The demo city: complete, connected, consistent, and the same every time.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use heatdesk::demo::{self, DemoParams, SEED_COMPOUNDS, Scale};
use heatdesk::domain::network::PipeGraph;
use heatdesk::domain::*;
use heatdesk::store::{DispatchStore, SqliteStore};

fn params(scale: Scale) -> DemoParams {
    DemoParams::new(
        scale,
        demo::noon(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()),
    )
}

#[test]
fn the_demo_city_is_complete_and_connected() {
    let city = demo::generate(&params(Scale::Demo));
    let s = &city.snapshot;
    assert!(
        (55..=65).contains(&s.compounds.len()),
        "{} compounds",
        s.compounds.len()
    );
    assert!(
        (500..=750).contains(&s.buildings.len()),
        "{} buildings",
        s.buildings.len()
    );
    assert!(
        (30..=50).contains(&s.stations.len()),
        "{} stations",
        s.stations.len()
    );
    assert!((1..=2).contains(&s.sources.len()));
    assert!((4..=6).contains(&s.departments.len()));
    assert!((15..=25).contains(&s.teams.len()));
    for name in SEED_COMPOUNDS {
        assert!(
            s.compounds.iter().any(|c| c.name == name),
            "{name} is missing"
        );
    }
    let names: HashSet<&str> = s.compounds.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names.len(), s.compounds.len(), "compound names are unique");

    // every building is reached from a heat source through supply pipes
    let graph = PipeGraph::build(&s.nodes, &s.segments);
    let unfed = graph.unfed_buildings(s.buildings.iter().map(|b| (b.id, b.entry_node)));
    assert!(
        unfed.is_empty(),
        "{} buildings get no heat: {:?}",
        unfed.len(),
        &unfed[..unfed.len().min(5)]
    );

    // supply and return come in pairs with the same topology
    let supply = s.segments.iter().filter(|p| p.flow == Flow::Supply).count();
    assert_eq!(supply * 2, s.segments.len());
    assert!(s.segments.iter().any(|p| p.tier == Tier::Primary));

    // not only rectangles: concave L- and U-shaped footprints too
    let concave = s.buildings.iter().filter(|b| b.footprint.len() > 6).count();
    assert!(
        concave >= s.buildings.len() / 10,
        "only {concave} non-rectangular footprints"
    );

    // every ticket points at an existing building; every channel and every status occurs
    let buildings: HashSet<i64> = s.buildings.iter().map(|b| b.id).collect();
    assert!(s.tickets.iter().all(|t| buildings.contains(&t.building_id)));
    // (network tickets are raised by the dispatch desk itself, from a cluster it sees)
    for &c in Channel::ALL.iter().filter(|c| **c != Channel::NetworkAlert) {
        assert!(
            s.tickets.iter().any(|t| t.channel == c),
            "no ticket from {c:?}"
        );
    }
    for &st in TicketStatus::ALL {
        assert!(
            s.tickets.iter().any(|t| t.status == st),
            "no ticket in status {st:?}"
        );
    }
    // the season runs from Nov 15 to today
    let first = s.tickets.iter().map(|t| t.created_at).min().unwrap();
    assert_eq!(first.date(), NaiveDate::from_ymd_opt(2026, 11, 15).unwrap());
    assert!(
        s.tickets
            .iter()
            .all(|t| t.created_at <= params(Scale::Demo).now)
    );
    assert!(!s.visits.is_empty() && !s.readings.is_empty() && !s.surveys.is_empty());

    // the audit trail agrees with each ticket's status and version
    let mut last: HashMap<i64, &TicketEvent> = HashMap::new();
    let mut count: HashMap<i64, i64> = HashMap::new();
    for e in &city.events {
        last.insert(e.ticket_id, e);
        *count.entry(e.ticket_id).or_default() += 1;
    }
    for t in &s.tickets {
        assert_eq!(last[&t.id].to_status, t.status, "ticket #{}", t.id);
        assert_eq!(
            count[&t.id], t.version,
            "one event per version, ticket #{}",
            t.id
        );
    }
}

#[test]
fn compounds_with_many_faults_are_less_satisfied_and_colder() {
    let city = demo::generate(&params(Scale::Demo));
    let s = &city.snapshot;
    let compound_of: HashMap<i64, i64> =
        s.buildings.iter().map(|b| (b.id, b.compound_id)).collect();
    let mut faults: HashMap<i64, f64> = HashMap::new();
    for t in s
        .tickets
        .iter()
        .filter(|t| t.category.is_network_fault() || t.category == Category::Complaint)
    {
        *faults.entry(compound_of[&t.building_id]).or_default() += 1.0;
    }
    let mut ranked: Vec<&Compound> = s.compounds.iter().collect();
    let rate =
        |c: &Compound| faults.get(&c.id).copied().unwrap_or(0.0) / c.households.max(1) as f64;
    ranked.sort_by(|a, b| rate(b).total_cmp(&rate(a)));
    let quarter = ranked.len() / 4;
    let group = |cs: &[&Compound]| -> (f64, f64) {
        let ids: HashSet<i64> = cs.iter().map(|c| c.id).collect();
        let answers: Vec<&SurveyResponse> = s
            .surveys
            .iter()
            .filter(|r| ids.contains(&compound_of[&r.building_id]))
            .collect();
        let satisfied = answers
            .iter()
            .filter(|r| r.answer != SurveyAnswer::Dissatisfied)
            .count() as f64;
        let temps: Vec<f64> = s
            .readings
            .iter()
            .filter(|r| ids.contains(&compound_of[&r.building_id]))
            .map(|r| r.celsius)
            .collect();
        (
            satisfied / answers.len().max(1) as f64,
            temps.iter().sum::<f64>() / temps.len().max(1) as f64,
        )
    };
    let (worst_sat, worst_temp) = group(&ranked[..quarter]);
    let (best_sat, best_temp) = group(&ranked[ranked.len() - quarter..]);
    assert!(
        worst_sat + 0.05 < best_sat,
        "satisfaction: troubled {worst_sat:.3} vs quiet {best_sat:.3}"
    );
    assert!(
        worst_temp + 0.5 < best_temp,
        "temperature: troubled {worst_temp:.1} vs quiet {best_temp:.1}"
    );
}

/// Every row of every table, in a fixed order, as text.
fn dump(path: &std::path::Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut out = Vec::new();
    for table in tables {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY 1, 2"))
            .unwrap();
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                let cells: Vec<String> = (0..n)
                    .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                    .collect();
                Ok(format!("{table}: {}", cells.join("|")))
            })
            .unwrap();
        out.extend(rows.map(Result::unwrap));
    }
    out
}

#[test]
fn the_same_seed_writes_the_same_database() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.db");
    let b = dir.path().join("b.db");
    demo::write_new(&a, &params(Scale::Demo)).unwrap();
    demo::write_new(&b, &params(Scale::Demo)).unwrap();
    let (da, db) = (dump(&a), dump(&b));
    assert!(da.len() > 10_000, "{} rows", da.len());
    assert!(da == db, "two runs with one seed differ");
    let other = dir.path().join("c.db");
    let mut p = params(Scale::Demo);
    p.seed += 1;
    demo::write_new(&other, &p).unwrap();
    assert!(dump(&other) != da, "another seed makes another city");

    // the written file opens as a HeatDesk database with everything in it
    let store = SqliteStore::open(&a).unwrap();
    let snap = store.load().unwrap();
    assert_eq!(
        snap.tickets.len(),
        demo::generate(&params(Scale::Demo)).snapshot.tickets.len()
    );
    assert!(
        demo::write_new(&a, &params(Scale::Demo)).is_err(),
        "never overwrites a file"
    );
}

#[test]
fn the_city_scale_reaches_the_design_size() {
    let city = demo::generate(&params(Scale::City));
    let s = &city.snapshot;
    assert!(
        s.buildings.len() >= 50_000,
        "{} buildings",
        s.buildings.len()
    );
    assert!(
        s.segments.len() >= 200_000,
        "{} pipe segments",
        s.segments.len()
    );
    assert!(
        s.compounds.len() >= 3_000,
        "{} compounds",
        s.compounds.len()
    );
    assert!(s.tickets.len() >= 290_000, "{} tickets", s.tickets.len());
    assert!(
        (1_300..=1_700).contains(&s.stations.len()),
        "{} stations",
        s.stations.len()
    );
    assert!(
        (180..=220).contains(&s.teams.len()),
        "{} teams",
        s.teams.len()
    );
    let graph = PipeGraph::build(&s.nodes, &s.segments);
    let unfed = graph.unfed_buildings(s.buildings.iter().map(|b| (b.id, b.entry_node)));
    assert!(unfed.is_empty(), "{} buildings get no heat", unfed.len());
}

#[test]
fn the_demo_city_has_a_network_fault_for_the_dispatcher_to_find() {
    let p = params(Scale::Demo);
    let city = demo::generate(&p);
    let snap = &city.snapshot;
    let clusters = heatdesk::domain::trace::Network::build(snap)
        .clusters(&heatdesk::domain::trace::ClusterRules::recent(p.now, 48));
    let changcheng = snap
        .compounds
        .iter()
        .find(|c| c.name == SEED_COMPOUNDS[2])
        .unwrap();
    let planted = clusters
        .iter()
        .find(|c| {
            c.buildings
                .iter()
                .all(|&b| snap.building(b).unwrap().compound_id == changcheng.id)
        })
        .expect("a cluster in 长城小区");
    let in_compound = snap
        .buildings
        .iter()
        .filter(|b| b.compound_id == changcheng.id)
        .count();
    // one alert for the compound's branch (all but one building), not one per row
    assert_eq!(planted.buildings.len(), in_compound - 1);
    assert_eq!(planted.fed_buildings, in_compound);
    assert!(planted.tickets.len() >= planted.buildings.len());
    assert!(planted.feeding_segment.is_some());
}
