//! A heating season of activity: tickets through their lifecycle, leaders' visits,
//! temperature readings and survey answers — all driven by each compound's "trouble", so
//! the figures agree (a compound with many faults has cold rooms and unhappy residents).

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};

use super::rng::Rng;
use super::words::Words;
use crate::domain::lifecycle::{deadlines, default_rules};
use crate::domain::*;

pub struct SeasonInput<'a> {
    pub words: &'a Words,
    pub compounds: &'a [Compound],
    pub buildings: &'a [Building],
    pub teams: &'a [Team],
    /// 0 (quiet) .. 1 (many faults), per compound in `compounds` order.
    pub trouble: &'a [f64],
    pub start: NaiveDate,
    pub now: NaiveDateTime,
    pub tickets: usize,
    pub visits_per_day: usize,
}

pub struct Season {
    pub tickets: Vec<Ticket>,
    pub events: Vec<TicketEvent>,
    pub visits: Vec<Visit>,
    pub readings: Vec<TemperatureReading>,
    pub surveys: Vec<SurveyResponse>,
}

const CATEGORY_WEIGHTS: &[(Category, f64)] = &[
    (Category::AirLock, 22.0),
    (Category::ValveClosed, 8.0),
    (Category::FilterClogged, 6.0),
    (Category::IllegalModification, 2.0),
    (Category::LowTemperature, 18.0),
    (Category::NoHeat, 8.0),
    (Category::Leak, 5.0),
    (Category::EntryOrStationFault, 3.0),
    (Category::HydraulicImbalance, 4.0),
    (Category::Enquiry, 12.0),
    (Category::Complaint, 7.0),
    (Category::TemperatureTest, 5.0),
];

const CHANNEL_WEIGHTS: &[(Channel, f64)] = &[
    (Channel::Hotline, 50.0),
    (Channel::Online, 15.0),
    (Channel::WalkIn, 8.0),
    (Channel::ConsultationDesk, 10.0),
    (Channel::DoorToDoor, 10.0),
    (Channel::LeaderVisit, 7.0),
];

fn cumulative(weights: impl Iterator<Item = f64>) -> Vec<f64> {
    weights
        .scan(0.0, |acc, w| {
            *acc += w;
            Some(*acc)
        })
        .collect()
}

fn minutes(m: f64) -> Duration {
    Duration::seconds((m * 60.0) as i64)
}

pub fn person(rng: &mut Rng, words: &Words) -> String {
    format!(
        "{}{}",
        rng.pick(&words.surnames),
        rng.pick(&words.given_names)
    )
}

