//! ArcGIS Shapefiles: the shapes (.shp), their attributes (.dbf) in the encoding the .cpg
//! names — else UTF-8 or GBK, whichever the text is — and the coordinate system of the .prj.

use std::path::{Path, PathBuf};

use csv::StringRecord;
use shapefile::dbase::{self, FieldValue};

use super::{Body, Raw, Source, number_text};
use crate::domain::LonLat;
use crate::exchange::bilingual::{Bilingual, bilingual};
use crate::exchange::crs::Crs;
use crate::exchange::records::Loc;
use crate::exchange::shape::Shape;

pub(crate) struct Shapefile {
    headers: Vec<String>,
    shp: PathBuf,
    dbf: PathBuf,
    encoding: &'static encoding_rs::Encoding,
    count: u64,
}

fn sibling(path: &Path, ext: &str) -> Option<PathBuf> {
    // .dbf or .DBF beside .shp or .SHP
    [ext.to_string(), ext.to_ascii_uppercase()]
        .into_iter()
        .map(|e| path.with_extension(e))
        .find(|p| p.exists())
}

/// The encoding a .cpg names ("UTF-8", "GBK", "936", "CP936" …).
fn shown(e: &'static encoding_rs::Encoding) -> &'static str {
    if e == encoding_rs::GB18030 {
        "GBK/GB18030"
    } else {
        e.name()
    }
}

fn from_cpg(label: &str) -> Option<&'static encoding_rs::Encoding> {
    let l = label
        .trim()
        .trim_start_matches('\u{feff}')
        .to_ascii_lowercase();
    let l = l.trim_start_matches("cp").trim_start_matches("ansi ");
    match l {
        "936" | "gbk" | "gb2312" | "gb18030" | "54936" => Some(encoding_rs::GB18030),
        "65001" | "utf-8" | "utf8" => Some(encoding_rs::UTF_8),
        "950" | "big5" => Some(encoding_rs::BIG5),
        "1252" => Some(encoding_rs::WINDOWS_1252),
        other => encoding_rs::Encoding::for_label(other.as_bytes()),
    }
}

/// UTF-8 if the records are UTF-8, else GBK when they read as GBK (what Chinese ArcGIS
/// writes without a .cpg), else the code page the header's language byte names.
fn detect(dbf: &[u8]) -> (&'static encoding_rs::Encoding, &'static str) {
    let header_len = dbf
        .get(8..10)
        .map_or(0, |b| u16::from_le_bytes([b[0], b[1]]) as usize);
    let records = dbf.get(header_len..).unwrap_or_default();
    let records = records.strip_suffix(b"\x1a").unwrap_or(records);
    if std::str::from_utf8(records).is_ok() {
        return (encoding_rs::UTF_8, "UTF-8");
    }
    let ldid = dbf.get(29).copied().unwrap_or(0);
    if ldid == 0x4D || !encoding_rs::GB18030.decode_without_bom_handling(records).1 {
        return (encoding_rs::GB18030, "GBK");
    }
    (encoding_rs::WINDOWS_1252, "Windows-1252")
}

pub(super) fn open(path: &Path) -> Result<Source, Bilingual> {
    let shp = sibling(path, "shp").ok_or_else(|| {
        bilingual!(
            "a Shapefile needs its .shp beside the .dbf",
            "Shapefile 需要与 .dbf 同名的 .shp 文件"
        )
    })?;
    let dbf = sibling(&shp, "dbf").ok_or_else(|| {
        bilingual!(
            "a Shapefile needs its .dbf (the attributes) beside the .shp",
            "Shapefile 需要与 .shp 同名的 .dbf 文件（属性表）"
        )
    })?;
    let bytes = std::fs::read(&dbf)
        .map_err(|e| bilingual!("cannot read the .dbf: {e}", "无法读取 .dbf：{e}"))?;
    let (encoding, said_how) = match sibling(&shp, "cpg")
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|label| from_cpg(&label).map(|e| (e, label.trim().to_string())))
    {
        Some((e, label)) => (e, format!("{} (.cpg: {label})", shown(e))),
        None => {
            let (e, name) = detect(&bytes);
            (e, format!("{name} (detected)"))
        }
    };
    drop(bytes);
    let declared = match sibling(&shp, "prj").and_then(|p| std::fs::read_to_string(p).ok()) {
        Some(wkt) => Crs::from_wkt(&wkt)?,
        None => None,
    };
    let reader = dbase::ReaderBuilder::new()
        .with_encoding(dbase::encoding::EncodingRs::from(encoding))
        .open(&dbf)
        .map_err(|e| bilingual!("cannot read the .dbf: {e}", "无法读取 .dbf：{e}"))?;
    let headers: Vec<String> = reader
        .fields()
        .iter()
        .map(|f| f.name().to_string())
        .collect();
    let count = reader.header().num_records as u64;
    Ok(Source {
        file: String::new(),
        format: format!("Shapefile, {said_how}"),
        headers: headers.clone(),
        declared,
        geometry: true,
        body: Body::Shapefile(Shapefile {
            headers,
            shp,
            dbf,
            encoding,
            count,
        }),
    })
}

