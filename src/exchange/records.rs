//! A file as records: the text decoded (UTF-8, GBK/GB18030, UTF-16), CSV or GeoJSON read,
//! headers matched to a kind's fields, geometry taken from GeoJSON, a WKT column or lon/lat.

use std::collections::HashMap;
use std::fmt;

use csv::StringRecord;
use serde_json::Value;

use super::kind::{Kind, normalise};
use super::shape::{self, Shape};

/// Where in a file a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loc {
    /// A CSV row as a spreadsheet numbers it (the header is row 1).
    Row(u64),
    /// A GeoJSON feature, counted from 1.
    Feature(usize),
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Loc::Row(n) => write!(f, "row {n}"),
            Loc::Feature(n) => write!(f, "feature {n}"),
        }
    }
}

/// One record: a kind's fields by position, and its geometry if the file has one.
pub struct Record<'a> {
    pub loc: Loc,
    /// How far into the file (bytes of a CSV, features of a GeoJSON), for a progress bar.
    pub progress: u64,
    values: &'a StringRecord,
    columns: &'a [Option<usize>],
    pub shape: Option<Result<Shape, String>>,
}

impl<'r> Record<'r> {
    /// A field's text, trimmed ("" when the file has no such column).
    pub fn get(&self, field: usize) -> &'r str {
        let values: &'r StringRecord = self.values;
        self.columns[field]
            .and_then(|c| values.get(c))
            .map_or("", str::trim)
    }
}

enum Body {
    Csv {
        text: String,
        columns: Vec<Option<usize>>,
        wkt: Option<usize>,
        lonlat: Option<(usize, usize)>,
    },
    GeoJson {
        features: Vec<Value>,
    },
}

/// A file read and matched to its kind, ready to be walked record by record.
pub struct Input {
    pub kind: Kind,
    /// The file's name, as problems name it.
    pub file: String,
    pub encoding: &'static str,
    /// Columns that are no field of this kind (named in the report, not an error).
    pub ignored: Vec<String>,
    body: Body,
}

/// Bytes to text: UTF-8 (with or without a BOM), UTF-16 with a BOM, else GB18030 (GBK).
pub fn decode(bytes: &[u8]) -> Result<(String, &'static str), String> {
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(
            "this is an Excel workbook or a zip, not text: save it as CSV (UTF-8 or GBK)".into(),
        );
    }
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8(rest.to_vec())
            .map(|s| (s, "UTF-8"))
            .map_err(|e| {
                format!(
                    "starts as UTF-8 but byte {} is not UTF-8",
                    e.utf8_error().valid_up_to() + 3
                )
            });
    }
    for (bom, enc) in [
        (&b"\xFF\xFE"[..], encoding_rs::UTF_16LE),
        (&b"\xFE\xFF"[..], encoding_rs::UTF_16BE),
    ] {
        if bytes.starts_with(bom) {
            let (text, had_errors) = enc.decode_with_bom_removal(bytes);
            if had_errors {
                return Err("broken UTF-16 text".into());
            }
            return Ok((text.into_owned(), enc.name()));
        }
    }
    if bytes.contains(&0) {
        return Err("binary content, not a text file".into());
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok((text.to_string(), "UTF-8"));
    }
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if had_errors {
        return Err("neither UTF-8 nor GBK/GB18030 text".into());
    }
    Ok((text.into_owned(), "GBK/GB18030"))
}

const WKT_HEADERS: &[&str] = &["wkt", "geometry", "geom", "the_geom", "几何", "坐标串"];
const LON_HEADERS: &[&str] = &["lon", "lng", "longitude", "经度", "x"];
const LAT_HEADERS: &[&str] = &["lat", "latitude", "纬度", "y"];

fn is_one_of(header: &str, names: &[&str]) -> bool {
    let h = normalise(header);
    names.iter().any(|n| normalise(n) == h)
}

