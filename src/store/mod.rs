//! Where the data lives: one trait, [`DispatchStore`], that every part of HeatDesk reads and
//! writes through. Every change — a console's command, an import, a visit record, a setting —
//! is a [`Command`] applied in one transaction with its audit event, and comes back as
//! [`Applied`]: what changed, which every console takes in the same way ([`Update`]).
//!
//! `sqlite/` is the embedded store (one laptop, offline). Nothing outside `store/` holds a
//! database connection.

pub mod commands;
pub mod sqlite;

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::domain::batch::Table;
use crate::domain::lifecycle::TransitionError;
use crate::domain::{
    Applied, BasemapFeature, Command, Origin, Snapshot, SurveyResponse, Ticket, TicketEvent,
    TicketId, Timestamp, Update,
};

pub use sqlite::{SqliteStore, backup};

#[derive(Debug, Error)]
pub enum StoreError {
    #[error(
        "{path}: no such database file (create one with `heatdesk demo --out {path}` or `heatdesk init --db {path}`)"
    )]
    Missing { path: String },
    #[error("{path}: folder does not exist or is not writable")]
    BadFolder { path: String },
    #[error("{path}: already exists; refusing to overwrite it")]
    Exists { path: String },
    #[error("{path}: not a HeatDesk database")]
    NotHeatDesk { path: String },
    #[error(
        "{path}: written by a newer HeatDesk (schema {found}, this program knows up to {supported}); upgrade HeatDesk to open it"
    )]
    NewerSchema {
        path: String,
        found: i64,
        supported: i64,
    },
    #[error("{path}: database is corrupt or unreadable: {detail}")]
    Corrupt { path: String, detail: String },
    #[error("{path}: database is read-only; HeatDesk needs to write to it")]
    ReadOnly { path: String },
    #[error("{path}: holds data already; {what} needs an empty HeatDesk database")]
    NotEmpty { path: String, what: &'static str },
    #[error(
        "ticket #{ticket} was changed by {} meanwhile (you saw version {seen}, it is now {current}); look again and retry",
        changed_by(by, at)
    )]
    Stale {
        ticket: TicketId,
        seen: i64,
        current: i64,
        /// Who changed it last, and when.
        by: Option<String>,
        at: Option<Timestamp>,
    },
    #[error("no {what} with id {id}")]
    NotFound { what: &'static str, id: i64 },
    #[error(transparent)]
    Refused(#[from] TransitionError),
    #[error("invalid input: {0}")]
    Invalid(String),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// "调度员 二号台 at 11-27 09:05", or "someone else".
fn changed_by(by: &Option<String>, at: &Option<Timestamp>) -> String {
    match (by, at) {
        (Some(by), Some(at)) => format!("{by} at {}", at.format("%m-%d %H:%M:%S")),
        (Some(by), None) => by.clone(),
        _ => "someone else".into(),
    }
}

/// Where a store keeps its data: shown in the top bar, logs and messages (never a password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// An SQLite file on this machine.
    File(PathBuf),
}

impl Location {
    /// The database file, for a store that has one (backups, exports beside it).
    pub fn file(&self) -> Option<&Path> {
        match self {
            Location::File(p) => Some(p),
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::File(p) => write!(f, "{}", p.display()),
        }
    }
}

/// The company's ids of one table and the rows it holds: what an import needs to tell a new
/// row from one it updates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KnownIds {
    /// Every row id in the table.
    pub rows: Vec<i64>,
    /// The company's ids given out before, and the rows they name.
    pub external: Vec<(String, i64)>,
}

/// One row of the season before the first load: a closed ticket, or an earlier answer.
#[derive(Debug, Clone, PartialEq)]
pub enum OlderRow {
    Ticket(Ticket),
    Answer(SurveyResponse),
}

/// What the console, the importers and the sub-commands need from any backend.
pub trait DispatchStore: Send {
    /// Everything the console shows.
    fn load(&self) -> Result<Snapshot, StoreError>;
    /// What the first frame needs: the city, every open ticket and those received, due or
    /// changed since `since`, the answers since then ([`DispatchStore::load_older`] reads the
    /// rest).
    fn load_recent(&self, since: Timestamp) -> Result<Snapshot, StoreError>;
    /// The closed tickets and the answers before `since` that `load_recent` left out, row by
    /// row to `each` (tickets in id order, then answers).
    fn read_older(
        &self,
        since: Timestamp,
        each: &mut dyn FnMut(OlderRow),
    ) -> Result<(), StoreError>;
    /// The same, collected (tests, tools).
    fn load_older(
        &self,
        since: Timestamp,
    ) -> Result<(Vec<Ticket>, Vec<SurveyResponse>), StoreError> {
        let (mut tickets, mut answers) = (Vec::new(), Vec::new());
        self.read_older(since, &mut |row| match row {
            OlderRow::Ticket(t) => tickets.push(t),
            OlderRow::Answer(a) => answers.push(a),
        })?;
        Ok((tickets, answers))
    }
    /// One ticket as stored now (one the snapshot does not hold, say).
    fn ticket(&self, id: TicketId) -> Result<Option<Ticket>, StoreError>;
    /// The city and its network alone (indexed), without the season's activity.
    fn load_places(&self) -> Result<Snapshot, StoreError>;
    /// The deadline rules new tickets are given their deadlines by.
    fn deadline_rules(&self) -> Result<Vec<crate::domain::SlaRule>, StoreError>;
    /// The city's own vector map (for rendering the offline basemap).
    fn basemap_features(&self) -> Result<Vec<BasemapFeature>, StoreError>;
    /// The rows of a table and the company's ids for them (for an import).
    fn known_ids(&self, table: Table) -> Result<KnownIds, StoreError>;
    /// Apply one command: the change and its audit event commit together, or nothing does.
    fn apply(&mut self, command: &Command, origin: &Origin) -> Result<Applied, StoreError>;
    /// The audit trail of one ticket, oldest first.
    fn history(&self, ticket: TicketId) -> Result<Vec<TicketEvent>, StoreError>;
    /// What other consoles (or this store's other handles) committed since this handle last
    /// loaded or caught up.
    fn catch_up(&mut self) -> Result<Update, StoreError>;
    /// A second handle on the same data, for work on another thread (reading the season's
    /// history, an import).
    fn another(&self) -> Result<Box<dyn DispatchStore>, StoreError>;
    /// Where the data lives.
    fn location(&self) -> &Location;
    /// When the changes the catch-ups since the last call took in were committed (ms since
    /// 1970 UTC): how long a change takes to reach this console.
    fn committed_at(&mut self) -> Vec<i64>;
    /// Fill a new, empty database with a whole data set (the demo city): the rows, their
    /// audit trail and the city's own vector map, in one transaction. Refused on a database
    /// that holds data already (that is what imports are for).
    fn seed(
        &mut self,
        city: &Snapshot,
        events: &[TicketEvent],
        basemap: &[BasemapFeature],
    ) -> Result<(), StoreError>;
}

/// Open an existing HeatDesk database wherever it is.
pub fn open(location: &Location) -> Result<Box<dyn DispatchStore>, StoreError> {
    match location {
        Location::File(path) => Ok(Box::new(SqliteStore::open(path)?)),
    }
}
