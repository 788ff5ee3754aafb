//! The dispatcher's helpers without a window: best-fit suggestions that explain themselves,
//! queue filters and order, duplicate detection.

use crate::common;

use chrono::NaiveDate;
use heatdesk::console::views::queue::{QueueFilter, QueueSort};
use heatdesk::domain::suggest::{SuggestWeights, distance_km, suggest};
use heatdesk::domain::*;

fn at(h: u32) -> Timestamp {
    NaiveDate::from_ymd_opt(2026, 11, 27)
        .unwrap()
        .and_hms_opt(h, 0, 0)
        .unwrap()
}

fn team(
    id: i64,
    department: i64,
    skills: Vec<Skill>,
    position: LonLat,
    status: TeamStatus,
) -> Team {
    Team {
        id,
        name: format!("班组{id}"),
        department_id: department,
        members: vec![],
        skills,
        home_base: position,
        position,
        status,
    }
}

fn ticket(
    id: i64,
    category: Category,
    status: TicketStatus,
    team: Option<i64>,
    deadline_h: u32,
) -> Ticket {
    Ticket {
        status,
        team_id: team,
        respond_by: at(9),
        ..common::ticket(id, 1, category, at(8), at(deadline_h))
    }
}

/// A building at the origin in department 1; teams at known distances.
fn world() -> Snapshot {
    let o = [112.55, 37.86];
    let km_east = |k: f64| [o[0] + k / 88.0, o[1]];
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
    s.compounds = vec![Compound {
        id: 1,
        name: "工银新村".into(),
        address: String::new(),
        department_id: 1,
        households: 100,
        outline: vec![],
        extra: Default::default(),
    }];
    s.buildings = vec![Building {
        id: 1,
        compound_id: 1,
        number: "1号楼".into(),
        units: 2,
        floors: 6,
        households: 24,
        station_id: 1,
        entry_node: 1,
        footprint: vec![o, o, o, o],
        extra: Default::default(),
    }];
    s.teams = vec![
        // near, right skill, same department, but already has two open tickets
        team(1, 1, vec![Skill::Valve], km_east(1.0), TeamStatus::Free),
        // far, right skill, same department, idle
        team(2, 1, vec![Skill::Valve], km_east(5.0), TeamStatus::Free),
        // nearest, but lacks the skill and is from another department
        team(3, 2, vec![Skill::Radiator], km_east(0.2), TeamStatus::Free),
        // off shift: never suggested
        team(4, 1, vec![Skill::Valve], km_east(0.1), TeamStatus::OffShift),
    ];
    s.tickets = vec![
        ticket(10, Category::ValveClosed, TicketStatus::Received, None, 16),
        ticket(11, Category::AirLock, TicketStatus::Accepted, Some(1), 12),
        ticket(12, Category::AirLock, TicketStatus::OnSite, Some(1), 12),
    ];
    s.reindex();
    s
}

#[test]
fn suggestions_rank_by_distance_skill_workload_and_department_and_say_why() {
    let s = world();
    let w = SuggestWeights::default();
    let ranked = suggest(&s, s.ticket(10).unwrap(), &w);
    assert_eq!(
        ranked.iter().map(|r| r.team).collect::<Vec<_>>(),
        vec![1, 2, 3],
        "off-shift team 4 is left out"
    );

    // hand-computed: team 1: 1 km + 2 open × 0.8 = 2.6; team 2: 5 km = 5.0;
    // team 3: 0.2 km + 4 (no valve skill) + 2 (other department) = 6.2
    let expect = [(1, 2.6), (2, 5.0), (3, 6.2)];
    for (r, (id, score)) in ranked.iter().zip(expect) {
        assert_eq!(r.team, id);
        assert!(
            (r.score - score).abs() < 0.02,
            "team {id}: {} vs {score}",
            r.score
        );
    }
    let first = &ranked[0];
    assert!((first.distance_km - 1.0).abs() < 0.02);
    assert!(first.has_skill && first.same_department);
    assert_eq!(first.open_tickets, 2);
    assert_eq!(first.skill, Skill::Valve);
    let third = &ranked[2];
    assert!(!third.has_skill && !third.same_department);

    // the parts add up to the score
    for r in &ranked {
        let parts = r.distance_km * w.per_km
            + if r.has_skill { 0.0 } else { w.missing_skill }
            + r.open_tickets as f64 * w.per_open_ticket
            + if r.same_department {
                0.0
            } else {
                w.other_department
            };
        assert!((parts - r.score).abs() < 1e-9);
    }
}

