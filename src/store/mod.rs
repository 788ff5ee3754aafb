//! Where the data lives: one trait, [`DispatchStore`], that every part of HeatDesk reads and
//! writes through. Every change — a console's command, an import, a visit record, a setting —
//! is a [`Command`] applied in one transaction with its audit event, and comes back as
//! [`Applied`]: what changed, which every console takes in the same way ([`Update`]).
//!
//! `sqlite/` is the embedded store (one laptop, offline). Nothing outside `store/` holds a
//! database connection.

pub mod blob;
pub mod chain;
pub mod commands;
pub mod migrate;
pub mod postgres;
pub mod record;
pub mod remote;
pub mod sqlite;

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::domain::batch::Table;
use crate::domain::lifecycle::TransitionError;
use crate::domain::{
    Applied, BasemapFeature, Command, Origin, Snapshot, SurveyResponse, Ticket, TicketEvent,
    TicketId, Timestamp, Update,
};
use crate::words::problem::{FileTrouble, Problem, Unusable};

pub use sqlite::{SqliteStore, backup};

pub use crate::words::problem::CertProblem;

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
    #[error("request {client_id} was applied already")]
    AlreadyApplied { client_id: String },
    #[error(transparent)]
    Refused(#[from] TransitionError),
    #[error("invalid input: {0}")]
    Invalid(String),
    /// What the command asks cannot be done (said in the reader's language).
    #[error(transparent)]
    Refusal(#[from] crate::domain::command::Refusal),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{url}: not a server address HeatDesk can use: {detail}")]
    BadUrl { url: String, detail: String },
    #[error("{server}: cannot connect: {detail}")]
    Unreachable { server: String, detail: String },
    #[error("{server}: the server's certificate {}", .why.english())]
    Certificate { server: String, why: CertProblem },
    #[error(
        "{server}: the server is unavailable (for {since_s} s); nothing was written — HeatDesk reconnects by itself"
    )]
    Unavailable { server: String, since_s: u64 },
    #[error(
        "{server}: the database holds tables already (HeatDesk's or another program's); create an empty one with `createdb`"
    )]
    Occupied { server: String },
    #[error(
        "{server}: the connection was lost while saving; whether it was saved shows when the server is back (the console reconnects by itself)"
    )]
    CommitUnknown { server: String },
    #[error("{path}: an empty database; {hint}")]
    Empty { path: String, hint: String },
    #[error("{path}: the server refused the schema: {detail}")]
    SchemaRefused { path: String, detail: String },
    #[error("{server}: your role may not do this: {detail}")]
    Forbidden { server: String, detail: String },
    #[error("{server}: wrong login or password")]
    WrongPassword { server: String },
    #[error("{server}: too many wrong passwords for this login; wait a minute and try again")]
    TooManyGuesses { server: String },
    #[error("{server}: a technician's account logs in on the phone page, not at a console")]
    NotConsoleAccount { server: String },
    #[error(
        "{server}: the session ended (logged out, expired, or the account disabled); start the console again to log in"
    )]
    SessionEnded { server: String },
    #[error(
        "{server}: runs HeatDesk {version}, which speaks another console API; install that version here"
    )]
    OtherServer { server: String, version: String },
    #[error("{server}: the server could not do it: {detail}")]
    ServerFailed { server: String, detail: String },
    #[error("database error: {}", postgres::explain(.0))]
    Postgres(#[from] ::postgres::Error),
    /// A file or folder beside the database (a backup's) could not be made or moved.
    #[error("{path}: {detail}")]
    File {
        path: String,
        kind: std::io::ErrorKind,
        detail: String,
    },
}

