//! Geometry prepared once per data load: triangulated footprints and an R-tree over every
//! shape, so a frame draws only what is in view and a click tests only what is under it.

use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use crate::domain::{ExtraRings, LonLat, Snapshot};

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

/// One R-tree per kind of shape, so a layer that draws only compounds (or only primary
/// pipes at city zoom) never walks past the buildings and secondary pipes in view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Compounds,
    Buildings,
    PrimaryPipes,
    SecondaryPipes,
    /// stations and heat sources
    Points,
}

pub struct CityIndex {
    trees: [RTree<Entry>; 5],
    /// Each building's footprint made ready to draw (concave, with courtyards or in parts).
    pub buildings: Vec<Drawn>,
    /// The same for compound outlines (imported ones may be concave, holed or in parts too).
    pub compounds: Vec<Drawn>,
    /// Primary supply mains (DN ≥ 300) joined into long polylines for the city-zoom view,
    /// where drawing thousands of short segments one by one would cost more than a frame.
    pub mains: Vec<Main>,
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

/// An outline made ready to draw: the triangles over its points (holes left out), and for an
/// outline with holes or parts, every ring's points one after another and where each starts.
/// A plain outline (nearly all) keeps no copy: its points are its ring, open.
#[derive(Debug, Clone, Default)]
pub struct Drawn {
    /// Index triples into [`Drawn::points`].
    pub triangles: Vec<u32>,
    /// Empty for a plain outline.
    rings_points: Vec<LonLat>,
    starts: Vec<usize>,
}

impl Drawn {
    fn of(earcut: &mut earcut::Earcut<f64>, outer: &[LonLat], extra: &ExtraRings) -> Self {
        let mut drawn = Drawn::default();
        if extra.is_empty() {
            let none: &[u32] = &[];
            earcut.earcut(open_ring(outer).iter().copied(), none, &mut drawn.triangles);
            return drawn;
        }
        let mut triangles = Vec::new();
        for (outer, holes) in extra.polygons(outer) {
            let base = drawn.rings_points.len();
            let mut hole_starts = Vec::new();
            for (k, ring) in std::iter::once(outer)
                .chain(holes.iter().map(Vec::as_slice))
                .enumerate()
            {
                if k > 0 {
                    hole_starts.push((drawn.rings_points.len() - base) as u32);
                }
                drawn.starts.push(drawn.rings_points.len());
                drawn.rings_points.extend_from_slice(open_ring(ring));
            }
            earcut.earcut(
                drawn.rings_points[base..].iter().copied(),
                &hole_starts,
                &mut triangles,
            );
            drawn
                .triangles
                .extend(triangles.iter().map(|t| t + base as u32));
        }
        drawn
    }

    /// The points the triangles index, for the outline whose outer ring is `outer`.
    pub fn points<'a>(&'a self, outer: &'a [LonLat]) -> &'a [LonLat] {
        match self.starts.is_empty() {
            true => open_ring(outer),
            false => &self.rings_points,
        }
    }

    /// Whether `p` lies inside the outline whose outer ring is `outer`: inside an odd number of
    /// its rings (so in a part, and not in a courtyard). The rings are the ones drawn: no copy
    /// of them is kept for the question (a `geo` copy of every footprint cost ~15 MB).
    pub fn contains(&self, outer: &[LonLat], p: LonLat) -> bool {
        let mut inside = false;
        for ring in self.rings(outer) {
            let n = ring.len();
            for k in 0..n {
                let (a, b) = (ring[k], ring[(k + n - 1) % n]);
                if (a[1] > p[1]) != (b[1] > p[1])
                    && p[0] < (b[0] - a[0]) * (p[1] - a[1]) / (b[1] - a[1]) + a[0]
                {
                    inside = !inside;
                }
            }
        }
        inside
    }

