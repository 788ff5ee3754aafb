//! An MBTiles file as a walkers tile layer: tiles are read and decoded on a worker thread,
//! kept as textures, and a coarser tile stands in while a finer one loads.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::mpsc::{Receiver, Sender, channel};

use egui::{Rect, pos2, vec2};
use walkers::sources::Attribution;
use walkers::{Tile, TileId, TilePiece, Tiles};

use super::mbtiles::{MbTiles, MbTilesError, TileXyz};

type Loaded = (TileXyz, Result<Option<(TileXyz, Tile)>, String>);

pub struct MbTilesSource {
    requests: Sender<TileXyz>,
    loaded: Receiver<Loaded>,
    /// requested tile → the stored tile that covers it (itself or an ancestor), None if none
    resolved: HashMap<TileXyz, Option<TileXyz>>,
    decoded: HashMap<TileXyz, Tile>,
    pending: HashSet<TileXyz>,
    /// Unreadable or undecodable tiles: counted, and the last reason kept for the status line.
    pub failures: usize,
    pub last_failure: Option<String>,
    pub max_zoom: u8,
}

const CACHE_LIMIT: usize = 768;

impl MbTilesSource {
    /// Open the file now (so a bad file is reported at once) and start the reader thread.
    pub fn open(path: &Path, ctx: &egui::Context) -> Result<Self, MbTilesError> {
        let file = MbTiles::open(path)?;
        let max_zoom = file.metadata.max_zoom;
        let (requests, inbox) = channel::<TileXyz>();
        let (outbox, loaded) = channel::<Loaded>();
        let ctx = ctx.clone();
        std::thread::Builder::new()
            .name("mbtiles".into())
            .spawn(move || {
                let style = walkers::Style;
                while let Ok(t) = inbox.recv() {
                    let result = match file.tile_or_ancestor(t) {
                        Ok(Some((found, bytes))) => Tile::new(&bytes, &style, found.z, 256, &ctx)
                            .map(|tile| Some((found, tile)))
                            .map_err(|e| format!("tile {}/{}/{}: {e}", found.z, found.x, found.y)),
                        Ok(None) => Ok(None),
                        Err(e) => Err(e.to_string()),
                    };
                    if outbox.send((t, result)).is_err() {
                        break;
                    }
                    ctx.request_repaint();
                }
            })
            .map_err(|e| MbTilesError::Sqlite {
                path: path.to_path_buf(),
                source: rusqlite::Error::ToSqlConversionFailure(Box::new(e)),
            })?;
        Ok(MbTilesSource {
            requests,
            loaded,
            resolved: HashMap::new(),
            decoded: HashMap::new(),
            pending: HashSet::new(),
            failures: 0,
            last_failure: None,
            max_zoom,
        })
    }

    fn receive(&mut self) {
        while let Ok((asked, result)) = self.loaded.try_recv() {
            self.pending.remove(&asked);
            if self.decoded.len() > CACHE_LIMIT {
                self.decoded.clear();
                self.resolved.clear();
            }
            match result {
                Ok(Some((found, tile))) => {
                    self.decoded.entry(found).or_insert(tile);
                    self.resolved.insert(asked, Some(found));
                }
                Ok(None) => {
                    self.resolved.insert(asked, None);
                }
                Err(e) => {
                    self.failures += 1;
                    self.last_failure = Some(e);
                    self.resolved.insert(asked, None);
                }
            }
        }
    }

    /// Tiles asked for and not read yet.
    pub fn loading(&mut self) -> bool {
        self.receive();
        !self.pending.is_empty()
    }

    /// The piece of `found` that covers `asked` (all of it when they are the same tile).
    fn piece(&self, asked: TileXyz, found: TileXyz) -> Option<TilePiece> {
        let tile = self.decoded.get(&found)?.clone();
        let scale = 1u32 << (asked.z - found.z);
        let size = 1.0 / scale as f32;
        let u = (asked.x % scale) as f32 * size;
        let v = (asked.y % scale) as f32 * size;
        Some(TilePiece::new(
            tile,
            Rect::from_min_size(pos2(u, v), vec2(size, size)),
        ))
    }
}

impl Tiles for MbTilesSource {
    fn at(&mut self, id: TileId) -> Option<TilePiece> {
        self.receive();
        let asked = TileXyz {
            z: id.zoom,
            x: id.x,
            y: id.y,
        };
        match self.resolved.get(&asked) {
            Some(Some(found)) => {
                if let Some(piece) = self.piece(asked, *found) {
                    return Some(piece);
                }
                self.resolved.remove(&asked);
            }
            Some(None) => return None,
            None => {}
        }
        if self.pending.insert(asked) {
            let _ = self.requests.send(asked);
        }
        // while it loads, scale up whatever coarser tile is already here
        let mut parent = asked.parent();
        while let Some(p) = parent {
            if let Some(Some(found)) = self.resolved.get(&p)
                && let Some(piece) = self.piece(asked, *found)
            {
                return Some(piece);
            }
            parent = p.parent();
        }
        None
    }

    fn attribution(&self) -> Attribution {
        Attribution {
            text: "MBTiles",
            url: "",
            logo_light: None,
            logo_dark: None,
        }
    }

    fn tile_size(&self) -> u32 {
        256
    }
}
