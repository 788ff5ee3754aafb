//! `heatdesk serve`: the crews' phone page and the JSON API it uses, on the same store and
//! commands as the consoles. A technician logs in with their own account, sees their team's
//! open tickets nearest first, and takes each step (接单 出发 到场 完工 挂起 退回) with the version
//! the phone saw; a retried request is applied once; the phone reports where it is every 30 s.
//! A sender thread delivers the messages the steps queue through the company's SMS gateway.

pub mod api;
pub mod auth;
pub mod console;
pub mod page;
pub mod phones;
pub mod sms;
pub mod tls;

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use crate::domain::{Changes, Snapshot, TeamId, Ticket, TicketId, TicketStatus, Timestamp, Update};
use crate::store::{DispatchStore, StoreError};

/// How long an account read for a console's request is trusted: an account disabled on
/// another server (or by `heatdesk account disable`) ends its sessions within this.
pub const ACCOUNT_FRESH: std::time::Duration = std::time::Duration::from_secs(3);

/// The wall clock, or a test's.
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// What every request shares: the store (one connection, one request at a time), the
/// snapshot the lists are read from (kept up with the store's change log), the sessions.
pub struct Server {
    store: Mutex<Box<dyn DispatchStore>>,
    /// A second handle for the long reads (a console's first load, the season's history), so
    /// that commands and logins do not wait behind them.
    reader: Mutex<Box<dyn DispatchStore>>,
    /// Accounts as last read, for the consoles' requests (each would read its account
    /// otherwise): kept a few seconds, dropped when this server saves one.
    accounts: Mutex<HashMap<String, (Option<crate::domain::crew::Account>, std::time::Instant)>>,
    snap: Mutex<Served>,
    pub gate: auth::Gate,
    /// The password threads (one per core).
    pub verifier: auth::Verifier,
    pub clock: Clock,
    /// The room's one basemap, served as tiles to the consoles (each keeps a cache).
    basemap: Option<Mutex<crate::map::tiles::mbtiles::MbTiles>>,
    /// What changed, in order, for the consoles' change feed.
    journal: Mutex<console::Journal>,
    /// Moves on each entry of the journal (the feed's waiting requests wake on it).
    moved: tokio::sync::watch::Sender<u64>,
    /// The city's rows as the consoles fetch them (binary), and their version: made at the
    /// first console's start, again after an import.
    city: Mutex<Option<CityRows>>,
    /// The answers to the consoles' last commands by request id, for a retry whose first
    /// try committed while its answer was lost on the way.
    answers: Mutex<Answers>,
    /// The season's activity as a console's start last read it (binary), shared with the
    /// consoles that start within [`ACTIVITY_SHARED_FOR`] of it: a room starting at once costs
    /// one read and one encoding, and the server holds one copy of the answer, not one each.
    activity: Mutex<Option<SharedActivity>>,
    /// How long a start's read is shared (ms): [`ACTIVITY_SHARED_FOR`], a test's longer.
    activity_window_ms: std::sync::atomic::AtomicU64,
    /// How many times the season was read for a console's start (shared reads not counted).
    activity_reads: std::sync::atomic::AtomicU64,
}

struct SharedActivity {
    since: Option<Timestamp>,
    made: std::time::Instant,
    /// Where the journal stood before the read.
    mark: (u64, u64),
    bytes: Arc<Vec<u8>>,
}

/// How long a console's start shares the activity another read: the feed brings each console
/// what was committed since (it starts where the journal stood before that read).
const ACTIVITY_SHARED_FOR: std::time::Duration = std::time::Duration::from_secs(1);

/// The last [`Answers::KEPT`] commands' answers by request id, oldest dropped first.
#[derive(Default)]
struct Answers {
    by_request: HashMap<String, crate::domain::Applied>,
    order: std::collections::VecDeque<String>,
}

impl Answers {
    const KEPT: usize = 1024;

    fn keep(&mut self, request: &str, applied: &crate::domain::Applied) {
        if self.order.len() >= Self::KEPT
            && let Some(oldest) = self.order.pop_front()
        {
            self.by_request.remove(&oldest);
        }
        self.order.push_back(request.to_string());
        self.by_request.insert(request.to_string(), applied.clone());
    }
}

/// The city's rows for every console: their version (a hash of their encoding) and the
/// answer that carries them, encoded once.
type CityRows = (String, Arc<Vec<u8>>);

