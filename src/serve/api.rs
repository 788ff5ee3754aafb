//! The JSON API the phone page uses (and a native app could): login and logout, the team's
//! open tickets, each step on a ticket, the phone's position. Every answer is JSON; every
//! refusal says why with the right status — 400 unreadable, 401 not logged in, 404 not this
//! team's, 409 changed meanwhile (and by whom), 413 too large, 422 not allowed now, 429 too
//! many wrong passwords.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value, json};

use super::Server;
use super::auth;
use crate::domain::crew::{self, FieldCommand, FieldStep, Photo, TeamPosition};
use crate::domain::suggest::distance_km;
use crate::domain::*;
use crate::store::StoreError;
use crate::words::{self, Lang};

/// A request's body is at most this large (three shrunk photos, as base64, fit).
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;

pub fn router(server: Arc<Server>) -> Router {
    Router::new()
        .route("/", get(super::page::index))
        .route("/app.js", get(super::page::script))
        .route("/app.css", get(super::page::style))
        .route("/api/login", post(login))
        .route("/api/logout", post(logout))
        .route("/api/me", get(me))
        .route("/api/tickets", get(tickets))
        .route("/api/tickets/{id}/call", post(call))
        .route("/api/tickets/{id}/accept", post(accept))
        .route("/api/tickets/{id}/depart", post(depart))
        .route("/api/tickets/{id}/arrive", post(arrive))
        .route("/api/tickets/{id}/complete", post(complete))
        .route("/api/tickets/{id}/fix", post(complete))
        .route("/api/tickets/{id}/hold", post(hold))
        .route("/api/tickets/{id}/return", post(give_back))
        .route("/api/tickets/{id}/{step}", post(no_such_step))
        .route("/api/position", post(position))
        .route("/tiles/{z}/{x}/{y}", get(tile))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(announced_size))
        .with_state(Arc::clone(&server))
        .merge(super::console::router(server))
        .layer(axum::middleware::from_fn(guarded))
}

/// One tile of the room's basemap: `/tiles/14/13312/6194.png` (XYZ, rows from the north). The
/// consoles keep each in their cache; a tile outside the city is 404, as at any tile server.
async fn tile(
    State(server): State<Arc<Server>>,
    Path((z, x, y)): Path<(u8, u32, String)>,
) -> Response {
    let Some(y) = y.strip_suffix(".png").unwrap_or(&y).parse::<u32>().ok() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if z > 22 {
        return StatusCode::NOT_FOUND.into_response();
    }
    let found = tokio::task::spawn_blocking(move || server.tile(z, x, y))
        .await
        .ok()
        .flatten();
    match found {
        Some(png) => (
            [
                (header::CONTENT_TYPE, "image/png"),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            png,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// What the page may load and where it may be shown: its own script, style and requests only
/// (photos shrink through a canvas into data: and blob: images), never inside another site's
/// frame — on every answer, the API's too.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

async fn guarded(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_FRAME_OPTIONS,
        header::HeaderValue::from_static("DENY"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("no-referrer"),
    );
    response
}

/// A request that says it is larger than [`BODY_LIMIT`] is answered 413 at once, before a byte
/// of its body is read (one sent in chunks is cut off at the limit as it is read).
async fn announced_size(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > BODY_LIMIT as u64) {
        return too_large().into_response();
    }
    next.run(request).await
}

/// A refusal: its status and what it says.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: Value,
}

impl ApiError {
    fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            body: json!({ "error": code, "message": message.into() }),
        }
    }

    fn bad(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    fn unauthorized() -> Self {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "not_logged_in",
            "log in first (the session is missing or has expired)",
        )
    }

    /// An account that is not a technician's on the phone page (or a technician's at the
    /// console's door).
    fn not_a_technician() -> Self {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "wrong_role",
            "this account is not a technician's: log in at a console",
        )
    }

    fn not_found(id: i64) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no ticket #{id} for your team"),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match &e {
            StoreError::Stale {
                ticket,
                seen,
                current,
                by,
                at,
            } => ApiError {
                status: StatusCode::CONFLICT,
                body: json!({
                    "error": "stale",
                    "message": e.to_string(),
                    "ticket": ticket,
                    "seen": seen,
                    "current": current,
                    "by": by,
                    "at": at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()),
                }),
            },
            StoreError::NotFound { what: "ticket", id } => ApiError::not_found(*id),
            StoreError::NotFound { .. } => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", e.to_string())
            }
            StoreError::Refused(_) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "not_allowed",
                e.to_string(),
            ),
            StoreError::Invalid(_) | StoreError::Refusal(_) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", e.to_string())
            }
            // a commit whose answer was lost: the phone sends the step again with its id,
            // which applies it once whether or not it held
            StoreError::Unavailable { .. }
            | StoreError::Unreachable { .. }
            | StoreError::CommitUnknown { .. } => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                // the database's address is the room's, not the phone's to see
                words::problem::say(Lang::En, &e.problem()),
            ),
            _ => {
                tracing::error!(error = %e, "request failed");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "failed",
                    "the server could not do it; try again",
                )
            }
        }
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// A request's work on the store, off the async threads: the stores are synchronous (the
/// PostgreSQL client runs its own small runtime, which may not start inside tokio's).
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        tracing::error!(error = %e, "a request's work failed");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "failed",
            "the server could not do it; try again",
        )
    })?
}

