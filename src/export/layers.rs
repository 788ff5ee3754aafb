//! Map layers as GeoJSON (RFC 7946, WGS-84) for GIS tools, and tickets as a table.

use geojson::{Feature, FeatureCollection, Geometry, GeometryValue, JsonObject, Position};
use serde_json::json;

use super::{Cell, Table};
use crate::domain::{LonLat, Snapshot, TicketId};
use crate::ui::format::mask_phone;
use crate::ui::i18n::{self, Lang};

/// The layers a company can take back out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Layer {
    Compounds,
    Buildings,
    Pipes,
    Stations,
    Sources,
    Valves,
}

fn ring(points: &[LonLat]) -> Vec<Position> {
    let mut ring: Vec<Position> = points.iter().map(|&p| Position::from(p)).collect();
    // GeoJSON rings are closed
    if points.first() != points.last()
        && let Some(&first) = points.first()
    {
        ring.push(Position::from(first));
    }
    ring
}

fn feature(id: i64, value: GeometryValue, properties: serde_json::Value) -> Feature {
    let properties: Option<JsonObject> = match properties {
        serde_json::Value::Object(map) => Some(map),
        _ => None,
    };
    Feature {
        bbox: None,
        geometry: Some(Geometry::new(value)),
        id: Some(geojson::feature::Id::Number(id.into())),
        properties,
        foreign_members: None,
    }
}

/// One layer as a feature collection, with the fields an import would need to rebuild it.
pub fn geojson(snap: &Snapshot, layer: Layer) -> FeatureCollection {
    let point = |p: LonLat| GeometryValue::Point {
        coordinates: Position::from(p),
    };
    let features: Vec<Feature> = match layer {
        Layer::Compounds => snap
            .compounds
            .iter()
            .map(|c| {
                feature(
                    c.id,
                    GeometryValue::Polygon {
                        coordinates: vec![ring(&c.outline)],
                    },
                    json!({"name": c.name, "address": c.address, "department_id": c.department_id,
                           "households": c.households}),
                )
            })
            .collect(),
        Layer::Buildings => snap
            .buildings
            .iter()
            .map(|b| {
                feature(
                    b.id,
                    GeometryValue::Polygon {
                        coordinates: vec![ring(&b.footprint)],
                    },
                    json!({"compound_id": b.compound_id, "number": b.number, "units": b.units,
                           "floors": b.floors, "households": b.households,
                           "station_id": b.station_id, "entry_node_id": b.entry_node}),
                )
            })
            .collect(),
        Layer::Pipes => snap
            .segments
            .iter()
            .map(|s| {
                feature(
                    s.id,
                    GeometryValue::LineString {
                        coordinates: s.path.iter().map(|&p| Position::from(p)).collect(),
                    },
                    json!({"from_node": s.from, "to_node": s.to, "tier": s.tier.code(),
                           "flow": s.flow.code(), "dn": s.dn, "laid_year": s.laid_year}),
                )
            })
            .collect(),
        Layer::Stations => snap
            .stations
            .iter()
            .map(|s| {
                feature(
                    s.id,
                    point(s.position),
                    json!({"name": s.name, "department_id": s.department_id, "node_id": s.node}),
                )
            })
            .collect(),
        Layer::Sources => snap
            .sources
            .iter()
            .map(|s| {
                feature(
                    s.id,
                    point(s.position),
                    json!({"name": s.name, "capacity_mw": s.capacity_mw, "node_id": s.node}),
                )
            })
            .collect(),
        Layer::Valves => snap
            .valves
            .iter()
            .map(|v| {
                feature(
                    v.id,
                    point(v.position),
                    json!({"segment_id": v.segment, "operable": v.operable}),
                )
            })
            .collect(),
    };
    FeatureCollection {
        bbox: None,
        features,
        foreign_members: None,
    }
}

/// Write a layer to `path` (written beside it, then renamed).
pub fn write_geojson(
    snap: &Snapshot,
    layer: Layer,
    path: &std::path::Path,
) -> Result<usize, super::ExportError> {
    let collection = geojson(snap, layer);
    let bytes = serde_json::to_vec(&collection).map_err(|e| super::ExportError::Format {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    super::write_atomically(path, &bytes).map_err(|source| super::ExportError::Io {
        path: path.display().to_string(),
        source,
    })?;
    Ok(collection.features.len())
}

/// Tickets as a table, in the order given (the queue as filtered on screen); numbers masked.
pub fn tickets(snap: &Snapshot, ids: &[TicketId], lang: Lang) -> Table {
    Table {
        title: lang.pick("工单", "Tickets").into(),
        headers: [
            lang.pick("工单号", "Ticket"),
            lang.pick("渠道", "Channel"),
            lang.pick("类别", "Category"),
            lang.pick("紧急程度", "Severity"),
            lang.pick("状态", "Status"),
            lang.pick("地址", "Address"),
            lang.pick("报修人", "Reporter"),
            lang.pick("描述", "Description"),
            lang.pick("班组", "Team"),
            lang.pick("受理时间", "Received"),
            lang.pick("处置时限", "Deadline"),
        ]
        .map(String::from)
        .to_vec(),
        rows: ids
            .iter()
            .filter_map(|&id| snap.ticket(id))
            .map(|t| {
                vec![
                    Cell::from(format!("#{}", t.id)),
                    i18n::channel(lang, t.channel).into(),
                    i18n::category(lang, t.category).into(),
                    i18n::severity(lang, t.severity).into(),
                    i18n::status(lang, t.status).into(),
                    format!(
                        "{} {}",
                        snap.building_label(t.building_id),
                        t.address_detail
                    )
                    .into(),
                    format!("{} {}", t.reporter_name, mask_phone(&t.reporter_phone)).into(),
                    t.description.clone().into(),
                    t.team_id
                        .and_then(|id| snap.team(id))
                        .map_or(String::new(), |x| x.name.clone())
                        .into(),
                    t.created_at.format("%Y-%m-%d %H:%M").to_string().into(),
                    t.deadline.format("%Y-%m-%d %H:%M").to_string().into(),
                ]
            })
            .collect(),
    }
}