    /// Each ring's points (the main outer ring first), as slices of [`Drawn::points`].
    pub fn rings<'a>(&'a self, outer: &'a [LonLat]) -> impl Iterator<Item = &'a [LonLat]> {
        let points = self.points(outer);
        let starts: &[usize] = match self.starts.is_empty() {
            true => &[0],
            false => &self.starts,
        };
        let ends = starts.iter().skip(1).copied().chain([points.len()]);
        starts.iter().zip(ends).map(move |(&a, b)| &points[a..b])
    }
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
        let mut entries: [Vec<Entry>; 5] = Default::default();
        let mut add = |kind: Kind, points: &[LonLat], feature: Feature| {
            if let Some((lo, hi)) = bbox(points) {
                entries[kind as usize]
                    .push(GeomWithData::new(Rectangle::from_corners(lo, hi), feature));
            }
        };
        // the box around every part (holes lie inside their outer ring)
        let all_parts = |outer: &[LonLat], extra: &ExtraRings| -> Vec<LonLat> {
            extra
                .polygons(outer)
                .flat_map(|(o, _)| o.iter().copied())
                .collect()
        };
        for (i, c) in snap.compounds.iter().enumerate() {
            add(
                Kind::Compounds,
                &all_parts(&c.outline, &c.extra),
                Feature::Compound(i),
            );
        }
        for (i, b) in snap.buildings.iter().enumerate() {
            let f = Feature::Building(i);
            match b.extra.parts.is_empty() {
                true => add(Kind::Buildings, &b.footprint, f),
                false => add(Kind::Buildings, &all_parts(&b.footprint, &b.extra), f),
            }
        }
        for (i, p) in snap.segments.iter().enumerate() {
            let kind = match p.tier {
                crate::domain::Tier::Primary => Kind::PrimaryPipes,
                crate::domain::Tier::Secondary => Kind::SecondaryPipes,
            };
            add(kind, &p.path, Feature::Pipe(i));
        }
        for (i, s) in snap.stations.iter().enumerate() {
            add(Kind::Points, &[s.position], Feature::Station(i));
        }
        for (i, s) in snap.sources.iter().enumerate() {
            add(Kind::Points, &[s.position], Feature::Source(i));
        }
        let mut earcut = earcut::Earcut::new();
        let buildings = snap
            .buildings
            .iter()
            .map(|b| Drawn::of(&mut earcut, &b.footprint, &b.extra))
            .collect();
        let compounds = snap
            .compounds
            .iter()
            .map(|c| Drawn::of(&mut earcut, &c.outline, &c.extra))
            .collect();
        let trees = entries.map(RTree::bulk_load);
        let mut lo = [f64::INFINITY; 2];
        let mut hi = [f64::NEG_INFINITY; 2];
        for tree in trees.iter().filter(|t| t.size() > 0) {
            let e = tree.root().envelope();
            lo = [lo[0].min(e.lower()[0]), lo[1].min(e.lower()[1])];
            hi = [hi[0].max(e.upper()[0]), hi[1].max(e.upper()[1])];
        }
        CityIndex {
            mains: join_mains(snap),
            trees,
            buildings,
            compounds,
            bounds: [lo, hi],
        }
    }

