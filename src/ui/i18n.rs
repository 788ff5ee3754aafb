//! Every user-facing string, in Chinese and English (the zh/en switch).

use serde::{Deserialize, Serialize};

use crate::domain::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    fn pick(self, zh: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// Fixed interface text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    AppTitle,
    Search,
    SearchHint,
    Queue,
    Teams,
    Detail,
    NothingSelected,
    Complaints,
    Satisfaction,
    Timely,
    TempCompliance,
    Overdue,
    DueIn,
    Members,
    Skills,
    Workload,
    History,
    Reporter,
    Deadline,
    RespondBy,
    Created,
    Status,
    Team,
    Households,
    Buildings,
    Department,
    Address,
    OpenFaults,
    Unassigned,
    NoResults,
    Layers,
    LayerCompounds,
    LayerBuildings,
    LayerPipes,
    LayerTickets,
    LayerTeams,
    Refused,
    Done,
    ReloadedElsewhere,
    Reason,
    Floors,
    Units,
    Station,
    DraggedBack,
    Channel,
    Description,
    AssignTo,
    LastVisit,
    Never,
    Capacity,
    Diameter,
    LaidIn,
    Tier,
    Answer,
    BasemapProblem,
    NoData,
    SeverityNormal,
    SeverityUrgent,
    SeverityEmergency,
    MapSettings,
    ColourBy,
    Background,
    DemoBasemap,
    MbTilesFile,
    NoBasemap,
    Gcj02,
    Open,
    Legend,
    Tianditu,
    NewTicket,
    Category,
    Severity,
    Building,
    BuildingHint,
    UnitRoom,
    Phone,
    UseMapBuilding,
    LikelyDuplicate,
    LinkInstead,
    CreateTicket,
    PickBuilding,
    All,
    OverdueOnly,
    SortBy,
    SortDeadline,
    SortCreated,
    SortSeverity,
    Suggestions,
    Assign,
    UndoHint,
    Undone,
    NothingToUndo,
    Rules,
    RespondMinutes,
    ResolveMinutes,
    Save,
    HasSkill,
    LacksSkill,
    OpenCount,
    SameDepartment,
    OtherDepartment,
    Picked,
    TraceDownstream,
    Isolate,
    CloseValves,
    SeizedSkipped,
    LoseHeat,
    ClearTrace,
    Compounds,
}