pub fn generate(rng: &mut Rng, input: &SeasonInput<'_>) -> Season {
    let rules = default_rules();
    let mut season = Season {
        tickets: Vec::with_capacity(input.tickets),
        events: Vec::with_capacity(input.tickets * 6),
        visits: Vec::new(),
        readings: Vec::new(),
        surveys: Vec::new(),
    };
    let days = (input.now.date() - input.start).num_days().max(0) + 1;

    // which compound a report comes from: more households and more trouble, more reports
    let compound_weights = cumulative(
        input
            .compounds
            .iter()
            .zip(input.trouble)
            .map(|(c, t)| c.households as f64 * (0.4 + 2.5 * t)),
    );
    let mut buildings_of: Vec<Vec<usize>> = vec![Vec::new(); input.compounds.len()];
    let compound_pos: std::collections::HashMap<CompoundId, usize> = input
        .compounds
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id, i))
        .collect();
    for (i, b) in input.buildings.iter().enumerate() {
        buildings_of[compound_pos[&b.compound_id]].push(i);
    }
    let mut teams_of: std::collections::HashMap<DepartmentId, Vec<&Team>> = Default::default();
    for t in input.teams {
        teams_of.entry(t.department_id).or_default().push(t);
    }
    let categories = cumulative(CATEGORY_WEIGHTS.iter().map(|c| c.1));
    let channels = cumulative(CHANNEL_WEIGHTS.iter().map(|c| c.1));
    // the first week of the season brings the air locks and forgotten valves
    let day_weights = cumulative((0..days).map(|d| if d < 7 { 2.0 - d as f64 / 7.0 } else { 1.0 }));

    for n in 0..input.tickets {
        let ci = rng.weighted(&compound_weights);
        let compound = &input.compounds[ci];
        let trouble = input.trouble[ci];
        let Some(&bi) =
            buildings_of[ci].get(rng.int(0, buildings_of[ci].len() as i64 - 1) as usize)
        else {
            continue;
        };
        let building = &input.buildings[bi];
        let mut category = CATEGORY_WEIGHTS[rng.weighted(&categories)].0;
        if category.is_household_fault() && rng.chance(trouble * 0.5) {
            category = *rng.pick(&[
                Category::LowTemperature,
                Category::NoHeat,
                Category::Complaint,
            ]);
        }
        let channel = CHANNEL_WEIGHTS[rng.weighted(&channels)].0;
        let severity = match category {
            Category::Leak if rng.chance(0.4) => Severity::Emergency,
            Category::Leak | Category::NoHeat if rng.chance(0.5) => Severity::Urgent,
            _ if rng.chance(0.08) => Severity::Urgent,
            _ => Severity::Normal,
        };
        let day = rng.weighted(&day_weights) as i64;
        let mut created = input.start.and_time(NaiveTime::MIN)
            + Duration::days(day)
            + minutes(rng.range(7.0 * 60.0, 22.0 * 60.0));
        if created > input.now {
            // today's reports so far: the hours before "now"
            created = input.now - minutes(rng.range(5.0, 10.0 * 60.0));
        }
        let (respond_by, deadline) = deadlines(&rules, category, severity, created);
        let id = n as i64 + 1;
        let floor = rng.int(1, building.floors as i64);
        let unit = rng.int(1, building.units.max(1) as i64);
        let descriptions = input.words.descriptions(category);
        let new = NewTicket {
            channel,
            category,
            severity,
            building_id: building.id,
            address_detail: format!("{unit}单元 {floor}{:02}", rng.int(1, 4)),
            reporter_name: format!(
                "{}{}",
                rng.pick(&input.words.surnames),
                rng.pick(&["先生", "女士"])
            ),
            reporter_phone: format!(
                "1{}{:09}",
                rng.pick(&[3, 5, 8]),
                rng.next_u64() % 1_000_000_000
            ),
            description: if descriptions.is_empty() {
                String::new()
            } else {
                rng.pick(&descriptions).to_string()
            },
        };
        let mut ticket = Ticket::received(id, &new, created, (respond_by, deadline));
        let dispatcher = rng.pick(&input.words.dispatchers).to_string();
        let push = |season: &mut Season,
                    t: &mut Ticket,
                    at: NaiveDateTime,
                    action: &str,
                    to: TicketStatus,
                    note: String| {
            season.events.push(TicketEvent {
                id: season.events.len() as i64 + 1,
                ticket_id: t.id,
                at,
                actor: dispatcher.clone(),
                action: action.to_string(),
                from_status: (action != "create").then_some(t.status),
                to_status: to,
                team_id: t.team_id,
                note,
            });
            if action != "create" {
                t.version += 1;
            }
            t.status = to;
            t.updated_at = at;
        };
        push(
            &mut season,
            &mut ticket,
            created,
            "create",
            TicketStatus::Received,
            String::new(),
        );

        // walk the lifecycle until "now" stops it
        let resolve = (deadline - created).num_minutes() as f64;
        let respond = (respond_by - created).num_minutes() as f64;
        let candidates: Vec<&Team> = teams_of
            .get(&compound.department_id)
            .map(|ts| {
                ts.iter()
                    .copied()
                    .filter(|t| t.skills.contains(&category.needed_skill()))
                    .collect()
            })
            .unwrap_or_default();
        let team = if candidates.is_empty() {
            rng.pick(input.teams)
        } else {
            *rng.pick(&candidates)
        };
        // the dispatch desk has a backlog: part of the last hours' reports still wait in the queue
        let backlog = input.now - created < Duration::hours(8) && rng.chance(0.45);
        let assign_at = if backlog {
            input.now + Duration::hours(1)
        } else {
            created + minutes(rng.range(3.0, 40.0))
        };
        let accept_at = assign_at + minutes(rng.range(2.0, 180.0));
        let arrive_at = created + minutes(respond * rng.range(0.3, 1.1 + trouble * 0.8));
        let fix_at =
            arrive_at.max(created + minutes(resolve * rng.range(0.1, 0.75 + trouble * 0.9)));
        let callback_at = fix_at + minutes(rng.range(60.0, 24.0 * 60.0));
        let close_at = callback_at + minutes(rng.range(5.0, 6.0 * 60.0));
        let stuck = rng.unit();

        'life: {
            if assign_at > input.now {
                break 'life;
            }
            ticket.team_id = Some(team.id);
            push(
                &mut season,
                &mut ticket,
                assign_at,
                "assign",
                TicketStatus::Assigned,
                String::new(),
            );
            if accept_at > input.now {
                break 'life;
            }
            push(
                &mut season,
                &mut ticket,
                accept_at,
                "accept",
                TicketStatus::Accepted,
                String::new(),
            );
            if arrive_at > input.now {
                break 'life;
            }
            push(
                &mut season,
                &mut ticket,
                arrive_at,
                "arrive",
                TicketStatus::OnSite,
                String::new(),
            );
            if fix_at > input.now {
                // some open work is on hold or escalated
                if stuck < 0.15 {
                    let at = arrive_at + minutes(30.0);
                    if at <= input.now {
                        push(
                            &mut season,
                            &mut ticket,
                            at,
                            "hold",
                            TicketStatus::OnHold,
                            "待备件 / 住户不在家".into(),
                        );
                    }
                } else if stuck < 0.25 {
                    let at = arrive_at + minutes(45.0);
                    if at <= input.now {
                        push(
                            &mut season,
                            &mut ticket,
                            at,
                            "escalate",
                            TicketStatus::Escalated,
                            "需要管网抢修队".into(),
                        );
                    }
                }
                break 'life;
            }
            ticket.fixed_at = Some(fix_at);
            ticket.timely = Some(fix_at <= deadline);
            push(
                &mut season,
                &mut ticket,
                fix_at,
                "fix",
                TicketStatus::Fixed,
                String::new(),
            );
            if callback_at > input.now {
                break 'life;
            }
            let late = fix_at > deadline;
            let p_dissatisfied = 0.03 + trouble * 0.35 + if late { 0.2 } else { 0.0 };
            let answer = if rng.chance(p_dissatisfied) {
                SurveyAnswer::Dissatisfied
            } else if rng.chance(0.25) {
                SurveyAnswer::BasicallySatisfied
            } else {
                SurveyAnswer::Satisfied
            };
            ticket.satisfaction = Some(answer);
            season.surveys.push(SurveyResponse {
                id: season.surveys.len() as i64 + 1,
                building_id: building.id,
                ticket_id: Some(id),
                visit_id: None,
                answer,
                at: callback_at,
            });
            push(
                &mut season,
                &mut ticket,
                callback_at,
                "callback",
                TicketStatus::CallbackDone,
                answer.code().into(),
            );
            if close_at > input.now {
                break 'life;
            }
            ticket.closed_at = Some(close_at);
            push(
                &mut season,
                &mut ticket,
                close_at,
                "close",
                TicketStatus::Closed,
                String::new(),
            );
        }
        season.tickets.push(ticket);
    }

    visits(rng, input, days, &mut season);
    season
}

