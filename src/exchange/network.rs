//! Pipes from a GIS file become a graph: their ends are snapped to nodes (a building's entry
//! when the end lies in its footprint, else the nearest node within the tolerance, else a new
//! junction), turned to flow away from the heat sources, and checked for dangling ends and
//! buildings no source reaches.

use crate::words::Lang;
use std::collections::{HashMap, VecDeque};

use geo::Contains;
use rstar::primitives::{GeomWithData, Line, Rectangle};
use rstar::{AABB, RTree};

use crate::domain::network::PipeGraph;
use crate::domain::{BuildingId, Flow, LonLat, NodeId, NodeKind, SegmentId, Snapshot};

type Metres = [f64; 2];

/// Degrees to local metres around an origin (equirectangular: exact enough within a city).
#[derive(Debug, Clone, Copy)]
struct Local {
    origin: LonLat,
    kx: f64,
}

impl Local {
    fn new(origin: LonLat) -> Self {
        Local {
            origin,
            kx: 111_320.0 * origin[1].to_radians().cos(),
        }
    }
    fn m(&self, p: LonLat) -> Metres {
        [
            (p[0] - self.origin[0]) * self.kx,
            (p[1] - self.origin[1]) * 110_540.0,
        ]
    }
}

/// Where pipe ends and valves find their place in the network.
pub struct Snapper {
    local: Option<Local>,
    nodes: RTree<GeomWithData<Metres, NodeId>>,
    footprints: RTree<GeomWithData<Rectangle<Metres>, usize>>,
    entries: Vec<(NodeId, geo::Polygon)>,
    supply: RTree<GeomWithData<Line<Metres>, SegmentId>>,
}

impl Snapper {
    pub fn new(snap: &Snapshot) -> Snapper {
        let origin = snap
            .nodes
            .first()
            .map(|n| n.position)
            .or_else(|| snap.buildings.first().map(|b| b.footprint[0]));
        let mut s = Snapper {
            local: origin.map(Local::new),
            nodes: RTree::new(),
            footprints: RTree::new(),
            entries: Vec::new(),
            supply: RTree::new(),
        };
        let Some(local) = s.local else { return s };
        s.nodes = RTree::bulk_load(
            snap.nodes
                .iter()
                .map(|n| GeomWithData::new(local.m(n.position), n.id))
                .collect(),
        );
        let mut boxes = Vec::new();
        for b in snap.buildings.iter().filter(|b| b.footprint.len() >= 4) {
            let ring: Vec<Metres> = b.footprint.iter().map(|&p| local.m(p)).collect();
            let aabb = AABB::from_points(ring.iter());
            boxes.push(GeomWithData::new(
                Rectangle::from_corners(aabb.lower(), aabb.upper()),
                s.entries.len(),
            ));
            s.entries.push((
                b.entry_node,
                geo::Polygon::new(
                    geo::LineString::from(ring.iter().map(|p| (p[0], p[1])).collect::<Vec<_>>()),
                    vec![],
                ),
            ));
        }
        s.footprints = RTree::bulk_load(boxes);
        s.supply = RTree::bulk_load(
            snap.segments
                .iter()
                .filter(|seg| seg.flow == Flow::Supply)
                .flat_map(|seg| {
                    seg.path.windows(2).map(move |w| {
                        GeomWithData::new(Line::new(local.m(w[0]), local.m(w[1])), seg.id)
                    })
                })
                .collect(),
        );
        s
    }

    fn local(&mut self, p: LonLat) -> Local {
        *self.local.get_or_insert_with(|| Local::new(p))
    }

    /// The entry node of the building whose footprint holds `p`.
    pub fn building_at(&mut self, p: LonLat) -> Option<NodeId> {
        let m = self.local(p).m(p);
        let point = geo::Point::new(m[0], m[1]);
        self.footprints
            .locate_all_at_point(&m)
            .map(|hit| &self.entries[hit.data])
            .find(|(_, polygon)| polygon.contains(&point))
            .map(|(node, _)| *node)
    }

    /// The nearest node within `tolerance_m` metres.
    pub fn nearest_node(&mut self, p: LonLat, tolerance_m: f64) -> Option<NodeId> {
        let m = self.local(p).m(p);
        self.nodes
            .nearest_neighbor(&m)
            .filter(|n| {
                let d = [n.geom()[0] - m[0], n.geom()[1] - m[1]];
                d[0].hypot(d[1]) <= tolerance_m
            })
            .map(|n| n.data)
    }

    pub fn add_node(&mut self, id: NodeId, p: LonLat) {
        let m = self.local(p).m(p);
        self.nodes.insert(GeomWithData::new(m, id));
    }

    /// The supply pipe passing nearest `p`, within `tolerance_m` metres.
    pub fn nearest_supply(&mut self, p: LonLat, tolerance_m: f64) -> Option<SegmentId> {
        use rstar::PointDistance;
        let m = self.local(p).m(p);
        self.supply
            .nearest_neighbor(&m)
            .filter(|l| l.geom().distance_2(&m).sqrt() <= tolerance_m)
            .map(|l| l.data)
    }
}