pub fn t(lang: Lang, key: Key) -> &'static str {
    use Key::*;
    match key {
        AppTitle => lang.pick("HeatDesk 供热调度台", "HeatDesk heating dispatch"),
        Search => lang.pick("搜索", "Search"),
        SearchHint => lang.pick(
            "小区、楼号、工单号、班组",
            "compound, building, ticket #, team",
        ),
        Queue => lang.pick("待派工单", "Ticket queue"),
        Teams => lang.pick("维修班组", "Teams"),
        Detail => lang.pick("详情", "Details"),
        NothingSelected => lang.pick(
            "在地图或列表中选择一项",
            "Select something on the map or in a list",
        ),
        Complaints => lang.pick("投诉率", "Complaints"),
        Satisfaction => lang.pick("满意率", "Satisfaction"),
        Timely => lang.pick("处置及时率", "Timely"),
        TempCompliance => lang.pick("室温达标率", "Temp. OK"),
        Overdue => lang.pick("已超时", "overdue"),
        DueIn => lang.pick("剩余", "due in"),
        Members => lang.pick("成员", "Members"),
        Skills => lang.pick("技能", "Skills"),
        Workload => lang.pick("在办工单", "Open tickets"),
        History => lang.pick("处理记录", "History"),
        Reporter => lang.pick("报修人", "Reporter"),
        Deadline => lang.pick("完成时限", "Fix by"),
        RespondBy => lang.pick("到场时限", "On site by"),
        Created => lang.pick("受理时间", "Received"),
        Status => lang.pick("状态", "Status"),
        Team => lang.pick("班组", "Team"),
        Households => lang.pick("户数", "Households"),
        Buildings => lang.pick("楼栋", "Buildings"),
        Department => lang.pick("服务部", "Department"),
        Address => lang.pick("地址", "Address"),
        OpenFaults => lang.pick("在办故障", "Open faults"),
        Unassigned => lang.pick("未派单", "unassigned"),
        NoResults => lang.pick("无匹配结果", "No matches"),
        Layers => lang.pick("图层", "Layers"),
        LayerCompounds => lang.pick("小区", "Compounds"),
        LayerBuildings => lang.pick("楼栋", "Buildings"),
        LayerPipes => lang.pick("管网", "Pipes"),
        LayerTickets => lang.pick("工单", "Tickets"),
        LayerTeams => lang.pick("班组位置", "Teams"),
        Refused => lang.pick("操作被拒绝", "Refused"),
        Done => lang.pick("已保存", "Saved"),
        ReloadedElsewhere => lang.pick(
            "已载入其他调度台的更新",
            "Loaded changes from another console",
        ),
        Reason => lang.pick("原因", "Reason"),
        Floors => lang.pick("层数", "Floors"),
        Units => lang.pick("单元", "Units"),
        Station => lang.pick("换热站", "Station"),
        DraggedBack => lang.pick("拖回待派队列", "dragged back to the queue"),
        Channel => lang.pick("渠道", "Channel"),
        Description => lang.pick("问题描述", "Description"),
        AssignTo => lang.pick("派给", "Assign to"),
        LastVisit => lang.pick("最近走访", "Last visit"),
        Never => lang.pick("无", "never"),
        Capacity => lang.pick("容量", "Capacity"),
        Diameter => lang.pick("管径", "Diameter"),
        LaidIn => lang.pick("敷设年份", "Laid in"),
        Tier => lang.pick("管网", "Network"),
        Answer => lang.pick("回访结果", "Resident's answer"),
        BasemapProblem => lang.pick("底图不可用", "Basemap unavailable"),
        NoData => lang.pick("无数据", "no data"),
        SeverityNormal => lang.pick("一般", "Normal"),
        SeverityUrgent => lang.pick("紧急", "Urgent"),
        SeverityEmergency => lang.pick("抢修", "Emergency"),
        MapSettings => lang.pick("地图", "Map"),
        ColourBy => lang.pick("着色指标", "Colour by"),
        Background => lang.pick("底图", "Basemap"),
        DemoBasemap => lang.pick("演示城市底图", "Demo city basemap"),
        MbTilesFile => lang.pick("MBTiles 文件", "MBTiles file"),
        NoBasemap => lang.pick("无底图", "None"),
        Gcj02 => lang.pick(
            "底图为 GCJ-02 坐标(高德/腾讯)",
            "Basemap is GCJ-02 (AMap/Tencent)",
        ),
        Open => lang.pick("打开", "Open"),
        Legend => lang.pick("图例", "Legend"),
        Tianditu => lang.pick("天地图 (密钥)", "Tianditu (key)"),
        NewTicket => lang.pick("新建工单", "New ticket"),
        Category => lang.pick("类别", "Category"),
        Severity => lang.pick("紧急程度", "Severity"),
        Building => lang.pick("楼栋", "Building"),
        BuildingHint => lang.pick(
            "小区 + 楼号, 如 工银新村 3号楼",
            "compound + building, e.g. 工银新村 3号楼",
        ),
        UnitRoom => lang.pick("单元/房号", "Unit / room"),
        Phone => lang.pick("电话", "Phone"),
        UseMapBuilding => lang.pick("用地图选中的楼栋:", "Use the building selected on the map:"),
        LikelyDuplicate => lang.pick(
            "该楼同类问题已有在办工单, 可能重复:",
            "An open ticket for this building and category may be the same problem:",
        ),
        LinkInstead => lang.pick("记为重复报修, 关联到", "Record as a repeat report on"),
        CreateTicket => lang.pick("受理 (Ctrl+Enter)", "Create (Ctrl+Enter)"),
        PickBuilding => lang.pick(
            "请选择楼栋 (输入小区和楼号, 或在地图上点选)",
            "Pick a building (type compound and number, or click it on the map)",
        ),
        All => lang.pick("全部", "All"),
        OverdueOnly => lang.pick("只看超时", "Overdue only"),
        SortBy => lang.pick("排序", "Sort"),
        SortDeadline => lang.pick("按时限", "Deadline"),
        SortCreated => lang.pick("按受理时间", "Received"),
        SortSeverity => lang.pick("按紧急程度", "Severity"),
        Suggestions => lang.pick("推荐班组", "Suggested teams"),
        Assign => lang.pick("派单", "Assign"),
        UndoHint => lang.pick("Ctrl+Z 撤销上次派单", "Ctrl+Z undoes the last assignment"),
        Undone => lang.pick("已撤销派单", "Assignment undone"),
        NothingToUndo => lang.pick("没有可撤销的派单", "No assignment to undo"),
        Rules => lang.pick("时限规则", "Deadline rules"),
        RespondMinutes => lang.pick("到场(分钟)", "On site (min)"),
        ResolveMinutes => lang.pick("完成(分钟)", "Fixed (min)"),
        Save => lang.pick("保存", "Save"),
        HasSkill => lang.pick("有技能", "has skill"),
        LacksSkill => lang.pick("缺技能", "lacks skill"),
        OpenCount => lang.pick("在办", "open"),
        SameDepartment => lang.pick("同服务部", "same department"),
        OtherDepartment => lang.pick("其他服务部", "other department"),
        Picked => lang.pick("已选:", "Picked:"),
        TraceDownstream => lang.pick("下游追踪", "Trace downstream"),
        Isolate => lang.pick("爆管隔离", "Isolate a burst"),
        CloseValves => lang.pick("关闭阀门", "close valves"),
        SeizedSkipped => lang.pick("跳过失效阀门", "seized, skipped"),
        LoseHeat => lang.pick("栋楼停热", "buildings lose heat"),
        ClearTrace => lang.pick("清除追踪", "Clear trace"),
        Compounds => lang.pick("小区", "compounds"),
    }
}

