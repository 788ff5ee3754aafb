//! The console: its state, the one place commands are applied, and the panel layout.

mod derived;
mod sync;

use egui::Ui;

pub use super::board::Board;
pub use super::prefs::{Prefs, View};
use super::{detail, queue, teams, top_bar};
use crate::domain::kpi::{KpiFacts, Kpis};
use crate::domain::trace::{Cluster, ClusterRules, Network, Topology};
use crate::domain::*;
use crate::map::index::Feature;
use crate::map::{Hit, MapView};
use crate::store::DispatchStore;
use crate::words::{Key, Lang, t};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Selection {
    Compound(CompoundId),
    Building(BuildingId),
    Ticket(TicketId),
    Team(TeamId),
    Station(StationId),
    Source(i64),
    Pipe(SegmentId),
}

/// The outcome of the last action, shown in the status line.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub ok: bool,
    pub text: String,
}

/// How to take back one assignment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UndoAssign {
    pub ticket: TicketId,
    /// The ticket's version right after the assignment: undo is refused if it moved on.
    pub version: i64,
    pub previous_team: Option<TeamId>,
}

/// Complaints of the last two days count towards a suspected network fault.
pub const CLUSTER_WINDOW_HOURS: i64 = 48;

/// How far back the first load reads closed tickets and answers; the rest of the season
/// follows in the background.
pub const RECENT_DAYS: i64 = 2;

/// Where "now" comes from: the wall clock, or a fixed time in tests.
pub type Clock = Box<dyn Fn() -> Timestamp>;

pub struct HeatDeskApp {
    store: Box<dyn DispatchStore>,
    pub snap: Snapshot,
    pub prefs: Prefs,
    pub map: MapView,
    pub selection: Option<Selection>,
    pub search: String,
    /// The searchable names, prepared once per city.
    pub search_index: super::search::SearchNames,
    /// The last query, the data it was run on, and what it found.
    pub search_cache: Option<(String, u64, super::search::Found)>,
    pub notice: Option<Notice>,
    /// Reason typed for hold / return / escalate.
    pub reason: String,
    pub kpis: Kpis,
    /// What the figures need of every ticket, answer and reading, kept up to date.
    pub kpi_facts: KpiFacts,
    pub board: Board,
    /// The MBTiles path being typed in the map menu.
    pub mbtiles_input: String,
    pub tianditu_key: String,
    pub xyz_input: String,
    pub intake: super::intake::IntakeForm,
    pub queue_filter: super::queue::QueueFilter,
    /// The queue as filtered and sorted, with what it was computed for.
    pub queue_cache: Option<((u64, super::queue::QueueFilter, i64), Vec<TicketId>)>,
    /// Each team card's height last drawn (cards out of view are skipped at that height).
    pub team_card_heights: std::collections::HashMap<TeamId, f32>,
    pub show_rules: bool,
    pub rules_edit: Vec<SlaRule>,
    undo: Vec<UndoAssign>,
    /// Where the map was drawn last frame.
    pub map_rect: Option<egui::Rect>,
    /// The last network trace, highlighted on the map until cleared.
    pub trace: Option<crate::map::Highlight>,
    /// The network's topology, prepared once per load (tickets do not change it).
    topology: Topology,
    /// Suspected network faults among today's complaints, and their map markers.
    pub alerts: Vec<Cluster>,
    pub map_alerts: Vec<crate::map::overlays::MapAlert>,
    /// When the alerts were last computed.
    alerts_at: Option<Timestamp>,
    /// Bumped by every data change: views that derive figures recompute when it moves.
    pub data_gen: u64,
    pub leaders: super::leaders::LeadersState,
    pub visit_form: super::visit_form::VisitForm,
    pub import: super::import::ImportForm,
    /// The one ticket whose reporter's number is shown unmasked.
    pub revealed_phone: Option<TicketId>,
    /// Automatic backups (the real console; not in tests).
    backups: Option<super::backups::Backups>,
    /// The season's older tickets and answers, being read after the first frame.
    older: Option<std::sync::mpsc::Receiver<Result<crate::domain::older::OlderRows, String>>>,
    /// Read, and being folded in a few thousand rows a frame.
    folding: Option<crate::domain::older::OlderRows>,
    /// Where exported files go (beside the database in the console).
    pub export_dir: std::path::PathBuf,
    last_team_before: Option<TeamId>,
    history: Option<(TicketId, i64, Vec<TicketEvent>)>,
    clock: Clock,
    last_poll: f64,
}

