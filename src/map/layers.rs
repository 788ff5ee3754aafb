//! One walkers `Plugin` per map layer: each projects what is in view and paints it.

use egui::{Align2, Color32, FontId, Pos2, Rect, Response, Shape, Stroke, Ui, pos2, vec2};
use walkers::{MapMemory, Plugin, Projector, lon_lat};

use super::Shading;
use super::index::{CityIndex, Drawn, Feature, Kind};
use super::style;
use crate::domain::{Flow, LonLat, Snapshot, Tier};

/// Map ↔ screen for the layers, shifting WGS-84 data onto GCJ-02 tiles when asked.
#[derive(Clone, Copy)]
pub struct Screen<'a> {
    pub projector: &'a Projector<'a>,
    pub gcj02: bool,
}

impl Screen<'_> {
    pub fn project(&self, p: LonLat) -> Pos2 {
        let [lon, lat] = if self.gcj02 { to_gcj02(p) } else { p };
        self.projector.project(lon_lat(lon, lat)).to_pos2()
    }

    /// Screen position → data position (WGS-84).
    pub fn unproject(&self, at: Pos2) -> LonLat {
        let p = self.projector.unproject(at.to_vec2());
        if self.gcj02 {
            let (lon, lat) = coordtransform::gcj02_to_wgs84(p.x(), p.y());
            [lon, lat]
        } else {
            [p.x(), p.y()]
        }
    }

    /// Visible data rectangle of the map.
    pub fn view_bounds(&self) -> (LonLat, LonLat) {
        let r = self.projector.clip_rect();
        let a = self.unproject(r.left_top());
        let b = self.unproject(r.right_bottom());
        (
            [a[0].min(b[0]), a[1].min(b[1])],
            [a[0].max(b[0]), a[1].max(b[1])],
        )
    }

    /// Degrees of longitude covered by `px` screen pixels around the view centre.
    pub fn degrees_per_pixels(&self, px: f32) -> f64 {
        let c = self.projector.clip_rect().center();
        let a = self.unproject(c);
        let b = self.unproject(pos2(c.x + px, c.y));
        (b[0] - a[0]).abs()
    }

    pub fn zoom(&self) -> f64 {
        self.projector.zoom()
    }
}

/// WGS-84 → GCJ-02 (the offset AMap and Tencent tiles are drawn in).
pub fn to_gcj02(p: LonLat) -> LonLat {
    let (lon, lat) = coordtransform::wgs84_to_gcj02(p[0], p[1]);
    [lon, lat]
}

/// Below this zoom a compound's open tickets are one bubble (and bubbles close together one
/// bubble): the pins of a district would cover it.
pub const PINS_FROM_ZOOM: f64 = 15.5;
/// Bubbles closer than this (screen pixels) are one.
const CLUSTER_CELL: f32 = 64.0;

/// A bubble of open tickets drawn this frame: where, how big, and the area it covers (a click
/// zooms to it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cluster {
    pub at: Pos2,
    pub radius: f32,
    pub tickets: u32,
    pub lo: LonLat,
    pub hi: LonLat,
}

/// Level of detail: below this zoom compounds stand for their buildings.
pub const BUILDINGS_FROM_ZOOM: f64 = 15.0;
pub const SECONDARY_PIPES_FROM_ZOOM: f64 = 15.5;
/// Below this zoom the whole city is in view: only trunk mains, no stations, no outlines.
pub const CITY_ZOOM: f64 = 13.5;

pub struct CompoundLayer<'a> {
    pub gcj02: bool,
    /// Shared by the layers of one frame, so no label is drawn over another layer's.
    pub labels: &'a std::cell::RefCell<LabelPlacer>,
    pub snap: &'a Snapshot,
    pub index: &'a CityIndex,
    pub agg: Shading<'a>,
    pub selected: Option<Feature>,
}

