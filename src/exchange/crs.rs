//! Coordinate systems a company's files come in, and their conversion to WGS-84 longitude and
//! latitude (what HeatDesk keeps): WGS-84, CGCS2000 (geographic, and Gauss-Krüger 3° and 6°
//! zones with or without the zone number before the easting), Web Mercator, GCJ-02 and BD-09.
//!
//! A system is named by `--crs` (a name or `EPSG:NNNN`), read from a Shapefile's `.prj` or a
//! GeoPackage's spatial reference table, or — when a file says nothing — recognised from its
//! numbers where they allow only one reading. Projections are computed by proj4rs from the
//! EPSG definitions of crs-definitions.

use super::bilingual::{Bilingual, bilingual};
use crate::domain::LonLat;

/// A coordinate system a file's geometry is in.
#[derive(Debug, Clone, PartialEq)]
pub enum Crs {
    Wgs84,
    /// CGCS2000 longitude/latitude (EPSG:4490): within centimetres of WGS-84.
    Cgcs2000,
    /// The offset Chinese web maps use (AMap, Tencent).
    Gcj02,
    /// Baidu's offset of GCJ-02.
    Bd09,
    /// Metres in a projection: Gauss-Krüger zones, Web Mercator, any EPSG system.
    Projected {
        /// As the report names it.
        name: String,
        proj4: String,
        epsg: Option<u16>,
        /// The longitudes the projection is made for (a Gauss-Krüger zone): a point outside
        /// is not in this system.
        lon_range: Option<(f64, f64)>,
    },
}

/// How the system in use was decided, for the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `--crs` or the import window.
    Given,
    /// The file says so (`.prj`, a GeoPackage's spatial reference).
    Declared,
    /// Nothing said; the numbers allow only this reading.
    Recognised,
}

impl Source {
    pub fn words(self) -> Bilingual {
        match self {
            Source::Given => bilingual!("as given", "按指定"),
            Source::Declared => bilingual!("as the file declares", "按文件声明"),
            Source::Recognised => bilingual!("recognised from the numbers", "由坐标数值识别"),
        }
    }
}

const GEOGRAPHIC_WGS84: &str = "+proj=longlat +datum=WGS84 +no_defs";

/// A Gauss-Krüger projection on CGCS2000.
fn gauss_kruger(width: u8, central: f64, zone: Option<u32>) -> Crs {
    let false_easting = 500_000.0 + zone.map_or(0.0, |z| f64::from(z) * 1_000_000.0);
    let epsg = match (width, zone) {
        // 3° zones 25–45 (EPSG 4513–4533), CM 75°–135° without the zone (4534–4554)
        (3, Some(z)) if (25..=45).contains(&z) => Some(4513 + (z - 25) as u16),
        (3, None) if (75.0..=135.0).contains(&central) => {
            Some(4534 + ((central - 75.0) / 3.0).round() as u16)
        }
        // 6° zones 13–23 (EPSG 4491–4501), CM 75°–135° without the zone (4502–4512)
        (6, Some(z)) if (13..=23).contains(&z) => Some(4491 + (z - 13) as u16),
        (6, None) if (75.0..=135.0).contains(&central) => {
            Some(4502 + ((central - 75.0) / 6.0).round() as u16)
        }
        _ => None,
    };
    let name = match zone {
        Some(z) => format!("CGCS2000 / {width}-degree Gauss-Kruger zone {z}"),
        None => format!("CGCS2000 / {width}-degree Gauss-Kruger CM {central}E"),
    };
    let half = f64::from(width) / 2.0;
    Crs::Projected {
        name,
        proj4: format!(
            "+proj=tmerc +lat_0=0 +lon_0={central} +k=1 +x_0={false_easting} +y_0=0 +ellps=GRS80 +units=m +no_defs"
        ),
        epsg,
        // a zone's sheets reach a little past its edges
        lon_range: Some((central - half - 0.5, central + half + 0.5)),
    }
}

/// The datum of a WKT text, as far as HeatDesk cares.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Datum {
    Wgs84,
    Cgcs2000,
    /// Beijing 1954, Xi'an 1980: need local transformation parameters.
    Local,
    Unknown,
}

fn datum(wkt: &str) -> Datum {
    let w = wkt.to_ascii_lowercase().replace([' ', '_', '-'], "");
    if w.contains("china2000") || w.contains("cgcs2000") || w.contains("chinageodetic") {
        Datum::Cgcs2000
    } else if w.contains("beijing1954") || w.contains("xian1980") || w.contains("xi'an1980") {
        Datum::Local
    } else if w.contains("wgs1984") || w.contains("wgs84") {
        Datum::Wgs84
    } else {
        Datum::Unknown
    }
}

