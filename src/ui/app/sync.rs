//! Keeping up with the world outside this console, about once a second: other consoles'
//! commits (read as changes, not reloads), the sliding alert window, the automatic backups,
//! and the unsaved form kept for a crash report.

use chrono::Duration;

use super::{HeatDeskApp, Notice};
use crate::domain::TicketId;
use crate::domain::kpi::{KpiFacts, Placement};
use crate::domain::older::OlderRows;
use crate::domain::trace::Topology;
use crate::words::Key;

/// The share of a frame that folding the season's history in may take.
const FOLD_BUDGET: std::time::Duration = std::time::Duration::from_millis(4);

impl HeatDeskApp {
    /// Back the database at `db` up into `dir`: at start, then as the settings say.
    pub fn with_backups(mut self, db: std::path::PathBuf, dir: std::path::PathBuf) -> Self {
        self.backups = Some(crate::ui::backups::Backups::new(db, dir));
        self
    }

    /// The start of what a first load reads (`load_recent`): midnight [`RECENT_DAYS`] ago.
    pub fn recent_since(now: crate::domain::Timestamp) -> crate::domain::Timestamp {
        (now.date() - Duration::days(super::RECENT_DAYS)).and_time(chrono::NaiveTime::MIN)
    }

    /// The snapshot was loaded with `load_recent(since)`: read the rest of the season from
    /// `db` on a thread of its own, with the figures' facts of those rows (so that the
    /// frames folding them in only append), and fold it in when it arrives.
    pub fn with_older(mut self, db: std::path::PathBuf, since: crate::domain::Timestamp) -> Self {
        let (tx, rx) = std::sync::mpsc::channel();
        let placement = Placement::of_snapshot(&self.snap);
        std::thread::spawn(move || {
            let read = crate::store::load_older(&db, since)
                .map(|(tickets, surveys)| {
                    let facts = KpiFacts::of_rows(&placement, &tickets, &surveys);
                    OlderRows::read(tickets, surveys, facts)
                })
                .map_err(|e| e.to_string());
            let _ = tx.send(read);
        });
        self.older = Some(rx);
        self
    }

    /// The season's history is still being read, or folded in.
    pub fn loading_older(&self) -> bool {
        self.older.is_some() || self.folding.is_some()
    }

    /// The season's history has been read and is being folded in.
    pub fn folding_older(&self) -> bool {
        self.folding.is_some()
    }

    /// Fold the season's history in once it has been read, a few thousand rows a frame
    /// (called every frame while it lasts).
    pub fn take_older(&mut self) {
        if let Some(rx) = &self.older
            && let Ok(read) = rx.try_recv()
        {
            self.older = None;
            match read {
                Ok(rows) => self.folding = Some(rows),
                Err(e) => {
                    self.notice = Some(Notice {
                        ok: false,
                        text: format!("{}: {e}", self.tr(Key::HistoryFailed)),
                    })
                }
            }
        }
        let Some(rows) = &mut self.folding else {
            return;
        };
        if !rows.all_in() {
            // a step of rows at a time until the frame's share is spent
            let started = std::time::Instant::now();
            while started.elapsed() < FOLD_BUDGET
                && !rows.step(&mut self.snap, &mut self.kpi_facts, 1024)
            {}
            return;
        }
        // the frame after the last rows: what is derived from them. Older rows are closed:
        // the queue, the teams' lists, the map's open counts and the alerts stand; only a
        // network ticket's linked reports may grow
        self.board.update(&self.snap, rows.linked());
        // a city's rows freed on a thread of their own (their pages unmapped: milliseconds)
        if let Some(spent) = self.folding.take() {
            std::thread::spawn(move || drop(spent));
        }
        self.history = None;
        self.refresh(false, Some(&[]));
    }

    /// The backup folder, if this console makes backups.
    pub fn backup_dir(&self) -> Option<std::path::PathBuf> {
        self.backups.as_ref().map(|b| b.dir().to_path_buf())
    }

    /// Back up at the next poll (within a second), on the worker thread.
    pub fn backup_now(&mut self) {
        if let Some(b) = &mut self.backups {
            b.due_now();
            self.last_poll = f64::NEG_INFINITY;
        }
    }

    /// The database file (None for a store without one).
    pub fn store_path(&self) -> Option<std::path::PathBuf> {
        self.store.file().map(std::path::Path::to_path_buf)
    }

    /// Look for others' commits at the next frame, not within the second.
    pub fn poll_now(&mut self) {
        self.last_poll = f64::NEG_INFINITY;
    }

    /// Pick up other consoles' commits (about once a second).
    pub(super) fn poll(&mut self, time: f64) {
        self.take_older();
        if time - self.last_poll < 1.0 {
            return;
        }
        self.last_poll = time;
        // what is being typed survives a crash in the crash report (a second's worth at most
        // is lost; formatting it every frame would be work for nothing)
        crate::logging::remember_draft(if self.intake.open {
            Some(format!("{:#?}", self.intake))
        } else if self.visit_form.open {
            Some(format!("{:#?}", self.visit_form))
        } else {
            None
        });
        let now = self.now();
        if self
            .alerts_at
            .is_none_or(|at| now - at >= Duration::minutes(5))
        {
            self.refresh_alerts(now);
        }
        if let Some(done) = self
            .backups
            .as_mut()
            .and_then(|b| b.tick(self.prefs.backup_every_hours, self.prefs.backups_kept, now))
        {
            self.notice = Some(match done {
                Ok(path) => Notice {
                    ok: true,
                    text: format!("{} {}", self.tr(Key::BackedUp), path.display()),
                },
                Err(e) => Notice {
                    ok: false,
                    text: format!("{}: {e}", self.tr(Key::BackupFailed)),
                },
            });
        }
        match self.store.catch_up() {
            // only what others changed: a city's full reload would freeze the console
            Ok(Some(Some(changes))) => {
                let clusters = self.moves_clusters(changes.tickets.iter());
                let touched: Vec<TicketId> = changes.tickets.iter().map(|t| t.id).collect();
                self.snap.absorb_changes(changes);
                self.history = None;
                self.refresh(clusters, Some(&touched));
                self.notice = Some(Notice {
                    ok: true,
                    text: self.tr(Key::ReloadedElsewhere).into(),
                });
            }
            Ok(Some(None)) => match self.store.load() {
                Ok(snap) => {
                    // the whole season, read anew: what was still to come is in it
                    (self.older, self.folding) = (None, None);
                    self.snap = snap;
                    self.topology = Topology::build(&self.snap);
                    self.map.invalidate_geometry();
                    self.prepare_search();
                    self.history = None;
                    self.data_changed();
                    self.notice = Some(Notice {
                        ok: true,
                        text: self.tr(Key::ReloadedElsewhere).into(),
                    });
                }
                Err(e) => {
                    self.notice = Some(Notice {
                        ok: false,
                        text: e.to_string(),
                    })
                }
            },
            Ok(None) => {}
            Err(e) => {
                self.notice = Some(Notice {
                    ok: false,
                    text: e.to_string(),
                })
            }
        }
    }
}
