//! The same test on every store: an SQLite file always, and a fresh database on the
//! PostgreSQL server `HEATDESK_TEST_PG` names (a URL whose user may create databases; `.ci/run`
//! starts one). Without it the PostgreSQL half is skipped, and says so.

use std::sync::atomic::{AtomicUsize, Ordering};

use heatdesk::store::{DispatchStore, Everything, Location};

/// Which store a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database made for one test, removed after it.
pub struct TestDb {
    pub backend: Backend,
    pub location: Location,
    /// The server's URL for this database (PostgreSQL), as the command line takes it.
    pub url: Option<String>,
    name: Option<String>,
    /// Through the room's server: the name its account gives every command.
    pub served_as: Option<String>,
    _dir: tempfile::TempDir,
}

/// The server to make test databases on, if any.
pub fn server() -> Option<String> {
    std::env::var("HEATDESK_TEST_PG")
        .ok()
        .filter(|s| !s.is_empty())
}

/// Say once per test binary that the PostgreSQL half was skipped.
fn skipped() {
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        use std::io::Write;
        // straight to the terminal: the test harness captures eprintln!
        let _ = writeln!(
            std::io::stderr(),
            "\n*** PostgreSQL half SKIPPED: set HEATDESK_TEST_PG=postgres://… (.ci/run does) ***\n"
        );
    });
}

/// `url` with its database replaced by `db`.
pub fn with_db(url: &str, db: &str) -> String {
    heatdesk::store::postgres::url::with_database(url, db)
}

/// A plain connection to the test server (to make and drop databases, to look at rows).
pub fn admin(url: &str) -> postgres::Client {
    postgres::Client::connect(url, postgres::NoTls).expect("the test server answers")
}

impl TestDb {
    /// An empty database (no HeatDesk tables yet on a server; no file yet for SQLite).
    pub fn blank(backend: Backend, label: &str) -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        match backend {
            Backend::Sqlite => TestDb {
                backend,
                location: Location::File(dir.path().join("heatdesk.db")),
                url: None,
                name: None,
                served_as: None,
                _dir: dir,
            },
            Backend::Postgres => {
                static N: AtomicUsize = AtomicUsize::new(0);
                let base = server().expect("only with a server");
                let name = format!(
                    "hdt_{}_{}_{}",
                    label
                        .chars()
                        .filter(char::is_ascii_alphanumeric)
                        .take(20)
                        .collect::<String>(),
                    std::process::id(),
                    N.fetch_add(1, Ordering::SeqCst)
                )
                .to_lowercase();
                admin(&base)
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .unwrap();
                let url = with_db(&base, &name);
                TestDb {
                    backend,
                    location: Location::parse(&url).unwrap(),
                    url: Some(url),
                    name: Some(name),
                    served_as: None,
                    _dir: dir,
                }
            }
        }
    }

    /// A HeatDesk database holding `all`.
    pub fn seeded(backend: Backend, label: &str, all: &Everything) -> TestDb {
        let db = TestDb::blank(backend, label);
        heatdesk::store::create(&db.location)
            .unwrap()
            .seed(all)
            .unwrap();
        db
    }

    /// A new handle, as another console would open it.
    pub fn open(&self) -> Box<dyn DispatchStore> {
        heatdesk::store::open(&self.location).unwrap()
    }

    /// The database's name on the server.
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or("")
    }

    /// This database's URL with another user (logging in as themselves).
    pub fn url_as(&self, user: &str) -> String {
        let url = self.url.as_deref().expect("a server's database");
        match url
            .find("://")
            .and_then(|i| url[i + 3..].find('@').map(|j| (i + 3, i + 3 + j)))
        {
            Some((from, to)) => format!("{}{user}{}", &url[..from], &url[to..]),
            None => url.replacen("://", &format!("://{user}@"), 1),
        }
    }

    /// The `--db` argument for the command line.
    pub fn arg(&self) -> String {
        self.location_text()
    }

    fn location_text(&self) -> String {
        match &self.location {
            Location::File(p) => p.display().to_string(),
            Location::Server(_) | Location::Remote(_) => self.url.clone().unwrap_or_default(),
        }
    }

    /// Run statements directly on the database (setting up a failure, say).
    pub fn execute(&self, sqlite: &str, postgres: &str) {
        match self.backend {
            Backend::Sqlite => super::sql(self.location.file().unwrap())
                .execute_batch(sqlite)
                .unwrap(),
            Backend::Postgres => admin(self.url.as_deref().unwrap())
                .batch_execute(postgres)
                .unwrap(),
        }
    }

    /// One number from the database (the same SQL on both).
    pub fn count(&self, sql: &str) -> i64 {
        match self.backend {
            Backend::Sqlite => super::sql(self.location.file().unwrap())
                .query_row(sql, [], |r| r.get(0))
                .unwrap(),
            Backend::Postgres => admin(self.url.as_deref().unwrap())
                .query_one(sql, &[])
                .unwrap()
                .get::<_, i64>(0),
        }
    }

    /// The name the audit trail records for a command sent as `typed`: what the console says
    /// on a file, the server's session user on a server.
    pub fn actor(&self, typed: &str) -> String {
        if let Some(account) = &self.served_as {
            return account.clone();
        }
        match self.backend {
            Backend::Sqlite => typed.to_string(),
            Backend::Postgres => {
                let url = self.url.as_deref().unwrap();
                admin(url)
                    .query_one("SELECT session_user::text", &[])
                    .unwrap()
                    .get(0)
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let (Some(name), Some(base)) = (&self.name, server()) {
            let _ =
                admin(&base).batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// The stores to run on: SQLite, and PostgreSQL when a test server is given.
pub fn backends() -> Vec<Backend> {
    if server().is_some() {
        vec![Backend::Sqlite, Backend::Postgres]
    } else {
        skipped();
        vec![Backend::Sqlite]
    }
}

/// PostgreSQL only, when a server is given (else the test says it was skipped).
pub fn postgres() -> Option<Backend> {
    if server().is_some() {
        Some(Backend::Postgres)
    } else {
        skipped();
        None
    }
}

/// The tiny data set of [`super::tiny_store`]: one department, compound, building, station,
/// two teams.
pub fn tiny() -> Everything {
    let dir = tempfile::tempdir().unwrap();
    super::tiny_store(dir.path()).everything().unwrap()
}

/// A tiny HeatDesk database on `backend`.
pub fn tiny_db(backend: Backend, label: &str) -> TestDb {
    TestDb::seeded(backend, label, &tiny())
}

/// A login on the test server with one of HeatDesk's roles, dropped after the test (declare it
/// before the databases it is used on: they go first).
pub struct Login {
    pub name: String,
}

impl Login {
    pub fn new(who: &str, role: &str) -> Login {
        let name = format!("hd_{who}_{}", std::process::id());
        admin(&server().expect("only with a server"))
            .batch_execute(&format!(
                "DROP ROLE IF EXISTS {name}; CREATE ROLE {name} LOGIN; GRANT {role} TO {name};"
            ))
            .unwrap();
        Login { name }
    }
}

impl Drop for Login {
    fn drop(&mut self) {
        if let Some(base) = server() {
            let _ = admin(&base).batch_execute(&format!("DROP ROLE IF EXISTS {}", self.name));
        }
    }
}
