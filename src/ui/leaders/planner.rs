//! Which compounds to visit next: the ranked list with its reasons, weights on sliders, a
//! pick for the day and the route through it, drawn on the map and exportable for the car.

use egui::{RichText, Ui};

use crate::domain::planner::{Factor, Priority, Route, compound_stop, plan_route};
use crate::domain::*;
use crate::export::{Cell, Table};
use crate::map::overlays::RouteOverlay;
use crate::ui::app::{HeatDeskApp, Selection};
use crate::words::{self, Key, Lang};

/// Minutes a visit takes at each compound (consultation desk, a few households).
pub const MINUTES_PER_STOP: f64 = 60.0;

/// The ranking: the figures once per change of what they depend on, the scores again when a
/// weight moves.
fn ranked(app: &mut HeatDeskApp) -> &[Priority] {
    let now = app.now();
    let (snap, views) = app.console.views_mut();
    let made_from = views.versions.leaders;
    views
        .leaders
        .ranked(snap, &views.facts, made_from, &app.leaders.weights, now)
}

/// Where the leaders' car sets out from: the company's office, at the city centre.
fn start(app: &HeatDeskApp) -> LonLat {
    app.city_centre()
}

/// The route through the picked compounds, kept until the pick changes.
fn route(app: &mut HeatDeskApp) -> Option<&Route> {
    let picked = app.leaders.picked.clone();
    if picked.is_empty() {
        app.leaders.route = None;
        return None;
    }
    if app.leaders.route.as_ref().is_none_or(|r| r.0 != picked) {
        let stops: Vec<LonLat> = picked
            .iter()
            .map(|&c| compound_stop(app.console.snapshot(), c).unwrap_or([0.0, 0.0]))
            .collect();
        let r = plan_route(start(app), &stops);
        app.leaders.route = Some((picked, r));
    }
    app.leaders.route.as_ref().map(|r| &r.1)
}

pub fn factor_name(lang: Lang, f: Factor) -> &'static str {
    match f {
        Factor::OpenTickets => lang.pick("在办工单/百户", "open tickets /100 hh"),
        Factor::Overdue => lang.pick("超时工单", "overdue tickets"),
        Factor::Complaints => lang.pick("投诉/千户", "complaints /1000 hh"),
        Factor::Dissatisfaction => lang.pick("不满意占比", "dissatisfied share"),
        Factor::ColdRooms => lang.pick("室温不达标占比", "cold-room share"),
        Factor::RepeatFaults => lang.pick("重复故障楼栋", "repeat-fault buildings"),
        Factor::DaysSinceVisit => lang.pick("距上次走访天数", "days since last visit"),
    }
}

fn value_text(f: Factor, v: f64) -> String {
    match f {
        Factor::Dissatisfaction | Factor::ColdRooms => format!("{:.0}%", v * 100.0),
        Factor::Overdue | Factor::RepeatFaults => format!("{v:.0}"),
        _ => format!("{v:.1}"),
    }
}

