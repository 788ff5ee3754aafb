//! A file as records of one kind: the source's rows (any format) through the mapping of its
//! columns to the kind's fields — HeatDesk's own headers exactly, or a guessed or saved
//! mapping with the source's codes mapped to HeatDesk's — with geometry from the format, a
//! WKT column or coordinate columns.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use csv::StringRecord;

use super::bilingual::{Bilingual, bilingual};
use super::crs::Crs;
use super::kind::{Field, Kind};
use super::mapping::{Mapping, Target};
use super::shape::{self, Shape};
use super::source::{Part, Source};
use crate::words::Lang;

/// Where in a file a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Loc {
    /// A row as a spreadsheet numbers it (a CSV's header is row 1 unless title rows are above).
    Row(u64),
    /// A GeoJSON, Shapefile or GeoPackage feature, counted from 1.
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

/// How a file's columns are to be read.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Columns {
    /// HeatDesk's own headers (Chinese or English), as `export` writes them.
    #[default]
    Own,
    /// Guessed from the headers and values.
    Guess,
    /// A mapping given (a saved profile, or edited in the import window).
    Given(Mapping),
}

/// The mapping compiled for a source's columns.
struct Plan {
    /// For each field of the kind: its source column.
    columns: Vec<Option<usize>>,
    /// For each field: the source's values mapped to codes.
    maps: Vec<Option<HashMap<String, String>>>,
    compound: Option<usize>,
    building: Option<usize>,
    locality: Option<usize>,
    unit: Option<usize>,
    room: Option<usize>,
    department: Option<usize>,
    station: Option<usize>,
    lon: Option<usize>,
    lat: Option<usize>,
    wkt: Option<usize>,
    /// The field `unit` and `room` are written into when no column gives it.
    address_detail: Option<usize>,
}

/// One record: the kind's fields as mapped, its geometry (in the file's system), and the names
/// it gives where HeatDesk keeps ids.
pub struct Record<'a> {
    pub loc: Loc,
    /// How far into the file, for a progress bar.
    pub progress: u64,
    values: &'a StringRecord,
    plan: &'a Plan,
    pub shape: Option<Result<Shape, Bilingual>>,
    /// What the reader found wrong with the row itself.
    pub problem: Option<Bilingual>,
    composed: Option<String>,
}

impl Record<'_> {
    fn column(&self, c: Option<usize>) -> &str {
        c.and_then(|c| self.values.get(c)).map_or("", str::trim)
    }

    /// A field's text, trimmed, the source's code mapped ("" when no column gives it).
    pub fn get(&self, field: usize) -> &str {
        if Some(field) == self.plan.address_detail
            && let Some(text) = &self.composed
        {
            return text;
        }
        let raw = self.column(self.plan.columns[field]);
        if let Some(map) = &self.plan.maps[field]
            && let Some(code) = map.get(raw)
        {
            return code;
        }
        raw
    }

    /// Whether a column gives this field.
    pub fn has(&self, field: usize) -> bool {
        self.plan.columns[field].is_some()
    }

    /// The compound's name and the building's number the row gives (address matching).
    pub fn address(&self) -> Option<(&str, &str)> {
        let building = self.plan.building?;
        Some((self.column(self.plan.compound), self.column(Some(building))))
    }

    /// Where the row says its compound is (a street address, a district, a department).
    pub fn locality(&self) -> &str {
        self.column(self.plan.locality)
    }

    /// A compound's name given where the kind wants its id.
    pub fn compound_name(&self) -> Option<&str> {
        self.plan.compound.map(|c| self.column(Some(c)))
    }

    /// A department's name or id given by name.
    pub fn department(&self) -> Option<&str> {
        self.plan.department.map(|c| self.column(Some(c)))
    }

    /// A station's name or id given by name.
    pub fn station(&self) -> Option<&str> {
        self.plan.station.map(|c| self.column(Some(c)))
    }

    /// The row's cells as the file has them (the rows an import passes over are written out
    /// for fixing).
    pub fn cells(&self) -> impl Iterator<Item = &str> {
        self.values.iter()
    }
}

/// A file read and its columns mapped to a kind, ready to be walked record by record.
pub struct Input {
    pub kind: Kind,
    /// The file's name, as problems name it.
    pub file: String,
    /// "CSV, GBK/GB18030", "Excel (.xlsx), sheet 工单" …
    pub format: String,
    pub headers: Vec<String>,
    /// Columns mapped to nothing (named in the report, not an error).
    pub ignored: Vec<String>,
    /// The mapping used (HeatDesk's own headers are a mapping too).
    pub mapping: Mapping,
    /// The coordinate system the file declares.
    pub declared: Option<Crs>,
    /// Rows carry geometry of their own.
    pub native_geometry: bool,
    source: Source,
    plan: Plan,
}

