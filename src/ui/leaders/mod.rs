//! The leaders' view (访民问暖): the KPI dashboard and the visit planner, beside the map.

mod dashboard;
mod planner;

use egui::Ui;

use super::app::HeatDeskApp;
pub use crate::console::views::leaders::Period;
use crate::domain::kpi::{Figure, KpiRules};
use crate::domain::planner::{PlanWeights, Route};
use crate::domain::*;
use crate::words::Key;

pub use planner::route_overlay;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    #[default]
    Kpis,
    Planner,
}

/// Which rows the figure table lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    #[default]
    Departments,
    Compounds,
}

/// How the table is shown: which rows, sorted by which figure, worst first or not.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TableView {
    pub scope: Scope,
    pub sort: Option<Figure>,
    pub worst_first: bool,
}

/// What the table is made from: the figures (their version) and how it is shown.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct TableKey {
    pub figures: u64,
    pub view: TableView,
}

pub struct LeadersState {
    pub tab: Tab,
    pub period: Period,
    pub scope: Scope,
    /// Sort the table by a figure (None: by name); worst first when true.
    pub sort: Option<Figure>,
    pub worst_first: bool,
    /// The table as last named and sorted.
    rows: crate::console::views::memo::Memo<TableKey, Vec<dashboard::TableRow>>,
    pub weights: PlanWeights,
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
            rows: Default::default(),
            weights: PlanWeights::default(),
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
