//! What a company can bring in and take out, and the columns of each kind of file.
//!
//! Every field has a stable English name (what HeatDesk writes) and the Chinese header a
//! company's own sheets use; both are accepted, with a few common variants. README.md lists
//! them ("Import and export").

use crate::domain::batch::Table;
use crate::words::Lang;

/// One kind of data file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Kind {
    Departments,
    Compounds,
    Buildings,
    Sources,
    Stations,
    Pipes,
    Valves,
    Teams,
    Tickets,
    Visits,
    Readings,
    Surveys,
}

/// The geometry a kind carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Geom {
    Polygon,
    Line,
    Point,
}

/// A column of a kind's file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Field {
    /// The English header HeatDesk writes.
    pub name: &'static str,
    /// The Chinese header a company's sheet uses.
    pub zh: &'static str,
    /// Other headers seen in the wild.
    pub aliases: &'static [&'static str],
    pub required: bool,
}

const fn f(name: &'static str, zh: &'static str, required: bool) -> Field {
    Field {
        name,
        zh,
        aliases: &[],
        required,
    }
}

const fn fa(
    name: &'static str,
    zh: &'static str,
    aliases: &'static [&'static str],
    required: bool,
) -> Field {
    Field {
        name,
        zh,
        aliases,
        required,
    }
}

const ID: Field = fa("id", "编号", &["ID", "fid", "序号"], true);

