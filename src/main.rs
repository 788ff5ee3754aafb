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
        None => heatdesk::ui::run_console(cli.db),
    }
}
