//! Suspected network faults: complaint clusters among the open cold reports of the last two
//! days, the widest first.

use crate::domain::trace::{Cluster, ClusterRules, Network, Topology};
use crate::domain::{Snapshot, Timestamp};

use super::board::OpenTicket;

/// Complaints of the last two days count towards a suspected network fault.
pub const CLUSTER_WINDOW_HOURS: i64 = 48;

/// The clusters found, and when (the window slides: they are looked for again every five
/// minutes, and whenever a cold report opens, closes or is linked).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Alerts {
    pub clusters: Vec<Cluster>,
    pub at: Option<Timestamp>,
}

impl Alerts {
    /// Among the open cold reports only (a few hundred), not the season.
    pub fn find(snap: &Snapshot, topology: &Topology, open: &[OpenTicket], now: Timestamp) -> Self {
        let reports = open
            .iter()
            .filter(|o| o.cold)
            .filter_map(|o| snap.ticket(o.id));
        let clusters = Network::on(snap, topology)
            .clusters_among(&ClusterRules::recent(now, CLUSTER_WINDOW_HOURS), reports);
        Self::sorted(clusters, now)
    }

    /// The widest first (the queue lists the first few).
    pub fn sorted(mut clusters: Vec<Cluster>, now: Timestamp) -> Self {
        clusters.sort_by_key(|c| (std::cmp::Reverse(c.buildings.len()), c.node));
        Alerts {
            clusters,
            at: Some(now),
        }
    }

    /// Due to be looked for again as the window slides.
    pub fn stale(&self, now: Timestamp) -> bool {
        self.at
            .is_none_or(|at| now - at >= chrono::Duration::minutes(5))
    }
}
