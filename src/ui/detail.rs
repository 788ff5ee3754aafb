//! The detail panel: whatever is selected, its figures, and for a ticket its history and
//! the next steps of its lifecycle.

use egui::{Color32, RichText, Ui};

use super::app::{HeatDeskApp, Selection};
use crate::domain::kpi::Ratio;
use crate::domain::lifecycle::next_actions;
use crate::domain::*;
use crate::words::format::{countdown, mask_phone, percent, time};
use crate::words::{self, Key};

pub fn show(app: &mut HeatDeskApp, ui: &mut Ui) {
    ui.heading(app.tr(Key::Detail));
    let lang = app.lang();
    if let Some(n) = &mut app.notice {
        let colour = if n.ok {
            Color32::from_rgb(0x2e, 0x7d, 0x32)
        } else {
            Color32::from_rgb(0xc6, 0x28, 0x28)
        };
        // in the console's language, said again if it changed since; a long refusal wraps
        // within the panel: said in full, never cut at its edge
        let text = n.in_lang(lang).to_string();
        ui.add(egui::Label::new(RichText::new(text).color(colour)).wrap());
    }
    ui.separator();
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| match app.selection {
            None => {
                ui.label(RichText::new(app.tr(Key::NothingSelected)).weak());
            }
            Some(Selection::Ticket(id)) => ticket(app, ui, id),
            Some(sel) => {
                ui.label(summary(app, sel));
                if let Selection::Building(b) = sel {
                    ticket_links(app, ui, |t| t.building_id == b);
                }
                if let Selection::Team(team) = sel {
                    ticket_links(app, ui, |t| t.team_id == Some(team));
                }
                if let Selection::Compound(c) = sel
                    && ui.button(app.tr(Key::RecordVisit)).clicked()
                {
                    let now = app.now();
                    app.visit_form.open_for(app.console.snapshot(), c, now);
                }
                super::trace_panel::show(app, ui, sel);
            }
        });
}

/// Open tickets matching `filter`, as links that open them.
fn ticket_links(app: &mut HeatDeskApp, ui: &mut Ui, filter: impl Fn(&Ticket) -> bool) {
    let lang = app.lang();
    let links: Vec<(TicketId, String)> = app
        .console
        .snapshot()
        .tickets
        .iter()
        .filter(|t| t.status.is_open() && filter(t))
        .map(|t| {
            (
                t.id,
                format!(
                    "#{} {} · {}",
                    t.id,
                    words::category(lang, t.category),
                    words::status(lang, t.status)
                ),
            )
        })
        .collect();
    ui.horizontal_wrapped(|ui| {
        for (id, label) in links {
            if ui.link(label).clicked() {
                app.select(Selection::Ticket(id));
            }
        }
    });
}

/// Answers counted as satisfied (the company's definition) of all answers.
fn ratio((yes, all): (u32, u32)) -> Ratio {
    Ratio {
        numerator: yes as u64,
        denominator: all as u64,
    }
}