impl StoreError {
    /// What the console says of it, in the reader's language (the English text above, with
    /// its addresses and the driver's words, goes to the log).
    pub fn problem(&self) -> Problem {
        use StoreError as E;
        let db = Problem::Database;
        match self {
            E::Missing { .. } => db(Unusable::Missing),
            E::BadFolder { .. } => db(Unusable::BadFolder),
            E::Exists { .. } => db(Unusable::Exists),
            E::NotHeatDesk { .. } => db(Unusable::NotHeatDesk),
            E::NewerSchema {
                found, supported, ..
            } => db(Unusable::NewerSchema {
                found: *found,
                supported: *supported,
            }),
            E::Corrupt { .. } => db(Unusable::Corrupt),
            E::ReadOnly { .. } => db(Unusable::ReadOnly),
            E::NotEmpty { .. } => db(Unusable::NotEmpty),
            E::BadUrl { .. } => db(Unusable::BadAddress),
            E::Occupied { .. } => db(Unusable::Occupied),
            E::Empty { .. } => db(Unusable::Empty),
            E::SchemaRefused { .. } => db(Unusable::SchemaRefused),
            E::WrongPassword { .. } => db(Unusable::WrongPassword),
            E::TooManyGuesses { .. } => db(Unusable::TooManyGuesses),
            E::NotConsoleAccount { .. } => db(Unusable::NotConsoleAccount),
            E::SessionEnded { .. } => db(Unusable::SessionEnded),
            E::OtherServer { .. } => db(Unusable::OtherServer),
            E::ServerFailed { detail, .. } => Problem::Failed(detail.clone()),
            E::Stale {
                ticket,
                seen,
                current,
                by,
                at,
            } => Problem::Stale {
                ticket: *ticket,
                seen: *seen,
                current: *current,
                by: by.clone(),
                at: *at,
            },
            E::NotFound { what, id } => Problem::NotFound { what, id: *id },
            E::AlreadyApplied { .. } => Problem::AlreadyApplied,
            E::Refused(e) => Problem::Transition(e.clone()),
            E::Invalid(detail) => Problem::Invalid(detail.clone()),
            E::Refusal(r) => Problem::Refusal(r.clone()),
            E::Unreachable { .. } => Problem::Unreachable,
            E::Certificate { why, .. } => Problem::Certificate(*why),
            E::Unavailable { since_s, .. } => Problem::Unavailable { since_s: *since_s },
            E::CommitUnknown { .. } => Problem::CommitUnknown,
            E::Forbidden { .. } => Problem::Forbidden,
            E::Sqlite(e) => Problem::Failed(e.to_string()),
            E::Postgres(e) => Problem::Failed(postgres::explain(e)),
            E::File { path, kind, .. } => {
                use std::io::ErrorKind as K;
                Problem::File {
                    path: path.clone(),
                    trouble: match kind {
                        K::NotFound => FileTrouble::Missing,
                        K::PermissionDenied | K::ReadOnlyFilesystem => FileTrouble::Denied,
                        K::NotADirectory => FileTrouble::NotAFolder,
                        K::StorageFull | K::QuotaExceeded => FileTrouble::Full,
                        K::AlreadyExists => FileTrouble::Exists,
                        _ => FileTrouble::Other,
                    },
                }
            }
        }
    }
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
// one per open store: its size does not matter
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// An SQLite file on this machine.
    File(PathBuf),
    /// A PostgreSQL server's database.
    Server(postgres::ServerUrl),
    /// The room's server (`heatdesk serve`), as a console's account.
    Remote(remote::ServerAddress),
}

impl Location {
    /// A `--db` value: a server's address (`postgres://…`) or a file.
    pub fn parse(text: &str) -> Result<Self, StoreError> {
        if remote::is_remote(text) {
            Ok(Location::Remote(remote::ServerAddress::parse(text)?))
        } else if postgres::url::is_server(text) {
            Ok(Location::Server(postgres::ServerUrl::parse(text)?))
        } else {
            Ok(Location::File(PathBuf::from(text)))
        }
    }

    /// The database file, for a store that has one (backups, exports beside it).
    pub fn file(&self) -> Option<&Path> {
        match self {
            Location::File(p) => Some(p),
            Location::Server(_) | Location::Remote(_) => None,
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::File(p) => write!(f, "{}", p.display()),
            Location::Server(url) => write!(f, "{url}"),
            Location::Remote(address) => write!(f, "{address}"),
        }
    }
}

/// Called from another thread when another console committed (the screen redraws to take it
/// in).
pub type Waker = std::sync::Arc<dyn Fn() + Send + Sync>;

/// Whether the store can be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Online,
    /// The server went away `since_s` seconds ago; the next try is in `retry_in_s`.
    Offline {
        since_s: u64,
        retry_in_s: u64,
    },
}

/// What the user's role lets them change (a server refuses the rest; the console offers only
/// this).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Permissions {
    /// Give a ticket to a team (or take it back).
    pub assign: bool,
    /// Take in tickets and move them on otherwise.
    pub act: bool,
    /// Record visits.
    pub visits: bool,
    pub deadline_rules: bool,
    pub kpi_rules: bool,
    /// Import a company's files (the city's own rows among them).
    pub import: bool,
    /// Keep the technicians' accounts (账号管理).
    pub accounts: bool,
}

impl Permissions {
    pub const ALL: Permissions = Permissions {
        assign: true,
        act: true,
        visits: true,
        deadline_rules: true,
        kpi_rules: true,
        import: true,
        accounts: true,
    };

    pub const NONE: Permissions = Permissions {
        assign: false,
        act: false,
        visits: false,
        deadline_rules: false,
        kpi_rules: false,
        import: false,
        accounts: false,
    };