/// A request's body as JSON of type `T` (at most [`BODY_LIMIT`]), or the API's refusal: 400
/// saying what is wrong with it, 413 when it is too large.
struct Body<T>(T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> ApiResult<Self> {
        let bytes = Bytes::from_request(request, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                ApiError::bad(format!("the request's body: {e}"))
            }
        })?;
        serde_json::from_slice(&bytes)
            .map(Body)
            .map_err(|e| ApiError::bad(format!("the request's JSON: {e}")))
    }
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!("a request may be at most {} MB", BODY_LIMIT / 1024 / 1024),
    )
}

/// The session cookie's token.
fn token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == auth::COOKIE)
        .map(|(_, v)| v.to_string())
}

/// The logged-in technician a request comes from, or 401. An account disabled in the console
/// (or gone, or moved to another team) ends its sessions at once.
struct Crew(CrewSession);

/// A technician's session: who, and the team whose tickets they work.
pub struct CrewSession {
    pub login: String,
    pub actor: String,
    pub team: TeamId,
}

impl FromRequestParts<Arc<Server>> for Crew {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        server: &Arc<Server>,
    ) -> ApiResult<Self> {
        let s = token(&parts.headers)
            .and_then(|t| server.gate.session(&t))
            .ok_or_else(ApiError::unauthorized)?;
        let server = Arc::clone(server);
        blocking(move || match server.store().account(&s.login)? {
            Some(a) if !a.disabled && a.team_id == s.team && a.role == s.role => match s.team {
                Some(team) => Ok(Crew(CrewSession {
                    login: s.login,
                    actor: s.actor,
                    team,
                })),
                None => Err(ApiError::not_a_technician()),
            },
            _ => {
                server.gate.close_all(&s.login);
                Err(ApiError::unauthorized())
            }
        })
        .await
    }
}

/// A ticket's number from the path, or 400.
fn ticket_number(id: &str) -> ApiResult<TicketId> {
    id.parse()
        .map_err(|_| ApiError::bad(format!("{id:?} is not a ticket number")))
}

#[derive(Deserialize)]
struct LoginBody {
    login: String,
    password: String,
}

async fn login(
    State(server): State<Arc<Server>>,
    Body(LoginBody { login, password }): Body<LoginBody>,
) -> ApiResult<Response> {
    if login.len() > 64 || password.len() > 256 {
        return Err(ApiError::bad("login or password too long"));
    }
    if server.gate.locked(&login) {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            format!(
                "{} wrong passwords in a minute: wait a minute and try again",
                auth::MAX_GUESSES
            ),
        ));
    }
    let Some(account) = server.check_password(&login, password).await? else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "wrong_password",
            "wrong login or password",
        ));
    };
    let Some(team) = account.team_id else {
        return Err(ApiError::not_a_technician());
    };
    let token = server.gate.open(&account);
    tracing::info!(login = %account.login, team, "logged in");
    let cookie = format!(
        "{}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
        auth::COOKIE,
        auth::SESSION_LIFETIME.as_secs()
    );
    let me = {
        let (server, login) = (Arc::clone(&server), account.login.clone());
        blocking(move || me_json(&server, &login, team)).await?
    };
    let mut response = axum::Json(me).into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|_| ApiError::bad("cookie"))?,
    );
    Ok(response)
}