impl HeatDeskApp {
    pub fn new(store: Box<dyn DispatchStore>, snap: Snapshot, prefs: Prefs, clock: Clock) -> Self {
        let mut map = MapView::new(prefs.map_zoom);
        let now = clock();
        // the network and its alerts on one core while the map's index is built on the other
        let (topology, clusters) = std::thread::scope(|scope| {
            let network = scope.spawn(|| {
                let topology = Topology::build(&snap);
                let clusters = Network::on(&snap, &topology)
                    .clusters(&ClusterRules::recent(now, CLUSTER_WINDOW_HOURS));
                (topology, clusters)
            });
            map.prepare(&snap);
            network.join().expect("the network thread does not panic")
        });
        let mut app = HeatDeskApp {
            store,
            snap,
            prefs,
            map: MapView::new(14.0),
            selection: None,
            search: String::new(),
            search_index: Default::default(),
            search_cache: None,
            notice: None,
            reason: String::new(),
            kpis: Kpis::default(),
            kpi_facts: KpiFacts::default(),
            board: Board::default(),
            mbtiles_input: String::new(),
            tianditu_key: String::new(),
            xyz_input: String::new(),
            intake: Default::default(),
            queue_filter: Default::default(),
            queue_cache: None,
            team_card_heights: Default::default(),
            show_rules: false,
            rules_edit: Vec::new(),
            undo: Vec::new(),
            map_rect: None,
            trace: None,
            topology,
            alerts: Vec::new(),
            map_alerts: Vec::new(),
            alerts_at: None,
            export_dir: std::env::temp_dir().join("heatdesk-exports"),
            data_gen: 0,
            revealed_phone: None,
            backups: None,
            older: None,
            folding: None,
            leaders: Default::default(),
            visit_form: Default::default(),
            import: Default::default(),
            last_team_before: None,
            history: None,
            clock,
            last_poll: 0.0,
        };
        let centre = app.prefs.map_center.unwrap_or_else(|| app.city_centre());
        map.fly_to(centre, app.prefs.map_zoom);
        app.map = map;
        app.show_alerts(clusters, now);
        app.refresh(false, None);
        app.prepare_search();
        app
    }

    pub fn now(&self) -> Timestamp {
        (self.clock)()
    }

    pub fn lang(&self) -> Lang {
        self.prefs.lang
    }