/// What the network looks like after an import.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NetworkReport {
    pub segments: usize,
    /// Pipe ends joined to an existing node or a building by snapping.
    pub snapped_ends: usize,
    pub new_junctions: usize,
    /// Snapped pipes turned round to flow away from the sources.
    pub reversed: usize,
    /// Junctions where a single supply pipe ends (the first 20, and how many).
    pub dangling: Vec<(NodeId, LonLat)>,
    pub dangling_total: usize,
    /// Buildings no heat source reaches (the first 20 labels, and how many).
    pub unreached: Vec<(BuildingId, String)>,
    pub unreached_total: usize,
}

pub const LISTED: usize = 20;

impl NetworkReport {
    /// The report's lines about the network, in `lang`.
    pub fn lines(&self, lang: Lang, lines: &mut Vec<String>) {
        let (segments, snapped, junctions, reversed) = (
            self.segments,
            self.snapped_ends,
            self.new_junctions,
            self.reversed,
        );
        let (dangling, unreached) = (self.dangling_total, self.unreached_total);
        match lang {
            Lang::Zh => {
                lines.push(format!(
                    "  管网：{segments} 段管；吸附端点 {snapped} 个，新建节点 {junctions} 个，{reversed} 段调为从热源流出"
                ));
                lines.push(format!("  悬空端点：{dangling}"));
            }
            Lang::En => {
                lines.push(format!(
                    "  network: {segments} pipe segment(s); {snapped} end(s) snapped, {junctions} new junction(s), {reversed} turned to flow from the source"
                ));
                lines.push(format!("  dangling ends: {dangling}"));
            }
        }
        for (node, p) in &self.dangling {
            let (lon, lat) = (p[0], p[1]);
            lines.push(match lang {
                Lang::Zh => format!("    节点 {node}，位于 {lon:.6}, {lat:.6}"),
                Lang::En => format!("    node {node} at {lon:.6}, {lat:.6}"),
            });
        }
        lines.push(match lang {
            Lang::Zh => format!("  热源到不了的楼栋：{unreached}"),
            Lang::En => format!("  buildings no heat source reaches: {unreached}"),
        });
        for (id, label) in &self.unreached {
            lines.push(match lang {
                Lang::Zh => format!("    楼栋 {id} {label}"),
                Lang::En => format!("    building {id} {label}"),
            });
        }
    }
}

/// Hops from the nearest heat source over supply pipes, either way round.
fn hops_from_sources(snap: &Snapshot) -> HashMap<NodeId, u32> {
    let mut adjacent: HashMap<NodeId, Vec<NodeId>> = HashMap::new();
    for s in snap.segments.iter().filter(|s| s.flow == Flow::Supply) {
        adjacent.entry(s.from).or_default().push(s.to);
        adjacent.entry(s.to).or_default().push(s.from);
    }
    let mut hops = HashMap::new();
    let mut queue = VecDeque::new();
    for n in snap.nodes.iter().filter(|n| n.kind == NodeKind::Source) {
        hops.insert(n.id, 0);
        queue.push_back(n.id);
    }
    while let Some(n) = queue.pop_front() {
        let h = hops[&n];
        for &next in adjacent.get(&n).into_iter().flatten() {
            hops.entry(next).or_insert_with(|| {
                queue.push_back(next);
                h + 1
            });
        }
    }
    hops
}

/// The snapped segments that run towards the sources (to be turned round).
pub fn to_reverse(snap: &Snapshot, snapped: &[SegmentId]) -> Vec<SegmentId> {
    let hops = hops_from_sources(snap);
    let hop = |n: NodeId| hops.get(&n).copied().unwrap_or(u32::MAX);
    snapped
        .iter()
        .filter_map(|&id| snap.segment_pos(id).map(|i| (id, &snap.segments[i])))
        .filter(|(_, s)| hop(s.to) < hop(s.from))
        .map(|(id, _)| id)
        .collect()
}

/// Dangling ends and unreached buildings of the network as it stands.
pub fn check(snap: &Snapshot, report: &mut NetworkReport) {
    let mut degree: HashMap<NodeId, u32> = HashMap::new();
    for s in snap.segments.iter().filter(|s| s.flow == Flow::Supply) {
        *degree.entry(s.from).or_default() += 1;
        *degree.entry(s.to).or_default() += 1;
    }
    let dangling: Vec<(NodeId, LonLat)> = snap
        .nodes
        .iter()
        .filter(|n| n.kind == NodeKind::Junction && degree.get(&n.id) == Some(&1))
        .map(|n| (n.id, n.position))
        .collect();
    report.dangling_total = dangling.len();
    report.dangling = dangling.into_iter().take(LISTED).collect();
    let graph = PipeGraph::build(&snap.nodes, &snap.segments);
    let unreached = graph.unfed_buildings(snap.buildings.iter().map(|b| (b.id, b.entry_node)));
    report.unreached_total = unreached.len();
    report.unreached = unreached
        .into_iter()
        .take(LISTED)
        .map(|b| (b, snap.building_label(b)))
        .collect();
}