/// Which field each header is (None: not one of this kind's).
fn match_headers(kind: Kind, headers: &[String]) -> Result<Vec<Option<usize>>, String> {
    let mut columns = vec![None; kind.fields().len()];
    for (col, header) in headers.iter().enumerate() {
        if let Some(i) = kind.fields().iter().position(|f| f.matches(header)) {
            if let Some(first) = columns[i] {
                return Err(format!(
                    "columns {} and {} are both {} (\"{}\" and \"{header}\")",
                    first + 1,
                    col + 1,
                    kind.fields()[i].shown(),
                    headers[first]
                ));
            }
            columns[i] = Some(col);
        }
    }
    Ok(columns)
}

/// The required fields a header row lacks, and which kind it looks like instead.
fn missing(kind: Kind, headers: &[String]) -> Option<String> {
    let lacks = |k: Kind| -> Vec<String> {
        k.fields()
            .iter()
            .filter(|f| f.required && !headers.iter().any(|h| f.matches(h)))
            .map(|f| f.shown())
            .collect()
    };
    let absent = lacks(kind);
    if absent.is_empty() {
        return None;
    }
    let mut message = format!("missing column(s) {}", absent.join(", "));
    if let Some(other) = Kind::ALL
        .iter()
        .copied()
        .filter(|&k| k != kind && lacks(k).is_empty())
        .max_by_key(|k| k.fields().len())
    {
        message.push_str(&format!(
            "; the headers look like a {} file, not {}",
            other.code(),
            kind.code()
        ));
    }
    Some(message)
}

