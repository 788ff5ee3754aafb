//! The embedded SQLite store: opening safely, migrations, loading a snapshot, applying commands.
//!
//! The console talks to it through [`DispatchStore`], so a shared PostgreSQL backend can
//! stand behind the same calls later.

mod apply;
pub mod backup;
pub(crate) mod codec;
pub(crate) mod load;
pub mod schema;
mod visit;
mod write;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use thiserror::Error;

use crate::domain::lifecycle::TransitionError;
use crate::domain::{Applied, Changes, Command, Origin, Snapshot, TicketEvent, TicketId};

pub use write::{write_all, write_basemap};

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
    #[error(
        "ticket #{ticket} was changed by someone else meanwhile (you saw version {seen}, it is now {current}); look again and retry"
    )]
    Stale {
        ticket: TicketId,
        seen: i64,
        current: i64,
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

/// What the console needs from any backend.
pub trait DispatchStore {
    /// Everything the console shows.
    fn load(&self) -> Result<Snapshot, StoreError>;
    /// What the first frame needs: the city, every open ticket and those received, due or
    /// changed since `since`, the answers since then ([`load_older`] reads the rest).
    fn load_recent(&self, since: crate::domain::Timestamp) -> Result<Snapshot, StoreError> {
        let _ = since;
        self.load()
    }
    /// Apply one command: the change and its audit event commit together, or nothing does.
    fn apply(&mut self, command: &Command, origin: &Origin) -> Result<Applied, StoreError>;
    /// The audit trail of one ticket, oldest first.
    fn history(&self, ticket: TicketId) -> Result<Vec<TicketEvent>, StoreError>;
    /// True when another console has committed since the last call.
    fn changed_elsewhere(&mut self) -> Result<bool, StoreError>;
    /// What other consoles committed since this one last loaded or caught up: Ok(None) when
    /// nothing, Ok(Some(None)) when the city itself changed (load everything again).
    fn catch_up(&mut self) -> Result<Option<Option<Changes>>, StoreError>;
    /// The database file, for work done on another connection (imports).
    fn file(&self) -> Option<&Path> {
        None
    }
}

pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    data_version: i64,
    /// How far the last load or catch-up read.
    mark: std::cell::Cell<load::Mark>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Look at a file without touching it (a read-only connection writes nothing, not even WAL
/// mode): an SQLite file that is a HeatDesk database (or empty) this program can read.
pub fn identify(path: &Path) -> Result<(), StoreError> {
    let shown = path.display().to_string();
    if !path.is_file() {
        return Err(StoreError::Missing { path: shown });
    }
    check_header(path)?;
    let probe = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| classify(&shown, e))?;
    let (app_id, version, tables) = identity(&probe).map_err(|e| classify(&shown, e))?;
    let empty = app_id == 0 && version == 0 && tables == 0;
    if app_id != schema::APPLICATION_ID && !empty {
        return Err(StoreError::NotHeatDesk { path: shown });
    }
    if version > schema::latest_version() {
        return Err(StoreError::NewerSchema {
            path: shown,
            found: version,
            supported: schema::latest_version(),
        });
    }
    Ok(())
}

impl SqliteStore {
    /// Open an existing HeatDesk database, upgrading its schema if it is older.
    /// A missing file, a foreign file or a newer schema is refused before anything is written.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let shown = path.display().to_string();
        if !path.is_file() {
            return Err(StoreError::Missing { path: shown });
        }
        identify(path)?;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| classify(&shown, e))?;
        if conn.is_readonly(rusqlite::MAIN_DB)? {
            return Err(StoreError::ReadOnly { path: shown });
        }
        Self::ready(conn, path)
    }

    /// Create a new, empty HeatDesk database; refuses to overwrite an existing file.
    pub fn create(path: &Path) -> Result<Self, StoreError> {
        let shown = path.display().to_string();
        if path.exists() {
            return Err(StoreError::Exists { path: shown });
        }
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !folder.is_dir() {
            return Err(StoreError::BadFolder {
                path: folder.display().to_string(),
            });
        }
        let conn = Connection::open(path).map_err(|_| StoreError::BadFolder {
            path: folder.display().to_string(),
        })?;
        Self::ready(conn, path)
    }

    fn ready(conn: Connection, path: &Path) -> Result<Self, StoreError> {
        let shown = path.display().to_string();
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "foreign_keys", true)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(|e| classify(&shown, e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Corrupt {
                path: shown,
                detail: format!("cannot switch to WAL (journal mode stays {mode})"),
            });
        }
        // FULL: a commit the console has shown as done survives a power cut too (WAL + NORMAL
        // could lose the last commits, though never corrupt the file).
        conn.pragma_update(None, "synchronous", "FULL")?;
        let mut store = SqliteStore {
            conn,
            path: path.to_path_buf(),
            data_version: 0,
            mark: Default::default(),
        };
        store.migrate().map_err(|e| classify_store(&shown, e))?;
        store.data_version = store.read_data_version()?;
        Ok(store)
    }

    /// Run the migrations this file has not seen yet, each in its own transaction.
    fn migrate(&mut self) -> Result<(), StoreError> {
        let current: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?;
        for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(current as usize) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "application_id", schema::APPLICATION_ID)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)?;
            tx.commit()?;
        }
        if current == 0 {
            // A new database starts with the published default deadlines.
            let tx = self.conn.transaction()?;
            write::write_rules(&tx, &crate::domain::lifecycle::default_rules())?;
            tx.commit()?;
        }
        Ok(())
    }

    /// Fold the write-ahead log into the main file and drop it, so the file is complete on
    /// its own (before a rename or a copy).
    pub fn checkpoint(&mut self) -> Result<(), StoreError> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        self.conn.pragma_update(None, "journal_mode", "DELETE")?;
        Ok(())
    }

    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Direct access for bulk writers (the demo generator, importers) and tests.
    pub fn connection(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// The city's own vector map (for rendering the offline basemap).
    pub fn basemap_features(&self) -> Result<Vec<crate::domain::BasemapFeature>, StoreError> {
        load::basemap(&self.conn)
    }

    fn read_data_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }
}

