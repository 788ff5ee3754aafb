//! GeoPackages (what QGIS saves): an SQLite file whose feature tables hold standard geometry
//! blobs (a small header, then WKB); the layer is the one named, else the first; its
//! coordinate system from the package's spatial reference table. The file is only read.

use std::path::{Path, PathBuf};

use csv::StringRecord;
use geo_traits::{
    CoordTrait, GeometryTrait, GeometryType, LineStringTrait, MultiLineStringTrait,
    MultiPointTrait, MultiPolygonTrait, PointTrait, PolygonTrait,
};
use rusqlite::{Connection, OpenFlags, types::ValueRef};

use super::{Body, Part, Raw, Source, number_text};
use crate::domain::LonLat;
use crate::exchange::bilingual::{Bilingual, bilingual};
use crate::exchange::crs::Crs;
use crate::exchange::records::Loc;
use crate::exchange::shape::Shape;

pub(crate) struct GeoPackage {
    path: PathBuf,
    table: String,
    geometry: String,
    columns: Vec<String>,
    count: u64,
}

fn bad(e: impl std::fmt::Display) -> Bilingual {
    bilingual!(
        "cannot read the GeoPackage: {e}",
        "无法读取 GeoPackage：{e}"
    )
}

fn connect(path: &Path) -> Result<Connection, Bilingual> {
    Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(bad)
}

fn quoted_text(name: &str) -> String {
    format!("'{}'", name.replace('\'', "''"))
}

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The feature layers of a GeoPackage.
pub(super) fn layers(path: &Path) -> Vec<String> {
    connect(path)
        .ok()
        .and_then(|conn| feature_layers(&conn).ok())
        .map(|l| l.into_iter().map(|(t, _, _)| t).collect())
        .unwrap_or_default()
}

fn feature_layers(conn: &Connection) -> Result<Vec<(String, String, i64)>, Bilingual> {
    conn.prepare(
        "SELECT c.table_name, g.column_name, g.srs_id FROM gpkg_contents c
             JOIN gpkg_geometry_columns g ON g.table_name = c.table_name
             WHERE c.data_type = 'features' ORDER BY c.table_name",
    )
    .and_then(|mut st| {
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect()
    })
    .map_err(|_| {
        bilingual!(
            "not a GeoPackage with feature layers (no gpkg_contents)",
            "不是含要素图层的 GeoPackage（缺少 gpkg_contents）"
        )
    })
}

