//! The top bar: clock, search, KPI chips, layers and the language switch.

use egui::{Color32, RichText, Ui};

use super::app::{HeatDeskApp, View};
use crate::domain::kpi::{Figure, Ratio};
use crate::map::style::rag_colour;
use crate::words::format::{figure, figure_name};
use crate::words::{Key, Lang};

/// The bar is one row when its three groups — the day and its figures, the views, the tools —
/// fit side by side as they were measured last frame (their widths change with the language,
/// the server's status, the season loading), else two rows: the figures (wrapping if they
/// must), then the views and the tools. A first frame, not yet measured, takes two rows.
pub fn show(app: &mut HeatDeskApp, ui: &mut Ui) {
    let id = egui::Id::unique("top-bar-needs");
    let needs: Option<f32> = ui.ctx().data(|d| d.get_temp(id));
    let gap = ui.spacing().item_spacing.x;
    let one_row = needs.is_some_and(|w| w <= ui.available_width());
    let measured = if one_row {
        ui.horizontal(|ui| {
            let a = ui.horizontal(|ui| figures(app, ui)).response.rect.width();
            let [b, c] = views_and_tools(app, ui);
            [a, b, c]
        })
        .inner
    } else {
        let a = ui
            .horizontal_wrapped(|ui| figures(app, ui))
            .response
            .rect
            .width();
        let [b, c] = ui.horizontal(|ui| views_and_tools(app, ui)).inner;
        [a, b, c]
    };
    // the groups, the gaps between them, and room to breathe
    let needs = measured.iter().sum::<f32>() + 4.0 * gap + 24.0;
    ui.ctx().data_mut(|d| d.insert_temp(id, needs));
}

/// The views from the left and the tools from the right of the row; their widths as drawn.
fn views_and_tools(app: &mut HeatDeskApp, ui: &mut Ui) -> [f32; 2] {
    let views = ui.horizontal(|ui| views(app, ui)).response.rect.width();
    let tools = ui
        .with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            tools(app, ui);
            ui.min_rect().width()
        })
        .inner;
    [views, tools]
}

/// The title, the time, the server, search and today's figures.
fn figures(app: &mut HeatDeskApp, ui: &mut Ui) {
    ui.strong(app.tr(Key::AppTitle));
    ui.separator();
    ui.label(app.now().format("%Y-%m-%d %H:%M").to_string());
    ui.separator();
    server(app, ui);
    search(app, ui);
    ui.separator();
    let (k, rules, lang) = (
        app.console.views().today,
        app.console.snapshot().kpi_rules,
        app.lang(),
    );
    for f in Figure::ALL {
        chip(
            ui,
            figure_name(lang, f),
            figure(lang, f, &k, &rules),
            k.ratio(f),
            rag_colour(k.rag(f, &rules)),
        );
    }
}

/// The season loading, and the two views.
fn views(app: &mut HeatDeskApp, ui: &mut Ui) {
    ui.separator();
    if app.console.loading_older() {
        // the season's figures and old tickets arrive in a moment
        ui.spinner();
        ui.label(RichText::new(app.tr(Key::LoadingHistory)).small().weak());
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_millis(250));
    }
    for (view, key) in [
        (View::Dispatch, Key::DispatchView),
        (View::Leaders, Key::LeadersView),
    ] {
        if ui
            .selectable_label(app.prefs.view == view, app.tr(key))
            .clicked()
        {
            app.prefs.view = view;
        }
    }
}

/// Language, map, backups, import, rules, layers (right to left).
fn tools(app: &mut HeatDeskApp, ui: &mut Ui) {
    // the language switch names each language in itself, so it reads the same in both
    if ui
        .selectable_label(app.prefs.lang == Lang::En, "English")
        .clicked()
    {
        app.prefs.lang = Lang::En;
    }
    if ui
        .selectable_label(app.prefs.lang == Lang::Zh, "中文")
        .clicked()
    {
        app.prefs.lang = Lang::Zh;
    }
    ui.separator();
    super::map_menu::show(app, ui);
    backup_menu(app, ui);
    let can = app.console.permissions();
    if can.import && ui.button(app.tr(Key::Import)).clicked() {
        app.import.open = true;
    }
    if (can.deadline_rules || can.kpi_rules) && ui.button(app.tr(Key::Rules)).clicked() {
        app.show_rules = true;
    }
    if ui.button(app.tr(Key::MessagesWindow)).clicked() {
        app.crews.messages_open = true;
        app.crews.reread();
    }
    if can.accounts && ui.button(app.tr(Key::CrewAccounts)).clicked() {
        app.crews.accounts_open = true;
        app.crews.reread();
    }
    let lang = app.lang();
    egui::containers::menu::MenuButton::new(crate::words::t(lang, Key::Layers))
        .config(super::map_menu::menu_config())
        .ui(ui, |ui| {
            let l = &mut app.prefs.layers;
            ui.checkbox(&mut l.compounds, crate::words::t(lang, Key::LayerCompounds));
            ui.checkbox(&mut l.buildings, crate::words::t(lang, Key::LayerBuildings));
            ui.checkbox(&mut l.pipes, crate::words::t(lang, Key::LayerPipes));
            ui.checkbox(&mut l.tickets, crate::words::t(lang, Key::LayerTickets));
            ui.checkbox(&mut l.teams, crate::words::t(lang, Key::LayerTeams));
        });
}

