//! KPIs on a hand-built data set, every figure computed by hand in the comments:
//! three compounds in two departments, one building each.
//!
//! | compound (dept) | households | complaints | due / timely | answers (S, S, BS / D / S) | readings |
//! |-----------------|-----------:|-----------:|-------------:|----------------------------|----------|
//! | C1 工银新村 (1) | 1500 | 2 | 2 / 2 | S S BS | 17.5 18.0 |
//! | C2 长城小区 (1) |  500 | 1 | 1 / 0 | D      | 19.2      |
//! | C3 沁和园 (2)   | 1000 | 0 (1 before) | 1 / 0 (1 not yet due) | S (1 after) | 21.0 16.0 |

use crate::common;

use chrono::NaiveDate;
use heatdesk::domain::kpi::*;
use heatdesk::domain::*;

fn at(d: u32, h: u32) -> Timestamp {
    NaiveDate::from_ymd_opt(2026, 11, d)
        .unwrap()
        .and_hms_opt(h, 0, 0)
        .unwrap()
}

fn world() -> Snapshot {
    let mut s = Snapshot::default();
    s.departments = vec![
        Department {
            id: 1,
            name: "城西".into(),
        },
        Department {
            id: 2,
            name: "城东".into(),
        },
    ];
    for (id, name, dept, households) in [
        (1, "工银新村", 1, 1500),
        (2, "长城小区", 1, 500),
        (3, "沁和园", 2, 1000),
    ] {
        s.compounds
            .push(common::compound(id, name, dept, households));
        s.buildings.push(common::building(id, id));
    }
    let complaint = |id, building, day| {
        common::ticket(id, building, Category::Complaint, at(day, 9), at(30, 9))
    };
    s.tickets = vec![
        complaint(1, 1, 20),
        complaint(2, 1, 21),
        complaint(3, 2, 22),
        complaint(4, 3, 10), // before the period
    ];
    let due = |id, building, deadline: Timestamp, fixed: Option<Timestamp>| Ticket {
        fixed_at: fixed,
        status: if fixed.is_some() {
            TicketStatus::Fixed
        } else {
            TicketStatus::Accepted
        },
        ..common::ticket(id, building, Category::AirLock, at(19, 8), deadline)
    };
    s.tickets.extend([
        due(10, 1, at(21, 8), Some(at(20, 10))), // in time
        due(11, 1, at(22, 8), Some(at(21, 7))),  // in time
        due(12, 2, at(21, 8), Some(at(23, 9))),  // late
        due(13, 3, at(22, 8), None),             // overdue, still open
        due(14, 3, at(24, 18), None),            // due after "now": not counted yet
    ]);
    use SurveyAnswer::*;
    for (i, (building, answer, day)) in [
        (1, Satisfied, 21),
        (1, Satisfied, 21),
        (1, BasicallySatisfied, 21),
        (2, Dissatisfied, 21),
        (3, Satisfied, 21),
        (3, Dissatisfied, 26), // after the period
    ]
    .into_iter()
    .enumerate()
    {
        s.surveys.push(SurveyResponse {
            id: i as i64 + 1,
            building_id: building,
            ticket_id: None,
            visit_id: None,
            answer,
            at: at(day, 10),
        });
    }
    for (i, (building, celsius)) in [(1, 17.5), (1, 18.0), (2, 19.2), (3, 21.0), (3, 16.0)]
        .into_iter()
        .enumerate()
    {
        s.readings.push(TemperatureReading {
            id: i as i64 + 1,
            building_id: building,
            visit_id: None,
            room: "卧室".into(),
            celsius,
            method: TempMethod::Thermometer,
            taken_at: at(21, 11),
            taken_by: "王书记".into(),
        });
    }
    s.reindex();
    s
}

fn parts(r: Ratio) -> (u64, u64) {
    (r.numerator, r.denominator)
}

const NOW: (u32, u32) = (24, 12);

fn period(rules: &KpiRules) -> KpiBreakdown {
    breakdown(&world(), at(20, 0), at(25, 0), at(NOW.0, NOW.1), rules)
}

