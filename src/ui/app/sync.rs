//! Keeping up with the world outside this console, about once a second: other consoles'
//! commits (read as changes, not reloads), the sliding alert window, the automatic backups,
//! and the unsaved form kept for a crash report.

use chrono::Duration;

use super::{HeatDeskApp, Notice};
use crate::domain::TicketId;
use crate::domain::trace::Topology;
use crate::ui::i18n::Key;

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
    /// `db` on a thread of its own, and fold it in when it arrives.
    pub fn with_older(mut self, db: std::path::PathBuf, since: crate::domain::Timestamp) -> Self {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(crate::store::load_older(&db, since).map_err(|e| e.to_string()));
        });
        self.older = Some(rx);
        self
    }

    /// The season's history is still being read.
    pub fn loading_older(&self) -> bool {
        self.older.is_some()
    }

    /// Fold the season's history in once it has been read (one frame's work, once).
    pub fn take_older(&mut self) {
        let Some(rx) = &self.older else { return };
        let Ok(read) = rx.try_recv() else { return };
        self.older = None;
        match read {
            Ok((tickets, surveys)) => {
                self.snap.absorb_older(tickets, surveys);
                self.history = None;
                // older rows are closed and count neither today nor in the alert window:
                // the alerts stand; the rest is re-derived (the answers were re-sorted)
                self.refresh(false, None);
            }
            Err(e) => {
                self.notice = Some(Notice {
                    ok: false,
                    text: format!("{}: {e}", self.tr(Key::HistoryFailed)),
                })
            }
        }
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
        if time - self.last_poll < 1.0 {
            return;
        }
        self.last_poll = time;
        self.take_older();
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
