//! The console as a client of the room's server (`heatdesk --server https://wang@host:8443`):
//! a third [`DispatchStore`], over HTTPS, that holds no database credentials. It logs in with
//! the operator's account (the login is remembered in the address, the password never), sends
//! each call as one JSON request the server answers under the account's role, and hears of
//! other consoles' and phones' changes from a long-polled change feed.
//!
//! The wire types here are the server's too (`serve::console`): one enum of calls, one of
//! refusals, so both sides read the same words.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::{
    DispatchStore, Everything, Health, KnownIds, Location, OlderRow, Permissions, StoreError,
    Waker, chain,
};
use crate::domain::batch::Table;
use crate::domain::crew::{Account, Message, MessageTemplates, Photo, Role};
use crate::domain::lifecycle::TransitionError;
use crate::domain::{
    Applied, BasemapFeature, Command, Origin, Refusal, SlaRule, Snapshot, Ticket, TicketEvent,
    TicketId, Timestamp, Update,
};

/// The version of the console API: a server of another answers the login with its own, and the
/// console says which to install.
pub const API_VERSION: u32 = 2;

/// How long the change feed waits before trying a server that did not answer again.
const FEED_RETRY: Duration = Duration::from_secs(2);

/// How long the change feed holds a request open when nothing happened.
pub const FEED_WAIT: Duration = Duration::from_secs(20);

/// One request of a console to the server (`POST /api/console/call`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Call {
    /// The city's rows, unless the console holds the version `have` names already.
    City {
        have: Option<String>,
    },
    /// What the first frame needs besides the city (`load_since` without the city's rows).
    Activity {
        since: Option<Timestamp>,
    },
    ReadOlder {
        since: Timestamp,
    },
    Ticket {
        id: TicketId,
    },
    LoadPlaces,
    DeadlineRules,
    BasemapFeatures,
    KnownIds {
        table: Table,
    },
    /// A command, with the console's id for it (a retry sends the same id: the server applies
    /// it once).
    Apply {
        command: Command,
        request: String,
    },
    History {
        ticket: TicketId,
    },
    Accounts,
    Account {
        login: String,
    },
    Outbox {
        limit: usize,
    },
    Photos {
        ticket: TicketId,
    },
    MessageTemplates,
    VerifyAudit,
    AuditHeads,
}

impl Call {
    /// Whether a role may make this call at all (commands are weighed one by one by
    /// [`Permissions::allows`]).
    pub fn open_to(&self, can: &Permissions) -> bool {
        match self {
            Call::Apply { command, .. } => can.allows(command),
            // the accounts' list (with their hashes) is the admin's
            Call::Accounts | Call::Account { .. } => can.accounts,
            _ => true,
        }
    }
}

/// The city's own rows: what changes only when a company's file is imported, kept on the PC
/// between starts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct City {
    pub departments: Vec<crate::domain::Department>,
    pub compounds: Vec<crate::domain::Compound>,
    pub buildings: Vec<crate::domain::Building>,
    pub sources: Vec<crate::domain::HeatSource>,
    pub stations: Vec<crate::domain::Station>,
    pub nodes: Vec<crate::domain::NetworkNode>,
    pub segments: Vec<crate::domain::PipeSegment>,
    pub valves: Vec<crate::domain::Valve>,
}

impl City {
    /// The city's rows taken out of `snap` (which keeps the season's).
    pub fn take(snap: &mut Snapshot) -> City {
        use std::mem::take;
        City {
            departments: take(&mut snap.departments),
            compounds: take(&mut snap.compounds),
            buildings: take(&mut snap.buildings),
            sources: take(&mut snap.sources),
            stations: take(&mut snap.stations),
            nodes: take(&mut snap.nodes),
            segments: take(&mut snap.segments),
            valves: take(&mut snap.valves),
        }
    }

    /// Put the city's rows into `snap` (indexed after).
    pub fn put(self, snap: &mut Snapshot) {
        snap.departments = self.departments;
        snap.compounds = self.compounds;
        snap.buildings = self.buildings;
        snap.sources = self.sources;
        snap.stations = self.stations;
        snap.nodes = self.nodes;
        snap.segments = self.segments;
        snap.valves = self.valves;
    }
}

/// The answer to [`Call::City`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum CityAnswer {
    /// The version the console holds is the server's.
    Same,
    /// The city's rows ([`City`], encoded as answers are) and their version.
    Fresh { version: String, rows: Vec<u8> },
}

/// How answers travel: compact binary (postcard) for the console, JSON for anyone asking
/// without this type (a look with curl).
pub const BINARY: &str = "application/x-postcard";