/// HeatDesk's own headers as a mapping: each column that is a field (by its English or
/// Chinese name or a usual variant), and the coordinate columns; two columns of one field
/// are refused.
fn own_mapping(kind: Kind, headers: &[String]) -> Result<Mapping, Bilingual> {
    const WKT: &[&str] = &["wkt", "geometry", "geom", "the_geom", "几何", "坐标串"];
    const LON: &[&str] = &["lon", "lng", "longitude", "经度", "x"];
    const LAT: &[&str] = &["lat", "latitude", "纬度", "y"];
    let is = |h: &str, names: &[&str]| {
        let h = super::kind::normalise(h);
        names.iter().any(|n| super::kind::normalise(n) == h)
    };
    let mut columns = Vec::new();
    let mut seen: Vec<(usize, usize)> = Vec::new();
    for (col, h) in headers.iter().enumerate() {
        let target = match kind.fields().iter().position(|f| f.matches(h)) {
            Some(i) => {
                if let Some(&(_, first)) = seen.iter().find(|(f, _)| *f == i) {
                    let field = &kind.fields()[i];
                    let (en, zh) = (field.shown(Lang::En), field.shown(Lang::Zh));
                    let (a, b, earlier) = (first + 1, col + 1, &headers[first]);
                    return Err(bilingual!(
                        "header: columns {a} and {b} are both {en} (\"{earlier}\" and \"{h}\")",
                        "表头：第 {a} 列和第 {b} 列都是{zh}（“{earlier}”和“{h}”）"
                    ));
                }
                seen.push((i, col));
                Target::Field(kind.fields()[i].name.into())
            }
            None if kind.geometry().is_some() && is(h, WKT) => Target::Wkt,
            None if kind.geometry().is_some() && is(h, LON) => Target::Lon,
            None if kind.geometry().is_some() && is(h, LAT) => Target::Lat,
            None => Target::Ignore,
        };
        columns.push((h.clone(), target.code()));
    }
    Ok(Mapping {
        name: String::new(),
        kind: kind.code().into(),
        columns,
        values: Default::default(),
    })
}

/// Required fields the importer fills itself when a file has no column for them: a place's id
/// (found again by its name, else a new one), a department (`--department`, a column of
/// department names, or the compounds around), a building's station (the nearest).
pub(crate) fn filled_when_absent(kind: Kind, field: &str) -> bool {
    matches!(
        (kind, field),
        (Kind::Compounds | Kind::Buildings, "id")
            | (
                Kind::Compounds | Kind::Stations | Kind::Teams,
                "department_id"
            )
            | (Kind::Buildings, "station_id")
    )
}

/// The required fields a header row lacks, and which kind it looks like instead.
fn missing_own(kind: Kind, headers: &[String]) -> Option<Bilingual> {
    let lacks = |k: Kind| -> Vec<&Field> {
        k.fields()
            .iter()
            .filter(|f| f.required && !filled_when_absent(k, f.name))
            .filter(|f| !headers.iter().any(|h| f.matches(h)))
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
    let mut message = bilingual!("missing column(s) {en}", "缺少列：{zh}");
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
    } else {
        message.en += "; if the columns are named otherwise, map them: --mapping auto (the import window does it)";
        message.zh += "；如列名不同，请建立对应关系：--mapping auto（导入窗口可以逐列对应）";
    }
    Some(message)
}

impl Input {
    /// Read a file as `kind`, its columns as `columns` says. The error is about the whole file.
    pub fn open(
        path: &Path,
        kind: Kind,
        part: &Part,
        columns: &Columns,
    ) -> Result<Input, Bilingual> {
        let source = Source::open(path, part)?;
        Input::from_source(source, kind, columns)
    }

    /// HeatDesk's own headers (what `heatdesk import` does without `--mapping`).
    pub fn read(path: &Path, kind: Kind) -> Result<Input, Bilingual> {
        Input::open(path, kind, &Part::default(), &Columns::Own)
    }

    pub fn from_source(source: Source, kind: Kind, columns: &Columns) -> Result<Input, Bilingual> {
        let headers = source.headers.clone();
        let mapping = match columns {
            Columns::Own => {
                if !(source.geometry && headers.is_empty()) {
                    // a GeoJSON's first feature names the properties: its problems are its own
                    let missing = missing_own(kind, &headers);
                    if let Some(message) = missing {
                        return Err(if source.geometry {
                            let (en, zh) = (message.en, message.zh);
                            bilingual!("feature 1: {en}", "第 1 个要素：{zh}")
                        } else {
                            message
                        });
                    }
                }
                own_mapping(kind, &headers)?
            }
            Columns::Guess => {
                let rows: Vec<Vec<String>> = source
                    .first_rows(2000)
                    .into_iter()
                    .map(|(_, r)| r)
                    .collect();
                Mapping::guess(kind, &headers, &rows, source.geometry)
            }
            Columns::Given(m) => m.for_headers(&headers),
        };
        let plan = compile(kind, &mapping)?;
        if kind.geometry().is_some()
            && !source.geometry
            && plan.wkt.is_none()
            && (plan.lon.is_none() || plan.lat.is_none())
        {
            let (en, zh) = (kind.code(), kind.name(Lang::Zh));
            return Err(bilingual!(
                "{en} need a geometry column: wkt (几何), or lon and lat (经度, 纬度)",
                "{zh}需要几何列：几何（wkt），或经度和纬度（lon、lat）"
            ));
        }
        let ignored = mapping
            .columns
            .iter()
            .filter(|(_, t)| t.is_empty())
            .map(|(h, _)| h.clone())
            .collect();
        Ok(Input {
            kind,
            file: source.file.clone(),
            format: source.format.clone(),
            headers,
            ignored,
            mapping,
            declared: source.declared.clone(),
            native_geometry: source.geometry,
            source,
            plan,
        })
    }

