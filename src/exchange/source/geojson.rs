//! GeoJSON read as a stream of features: each feature is parsed, handed on and dropped, so a
//! file of 200,000 polygons is never a document in memory. The old `crs` member (what GDAL
//! writes for systems other than WGS-84) names the coordinate system.

use std::fmt;
use std::path::Path;

use csv::StringRecord;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::{Body, Raw, Source};
use crate::exchange::bilingual::{Bilingual, bilingual};
use crate::exchange::crs::Crs;
use crate::exchange::records::Loc;
use crate::exchange::shape;

pub(crate) struct GeoJson {
    text: Vec<u8>,
    headers: Vec<String>,
    features: u64,
}

/// Bilingual to stop the walk early (not an error).
const STOP: &str = "\u{0}heatdesk: stop";

/// The whole document's top level: the features handed to `each` one by one.
struct Collection<'f> {
    each: &'f mut dyn FnMut(Value) -> bool,
    crs: Option<Value>,
    kind: Option<String>,
    features: bool,
}

struct Features<'f, 'g>(&'g mut Collection<'f>);

impl<'de> Visitor<'de> for &mut Collection<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a GeoJSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "features" => {
                    self.features = true;
                    map.next_value_seed(Features(self))?;
                }
                "crs" => self.crs = Some(map.next_value()?),
                "type" => self.kind = Some(map.next_value()?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Features<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Features<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of features")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(feature) = seq.next_element::<Value>()? {
            if !(self.0.each)(feature) {
                return Err(de::Error::custom(STOP));
            }
        }
        Ok(())
    }
}

/// Walk the features of `text`; the `crs` and `type` members as found.
fn walk(
    text: &[u8],
    each: &mut dyn FnMut(Value) -> bool,
) -> Result<(Option<Value>, Option<String>, bool), Bilingual> {
    let mut top = Collection {
        each,
        crs: None,
        kind: None,
        features: false,
    };
    let mut de = serde_json::Deserializer::from_slice(text);
    let walked = de::Deserializer::deserialize_map(&mut de, &mut top);
    match walked {
        Ok(()) => {}
        Err(e) if e.to_string().starts_with(STOP) => {}
        Err(e) => return Err(bilingual!("malformed JSON: {e}", "JSON 格式错误：{e}")),
    }
    Ok((top.crs, top.kind, top.features))
}

/// `{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4526"}}` → the system.
fn declared(crs: &Value) -> Result<Option<Crs>, Bilingual> {
    let Some(name) = crs.pointer("/properties/name").and_then(Value::as_str) else {
        return Ok(None);
    };
    if name.ends_with("CRS84") {
        return Ok(Some(Crs::Wgs84));
    }
    match name.rsplit(':').next().and_then(|c| c.parse::<u16>().ok()) {
        Some(code) => Crs::epsg(code).map(Some),
        None => Ok(None),
    }
}

fn count_features(text: &[u8]) -> u64 {
    let needle = b"\"Feature\"";
    text.windows(needle.len()).filter(|w| w == needle).count() as u64
}

pub(super) fn open(path: &Path) -> Result<Source, Bilingual> {
    let bytes = std::fs::read(path).map_err(|e| bilingual!("cannot read: {e}", "无法读取：{e}"))?;
    let text = match std::str::from_utf8(&bytes) {
        Ok(_) => bytes,
        Err(_) => super::decode(bytes)?.0.into_bytes(),
    };
    let text = match text.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => rest.to_vec(),
        None => text,
    };
    let mut first: Option<Value> = None;
    let (crs, kind, has_features) = walk(&text, &mut |f| {
        first = Some(f);
        false
    })?;
    let single = kind.as_deref() == Some("Feature");
    if !has_features && !single {
        return Err(match kind.as_deref() {
            Some("FeatureCollection") => bilingual!(
                "a FeatureCollection without a \"features\" array",
                "FeatureCollection 缺少 \"features\" 数组"
            ),
            _ => bilingual!(
                "not GeoJSON: expected a FeatureCollection",
                "不是 GeoJSON：应为 FeatureCollection"
            ),
        });
    }
    // a lone Feature: the whole document is the feature
    let (text, first) = if single {
        let value: Value = serde_json::from_slice(&text)
            .map_err(|e| bilingual!("malformed JSON: {e}", "JSON 格式错误：{e}"))?;
        let wrapped = serde_json::json!({"type": "FeatureCollection", "features": [value.clone()]});
        (wrapped.to_string().into_bytes(), Some(value))
    } else {
        (text, first)
    };
    let mut headers: Vec<String> = first
        .as_ref()
        .and_then(|f| f.get("properties"))
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    if first.as_ref().is_some_and(|f| f.get("id").is_some()) && !headers.iter().any(|h| h == "id") {
        headers.insert(0, "id".into());
    }
    let declared = match &crs {
        Some(c) => declared(c)?,
        None => None,
    };
    let features = count_features(&text);
    Ok(Source {
        file: String::new(),
        format: "GeoJSON".into(),
        headers: headers.clone(),
        declared,
        geometry: true,
        body: Body::GeoJson(GeoJson {
            text,
            headers,
            features,
        }),
    })
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(scalar).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

impl GeoJson {
    pub fn size(&self) -> u64 {
        self.features.max(1)
    }

    pub fn each(&self, f: &mut dyn FnMut(Raw<'_>) -> bool) -> Result<(), (Loc, Bilingual)> {
        let mut values = StringRecord::new();
        let mut n = 0usize;
        walk(&self.text, &mut |feature| {
            n += 1;
            values.clear();
            let props = feature.get("properties").and_then(Value::as_object);
            for h in &self.headers {
                let v = match (h.as_str(), props.and_then(|p| p.get(h))) {
                    (_, Some(v)) => scalar(v),
                    ("id", None) => feature.get("id").map(scalar).unwrap_or_default(),
                    _ => String::new(),
                };
                values.push_field(&v);
            }
            let shape = match feature.get("geometry") {
                Some(g) => shape::from_geojson(g).transpose(),
                None => None,
            };
            f(Raw {
                loc: Loc::Feature(n),
                progress: n as u64,
                values: &values,
                shape,
                problem: None,
            })
        })
        .map(|_| ())
        .map_err(|e| (Loc::Feature(n.max(1)), e))
    }
}