async fn logout(State(server): State<Arc<Server>>, headers: HeaderMap) -> Response {
    if let Some(t) = token(&headers) {
        server.gate.close(&t);
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("heatdesk_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    response
}

fn me_json(server: &Server, login: &str, team: TeamId) -> ApiResult<Value> {
    let snap = server.caught_up()?;
    let account_name = login.to_string();
    let t = snap.team(team);
    Ok(json!({
        "login": account_name,
        "team": { "id": team, "name": t.map(|t| t.name.clone()).unwrap_or_default() },
    }))
}

async fn me(State(server): State<Arc<Server>>, Crew(s): Crew) -> ApiResult<axum::Json<Value>> {
    blocking(move || Ok(axum::Json(me_json(&server, &s.login, s.team)?))).await
}

#[derive(Deserialize, Default)]
struct ListQuery {
    lang: Option<String>,
    lon: Option<f64>,
    lat: Option<f64>,
}

fn lang_of(code: Option<&str>) -> Lang {
    match code {
        Some("en") => Lang::En,
        _ => Lang::Zh,
    }
}

/// The middle of a building's footprint (where a crew goes); none for a building without one.
fn building_centre(snap: &Snapshot, id: BuildingId) -> Option<LonLat> {
    let b = snap.building(id)?;
    (!b.footprint.is_empty()).then(|| centroid(&b.footprint))
}

/// A ticket as the phone lists it.
fn ticket_json(
    snap: &Snapshot,
    t: &Ticket,
    lang: Lang,
    from: Option<LonLat>,
    now: Timestamp,
) -> Value {
    let centre = building_centre(snap, t.building_id);
    let distance_m = match (from, centre) {
        (Some(a), Some(b)) => Some((distance_km(a, b) * 1000.0).round()),
        _ => None,
    };
    let due = if matches!(t.status, TicketStatus::Assigned | TicketStatus::Accepted) {
        t.respond_by
    } else {
        t.deadline
    };
    json!({
        "id": t.id,
        "version": t.version,
        "status": t.status.code(),
        "status_name": words::status(lang, t.status),
        "category": words::category(lang, t.category),
        "severity": t.severity.code(),
        "severity_name": words::severity(lang, t.severity),
        "place": snap.building_label(t.building_id),
        "address_detail": t.address_detail,
        "description": t.description,
        "reporter": t.reporter_name,
        "phone": words::format::mask_phone(&t.reporter_phone),
        "has_phone": !t.reporter_phone.trim().is_empty(),
        "due": due.format("%Y-%m-%dT%H:%M:%S").to_string(),
        "minutes_left": (due - now).num_minutes(),
        "lon": centre.map(|c| c[0]),
        "lat": centre.map(|c| c[1]),
        "distance_m": distance_m,
    })
}

/// The team's tickets a crew works on, nearest first.
async fn tickets(
    State(server): State<Arc<Server>>,
    Crew(s): Crew,
    Query(q): Query<ListQuery>,
) -> ApiResult<axum::Json<Value>> {
    blocking(move || tickets_of(&server, &s, q)).await
}

fn tickets_of(server: &Server, s: &CrewSession, q: ListQuery) -> ApiResult<axum::Json<Value>> {
    let now = server.now();
    let lang = lang_of(q.lang.as_deref());
    let snap = server.caught_up()?;
    let from = match (q.lon, q.lat) {
        (Some(lon), Some(lat)) if lon.is_finite() && lat.is_finite() => Some([lon, lat]),
        _ => snap.team(s.team).map(|t| t.position),
    };
    let mut mine: Vec<(f64, &Ticket)> = snap
        .team_tickets(s.team)
        .map(|t| {
            let d = match (from, building_centre(&snap, t.building_id)) {
                (Some(a), Some(b)) => distance_km(a, b),
                _ => f64::MAX,
            };
            (d, t)
        })
        .collect();
    mine.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.id.cmp(&b.1.id)));
    let list: Vec<Value> = mine
        .iter()
        .map(|(_, t)| ticket_json(&snap, t, lang, from, now))
        .collect();
    Ok(axum::Json(
        json!({ "tickets": list, "now": now.format("%Y-%m-%dT%H:%M:%S").to_string() }),
    ))
}

/// The resident's whole number, for the call button (logged, never the number itself).
async fn call(
    State(server): State<Arc<Server>>,
    Crew(s): Crew,
    Path(id): Path<String>,
) -> ApiResult<axum::Json<Value>> {
    let id = ticket_number(&id)?;
    blocking(move || {
        let snap = server.caught_up()?;
        let t = snap
            .ticket(id)
            .filter(|t| t.team_id == Some(s.team))
            .ok_or_else(|| ApiError::not_found(id))?;
        tracing::info!(actor = %s.actor, ticket = id, "phone number revealed");
        Ok(axum::Json(json!({ "phone": t.reporter_phone })))
    })
    .await
}

