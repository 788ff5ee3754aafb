//! Starting the console: the database (the demo city and its basemap on first start), the
//! logs beside it, what the first frame needs — then the window.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use heatdesk::console::recent_since;
use heatdesk::demo::{self, DemoParams, Scale};
use heatdesk::store::Location;

/// The platform data folder (the demo city, logs, a server's basemap).
fn data_folder() -> anyhow::Result<PathBuf> {
    let dir =
        eframe::storage_dir("HeatDesk").context("no data folder on this system; pass --db FILE")?;
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    Ok(dir)
}

/// The demo city and its offline basemap in the data folder, made on first start.
fn first_start() -> anyhow::Result<PathBuf> {
    let path = data_folder()?.join("heatdesk.db");
    if !path.exists() {
        let now = chrono::Local::now().naive_local();
        demo::write_new(&path, &DemoParams::new(Scale::Demo, now))?;
        eprintln!("heatdesk: created the demo city at {}", path.display());
    }
    let tiles = heatdesk::map::basemap::beside(&path);
    if !tiles.exists() {
        super::data::render_basemap(&Location::File(path.clone()), &tiles, 11, 18)?;
    }
    Ok(path)
}

/// Where the console keeps what is its own for a database: logs, exports and the basemap beside
/// a file; in the data folder for a server (one folder per server and database).
fn own_folder(db: &Location) -> anyhow::Result<PathBuf> {
    match db {
        Location::File(path) => Ok(path.parent().unwrap_or(Path::new(".")).to_path_buf()),
        Location::Server(_) | Location::Remote(_) => {
            let name = heatdesk::store::folder_name(&server_folder(db));
            let dir = data_folder()?.join("servers").join(name);
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            Ok(dir)
        }
    }
}

/// A server's name as a folder's: host, port and database (or the room's server's host).
fn server_folder(db: &Location) -> String {
    match db {
        Location::Remote(address) => address.folder_name(),
        Location::Server(url) => url.folder_name(),
        Location::File(path) => path.display().to_string(),
    }
}

/// The offline basemap of a database, if it has one: `<file>.mbtiles` beside a file, or the one
/// rendered into a server's data folder.
pub fn basemap_of(db: &Location) -> anyhow::Result<Option<PathBuf>> {
    let path = match db {
        Location::File(path) => heatdesk::map::basemap::beside(path),
        Location::Server(_) | Location::Remote(_) => own_folder(db)?.join("heatdesk.mbtiles"),
    };
    Ok(path.exists().then_some(path))
}

/// Open the database (the demo city on first start) and run the console window.
pub fn open(db: Option<Location>) -> anyhow::Result<()> {
    let db = match db {
        Some(db) => db,
        None => Location::File(first_start()?),
    };
    let folder = own_folder(&db)?;
    let _log = heatdesk::logging::init(&folder.join("logs"))?;
    // the location as shown: a server's password never reaches the log
    tracing::info!(db = %db, version = env!("CARGO_PKG_VERSION"), "console starting");
    // HTTPS tiles: rustls with the ring provider (see Cargo.toml)
    let _ = rustls::crypto::ring::default_provider().install_default();
    let exports = folder.join("exports");
    // the company's import profiles are the same for every database on this machine
    let profiles = data_folder().ok().map(|d| d.join("import-profiles"));
    // the room's server: the window opens on its login form (unless a script gives the
    // password in HEATDESK_PASSWORD)
    if let Location::Remote(address) = &db
        && std::env::var("HEATDESK_PASSWORD").is_err()
    {
        let tiles = folder.join("heatdesk.mbtiles");
        let then: heatdesk::ui::door::Then = std::sync::Arc::new(move |store| {
            let render = !tiles.exists() && !store.basemap_features()?.is_empty();
            let since = recent_since(chrono::Local::now().naive_local());
            let snapshot = store.load_recent(since)?;
            Ok(heatdesk::ui::Start {
                store,
                snapshot,
                since,
                basemap: Some(tiles.clone()),
                render_basemap: render,
                exports: exports.clone(),
                backups: None,
                profiles: profiles.clone(),
            })
        });
        return heatdesk::ui::open_window(heatdesk::ui::Opening::Door {
            address: address.clone(),
            then,
        });
    }
    // every refusal (missing, foreign, newer, corrupt, unreachable, refused) happens here,
    // before a window opens
    let store = heatdesk::store::open(&db)?;
    let (basemap, render_basemap) = match &db {
        Location::File(path) => (heatdesk::map::basemap::beside(path), false),
        Location::Server(_) | Location::Remote(_) => {
            // a server's city rendered once into the data folder, after the window is open
            // (half a minute on a city: the console is usable meanwhile)
            let tiles = folder.join("heatdesk.mbtiles");
            let render = !tiles.exists() && !store.basemap_features()?.is_empty();
            (tiles, render)
        }
    };
    // what the first frame needs; the season's history follows on a thread
    let since = recent_since(chrono::Local::now().naive_local());
    let snapshot = store.load_recent(since)?;
    let backups = db.file().map(|_| folder.join("backups"));
    heatdesk::ui::open_window(heatdesk::ui::Opening::Ready(Box::new(
        heatdesk::ui::Start {
            store,
            snapshot,
            since,
            basemap: Some(basemap),
            render_basemap,
            exports,
            backups,
            profiles,
        },
    )))
}