impl Plugin for CompoundLayer<'_> {
    fn run(self: Box<Self>, ui: &mut Ui, _: &Response, projector: &Projector, _: &MapMemory) {
        let screen = Screen {
            projector,
            gcj02: self.gcj02,
        };
        let (lo, hi) = screen.view_bounds();
        let detailed = projector.zoom() >= BUILDINGS_FROM_ZOOM;
        let painter = ui.painter();
        let mut labels = self.labels.borrow_mut();
        // all fills in one mesh (triangulated once, at load): one shape instead of thousands
        let mut mesh = egui::Mesh::default();
        let mut outlines = Vec::new();
        let zoom = projector.zoom();
        for f in self.index.in_layer(Kind::Compounds, lo, hi) {
            let Feature::Compound(i) = f else { continue };
            let c = &self.snap.compounds[i];
            let drawn = &self.index.compounds[i];
            let outline = drawn.points(&c.outline);
            let points: Vec<Pos2> = outline.iter().map(|&p| screen.project(p)).collect();
            let fill = self.agg.compound_colour(i);
            let fill = if detailed {
                fill.gamma_multiply(0.3)
            } else {
                fill.gamma_multiply(0.8)
            };
            let base = mesh.vertices.len() as u32;
            for p in &points {
                mesh.colored_vertex(*p, fill);
            }
            for tri in drawn.triangles.chunks_exact(3) {
                mesh.add_triangle(base + tri[0], base + tri[1], base + tri[2]);
            }
            let stroke = if self.selected == Some(f) {
                Stroke::new(3.0, style::SELECTED)
            } else if zoom < CITY_ZOOM {
                // city zoom: the compounds are a colour field; outlines would be mush
                Stroke::NONE
            } else {
                Stroke::new(1.0, style::COMPOUND_EDGE)
            };
            if stroke != Stroke::NONE {
                outlines.extend(rings(drawn, &c.outline, &points, stroke));
            }
            if (13.5..=17.5).contains(&zoom) {
                let outer = &points[..drawn.rings(&c.outline).next().map_or(0, <[_]>::len)];
                let centre =
                    outer.iter().fold(vec2(0.0, 0.0), |a, p| a + p.to_vec2()) / outer.len() as f32;
                labels.push(
                    1,
                    centre.to_pos2(),
                    Align2::CENTER_CENTER,
                    c.name.clone(),
                    13.0,
                    style::LABEL,
                );
            }
        }
        painter.add(Shape::mesh(mesh));
        painter.extend(outlines);
    }
}

pub struct BuildingLayer<'a> {
    pub gcj02: bool,
    /// Shared by the layers of one frame, so no label is drawn over another layer's.
    pub labels: &'a std::cell::RefCell<LabelPlacer>,
    pub snap: &'a Snapshot,
    pub index: &'a CityIndex,
    pub agg: Shading<'a>,
    pub selected: Option<Feature>,
}

impl Plugin for BuildingLayer<'_> {
    fn run(self: Box<Self>, ui: &mut Ui, _: &Response, projector: &Projector, _: &MapMemory) {
        let screen = Screen {
            projector,
            gcj02: self.gcj02,
        };
        if projector.zoom() < BUILDINGS_FROM_ZOOM {
            return;
        }
        let (lo, hi) = screen.view_bounds();
        let painter = ui.painter();
        let mut mesh = egui::Mesh::default();
        let mut outlines = Vec::new();
        let mut labels = Vec::new();
        for f in self.index.in_layer(Kind::Buildings, lo, hi) {
            let Feature::Building(i) = f else { continue };
            let b = &self.snap.buildings[i];
            let drawn = &self.index.buildings[i];
            let outline = drawn.points(&b.footprint);
            let points: Vec<Pos2> = outline.iter().map(|&p| screen.project(p)).collect();
            let colour = self.agg.building_colour(i);
            let base = mesh.vertices.len() as u32;
            for p in &points {
                mesh.colored_vertex(*p, colour);
            }
            for tri in drawn.triangles.chunks_exact(3) {
                mesh.add_triangle(base + tri[0], base + tri[1], base + tri[2]);
            }
            // outlines only where a building is big enough on screen to need one
            if self.selected == Some(f) {
                outlines.extend(rings(
                    drawn,
                    &b.footprint,
                    &points,
                    Stroke::new(2.5, style::SELECTED),
                ));
            } else if projector.zoom() >= 16.0 {
                outlines.extend(rings(
                    drawn,
                    &b.footprint,
                    &points,
                    Stroke::new(0.8, style::BUILDING_EDGE),
                ));
            }
            if projector.zoom() >= 17.0 {
                let outer = &points[..drawn.rings(&b.footprint).next().map_or(0, <[_]>::len)];
                let c =
                    outer.iter().fold(vec2(0.0, 0.0), |a, p| a + p.to_vec2()) / outer.len() as f32;
                labels.push((c.to_pos2(), b.number.clone()));
            }
        }
        painter.add(Shape::mesh(mesh));
        painter.extend(outlines);
        let mut placer = self.labels.borrow_mut();
        for (at, text) in labels {
            placer.push(2, at, Align2::CENTER_CENTER, text, 11.0, style::LABEL);
        }
    }
}