impl Input {
    /// Read a file as `kind`. The error is about the whole file.
    pub fn read(path: &std::path::Path, kind: Kind) -> Result<Input, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
        let file = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let geojson = match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("geojson") || e.eq_ignore_ascii_case("json") => true,
            Some(e) if e.eq_ignore_ascii_case("csv") || e.eq_ignore_ascii_case("txt") => false,
            _ => bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{'),
        };
        Input::parse(kind, file, &bytes, geojson)
    }

    pub fn parse(kind: Kind, file: String, bytes: &[u8], geojson: bool) -> Result<Input, String> {
        let (text, encoding) = decode(bytes)?;
        let text = text.trim_start_matches('\u{feff}').to_string();
        let (body, ignored) = if geojson {
            geojson_body(kind, &text)?
        } else {
            csv_body(kind, text)?
        };
        Ok(Input {
            kind,
            file,
            encoding,
            ignored,
            body,
        })
    }

    /// The end of [`Record::progress`].
    pub fn size(&self) -> u64 {
        match &self.body {
            Body::Csv { text, .. } => text.len() as u64,
            Body::GeoJson { features } => features.len() as u64,
        }
    }

    /// Walk the records in file order; `f` returns false to stop early.
    pub fn each(&self, mut f: impl FnMut(Record<'_>) -> bool) -> Result<(), (Loc, String)> {
        match &self.body {
            Body::Csv {
                text,
                columns,
                wkt,
                lonlat,
            } => {
                let mut reader = csv::ReaderBuilder::new()
                    .flexible(true)
                    .from_reader(text.as_bytes());
                let mut values = StringRecord::new();
                loop {
                    let line = reader.position().line() + 1;
                    match reader.read_record(&mut values) {
                        Ok(false) => return Ok(()),
                        Ok(true) => {}
                        Err(e) => return Err((Loc::Row(line), format!("unreadable CSV: {e}"))),
                    }
                    if values.iter().all(|v| v.trim().is_empty()) {
                        continue; // a blank line at the end of an Excel sheet
                    }
                    let loc = Loc::Row(values.position().map_or(line, |p| p.line()));
                    let shape = if let Some(c) = wkt {
                        let text = values.get(*c).unwrap_or("").trim();
                        (!text.is_empty()).then(|| shape::from_wkt(text))
                    } else if let Some((x, y)) = lonlat {
                        let n = |c: usize, what: &str| -> Result<f64, String> {
                            let v = values.get(c).unwrap_or("").trim();
                            v.parse::<f64>()
                                .map_err(|_| format!("{what} \"{v}\" is not a number"))
                        };
                        Some(
                            n(*x, "longitude")
                                .and_then(|lon| Ok(Shape::Point([lon, n(*y, "latitude")?]))),
                        )
                    } else {
                        None
                    };
                    if !f(Record {
                        loc,
                        progress: values.position().map_or(0, |p| p.byte()),
                        values: &values,
                        columns,
                        shape,
                    }) {
                        return Ok(());
                    }
                }
            }
            Body::GeoJson { features } => {
                let fields = self.kind.fields();
                let identity: Vec<Option<usize>> = (0..fields.len()).map(Some).collect();
                let mut keys: HashMap<String, Option<usize>> = HashMap::new();
                for (i, feature) in features.iter().enumerate() {
                    let loc = Loc::Feature(i + 1);
                    let mut values = StringRecord::new();
                    let mut slots = vec![String::new(); fields.len()];
                    let props = feature.get("properties").and_then(Value::as_object);
                    if let Some(id) = feature.get("id") {
                        slots[0] = scalar(id);
                    }
                    for (key, value) in props.into_iter().flatten() {
                        let slot = *keys
                            .entry(key.clone())
                            .or_insert_with(|| fields.iter().position(|f| f.matches(key)));
                        if let Some(s) = slot {
                            slots[s] = scalar(value);
                        }
                    }
                    for s in &slots {
                        values.push_field(s);
                    }
                    let shape = match feature.get("geometry") {
                        Some(g) => shape::from_geojson(g).transpose(),
                        None => None,
                    };
                    if !f(Record {
                        loc,
                        progress: i as u64 + 1,
                        values: &values,
                        columns: &identity,
                        shape,
                    }) {
                        return Ok(());
                    }
                }
                Ok(())
            }
        }
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(scalar).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

fn csv_body(kind: Kind, text: String) -> Result<(Body, Vec<String>), String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| format!("unreadable CSV header: {e}"))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if headers.len() <= 1 && text.trim_start().starts_with('{') {
        return Err("this is JSON, not CSV: name it .geojson".into());
    }
    if let Some(message) = missing(kind, &headers) {
        return Err(message);
    }
    let columns = match_headers(kind, &headers).map_err(|e| format!("header: {e}"))?;
    let find = |names: &[&str]| headers.iter().position(|h| is_one_of(h, names));
    let wkt = find(WKT_HEADERS);
    let lonlat = find(LON_HEADERS).zip(find(LAT_HEADERS));
    if kind.geometry().is_some() && wkt.is_none() && lonlat.is_none() {
        return Err(format!(
            "{} need a geometry column: wkt (几何), or lon and lat (经度, 纬度)",
            kind.code()
        ));
    }
    let used = |c: usize| {
        columns.contains(&Some(c))
            || Some(c) == wkt
            || lonlat.is_some_and(|(x, y)| c == x || c == y)
    };
    let ignored = headers
        .iter()
        .enumerate()
        .filter(|&(c, _)| !used(c))
        .map(|(_, h)| h.clone())
        .collect();
    Ok((
        Body::Csv {
            text,
            columns,
            wkt,
            lonlat,
        },
        ignored,
    ))
}

fn geojson_body(kind: Kind, text: &str) -> Result<(Body, Vec<String>), String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("malformed JSON: {e}"))?;
    let features = match value.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => match value.get("features") {
            Some(Value::Array(features)) => features.clone(),
            _ => return Err("a FeatureCollection without a \"features\" array".into()),
        },
        Some("Feature") => vec![value],
        _ => return Err("not GeoJSON: expected a FeatureCollection".into()),
    };
    // the header check looks at the first feature's property names (and its id)
    let mut headers: Vec<String> = features
        .first()
        .and_then(|f| f.get("properties"))
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    if features.first().is_some_and(|f| f.get("id").is_some()) {
        headers.push("id".into());
    }
    if !features.is_empty()
        && let Some(message) = missing(kind, &headers)
    {
        return Err(format!("feature 1: {message}"));
    }
    let ignored = headers
        .iter()
        .filter(|h| !kind.fields().iter().any(|f| f.matches(h)))
        .cloned()
        .collect();
    Ok((Body::GeoJson { features }, ignored))
}