/// What a phone sends with a step.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct StepBody {
    version: i64,
    client_id: String,
    lon: Option<f64>,
    lat: Option<f64>,
    accuracy: Option<f64>,
    celsius: Option<f64>,
    method: Option<String>,
    work: Option<String>,
    reason: Option<String>,
    /// data: URLs (image/jpeg or image/png, base64)
    #[serde(default)]
    photos: Vec<String>,
    lang: Option<String>,
}

fn photo(data_url: &str) -> ApiResult<Photo> {
    let (head, data) = data_url
        .split_once(',')
        .ok_or_else(|| ApiError::bad("a photo is sent as a data: URL"))?;
    let mime = head
        .strip_prefix("data:")
        .and_then(|h| h.strip_suffix(";base64"))
        .filter(|m| matches!(*m, "image/jpeg" | "image/png"))
        .ok_or_else(|| ApiError::bad("a photo is a JPEG or PNG data: URL"))?;
    // a photo larger than the limit is refused before it is decoded
    if data.len() > crew::MAX_PHOTO_BYTES * 4 / 3 + 4 {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "photo_too_large",
            format!("a photo may be at most {} KB", crew::MAX_PHOTO_BYTES / 1024),
        ));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|e| ApiError::bad(format!("a photo's base64: {e}")))?;
    Ok(Photo {
        mime: mime.to_string(),
        bytes,
    })
}

/// The phone's own words (what was done, a reason): trimmed, at most 500 characters.
fn said(t: &Option<String>, what: &str) -> ApiResult<String> {
    let t = t.as_deref().unwrap_or_default().trim().to_string();
    if t.chars().count() > 500 {
        return Err(ApiError::bad(format!(
            "{what} is longer than 500 characters"
        )));
    }
    Ok(t)
}

/// What a step handler makes of its request, on the store's thread.
type StepOf = fn(&Server, &CrewSession, TicketId, &StepBody) -> ApiResult<FieldStep>;

/// A step on ticket `id`: the step `of` makes is applied for the crew, once per client_id (a
/// retry answers as a duplicate, with the ticket as it is).
async fn take(
    server: Arc<Server>,
    s: CrewSession,
    id: &str,
    b: StepBody,
    name: &'static str,
    of: StepOf,
) -> ApiResult<axum::Json<Value>> {
    let id = ticket_number(id)?;
    blocking(move || {
        let lang = lang_of(b.lang.as_deref());
        let step = of(&server, &s, id, &b)?;
        let command = Command::Field(Box::new(FieldCommand {
            ticket: id,
            seen_version: b.version,
            team: s.team,
            step,
            client_id: b.client_id.clone(),
        }));
        let origin = Origin {
            actor: s.actor.clone(),
            at: server.now(),
        };
        let duplicate = match server.apply(&command, &origin, None) {
            Ok(_) => false,
            Err(StoreError::AlreadyApplied { .. }) => true,
            Err(e) => return Err(e.into()),
        };
        tracing::info!(actor = %s.actor, ticket = id, step = name, duplicate, "field step");
        let now = server.now();
        let snap = server.caught_up()?;
        let ticket = snap
            .ticket(id)
            .map(|t| ticket_json(&snap, t, lang, None, now));
        Ok(axum::Json(
            json!({ "ok": true, "duplicate": duplicate, "ticket": ticket }),
        ))
    })
    .await
}

/// 接单
async fn accept(
    State(server): State<Arc<Server>>,
    Crew(s): Crew,
    Path(id): Path<String>,
    Body(b): Body<StepBody>,
) -> ApiResult<axum::Json<Value>> {
    take(server, s, &id, b, "accept", |_, _, _, _| {
        Ok(FieldStep::Accept)
    })
    .await
}

/// 出发
async fn depart(
    State(server): State<Arc<Server>>,
    Crew(s): Crew,
    Path(id): Path<String>,
    Body(b): Body<StepBody>,
) -> ApiResult<axum::Json<Value>> {
    take(server, s, &id, b, "depart", |_, _, _, _| {
        Ok(FieldStep::Depart)
    })
    .await
}

