//! Geometry as it comes in (GeoJSON, WKT, lon/lat columns), checked before anything is kept.

use serde_json::Value;

use super::bilingual::{Bilingual, bilingual};
use crate::domain::{ExtraRings, LonLat};
use crate::words::Lang;

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
    pub fn name(&self, lang: Lang) -> &'static str {
        match self {
            Shape::Point(_) => lang.pick("点", "a point"),
            Shape::Lines(_) => lang.pick("线", "a line"),
            Shape::Polygons(_) => lang.pick("面", "a polygon"),
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
pub fn from_geojson(value: &Value) -> Result<Option<Shape>, Bilingual> {
    if value.is_null() {
        return Ok(None);
    }
    let kind = value
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| bilingual!("geometry has no \"type\"", "几何缺少 \"type\""))?;
    let coords = value.get("coordinates").ok_or_else(|| {
        bilingual!(
            "{kind} has no \"coordinates\"",
            "{kind} 缺少 \"coordinates\""
        )
    })?;
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
        other => {
            return Err(bilingual!(
                "unsupported geometry type {other}",
                "不支持的几何类型 {other}"
            ));
        }
    };
    Ok(Some(shape))
}

fn array(v: &Value) -> Result<&Vec<Value>, Bilingual> {
    v.as_array().ok_or_else(|| {
        let found = short(v);
        bilingual!(
            "expected an array of coordinates, found {found}",
            "应为坐标数组，实际为 {found}"
        )
    })
}

fn position(v: &Value) -> Result<LonLat, Bilingual> {
    let a = array(v)?;
    if a.len() < 2 {
        let found = short(v);
        return Err(bilingual!(
            "a position needs lon and lat, found {found}",
            "一个坐标需要经度和纬度，实际为 {found}"
        ));
    }
    let n = |x: &Value| {
        x.as_f64().ok_or_else(|| {
            let found = short(x);
            bilingual!(
                "coordinate {found} is not a number",
                "坐标 {found} 不是数字"
            )
        })
    };
    Ok([n(&a[0])?, n(&a[1])?])
}

fn positions(v: &Value) -> Result<Vec<LonLat>, Bilingual> {
    array(v)?.iter().map(position).collect()
}