    /// The end of [`Record::progress`].
    pub fn size(&self) -> u64 {
        self.source.size()
    }

    /// At most how many records follow, when known before reading them.
    pub fn rows_hint(&self) -> Option<usize> {
        self.source.rows_hint()
    }

    /// Walk the records in file order; `f` returns false to stop early.
    pub fn each(&self, mut f: impl FnMut(Record<'_>) -> bool) -> Result<(), (Loc, Bilingual)> {
        let plan = &self.plan;
        self.source.each(&mut |raw| {
            let column = |c: Option<usize>| c.and_then(|c| raw.values.get(c)).map_or("", str::trim);
            let shape = if raw.shape.is_some() {
                raw.shape
            } else if plan.wkt.is_some() {
                let text = column(plan.wkt);
                (!text.is_empty()).then(|| shape::from_wkt(text))
            } else if let (Some(x), Some(y)) = (plan.lon, plan.lat) {
                let n = |c: usize, en: &str, zh: &str| -> Result<f64, Bilingual> {
                    let v = column(Some(c));
                    v.parse::<f64>().map_err(|_| {
                        bilingual!("{en} \"{v}\" is not a number", "{zh}“{v}”不是数字")
                    })
                };
                Some(
                    n(x, "longitude", "经度")
                        .and_then(|lon| Ok(Shape::Point([lon, n(y, "latitude", "纬度")?]))),
                )
            } else {
                None
            };
            // 单元 and 房号 make the address detail ("3单元 502") when no column gives it
            let composed = match (plan.address_detail, plan.unit, plan.room) {
                (Some(_), unit, room) if unit.is_some() || room.is_some() => {
                    let unit = column(unit);
                    let room = column(room);
                    let unit = if unit.is_empty() || unit.ends_with('单') || unit.ends_with("单元")
                    {
                        unit.to_string()
                    } else {
                        format!("{unit}单元")
                    };
                    Some(
                        [unit.as_str(), room]
                            .iter()
                            .filter(|s| !s.is_empty())
                            .copied()
                            .collect::<Vec<_>>()
                            .join(" "),
                    )
                }
                _ => None,
            };
            f(Record {
                loc: raw.loc,
                progress: raw.progress,
                values: raw.values,
                plan,
                shape,
                problem: raw.problem,
                composed,
            })
        })
    }

    /// The first `n` rows' cells, as the file has them (the preview).
    pub fn first_rows(&self, n: usize) -> Vec<(Loc, Vec<String>)> {
        self.source.first_rows(n)
    }
}

fn compile(kind: Kind, mapping: &Mapping) -> Result<Plan, Bilingual> {
    let fields = kind.fields();
    let mut plan = Plan {
        columns: vec![None; fields.len()],
        maps: vec![None; fields.len()],
        compound: None,
        building: None,
        locality: None,
        unit: None,
        room: None,
        department: None,
        station: None,
        lon: None,
        lat: None,
        wkt: None,
        address_detail: None,
    };
    for (col, (header, code)) in mapping.columns.iter().enumerate() {
        let Some(target) = Target::parse(code, kind) else {
            let k = kind.code();
            return Err(bilingual!(
                "the mapping gives column \"{header}\" to \"{code}\", which {k} do not have",
                "对应关系把“{header}”列对应到“{code}”，而{k}没有这一项"
            ));
        };
        match target {
            Target::Ignore => {}
            Target::Field(name) => {
                let i = kind.field(&name);
                plan.columns[i] = Some(col);
            }
            Target::Compound => plan.compound = Some(col),
            Target::Building => plan.building = Some(col),
            Target::Locality => plan.locality = Some(col),
            Target::Unit => plan.unit = Some(col),
            Target::Room => plan.room = Some(col),
            Target::Department => plan.department = Some(col),
            Target::Station => plan.station = Some(col),
            Target::Lon => plan.lon = Some(col),
            Target::Lat => plan.lat = Some(col),
            Target::Wkt => plan.wkt = Some(col),
        }
    }
    for (field, map) in &mapping.values {
        if let Some(i) = fields.iter().position(|f| f.name == field) {
            plan.maps[i] = Some(map.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
        }
    }
    if let Some(i) = fields.iter().position(|f| f.name == "address_detail")
        && plan.columns[i].is_none()
    {
        plan.address_detail = Some(i);
    }
    Ok(plan)
}
