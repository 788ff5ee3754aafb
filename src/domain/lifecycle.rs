//! Which ticket transitions are legal, and the deadlines a ticket gets from the rule table.

use chrono::Duration;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::model::{
    Category, Severity, SlaRule, SurveyAnswer, TeamId, Ticket, TicketStatus, Timestamp,
};

/// One step a user takes on a ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Action {
    /// 派单 (also re-dispatch to another team).
    Assign {
        team: TeamId,
    },
    /// 接单
    Accept,
    /// 到场
    ArriveOnSite,
    /// 完工
    Fix,
    /// 回访: the resident's answer.
    Callback {
        answer: SurveyAnswer,
    },
    /// 结案
    Close,
    /// 挂起
    Hold {
        reason: String,
    },
    Resume,
    /// 退回: back to the queue, without a team.
    Return {
        reason: String,
    },
    /// 升级
    Escalate {
        reason: String,
    },
}

/// Every action's code ([`Action::code`]): the codes a refusal read back from the wire names.
pub const ACTION_CODES: &[&str] = &[
    "assign", "accept", "arrive", "fix", "callback", "close", "hold", "resume", "return",
    "escalate",
];

impl Action {
    /// Stable code for the audit trail.
    pub fn code(&self) -> &'static str {
        match self {
            Action::Assign { .. } => "assign",
            Action::Accept => "accept",
            Action::ArriveOnSite => "arrive",
            Action::Fix => "fix",
            Action::Callback { .. } => "callback",
            Action::Close => "close",
            Action::Hold { .. } => "hold",
            Action::Resume => "resume",
            Action::Return { .. } => "return",
            Action::Escalate { .. } => "escalate",
        }
    }

    /// The reason a user gave, where the action needs one.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Action::Hold { reason } | Action::Return { reason } | Action::Escalate { reason } => {
                Some(reason)
            }
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransitionError {
    #[error("ticket #{ticket} is {status:?}: cannot {action}")]
    Illegal {
        ticket: i64,
        status: TicketStatus,
        action: &'static str,
    },
    #[error("a reason is required to {0}")]
    ReasonRequired(&'static str),
}

/// What is wrong with a ticket that arrives with its history (an import): the state it is in
/// must be one the lifecycle can reach — fixed or later with the time it was fixed, closed
/// with the time it was closed, with a team while a team has it, fixed after it was received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordProblem {
    /// The status says fixed (or later) but no time of fixing is given.
    NoFixedAt,
    /// The status says closed but no time of closing is given.
    NoClosedAt,
    /// Fixed before it was received.
    FixedBeforeReceived,
    /// Assigned, accepted or on site, with no team.
    NoTeam,
}

impl RecordProblem {
    /// The field at fault (as the file's column names it).
    pub fn field(self) -> &'static str {
        match self {
            RecordProblem::NoFixedAt | RecordProblem::FixedBeforeReceived => "fixed_at",
            RecordProblem::NoClosedAt => "closed_at",
            RecordProblem::NoTeam => "team_id",
        }
    }
}

/// The lifecycle's rules for a ticket recorded with a state, not reached step by step.
pub fn record_problems(t: &Ticket) -> Vec<RecordProblem> {
    let mut found = Vec::new();
    let done = matches!(
        t.status,
        TicketStatus::Fixed | TicketStatus::CallbackDone | TicketStatus::Closed
    );
    if done && t.fixed_at.is_none() {
        found.push(RecordProblem::NoFixedAt);
    }
    if t.status == TicketStatus::Closed && t.closed_at.is_none() {
        found.push(RecordProblem::NoClosedAt);
    }
    if t.fixed_at.is_some_and(|f| f < t.created_at) {
        found.push(RecordProblem::FixedBeforeReceived);
    }
    let needs_team = matches!(
        t.status,
        TicketStatus::Assigned | TicketStatus::Accepted | TicketStatus::OnSite
    );
    if needs_team && t.team_id.is_none() {
        found.push(RecordProblem::NoTeam);
    }
    found
}

/// What a legal action does to a ticket (applied by the store together with its audit event).
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    pub to: TicketStatus,
    pub team: Option<TeamId>,
    pub fixed_at: Option<Timestamp>,
    pub timely: Option<bool>,
    pub satisfaction: Option<SurveyAnswer>,
    pub closed_at: Option<Timestamp>,
}