pub fn channel(lang: Lang, c: Channel) -> &'static str {
    match c {
        Channel::Hotline => lang.pick("来电", "Hotline"),
        Channel::WalkIn => lang.pick("来访", "Walk-in"),
        Channel::Online => lang.pick("网络媒体", "Online"),
        Channel::ConsultationDesk => lang.pick("咨询台", "Consultation desk"),
        Channel::DoorToDoor => lang.pick("入户走访", "Door-to-door"),
        Channel::LeaderVisit => lang.pick("领导走访", "Leader visit"),
    }
}

pub fn category(lang: Lang, c: Category) -> &'static str {
    match c {
        Category::AirLock => lang.pick("暖气片积气", "Radiator air-lock"),
        Category::ValveClosed => lang.pick("忘开阀门", "Valve left closed"),
        Category::FilterClogged => lang.pick("过滤网堵塞", "Clogged filter"),
        Category::IllegalModification => lang.pick("私改", "Illegal modification"),
        Category::LowTemperature => lang.pick("室温不达标", "Low temperature"),
        Category::NoHeat => lang.pick("不热", "No heat"),
        Category::Leak => lang.pick("漏水/爆管", "Leak / burst"),
        Category::EntryOrStationFault => lang.pick("热力入口/换热站故障", "Entry / station fault"),
        Category::HydraulicImbalance => lang.pick("水力失调", "Hydraulic imbalance"),
        Category::Enquiry => lang.pick("咨询", "Enquiry"),
        Category::Complaint => lang.pick("投诉", "Complaint"),
        Category::TemperatureTest => lang.pick("测温", "Temperature test"),
    }
}

pub fn severity(lang: Lang, s: Severity) -> &'static str {
    match s {
        Severity::Normal => lang.pick("一般", "Normal"),
        Severity::Urgent => lang.pick("紧急", "Urgent"),
        Severity::Emergency => lang.pick("抢修", "Emergency"),
    }
}