/// A few lines about anything selectable: used in the detail panel and the map's tooltip.
pub fn summary(app: &HeatDeskApp, sel: Selection) -> String {
    let lang = app.lang();
    let tr = |k| words::t(lang, k);
    let snap = app.console.snapshot();
    match sel {
        Selection::Compound(id) => {
            let Some(c) = snap.compound(id) else {
                return String::new();
            };
            let views = app.console.views();
            let buildings: Vec<usize> = (0..snap.buildings.len())
                .filter(|&b| snap.buildings[b].compound_id == id)
                .collect();
            let open = snap
                .compound_pos(id)
                .and_then(|c| views.counts.open_by_compound.get(c))
                .copied()
                .unwrap_or(0);
            let sat = ratio(views.sums.satisfaction(buildings.iter().copied()));
            let last_visit = snap
                .visits
                .iter()
                .filter(|v| v.compound_id == id)
                .map(|v| v.at)
                .max();
            format!(
                "{}\n{}: {}\n{}: {}\n{}: {} · {}: {}\n{}: {}\n{}: {}\n{}: {}",
                c.name,
                tr(Key::Address),
                c.address,
                tr(Key::Department),
                snap.department_name(c.department_id),
                tr(Key::Households),
                c.households,
                tr(Key::Buildings),
                buildings.len(),
                tr(Key::OpenFaults),
                open,
                tr(Key::Satisfaction),
                percent(sat),
                tr(Key::LastVisit),
                last_visit.map_or(tr(Key::Never).to_string(), time),
            )
        }
        Selection::Building(id) => {
            let Some(b) = snap.building(id) else {
                return String::new();
            };
            let views = app.console.views();
            let at = snap.building_pos(id);
            let open = at
                .and_then(|b| views.counts.open_by_building.get(b))
                .copied()
                .unwrap_or(0);
            let sat = ratio(views.sums.satisfaction(at.into_iter()));
            let station = snap
                .stations
                .iter()
                .find(|s| s.id == b.station_id)
                .map_or("", |s| &s.name);
            format!(
                "{}\n{}: {} · {}: {} · {}: {}\n{}: {}\n{}: {}\n{}: {}",
                snap.building_label(id),
                tr(Key::Units),
                b.units,
                tr(Key::Floors),
                b.floors,
                tr(Key::Households),
                b.households,
                tr(Key::Station),
                station,
                tr(Key::OpenFaults),
                open,
                tr(Key::Satisfaction),
                percent(sat),
            )
        }
        Selection::Ticket(id) => snap.ticket(id).map_or(String::new(), |t| {
            format!(
                "#{} {} · {}\n{}",
                t.id,
                words::category(lang, t.category),
                words::status(lang, t.status),
                snap.building_label(t.building_id)
            )
        }),
        Selection::Team(id) => snap.team(id).map_or(String::new(), |t| {
            let skills: Vec<&str> = t.skills.iter().map(|s| words::skill(lang, *s)).collect();
            format!(
                "{} · {}\n{}: {}\n{}: {}\n{}: {}",
                t.name,
                words::team_status(lang, t.status),
                tr(Key::Members),
                t.members.join("、"),
                tr(Key::Skills),
                skills.join(" · "),
                tr(Key::Workload),
                app.console
                    .views()
                    .board
                    .open_by_team
                    .get(&id)
                    .map_or(0, Vec::len)
            )
        }),
        Selection::Station(id) => {
            snap.stations
                .iter()
                .find(|s| s.id == id)
                .map_or(String::new(), |s| {
                    let fed: Vec<&Building> = snap
                        .buildings
                        .iter()
                        .filter(|b| b.station_id == id)
                        .collect();
                    format!(
                        "{}\n{}: {}\n{}: {} · {}: {}",
                        s.name,
                        tr(Key::Department),
                        snap.department_name(s.department_id),
                        tr(Key::Buildings),
                        fed.len(),
                        tr(Key::Households),
                        fed.iter().map(|b| b.households).sum::<u32>()
                    )
                })
        }
        Selection::Source(id) => snap
            .sources
            .iter()
            .find(|s| s.id == id)
            .map_or(String::new(), |s| {
                format!("{}\n{}: {} MW", s.name, tr(Key::Capacity), s.capacity_mw)
            }),
        Selection::Pipe(id) => {
            snap.segment_pos(id)
                .map(|i| &snap.segments[i])
                .map_or(String::new(), |p| {
                    format!(
                        "{} #{}\n{}: DN{}\n{}: {}",
                        words::tier(lang, p.tier, p.flow),
                        p.id,
                        tr(Key::Diameter),
                        p.dn,
                        tr(Key::LaidIn),
                        p.laid_year
                    )
                })
        }
    }
}

