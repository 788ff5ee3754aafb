//! The demo basemap: the city's own roads, river, green areas and block outlines rendered
//! into raster tiles (tiny-skia) and written as an MBTiles file, so a fresh machine shows a
//! real map with no network.

use std::path::Path;

use tiny_skia::{
    Color, FillRule, LineCap, LineJoin, Paint, PathBuilder, Pixmap, Stroke, Transform,
};

use super::tiles::mbtiles::{MbTilesWriter, Metadata, TileXyz};
use crate::domain::{BasemapFeature, BasemapKind, LonLat, Snapshot};

/// Global pixel position at zoom `z` (Web Mercator, 256 px tiles).
pub fn world_pixel(p: LonLat, z: u8) -> [f64; 2] {
    let n = 256.0 * (1u64 << z) as f64;
    let lat = p[1].clamp(-85.05112878, 85.05112878).to_radians();
    let x = (p[0] + 180.0) / 360.0 * n;
    let y = (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n;
    [x, y]
}

/// Metres per pixel at latitude `lat` and zoom `z`.
fn metres_per_pixel(lat: f64, z: u8) -> f64 {
    156_543.033_92 * lat.to_radians().cos() / (1u64 << z) as f64
}

struct Prepared<'a> {
    feature: &'a BasemapFeature,
    /// lon/lat bounding box, widened by half the line width
    lo: LonLat,
    hi: LonLat,
}

fn colour(hex: u32) -> Color {
    Color::from_rgba8((hex >> 16) as u8, (hex >> 8) as u8, hex as u8, 255)
}

/// What the basemap draws, in drawing order (lowest first).
fn layer_of(kind: BasemapKind) -> u8 {
    match kind {
        BasemapKind::Green => 0,
        BasemapKind::Block => 1,
        BasemapKind::River => 2,
        BasemapKind::Road => 3,
    }
}

