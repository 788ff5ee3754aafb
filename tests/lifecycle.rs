//! Ticket lifecycle rules, deadlines from the rule table, and KPIs on a hand-computed case.

use chrono::{Duration, NaiveDate};
use heatdesk::domain::kpi::{KpiRules, city_kpis};
use heatdesk::domain::lifecycle::{Transition, deadlines, default_rules, transition};
use heatdesk::domain::*;

fn at(d: u32, h: u32) -> Timestamp {
    NaiveDate::from_ymd_opt(2026, 11, d)
        .unwrap()
        .and_hms_opt(h, 0, 0)
        .unwrap()
}

fn ticket(status: TicketStatus, team: Option<TeamId>) -> Ticket {
    Ticket {
        id: 7,
        version: 1,
        channel: Channel::Hotline,
        category: Category::NoHeat,
        severity: Severity::Normal,
        building_id: 1,
        address_detail: String::new(),
        reporter_name: String::new(),
        reporter_phone: String::new(),
        description: String::new(),
        status,
        team_id: team,
        created_at: at(20, 8),
        respond_by: at(20, 10),
        deadline: at(21, 8),
        updated_at: at(20, 8),
        fixed_at: None,
        closed_at: None,
        timely: None,
        satisfaction: None,
    }
}

fn all_actions() -> Vec<Action> {
    vec![
        Action::Assign { team: 3 },
        Action::Accept,
        Action::ArriveOnSite,
        Action::Fix,
        Action::Callback {
            answer: SurveyAnswer::Satisfied,
        },
        Action::Close,
        Action::Hold {
            reason: "住户不在家".into(),
        },
        Action::Resume,
        Action::Return {
            reason: "不属本班组".into(),
        },
        Action::Escalate {
            reason: "需要抢修队".into(),
        },
    ]
}

/// The whole table: which action is legal from which status, and where it leads.
fn expected(status: TicketStatus, action: &Action, has_team: bool) -> Option<TicketStatus> {
    use TicketStatus as S;
    match (action, status) {
        (Action::Assign { .. }, S::Received | S::Escalated | S::Assigned) => Some(S::Assigned),
        (Action::Accept, S::Assigned) => Some(S::Accepted),
        (Action::ArriveOnSite, S::Assigned | S::Accepted) => Some(S::OnSite),
        (Action::Fix, S::Accepted | S::OnSite) => Some(S::Fixed),
        (Action::Callback { .. }, S::Fixed) => Some(S::CallbackDone),
        (Action::Close, S::CallbackDone) => Some(S::Closed),
        (
            Action::Hold { .. },
            S::Received | S::Assigned | S::Accepted | S::OnSite | S::Escalated,
        ) => Some(S::OnHold),
        (Action::Resume, S::OnHold) => Some(if has_team { S::Assigned } else { S::Received }),
        (
            Action::Return { .. },
            S::Assigned | S::Accepted | S::OnSite | S::OnHold | S::Escalated,
        ) => Some(S::Received),
        (
            Action::Escalate { .. },
            S::Received | S::Assigned | S::Accepted | S::OnSite | S::OnHold,
        ) => Some(S::Escalated),
        _ => None,
    }
}

#[test]
fn every_action_from_every_status_follows_the_table() {
    for &status in TicketStatus::ALL {
        for has_team in [false, true] {
            let t = ticket(status, has_team.then_some(5));
            for action in all_actions() {
                let got = transition(&t, &action, at(20, 12)).map(|tr| tr.to).ok();
                assert_eq!(
                    got,
                    expected(status, &action, has_team),
                    "{status:?} (team: {has_team}) + {action:?}"
                );
            }
        }
    }
}

#[test]
fn closing_an_unassigned_ticket_and_assigning_a_closed_one_are_refused() {
    assert!(
        transition(
            &ticket(TicketStatus::Received, None),
            &Action::Close,
            at(20, 9)
        )
        .is_err()
    );
    assert!(
        transition(
            &ticket(TicketStatus::Closed, Some(1)),
            &Action::Assign { team: 2 },
            at(20, 9)
        )
        .is_err()
    );
}

#[test]
fn side_exits_need_a_reason() {
    let t = ticket(TicketStatus::Assigned, Some(1));
    for action in [
        Action::Hold {
            reason: "  ".into(),
        },
        Action::Return {
            reason: String::new(),
        },
        Action::Escalate {
            reason: String::new(),
        },
    ] {
        assert!(transition(&t, &action, at(20, 9)).is_err(), "{action:?}");
    }
}

#[test]
fn timely_is_decided_when_the_ticket_is_fixed() {
    let t = ticket(TicketStatus::OnSite, Some(1));
    let Transition {
        timely, fixed_at, ..
    } = transition(&t, &Action::Fix, at(21, 7)).unwrap();
    assert_eq!((timely, fixed_at), (Some(true), Some(at(21, 7))));
    let late = transition(&t, &Action::Fix, at(21, 9)).unwrap();
    assert_eq!(late.timely, Some(false));
    let returned = transition(&t, &Action::Return { reason: "x".into() }, at(20, 9)).unwrap();
    assert_eq!(returned.team, None, "a returned ticket leaves its team");
}