#[test]
fn city_department_and_compound_figures_match_the_hand_count() {
    let b = period(&KpiRules::default());
    // city: 3 complaints / 3000 households; 4 of 5 answers (S S BS S); 2 of 4 due in time;
    // 3 of 5 readings at ≥ 18 °C (18.0, 19.2, 21.0)
    assert_eq!(parts(b.city.complaint_rate), (3, 3000));
    assert_eq!(parts(b.city.satisfaction), (4, 5));
    assert_eq!(parts(b.city.timely), (2, 4));
    assert_eq!(parts(b.city.temperature), (3, 5));
    assert_eq!(
        b.city.value(Figure::Complaints, &KpiRules::default()),
        Some(1.0)
    );

    let dept = |id| b.departments.iter().find(|d| d.0 == id).unwrap().1;
    // 城西 = C1 + C2
    assert_eq!(parts(dept(1).complaint_rate), (3, 2000));
    assert_eq!(parts(dept(1).satisfaction), (3, 4));
    assert_eq!(parts(dept(1).timely), (2, 3));
    assert_eq!(parts(dept(1).temperature), (2, 3));
    // 城东 = C3
    assert_eq!(parts(dept(2).complaint_rate), (0, 1000));
    assert_eq!(parts(dept(2).satisfaction), (1, 1));
    assert_eq!(parts(dept(2).timely), (0, 1));
    assert_eq!(parts(dept(2).temperature), (1, 2));

    let compound = |id| b.compounds.iter().find(|c| c.0 == id).unwrap().1;
    assert_eq!(parts(compound(1).complaint_rate), (2, 1500));
    assert_eq!(parts(compound(1).timely), (2, 2));
    assert_eq!(parts(compound(1).temperature), (1, 2));
    assert_eq!(parts(compound(2).satisfaction), (0, 1));
    assert_eq!(parts(compound(2).timely), (0, 1));
    assert_eq!(parts(compound(3).complaint_rate), (0, 1000));
}

#[test]
fn the_definitions_are_settings() {
    // 20 °C standard, "basically satisfied" not counted, complaints per 10,000 households
    let strict = KpiRules {
        temperature_standard: 20.0,
        basic_counts_as_satisfied: false,
        complaints_per_households: 10_000,
        ..KpiRules::default()
    };
    let b = period(&strict);
    assert_eq!(parts(b.city.satisfaction), (3, 5));
    assert_eq!(parts(b.city.temperature), (1, 5), "only 21.0 °C");
    let per_10k = b.city.value(Figure::Complaints, &strict).unwrap();
    assert!((per_10k - 10.0).abs() < 1e-9, "3 / 3000 × 10,000 = 10");
}

#[test]
fn thresholds_colour_each_figure() {
    let rules = KpiRules::default();
    let b = period(&rules);
    let compound = |id| b.compounds.iter().find(|c| c.0 == id).unwrap().1;
    // complaints ‰: green ≤ 1, amber ≤ 3
    assert_eq!(b.city.rag(Figure::Complaints, &rules), Rag::Green, "1.0 ‰");
    assert_eq!(
        compound(2).rag(Figure::Complaints, &rules),
        Rag::Amber,
        "2.0 ‰"
    );
    // satisfaction: green ≥ 95 %, amber ≥ 90 %
    assert_eq!(b.city.rag(Figure::Satisfaction, &rules), Rag::Red, "80 %");
    assert_eq!(
        compound(1).rag(Figure::Satisfaction, &rules),
        Rag::Green,
        "100 %"
    );
    assert_eq!(compound(1).rag(Figure::Timely, &rules), Rag::Green);
    assert_eq!(b.city.rag(Figure::Timely, &rules), Rag::Red, "50 %");
    // no readings, no colour
    let quiet = breakdown(&world(), at(1, 0), at(2, 0), at(NOW.0, NOW.1), &rules);
    assert_eq!(quiet.city.rag(Figure::Temperature, &rules), Rag::NoData);

    let mut loose = rules;
    loose.thresholds.satisfaction = [0.8, 0.7];
    assert_eq!(b.city.rag(Figure::Satisfaction, &loose), Rag::Green);
}

#[test]
fn the_daily_trend_puts_each_count_on_its_day() {
    let rules = KpiRules::default();
    let days = daily(
        &world(),
        NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
        NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
        at(NOW.0, NOW.1),
        &rules,
    );
    assert_eq!(days.len(), 5);
    let complaints: Vec<u64> = days.iter().map(|d| d.1.complaint_rate.numerator).collect();
    assert_eq!(complaints, [1, 1, 1, 0, 0]);
    // due on the 21st: #10 in time, #12 late; on the 22nd: #11 in time, #13 late
    assert_eq!(parts(days[1].1.timely), (1, 2));
    assert_eq!(parts(days[2].1.timely), (1, 2));
    assert_eq!(parts(days[4].1.timely), (0, 0), "#14 is due after now");
    assert_eq!(parts(days[1].1.satisfaction), (4, 5));
    assert_eq!(parts(days[1].1.temperature), (3, 5));
    // the days add up to the period
    let b = period(&rules);
    let sum: u64 = days.iter().map(|d| d.1.timely.denominator).sum();
    assert_eq!(sum, b.city.timely.denominator);
}

