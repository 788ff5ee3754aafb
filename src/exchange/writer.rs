//! Any kind out as a file `heatdesk import` takes back: GeoJSON (RFC 7946, WGS-84) for the
//! spatial kinds, CSV (UTF-8 with a BOM, geometry as WKT) for every kind.

use std::path::Path;

use serde_json::{Value, json};

use super::kind::Kind;
use crate::domain::{ExtraRings, LonLat, Snapshot, Timestamp};
use crate::export::{ExportError, write_atomically};
use crate::words::format::mask_phone;

/// A row's values in the order of [`Kind::fields`], and its geometry.
pub struct Row {
    pub values: Vec<Value>,
    pub geometry: Option<Value>,
}

fn time(t: Timestamp) -> Value {
    t.format("%Y-%m-%d %H:%M:%S").to_string().into()
}

fn opt<T: Into<Value>>(v: Option<T>) -> Value {
    v.map_or(Value::Null, Into::into)
}

fn point(p: LonLat) -> Value {
    json!({"type": "Point", "coordinates": p})
}

/// An outline with its holes: a Polygon; with further parts: a MultiPolygon.
fn polygon(outer: &[LonLat], extra: &ExtraRings) -> Value {
    let closed = |ring: &[LonLat]| {
        let mut ring = ring.to_vec();
        if ring.first() != ring.last()
            && let Some(&first) = ring.first()
        {
            ring.push(first); // GeoJSON and WKT rings are closed
        }
        ring
    };
    let polygons: Vec<Vec<Vec<LonLat>>> = extra
        .polygons(outer)
        .map(|(outer, holes)| {
            std::iter::once(closed(outer))
                .chain(holes.iter().map(|h| closed(h)))
                .collect()
        })
        .collect();
    match polygons.as_slice() {
        [one] => json!({"type": "Polygon", "coordinates": one}),
        _ => json!({"type": "MultiPolygon", "coordinates": polygons}),
    }
}

/// Every row of a kind. Phone numbers are masked unless `unmasked` (a re-import keeps the
/// numbers on file when it meets a masked one).
pub fn rows(snap: &Snapshot, kind: Kind, unmasked: bool) -> Vec<Row> {
    let row = |values: Vec<Value>, geometry: Option<Value>| Row { values, geometry };
    match kind {
        Kind::Departments => snap
            .departments
            .iter()
            .map(|d| row(vec![d.id.into(), d.name.clone().into()], None))
            .collect(),
        Kind::Compounds => snap
            .compounds
            .iter()
            .map(|c| {
                row(
                    vec![
                        c.id.into(),
                        c.name.clone().into(),
                        c.address.clone().into(),
                        c.department_id.into(),
                        c.households.into(),
                    ],
                    Some(polygon(&c.outline, &c.extra)),
                )
            })
            .collect(),
        Kind::Buildings => snap
            .buildings
            .iter()
            .map(|b| {
                row(
                    vec![
                        b.id.into(),
                        b.compound_id.into(),
                        b.number.clone().into(),
                        b.units.into(),
                        b.floors.into(),
                        b.households.into(),
                        b.station_id.into(),
                        b.entry_node.into(),
                    ],
                    Some(polygon(&b.footprint, &b.extra)),
                )
            })
            .collect(),
        Kind::Sources => snap
            .sources
            .iter()
            .map(|s| {
                row(
                    vec![
                        s.id.into(),
                        s.name.clone().into(),
                        s.capacity_mw.into(),
                        s.node.into(),
                    ],
                    Some(point(s.position)),
                )
            })
            .collect(),
        Kind::Stations => snap
            .stations
            .iter()
            .map(|s| {
                row(
                    vec![
                        s.id.into(),
                        s.name.clone().into(),
                        s.department_id.into(),
                        s.node.into(),
                    ],
                    Some(point(s.position)),
                )
            })
            .collect(),
        Kind::Pipes => snap
            .segments
            .iter()
            .map(|s| {
                row(
                    vec![
                        s.id.into(),
                        s.from.into(),
                        s.to.into(),
                        s.tier.code().into(),
                        s.flow.code().into(),
                        s.dn.into(),
                        s.laid_year.into(),
                    ],
                    Some(json!({"type": "LineString", "coordinates": s.path})),
                )
            })
            .collect(),
        Kind::Valves => snap
            .valves
            .iter()
            .map(|v| {
                row(
                    vec![v.id.into(), v.segment.into(), v.operable.into()],
                    Some(point(v.position)),
                )
            })
            .collect(),
        Kind::Teams => snap
            .teams
            .iter()
            .map(|t| {
                let skills: Vec<&str> = t.skills.iter().map(|k| k.code()).collect();
                row(
                    vec![
                        t.id.into(),
                        t.name.clone().into(),
                        t.department_id.into(),
                        t.members.join(",").into(),
                        skills.join(",").into(),
                        t.status.code().into(),
                    ],
                    Some(point(t.home_base)),
                )
            })
            .collect(),
        Kind::Tickets => snap
            .tickets
            .iter()
            .map(|t| {
                let phone = if unmasked {
                    t.reporter_phone.clone()
                } else {
                    mask_phone(&t.reporter_phone)
                };
                row(
                    vec![
                        t.id.into(),
                        t.channel.code().into(),
                        t.category.code().into(),
                        t.severity.code().into(),
                        t.building_id.into(),
                        t.address_detail.clone().into(),
                        t.reporter_name.clone().into(),
                        phone.into(),
                        t.description.clone().into(),
                        t.status.code().into(),
                        opt(t.team_id),
                        time(t.created_at),
                        time(t.respond_by),
                        time(t.deadline),
                        time(t.updated_at),
                        t.fixed_at.map_or(Value::Null, time),
                        t.closed_at.map_or(Value::Null, time),
                        opt(t.timely),
                        opt(t.satisfaction.map(|a| a.code())),
                        opt(t.parent_id),
                        opt(t.segment_id),
                    ],
                    None,
                )
            })
            .collect(),
        Kind::Visits => snap
            .visits
            .iter()
            .map(|v| {
                row(
                    vec![
                        v.id.into(),
                        v.compound_id.into(),
                        time(v.at),
                        v.leaders.clone().into(),
                        v.staff.clone().into(),
                        v.consultation_desk.into(),
                        v.households_entered.into(),
                        v.notes.clone().into(),
                    ],
                    None,
                )
            })
            .collect(),
        Kind::Readings => snap
            .readings
            .iter()
            .map(|r| {
                row(
                    vec![
                        r.id.into(),
                        r.building_id.into(),
                        opt(r.visit_id),
                        r.room.clone().into(),
                        r.celsius.into(),
                        r.method.code().into(),
                        time(r.taken_at),
                        r.taken_by.clone().into(),
                    ],
                    None,
                )
            })
            .collect(),
        Kind::Surveys => snap
            .surveys
            .iter()
            .map(|s| {
                row(
                    vec![
                        s.id.into(),
                        s.building_id.into(),
                        opt(s.ticket_id),
                        opt(s.visit_id),
                        s.answer.code().into(),
                        time(s.at),
                    ],
                    None,
                )
            })
            .collect(),
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "1" } else { "0" }.into(),
        other => other.to_string(),
    }
}

