//! A server's address as libpq writes it (`postgres://user@host:port/dbname`, with
//! `?host=/socket/dir`, `sslmode=require` …), the password from where libpq looks for it
//! (`PGPASSWORD`, `~/.pgpass`, else a prompt), and the address as shown: never with a password.

use std::str::FromStr;

use postgres::config::Host;

use crate::store::StoreError;

/// A PostgreSQL server and database to open.
#[derive(Clone)]
pub struct ServerUrl {
    config: postgres::Config,
    /// As shown: host, port, database and user, no password.
    shown: String,
}

impl std::fmt::Debug for ServerUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

impl PartialEq for ServerUrl {
    fn eq(&self, other: &Self) -> bool {
        self.shown == other.shown
    }
}

impl Eq for ServerUrl {}

impl std::fmt::Display for ServerUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown)
    }
}

/// Whether a `--db` value names a server rather than a file.
/// `url` with its database replaced by `db` (tests and benches make a database each).
pub fn with_database(url: &str, db: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let path = url[after_scheme..]
        .find('/')
        .map_or(url.len(), |i| after_scheme + i);
    let query = url[path..].find('?').map_or(url.len(), |i| path + i);
    format!("{}/{db}{}", &url[..path], &url[query..])
}

pub fn is_server(text: &str) -> bool {
    text.starts_with("postgres://") || text.starts_with("postgresql://")
}

impl ServerUrl {
    /// Parse a libpq URL; the error says what is wrong without repeating a password.
    pub fn parse(text: &str) -> Result<Self, StoreError> {
        let config = postgres::Config::from_str(text).map_err(|e| StoreError::BadUrl {
            url: redact(text),
            detail: e.to_string(),
        })?;
        if config.get_dbname().is_none() {
            return Err(StoreError::BadUrl {
                url: redact(text),
                detail: "name the database: postgres://user@host:port/dbname".into(),
            });
        }
        let mut url = ServerUrl {
            shown: String::new(),
            config,
        };
        url.shown = url.describe();
        Ok(url)
    }

    /// postgres://user@host:port/db (a socket folder as `?host=`), no password.
    fn describe(&self) -> String {
        let c = &self.config;
        let user = c.get_user().unwrap_or("");
        let port = c.get_ports().first().copied().unwrap_or(5432);
        let db = c.get_dbname().unwrap_or("");
        let at = if user.is_empty() {
            String::new()
        } else {
            format!("{user}@")
        };
        match c.get_hosts().first() {
            Some(Host::Tcp(h)) => format!("postgres://{at}{h}:{port}/{db}"),
            Some(Host::Unix(p)) => {
                format!("postgres://{at}/{db}?host={}&port={port}", p.display())
            }
            None => format!("postgres://{at}localhost:{port}/{db}"),
        }
    }

    /// A name for this server's database as a folder (the console's logs and basemap for it).
    pub fn folder_name(&self) -> String {
        let c = &self.config;
        let port = c.get_ports().first().copied().unwrap_or(5432);
        let host = match c.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            Some(Host::Unix(p)) => p.display().to_string(),
            None => "localhost".into(),
        };
        format!("{}-{host}-{port}", self.database())
    }

    pub fn database(&self) -> &str {
        self.config.get_dbname().unwrap_or("")
    }

    pub fn user(&self) -> Option<&str> {
        self.config.get_user()
    }

    /// Whether the connection must be encrypted (`sslmode=require`).
    pub fn requires_tls(&self) -> bool {
        self.config.get_ssl_mode() == postgres::config::SslMode::Require
    }

    /// The configuration to connect with: the user (`PGUSER`, else the login name) and the
    /// password (`PGPASSWORD`, `~/.pgpass`) filled in where the URL has none.
    pub fn config(&self) -> postgres::Config {
        let mut config = self.config.clone();
        if config.get_user().is_none() {
            let user = std::env::var("PGUSER")
                .or_else(|_| std::env::var("USER"))
                .unwrap_or_else(|_| "postgres".into());
            config.user(&user);
        }
        if config.get_password().is_none()
            && let Some(password) = self.stored_password(&config)
        {
            config.password(password);
        }
        config
    }

    /// Ask for the password on the terminal (when the server asked for one and none was
    /// found): it is kept in memory only.
    pub fn with_prompted_password(&self) -> Option<Self> {
        use std::io::IsTerminal;
        if !std::io::stdin().is_terminal() {
            return None;
        }
        let user = self.config().get_user().unwrap_or("").to_string();
        let prompt = format!("Password for {user} on {}: ", self.shown);
        let password = rpassword::prompt_password(prompt).ok()?;
        let mut url = self.clone();
        url.config.password(password);
        Some(url)
    }

    /// PGPASSWORD, else the first matching line of ~/.pgpass (or $PGPASSFILE).
    fn stored_password(&self, config: &postgres::Config) -> Option<String> {
        if let Ok(p) = std::env::var("PGPASSWORD") {
            return Some(p);
        }
        let file = std::env::var("PGPASSFILE")
            .map(std::path::PathBuf::from)
            .or_else(|_| std::env::var("HOME").map(|h| std::path::Path::new(&h).join(".pgpass")));
        let text = std::fs::read_to_string(file.ok()?).ok()?;
        let host = match config.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            _ => "localhost".into(),
        };
        let port = config
            .get_ports()
            .first()
            .copied()
            .unwrap_or(5432)
            .to_string();
        let (db, user) = (
            config.get_dbname().unwrap_or(""),
            config.get_user().unwrap_or(""),
        );
        pgpass_lookup(&text, [&host, &port, db, user])
    }
}

/// The password of the first ~/.pgpass line whose host, port, database and user match (`*`
/// matches anything; `\:` and `\\` escape).
pub fn pgpass_lookup(text: &str, wanted: [&str; 4]) -> Option<String> {
    for line in text.lines() {
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => field.extend(chars.next()),
                ':' if fields.len() < 4 => fields.push(std::mem::take(&mut field)),
                c => field.push(c),
            }
        }
        fields.push(field);
        if fields.len() == 5
            && fields[..4]
                .iter()
                .zip(wanted)
                .all(|(have, want)| have == "*" || have == want)
        {
            return fields.pop();
        }
    }
    None
}

/// A URL with any password in it replaced by `****` (for messages about a URL that did not
/// parse).
pub fn redact(text: &str) -> String {
    let mut out = text.to_string();
    // postgres://user:secret@host
    if let Some(scheme_end) = out.find("://") {
        let rest = &out[scheme_end + 3..];
        if let (Some(colon), Some(at)) = (rest.find(':'), rest.find('@'))
            && colon < at
        {
            let start = scheme_end + 3 + colon + 1;
            let end = scheme_end + 3 + at;
            out.replace_range(start..end, "****");
        }
    }
    // ?password=secret
    if let Some(i) = out.find("password=") {
        let start = i + "password=".len();
        let end = out[start..].find('&').map_or(out.len(), |e| start + e);
        out.replace_range(start..end, "****");
    }
    out
}