/// "超时工单 3 (+2.0) · 不满意占比 40% (+1.6)": the largest contributions, in words.
pub fn explain(lang: Lang, p: &Priority, top: usize) -> String {
    p.contributions
        .iter()
        .filter(|c| c.points > 0.005)
        .take(top)
        .map(|c| {
            format!(
                "{} {} (+{:.1})",
                factor_name(lang, c.factor),
                value_text(c.factor, c.value),
                c.points
            )
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

pub fn show(app: &mut HeatDeskApp, ui: &mut Ui) {
    let lang = app.lang();
    let tr = |k| words::t(lang, k);
    egui::CollapsingHeader::new(tr(Key::Weights))
        .default_open(false)
        .show(ui, |ui| {
            for f in Factor::ALL {
                let w = app.leaders.weights.get_mut(f);
                ui.add(egui::Slider::new(w, 0.0..=3.0).text(factor_name(lang, f)));
            }
        });
    ui.horizontal(|ui| {
        if ui.button(tr(Key::SuggestN)).clicked() {
            let n = app.leaders.suggest_n;
            let top: Vec<CompoundId> = ranked(app).iter().take(n).map(|p| p.compound).collect();
            app.leaders.picked = top;
        }
        ui.add(egui::DragValue::new(&mut app.leaders.suggest_n).range(1..=12));
        if ui.button(tr(Key::ClearPick)).clicked() {
            app.leaders.picked.clear();
        }
    });
    route_summary(app, ui);
    ui.separator();
    let list: Vec<Priority> = ranked(app).to_vec();
    let mut fly = None;
    let mut visit = None;
    egui::ScrollArea::vertical()
        .id_salt("planner")
        .auto_shrink([false, false])
        .show_rows(ui, 44.0, list.len(), |ui, range| {
            for (rank, p) in list.iter().enumerate().skip(range.start).take(range.len()) {
                let name = app
                    .console
                    .snapshot()
                    .compound(p.compound)
                    .map_or(String::new(), |c| c.name.clone());
                ui.horizontal(|ui| {
                    let mut picked = app.leaders.picked.contains(&p.compound);
                    if ui.checkbox(&mut picked, "").changed() {
                        if picked {
                            app.leaders.picked.push(p.compound);
                        } else {
                            app.leaders.picked.retain(|c| *c != p.compound);
                        }
                    }
                    ui.label(format!("{}.", rank + 1));
                    if ui.link(RichText::new(&name).strong()).clicked() {
                        fly = Some(p.compound);
                    }
                    ui.label(RichText::new(format!("{:.2}", p.score)).strong())
                        .on_hover_text(explain(lang, p, Factor::ALL.len()));
                    if ui.small_button(tr(Key::RecordVisit)).clicked() {
                        visit = Some(p.compound);
                    }
                });
                ui.label(RichText::new(explain(lang, p, 3)).small());
            }
        });
    if let Some(c) = fly {
        app.select_and_fly(Selection::Compound(c));
    }
    if let Some(c) = visit {
        let now = app.now();
        let snap = app.console.snapshot();
        app.visit_form.open_for(snap, c, now);
    }
}

fn route_summary(app: &mut HeatDeskApp, ui: &mut Ui) {
    let lang = app.lang();
    let tr = |k| words::t(lang, k);
    let Some(route) = route(app).cloned() else {
        ui.label(RichText::new(tr(Key::PickHint)).weak());
        return;
    };
    let picked = app.leaders.picked.clone();
    let minutes: f64 =
        route.leg_minutes().iter().sum::<f64>() + MINUTES_PER_STOP * picked.len() as f64;
    ui.label(
        RichText::new(format!(
            "{}: {} {} · {:.1} km · {} {:.0} min",
            tr(Key::Route),
            picked.len(),
            tr(Key::Stops),
            route.total_km(),
            tr(Key::About),
            minutes
        ))
        .strong(),
    );
    for (k, (&i, leg)) in route.order.iter().zip(route.leg_minutes()).enumerate() {
        let name = app
            .console
            .snapshot()
            .compound(picked[i])
            .map_or(String::new(), |c| c.name.clone());
        ui.label(format!("{}. {name}  (+{leg:.0} min)", k + 1));
    }
    ui.horizontal(|ui| {
        for ext in ["xlsx", "csv"] {
            if ui
                .button(format!("{} {}", tr(Key::ExportRoute), ext.to_uppercase()))
                .clicked()
            {
                let table = route_table(app, &picked, &route);
                app.export("visit-route", ext, &[table]);
            }
        }
    });
}

/// The printable list for the car: order, compound, address, arrival, why it was chosen.
pub fn route_table(app: &HeatDeskApp, picked: &[CompoundId], route: &Route) -> Table {
    let lang = app.lang();
    let ranked: Vec<&Priority> = app.console.views().leaders.last_ranking().iter().collect();
    let mut clock = app.now().date().and_hms_opt(9, 0, 0).expect("valid time");
    let mut rows = Vec::new();
    for (k, (&i, leg)) in route.order.iter().zip(route.leg_minutes()).enumerate() {
        let id = picked[i];
        clock += chrono::Duration::minutes(leg.round() as i64);
        let c = app.console.snapshot().compound(id);
        let why = ranked
            .iter()
            .find(|p| p.compound == id)
            .map_or(String::new(), |p| explain(lang, p, 3));
        rows.push(vec![
            Cell::from(k + 1),
            c.map_or(String::new(), |c| c.name.clone()).into(),
            c.map_or(String::new(), |c| c.address.clone()).into(),
            clock.format("%H:%M").to_string().into(),
            format!("{:.1}", route.legs_km[k]).into(),
            why.into(),
        ]);
        clock += chrono::Duration::minutes(MINUTES_PER_STOP as i64);
    }
    Table {
        title: lang.pick("走访路线", "Visit route").into(),
        headers: [
            lang.pick("顺序", "Stop"),
            lang.pick("小区", "Compound"),
            lang.pick("地址", "Address"),
            lang.pick("预计到达", "Arrive"),
            lang.pick("路程(km)", "Drive (km)"),
            lang.pick("走访理由", "Why"),
        ]
        .map(String::from)
        .to_vec(),
        rows,
    }
}

/// The route drawn on the map: start, numbered stops and minutes per leg.
pub fn route_overlay(app: &HeatDeskApp) -> Option<RouteOverlay> {
    let (picked, route) = app.leaders.route.as_ref()?;
    if app.prefs.view != crate::ui::app::View::Leaders {
        return None;
    }
    Some(RouteOverlay {
        start: start(app),
        stops: route
            .order
            .iter()
            .zip(route.leg_minutes())
            .map(|(&i, minutes)| {
                let id = picked[i];
                (
                    compound_stop(app.console.snapshot(), id).unwrap_or([0.0, 0.0]),
                    app.console
                        .snapshot()
                        .compound(id)
                        .map_or(String::new(), |c| c.name.clone()),
                    minutes,
                )
            })
            .collect(),
    })
}
