//! The dispatch room's shared store: a PostgreSQL server. Each operator connects as their own
//! database user (the audit trail names the session's user); what their role may not do, the
//! server refuses. Every commit is announced (LISTEN/NOTIFY) with what it changed, so other
//! consoles read only those rows within a moment; when the server goes away, commands are
//! refused with a clear message and the store reconnects, with backoff, and catches up.

mod audit;
mod cells;
mod crew;
mod listen;
pub mod load;
pub mod schema;
mod seed;
mod tx;
pub mod url;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use postgres::{Client, IsolationLevel, Statement};

use super::{
    DispatchStore, Everything, Health, KnownIds, Location, OlderRow, Permissions, StoreError, Waker,
};
use crate::domain::batch::Table;
use crate::domain::*;
use listen::Listener;
pub use url::ServerUrl;

/// A connection lost or refused: when to try again.
#[derive(Debug, Clone, Copy)]
struct Offline {
    since: Instant,
    next_try: Instant,
    backoff: Duration,
}

pub struct PgStore {
    /// The connection (None while the server is away); reads take `&self`, so it is borrowed
    /// at each use.
    client: RefCell<Option<Client>>,
    /// The address, with a password asked for on the terminal once (kept in memory only).
    url: RefCell<ServerUrl>,
    location: Location,
    /// How far the change log was read.
    mark: Cell<i64>,
    committed: Vec<i64>,
    /// This handle's own entries in the change log past its mark (a catch-up passes over them).
    own: Vec<i64>,
    statements: RefCell<HashMap<String, Statement>>,
    /// Set by the listener when another console committed.
    news: Arc<AtomicBool>,
    wake: Option<Waker>,
    listener: RefCell<Option<Listener>>,
    offline: Cell<Option<Offline>>,
    permissions: Permissions,
    /// The room's server's connection: every command is done for the account its origin names.
    for_accounts: bool,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("location", &self.location)
            .finish()
    }
}

/// A server error's own words (the driver's Display says only "db error").
pub fn explain(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut text = db.message().to_string();
            if let Some(detail) = db.detail() {
                text += &format!(" ({detail})");
            }
            text
        }
        None => {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                text += &format!(": {s}");
                source = s.source();
            }
            text
        }
    }
}

/// TLS for `sslmode=require`/`prefer`: encrypted, the server's certificate not checked — as
/// libpq does for those modes (a company that wants it checked puts a proxy or uses the
/// socket). rustls with the ring provider, already in the tree for online tiles.
fn tls() -> tokio_postgres_rustls::MakeRustlsConnect {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("ring supports TLS 1.2 and 1.3")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(EncryptOnly(provider)))
        .with_no_client_auth();
    tokio_postgres_rustls::MakeRustlsConnect::new(config)
}

