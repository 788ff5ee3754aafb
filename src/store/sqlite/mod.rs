//! The embedded SQLite store: opening safely, migrations, loading a snapshot, applying commands
//! (imports among them), and the change feed other consoles read.

mod apply;
mod audit;
pub mod backup;
mod changes;
mod codec;
mod crew;
mod load;
pub mod schema;
mod tx;

pub use crate::store::record::table_name;
mod write;

use std::path::{Path, PathBuf};

use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::{DispatchStore, Everything, KnownIds, Location, OlderRow, StoreError};
use crate::domain::Ticket;
use crate::domain::batch::Table;
use crate::domain::{
    Applied, BasemapFeature, Command, Origin, Snapshot, TicketEvent, TicketId, Timestamp, Update,
};
use crate::store::record::{Record, select};

pub struct SqliteStore {
    conn: Connection,
    location: Location,
    path: PathBuf,
    data_version: i64,
    /// How far the last load or catch-up read.
    mark: std::cell::Cell<changes::Mark>,
    /// When the changes taken in by the last catch-ups were committed (ms), until asked for.
    committed: Vec<i64>,
    /// This handle's own entries in the change log past its mark (a catch-up passes over them).
    own: Vec<i64>,
    /// Raised by the watcher when another connection committed.
    news: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Stops the watcher thread when the store goes.
    watching: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        if let Some(stop) = &self.watching {
            stop.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

/// How long a connection waits for another's lock before it says the file is busy.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How often the watcher looks at the file for other connections' commits (a pragma that
/// reads a counter in shared memory: microseconds).
const WATCH_EVERY: Duration = Duration::from_millis(100);

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("location", &self.location)
            .finish()
    }
}

/// Look at a file without touching it (a read-only connection writes nothing, not even WAL
/// mode): an SQLite file that is a HeatDesk database (or empty) this program can read.
pub fn identify(path: &Path) -> Result<(), StoreError> {
    let shown = path.display().to_string();
    if !path.is_file() {
        return Err(StoreError::Missing { path: shown });
    }
    // The header is read by SQLite, never through a file handle of our own: closing any
    // descriptor of the file drops every POSIX lock this process holds on it, including an
    // open connection's, and an outside client would then checkpoint and delete the WAL
    // under it ("How To Corrupt An SQLite Database File", section 2.2). SQLite answers a
    // foreign file with SQLITE_NOTADB, which `classify` names — except a file too short to
    // hold a header, which it takes for an empty database; `stat` opens no descriptor.
    let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    if len > 0 && len < 512 {
        return Err(StoreError::NotHeatDesk { path: shown });
    }
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

/// Remove a database file this program made and its WAL companions (a copy that did not
/// complete).
pub fn remove_database(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
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
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.pragma_update(None, "foreign_keys", true)?;
        let mode = to_wal(&conn).map_err(|e| classify(&shown, e))?;
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
            location: Location::File(path.to_path_buf()),
            path: path.to_path_buf(),
            data_version: 0,
            mark: Default::default(),
            committed: Vec::new(),
            own: Vec::new(),
            news: Default::default(),
            watching: None,
        };
        store.migrate().map_err(|e| classify_store(&shown, e))?;
        store.data_version = store.read_data_version()?;
        Ok(store)
    }

    /// Run the migrations this file has not seen yet, each in its own transaction (begun
    /// IMMEDIATE, the version read again inside: a console opening the file at the same moment
    /// waits, then finds the step done).
    fn migrate(&mut self) -> Result<(), StoreError> {
        let current: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?;
        for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(current as usize) {
            let tx = self
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let now: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            if now > i as i64 {
                continue;
            }
            tx.execute_batch(sql)?;
            if i as i64 + 1 == schema::CHAIN_VERSION {
                let hashed = audit::start(&tx)?;
                if hashed > 0 {
                    tracing::info!(
                        events = hashed,
                        path = %self.path.display(),
                        "audit chain started: the events written before it hashed in id order"
                    );
                }
            }
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

    /// A setting of this store's own connection (`foreign_keys`, `synchronous`), for checks.
    pub fn pragma(&self, name: &str) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))?)
    }

    fn read_data_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }

    /// The whole activity, or (with `since`) what the first frame needs of it.
    fn snapshot_from(&self, since: Option<Timestamp>) -> Result<Snapshot, StoreError> {
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
        let places = places
            .join()
            .map_err(|_| StoreError::Invalid("the loading thread failed".into()))??;
        Ok(crate::store::record::joined(places, activity))
    }
}

impl DispatchStore for SqliteStore {
    fn load_since(&self, since: Option<Timestamp>) -> Result<Snapshot, StoreError> {
        self.snapshot_from(since)
    }

    fn read_older(
        &self,
        since: Timestamp,
        each: &mut dyn FnMut(OlderRow),
    ) -> Result<(), StoreError> {
        load::older_activity(&self.conn, since, each)
    }