pub struct PipeLayer<'a> {
    pub gcj02: bool,
    pub snap: &'a Snapshot,
    pub index: &'a CityIndex,
    pub selected: Option<Feature>,
}

impl Plugin for PipeLayer<'_> {
    fn run(self: Box<Self>, ui: &mut Ui, _: &Response, projector: &Projector, _: &MapMemory) {
        let screen = Screen {
            projector,
            gcj02: self.gcj02,
        };
        let zoom = projector.zoom();
        let (lo, hi) = screen.view_bounds();
        let painter = ui.painter();
        let show_return = zoom >= 16.0;
        let secondary = zoom >= SECONDARY_PIPES_FROM_ZOOM;
        let city = zoom < CITY_ZOOM;
        if city {
            // the whole city: the joined mains, not thousands of segments
            let colour = style::pipe_colour(Tier::Primary, Flow::Supply);
            for m in &self.index.mains {
                if m.lo[0] <= hi[0] && m.hi[0] >= lo[0] && m.lo[1] <= hi[1] && m.hi[1] >= lo[1] {
                    let points: Vec<Pos2> = m.path.iter().map(|&q| screen.project(q)).collect();
                    painter.add(Shape::line(
                        points,
                        Stroke::new(style::pipe_width(m.dn, zoom), colour),
                    ));
                }
            }
        }
        let pipe_features = self
            .index
            .in_layer(Kind::Points, lo, hi)
            .chain(
                (!city)
                    .then(|| self.index.in_layer(Kind::PrimaryPipes, lo, hi))
                    .into_iter()
                    .flatten(),
            )
            .chain(
                secondary
                    .then(|| self.index.in_layer(Kind::SecondaryPipes, lo, hi))
                    .into_iter()
                    .flatten(),
            );
        for f in pipe_features {
            match f {
                Feature::Pipe(i) => {
                    let p = &self.snap.segments[i];
                    if p.tier == Tier::Secondary && zoom < SECONDARY_PIPES_FROM_ZOOM {
                        continue;
                    }
                    if p.flow == Flow::Return && !show_return {
                        continue;
                    }
                    let points: Vec<Pos2> = p.path.iter().map(|&q| screen.project(q)).collect();
                    let width = style::pipe_width(p.dn, zoom);
                    let colour = style::pipe_colour(p.tier, p.flow);
                    let stroke = if self.selected == Some(f) {
                        Stroke::new(width + 3.0, style::SELECTED)
                    } else {
                        Stroke::new(width, colour)
                    };
                    painter.add(Shape::line(points, stroke));
                }
                Feature::Station(i) => {
                    if zoom < CITY_ZOOM && self.selected != Some(f) {
                        continue;
                    }
                    let at = screen.project(self.snap.stations[i].position);
                    let r = if zoom >= 15.0 { 6.0 } else { 4.0 };
                    painter.rect(
                        Rect::from_center_size(at, vec2(2.0 * r, 2.0 * r)),
                        1.0,
                        style::STATION,
                        Stroke::new(
                            if self.selected == Some(f) { 3.0 } else { 1.0 },
                            Color32::WHITE,
                        ),
                        egui::StrokeKind::Outside,
                    );
                }
                Feature::Source(i) => {
                    let at = screen.project(self.snap.sources[i].position);
                    let tri = vec![
                        at + vec2(0.0, -11.0),
                        at + vec2(10.0, 7.0),
                        at + vec2(-10.0, 7.0),
                    ];
                    painter.add(Shape::convex_polygon(
                        tri,
                        style::SOURCE,
                        Stroke::new(1.5, Color32::WHITE),
                    ));
                    if zoom >= 13.0 {
                        painter.text(
                            at + vec2(0.0, 10.0),
                            Align2::CENTER_TOP,
                            &self.snap.sources[i].name,
                            FontId::proportional(12.0),
                            style::LABEL,
                        );
                    }
                }
                _ => {}
            }
        }
        if zoom >= 16.0 {
            for v in &self.snap.valves {
                if v.position[0] < lo[0]
                    || v.position[0] > hi[0]
                    || v.position[1] < lo[1]
                    || v.position[1] > hi[1]
                {
                    continue;
                }
                let at = screen.project(v.position);
                let colour = if v.operable {
                    style::VALVE
                } else {
                    style::VALVE_BROKEN
                };
                style::marker(painter, at, 3.5, colour, (1.0, Color32::WHITE));
            }
        }
    }
}

