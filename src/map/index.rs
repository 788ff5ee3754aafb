//! Geometry prepared once per data load: triangulated footprints and an R-tree over every
//! shape, so a frame draws only what is in view and a click tests only what is under it.

use geo::{Contains, Coord, LineString, Point, Polygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use crate::domain::{LonLat, Snapshot};

/// What a shape on the map is, by its position in the snapshot's vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Feature {
    Compound(usize),
    Building(usize),
    Pipe(usize),
    Station(usize),
    Source(usize),
}

type Entry = GeomWithData<Rectangle<[f64; 2]>, Feature>;

pub struct CityIndex {
    tree: RTree<Entry>,
    /// Triangles (index triples into the ring, closing point excluded) per building.
    pub building_triangles: Vec<Vec<u32>>,
    building_polygons: Vec<Polygon<f64>>,
    compound_polygons: Vec<Polygon<f64>>,
    /// Bounding box of everything: [min lon, min lat], [max lon, max lat].
    pub bounds: [LonLat; 2],
}

fn bbox(points: &[LonLat]) -> Option<([f64; 2], [f64; 2])> {
    let first = points.first()?;
    let mut lo = *first;
    let mut hi = *first;
    for p in points {
        lo = [lo[0].min(p[0]), lo[1].min(p[1])];
        hi = [hi[0].max(p[0]), hi[1].max(p[1])];
    }
    Some((lo, hi))
}

fn polygon(ring: &[LonLat]) -> Polygon<f64> {
    Polygon::new(
        LineString::from(
            ring.iter()
                .map(|p| Coord { x: p[0], y: p[1] })
                .collect::<Vec<_>>(),
        ),
        vec![],
    )
}

/// Ring without its repeated closing point.
pub fn open_ring(ring: &[LonLat]) -> &[LonLat] {
    match (ring.first(), ring.last()) {
        (Some(a), Some(b)) if ring.len() > 1 && a == b => &ring[..ring.len() - 1],
        _ => ring,
    }
}

impl CityIndex {
    pub fn build(snap: &Snapshot) -> Self {
        let mut entries =
            Vec::with_capacity(snap.buildings.len() + snap.segments.len() + snap.compounds.len());
        let mut add = |points: &[LonLat], feature: Feature| {
            if let Some((lo, hi)) = bbox(points) {
                entries.push(GeomWithData::new(Rectangle::from_corners(lo, hi), feature));
            }
        };
        for (i, c) in snap.compounds.iter().enumerate() {
            add(&c.outline, Feature::Compound(i));
        }
        for (i, b) in snap.buildings.iter().enumerate() {
            add(&b.footprint, Feature::Building(i));
        }
        for (i, p) in snap.segments.iter().enumerate() {
            add(&p.path, Feature::Pipe(i));
        }
        for (i, s) in snap.stations.iter().enumerate() {
            add(&[s.position], Feature::Station(i));
        }
        for (i, s) in snap.sources.iter().enumerate() {
            add(&[s.position], Feature::Source(i));
        }
        let mut earcut = earcut::Earcut::new();
        let building_triangles = snap
            .buildings
            .iter()
            .map(|b| {
                let mut triangles = Vec::new();
                earcut.earcut(
                    open_ring(&b.footprint).iter().copied(),
                    &[] as &[u32],
                    &mut triangles,
                );
                triangles
            })
            .collect();
        let tree = RTree::bulk_load(entries);
        let envelope = tree.root().envelope();
        CityIndex {
            tree,
            building_triangles,
            building_polygons: snap
                .buildings
                .iter()
                .map(|b| polygon(&b.footprint))
                .collect(),
            compound_polygons: snap.compounds.iter().map(|c| polygon(&c.outline)).collect(),
            bounds: [envelope.lower(), envelope.upper()],
        }
    }

    /// Shapes whose bounding box meets the view rectangle.
    pub fn in_view(&self, lo: LonLat, hi: LonLat) -> impl Iterator<Item = Feature> + '_ {
        self.tree
            .locate_in_envelope_intersecting(&AABB::from_corners(lo, hi))
            .map(|e| e.data)
    }

    /// The building whose footprint contains the point (not its bounding box: a point in the
    /// notch of a U-shaped block is in no building).
    pub fn building_at(&self, p: LonLat) -> Option<usize> {
        let point = Point::new(p[0], p[1]);
        self.tree
            .locate_all_at_point(&p)
            .filter_map(|e| match e.data {
                Feature::Building(i) if self.building_polygons[i].contains(&point) => Some(i),
                _ => None,
            })
            .next()
    }

    pub fn compound_at(&self, p: LonLat) -> Option<usize> {
        let point = Point::new(p[0], p[1]);
        self.tree
            .locate_all_at_point(&p)
            .filter_map(|e| match e.data {
                Feature::Compound(i) if self.compound_polygons[i].contains(&point) => Some(i),
                _ => None,
            })
            .next()
    }

    /// Point features (stations, sources) within `tolerance` degrees of `p`, nearest first.
    pub fn point_feature_near(
        &self,
        snap: &Snapshot,
        p: LonLat,
        tolerance: f64,
    ) -> Option<Feature> {
        let lo = [p[0] - tolerance, p[1] - tolerance];
        let hi = [p[0] + tolerance, p[1] + tolerance];
        let position = |f: &Feature| match *f {
            Feature::Station(i) => Some(snap.stations[i].position),
            Feature::Source(i) => Some(snap.sources[i].position),
            _ => None,
        };
        self.in_view(lo, hi)
            .filter_map(|f| position(&f).map(|q| (f, (q[0] - p[0]).hypot(q[1] - p[1]))))
            .filter(|(_, d)| *d <= tolerance)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(f, _)| f)
    }
}
