//! The console's window: the screen's own state (what is selected, forms being typed, the map's
//! position), the panel layout, and the one point per frame where the model steps.

use egui::Ui;

pub use super::prefs::{Prefs, View};
use super::{detail, queue, teams, top_bar};
pub use crate::console::Selection;
use crate::console::views::memo::Memo;
use crate::console::{Console, Event, Request, Tag};
use crate::domain::trace::Network;
use crate::domain::*;
use crate::map::index::Feature;
use crate::map::{Hit, MapView};
use crate::words::problem::{headed, say};
use crate::words::{self, Key, Lang, t};

/// How a notice is said in a language.
type Saying = std::sync::Arc<dyn Fn(Lang) -> String + Send + Sync>;

/// The outcome of the last action, shown in the status line.
#[derive(Clone)]
pub struct Notice {
    pub ok: bool,
    pub text: String,
    /// Said again when the console's language changes: the language `text` is in, and how.
    again: Option<(Lang, Saying)>,
}

impl Notice {
    /// A notice said once (a path, a count: the same in both languages, or not kept).
    pub fn new(ok: bool, text: impl Into<String>) -> Self {
        Notice {
            ok,
            text: text.into(),
            again: None,
        }
    }

    /// A notice said in `lang` now, and again in the language the console switches to.
    pub fn said(
        ok: bool,
        lang: Lang,
        say: impl Fn(Lang) -> String + Send + Sync + 'static,
    ) -> Self {
        Notice {
            ok,
            text: say(lang),
            again: Some((lang, std::sync::Arc::new(say))),
        }
    }

    /// The text in `lang` (said again when the language changed since).
    pub fn in_lang(&mut self, lang: Lang) -> &str {
        if let Some((was, say)) = &mut self.again
            && *was != lang
        {
            self.text = say(lang);
            *was = lang;
        }
        &self.text
    }
}

impl PartialEq for Notice {
    fn eq(&self, other: &Self) -> bool {
        self.ok == other.ok && self.text == other.text
    }
}

impl std::fmt::Debug for Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notice")
            .field("ok", &self.ok)
            .field("text", &self.text)
            .finish()
    }
}

pub struct HeatDeskApp {
    pub console: Console,
    pub prefs: Prefs,
    pub map: MapView,
    pub selection: Option<Selection>,
    pub search: String,
    /// What the last query found.
    pub search_found: Memo<SearchKey, crate::console::views::search::Found>,
    pub notice: Option<Notice>,
    /// Reason typed for hold / return / escalate.
    pub reason: String,
    /// The MBTiles path being typed in the map menu.
    pub mbtiles_input: String,
    pub intake: super::intake::IntakeForm,
    pub queue_filter: crate::console::views::queue::QueueFilter,
    /// Each team card's height last drawn (cards out of view are skipped at that height).
    pub team_card_heights: std::collections::HashMap<TeamId, f32>,
    pub show_rules: bool,
    pub rules_edit: Vec<SlaRule>,
    /// Where the map was drawn last frame.
    pub map_rect: Option<egui::Rect>,
    /// Zoom buttons, scale, pointer coordinates, the distance tool.
    pub map_tools: super::map_tools::MapTools,
    /// 导出地图 under way.
    pub map_export: super::picture::Export,
    /// The last network trace, highlighted on the map until cleared.
    pub trace: Option<crate::map::Highlight>,
    /// The alerts' map markers.
    map_alerts: Memo<AlertsKey, Vec<crate::map::overlays::MapAlert>>,
    pub leaders: super::leaders::LeadersState,
    pub visit_form: super::visit_form::VisitForm,
    pub import: super::import::ImportForm,
    /// The basemap window.
    pub basemap_form: super::basemap::BasemapForm,
    /// 账号管理 and 短信.
    pub crews: super::crews::CrewWindows,
    /// The one ticket whose reporter's number is shown unmasked.
    pub revealed_phone: Option<TicketId>,
    /// A ticket not held as a row, asked for once to be shown.
    pub shown_ticket: Option<TicketId>,
    /// Where exported files go (beside the database in the console).
    pub export_dir: std::path::PathBuf,
    /// Where import mapping profiles are kept (the data folder); none: not saved.
    pub profiles_dir: Option<std::path::PathBuf>,
}

