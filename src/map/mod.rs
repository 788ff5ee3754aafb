//! The map view: walkers' map with a tile layer and one plugin per data layer, hit-testing
//! through the R-tree.

pub mod basemap;
pub mod index;
pub mod layers;
pub mod overlays;
pub mod style;
pub mod tiles;

use std::path::PathBuf;

use egui::Ui;
use serde::{Deserialize, Serialize};
use walkers::{Map, MapMemory, lon_lat};

use crate::console::views::colours::Colours;
use crate::console::views::counts::MapCounts;
use crate::domain::{Snapshot, TeamId};
use index::{CityIndex, Feature};
use layers::Screen;

/// What shades the map: the counts per building and the chosen metric's colours, both kept by
/// the console's views.
#[derive(Clone, Copy)]
pub struct Shading<'a> {
    pub counts: &'a MapCounts,
    pub colours: &'a Colours,
}

/// Which layers are on (persisted with the window state).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LayerToggles {
    pub compounds: bool,
    pub buildings: bool,
    pub pipes: bool,
    pub tickets: bool,
    pub teams: bool,
    pub legend: bool,
}

impl Default for LayerToggles {
    fn default() -> Self {
        LayerToggles {
            compounds: true,
            buildings: true,
            pipes: true,
            tickets: true,
            teams: true,
            legend: true,
        }
    }
}

/// Where the map's background comes from (a setting, remembered between runs).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Basemap {
    /// The database's own basemap, `<database>.mbtiles` beside it.
    #[default]
    Demo,
    /// Any MBTiles file (raster PNG/JPEG tiles).
    MbTiles(PathBuf),
    /// OpenStreetMap's tile server (online).
    OpenStreetMap,
    /// 天地图 vector map (or imagery) with its label layer; needs the user's key (`tk`).
    Tianditu {
        key: String,
        #[serde(default)]
        imagery: bool,
    },
    /// Any XYZ URL template with {z} {x} {y} (and {s} for a server number).
    Xyz { url: String },
    /// A plain background.
    None,
}

/// An open tile source.
enum TileLayer {
    MbTiles(tiles::source::MbTilesSource),
    Http {
        base: Box<walkers::HttpTiles>,
        labels: Option<Box<walkers::HttpTiles>>,
    },
}

/// How the map is set up: background, datum, what colours the shapes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MapSettings {
    pub basemap: Basemap,
    /// The tiles are in GCJ-02 (AMap, Tencent): shift the WGS-84 data onto them.
    pub gcj02: bool,
    pub metric: crate::domain::colouring::Metric,
    /// How opaque the basemap is drawn (0.1–1).
    #[serde(default = "opaque")]
    pub opacity: f32,
}

fn opaque() -> f32 {
    1.0
}

impl Default for MapSettings {
    fn default() -> Self {
        MapSettings {
            basemap: Basemap::default(),
            gcj02: false,
            metric: Default::default(),
            opacity: 1.0,
        }
    }
}

/// A traced part of the network to show on the map (downstream set, isolation).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Highlight {
    pub text: String,
    pub segments: std::collections::HashSet<crate::domain::SegmentId>,
    pub buildings: std::collections::HashSet<crate::domain::BuildingId>,
    pub valves: Vec<i64>,
}

/// What the map brings forward: the selected shape and a network trace.
#[derive(Debug, Clone, Copy, Default)]
pub struct Focus<'a> {
    pub selected: Option<Feature>,
    pub highlight: Option<&'a Highlight>,
    /// Suspected network faults.
    pub alerts: &'a [overlays::MapAlert],
    /// A leaders' visit route.
    pub route: Option<&'a overlays::RouteOverlay>,
    /// The distance tool's points.
    pub measure: Option<&'a [crate::domain::LonLat]>,
    /// The clock and the language: how old each team's reported position is, said.
    pub now: crate::domain::Timestamp,
    pub lang: crate::words::Lang,
}

