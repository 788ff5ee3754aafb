//! The consoles' door to the room's server (`/api/console/…`): a dispatcher, leader or admin
//! logs in with their account, and each call of their console's store ([`Call`]) is answered
//! under their role — the server applies every command as their account, refuses what the
//! role may not do, and keeps a journal of what changed that each console's change feed reads
//! (a request held open until something happens).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::Server;
use super::auth::Session;
use crate::domain::crew::Role;
use crate::domain::{Changes, Origin, Update};
use crate::store::remote::{
    API_VERSION, BINARY, Call, CityAnswer, FRAMES_DONE, FRAMES_FAILED, Feed, LoggedIn, Login,
    WireError, decode, encode,
};
use crate::store::{DispatchStore, OlderRow, Permissions, StoreError};

/// A console's request may be this large: a company's file to import, as rows.
pub const CONSOLE_BODY_LIMIT: usize = 512 * 1024 * 1024;

/// The journal keeps this many entries; a console further behind reads everything again.
const KEPT: usize = 4096;

/// The longest a change-feed request is held open.
const LONGEST_WAIT: Duration = Duration::from_secs(30);

pub fn router(server: Arc<Server>) -> Router {
    Router::new()
        .route("/api/console/login", post(login))
        .route("/api/console/logout", post(logout))
        .route("/api/console/call", post(call))
        .route("/api/console/changes", get(changes))
        .layer(DefaultBodyLimit::max(CONSOLE_BODY_LIMIT))
        .with_state(server)
}

/// What changed, entry by entry, since the server started (its epoch).
pub struct Journal {
    epoch: u64,
    /// The number of the first entry kept.
    first: u64,
    entries: VecDeque<Entry>,
}

struct Entry {
    /// The session whose command it was (its own console took it in already).
    by: Option<String>,
    update: Update,
    committed_at: Vec<i64>,
}

impl Default for Journal {
    fn default() -> Self {
        Self::new()
    }
}

impl Journal {
    pub fn new() -> Journal {
        let mut epoch = [0u8; 8];
        getrandom::fill(&mut epoch).expect("the system's random numbers");
        Journal {
            epoch: u64::from_le_bytes(epoch) >> 12,
            first: 1,
            entries: VecDeque::new(),
        }
    }

    /// This journal's number (another server's, or this one's after a restart, differs).
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The number of the last entry (0: none yet).
    pub fn last(&self) -> u64 {
        self.first + self.entries.len() as u64 - 1
    }

    /// Add an entry; its number.
    pub fn push(&mut self, by: Option<&str>, update: Update, committed_at: Vec<i64>) -> u64 {
        self.entries.push_back(Entry {
            by: by.map(str::to_string),
            update,
            committed_at,
        });
        if self.entries.len() > KEPT {
            self.entries.pop_front();
            self.first += 1;
        }
        self.last()
    }

    /// What a console at entry `after` of journal `epoch` has not taken in (its own session's
    /// commands left out); everything again when it is from another journal or too far behind.
    pub fn after(&self, epoch: u64, after: u64, token: &str) -> Feed {
        let last = self.last();
        let reload = Feed {
            epoch: self.epoch,
            last,
            update: Update::Reload,
            committed_at: Vec::new(),
        };
        if epoch != self.epoch || after + 1 < self.first || after > last {
            return reload;
        }
        let mut changes = Changes::default();
        let mut committed_at = Vec::new();
        let skip = (after + 1 - self.first) as usize;
        for e in self.entries.iter().skip(skip) {
            if e.by.as_deref() == Some(token) {
                continue;
            }
            committed_at.extend(&e.committed_at);
            match &e.update {
                Update::UpToDate => {}
                Update::Reload => {
                    return Feed {
                        committed_at,
                        ..reload
                    };
                }
                Update::Changed(c) => merge(&mut changes, c.clone()),
            }
        }
        Feed {
            epoch: self.epoch,
            last,
            update: if changes.is_empty() {
                Update::UpToDate
            } else {
                Update::Changed(changes)
            },
            committed_at,
        }
    }
}