impl HeatDeskApp {
    /// The window around a console; the map's index is prepared beside the console's views.
    pub fn new(
        store: Box<dyn crate::store::DispatchStore>,
        snap: Snapshot,
        prefs: Prefs,
        clock: crate::console::Clock,
    ) -> Self {
        let mut map = MapView::new(prefs.map_zoom);
        let mut console = Console::new(store, snap, clock, prefs.map.metric, |snap| {
            map.prepare(snap)
        });
        console.set_actor(&prefs.operator);
        let mut app = HeatDeskApp {
            console,
            prefs,
            map,
            selection: None,
            search: String::new(),
            search_found: Memo::default(),
            notice: None,
            reason: String::new(),
            mbtiles_input: String::new(),
            intake: Default::default(),
            queue_filter: Default::default(),
            team_card_heights: Default::default(),
            show_rules: false,
            rules_edit: Vec::new(),
            map_rect: None,
            map_tools: Default::default(),
            map_export: Default::default(),
            basemap_form: Default::default(),
            crews: Default::default(),
            trace: None,
            map_alerts: Memo::default(),
            leaders: Default::default(),
            visit_form: Default::default(),
            import: Default::default(),
            revealed_phone: None,
            shown_ticket: None,
            export_dir: std::env::temp_dir().join("heatdesk-exports"),
            profiles_dir: None,
        };
        let centre = app.prefs.map_center.unwrap_or_else(|| app.city_centre());
        let zoom = app.prefs.map_zoom;
        app.map.fly_to(centre, zoom);
        app
    }

    /// Read the season's history behind the first frame (the snapshot was `load_recent`).
    pub fn with_older(mut self, since: Timestamp) -> Self {
        match self.console.read_older(since) {
            Ok(()) => {}
            Err(e) => {
                let problem = e.problem();
                self.notice = Some(Notice::said(false, self.lang(), move |lang| {
                    headed(lang, t(lang, Key::HistoryFailed), &problem)
                }))
            }
        }
        self
    }

    /// The basemap of [`crate::map::Basemap::Demo`]: the MBTiles file beside the database.
    pub fn with_demo_basemap(mut self, path: Option<std::path::PathBuf>) -> Self {
        self.map.demo_basemap = path;
        self
    }

    /// Exports go to `dir` (made when the first file is written).
    pub fn with_export_dir(mut self, dir: std::path::PathBuf) -> Self {
        self.export_dir = dir;
        self
    }

    /// Keep import mapping profiles in `dir`.
    pub fn with_profiles_dir(mut self, dir: std::path::PathBuf) -> Self {
        self.profiles_dir = Some(dir);
        self
    }

    /// Back the database up into `dir` (a file store): at start, then as the settings say.
    pub fn with_backups(mut self, dir: std::path::PathBuf) -> Self {
        self.console = self.console.with_backups(dir);
        self
    }

    pub fn snap(&self) -> &Snapshot {
        self.console.snapshot()
    }

    pub fn now(&self) -> Timestamp {
        self.console.now()
    }

    pub fn lang(&self) -> Lang {
        self.prefs.lang
    }