/// A network trace drawn over the pipes: traced segments, buildings and valves to close.
pub struct TraceLayer<'a> {
    pub gcj02: bool,
    pub snap: &'a Snapshot,
    pub index: &'a CityIndex,
    pub highlight: &'a super::Highlight,
}

impl Plugin for TraceLayer<'_> {
    fn run(self: Box<Self>, ui: &mut Ui, _: &Response, projector: &Projector, _: &MapMemory) {
        let screen = Screen {
            projector,
            gcj02: self.gcj02,
        };
        let painter = ui.painter();
        let clip = projector.clip_rect();
        let zoom = projector.zoom();
        for &id in &self.highlight.buildings {
            if let Some(i) = self.snap.building_pos(id) {
                let (drawn, outline) =
                    (&self.index.buildings[i], &self.snap.buildings[i].footprint);
                let points: Vec<Pos2> = drawn
                    .points(outline)
                    .iter()
                    .map(|&p| screen.project(p))
                    .collect();
                if points.iter().any(|p| clip.contains(*p)) {
                    painter.extend(rings(
                        drawn,
                        outline,
                        &points,
                        Stroke::new(2.5, style::TRACE),
                    ));
                }
            }
        }
        for &id in &self.highlight.segments {
            let Some(p) = self.snap.segment_pos(id).map(|i| &self.snap.segments[i]) else {
                continue;
            };
            if p.flow == Flow::Return && zoom < 16.0 {
                continue;
            }
            let points: Vec<Pos2> = p.path.iter().map(|&q| screen.project(q)).collect();
            if points.iter().any(|q| clip.contains(*q)) {
                painter.add(Shape::line(
                    points,
                    Stroke::new(style::pipe_width(p.dn, zoom) + 3.0, style::TRACE),
                ));
            }
        }
        for v in self
            .snap
            .valves
            .iter()
            .filter(|v| self.highlight.valves.contains(&v.id))
        {
            let at = screen.project(v.position);
            painter.circle(at, 8.0, style::VALVE, Stroke::new(3.0, style::TRACE));
        }
    }
}

/// A ticket pin per building with open tickets, and a marker per team.
pub struct ActivityLayer<'a> {
    pub gcj02: bool,
    /// Shared by the layers of one frame, so no label is drawn over another layer's.
    pub labels: &'a std::cell::RefCell<LabelPlacer>,
    pub snap: &'a Snapshot,
    pub index: &'a CityIndex,
    pub agg: Shading<'a>,
    pub show_tickets: bool,
    pub show_teams: bool,
    /// The bubbles drawn, for the pointer to find.
    pub clusters: &'a std::cell::RefCell<Vec<Cluster>>,
    /// For the age of each team's reported position.
    pub now: crate::domain::Timestamp,
    pub lang: crate::words::Lang,
}