/// The season's history as frames (see [`FRAMES_DONE`]), each row sent as it is read: a
/// console's start no longer waits for the whole season on either side, nor holds it twice.
fn older_rows(server: Arc<Server>, since: crate::domain::Timestamp) -> Response {
    type Chunk = Result<axum::body::Bytes, std::io::Error>;
    const CHUNK: usize = 256 * 1024;
    let (tx, rx) = tokio::sync::mpsc::channel::<Chunk>(8);
    tokio::task::spawn_blocking(move || {
        let mut buf = Vec::with_capacity(CHUNK + 4096);
        let frame = |buf: &mut Vec<u8>, bytes: &[u8]| {
            buf.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            buf.extend_from_slice(bytes);
        };
        let mut gone = false;
        let read = server.reader().read_older(since, &mut |row| {
            if gone {
                return;
            }
            match encode(&row) {
                Ok(bytes) => frame(&mut buf, &bytes),
                Err(e) => tracing::error!(error = %e, "a row could not be written"),
            }
            if buf.len() >= CHUNK {
                let full = std::mem::replace(&mut buf, Vec::with_capacity(CHUNK + 4096));
                // the console went away: read on, send nothing
                gone = tx.blocking_send(Ok(full.into())).is_err();
            }
        });
        match read {
            Ok(()) => buf.extend_from_slice(&FRAMES_DONE.to_le_bytes()),
            Err(e) => {
                tracing::error!(error = %e, "the season's history could not be read");
                buf.extend_from_slice(&FRAMES_FAILED.to_le_bytes());
                let refusal = encode(&WireError::from_store(&e)).unwrap_or_default();
                frame(&mut buf, &refusal);
            }
        }
        let _ = tx.blocking_send(Ok(buf.into()));
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    (
        [(header::CONTENT_TYPE, BINARY)],
        axum::body::Body::from_stream(stream),
    )
        .into_response()
}

/// An answer encoded once for many consoles, sent without a copy.
fn shared(binary: bool, answer: Arc<Vec<u8>>) -> Response {
    struct Shared(Arc<Vec<u8>>);
    impl AsRef<[u8]> for Shared {
        fn as_ref(&self) -> &[u8] {
            &self.0
        }
    }
    let kind = if binary { BINARY } else { "application/json" };
    (
        [(header::CONTENT_TYPE, kind)],
        axum::body::Body::from(bytes::Bytes::from_owner(Shared(answer))),
    )
        .into_response()
}

/// `value` as the answer's body, binary or JSON.
fn written<T: serde::Serialize>(
    binary: bool,
    value: Result<T, StoreError>,
) -> Result<Response, Refused> {
    let value = value?;
    let body = if binary {
        encode(&value)
    } else {
        serde_json::to_vec(&value).map_err(|e| e.to_string())
    }
    .map_err(|e| {
        Refused(
            StatusCode::INTERNAL_SERVER_ERROR,
            WireError::Failed(format!("the answer could not be written: {e}")),
        )
    })?;
    let kind = if binary { BINARY } else { "application/json" };
    Ok(([(header::CONTENT_TYPE, kind)], body).into_response())
}

/// `later` after `into`: rows appended in order (a row changed twice is taken in twice, the
/// later last), settings replaced.
fn merge(into: &mut Changes, later: Changes) {
    into.tickets.extend(later.tickets);
    into.visits.extend(later.visits);
    into.readings.extend(later.readings);
    into.surveys.extend(later.surveys);
    into.rules.extend(later.rules);
    if later.kpi_rules.is_some() {
        into.kpi_rules = later.kpi_rules;
    }
    into.teams.extend(later.teams);
    into.positions.extend(later.positions);
}

/// A refusal to a console, typed ([`WireError`]) with its status.
pub struct Refused(StatusCode, WireError);

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        (self.0, axum::Json(self.1)).into_response()
    }
}

impl From<StoreError> for Refused {
    fn from(e: StoreError) -> Self {
        let status = match &e {
            StoreError::Stale { .. } | StoreError::AlreadyApplied { .. } => StatusCode::CONFLICT,
            StoreError::NotFound { .. } => StatusCode::NOT_FOUND,
            StoreError::Refused(_) | StoreError::Invalid(_) | StoreError::Refusal(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            StoreError::Forbidden { .. } => StatusCode::FORBIDDEN,
            StoreError::Unavailable { .. }
            | StoreError::Unreachable { .. }
            | StoreError::CommitUnknown { .. } => StatusCode::SERVICE_UNAVAILABLE,
            _ => {
                tracing::error!(error = %e, "a console's request failed");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        Refused(status, WireError::from_store(&e))
    }
}

fn unauthorized() -> Refused {
    Refused(StatusCode::UNAUTHORIZED, WireError::NotLoggedIn)
}

/// A request's body (binary as the console sends it, or JSON), or 400 naming what is wrong
/// with it.
struct Json<T>(T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = Refused;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, Refused> {
        let binary = request
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes() == BINARY.as_bytes());
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|e| Refused(e.status(), WireError::BadRequest(e.body_text())))?;
        let read = if binary {
            decode(&bytes)
        } else {
            serde_json::from_slice(&bytes).map_err(|e| e.to_string())
        };
        read.map(Json).map_err(|e| {
            Refused(
                StatusCode::BAD_REQUEST,
                WireError::BadRequest(format!("the request's body: {e}")),
            )
        })
    }
}

/// Whether the asker reads the binary form.
fn wants_binary(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains(BINARY))
}