    /// What an account's role lets it change in the console (the same split as the database
    /// roles a PostgreSQL room had before its operators went through the server): a technician
    /// works through the phone page alone.
    pub fn of(role: crate::domain::crew::Role) -> Permissions {
        use crate::domain::crew::Role;
        match role {
            Role::Technician => Permissions::NONE,
            Role::Dispatcher => Permissions {
                assign: true,
                act: true,
                visits: true,
                ..Permissions::NONE
            },
            Role::Leader => Permissions {
                act: true,
                visits: true,
                deadline_rules: true,
                kpi_rules: true,
                ..Permissions::NONE
            },
            Role::Admin => Permissions::ALL,
        }
    }

    /// Whether these permissions let a console send `command` (a phone's steps and positions
    /// come through the phone page, never from a console).
    pub fn allows(&self, command: &Command) -> bool {
        use crate::domain::Action;
        match command {
            Command::Act {
                action: Action::Assign { .. } | Action::Return { .. },
                ..
            } => self.assign,
            Command::Act { .. }
            | Command::CreateTicket(_)
            | Command::NetworkTicket { .. }
            | Command::LinkReport { .. }
            | Command::NotifyOutage { .. } => self.act,
            Command::RecordVisit(_) => self.visits,
            Command::SetSlaRule(_) => self.deadline_rules,
            Command::SetKpiRules(_) | Command::SetMessageTemplates(_) => self.kpi_rules,
            Command::Import(_) => self.import,
            Command::SaveAccount(_) => self.accounts,
            Command::Field(_) | Command::ReportPosition(_) => false,
        }
    }
}

/// The company's ids of one table and the rows it holds: what an import needs to tell a new
/// row from one it updates.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct KnownIds {
    /// Every row id in the table.
    pub rows: Vec<i64>,
    /// The company's ids given out before, and the rows they name.
    pub external: Vec<(String, i64)>,
}

/// A record of a change that is not a ticket's step (a rule edited, a file imported).
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    pub id: i64,
    pub at: Timestamp,
    pub actor: String,
    pub command: String,
    pub detail: String,
}

/// A whole database: what a new one is seeded with (the demo city) and what `heatdesk
/// migrate` copies from one store into another.
#[derive(Debug, Clone, Default)]
pub struct Everything {
    /// Every row (the settings — deadline rules, KPI definitions — among them).
    pub city: Snapshot,
    /// Every ticket's trail.
    pub events: Vec<TicketEvent>,
    pub audit: Vec<AuditEvent>,
    /// The company's ids: (kind, external id, row).
    pub external_ids: Vec<(String, String, i64)>,
    /// The city's own vector map.
    pub basemap: Vec<BasemapFeature>,
    /// The crews' rows (the teams' last positions travel with the city).
    pub field: FieldData,
}

/// What the crews' server keeps: technicians' accounts, every message to residents, the photos
/// of 完工, the texts messages are written from (the settings row, as stored).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldData {
    pub accounts: Vec<crate::domain::crew::Account>,
    /// Every message, oldest first.
    pub outbox: Vec<crate::domain::crew::Message>,
    pub photos: Vec<StoredPhoto>,
    pub templates: Option<String>,
    /// The phones' steps already applied, by the id each carries: a retry after a copy is
    /// still applied once.
    pub client_commands: Vec<ClientCommand>,
}

/// A phone's step already applied: the id it carried, who sent it and when.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientCommand {
    pub client_id: String,
    pub actor: String,
    pub at: Timestamp,
}

/// A photo as kept: its row, the ticket and the step it came with.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPhoto {
    pub id: i64,
    pub ticket: TicketId,
    pub event: i64,
    pub photo: crate::domain::crew::Photo,
}

/// One row of the season before the first load: a closed ticket, or an earlier answer.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum OlderRow {
    Ticket(Ticket),
    Answer(SurveyResponse),
}