impl ActivityLayer<'_> {
    /// The open tickets of the compounds in view as bubbles: one per compound, those closer
    /// than a cell merged; the count inside, the colour of the worst severity, a ring when any
    /// is overdue.
    fn clusters(&self, screen: &Screen<'_>, painter: &egui::Painter) {
        let (lo, hi) = screen.view_bounds();
        #[derive(Default)]
        struct Agg {
            tickets: u32,
            worst: u8,
            overdue: bool,
            x: f32,
            y: f32,
            lo: LonLat,
            hi: LonLat,
        }
        let mut cells: std::collections::HashMap<(i32, i32), Agg> = Default::default();
        let counts = self.agg.counts;
        for f in self.index.in_layer(Kind::Compounds, lo, hi) {
            let Feature::Compound(ci) = f else { continue };
            let open = counts.open_by_compound.get(ci).copied().unwrap_or(0);
            if open == 0 {
                continue;
            }
            let c = &self.snap.compounds[ci];
            if c.outline.is_empty() {
                continue;
            }
            let centre = crate::domain::centroid(&c.outline);
            let at = screen.project(centre);
            let key = (
                (at.x / CLUSTER_CELL).floor() as i32,
                (at.y / CLUSTER_CELL).floor() as i32,
            );
            let a = cells.entry(key).or_insert_with(|| Agg {
                lo: centre,
                hi: centre,
                ..Agg::default()
            });
            a.tickets += open;
            a.worst = a
                .worst
                .max(counts.worst_by_compound.get(ci).copied().unwrap_or(1));
            a.overdue |= counts.overdue_by_compound.get(ci).is_some_and(|n| *n > 0);
            a.x += at.x * open as f32;
            a.y += at.y * open as f32;
            for p in &c.outline {
                a.lo = [a.lo[0].min(p[0]), a.lo[1].min(p[1])];
                a.hi = [a.hi[0].max(p[0]), a.hi[1].max(p[1])];
            }
        }
        let mut drawn = self.clusters.borrow_mut();
        drawn.clear();
        for a in cells.into_values() {
            let n = a.tickets as f32;
            let at = pos2(a.x / n, a.y / n);
            let radius = (9.0 + 3.5 * n.log10().max(0.0)).min(21.0);
            if a.overdue {
                painter.circle_filled(at, radius + 3.5, style::OVERDUE);
            }
            style::marker(
                painter,
                at,
                radius,
                style::severity_colour(a.worst.max(1)),
                (1.5, Color32::WHITE),
            );
            painter.text(
                at,
                Align2::CENTER_CENTER,
                a.tickets.to_string(),
                FontId::proportional(if a.tickets >= 100 { 10.0 } else { 11.0 }),
                Color32::WHITE,
            );
            drawn.push(Cluster {
                at,
                radius: radius + 3.5,
                tickets: a.tickets,
                lo: a.lo,
                hi: a.hi,
            });
        }
    }
}

impl Plugin for ActivityLayer<'_> {
    fn run(self: Box<Self>, ui: &mut Ui, _: &Response, projector: &Projector, _: &MapMemory) {
        let screen = Screen {
            projector,
            gcj02: self.gcj02,
        };
        let (lo, hi) = screen.view_bounds();
        let zoom = projector.zoom();
        let painter = ui.painter();
        if !(self.show_tickets && zoom < PINS_FROM_ZOOM) {
            self.clusters.borrow_mut().clear();
        }
        if self.show_tickets && zoom < PINS_FROM_ZOOM {
            self.clusters(&screen, painter);
        }
        if self.show_tickets && zoom >= PINS_FROM_ZOOM {
            for f in self.index.in_layer(Kind::Buildings, lo, hi) {
                let Feature::Building(i) = f else { continue };
                let open = self
                    .agg
                    .counts
                    .open_by_building
                    .get(i)
                    .copied()
                    .unwrap_or(0);
                if open == 0 {
                    continue;
                }
                let b = &self.snap.buildings[i];
                let at = screen.project(crate::domain::centroid(&b.footprint));
                let worst = self
                    .agg
                    .counts
                    .worst_by_building
                    .get(i)
                    .copied()
                    .unwrap_or(1);
                let r = if zoom >= 15.0 { 7.0 } else { 4.5 };
                let overdue = self
                    .agg
                    .counts
                    .overdue_by_building
                    .get(i)
                    .is_some_and(|n| *n > 0);
                if overdue {
                    // the overdue ring around the pin's white outline
                    painter.circle_filled(at, r + 4.0, style::OVERDUE);
                }
                style::marker(
                    painter,
                    at,
                    r,
                    style::severity_colour(worst),
                    (if overdue { 2.0 } else { 1.0 }, Color32::WHITE),
                );
                if zoom >= 15.0 && open > 1 {
                    painter.text(
                        at,
                        Align2::CENTER_CENTER,
                        open.to_string(),
                        FontId::proportional(10.0),
                        Color32::WHITE,
                    );
                }
            }
        }
        if self.show_teams {
            let mut placer = self.labels.borrow_mut();
            // where each team's phone last said it was (a team without a phone stays at its
            // base, drawn as before)
            let reported: std::collections::HashMap<
                crate::domain::TeamId,
                &crate::domain::crew::TeamPosition,
            > = self.snap.positions.iter().map(|p| (p.team_id, p)).collect();
            for t in &self.snap.teams {
                let at = screen.project(t.position);
                if !projector.clip_rect().contains(at) {
                    continue;
                }
                let position = reported.get(&t.id);
                let stale = position.is_some_and(|p| p.is_stale(self.now));
                let fill = if stale {
                    style::STALE_TEAM
                } else {
                    style::team_colour(t.status)
                };
                style::marker(painter, at, 6.0, fill, (2.0, Color32::WHITE));
                if stale {
                    // the status stays readable as a ring round the grey
                    painter.circle_stroke(
                        at,
                        9.5,
                        egui::Stroke::new(1.5, style::team_colour(t.status)),
                    );
                }
                if zoom >= 14.0 {
                    let label = match position {
                        Some(p) => format!(
                            "{} · {}",
                            t.name,
                            crate::words::position_age(self.lang, p.age_minutes(self.now))
                        ),
                        None => t.name.clone(),
                    };
                    placer.push(
                        0,
                        at + vec2(8.0, 0.0),
                        Align2::LEFT_CENTER,
                        label,
                        11.0,
                        if stale {
                            style::STALE_TEAM_LABEL
                        } else {
                            style::TEAM_LABEL
                        },
                    );
                }
            }
        }
        // the last layer: every layer's labels go on top, the most important first
        self.labels.borrow_mut().flush(painter);
    }
}