    pub fn tr(&self, key: Key) -> &'static str {
        t(self.prefs.lang, key)
    }

    /// Ask the console for a change: it is applied at the end of this frame.
    pub fn send(&self, command: Command) {
        self.console.push(Request::apply(command));
    }

    /// The same, answered at the form or panel `tag` names.
    pub fn send_from(&self, tag: Tag, command: Command) {
        self.console.push(Request::Apply { command, tag });
    }

    /// Assign a ticket as the user saw it (Ctrl+Z takes it back). A role that may not assign
    /// is told so (nothing is dragged for it; this is the last guard).
    pub fn assign(&mut self, ticket: TicketId, seen_version: i64, team: TeamId) {
        if !self.console.permissions().assign {
            self.notice = Some(Notice::said(false, self.lang(), |lang| {
                t(lang, Key::RoleCannotAssign).into()
            }));
            return;
        }
        self.console.push(Request::Assign {
            ticket,
            seen_version,
            team,
        });
    }

    pub fn city_centre(&self) -> [f64; 2] {
        let snap = self.snap();
        let n = snap.compounds.len().max(1) as f64;
        let s = snap
            .compounds
            .iter()
            .filter_map(|c| c.outline.first())
            .fold([0.0, 0.0], |a, p| [a[0] + p[0], a[1] + p[1]]);
        if snap.compounds.is_empty() {
            [116.39, 39.9]
        } else {
            [s[0] / n, s[1] / n]
        }
    }

    /// Write tables to `<export dir>/<stem>-<date time>.<ext>` and say where in the status line.
    pub fn export(&mut self, stem: &str, ext: &str, tables: &[crate::export::Table]) {
        let name = format!("{stem}-{}.{ext}", self.now().format("%Y%m%d-%H%M%S"));
        let path = self.export_dir.join(name);
        let result = std::fs::create_dir_all(&self.export_dir)
            .map_err(|e| format!("{}: {e}", self.export_dir.display()))
            .and_then(|()| crate::export::write(&path, tables).map_err(|e| e.to_string()));
        let lang = self.lang();
        self.notice = Some(match result {
            Ok(()) => Notice::said(true, lang, move |lang| {
                format!("{} {}", t(lang, Key::Saved), path.display())
            }),
            Err(e) => Notice::said(false, lang, move |lang| {
                format!("{}: {e}", t(lang, Key::Refused))
            }),
        });
    }

    /// The network with today's tickets on it, for traces.
    pub fn network(&self) -> Network<'_> {
        Network::on(self.snap(), &self.console.views().topology)
    }

    pub fn select(&mut self, selection: Selection) {
        if self.selection != Some(selection) {
            self.revealed_phone = None;
        }
        self.selection = Some(selection);
    }

    /// Select something and centre the map on it.
    pub fn select_and_fly(&mut self, selection: Selection) {
        let snap = self.console.snapshot();
        let place = match selection {
            Selection::Compound(id) => snap
                .compound(id)
                .and_then(|c| c.outline.first().copied())
                .map(|p| (p, 16.0)),
            Selection::Building(id) => snap
                .building(id)
                .and_then(|b| b.footprint.first().copied())
                .map(|p| (p, 17.5)),
            Selection::Ticket(id) => snap
                .ticket(id)
                .and_then(|t| snap.building(t.building_id))
                .and_then(|b| b.footprint.first().copied())
                .map(|p| (p, 17.5)),
            Selection::Team(id) => snap.team(id).map(|t| (t.position, 16.0)),
            _ => None,
        };
        if let Some((p, zoom)) = place {
            self.map.fly_to(p, zoom);
        }
        self.select(selection);
    }

    /// Where a team's marker is on screen now (for drops and tests).
    pub fn team_marker(&self, team: TeamId) -> Option<egui::Pos2> {
        let rect = self.map_rect?;
        let position = self.snap().team(team)?.position;
        Some(
            self.map
                .screen_position(rect, self.city_centre(), position, self.prefs.map.gcj02),
        )
    }

    /// The map feature matching the selection, for highlighting.
    fn selected_feature(&self) -> Option<Feature> {
        let snap = self.snap();
        match self.selection? {
            Selection::Compound(id) => snap.compound_pos(id).map(Feature::Compound),
            Selection::Building(id) => snap.building_pos(id).map(Feature::Building),
            Selection::Ticket(id) => snap
                .building_pos(snap.ticket(id)?.building_id)
                .map(Feature::Building),
            Selection::Station(id) => snap
                .stations
                .iter()
                .position(|s| s.id == id)
                .map(Feature::Station),
            Selection::Source(id) => snap
                .sources
                .iter()
                .position(|s| s.id == id)
                .map(Feature::Source),
            Selection::Pipe(id) => snap.segment_pos(id).map(Feature::Pipe),
            Selection::Team(_) => None,
        }
    }

    /// The whole city in view (the compounds' extent).
    pub fn show_whole_city(&mut self) {
        if let Some((lo, hi)) = self.bounds(|_| true) {
            self.map.fit(lo, hi, 3.0);
        }
    }

    /// The box around the compounds `keep` keeps (WGS-84), if any.
    pub fn bounds(&self, keep: impl Fn(&Compound) -> bool) -> Option<(LonLat, LonLat)> {
        let snap = self.console.snapshot();
        let mut lo = [f64::MAX, f64::MAX];
        let mut hi = [f64::MIN, f64::MIN];
        for p in snap
            .compounds
            .iter()
            .filter(|c| keep(c))
            .flat_map(|c| c.outline.iter())
        {
            lo = [lo[0].min(p[0]), lo[1].min(p[1])];
            hi = [hi[0].max(p[0]), hi[1].max(p[1])];
        }
        (lo[0] <= hi[0]).then_some((lo, hi))
    }

    fn hit_to_selection(&self, hit: Hit) -> Option<Selection> {
        let snap = self.snap();
        Some(match hit {
            Hit::Cluster { .. } => return None,
            Hit::Team(id) => Selection::Team(id),
            Hit::Ticket(id) => Selection::Ticket(id),
            Hit::Feature(Feature::Compound(i)) => Selection::Compound(snap.compounds[i].id),
            Hit::Feature(Feature::Building(i)) => Selection::Building(snap.buildings[i].id),
            Hit::Feature(Feature::Station(i)) => Selection::Station(snap.stations[i].id),
            Hit::Feature(Feature::Source(i)) => Selection::Source(snap.sources[i].id),
            Hit::Feature(Feature::Pipe(i)) => Selection::Pipe(snap.segments[i].id),
        })
    }

    /// The alerts' map markers, said again only when the alerts or the language change.
    fn prepare_map_alerts(&mut self) {
        let key = AlertsKey {
            alerts: self.console.views().versions.alerts,
            lang: self.lang(),
        };
        let mut kept = std::mem::take(&mut self.map_alerts);
        let this = &*self;
        kept.get(key, |_| {
            this.console
                .views()
                .alerts
                .clusters
                .iter()
                .map(|c| crate::map::overlays::MapAlert {
                    position: c.position,
                    text: super::alerts::headline(this, c),
                })
                .collect()
        });
        self.map_alerts = kept;
    }

    /// The whole console, one frame: the panels draw the model and push requests; then the
    /// model steps, once. eframe and the UI tests both call this.
    pub fn show(&mut self, ui: &mut Ui) {
        let typing = ui.ctx().memory(|m| m.focused().is_some());
        if !typing && ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::Z)) {
            self.console.push(Request::Undo {
                reason: self.tr(Key::Undone).into(),
            });
        }
        // Ctrl+Q closes the window as its close button does (the settings are saved)
        if ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::Q)) {
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
        }
        self.draw(ui);
        self.step(ui);
    }

    fn draw(&mut self, ui: &mut Ui) {
        super::intake::show(self, &ui.ctx().clone());
        super::rules::show(self, &ui.ctx().clone());
        super::visit_form::show(self, &ui.ctx().clone());
        super::import::show(self, &ui.ctx().clone());
        super::basemap::show(self, &ui.ctx().clone());
        let time = ui.input(|i| i.time);
        super::crews::show(self, &ui.ctx().clone(), time);
        egui::Panel::top("top_bar").show(ui, |ui| top_bar::show(self, ui));
        match self.prefs.view {
            View::Dispatch => {
                egui::Panel::left("queue")
                    .resizable(true)
                    .default_size(340.0)
                    .show(ui, |ui| queue::show(self, ui));
                egui::Panel::right("teams")
                    .resizable(true)
                    .default_size(330.0)
                    .show(ui, |ui| teams::show(self, ui));
            }
            View::Leaders => {
                egui::Panel::left("leaders")
                    .resizable(true)
                    .default_size(560.0)
                    .show(ui, |ui| super::leaders::show(self, ui));
            }
        }
        egui::Panel::bottom("detail")
            .resizable(true)
            .default_size(300.0)
            .show(ui, |ui| detail::show(self, ui));
        egui::CentralPanel::default()
            .frame(egui::Frame::NONE)
            .show(ui, |ui| self.draw_map(ui));
        self.prefs.map_zoom = self.map.memory.zoom();
        if let Some(p) = self.map.memory.detached() {
            self.prefs.map_center = Some([p.x(), p.y()]);
        }
    }

    fn draw_map(&mut self, ui: &mut Ui) {
        let selected = self.selected_feature();
        let home = self.city_centre();
        let route = super::leaders::route_overlay(self);
        self.prepare_map_alerts();
        let views = self.console.views();
        let (hits, response) = self.map.show(
            ui,
            self.console.snapshot(),
            crate::map::Shading {
                counts: &views.counts,
                colours: &views.colours,
            },
            self.prefs.layers,
            &self.prefs.map,
            crate::map::Focus {
                selected,
                highlight: self.trace.as_ref(),
                alerts: self.map_alerts.last().map_or(&[], Vec::as_slice),
                route: route.as_ref(),
                measure: self
                    .map_tools
                    .measuring
                    .then_some(self.map_tools.points.as_slice()),
                now: self.console.now(),
                lang: self.prefs.lang,
            },
            home,
        );
        self.map_tools.pointer = hits.pointer;
        self.map_tools.metres_per_pixel = hits.metres_per_pixel;
        if let Some(r) = &response {
            self.map_rect = Some(r.rect);
            self.map_tools.legend = super::legend::show(self, ui, r.rect);
            super::map_tools::scale_and_status(self, ui, r.rect);
            // the picture being taken shows its title, not the buttons
            if matches!(self.map_export, super::picture::Export::Idle) {
                super::map_tools::controls(self, ui, r.rect);
            } else {
                super::picture::export_step(self, ui, r.rect);
            }
        }
        // the distance tool takes the clicks while it is on
        if self.map_tools.measuring {
            if let Some(p) = hits.clicked_at {
                self.map_tools.points.push(p);
            }
            return;
        }
        if let Some(Hit::Cluster { lo, hi }) = hits.clicked {
            let closer = self.map.memory.zoom() + 1.0;
            self.map.fit(lo, hi, closer);
        }
        if let Some(team) = hits.dropped_on_team
            && let Some(drag) =
                egui::DragAndDrop::take_payload::<super::queue::TicketDrag>(ui.ctx())
        {
            self.assign(drag.ticket, drag.version, team);
        }
        if let Some(sel) = hits.clicked.and_then(|h| self.hit_to_selection(h)) {
            self.select(sel);
        }
        if let (Some(hit), Some(response)) = (hits.hovered, response) {
            let text = match self.hit_to_selection(hit) {
                Some(sel) => detail::summary(self, sel),
                None => self.tr(Key::ClusterHint).to_string(),
            };
            response.on_hover_ui_at_pointer(|ui| {
                ui.label(text);
            });
        }
    }

    /// The model's one step of the frame, and what the screen says of it.
    fn step(&mut self, ui: &mut Ui) {
        let time = ui.input(|i| i.time);
        // what is being typed survives a crash in the crash report
        crate::logging::remember_draft(if self.intake.open {
            Some(format!("{:#?}", self.intake))
        } else if self.visit_form.open {
            Some(format!("{:#?}", self.visit_form))
        } else {
            None
        });
        self.console.set_colouring(self.prefs.map.metric);
        let events =
            self.console
                .step(time, self.prefs.backup_every_hours, self.prefs.backups_kept);
        let changed = !events.is_empty();
        for event in events {
            self.answer(event);
        }
        if changed || self.console.busy() {
            ui.ctx().request_repaint();
        } else if self.console.loading_older() {
            // the season's facts arrive on their own thread: look again soon
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_millis(100));
        } else {
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_secs(1));
        }
    }

    /// What the screen does with an event: the status line, and the form it came from.
    fn answer(&mut self, event: Event) {
        let lang = self.lang();
        let said = |ok: bool, say: Box<dyn Fn(Lang) -> String + Send + Sync>| {
            Some(Notice::said(ok, lang, say))
        };
        match event {
            Event::Applied { applied, tag } => {
                let done = applied.clone();
                self.notice = said(true, Box::new(move |lang| applied_text(lang, &done)));
                self.reason.clear();
                let first = applied.tickets().first().map(|t| t.id);
                match tag {
                    Tag::Intake => {
                        if let Some(id) =
                            first.filter(|_| matches!(applied, Applied::Ticket { .. }))
                        {
                            self.select(Selection::Ticket(id));
                        }
                        self.intake = Default::default();
                    }
                    Tag::NetworkTicket => {
                        if let Some(id) = first {
                            self.select(Selection::Ticket(id));
                        }
                    }
                    Tag::VisitForm => self.visit_form.open = false,
                    Tag::KpiRules => self.leaders.show_rules = false,
                    Tag::Accounts | Tag::Messages => self.crews.reread(),
                    Tag::None => {}
                }
            }
            Event::Refused { error, tag } => {
                let text = headed(lang, t(lang, Key::Refused), &error);
                if tag == Tag::VisitForm {
                    self.visit_form.problem = Some(text.clone());
                }
                if matches!(tag, Tag::Accounts | Tag::Messages) {
                    self.crews.problem = Some(text.clone());
                }
                self.notice = said(
                    false,
                    Box::new(move |lang| headed(lang, t(lang, Key::Refused), &error)),
                );
            }
            Event::NothingToUndo => {
                self.notice = said(false, Box::new(|lang| t(lang, Key::NothingToUndo).into()))
            }
            Event::Undone(id) => {
                self.notice = said(
                    true,
                    Box::new(move |lang| format!("{} · #{id}", t(lang, Key::Undone))),
                )
            }
            Event::CaughtUp | Event::Reloaded => {
                self.notice = said(
                    true,
                    Box::new(|lang| t(lang, Key::ReloadedElsewhere).into()),
                );
            }
            Event::Failed(e) => self.notice = said(false, Box::new(move |lang| say(lang, &e))),
            Event::HistoryFailed(e) => {
                self.notice = said(
                    false,
                    Box::new(move |lang| headed(lang, t(lang, Key::HistoryFailed), &e)),
                )
            }
            Event::BackedUp(path) => {
                self.notice = said(
                    true,
                    Box::new(move |lang| format!("{} {}", t(lang, Key::BackedUp), path.display())),
                )
            }
            Event::BackupFailed(e) => {
                self.notice = said(
                    false,
                    Box::new(move |lang| headed(lang, t(lang, Key::BackupFailed), &e)),
                )
            }
            Event::Imported(done) => self.imported(done.take()),
            Event::Previewed(read) => self.previewed(read.take()),
            Event::CityMapRead(read) => self.city_map_read(read.take()),
        }
        if self.console.views().versions.city != self.map.city_version() {
            self.map
                .invalidate_geometry(self.console.views().versions.city);
        }
    }
}