/// Leaders visit the most troubled compounds more often; each visit measures rooms and asks
/// residents how satisfied they are.
fn visits(rng: &mut Rng, input: &SeasonInput<'_>, days: i64, season: &mut Season) {
    let weights = cumulative(input.trouble.iter().map(|t| 0.2 + t * t * 4.0));
    let mut first_building: std::collections::HashMap<CompoundId, Vec<&Building>> =
        Default::default();
    for b in input.buildings {
        first_building.entry(b.compound_id).or_default().push(b);
    }
    for day in 0..days {
        for _ in 0..input.visits_per_day {
            let ci = rng.weighted(&weights);
            let compound = &input.compounds[ci];
            let trouble = input.trouble[ci];
            let at = input.start.and_time(NaiveTime::MIN)
                + Duration::days(day)
                + minutes(rng.range(9.0 * 60.0, 16.0 * 60.0));
            if at > input.now {
                continue;
            }
            let Some(buildings) = first_building.get(&compound.id) else {
                continue;
            };
            let mut leaders = vec![rng.pick(&input.words.leaders).to_string()];
            if rng.chance(0.5) {
                leaders.push(rng.pick(&input.words.leaders).to_string());
            }
            leaders.dedup();
            let households = rng.int(3, 10) as u32;
            let visit_id = season.visits.len() as i64 + 1;
            season.visits.push(Visit {
                id: visit_id,
                compound_id: compound.id,
                at,
                leaders: leaders.join("、"),
                staff: String::new(),
                consultation_desk: rng.chance(0.4),
                households_entered: households,
                notes: String::new(),
            });
            for h in 0..households {
                let building = *rng.pick(buildings);
                let when = at + minutes(h as f64 * 12.0);
                for room in ["卧室", "客厅"] {
                    let celsius = rng.normal(21.0 - 4.0 * trouble, 1.1).clamp(10.0, 26.0);
                    season.readings.push(TemperatureReading {
                        id: season.readings.len() as i64 + 1,
                        building_id: building.id,
                        visit_id: Some(visit_id),
                        room: room.into(),
                        celsius: (celsius * 10.0).round() / 10.0,
                        method: if rng.chance(0.6) {
                            TempMethod::Thermometer
                        } else {
                            TempMethod::InfraredAverage
                        },
                        taken_at: when,
                        taken_by: leaders[0].clone(),
                    });
                }
                let answer = if rng.chance(0.03 + trouble * 0.45) {
                    SurveyAnswer::Dissatisfied
                } else if rng.chance(0.3) {
                    SurveyAnswer::BasicallySatisfied
                } else {
                    SurveyAnswer::Satisfied
                };
                season.surveys.push(SurveyResponse {
                    id: season.surveys.len() as i64 + 1,
                    building_id: building.id,
                    ticket_id: None,
                    visit_id: Some(visit_id),
                    answer,
                    at: when,
                });
            }
        }
    }
}