/// The season's history comes as frames: each row's length (u32, little-endian) and the row;
/// this length instead says the rows are all there …
pub const FRAMES_DONE: u32 = u32::MAX - 1;
/// … and this one that a [`WireError`] follows (the read failed half-way).
pub const FRAMES_FAILED: u32 = u32::MAX;

/// `value` as the wire carries it.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, String> {
    postcard::to_stdvec(value).map_err(|e| e.to_string())
}

/// A value off the wire.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    postcard::from_bytes(bytes).map_err(|e| e.to_string())
}

/// `POST /api/console/login`
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Login {
    pub login: String,
    pub password: String,
    pub api: u32,
}

/// The server's answer to a login.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoggedIn {
    pub token: String,
    pub actor: String,
    pub role: Role,
    pub permissions: Permissions,
    pub api: u32,
    /// The server's HeatDesk version.
    pub version: String,
}

/// The answer to [`Call::Activity`]: the season's activity, and where the server's journal
/// stood before it was read (the console's feed starts there).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Activity {
    pub snap: Snapshot,
    pub epoch: u64,
    pub last: u64,
}

/// One answer of the change feed (`GET /api/console/changes?epoch=E&after=N&wait_ms=W`): what
/// happened after entry `after` of the server's journal `epoch`, up to entry `last`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Feed {
    /// The server's journal (a server started again has another: the console reads all again).
    pub epoch: u64,
    pub last: u64,
    pub update: Update,
    /// When each change taken in was committed (ms since 1970 UTC).
    pub committed_at: Vec<i64>,
}

/// A refusal as the server sends it: the same refusals the stores make, typed, so the console
/// says each in its own language.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum WireError {
    Stale {
        ticket: TicketId,
        seen: i64,
        current: i64,
        by: Option<String>,
        at: Option<Timestamp>,
    },
    NotFound {
        what: String,
        id: i64,
    },
    AlreadyApplied {
        client_id: String,
    },
    /// A step the ticket's state does not allow (`action` as [`Action::code`] says it).
    ///
    /// [`Action::code`]: crate::domain::Action::code
    Illegal {
        ticket: TicketId,
        status: crate::domain::TicketStatus,
        action: String,
    },
    ReasonRequired(String),
    Invalid(String),
    Refusal(Refusal),
    /// The account's role may not do this.
    Forbidden(String),
    NotLoggedIn,
    WrongPassword,
    TooManyGuesses,
    /// A technician's account at the console's door.
    WrongRole,
    /// A console of another API version.
    OtherVersion {
        api: u32,
        version: String,
    },
    Unavailable {
        since_s: u64,
    },
    CommitUnknown,
    /// Anything else: the server logged it.
    Failed(String),
    /// The request itself was unreadable.
    BadRequest(String),
}

impl WireError {
    /// What the server sends for a store's refusal (the database's addresses stay on the
    /// server).
    pub fn from_store(e: &StoreError) -> WireError {
        use StoreError as E;
        match e {
            E::Stale {
                ticket,
                seen,
                current,
                by,
                at,
            } => WireError::Stale {
                ticket: *ticket,
                seen: *seen,
                current: *current,
                by: by.clone(),
                at: *at,
            },
            E::NotFound { what, id } => WireError::NotFound {
                what: (*what).into(),
                id: *id,
            },
            E::AlreadyApplied { client_id } => WireError::AlreadyApplied {
                client_id: client_id.clone(),
            },
            E::Refused(TransitionError::Illegal {
                ticket,
                status,
                action,
            }) => WireError::Illegal {
                ticket: *ticket,
                status: *status,
                action: (*action).into(),
            },
            E::Refused(TransitionError::ReasonRequired(action)) => {
                WireError::ReasonRequired((*action).into())
            }
            E::Invalid(s) => WireError::Invalid(s.clone()),
            E::Refusal(r) => WireError::Refusal(r.clone()),
            E::Forbidden { detail, .. } => WireError::Forbidden(detail.clone()),
            E::Unavailable { since_s, .. } => WireError::Unavailable { since_s: *since_s },
            E::CommitUnknown { .. } => WireError::CommitUnknown,
            other => WireError::Failed(crate::words::problem::say(
                crate::words::Lang::En,
                &other.problem(),
            )),
        }
    }

