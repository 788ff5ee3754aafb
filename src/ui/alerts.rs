//! Suspected network faults: complaint clusters shown above the queue, each one click from a
//! network ticket that gathers the household reports it explains.

use egui::{Color32, RichText, Ui};

use super::app::HeatDeskApp;
use crate::domain::trace::Cluster;
use crate::domain::*;
use crate::words::{self, Key};

/// Where the cluster points, as a dispatcher names it: the station, or the compound's branch.
pub fn place(app: &HeatDeskApp, c: &Cluster) -> String {
    if let Some(s) = app
        .console
        .snapshot()
        .stations
        .iter()
        .find(|s| s.node == c.node)
    {
        return s.name.clone();
    }
    let compound = c
        .buildings
        .first()
        .and_then(|&b| app.console.snapshot().building(b))
        .and_then(|b| app.console.snapshot().compound(b.compound_id))
        .map_or(String::new(), |x| x.name.clone());
    format!("{compound} {}", app.tr(Key::Branch))
}

/// "疑似管网故障 · 长城小区 支线 · 4/6 栋楼报不热"
pub fn headline(app: &HeatDeskApp, c: &Cluster) -> String {
    format!(
        "{} · {} · {}/{} {}",
        app.tr(Key::SuspectedFault),
        place(app, c),
        c.buildings.len(),
        c.fed_buildings,
        app.tr(Key::BuildingsCold)
    )
}

/// The network ticket a cluster calls for: at a station, a station fault; below it, a branch
/// out of balance (a closed or clogged valve, a blocked line).
pub fn network_ticket(app: &HeatDeskApp, c: &Cluster) -> Command {
    let at_station = app
        .console
        .snapshot()
        .stations
        .iter()
        .any(|s| s.node == c.node);
    let ids: Vec<String> = c.tickets.iter().map(|t| format!("#{t}")).collect();
    Command::NetworkTicket {
        category: if at_station {
            Category::EntryOrStationFault
        } else {
            Category::HydraulicImbalance
        },
        severity: Severity::Urgent,
        building_id: c.buildings[0],
        segment: c.feeding_segment,
        description: format!("{} ({})", headline(app, c), ids.join(" ")),
        linked: c.tickets.clone(),
    }
}

/// The widest alerts listed above the queue (all of them are on the map).
const SHOWN: usize = 5;

/// The alerts above the queue; nothing when there are none.
pub fn show(app: &mut HeatDeskApp, ui: &mut Ui) {
    if app.console.views().alerts.clusters.is_empty() {
        return;
    }
    let lang = app.lang();
    let orange = Color32::from_rgb(0xe6, 0x51, 0x00);
    let mut fly = None;
    let mut create = None;
    egui::Frame::group(ui.style())
        .stroke(egui::Stroke::new(1.5, orange))
        .show(ui, |ui| {
            ui.label(
                RichText::new(format!(
                    "{} ({})",
                    words::t(lang, Key::SuspectedFault),
                    app.console.views().alerts.clusters.len()
                ))
                .strong()
                .color(orange),
            );
            for (i, c) in app
                .console
                .views()
                .alerts
                .clusters
                .iter()
                .enumerate()
                .take(SHOWN)
            {
                ui.horizontal(|ui| {
                    if ui.small_button(words::t(lang, Key::Locate)).clicked() {
                        fly = Some(i);
                    }
                    if ui
                        .small_button(words::t(lang, Key::CreateNetworkTicket))
                        .clicked()
                    {
                        create = Some(i);
                    }
                    ui.add(
                        egui::Label::new(format!(
                            "{} · {}/{} {} · {} {}",
                            place(app, c),
                            c.buildings.len(),
                            c.fed_buildings,
                            words::t(lang, Key::BuildingsCold),
                            c.tickets.len(),
                            words::t(lang, Key::TicketsWord)
                        ))
                        .truncate(),
                    );
                });
            }
            if app.console.views().alerts.clusters.len() > SHOWN {
                ui.label(
                    RichText::new(format!(
                        "+{} ({})",
                        app.console.views().alerts.clusters.len() - SHOWN,
                        words::t(lang, Key::SeeMap)
                    ))
                    .weak(),
                );
            }
        });
    if let Some(i) = fly {
        let c = &app.console.views().alerts.clusters[i];
        app.map.fly_to(c.position, 16.5);
        app.trace = Some(crate::map::Highlight {
            text: headline(app, c),
            buildings: c.buildings.iter().copied().collect(),
            ..Default::default()
        });
    }
    if let Some(i) = create {
        let command = network_ticket(app, &app.console.views().alerts.clusters[i]);
        app.send_from(crate::console::Tag::NetworkTicket, command);
    }
}