/// Collects the labels of every layer during a frame and places them last, on a halo,
/// skipping any that would overlap one already placed: dense areas thin out instead of
/// turning into mush, and no pipe or pin is drawn over a label.
#[derive(Default)]
pub struct LabelPlacer {
    candidates: Vec<Label>,
}

struct Label {
    /// lower goes first
    priority: u8,
    at: Pos2,
    anchor: Align2,
    text: String,
    size: f32,
    colour: Color32,
}

impl LabelPlacer {
    pub fn push(
        &mut self,
        priority: u8,
        at: Pos2,
        anchor: Align2,
        text: String,
        size: f32,
        colour: Color32,
    ) {
        self.candidates.push(Label {
            priority,
            at,
            anchor,
            text,
            size,
            colour,
        });
    }

    /// Draw the labels that fit, most important first.
    pub fn flush(&mut self, painter: &egui::Painter) {
        let mut labels = std::mem::take(&mut self.candidates);
        labels.sort_by_key(|l| l.priority);
        let mut placed: Vec<Rect> = Vec::with_capacity(labels.len());
        for l in labels {
            let galley = painter.layout_no_wrap(l.text, FontId::proportional(l.size), l.colour);
            let rect = l.anchor.anchor_size(l.at, galley.size());
            if !painter.clip_rect().intersects(rect)
                || placed.iter().any(|r| r.expand(3.0).intersects(rect))
            {
                continue;
            }
            painter.rect_filled(rect.expand(2.0), 3.0, style::LABEL_HALO);
            painter.galley(rect.min, galley, l.colour);
            placed.push(rect);
        }
    }
}

impl Shading<'_> {
    pub fn compound_colour(&self, i: usize) -> Color32 {
        self.colour(self.colours.values.compounds.get(i))
    }

    pub fn building_colour(&self, i: usize) -> Color32 {
        self.colour(self.colours.values.buildings.get(i))
    }

    fn colour(&self, value: Option<&Option<f64>>) -> Color32 {
        match value.copied().flatten() {
            Some(v) => style::class_colour(self.colours.metric.class(v)),
            None => style::NO_DATA,
        }
    }
}

/// A drawn outline's rings (outer rings and courtyards alike) as closed strokes, from its
/// projected points.
fn rings(drawn: &Drawn, outer: &[LonLat], points: &[Pos2], stroke: Stroke) -> Vec<Shape> {
    let mut at = 0;
    drawn
        .rings(outer)
        .map(|ring| {
            let shape = Shape::closed_line(points[at..at + ring.len()].to_vec(), stroke);
            at += ring.len();
            shape
        })
        .collect()
}