    /// The store's refusal this stands for, naming `server`.
    pub fn into_store(self, server: &str) -> StoreError {
        let server = server.to_string();
        match self {
            WireError::Stale {
                ticket,
                seen,
                current,
                by,
                at,
            } => StoreError::Stale {
                ticket,
                seen,
                current,
                by,
                at,
            },
            WireError::NotFound { what, id } => StoreError::NotFound {
                what: known_what(&what),
                id,
            },
            WireError::AlreadyApplied { client_id } => StoreError::AlreadyApplied { client_id },
            WireError::Illegal {
                ticket,
                status,
                action,
            } => StoreError::Refused(TransitionError::Illegal {
                ticket,
                status,
                action: action_code(&action),
            }),
            WireError::ReasonRequired(action) => {
                StoreError::Refused(TransitionError::ReasonRequired(action_code(&action)))
            }
            WireError::Invalid(s) => StoreError::Invalid(s),
            WireError::Refusal(r) => StoreError::Refusal(r),
            WireError::Forbidden(detail) => StoreError::Forbidden { server, detail },
            WireError::NotLoggedIn => StoreError::SessionEnded { server },
            WireError::WrongPassword => StoreError::WrongPassword { server },
            WireError::TooManyGuesses => StoreError::TooManyGuesses { server },
            WireError::WrongRole => StoreError::NotConsoleAccount { server },
            WireError::OtherVersion { version, .. } => StoreError::OtherServer { server, version },
            WireError::Unavailable { since_s } => StoreError::Unavailable { server, since_s },
            WireError::CommitUnknown => StoreError::CommitUnknown { server },
            WireError::Failed(detail) | WireError::BadRequest(detail) => {
                StoreError::ServerFailed { server, detail }
            }
        }
    }
}

/// An action's code as the lifecycle names it.
fn action_code(code: &str) -> &'static str {
    crate::domain::lifecycle::ACTION_CODES
        .iter()
        .find(|k| **k == code)
        .copied()
        .unwrap_or("act")
}

/// A `NotFound`'s table, as the stores name it.
fn known_what(what: &str) -> &'static str {
    const KNOWN: &[&str] = &["ticket", "team", "building", "compound", "pipe segment"];
    KNOWN.iter().find(|k| **k == what).copied().unwrap_or("row")
}

/// The room's server as a console names it: `https://wang@host:8443` (the login in it, never
/// a password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerAddress {
    /// `https://host:8443`, without the login or a trailing slash.
    pub base: String,
    pub login: String,
}

/// Whether a `--db` or `--server` value names the room's server.
pub fn is_remote(text: &str) -> bool {
    text.starts_with("https://") || text.starts_with("http://")
}

impl ServerAddress {
    /// `https://login@host:port`; the login may also come apart (`--login`).
    pub fn parse(text: &str) -> Result<Self, StoreError> {
        let bad = |detail: &str| StoreError::BadUrl {
            url: redacted(text),
            detail: detail.into(),
        };
        let (scheme, rest) = text
            .split_once("://")
            .filter(|(s, _)| matches!(*s, "https" | "http"))
            .ok_or_else(|| bad("the address starts with https://"))?;
        let rest = rest.trim_end_matches('/');
        let (login, host) = match rest.rsplit_once('@') {
            Some((user, host)) => {
                if user.contains(':') {
                    return Err(bad(
                        "a password does not belong in the address (HEATDESK_PASSWORD or the prompt)",
                    ));
                }
                (user.to_string(), host)
            }
            None => (String::new(), rest),
        };
        if host.is_empty() || host.contains('/') {
            return Err(bad("host[:port], then nothing"));
        }
        let base = format!("{scheme}://{host}");
        reqwest::Url::parse(&base).map_err(|e| bad(&e.to_string()))?;
        if !login.is_empty() && !crate::domain::crew::valid_login(&login) {
            return Err(bad("the login: 1–32 letters, digits, '.', '_' or '-'"));
        }
        Ok(ServerAddress { base, login })
    }

    pub fn with_login(mut self, login: &str) -> Self {
        self.login = login.to_string();
        self
    }

    /// A folder name for what the console keeps of this server.
    pub fn folder_name(&self) -> String {
        self.base
            .split_once("://")
            .map_or(self.base.as_str(), |(_, h)| h)
            .to_string()
    }
}

impl std::fmt::Display for ServerAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.base.split_once("://") {
            Some((scheme, host)) if !self.login.is_empty() => {
                write!(f, "{scheme}://{}@{host}", self.login)
            }
            _ => f.write_str(&self.base),
        }
    }
}

/// An address as shown when it did not parse: anything between `://` and `@` hidden.
fn redacted(text: &str) -> String {
    match (text.find("://"), text.rfind('@')) {
        (Some(i), Some(j)) if j > i + 3 && text[i + 3..j].contains(':') => {
            format!("{}****{}", &text[..i + 3], &text[j..])
        }
        _ => text.to_string(),
    }
}

