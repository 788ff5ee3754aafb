//! What a file's columns are, when they are not HeatDesk's own: each source column mapped to a
//! field (or to an address part, coordinates, nothing), and the source's own codes mapped to
//! HeatDesk's (已办结 → closed, 漏水 → leak). The mapping is guessed from the headers and the
//! values, shown and edited, and kept as a named profile ("12345 热线导出") that is offered
//! again for files with the same headers.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::bilingual::{Bilingual, bilingual};
use super::kind::{Kind, normalise};
use crate::domain::*;
use crate::words::{self, Lang};

/// What a source column is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    Ignore,
    /// One of the kind's fields, by its English name.
    Field(String),
    /// A compound's name (小区名称): with a building's number, finds the building.
    Compound,
    /// A building's number (楼号: 3号楼, 3#, 3栋 …).
    Building,
    /// 单元, 房号: written into the address detail ("3单元 502").
    Unit,
    Room,
    /// Where a compound is (its street address, district or department): tells compounds of
    /// the same name apart.
    Locality,
    /// A department's name or id.
    Department,
    /// A station's name or id.
    Station,
    /// Coordinates in columns.
    Lon,
    Lat,
    Wkt,
}

impl Target {
    /// As a profile writes it: a field's name, or @compound, @building …, or "" (nothing).
    pub fn code(&self) -> String {
        match self {
            Target::Ignore => String::new(),
            Target::Field(f) => f.clone(),
            Target::Compound => "@compound".into(),
            Target::Building => "@building".into(),
            Target::Unit => "@unit".into(),
            Target::Room => "@room".into(),
            Target::Locality => "@locality".into(),
            Target::Department => "@department".into(),
            Target::Station => "@station".into(),
            Target::Lon => "@lon".into(),
            Target::Lat => "@lat".into(),
            Target::Wkt => "@wkt".into(),
        }
    }

    pub fn parse(code: &str, kind: Kind) -> Option<Target> {
        Some(match code.trim() {
            "" => Target::Ignore,
            "@compound" => Target::Compound,
            "@building" => Target::Building,
            "@unit" => Target::Unit,
            "@room" => Target::Room,
            "@locality" => Target::Locality,
            "@department" => Target::Department,
            "@station" => Target::Station,
            "@lon" => Target::Lon,
            "@lat" => Target::Lat,
            "@wkt" => Target::Wkt,
            f if kind.fields().iter().any(|x| x.name == f) => Target::Field(f.to_string()),
            _ => return None,
        })
    }

    /// "工单号（id）", "小区名称（找楼栋）" — as the mapping is shown.
    pub fn label(&self, kind: Kind, lang: Lang) -> String {
        match self {
            Target::Ignore => lang.pick("（不导入）", "(not imported)").into(),
            Target::Field(f) => kind
                .fields()
                .iter()
                .find(|x| x.name == f)
                .map_or_else(|| f.clone(), |x| x.shown(lang)),
            Target::Compound => lang
                .pick("小区名称（找楼栋）", "compound name (finds the building)")
                .into(),
            Target::Building => lang
                .pick("楼号（找楼栋）", "building number (finds the building)")
                .into(),
            Target::Unit => lang
                .pick("单元（写入门牌）", "unit (into the address)")
                .into(),
            Target::Room => lang
                .pick("房号（写入门牌）", "room (into the address)")
                .into(),
            Target::Locality => lang
                .pick(
                    "小区地址/区域（区分同名小区）",
                    "where the compound is (tells same names apart)",
                )
                .into(),
            Target::Department => lang
                .pick("服务部名称或编号", "department name or id")
                .into(),
            Target::Station => lang.pick("换热站名称或编号", "station name or id").into(),
            Target::Lon => lang.pick("经度 / X", "longitude / X").into(),
            Target::Lat => lang.pick("纬度 / Y", "latitude / Y").into(),
            Target::Wkt => lang.pick("几何（WKT）", "geometry (WKT)").into(),
        }
    }