/// The top bar's figures and the map's counts are kept up to date from the touched tickets
/// (a city recount per command would stall a frame): after any changes they must equal a
/// recount from scratch.
#[test]
fn figures_kept_up_to_date_from_touched_tickets_equal_a_recount() {
    use heatdesk::console::views::board::Board;
    use heatdesk::console::views::colours::{AnswerSums, Colours};
    use heatdesk::console::views::counts::MapCounts;
    use heatdesk::demo::{self, DemoParams, Scale};
    use heatdesk::domain::colouring::Metric;
    let now = demo::noon(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
    let mut snap = demo::generate(&DemoParams::new(Scale::Demo, now)).snapshot;
    let today = now.date().and_hms_opt(0, 0, 0).unwrap();
    let tomorrow = today + chrono::Duration::days(1);
    let rules = KpiRules::default();
    let mut board = Board::derive(&snap, &Default::default());
    let before = city_kpis(&snap, today, tomorrow, now, &rules);
    let mut facts = KpiFacts::of(&snap);
    let open: Vec<usize> = (0..snap.tickets.len())
        .filter(|&i| snap.tickets[i].status.is_open())
        .collect();
    let closed = (0..snap.tickets.len())
        .find(|&i| !snap.tickets[i].status.is_open())
        .unwrap();
    // fix one, make one due today, reopen a closed one as a complaint, move one to another building
    let touched: Vec<TicketId> = [open[0], open[1], closed, open[2]]
        .iter()
        .map(|&i| snap.tickets[i].id)
        .collect();
    snap.tickets[open[0]].status = TicketStatus::Fixed;
    snap.tickets[open[0]].fixed_at = Some(now);
    snap.tickets[open[1]].deadline = today + chrono::Duration::hours(9);
    snap.tickets[closed].status = TicketStatus::Received;
    snap.tickets[closed].category = Category::Complaint;
    snap.tickets[closed].created_at = now;
    snap.tickets[open[2]].building_id = snap.buildings[7].id;
    snap.surveys.push(SurveyResponse {
        id: 999_999,
        building_id: snap.buildings[3].id,
        ticket_id: None,
        visit_id: None,
        answer: SurveyAnswer::Dissatisfied,
        at: now,
    });
    board.update(&snap, &touched);
    facts.update(&snap, &touched);

    assert_eq!(board.open, Board::derive(&snap, &Default::default()).open);
    assert_eq!(
        facts.city(&snap, (today, tomorrow), now, &rules),
        city_kpis(&snap, today, tomorrow, now, &rules)
    );
    let season = heatdesk::domain::season::season_start(now.date())
        .and_hms_opt(0, 0, 0)
        .unwrap();
    assert_eq!(
        facts.breakdown(&snap, (season, tomorrow), now, &rules),
        breakdown(&snap, season, tomorrow, now, &rules)
    );
    assert_eq!(
        facts.daily(&snap, (season.date(), now.date()), now, &rules),
        daily(&snap, season.date(), now.date(), now, &rules)
    );
    // the visit planner's figures from the kept facts too
    let table = |t: heatdesk::domain::planner::FactorTable| {
        format!(
            "{:?}",
            t.rank(&heatdesk::domain::planner::PlanWeights::default())
        )
    };
    assert_eq!(
        table(heatdesk::domain::planner::factors_from(
            &snap, &facts, now, season, &rules
        )),
        table(heatdesk::domain::planner::factors(
            &snap, now, season, &rules
        ))
    );
    // and a fresh count sees the changes: one more complaint today than before them
    assert_eq!(
        city_kpis(&snap, today, tomorrow, now, &rules)
            .complaint_rate
            .numerator,
        before.complaint_rate.numerator + 1
    );
    for metric in [Metric::OpenFaults, Metric::Overdue, Metric::Satisfaction] {
        let a = MapCounts::count(&snap, &board.open, now);
        let b = MapCounts::count(&snap, &Board::derive(&snap, &Default::default()).open, now);
        assert_eq!(a, b);
        let sums = AnswerSums::count(&snap, &heatdesk::domain::kpi::KpiFacts::of(&snap));
        assert_eq!(
            Colours::of(&snap, metric, &a, &sums),
            Colours::of(&snap, metric, &b, &sums)
        );
        // and the counts are what the tickets say
        let open_total: u32 = a.open_by_building.iter().sum();
        assert_eq!(
            open_total as usize,
            snap.tickets.iter().filter(|t| t.status.is_open()).count()
        );
    }
}