/// Decide whether `action` is legal on `ticket` at `now`, and what it changes.
pub fn transition(
    ticket: &Ticket,
    action: &Action,
    now: Timestamp,
) -> Result<Transition, TransitionError> {
    use TicketStatus as S;
    let illegal = || TransitionError::Illegal {
        ticket: ticket.id,
        status: ticket.status,
        action: action.code(),
    };
    if let Some(reason) = action.reason()
        && reason.trim().is_empty()
    {
        return Err(TransitionError::ReasonRequired(action.code()));
    }
    let keep = Transition {
        to: ticket.status,
        team: ticket.team_id,
        fixed_at: ticket.fixed_at,
        timely: ticket.timely,
        satisfaction: ticket.satisfaction,
        closed_at: ticket.closed_at,
    };
    let s = ticket.status;
    let next = match action {
        Action::Assign { team } => match s {
            S::Received | S::Escalated | S::Assigned => Transition {
                to: S::Assigned,
                team: Some(*team),
                ..keep
            },
            _ => return Err(illegal()),
        },
        Action::Accept => match s {
            S::Assigned => Transition {
                to: S::Accepted,
                ..keep
            },
            _ => return Err(illegal()),
        },
        Action::ArriveOnSite => match s {
            S::Assigned | S::Accepted => Transition {
                to: S::OnSite,
                ..keep
            },
            _ => return Err(illegal()),
        },
        Action::Fix => match s {
            S::Accepted | S::OnSite => Transition {
                to: S::Fixed,
                fixed_at: Some(now),
                timely: Some(now <= ticket.deadline),
                ..keep
            },
            _ => return Err(illegal()),
        },
        Action::Callback { answer } => match s {
            S::Fixed => Transition {
                to: S::CallbackDone,
                satisfaction: Some(*answer),
                ..keep
            },
            _ => return Err(illegal()),
        },
        Action::Close => match s {
            S::CallbackDone => Transition {
                to: S::Closed,
                closed_at: Some(now),
                ..keep
            },
            _ => return Err(illegal()),
        },
        Action::Hold { .. } => match s {
            S::Received | S::Assigned | S::Accepted | S::OnSite | S::Escalated => Transition {
                to: S::OnHold,
                ..keep
            },
            _ => return Err(illegal()),
        },
        Action::Resume => match s {
            S::OnHold => Transition {
                to: if ticket.team_id.is_some() {
                    S::Assigned
                } else {
                    S::Received
                },
                ..keep
            },
            _ => return Err(illegal()),
        },
        Action::Return { .. } => match s {
            S::Assigned | S::Accepted | S::OnSite | S::OnHold | S::Escalated => Transition {
                to: S::Received,
                team: None,
                ..keep
            },
            _ => return Err(illegal()),
        },
        Action::Escalate { .. } => match s {
            S::Received | S::Assigned | S::Accepted | S::OnSite | S::OnHold => Transition {
                to: S::Escalated,
                ..keep
            },
            _ => return Err(illegal()),
        },
    };
    Ok(next)
}

/// A household report fixed because the network fault behind it was fixed: whatever step it
/// had reached, it is fixed now, timely by its own deadline (its resident still gets a callback).
pub fn fixed_with_network(ticket: &Ticket, now: Timestamp) -> Option<Transition> {
    matches!(
        ticket.status,
        TicketStatus::Received
            | TicketStatus::Assigned
            | TicketStatus::Accepted
            | TicketStatus::OnSite
            | TicketStatus::OnHold
            | TicketStatus::Escalated
    )
    .then(|| Transition {
        to: TicketStatus::Fixed,
        team: ticket.team_id,
        fixed_at: Some(now),
        timely: Some(now <= ticket.deadline),
        satisfaction: ticket.satisfaction,
        closed_at: ticket.closed_at,
    })
}

/// The actions a user can take next on a ticket in this status (for the detail panel).
pub fn next_actions(status: TicketStatus) -> &'static [&'static str] {
    use TicketStatus as S;
    match status {
        S::Received => &["assign", "hold", "escalate"],
        S::Assigned => &["accept", "arrive", "hold", "return", "escalate"],
        S::Accepted => &["arrive", "fix", "hold", "return", "escalate"],
        S::OnSite => &["fix", "hold", "return", "escalate"],
        S::Fixed => &["callback"],
        S::CallbackDone => &["close"],
        S::Closed => &[],
        S::OnHold => &["resume", "return", "escalate"],
        S::Escalated => &["assign", "hold", "return"],
    }
}

/// Defaults taken from published city rules (DESIGN.md, "Deadlines"); the company edits them.
pub fn default_rules() -> Vec<SlaRule> {
    let mut rules = Vec::new();
    for &category in Category::ALL {
        for &severity in Severity::ALL {
            let (respond_h, resolve_h): (f64, f64) = match category {
                // leak / burst: crew on site within 1 h
                Category::Leak => (1.0, 24.0),
                // low temperature: on site within 2–5 h, test the room within 24 h
                Category::LowTemperature | Category::TemperatureTest => (4.0, 24.0),
                Category::NoHeat => (2.0, 24.0),
                Category::EntryOrStationFault | Category::HydraulicImbalance => (2.0, 48.0),
                // ordinary repair: contact within 2 h, fixed within 8 h
                Category::AirLock
                | Category::ValveClosed
                | Category::FilterClogged
                | Category::IllegalModification => (2.0, 8.0),
                // complaint: answered within 24 h, closed within 48 h
                Category::Complaint => (24.0, 48.0),
                Category::Enquiry => (2.0, 24.0),
            };
            let factor = match severity {
                Severity::Normal => 1.0,
                Severity::Urgent => 0.5,
                Severity::Emergency => 0.25,
            };
            let respond = if category == Category::Leak && severity == Severity::Emergency {
                0.5 // some cities: 30 min for a burst
            } else {
                respond_h * factor
            };
            rules.push(SlaRule {
                category,
                severity,
                respond_minutes: (respond * 60.0).round() as u32,
                resolve_minutes: (resolve_h * factor.max(0.5) * 60.0).round() as u32,
            });
        }
    }
    rules
}

/// The on-site and fix deadlines of a ticket created at `created` under `rules`.
/// A category/severity missing from the table falls back to 24 h / 48 h.
pub fn deadlines(
    rules: &[SlaRule],
    category: Category,
    severity: Severity,
    created: Timestamp,
) -> (Timestamp, Timestamp) {
    let (respond, resolve) = rules
        .iter()
        .find(|r| r.category == category && r.severity == severity)
        .map(|r| (r.respond_minutes, r.resolve_minutes))
        .unwrap_or((24 * 60, 48 * 60));
    (
        created + Duration::minutes(respond as i64),
        created + Duration::minutes(resolve as i64),
    )
}
