//! Network tracing on the supply graph: what a segment, valve or station feeds (downstream),
//! which valves isolate a burst, and complaint clusters that point at a network fault.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet, VecDeque};

use petgraph::Direction;
use petgraph::graph::EdgeIndex;
use petgraph::visit::EdgeRef;

use super::model::{BuildingId, Category, NodeId, SegmentId, Ticket, TicketId, Timestamp};
use super::network::PipeGraph;
use super::snapshot::Snapshot;

/// Where a trace starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceFrom {
    /// A pipe segment (supply or return: its pair is traced).
    Segment(SegmentId),
    /// A valve: what closing it cuts off.
    Valve(i64),
    /// A network node (a station's node, a junction).
    Node(NodeId),
}

/// What a point in the network feeds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Downstream {
    /// Supply segments and their return twins (each once).
    pub segments: Vec<SegmentId>,
    pub buildings: Vec<BuildingId>,
}

/// The facts a dispatcher asks for about a trace.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TraceSummary {
    pub compounds: usize,
    pub buildings: usize,
    pub households: u64,
    pub open_tickets: usize,
}

/// The valves to close for a burst, and who loses heat.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Isolation {
    pub valves: Vec<i64>,
    /// Inoperable valves met on the way (skipped to the next ones).
    pub skipped: Vec<i64>,
    pub buildings_without_heat: Vec<BuildingId>,
}

/// The network's topology, prepared once per loaded network (tickets do not change it):
/// graph, valves and entries by segment/node.
#[derive(Clone)]
pub struct Topology {
    graph: PipeGraph,
    /// supply segment → its edge; return segment → its supply twin's edge
    edge_of: HashMap<SegmentId, EdgeIndex>,
    /// supply segment → its return twin
    twin: HashMap<SegmentId, SegmentId>,
    /// supply segment → (valve id, operable)
    valves: HashMap<SegmentId, Vec<(i64, bool)>>,
    /// by node index: the building whose entry the node is
    building_at: Vec<Option<BuildingId>>,
    /// by node index: how many buildings the node feeds (itself included)
    fed_below: Vec<u32>,
    /// by node index: at or below a station (on a secondary network)
    below_station: Vec<bool>,
    /// by node index: the node upstream (u32::MAX at a source or a loose end)
    parent: Vec<u32>,
    /// valve id → its segment
    valve_segment: HashMap<i64, SegmentId>,
}

/// The network around a snapshot: its topology and the tickets and buildings on it.
pub struct Network<'a> {
    snap: &'a Snapshot,
    topo: Cow<'a, Topology>,
}

impl<'a> Network<'a> {
    /// Prepare the topology and trace on it (tests, one-off traces).
    pub fn build(snap: &'a Snapshot) -> Self {
        Network {
            snap,
            topo: Cow::Owned(Topology::build(snap)),
        }
    }

    /// Trace on a topology prepared earlier for the same network.
    pub fn on(snap: &'a Snapshot, topo: &'a Topology) -> Self {
        Network {
            snap,
            topo: Cow::Borrowed(topo),
        }
    }
}

impl std::ops::Deref for Network<'_> {
    type Target = Topology;
    fn deref(&self) -> &Topology {
        &self.topo
    }
}

