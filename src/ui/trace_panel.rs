//! Trace buttons for a selected pipe or station: what it feeds, and which valves isolate a
//! burst on it — shown on the map and summed up for the dispatcher.

use egui::{RichText, Ui};

use super::app::{HeatDeskApp, Selection};
use crate::domain::trace::TraceFrom;
use crate::map::Highlight;
use crate::words::{self, Key};

pub fn show(app: &mut HeatDeskApp, ui: &mut Ui, sel: Selection) {
    let lang = app.lang();
    let tr = |k| words::t(lang, k);
    let from = match sel {
        Selection::Pipe(id) => TraceFrom::Segment(id),
        Selection::Station(id) => match app.console.snapshot().stations.iter().find(|s| s.id == id)
        {
            Some(s) => TraceFrom::Node(s.node),
            None => return,
        },
        _ => return,
    };
    ui.horizontal(|ui| {
        if ui.button(tr(Key::TraceDownstream)).clicked() {
            let net = app.network();
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
            let net = app.network();
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
        if app.trace.is_some() {
            if ui.button(tr(Key::ClearTrace)).clicked() {
                app.trace = None;
            }
            outage_buttons(app, ui);
            super::crews::outage_messages(app, ui);
        }
    });
    if let Some(t) = &app.trace {
        ui.label(RichText::new(&t.text).strong());
    }
}

/// Export who loses heat in the current trace, for informing residents.
pub fn outage_buttons(app: &mut HeatDeskApp, ui: &mut Ui) {
    let lang = app.lang();
    for ext in ["csv", "xlsx"] {
        let label = format!(
            "{} {}",
            words::t(lang, Key::OutageNotice),
            ext.to_uppercase()
        );
        if ui.button(label).clicked() {
            let Some(trace) = &app.trace else { return };
            let mut buildings: Vec<_> = trace.buildings.iter().copied().collect();
            buildings.sort_unstable();
            let table =
                crate::export::outage::outage_notice(app.console.snapshot(), &buildings, lang);
            app.export("outage", ext, &[table]);
        }
    }
}
