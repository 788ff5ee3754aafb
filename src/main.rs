//! The `heatdesk` command: the console, and the sub-commands around it.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use heatdesk::demo::{self, DemoParams, Scale};
use heatdesk::store::SqliteStore;

#[derive(Parser)]
#[command(
    name = "heatdesk",
    version,
    about = "District-heating dispatch console (集中供热调度台)"
)]
struct Cli {
    /// Database file to open (default: the demo city in your data folder, made on first start)
    #[arg(long, global = true)]
    db: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Crs {
    Wgs84,
    Gcj02,
}

#[derive(Subcommand)]
enum Cmd {
    /// Generate the demo city into a new database file
    Demo {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, value_enum, default_value = "demo")]
        scale: Scale,
        #[arg(long, default_value_t = DemoParams::DEFAULT_SEED)]
        seed: u64,
        /// "Today" for the generated season (YYYY-MM-DD; default: today)
        #[arg(long)]
        date: Option<chrono::NaiveDate>,
    },
    /// Create an empty HeatDesk database (for imports)
    Init,
    /// Render the city's own roads, river, parks and blocks into an offline MBTiles basemap
    Basemap {
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value_t = 11)]
        min_zoom: u8,
        #[arg(long, default_value_t = 18)]
        max_zoom: u8,
    },
    /// The day's report: KPIs per department, overdue tickets, the day's visits (XLSX or CSV)
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
    /// Apply a burst of random legal commands, one JSON line per outcome (crash and concurrency tests)
    #[command(hide = true)]
    Soak {
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
        /// Pause N ms between commands
        #[arg(long, default_value_t = 0)]
        pace_ms: u64,
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
        /// A .geojson or .csv file (UTF-8, GBK or UTF-16; Chinese or English headers)
        file: PathBuf,
        /// Check the file and print the report; write nothing
        #[arg(long)]
        check: bool,
        /// The coordinates' datum: wgs84, or gcj02 (AMap, Tencent; converted to WGS-84)
        #[arg(long, value_enum, default_value = "wgs84")]
        crs: Crs,
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

/// The snapshot of the database a sub-command was given.
fn load(
    db: Option<PathBuf>,
    command: &str,
) -> anyhow::Result<(PathBuf, heatdesk::domain::Snapshot)> {
    let path = db.with_context(|| format!("{command} needs --db FILE"))?;
    let snap = heatdesk::store::DispatchStore::load(&SqliteStore::open(&path)?)?;
    Ok((path, snap))
}

/// Who runs a command, for the audit trail.
fn whoami() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "import".into())
}