    /// Everything a column of `kind` may be (the mapping step's choices).
    pub fn choices(kind: Kind, native_geometry: bool) -> Vec<Target> {
        let mut all = vec![Target::Ignore];
        all.extend(kind.fields().iter().map(|f| Target::Field(f.name.into())));
        let fields = |n: &str| kind.fields().iter().any(|f| f.name == n);
        if fields("building_id") || fields("compound_id") {
            all.push(Target::Compound);
        }
        if fields("building_id") {
            all.extend([Target::Building, Target::Unit, Target::Room]);
        }
        if fields("building_id") || fields("compound_id") {
            all.push(Target::Locality);
        }
        if fields("department_id") {
            all.push(Target::Department);
        }
        if fields("station_id") {
            all.push(Target::Station);
        }
        if kind.geometry().is_some() && !native_geometry {
            all.extend([Target::Lon, Target::Lat, Target::Wkt]);
        }
        all
    }
}

/// A file's columns and values mapped: a named profile.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Mapping {
    /// "12345 热线导出".
    pub name: String,
    /// The kind it imports (its code).
    pub kind: String,
    /// Each source column (as the file names it) and what it is (`Target::code`).
    pub columns: Vec<(String, String)>,
    /// For a field: the source's value → HeatDesk's code.
    #[serde(default)]
    pub values: BTreeMap<String, BTreeMap<String, String>>,
}

/// Header words by what they mean, beyond each field's own names (what hotline systems,
/// spreadsheets and GIS exports call them).
const SYNONYMS: &[(&str, &[&str])] = &[
    (
        "id",
        &[
            "工单编号",
            "工单号",
            "受理编号",
            "流水号",
            "单号",
            "编号",
            "序号",
        ],
    ),
    (
        "created_at",
        &[
            "受理时间",
            "来电时间",
            "登记时间",
            "创建时间",
            "报修时间",
            "接收时间",
            "派发时间",
        ],
    ),
    (
        "channel",
        &[
            "来源渠道",
            "受理渠道",
            "诉求来源",
            "来源",
            "渠道",
            "来电方式",
        ],
    ),
    (
        "category",
        &[
            "问题类别",
            "问题类型",
            "诉求类别",
            "诉求类型",
            "故障类别",
            "故障类型",
            "报修类型",
            "类别",
            "类型",
        ],
    ),
    ("severity", &["紧急程度", "紧急度", "优先级", "缓急"]),
    ("status", &["处理状态", "工单状态", "办理状态", "状态"]),
    (
        "reporter_name",
        &["联系人", "报修人", "来电人", "用户姓名", "户主", "姓名"],
    ),
    (
        "reporter_phone",
        &["联系电话", "来电号码", "手机号", "联系方式", "电话", "手机"],
    ),
    (
        "description",
        &["问题描述", "诉求内容", "反映问题", "内容", "描述"],
    ),
    ("deadline", &["处置时限", "办结时限", "截止时间", "时限"]),
    ("fixed_at", &["完工时间", "处理完成时间", "维修完成时间"]),
    ("closed_at", &["办结时间", "结案时间", "关闭时间"]),
    ("satisfaction", &["满意度", "回访结果", "评价"]),
    ("answer", &["满意度", "回访结果", "评价"]),
    (
        "name",
        &[
            "名称",
            "小区名称",
            "班组名称",
            "部门名称",
            "换热站名称",
            "热源名称",
        ],
    ),
    ("households", &["户数", "住户数", "总户数", "入住户数"]),
    ("number", &["楼号", "楼栋号", "楼栋", "楼座"]),
    ("floors", &["层数", "楼层数", "总层数"]),
    ("units", &["单元数"]),
    ("celsius", &["室温", "温度", "室内温度", "测温值"]),
    ("taken_at", &["测温时间", "时间"]),
    ("at", &["走访时间", "回访时间", "时间"]),
    (
        "@compound",
        &["小区名称", "小区", "所在小区", "小区名", "项目名称"],
    ),
    ("@building", &["楼号", "楼栋号", "楼栋", "楼座", "楼"]),
    ("@unit", &["单元", "单元号"]),
    ("@room", &["房号", "房间号", "门牌号", "室", "户号"]),
    (
        "@department",
        &[
            "服务部",
            "所属部门",
            "部门",
            "供热服务部",
            "所属服务部",
            "department",
            "dept",
        ],
    ),
    (
        "@locality",
        &[
            "小区地址",
            "区域",
            "片区",
            "街道",
            "区县",
            "所属区域",
            "服务部",
            "所属服务部",
            "供热服务部",
        ],
    ),
    ("@station", &["换热站", "所属换热站", "换热站名称"]),
    ("@lon", &["lon", "lng", "longitude", "经度", "x", "x坐标"]),
    ("@lat", &["lat", "latitude", "纬度", "y", "y坐标"]),
    (
        "@wkt",
        &["wkt", "geometry", "geom", "the_geom", "几何", "坐标串"],
    ),
];

