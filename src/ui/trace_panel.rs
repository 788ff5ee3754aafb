//! Trace buttons for a selected pipe or station: what it feeds, and which valves isolate a
//! burst on it — shown on the map and summed up for the dispatcher.

use egui::{RichText, Ui};

use super::app::{HeatDeskApp, Selection};
use super::i18n::{self, Key};
use crate::domain::trace::{Network, TraceFrom};
use crate::map::Highlight;

pub fn show(app: &mut HeatDeskApp, ui: &mut Ui, sel: Selection) {
    let lang = app.lang();
    let tr = |k| i18n::t(lang, k);
    let from = match sel {
        Selection::Pipe(id) => TraceFrom::Segment(id),
        Selection::Station(id) => match app.snap.stations.iter().find(|s| s.id == id) {
            Some(s) => TraceFrom::Node(s.node),
            None => return,
        },
        _ => return,
    };
    ui.horizontal(|ui| {
        if ui.button(tr(Key::TraceDownstream)).clicked() {
            let net = Network::build(&app.snap);
            let down = net.downstream(from);
            let s = net.summary(&down.buildings);
            app.trace = Some(Highlight {
                text: format!(
                    "{}: {} {} · {} {} · {} {} · {} {}",
                    tr(Key::TraceDownstream),
                    s.compounds,
                    tr(Key::Compounds),
                    s.buildings,
                    tr(Key::Buildings),
                    s.households,
                    tr(Key::Households),
                    s.open_tickets,
                    tr(Key::OpenFaults)
                ),
                segments: down.segments.into_iter().collect(),
                buildings: down.buildings.into_iter().collect(),
                valves: Vec::new(),
            });
        }
        if let TraceFrom::Segment(segment) = from
            && ui.button(tr(Key::Isolate)).clicked()
        {
            let net = Network::build(&app.snap);
            let iso = net.isolate(segment);
            let s = net.summary(&iso.buildings_without_heat);
            let ids = |v: &[i64]| {
                v.iter()
                    .map(|x| format!("#{x}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            app.trace = Some(Highlight {
                text: format!(
                    "{}: {} {} ({} {}) · {} {} · {} {}",
                    tr(Key::Isolate),
                    tr(Key::CloseValves),
                    ids(&iso.valves),
                    tr(Key::SeizedSkipped),
                    ids(&iso.skipped),
                    s.buildings,
                    tr(Key::LoseHeat),
                    s.households,
                    tr(Key::Households)
                ),
                segments: [segment].into_iter().collect(),
                buildings: iso.buildings_without_heat.into_iter().collect(),
                valves: iso.valves,
            });
        }
        if app.trace.is_some() && ui.button(tr(Key::ClearTrace)).clicked() {
            app.trace = None;
        }
    });
    if let Some(t) = &app.trace {
        ui.label(RichText::new(&t.text).strong());
    }
}