pub(super) fn open(path: &Path, part: &Part) -> Result<Source, Bilingual> {
    let conn = connect(path)?;
    let layers = feature_layers(&conn)?;
    let (table, geometry, srs) = match &part.0 {
        Some(name) => layers
            .iter()
            .find(|l| l.0 == *name)
            .cloned()
            .ok_or_else(|| {
                let all = layers
                    .iter()
                    .map(|l| l.0.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                bilingual!(
                    "the GeoPackage has no layer \"{name}\" (it has: {all})",
                    "GeoPackage 中没有图层“{name}”（现有：{all}）"
                )
            })?,
        None => layers.first().cloned().ok_or_else(|| {
            bilingual!(
                "the GeoPackage has no feature layer",
                "GeoPackage 中没有要素图层"
            )
        })?,
    };
    let (org, code, definition): (String, i64, String) = conn
        .query_row(
            "SELECT organization, organization_coordsys_id, definition
             FROM gpkg_spatial_ref_sys WHERE srs_id = ?1",
            [srs],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap_or_default();
    let declared = if org.eq_ignore_ascii_case("epsg") && code > 0 {
        Some(Crs::epsg(code as u16)?)
    } else if srs == 0 || srs == -1 || definition.trim().is_empty() {
        None
    } else {
        Crs::from_wkt(&definition)?
    };
    // the table's own row number (fid) is the package's, not the company's id
    let key: Vec<String> = conn
        .prepare(&format!(
            "SELECT name FROM pragma_table_info({}) WHERE pk > 0",
            quoted_text(&table)
        ))
        .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
        .unwrap_or_default();
    let columns: Vec<String> = conn
        .prepare(&format!("SELECT * FROM {} LIMIT 0", quoted(&table)))
        .map_err(bad)?
        .column_names()
        .map(str::to_string)
        .filter(|c| *c != geometry && !key.contains(c))
        .collect();
    let count: i64 = conn
        .query_row(
            &format!("SELECT count(*) FROM {}", quoted(&table)),
            [],
            |r| r.get(0),
        )
        .map_err(bad)?;
    Ok(Source {
        file: String::new(),
        format: format!("GeoPackage, layer {table}"),
        headers: columns.clone(),
        declared,
        geometry: true,
        body: Body::GeoPackage(GeoPackage {
            path: path.to_path_buf(),
            table,
            geometry,
            columns,
            count: count as u64,
        }),
    })
}

fn xy(c: impl CoordTrait<T = f64>) -> LonLat {
    [c.x(), c.y()]
}

fn ring(r: impl LineStringTrait<T = f64>) -> Vec<LonLat> {
    r.coords().map(xy).collect()
}

fn polygon(p: impl PolygonTrait<T = f64>) -> Vec<Vec<LonLat>> {
    p.exterior()
        .map(ring)
        .into_iter()
        .chain(p.interiors().map(ring))
        .collect()
}

/// WKB (from a GeoPackage blob) as HeatDesk reads geometry.
fn from_wkb(wkb: &[u8]) -> Result<Shape, Bilingual> {
    let g = wkb::reader::read_wkb(wkb)
        .map_err(|e| bilingual!("unreadable geometry: {e}", "几何无法读取：{e}"))?;
    Ok(match g.as_type() {
        GeometryType::Point(p) => Shape::Point(
            p.coord()
                .map(xy)
                .ok_or_else(|| bilingual!("an empty point", "空点"))?,
        ),
        GeometryType::MultiPoint(m) if m.num_points() == 1 => Shape::Point(
            m.points()
                .next()
                .and_then(|p| p.coord().map(xy))
                .ok_or_else(|| bilingual!("an empty point", "空点"))?,
        ),
        GeometryType::LineString(l) => Shape::Lines(vec![ring(l)]),
        GeometryType::MultiLineString(m) => Shape::Lines(m.line_strings().map(ring).collect()),
        GeometryType::Polygon(p) => Shape::Polygons(vec![polygon(p)]),
        GeometryType::MultiPolygon(m) => Shape::Polygons(m.polygons().map(polygon).collect()),
        _ => {
            return Err(bilingual!(
                "a geometry collection or multipoint: HeatDesk reads points, lines and polygons",
                "几何集合或多点：只支持点、线、面"
            ));
        }
    })
}

/// A GeoPackage geometry blob: "GP", version, flags, srs id, envelope, then WKB.
fn from_blob(blob: &[u8]) -> Option<Result<Shape, Bilingual>> {
    if blob.len() < 8 || &blob[..2] != b"GP" {
        return Some(Err(bilingual!(
            "not a GeoPackage geometry",
            "不是 GeoPackage 几何"
        )));
    }
    let flags = blob[3];
    if flags & 0b1_0000 != 0 {
        return None; // an empty geometry
    }
    let envelope = match (flags >> 1) & 0b111 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        _ => {
            return Some(Err(bilingual!(
                "a GeoPackage geometry with an unknown envelope",
                "GeoPackage 几何的包络类型未知"
            )));
        }
    };
    blob.get(8 + envelope..).map(from_wkb)
}

impl GeoPackage {
    pub fn size(&self) -> u64 {
        self.count.max(1)
    }

    pub fn each(&self, f: &mut dyn FnMut(Raw<'_>) -> bool) -> Result<(), (Loc, Bilingual)> {
        let fail = |n: usize, e: Bilingual| (Loc::Feature(n.max(1)), e);
        let conn = connect(&self.path).map_err(|e| fail(0, e))?;
        let list = std::iter::once(quoted(&self.geometry))
            .chain(self.columns.iter().map(|c| quoted(c)))
            .collect::<Vec<_>>()
            .join(", ");
        let mut st = conn
            .prepare(&format!("SELECT {list} FROM {}", quoted(&self.table)))
            .map_err(|e| fail(0, bad(e)))?;
        let mut rows = st.query([]).map_err(|e| fail(0, bad(e)))?;
        let mut values = StringRecord::new();
        let mut n = 0usize;
        while let Some(row) = rows.next().map_err(|e| fail(n + 1, bad(e)))? {
            n += 1;
            values.clear();
            for i in 0..self.columns.len() {
                let v = match row.get_ref(i + 1) {
                    Ok(ValueRef::Null) | Err(_) => String::new(),
                    Ok(ValueRef::Integer(x)) => x.to_string(),
                    Ok(ValueRef::Real(x)) => number_text(x),
                    Ok(ValueRef::Text(t)) => String::from_utf8_lossy(t).trim().to_string(),
                    Ok(ValueRef::Blob(_)) => String::new(),
                };
                values.push_field(&v);
            }
            let shape = match row.get_ref(0) {
                Ok(ValueRef::Blob(b)) => from_blob(b),
                _ => None,
            };
            if !f(Raw {
                loc: Loc::Feature(n),
                progress: n as u64,
                values: &values,
                shape,
                problem: None,
            }) {
                break;
            }
        }
        Ok(())
    }
}
