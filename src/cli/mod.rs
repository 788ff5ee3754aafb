//! The command line: its arguments, and one module per group of sub-commands.

mod console;
mod crews;
mod data;
mod measure;
mod reports;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use heatdesk::demo::{DemoParams, Scale};
use heatdesk::domain::Snapshot;
use heatdesk::store::Location;
use heatdesk::words::Lang;

#[derive(Parser)]
#[command(
    name = "heatdesk",
    version,
    about = "District-heating dispatch console (集中供热调度台)"
)]
pub struct Cli {
    /// The database: a file, or a PostgreSQL server's `postgres://user@host:port/dbname`
    /// (password from PGPASSWORD, ~/.pgpass or a prompt). Default: the demo city in your data
    /// folder, made on first start
    #[arg(long, global = true)]
    pub db: Option<String>,
    /// The room's server (`heatdesk serve`): `https://LOGIN@host:8443`. The console logs in
    /// with your account (password from HEATDESK_PASSWORD or a prompt; the room's private CA
    /// from HEATDESK_CA=ca.pem) and holds no database password
    #[arg(long, conflicts_with = "db")]
    pub server: Option<String>,
    /// The account to log in to --server with (instead of LOGIN@ in its address)
    #[arg(long, requires = "server")]
    pub login: Option<String>,
    #[command(subcommand)]
    pub command: Option<Cmd>,
}