/// The console's user a request comes from (`Authorization: Bearer …`), or 401. An account
/// disabled, gone or given another role meanwhile ends its sessions at once.
struct Desk {
    session: Session,
    token: String,
}

impl FromRequestParts<Arc<Server>> for Desk {
    type Rejection = Refused;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        server: &Arc<Server>,
    ) -> Result<Self, Refused> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(unauthorized)?
            .to_string();
        let session = server
            .gate
            .session(&token)
            .filter(|s| s.role != Role::Technician)
            .ok_or_else(unauthorized)?;
        let server = Arc::clone(server);
        blocking(move || match server.account(&session.login)? {
            Some(a) if !a.disabled && a.role == session.role => Ok(Desk { session, token }),
            _ => {
                server.gate.close_all(&session.login);
                Err(unauthorized())
            }
        })
        .await
    }
}

/// A request's work on the store, off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Refused> + Send + 'static,
) -> Result<T, Refused> {
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        tracing::error!(error = %e, "a console's request failed");
        Refused(
            StatusCode::INTERNAL_SERVER_ERROR,
            WireError::Failed("the server could not do it; try again".into()),
        )
    })?
}

async fn login(
    State(server): State<Arc<Server>>,
    Json(Login {
        login,
        password,
        api,
    }): Json<Login>,
) -> Result<axum::Json<LoggedIn>, Refused> {
    if api != API_VERSION {
        return Err(Refused(
            StatusCode::CONFLICT,
            WireError::OtherVersion {
                api: API_VERSION,
                version: env!("CARGO_PKG_VERSION").into(),
            },
        ));
    }
    if login.len() > 64 || password.len() > 256 {
        return Err(Refused(
            StatusCode::BAD_REQUEST,
            WireError::BadRequest("login or password too long".into()),
        ));
    }
    if server.gate.locked(&login) {
        return Err(Refused(
            StatusCode::TOO_MANY_REQUESTS,
            WireError::TooManyGuesses,
        ));
    }
    let Some(account) = server.check_password(&login, password).await? else {
        return Err(Refused(StatusCode::UNAUTHORIZED, WireError::WrongPassword));
    };
    if account.role == Role::Technician {
        return Err(Refused(StatusCode::FORBIDDEN, WireError::WrongRole));
    }
    let token = server.gate.open(&account);
    tracing::info!(login = %account.login, role = account.role.code(), "a console logged in");
    Ok(axum::Json(LoggedIn {
        token,
        actor: account.actor(),
        role: account.role,
        permissions: Permissions::of(account.role),
        api: API_VERSION,
        version: env!("CARGO_PKG_VERSION").into(),
    }))
}

async fn logout(State(server): State<Arc<Server>>, desk: Desk) -> StatusCode {
    server.gate.close(&desk.token);
    StatusCode::NO_CONTENT
}

/// One call of a console's store, answered as JSON under the account's role.
async fn call(
    State(server): State<Arc<Server>>,
    headers: axum::http::HeaderMap,
    desk: Desk,
    Json(call): Json<Call>,
) -> Result<Response, Refused> {
    let binary = wants_binary(&headers);
    let can = Permissions::of(desk.session.role);
    if !call.open_to(&can) {
        tracing::info!(login = %desk.session.login, call = ?std::mem::discriminant(&call), "refused for the role");
        return Err(Refused(
            StatusCode::FORBIDDEN,
            WireError::Forbidden(format!("a {} may not do this", desk.session.role.code())),
        ));
    }
    if let (Call::ReadOlder { since }, true) = (&call, binary) {
        return Ok(older_rows(server, *since));
    }
    blocking(move || answer(&server, &desk, call, binary)).await
}