impl Topology {
    pub fn build(snap: &Snapshot) -> Self {
        let graph = PipeGraph::build(&snap.nodes, &snap.segments);
        let mut edge_of = HashMap::new();
        for e in graph.graph().edge_indices() {
            edge_of.insert(graph.graph()[e], e);
        }
        let supply_by_ends: HashMap<(NodeId, NodeId), SegmentId> = snap
            .segments
            .iter()
            .filter(|s| s.flow == super::model::Flow::Supply)
            .map(|s| ((s.from, s.to), s.id))
            .collect();
        let mut twin = HashMap::new();
        for s in snap
            .segments
            .iter()
            .filter(|s| s.flow == super::model::Flow::Return)
        {
            if let Some(&supply) = supply_by_ends.get(&(s.from, s.to)) {
                twin.insert(supply, s.id);
                if let Some(&e) = edge_of.get(&supply) {
                    edge_of.insert(s.id, e);
                }
            }
        }
        let mut valves: HashMap<SegmentId, Vec<(i64, bool)>> = HashMap::new();
        for v in &snap.valves {
            let supply = snap
                .segment_pos(v.segment)
                .map(|i| &snap.segments[i])
                .and_then(|s| edge_of.get(&s.id))
                .map(|&e| graph.graph()[e])
                .unwrap_or(v.segment);
            valves.entry(supply).or_default().push((v.id, v.operable));
        }
        let mut building_at = vec![None; graph.graph().node_count()];
        for b in &snap.buildings {
            if let Some(ix) = graph.node_index(b.entry_node) {
                building_at[ix.index()] = Some(b.id);
            }
        }
        // what every point feeds and which points are below a station: topology alone, so
        // counted once here rather than on every look for complaint clusters
        let g = graph.graph();
        let parent: Vec<u32> = g
            .node_indices()
            .map(|n| {
                g.edges_directed(n, Direction::Incoming)
                    .next()
                    .map_or(u32::MAX, |e| e.source().index() as u32)
            })
            .collect();
        let mut fed_below = vec![0u32; g.node_count()];
        for ix in snap
            .buildings
            .iter()
            .filter_map(|b| graph.node_index(b.entry_node))
        {
            let mut n = ix;
            loop {
                fed_below[n.index()] += 1;
                match g.edges_directed(n, Direction::Incoming).next() {
                    Some(e) => n = e.source(),
                    None => break,
                }
            }
        }
        let mut below_station = vec![false; g.node_count()];
        let mut stack: Vec<_> = snap
            .stations
            .iter()
            .filter_map(|s| graph.node_index(s.node))
            .collect();
        while let Some(n) = stack.pop() {
            if !below_station[n.index()] {
                below_station[n.index()] = true;
                stack.extend(g.neighbors_directed(n, Direction::Outgoing));
            }
        }
        Topology {
            graph,
            edge_of,
            twin,
            valves,
            building_at,
            fed_below,
            below_station,
            parent,
            valve_segment: snap.valves.iter().map(|v| (v.id, v.segment)).collect(),
        }
    }

    fn start_edge(&self, from: TraceFrom) -> Option<Result<EdgeIndex, NodeId>> {
        match from {
            TraceFrom::Segment(s) => self.edge_of.get(&s).copied().map(Ok),
            TraceFrom::Valve(v) => {
                let segment = self.valve_segment.get(&v)?;
                self.edge_of.get(segment).copied().map(Ok)
            }
            TraceFrom::Node(n) => Some(Err(n)),
        }
    }

    /// Everything downstream of `from`: the segments it feeds and the buildings at their ends.
    pub fn downstream(&self, from: TraceFrom) -> Downstream {
        let g = self.graph.graph();
        let mut out = Downstream::default();
        let mut queue = VecDeque::new();
        match self.start_edge(from) {
            Some(Ok(e)) => {
                self.add_segment(&mut out, g[e]);
                if let Some((_, to)) = g.edge_endpoints(e) {
                    queue.push_back(to);
                }
            }
            Some(Err(node)) => {
                if let Some(ix) = self.graph.node_index(node) {
                    queue.push_back(ix);
                }
            }
            None => return out,
        }
        // visited marks by node index: a city trace touches 100,000 nodes
        let mut seen = vec![false; g.node_count()];
        while let Some(n) = queue.pop_front() {
            if std::mem::replace(&mut seen[n.index()], true) {
                continue;
            }
            if let Some(b) = self.building_at[n.index()] {
                out.buildings.push(b);
            }
            for e in g.edges_directed(n, Direction::Outgoing) {
                self.add_segment(&mut out, *e.weight());
                queue.push_back(e.target());
            }
        }
        out.buildings.sort_unstable();
        out
    }

    fn add_segment(&self, out: &mut Downstream, supply: SegmentId) {
        out.segments.push(supply);
        if let Some(&r) = self.twin.get(&supply) {
            out.segments.push(r);
        }
    }

