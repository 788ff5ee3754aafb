//! The pipe network as a graph (heat source → stations → building entries), built once.

use std::collections::HashMap;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::Bfs;

use super::model::{BuildingId, Flow, NetworkNode, NodeId, NodeKind, PipeSegment, SegmentId};

/// Supply-side topology: an edge for each supply segment, from its upstream end.
/// Return pipes mirror supply pipes node for node, so tracing the supply side is enough.
#[derive(Clone)]
pub struct PipeGraph {
    graph: DiGraph<NodeId, SegmentId>,
    index: HashMap<NodeId, NodeIndex>,
    sources: Vec<NodeIndex>,
}

impl PipeGraph {
    pub fn build(nodes: &[NetworkNode], segments: &[PipeSegment]) -> Self {
        let mut graph = DiGraph::with_capacity(nodes.len(), segments.len() / 2);
        let mut index = HashMap::with_capacity(nodes.len());
        let mut sources = Vec::new();
        for node in nodes {
            let ix = graph.add_node(node.id);
            index.insert(node.id, ix);
            if node.kind == NodeKind::Source {
                sources.push(ix);
            }
        }
        for seg in segments.iter().filter(|s| s.flow == Flow::Supply) {
            if let (Some(&a), Some(&b)) = (index.get(&seg.from), index.get(&seg.to)) {
                graph.add_edge(a, b, seg.id);
            }
        }
        PipeGraph {
            graph,
            index,
            sources,
        }
    }

    /// Every node that heat can reach from any heat source along supply pipes.
    pub fn fed_nodes(&self) -> std::collections::HashSet<NodeId> {
        let mut fed = std::collections::HashSet::new();
        for &source in &self.sources {
            let mut bfs = Bfs::new(&self.graph, source);
            while let Some(ix) = bfs.next(&self.graph) {
                fed.insert(self.graph[ix]);
            }
        }
        fed
    }

    /// Buildings whose entry node no heat source reaches (should be none in a sound network).
    pub fn unfed_buildings<'a>(
        &self,
        entries: impl IntoIterator<Item = (BuildingId, NodeId)> + 'a,
    ) -> Vec<BuildingId> {
        let fed = self.fed_nodes();
        entries
            .into_iter()
            .filter(|(_, node)| !fed.contains(node))
            .map(|(b, _)| b)
            .collect()
    }

    pub fn graph(&self) -> &DiGraph<NodeId, SegmentId> {
        &self.graph
    }

    pub fn node_index(&self, node: NodeId) -> Option<NodeIndex> {
        self.index.get(&node).copied()
    }

    pub fn node_count(&self) -> usize {
        self.index.len()
    }
}