fn lang(english: bool) -> heatdesk::words::Lang {
    if english {
        heatdesk::words::Lang::En
    } else {
        heatdesk::words::Lang::Zh
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("heatdesk: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Some(Cmd::Demo {
            out,
            scale,
            seed,
            date,
        }) => {
            let now = match date {
                Some(d) => demo::noon(d),
                None => chrono::Local::now().naive_local(),
            };
            let started = std::time::Instant::now();
            let s = demo::write_new(&out, &DemoParams { seed, scale, now })?;
            println!(
                "wrote {}: {} compounds, {} buildings, {} households, {} stations, {} pipe segments, {} teams, {} tickets, {} events in {:.1} s",
                out.display(),
                s.compounds,
                s.buildings,
                s.households,
                s.stations,
                s.segments,
                s.teams,
                s.tickets,
                s.events,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Some(Cmd::Init) => {
            let path = cli.db.context("init needs --db FILE")?;
            SqliteStore::create(&path)?;
            println!("created empty HeatDesk database {}", path.display());
            Ok(())
        }
        Some(Cmd::Basemap {
            out,
            min_zoom,
            max_zoom,
        }) => {
            let path = cli.db.context("basemap needs --db FILE")?;
            anyhow::ensure!(
                min_zoom <= max_zoom && max_zoom <= 20,
                "zooms must satisfy min ≤ max ≤ 20 (got {min_zoom}..{max_zoom})"
            );
            let started = std::time::Instant::now();
            let s = heatdesk::map::basemap::render_from_db(&path, &out, min_zoom, max_zoom)?;
            println!(
                "wrote {}: {} tiles, zoom {}–{}, in {:.1} s",
                out.display(),
                s.tiles,
                s.min_zoom,
                s.max_zoom,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Some(Cmd::Outage {
            segment,
            valve,
            station,
            burst,
            out,
            english,
        }) => {
            use heatdesk::domain::trace::{Network, TraceFrom};
            let (path, snap) = load(cli.db, "outage")?;
            let net = Network::build(&snap);
            let buildings = match (segment, valve, station) {
                (Some(s), _, _) if burst => net.isolate(s).buildings_without_heat,
                (Some(s), _, _) => net.downstream(TraceFrom::Segment(s)).buildings,
                (_, Some(v), _) => net.downstream(TraceFrom::Valve(v)).buildings,
                (_, _, Some(id)) => {
                    let st = snap
                        .stations
                        .iter()
                        .find(|s| s.id == id)
                        .with_context(|| format!("{}: no station {id}", path.display()))?;
                    net.downstream(TraceFrom::Node(st.node)).buildings
                }
                _ => anyhow::bail!("say what is shut off: --segment, --valve or --station"),
            };
            anyhow::ensure!(
                !buildings.is_empty(),
                "nothing downstream: check the id (or it feeds no building)"
            );
            let table = heatdesk::export::outage::outage_notice(&snap, &buildings, lang(english));
            heatdesk::export::write(&out, &[table])?;
            let s = net.summary(&buildings);
            println!(
                "wrote {}: {} compounds, {} buildings, {} households",
                out.display(),
                s.compounds,
                s.buildings,
                s.households
            );
            Ok(())
        }
        Some(Cmd::Report { date, out, english }) => {
            let (_, snap) = load(cli.db, "report")?;
            let wall = chrono::Local::now().naive_local();
            let day = date.unwrap_or(wall.date());
            // a past day is reported as it stood at its end
            let end = day
                .succ_opt()
                .unwrap_or(day)
                .and_time(chrono::NaiveTime::MIN);
            let now = wall.min(end);
            let tables = heatdesk::export::report::daily_report(&snap, day, now, lang(english));
            heatdesk::export::write(&out, &tables)?;
            println!(
                "wrote {}: {} departments, {} overdue tickets, {} visits on {day}",
                out.display(),
                tables[0].rows.len() - 1,
                tables[1].rows.len(),
                tables[2].rows.len()
            );
            Ok(())
        }
        Some(Cmd::Soak {
            seed,
            commands,
            tickets,
            actor,
            poll_ms,
            pace_ms,
        }) => {
            let path = cli.db.context("soak needs --db FILE")?;
            let mut store = SqliteStore::open(&path)?;
            let params = heatdesk::soak::SoakParams {
                seed,
                commands,
                tickets,
                actor,
                poll_ms,
                pace_ms,
            };
            heatdesk::soak::run(&mut store, &params, &mut std::io::stdout().lock())
        }
        Some(Cmd::Backup { out, keep }) => {
            use heatdesk::store::backup;
            let path = cli.db.context("backup needs --db FILE")?;
            let now = chrono::Local::now().naive_local();
            let to = match out {
                Some(to) => {
                    backup::backup(&path, &to)?;
                    to
                }
                None => {
                    let dir = path
                        .parent()
                        .unwrap_or(std::path::Path::new("."))
                        .join("backups");
                    backup::rotating(&path, &dir, keep, now)?
                }
            };
            println!(
                "backed up {} to {} (checked: it opens)",
                path.display(),
                to.display()
            );
            Ok(())
        }
        Some(Cmd::Restore { from }) => {
            let path = cli.db.context("restore needs --db FILE")?;
            let now = chrono::Local::now().naive_local();
            let aside = heatdesk::store::backup::restore(&path, &from, now)?;
            println!(
                "restored {} from {}; the previous file is kept as {}",
                path.display(),
                from.display(),
                aside.display()
            );
            Ok(())
        }
        Some(Cmd::Bench) => {
            let now = demo::noon(chrono::NaiveDate::from_ymd_opt(2026, 11, 27).expect("a date"));
            let tmp;
            let path = match cli.db {
                Some(p) => p,
                None => {
                    tmp =
                        std::env::temp_dir().join(format!("heatdesk-bench-{}", std::process::id()));
                    std::fs::create_dir_all(&tmp)?;
                    let p = tmp.join("city.db");
                    eprintln!("writing the city-scale demo to {} …", p.display());
                    demo::write_new(&p, &DemoParams::new(Scale::City, now))?;
                    p
                }
            };
            let report = heatdesk::bench::console(&path, now)?;
            println!("| start-up phase | ms |\n|---|---:|");
            let mut total = 0.0;
            for p in &report.start {
                let ms = p.took.as_secs_f64() * 1000.0;
                total += ms;
                println!("| {} | {ms:.0} |", p.name);
            }
            println!("| **to the first frame** | **{total:.0}** |");
            println!("\n| in the background | ms |\n|---|---:|");
            for p in &report.background {
                println!("| {} | {:.0} |", p.name, p.took.as_secs_f64() * 1000.0);
            }
            println!("\n| whole-console frame while panning, zoom | median ms |\n|---|---:|");
            for (zoom, took) in report.frames {
                println!("| {zoom} | {:.1} |", took.as_secs_f64() * 1000.0);
            }
            println!("\n| action (median) | ms |\n|---|---:|");
            for p in &report.actions {
                println!("| {} | {:.1} |", p.name, p.took.as_secs_f64() * 1000.0);
            }
            if let Some(rss) = heatdesk::bench::resident_mb() {
                println!("\nresident memory: {rss:.0} MB");
            }
            Ok(())
        }
        Some(Cmd::Export {
            layer,
            tickets,
            open,
            out,
            english,
            unmasked,
        }) => {
            let (_, snap) = load(cli.db, "export")?;
            match layer {
                Some(kind) if !tickets => {
                    let n = heatdesk::exchange::export::write(&snap, kind, &out, unmasked)?;
                    println!("wrote {}: {n} {}", out.display(), kind.code());
                }
                _ => {
                    let ids: Vec<i64> = snap
                        .tickets
                        .iter()
                        .filter(|t| !open || t.status.is_open())
                        .map(|t| t.id)
                        .collect();
                    let table = heatdesk::export::layers::tickets(&snap, &ids, lang(english));
                    heatdesk::export::write(&out, &[table])?;
                    println!("wrote {}: {} tickets", out.display(), ids.len());
                }
            }
            Ok(())
        }
        Some(Cmd::Import {
            kind,
            file,
            check,
            crs,
            snap_m,
            english,
        }) => {
            use heatdesk::exchange;
            let path = cli.db.context("import needs --db FILE")?;
            let mut store = SqliteStore::open(&path)?;
            let mut options = exchange::Options::new(kind, chrono::Local::now().naive_local());
            options.check = check;
            options.gcj02 = matches!(crs, Crs::Gcj02);
            options.snap_m = snap_m;
            options.actor = whoami();
            let lang = lang(english);
            let outcome = exchange::import(
                store.connection(),
                &file,
                &options,
                &exchange::Progress::default(),
            );
            match outcome {
                Ok(report) => {
                    report.lines(lang).iter().for_each(|l| println!("{l}"));
                    Ok(())
                }
                Err(failure) => {
                    failure.lines(lang).iter().for_each(|l| eprintln!("{l}"));
                    anyhow::bail!(lang.pick("导入失败", "import failed"))
                }
            }
        }
        None => heatdesk::ui::run_console(cli.db),
    }
}
