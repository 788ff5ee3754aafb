//! Online XYZ tiles through walkers' HTTP tiles with a disk cache: OpenStreetMap, Tianditu
//! (天地图, with the user's key) and any URL template. Download failures are counted for the
//! status line; the key never reaches a log or a message.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use walkers::sources::{Attribution, TileSource};
use walkers::{HttpOptions, HttpTiles, TileId};

/// A URL template with `{z}`, `{x}`, `{y}` and optionally `{s}` (a server number 0–7).
pub struct UrlTemplate {
    pub template: String,
    pub attribution: &'static str,
}

impl UrlTemplate {
    pub fn url(&self, z: u8, x: u32, y: u32) -> String {
        // TMS counts rows from the bottom
        let tms_y = (1u32 << z).saturating_sub(1).saturating_sub(y);
        self.template
            .replace("{z}", &z.to_string())
            .replace("{x}", &x.to_string())
            .replace("{-y}", &tms_y.to_string())
            .replace("{y}", &y.to_string())
            .replace("{s}", &((x + y) % 8).to_string())
    }
}

impl TileSource for UrlTemplate {
    fn tile_url(&self, t: TileId) -> String {
        self.url(t.zoom, t.x, t.y)
    }

    fn attribution(&self) -> Attribution {
        Attribution {
            text: self.attribution,
            url: "",
            logo_light: None,
            logo_dark: None,
        }
    }
}

pub const OSM: &str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";

/// Tianditu's web-mercator layers: `vec` (the map) and `cva` (its Chinese labels).
pub fn tianditu(layer: &str, key: &str) -> String {
    format!(
        "https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
    )
}

pub fn open(template: String, attribution: &'static str, ctx: &egui::Context) -> HttpTiles {
    install_failure_counter();
    // HTTPS through rustls with the ring provider (see Cargo.toml); installed once, by whoever
    // asks first
    let _ = rustls::crypto::ring::default_provider().install_default();
    let options = HttpOptions {
        cache: eframe::storage_dir("HeatDesk").map(|d| d.join("tile-cache")),
        ..HttpOptions::default()
    };
    HttpTiles::with_options(
        UrlTemplate {
            template,
            attribution,
        },
        options,
        ctx.clone(),
    )
}

/// Remove secrets from a message: the value of every `tk=` (Tianditu) or `key=` parameter.
pub fn redact(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    loop {
        let next = ["tk=", "key="]
            .iter()
            .filter_map(|p| rest.find(p).map(|i| (i, p.len())))
            .min();
        let Some((i, len)) = next else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..i + len]);
        out.push_str("***");
        let tail = &rest[i + len..];
        let end = tail
            .find(|c: char| c == '&' || c.is_whitespace() || c == ')' || c == '"')
            .unwrap_or(tail.len());
        rest = &tail[end..];
    }
}

static FAILURES: AtomicUsize = AtomicUsize::new(0);
static LAST_FAILURE: Mutex<Option<String>> = Mutex::new(None);

/// walkers reports a failed download only as a log warning: count those (and keep the last,
/// redacted) instead of printing them.
struct FailureCounter;

impl log::Log for FailureCounter {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        m.level() <= log::Level::Warn && m.target().starts_with("walkers")
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            FAILURES.fetch_add(1, Ordering::Relaxed);
            let why = redact(&record.args().to_string());
            tracing::warn!(reason = %why, "tile download failed");
            if let Ok(mut last) = LAST_FAILURE.lock() {
                *last = Some(why);
            }
        }
    }

    fn flush(&self) {}
}

static COUNTER: FailureCounter = FailureCounter;

fn install_failure_counter() {
    if log::set_logger(&COUNTER).is_ok() {
        log::set_max_level(log::LevelFilter::Warn);
    }
}

/// Failed downloads so far, and the last reason (redacted).
pub fn failures() -> (usize, Option<String>) {
    let last = LAST_FAILURE.lock().ok().and_then(|l| l.clone());
    (FAILURES.load(Ordering::Relaxed), last)
}