/// Accepts the server's certificate whatever it is (the signatures of the handshake are still
/// checked): encryption without authentication, libpq's `sslmode=require`.
#[derive(Debug)]
struct EncryptOnly(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// Connect once; a refused password is asked for on the terminal once.
fn connect(url: &mut ServerUrl) -> Result<Client, StoreError> {
    match url.config().connect(tls()) {
        Ok(client) => Ok(client),
        Err(e) => {
            let why = explain(&e);
            let password = why.contains("password") || why.contains("no password supplied");
            if password && let Some(prompted) = url.with_prompted_password() {
                *url = prompted;
                return url.config().connect(tls()).map_err(|e| refused(url, &e));
            }
            Err(refused(url, &e))
        }
    }
}

/// A connection refused, naming the server and database (never a password).
fn refused(url: &ServerUrl, e: &postgres::Error) -> StoreError {
    StoreError::Unreachable {
        server: url.to_string(),
        detail: explain(e),
    }
}

impl PgStore {
    /// Open an existing HeatDesk database on a server, upgrading its schema if it is older and
    /// the user may. A server that does not answer, a refused password, a database that is not
    /// HeatDesk's or was written by a newer HeatDesk: refused, nothing written.
    pub fn open(url: &ServerUrl) -> Result<Self, StoreError> {
        let mut url = url.clone();
        let mut client = connect(&mut url)?;
        let shown = url.to_string();
        match schema_version(&mut client, &shown)? {
            None => {
                return Err(StoreError::Empty {
                    path: shown.clone(),
                    hint: format!("create it with `heatdesk init --db {shown}`"),
                });
            }
            Some(v) if v > schema::latest_version() => {
                return Err(StoreError::NewerSchema {
                    path: shown,
                    found: v,
                    supported: schema::latest_version(),
                });
            }
            Some(v) if v < schema::latest_version() => migrate(&mut client, v, &shown)?,
            Some(_) => {}
        }
        Self::ready(client, url)
    }

    /// Make an empty database on a server a HeatDesk database (the schema, the default
    /// deadlines, the three roles if this user may create roles).
    pub fn create(url: &ServerUrl) -> Result<Self, StoreError> {
        let mut url = url.clone();
        let mut client = connect(&mut url)?;
        let shown = url.to_string();
        if schema_version(&mut client, &shown)?.is_some() || has_tables(&mut client)? {
            return Err(StoreError::Occupied { server: shown });
        }
        migrate(&mut client, 0, &shown)?;
        Self::ready(client, url)
    }

    fn ready(client: Client, url: ServerUrl) -> Result<Self, StoreError> {
        let location = Location::Server(url.clone());
        let mut store = PgStore {
            client: RefCell::new(Some(client)),
            url: RefCell::new(url),
            location,
            mark: Default::default(),
            committed: Vec::new(),
            own: Vec::new(),
            statements: RefCell::default(),
            news: Arc::new(AtomicBool::new(false)),
            wake: None,
            listener: RefCell::default(),
            offline: Cell::new(None),
            permissions: Permissions::ALL,
            for_accounts: false,
        };
        store.permissions = store.read_permissions()?;
        Ok(store)
    }

    /// The address as shown (no password).
    fn shown(&self) -> String {
        self.url.borrow().to_string()
    }

    /// What this user's roles let them do (the console offers nothing else).
    fn read_permissions(&self) -> Result<Permissions, StoreError> {
        self.with(|client, _| {
            let mut can = |sql: &str| -> Result<bool, StoreError> {
                Ok(client.query_one(sql, &[])?.try_get(0)?)
            };
            Ok(Permissions {
                assign: can("SELECT has_column_privilege('tickets', 'team_id', 'UPDATE')")?,
                act: can("SELECT has_table_privilege('ticket_events', 'INSERT')")?,
                visits: can("SELECT has_table_privilege('visits', 'INSERT')")?,
                deadline_rules: can("SELECT has_table_privilege('sla_rules', 'UPDATE')")?,
                kpi_rules: can("SELECT has_table_privilege('settings', 'UPDATE')")?,
                import: can("SELECT has_table_privilege('departments', 'INSERT')")?,
                accounts: can("SELECT has_table_privilege('accounts', 'INSERT')")?,
            })
        })
    }

    /// Make sure there is a connection (reconnecting when the backoff has passed), or say why
    /// there is none.
    fn connected(&self) -> Result<(), StoreError> {
        let Some(off) = self.offline.get() else {
            return Ok(());
        };
        if Instant::now() < off.next_try {
            return Err(self.unavailable());
        }
        let mut url = self.url.borrow().clone();
        match connect(&mut url) {
            Ok(client) => {
                tracing::info!(server = %url, "reconnected");
                *self.url.borrow_mut() = url;
                *self.client.borrow_mut() = Some(client);
                self.offline.set(None);
                self.statements.borrow_mut().clear();
                if let Some(wake) = self.wake.clone() {
                    self.listen(wake);
                }
                // what happened meanwhile is read by the next catch-up, from the log
                self.news.store(true, Ordering::SeqCst);
                Ok(())
            }
            Err(_) => {
                // at most 4 s apart: a console is back within seconds of the server
                let backoff = (off.backoff * 2).min(Duration::from_secs(4));
                self.offline.set(Some(Offline {
                    next_try: Instant::now() + backoff,
                    backoff,
                    ..off
                }));
                Err(self.unavailable())
            }
        }
    }

    fn unavailable(&self) -> StoreError {
        StoreError::Unavailable {
            server: self.shown(),
            since_s: self
                .offline
                .get()
                .map_or(0, |o| o.since.elapsed().as_secs()),
        }
    }

    /// An error from the server: if the connection is gone, the store is offline from now
    /// (and the error says the server is unavailable).
    fn failed(&self, e: StoreError) -> StoreError {
        let closed = self.client.borrow().as_ref().is_none_or(Client::is_closed);
        // the connection gone: closed under us, or the server saying it is going (shut down,
        // restarting, the connection terminated: SQLSTATE classes 57P and 08)
        let lost = match &e {
            StoreError::Postgres(pe) => match pe.as_db_error() {
                Some(db) => {
                    let code = db.code().code();
                    code.starts_with("57P") || code.starts_with("08")
                }
                None => closed || pe.is_closed(),
            },
            _ => false,
        };
        if lost {
            tracing::warn!(server = %self.shown(), "connection lost");
            *self.client.borrow_mut() = None;
            *self.listener.borrow_mut() = None;
            let now = Instant::now();
            self.offline.set(Some(Offline {
                since: now,
                next_try: now + Duration::from_secs(1),
                backoff: Duration::from_secs(1),
            }));
            return self.unavailable();
        }
        e
    }

    /// Run `f` on the connection and its prepared statements; a lost connection makes the
    /// store offline.
    fn with<T>(
        &self,
        f: impl FnOnce(&mut Client, &mut HashMap<String, Statement>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.connected()?;
        let result = {
            let mut client = self.client.borrow_mut();
            let Some(client) = client.as_mut() else {
                return Err(self.unavailable());
            };
            f(client, &mut self.statements.borrow_mut())
        };
        result.map_err(|e| self.failed(e))
    }

    /// A read-only, repeatable-read transaction: everything read agrees with itself.
    fn read_only<T>(
        &self,
        f: impl FnOnce(&mut postgres::Transaction<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.with(|client, _| {
            let mut tx = client
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()?;
            let out = f(&mut tx)?;
            tx.commit()?;
            Ok(out)
        })
    }

    /// Listen for other consoles' commits on a connection of its own.
    fn listen(&self, wake: Waker) {
        match Listener::start(&self.url.borrow(), self.news.clone(), wake) {
            Ok(l) => *self.listener.borrow_mut() = Some(l),
            Err(e) => tracing::warn!(error = %e, "cannot listen for changes"),
        }
    }

    fn snapshot_from(&self, since: Option<Timestamp>) -> Result<Snapshot, StoreError> {
        // the city on a second connection while this one reads the activity (two cores, two
        // server backends: start-up takes the longer of the two)
        let mut url = self.url.borrow().clone();
        let places = std::thread::spawn(move || -> Result<Snapshot, StoreError> {
            let mut client = connect(&mut url)?;
            let mut tx = client.build_transaction().read_only(true).start()?;
            let s = load::places(&mut tx)?;
            tx.commit()?;
            Ok(s)
        });
        let mut activity = Snapshot::default();
        let mark = self.read_only(|tx| load::activity(tx, &mut activity, since))?;
        self.mark.set(mark);
        let places = places
            .join()
            .map_err(|_| StoreError::Invalid("the loading thread failed".into()))??;
        Ok(crate::store::record::joined(places, activity))
    }
}

/// The schema version of a HeatDesk database (None: no HeatDesk schema), or a refusal when
/// the database holds tables that are not HeatDesk's.
fn schema_version(client: &mut Client, shown: &str) -> Result<Option<i64>, StoreError> {
    let meta = client
        .query_one("SELECT to_regclass('heatdesk_meta') IS NOT NULL", &[])?
        .try_get::<_, bool>(0)?;
    if !meta {
        if has_tables(client)? {
            return Err(StoreError::NotHeatDesk {
                path: shown.to_string(),
            });
        }
        return Ok(None);
    }
    let rows = client.query(
        "SELECT key, value FROM heatdesk_meta WHERE key IN ('application', 'schema')",
        &[],
    )?;
    let value = |key: &str| {
        rows.iter()
            .find(|r| r.get::<_, &str>(0) == key)
            .map(|r| r.get::<_, String>(1))
    };
    if value("application").as_deref() != Some(schema::APPLICATION) {
        return Err(StoreError::NotHeatDesk {
            path: shown.to_string(),
        });
    }
    Ok(value("schema").and_then(|v| v.parse().ok()))
}

fn has_tables(client: &mut Client) -> Result<bool, StoreError> {
    Ok(client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = 'public')",
            &[],
        )?
        .try_get(0)?)
}

/// Run the migrations after `from`, each in its own transaction; a new database also gets
/// the default deadlines and (if this user may) the three roles.
fn migrate(client: &mut Client, from: i64, shown: &str) -> Result<(), StoreError> {
    for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(from as usize) {
        let mut tx = client.transaction()?;
        tx.batch_execute(sql)
            .map_err(|e| StoreError::SchemaRefused {
                path: shown.to_string(),
                // an operator's console meeting a database a new HeatDesk must upgrade first
                detail: if e.code() == Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE) {
                    format!(
                        "the database is at schema {from} and this HeatDesk writes {}: the upgrade \
                     needs the database's owner (the HeatDesk admin) — open it once as that \
                     user, e.g. `heatdesk audit verify --db postgres://heatdesk@…` ({})",
                        schema::latest_version(),
                        explain(&e)
                    )
                } else {
                    explain(&e)
                },
            })?;
        if i as i64 + 1 == schema::CHAIN_VERSION {
            let hashed = audit::start(&mut tx)?;
            if hashed > 0 {
                tracing::info!(
                    events = hashed,
                    server = shown,
                    "audit chain started: the events written before it hashed in id order"
                );
            }
        }
        tx.execute(
            "INSERT INTO heatdesk_meta (key, value) VALUES ('application', $1), ('schema', $2)
             ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            &[&schema::APPLICATION, &(i as i64 + 1).to_string()],
        )?;
        if from == 0 && i == 0 {
            let mut statements = HashMap::new();
            let mut ptx = tx::PgTx::new(&mut tx, &mut statements);
            crate::store::commands::Tx::upsert_rules(
                &mut ptx,
                &crate::domain::lifecycle::default_rules(),
            )?;
        }
        tx.commit()?;
    }
    // roles are the cluster's: made when this user may, else the README's GRANT lines do it
    let may: bool = client
        .query_one(
            "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user",
            &[],
        )?
        .try_get(0)?;
    if may {
        client
            .batch_execute(schema::ROLES)
            .map_err(|e| StoreError::SchemaRefused {
                path: shown.to_string(),
                detail: explain(&e),
            })?;
    }
    Ok(())
}