/// The codes a coded field takes, with every label they may be written as.
pub fn coded(kind: Kind, field: &str) -> Option<Vec<(String, &'static str)>> {
    fn list<T: Copy>(
        all: &[T],
        code: impl Fn(T) -> &'static str,
        label: impl Fn(Lang, T) -> &'static str,
    ) -> Vec<(String, &'static str)> {
        all.iter()
            .flat_map(|&v| {
                [
                    (code(v).to_string(), code(v)),
                    (label(Lang::Zh, v).to_string(), code(v)),
                    (label(Lang::En, v).to_string(), code(v)),
                ]
            })
            .collect()
    }
    Some(match (kind, field) {
        (Kind::Tickets, "channel") => list(Channel::ALL, Channel::code, words::channel),
        (Kind::Tickets, "category") => list(Category::ALL, Category::code, words::category),
        (Kind::Tickets, "severity") => list(Severity::ALL, Severity::code, words::severity),
        (Kind::Tickets, "status") => list(TicketStatus::ALL, TicketStatus::code, words::status),
        (Kind::Tickets, "satisfaction") | (Kind::Surveys, "answer") => {
            list(SurveyAnswer::ALL, SurveyAnswer::code, words::answer)
        }
        (Kind::Readings, "method") => list(TempMethod::ALL, TempMethod::code, words::method_name),
        _ => return None,
    })
}