/// Where a PC keeps what it fetched from `address`: the platform's cache folder
/// (`%LOCALAPPDATA%\HeatDesk\cache`, `$XDG_CACHE_HOME/heatdesk` or `~/.cache/heatdesk`), one
/// folder per server.
fn default_cache(address: &ServerAddress) -> Option<std::path::PathBuf> {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(std::path::PathBuf::from)
    };
    let root = if cfg!(windows) {
        var("LOCALAPPDATA")?.join("HeatDesk").join("cache")
    } else {
        var("XDG_CACHE_HOME")
            .or_else(|| var("HOME").map(|h| h.join(".cache")))?
            .join("heatdesk")
    };
    Some(root.join(super::folder_name(&address.folder_name())))
}

/// How the console reaches the server: the HTTPS client (trusting the room's private CA when
/// `HEATDESK_CA` names its `ca.pem`, else the system's roots).
fn client(timeout: Option<Duration>) -> Result<reqwest::blocking::Client, String> {
    // rustls with the ring provider, as the tile client and the server
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::blocking::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(timeout);
    if let Some(cert) = room_ca()? {
        builder = builder.add_root_certificate(cert);
    }
    builder.build().map_err(|e| e.to_string())
}

/// The room's private CA (`HEATDESK_CA`), read once, at the first login: before the console
/// opens any SQLite file (its basemap), so closing this file's descriptor cannot drop a
/// database's locks — and a PEM file is never a database anyway.
fn room_ca() -> Result<Option<reqwest::Certificate>, String> {
    static CA: std::sync::OnceLock<Result<Option<reqwest::Certificate>, String>> =
        std::sync::OnceLock::new();
    CA.get_or_init(|| {
        let Some(path) = std::env::var("HEATDESK_CA").ok().filter(|p| !p.is_empty()) else {
            return Ok(None);
        };
        let pem = std::fs::read(&path).map_err(|e| format!("HEATDESK_CA {path}: {e}"))?;
        reqwest::Certificate::from_pem(&pem)
            .map(Some)
            .map_err(|e| format!("HEATDESK_CA {path}: not a PEM certificate ({e})"))
    })
    .clone()
}

/// What the handles of one login share: the session, and the feed's news.
struct Shared {
    address: ServerAddress,
    token: String,
    actor: String,
    permissions: Permissions,
    /// The change feed heard of a change the handle has not caught up with.
    news: AtomicBool,
    /// Since when the server has not answered (None: it answers).
    offline: Mutex<Option<Instant>>,
    /// When the change feed tries the server again (while it does not answer).
    retry_at: Mutex<Option<Instant>>,
}

impl Shared {
    /// The server answered.
    fn answered(&self) {
        *self.offline.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// The server did not answer: for how long now (s).
    fn unanswered(&self, e: &reqwest::Error) -> u64 {
        tracing::warn!(server = %self.address, error = %plain(e), "the server did not answer");
        let mut offline = self.offline.lock().unwrap_or_else(|e| e.into_inner());
        offline.get_or_insert_with(Instant::now).elapsed().as_secs()
    }
}

/// The console's store over the room's server.
pub struct RemoteStore {
    shared: Arc<Shared>,
    http: reqwest::blocking::Client,
    location: Location,
    /// Where this handle is in the server's journal.
    /// Where in the server's journal this console's snapshot stands (set by each load).
    cursor: std::cell::Cell<Option<(u64, u64)>>,
    committed: Vec<i64>,
    watching: Option<Arc<AtomicBool>>,
    /// Where the city's rows are kept between starts.
    cache: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for RemoteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RemoteStore({})", self.location)
    }
}

impl RemoteStore {
    /// Log in to the server at `address` as its login with `password`.
    pub fn login(address: &ServerAddress, password: &str) -> Result<RemoteStore, StoreError> {
        let shown = address.to_string();
        let unreachable = |detail: String| StoreError::Unreachable {
            server: shown.clone(),
            detail,
        };
        if address.login.is_empty() {
            return Err(StoreError::BadUrl {
                url: shown.clone(),
                detail: "no login: https://LOGIN@host:port (or --login)".into(),
            });
        }
        let http = client(Some(Duration::from_secs(600))).map_err(unreachable)?;
        let answer = http
            .post(format!("{}/api/console/login", address.base))
            .json(&Login {
                login: address.login.clone(),
                password: password.to_string(),
                api: API_VERSION,
            })
            .send()
            .map_err(|e| match certificate_problem(&e) {
                Some(why) => StoreError::Certificate {
                    server: shown.clone(),
                    why,
                },
                None => unreachable(plain(&e)),
            })?;
        let me: LoggedIn = read_answer(answer, &shown)?;
        tracing::info!(server = %shown, role = me.role.code(), "logged in to the room's server");
        let location = Location::Remote(address.clone());
        Ok(RemoteStore {
            shared: Arc::new(Shared {
                address: address.clone(),
                token: me.token,
                actor: me.actor,
                permissions: me.permissions,
                news: AtomicBool::new(false),
                offline: Mutex::new(None),
                retry_at: Mutex::new(None),
            }),
            http,
            location,
            cursor: Default::default(),
            committed: Vec::new(),
            watching: None,
            cache: default_cache(address),
        })
    }