impl DispatchStore for PgStore {
    fn load_since(&self, since: Option<Timestamp>) -> Result<Snapshot, StoreError> {
        self.snapshot_from(since)
    }

    fn read_older(
        &self,
        since: Timestamp,
        each: &mut dyn FnMut(OlderRow),
    ) -> Result<(), StoreError> {
        self.read_only(|tx| load::older_activity(tx, since, each))
    }

    fn load_places(&self) -> Result<Snapshot, StoreError> {
        let mut s = self.read_only(|tx| load::places(tx))?;
        s.reindex();
        Ok(s)
    }

    fn deadline_rules(&self) -> Result<Vec<SlaRule>, StoreError> {
        self.read_only(|tx| load::rules(tx))
    }

    fn basemap_features(&self) -> Result<Vec<BasemapFeature>, StoreError> {
        self.read_only(|tx| load::basemap(tx))
    }

    fn known_ids(&self, table: Table) -> Result<KnownIds, StoreError> {
        self.read_only(|tx| load::known_ids(tx, table))
    }

    fn ticket(&self, id: TicketId) -> Result<Option<Ticket>, StoreError> {
        self.read_only(|tx| load::ticket(tx, id))
    }

    fn apply_once(
        &mut self,
        command: &Command,
        origin: &Origin,
        request: Option<&str>,
    ) -> Result<Applied, StoreError> {
        let url = self.shown();
        let committing = Cell::new(false);
        // a phone's step is done by the server's user for the technician: both are recorded
        let on_behalf = (self.for_accounts
            || matches!(command, Command::Field(_) | Command::ReportPosition(_)))
        .then(|| origin.actor.clone());
        let done = self.with(|client, statements| {
            let mut tx = client.transaction()?;
            let mut ptx = tx::PgTx::new(&mut tx, statements);
            ptx.begin_write(on_behalf.as_deref())?;
            let (applied, logged) =
                crate::store::commands::apply(&mut ptx, command, origin, request)
                    .map_err(|e| forbidden(e, &url))?;
            match &applied {
                // a dry run checked everything, the database's own rules included
                Applied::Import(summary) if !summary.written => tx.rollback()?,
                _ => {
                    committing.set(true);
                    tx.commit().map_err(|e| forbidden(e.into(), &url))?
                }
            }
            Ok((applied, logged))
        });
        if let Err(StoreError::Unavailable { server, .. }) = &done
            && committing.get()
        {
            // the commit was sent and no answer came: whether it holds shows on return
            return Err(StoreError::CommitUnknown {
                server: server.clone(),
            });
        }
        done.map(|(applied, logged)| {
            // nothing came between: the mark moves on over this handle's own entry
            if logged == self.mark.get() + 1 && self.own.is_empty() {
                self.mark.set(logged);
            } else {
                self.own.push(logged);
            }
            applied
        })
    }