    /// A burst on `segment`: the nearest operable valves on every path into and out of it
    /// (inoperable ones are passed to the next), and the buildings that lose heat once the
    /// upstream valves are closed.
    pub fn isolate(&self, segment: SegmentId) -> Isolation {
        let g = self.graph.graph();
        let Some(&burst) = self.edge_of.get(&segment) else {
            return Isolation::default();
        };
        let mut result = Isolation::default();
        let mut upstream_valves = Vec::new();
        let mut seen_edges = HashSet::from([burst]);
        let mut queue = VecDeque::new();
        if let Some((a, b)) = g.edge_endpoints(burst) {
            queue.push_back((a, true));
            queue.push_back((b, false));
        }
        let mut seen_nodes = HashSet::new();
        while let Some((n, going_up)) = queue.pop_front() {
            if !seen_nodes.insert((n, going_up)) {
                continue;
            }
            let dirs: &[Direction] = if going_up {
                &[Direction::Incoming]
            } else {
                &[Direction::Outgoing]
            };
            for &dir in dirs {
                for e in g.edges_directed(n, dir) {
                    if !seen_edges.insert(e.id()) {
                        continue;
                    }
                    let valves = self
                        .valves
                        .get(e.weight())
                        .map(Vec::as_slice)
                        .unwrap_or(&[]);
                    if let Some(&(v, _)) = valves.iter().find(|(_, ok)| *ok) {
                        result.valves.push(v);
                        if going_up {
                            upstream_valves.push(e.id());
                        }
                        continue;
                    }
                    result.skipped.extend(valves.iter().map(|(v, _)| *v));
                    let next = if going_up { e.source() } else { e.target() };
                    queue.push_back((next, going_up));
                }
            }
        }
        // below each closed upstream valve nothing gets heat; with no valve upstream at all,
        // the whole tree from the source does not either
        let mut lost = Vec::new();
        if upstream_valves.is_empty()
            && let Some((a, _)) = g.edge_endpoints(burst)
        {
            lost.extend(self.downstream(TraceFrom::Node(g[a])).buildings);
        }
        for e in upstream_valves {
            lost.extend(self.downstream(TraceFrom::Segment(g[e])).buildings);
        }
        lost.sort_unstable();
        lost.dedup();
        result.buildings_without_heat = lost;
        result.valves.sort_unstable();
        result.skipped.sort_unstable();
        result.skipped.dedup();
        result
    }
}

/// A suspected network fault: enough buildings under one point complain of cold.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// The deepest network node above all the complaining buildings of the cluster.
    pub node: NodeId,
    /// Where that node is (for the map's alert).
    pub position: super::model::LonLat,
    /// The segment that feeds that node (to trace, isolate or ticket).
    pub feeding_segment: Option<SegmentId>,
    pub buildings: Vec<BuildingId>,
    pub tickets: Vec<TicketId>,
    /// Buildings the point feeds in all.
    pub fed_buildings: usize,
}

/// When complaints count as a cluster (a setting: the dispatcher may tighten or loosen it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClusterRules {
    /// at least this many different buildings (default 3)
    pub min_buildings: usize,
    /// …which are at least this share of the buildings the point feeds (so that a handful of
    /// complaints across a whole district do not accuse the trunk main)
    pub min_share: f64,
    /// only tickets received after this time count
    pub since: Timestamp,
}

impl ClusterRules {
    /// The default: 3 buildings and 30 % of what the point feeds, reports of the last `hours`
    /// (a fifth raised too many alerts for scattered household faults on the demo city).
    pub fn recent(now: Timestamp, hours: i64) -> Self {
        ClusterRules {
            min_buildings: 3,
            min_share: 0.3,
            since: now - chrono::Duration::hours(hours),
        }
    }
}

