//! The visit planner: priorities that explain themselves, and routes that 2-opt only shortens.

use crate::common;

use chrono::NaiveDate;
use heatdesk::domain::kpi::KpiRules;
use heatdesk::domain::planner::*;
use heatdesk::domain::*;
use proptest::prelude::*;

fn at(d: u32, h: u32) -> Timestamp {
    NaiveDate::from_ymd_opt(2026, 11, d)
        .unwrap()
        .and_hms_opt(h, 0, 0)
        .unwrap()
}

/// Two compounds of 200 households: 工银新村 in trouble, 长城小区 quiet and visited yesterday.
fn world() -> Snapshot {
    let mut s = Snapshot::default();
    for (id, name) in [(1, "工银新村"), (2, "长城小区")] {
        s.compounds.push(Compound {
            outline: vec![
                [112.5, 37.8],
                [112.51, 37.8],
                [112.51, 37.81],
                [112.5, 37.8],
            ],
            ..common::compound(id, name, 1, 200)
        });
        s.buildings.push(common::building(id, id));
    }
    // 工银新村: four overdue no-heat tickets, a complaint, unhappy answers, cold rooms
    for id in 1..=4 {
        s.tickets.push(common::ticket(
            id,
            1,
            Category::NoHeat,
            at(25, 8),
            at(26, 8),
        ));
    }
    s.tickets.push(common::ticket(
        5,
        1,
        Category::Complaint,
        at(25, 9),
        at(28, 9),
    ));
    // 长城小区: one open ticket, not yet due
    s.tickets.push(common::ticket(
        6,
        2,
        Category::AirLock,
        at(27, 8),
        at(27, 16),
    ));
    for (i, (b, answer)) in [
        (1, SurveyAnswer::Dissatisfied),
        (1, SurveyAnswer::Dissatisfied),
        (1, SurveyAnswer::Satisfied),
        (2, SurveyAnswer::Satisfied),
        (2, SurveyAnswer::Satisfied),
    ]
    .into_iter()
    .enumerate()
    {
        s.surveys.push(SurveyResponse {
            id: i as i64,
            building_id: b,
            ticket_id: None,
            visit_id: None,
            answer,
            at: at(24, 10),
        });
    }
    for (i, (b, c)) in [(1, 15.5), (1, 16.0), (2, 20.5)].into_iter().enumerate() {
        s.readings.push(TemperatureReading {
            id: i as i64,
            building_id: b,
            visit_id: None,
            room: "卧室".into(),
            celsius: c,
            method: TempMethod::Thermometer,
            taken_at: at(24, 11),
            taken_by: String::new(),
        });
    }
    s.visits.push(Visit {
        id: 1,
        compound_id: 2,
        at: at(26, 10),
        leaders: "王书记".into(),
        staff: String::new(),
        consultation_desk: true,
        households_entered: 5,
        notes: String::new(),
    });
    s.reindex();
    s
}

fn rank(weights: &PlanWeights) -> Vec<Priority> {
    priorities(
        &world(),
        at(27, 12),
        at(15, 0),
        weights,
        &KpiRules::default(),
    )
}

#[test]
fn a_troubled_compound_outranks_a_quiet_one_and_says_why() {
    let ranked = rank(&PlanWeights::default());
    assert_eq!(ranked[0].compound, 1, "工银新村 first");
    assert!(ranked[0].score > ranked[1].score);
    let top = &ranked[0];
    let of = |f: Factor| top.contributions.iter().find(|c| c.factor == f).unwrap();
    assert_eq!(of(Factor::Overdue).value, 4.0);
    assert!(
        (of(Factor::OpenTickets).value - 2.5).abs() < 1e-9,
        "5 open / 200 households × 100"
    );
    assert!((of(Factor::Dissatisfaction).value - 2.0 / 3.0).abs() < 1e-9);
    assert_eq!(of(Factor::ColdRooms).value, 1.0);
    assert_eq!(
        of(Factor::RepeatFaults).value,
        1.0,
        "one building, four no-heat reports"
    );
    assert_eq!(of(Factor::DaysSinceVisit).value, 30.0, "never visited");
    // the worst compound on a factor earns that factor's whole weight
    assert!((of(Factor::Overdue).points - 2.0).abs() < 1e-9);
    // largest contribution first
    assert!(
        top.contributions
            .windows(2)
            .all(|w| w[0].points >= w[1].points)
    );
    // visited yesterday: one day
    let quiet = &ranked[1];
    let days = quiet
        .contributions
        .iter()
        .find(|c| c.factor == Factor::DaysSinceVisit)
        .unwrap();
    assert!((days.value - 26.0 / 24.0).abs() < 1e-9, "{}", days.value);
}

#[test]
fn weights_change_the_order() {
    // only the days since the last visit count: never (30) against yesterday (26 h)
    let mut w = PlanWeights::default();
    for f in Factor::ALL {
        *w.get_mut(f) = 0.0;
    }
    *w.get_mut(Factor::DaysSinceVisit) = 1.0;
    let ranked = rank(&w);
    assert_eq!(
        ranked[0].compound, 1,
        "never visited beats visited yesterday"
    );
    assert!((ranked[0].score - 1.0).abs() < 1e-9);
    assert!((ranked[1].score - 26.0 / 24.0 / 30.0).abs() < 1e-9);
}

proptest! {
    #[test]
    fn contributions_add_up_to_the_score(weights in proptest::collection::vec(0.0f64..3.0, 7)) {
        let mut w = PlanWeights::default();
        for (f, x) in Factor::ALL.into_iter().zip(&weights) {
            *w.get_mut(f) = *x;
        }
        for p in rank(&w) {
            let sum: f64 = p.contributions.iter().map(|c| c.points).sum();
            prop_assert!((sum - p.score).abs() < 1e-9);
            prop_assert_eq!(p.contributions.len(), Factor::ALL.len());
        }
    }

    #[test]
    fn two_opt_never_makes_a_route_longer(
        stops in proptest::collection::vec((112.40f64..112.70, 37.75f64..37.95), 1..12),
        start in (112.40f64..112.70, 37.75f64..37.95),
    ) {
        let stops: Vec<LonLat> = stops.into_iter().map(|(a, b)| [a, b]).collect();
        let start = [start.0, start.1];
        let nn = nearest_neighbour(start, &stops);
        let before = route_km(start, &stops, &nn);
        let improved = two_opt(start, &stops, nn.clone());
        prop_assert!(route_km(start, &stops, &improved) <= before + 1e-9);
        // every stop once
        let mut seen = improved.clone();
        seen.sort_unstable();
        prop_assert_eq!(seen, (0..stops.len()).collect::<Vec<_>>());
        // the planned route is that order, its legs add up
        let route = plan_route(start, &stops);
        prop_assert!((route.total_km() - route_km(start, &stops, &route.order)).abs() < 1e-9);
        prop_assert!(route.total_km() <= before + 1e-9);
    }
}

#[test]
fn two_opt_untangles_a_crossed_route() {
    // four corners of a square visited crosswise: 2-opt finds the perimeter
    let stops = [[0.0, 0.0], [0.01, 0.01], [0.01, 0.0], [0.0, 0.01]];
    let crossed = vec![0, 1, 2, 3];
    let start = [-0.001, 0.0];
    let before = route_km(start, &stops, &crossed);
    let better = two_opt(start, &stops, crossed);
    assert!(route_km(start, &stops, &better) < before * 0.9);
}