impl DispatchStore for SqliteStore {
    fn load(&self) -> Result<Snapshot, StoreError> {
        self.load_from(None)
    }

    fn load_recent(&self, since: crate::domain::Timestamp) -> Result<Snapshot, StoreError> {
        self.load_from(Some(since))
    }
    fn apply(&mut self, command: &Command, origin: &Origin) -> Result<Applied, StoreError> {
        apply::apply(&mut self.conn, command, origin)
    }

    fn history(&self, ticket: TicketId) -> Result<Vec<TicketEvent>, StoreError> {
        load::history(&self.conn, ticket)
    }

    fn changed_elsewhere(&mut self) -> Result<bool, StoreError> {
        let now = self.read_data_version()?;
        let changed = now != self.data_version;
        self.data_version = now;
        Ok(changed)
    }

    fn file(&self) -> Option<&Path> {
        Some(&self.path)
    }

    fn catch_up(&mut self) -> Result<Option<Option<Changes>>, StoreError> {
        if !self.changed_elsewhere()? {
            return Ok(None);
        }
        let (changes, mark) = load::changes(&self.conn, &self.mark.get())?;
        self.mark.set(mark);
        Ok(Some(changes))
    }
}

impl SqliteStore {
    /// The whole activity, or (with `since`) what the first frame needs of it.
    fn load_from(&self, since: Option<crate::domain::Timestamp>) -> Result<Snapshot, StoreError> {
        // the city on a second connection while this one reads the tickets: start-up on two
        // cores takes the longer of the two, not their sum
        let path = self.path.clone();
        let places = std::thread::spawn(move || {
            let conn = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
            load::places(&conn)
        });
        let mut activity = Snapshot::default();
        self.mark
            .set(load::activity(&self.conn, &mut activity, since)?);
        let mut s = places
            .join()
            .map_err(|_| StoreError::Invalid("the loading thread failed".into()))??;
        s.tickets = activity.tickets;
        s.visits = activity.visits;
        s.readings = activity.readings;
        s.surveys = activity.surveys;
        s.rules = activity.rules;
        s.kpi_rules = activity.kpi_rules;
        s.reindex();
        Ok(s)
    }
}

/// The season before `since` that [`DispatchStore::load_recent`] left out (closed tickets,
/// older answers), read on a connection of its own while the console runs.
pub fn load_older(
    path: &Path,
    since: crate::domain::Timestamp,
) -> Result<
    (
        Vec<crate::domain::Ticket>,
        Vec<crate::domain::SurveyResponse>,
    ),
    StoreError,
> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    load::older_activity(&conn, since)
}

fn check_header(path: &Path) -> Result<(), StoreError> {
    let shown = path.display().to_string();
    let mut file = std::fs::File::open(path).map_err(|e| StoreError::Corrupt {
        path: shown.clone(),
        detail: e.to_string(),
    })?;
    let mut head = [0u8; 16];
    let mut read = 0;
    while read < head.len() {
        match file.read(&mut head[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) => {
                return Err(StoreError::Corrupt {
                    path: shown,
                    detail: e.to_string(),
                });
            }
        }
    }
    // An empty file is a new database; anything else must carry SQLite's header.
    if read == 0 || (read == 16 && &head == SQLITE_HEADER) {
        Ok(())
    } else {
        Err(StoreError::NotHeatDesk { path: shown })
    }
}

fn identity(conn: &Connection) -> rusqlite::Result<(i32, i64, i64)> {
    let app_id: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
    Ok((app_id, version, tables))
}

/// Turn SQLite's "not a database" and "corrupt" codes into a message that names the file.
fn classify(path: &str, e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode as C;
    match e.sqlite_error_code() {
        Some(C::NotADatabase) => StoreError::NotHeatDesk {
            path: path.to_string(),
        },
        Some(C::DatabaseCorrupt) => StoreError::Corrupt {
            path: path.to_string(),
            detail: e.to_string(),
        },
        Some(C::ReadOnly) | Some(C::CannotOpen) | Some(C::PermissionDenied) => {
            StoreError::ReadOnly {
                path: path.to_string(),
            }
        }
        _ => StoreError::Sqlite(e),
    }
}

fn classify_store(path: &str, e: StoreError) -> StoreError {
    match e {
        StoreError::Sqlite(e) => classify(path, e),
        other => other,
    }
}