impl Network<'_> {
    /// Compounds, buildings, households and open tickets among a set of buildings.
    pub fn summary(&self, buildings: &[BuildingId]) -> TraceSummary {
        let set: HashSet<BuildingId> = buildings.iter().copied().collect();
        let mut compounds = HashSet::new();
        let mut households = 0u64;
        for &b in buildings {
            if let Some(x) = self.snap.building(b) {
                compounds.insert(x.compound_id);
                households += x.households as u64;
            }
        }
        TraceSummary {
            compounds: compounds.len(),
            buildings: set.len(),
            households,
            open_tickets: self
                .snap
                .tickets
                .iter()
                .filter(|t| t.status.is_open() && set.contains(&t.building_id))
                .count(),
        }
    }

    /// Open low-temperature / no-heat tickets grouped under the network point they share.
    pub fn clusters(&self, rules: &ClusterRules) -> Vec<Cluster> {
        self.clusters_among(rules, self.snap.tickets.iter())
    }

    /// [`Network::clusters`] among these tickets only (the open ones, say): the rest of the
    /// season need not be looked at.
    pub fn clusters_among<'t>(
        &self,
        rules: &ClusterRules,
        tickets: impl Iterator<Item = &'t Ticket>,
    ) -> Vec<Cluster> {
        use petgraph::graph::NodeIndex;
        let g = self.graph.graph();
        let mut tickets_of: HashMap<BuildingId, Vec<TicketId>> = HashMap::new();
        for t in tickets.filter(|t| {
            t.status.is_open()
                && t.parent_id.is_none()
                && matches!(t.category, Category::LowTemperature | Category::NoHeat)
                && t.created_at >= rules.since
        }) {
            tickets_of.entry(t.building_id).or_default().push(t.id);
        }
        let up = |n: NodeIndex| {
            Some(self.parent[n.index()])
                .filter(|&p| p != u32::MAX)
                .map(|p| NodeIndex::new(p as usize))
        };
        // every complaining building with its entry node, in id order (a stable outcome)
        let mut complaining: Vec<(BuildingId, NodeIndex)> = tickets_of
            .keys()
            .filter_map(|&b| {
                let entry = self.snap.building(b)?.entry_node;
                Some((b, self.graph.node_index(entry)?))
            })
            .collect();
        complaining.sort_unstable();
        // how many complaining buildings every point carries: counted walking up from each
        let mut count = vec![0u32; g.node_count()];
        let mut touched = Vec::new();
        for &(_, entry) in &complaining {
            let mut n = Some(entry);
            while let Some(x) = n {
                if count[x.index()] == 0 {
                    touched.push(x);
                }
                count[x.index()] += 1;
                n = up(x);
            }
        }
        let fed = |n: NodeIndex| self.fed_below[n.index()] as usize;
        // a cluster point is a station or below it: complaints whose only common point is on
        // the primary network (different stations) say nothing about one pipe
        let qualifies = |n: NodeIndex| {
            let c = count[n.index()] as usize;
            self.below_station[n.index()]
                && c >= rules.min_buildings
                && c as f64 / fed(n).max(1) as f64 >= rules.min_share
        };
        // candidate points: qualifying, and where the complaints meet (not a pass-through
        // whose one branch carries them all)
        let mut candidates: Vec<NodeIndex> = touched
            .into_iter()
            .filter(|&n| {
                qualifies(n)
                    && !g
                        .edges_directed(n, Direction::Outgoing)
                        .any(|e| count[e.target().index()] == count[n.index()])
            })
            .collect();
        // the widest first: a point that explains more complaints takes the smaller points
        // below it (one alert for a compound's branch, not one per row of buildings)
        candidates.sort_by_key(|&n| (std::cmp::Reverse(count[n.index()]), g[n]));
        let mut chosen_at = vec![u32::MAX; g.node_count()];
        let mut chosen: Vec<NodeIndex> = Vec::new();
        for n in candidates {
            // in a tree, a narrower point shares buildings with a wider one only below it
            let mut above = Some(n);
            let mut covered = false;
            while let Some(x) = above {
                if chosen_at[x.index()] != u32::MAX {
                    covered = true;
                    break;
                }
                above = up(x);
            }
            if !covered {
                chosen_at[n.index()] = chosen.len() as u32;
                chosen.push(n);
            }
        }
        // each complaining building belongs to the chosen point above it, if any
        let mut buildings_of: Vec<Vec<BuildingId>> = vec![Vec::new(); chosen.len()];
        for &(b, entry) in &complaining {
            let mut n = Some(entry);
            while let Some(x) = n {
                if let Some(i) = Some(chosen_at[x.index()]).filter(|&i| i != u32::MAX) {
                    buildings_of[i as usize].push(b);
                    break;
                }
                n = up(x);
            }
        }
        let mut out: Vec<Cluster> = chosen
            .into_iter()
            .zip(buildings_of)
            .map(|(n, bs)| Cluster {
                node: g[n],
                position: self
                    .snap
                    .nodes
                    .get(n.index())
                    .map_or([0.0, 0.0], |x| x.position),
                feeding_segment: g
                    .edges_directed(n, Direction::Incoming)
                    .next()
                    .map(|e| *e.weight()),
                tickets: bs
                    .iter()
                    .flat_map(|b| tickets_of[b].iter().copied())
                    .collect(),
                buildings: bs,
                fed_buildings: fed(n),
            })
            .collect();
        out.sort_by_key(|c| c.node);
        out
    }
}