fn ticket(app: &mut HeatDeskApp, ui: &mut Ui, id: TicketId) {
    let Some(t) = app.console.snapshot().ticket(id).cloned() else {
        // one of the season's settled tickets: read it at this frame's step (once)
        if app.shown_ticket != Some(id) {
            app.shown_ticket = Some(id);
            app.console.push(crate::console::Request::Show(id));
            ui.spinner();
        } else {
            ui.label(RichText::new(format!("#{id} ?")).weak());
        }
        return;
    };
    let lang = app.lang();
    let tr = |k| words::t(lang, k);
    let now = app.now();
    ui.horizontal(|ui| {
        ui.label(
            RichText::new(format!(
                "#{} {} · {}",
                t.id,
                words::category(lang, t.category),
                words::severity(lang, t.severity)
            ))
            .strong()
            .size(16.0),
        );
        ui.label(
            RichText::new(words::status(lang, t.status)).color(Color32::from_rgb(0x0b, 0x3d, 0x91)),
        );
    });
    ui.columns(2, |cols| {
        let ui = &mut cols[0];
        egui::Grid::new("ticket_fields")
            .num_columns(2)
            .spacing([12.0, 2.0])
            .show(ui, |ui| {
                ui.label(tr(Key::Address));
                ui.label(format!(
                    "{} {}",
                    app.console.snapshot().building_label(t.building_id),
                    t.address_detail
                ));
                ui.end_row();
                ui.label(tr(Key::Reporter));
                ui.horizontal(|ui| {
                    // numbers stay masked until the operator asks, ticket by ticket (logged)
                    if app.revealed_phone == Some(t.id) {
                        ui.label(format!("{} {}", t.reporter_name, t.reporter_phone));
                    } else {
                        ui.label(format!("{} {}", t.reporter_name, mask_phone(&t.reporter_phone)));
                        if !t.reporter_phone.is_empty() && ui.small_button(tr(Key::RevealPhone)).clicked() {
                            tracing::info!(actor = %app.prefs.operator, ticket = t.id, "phone number revealed");
                            app.revealed_phone = Some(t.id);
                        }
                    }
                });
                ui.end_row();
                ui.label(tr(Key::Channel));
                ui.label(words::channel(lang, t.channel));
                ui.end_row();
                ui.label(tr(Key::Created));
                ui.label(time(t.created_at));
                ui.end_row();
                ui.label(tr(Key::RespondBy));
                ui.label(time(t.respond_by));
                ui.end_row();
                ui.label(tr(Key::Deadline));
                let (left, overdue) = countdown(lang, t.deadline, now);
                let text = if t.status.is_open() {
                    format!("{} ({left})", time(t.deadline))
                } else {
                    time(t.deadline)
                };
                ui.label(if overdue && t.status.is_open() {
                    RichText::new(text).color(Color32::RED)
                } else {
                    RichText::new(text)
                });
                ui.end_row();
                ui.label(tr(Key::Team));
                ui.label(
                    t.team_id
                        .and_then(|id| app.console.snapshot().team(id))
                        .map_or(tr(Key::Unassigned).to_string(), |x| x.name.clone()),
                );
                ui.end_row();
                ui.label(tr(Key::Description));
                ui.label(&t.description);
                ui.end_row();
                if let Some(parent) = t.parent_id {
                    ui.label(tr(Key::LinkedTo));
                    if ui.link(format!("#{parent}")).clicked() {
                        app.select(Selection::Ticket(parent));
                    }
                    ui.end_row();
                }
                if let Some(linked) = app.console.views().board.linked.get(&t.id).cloned() {
                    ui.label(format!("{} ({})", tr(Key::LinkedTickets), linked.len()));
                    ui.horizontal_wrapped(|ui| {
                        for id in linked {
                            let done = app.console.snapshot().ticket(id).is_some_and(|x| !x.status.is_open());
                            let text = RichText::new(format!("#{id}"));
                            if ui.link(if done { text.weak() } else { text }).clicked() {
                                app.select(Selection::Ticket(id));
                            }
                        }
                    });
                    ui.end_row();
                }
                if let Some(a) = t.satisfaction {
                    ui.label(tr(Key::Answer));
                    ui.label(words::answer(lang, a));
                    ui.end_row();
                }
            });
        // what the crew's phone said: an arrival far from the building, the photos of 完工
        let events = app.console.history(&t);
        if let Some(metres) = crate::domain::crew::far_arrival(&events) {
            cols[0].colored_label(
                Color32::from_rgb(0xc6, 0x28, 0x28),
                format!("{} {metres:.0} m (> {:.0} m)", tr(Key::FarArrival), crate::domain::crew::FAR_ARRIVAL_M),
            );
        }
        let photos = app.console.photo_count(&t);
        if photos > 0 {
            cols[0].horizontal(|ui| {
                ui.label(format!("{} {photos}", tr(Key::Photos)));
                if ui.button(tr(Key::ExportPhotos)).clicked() {
                    app.export_photos(t.id);
                }
            });
        }
        actions(app, &mut cols[0], &t);
        if (t.status.in_queue() || t.status == TicketStatus::Assigned)
            && app.console.permissions().assign
        {
            suggestions(app, &mut cols[0], &t);
        }
        let ui = &mut cols[1];
        ui.strong(tr(Key::History));
        for e in events {
            let team = e
                .team_id
                .and_then(|id| app.console.snapshot().team(id))
                .map_or(String::new(), |x| x.name.clone());
            let from = e
                .from_status
                .map_or(String::new(), |s| format!("{} -> ", words::status(lang, s)));
            ui.label(format!(
                "{} · {} · {} · {from}{} {team} {}",
                time(e.at),
                e.actor,
                words::action(lang, &e.action),
                words::status(lang, e.to_status),
                e.note
            ));
        }
    });
}