impl Server {
    /// A server on an open store, its snapshot read now.
    pub fn new(mut store: Box<dyn DispatchStore>, clock: Clock) -> Result<Arc<Self>, StoreError> {
        https();
        store.speak_for_accounts();
        let since = crate::console::recent_since(clock());
        let snap = store.load_recent(since)?;
        let reader = store.second_handle()?;
        Ok(Arc::new(Server {
            store: Mutex::new(store),
            reader: Mutex::new(reader),
            accounts: Mutex::new(HashMap::new()),
            snap: Mutex::new(Served::new(snap)),
            // the room's key when two servers share the sessions (checked by `run`)
            gate: auth::Gate::from_env().unwrap_or_default(),
            verifier: auth::Verifier::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            ),
            clock,
            basemap: None,
            journal: Mutex::new(console::Journal::new()),
            moved: tokio::sync::watch::channel(0).0,
            city: Mutex::new(None),
            answers: Mutex::new(Answers::default()),
            activity: Mutex::new(None),
            activity_window_ms: std::sync::atomic::AtomicU64::new(
                ACTIVITY_SHARED_FOR.as_millis() as u64
            ),
            activity_reads: std::sync::atomic::AtomicU64::new(0),
        }))
    }

    /// A server that also serves `basemap` (an MBTiles file) as tiles.
    pub fn with_basemap(
        store: Box<dyn DispatchStore>,
        clock: Clock,
        basemap: &std::path::Path,
    ) -> anyhow::Result<Arc<Self>> {
        let tiles = crate::map::tiles::mbtiles::MbTiles::open(basemap)
            .map_err(|e| anyhow::anyhow!("--basemap {}: {e}", basemap.display()))?;
        let mut server = Server::new(store, clock)?;
        Arc::get_mut(&mut server)
            .expect("a new server is not shared yet")
            .basemap = Some(Mutex::new(tiles));
        Ok(server)
    }

    /// One tile of the room's basemap (None: no basemap, or no such tile).
    pub fn tile(&self, z: u8, x: u32, y: u32) -> Option<Vec<u8>> {
        let tiles = self
            .basemap
            .as_ref()?
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        tiles
            .tile(crate::map::tiles::mbtiles::TileXyz { z, x, y })
            .ok()
            .flatten()
    }

    pub fn now(&self) -> Timestamp {
        (self.clock)()
    }

    /// The store, for one request's work.
    pub fn store(&self) -> std::sync::MutexGuard<'_, Box<dyn DispatchStore>> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The account `login` names when `password` is its own and it is not disabled (Argon2
    /// on the password threads: tens of milliseconds and ~19 MB each); a wrong password is
    /// counted towards the login's lock.
    pub async fn check_password(
        self: &Arc<Self>,
        login: &str,
        password: String,
    ) -> Result<Option<crate::domain::crew::Account>, StoreError> {
        let account = {
            let (server, login) = (Arc::clone(self), login.to_string());
            tokio::task::spawn_blocking(move || server.store().account(&login))
                .await
                .map_err(|e| StoreError::Invalid(format!("the password check failed: {e}")))??
        };
        let verified = match account {
            Some(a) if !a.disabled => {
                let ok = self
                    .verifier
                    .verify(password, a.password_hash.clone())
                    .await;
                ok.then_some(a)
            }
            _ => None,
        };
        if verified.is_none() {
            self.gate.wrong(login);
            tracing::info!(login = %login, "wrong password or unknown login");
        }
        Ok(verified)
    }

    /// The handle for long reads.
    pub fn reader(&self) -> std::sync::MutexGuard<'_, Box<dyn DispatchStore>> {
        self.reader.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `login`'s account as read at most [`ACCOUNT_FRESH`] ago.
    pub fn account(&self, login: &str) -> Result<Option<crate::domain::crew::Account>, StoreError> {
        let now = std::time::Instant::now();
        if let Some((a, at)) = self
            .accounts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(login)
            && now.duration_since(*at) < ACCOUNT_FRESH
        {
            return Ok(a.clone());
        }
        let a = self.store().account(login)?;
        self.accounts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(login.to_string(), (a.clone(), now));
        Ok(a)
    }

    /// The snapshot, caught up with what consoles and other servers committed.
    pub fn caught_up(&self) -> Result<std::sync::MutexGuard<'_, Served>, StoreError> {
        let update = {
            let mut store = self.store();
            let update = store.catch_up()?;
            // journaled while the store is held: the feed's order is the commits' order
            let committed = store.committed_at();
            if update != Update::UpToDate {
                self.journal(None, update.clone(), committed);
            }
            match update {
                Update::Reload => {
                    tracing::info!(
                        "another program changed the places: the snapshot is read again"
                    );
                    let since = crate::console::recent_since(self.now());
                    let snap = store.load_recent(since)?;
                    *self.snap.lock().unwrap_or_else(|e| e.into_inner()) = Served::new(snap);
                    None
                }
                other => Some(other),
            }
        };
        let mut snap = self.snap.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(Update::Changed(changes)) = update {
            snap.absorb(changes);
        }
        Ok(snap)
    }

    /// Apply `command` for `origin` (a session's, `by` its token), and take in what it
    /// changed: into the journal while the store is held, then into the snapshot.
    pub fn apply(
        &self,
        command: &crate::domain::Command,
        origin: &crate::domain::Origin,
        by: Option<&str>,
    ) -> Result<crate::domain::Applied, StoreError> {
        self.apply_once(command, origin, by, None)
    }

    /// [`Server::apply`], once per `request` (a console's id for the command): a retry gets
    /// the first try's answer from this server, or [`StoreError::AlreadyApplied`] from
    /// another (the id is recorded in the database, in the command's transaction).
    pub fn apply_once(
        &self,
        command: &crate::domain::Command,
        origin: &crate::domain::Origin,
        by: Option<&str>,
        request: Option<&str>,
    ) -> Result<crate::domain::Applied, StoreError> {
        if let crate::domain::Command::SaveAccount(a) = command {
            // the next request of that login reads the account as saved
            self.accounts
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&a.login);
        }
        let (applied, update) = {
            let mut store = self.store();
            let mut answers = self.answers.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(answer) = request.and_then(|r| answers.by_request.get(r)) {
                return Ok(answer.clone());
            }
            let applied = store.apply_once(command, origin, request)?;
            if let Some(request) = request {
                answers.keep(request, &applied);
            }
            drop(answers);
            let update = applied.update();
            if update != Update::UpToDate {
                self.journal(by, update.clone(), vec![crate::store::now_ms()]);
            }
            (applied, update)
        };
        self.take_in(update);
        Ok(applied)
    }

    /// The season's activity after `since` for a console's start, encoded (binary), with where
    /// the journal stood before it was read; shared by the starts of the next second while
    /// nothing has come into the journal since (so a console reads its own commits, and an
    /// import's, as a fresh read would).
    pub fn activity(&self, since: Option<Timestamp>) -> Result<Arc<Vec<u8>>, StoreError> {
        let mut shared = self.activity.lock().unwrap_or_else(|e| e.into_inner());
        let now = {
            let journal = self.journal.lock().unwrap_or_else(|e| e.into_inner());
            (journal.epoch(), journal.last())
        };
        if let Some(a) = shared.as_ref()
            && a.since == since
            && a.mark == now
            && a.made.elapsed() < self.activity_window()
        {
            return Ok(Arc::clone(&a.bytes));
        }
        *shared = None;
        let made = std::time::Instant::now();
        let activity = self.read_activity(since)?;
        self.activity_reads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mark = (activity.epoch, activity.last);
        let bytes = Arc::new(crate::store::remote::encode(&activity).map_err(StoreError::Invalid)?);
        *shared = Some(SharedActivity {
            since,
            made,
            mark,
            bytes: Arc::clone(&bytes),
        });
        Ok(bytes)
    }

    /// The season's activity after `since` (the city's rows left out), and where the journal
    /// stood before the read: what commits during it comes on the feed after (perhaps twice),
    /// never falls between.
    pub fn read_activity(
        &self,
        since: Option<Timestamp>,
    ) -> Result<crate::store::remote::Activity, StoreError> {
        let (epoch, last) = {
            let journal = self.journal.lock().unwrap_or_else(|e| e.into_inner());
            (journal.epoch(), journal.last())
        };
        let mut snap = self.reader().load_since(since)?;
        crate::store::remote::City::take(&mut snap);
        Ok(crate::store::remote::Activity { snap, epoch, last })
    }

    fn activity_window(&self) -> std::time::Duration {
        std::time::Duration::from_millis(
            self.activity_window_ms
                .load(std::sync::atomic::Ordering::Relaxed),
        )
    }

    /// How many times the season was read for a console's start (a shared read is not one).
    pub fn activity_reads(&self) -> u64 {
        self.activity_reads
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Share a start's read for `window` instead of a second (a test that must not depend on
    /// the machine's speed).
    pub fn share_activity_for(&self, window: std::time::Duration) {
        self.activity_window_ms.store(
            window.as_millis() as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    /// Let go of a shared activity past its second (its bytes are the season's).
    pub fn forget_old_activity(&self) {
        let mut shared = self.activity.lock().unwrap_or_else(|e| e.into_inner());
        if shared
            .as_ref()
            .is_some_and(|a| a.made.elapsed() >= self.activity_window())
        {
            *shared = None;
        }
    }

    /// The city's version, and the answer that sends its rows to a console that holds
    /// another ([`CityAnswer::Fresh`](crate::store::remote::CityAnswer), encoded `binary` or as
    /// JSON). The binary answer is made once and every console is sent the same bytes.
    pub fn city(&self, binary: bool) -> Result<CityRows, StoreError> {
        use crate::store::remote::{City, CityAnswer, encode};
        if !binary {
            // a look from outside (curl): made fresh, not kept
            let mut places = self.reader().load_places()?;
            let rows = serde_json::to_vec(&City::take(&mut places))
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            let version = version_of(&rows);
            let answer = serde_json::to_vec(&CityAnswer::Fresh {
                version: version.clone(),
                rows,
            })
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
            return Ok((version, Arc::new(answer)));
        }
        let mut kept = self.city.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(city) = kept.as_ref() {
            return Ok(city.clone());
        }
        let mut places = self.reader().load_places()?;
        let rows = encode(&City::take(&mut places)).map_err(StoreError::Invalid)?;
        let version = version_of(&rows);
        let answer = encode(&CityAnswer::Fresh {
            version: version.clone(),
            rows,
        })
        .map_err(StoreError::Invalid)?;
        let city = (version, Arc::new(answer));
        *kept = Some(city.clone());
        Ok(city)
    }

    fn journal(&self, by: Option<&str>, update: Update, committed: Vec<i64>) {
        if update == Update::Reload {
            // an import changed the city: the next console fetches it anew
            *self.city.lock().unwrap_or_else(|e| e.into_inner()) = None;
        }
        let last = self
            .journal
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(by, update, committed);
        self.moved.send_replace(last);
    }

    /// Take in what this server's own command changed.
    fn take_in(&self, update: Update) {
        if let Update::Changed(changes) = update {
            self.snap
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .absorb(changes);
        }
    }
}

/// The snapshot the server answers from, and each team's tickets a crew works on (what a phone
/// lists), kept in step with it: a phone's list reads its team's few tickets, not the season's.
pub struct Served {
    snap: Snapshot,
    crews: HashMap<TeamId, BTreeSet<TicketId>>,
}

impl std::ops::Deref for Served {
    type Target = Snapshot;

    fn deref(&self) -> &Snapshot {
        &self.snap
    }
}

impl Served {
    fn new(snap: Snapshot) -> Self {
        let mut served = Served {
            snap,
            crews: HashMap::new(),
        };
        for t in &served.snap.tickets {
            add(&mut served.crews, t);
        }
        served
    }

    /// Take in `changes`, the tickets moving between teams' lists.
    fn absorb(&mut self, changes: Changes) {
        let moved: Vec<TicketId> = changes.tickets.iter().map(|t| t.id).collect();
        for &id in &moved {
            if let Some(team) = self.snap.ticket(id).and_then(|t| t.team_id)
                && let Some(list) = self.crews.get_mut(&team)
            {
                list.remove(&id);
            }
        }
        self.snap.absorb(changes);
        for id in moved {
            if let Some(t) = self.snap.ticket(id) {
                add(&mut self.crews, t);
            }
        }
    }

    /// The tickets `team`'s crew works on: assigned, accepted, on site or on hold, by number.
    pub fn team_tickets(&self, team: TeamId) -> impl Iterator<Item = &Ticket> {
        self.crews
            .get(&team)
            .into_iter()
            .flatten()
            .filter_map(|&id| self.snap.ticket(id))
    }
}

/// A version for `bytes`: their SHA-256, in hex.
fn version_of(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether a crew works on `t` now.
pub fn crew_works_on(t: &Ticket) -> bool {
    matches!(
        t.status,
        TicketStatus::Assigned
            | TicketStatus::Accepted
            | TicketStatus::OnSite
            | TicketStatus::OnHold
    )
}

fn add(crews: &mut HashMap<TeamId, BTreeSet<TicketId>>, t: &Ticket) {
    if let Some(team) = t.team_id
        && crew_works_on(t)
    {
        crews.entry(team).or_default().insert(t.id);
    }
}

/// HTTPS for the SMS gateway's client (rustls with the ring provider, as the tile client).
pub fn https() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Serve the phone page and its API on `listen` until the process ends, over HTTPS with `tls`
/// (plain HTTP without: behind a proxy that speaks HTTPS, or on this PC's loopback); the SMS
/// sender runs beside it when a gateway is configured (HEATDESK_SMS_URL).
pub fn run(
    store: Box<dyn DispatchStore>,
    listen: &str,
    tls: Option<tls::Tls>,
    basemap: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let addr: SocketAddr = listen
        .parse()
        .map_err(|e| anyhow::anyhow!("--listen {listen:?}: not an address and port ({e})"))?;
    if std::env::var_os("HEATDESK_SESSION_KEY").is_some() {
        auth::Gate::from_env()?;
        eprintln!("heatdesk: sessions signed with the room's key (HEATDESK_SESSION_KEY)");
    }
    let sender_store = store.second_handle()?;
    let clock: Clock = Arc::new(|| chrono::Local::now().naive_local());
    let server = match basemap {
        Some(path) => {
            eprintln!(
                "heatdesk: serving the room's basemap {} at /tiles/{{z}}/{{x}}/{{y}}.png",
                path.display()
            );
            Server::with_basemap(store, clock.clone(), path)?
        }
        None => Server::new(store, clock.clone())?,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        // the certificate is read before anything listens: a wrong file stops here, named
        let tls = match &tls {
            Some(files) => Some(tls::config(files).await?),
            None => None,
        };
        let listener = std::net::TcpListener::bind(addr)
            .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
        listener.set_nonblocking(true)?;
        match sms::Gateway::from_env()? {
            Some(gateway) => {
                eprintln!(
                    "heatdesk: sending messages to residents through {}",
                    gateway.shown()
                );
                tokio::spawn(sms::run(sender_store, gateway, clock));
            }
            None => eprintln!(
                "heatdesk: no SMS gateway (HEATDESK_SMS_URL): messages stay in the outbox"
            ),
        }
        tokio::spawn(console::follow(Arc::clone(&server)));
        let app = api::router(server).into_make_service_with_connect_info::<SocketAddr>();
        let at = listener.local_addr()?;
        match tls {
            Some(config) => {
                eprintln!(
                    "heatdesk: the crews' page is at https://{}:{}/ (a name its certificate holds)",
                    shown_host(at),
                    at.port()
                );
                axum_server::from_tcp_rustls(listener, config)?
                    .serve(app)
                    .await?;
            }
            None => {
                eprintln!(
                    "heatdesk: the crews' page is at http://{at}/ (plain HTTP: phones give no position unless a proxy in front speaks HTTPS)"
                );
                axum::serve(tokio::net::TcpListener::from_std(listener)?, app).await?;
            }
        }
        Ok(())
    })
}

/// The host to print for a listening address: this machine's name when it listens on all.
fn shown_host(at: SocketAddr) -> String {
    if at.ip().is_unspecified() {
        tls::this_host().unwrap_or_else(|| "localhost".into())
    } else {
        at.ip().to_string()
    }
}

/// A server on `127.0.0.1` at a free port, on its own threads (tests and benchmarks): its
/// address, and the server to look into.
pub fn spawn_local(
    store: Box<dyn DispatchStore>,
    clock: Clock,
) -> anyhow::Result<(SocketAddr, Arc<Server>)> {
    spawn(Server::new(store, clock)?)
}

/// [`spawn_local`] for a server already made (one serving a basemap, say).
pub fn spawn(server: Arc<Server>) -> anyhow::Result<(SocketAddr, Arc<Server>)> {
    let (tx, rx) = std::sync::mpsc::channel();
    let shared = Arc::clone(&server);
    std::thread::Builder::new()
        .name("heatdesk-serve".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a tokio runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("a local port");
                let _ = tx.send(listener.local_addr().expect("its address"));
                tokio::spawn(console::follow(Arc::clone(&shared)));
                let _ = axum::serve(
                    listener,
                    api::router(shared).into_make_service_with_connect_info::<SocketAddr>(),
                )
                .await;
            });
        })?;
    Ok((rx.recv()?, server))
}