/// What hotline systems write for HeatDesk's codes.
const VALUE_SYNONYMS: &[(&str, &[(&str, &str)])] = &[
    (
        "status",
        &[
            ("已受理", "received"),
            ("待受理", "received"),
            ("待派单", "received"),
            ("未派单", "received"),
            ("新建", "received"),
            ("待处理", "received"),
            ("派单", "assigned"),
            ("已派工", "assigned"),
            ("待接单", "assigned"),
            ("接单", "accepted"),
            ("处理中", "accepted"),
            ("维修中", "accepted"),
            ("到场", "on_site"),
            ("现场处理", "on_site"),
            ("完工", "fixed"),
            ("已处理", "fixed"),
            ("已解决", "fixed"),
            ("已维修", "fixed"),
            ("已完成", "fixed"),
            ("待回访", "fixed"),
            ("回访", "callback_done"),
            ("已办结", "closed"),
            ("办结", "closed"),
            ("结案", "closed"),
            ("已关闭", "closed"),
            ("关闭", "closed"),
            ("归档", "closed"),
            ("暂停", "on_hold"),
            ("已挂起", "on_hold"),
            ("升级", "escalated"),
            ("督办", "escalated"),
        ],
    ),
    (
        "channel",
        &[
            ("12345", "hotline"),
            ("热线", "hotline"),
            ("电话", "hotline"),
            ("96069", "hotline"),
            ("客服热线", "hotline"),
            ("来人", "walk_in"),
            ("上门", "walk_in"),
            ("窗口", "walk_in"),
            ("网络", "online"),
            ("微信", "online"),
            ("app", "online"),
            ("网站", "online"),
            ("公众号", "online"),
            ("小程序", "online"),
            ("咨询点", "consultation_desk"),
            ("走访", "door_to_door"),
            ("入户", "door_to_door"),
        ],
    ),
    (
        "category",
        &[
            ("漏水", "leak"),
            ("爆管", "leak"),
            ("跑水", "leak"),
            ("滴水", "leak"),
            ("暖气不热", "no_heat"),
            ("不供热", "no_heat"),
            ("没暖气", "no_heat"),
            ("温度低", "low_temperature"),
            ("室温低", "low_temperature"),
            ("偏冷", "low_temperature"),
            ("温度不达标", "low_temperature"),
            ("积气", "air_lock"),
            ("放气", "air_lock"),
            ("上热下凉", "air_lock"),
            ("阀门", "valve_closed"),
            ("阀门未开", "valve_closed"),
            ("过滤网", "filter_clogged"),
            ("堵塞", "filter_clogged"),
            ("私接", "illegal_modification"),
            ("改管", "illegal_modification"),
            ("水力", "hydraulic_imbalance"),
            ("失调", "hydraulic_imbalance"),
            ("换热站", "entry_or_station_fault"),
            ("热力入口", "entry_or_station_fault"),
            ("咨询", "enquiry"),
            ("收费", "enquiry"),
            ("缴费", "enquiry"),
            ("投诉", "complaint"),
            ("服务态度", "complaint"),
        ],
    ),
    (
        "severity",
        &[
            ("普通", "normal"),
            ("一般", "normal"),
            ("低", "normal"),
            ("急", "urgent"),
            ("加急", "urgent"),
            ("高", "urgent"),
            ("特急", "emergency"),
            ("紧急抢修", "emergency"),
        ],
    ),
    (
        "satisfaction",
        &[
            ("非常满意", "satisfied"),
            ("比较满意", "basically_satisfied"),
            ("一般", "basically_satisfied"),
            ("很不满意", "dissatisfied"),
            ("差", "dissatisfied"),
        ],
    ),
    (
        "answer",
        &[
            ("非常满意", "satisfied"),
            ("比较满意", "basically_satisfied"),
            ("一般", "basically_satisfied"),
            ("很不满意", "dissatisfied"),
            ("差", "dissatisfied"),
        ],
    ),
];

