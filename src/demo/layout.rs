//! The demo city's ground: a street grid with a river, compounds in the blocks and
//! buildings in rows inside them (slabs, L- and U-shaped blocks, point towers).

use super::rng::Rng;
use crate::domain::LonLat;

/// Local metres (x east, y north) around the city centre, and their WGS-84 coordinates.
#[derive(Clone, Copy)]
pub struct Ground {
    pub lon0: f64,
    pub lat0: f64,
}

impl Ground {
    pub fn lonlat(&self, p: [f64; 2]) -> LonLat {
        let m_per_deg_lat = 110_540.0;
        let m_per_deg_lon = 111_320.0 * self.lat0.to_radians().cos();
        [
            self.lon0 + p[0] / m_per_deg_lon,
            self.lat0 + p[1] / m_per_deg_lat,
        ]
    }

    pub fn path(&self, points: &[[f64; 2]]) -> Vec<LonLat> {
        points.iter().map(|&p| self.lonlat(p)).collect()
    }
}

/// Road spacing: one compound per block.
pub const BLOCK: f64 = 420.0;
pub const ROAD_HALF: f64 = 15.0;

/// The river winds west–east through the middle of the grid.
pub fn river_y(rows: usize, x: f64) -> f64 {
    rows as f64 * BLOCK * 0.62 + 90.0 * (x / 900.0).sin()
}

pub struct BlockPlan {
    pub col: usize,
    pub row: usize,
    /// Compound outline box in metres: x0, y0, x1, y1.
    pub outline: [f64; 4],
    pub buildings: Vec<BuildingPlan>,
}

pub struct BuildingPlan {
    pub footprint: Vec<[f64; 2]>,
    /// 热力入口 on the south wall.
    pub entry: [f64; 2],
    /// Which row of the compound the building stands in (south first).
    pub row: usize,
    pub units: u32,
    pub floors: u32,
    pub households: u32,
}

impl BlockPlan {
    /// Where the secondary network enters the compound (south-west, inside the fence).
    pub fn gate(&self) -> [f64; 2] {
        [self.outline[0] + 8.0, self.outline[1] + 10.0]
    }

    /// The station's spot (south-east corner, inside the fence).
    pub fn station_spot(&self) -> [f64; 2] {
        [self.outline[2] - 14.0, self.outline[1] + 10.0]
    }

    /// y of the header pipe that runs just south of building row `row`.
    pub fn header_y(&self, row: usize) -> f64 {
        self.row_base(row) - 6.0
    }

    fn row_base(&self, row: usize) -> f64 {
        self.outline[1] + 28.0 + row as f64 * ROW_SPACING
    }

    /// The compound outline as a closed convex ring (one corner cut off on some compounds).
    pub fn outline_ring(&self, chamfer: f64) -> Vec<[f64; 2]> {
        let [x0, y0, x1, y1] = self.outline;
        if chamfer > 0.0 {
            vec![
                [x0, y0],
                [x1, y0],
                [x1, y1 - chamfer],
                [x1 - chamfer, y1],
                [x0, y1],
                [x0, y0],
            ]
        } else {
            vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
        }
    }
}

const ROW_SPACING: f64 = 48.0;

/// Rows and buildings per row: the demo city has ~10 buildings a compound, the large city ~17.
pub struct Density {
    pub rows: (i64, i64),
    pub per_row: (i64, i64),
    /// Mostly 2–5-storey blocks and few towers, so that ~50,000 buildings house about a
    /// million households as in DESIGN.md's large city (the demo city is denser).
    pub low_rise: bool,
}