    /// Open `address` with the password from `HEATDESK_PASSWORD`, else typed at the terminal.
    pub fn open(address: &ServerAddress) -> Result<RemoteStore, StoreError> {
        RemoteStore::login(address, &password_for(address)?)
    }

    /// How the audit trail names this console's user.
    pub fn actor(&self) -> &str {
        &self.shared.actor
    }

    fn shown(&self) -> String {
        self.shared.address.to_string()
    }

    /// One call, its answer read as `T`.
    fn call<T: DeserializeOwned>(&self, call: &Call) -> Result<T, StoreError> {
        read_answer(self.send(call)?, &self.shown())
    }

    /// Send one call (binary both ways); the answer as it comes, or why there is none: the
    /// server unavailable, or (for a command sent) a commit whose outcome is unknown until the
    /// feed says.
    fn send(&self, call: &Call) -> Result<reqwest::blocking::Response, StoreError> {
        let body = encode(call).map_err(|detail| StoreError::ServerFailed {
            server: self.shown(),
            detail,
        })?;
        let sent = self
            .http
            .post(format!("{}/api/console/call", self.shared.address.base))
            .bearer_auth(&self.shared.token)
            .header(reqwest::header::CONTENT_TYPE, BINARY)
            .header(reqwest::header::ACCEPT, BINARY)
            .body(body)
            .send();
        match sent {
            Ok(answer) => {
                self.shared.answered();
                Ok(answer)
            }
            Err(e) => {
                let since_s = self.shared.unanswered(&e);
                Err(if matches!(call, Call::Apply { .. }) && !e.is_connect() {
                    StoreError::CommitUnknown {
                        server: self.shown(),
                    }
                } else {
                    StoreError::Unavailable {
                        server: self.shown(),
                        since_s,
                    }
                })
            }
        }
    }

    /// The change feed after `cursor`, waiting up to `wait` for something to happen.
    fn feed(
        http: &reqwest::blocking::Client,
        shared: &Shared,
        cursor: Option<(u64, u64)>,
        wait: Duration,
    ) -> Result<Feed, StoreError> {
        let (epoch, after) = cursor.unwrap_or((0, 0));
        let answer = http
            .get(format!(
                "{}/api/console/changes?epoch={epoch}&after={after}&wait_ms={}",
                shared.address.base,
                wait.as_millis()
            ))
            .bearer_auth(&shared.token)
            .send()
            // the feed is how a quiet console hears the server went away: the top bar says so
            .map_err(|e| StoreError::Unavailable {
                server: shared.address.to_string(),
                since_s: shared.unanswered(&e),
            })?;
        shared.answered();
        read_answer(answer, &shared.address.to_string())
    }

    /// Where the journal is now (a load starts the feed from here).
    fn mark_now(&mut self) -> Result<(), StoreError> {
        let feed = Self::feed(&self.http, &self.shared, None, Duration::ZERO)?;
        self.cursor.set(Some((feed.epoch, feed.last)));
        Ok(())
    }
}

/// The password for `address`: `HEATDESK_PASSWORD`, else typed at the terminal.
pub fn password_for(address: &ServerAddress) -> Result<String, StoreError> {
    match std::env::var("HEATDESK_PASSWORD") {
        Ok(p) if !p.is_empty() => Ok(p),
        _ => rpassword::prompt_password(format!("{address} password: ")).map_err(|e| {
            StoreError::Unreachable {
                server: address.to_string(),
                detail: format!("no password (HEATDESK_PASSWORD, or a terminal to type it): {e}"),
            }
        }),
    }
}

/// How long a command whose answer was lost is sent again (with its id) before the console
/// says its outcome is unknown: a server restarting, a proxy's connection dropped.
const RETRY_UNKNOWN_FOR: Duration = Duration::from_secs(4);

/// A command's id: 128 random bits in hex.
fn request_id() -> String {
    let mut bits = [0u8; 16];
    getrandom::fill(&mut bits).expect("the system's random numbers");
    bits.iter().map(|b| format!("{b:02x}")).collect()
}

impl StoreError {
    /// This error, its detail written to the log.
    fn logged(self, detail: &str) -> StoreError {
        tracing::warn!(error = %self, detail, "the server did not answer");
        self
    }
}

