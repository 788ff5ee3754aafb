//! Who is asking: passwords (Argon2), sessions (a signed token that expires, in a cookie for a
//! phone and a header for a console), and the brake on guessing (five wrong passwords for a
//! login in a minute).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::domain::TeamId;
use crate::domain::crew::{Account, Role};
pub use crate::domain::crew::{hash_password, verify_password};

/// A session lasts a shift.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(12 * 3600);
/// Wrong passwords allowed for one login in [`GUESS_WINDOW`] before it is refused (429).
pub const MAX_GUESSES: usize = 5;
pub const GUESS_WINDOW: Duration = Duration::from_secs(60);
/// The session cookie's name.
pub const COOKIE: &str = "heatdesk_session";

/// Password checks on a fixed few threads of their own. Argon2 takes ~19 MB a check, which a
/// thread's allocator keeps for its next use: on the request threads a burst of logins grew the
/// server by ~25 MB a thread (560 MB for 20 logins at once; measured with `curl`).
pub struct Verifier {
    jobs: std::sync::mpsc::Sender<(String, String, tokio::sync::oneshot::Sender<bool>)>,
}

impl Verifier {
    pub fn new(threads: usize) -> Verifier {
        let (jobs, queue) =
            std::sync::mpsc::channel::<(String, String, tokio::sync::oneshot::Sender<bool>)>();
        let queue = std::sync::Arc::new(Mutex::new(queue));
        for i in 0..threads.max(1) {
            let queue = std::sync::Arc::clone(&queue);
            let _ = std::thread::Builder::new()
                .name(format!("heatdesk-password-{i}"))
                .spawn(move || {
                    loop {
                        let job = queue.lock().unwrap_or_else(|e| e.into_inner()).recv();
                        let Ok((password, hash, answer)) = job else {
                            return;
                        };
                        let _ = answer.send(verify_password(&password, &hash));
                    }
                });
        }
        Verifier { jobs }
    }

    /// Whether `password` is the one `hash` was made from (false when the threads are gone).
    pub async fn verify(&self, password: String, hash: String) -> bool {
        let (answer, answered) = tokio::sync::oneshot::channel();
        if self.jobs.send((password, hash, answer)).is_err() {
            return false;
        }
        answered.await.unwrap_or(false)
    }
}

/// Someone logged in: a technician on the phone page, or a dispatcher, leader or admin at a
/// console.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Session {
    pub login: String,
    /// How the audit trail names them.
    pub actor: String,
    pub role: Role,
    /// A technician's team.
    pub team: Option<TeamId>,
    /// When it was opened and when it ends (seconds since 1970 UTC: the same on every server
    /// of the room).
    pub issued: u64,
    pub expires: u64,
    /// Makes each token its own.
    nonce: u64,
}

/// Who may come in: sessions as signed tokens, and recent wrong passwords by login.
///
/// A token carries its session and the room's signature over it (HMAC-SHA256, ring's), so a
/// session opened on one server is good on every server that holds the same key
/// (`HEATDESK_SESSION_KEY`): two servers behind a proxy share no memory. What a server ends
/// (a logout, an account disabled) it remembers itself; the other learns of a disabled account
/// when it next reads the account (within seconds).
pub struct Gate {
    key: ring::hmac::Key,
    /// Tokens logged out or expired by hand, until they would have ended anyway.
    closed: Mutex<HashMap<String, u64>>,
    /// Logins whose sessions opened before this time (s) are over.
    closed_before: Mutex<HashMap<String, u64>>,
    guesses: Mutex<HashMap<String, Vec<Instant>>>,
}

impl Default for Gate {
    /// A gate with a key of its own (a server alone: its sessions end when it stops).
    fn default() -> Self {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).expect("the system's random numbers");
        Gate::with_key(&key)
    }
}

/// Seconds since 1970 UTC now.
fn now_s() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Gate {
    /// A gate whose tokens are signed with `key` (shared by the room's servers).
    pub fn with_key(key: &[u8]) -> Gate {
        Gate {
            key: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key),
            closed: Mutex::default(),
            closed_before: Mutex::default(),
            guesses: Mutex::default(),
        }
    }

    /// The room's key from `HEATDESK_SESSION_KEY` (at least 32 characters), else a key of this
    /// server's own.
    pub fn from_env() -> anyhow::Result<Gate> {
        match std::env::var("HEATDESK_SESSION_KEY") {
            Ok(key) if key.len() >= 32 => Ok(Gate::with_key(key.as_bytes())),
            Ok(key) if !key.is_empty() => anyhow::bail!(
                "HEATDESK_SESSION_KEY: at least 32 characters (it has {}); `openssl rand -hex 32` makes one",
                key.len()
            ),
            _ => Ok(Gate::default()),
        }
    }

    /// Too many wrong passwords for `login` lately: refuse without looking.
    pub fn locked(&self, login: &str) -> bool {
        let mut guesses = self.guesses.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let list = guesses.entry(login.to_string()).or_default();
        list.retain(|t| now.duration_since(*t) < GUESS_WINDOW);
        list.len() >= MAX_GUESSES
    }

    /// A wrong password for `login`.
    pub fn wrong(&self, login: &str) {
        let mut guesses = self.guesses.lock().unwrap_or_else(|e| e.into_inner());
        guesses
            .entry(login.to_string())
            .or_default()
            .push(Instant::now());
    }

    /// Open a session; returns its token.
    pub fn open(&self, account: &Account) -> String {
        let mut nonce = [0u8; 8];
        getrandom::fill(&mut nonce).expect("the system's random numbers");
        let now = now_s();
        let session = Session {
            login: account.login.clone(),
            actor: account.actor(),
            role: account.role,
            team: account.team_id,
            issued: now,
            expires: now + SESSION_LIFETIME.as_secs(),
            nonce: u64::from_le_bytes(nonce),
        };
        let body = serde_json::to_vec(&session).expect("a session is plain data");
        let tag = ring::hmac::sign(&self.key, &body);
        format!("{}.{}", hex(&body), hex(tag.as_ref()))
    }

    /// The session of a token, while it lasts: signed with the room's key, not expired, not
    /// ended on this server.
    pub fn session(&self, token: &str) -> Option<Session> {
        let (body, tag) = token.split_once('.')?;
        let (body, tag) = (unhex(body)?, unhex(tag)?);
        ring::hmac::verify(&self.key, &body, &tag).ok()?;
        let session: Session = serde_json::from_slice(&body).ok()?;
        let now = now_s();
        if session.expires <= now {
            return None;
        }
        if self
            .closed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains_key(token)
        {
            return None;
        }
        let ended = self
            .closed_before
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&session.login)
            .is_some_and(|&before| session.issued < before);
        (!ended).then_some(session)
    }

    /// End one session (a logout).
    pub fn close(&self, token: &str) {
        let now = now_s();
        let mut closed = self.closed.lock().unwrap_or_else(|e| e.into_inner());
        closed.retain(|_, until| *until > now);
        closed.insert(token.to_string(), now + SESSION_LIFETIME.as_secs());
    }

    /// End every session of a login opened until now (its account was disabled or its password
    /// changed).
    pub fn close_all(&self, login: &str) {
        self.closed_before
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(login.to_string(), now_s() + 1);
    }

    /// Make a session expire now (tests).
    pub fn expire(&self, token: &str) {
        self.close(token);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || text.len() > 4096 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}
