//! The KPI dashboard: the four figures with their trend over the season, and a table of
//! departments or compounds sortable by any figure, coloured by the company's thresholds.

use egui::{RichText, Ui};
use egui_plot::{Line, Plot, PlotPoints};

use super::{LeadersState, Period, Scope, TableKey, TableView};
use crate::console::views::leaders::Figures;
use crate::domain::command::Command;
use crate::domain::kpi::{Figure, KpiRules, Kpis};
use crate::domain::*;
use crate::map::style::rag_colour;
use crate::ui::app::{HeatDeskApp, Selection};
use crate::words::format::{figure, figure_name};
use crate::words::{self, Key};

/// The figures of the period shown (made again only when what they depend on changed).
fn figures(app: &mut HeatDeskApp) -> &Figures {
    let (period, now) = (app.leaders.period, app.now());
    let (snap, views) = app.console.views_mut();
    let version = views.versions.leaders;
    views
        .leaders
        .figures(snap, &views.facts, version, period, now)
}

pub fn show(app: &mut HeatDeskApp, ui: &mut Ui) {
    let lang = app.lang();
    let tr = |k| words::t(lang, k);
    ui.horizontal(|ui| {
        for (p, key) in [
            (Period::Today, Key::Today),
            (Period::Week, Key::LastSevenDays),
            (Period::Season, Key::Season),
        ] {
            if ui
                .selectable_label(app.leaders.period == p, tr(key))
                .clicked()
            {
                app.leaders.period = p;
            }
        }
        ui.separator();
        if ui.button(tr(Key::KpiDefinitions)).clicked() {
            app.leaders.rules_edit = app.console.snapshot().kpi_rules;
            app.leaders.show_rules = true;
        }
        for ext in ["xlsx", "csv"] {
            if ui
                .button(format!("{} {}", tr(Key::DailyReport), ext.to_uppercase()))
                .clicked()
            {
                let day = app.now().date();
                let views = app.console.views();
                let tables = crate::export::report::daily_report(
                    app.console.snapshot(),
                    &views.facts,
                    day,
                    app.now(),
                    lang,
                );
                app.export("report", ext, &tables);
            }
        }
    });
    let rules = app.console.snapshot().kpi_rules;
    let f = figures(app);
    let city = f.breakdown.city;
    let trend: Vec<(chrono::NaiveDate, Kpis)> = f.daily.clone();
    egui::Grid::new("kpi_cards")
        .num_columns(2)
        .spacing([8.0, 8.0])
        .show(ui, |ui| {
            for (i, fig) in Figure::ALL.into_iter().enumerate() {
                card(ui, lang, fig, &city, &rules, &trend);
                if i % 2 == 1 {
                    ui.end_row();
                }
            }
        });
    ui.separator();
    table(app, ui);
}

/// One figure: its value in its colour, what it is computed from, and its daily trend.
fn card(
    ui: &mut Ui,
    lang: words::Lang,
    fig: Figure,
    k: &Kpis,
    rules: &KpiRules,
    trend: &[(chrono::NaiveDate, Kpis)],
) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(250.0);
        ui.vertical(|ui| {
            ui.horizontal(|ui| {
                ui.label(RichText::new(figure_name(lang, fig)).strong());
                let r = k.ratio(fig);
                ui.label(
                    RichText::new(format!("{} / {}", r.numerator, r.denominator))
                        .small()
                        .weak(),
                );
            });
            ui.label(
                RichText::new(figure(lang, fig, k, rules))
                    .size(22.0)
                    .strong()
                    .color(rag_colour(k.rag(fig, rules))),
            );
            let first = trend.first().map(|d| d.0);
            let points: Vec<[f64; 2]> = trend
                .iter()
                .enumerate()
                .filter_map(|(i, (_, day))| {
                    let v = day.value(fig, rules)?;
                    let v = if fig == Figure::Complaints {
                        v
                    } else {
                        v * 100.0
                    };
                    Some([i as f64, v])
                })
                .collect();
            Plot::new(("trend", fig as u8))
                .height(70.0)
                .width(240.0)
                .show_axes([true, true])
                .allow_drag(false)
                .allow_zoom(false)
                .allow_scroll(false)
                .allow_boxed_zoom(false)
                .show_x(false)
                .x_axis_formatter(move |mark, _| {
                    first.map_or(String::new(), |d| {
                        (d + chrono::Duration::days(mark.value.round() as i64))
                            .format("%m-%d")
                            .to_string()
                    })
                })
                .show(ui, |plot| {
                    plot.line(
                        Line::new(figure_name(lang, fig), PlotPoints::new(points))
                            .color(egui::Color32::from_rgb(0x0b, 0x3d, 0x91))
                            .width(1.5),
                    );
                });
        });
    });
}

