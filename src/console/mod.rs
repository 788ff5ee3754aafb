//! The console's model, apart from its screen: the store, the snapshot, the derived views and a
//! queue of requests. Panels read it and push requests; [`Console::step`] applies the queue at
//! one point per frame, takes in other consoles' commits, folds the season's history in and
//! brings the views up to date once — so every panel of a frame sees the same state. No egui
//! here: the model is tested on its own.

pub mod backups;
pub mod jobs;
pub mod season_reading;
pub mod views;

use std::cell::RefCell;
use std::path::PathBuf;

use crate::domain::colouring::Metric;
use crate::domain::*;
use crate::store::{DispatchStore, Location};
use crate::words::problem::Problem;
use backups::Backups;
use season_reading::SeasonReading;
use views::{Change, Dirty, Views};

/// What a user points at: on the map, in a list, in a search result.
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

/// Where "now" comes from: the wall clock, or a fixed time in tests.
pub type Clock = Box<dyn Fn() -> Timestamp>;

pub use crate::domain::season::{RECENT_DAYS, recent_since};

/// Which form or panel a request came from, so its outcome can be answered there (the form
/// closed, the new ticket selected).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tag {
    #[default]
    None,
    Intake,
    VisitForm,
    KpiRules,
    NetworkTicket,
    /// The 账号管理 window.
    Accounts,
    /// The 短信 window (templates, outage notices).
    Messages,
}

/// What a panel asks of the console.
#[derive(Debug, Clone)]
pub enum Request {
    /// Apply a command.
    Apply { command: Command, tag: Tag },
    /// Give a ticket as the user saw it (`seen_version`) to a team, remembering its team before
    /// for Ctrl+Z.
    Assign {
        ticket: TicketId,
        seen_version: i64,
        team: TeamId,
    },
    /// Take back the last assignment this console made (`reason`: the step's note when it
    /// goes back to the queue, in the operator's language).
    Undo { reason: String },
    /// Back the database up now (a file store).
    BackupNow,
    /// Look for other consoles' commits now, not within the second.
    PollNow,
    /// A ticket the snapshot does not hold as a row (one of the season's settled ones) is
    /// looked at: read it from the store and keep it.
    Show(TicketId),
    /// Import a company's file on a worker (a dry run with `options.check`), its rows counted
    /// into `progress`; the outcome comes as [`Event::Imported`].
    Import {
        file: PathBuf,
        options: Box<crate::exchange::import::Options>,
        progress: std::sync::Arc<crate::exchange::Progress>,
    },
    /// Read a file for the import window's preview on a worker ([`Event::Previewed`]).
    Preview {
        path: PathBuf,
        options: Box<crate::exchange::import::Options>,
    },
    /// Read the city and its own vector map on a worker, to render its basemap from
    /// ([`Event::CityMapRead`]).
    ReadCityMap,
}

impl Request {
    pub fn apply(command: Command) -> Self {
        Request::Apply {
            command,
            tag: Tag::None,
        }
    }
}

/// What happened at a step, for the screen to say.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Applied {
        applied: Applied,
        tag: Tag,
    },
    Refused {
        error: Problem,
        tag: Tag,
    },
    NothingToUndo,
    Undone(TicketId),
    /// Other consoles' commits were taken in.
    CaughtUp,
    /// Everything was read again (another console imported a file).
    Reloaded,
    Failed(Problem),
    HistoryFailed(Problem),
    BackedUp(PathBuf),
    BackupFailed(Problem),
    /// An import finished (written, checked, or refused with its problems).
    Imported(jobs::Outcome<Result<crate::exchange::Report, crate::exchange::Failure>>),
    /// A file was read for the import window's preview.
    Previewed(jobs::Outcome<Result<crate::exchange::import::Preview, crate::exchange::Failure>>),
    /// The city and its vector map were read.
    CityMapRead(jobs::Outcome<Result<jobs::CityMap, Problem>>),
}

/// How to take back one assignment.
#[derive(Debug, Clone, Copy, PartialEq)]
struct UndoAssign {
    ticket: TicketId,
    /// The ticket's version right after the assignment: undo is refused if it moved on.
    version: i64,
    previous_team: Option<TeamId>,
}