/// Render one 256-px tile as PNG bytes.
fn render_tile(
    features: &[Prepared<'_>],
    t: TileXyz,
    blocks_from: &[Vec<LonLat>],
) -> Option<Vec<u8>> {
    let mut pixmap = Pixmap::new(256, 256)?;
    pixmap.fill(colour(0xf2efe9));
    let origin = [t.x as f64 * 256.0, t.y as f64 * 256.0];
    let to_px = |p: LonLat| {
        let w = world_pixel(p, t.z);
        ((w[0] - origin[0]) as f32, (w[1] - origin[1]) as f32)
    };
    let tile_lo = unproject([origin[0], origin[1] + 256.0], t.z);
    let tile_hi = unproject([origin[0] + 256.0, origin[1]], t.z);
    let visible = |lo: LonLat, hi: LonLat| {
        lo[0] <= tile_hi[0] && hi[0] >= tile_lo[0] && lo[1] <= tile_hi[1] && hi[1] >= tile_lo[1]
    };
    let path_of = |points: &[LonLat], close: bool| {
        let mut pb = PathBuilder::new();
        for (i, &p) in points.iter().enumerate() {
            let (x, y) = to_px(p);
            if i == 0 {
                pb.move_to(x, y);
            } else {
                pb.line_to(x, y);
            }
        }
        if close {
            pb.close();
        }
        pb.finish()
    };
    let mut paint = Paint {
        anti_alias: true,
        ..Paint::default()
    };
    let mpp = metres_per_pixel((tile_lo[1] + tile_hi[1]) / 2.0, t.z) as f32;

    for f in features.iter().filter(|f| visible(f.lo, f.hi)) {
        let Some(path) = path_of(&f.feature.geometry, f.feature.kind != BasemapKind::Road) else {
            continue;
        };
        // areas: a fill, and for street blocks a thin edge
        let area = match f.feature.kind {
            BasemapKind::Green => Some((0xcde6c0, None)),
            BasemapKind::River => Some((0xaad3df, None)),
            BasemapKind::Block => Some((0xe4ddd4, Some(0xc9beb2))),
            BasemapKind::Road => None,
        };
        if let Some((fill, edge)) = area {
            paint.set_color(colour(fill));
            pixmap.fill_path(
                &path,
                &paint,
                FillRule::EvenOdd,
                Transform::identity(),
                None,
            );
            if let Some(edge) = edge {
                paint.set_color(colour(edge));
                let stroke = Stroke {
                    width: 1.0,
                    ..Stroke::default()
                };
                pixmap.stroke_path(&path, &paint, &stroke, Transform::identity(), None);
            }
            continue;
        }
        match f.feature.kind {
            BasemapKind::Road => {
                let width = (f.feature.width_m as f32 / mpp).max(1.2);
                for (hex, w) in [(0xc8c2b8, width + 2.0), (0xffffff, width)] {
                    paint.set_color(colour(hex));
                    let stroke = Stroke {
                        width: w,
                        line_cap: LineCap::Round,
                        line_join: LineJoin::Round,
                        ..Stroke::default()
                    };
                    pixmap.stroke_path(&path, &paint, &stroke, Transform::identity(), None);
                }
            }
            BasemapKind::Green | BasemapKind::River | BasemapKind::Block => {}
        }
    }
    // block outlines of the compounds themselves, faint, under the data layers
    if t.z >= 14 {
        paint.set_color(colour(0xd8cfc4));
        for ring in blocks_from {
            if let Some((lo, hi)) = bbox(ring)
                && visible(lo, hi)
                && let Some(path) = path_of(ring, true)
            {
                pixmap.fill_path(
                    &path,
                    &paint,
                    FillRule::EvenOdd,
                    Transform::identity(),
                    None,
                );
            }
        }
    }
    pixmap.encode_png().ok()
}

fn unproject(px: [f64; 2], z: u8) -> LonLat {
    let n = 256.0 * (1u64 << z) as f64;
    let lon = px[0] / n * 360.0 - 180.0;
    let lat = (std::f64::consts::PI * (1.0 - 2.0 * px[1] / n))
        .sinh()
        .atan()
        .to_degrees();
    [lon, lat]
}

fn bbox(points: &[LonLat]) -> Option<(LonLat, LonLat)> {
    let first = *points.first()?;
    Some(points.iter().fold((first, first), |(lo, hi), p| {
        (
            [lo[0].min(p[0]), lo[1].min(p[1])],
            [hi[0].max(p[0]), hi[1].max(p[1])],
        )
    }))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BasemapSummary {
    pub tiles: usize,
    pub min_zoom: u8,
    pub max_zoom: u8,
}

/// Render zooms `min_zoom..=max_zoom` over the city's extent into a new MBTiles file.
pub fn write_basemap(
    snap: &Snapshot,
    features: &[BasemapFeature],
    out: &Path,
    min_zoom: u8,
    max_zoom: u8,
) -> Result<BasemapSummary, String> {
    let progress = (
        std::sync::atomic::AtomicU64::new(0),
        std::sync::atomic::AtomicU64::new(0),
    );
    write_basemap_with(snap, features, out, min_zoom, max_zoom, &progress)
}

/// The same, saying how far it is: (tiles done, tiles in all).
pub fn write_basemap_with(
    snap: &Snapshot,
    features: &[BasemapFeature],
    out: &Path,
    min_zoom: u8,
    max_zoom: u8,
    progress: &(std::sync::atomic::AtomicU64, std::sync::atomic::AtomicU64),
) -> Result<BasemapSummary, String> {
    use std::sync::atomic::Ordering;
    if out.exists() {
        return Err(format!(
            "{}: already exists; refusing to overwrite it",
            out.display()
        ));
    }
    let mut prepared: Vec<Prepared<'_>> = features
        .iter()
        .filter_map(|f| {
            let (lo, hi) = bbox(&f.geometry)?;
            // widen by the road width (degrees, roughly) so a road at a tile edge is drawn
            let pad = f.width_m / 100_000.0;
            Some(Prepared {
                feature: f,
                lo: [lo[0] - pad, lo[1] - pad],
                hi: [hi[0] + pad, hi[1] + pad],
            })
        })
        .collect();
    prepared.sort_by_key(|p| layer_of(p.feature.kind));
    let rings: Vec<LonLat> = features
        .iter()
        .flat_map(|f| f.geometry.iter().copied())
        .collect();
    let Some((lo, hi)) = bbox(&rings) else {
        return Err("the database has no basemap features (roads, river, green areas)".into());
    };
    let blocks: Vec<Vec<LonLat>> = snap.compounds.iter().map(|c| c.outline.clone()).collect();
    let metadata = Metadata {
        name: "HeatDesk demo basemap".into(),
        format: "png".into(),
        min_zoom,
        max_zoom,
        bounds: Some([lo[0], lo[1], hi[0], hi[1]]),
    };
    let mut partial = out.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    let _ = std::fs::remove_file(&partial);
    let write = || -> Result<usize, String> {
        let mut writer = MbTilesWriter::create(&partial, &metadata)
            .map_err(|e| format!("{}: {e}", partial.display()))?;
        let mut count = 0;
        let all: u64 = (min_zoom..=max_zoom)
            .map(|z| {
                let a = world_pixel([lo[0], hi[1]], z);
                let b = world_pixel([hi[0], lo[1]], z);
                let w = (b[0] / 256.0) as u64 - (a[0] / 256.0) as u64 + 1;
                let h = (b[1] / 256.0) as u64 - (a[1] / 256.0) as u64 + 1;
                w * h
            })
            .sum();
        progress.1.store(all, Ordering::Relaxed);
        for z in min_zoom..=max_zoom {
            let a = world_pixel([lo[0], hi[1]], z);
            let b = world_pixel([hi[0], lo[1]], z);
            for x in (a[0] / 256.0) as u32..=(b[0] / 256.0) as u32 {
                for y in (a[1] / 256.0) as u32..=(b[1] / 256.0) as u32 {
                    let t = TileXyz { z, x, y };
                    let png = render_tile(&prepared, t, &blocks).ok_or("tile rendering failed")?;
                    writer.put(t, &png).map_err(|e| e.to_string())?;
                    count += 1;
                    progress.0.store(count as u64, Ordering::Relaxed);
                }
            }
        }
        writer.finish().map_err(|e| e.to_string())?;
        Ok(count)
    };
    match write() {
        Ok(tiles) => {
            std::fs::rename(&partial, out).map_err(|e| format!("{}: {e}", out.display()))?;
            Ok(BasemapSummary {
                tiles,
                min_zoom,
                max_zoom,
            })
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

/// Where the console looks for the basemap of a database: beside it, same name.
pub fn beside(db: &Path) -> std::path::PathBuf {
    db.with_extension("mbtiles")
}