/// Departments or compounds with all four figures; a click on a header sorts by it, a click
/// on a compound flies the map there.
fn table(app: &mut HeatDeskApp, ui: &mut Ui) {
    let lang = app.lang();
    let tr = |k| words::t(lang, k);
    let rules = app.console.snapshot().kpi_rules;
    ui.horizontal(|ui| {
        let s = &mut app.leaders.scope;
        ui.selectable_value(s, Scope::Departments, tr(Key::Departments));
        ui.selectable_value(s, Scope::Compounds, tr(Key::CompoundsTitle));
    });
    let LeadersState {
        scope,
        sort,
        worst_first,
        ..
    } = app.leaders;
    // named and sorted once per figures, scope or order — not every frame (a city lists
    // 3,000 compounds)
    let view = TableView {
        scope,
        sort,
        worst_first,
    };
    let (period, now) = (app.leaders.period, app.now());
    let (snap, views) = app.console.views_mut();
    let made_from = views.versions.leaders;
    let f = views
        .leaders
        .figures(snap, &views.facts, made_from, period, now);
    let key = TableKey {
        figures: f.version,
        view,
    };
    let rows = app
        .leaders
        .rows
        .get(key, |_| sorted_rows(snap, &f.breakdown, view, &rules));
    let mut clicked_sort = None;
    let mut fly = None;
    let widths = [130.0, 78.0, 78.0, 78.0, 78.0];
    ui.horizontal(|ui| {
        let name = if sort.is_none() {
            format!("{} ^", tr(Key::Name))
        } else {
            tr(Key::Name).to_string()
        };
        if ui
            .add_sized([widths[0], 18.0], egui::Button::new(name).frame(false))
            .clicked()
        {
            clicked_sort = Some(None);
        }
        for (i, fig) in Figure::ALL.into_iter().enumerate() {
            let mark = if sort == Some(fig) { " v" } else { "" };
            if ui
                .add_sized(
                    [widths[i + 1], 18.0],
                    egui::Button::new(format!("{}{mark}", figure_name(lang, fig))).frame(false),
                )
                .clicked()
            {
                clicked_sort = Some(Some(fig));
            }
        }
    });
    egui::ScrollArea::vertical()
        .id_salt("kpi_table")
        .auto_shrink([false, false])
        .show_rows(ui, 20.0, rows.len(), |ui, range| {
            for (id, name, k) in &rows[range] {
                ui.horizontal(|ui| {
                    let label = egui::Label::new(name.as_str()).truncate();
                    let r = ui.add_sized([widths[0], 18.0], label.sense(egui::Sense::click()));
                    if let Some(id) = id
                        && r.clicked()
                    {
                        fly = Some(*id);
                    }
                    for (i, fig) in Figure::ALL.into_iter().enumerate() {
                        ui.add_sized(
                            [widths[i + 1], 18.0],
                            egui::Label::new(
                                RichText::new(figure(lang, fig, k, &rules))
                                    .color(rag_colour(k.rag(fig, &rules))),
                            ),
                        );
                    }
                });
            }
        });
    if let Some(s) = clicked_sort {
        if app.leaders.sort == s {
            app.leaders.worst_first = !app.leaders.worst_first;
        } else {
            app.leaders.sort = s;
            app.leaders.worst_first = true;
        }
    }
    if let Some(id) = fly {
        app.select_and_fly(Selection::Compound(id));
    }
}