#[derive(Subcommand)]
pub enum Cmd {
    /// Generate the demo city into a new database file (or an empty database on a server)
    Demo {
        /// FILE.db or postgres://…
        #[arg(long)]
        out: String,
        #[arg(long, value_enum, default_value = "demo")]
        scale: Scale,
        #[arg(long, default_value_t = DemoParams::DEFAULT_SEED)]
        seed: u64,
        /// "Today" for the generated season (YYYY-MM-DD; default: today)
        #[arg(long)]
        date: Option<chrono::NaiveDate>,
    },
    /// Create an empty HeatDesk database (for imports): a new file, or the tables in an empty
    /// database on a server
    Init,
    /// Copy a whole database into a new, empty one and check the copy (row counts and the
    /// season's KPIs equal): FILE.db into postgres://…, or back into a laptop's file
    Migrate {
        /// FILE.db or postgres://…
        #[arg(long)]
        from: String,
        /// A new FILE.db, or an empty database on a server
        #[arg(long)]
        to: String,
    },
    /// Render the city's own roads, river, parks and blocks into an offline MBTiles basemap
    Basemap {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 11)]
        min_zoom: u8,
        #[arg(long, default_value_t = 18)]
        max_zoom: u8,
    },
    /// The crews' phone page and its JSON API over HTTPS (technicians log in with their own
    /// accounts); messages to residents go out through HEATDESK_SMS_URL when it is set
    Serve {
        /// The address and port to listen on [default: 0.0.0.0:8443 with TLS, 0.0.0.0:8080
        /// with --plain-http]
        #[arg(long)]
        listen: Option<String>,
        /// The server's certificate, PEM (the company's, or server.pem from `heatdesk cert`)
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// Its private key, PEM (server-key.pem from `heatdesk cert`)
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Plain HTTP, for a server behind a reverse proxy that speaks HTTPS to the phones
        #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"])]
        plain_http: bool,
        /// The room's basemap (MBTiles) served to the consoles at /tiles/{z}/{x}/{y}.png
        /// [default: <database>.mbtiles beside a database file, when there]
        #[arg(long)]
        basemap: Option<PathBuf>,
    },
    /// Make the room's own certificate authority and a certificate for `heatdesk serve`:
    /// ca.pem (install it on the room's PCs and phones), server.pem and server-key.pem
    Cert {
        /// The folder to write them to (nothing there is overwritten)
        #[arg(long)]
        out: PathBuf,
        /// A name or address the phones reach the server by (repeat for several) [default:
        /// this machine's name, localhost, 127.0.0.1]
        #[arg(long = "host")]
        hosts: Vec<String>,
    },
    /// Technicians' accounts for the phone page
    Account {
        #[command(subcommand)]
        action: AccountCmd,
    },
    /// The audit trail's hash chains: `audit verify` walks them and names the first event
    /// altered, inserted or removed (exit 1), or says they are intact
    Audit {
        #[command(subcommand)]
        action: AuditCmd,
    },
    /// 200 phones on a server, on loopback: each logs in, reports its position every 30 s
    /// and works its team's tickets; prints request latency (p50, p99) and the server's memory
    BenchPhones {
        #[arg(long, default_value_t = 200)]
        phones: usize,
        /// Dispatchers' consoles through the same server at the same time (each commits about
        /// once a second); adds their propagation delay and the room soak's checks
        #[arg(long, default_value_t = 0)]
        consoles: usize,
        #[arg(long, default_value_t = 60.0)]
        seconds: f64,
    },
    /// The map as a picture (PNG): basemap, layers, legend, scale bar, title and date — for
    /// the duty-room wall and reports
    MapImage {
        /// FILE.png
        #[arg(long)]
        out: PathBuf,
        /// Show one compound, by its name (default: the whole city)
        #[arg(long, conflicts_with = "bbox")]
        compound: Option<String>,
        /// Show a box: lon1,lat1,lon2,lat2 (WGS-84)
        #[arg(long)]
        bbox: Option<String>,
        /// What colours compounds and buildings
        #[arg(long, value_enum, default_value = "open-faults")]
        metric: MetricArg,
        /// WIDTHxHEIGHT in pixels
        #[arg(long, default_value = "1600x1000")]
        size: String,
        /// An MBTiles basemap (default: the database's own, beside it)
        #[arg(long)]
        basemap: Option<PathBuf>,
        /// English title and legend (default Chinese)
        #[arg(long)]
        english: bool,
    },
    /// The day's report: KPIs per department, overdue tickets, the day's visits, and the
    /// city map (XLSX; CSV files with the map as a PNG beside them)
    Report {
        /// The day (YYYY-MM-DD; default: today)
        #[arg(long)]
        date: Option<chrono::NaiveDate>,
        /// FILE.xlsx (three sheets) or FILE.csv (one file per sheet)
        #[arg(long)]
        out: PathBuf,
        /// English headers (default Chinese)
        #[arg(long)]
        english: bool,
    },
    /// A dispatch room under load: --consoles N consoles on one database for --seconds S,
    /// each committing random legal commands; then checks that every console equals a fresh
    /// load, no audit event was lost or doubled and no stale write was accepted. The last line
    /// gives commits, refusals and the propagation delay (p50, p99); non-zero exit on any loss.
    /// With --through URL, the consoles go through the room's server (the checks read --db).
    /// Without --consoles: one burst of --commands, one JSON line per outcome (crash tests)
    Soak {
        #[arg(long)]
        consoles: Option<usize>,
        /// The room's server the consoles go through, `https://LOGIN@host:8443` (password from
        /// HEATDESK_PASSWORD or a prompt); --db names its database, where the checks read
        #[arg(long, requires = "consoles")]
        through: Option<String>,
        #[arg(long, default_value_t = 30.0)]
        seconds: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = 100)]
        commands: usize,
        /// Only touch tickets 1..=N (to make consoles collide)
        #[arg(long)]
        tickets: Option<i64>,
        #[arg(long, default_value = "soak")]
        actor: String,
        /// Look for other consoles' changes at most every N ms (0: before every command)
        #[arg(long, default_value_t = 0)]
        poll_ms: u64,
        /// Pause N ms between commands (a room: each console about every N ms, ±50%)
        #[arg(long)]
        pace_ms: Option<u64>,
    },
    /// Copy the database now (online backup: safe while consoles run) and check the copy opens
    Backup {
        /// The copy (default: backups/heatdesk-<time>.db beside the database, keeping the last --keep)
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long, default_value_t = 20)]
        keep: usize,
    },
    /// Put a backup in place of the database (close the consoles first); the current file is kept aside
    Restore {
        #[arg(long)]
        from: PathBuf,
    },
    /// Print the headline figures on this machine: start-up phases and console frames at city
    /// scale (generates the city set in a temporary folder unless --db is given)
    Bench,
    /// Any kind of data as a file `import` takes back (GeoJSON or CSV), or tickets as shown
    /// in the queue (CSV/XLSX, numbers masked)
    Export {
        /// departments, compounds, buildings, sources, stations, pipes, valves, teams,
        /// tickets, visits, readings or surveys
        #[arg(long, value_enum, required_unless_present = "tickets")]
        layer: Option<heatdesk::exchange::Kind>,
        /// Tickets as the queue lists them (all, or --open only)
        #[arg(long, conflicts_with = "layer")]
        tickets: bool,
        #[arg(long, requires = "tickets")]
        open: bool,
        /// FILE.geojson or FILE.csv for a layer; FILE.csv or FILE.xlsx for --tickets
        #[arg(long)]
        out: PathBuf,
        /// English headers for --tickets (default Chinese)
        #[arg(long)]
        english: bool,
        /// Write residents' phone numbers in full (default masked: 138****5678)
        #[arg(long)]
        unmasked: bool,
    },
    /// Bring a company's data in: one file of one kind, all of it or nothing
    /// (README: "Import and export" lists the columns)
    Import {
        #[arg(value_enum)]
        kind: heatdesk::exchange::Kind,
        /// A .csv/.txt (UTF-8, GBK or UTF-16), .xlsx/.xls workbook, .geojson, Shapefile (.shp
        /// with its .dbf, .prj, .cpg) or GeoPackage (.gpkg)
        file: PathBuf,
        /// Check the file and print the report (and the mapping used); write nothing
        #[arg(long)]
        check: bool,
        /// The coordinates' system: wgs84, cgcs2000, gcj02 (AMap, Tencent), bd09 (Baidu),
        /// webmercator, or EPSG:NNNN (e.g. EPSG:4526, CGCS2000 3° Gauss-Krüger zone 38);
        /// default: as the file declares (.prj, GeoPackage), else as its numbers read
        #[arg(long)]
        crs: Option<String>,
        /// Columns not named as HeatDesk names them: `auto` (guess from the headers and values,
        /// and print the guess) or a saved profile FILE.json
        #[arg(long)]
        mapping: Option<String>,
        /// Write the mapping used (guessed or given) to FILE.json, to edit and use again
        #[arg(long)]
        save_mapping: Option<PathBuf>,
        /// The workbook's sheet or the GeoPackage's layer (default: the first with data)
        #[arg(long)]
        sheet: Option<String>,
        /// The department (its id) of compounds, stations or teams the file gives none for
        #[arg(long)]
        department: Option<i64>,
        /// Import the rows whose building is found; write the others to FILE.unmatched.csv
        /// beside the file, for fixing
        #[arg(long)]
        skip_unmatched: bool,
        /// Pipe ends closer than this join the same node (metres)
        #[arg(long, default_value_t = 2.0)]
        snap_m: f64,
        /// The report and the problems in English (default Chinese)
        #[arg(long)]
        english: bool,
    },
    /// Who loses heat when a pipe, valve or station is shut off (停热通知), as CSV or XLSX
    Outage {
        /// A pipe segment shut off (or, with --burst, burst)
        #[arg(long, conflicts_with_all = ["valve", "station"])]
        segment: Option<i64>,
        /// A valve closed
        #[arg(long, conflicts_with = "station")]
        valve: Option<i64>,
        /// A station stopped
        #[arg(long)]
        station: Option<i64>,
        /// The segment burst: the nearest operable valves close, more may lose heat
        #[arg(long, requires = "segment")]
        burst: bool,
        /// FILE.csv or FILE.xlsx
        #[arg(long)]
        out: PathBuf,
        /// English headers (default Chinese)
        #[arg(long)]
        english: bool,
    },
}