#[test]
fn deadlines_come_from_the_rule_table() {
    let rules = default_rules();
    let created = at(20, 8);
    // leak: crew on site within 1 h
    let (respond, _) = deadlines(&rules, Category::Leak, Severity::Normal, created);
    assert_eq!(respond, created + Duration::hours(1));
    // burst as an emergency: 30 min
    let (respond, _) = deadlines(&rules, Category::Leak, Severity::Emergency, created);
    assert_eq!(respond, created + Duration::minutes(30));
    // ordinary repair: contact within 2 h, fixed within 8 h
    let (respond, fix) = deadlines(&rules, Category::AirLock, Severity::Normal, created);
    assert_eq!(
        (respond, fix),
        (created + Duration::hours(2), created + Duration::hours(8))
    );
    // complaint: answered within 24 h, closed within 48 h
    let (respond, fix) = deadlines(&rules, Category::Complaint, Severity::Normal, created);
    assert_eq!(
        (respond, fix),
        (created + Duration::hours(24), created + Duration::hours(48))
    );
    // a category missing from an edited table falls back to 24 h / 48 h
    let (respond, fix) = deadlines(&[], Category::Enquiry, Severity::Normal, created);
    assert_eq!(
        (respond, fix),
        (created + Duration::hours(24), created + Duration::hours(48))
    );
}

#[test]
fn kpis_on_a_hand_built_case() {
    let mut snap = Snapshot::default();
    snap.compounds = vec![
        Compound {
            id: 1,
            name: "工银新村".into(),
            address: String::new(),
            department_id: 1,
            households: 1500,
            outline: vec![],
        },
        Compound {
            id: 2,
            name: "长城小区".into(),
            address: String::new(),
            department_id: 1,
            households: 500,
            outline: vec![],
        },
    ];
    // 2000 households; 3 complaints in the period, 1 before it
    let mut tickets = Vec::new();
    for (i, day) in [20, 21, 22, 10].into_iter().enumerate() {
        let mut t = ticket(TicketStatus::Received, None);
        t.id = i as i64 + 1;
        t.category = Category::Complaint;
        t.created_at = at(day, 9);
        t.deadline = at(30, 9); // not due yet
        tickets.push(t);
    }
    // 4 tickets due in the period: 2 fixed in time, 1 fixed late, 1 still open and overdue
    for (i, fixed) in [Some(at(20, 10)), Some(at(21, 7)), Some(at(23, 9)), None]
        .into_iter()
        .enumerate()
    {
        let mut t = ticket(TicketStatus::Fixed, Some(1));
        t.id = 10 + i as i64;
        t.deadline = at(21 + i as u32 % 2, 8);
        t.fixed_at = fixed;
        tickets.push(t);
    }
    snap.tickets = tickets;
    let answers = [
        SurveyAnswer::Satisfied,
        SurveyAnswer::Satisfied,
        SurveyAnswer::BasicallySatisfied,
        SurveyAnswer::Dissatisfied,
        SurveyAnswer::Satisfied,
    ];
    snap.surveys = answers
        .iter()
        .enumerate()
        .map(|(i, &answer)| SurveyResponse {
            id: i as i64 + 1,
            building_id: 1,
            ticket_id: None,
            visit_id: None,
            answer,
            at: at(21, 10),
        })
        .collect();
    snap.readings = [17.5, 18.0, 19.2, 21.0, 16.0]
        .iter()
        .enumerate()
        .map(|(i, &celsius)| TemperatureReading {
            id: i as i64 + 1,
            building_id: 1,
            visit_id: None,
            room: "卧室".into(),
            celsius,
            method: TempMethod::Thermometer,
            taken_at: at(21, 11),
            taken_by: "王书记".into(),
        })
        .collect();
    snap.reindex();

    let k = city_kpis(
        &snap,
        at(15, 0),
        at(25, 0),
        at(24, 12),
        &KpiRules::default(),
    );
    assert_eq!(
        (k.complaint_rate.numerator, k.complaint_rate.denominator),
        (3, 2000)
    );
    assert!(
        (k.complaint_rate.value().unwrap() * 1000.0 - 1.5).abs() < 1e-9,
        "1.5 ‰"
    );
    assert_eq!(
        (k.satisfaction.numerator, k.satisfaction.denominator),
        (4, 5)
    );
    assert_eq!((k.timely.numerator, k.timely.denominator), (2, 4));
    assert_eq!((k.temperature.numerator, k.temperature.denominator), (3, 5));

    // stricter definitions: 20 °C standard, "basically satisfied" not counted
    let strict = KpiRules {
        temperature_standard: 20.0,
        basic_counts_as_satisfied: false,
    };
    let k = city_kpis(&snap, at(15, 0), at(25, 0), at(24, 12), &strict);
    assert_eq!(k.satisfaction.numerator, 3);
    assert_eq!(k.temperature.numerator, 1);
}
