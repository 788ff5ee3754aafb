//! Tile sources for the map: MBTiles files (offline, read off the UI thread) and online XYZ
//! servers.

pub mod http;
pub mod mbtiles;
pub mod source;
