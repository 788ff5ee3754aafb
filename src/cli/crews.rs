//! The crews in the field from the command line: the server, technicians' accounts, and the
//! phones benchmark.

use std::io::{BufRead, IsTerminal};

use heatdesk::domain::crew::{Account, Role};
use heatdesk::domain::{Command, Origin};
use heatdesk::store::Location;

use super::AccountCmd;

/// Where the server listens, and whether it may speak plain HTTP there: phones give their
/// position only to an HTTPS page, so plain HTTP is for a proxy in front (`--plain-http`) or
/// this PC's own loopback.
fn listen_on(
    listen: Option<String>,
    tls: &Option<heatdesk::serve::tls::Tls>,
    plain_http: bool,
) -> anyhow::Result<String> {
    let listen = listen.unwrap_or_else(|| {
        if tls.is_some() {
            "0.0.0.0:8443".into()
        } else {
            "0.0.0.0:8080".into()
        }
    });
    let loopback = listen
        .parse::<std::net::SocketAddr>()
        .is_ok_and(|a| a.ip().is_loopback());
    if tls.is_none() && !plain_http && !loopback {
        anyhow::bail!(
            "serve: phones give their position only to an HTTPS page. Give the server a \
             certificate: `heatdesk cert --out certs` makes one (install certs/ca.pem on the \
             room's phones and PCs), then `heatdesk serve --tls-cert certs/server.pem \
             --tls-key certs/server-key.pem`; or --plain-http behind a proxy that speaks HTTPS"
        );
    }
    Ok(listen)
}

/// `heatdesk cert`: the room's authority and the server's certificate.
pub fn cert(out: &std::path::Path, hosts: &[String]) -> anyhow::Result<()> {
    let today = chrono::Local::now().date_naive();
    let made = heatdesk::serve::tls::make(out, hosts, today)?;
    println!(
        "the room's certificate authority: {} (install it on the room's phones and PCs)",
        made.ca.display()
    );
    println!(
        "the server's certificate: {} and its key {} (keep the key on the server only), \
         good for {} until {}",
        made.cert.display(),
        made.key.display(),
        made.hosts.join(", "),
        made.valid_until
    );
    println!(
        "start the server with: heatdesk serve --db … --tls-cert {} --tls-key {}",
        made.cert.display(),
        made.key.display()
    );
    Ok(())
}

pub fn serve(
    db: Location,
    listen: Option<String>,
    tls: Option<heatdesk::serve::tls::Tls>,
    plain_http: bool,
    basemap: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    let listen = listen_on(listen, &tls, plain_http)?;
    // the room's basemap: the one given, else the file beside a database file
    let basemap = basemap.or_else(|| {
        db.file()
            .map(heatdesk::map::basemap::beside)
            .filter(|p| p.exists())
    });
    let _ = rustls::crypto::ring::default_provider().install_default();
    // the server's log goes to standard error (a service manager keeps it); it names
    // technicians, tickets and message ids, never a resident's number
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::INFO)
        .with_target(false)
        .try_init();
    let store = heatdesk::store::open(&db)?;
    heatdesk::serve::run(store, &listen, tls, basemap.as_deref())
}

/// The password: typed unseen at a terminal, else the first line of standard input.
fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        return Ok(rpassword::prompt_password("password: ")?);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

pub fn account(db: Location, action: AccountCmd) -> anyhow::Result<()> {
    let mut store = heatdesk::store::open(&db)?;
    let now = chrono::Local::now().naive_local();
    let origin = Origin {
        actor: super::whoami(),
        at: now,
    };
    match action {
        AccountCmd::Add {
            login,
            role,
            team,
            name,
        } => {
            if (role == Role::Technician) != team.is_some() {
                anyhow::bail!(
                    "account {login}: a technician needs --team; a {} takes none",
                    role.code()
                );
            }
            let password = read_password()?;
            let hash =
                heatdesk::serve::auth::hash_password(&password).map_err(anyhow::Error::msg)?;
            let created_at = store.account(&login)?.map_or(now, |a| a.created_at);
            store.apply(
                &Command::SaveAccount(Account {
                    name: name.unwrap_or_else(|| login.clone()),
                    login: login.clone(),
                    team_id: team,
                    role,
                    password_hash: hash,
                    created_at,
                    disabled: false,
                }),
                &origin,
            )?;
            match team {
                Some(team) => println!("account {login}: technician of team {team}, can log in"),
                None => println!("account {login}: {}, can log in", role.code()),
            }
        }
        AccountCmd::List => {
            let snap = store.load_places()?;
            for a in store.accounts()? {
                let team = match a.team_id {
                    Some(id) => format!(
                        "team {id} {}",
                        snap.team(id).map_or("?", |t| t.name.as_str())
                    ),
                    None => "-".into(),
                };
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    a.login,
                    a.name,
                    a.role.code(),
                    team,
                    if a.disabled { "disabled" } else { "active" }
                );
            }
        }
        AccountCmd::Disable { login } => {
            let mut a = store
                .account(&login)?
                .ok_or_else(|| anyhow::anyhow!("no account {login:?}"))?;
            a.disabled = true;
            store.apply(&Command::SaveAccount(a), &origin)?;
            println!("account {login}: disabled");
        }
    }
    Ok(())
}

pub fn bench_phones(
    db: Location,
    phones: usize,
    consoles: usize,
    seconds: f64,
) -> anyhow::Result<()> {
    let report = heatdesk::serve::phones::run(&db, phones, consoles, seconds)?;
    println!("{report}");
    if let Some(room) = &report.consoles {
        anyhow::ensure!(
            room.problems.is_empty() && room.errors.is_empty(),
            "bench-phones: the consoles met {} problems, {} errors",
            room.problems.len(),
            room.errors.len()
        );
    }
    anyhow::ensure!(
        report.stored == report.applied + report.duplicates,
        "bench-phones: {} steps taken ({} of them retries of a step whose answer was lost) but \
         {} stored",
        report.applied + report.duplicates,
        report.duplicates,
        report.stored
    );
    Ok(())
}