fn rings(v: &Value) -> Result<Vec<Vec<LonLat>>, Bilingual> {
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
pub fn from_wkt(text: &str) -> Result<Shape, Bilingual> {
    use wkt::Wkt;
    let parsed: Wkt<f64> = text
        .parse()
        .map_err(|e| bilingual!("not valid WKT ({e})", "不是有效的 WKT（{e}）"))?;
    let line = |l: &wkt::types::LineString<f64>| -> Vec<LonLat> {
        l.coords().iter().map(|c| [c.x, c.y]).collect()
    };
    let polygon =
        |p: &wkt::types::Polygon<f64>| -> Vec<Vec<LonLat>> { p.rings().iter().map(line).collect() };
    Ok(match parsed {
        Wkt::Point(p) => match p.coord() {
            Some(c) => Shape::Point([c.x, c.y]),
            None => return Err(bilingual!("POINT EMPTY", "空点（POINT EMPTY）")),
        },
        Wkt::LineString(l) => Shape::Lines(vec![line(&l)]),
        Wkt::MultiLineString(m) => Shape::Lines(m.line_strings().iter().map(line).collect()),
        Wkt::Polygon(p) => Shape::Polygons(vec![polygon(&p)]),
        Wkt::MultiPolygon(m) => Shape::Polygons(m.polygons().iter().map(polygon).collect()),
        _ => {
            return Err(bilingual!(
                "unsupported WKT geometry (use POINT, LINESTRING or POLYGON)",
                "不支持的 WKT 几何（请用 POINT、LINESTRING 或 POLYGON）"
            ));
        }
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
pub fn check_coordinates(shape: &Shape) -> Result<(), Bilingual> {
    for (i, &p) in shape.points().enumerate() {
        let n = i + 1;
        if !p[0].is_finite() || !p[1].is_finite() {
            return Err(bilingual!(
                "coordinate {n} is not a number",
                "第 {n} 个坐标不是数字"
            ));
        }
        if in_china(p) {
            continue;
        }
        let (x, y) = (p[0], p[1]);
        if in_china([y, x]) {
            return Err(bilingual!(
                "coordinate {n} ({x}, {y}) looks like latitude, longitude: the order is longitude first",
                "第 {n} 个坐标（{x}, {y}）像是纬度在前：应为经度在前"
            ));
        }
        if x.abs() > 180.0 || y.abs() > 90.0 {
            return Err(bilingual!(
                "coordinate {n} ({x}, {y}) is not longitude/latitude in degrees (projected metres? export as WGS-84)",
                "第 {n} 个坐标（{x}, {y}）不是经纬度（投影坐标？请导出为 WGS-84）"
            ));
        }
        return Err(bilingual!(
            "coordinate {n} ({x}, {y}) lies outside China (73–136°E, 3–54°N)",
            "第 {n} 个坐标（{x}, {y}）在中国范围之外（东经 73–136°，北纬 3–54°）"
        ));
    }
    Ok(())
}

/// Rings closed, at least four points, not crossing themselves.
pub fn check_polygon(rings: &[Vec<LonLat>]) -> Result<(), Bilingual> {
    use geo::Validation;
    if rings.is_empty() {
        return Err(bilingual!("a polygon without rings", "面没有环"));
    }
    for (i, ring) in rings.iter().enumerate() {
        let (en, zh) = if i == 0 {
            ("the outer ring".to_string(), "外环".to_string())
        } else {
            (format!("hole {i}"), format!("第 {i} 个内环"))
        };
        let points = ring.len();
        if points < 4 {
            return Err(bilingual!(
                "{en} has {points} points; a closed ring needs at least 4",
                "{zh}只有 {points} 个点；闭合环至少需要 4 个"
            ));
        }
        if ring.first() != ring.last() {
            return Err(bilingual!(
                "{en} is not closed (its last point is not its first)",
                "{zh}未闭合（最后一点不等于第一点）"
            ));
        }
    }
    let ring =
        |r: &Vec<LonLat>| geo::LineString::from(r.iter().map(|p| (p[0], p[1])).collect::<Vec<_>>());
    let polygon = geo::Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect());
    polygon
        .check_validation()
        .map_err(|e| bilingual!("invalid polygon: {e}", "无效的面：{e}"))
}

/// A polygon's rings → the outline (the outer ring of the largest part) and the rest: its
/// holes and the other parts.
pub fn outline(polygons: &[Vec<Vec<LonLat>>]) -> (Vec<LonLat>, ExtraRings) {
    use geo::Area;
    let area = |rings: &Vec<Vec<LonLat>>| {
        geo::Polygon::new(
            geo::LineString::from(rings[0].iter().map(|p| (p[0], p[1])).collect::<Vec<_>>()),
            vec![],
        )
        .unsigned_area()
    };
    let largest = (0..polygons.len())
        .max_by(|&a, &b| area(&polygons[a]).total_cmp(&area(&polygons[b])))
        .expect("checked: at least one polygon");
    let main = &polygons[largest];
    let extra = ExtraRings {
        holes: main[1..].to_vec(),
        parts: (0..polygons.len())
            .filter(|&i| i != largest)
            .map(|i| polygons[i].clone())
            .collect(),
    };
    (main[0].clone(), extra)
}

/// One polyline from a line shape: the parts of a MultiLineString must join end to start.
pub fn polyline(lines: &[Vec<LonLat>]) -> Result<Vec<LonLat>, Bilingual> {
    let mut out: Vec<LonLat> = Vec::new();
    for (i, part) in lines.iter().enumerate() {
        if part.len() < 2 {
            let (n, points) = (i + 1, part.len());
            return Err(bilingual!(
                "line part {n} has {points} point(s); a pipe needs 2",
                "第 {n} 段线只有 {points} 个点；管段至少需要 2 个"
            ));
        }
        match out.last() {
            None => out.extend_from_slice(part),
            Some(end) if end == &part[0] => out.extend_from_slice(&part[1..]),
            Some(_) => {
                let parts = lines.len();
                return Err(bilingual!(
                    "{parts} disconnected line parts: one feature per pipe segment",
                    "{parts} 段线互不相连：每个要素应为一段管"
                ));
            }
        }
    }
    if out.is_empty() {
        return Err(bilingual!("an empty line", "空线"));
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