#[test]
fn distances_are_great_circle_kilometres() {
    // one degree of latitude is ~111.2 km
    assert!((distance_km([112.0, 37.0], [112.0, 38.0]) - 111.19).abs() < 0.1);
}

#[test]
fn the_queue_filters_and_sorts_as_asked() {
    let mut s = world();
    let mut leak = ticket(20, Category::Leak, TicketStatus::Received, None, 11);
    leak.severity = Severity::Emergency;
    leak.channel = Channel::Online;
    let mut late = ticket(21, Category::AirLock, TicketStatus::Escalated, Some(2), 9);
    late.created_at = at(6);
    s.tickets.push(leak);
    s.tickets.push(late);
    s.tickets.push(ticket(
        22,
        Category::AirLock,
        TicketStatus::Closed,
        Some(2),
        10,
    ));
    s.reindex();
    let now = at(10);

    let all = QueueFilter::default().apply(&s, now);
    assert_eq!(
        all,
        vec![21, 20, 10],
        "queued only (received + escalated), deadline first"
    );
    let online = QueueFilter {
        channel: Some(Channel::Online),
        ..Default::default()
    }
    .apply(&s, now);
    assert_eq!(online, vec![20]);
    let overdue = QueueFilter {
        overdue_only: true,
        ..Default::default()
    }
    .apply(&s, now);
    assert_eq!(overdue, vec![21]);
    let by_severity = QueueFilter {
        sort: QueueSort::Severity,
        ..Default::default()
    }
    .apply(&s, now);
    assert_eq!(by_severity[0], 20);
    let by_created = QueueFilter {
        sort: QueueSort::Created,
        ..Default::default()
    }
    .apply(&s, now);
    assert_eq!(by_created[0], 21);
    let other_dept = QueueFilter {
        department: Some(2),
        ..Default::default()
    }
    .apply(&s, now);
    assert!(other_dept.is_empty());
}

#[test]
fn a_repeat_report_of_an_open_problem_is_flagged() {
    let s = world();
    assert_eq!(likely_duplicates(&s, 1, Category::ValveClosed), vec![10]);
    assert_eq!(likely_duplicates(&s, 1, Category::Leak), Vec::<i64>::new());
}

#[test]
fn the_board_updated_from_touched_tickets_equals_the_board_derived_afresh() {
    use heatdesk::console::views::board::Board;
    let now = heatdesk::demo::noon(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
    let mut snap = heatdesk::demo::generate(&heatdesk::demo::DemoParams::new(
        heatdesk::demo::Scale::Demo,
        now,
    ))
    .snapshot;
    let mut board = Board::derive(&snap, &Default::default());
    let team = snap.teams[3].id;
    let queued: Vec<TicketId> = board.queued.iter().take(4).copied().collect();
    let assigned: Vec<TicketId> = board
        .open_by_team
        .values()
        .flatten()
        .take(3)
        .copied()
        .collect();
    let mut touched = Vec::new();
    for (k, id) in queued.iter().chain(&assigned).enumerate() {
        let i = snap.tickets.iter().position(|t| t.id == *id).unwrap();
        let t = &mut snap.tickets[i];
        match k % 3 {
            0 => {
                t.status = TicketStatus::Assigned;
                t.team_id = Some(team);
            }
            1 => {
                t.status = TicketStatus::Received;
                t.team_id = None;
            }
            _ => t.parent_id = Some(queued[0]),
        }
        touched.push(*id);
    }
    board.update(&snap, &touched);
    let fresh = Board::derive(&snap, &Default::default());
    let sorted = |v: &[TicketId]| {
        let mut v = v.to_vec();
        v.sort_unstable();
        v
    };
    assert_eq!(sorted(&board.queued), sorted(&fresh.queued));
    for (team, list) in &fresh.open_by_team {
        assert_eq!(
            sorted(&board.open_by_team[team]),
            sorted(list),
            "team {team}"
        );
    }
    assert!(
        board
            .open_by_team
            .iter()
            .all(|(team, list)| list.is_empty() || fresh.open_by_team.contains_key(team))
    );
    for (parent, list) in &fresh.linked {
        assert_eq!(sorted(&board.linked[parent]), sorted(list));
    }
}