/// One line of the table: a compound (None for a department), its name and figures.
pub(super) type TableRow = (Option<CompoundId>, String, Kpis);

fn sorted_rows(
    snap: &crate::domain::Snapshot,
    breakdown: &crate::domain::kpi::KpiBreakdown,
    TableView {
        scope,
        sort,
        worst_first,
    }: TableView,
    rules: &KpiRules,
) -> Vec<TableRow> {
    let mut rows: Vec<TableRow> = match scope {
        Scope::Departments => breakdown
            .departments
            .iter()
            .map(|(id, k)| (None, snap.department_name(*id).to_string(), *k))
            .collect(),
        Scope::Compounds => breakdown
            .compounds
            .iter()
            .map(|(id, k)| {
                let name = snap.compound(*id).map_or(String::new(), |c| c.name.clone());
                (Some(*id), name, *k)
            })
            .collect(),
    };
    match sort {
        None => rows.sort_by(|a, b| a.1.cmp(&b.1)),
        Some(fig) => {
            // worst first: most complaints, lowest rates; rows without data last
            let key = |k: &Kpis| {
                k.value(fig, rules).map(|v| {
                    if (fig == Figure::Complaints) == worst_first {
                        -v
                    } else {
                        v
                    }
                })
            };
            rows.sort_by(|a, b| match (key(&a.2), key(&b.2)) {
                (Some(x), Some(y)) => x.total_cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => a.1.cmp(&b.1),
            });
        }
    }
    rows
}

/// The company's KPI definitions and thresholds; saved as one audited command.
pub fn rules_window(app: &mut HeatDeskApp, ctx: &egui::Context) {
    if !app.leaders.show_rules {
        return;
    }
    let lang = app.lang();
    let tr = |k| words::t(lang, k);
    let mut open = true;
    let mut save = false;
    egui::Window::new(tr(Key::KpiDefinitions))
        .open(&mut open)
        .collapsible(false)
        .show(ctx, |ui| {
            let r = &mut app.leaders.rules_edit;
            ui.horizontal(|ui| {
                ui.label(tr(Key::TempStandard));
                ui.radio_value(&mut r.temperature_standard, 18.0, "18 °C");
                ui.radio_value(&mut r.temperature_standard, 20.0, "20 °C");
            });
            ui.checkbox(&mut r.basic_counts_as_satisfied, tr(Key::BasicCounts));
            ui.horizontal(|ui| {
                ui.label(tr(Key::ComplaintBasis));
                ui.radio_value(&mut r.complaints_per_households, 1000, "‰");
                ui.radio_value(
                    &mut r.complaints_per_households,
                    10_000,
                    tr(Key::PerTenThousand),
                );
            });
            ui.separator();
            ui.label(tr(Key::ThresholdsHint));
            egui::Grid::new("thresholds").num_columns(3).show(ui, |ui| {
                let t = &mut r.thresholds;
                for (fig, limits, pct) in [
                    (Figure::Complaints, &mut t.complaints, false),
                    (Figure::Satisfaction, &mut t.satisfaction, true),
                    (Figure::Timely, &mut t.timely, true),
                    (Figure::Temperature, &mut t.temperature, true),
                ] {
                    ui.label(figure_name(lang, fig));
                    for v in limits.iter_mut() {
                        if pct {
                            let mut p = *v * 100.0;
                            ui.add(egui::DragValue::new(&mut p).range(0.0..=100.0).suffix("%"));
                            *v = p / 100.0;
                        } else {
                            ui.add(egui::DragValue::new(v).range(0.0..=1000.0).speed(0.1));
                        }
                    }
                    ui.end_row();
                }
            });
            if ui.button(tr(Key::Save)).clicked() {
                save = true;
            }
        });
    if save {
        let rules = app.leaders.rules_edit;
        // the window closes once the store has them
        app.send_from(crate::console::Tag::KpiRules, Command::SetKpiRules(rules));
    } else if !open {
        app.leaders.show_rules = false;
    }
}