    pub fn tr(&self, key: Key) -> &'static str {
        t(self.prefs.lang, key)
    }

    pub fn city_centre(&self) -> [f64; 2] {
        let n = self.snap.compounds.len().max(1) as f64;
        let s = self
            .snap
            .compounds
            .iter()
            .filter_map(|c| c.outline.first())
            .fold([0.0, 0.0], |a, p| [a[0] + p[0], a[1] + p[1]]);
        if self.snap.compounds.is_empty() {
            [116.39, 39.9]
        } else {
            [s[0] / n, s[1] / n]
        }
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

    /// Write tables to `<export dir>/<stem>-<date time>.<ext>` and say where in the status line.
    pub fn export(&mut self, stem: &str, ext: &str, tables: &[crate::export::Table]) {
        let name = format!("{stem}-{}.{ext}", self.now().format("%Y%m%d-%H%M%S"));
        let path = self.export_dir.join(name);
        let result = std::fs::create_dir_all(&self.export_dir)
            .map_err(|e| format!("{}: {e}", self.export_dir.display()))
            .and_then(|()| crate::export::write(&path, tables).map_err(|e| e.to_string()));
        self.notice = Some(match result {
            Ok(()) => Notice {
                ok: true,
                text: format!("{} {}", self.tr(Key::Saved), path.display()),
            },
            Err(e) => Notice {
                ok: false,
                text: format!("{}: {e}", self.tr(Key::Refused)),
            },
        });
    }

    /// The network with today's tickets on it, for traces and cluster alerts.
    pub fn network(&self) -> Network<'_> {
        Network::on(&self.snap, &self.topology)
    }

    /// The one place a change is made: the store commits it (with its audit event) first,
    /// then the view shows it. Returns what changed, or None if it was refused.
    pub fn apply(&mut self, command: Command) -> Option<Applied> {
        let origin = Origin {
            actor: self.prefs.operator.clone(),
            at: self.now(),
        };
        let lang = self.lang();
        match self.store.apply(&command, &origin) {
            Ok(applied) => {
                let clusters = self.moves_clusters(applied.tickets().into_iter());
                tracing::info!(
                    actor = %origin.actor,
                    command = command.kind(),
                    tickets = ?applied.tickets().iter().map(|t| t.id).collect::<Vec<_>>(),
                    "applied"
                );
                self.snap.absorb(&applied);
                self.history = None;
                let touched: Vec<TicketId> = applied.tickets().iter().map(|t| t.id).collect();
                self.refresh(clusters, Some(&touched));
                self.notice = Some(Notice {
                    ok: true,
                    text: match &applied {
                        Applied::Ticket { ticket, event, .. } => format!(
                            "{} · #{} {}",
                            t(lang, Key::Done),
                            ticket.id,
                            crate::words::action(lang, &event.action)
                        ),
                        Applied::Batch(all) => match all.first() {
                            Some(Applied::Ticket { ticket, event, .. }) => format!(
                                "{} · #{} {} · {} {}",
                                t(lang, Key::Done),
                                ticket.id,
                                crate::words::action(lang, &event.action),
                                all.len() - 1,
                                t(lang, Key::LinkedTickets)
                            ),
                            Some(Applied::Visit { .. }) => format!(
                                "{} · {} · {} {}",
                                t(lang, Key::Done),
                                crate::words::action(lang, "visit"),
                                all.len() - 1,
                                t(lang, Key::TicketsWord)
                            ),
                            _ => t(lang, Key::Done).to_string(),
                        },
                        Applied::Rule(_) | Applied::KpiRules(_) | Applied::Visit { .. } => {
                            t(lang, Key::Done).to_string()
                        }
                    },
                });
                self.reason.clear();
                if let Applied::Ticket {
                    ticket,
                    event,
                    previous,
                    ..
                } = &applied
                    && event.action == "assign"
                {
                    self.undo.push(UndoAssign {
                        ticket: ticket.id,
                        version: ticket.version,
                        previous_team: if previous.is_some_and(|p| p == TicketStatus::Assigned) {
                            self.last_team_before
                        } else {
                            None
                        },
                    });
                }
                Some(applied)
            }
            Err(e) => {
                tracing::warn!(actor = %origin.actor, command = command.kind(), error = %e, "refused");
                self.notice = Some(Notice {
                    ok: false,
                    text: format!("{}: {e}", t(lang, Key::Refused)),
                });
                None
            }
        }
    }

    /// Ctrl+Z: take back the last assignment this console made (if nobody changed the
    /// ticket since): back to the queue, or back to the team it had.
    pub fn undo_last_assignment(&mut self) {
        let Some(step) = self.undo.pop() else {
            self.notice = Some(Notice {
                ok: false,
                text: self.tr(Key::NothingToUndo).into(),
            });
            return;
        };
        let action = match step.previous_team {
            Some(team) => Action::Assign { team },
            None => Action::Return {
                reason: self.tr(Key::Undone).into(),
            },
        };
        let undone = self.apply(Command::Act {
            ticket: step.ticket,
            seen_version: step.version,
            action,
        });
        if undone.is_some() {
            // undoing is not itself undoable
            if step.previous_team.is_some() {
                self.undo.pop();
            }
            self.notice = Some(Notice {
                ok: true,
                text: format!("{} · #{}", self.tr(Key::Undone), step.ticket),
            });
        }
    }

    /// Assign a ticket as the user saw it, remembering its team for undo.
    pub fn assign(&mut self, ticket: TicketId, seen_version: i64, team: TeamId) {
        self.last_team_before = self.snap.ticket(ticket).and_then(|t| t.team_id);
        self.apply(Command::Act {
            ticket,
            seen_version,
            action: Action::Assign { team },
        });
    }

    /// The selected ticket's audit trail, read from the store once per version.
    pub fn history(&mut self, ticket: &Ticket) -> &[TicketEvent] {
        let fresh =
            matches!(&self.history, Some((id, v, _)) if *id == ticket.id && *v == ticket.version);
        if !fresh {
            let events = self.store.history(ticket.id).unwrap_or_default();
            self.history = Some((ticket.id, ticket.version, events));
        }
        self.history.as_ref().map(|h| h.2.as_slice()).unwrap_or(&[])
    }

    pub fn select(&mut self, selection: Selection) {
        if self.selection != Some(selection) {
            self.revealed_phone = None;
        }
        self.selection = Some(selection);
    }

    /// Select something and centre the map on it.
    pub fn select_and_fly(&mut self, selection: Selection) {
        let place = match selection {
            Selection::Compound(id) => self
                .snap
                .compound(id)
                .and_then(|c| c.outline.first().copied())
                .map(|p| (p, 16.0)),
            Selection::Building(id) => self
                .snap
                .building(id)
                .and_then(|b| b.footprint.first().copied())
                .map(|p| (p, 17.5)),
            Selection::Ticket(id) => self
                .snap
                .ticket(id)
                .and_then(|t| self.snap.building(t.building_id))
                .and_then(|b| b.footprint.first().copied())
                .map(|p| (p, 17.5)),
            Selection::Team(id) => self.snap.team(id).map(|t| (t.position, 16.0)),
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
        let position = self.snap.team(team)?.position;
        Some(
            self.map
                .screen_position(rect, self.city_centre(), position, self.prefs.map.gcj02),
        )
    }

    /// The map feature matching the selection, for highlighting.
    fn selected_feature(&self) -> Option<Feature> {
        let snap = &self.snap;
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

    fn hit_to_selection(&self, hit: Hit) -> Selection {
        match hit {
            Hit::Team(id) => Selection::Team(id),
            Hit::Ticket(id) => Selection::Ticket(id),
            Hit::Feature(Feature::Compound(i)) => Selection::Compound(self.snap.compounds[i].id),
            Hit::Feature(Feature::Building(i)) => Selection::Building(self.snap.buildings[i].id),
            Hit::Feature(Feature::Station(i)) => Selection::Station(self.snap.stations[i].id),
            Hit::Feature(Feature::Source(i)) => Selection::Source(self.snap.sources[i].id),
            Hit::Feature(Feature::Pipe(i)) => Selection::Pipe(self.snap.segments[i].id),
        }
    }

    /// The whole console, one frame. eframe and the UI tests both call this.
    pub fn show(&mut self, ui: &mut Ui) {
        let time = ui.input(|i| i.time);
        self.poll(time);
        if self.folding.is_some() {
            // the season's history goes in a few thousand rows a frame: the next one now
            ui.ctx().request_repaint();
        } else {
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_secs(1));
        }

        let typing = ui.ctx().memory(|m| m.focused().is_some());
        if !typing && ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::Z)) {
            self.undo_last_assignment();
        }
        super::intake::show(self, &ui.ctx().clone());
        super::rules::show(self, &ui.ctx().clone());
        super::visit_form::show(self, &ui.ctx().clone());
        super::import::show(self, &ui.ctx().clone());
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
            .show(ui, |ui| {
                let selected = self.selected_feature();
                let home = self.city_centre();
                let route = super::leaders::route_overlay(self);
                let (hits, response) = self.map.show(
                    ui,
                    &self.snap,
                    self.prefs.layers,
                    &self.prefs.map,
                    crate::map::Focus {
                        selected,
                        highlight: self.trace.as_ref(),
                        alerts: &self.map_alerts,
                        route: route.as_ref(),
                    },
                    home,
                );
                if let Some(r) = &response {
                    self.map_rect = Some(r.rect);
                    super::legend::show(self, ui, r.rect);
                }
                if let Some(team) = hits.dropped_on_team
                    && let Some(drag) =
                        egui::DragAndDrop::take_payload::<super::queue::TicketDrag>(ui.ctx())
                {
                    self.assign(drag.ticket, drag.version, team);
                }
                if let Some(hit) = hits.clicked {
                    self.select(self.hit_to_selection(hit));
                }
                if let (Some(hit), Some(response)) = (hits.hovered, response) {
                    let text = detail::summary(self, self.hit_to_selection(hit));
                    response.on_hover_ui_at_pointer(|ui| {
                        ui.label(text);
                    });
                }
            });
        self.prefs.map_zoom = self.map.memory.zoom();
        if let Some(p) = self.map.memory.detached() {
            self.prefs.map_center = Some([p.x(), p.y()]);
        }
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
