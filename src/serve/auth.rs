//! Who is asking: technicians' passwords (Argon2), sessions (a random token in a cookie that
//! expires), and the brake on guessing (five wrong passwords for a login in a minute).

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
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub login: String,
    /// How the audit trail names them.
    pub actor: String,
    pub role: Role,
    /// A technician's team.
    pub team: Option<TeamId>,
    pub expires: Instant,
}

/// Sessions by token, and recent wrong passwords by login.
#[derive(Default)]
pub struct Gate {
    sessions: Mutex<HashMap<String, Session>>,
    guesses: Mutex<HashMap<String, Vec<Instant>>>,
}

/// 32 random bytes as hex.
fn token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the system's random numbers");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Gate {
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
        let token = token();
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        sessions.retain(|_, s| s.expires > now);
        sessions.insert(
            token.clone(),
            Session {
                login: account.login.clone(),
                actor: account.actor(),
                role: account.role,
                team: account.team_id,
                expires: now + SESSION_LIFETIME,
            },
        );
        token
    }

    /// The session of a token, while it lasts.
    pub fn session(&self, token: &str) -> Option<Session> {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        match sessions.get(token) {
            Some(s) if s.expires > Instant::now() => Some(s.clone()),
            Some(_) => {
                sessions.remove(token);
                None
            }
            None => None,
        }
    }

    pub fn close(&self, token: &str) {
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(token);
    }

    /// End every session of a login (its account was disabled or its password changed).
    pub fn close_all(&self, login: &str) {
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, s| s.login != login);
    }

    /// Make a session expire now (tests).
    pub fn expire(&self, token: &str) {
        if let Some(s) = self
            .sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_mut(token)
        {
            s.expires = Instant::now();
        }
    }
}
