//! A burst of random but legal commands against one database, as a busy dispatch room would
//! send them — for the crash and concurrency tests, which run it in child processes
//! (`heatdesk soak`) and kill or race them.
//!
//! Each command's outcome is printed as one JSON line and flushed, *after* the store returns:
//! a line saying "ok" is a promise that the change is committed.

use std::io::Write;

use serde::{Deserialize, Serialize};

use crate::demo::rng::Rng;
use crate::domain::command::{HouseholdVisit, NewVisit, Problem, RoomReading};
use crate::domain::lifecycle::next_actions;
use crate::domain::*;
use crate::store::{DispatchStore, StoreError};

/// One command's outcome, as printed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Outcome {
    pub ok: bool,
    pub command: Command,
    pub actor: String,
    pub at: Timestamp,
    /// Ids of the audit events the command wrote (ascending): its place in commit order.
    pub events: Vec<i64>,
    pub visit: Option<i64>,
    /// Why it was refused.
    pub error: Option<String>,
    /// A refusal because someone else changed the ticket first (expected under contention).
    pub stale: bool,
}

/// What a soak run is told.
#[derive(Debug, Clone)]
pub struct SoakParams {
    pub seed: u64,
    pub commands: usize,
    /// Work only on tickets 1..=N (contention), or on all.
    pub tickets: Option<i64>,
    pub actor: String,
    /// Look for other consoles' changes at most this often (a console polls about once a
    /// second; 0: before every command).
    pub poll_ms: u64,
    /// Pause between commands (an operator's pace).
    pub pace_ms: u64,
}

fn events_of(applied: &Applied, out: &mut Vec<i64>, visit: &mut Option<i64>) {
    match applied {
        Applied::Ticket { event, .. } => out.push(event.id),
        Applied::Batch(all) => all.iter().for_each(|a| events_of(a, out, visit)),
        Applied::Visit { visit: v, .. } => *visit = Some(v.id),
        Applied::Rule(_) | Applied::KpiRules(_) | Applied::Import(_) => {}
    }
}

/// A legal next step for a ticket in `status`, with its arguments.
fn action_for(rng: &mut Rng, snap: &Snapshot, code: &str) -> Action {
    let reason = || "soak".to_string();
    match code {
        "assign" => Action::Assign {
            team: rng.pick(&snap.teams).id,
        },
        "accept" => Action::Accept,
        "arrive" => Action::ArriveOnSite,
        "fix" => Action::Fix,
        "callback" => Action::Callback {
            answer: *rng.pick(SurveyAnswer::ALL),
        },
        "close" => Action::Close,
        "hold" => Action::Hold { reason: reason() },
        "resume" => Action::Resume,
        "return" => Action::Return { reason: reason() },
        _ => Action::Escalate { reason: reason() },
    }
}

fn next_command(rng: &mut Rng, snap: &Snapshot, params: &SoakParams) -> Command {
    let roll = rng.unit();
    if roll < 0.08 && !snap.compounds.is_empty() {
        let c = rng.pick(&snap.compounds);
        let buildings: Vec<&Building> = snap
            .buildings
            .iter()
            .filter(|b| b.compound_id == c.id)
            .collect();
        if let Some(b) = buildings.first() {
            return Command::RecordVisit(NewVisit {
                compound_id: c.id,
                at: crate::demo::noon(chrono::Local::now().date_naive()),
                channel: Channel::LeaderVisit,
                leaders: "王书记".into(),
                staff: String::new(),
                consultation_desk: rng.chance(0.5),
                households_entered: 2,
                notes: String::new(),
                households: vec![HouseholdVisit {
                    building_id: b.id,
                    address_detail: "1单元 101".into(),
                    readings: vec![
                        RoomReading {
                            room: "卧室".into(),
                            celsius: (rng.range(15.0, 23.0) * 10.0).round() / 10.0,
                            method: TempMethod::Thermometer,
                        },
                        RoomReading {
                            room: "客厅".into(),
                            celsius: (rng.range(15.0, 23.0) * 10.0).round() / 10.0,
                            method: TempMethod::InfraredAverage,
                        },
                    ],
                    problems: vec![Problem {
                        category: Category::AirLock,
                        severity: Severity::Normal,
                        description: "积气".into(),
                        fixed_on_site: rng.chance(0.5),
                    }],
                    answer: Some(*rng.pick(SurveyAnswer::ALL)),
                }],
            });
        }
    }
    if roll < 0.15 && !snap.buildings.is_empty() {
        return Command::CreateTicket(NewTicket {
            channel: *rng.pick(Channel::ALL),
            category: *rng.pick(Category::ALL),
            severity: Severity::Normal,
            building_id: rng.pick(&snap.buildings).id,
            address_detail: "2单元 202".into(),
            reporter_name: "测试".into(),
            reporter_phone: "13800000000".into(),
            description: "soak".into(),
        });
    }
    let pool: Vec<&Ticket> = snap
        .tickets
        .iter()
        .filter(|t| params.tickets.is_none_or(|n| t.id <= n))
        .filter(|t| !next_actions(t.status).is_empty())
        .collect();
    let Some(t) = (!pool.is_empty()).then(|| *rng.pick(&pool)) else {
        return Command::CreateTicket(NewTicket {
            channel: Channel::Hotline,
            category: Category::AirLock,
            severity: Severity::Normal,
            building_id: snap.buildings[0].id,
            address_detail: String::new(),
            reporter_name: String::new(),
            reporter_phone: String::new(),
            description: String::new(),
        });
    };
    let code = *rng.pick(next_actions(t.status));
    Command::Act {
        ticket: t.id,
        seen_version: t.version,
        action: action_for(rng, snap, code),
    }
}

/// Run the burst, printing one [`Outcome`] line per command to `out`.
pub fn run(
    store: &mut dyn DispatchStore,
    params: &SoakParams,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let mut rng = Rng::new(params.seed);
    let mut snap = store.load()?;
    let mut polled = std::time::Instant::now();
    for _ in 0..params.commands {
        if polled.elapsed().as_millis() >= params.poll_ms as u128 {
            polled = std::time::Instant::now();
            match store.catch_up()? {
                Update::UpToDate => {}
                Update::Changed(changes) => snap.absorb(changes),
                Update::Reload => snap = store.load()?,
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(params.pace_ms));
        let command = next_command(&mut rng, &snap, params);
        let origin = Origin {
            actor: params.actor.clone(),
            // whole seconds: what the store keeps
            at: {
                use chrono::Timelike;
                let now = chrono::Local::now().naive_local();
                now.with_nanosecond(0).unwrap_or(now)
            },
        };
        let outcome = match store.apply(&command, &origin) {
            Ok(applied) => {
                if let Update::Changed(changes) = applied.update() {
                    snap.absorb(changes);
                }
                let mut events = Vec::new();
                let mut visit = None;
                events_of(&applied, &mut events, &mut visit);
                events.sort_unstable();
                Outcome {
                    ok: true,
                    command,
                    actor: origin.actor,
                    at: origin.at,
                    events,
                    visit,
                    error: None,
                    stale: false,
                }
            }
            Err(e) => {
                let stale = matches!(e, StoreError::Stale { .. });
                // someone else moved on: look again before the next step
                snap = store.load()?;
                Outcome {
                    ok: false,
                    command,
                    actor: origin.actor,
                    at: origin.at,
                    events: Vec::new(),
                    visit: None,
                    error: Some(e.to_string()),
                    stale,
                }
            }
        };
        serde_json::to_writer(&mut *out, &outcome)?;
        writeln!(out)?;
        out.flush()?;
    }
    Ok(())
}