pub struct Console {
    store: Box<dyn DispatchStore>,
    snap: Snapshot,
    views: Views,
    requests: RefCell<Vec<Request>>,
    colouring: Metric,
    clock: Clock,
    /// Written into every audit event this console makes.
    actor: String,
    undo: Vec<UndoAssign>,
    /// The selected ticket's audit trail, read once per version.
    history: RefCell<Option<(TicketId, i64, Vec<TicketEvent>)>>,
    /// How many photos the selected ticket's crew sent, read once per version.
    photo_count: RefCell<Option<(TicketId, i64, usize)>>,
    older: Option<SeasonReading>,
    /// A full reload being read on a thread: the snapshot, and since when it holds the season.
    reloading: Option<std::sync::mpsc::Receiver<Result<(Snapshot, Timestamp), Problem>>>,
    backups: Option<Backups>,
    jobs: jobs::Jobs,
    /// When the store was last asked for others' commits (seconds of the frame clock).
    last_poll: f64,
    /// The minute, five minutes and day last seen (views that follow the clock).
    clock_marks: (i64, i64, chrono::NaiveDate),
    /// What changed since the views were brought up to date, beyond the requests.
    pending: Change,
}

impl Console {
    /// A console on `snap` (what `store` loaded). The views are made on a thread of their own
    /// while `beside` prepares what the screen needs of the same snapshot (the map's index).
    pub fn new(
        store: Box<dyn DispatchStore>,
        snap: Snapshot,
        clock: Clock,
        colouring: Metric,
        beside: impl FnOnce(&Snapshot),
    ) -> Self {
        let now = clock();
        let views = std::thread::scope(|scope| {
            let views = scope.spawn(|| Views::recount(&snap, now, colouring));
            beside(&snap);
            views.join().expect("making the views does not panic")
        });
        Console {
            store,
            snap,
            views,
            requests: RefCell::default(),
            colouring,
            clock,
            actor: "调度员".into(),
            undo: Vec::new(),
            history: RefCell::default(),
            photo_count: RefCell::default(),
            older: None,
            reloading: None,
            backups: None,
            jobs: jobs::Jobs::default(),
            last_poll: f64::NEG_INFINITY,
            clock_marks: marks(now),
            pending: Change::default(),
        }
    }

    /// The snapshot was loaded with `load_recent(since)`: read the rest of the season on a
    /// second handle of the store and fold it in as it arrives.
    pub fn read_older(&mut self, since: Timestamp) -> Result<(), crate::store::StoreError> {
        let store = self.store.second_handle()?;
        self.older = Some(SeasonReading::read(store, &self.snap, since));
        Ok(())
    }

    /// Back the database file up into `dir`: at start, then as the settings say.
    pub fn with_backups(mut self, dir: PathBuf) -> Self {
        if let Some(db) = self.store.location().file() {
            self.backups = Some(Backups::new(db.to_path_buf(), dir));
        }
        self
    }

    pub fn snapshot(&self) -> &Snapshot {
        &self.snap
    }

    pub fn views(&self) -> &Views {
        &self.views
    }

    /// The views, for those made when drawn (the queue, the leaders' figures).
    pub fn views_mut(&mut self) -> (&Snapshot, &mut Views) {
        (&self.snap, &mut self.views)
    }

    pub fn now(&self) -> Timestamp {
        (self.clock)()
    }

    pub fn location(&self) -> &Location {
        self.store.location()
    }

    /// An import is under way on its worker.
    pub fn importing(&self) -> bool {
        self.jobs.importing()
    }

    /// A file is being read for the import window's preview.
    pub fn previewing(&self) -> bool {
        self.jobs.previewing()
    }

    /// The city's map is being read for its basemap.
    pub fn reading_city_map(&self) -> bool {
        self.jobs.reading_city_map()
    }

    /// Call `wake` (from the store's thread) when another console commits, so that the
    /// screen's next step takes it in at once.
    pub fn watch(&mut self, wake: crate::store::Waker) {
        self.store.watch(wake);
    }

    /// Whether the store can be reached now.
    pub fn health(&self) -> crate::store::Health {
        self.store.health()
    }

    /// What this user's role lets them change.
    pub fn permissions(&self) -> crate::store::Permissions {
        self.store.permissions()
    }

    /// Who this console's audit events name.
    pub fn set_actor(&mut self, actor: &str) {
        self.actor = actor.to_string();
    }

    /// The map is coloured by `metric` (only the colours are made again).
    pub fn set_colouring(&mut self, metric: Metric) {
        if metric != self.colouring {
            self.colouring = metric;
            self.pending.merge(Change::of(Dirty::COLOURING));
        }
    }

    pub fn colouring(&self) -> Metric {
        self.colouring
    }

    /// Ask for something; it happens at the next [`Console::step`].
    pub fn push(&self, request: Request) {
        self.requests.borrow_mut().push(request);
    }

