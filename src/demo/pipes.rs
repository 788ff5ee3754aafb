//! The demo city's heating network: sources → primary trunks and feeders along the roads →
//! stations → secondary pipes through each compound to every building's entry.

use super::layout::{BLOCK, BlockPlan, Ground, offset};
use super::rng::Rng;
use crate::domain::*;

/// Builds nodes, supply/return segment pairs and valves with consecutive ids.
pub struct NetworkBuilder {
    pub ground: Ground,
    pub nodes: Vec<NetworkNode>,
    pub segments: Vec<PipeSegment>,
    pub valves: Vec<Valve>,
}

impl NetworkBuilder {
    pub fn new(ground: Ground) -> Self {
        NetworkBuilder {
            ground,
            nodes: Vec::new(),
            segments: Vec::new(),
            valves: Vec::new(),
        }
    }

    pub fn node(&mut self, kind: NodeKind, at: [f64; 2]) -> NodeId {
        let id = self.nodes.len() as i64 + 1;
        self.nodes.push(NetworkNode {
            id,
            kind,
            position: self.ground.lonlat(at),
        });
        id
    }

    /// A supply pipe and its return twin from `from` (upstream) to `to` along `path` (metres).
    /// Returns the supply segment's id.
    pub fn pair(
        &mut self,
        rng: &mut Rng,
        from: NodeId,
        to: NodeId,
        tier: Tier,
        dn: u32,
        path: &[[f64; 2]],
    ) -> SegmentId {
        let (gap, years) = match tier {
            Tier::Primary => (3.0, (1992, 2018)),
            Tier::Secondary => (1.2, (1985, 2022)),
        };
        let laid_year = rng.int(years.0, years.1) as u16;
        let supply_id = self.segments.len() as i64 + 1;
        for (flow, side) in [(Flow::Supply, 0.0), (Flow::Return, gap)] {
            let id = self.segments.len() as i64 + 1;
            self.segments.push(PipeSegment {
                id,
                from,
                to,
                tier,
                flow,
                dn,
                laid_year,
                path: self.ground.path(&offset(path, side)),
            });
        }
        supply_id
    }

    /// A valve on a supply segment, at a point along it; a few are seized (inoperable).
    pub fn valve(&mut self, rng: &mut Rng, segment: SegmentId, at: [f64; 2]) {
        let id = self.valves.len() as i64 + 1;
        self.valves.push(Valve {
            id,
            segment,
            position: self.ground.lonlat(at),
            operable: !rng.chance(0.05),
        });
    }
}

fn mid(a: [f64; 2], b: [f64; 2]) -> [f64; 2] {
    [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0]
}

fn intersection(i: usize, j: usize) -> [f64; 2] {
    [i as f64 * BLOCK, j as f64 * BLOCK]
}

/// The primary network of one heat source: a trunk along the road of row `trunk_row`
/// through the given intersection columns (nearest the source first), and feeders up and
/// down each column road to the intersections that stations hang from.
/// Returns the node of every intersection it reached, keyed by (column, row).
pub fn primary_tree(
    net: &mut NetworkBuilder,
    rng: &mut Rng,
    source_node: NodeId,
    source_at: [f64; 2],
    columns: &[usize],
    trunk_row: usize,
    needed: &std::collections::BTreeSet<(usize, usize)>,
) -> std::collections::HashMap<(usize, usize), NodeId> {
    let mut reached = std::collections::HashMap::new();
    let mut prev = (source_node, source_at);
    let mut dn = 800u32;
    let last_needed = columns
        .iter()
        .rposition(|c| needed.iter().any(|&(i, _)| i == *c))
        .unwrap_or(0);
    for (k, &col) in columns.iter().enumerate().take(last_needed + 1) {
        let at = intersection(col, trunk_row);
        let node = net.node(NodeKind::Junction, at);
        let seg = net.pair(rng, prev.0, node, Tier::Primary, dn, &[prev.1, at]);
        if k % 2 == 0 {
            net.valve(rng, seg, mid(prev.1, at));
        }
        reached.insert((col, trunk_row), node);
        prev = (node, at);
        dn = (dn - 25).max(500);

        // feeders north and south from this trunk node
        let rows: Vec<usize> = needed
            .iter()
            .filter(|&&(i, _)| i == col)
            .map(|&(_, j)| j)
            .collect();
        let (Some(&lo), Some(&hi)) = (rows.iter().min(), rows.iter().max()) else {
            continue;
        };
        for direction in [1i64, -1] {
            let end = if direction > 0 { hi } else { lo };
            let mut cur = (node, at);
            let mut j = trunk_row as i64;
            let mut first = true;
            while (direction > 0 && (j as usize) < end) || (direction < 0 && j as usize > end) {
                j += direction;
                let at = intersection(col, j as usize);
                let n = net.node(NodeKind::Junction, at);
                let seg = net.pair(
                    rng,
                    cur.0,
                    n,
                    Tier::Primary,
                    if first { 400 } else { 300 },
                    &[cur.1, at],
                );
                if first {
                    net.valve(rng, seg, mid(cur.1, at));
                    first = false;
                }
                reached.insert((col, j as usize), n);
                cur = (n, at);
            }
        }
    }
    reached
}