    fn ticket(&self, id: TicketId) -> Result<Option<crate::domain::Ticket>, StoreError> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn
            .query_row(&select::<Ticket>("WHERE id = ?1"), [id], |r| {
                Ticket::read(r)
            })
            .optional()?)
    }

    fn load_places(&self) -> Result<Snapshot, StoreError> {
        let mut s = load::places(&self.conn)?;
        s.reindex();
        Ok(s)
    }

    fn deadline_rules(&self) -> Result<Vec<crate::domain::SlaRule>, StoreError> {
        load::rules(&self.conn)
    }

    fn basemap_features(&self) -> Result<Vec<BasemapFeature>, StoreError> {
        load::basemap(&self.conn)
    }

    fn known_ids(&self, table: Table) -> Result<KnownIds, StoreError> {
        load::known_ids(&self.conn, table)
    }

    fn apply_once(
        &mut self,
        command: &Command,
        origin: &Origin,
        request: Option<&str>,
    ) -> Result<Applied, StoreError> {
        let (applied, logged) = apply::apply(&mut self.conn, command, origin, request)?;
        self.mark
            .set(changes::own_entry(self.mark.get(), logged, &mut self.own));
        Ok(applied)
    }

    fn history(&self, ticket: TicketId) -> Result<Vec<TicketEvent>, StoreError> {
        load::history(&self.conn, ticket)
    }

    fn accounts(&self) -> Result<Vec<crate::domain::crew::Account>, StoreError> {
        crew::accounts(&self.conn)
    }

    fn account(&self, login: &str) -> Result<Option<crate::domain::crew::Account>, StoreError> {
        crew::account(&self.conn, login)
    }

    fn outbox(&self, limit: usize) -> Result<Vec<crate::domain::crew::Message>, StoreError> {
        crew::outbox(&self.conn, limit)
    }

    fn due_messages(
        &self,
        now: crate::domain::Timestamp,
        limit: usize,
    ) -> Result<Vec<crate::domain::crew::Message>, StoreError> {
        crew::due_messages(&self.conn, now, limit)
    }

    fn message_tried(&mut self, m: &crate::domain::crew::Message) -> Result<(), StoreError> {
        crew::message_tried(&self.conn, m)
    }

    fn photos(&self, ticket: TicketId) -> Result<Vec<crate::domain::crew::Photo>, StoreError> {
        crew::photos(&self.conn, ticket)
    }

    fn message_templates(&self) -> Result<crate::domain::crew::MessageTemplates, StoreError> {
        Ok(load::setting(&self.conn, "message_templates")?.unwrap_or_default())
    }

    fn catch_up(&mut self) -> Result<Update, StoreError> {
        self.news.store(false, std::sync::atomic::Ordering::SeqCst);
        // data_version moves when another connection commits (never for this one's own)
        let now = self.read_data_version()?;
        if now == self.data_version {
            return Ok(Update::UpToDate);
        }
        self.data_version = now;
        let (update, mark, committed) =
            changes::changes(&self.conn, self.mark.get(), &mut self.own)?;
        self.mark.set(mark);
        self.committed.extend(committed);
        Ok(update)
    }

    fn second_handle(&self) -> Result<Box<dyn DispatchStore>, StoreError> {
        Ok(Box::new(SqliteStore::open(&self.path)?))
    }

    fn location(&self) -> &Location {
        &self.location
    }

    fn watch(&mut self, wake: super::Waker) {
        use std::sync::atomic::Ordering;
        let Ok(conn) = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        ) else {
            // the console still looks about once a second
            return;
        };
        let version =
            |c: &Connection| c.query_row("PRAGMA data_version", [], |r| r.get::<_, i64>(0));
        // the mark is taken here, before this returns: taken on the thread, a commit made
        // meanwhile would be in it and never be news (seen under load in CI)
        let Ok(mut seen) = version(&conn) else { return };
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        self.watching = Some(stop.clone());
        let news = self.news.clone();
        let _ = std::thread::Builder::new()
            .name("sqlite-watch".into())
            .spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    std::thread::sleep(WATCH_EVERY);
                    match version(&conn) {
                        Ok(v) if v != seen => {
                            seen = v;
                            news.store(true, Ordering::SeqCst);
                            wake();
                        }
                        Ok(_) => {}
                        Err(_) => return,
                    }
                }
            });
    }

    fn others_committed(&self) -> bool {
        self.news.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn committed_at(&mut self) -> Vec<i64> {
        std::mem::take(&mut self.committed)
    }

    fn seed(&mut self, all: &Everything) -> Result<(), StoreError> {
        let rows: i64 = self.conn.query_row(
            "SELECT (SELECT count(*) FROM departments) + (SELECT count(*) FROM tickets)",
            [],
            |r| r.get(0),
        )?;
        if rows > 0 {
            return Err(StoreError::NotEmpty {
                path: self.path.display().to_string(),
                what: "seeding a data set",
            });
        }
        write::write_all(&mut self.conn, all)
    }

    fn verify_audit(&self) -> Result<super::chain::Report, StoreError> {
        let tx = self.conn.unchecked_transaction()?;
        audit::verify(&tx)
    }

    fn audit_heads(&self) -> Result<Vec<super::chain::Head>, StoreError> {
        audit::heads(&self.conn)
    }

    fn everything(&self) -> Result<Everything, StoreError> {
        let city = self.load()?;
        let tx = self.conn.unchecked_transaction()?;
        Ok(Everything {
            events: load::all_events(&tx)?,
            audit: load::audit(&tx)?,
            external_ids: load::external_ids(&tx)?,
            basemap: load::basemap(&tx)?,
            field: crew::everything(&tx)?,
            city,
        })
    }
}

/// Switch the file to WAL (a no-op when it is already). SQLite takes the write lock for the
/// switch while it already reads the file, and a lock taken that way fails at once rather than
/// calling the busy handler; so another connection writing, or switching at the same moment,
/// makes this wait and try again here, for as long as the busy timeout would have.
fn to_wal(conn: &Connection) -> rusqlite::Result<String> {
    let until = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0)) {
            Err(e)
                if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy)
                    && std::time::Instant::now() < until =>
            {
                std::thread::sleep(Duration::from_millis(10));
            }
            done => return done,
        }
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
