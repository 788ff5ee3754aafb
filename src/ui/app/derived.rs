//! What the console derives from the tickets — the board, the map's counts, the KPI chips and
//! the complaint alerts — kept up after each change from the touched tickets, not recomputed
//! over the season.

use chrono::{Duration, NaiveTime};

use super::{Board, CLUSTER_WINDOW_HOURS, HeatDeskApp};
use crate::domain::kpi::KpiFacts;
use crate::domain::trace::{Cluster, ClusterRules};
use crate::domain::*;

impl HeatDeskApp {
    /// Tickets changed: recount what the map, the board, the KPI chips and the alerts show.
    pub fn data_changed(&mut self) {
        self.refresh(true, None);
    }

    /// Whether these new versions of tickets (not yet in the snapshot) move the complaint
    /// clusters: a cold report opened, closed, linked or new. Assigning one does not.
    pub(super) fn moves_clusters<'t>(&self, mut tickets: impl Iterator<Item = &'t Ticket>) -> bool {
        let counts = |t: &Ticket| {
            t.status.is_open()
                && t.parent_id.is_none()
                && matches!(t.category, Category::LowTemperature | Category::NoHeat)
        };
        tickets.any(|t| self.snap.ticket(t.id).is_some_and(counts) != counts(t))
    }

    /// Recount the derived views; `touched`: only these tickets changed (None: anything may
    /// have).
    pub(super) fn refresh(&mut self, alerts: bool, touched: Option<&[TicketId]>) {
        let now = self.now();
        self.data_gen += 1;
        match touched {
            Some(ids) => self.board.update(&self.snap, ids),
            None => self.board = Board::derive(&self.snap),
        }
        self.map
            .recount(&self.snap, now, self.prefs.map.metric, &self.board.open);

        match touched {
            Some(ids) if !self.kpi_facts.outgrown(&self.snap) => {
                self.kpi_facts.update(&self.snap, ids)
            }
            _ => self.kpi_facts = KpiFacts::of(&self.snap),
        }
        let today = now.date().and_time(NaiveTime::MIN);
        self.kpis = self.kpi_facts.city(
            &self.snap,
            (today, today + Duration::days(1)),
            now,
            &self.snap.kpi_rules,
        );
        if alerts
            || self
                .alerts_at
                .is_none_or(|at| now - at >= Duration::minutes(5))
        {
            self.refresh_alerts(now);
        }
    }

    /// Complaint clusters over the whole city (the heaviest derived view: only when cold
    /// reports changed, and every five minutes as the window slides).
    pub(super) fn refresh_alerts(&mut self, now: Timestamp) {
        // among the open cold reports only (a few hundred), not the season
        let snap = &self.snap;
        let reports = self
            .board
            .open
            .iter()
            .filter(|o| o.cold)
            .filter_map(|o| snap.ticket(o.id));
        let clusters = self
            .network()
            .clusters_among(&ClusterRules::recent(now, CLUSTER_WINDOW_HOURS), reports);
        self.show_alerts(clusters, now);
    }

    pub(super) fn show_alerts(&mut self, clusters: Vec<Cluster>, now: Timestamp) {
        self.alerts_at = Some(now);
        self.alerts = clusters;
        // the widest first: the queue lists the first few
        self.alerts
            .sort_by_key(|c| (std::cmp::Reverse(c.buildings.len()), c.node));
        self.map_alerts = self
            .alerts
            .iter()
            .map(|c| crate::map::overlays::MapAlert {
                position: c.position,
                text: crate::ui::alerts::headline(self, c),
            })
            .collect();
    }
}
