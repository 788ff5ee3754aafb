//! MBTiles files (tiles in SQLite, as GDAL, QGIS and tile servers export them): reading with
//! the TMS row flip and ancestor fallback, and writing (for the demo basemap).

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum MbTilesError {
    #[error("{0}: no such MBTiles file")]
    Missing(PathBuf),
    #[error("{0}: not an MBTiles file (not SQLite)")]
    NotSqlite(PathBuf),
    #[error("{0}: not an MBTiles file (no `tiles` table)")]
    NoTilesTable(PathBuf),
    #[error("{path}: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
}

/// What the `metadata` table says (with zooms taken from the tiles when it is silent).
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    pub name: String,
    pub format: String,
    pub min_zoom: u8,
    pub max_zoom: u8,
    /// west, south, east, north
    pub bounds: Option<[f64; 4]>,
}

/// A tile's position in XYZ (slippy map) numbering: y counts from the north.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileXyz {
    pub z: u8,
    pub x: u32,
    pub y: u32,
}

impl TileXyz {
    /// MBTiles stores rows TMS-style, counted from the south.
    pub fn tms_row(self) -> u32 {
        (1u32 << self.z) - 1 - self.y
    }

    pub fn parent(self) -> Option<TileXyz> {
        (self.z > 0).then(|| TileXyz {
            z: self.z - 1,
            x: self.x / 2,
            y: self.y / 2,
        })
    }
}

pub struct MbTiles {
    conn: Connection,
    path: PathBuf,
    pub metadata: Metadata,
}

impl MbTiles {
    pub fn open(path: &Path) -> Result<Self, MbTilesError> {
        if !path.is_file() {
            return Err(MbTilesError::Missing(path.to_path_buf()));
        }
        let sql = |source| MbTilesError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sql)?;
        let has_tiles: Option<String> = match conn
            .query_row(
                "SELECT name FROM sqlite_master WHERE name = 'tiles' AND type IN ('table', 'view')",
                [],
                |r| r.get(0),
            )
            .optional()
        {
            Ok(found) => found,
            Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::NotADatabase) => {
                return Err(MbTilesError::NotSqlite(path.to_path_buf()));
            }
            Err(e) => return Err(sql(e)),
        };
        if has_tiles.is_none() {
            return Err(MbTilesError::NoTilesTable(path.to_path_buf()));
        }
        let metadata = read_metadata(&conn).map_err(sql)?;
        Ok(MbTiles {
            conn,
            path: path.to_path_buf(),
            metadata,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The stored bytes of one tile, if present.
    pub fn tile(&self, t: TileXyz) -> Result<Option<Vec<u8>>, MbTilesError> {
        self.conn
            .prepare_cached("SELECT tile_data FROM tiles WHERE zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3")
            .and_then(|mut st| st.query_row(params![t.z, t.x, t.tms_row()], |r| r.get(0)).optional())
            .map_err(|source| MbTilesError::Sqlite {
                path: self.path.clone(),
                source,
            })
    }

    /// The tile itself or, above the stored zooms or where it is missing, the nearest stored
    /// ancestor (to be scaled up) — never a hole where a coarser tile exists.
    pub fn tile_or_ancestor(&self, t: TileXyz) -> Result<Option<(TileXyz, Vec<u8>)>, MbTilesError> {
        let mut cur = Some(t);
        while let Some(c) = cur {
            if c.z < self.metadata.min_zoom {
                break;
            }
            if c.z <= self.metadata.max_zoom
                && let Some(bytes) = self.tile(c)?
            {
                return Ok(Some((c, bytes)));
            }
            cur = c.parent();
        }
        Ok(None)
    }
}

fn read_metadata(conn: &Connection) -> rusqlite::Result<Metadata> {
    let mut values = std::collections::HashMap::new();
    let has_metadata: bool = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE name = 'metadata'",
            [],
            |_| Ok(true),
        )
        .optional()?
        .unwrap_or(false);
    if has_metadata {
        let mut st = conn.prepare("SELECT name, value FROM metadata")?;
        let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        for row in rows {
            let (k, v) = row?;
            values.insert(k, v);
        }
    }
    let (lo, hi): (Option<i64>, Option<i64>) = conn.query_row(
        "SELECT min(zoom_level), max(zoom_level) FROM tiles",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let zoom = |key: &str, fallback: Option<i64>| {
        values
            .get(key)
            .and_then(|v| v.trim().parse::<u8>().ok())
            .or(fallback.map(|z| z.clamp(0, 30) as u8))
            .unwrap_or(0)
    };
    let bounds = values.get("bounds").and_then(|b| {
        let v: Vec<f64> = b.split(',').filter_map(|x| x.trim().parse().ok()).collect();
        (v.len() == 4).then(|| [v[0], v[1], v[2], v[3]])
    });
    Ok(Metadata {
        name: values.get("name").cloned().unwrap_or_default(),
        format: values
            .get("format")
            .cloned()
            .unwrap_or_else(|| "png".into()),
        min_zoom: zoom("minzoom", lo),
        max_zoom: zoom("maxzoom", hi),
        bounds,
    })
}

/// Writes a new MBTiles file in one transaction.
pub struct MbTilesWriter {
    conn: Connection,
}

impl MbTilesWriter {
    pub fn create(path: &Path, metadata: &Metadata) -> rusqlite::Result<Self> {
        let conn = Connection::open(path)?;
        conn.execute_batch(
            "CREATE TABLE metadata (name TEXT, value TEXT);
             CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
             CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);
             BEGIN;",
        )?;
        let mut entries = vec![
            ("name", metadata.name.clone()),
            ("format", metadata.format.clone()),
            ("minzoom", metadata.min_zoom.to_string()),
            ("maxzoom", metadata.max_zoom.to_string()),
            ("type", "baselayer".into()),
        ];
        if let Some(b) = metadata.bounds {
            entries.push(("bounds", format!("{},{},{},{}", b[0], b[1], b[2], b[3])));
        }
        for (k, v) in entries {
            conn.execute(
                "INSERT INTO metadata (name, value) VALUES (?1, ?2)",
                params![k, v],
            )?;
        }
        Ok(MbTilesWriter { conn })
    }

    pub fn put(&mut self, t: TileXyz, bytes: &[u8]) -> rusqlite::Result<()> {
        self.conn
            .prepare_cached("INSERT OR REPLACE INTO tiles (zoom_level, tile_column, tile_row, tile_data) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![t.z, t.x, t.tms_row(), bytes])?;
        Ok(())
    }

    pub fn finish(self) -> rusqlite::Result<()> {
        self.conn.execute_batch("COMMIT;")
    }
}