const DEPARTMENTS: &[Field] = &[ID, fa("name", "部门名称", &["名称", "服务部"], true)];
const COMPOUNDS: &[Field] = &[
    fa("id", "小区编号", &["编号"], true),
    fa("name", "小区名称", &["名称", "小区"], true),
    f("address", "地址", false),
    fa(
        "department_id",
        "部门编号",
        &["所属部门", "服务部编号"],
        true,
    ),
    fa("households", "户数", &["住户数", "总户数"], true),
];
const BUILDINGS: &[Field] = &[
    fa("id", "楼栋编号", &["编号"], true),
    fa("compound_id", "小区编号", &["所属小区"], true),
    fa("number", "楼号", &["楼栋号", "楼栋"], true),
    f("units", "单元数", false),
    fa("floors", "层数", &["楼层数"], false),
    fa("households", "户数", &["住户数"], true),
    fa("station_id", "换热站编号", &["所属换热站"], true),
    fa("entry_node_id", "入口节点", &["热力入口节点"], false),
];
const SOURCES: &[Field] = &[
    fa("id", "热源编号", &["编号"], true),
    fa("name", "热源名称", &["名称"], true),
    fa("capacity_mw", "容量MW", &["装机容量", "容量"], false),
    fa("node_id", "节点编号", &["节点"], false),
];
const STATIONS: &[Field] = &[
    fa("id", "换热站编号", &["编号"], true),
    fa("name", "换热站名称", &["名称"], true),
    fa("department_id", "部门编号", &["所属部门"], true),
    fa("node_id", "节点编号", &["节点"], false),
];
const PIPES: &[Field] = &[
    fa("id", "管段编号", &["编号"], true),
    fa("from_node", "起点节点", &["起点"], false),
    fa("to_node", "终点节点", &["终点"], false),
    fa("tier", "管网级别", &["级别"], true),
    fa("flow", "供回水", &["供回"], false),
    fa("dn", "管径", &["DN", "管径DN"], false),
    fa("laid_year", "敷设年份", &["年份"], false),
];
const VALVES: &[Field] = &[
    fa("id", "阀门编号", &["编号"], true),
    fa("segment_id", "管段编号", &["所在管段"], false),
    fa("operable", "可操作", &["是否可操作"], false),
];
const TEAMS: &[Field] = &[
    fa("id", "班组编号", &["编号"], true),
    fa("name", "班组名称", &["名称", "班组"], true),
    fa("department_id", "部门编号", &["所属部门"], true),
    fa("members", "成员", &["组员"], false),
    fa("skills", "技能", &["专业"], false),
    f("status", "状态", false),
];
const TICKETS: &[Field] = &[
    fa("id", "工单号", &["编号", "工单编号"], true),
    f("channel", "渠道", true),
    fa("category", "类别", &["问题类别", "故障类别"], true),
    fa("severity", "紧急程度", &["紧急度"], false),
    fa("building_id", "楼栋编号", &["楼栋"], true),
    fa("address_detail", "门牌", &["户号", "详细地址"], false),
    fa("reporter_name", "报修人", &["联系人"], false),
    fa("reporter_phone", "电话", &["联系电话", "手机"], false),
    fa("description", "描述", &["问题描述", "内容"], false),
    f("status", "状态", false),
    fa("team_id", "班组编号", &["班组"], false),
    fa("created_at", "受理时间", &["报修时间"], true),
    f("respond_by", "响应时限", false),
    fa("deadline", "处置时限", &["办结时限"], false),
    f("updated_at", "更新时间", false),
    f("fixed_at", "完工时间", false),
    f("closed_at", "结案时间", false),
    fa("timely", "及时", &["是否及时"], false),
    fa("satisfaction", "满意度", &["回访结果"], false),
    fa("parent_id", "主工单号", &["管网工单号"], false),
    fa("segment_id", "管段编号", &[], false),
];
const VISITS: &[Field] = &[
    fa("id", "走访编号", &["编号"], true),
    fa("compound_id", "小区编号", &["小区"], true),
    fa("at", "走访时间", &["时间"], true),
    fa("leaders", "带队领导", &["领导"], true),
    f("staff", "随行人员", false),
    fa("consultation_desk", "咨询台", &["设咨询台"], false),
    f("households_entered", "入户数", false),
    f("notes", "备注", false),
];
const READINGS: &[Field] = &[
    fa("id", "测温编号", &["编号"], true),
    fa("building_id", "楼栋编号", &["楼栋"], true),
    f("visit_id", "走访编号", false),
    fa("room", "房间", &["户号"], false),
    // "室温℃" as a header a file may have (never drawn: the fonts have no ℃)
    fa("celsius", "室温", &["温度", "室温\u{2103}"], true),
    fa("method", "测温方式", &["方式"], false),
    fa("taken_at", "测温时间", &["时间"], true),
    fa("taken_by", "测温人", &[], false),
];
const SURVEYS: &[Field] = &[
    fa("id", "回访编号", &["编号"], true),
    fa("building_id", "楼栋编号", &["楼栋"], true),
    fa("ticket_id", "工单号", &[], false),
    f("visit_id", "走访编号", false),
    fa("answer", "满意度", &["回访结果"], true),
    fa("at", "回访时间", &["时间"], true),
];