/// The code a value of a coded field means, if it is one (as the importer reads it).
pub fn known_value(labels: &[(String, &'static str)], value: &str) -> Option<&'static str> {
    let v = value.trim();
    labels
        .iter()
        .find(|(l, _)| l.eq_ignore_ascii_case(v))
        .map(|(_, c)| *c)
}

/// A guess for a value the field does not know: the usual words, else a label containing it
/// or contained in it — when only one code fits.
pub fn guess_value(kind: Kind, field: &str, value: &str) -> Option<&'static str> {
    let labels = coded(kind, field)?;
    let v = value.trim();
    if v.is_empty() || known_value(&labels, v).is_some() {
        return None;
    }
    if let Some((_, pairs)) = VALUE_SYNONYMS.iter().find(|(f, _)| *f == field)
        && let Some((_, code)) = pairs.iter().find(|(w, _)| w.eq_ignore_ascii_case(v))
    {
        return Some(code);
    }
    let lower = v.to_lowercase();
    let mut fits: Vec<&'static str> = labels
        .iter()
        .filter(|(l, _)| {
            let l = l.to_lowercase();
            l.chars().count() >= 2 && (l.contains(&lower) || lower.contains(&l))
        })
        .map(|(_, c)| *c)
        .collect();
    if let Some((_, pairs)) = VALUE_SYNONYMS.iter().find(|(f, _)| *f == field) {
        fits.extend(
            pairs
                .iter()
                .filter(|(w, _)| w.chars().count() >= 2 && lower.contains(&w.to_lowercase()))
                .map(|(_, c)| *c),
        );
    }
    fits.sort_unstable();
    fits.dedup();
    (fits.len() == 1).then(|| fits[0])
}

/// Does a column's content look like times?
fn looks_like_times(values: &[&str]) -> bool {
    let filled: Vec<&&str> = values.iter().filter(|v| !v.is_empty()).collect();
    !filled.is_empty()
        && filled
            .iter()
            .filter(|v| super::columns::parse_time(v).is_some())
            .count()
            * 10
            >= filled.len() * 8
}

impl Mapping {
    /// Guess what each column is, from its header, then its values (`rows`: the first rows).
    pub fn guess(
        kind: Kind,
        headers: &[String],
        rows: &[Vec<String>],
        native_geometry: bool,
    ) -> Mapping {
        let choices = Target::choices(kind, native_geometry);
        let offered = |t: &Target| choices.contains(t);
        let mut taken: Vec<Target> = Vec::new();
        let mut columns: Vec<(String, String)> = Vec::new();
        let target_of = |code: &str| Target::parse(code, kind);
        for h in headers {
            let hn = normalise(h);
            // the kind's own names first, then the usual words (in their order of preference)
            let own = kind
                .fields()
                .iter()
                .find(|f| f.matches(h))
                .map(|f| Target::Field(f.name.into()));
            let by_word = SYNONYMS
                .iter()
                .filter(|(_, words)| words.iter().any(|w| normalise(w) == hn))
                .filter_map(|(code, _)| target_of(code))
                .filter(|t| offered(t) && !taken.contains(t));
            let chosen = own
                .filter(|t| !taken.contains(t))
                .into_iter()
                .chain(by_word)
                .find(|t| {
                    // an id column for a kind whose ids are new is still its id
                    !matches!(t, Target::Ignore)
                });
            let t = chosen.unwrap_or(Target::Ignore);
            if t != Target::Ignore {
                taken.push(t.clone());
            }
            columns.push((h.clone(), t.code()));
        }
        // by values: a column of times for the kind's required time, when none was named
        let time_fields: Vec<&str> = kind
            .fields()
            .iter()
            .filter(|f| f.required && (f.name.ends_with("_at") || f.name == "at"))
            .map(|f| f.name)
            .collect();
        for field in time_fields {
            let t = Target::Field(field.into());
            if taken.contains(&t) {
                continue;
            }
            let col = columns.iter().position(|(_, c)| c.is_empty()).filter(|&i| {
                let vals: Vec<&str> = rows
                    .iter()
                    .map(|r| r.get(i).map_or("", |v| v.as_str()))
                    .collect();
                looks_like_times(&vals)
            });
            if let Some(i) = col {
                columns[i].1 = t.code();
                taken.push(t);
            }
        }
        let mut mapping = Mapping {
            name: String::new(),
            kind: kind.code().into(),
            columns,
            values: BTreeMap::new(),
        };
        mapping.guess_values(kind, rows);
        mapping
    }

    /// For each coded field, the source values it does not know that a guess fits.
    pub fn guess_values(&mut self, kind: Kind, rows: &[Vec<String>]) {
        for (i, (_, code)) in self.columns.iter().enumerate() {
            let Some(Target::Field(field)) = Target::parse(code, kind) else {
                continue;
            };
            if coded(kind, &field).is_none() {
                continue;
            }
            for r in rows {
                let Some(v) = r.get(i).map(|v| v.trim()) else {
                    continue;
                };
                if let Some(c) = guess_value(kind, &field, v) {
                    self.values
                        .entry(field.clone())
                        .or_default()
                        .entry(v.to_string())
                        .or_insert_with(|| c.to_string());
                }
            }
        }
    }

    /// The target of each column.
    pub fn targets(&self, kind: Kind) -> Vec<Target> {
        self.columns
            .iter()
            .map(|(_, c)| Target::parse(c, kind).unwrap_or(Target::Ignore))
            .collect()
    }

    /// Whether it was made for these headers (a profile offered for this file).
    pub fn fits(&self, headers: &[String]) -> bool {
        let mut mine: Vec<String> = self.columns.iter().map(|(h, _)| normalise(h)).collect();
        let mut theirs: Vec<String> = headers.iter().map(|h| normalise(h)).collect();
        mine.sort();
        theirs.sort();
        mine == theirs
    }

    /// The same mapping for `headers` (a profile's columns matched to this file's by name).
    pub fn for_headers(&self, headers: &[String]) -> Mapping {
        let columns = headers
            .iter()
            .map(|h| {
                let code = self
                    .columns
                    .iter()
                    .find(|(c, _)| normalise(c) == normalise(h))
                    .map_or(String::new(), |(_, t)| t.clone());
                (h.clone(), code)
            })
            .collect();
        Mapping {
            columns,
            ..self.clone()
        }
    }

    /// "工单编号 → 工单号（id）" and the value mappings, as `--check` prints the guess.
    pub fn lines(&self, kind: Kind, lang: Lang) -> Vec<String> {
        let mut out = vec![lang.pick("  列的对应：", "  columns:").to_string()];
        for (h, code) in &self.columns {
            let t = Target::parse(code, kind).unwrap_or(Target::Ignore);
            out.push(format!("    {h} -> {}", t.label(kind, lang)));
        }
        for (field, map) in &self.values {
            let head = match lang {
                Lang::Zh => format!("  {field} 的取值："),
                Lang::En => format!("  values of {field}:"),
            };
            out.push(head);
            for (from, to) in map {
                out.push(format!("    {from} -> {to}"));
            }
        }
        out
    }

    /// Fields the kind needs that no column gives (and nothing else supplies), in words.
    pub fn missing(
        &self,
        kind: Kind,
        native_geometry: bool,
        department_given: bool,
    ) -> Vec<String> {
        let targets = self.targets(kind);
        let has = |t: &Target| targets.contains(t);
        let field = |n: &str| has(&Target::Field(n.into()));
        let mut missing = Vec::new();
        for f in kind.fields().iter().filter(|f| f.required) {
            let covered = field(f.name)
                || match f.name {
                    "id" => matches!(kind, Kind::Compounds | Kind::Buildings),
                    "building_id" => has(&Target::Compound) && has(&Target::Building),
                    "compound_id" => has(&Target::Compound),
                    "department_id" => {
                        has(&Target::Department)
                            || department_given
                            || matches!(kind, Kind::Compounds | Kind::Stations)
                    }
                    "station_id" => true, // the nearest station, said in the report
                    _ => false,
                };
            if !covered {
                missing.push(f.name.to_string());
            }
        }
        let located =
            native_geometry || has(&Target::Wkt) || (has(&Target::Lon) && has(&Target::Lat));
        if kind.geometry().is_some() && !located {
            missing.push("geometry".into());
        }
        missing
    }

    pub fn load(path: &Path) -> Result<Mapping, Bilingual> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            let p = path.display();
            bilingual!(
                "{p}: cannot read the mapping: {e}",
                "{p}：无法读取对应关系：{e}"
            )
        })?;
        serde_json::from_str(&text).map_err(|e| {
            let p = path.display();
            bilingual!(
                "{p}: not a mapping profile: {e}",
                "{p}：不是对应关系文件：{e}"
            )
        })
    }

    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(path, text)
    }
}

/// The profiles kept in `dir` (the console's data folder), by name.
pub fn profiles(dir: &Path) -> Vec<Mapping> {
    let mut all: Vec<Mapping> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .filter_map(|e| Mapping::load(&e.path()).ok())
        .collect();
    all.sort_by(|a, b| a.name.cmp(&b.name));
    all
}

/// A profile's file name from its name ("12345 热线导出" → "12345 热线导出.json").
pub fn profile_file(dir: &Path, name: &str) -> std::path::PathBuf {
    let safe: String = name
        .chars()
        .map(|c| {
            if matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '_'
            } else {
                c
            }
        })
        .collect();
    dir.join(format!("{}.json", safe.trim()))
}

/// Per field: the source value → code, as a lookup.
pub type ValueMaps = HashMap<usize, HashMap<String, String>>;
