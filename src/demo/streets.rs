//! The demo city's own vector map: street grid, river, parks and street blocks, from which
//! the offline basemap is rendered.

use std::collections::HashSet;

use super::layout::{BLOCK, Ground, ROAD_HALF, river_y};
use super::words::Words;
use crate::domain::{BasemapFeature, BasemapKind};

pub fn features(
    ground: Ground,
    cols: usize,
    rows: usize,
    trunk_row: usize,
    built: &HashSet<(usize, usize)>,
    words: &Words,
) -> Vec<BasemapFeature> {
    let mut out = Vec::new();
    let mut push = |kind, name: String, width_m, points: Vec<[f64; 2]>| {
        out.push(BasemapFeature {
            id: out.len() as i64 + 1,
            kind,
            name,
            width_m,
            geometry: ground.path(&points),
        });
    };
    let (x0, x1) = (-1.5 * BLOCK, (cols as f64 + 1.5) * BLOCK);
    let (y0, y1) = (-0.6 * BLOCK, (rows as f64 + 0.6) * BLOCK);

    // parks where no compound stands (including the river banks), then street blocks
    for row in 0..rows {
        for col in 0..cols {
            let (bx, by) = (
                col as f64 * BLOCK + ROAD_HALF,
                row as f64 * BLOCK + ROAD_HALF,
            );
            let (ex, ey) = (bx + BLOCK - 2.0 * ROAD_HALF, by + BLOCK - 2.0 * ROAD_HALF);
            let ring = vec![[bx, by], [ex, by], [ex, ey], [bx, ey], [bx, by]];
            if built.contains(&(col, row)) {
                push(BasemapKind::Block, String::new(), 0.0, ring);
            } else {
                push(BasemapKind::Green, "公园绿地".into(), 0.0, ring);
            }
        }
    }

    // the river winds west–east; its banks follow the same curve as the blocks avoid
    let steps = ((x1 - x0) / 40.0).ceil() as usize;
    let xs: Vec<f64> = (0..=steps).map(|i| x0 + i as f64 * 40.0).collect();
    let mut river: Vec<[f64; 2]> = xs.iter().map(|&x| [x, river_y(rows, x) + 55.0]).collect();
    river.extend(xs.iter().rev().map(|&x| [x, river_y(rows, x) - 55.0]));
    river.push(river[0]);
    push(BasemapKind::River, "清水河".into(), 0.0, river);

    // the street grid: every third street and the trunk road are main roads
    let name = |i: usize| words.streets[i % words.streets.len()].to_string();
    for i in 0..=cols {
        let x = i as f64 * BLOCK;
        let width = if i % 3 == 0 { 36.0 } else { 22.0 };
        push(BasemapKind::Road, name(i), width, vec![[x, y0], [x, y1]]);
    }
    for j in 0..=rows {
        let y = j as f64 * BLOCK;
        let width = if j % 3 == 0 || j == trunk_row {
            36.0
        } else {
            22.0
        };
        push(
            BasemapKind::Road,
            name(cols + 1 + j),
            width,
            vec![[x0, y], [x1, y]],
        );
    }
    out
}