/// What the console, the importers and the sub-commands need from any backend.
pub trait DispatchStore: Send {
    /// Everything the console shows, or (with `since`) what the first frame needs of it.
    fn load_since(&self, since: Option<Timestamp>) -> Result<Snapshot, StoreError>;
    /// Everything the console shows.
    fn load(&self) -> Result<Snapshot, StoreError> {
        self.load_since(None)
    }
    /// What the first frame needs: the city, every open ticket and those received, due or
    /// changed since `since`, the answers since then ([`DispatchStore::load_older`] reads the
    /// rest).
    fn load_recent(&self, since: Timestamp) -> Result<Snapshot, StoreError> {
        self.load_since(Some(since))
    }
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
    fn apply(&mut self, command: &Command, origin: &Origin) -> Result<Applied, StoreError> {
        self.apply_once(command, origin, None)
    }
    /// Apply one command once per `request` (a client's id for it): the id is recorded in the
    /// command's transaction, and a second command with the same id is refused
    /// [`StoreError::AlreadyApplied`] with nothing written (a retry whose first try committed).
    fn apply_once(
        &mut self,
        command: &Command,
        origin: &Origin,
        request: Option<&str>,
    ) -> Result<Applied, StoreError>;
    /// The audit trail of one ticket, oldest first.
    fn history(&self, ticket: TicketId) -> Result<Vec<TicketEvent>, StoreError>;
    /// The technicians' accounts (the phone page's logins).
    fn accounts(&self) -> Result<Vec<crate::domain::crew::Account>, StoreError>;
    fn account(&self, login: &str) -> Result<Option<crate::domain::crew::Account>, StoreError>;
    /// The newest `limit` messages to residents, newest first.
    fn outbox(&self, limit: usize) -> Result<Vec<crate::domain::crew::Message>, StoreError>;
    /// Messages waiting to be sent at `now`, oldest first.
    fn due_messages(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<crate::domain::crew::Message>, StoreError>;
    /// Record what the SMS gateway said of a message (status, attempts, next try, error).
    fn message_tried(&mut self, m: &crate::domain::crew::Message) -> Result<(), StoreError>;
    /// The photos taken at a ticket's 完工.
    fn photos(&self, ticket: TicketId) -> Result<Vec<crate::domain::crew::Photo>, StoreError>;
    /// The texts of the messages residents get.
    fn message_templates(&self) -> Result<crate::domain::crew::MessageTemplates, StoreError>;
    /// What other consoles (or this store's other handles) committed since this handle last
    /// loaded or caught up.
    fn catch_up(&mut self) -> Result<Update, StoreError>;
    /// A second handle on the same data, for work on another thread (reading the season's
    /// history, an import).
    fn second_handle(&self) -> Result<Box<dyn DispatchStore>, StoreError>;
    /// Where the data lives.
    fn location(&self) -> &Location;
    /// When the changes the catch-ups since the last call took in were committed (ms since
    /// 1970 UTC): how long a change takes to reach this console.
    fn committed_at(&mut self) -> Vec<i64>;
    /// Call `wake` when another console commits (a server pushes it; a file is looked at
    /// about once a second by the console anyway).
    fn watch(&mut self, _wake: Waker) {}
    /// Whether this store heard that another console committed since the last catch-up (the
    /// console then catches up at once instead of at its next look).
    fn others_committed(&self) -> bool {
        false
    }
    /// Whether the store can be reached now.
    fn health(&self) -> Health {
        Health::Online
    }
    /// What this user may change.
    fn permissions(&self) -> Permissions {
        Permissions::ALL
    }
    /// This handle is the room's server's: each command is done for the account its origin
    /// names (a database that records its own user records both; a file records the origin).
    fn speak_for_accounts(&mut self) {}
    /// Fill a new, empty database with a whole data set (the demo city, another store's
    /// contents), its ids kept, in one transaction. Refused on a database that holds data
    /// already (that is what imports are for).
    fn seed(&mut self, all: &Everything) -> Result<(), StoreError>;
    /// Everything this database holds (for `heatdesk migrate`).
    fn everything(&self) -> Result<Everything, StoreError>;
    /// Walk both audit chains from their first event (`heatdesk audit verify`).
    fn verify_audit(&self) -> Result<chain::Report, StoreError>;
    /// The audit chains' last links (the daily report states them).
    fn audit_heads(&self) -> Result<Vec<chain::Head>, StoreError>;
}

/// `name` (a server's host and port, its database) as one folder's name on any system.
pub fn folder_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Milliseconds of the wall clock (since 1970 UTC): when a change was committed, to measure how
/// long it takes to reach other consoles.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// Open an existing HeatDesk database wherever it is.
pub fn open(location: &Location) -> Result<Box<dyn DispatchStore>, StoreError> {
    match location {
        Location::File(path) => Ok(Box::new(SqliteStore::open(path)?)),
        Location::Server(url) => Ok(Box::new(postgres::PgStore::open(url)?)),
        Location::Remote(address) => Ok(Box::new(remote::RemoteStore::open(address)?)),
    }
}

/// Create a new, empty HeatDesk database (a new file; an empty database on a server).
pub fn create(location: &Location) -> Result<Box<dyn DispatchStore>, StoreError> {
    match location {
        Location::File(path) => Ok(Box::new(SqliteStore::create(path)?)),
        Location::Server(url) => Ok(Box::new(postgres::PgStore::create(url)?)),
        Location::Remote(address) => Err(StoreError::Forbidden {
            server: address.to_string(),
            detail: "a new database is made on the server's own (heatdesk init --db …)".into(),
        }),
    }
}
