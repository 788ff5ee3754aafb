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