fn value_text(v: &FieldValue) -> String {
    match v {
        FieldValue::Character(s) => s.as_deref().unwrap_or("").trim().to_string(),
        FieldValue::Memo(s) => s.trim().to_string(),
        FieldValue::Numeric(n) => n.map(number_text).unwrap_or_default(),
        FieldValue::Float(n) => n.map(|x| number_text(f64::from(x))).unwrap_or_default(),
        FieldValue::Logical(b) => b
            .map(|b| if b { "1" } else { "0" }.to_string())
            .unwrap_or_default(),
        FieldValue::Date(d) => d
            .map(|d| format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()))
            .unwrap_or_default(),
        FieldValue::Integer(n) => n.to_string(),
        FieldValue::Currency(x) | FieldValue::Double(x) => number_text(*x),
        FieldValue::DateTime(dt) => {
            let (d, t) = (dt.date(), dt.time());
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
                d.year(),
                d.month(),
                d.day(),
                t.hours(),
                t.minutes(),
                t.seconds()
            )
        }
        #[allow(unreachable_patterns)]
        _ => String::new(),
    }
}

fn point(x: f64, y: f64) -> LonLat {
    [x, y]
}

/// A Shapefile's shape as HeatDesk reads geometry (None: a null shape).
fn shape(s: shapefile::Shape) -> Option<Result<Shape, Bilingual>> {
    use shapefile::Shape as S;
    fn polygons<P>(rings: &[shapefile::PolygonRing<P>], xy: impl Fn(&P) -> LonLat) -> Shape {
        // each outer ring starts a polygon; the holes after it are its own
        let mut out: Vec<Vec<Vec<LonLat>>> = Vec::new();
        for ring in rings {
            let pts: Vec<LonLat> = ring.points().iter().map(&xy).collect();
            match ring {
                shapefile::PolygonRing::Outer(_) => out.push(vec![pts]),
                shapefile::PolygonRing::Inner(_) => match out.last_mut() {
                    Some(p) => p.push(pts),
                    None => out.push(vec![pts]),
                },
            }
        }
        Shape::Polygons(out)
    }
    let lines = |parts: Vec<Vec<LonLat>>| Shape::Lines(parts);
    Some(Ok(match s {
        S::NullShape => return None,
        S::Point(p) => Shape::Point(point(p.x, p.y)),
        S::PointM(p) => Shape::Point(point(p.x, p.y)),
        S::PointZ(p) => Shape::Point(point(p.x, p.y)),
        S::Polyline(l) => lines(
            l.parts()
                .iter()
                .map(|p| p.iter().map(|q| point(q.x, q.y)).collect())
                .collect(),
        ),
        S::PolylineM(l) => lines(
            l.parts()
                .iter()
                .map(|p| p.iter().map(|q| point(q.x, q.y)).collect())
                .collect(),
        ),
        S::PolylineZ(l) => lines(
            l.parts()
                .iter()
                .map(|p| p.iter().map(|q| point(q.x, q.y)).collect())
                .collect(),
        ),
        S::Polygon(p) => polygons(p.rings(), |q| point(q.x, q.y)),
        S::PolygonM(p) => polygons(p.rings(), |q| point(q.x, q.y)),
        S::PolygonZ(p) => polygons(p.rings(), |q| point(q.x, q.y)),
        S::Multipoint(m) if m.points().len() == 1 => {
            Shape::Point(point(m.points()[0].x, m.points()[0].y))
        }
        S::MultipointM(m) if m.points().len() == 1 => {
            Shape::Point(point(m.points()[0].x, m.points()[0].y))
        }
        S::MultipointZ(m) if m.points().len() == 1 => {
            Shape::Point(point(m.points()[0].x, m.points()[0].y))
        }
        _ => {
            return Some(Err(bilingual!(
                "a multipoint or multipatch shape: HeatDesk reads points, lines and polygons",
                "多点或多面片：只支持点、线、面"
            )));
        }
    }))
}

impl Shapefile {
    pub fn size(&self) -> u64 {
        self.count.max(1)
    }

    pub fn each(&self, f: &mut dyn FnMut(Raw<'_>) -> bool) -> Result<(), (Loc, Bilingual)> {
        let bad = |n: usize, e: &dyn std::fmt::Display| {
            (
                Loc::Feature(n.max(1)),
                bilingual!("unreadable Shapefile: {e}", "Shapefile 无法读取：{e}"),
            )
        };
        let shapes = shapefile::ShapeReader::from_path(&self.shp).map_err(|e| bad(0, &e))?;
        let table = dbase::ReaderBuilder::new()
            .with_encoding(dbase::encoding::EncodingRs::from(self.encoding))
            .open(&self.dbf)
            .map_err(|e| bad(0, &e))?;
        let mut reader = shapefile::Reader::new(shapes, table);
        let mut values = StringRecord::new();
        for (i, item) in reader.iter_shapes_and_records().enumerate() {
            let n = i + 1;
            let (s, record) = item.map_err(|e| bad(n, &e))?;
            let record: std::collections::HashMap<String, FieldValue> = record.into();
            values.clear();
            for name in &self.headers {
                values.push_field(&record.get(name).map(value_text).unwrap_or_default());
            }
            if !f(Raw {
                loc: Loc::Feature(n),
                progress: n as u64,
                values: &values,
                shape: shape(s),
                problem: None,
            }) {
                break;
            }
        }
        Ok(())
    }
}