pub fn status(lang: Lang, s: TicketStatus) -> &'static str {
    match s {
        TicketStatus::Received => lang.pick("受理", "Received"),
        TicketStatus::Assigned => lang.pick("已派单", "Assigned"),
        TicketStatus::Accepted => lang.pick("已接单", "Accepted"),
        TicketStatus::OnSite => lang.pick("已到场", "On site"),
        TicketStatus::Fixed => lang.pick("已完工", "Fixed"),
        TicketStatus::CallbackDone => lang.pick("已回访", "Called back"),
        TicketStatus::Closed => lang.pick("已结案", "Closed"),
        TicketStatus::OnHold => lang.pick("挂起", "On hold"),
        TicketStatus::Escalated => lang.pick("已升级", "Escalated"),
    }
}

pub fn team_status(lang: Lang, s: TeamStatus) -> &'static str {
    match s {
        TeamStatus::Free => lang.pick("空闲", "Free"),
        TeamStatus::OnRoute => lang.pick("在途", "On route"),
        TeamStatus::OnSite => lang.pick("在现场", "On site"),
        TeamStatus::OffShift => lang.pick("下班", "Off shift"),
    }
}

pub fn skill(lang: Lang, s: Skill) -> &'static str {
    match s {
        Skill::Radiator => lang.pick("暖气片", "Radiators"),
        Skill::Valve => lang.pick("阀门", "Valves"),
        Skill::Welding => lang.pick("焊接抢修", "Welding"),
        Skill::Station => lang.pick("换热站", "Stations"),
        Skill::Measurement => lang.pick("测温", "Measuring"),
        Skill::Balancing => lang.pick("水力平衡", "Balancing"),
    }
}

pub fn action(lang: Lang, code: &str) -> &'static str {
    match code {
        "create" => lang.pick("受理", "Received"),
        "assign" => lang.pick("派单", "Assign"),
        "accept" => lang.pick("接单", "Accept"),
        "arrive" => lang.pick("到场", "On site"),
        "fix" => lang.pick("完工", "Fixed"),
        "callback" => lang.pick("回访", "Callback"),
        "close" => lang.pick("结案", "Close"),
        "hold" => lang.pick("挂起", "Hold"),
        "resume" => lang.pick("恢复", "Resume"),
        "return" => lang.pick("退回", "Return"),
        "escalate" => lang.pick("升级", "Escalate"),
        "repeat_report" => lang.pick("重复报修", "Repeat report"),
        _ => lang.pick("其他", "Other"),
    }
}

pub fn answer(lang: Lang, a: SurveyAnswer) -> &'static str {
    match a {
        SurveyAnswer::Satisfied => lang.pick("满意", "Satisfied"),
        SurveyAnswer::BasicallySatisfied => lang.pick("基本满意", "Basically satisfied"),
        SurveyAnswer::Dissatisfied => lang.pick("不满意", "Dissatisfied"),
    }
}

pub fn tier(lang: Lang, tier: Tier, flow: Flow) -> &'static str {
    match (tier, flow) {
        (Tier::Primary, Flow::Supply) => lang.pick("一次网供水", "Primary supply"),
        (Tier::Primary, Flow::Return) => lang.pick("一次网回水", "Primary return"),
        (Tier::Secondary, Flow::Supply) => lang.pick("二次网供水", "Secondary supply"),
        (Tier::Secondary, Flow::Return) => lang.pick("二次网回水", "Secondary return"),
    }
}

pub fn metric(lang: Lang, m: crate::map::metric::Metric) -> &'static str {
    use crate::map::metric::Metric;
    match m {
        Metric::OpenFaults => lang.pick("在办故障 (每千户)", "Open faults per 1,000 households"),
        Metric::Satisfaction => lang.pick("满意率", "Satisfaction"),
        Metric::TemperatureCompliance => lang.pick("室温达标率", "Temperature compliance"),
        Metric::Overdue => lang.pick("超时工单", "Overdue tickets"),
    }
}