/// Entry nodes created for a compound's buildings, in the order of `block.buildings`.
pub fn compound_secondary(
    net: &mut NetworkBuilder,
    rng: &mut Rng,
    station: (NodeId, [f64; 2]),
    block: &BlockPlan,
) -> Vec<NodeId> {
    let gate_at = block.gate();
    let gate = net.node(NodeKind::Junction, gate_at);
    let corner = [gate_at[0], station.1[1]];
    let path: Vec<[f64; 2]> =
        if (corner[0] - station.1[0]).abs() < 1.0 || (corner[1] - gate_at[1]).abs() < 0.5 {
            vec![station.1, gate_at]
        } else {
            vec![station.1, corner, gate_at]
        };
    let seg = net.pair(rng, station.0, gate, Tier::Secondary, 150, &path);
    net.valve(rng, seg, mid(path[0], path[1]));

    let rows = block
        .buildings
        .iter()
        .map(|b| b.row)
        .max()
        .map_or(0, |r| r + 1);
    let mut entries = vec![0; block.buildings.len()];
    let mut spine = (gate, gate_at);
    for row in 0..rows {
        let y = block.header_y(row);
        let at = [gate_at[0], y];
        let s = net.node(NodeKind::Junction, at);
        net.pair(rng, spine.0, s, Tier::Secondary, 100, &[spine.1, at]);
        spine = (s, at);

        let mut in_row: Vec<usize> = (0..block.buildings.len())
            .filter(|&i| block.buildings[i].row == row)
            .collect();
        in_row
            .sort_by(|&a, &b| block.buildings[a].entry[0].total_cmp(&block.buildings[b].entry[0]));
        let mut header = spine;
        let mut first = true;
        for i in in_row {
            let entry_at = block.buildings[i].entry;
            let h_at = [entry_at[0], y];
            let h = net.node(NodeKind::Junction, h_at);
            let seg = net.pair(rng, header.0, h, Tier::Secondary, 80, &[header.1, h_at]);
            if first {
                net.valve(rng, seg, mid(header.1, h_at));
                first = false;
            }
            let e = net.node(NodeKind::BuildingEntry, entry_at);
            net.pair(rng, h, e, Tier::Secondary, 50, &[h_at, entry_at]);
            entries[i] = e;
            header = (h, h_at);
        }
    }
    entries
}

/// The lateral from a primary intersection into a station.
pub fn station_lateral(
    net: &mut NetworkBuilder,
    rng: &mut Rng,
    from: (NodeId, [f64; 2]),
    station: (NodeId, [f64; 2]),
) {
    let bend = [station.1[0], from.1[1]];
    let seg = net.pair(
        rng,
        from.0,
        station.0,
        Tier::Primary,
        200,
        &[from.1, bend, station.1],
    );
    net.valve(rng, seg, mid(from.1, bend));
}