#[derive(Subcommand)]
pub enum AuditCmd {
    /// Walk both chains from their first event; print `audit: N events, chain intact` and the
    /// chains' last hashes, or the first break (exit 1)
    Verify {
        /// Say it in English (default Chinese)
        #[arg(long)]
        english: bool,
    },
}

#[derive(Subcommand)]
pub enum AccountCmd {
    /// Add an account, or give one a new password: the password is read from standard input
    /// (typed unseen at a terminal)
    Add {
        #[arg(long)]
        login: String,
        /// What the account may do: technician (the phone page, for a team), dispatcher,
        /// leader or admin (the console, through `heatdesk serve`)
        #[arg(long, default_value = "technician", value_parser = parse_role)]
        role: heatdesk::domain::crew::Role,
        /// A technician's team (its id, as the console's team cards and `export --layer
        /// teams` show it)
        #[arg(long)]
        team: Option<i64>,
        /// Their name, as the audit trail shows it (default: the login)
        #[arg(long)]
        name: Option<String>,
    },
    /// The accounts, a line each
    List,
    /// Stop an account from logging in
    Disable {
        #[arg(long)]
        login: String,
    },
}

/// A role as `--role` takes it.
fn parse_role(text: &str) -> Result<heatdesk::domain::crew::Role, String> {
    heatdesk::domain::crew::Role::from_code(text)
        .ok_or_else(|| "one of technician, dispatcher, leader, admin".to_string())
}