/// A GeoJSON geometry as WKT.
fn wkt(g: &Value) -> String {
    let coords = |ps: &Value| -> String {
        ps.as_array()
            .into_iter()
            .flatten()
            .map(|p| format!("{} {}", p[0], p[1]))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let list = |items: &Value, each: &dyn Fn(&Value) -> String| -> String {
        items
            .as_array()
            .into_iter()
            .flatten()
            .map(|i| format!("({})", each(i)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let rings = |polygon: &Value| list(polygon, &coords);
    let c = &g["coordinates"];
    match g["type"].as_str() {
        Some("Point") => format!("POINT ({} {})", c[0], c[1]),
        Some("LineString") => format!("LINESTRING ({})", coords(c)),
        Some("Polygon") => format!("POLYGON ({})", rings(c)),
        Some("MultiPolygon") => format!("MULTIPOLYGON ({})", list(c, &rings)),
        _ => String::new(),
    }
}

/// Write a kind to `path`: .geojson (spatial kinds) or .csv. Returns the number of rows.
pub fn write(
    snap: &Snapshot,
    kind: Kind,
    path: &Path,
    unmasked: bool,
) -> Result<usize, ExportError> {
    let shown = path.display().to_string();
    let rows = rows(snap, kind, unmasked);
    let fields = kind.fields();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let bytes = match ext.as_str() {
        "geojson" | "json" if kind.geometry().is_some() => {
            let features: Vec<Value> = rows
                .iter()
                .map(|r| {
                    let properties: serde_json::Map<String, Value> = fields[1..]
                        .iter()
                        .zip(&r.values[1..])
                        .map(|(f, v)| (f.name.to_string(), v.clone()))
                        .collect();
                    json!({"type": "Feature", "id": r.values[0], "properties": properties,
                           "geometry": r.geometry})
                })
                .collect();
            serde_json::to_vec(&json!({"type": "FeatureCollection", "features": features}))
                .map_err(|e| ExportError::Format {
                    path: shown.clone(),
                    message: e.to_string(),
                })?
        }
        "csv" => {
            let mut bytes = "\u{feff}".as_bytes().to_vec();
            {
                let mut w = csv::Writer::from_writer(&mut bytes);
                let mut headers: Vec<&str> = fields.iter().map(|f| f.name).collect();
                if kind.geometry().is_some() {
                    headers.push("wkt");
                }
                let fail = |e: csv::Error| ExportError::Format {
                    path: shown.clone(),
                    message: e.to_string(),
                };
                w.write_record(&headers).map_err(fail)?;
                for r in &rows {
                    let mut cells: Vec<String> = r.values.iter().map(text).collect();
                    if let Some(g) = &r.geometry {
                        cells.push(wkt(g));
                    }
                    w.write_record(&cells).map_err(fail)?;
                }
                w.flush().map_err(|source| ExportError::Io {
                    path: shown.clone(),
                    source,
                })?;
            }
            bytes
        }
        _ => {
            return Err(ExportError::Format {
                path: shown,
                message: if kind.geometry().is_some() {
                    "write .geojson or .csv".into()
                } else {
                    format!("{} are written as .csv", kind.code())
                },
            });
        }
    };
    write_atomically(path, &bytes).map_err(|source| ExportError::Io {
        path: shown,
        source,
    })?;
    Ok(rows.len())
}
