//! What the console remembers between runs (not data: that lives in the database).

use serde::{Deserialize, Serialize};

use crate::map::{LayerToggles, MapSettings};
use crate::words::Lang;

/// The dispatch board or the leaders' view (KPIs, visit planning) beside the map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum View {
    #[default]
    Dispatch,
    Leaders,
}

/// What the console remembers between runs (not data: that lives in the database).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Prefs {
    pub lang: Lang,
    pub map_center: Option<[f64; 2]>,
    pub map_zoom: f64,
    pub layers: LayerToggles,
    pub map: MapSettings,
    /// Written into every audit event this console makes.
    pub operator: String,
    pub view: View,
    /// Back up the database every N hours while the console runs (0: never) …
    pub backup_every_hours: u32,
    /// … keeping the last N copies.
    pub backups_kept: usize,
    /// MBTiles files used lately (the basemap window offers them).
    #[serde(default)]
    pub recent_mbtiles: Vec<std::path::PathBuf>,
    /// The login that last got in at each room's server (never a password).
    #[serde(default)]
    pub server_logins: std::collections::BTreeMap<String, String>,
}

impl Default for Prefs {
    fn default() -> Self {
        Prefs {
            lang: Lang::Zh,
            map_center: None,
            map_zoom: 14.0,
            layers: LayerToggles::default(),
            map: MapSettings::default(),
            operator: "调度员".into(),
            view: View::Dispatch,
            backup_every_hours: 4,
            backups_kept: 20,
            recent_mbtiles: Vec::new(),
            server_logins: Default::default(),
        }
    }
}