    /// Shapes of one kind whose bounding box meets the view rectangle.
    pub fn in_layer(
        &self,
        kind: Kind,
        lo: LonLat,
        hi: LonLat,
    ) -> impl Iterator<Item = Feature> + '_ {
        self.trees[kind as usize]
            .locate_in_envelope_intersecting(&AABB::from_corners(lo, hi))
            .map(|e| e.data)
    }

    /// Shapes of every kind whose bounding box meets the view rectangle.
    pub fn in_view(&self, lo: LonLat, hi: LonLat) -> impl Iterator<Item = Feature> + '_ {
        self.trees.iter().flat_map(move |t| {
            t.locate_in_envelope_intersecting(&AABB::from_corners(lo, hi))
                .map(|e| e.data)
        })
    }

    /// The building whose footprint contains the point (not its bounding box: a point in the
    /// notch of a U-shaped block, or in a courtyard, is in no building).
    pub fn building_at(&self, snap: &Snapshot, p: LonLat) -> Option<usize> {
        self.trees[Kind::Buildings as usize]
            .locate_all_at_point(&p)
            .filter_map(|e| match e.data {
                Feature::Building(i)
                    if self.buildings[i].contains(&snap.buildings[i].footprint, p) =>
                {
                    Some(i)
                }
                _ => None,
            })
            .next()
    }

    pub fn compound_at(&self, snap: &Snapshot, p: LonLat) -> Option<usize> {
        self.trees[Kind::Compounds as usize]
            .locate_all_at_point(&p)
            .filter_map(|e| match e.data {
                Feature::Compound(i)
                    if self.compounds[i].contains(&snap.compounds[i].outline, p) =>
                {
                    Some(i)
                }
                _ => None,
            })
            .next()
    }

    /// The pipe segment nearest to `p` within `tolerance` degrees (supply pipes only when
    /// `supply_only`, as when return pipes are not drawn).
    pub fn pipe_near(
        &self,
        snap: &Snapshot,
        p: LonLat,
        tolerance: f64,
        visible: impl Fn(usize) -> bool,
    ) -> Option<usize> {
        let lo = [p[0] - tolerance, p[1] - tolerance];
        let hi = [p[0] + tolerance, p[1] + tolerance];
        self.in_layer(Kind::PrimaryPipes, lo, hi)
            .chain(self.in_layer(Kind::SecondaryPipes, lo, hi))
            .filter_map(|f| match f {
                Feature::Pipe(i) if visible(i) => {
                    Some((i, distance_to_path(p, &snap.segments[i].path)))
                }
                _ => None,
            })
            .filter(|(_, d)| *d <= tolerance)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i)
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
        self.in_layer(Kind::Points, lo, hi)
            .filter_map(|f| position(&f).map(|q| (f, (q[0] - p[0]).hypot(q[1] - p[1]))))
            .filter(|(_, d)| *d <= tolerance)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(f, _)| f)
    }
}

/// A run of connected mains of one diameter.
pub struct Main {
    pub dn: u32,
    pub path: Vec<LonLat>,
    pub lo: LonLat,
    pub hi: LonLat,
}

/// Join primary supply segments of DN ≥ 300 end to end (same diameter) into long runs.
fn join_mains(snap: &Snapshot) -> Vec<Main> {
    use crate::domain::{Flow, Tier};
    let mains: Vec<usize> = (0..snap.segments.len())
        .filter(|&i| {
            let s = &snap.segments[i];
            s.tier == Tier::Primary && s.flow == Flow::Supply && s.dn >= 300
        })
        .collect();
    let mut outgoing: std::collections::HashMap<i64, Vec<usize>> = std::collections::HashMap::new();
    for &i in &mains {
        outgoing.entry(snap.segments[i].from).or_default().push(i);
    }
    let mut used = vec![false; snap.segments.len()];
    let mut runs = Vec::new();
    for &start in &mains {
        if used[start] {
            continue;
        }
        used[start] = true;
        let dn = snap.segments[start].dn;
        let mut path = snap.segments[start].path.clone();
        let mut at = snap.segments[start].to;
        while let Some(&next) = outgoing
            .get(&at)
            .and_then(|out| out.iter().find(|&&j| !used[j] && snap.segments[j].dn == dn))
        {
            used[next] = true;
            path.extend(snap.segments[next].path.iter().skip(1));
            at = snap.segments[next].to;
        }
        if let Some((lo, hi)) = bbox(&path) {
            runs.push(Main { dn, path, lo, hi });
        }
    }
    runs
}

/// Distance from a point to a polyline, in degrees (good enough at street scale).
fn distance_to_path(p: LonLat, path: &[LonLat]) -> f64 {
    path.windows(2)
        .map(|w| {
            let (a, b) = (w[0], w[1]);
            let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
            let len2 = dx * dx + dy * dy;
            let t = if len2 > 0.0 {
                (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            (p[0] - (a[0] + t * dx)).hypot(p[1] - (a[1] + t * dy))
        })
        .fold(f64::INFINITY, f64::min)
}