/// Buttons for the steps the lifecycle allows next.
fn actions(app: &mut HeatDeskApp, ui: &mut Ui, t: &Ticket) {
    let lang = app.lang();
    let mut chosen: Option<Action> = None;
    let mut assign_to: Option<TeamId> = None;
    ui.add_space(6.0);
    // what this user's role may do (a server refuses the rest)
    let can = app.console.permissions();
    let offered = |code: &str| {
        if code == "assign" {
            can.assign
        } else {
            can.act
        }
    };
    ui.horizontal_wrapped(|ui| {
        for &code in next_actions(t.status).iter().filter(|c| offered(c)) {
            match code {
                "assign" => {
                    let label = words::t(lang, Key::AssignTo);
                    ui.menu_button(label, |ui| {
                        for team in &app.console.snapshot().teams {
                            if ui.button(&team.name).clicked() {
                                assign_to = Some(team.id);
                            }
                        }
                    });
                }
                "callback" => {
                    for answer in SurveyAnswer::ALL {
                        let label = format!(
                            "{} · {}",
                            words::action(lang, code),
                            words::answer(lang, *answer)
                        );
                        if ui.button(label).clicked() {
                            chosen = Some(Action::Callback { answer: *answer });
                        }
                    }
                }
                _ => {
                    if ui.button(words::action(lang, code)).clicked() {
                        let reason = app.reason.clone();
                        chosen = match code {
                            "accept" => Some(Action::Accept),
                            "arrive" => Some(Action::ArriveOnSite),
                            "fix" => Some(Action::Fix),
                            "close" => Some(Action::Close),
                            "resume" => Some(Action::Resume),
                            "hold" => Some(Action::Hold { reason }),
                            "return" => Some(Action::Return { reason }),
                            "escalate" => Some(Action::Escalate { reason }),
                            _ => None,
                        };
                    }
                }
            }
        }
    });
    if can.act
        && next_actions(t.status)
            .iter()
            .any(|c| matches!(*c, "hold" | "return" | "escalate"))
    {
        ui.horizontal(|ui| {
            let label = ui.label(words::t(lang, Key::Reason));
            ui.text_edit_singleline(&mut app.reason)
                .labelled_by(label.id);
        });
    }
    if let Some(team) = assign_to {
        app.assign(t.id, t.version, team);
    }
    if let Some(action) = chosen {
        app.send(Command::Act {
            ticket: t.id,
            seen_version: t.version,
            action,
        });
    }
}

/// The best-fit teams for a ticket, each with the reasons for its rank.
fn suggestions(app: &mut HeatDeskApp, ui: &mut Ui, t: &Ticket) {
    let lang = app.lang();
    let tr = |k| words::t(lang, k);
    let ranked = crate::domain::suggest::suggest(app.console.snapshot(), t, &Default::default());
    ui.add_space(6.0);
    ui.strong(tr(Key::Suggestions));
    let mut chosen = None;
    for (rank, s) in ranked.iter().take(4).enumerate() {
        let Some(team) = app.console.snapshot().team(s.team) else {
            continue;
        };
        let why = format!(
            "{:.1} km · {} {} · {} {} · {} · {}",
            s.distance_km,
            tr(if s.has_skill {
                Key::HasSkill
            } else {
                Key::LacksSkill
            }),
            words::skill(lang, s.skill),
            tr(Key::OpenCount),
            s.open_tickets,
            tr(if s.same_department {
                Key::SameDepartment
            } else {
                Key::OtherDepartment
            }),
            words::team_status(lang, s.status),
        );
        ui.horizontal(|ui| {
            ui.label(format!("{}. {}", rank + 1, team.name));
            if ui.small_button(tr(Key::Assign)).clicked() {
                chosen = Some(s.team);
            }
        });
        ui.label(RichText::new(why).small().weak());
    }
    if let Some(team) = chosen {
        app.assign(t.id, t.version, team);
    }
}
