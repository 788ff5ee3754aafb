//! The map view: walkers' map with one plugin per layer, hit-testing through the R-tree.

pub mod index;
pub mod layers;
pub mod style;

use egui::Ui;
use serde::{Deserialize, Serialize};
use walkers::{Map, MapMemory, lon_lat};

use crate::domain::{Severity, Snapshot, TeamId, Timestamp};
use index::{CityIndex, Feature};
use layers::{Aggregates, project, unproject};

/// Which layers are on (persisted with the window state).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LayerToggles {
    pub compounds: bool,
    pub buildings: bool,
    pub pipes: bool,
    pub tickets: bool,
    pub teams: bool,
}

impl Default for LayerToggles {
    fn default() -> Self {
        LayerToggles {
            compounds: true,
            buildings: true,
            pipes: true,
            tickets: true,
            teams: true,
        }
    }
}

/// What the pointer did on the map this frame.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MapHits {
    pub hovered: Option<Hit>,
    pub clicked: Option<Hit>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Hit {
    Feature(Feature),
    Team(TeamId),
}

/// The map's own state: walkers' memory and the geometry prepared for the current data.
pub struct MapView {
    pub memory: MapMemory,
    index: Option<CityIndex>,
    pub aggregates: Aggregates,
}

impl MapView {
    pub fn new(zoom: f64) -> Self {
        let mut memory = MapMemory::default();
        let _ = memory.set_zoom(zoom);
        MapView {
            memory,
            index: None,
            aggregates: Aggregates::default(),
        }
    }

    /// Geometry changed (new data loaded): rebuild the index on next use.
    pub fn invalidate_geometry(&mut self) {
        self.index = None;
    }

    pub fn index(&mut self, snap: &Snapshot) -> &CityIndex {
        self.index.get_or_insert_with(|| CityIndex::build(snap))
    }

    /// Recount open and overdue tickets per building and compound (after tickets change).
    pub fn recount(&mut self, snap: &Snapshot, now: Timestamp) {
        let mut agg = Aggregates {
            open_by_building: vec![0; snap.buildings.len()],
            open_by_compound: vec![0; snap.compounds.len()],
            overdue_by_building: vec![0; snap.buildings.len()],
            worst_by_building: vec![0; snap.buildings.len()],
        };
        let building_pos: std::collections::HashMap<i64, usize> = snap
            .buildings
            .iter()
            .enumerate()
            .map(|(i, b)| (b.id, i))
            .collect();
        let compound_pos: std::collections::HashMap<i64, usize> = snap
            .compounds
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id, i))
            .collect();
        for t in snap.tickets.iter().filter(|t| t.status.is_open()) {
            let Some(&bi) = building_pos.get(&t.building_id) else {
                continue;
            };
            agg.open_by_building[bi] += 1;
            if t.is_overdue(now) {
                agg.overdue_by_building[bi] += 1;
            }
            let sev = match t.severity {
                Severity::Normal => 1,
                Severity::Urgent => 2,
                Severity::Emergency => 3,
            };
            agg.worst_by_building[bi] = agg.worst_by_building[bi].max(sev);
            if let Some(&ci) = compound_pos.get(&snap.buildings[bi].compound_id) {
                agg.open_by_compound[ci] += 1;
            }
        }
        self.aggregates = agg;
    }

    /// Draw the map with the chosen layers; report hover and click.
    pub fn show(
        &mut self,
        ui: &mut Ui,
        snap: &Snapshot,
        layers: LayerToggles,
        selected: Option<Feature>,
        home: [f64; 2],
    ) -> (MapHits, Option<egui::Response>) {
        self.index(snap);
        let MapView {
            memory,
            index,
            aggregates,
        } = self;
        let Some(index) = index.as_ref() else {
            return (MapHits::default(), None);
        };
        let mut map = Map::new(None, memory, lon_lat(home[0], home[1]));
        if layers.compounds {
            map = map.with_plugin(layers::CompoundLayer {
                snap,
                index,
                agg: aggregates,
                selected,
            });
        }
        if layers.pipes {
            map = map.with_plugin(layers::PipeLayer {
                snap,
                index,
                selected,
            });
        }
        if layers.buildings {
            map = map.with_plugin(layers::BuildingLayer {
                snap,
                index,
                agg: aggregates,
                selected,
            });
        }
        map = map.with_plugin(layers::ActivityLayer {
            snap,
            index,
            agg: aggregates,
            show_tickets: layers.tickets,
            show_teams: layers.teams,
        });
        ui.painter()
            .rect_filled(ui.available_rect_before_wrap(), 0.0, style::BACKGROUND);
        let shown = map.show(ui, |_ui, response, projector, _| {
            let pick = |at: egui::Pos2| -> Option<Hit> {
                if layers.teams {
                    let near_team = snap
                        .teams
                        .iter()
                        .map(|t| (t.id, project(projector, t.position).distance(at)))
                        .filter(|(_, d)| *d <= 8.0)
                        .min_by(|a, b| a.1.total_cmp(&b.1));
                    if let Some((id, _)) = near_team {
                        return Some(Hit::Team(id));
                    }
                }
                let p = unproject(projector, at);
                let tolerance = layers::degrees_per_pixels(projector, 8.0);
                if let Some(f) = index.point_feature_near(snap, p, tolerance) {
                    return Some(Hit::Feature(f));
                }
                if layers.buildings
                    && projector.zoom() >= layers::BUILDINGS_FROM_ZOOM
                    && let Some(b) = index.building_at(p)
                {
                    return Some(Hit::Feature(Feature::Building(b)));
                }
                index
                    .compound_at(p)
                    .map(|c| Hit::Feature(Feature::Compound(c)))
            };
            let hovered = response.hover_pos().and_then(pick);
            let clicked = if response.clicked() {
                response.interact_pointer_pos().and_then(pick)
            } else {
                None
            };
            MapHits { hovered, clicked }
        });
        (shown.inner, Some(shown.response))
    }

    /// Centre the map on a place (search results, "show on map").
    pub fn fly_to(&mut self, at: [f64; 2], zoom: f64) {
        self.memory.center_at(lon_lat(at[0], at[1]));
        let _ = self.memory.set_zoom(zoom);
    }
}