/// 到场: where the phone is, and how far from the building.
async fn arrive(
    State(server): State<Arc<Server>>,
    Crew(s): Crew,
    Path(id): Path<String>,
    Body(b): Body<StepBody>,
) -> ApiResult<axum::Json<Value>> {
    take(server, s, &id, b, "arrive", |server, s, id, b| {
        let (Some(lon), Some(lat)) = (b.lon, b.lat) else {
            return Err(ApiError::bad("到场 needs the phone's position (lon, lat)"));
        };
        let on_earth = (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat);
        if !on_earth {
            return Err(ApiError::bad("the position is not a place on Earth"));
        }
        let centre = {
            let snap = server.caught_up()?;
            let t = snap
                .ticket(id)
                .filter(|t| t.team_id == Some(s.team))
                .ok_or_else(|| ApiError::not_found(id))?;
            building_centre(&snap, t.building_id)
        };
        Ok(FieldStep::Arrive {
            at: [lon, lat],
            accuracy_m: b
                .accuracy
                .filter(|a| a.is_finite() && *a >= 0.0)
                .unwrap_or(0.0),
            distance_m: centre.map_or(0.0, |c| distance_km([lon, lat], c) * 1000.0),
        })
    })
    .await
}

/// 完工: the reading, what was done, the photos.
async fn complete(
    State(server): State<Arc<Server>>,
    Crew(s): Crew,
    Path(id): Path<String>,
    Body(b): Body<StepBody>,
) -> ApiResult<axum::Json<Value>> {
    take(server, s, &id, b, "complete", |_, _, _, b| {
        if b.photos.len() > crew::MAX_PHOTOS {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                format!("at most {} photos", crew::MAX_PHOTOS),
            ));
        }
        let photos = b
            .photos
            .iter()
            .map(|p| photo(p))
            .collect::<ApiResult<Vec<_>>>()?;
        let method = match b.method.as_deref() {
            None | Some("") => TempMethod::Thermometer,
            Some(code) => TempMethod::from_code(code)
                .ok_or_else(|| ApiError::bad(format!("unknown measuring method {code:?}")))?,
        };
        if let Some(c) = b.celsius
            && !c.is_finite()
        {
            return Err(ApiError::bad("the temperature is not a number"));
        }
        Ok(FieldStep::Complete {
            celsius: b.celsius,
            method,
            work: said(&b.work, "what was done")?,
            photos,
        })
    })
    .await
}

/// 挂起, with the reason.
async fn hold(
    State(server): State<Arc<Server>>,
    Crew(s): Crew,
    Path(id): Path<String>,
    Body(b): Body<StepBody>,
) -> ApiResult<axum::Json<Value>> {
    take(server, s, &id, b, "hold", |_, _, _, b| {
        Ok(FieldStep::Hold {
            reason: said(&b.reason, "the reason")?,
        })
    })
    .await
}

/// 退回, with the reason.
async fn give_back(
    State(server): State<Arc<Server>>,
    Crew(s): Crew,
    Path(id): Path<String>,
    Body(b): Body<StepBody>,
) -> ApiResult<axum::Json<Value>> {
    take(server, s, &id, b, "return", |_, _, _, b| {
        Ok(FieldStep::Return {
            reason: said(&b.reason, "the reason")?,
        })
    })
    .await
}

/// Any other step: 404, naming the ones there are.
async fn no_such_step(Crew(_): Crew, Path((_, step)): Path<(String, String)>) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no_such_action",
        format!("no step {step:?} (accept, depart, arrive, complete, hold, return)"),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PositionBody {
    lon: f64,
    lat: f64,
    #[serde(default)]
    accuracy: f64,
    /// When the phone took it (queued while offline): "YYYY-MM-DDTHH:MM:SS", local time.
    at: Option<String>,
}

async fn position(
    State(server): State<Arc<Server>>,
    Crew(s): Crew,
    Body(p): Body<PositionBody>,
) -> ApiResult<StatusCode> {
    blocking(move || {
        let now = server.now();
        // a position taken offline keeps its time, within the last day and not in the future
        let at =
            p.at.as_deref()
                .and_then(|a| chrono::NaiveDateTime::parse_from_str(a, "%Y-%m-%dT%H:%M:%S").ok())
                .filter(|a| *a <= now && now - *a < chrono::Duration::hours(24))
                .unwrap_or(now);
        // an older position than the one known does not move the marker back
        let newer = server
            .caught_up()?
            .position_of(s.team)
            .is_none_or(|known| known.at <= at);
        if !newer {
            return Ok(StatusCode::NO_CONTENT);
        }
        let command = Command::ReportPosition(TeamPosition {
            team_id: s.team,
            position: [p.lon, p.lat],
            accuracy_m: p.accuracy,
            at,
            by: s.actor.clone(),
        });
        let origin = Origin {
            actor: s.actor.clone(),
            at: now,
        };
        server.apply(&command, &origin, None)?;
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}