fn chip(ui: &mut Ui, name: &str, value: String, ratio: Ratio, colour: Color32) {
    egui::Frame::new()
        .fill(ui.visuals().faint_bg_color)
        .corner_radius(6.0)
        .inner_margin(egui::Margin::symmetric(8, 2))
        .show(ui, |ui| {
            // a chip is one piece: it goes to the next row whole, never split inside
            ui.horizontal(|ui| {
                ui.add(egui::Label::new(RichText::new(name).small()).extend());
                ui.add(egui::Label::new(RichText::new(value).strong().color(colour)).extend());
            });
        })
        .response
        .on_hover_text(format!("{} / {}", ratio.numerator, ratio.denominator));
}

fn search(app: &mut HeatDeskApp, ui: &mut Ui) {
    let hint = app.tr(Key::SearchHint);
    let response = ui.add(
        egui::TextEdit::singleline(&mut app.search)
            .hint_text(hint)
            .desired_width(260.0),
    );
    if app.search.trim().is_empty() || !(response.has_focus() || response.lost_focus()) {
        return;
    }
    // once per query and board, not per frame
    let key = super::app::SearchKey {
        query: app.search.clone(),
        board: app.console.views().versions.board,
    };
    let console = &mut app.console;
    let results = app
        .search_found
        .get(key, |_| console.search(&app.search, 8))
        .clone();
    let enter = response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
    let mut chosen = None;
    egui::Popup::from_response(&response).open(true).show(|ui| {
        if results.is_empty() {
            ui.label(app.tr(Key::NoResults));
        }
        for (sel, label) in &results {
            if ui.selectable_label(false, label).clicked() {
                chosen = Some(*sel);
            }
        }
    });
    if enter {
        chosen = results.first().map(|r| r.0);
    }
    if let Some(sel) = chosen {
        app.select_and_fly(sel);
        app.search.clear();
    }
}

/// A server's database, or who is logged in at which room's server, and whether it answers
/// (a file says nothing here).
fn server(app: &HeatDeskApp, ui: &mut Ui) {
    use crate::store::Location;
    let (name, url) = match app.console.location() {
        Location::Server(url) => (url.database().to_string(), url.to_string()),
        Location::Remote(address) => {
            let url = address.to_string();
            let name = url.split_once("://").map_or(url.as_str(), |(_, at)| at);
            (name.to_string(), url.clone())
        }
        Location::File(_) => return,
    };
    let lang = app.lang();
    let tr = |k| crate::words::t(lang, k);
    match app.console.health() {
        crate::store::Health::Online => {
            dot(ui, Color32::from_rgb(30, 150, 60));
            ui.label(RichText::new(name).small())
                .on_hover_text(format!("{} · {url}", tr(Key::ServerOnline)));
        }
        crate::store::Health::Offline {
            since_s,
            retry_in_s,
        } => {
            let red = Color32::from_rgb(200, 40, 40);
            dot(ui, red);
            ui.label(
                RichText::new(format!(
                    "{} {} · {retry_in_s} {}",
                    tr(Key::ServerOffline),
                    crate::words::format::duration_s(since_s),
                    tr(Key::ServerRetry)
                ))
                .color(red)
                .strong(),
            )
            .on_hover_text(url);
            // the countdown moves on its own
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_millis(500));
        }
    }
    ui.separator();
}

/// A small filled disc: the server's state at a glance.
fn dot(ui: &mut Ui, colour: Color32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
    ui.painter().circle_filled(rect.center(), 4.5, colour);
}

/// How often the console backs up, how many copies it keeps, and a button for one now (on a
/// server: that backups are the server's job).
fn backup_menu(app: &mut HeatDeskApp, ui: &mut Ui) {
    let lang = app.lang();
    let tr = |k| crate::words::t(lang, k);
    if matches!(
        app.console.location(),
        crate::store::Location::Server(_) | crate::store::Location::Remote(_)
    ) {
        ui.menu_button(tr(Key::Backups), |ui| {
            ui.label(tr(Key::ServerBackups));
        });
        return;
    }
    let Some(dir) = app.console.backup_dir() else {
        return;
    };
    egui::containers::menu::MenuButton::new(tr(Key::Backups))
        .config(super::map_menu::menu_config())
        .ui(ui, |ui| {
            ui.horizontal(|ui| {
                ui.label(tr(Key::BackupEvery));
                ui.add(
                    egui::DragValue::new(&mut app.prefs.backup_every_hours)
                        .range(0..=72)
                        .suffix(" h"),
                );
            });
            ui.horizontal(|ui| {
                ui.label(tr(Key::BackupsKept));
                ui.add(egui::DragValue::new(&mut app.prefs.backups_kept).range(1..=500));
            });
            ui.label(RichText::new(dir.display().to_string()).small().weak());
            if ui.button(tr(Key::BackupNow)).clicked() {
                app.console.push(crate::console::Request::BackupNow);
            }
        });
}