/// An HTTP error without the request's URL repeated (it is named once, by the caller).
/// What is wrong with the server's certificate, when that is why the connection failed (a
/// TLS error of rustls somewhere down the error's chain, perhaps inside I/O errors inside I/O
/// errors, whose `source` passes over what they hold).
fn certificate_problem(e: &reqwest::Error) -> Option<crate::store::CertProblem> {
    use crate::store::CertProblem as P;
    use rustls::CertificateError as C;
    type Dyn = dyn std::error::Error + 'static;
    fn tls_in(mut e: &Dyn) -> Option<&rustls::Error> {
        loop {
            if let Some(tls) = e.downcast_ref::<rustls::Error>() {
                return Some(tls);
            }
            let io = e.downcast_ref::<std::io::Error>()?;
            e = io.get_ref()?;
        }
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(rustls::Error::InvalidCertificate(c)) = tls_in(s) {
            return Some(match c {
                C::Expired | C::ExpiredContext { .. } => P::Expired,
                C::UnknownIssuer | C::BadSignature => P::NotTrusted,
                C::NotValidForName | C::NotValidForNameContext { .. } => P::OtherName,
                _ => P::Invalid,
            });
        }
        source = s.source();
    }
    None
}

fn plain(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    if let Some(url) = e.url() {
        text = text.replace(&format!(" ({url})"), "");
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// An answer read as `T`, or the server's refusal as the store's.
fn read_answer<T: DeserializeOwned>(
    answer: reqwest::blocking::Response,
    server: &str,
) -> Result<T, StoreError> {
    let status = answer.status();
    let binary = answer
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == BINARY.as_bytes());
    let bytes = answer.bytes().map_err(|e| {
        StoreError::Unavailable {
            server: server.to_string(),
            since_s: 0,
        }
        .logged(&plain(&e))
    })?;
    if status.is_success() {
        let read = if binary {
            decode(&bytes)
        } else {
            serde_json::from_slice(&bytes).map_err(|e| e.to_string())
        };
        return read.map_err(|e| StoreError::ServerFailed {
            server: server.to_string(),
            detail: format!("an answer this console cannot read ({e}): is it a HeatDesk server?"),
        });
    }
    match serde_json::from_slice::<WireError>(&bytes) {
        Ok(refusal) => Err(refusal.into_store(server)),
        Err(_) => Err(StoreError::ServerFailed {
            server: server.to_string(),
            detail: format!(
                "HTTP {status}: {}",
                String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
            ),
        }),
    }
}

impl DispatchStore for RemoteStore {
    /// The city from this PC's cache when the server still has that version, and the
    /// season's rows from the server.
    fn load_since(&self, since: Option<Timestamp>) -> Result<Snapshot, StoreError> {
        let city = self.city()?;
        let Activity {
            mut snap,
            epoch,
            last,
        } = self.call(&Call::Activity { since })?;
        // the feed goes on from where the server stood before it read: a change committed
        // while it read comes again (taken in twice, harmlessly), none is missed
        self.cursor.set(Some((epoch, last)));
        city.put(&mut snap);
        snap.reindex();
        Ok(snap)
    }

    /// Row by row as the server reads them: neither side holds the season at once.
    fn read_older(
        &self,
        since: Timestamp,
        each: &mut dyn FnMut(OlderRow),
    ) -> Result<(), StoreError> {
        use std::io::Read;
        let answer = self.send(&Call::ReadOlder { since })?;
        if !answer.status().is_success() {
            return read_answer::<()>(answer, &self.shown());
        }
        let cut = |e: std::io::Error| {
            StoreError::Unavailable {
                server: self.shown(),
                since_s: 0,
            }
            .logged(&e.to_string())
        };
        let unreadable = |detail: String| StoreError::ServerFailed {
            server: self.shown(),
            detail,
        };
        let mut stream = std::io::BufReader::with_capacity(256 * 1024, answer);
        let mut frame = Vec::new();
        loop {
            let mut len = [0u8; 4];
            stream.read_exact(&mut len).map_err(cut)?;
            let len = u32::from_le_bytes(len);
            if len == FRAMES_DONE {
                return Ok(());
            }
            let failed = len == FRAMES_FAILED;
            let len = if failed {
                let mut len = [0u8; 4];
                stream.read_exact(&mut len).map_err(cut)?;
                u32::from_le_bytes(len)
            } else {
                len
            };
            frame.resize(len as usize, 0);
            stream.read_exact(&mut frame).map_err(cut)?;
            if failed {
                let refusal: WireError = decode(&frame).map_err(unreadable)?;
                return Err(refusal.into_store(&self.shown()));
            }
            each(decode(&frame).map_err(unreadable)?);
        }
    }

    fn ticket(&self, id: TicketId) -> Result<Option<Ticket>, StoreError> {
        self.call(&Call::Ticket { id })
    }

    fn load_places(&self) -> Result<Snapshot, StoreError> {
        let mut snap: Snapshot = self.call(&Call::LoadPlaces)?;
        snap.reindex();
        Ok(snap)
    }

    fn deadline_rules(&self) -> Result<Vec<SlaRule>, StoreError> {
        self.call(&Call::DeadlineRules)
    }

    fn basemap_features(&self) -> Result<Vec<BasemapFeature>, StoreError> {
        self.call(&Call::BasemapFeatures)
    }

    fn known_ids(&self, table: Table) -> Result<KnownIds, StoreError> {
        self.call(&Call::KnownIds { table })
    }

    /// The server applies it as this console's account (the origin's name is the server's to
    /// say), once: the command goes with an id of its own, and when the answer is lost on the
    /// way (the server went away after the request was sent) it is sent again with that id
    /// for a few seconds. The server answers a retry whose first try committed with the first
    /// answer (or says it was saved already) and never applies it twice: a new ticket sent
    /// again is not a second ticket.
    fn apply_once(
        &mut self,
        command: &Command,
        _origin: &Origin,
        _request: Option<&str>,
    ) -> Result<Applied, StoreError> {
        if self.cursor.get().is_none() {
            self.mark_now()?;
        }
        let call = Call::Apply {
            command: command.clone(),
            request: request_id(),
        };
        let until = std::time::Instant::now() + RETRY_UNKNOWN_FOR;
        let mut pause = Duration::from_millis(100);
        let mut unknown = false;
        loop {
            let early = std::time::Instant::now() < until;
            match self.call(&call) {
                // sent, no answer: send it again
                Err(StoreError::CommitUnknown { .. }) if early => unknown = true,
                // the server not back yet
                Err(StoreError::Unavailable { .. }) if unknown && early => {}
                // the first try may have committed: still unknown, not "nothing was written"
                Err(StoreError::Unavailable { .. }) if unknown => {
                    return Err(StoreError::CommitUnknown {
                        server: self.shown(),
                    });
                }
                done => return done,
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_secs(1));
        }
    }

    fn history(&self, ticket: TicketId) -> Result<Vec<TicketEvent>, StoreError> {
        self.call(&Call::History { ticket })
    }

    fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        self.call(&Call::Accounts)
    }

    fn account(&self, login: &str) -> Result<Option<Account>, StoreError> {
        self.call(&Call::Account {
            login: login.to_string(),
        })
    }

    fn outbox(&self, limit: usize) -> Result<Vec<Message>, StoreError> {
        self.call(&Call::Outbox { limit })
    }

    fn due_messages(&self, _now: Timestamp, _limit: usize) -> Result<Vec<Message>, StoreError> {
        Err(self.servers_own("sending messages"))
    }

    fn message_tried(&mut self, _m: &Message) -> Result<(), StoreError> {
        Err(self.servers_own("sending messages"))
    }

    fn photos(&self, ticket: TicketId) -> Result<Vec<Photo>, StoreError> {
        self.call(&Call::Photos { ticket })
    }

    fn message_templates(&self) -> Result<MessageTemplates, StoreError> {
        self.call(&Call::MessageTemplates)
    }

    fn catch_up(&mut self) -> Result<Update, StoreError> {
        self.shared.news.store(false, Ordering::SeqCst);
        if self.cursor.get().is_none() {
            self.mark_now()?;
            return Ok(Update::UpToDate);
        }
        let feed = Self::feed(&self.http, &self.shared, self.cursor.get(), Duration::ZERO)?;
        self.cursor.set(Some((feed.epoch, feed.last)));
        self.committed.extend(feed.committed_at);
        Ok(feed.update)
    }

    fn second_handle(&self) -> Result<Box<dyn DispatchStore>, StoreError> {
        Ok(Box::new(RemoteStore {
            shared: Arc::clone(&self.shared),
            http: self.http.clone(),
            location: self.location.clone(),
            cursor: Default::default(),
            committed: Vec::new(),
            watching: None,
            cache: self.cache.clone(),
        }))
    }

    fn location(&self) -> &Location {
        &self.location
    }

    fn committed_at(&mut self) -> Vec<i64> {
        std::mem::take(&mut self.committed)
    }

    /// A thread holds the change feed open and wakes the console when it moves.
    fn watch(&mut self, wake: Waker) {
        let stop = Arc::new(AtomicBool::new(false));
        self.watching = Some(Arc::clone(&stop));
        let shared = Arc::clone(&self.shared);
        let Ok(http) = client(Some(FEED_WAIT + Duration::from_secs(10))) else {
            return;
        };
        let mut cursor = self.cursor.get();
        let _ = std::thread::Builder::new()
            .name("heatdesk-feed".into())
            .spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match Self::feed(&http, &shared, cursor, FEED_WAIT) {
                        Ok(feed) => {
                            let moved = cursor.is_some_and(|c| c != (feed.epoch, feed.last));
                            cursor = Some((feed.epoch, feed.last));
                            if moved {
                                shared.news.store(true, Ordering::SeqCst);
                                wake();
                            }
                        }
                        Err(StoreError::SessionEnded { .. }) => return,
                        // the server away: try again in a while (the top bar counts down)
                        Err(_) => {
                            *shared.retry_at.lock().unwrap_or_else(|e| e.into_inner()) =
                                Some(Instant::now() + FEED_RETRY);
                            std::thread::sleep(FEED_RETRY);
                        }
                    }
                }
            });
    }

    fn others_committed(&self) -> bool {
        self.shared.news.load(Ordering::SeqCst)
    }

    fn health(&self) -> Health {
        match *self
            .shared
            .offline
            .lock()
            .unwrap_or_else(|e| e.into_inner())
        {
            None => Health::Online,
            Some(since) => Health::Offline {
                since_s: since.elapsed().as_secs(),
                retry_in_s: self
                    .shared
                    .retry_at
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .map_or(0, |at| {
                        // rounded up: "1 s" until the try, not "0 s" for a whole second
                        at.saturating_duration_since(Instant::now())
                            .as_millis()
                            .div_ceil(1000) as u64
                    }),
            },
        }
    }

    fn permissions(&self) -> Permissions {
        self.shared.permissions
    }

    fn seed(&mut self, _all: &Everything) -> Result<(), StoreError> {
        Err(self.servers_own("filling a new database"))
    }

    fn everything(&self) -> Result<Everything, StoreError> {
        Err(self.servers_own("copying the whole database"))
    }

    fn verify_audit(&self) -> Result<chain::Report, StoreError> {
        self.call(&Call::VerifyAudit)
    }

    fn audit_heads(&self) -> Result<Vec<chain::Head>, StoreError> {
        self.call(&Call::AuditHeads)
    }
}