    /// Requests wait for the next step.
    pub fn busy(&self) -> bool {
        !self.requests.borrow().is_empty() || !self.pending.is_empty()
    }

    /// The season's history is still being read, or folded in.
    pub fn loading_older(&self) -> bool {
        self.older.is_some()
    }

    /// The backup folder, if this console makes backups.
    pub fn backup_dir(&self) -> Option<PathBuf> {
        self.backups.as_ref().map(|b| b.dir().to_path_buf())
    }

    /// What the search box finds: a ticket by its number (the store is asked for one the
    /// snapshot does not hold), then compounds, buildings and teams by name.
    pub fn search(&mut self, query: &str, limit: usize) -> views::search::Found {
        let mut found = views::search::results(&self.snap, &mut self.views.search, query, limit);
        if let Ok(id) = query.trim().trim_start_matches('#').parse::<i64>()
            && self.snap.ticket(id).is_none()
            && let Ok(Some(t)) = self.store.ticket(id)
        {
            let label = format!("#{id} {}", self.snap.building_label(t.building_id));
            found.insert(0, (Selection::Ticket(id), label));
            found.truncate(limit);
        }
        found
    }

    /// The selected ticket's audit trail, read from the store once per version.
    pub fn history(&self, ticket: &Ticket) -> Vec<TicketEvent> {
        let mut cached = self.history.borrow_mut();
        let fresh =
            matches!(&*cached, Some((id, v, _)) if *id == ticket.id && *v == ticket.version);
        if !fresh {
            let events = self.store.history(ticket.id).unwrap_or_default();
            *cached = Some((ticket.id, ticket.version, events));
        }
        cached.as_ref().map(|h| h.2.clone()).unwrap_or_default()
    }

    /// How many photos the crew sent with a ticket (at 完工), read from the store once per
    /// version.
    pub fn photo_count(&self, ticket: &Ticket) -> usize {
        let mut cached = self.photo_count.borrow_mut();
        match &*cached {
            Some((id, v, n)) if *id == ticket.id && *v == ticket.version => *n,
            _ => {
                let n = self.store.photos(ticket.id).map_or(0, |p| p.len());
                *cached = Some((ticket.id, ticket.version, n));
                n
            }
        }
    }

    /// The photos of a ticket, as the crew sent them.
    pub fn photos(
        &self,
        ticket: TicketId,
    ) -> Result<Vec<crate::domain::crew::Photo>, crate::store::StoreError> {
        self.store.photos(ticket)
    }

    /// The technicians' accounts (the 账号管理 window reads them when it opens and after each
    /// change).
    pub fn accounts(&self) -> Result<Vec<crate::domain::crew::Account>, crate::store::StoreError> {
        self.store.accounts()
    }

    /// The newest `limit` messages to residents.
    pub fn outbox(
        &self,
        limit: usize,
    ) -> Result<Vec<crate::domain::crew::Message>, crate::store::StoreError> {
        self.store.outbox(limit)
    }

    /// The texts residents get, as the admin last saved them.
    pub fn message_templates(
        &self,
    ) -> Result<crate::domain::crew::MessageTemplates, crate::store::StoreError> {
        self.store.message_templates()
    }

    /// The one point per frame where the console changes: the queued requests applied in the
    /// order made, other consoles' commits taken in (about once a second, `time` in seconds),
    /// the season's history folded a step further, the clock's views moved on — and then the
    /// views brought up to date once. Returns what happened, for the screen to say.
    pub fn step(&mut self, time: f64, backup_every_hours: u32, backups_kept: usize) -> Vec<Event> {
        let mut events = Vec::new();
        let mut change = std::mem::take(&mut self.pending);
        let requests = std::mem::take(&mut *self.requests.borrow_mut());
        for request in requests {
            self.serve(request, &mut change, &mut events);
        }
        self.jobs.finished(&mut events);
        if events.iter().any(|e| {
            matches!(e, Event::Imported(done) if done.0.as_ref().as_ref().is_ok_and(|r| r.written))
        }) {
            // the import committed on its own handle: take it in now
            self.last_poll = f64::NEG_INFINITY;
        }
        self.fold_older(&mut change, &mut events);
        self.take_reload(&mut change, &mut events);
        // about once a second, or at once when the store heard of another console's commit
        if time - self.last_poll >= 1.0 || self.store.others_committed() {
            self.last_poll = time;
            self.poll(&mut change, &mut events);
            self.tick_backups(backup_every_hours, backups_kept, &mut events);
        }
        let now = self.now();
        change.dirty |= self.clock_moved(now);
        if !change.is_empty() {
            self.views.update(&self.snap, &change, now, self.colouring);
        }
        events
    }