/// A network fault for the dispatcher to find: since this morning most buildings of one
/// compound's branch report no heat or cold rooms (a valve on the branch has failed shut).
/// The reports wait in the queue, as they would before anyone sees the pattern.
pub fn plant_network_fault(
    rng: &mut Rng,
    season: &mut Season,
    words: &Words,
    buildings: &[&Building],
    now: NaiveDateTime,
) {
    let rules = default_rules();
    let dispatcher = rng.pick(&words.dispatchers).to_string();
    // all but one building: a cluster, yet not a whole-station outage
    let hit = buildings
        .len()
        .saturating_sub(1)
        .max(3)
        .min(buildings.len());
    for (k, building) in buildings.iter().take(hit).enumerate() {
        let category = if k % 3 == 2 {
            Category::LowTemperature
        } else {
            Category::NoHeat
        };
        let created = now - minutes(rng.range(20.0, 5.0 * 60.0));
        let new = NewTicket {
            channel: *rng.pick(&[Channel::Hotline, Channel::Hotline, Channel::Online]),
            category,
            severity: Severity::Urgent,
            building_id: building.id,
            address_detail: format!(
                "{}单元 {}{:02}",
                rng.int(1, building.units.max(1) as i64),
                rng.int(1, building.floors as i64),
                rng.int(1, 4)
            ),
            reporter_name: format!(
                "{}{}",
                rng.pick(&words.surnames),
                rng.pick(&["先生", "女士"])
            ),
            reporter_phone: format!("13{:09}", rng.next_u64() % 1_000_000_000),
            description: words
                .descriptions(category)
                .first()
                .map_or(String::new(), |d| d.to_string()),
        };
        let id = season.tickets.last().map_or(1, |t| t.id + 1);
        let due = deadlines(&rules, category, Severity::Urgent, created);
        season
            .tickets
            .push(Ticket::received(id, &new, created, due));
        season.events.push(TicketEvent {
            id: season.events.last().map_or(1, |e| e.id + 1),
            ticket_id: id,
            at: created,
            actor: dispatcher.clone(),
            action: "create".into(),
            from_status: None,
            to_status: TicketStatus::Received,
            team_id: None,
            note: String::new(),
        });
    }
}
