//! The leaders' view (访民问暖): the KPI dashboard and the visit planner, beside the map.

mod dashboard;
mod planner;

use chrono::{Duration, NaiveDate, NaiveTime};
use egui::Ui;

use super::app::HeatDeskApp;
use crate::domain::kpi::{Figure, KpiBreakdown, KpiRules, Kpis};
use crate::domain::planner::{FactorTable, PlanWeights, Priority, Route};
use crate::domain::season::season_start;
use crate::domain::*;
use crate::words::Key;

pub use planner::route_overlay;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    #[default]
    Kpis,
    Planner,
}

/// The period the dashboard covers, ending today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Period {
    Today,
    Week,
    #[default]
    Season,
}

impl Period {
    /// `[from, to)` for a period ending with the day of `now`.
    pub fn range(self, now: Timestamp) -> (Timestamp, Timestamp) {
        let today = now.date();
        let to = (today + Duration::days(1)).and_time(NaiveTime::MIN);
        let from = match self {
            Period::Today => today,
            Period::Week => today - Duration::days(6),
            Period::Season => season_start(today),
        };
        (from.and_time(NaiveTime::MIN), to)
    }
}

/// Which rows the figure table lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    #[default]
    Departments,
    Compounds,
}

/// How the table is shown: which rows, sorted by which figure, worst first or not.
type TableView = (Scope, Option<Figure>, bool);

/// Figures derived from the data, kept until the data, the period or the rules change.
struct Figures {
    key: (u64, Period, KpiRules),
    breakdown: KpiBreakdown,
    daily: Vec<(NaiveDate, Kpis)>,
    /// The table as last sorted, for (scope, sort, worst first).
    rows: Option<(TableView, Vec<dashboard::TableRow>)>,
}

pub struct LeadersState {
    pub tab: Tab,
    pub period: Period,
    pub scope: Scope,
    /// Sort the table by a figure (None: by name); worst first when true.
    pub sort: Option<Figure>,
    pub worst_first: bool,
    figures: Option<Figures>,
    pub weights: PlanWeights,
    factors: Option<(u64, FactorTable)>,
    ranked: Option<((u64, PlanWeights), Vec<Priority>)>,
    /// Compounds picked for the visit day, in the order picked.
    pub picked: Vec<CompoundId>,
    pub suggest_n: usize,
    /// The visit route through `picked` (recomputed when the pick changes).
    pub route: Option<(Vec<CompoundId>, Route)>,
    pub show_rules: bool,
    pub rules_edit: KpiRules,
}

impl Default for LeadersState {
    fn default() -> Self {
        LeadersState {
            tab: Tab::default(),
            period: Period::default(),
            scope: Scope::default(),
            sort: None,
            worst_first: true,
            figures: None,
            weights: PlanWeights::default(),
            factors: None,
            ranked: None,
            picked: Vec::new(),
            suggest_n: 5,
            route: None,
            show_rules: false,
            rules_edit: KpiRules::default(),
        }
    }
}

pub fn show(app: &mut HeatDeskApp, ui: &mut Ui) {
    ui.horizontal(|ui| {
        for (tab, key) in [(Tab::Kpis, Key::KpiTab), (Tab::Planner, Key::PlannerTab)] {
            if ui
                .selectable_label(app.leaders.tab == tab, app.tr(key))
                .clicked()
            {
                app.leaders.tab = tab;
            }
        }
    });
    ui.separator();
    match app.leaders.tab {
        Tab::Kpis => dashboard::show(app, ui),
        Tab::Planner => planner::show(app, ui),
    }
    dashboard::rules_window(app, &ui.ctx().clone());
}
