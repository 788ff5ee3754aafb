//! Starting the console: the database (the demo city and its basemap on first start), the
//! logs beside it, what the first frame needs — then the window.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use heatdesk::console::recent_since;
use heatdesk::demo::{self, DemoParams, Scale};
use heatdesk::store::{DispatchStore, SqliteStore};

/// Where the console keeps its database when none is given: the platform data folder.
fn default_db_path() -> anyhow::Result<PathBuf> {
    let dir =
        eframe::storage_dir("HeatDesk").context("no data folder on this system; pass --db FILE")?;
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir.join("heatdesk.db"))
}

/// The demo city and its offline basemap in the data folder, made on first start.
fn first_start() -> anyhow::Result<PathBuf> {
    let path = default_db_path()?;
    if !path.exists() {
        let now = chrono::Local::now().naive_local();
        demo::write_new(&path, &DemoParams::new(Scale::Demo, now))?;
        eprintln!("heatdesk: created the demo city at {}", path.display());
    }
    let tiles = heatdesk::map::basemap::beside(&path);
    if !tiles.exists() {
        super::data::render_basemap(&path, &tiles, 11, 18)?;
    }
    Ok(path)
}

/// Open the database (the demo city on first start) and run the console window.
pub fn open(db: Option<PathBuf>) -> anyhow::Result<()> {
    let path = match db {
        Some(p) => p,
        None => first_start()?,
    };
    let folder = path.parent().unwrap_or(Path::new("."));
    let _log = heatdesk::logging::init(&folder.join("logs"))?;
    tracing::info!(db = %path.display(), version = env!("CARGO_PKG_VERSION"), "console starting");
    // HTTPS tiles: rustls with the ring provider (see Cargo.toml)
    let _ = rustls::crypto::ring::default_provider().install_default();
    // every refusal (missing, foreign, newer, corrupt) happens here, before a window opens
    let store = SqliteStore::open(&path)?;
    // what the first frame needs; the season's history follows on a thread
    let since = recent_since(chrono::Local::now().naive_local());
    let snapshot = store.load_recent(since)?;
    heatdesk::ui::open_window(heatdesk::ui::Start {
        store: Box::new(store),
        snapshot,
        since,
        basemap: Some(heatdesk::map::basemap::beside(&path)),
        exports: folder.join("exports"),
        backups: Some(folder.join("backups")),
    })
}