/// What the pointer did on the map this frame.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MapHits {
    pub hovered: Option<Hit>,
    pub clicked: Option<Hit>,
    /// Something dragged (a ticket) was released over this team's marker.
    pub dropped_on_team: Option<TeamId>,
    /// Where the pointer is (WGS-84), and where a click was.
    pub pointer: Option<crate::domain::LonLat>,
    pub clicked_at: Option<crate::domain::LonLat>,
    /// Metres one screen pixel covers at the view's centre (the scale bar).
    pub metres_per_pixel: f64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Hit {
    Feature(Feature),
    Team(TeamId),
    Ticket(crate::domain::TicketId),
    /// A bubble of open tickets: the area it covers.
    Cluster {
        lo: crate::domain::LonLat,
        hi: crate::domain::LonLat,
    },
}

/// The map's own state: walkers' memory, the tile source, and the geometry prepared for the
/// current data.
pub struct MapView {
    pub memory: MapMemory,
    index: Option<CityIndex>,
    /// The console's city version the index was prepared for.
    city_version: u64,
    tiles: Option<TileLayer>,
    /// The basemap the tiles were opened for, and why it failed if it did.
    tiles_for: Option<Basemap>,
    pub tiles_problem: Option<String>,
    /// `<database>.mbtiles`, for [`Basemap::Demo`].
    pub demo_basemap: Option<PathBuf>,
    /// The ticket bubbles drawn last frame.
    clusters: std::cell::RefCell<Vec<layers::Cluster>>,
    /// The map's area on screen last frame.
    pub rect: Option<egui::Rect>,
}

impl MapView {
    pub fn new(zoom: f64) -> Self {
        let mut memory = MapMemory::default();
        let _ = memory.set_zoom(zoom);
        MapView {
            memory,
            index: None,
            city_version: 1,
            tiles: None,
            tiles_for: None,
            tiles_problem: None,
            demo_basemap: None,
            clusters: Default::default(),
            rect: None,
        }
    }

    /// The city version the geometry was prepared for.
    pub fn city_version(&self) -> u64 {
        self.city_version
    }

    /// The city changed (everything read anew, as of `version`): rebuild the index on next use.
    pub fn invalidate_geometry(&mut self, version: u64) {
        self.index = None;
        self.city_version = version;
    }

    /// Build the index now (at start-up, beside other work) rather than in the first frame.
    pub fn prepare(&mut self, snap: &Snapshot) {
        self.index(snap);
    }

    pub fn index(&mut self, snap: &Snapshot) -> &CityIndex {
        self.index.get_or_insert_with(|| CityIndex::build(snap))
    }

    /// The offline basemap still has tiles on the way (a picture waits for them).
    pub fn tiles_loading(&mut self) -> bool {
        match &mut self.tiles {
            Some(TileLayer::MbTiles(source)) => source.loading(),
            _ => false,
        }
    }

    /// Open the basemap again (a file that was missing is there now).
    pub fn reopen_tiles(&mut self) {
        self.tiles_for = None;
        self.tiles = None;
    }

