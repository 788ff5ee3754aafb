//! A file as records: the text decoded (UTF-8, GBK/GB18030, UTF-16), CSV or GeoJSON read,
//! headers matched to a kind's fields, geometry taken from GeoJSON, a WKT column or lon/lat.

use std::collections::HashMap;
use std::fmt;

use csv::StringRecord;
use serde_json::Value;

use super::kind::{Field, Kind, normalise};
use super::said::{Said, said};
use super::shape::{self, Shape};
use crate::words::Lang;

/// Where in a file a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loc {
    /// A CSV row as a spreadsheet numbers it (the header is row 1).
    Row(u64),
    /// A GeoJSON feature, counted from 1.
    Feature(usize),
}

impl Loc {
    /// "row 5" / "第 5 行".
    pub fn text(self, lang: Lang) -> String {
        match (self, lang) {
            (Loc::Row(n), Lang::En) => format!("row {n}"),
            (Loc::Row(n), Lang::Zh) => format!("第 {n} 行"),
            (Loc::Feature(n), Lang::En) => format!("feature {n}"),
            (Loc::Feature(n), Lang::Zh) => format!("第 {n} 个要素"),
        }
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text(Lang::En))
    }
}

/// One record: a kind's fields by position, and its geometry if the file has one.
pub struct Record<'a> {
    pub loc: Loc,
    /// How far into the file (bytes of a CSV, features of a GeoJSON), for a progress bar.
    pub progress: u64,
    values: &'a StringRecord,
    columns: &'a [Option<usize>],
    pub shape: Option<Result<Shape, Said>>,
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
pub fn decode(bytes: &[u8]) -> Result<(String, &'static str), Said> {
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(said!(
            "this is an Excel workbook or a zip, not text: save it as CSV (UTF-8 or GBK)",
            "这是 Excel 工作簿或压缩包，不是文本：请另存为 CSV（UTF-8 或 GBK）"
        ));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8(rest.to_vec())
            .map(|s| (s, "UTF-8"))
            .map_err(|e| {
                let at = e.utf8_error().valid_up_to() + 3;
                said!(
                    "starts as UTF-8 but byte {at} is not UTF-8",
                    "以 UTF-8 开头，但第 {at} 字节不是 UTF-8"
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
                return Err(said!("broken UTF-16 text", "UTF-16 文本已损坏"));
            }
            return Ok((text.into_owned(), enc.name()));
        }
    }
    if bytes.contains(&0) {
        return Err(said!(
            "binary content, not a text file",
            "二进制内容，不是文本文件"
        ));
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok((text.to_string(), "UTF-8"));
    }
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(said!(
            "neither UTF-8 nor GBK/GB18030 text",
            "既不是 UTF-8 也不是 GBK/GB18030 文本"
        ));
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
fn match_headers(kind: Kind, headers: &[String]) -> Result<Vec<Option<usize>>, Said> {
    let mut columns = vec![None; kind.fields().len()];
    for (col, header) in headers.iter().enumerate() {
        if let Some(i) = kind.fields().iter().position(|f| f.matches(header)) {
            if let Some(first) = columns[i] {
                let field = &kind.fields()[i];
                let (en, zh) = (field.shown(Lang::En), field.shown(Lang::Zh));
                let (a, b, earlier) = (first + 1, col + 1, &headers[first]);
                return Err(said!(
                    "header: columns {a} and {b} are both {en} (\"{earlier}\" and \"{header}\")",
                    "表头：第 {a} 列和第 {b} 列都是{zh}（“{earlier}”和“{header}”）"
                ));
            }
            columns[i] = Some(col);
        }
    }
    Ok(columns)
}

/// The required fields a header row lacks, and which kind it looks like instead.
fn missing(kind: Kind, headers: &[String]) -> Option<Said> {
    let lacks = |k: Kind| -> Vec<&Field> {
        k.fields()
            .iter()
            .filter(|f| f.required && !headers.iter().any(|h| f.matches(h)))
            .collect()
    };
    let absent = lacks(kind);
    if absent.is_empty() {
        return None;
    }
    let list = |lang: Lang, sep: &str| {
        absent
            .iter()
            .map(|f| f.shown(lang))
            .collect::<Vec<_>>()
            .join(sep)
    };
    let (en, zh) = (list(Lang::En, ", "), list(Lang::Zh, "、"));
    let mut message = said!("missing column(s) {en}", "缺少列：{zh}");
    if let Some(other) = Kind::ALL
        .iter()
        .copied()
        .filter(|&k| k != kind && lacks(k).is_empty())
        .max_by_key(|k| k.fields().len())
    {
        let (other_en, other_zh) = (other.code(), other.name(Lang::Zh));
        let (kind_en, kind_zh) = (kind.code(), kind.name(Lang::Zh));
        message.en += &format!("; the headers look like a {other_en} file, not {kind_en}");
        message.zh += &format!("；表头看起来是{other_zh}文件，不是{kind_zh}文件");
    }
    Some(message)
}

impl Input {
    /// Read a file as `kind`. The error is about the whole file.
    pub fn read(path: &std::path::Path, kind: Kind) -> Result<Input, Said> {
        let bytes = std::fs::read(path).map_err(|e| said!("cannot read: {e}", "无法读取：{e}"))?;
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

    pub fn parse(kind: Kind, file: String, bytes: &[u8], geojson: bool) -> Result<Input, Said> {
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
    pub fn each(&self, mut f: impl FnMut(Record<'_>) -> bool) -> Result<(), (Loc, Said)> {
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
                        Err(e) => {
                            let message = said!("unreadable CSV: {e}", "CSV 无法读取：{e}");
                            return Err((Loc::Row(line), message));
                        }
                    }
                    if values.iter().all(|v| v.trim().is_empty()) {
                        continue; // a blank line at the end of an Excel sheet
                    }
                    let loc = Loc::Row(values.position().map_or(line, |p| p.line()));
                    let shape =
                        if let Some(c) = wkt {
                            let text = values.get(*c).unwrap_or("").trim();
                            (!text.is_empty()).then(|| shape::from_wkt(text))
                        } else if let Some((x, y)) = lonlat {
                            let n = |c: usize, en: &str, zh: &str| -> Result<f64, Said> {
                                let v = values.get(c).unwrap_or("").trim();
                                v.parse::<f64>().map_err(|_| {
                                    said!("{en} \"{v}\" is not a number", "{zh}“{v}”不是数字")
                                })
                            };
                            Some(n(*x, "longitude", "经度").and_then(|lon| {
                                Ok(Shape::Point([lon, n(*y, "latitude", "纬度")?]))
                            }))
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

fn csv_body(kind: Kind, text: String) -> Result<(Body, Vec<String>), Said> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| said!("unreadable CSV header: {e}", "CSV 表头无法读取：{e}"))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if headers.len() <= 1 && text.trim_start().starts_with('{') {
        return Err(said!(
            "this is JSON, not CSV: name it .geojson",
            "这是 JSON，不是 CSV：请将扩展名改为 .geojson"
        ));
    }
    if let Some(message) = missing(kind, &headers) {
        return Err(message);
    }
    let columns = match_headers(kind, &headers)?;
    let find = |names: &[&str]| headers.iter().position(|h| is_one_of(h, names));
    let wkt = find(WKT_HEADERS);
    let lonlat = find(LON_HEADERS).zip(find(LAT_HEADERS));
    if kind.geometry().is_some() && wkt.is_none() && lonlat.is_none() {
        let (en, zh) = (kind.code(), kind.name(Lang::Zh));
        return Err(said!(
            "{en} need a geometry column: wkt (几何), or lon and lat (经度, 纬度)",
            "{zh}需要几何列：几何（wkt），或经度和纬度（lon、lat）"
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

fn geojson_body(kind: Kind, text: &str) -> Result<(Body, Vec<String>), Said> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| said!("malformed JSON: {e}", "JSON 格式错误：{e}"))?;
    let features = match value.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => match value.get("features") {
            Some(Value::Array(features)) => features.clone(),
            _ => {
                return Err(said!(
                    "a FeatureCollection without a \"features\" array",
                    "FeatureCollection 缺少 \"features\" 数组"
                ));
            }
        },
        Some("Feature") => vec![value],
        _ => {
            return Err(said!(
                "not GeoJSON: expected a FeatureCollection",
                "不是 GeoJSON：应为 FeatureCollection"
            ));
        }
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
        let (en, zh) = (message.en, message.zh);
        return Err(said!("feature 1: {en}", "第 1 个要素：{zh}"));
    }
    let ignored = headers
        .iter()
        .filter(|h| !kind.fields().iter().any(|f| f.matches(h)))
        .cloned()
        .collect();
    Ok((Body::GeoJson { features }, ignored))
}