/// The answer to `call`, binary or JSON as asked.
fn answer(server: &Server, desk: &Desk, call: Call, binary: bool) -> Result<Response, Refused> {
    let store = || server.store();
    match call {
        Call::City { have } => {
            let (version, answer) = server.city(binary)?;
            if have.as_deref() == Some(version.as_str()) {
                written(binary, Ok(CityAnswer::Same))
            } else {
                Ok(shared(binary, answer))
            }
        }
        Call::Activity { since } if binary => Ok(shared(true, server.activity(since)?)),
        Call::Activity { since } => written(binary, server.read_activity(since)),
        Call::ReadOlder { since } => {
            let mut rows: Vec<OlderRow> = Vec::new();
            let read = server.reader().read_older(since, &mut |row| rows.push(row));
            written(binary, read.map(|()| rows))
        }
        Call::Ticket { id } => written(binary, store().ticket(id)),
        Call::LoadPlaces => written(binary, server.reader().load_places()),
        Call::DeadlineRules => written(binary, store().deadline_rules()),
        Call::BasemapFeatures => written(binary, store().basemap_features()),
        Call::KnownIds { table } => written(binary, store().known_ids(table)),
        Call::Apply { command, request } => {
            if request.is_empty()
                || request.len() > 40
                || !request
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            {
                return written(
                    binary,
                    Err::<(), _>(StoreError::Invalid(format!(
                        "a command's request id is 1 to 40 letters, digits or '-', not {request:?}"
                    ))),
                );
            }
            // the server says who did it, and when: never the console
            let origin = Origin {
                actor: desk.session.actor.clone(),
                at: server.now(),
            };
            // one account's ids never meet another's
            let request = format!("console:{}:{request}", desk.session.login);
            written(
                binary,
                server.apply_once(&command, &origin, Some(&desk.token), Some(&request)),
            )
        }
        Call::History { ticket } => written(binary, store().history(ticket)),
        Call::Accounts => written(binary, store().accounts()),
        Call::Account { login } => written(binary, store().account(&login)),
        Call::Outbox { limit } => written(binary, store().outbox(limit.min(10_000))),
        Call::Photos { ticket } => written(binary, store().photos(ticket)),
        Call::MessageTemplates => written(binary, store().message_templates()),
        Call::VerifyAudit => written(binary, store().verify_audit()),
        Call::AuditHeads => written(binary, store().audit_heads()),
    }
}

#[derive(Deserialize)]
struct FeedQuery {
    #[serde(default)]
    epoch: u64,
    #[serde(default)]
    after: u64,
    #[serde(default)]
    wait_ms: u64,
}

/// The change feed: what the journal holds after `after` (for this session, without its own
/// commands), at once when there is something, else when something happens or `wait_ms` has
/// passed. A console with no place in the journal yet (epoch 0) gets where it is now.
async fn changes(
    State(server): State<Arc<Server>>,
    desk: Desk,
    Query(q): Query<FeedQuery>,
) -> Result<axum::Json<Feed>, Refused> {
    let mut moved = server.moved.subscribe();
    let wait = Duration::from_millis(q.wait_ms).min(LONGEST_WAIT);
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let feed = {
            let journal = server.journal.lock().unwrap_or_else(|e| e.into_inner());
            if q.epoch == 0 {
                return Ok(axum::Json(Feed {
                    epoch: journal.epoch,
                    last: journal.last(),
                    update: Update::UpToDate,
                    committed_at: Vec::new(),
                }));
            }
            journal.after(q.epoch, q.after, &desk.token)
        };
        let moved_on = feed.last != q.after || feed.epoch != q.epoch;
        if feed.update != Update::UpToDate || moved_on || wait.is_zero() {
            return Ok(axum::Json(feed));
        }
        if tokio::time::timeout_at(deadline, moved.changed())
            .await
            .is_err()
        {
            return Ok(axum::Json(feed));
        }
    }
}

/// Keep the journal up with what others commit (other servers, a console on the database,
/// `heatdesk import`): woken by the database's own news (PostgreSQL's NOTIFY: another server of
/// the room; a file's watcher), and five times a second anyway.
pub async fn follow(server: Arc<Server>) {
    let news = Arc::new(tokio::sync::Notify::new());
    // a handle of its own listens (on a blocking thread: PostgreSQL's listener opens a blocking
    // connection), so the server's own handle still reads the log at every look: a phone's
    // list asked for right after a console's commit sees it, news or not
    let watching = {
        let (news, server) = (Arc::clone(&news), Arc::clone(&server));
        tokio::task::spawn_blocking(move || -> Result<Box<dyn DispatchStore>, StoreError> {
            let mut watcher = server.store().second_handle()?;
            watcher.watch(Arc::new(move || news.notify_one()));
            Ok(watcher)
        })
        .await
    };
    let _watcher = watching
        .map_err(|e| e.to_string())
        .and_then(|w| w.map_err(|e| e.to_string()))
        .inspect_err(|e| {
            tracing::error!(error = %e, "cannot watch the database: catching up by the clock only");
        })
        .ok();
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for n in 1u64.. {
        tokio::select! {
            _ = tick.tick() => {}
            _ = news.notified() => {}
        }
        let server = Arc::clone(&server);
        let _ = tokio::task::spawn_blocking(move || {
            if let Err(e) = server.caught_up() {
                tracing::warn!(error = %e, "the server could not catch up with the database");
            }
            if n % 25 == 0 {
                server.forget_old_activity();
                give_back_memory();
            }
        })
        .await;
    }
}

/// Hand freed memory back to the system (every 5 s). A console's first load builds the
/// season's snapshot and its encoding on one of the blocking threads, and glibc keeps what
/// they freed in that thread's arena: 20 consoles starting at once left the server holding
/// 884 MB after, with this 256 MB or less.
fn give_back_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of the allocator's own arenas.
    unsafe {
        libc::malloc_trim(0);
    }
}