/// Run what the command line asks for.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let db = match (&cli.server, &cli.db) {
        (Some(server), _) => {
            let mut address = heatdesk::store::remote::ServerAddress::parse(server)?;
            if let Some(login) = &cli.login {
                address = address.with_login(login);
            }
            Some(Location::Remote(address))
        }
        (None, db) => db.as_deref().map(Location::parse).transpose()?,
    };
    match cli.command {
        None => console::open(db),
        Some(Cmd::Demo {
            out,
            scale,
            seed,
            date,
        }) => data::demo(&Location::parse(&out)?, scale, seed, date),
        Some(Cmd::Migrate { from, to }) => {
            data::migrate(&Location::parse(&from)?, &Location::parse(&to)?)
        }
        Some(Cmd::Init) => data::init(need(db, "init")?),
        Some(Cmd::Basemap {
            out,
            min_zoom,
            max_zoom,
        }) => data::basemap(&need(db, "basemap")?, &out, min_zoom, max_zoom),
        Some(Cmd::Import {
            kind,
            file,
            check,
            crs,
            mapping,
            save_mapping,
            sheet,
            department,
            skip_unmatched,
            snap_m,
            english,
        }) => data::import(
            need(db, "import")?,
            kind,
            &file,
            data::ImportArgs {
                check,
                crs,
                mapping,
                save_mapping,
                sheet,
                department,
                skip_unmatched,
                snap_m,
                lang: lang(english),
            },
        ),
        Some(Cmd::Export {
            layer,
            tickets,
            open,
            out,
            english,
            unmasked,
        }) => data::export(
            need(db, "export")?,
            layer.filter(|_| !tickets),
            open,
            &out,
            lang(english),
            unmasked,
        ),
        Some(Cmd::Backup { out, keep }) => data::backup(file(db, "backup")?, out, keep),
        Some(Cmd::Restore { from }) => data::restore(file(db, "restore")?, &from),
        Some(Cmd::Outage {
            segment,
            valve,
            station,
            burst,
            out,
            english,
        }) => reports::outage(
            need(db, "outage")?,
            reports::ShutOff {
                segment,
                valve,
                station,
                burst,
            },
            &out,
            lang(english),
        ),
        Some(Cmd::Serve {
            listen,
            tls_cert,
            tls_key,
            plain_http,
            basemap,
        }) => {
            let tls = tls_cert
                .zip(tls_key)
                .map(|(cert, key)| heatdesk::serve::tls::Tls { cert, key });
            crews::serve(need(db, "serve")?, listen, tls, plain_http, basemap)
        }
        Some(Cmd::Cert { out, hosts }) => crews::cert(&out, &hosts),
        Some(Cmd::Account { action }) => crews::account(need(db, "account")?, action),
        Some(Cmd::Audit {
            action: AuditCmd::Verify { english },
        }) => data::audit_verify(need(db, "audit verify")?, lang(english)),
        Some(Cmd::BenchPhones {
            phones,
            consoles,
            seconds,
        }) => crews::bench_phones(need(db, "bench-phones")?, phones, consoles, seconds),
        Some(Cmd::MapImage {
            out,
            compound,
            bbox,
            metric,
            size,
            basemap,
            english,
        }) => reports::map_image(
            need(db, "map-image")?,
            reports::MapImageArgs {
                compound,
                bbox,
                metric: metric.into(),
                size,
                basemap,
                lang: lang(english),
            },
            &out,
        ),
        Some(Cmd::Report { date, out, english }) => {
            reports::daily(need(db, "report")?, date, &out, lang(english))
        }
        Some(Cmd::Soak {
            consoles: Some(consoles),
            seconds,
            seed,
            tickets,
            pace_ms,
            through,
            ..
        }) => {
            // through the room's server: the consoles log in there, the checks read the
            // database itself
            let through = match through {
                Some(url) => {
                    let address = heatdesk::store::remote::ServerAddress::parse(&url)?;
                    let password = heatdesk::store::remote::password_for(&address)?;
                    Some((address, password))
                }
                None => None,
            };
            let check = need(db, "soak")?;
            anyhow::ensure!(
                through.is_none() || !matches!(check, Location::Remote(_)),
                "soak --through: --db names the server's database (a file or postgres://…), \
                 where the checks read what the consoles wrote"
            );
            measure::room(
                &check,
                heatdesk::soak::RoomParams {
                    consoles,
                    seconds,
                    seed,
                    pace_ms: pace_ms.unwrap_or(1000),
                    tickets,
                    now: chrono::Local::now().naive_local(),
                    through,
                },
            )
        }
        Some(Cmd::Soak {
            consoles: None,
            seed,
            commands,
            tickets,
            actor,
            poll_ms,
            pace_ms,
            ..
        }) => measure::soak(
            need(db, "soak")?,
            heatdesk::soak::SoakParams {
                seed,
                commands,
                tickets,
                actor,
                poll_ms,
                pace_ms: pace_ms.unwrap_or(0),
            },
        ),
        Some(Cmd::Bench) => measure::bench(db),
    }
}

