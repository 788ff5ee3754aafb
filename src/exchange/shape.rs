//! Geometry as it comes in (GeoJSON, WKT, lon/lat columns), checked before anything is kept.

use serde_json::Value;

use crate::domain::LonLat;

/// A geometry read from a file, not yet checked.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    Point(LonLat),
    /// One or more polylines (a MultiLineString has several).
    Lines(Vec<Vec<LonLat>>),
    /// One or more polygons, each an outer ring and its holes.
    Polygons(Vec<Vec<Vec<LonLat>>>),
}

impl Shape {
    pub fn name(&self) -> &'static str {
        match self {
            Shape::Point(_) => "a point",
            Shape::Lines(_) => "a line",
            Shape::Polygons(_) => "a polygon",
        }
    }

    pub fn points(&self) -> Box<dyn Iterator<Item = &LonLat> + '_> {
        match self {
            Shape::Point(p) => Box::new(std::iter::once(p)),
            Shape::Lines(lines) => Box::new(lines.iter().flatten()),
            Shape::Polygons(polys) => Box::new(polys.iter().flatten().flatten()),
        }
    }

    pub fn points_mut(&mut self) -> Box<dyn Iterator<Item = &mut LonLat> + '_> {
        match self {
            Shape::Point(p) => Box::new(std::iter::once(p)),
            Shape::Lines(lines) => Box::new(lines.iter_mut().flatten()),
            Shape::Polygons(polys) => Box::new(polys.iter_mut().flatten().flatten()),
        }
    }
}

/// A GeoJSON geometry object (null geometry: None).
pub fn from_geojson(value: &Value) -> Result<Option<Shape>, String> {
    if value.is_null() {
        return Ok(None);
    }
    let kind = value
        .get("type")
        .and_then(Value::as_str)
        .ok_or("geometry has no \"type\"")?;
    let coords = value
        .get("coordinates")
        .ok_or_else(|| format!("{kind} has no \"coordinates\""))?;
    let shape = match kind {
        "Point" => Shape::Point(position(coords)?),
        "LineString" => Shape::Lines(vec![positions(coords)?]),
        "MultiLineString" => Shape::Lines(
            array(coords)?
                .iter()
                .map(positions)
                .collect::<Result<_, _>>()?,
        ),
        "Polygon" => Shape::Polygons(vec![rings(coords)?]),
        "MultiPolygon" => {
            Shape::Polygons(array(coords)?.iter().map(rings).collect::<Result<_, _>>()?)
        }
        other => return Err(format!("unsupported geometry type {other}")),
    };
    Ok(Some(shape))
}

fn array(v: &Value) -> Result<&Vec<Value>, String> {
    v.as_array()
        .ok_or_else(|| format!("expected an array of coordinates, found {}", short(v)))
}

fn position(v: &Value) -> Result<LonLat, String> {
    let a = array(v)?;
    if a.len() < 2 {
        return Err(format!("a position needs lon and lat, found {}", short(v)));
    }
    let n = |x: &Value| {
        x.as_f64()
            .ok_or_else(|| format!("coordinate {} is not a number", short(x)))
    };
    Ok([n(&a[0])?, n(&a[1])?])
}

fn positions(v: &Value) -> Result<Vec<LonLat>, String> {
    array(v)?.iter().map(position).collect()
}

fn rings(v: &Value) -> Result<Vec<Vec<LonLat>>, String> {
    array(v)?.iter().map(positions).collect()
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    match s.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s,
    }
}

/// A WKT text: POINT, LINESTRING, MULTILINESTRING, POLYGON or MULTIPOLYGON.
pub fn from_wkt(text: &str) -> Result<Shape, String> {
    use wkt::Wkt;
    let parsed: Wkt<f64> = text.parse().map_err(|e| format!("not valid WKT ({e})"))?;
    let line = |l: &wkt::types::LineString<f64>| -> Vec<LonLat> {
        l.coords().iter().map(|c| [c.x, c.y]).collect()
    };
    let polygon =
        |p: &wkt::types::Polygon<f64>| -> Vec<Vec<LonLat>> { p.rings().iter().map(line).collect() };
    Ok(match parsed {
        Wkt::Point(p) => match p.coord() {
            Some(c) => Shape::Point([c.x, c.y]),
            None => return Err("POINT EMPTY".into()),
        },
        Wkt::LineString(l) => Shape::Lines(vec![line(&l)]),
        Wkt::MultiLineString(m) => Shape::Lines(m.line_strings().iter().map(line).collect()),
        Wkt::Polygon(p) => Shape::Polygons(vec![polygon(&p)]),
        Wkt::MultiPolygon(m) => Shape::Polygons(m.polygons().iter().map(polygon).collect()),
        _ => return Err("unsupported WKT geometry (use POINT, LINESTRING or POLYGON)".into()),
    })
}