    /// Serve one request.
    fn serve(&mut self, request: Request, change: &mut Change, events: &mut Vec<Event>) {
        match request {
            Request::Apply { command, tag } => {
                self.apply(&command, tag, change, events);
            }
            Request::Assign {
                ticket,
                seen_version,
                team,
            } => {
                let previous_team = self.snap.ticket(ticket).and_then(|t| t.team_id);
                let command = Command::Act {
                    ticket,
                    seen_version,
                    action: Action::Assign { team },
                };
                if let Some(Applied::Ticket {
                    ticket, previous, ..
                }) = self.apply(&command, Tag::None, change, events)
                {
                    self.undo.push(UndoAssign {
                        ticket: ticket.id,
                        version: ticket.version,
                        previous_team: previous
                            .filter(|p| *p == TicketStatus::Assigned)
                            .and(previous_team),
                    });
                }
            }
            Request::Undo { reason } => self.undo_last_assignment(reason, change, events),
            Request::BackupNow => {
                if let Some(b) = &mut self.backups {
                    b.due_now();
                    self.last_poll = f64::NEG_INFINITY;
                }
            }
            Request::PollNow => self.last_poll = f64::NEG_INFINITY,
            Request::Import {
                file,
                options,
                progress,
            } => {
                let location = self.store.location().to_string();
                self.jobs.import(
                    self.store.second_handle(),
                    location,
                    file,
                    *options,
                    progress,
                );
            }
            Request::Preview { path, options } => {
                let location = self.store.location().to_string();
                self.jobs
                    .preview(self.store.second_handle(), location, path, *options);
            }
            Request::ReadCityMap => self.jobs.read_city_map(self.store.second_handle()),
            Request::Show(id) => {
                if self.snap.ticket(id).is_none() {
                    match self.store.ticket(id) {
                        Ok(Some(t)) => {
                            let changes = Changes {
                                tickets: vec![t],
                                ..Changes::default()
                            };
                            self.take_in(Update::Changed(changes), change, events);
                        }
                        Ok(None) => {}
                        Err(e) => events.push(Event::Failed(e.problem())),
                    }
                }
            }
        }
    }

    /// The store commits the command (with its audit event) first; then the snapshot takes
    /// the change in, as it would another console's.
    fn apply(
        &mut self,
        command: &Command,
        tag: Tag,
        change: &mut Change,
        events: &mut Vec<Event>,
    ) -> Option<Applied> {
        let origin = Origin {
            actor: self.actor.clone(),
            at: self.now(),
        };
        match self.store.apply(command, &origin) {
            Ok(applied) => {
                tracing::info!(
                    actor = %origin.actor,
                    command = command.kind(),
                    tickets = ?applied.tickets().iter().map(|t| t.id).collect::<Vec<_>>(),
                    "applied"
                );
                self.take_in(applied.update(), change, events);
                events.push(Event::Applied {
                    applied: applied.clone(),
                    tag,
                });
                Some(applied)
            }
            Err(e) => {
                tracing::warn!(actor = %origin.actor, command = command.kind(), error = %e, "refused");
                events.push(Event::Refused {
                    error: e.problem(),
                    tag,
                });
                None
            }
        }
    }

    /// Ctrl+Z: take back the last assignment this console made (if nobody changed the ticket
    /// since): back to the queue, or back to the team it had.
    fn undo_last_assignment(
        &mut self,
        reason: String,
        change: &mut Change,
        events: &mut Vec<Event>,
    ) {
        let Some(step) = self.undo.pop() else {
            events.push(Event::NothingToUndo);
            return;
        };
        let action = match step.previous_team {
            Some(team) => Action::Assign { team },
            None => Action::Return { reason },
        };
        let command = Command::Act {
            ticket: step.ticket,
            seen_version: step.version,
            action,
        };
        if self.apply(&command, Tag::None, change, events).is_some() {
            events.push(Event::Undone(step.ticket));
        }
    }

    /// Take an update in: the snapshot first, then what the views must redo (one change).
    fn take_in(&mut self, update: Update, change: &mut Change, events: &mut Vec<Event>) {
        match update {
            Update::UpToDate => {}
            Update::Changed(changes) => {
                let mut dirty = Dirty::NOTHING;
                if !changes.tickets.is_empty() {
                    dirty |= Dirty::TICKETS;
                }
                if views::moves_clusters(&self.snap, &changes.tickets) {
                    dirty |= Dirty::COLD;
                }
                if !changes.surveys.is_empty() {
                    dirty |= Dirty::ANSWERS;
                }
                if !changes.readings.is_empty() {
                    dirty |= Dirty::READINGS;
                }
                if !changes.visits.is_empty() {
                    dirty |= Dirty::VISITS;
                }
                if !changes.rules.is_empty() || changes.kpi_rules.is_some() {
                    dirty |= Dirty::SETTINGS;
                }
                change.merge(Change {
                    dirty,
                    touched: changes.tickets.iter().map(|t| t.id).collect(),
                });
                self.snap.absorb(changes);
                self.history.replace(None);
            }
            Update::Reload => self.reload(events),
        }
    }