/// `PARAMETER["name", value]` of a WKT text (case and underscores ignored).
fn parameter(wkt: &str, name: &str) -> Option<f64> {
    let lower = wkt.to_ascii_lowercase();
    let want = name.to_ascii_lowercase();
    let mut rest = lower.as_str();
    while let Some(i) = rest.find("parameter[") {
        rest = &rest[i + "parameter[".len()..];
        let inner = &rest[..rest.find(']')?];
        let mut parts = inner.splitn(2, ',');
        let key = parts.next()?.trim().trim_matches('"').replace(' ', "_");
        if key == want {
            return parts.next()?.trim().parse().ok();
        }
    }
    None
}

/// The quoted name after the first `PROJCS[` / `GEOGCS[` (or `PROJCRS[` …).
fn wkt_name(wkt: &str) -> Option<String> {
    let start = wkt.find('"')? + 1;
    let end = start + wkt[start..].find('"')?;
    Some(wkt[start..end].to_string())
}

/// The EPSG code a WKT text ends with (`AUTHORITY["EPSG","4526"]` or `ID["EPSG",4526]`).
fn authority(wkt: &str) -> Option<u16> {
    let upper = wkt.to_ascii_uppercase();
    let at = upper.rfind("\"EPSG\"")?;
    let digits: String = upper[at + 6..]
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

fn refused_local() -> Bilingual {
    bilingual!(
        "coordinates in Beijing 1954 or Xi'an 1980 need the city's own transformation parameters: export them as CGCS2000 or WGS-84",
        "北京54或西安80坐标需要本地转换参数：请导出为 CGCS2000 或 WGS-84"
    )
}

impl Crs {
    /// A system as `--crs` takes it: wgs84, cgcs2000, gcj02, bd09, webmercator, or EPSG:NNNN.
    pub fn parse(text: &str) -> Result<Crs, Bilingual> {
        let t = text
            .trim()
            .to_ascii_lowercase()
            .replace(['-', '_', ' '], "");
        match t.as_str() {
            "wgs84" | "epsg:4326" | "4326" => return Ok(Crs::Wgs84),
            "cgcs2000" | "epsg:4490" | "4490" => return Ok(Crs::Cgcs2000),
            "gcj02" | "amap" | "tencent" => return Ok(Crs::Gcj02),
            "bd09" | "baidu" => return Ok(Crs::Bd09),
            "webmercator" | "3857" | "epsg:3857" => return Crs::epsg(3857),
            _ => {}
        }
        match t.strip_prefix("epsg:").unwrap_or(&t).parse::<u16>() {
            Ok(code) => Crs::epsg(code),
            Err(_) => Err(bilingual!(
                "unknown coordinate system \"{text}\": wgs84, cgcs2000, gcj02, bd09, webmercator or EPSG:NNNN (e.g. EPSG:4526 for CGCS2000 3° zone 38)",
                "无法识别的坐标系“{text}”：可用 wgs84、cgcs2000、gcj02、bd09、webmercator 或 EPSG:NNNN（如 EPSG:4526 即 CGCS2000 3 度带第 38 带）"
            )),
        }
    }

    /// A system by its EPSG code.
    pub fn epsg(code: u16) -> Result<Crs, Bilingual> {
        match code {
            4326 => return Ok(Crs::Wgs84),
            4490 => return Ok(Crs::Cgcs2000),
            _ => {}
        }
        let Some(def) = crs_definitions::from_code(code) else {
            return Err(bilingual!(
                "EPSG:{code} is not a coordinate system HeatDesk knows",
                "EPSG:{code} 不是已知的坐标系"
            ));
        };
        match datum(def.wkt) {
            Datum::Local => return Err(refused_local()),
            Datum::Unknown if !def.proj4.contains("+proj=merc") => {
                return Err(bilingual!(
                    "EPSG:{code} is on a datum HeatDesk cannot convert: use CGCS2000 or WGS-84",
                    "EPSG:{code} 的基准无法转换：请使用 CGCS2000 或 WGS-84"
                ));
            }
            _ => {}
        }
        if def.proj4.contains("+proj=longlat") {
            return Ok(if datum(def.wkt) == Datum::Cgcs2000 {
                Crs::Cgcs2000
            } else {
                Crs::Wgs84
            });
        }
        let mut crs = Crs::Projected {
            name: wkt_name(def.wkt).unwrap_or_else(|| format!("EPSG:{code}")),
            proj4: def.proj4.to_string(),
            epsg: Some(code),
            lon_range: None,
        };
        // a Gauss-Krüger zone knows its longitudes
        if def.proj4.contains("+proj=tmerc")
            && let Some(central) = proj_param(def.proj4, "lon_0")
            && let Crs::Projected {
                lon_range, name, ..
            } = &mut crs
        {
            let width = if name.contains("6-degree") { 6.0 } else { 3.0 };
            *lon_range = Some((central - width / 2.0 - 0.5, central + width / 2.0 + 0.5));
        }
        Ok(crs)
    }

    /// The system a `.prj` or a GeoPackage's definition states (None: it states none).
    pub fn from_wkt(wkt: &str) -> Result<Option<Crs>, Bilingual> {
        let wkt = wkt.trim();
        if wkt.is_empty() {
            return Ok(None);
        }
        let upper = wkt.to_ascii_uppercase();
        let projected = upper.starts_with("PROJCS") || upper.starts_with("PROJCRS");
        if let Some(code) = authority(wkt)
            && let Ok(crs) = Crs::epsg(code)
        {
            return Ok(Some(crs));
        }
        let d = datum(wkt);
        if d == Datum::Local {
            return Err(refused_local());
        }
        if !projected {
            return Ok(Some(match d {
                Datum::Cgcs2000 => Crs::Cgcs2000,
                _ => Crs::Wgs84,
            }));
        }
        let name = wkt_name(wkt).unwrap_or_default();
        if upper.contains("MERCATOR_AUXILIARY_SPHERE")
            || upper.contains("PSEUDO-MERCATOR")
            || upper.contains("PSEUDO_MERCATOR")
            || upper.contains("WEB_MERCATOR")
        {
            return Crs::epsg(3857).map(Some);
        }
        if upper.contains("TRANSVERSE_MERCATOR") || upper.contains("GAUSS_KRUGER") {
            let central = parameter(wkt, "central_meridian").ok_or_else(|| {
                bilingual!(
                    "the .prj names a Transverse Mercator projection without its central meridian",
                    ".prj 的横轴墨卡托投影缺少中央经线"
                )
            })?;
            let easting = parameter(wkt, "false_easting").unwrap_or(500_000.0);
            let zone = ((easting - 500_000.0) / 1_000_000.0).round();
            let zone = (zone >= 1.0).then_some(zone as u32);
            let six = name.contains('6') && (name.contains("Degree") || name.contains("degree"));
            let width = if six || zone.is_some_and(|z| z < 25) {
                6
            } else {
                3
            };
            let mut crs = gauss_kruger(width, central, zone);
            if d == Datum::Wgs84
                && let Crs::Projected { proj4, .. } = &mut crs
            {
                *proj4 = proj4.replace("+ellps=GRS80", "+datum=WGS84");
            }
            if let Crs::Projected { name: n, .. } = &mut crs
                && !name.is_empty()
            {
                *n = name;
            }
            return Ok(Some(crs));
        }
        Err(bilingual!(
            "the file's coordinate system \"{name}\" is not one HeatDesk converts: export as WGS-84 or CGCS2000 (or name it with --crs EPSG:NNNN)",
            "文件的坐标系“{name}”无法转换：请导出为 WGS-84 或 CGCS2000（或用 --crs EPSG:NNNN 指定）"
        ))
    }

    /// The system a file's numbers can only be in, when the file says nothing: degrees inside
    /// China, or Gauss-Krüger metres with the zone number before the easting.
    pub fn recognise(points: &[LonLat]) -> Result<Crs, Bilingual> {
        let Some(&[x, y]) = points.first() else {
            return Ok(Crs::Wgs84);
        };
        let degrees = |p: &LonLat| (73.0..=136.0).contains(&p[0]) && (3.0..=54.0).contains(&p[1]);
        // degrees (in order or swapped: the checks name a swapped pair row by row)
        if points.iter().all(|p| degrees(p) || degrees(&[p[1], p[0]])) {
            return Ok(Crs::Wgs84);
        }
        let zone = (x / 1_000_000.0).floor();
        let zoned =
            |p: &LonLat| (p[0] / 1_000_000.0).floor() == zone && (2e5..6.2e6).contains(&p[1]);
        if (25.0..=45.0).contains(&zone) && points.iter().all(zoned) {
            return Ok(gauss_kruger(3, zone * 3.0, Some(zone as u32)));
        }
        if (16.0..=23.0).contains(&zone) && points.iter().all(zoned) {
            // 6° zones 13–15 overlap Web Mercator's numbers: those need --crs
            return Ok(gauss_kruger(6, zone * 6.0 - 3.0, Some(zone as u32)));
        }
        if (2e5..8e5).contains(&x) && (2e5..6.2e6).contains(&y) {
            return Err(bilingual!(
                "coordinates ({x}, {y}) are Gauss-Krüger metres without the zone number: name the system, e.g. --crs EPSG:4549 (CGCS2000 3° CM 120°E; 4534 + (CM − 75) ÷ 3)",
                "坐标（{x}, {y}）是不带带号的高斯-克吕格米制坐标：请指定坐标系，如 --crs EPSG:4549（CGCS2000 3 度带中央经线 120°E；代码为 4534 + (中央经线 − 75) ÷ 3）"
            ));
        }
        if x.abs() > 180.0 || y.abs() > 90.0 {
            return Err(bilingual!(
                "coordinates ({x}, {y}) are projected metres of a system the file does not name: give it with --crs (e.g. EPSG:4526, EPSG:3857)",
                "坐标（{x}, {y}）是未声明坐标系的投影米制坐标：请用 --crs 指定（如 EPSG:4526、EPSG:3857）"
            ));
        }
        // degrees, some outside China: the usual checks name them
        Ok(Crs::Wgs84)
    }

    /// "CGCS2000 / 3-degree Gauss-Kruger zone 38 (EPSG:4526)", as the report names it.
    pub fn name(&self) -> String {
        match self {
            Crs::Wgs84 => "WGS-84 (EPSG:4326)".into(),
            Crs::Cgcs2000 => "CGCS2000 (EPSG:4490)".into(),
            Crs::Gcj02 => "GCJ-02".into(),
            Crs::Bd09 => "BD-09".into(),
            Crs::Projected { name, epsg, .. } => match epsg {
                Some(code) => format!("{name} (EPSG:{code})"),
                None => name.clone(),
            },
        }
    }

    /// A converter from this system to WGS-84 longitude and latitude.
    pub fn to_wgs84(&self) -> Result<Converter, Bilingual> {
        let projection = match self {
            Crs::Projected { proj4, .. } => {
                let from = proj4rs::Proj::from_proj_string(proj4).map_err(|e| {
                    bilingual!(
                        "cannot use the projection {proj4}: {e}",
                        "无法使用投影 {proj4}：{e}"
                    )
                })?;
                let to = proj4rs::Proj::from_proj_string(GEOGRAPHIC_WGS84)
                    .map_err(|e| bilingual!("cannot set up WGS-84: {e}", "无法建立 WGS-84：{e}"))?;
                Some(Box::new((from, to)))
            }
            _ => None,
        };
        Ok(Converter {
            crs: self.clone(),
            projection,
        })
    }
}

fn proj_param(proj4: &str, key: &str) -> Option<f64> {
    proj4
        .split_whitespace()
        .find_map(|p| p.strip_prefix(&format!("+{key}=")))
        .and_then(|v| v.parse().ok())
}

/// Converts one system's coordinates to WGS-84 longitude and latitude.
pub struct Converter {
    pub crs: Crs,
    projection: Option<Box<(proj4rs::Proj, proj4rs::Proj)>>,
}

impl Converter {
    /// One point to WGS-84; a point outside the system's area is refused, naming it.
    pub fn point(&self, p: LonLat) -> Result<LonLat, Bilingual> {
        let (x, y) = (p[0], p[1]);
        let out = match &self.crs {
            Crs::Wgs84 | Crs::Cgcs2000 => return Ok(p),
            Crs::Gcj02 => coordtransform::gcj02_to_wgs84(x, y),
            Crs::Bd09 => coordtransform::bd09_to_wgs84(x, y),
            Crs::Projected { lon_range, .. } => {
                let (from, to) = &**self.projection.as_ref().expect("made with the system");
                let mut point = (x, y, 0.0);
                proj4rs::transform::transform(from, to, &mut point).map_err(|e| {
                    let name = self.crs.name();
                    bilingual!(
                        "({x}, {y}) cannot be converted from {name}: {e}",
                        "（{x}, {y}）无法从 {name} 转换：{e}"
                    )
                })?;
                let (lon, lat) = (point.0.to_degrees(), point.1.to_degrees());
                if let Some((west, east)) = *lon_range
                    && !(west..=east).contains(&lon)
                {
                    let name = self.crs.name();
                    return Err(bilingual!(
                        "({x}, {y}) lies outside {name} (it would be at {lon:.3}°E)",
                        "（{x}, {y}）不在 {name} 的范围内（换算为东经 {lon:.3}°）"
                    ));
                }
                (lon, lat)
            }
        };
        Ok([out.0, out.1])
    }
}