/// China with a margin: a heating company's data lies inside it.
const CHINA_LON: (f64, f64) = (73.0, 136.0);
const CHINA_LAT: (f64, f64) = (3.0, 54.0);

fn in_china(p: LonLat) -> bool {
    (CHINA_LON.0..=CHINA_LON.1).contains(&p[0]) && (CHINA_LAT.0..=CHINA_LAT.1).contains(&p[1])
}

/// Every coordinate a finite WGS-84 degree inside China; a swapped pair or projected metres
/// named as such.
pub fn check_coordinates(shape: &Shape) -> Result<(), String> {
    for (i, &p) in shape.points().enumerate() {
        let n = i + 1;
        if !p[0].is_finite() || !p[1].is_finite() {
            return Err(format!("coordinate {n} is not a number"));
        }
        if in_china(p) {
            continue;
        }
        if in_china([p[1], p[0]]) {
            return Err(format!(
                "coordinate {n} ({}, {}) looks like latitude, longitude: the order is longitude first",
                p[0], p[1]
            ));
        }
        if p[0].abs() > 180.0 || p[1].abs() > 90.0 {
            return Err(format!(
                "coordinate {n} ({}, {}) is not longitude/latitude in degrees (projected metres? export as WGS-84)",
                p[0], p[1]
            ));
        }
        return Err(format!(
            "coordinate {n} ({}, {}) lies outside China (73–136°E, 3–54°N)",
            p[0], p[1]
        ));
    }
    Ok(())
}

/// Rings closed, at least four points, not crossing themselves.
pub fn check_polygon(rings: &[Vec<LonLat>]) -> Result<(), String> {
    use geo::Validation;
    if rings.is_empty() {
        return Err("a polygon without rings".into());
    }
    for (i, ring) in rings.iter().enumerate() {
        let which = if i == 0 {
            "the outer ring".to_string()
        } else {
            format!("hole {i}")
        };
        if ring.len() < 4 {
            return Err(format!(
                "{which} has {} points; a closed ring needs at least 4",
                ring.len()
            ));
        }
        if ring.first() != ring.last() {
            return Err(format!(
                "{which} is not closed (its last point is not its first)"
            ));
        }
    }
    let ring =
        |r: &Vec<LonLat>| geo::LineString::from(r.iter().map(|p| (p[0], p[1])).collect::<Vec<_>>());
    let polygon = geo::Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect());
    polygon
        .check_validation()
        .map_err(|e| format!("invalid polygon: {e}"))
}

/// A polygon's rings → the outline kept (the outer ring of the largest part) and what was
/// left out, for the report.
pub fn outline(polygons: &[Vec<Vec<LonLat>>]) -> (Vec<LonLat>, Option<String>) {
    use geo::Area;
    let area = |rings: &Vec<Vec<LonLat>>| {
        geo::Polygon::new(
            geo::LineString::from(rings[0].iter().map(|p| (p[0], p[1])).collect::<Vec<_>>()),
            vec![],
        )
        .unsigned_area()
    };
    let largest = polygons
        .iter()
        .max_by(|a, b| area(a).total_cmp(&area(b)))
        .expect("checked: at least one polygon");
    let holes: usize = polygons.iter().map(|p| p.len() - 1).sum();
    let note = match (polygons.len(), holes) {
        (1, 0) => None,
        (1, h) => Some(format!("{h} hole(s) drawn filled")),
        (n, _) => Some(format!("{n} parts: the largest kept as the outline")),
    };
    (largest[0].clone(), note)
}

/// One polyline from a line shape: the parts of a MultiLineString must join end to start.
pub fn polyline(lines: &[Vec<LonLat>]) -> Result<Vec<LonLat>, String> {
    let mut out: Vec<LonLat> = Vec::new();
    for (i, part) in lines.iter().enumerate() {
        if part.len() < 2 {
            return Err(format!(
                "line part {} has {} point(s); a pipe needs 2",
                i + 1,
                part.len()
            ));
        }
        match out.last() {
            None => out.extend_from_slice(part),
            Some(end) if end == &part[0] => out.extend_from_slice(&part[1..]),
            Some(_) => {
                return Err(format!(
                    "{} disconnected line parts: one feature per pipe segment",
                    lines.len()
                ));
            }
        }
    }
    if out.is_empty() {
        return Err("an empty line".into());
    }
    Ok(out)
}

/// GCJ-02 (the offset Chinese web maps use) to WGS-84.
pub fn gcj02_to_wgs84(shape: &mut Shape) {
    for p in shape.points_mut() {
        let (lon, lat) = coordtransform::gcj02_to_wgs84(p[0], p[1]);
        *p = [lon, lat];
    }
}