impl Kind {
    pub const ALL: &'static [Kind] = &[
        Kind::Departments,
        Kind::Compounds,
        Kind::Buildings,
        Kind::Sources,
        Kind::Stations,
        Kind::Pipes,
        Kind::Valves,
        Kind::Teams,
        Kind::Tickets,
        Kind::Visits,
        Kind::Readings,
        Kind::Surveys,
    ];

    /// The name on the command line and in the external-id table.
    /// The kind's name in the reader's language (服务部, Departments).
    pub fn name(self, lang: Lang) -> &'static str {
        match self {
            Kind::Departments => lang.pick("服务部", "Departments"),
            Kind::Compounds => lang.pick("小区", "Compounds"),
            Kind::Buildings => lang.pick("楼栋", "Buildings"),
            Kind::Sources => lang.pick("热源", "Heat sources"),
            Kind::Stations => lang.pick("换热站", "Stations"),
            Kind::Pipes => lang.pick("管段", "Pipes"),
            Kind::Valves => lang.pick("阀门", "Valves"),
            Kind::Teams => lang.pick("班组", "Teams"),
            Kind::Tickets => lang.pick("工单", "Tickets"),
            Kind::Visits => lang.pick("走访", "Visits"),
            Kind::Readings => lang.pick("测温", "Readings"),
            Kind::Surveys => lang.pick("回访", "Surveys"),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Kind::Departments => "departments",
            Kind::Compounds => "compounds",
            Kind::Buildings => "buildings",
            Kind::Sources => "sources",
            Kind::Stations => "stations",
            Kind::Pipes => "pipes",
            Kind::Valves => "valves",
            Kind::Teams => "teams",
            Kind::Tickets => "tickets",
            Kind::Visits => "visits",
            Kind::Readings => "readings",
            Kind::Surveys => "surveys",
        }
    }

    pub fn from_code(code: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.code() == code)
    }

    /// The table its rows land in.
    pub fn table(self) -> Table {
        match self {
            Kind::Departments => Table::Departments,
            Kind::Compounds => Table::Compounds,
            Kind::Buildings => Table::Buildings,
            Kind::Sources => Table::Sources,
            Kind::Stations => Table::Stations,
            Kind::Pipes => Table::Pipes,
            Kind::Valves => Table::Valves,
            Kind::Teams => Table::Teams,
            Kind::Tickets => Table::Tickets,
            Kind::Visits => Table::Visits,
            Kind::Readings => Table::Readings,
            Kind::Surveys => Table::Surveys,
        }
    }

    pub fn fields(self) -> &'static [Field] {
        match self {
            Kind::Departments => DEPARTMENTS,
            Kind::Compounds => COMPOUNDS,
            Kind::Buildings => BUILDINGS,
            Kind::Sources => SOURCES,
            Kind::Stations => STATIONS,
            Kind::Pipes => PIPES,
            Kind::Valves => VALVES,
            Kind::Teams => TEAMS,
            Kind::Tickets => TICKETS,
            Kind::Visits => VISITS,
            Kind::Readings => READINGS,
            Kind::Surveys => SURVEYS,
        }
    }

    /// The position of a field in [`Kind::fields`] (a programming error if it is not there).
    pub fn field(self, name: &str) -> usize {
        self.fields()
            .iter()
            .position(|f| f.name == name)
            .unwrap_or_else(|| panic!("{} has no field {name}", self.code()))
    }

    pub fn geometry(self) -> Option<Geom> {
        match self {
            Kind::Compounds | Kind::Buildings => Some(Geom::Polygon),
            Kind::Pipes => Some(Geom::Line),
            Kind::Sources | Kind::Stations | Kind::Valves | Kind::Teams => Some(Geom::Point),
            _ => None,
        }
    }

    /// The order a whole city is imported in: what a file refers to comes first.
    pub fn import_order() -> &'static [Kind] {
        &[
            Kind::Departments,
            Kind::Compounds,
            Kind::Sources,
            Kind::Stations,
            Kind::Buildings,
            Kind::Pipes,
            Kind::Valves,
            Kind::Teams,
            Kind::Tickets,
            Kind::Visits,
            Kind::Readings,
            Kind::Surveys,
        ]
    }
}

/// A header as written, reduced for matching: trimmed, lower-case, no spaces or underscores.
pub fn normalise(header: &str) -> String {
    header
        .trim()
        .trim_start_matches('\u{feff}')
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '_' && *c != '（' && *c != '）')
        .flat_map(char::to_lowercase)
        .collect()
}

impl Field {
    pub fn matches(&self, header: &str) -> bool {
        let h = normalise(header);
        h == normalise(self.name)
            || h == normalise(self.zh)
            || self.aliases.iter().any(|a| h == normalise(a))
    }

    /// "households (户数)", as error messages name a field.
    /// "households (户数)" / "户数（households）".
    pub fn shown(&self, lang: Lang) -> String {
        match lang {
            Lang::Zh => format!("{}（{}）", self.zh, self.name),
            Lang::En => format!("{} ({})", self.name, self.zh),
        }
    }
}