pub fn plan_block(rng: &mut Rng, col: usize, row: usize, density: &Density) -> BlockPlan {
    let bx = col as f64 * BLOCK;
    let by = row as f64 * BLOCK;
    let inset = ROAD_HALF + rng.range(4.0, 30.0);
    let outline = [
        bx + inset,
        by + inset,
        bx + BLOCK - inset,
        by + BLOCK - inset,
    ];
    let mut plan = BlockPlan {
        col,
        row,
        outline,
        buildings: Vec::new(),
    };
    let rows = rng.int(density.rows.0, density.rows.1) as usize;
    let x_start = outline[0] + 22.0;
    let x_end = outline[2] - 10.0;
    for r in 0..rows {
        let y = plan.row_base(r);
        if y + 40.0 > outline[3] {
            break;
        }
        let per_row = rng.int(density.per_row.0, density.per_row.1) as usize;
        let slot = (x_end - x_start) / per_row as f64;
        for k in 0..per_row {
            let x = x_start + k as f64 * slot + 4.0;
            plan.buildings
                .push(building(rng, [x, y], slot - 10.0, r, density.low_rise));
        }
    }
    plan
}

/// One building whose south-west corner is at `at`, fitting in `width` metres.
fn building(rng: &mut Rng, at: [f64; 2], width: f64, row: usize, low_rise: bool) -> BuildingPlan {
    let depth = rng.range(11.0, 14.0);
    let wing = rng.range(14.0, 24.0);
    let length = width.clamp(24.0, 80.0) * rng.range(0.75, 1.0);
    let kind = rng.unit();
    let tower_share = if low_rise { 0.02 } else { 0.15 };
    let (shape, units, mut floors, per_floor): (Vec<[f64; 2]>, u32, u32, u32) =
        if kind < tower_share {
            // point tower
            let s = rng.range(20.0, 26.0);
            let floors = rng.int(18, 33) as u32;
            (vec![[0.0, 0.0], [s, 0.0], [s, s], [0.0, s]], 1, floors, 4)
        } else if kind < 0.32 {
            // L-shaped: a bar with a wing at its west end
            let floors = *rng.pick(&[6u32, 7, 11]);
            let units = ((length + wing) / 16.0).round().max(2.0) as u32;
            (
                vec![
                    [0.0, 0.0],
                    [length, 0.0],
                    [length, depth],
                    [depth, depth],
                    [depth, depth + wing],
                    [0.0, depth + wing],
                ],
                units,
                floors,
                2,
            )
        } else if kind < 0.45 {
            // U-shaped: a bar with wings at both ends, the courtyard opening north
            let floors = *rng.pick(&[5u32, 6, 7]);
            let units = ((length + 2.0 * wing) / 16.0).round().max(3.0) as u32;
            (
                vec![
                    [0.0, 0.0],
                    [length, 0.0],
                    [length, depth + wing],
                    [length - depth, depth + wing],
                    [length - depth, depth],
                    [depth, depth],
                    [depth, depth + wing],
                    [0.0, depth + wing],
                ],
                units,
                floors,
                2,
            )
        } else {
            // slab
            let floors = *rng.pick(&[6u32, 6, 7, 11, 18]);
            let units = (length / 16.0).round().max(1.0) as u32;
            (
                vec![[0.0, 0.0], [length, 0.0], [length, depth], [0.0, depth]],
                units,
                floors,
                2,
            )
        };
    if low_rise && kind >= tower_share {
        floors = *rng.pick(&[1u32, 2, 2, 3, 4]);
    }
    let mut footprint: Vec<[f64; 2]> = shape.iter().map(|p| [at[0] + p[0], at[1] + p[1]]).collect();
    footprint.push(footprint[0]);
    let south_width = shape[1][0];
    BuildingPlan {
        footprint,
        entry: [at[0] + south_width / 2.0, at[1]],
        row,
        units,
        floors,
        households: units * floors * per_floor,
    }
}

/// Offset a polyline sideways by `d` metres (positive: to the left of travel), so a return
/// pipe runs beside its supply pipe.
pub fn offset(points: &[[f64; 2]], d: f64) -> Vec<[f64; 2]> {
    let n = points.len();
    (0..n)
        .map(|i| {
            let a = points[i.saturating_sub(1)];
            let b = points[(i + 1).min(n - 1)];
            let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
            let len = (dx * dx + dy * dy).sqrt().max(1e-9);
            [points[i][0] - dy / len * d, points[i][1] + dx / len * d]
        })
        .collect()
}
