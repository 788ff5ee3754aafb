//! Ticket lifecycle rules and deadlines from the rule table.

use crate::common;

use chrono::{Duration, NaiveDate};
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
        status,
        team_id: team,
        respond_by: at(20, 10),
        ..common::ticket(7, 1, Category::NoHeat, at(20, 8), at(21, 8))
    }
}

/// One of each action (the problems test walks them too).
pub fn all_actions() -> Vec<Action> {
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