    /// Read everything again on a second handle, as at start: what the first frame needs,
    /// then the season's facts behind it (the console keeps drawing meanwhile).
    fn reload(&mut self, events: &mut Vec<Event>) {
        let store = match self.store.second_handle() {
            Ok(store) => store,
            Err(e) => {
                events.push(Event::Failed(e.problem()));
                return;
            }
        };
        let since = recent_since(self.now());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(
                store
                    .load_recent(since)
                    .map(|snap| (snap, since))
                    .map_err(|e| e.problem()),
            );
        });
        self.reloading = Some(rx);
    }

    fn take_reload(&mut self, change: &mut Change, events: &mut Vec<Event>) {
        let Some(rx) = &self.reloading else { return };
        let Ok(read) = rx.try_recv() else { return };
        self.reloading = None;
        match read {
            Ok((snap, since)) => {
                self.snap = snap;
                self.history.replace(None);
                change.merge(Change::of(Dirty::ALL));
                events.push(Event::Reloaded);
                // what was committed since this handle's mark: taken in again (rows the load
                // read already are replaced by themselves), so nothing committed meanwhile is
                // missed
                match self.store.catch_up() {
                    Ok(update) => self.take_in(update, change, events),
                    Err(e) => events.push(Event::Failed(e.problem())),
                }
                if let Err(e) = self.read_older(since) {
                    events.push(Event::HistoryFailed(e.problem()));
                }
            }
            Err(e) => events.push(Event::Failed(e)),
        }
    }

    /// Other consoles' commits: only what they changed (a city's full reload only when the
    /// city itself changed).
    fn poll(&mut self, change: &mut Change, events: &mut Vec<Event>) {
        match self.store.catch_up() {
            Ok(Update::UpToDate) => {}
            Ok(Update::Reload) => self.reload(events),
            Ok(update) => {
                self.take_in(update, change, events);
                events.push(Event::CaughtUp);
            }
            // a server away is said by the top bar, not once a second
            Err(crate::store::StoreError::Unavailable { .. }) => {}
            Err(e) => events.push(Event::Failed(e.problem())),
        }
    }

    /// The season's settled facts, once read: taken in at once (they are facts, a few
    /// megabytes; no rows are folded in).
    fn fold_older(&mut self, change: &mut Change, events: &mut Vec<Event>) {
        let Some(older) = &self.older else { return };
        let Some(arrived) = older.arrived() else {
            return;
        };
        let new_rows = older.new_rows_from(&self.snap);
        self.older = None;
        match arrived {
            Ok(settled) => {
                self.views.facts.settle(settled, &self.snap, new_rows);
                change.merge(Change::of(Dirty::SETTLED));
            }
            Err(e) => events.push(Event::HistoryFailed(e)),
        }
    }

    fn tick_backups(&mut self, every_hours: u32, keep: usize, events: &mut Vec<Event>) {
        let now = self.now();
        if let Some(done) = self
            .backups
            .as_mut()
            .and_then(|b| b.tick(every_hours, keep, now))
        {
            events.push(match done {
                Ok(path) => Event::BackedUp(path),
                Err(e) => Event::BackupFailed(e),
            });
        }
    }

    /// The views that follow the clock: a minute (overdue), five minutes (the alerts'
    /// window), a day (today's figures).
    fn clock_moved(&mut self, now: Timestamp) -> Dirty {
        let now_marks = marks(now);
        let mut dirty = Dirty::NOTHING;
        if now_marks.0 != self.clock_marks.0 {
            dirty |= Dirty::MINUTE;
        }
        if self.views.alerts.stale(now) {
            dirty |= Dirty::SLIDE;
        }
        if now_marks.2 != self.clock_marks.2 {
            dirty |= Dirty::DAY;
        }
        self.clock_marks = now_marks;
        dirty
    }
}

fn marks(now: Timestamp) -> (i64, i64, chrono::NaiveDate) {
    let secs = now.and_utc().timestamp();
    (secs / 60, secs / 300, now.date())
}