impl RemoteStore {
    /// The city's rows: the cached version when the server says it is current, else fetched
    /// (and cached for the next start).
    fn city(&self) -> Result<City, StoreError> {
        // our own two files in the cache folder, never a database
        let cached = self.cache.as_ref().and_then(|dir| {
            let version = std::fs::read_to_string(dir.join("city.version")).ok()?;
            let rows = std::fs::read(dir.join("city.bin")).ok()?;
            Some((version.trim().to_string(), rows))
        });
        let have = cached.as_ref().map(|(version, _)| version.clone());
        let answer = match (self.call(&Call::City { have })?, cached) {
            (CityAnswer::Same, Some((_, rows))) => match decode(&rows) {
                Ok(city) => return Ok(city),
                // a cache another HeatDesk wrote: fetched again
                Err(_) => self.call(&Call::City { have: None })?,
            },
            (answer, _) => answer,
        };
        let CityAnswer::Fresh { version, rows } = answer else {
            return Err(StoreError::ServerFailed {
                server: self.shown(),
                detail: "the server sent no city".into(),
            });
        };
        self.keep_city(&version, &rows);
        decode(&rows).map_err(|detail| StoreError::ServerFailed {
            server: self.shown(),
            detail,
        })
    }

    /// Keep the city's rows for the next start (a cache: a failure only costs the next start
    /// a download).
    fn keep_city(&self, version: &str, rows: &[u8]) {
        let Some(dir) = &self.cache else { return };
        let written = std::fs::create_dir_all(dir)
            .and_then(|()| std::fs::write(dir.join("city.bin.partial"), rows))
            .and_then(|()| std::fs::rename(dir.join("city.bin.partial"), dir.join("city.bin")))
            .and_then(|()| std::fs::write(dir.join("city.version"), version));
        if let Err(e) = written {
            tracing::warn!(folder = %dir.display(), error = %e, "the city could not be cached");
        }
    }

    /// Keep the city in `dir` between starts (None: fetch it each time).
    pub fn with_cache(mut self, dir: Option<std::path::PathBuf>) -> Self {
        self.cache = dir;
        self
    }

    /// What only the server's own connection does.
    fn servers_own(&self, what: &str) -> StoreError {
        StoreError::Forbidden {
            server: self.shown(),
            detail: format!(
                "{what} is done on the server's database (heatdesk --db postgres://… or the room's file)"
            ),
        }
    }
}

impl Drop for RemoteStore {
    fn drop(&mut self) {
        if let Some(stop) = &self.watching {
            stop.store(true, Ordering::SeqCst);
        }
    }
}
