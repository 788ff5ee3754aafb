//! Automatic backups while the console runs: one at start, then every few hours (a setting),
//! on a worker thread so a city-sized copy never stalls a frame.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use crate::store::backup;
use crate::words::problem::Problem;

pub struct Backups {
    db: PathBuf,
    dir: PathBuf,
    /// When the next one is due (None: one is running).
    next: Option<Instant>,
    running: Option<Receiver<Result<PathBuf, Problem>>>,
    /// The user asked for one now.
    asked: bool,
}

impl Backups {
    /// The first backup is due at once.
    pub fn new(db: PathBuf, dir: PathBuf) -> Self {
        Backups {
            db,
            dir,
            next: Some(Instant::now()),
            running: None,
            asked: false,
        }
    }

    /// Where the copies go.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// Make one at the next poll (the "back up now" button).
    pub fn due_now(&mut self) {
        if self.running.is_none() {
            self.next = Some(Instant::now());
            self.asked = true;
        }
    }

    /// Start a backup if one is due; report one that finished (Ok: its path).
    pub fn tick(
        &mut self,
        every_hours: u32,
        keep: usize,
        now: chrono::NaiveDateTime,
    ) -> Option<Result<PathBuf, Problem>> {
        if let Some(rx) = &self.running {
            let done = rx.try_recv().ok()?;
            self.running = None;
            self.next = Some(Instant::now() + Duration::from_secs(u64::from(every_hours) * 3600));
            return Some(done);
        }
        let due = self.next.is_some_and(|t| Instant::now() >= t);
        // "every 0 hours" turns the schedule off, not the button
        if !due || (every_hours == 0 && !self.asked) {
            return None;
        }
        self.asked = false;
        let (tx, rx) = channel();
        let (db, dir) = (self.db.clone(), self.dir.clone());
        std::thread::spawn(move || {
            let result = backup::rotating(&db, &dir, keep, now).map_err(|e| e.problem());
            let _ = tx.send(result);
        });
        self.running = Some(rx);
        self.next = None;
        None
    }
}