/// What the alerts' markers are made from: the alerts, and the language they are said in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlertsKey {
    alerts: u64,
    lang: Lang,
}

/// What a search is made from: the query, and the board it ran on (ticket numbers).
#[derive(Debug, Clone, PartialEq)]
pub struct SearchKey {
    pub query: String,
    pub board: u64,
}

/// "完成 · #12 派单", what the status line says of a change.
fn applied_text(lang: Lang, applied: &Applied) -> String {
    let done = t(lang, Key::Done);
    match applied {
        Applied::Ticket { ticket, event, .. } => {
            format!(
                "{done} · #{} {}",
                ticket.id,
                words::action(lang, &event.action)
            )
        }
        Applied::Batch(all) => match all.first() {
            Some(Applied::Ticket { ticket, event, .. }) => format!(
                "{done} · #{} {} · {} {}",
                ticket.id,
                words::action(lang, &event.action),
                all.len() - 1,
                t(lang, Key::LinkedTickets)
            ),
            Some(Applied::Visit { .. }) => format!(
                "{done} · {} · {} {}",
                words::action(lang, "visit"),
                all.len() - 1,
                t(lang, Key::TicketsWord)
            ),
            _ => done.to_string(),
        },
        Applied::Noted { messages } if *messages > 0 => {
            format!("{done} · {messages} {}", t(lang, Key::MessagesQueued))
        }
        Applied::Rule(_)
        | Applied::KpiRules(_)
        | Applied::Visit { .. }
        | Applied::Import(_)
        | Applied::Team { .. }
        | Applied::Readings(_)
        | Applied::Noted { .. } => done.to_string(),
    }
}

impl eframe::App for HeatDeskApp {
    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.prefs);
    }
}