    /// What the basemap's terms ask the map to say (online sources).
    pub fn attribution(basemap: &Basemap) -> Option<&'static str> {
        match basemap {
            Basemap::OpenStreetMap => Some("© OpenStreetMap contributors"),
            Basemap::Tianditu { .. } => Some("© 天地图 国家地理信息公共服务平台"),
            _ => None,
        }
    }

    /// Open the chosen basemap when the choice changed; a bad file is reported, not fatal.
    fn ensure_tiles(&mut self, ctx: &egui::Context, basemap: &Basemap) {
        // the offline basemap being rendered (a server's city, on first start): opened once
        // it is there
        if self.tiles.is_none()
            && *basemap == Basemap::Demo
            && self.tiles_for.as_ref() == Some(basemap)
            && let Some(path) = &self.demo_basemap
        {
            if path.exists() {
                self.tiles_for = None;
            } else {
                ctx.request_repaint_after(std::time::Duration::from_secs(1));
            }
        }
        if self.tiles_for.as_ref() == Some(basemap) {
            return;
        }
        self.tiles_for = Some(basemap.clone());
        self.tiles = None;
        self.tiles_problem = None;
        let ctx = ctx.clone();
        let http = |url: String, attribution| tiles::http::open(url, attribution, &ctx);
        let path = match basemap {
            Basemap::None => return,
            Basemap::Demo => match &self.demo_basemap {
                Some(p) => p.clone(),
                None => return,
            },
            Basemap::MbTiles(p) => p.clone(),
            Basemap::OpenStreetMap => {
                self.tiles = Some(TileLayer::Http {
                    base: Box::new(http(
                        tiles::http::OSM.into(),
                        "© OpenStreetMap contributors",
                    )),
                    labels: None,
                });
                return;
            }
            Basemap::Tianditu { key, imagery } => {
                let (map, labels) = if *imagery {
                    ("img", "cia")
                } else {
                    ("vec", "cva")
                };
                self.tiles = Some(TileLayer::Http {
                    base: Box::new(http(
                        tiles::http::tianditu(map, key),
                        "© 天地图 国家地理信息公共服务平台",
                    )),
                    labels: Some(Box::new(http(
                        tiles::http::tianditu(labels, key),
                        "© 天地图",
                    ))),
                });
                return;
            }
            Basemap::Xyz { url } => {
                self.tiles = Some(TileLayer::Http {
                    base: Box::new(http(url.clone(), "XYZ")),
                    labels: None,
                });
                return;
            }
        };
        match tiles::source::MbTilesSource::open(&path, &ctx) {
            Ok(source) => self.tiles = Some(TileLayer::MbTiles(source)),
            Err(e) => self.tiles_problem = Some(e.to_string()),
        }
    }

    /// Draw the map with the chosen layers; report hover and click.
    #[allow(clippy::too_many_arguments)]
    pub fn show(
        &mut self,
        ui: &mut Ui,
        snap: &Snapshot,
        shading: Shading<'_>,
        layers: LayerToggles,
        settings: &MapSettings,
        focus: Focus<'_>,
        home: [f64; 2],
    ) -> (MapHits, Option<egui::Response>) {
        let Focus {
            selected,
            highlight,
            alerts,
            route,
            measure,
            now,
            lang,
        } = focus;
        self.ensure_tiles(ui.ctx(), &settings.basemap);
        self.index(snap);
        let gcj02 = settings.gcj02;
        let MapView {
            memory,
            index,
            tiles,
            clusters,
            ..
        } = self;
        let Some(index) = index.as_ref() else {
            return (MapHits::default(), None);
        };
        let home_position = lon_lat(home[0], home[1]);
        let labels = std::cell::RefCell::new(layers::LabelPlacer::default());
        let map = match tiles {
            Some(TileLayer::MbTiles(t)) => {
                if let Some(why) = &t.last_failure {
                    self.tiles_problem = Some(format!("{why} ({} tiles)", t.failures));
                }
                let t: &mut dyn walkers::Tiles = t;
                Map::new(None, memory, home_position).with_layer(t, settings.opacity)
            }
            Some(TileLayer::Http { base, labels }) => {
                if let (n, Some(why)) = tiles::http::failures()
                    && n > 0
                {
                    self.tiles_problem = Some(format!("{n} failed: {why}"));
                }
                let base: &mut dyn walkers::Tiles = base.as_mut();
                let map = Map::new(None, memory, home_position).with_layer(base, settings.opacity);
                match labels {
                    Some(l) => map.with_layer(l.as_mut(), 1.0),
                    None => map,
                }
            }
            None => Map::new(None, memory, home_position),
        };
        // as every GIS and web map: the wheel zooms about the pointer, a double click zooms in
        let mut map = map.zoom_with_ctrl(false).double_click_to_zoom(true);
        if layers.compounds {
            map = map.with_plugin(layers::CompoundLayer {
                gcj02,
                labels: &labels,
                snap,
                index,
                agg: shading,
                selected,
            });
        }
        if layers.pipes {
            map = map.with_plugin(layers::PipeLayer {
                gcj02,
                snap,
                index,
                selected,
            });
        }
        if layers.buildings {
            map = map.with_plugin(layers::BuildingLayer {
                gcj02,
                labels: &labels,
                snap,
                index,
                agg: shading,
                selected,
            });
        }
        if let Some(h) = highlight {
            map = map.with_plugin(layers::TraceLayer {
                gcj02,
                snap,
                index,
                highlight: h,
            });
        }
        if let Some(route) = route {
            map = map.with_plugin(overlays::RouteLayer {
                gcj02,
                labels: &labels,
                route,
            });
        }
        if !alerts.is_empty() {
            map = map.with_plugin(overlays::AlertLayer {
                gcj02,
                labels: &labels,
                alerts,
            });
        }
        map = map.with_plugin(layers::ActivityLayer {
            gcj02,
            labels: &labels,
            snap,
            index,
            agg: shading,
            show_tickets: layers.tickets,
            show_teams: layers.teams,
            clusters,
            now,
            lang,
        });
        if let Some(points) = measure
            && !points.is_empty()
        {
            map = map.with_plugin(overlays::MeasureLayer { gcj02, points });
        }
        ui.painter()
            .rect_filled(ui.available_rect_before_wrap(), 0.0, style::BACKGROUND);
        let shown = map.show(ui, |ui, response, projector, _| {
            let screen = Screen { projector, gcj02 };
            let team_at = |at: egui::Pos2| {
                snap.teams
                    .iter()
                    .map(|t| (t.id, screen.project(t.position).distance(at)))
                    .filter(|(_, d)| *d <= 10.0)
                    .min_by(|a, b| a.1.total_cmp(&b.1))
                    .map(|(id, _)| id)
            };
            let dropped_on_team = if layers.teams
                && egui::DragAndDrop::has_any_payload(ui.ctx())
                && ui.input(|i| i.pointer.any_released())
            {
                ui.input(|i| i.pointer.latest_pos())
                    .filter(|p| response.rect.contains(*p))
                    .and_then(team_at)
            } else {
                None
            };
            let bubbles = clusters.borrow();
            let pick = |at: egui::Pos2| -> Option<Hit> {
                if let Some(c) = bubbles.iter().find(|c| c.at.distance(at) <= c.radius) {
                    return Some(Hit::Cluster { lo: c.lo, hi: c.hi });
                }
                if layers.teams {
                    let near_team = snap
                        .teams
                        .iter()
                        .map(|t| (t.id, screen.project(t.position).distance(at)))
                        .filter(|(_, d)| *d <= 8.0)
                        .min_by(|a, b| a.1.total_cmp(&b.1));
                    if let Some((id, _)) = near_team {
                        return Some(Hit::Team(id));
                    }
                }
                let p = screen.unproject(at);
                let tolerance = screen.degrees_per_pixels(8.0);
                if let Some(f) = index.point_feature_near(snap, p, tolerance) {
                    return Some(Hit::Feature(f));
                }
                if layers.tickets && screen.zoom() >= layers::PINS_FROM_ZOOM {
                    // a pin stands for its building's most pressing open ticket
                    let pin = index
                        .in_layer(
                            index::Kind::Buildings,
                            [p[0] - tolerance, p[1] - tolerance],
                            [p[0] + tolerance, p[1] + tolerance],
                        )
                        .filter_map(|f| match f {
                            Feature::Building(i) => shading
                                .counts
                                .first_ticket_by_building
                                .get(i)
                                .copied()
                                .flatten()
                                .map(|t| (i, t)),
                            _ => None,
                        })
                        .map(|(i, t)| {
                            let centre = crate::domain::centroid(&snap.buildings[i].footprint);
                            (t, screen.project(centre).distance(at))
                        })
                        .filter(|(_, d)| *d <= 9.0)
                        .min_by(|a, b| a.1.total_cmp(&b.1));
                    if let Some((ticket, _)) = pin {
                        return Some(Hit::Ticket(ticket));
                    }
                }
                if layers.buildings
                    && screen.zoom() >= layers::BUILDINGS_FROM_ZOOM
                    && let Some(b) = index.building_at(snap, p)
                {
                    return Some(Hit::Feature(Feature::Building(b)));
                }
                if layers.pipes {
                    let zoom = screen.zoom();
                    let visible = |i: usize| {
                        let seg = &snap.segments[i];
                        (seg.tier == crate::domain::Tier::Primary
                            || zoom >= layers::SECONDARY_PIPES_FROM_ZOOM)
                            && (seg.flow == crate::domain::Flow::Supply || zoom >= 16.0)
                    };
                    if let Some(i) =
                        index.pipe_near(snap, p, screen.degrees_per_pixels(5.0), visible)
                    {
                        return Some(Hit::Feature(Feature::Pipe(i)));
                    }
                }
                index
                    .compound_at(snap, p)
                    .map(|c| Hit::Feature(Feature::Compound(c)))
            };
            let hovered = response.hover_pos().and_then(pick);
            let clicked = if response.clicked() {
                response.interact_pointer_pos().and_then(pick)
            } else {
                None
            };
            let centre = response.rect.center();
            let [lon, lat] = screen.unproject(centre);
            let _ = lon;
            // web Mercator: the ground one pixel covers at this latitude and zoom
            let metres_per_pixel =
                156_543.033_92 * lat.to_radians().cos() / 2f64.powf(screen.zoom());
            MapHits {
                hovered,
                clicked,
                dropped_on_team,
                pointer: response.hover_pos().map(|p| screen.unproject(p)),
                clicked_at: if response.clicked() {
                    response.interact_pointer_pos().map(|p| screen.unproject(p))
                } else {
                    None
                },
                metres_per_pixel,
            }
        });
        self.rect = Some(shown.response.rect);
        (shown.inner, Some(shown.response))
    }

    /// Zoom by `steps` about the view's centre (the + and − buttons).
    pub fn zoom_by(&mut self, steps: f64) {
        let zoom = (self.memory.zoom() + steps).clamp(3.0, 19.0);
        let _ = self.memory.set_zoom(zoom);
    }

    /// Show the area from `lo` to `hi` (WGS-84) as large as it fits in the map's last area,
    /// between zoom `min` and 18.
    pub fn fit(&mut self, lo: crate::domain::LonLat, hi: crate::domain::LonLat, min: f64) {
        let rect = self.rect.unwrap_or(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(900.0, 600.0),
        ));
        let centre = [(lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0];
        // pixels the box covers at zoom 0 (web Mercator: 256 px for the world)
        let x = |lon: f64| (lon + 180.0) / 360.0 * 256.0;
        let y = |lat: f64| {
            let s = lat.to_radians().sin();
            (0.5 - ((1.0 + s) / (1.0 - s)).ln() / (4.0 * std::f64::consts::PI)) * 256.0
        };
        let w = (x(hi[0]) - x(lo[0])).abs().max(1e-9);
        let h = (y(lo[1]) - y(hi[1])).abs().max(1e-9);
        let margin = 0.85;
        let zoom = ((f64::from(rect.width()) * margin / w).log2())
            .min((f64::from(rect.height()) * margin / h).log2())
            .clamp(min, 18.0);
        self.fly_to(centre, zoom);
    }

    /// Where a map position is on screen, for a map drawn in `rect`.
    pub fn screen_position(
        &self,
        rect: egui::Rect,
        home: [f64; 2],
        p: crate::domain::LonLat,
        gcj02: bool,
    ) -> egui::Pos2 {
        let projector = walkers::Projector::new(
            rect,
            &walkers::MercatorProjection,
            &self.memory,
            lon_lat(home[0], home[1]),
        );
        Screen {
            projector: &projector,
            gcj02,
        }
        .project(p)
    }

    /// Centre the map on a place (search results, "show on map").
    pub fn fly_to(&mut self, at: [f64; 2], zoom: f64) {
        self.memory.center_at(lon_lat(at[0], at[1]));
        let _ = self.memory.set_zoom(zoom);
    }
}