/// The database a sub-command was given.
fn need(db: Option<Location>, command: &str) -> anyhow::Result<Location> {
    db.with_context(|| format!("{command} needs --db FILE or --db postgres://…"))
}

/// The database file a sub-command that copies files was given.
fn file(db: Option<Location>, command: &str) -> anyhow::Result<PathBuf> {
    match need(db, command)? {
        Location::File(path) => Ok(path),
        Location::Server(url) => anyhow::bail!(
            "{command}: {url} is a server; its backups are the server's job \
             (pg_dump, streaming replication: README \"Backups on a server\")"
        ),
        Location::Remote(address) => anyhow::bail!(
            "{command}: {address} is the room's server; run it on the server's database"
        ),
    }
}

/// The snapshot of the database a sub-command was given.
fn load(db: &Location) -> anyhow::Result<Snapshot> {
    Ok(heatdesk::store::open(db)?.load()?)
}

/// Who runs a command, for the audit trail.
fn whoami() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "import".into())
}

/// What the map is coloured by, as the command line names it.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum MetricArg {
    OpenFaults,
    Satisfaction,
    Temperature,
    Overdue,
}

impl From<MetricArg> for heatdesk::domain::colouring::Metric {
    fn from(m: MetricArg) -> Self {
        use heatdesk::domain::colouring::Metric;
        match m {
            MetricArg::OpenFaults => Metric::OpenFaults,
            MetricArg::Satisfaction => Metric::Satisfaction,
            MetricArg::Temperature => Metric::TemperatureCompliance,
            MetricArg::Overdue => Metric::Overdue,
        }
    }
}

fn lang(english: bool) -> Lang {
    if english { Lang::En } else { Lang::Zh }
}

/// The demo city's "today" when none is given, and the scale, as the sub-commands take them.
fn demo_params(scale: Scale, seed: u64, now: chrono::NaiveDateTime) -> DemoParams {
    DemoParams { seed, scale, now }
}