    fn history(&self, ticket: TicketId) -> Result<Vec<TicketEvent>, StoreError> {
        self.read_only(|tx| load::history(tx, ticket))
    }

    fn verify_audit(&self) -> Result<crate::store::chain::Report, StoreError> {
        self.read_only(|tx| audit::verify(tx))
    }

    fn audit_heads(&self) -> Result<Vec<crate::store::chain::Head>, StoreError> {
        self.read_only(|tx| audit::heads(tx))
    }

    fn accounts(&self) -> Result<Vec<crate::domain::crew::Account>, StoreError> {
        self.read_only(|tx| crew::accounts(tx))
    }

    fn account(&self, login: &str) -> Result<Option<crate::domain::crew::Account>, StoreError> {
        self.read_only(|tx| crew::account(tx, login))
    }

    fn outbox(&self, limit: usize) -> Result<Vec<crate::domain::crew::Message>, StoreError> {
        self.read_only(|tx| crew::outbox(tx, limit))
    }

    fn due_messages(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<crate::domain::crew::Message>, StoreError> {
        self.read_only(|tx| crew::due_messages(tx, now, limit))
    }

    fn message_tried(&mut self, m: &crate::domain::crew::Message) -> Result<(), StoreError> {
        self.with(|client, _| crew::message_tried(client, m))
    }

    fn photos(&self, ticket: TicketId) -> Result<Vec<crate::domain::crew::Photo>, StoreError> {
        self.read_only(|tx| crew::photos(tx, ticket))
    }

    fn message_templates(&self) -> Result<crate::domain::crew::MessageTemplates, StoreError> {
        Ok(self
            .read_only(|tx| load::setting(tx, "message_templates"))?
            .unwrap_or_default())
    }

    fn catch_up(&mut self) -> Result<Update, StoreError> {
        // with a listener, only when it heard of a commit (a lost listening connection makes
        // every catch-up look)
        let listening = self.listener.borrow().as_ref().is_some_and(Listener::alive);
        let news = self.news.swap(false, Ordering::SeqCst);
        if listening && !news && self.offline.get().is_none() {
            return Ok(Update::UpToDate);
        }
        let since = self.mark.get();
        let mut own = std::mem::take(&mut self.own);
        let read = self.with(|client, _| {
            let mut tx = client
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()?;
            let out = load::changes(&mut tx, since, &mut own)?;
            tx.commit()?;
            Ok(out)
        });
        self.own = own;
        let (update, mark, committed) = read?;
        self.mark.set(mark);
        self.committed.extend(committed);
        Ok(update)
    }

    fn second_handle(&self) -> Result<Box<dyn DispatchStore>, StoreError> {
        let mut url = self.url.borrow().clone();
        let client = connect(&mut url)?;
        Ok(Box::new(PgStore::ready(client, url)?))
    }

    fn location(&self) -> &Location {
        &self.location
    }

    fn committed_at(&mut self) -> Vec<i64> {
        std::mem::take(&mut self.committed)
    }

    fn seed(&mut self, all: &Everything) -> Result<(), StoreError> {
        let shown = self.shown();
        self.with(|client, _| seed::seed(client, &shown, all))
    }

    fn everything(&self) -> Result<Everything, StoreError> {
        self.read_only(|tx| seed::everything(tx))
    }

    fn watch(&mut self, wake: Waker) {
        self.wake = Some(wake.clone());
        self.listen(wake);
    }

    fn others_committed(&self) -> bool {
        self.news.load(Ordering::SeqCst)
    }

    fn health(&self) -> Health {
        match self.offline.get() {
            None => Health::Online,
            Some(off) => Health::Offline {
                since_s: off.since.elapsed().as_secs(),
                retry_in_s: off
                    .next_try
                    .saturating_duration_since(Instant::now())
                    .as_secs(),
            },
        }
    }

    fn permissions(&self) -> Permissions {
        self.permissions
    }

    fn speak_for_accounts(&mut self) {
        self.for_accounts = true;
    }
}

/// A server's refusal for want of a privilege, said as such.
fn forbidden(e: StoreError, server: &str) -> StoreError {
    if let StoreError::Postgres(pe) = &e
        && let Some(db) = pe.as_db_error()
        && db.code() == &postgres::error::SqlState::INSUFFICIENT_PRIVILEGE
    {
        return StoreError::Forbidden {
            server: server.to_string(),
            detail: db.message().to_string(),
        };
    }
    e
}
