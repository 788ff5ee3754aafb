//! The heating world as plain data: compounds, buildings, the pipe network, teams and tickets.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

/// Longitude, latitude in WGS-84 degrees.
pub type LonLat = [f64; 2];
/// Wall-clock time of the heating company (local time, no zone).
pub type Timestamp = NaiveDateTime;

pub type DepartmentId = i64;
pub type CompoundId = i64;
pub type BuildingId = i64;
pub type NodeId = i64;
pub type SegmentId = i64;
pub type StationId = i64;
pub type TeamId = i64;
pub type TicketId = i64;

/// Declares a closed set of codes with a stable text code (stored in the database) for each.
macro_rules! coded_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable code written to the database and to files.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }
        }
    };
}

pub(crate) use coded_enum;

coded_enum!(
    /// Where a problem came in.
    Channel {
        Hotline = "hotline",
        WalkIn = "walk_in",
        Online = "online",
        ConsultationDesk = "consultation_desk",
        DoorToDoor = "door_to_door",
        LeaderVisit = "leader_visit",
        /// Raised by the dispatch desk itself from a complaint cluster (a network ticket).
        NetworkAlert = "network_alert",
    }
);

coded_enum!(
    /// What the problem is: household faults, network faults and non-fault requests.
    Category {
        AirLock = "air_lock",
        ValveClosed = "valve_closed",
        FilterClogged = "filter_clogged",
        IllegalModification = "illegal_modification",
        LowTemperature = "low_temperature",
        NoHeat = "no_heat",
        Leak = "leak",
        EntryOrStationFault = "entry_station_fault",
        HydraulicImbalance = "hydraulic_imbalance",
        Enquiry = "enquiry",
        Complaint = "complaint",
        TemperatureTest = "temperature_test",
    }
);

impl Category {
    /// User-side faults are usually fixed on site by one technician.
    pub fn is_household_fault(self) -> bool {
        matches!(
            self,
            Category::AirLock
                | Category::ValveClosed
                | Category::FilterClogged
                | Category::IllegalModification
        )
    }

    /// Network-side faults usually need a crew and a deadline.
    pub fn is_network_fault(self) -> bool {
        matches!(
            self,
            Category::LowTemperature
                | Category::NoHeat
                | Category::Leak
                | Category::EntryOrStationFault
                | Category::HydraulicImbalance
        )
    }

    /// The skill a team needs to handle this category.
    pub fn needed_skill(self) -> Skill {
        match self {
            Category::AirLock | Category::FilterClogged => Skill::Radiator,
            Category::ValveClosed | Category::IllegalModification => Skill::Valve,
            Category::Leak => Skill::Welding,
            Category::EntryOrStationFault => Skill::Station,
            Category::HydraulicImbalance => Skill::Balancing,
            Category::LowTemperature
            | Category::NoHeat
            | Category::TemperatureTest
            | Category::Enquiry
            | Category::Complaint => Skill::Measurement,
        }
    }
}

coded_enum!(
    Severity {
        Normal = "normal",
        Urgent = "urgent",
        Emergency = "emergency",
    }
);

coded_enum!(
    /// 受理 → 派单 → 接单 → 到场 → 完工 → 回访 → 结案, with the side exits 挂起 and 升级.
    TicketStatus {
        Received = "received",
        Assigned = "assigned",
        Accepted = "accepted",
        OnSite = "on_site",
        Fixed = "fixed",
        CallbackDone = "callback_done",
        Closed = "closed",
        OnHold = "on_hold",
        Escalated = "escalated",
    }
);

impl TicketStatus {
    /// Work on the ticket is not finished yet (it counts as an open fault).
    pub fn is_open(self) -> bool {
        !matches!(
            self,
            TicketStatus::Fixed | TicketStatus::CallbackDone | TicketStatus::Closed
        )
    }

    /// Waiting in the dispatch queue for a team.
    pub fn in_queue(self) -> bool {
        matches!(self, TicketStatus::Received | TicketStatus::Escalated)
    }
}

coded_enum!(
    /// 一次网 / 二次网
    Tier {
        Primary = "primary",
        Secondary = "secondary",
    }
);

coded_enum!(
    /// Pipes come in supply/return pairs.
    Flow {
        Supply = "supply",
        Return = "return",
    }
);

coded_enum!(
    NodeKind {
        Source = "source",
        Station = "station",
        Junction = "junction",
        /// 热力入口: where the secondary network enters a building.
        BuildingEntry = "building_entry",
    }
);

coded_enum!(
    Skill {
        Radiator = "radiator",
        Valve = "valve",
        Welding = "welding",
        Station = "station",
        Measurement = "measurement",
        Balancing = "balancing",
    }
);

coded_enum!(
    TeamStatus {
        Free = "free",
        OnRoute = "on_route",
        OnSite = "on_site",
        OffShift = "off_shift",
    }
);

coded_enum!(
    /// The resident's answer to "are you satisfied?".
    SurveyAnswer {
        Satisfied = "satisfied",
        BasicallySatisfied = "basically_satisfied",
        Dissatisfied = "dissatisfied",
    }
);

coded_enum!(
    /// How an indoor temperature was measured (refund bands depend on it being done right).
    TempMethod {
        /// Thermometer at the room centre, 1.5 m high.
        Thermometer = "thermometer",
        /// Infrared gun, average of three points.
        InfraredAverage = "ir_average3",
    }
);

/// 供热服务部
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Department {
    pub id: DepartmentId,
    pub name: String,
}

/// A residential compound (小区): the unit leaders visit and KPIs are reported by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Compound {
    pub id: CompoundId,
    pub name: String,
    pub address: String,
    pub department_id: DepartmentId,
    pub households: u32,
    /// Outer ring, closed (first point repeated last): the largest part's, if several.
    pub outline: Vec<LonLat>,
    /// Its holes and further parts, as the company's GIS draws them (mostly none).
    #[serde(default)]
    pub extra: ExtraRings,
}

/// What an outline has beyond its one outer ring: holes in it (a courtyard, a park inside a
/// compound) and further parts (a compound on both sides of a road). Rings are closed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExtraRings {
    /// Holes in the outer ring.
    // (always written: the consoles' binary wire form has no field names to leave out)
    #[serde(default)]
    pub holes: Vec<Vec<LonLat>>,
    /// Further polygons, each an outer ring and its holes.
    #[serde(default)]
    pub parts: Vec<Vec<Vec<LonLat>>>,
}

impl ExtraRings {
    pub fn is_empty(&self) -> bool {
        self.holes.is_empty() && self.parts.is_empty()
    }

    /// Every polygon of an outline whose outer ring is `outer`: (outer ring, holes), the
    /// main one first.
    pub fn polygons<'a>(
        &'a self,
        outer: &'a [LonLat],
    ) -> impl Iterator<Item = (&'a [LonLat], &'a [Vec<LonLat>])> + 'a {
        std::iter::once((outer, self.holes.as_slice())).chain(
            self.parts
                .iter()
                .filter(|p| !p.is_empty())
                .map(|p| (p[0].as_slice(), &p[1..])),
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Building {
    pub id: BuildingId,
    pub compound_id: CompoundId,
    /// As written on the building, e.g. "3号楼".
    pub number: String,
    pub units: u32,
    pub floors: u32,
    pub households: u32,
    /// The heat-exchange station that feeds this building.
    pub station_id: StationId,
    /// 热力入口 node in the network.
    pub entry_node: NodeId,
    /// Footprint ring, closed; may be concave (L- and U-shaped blocks): the largest part's.
    pub footprint: Vec<LonLat>,
    /// Its holes (a courtyard block, 回字楼) and further parts (mostly none).
    #[serde(default)]
    pub extra: ExtraRings,
}

/// 热源 / 热电厂
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeatSource {
    pub id: i64,
    pub name: String,
    pub node: NodeId,
    pub capacity_mw: f64,
    pub position: LonLat,
}

/// 换热站: where the primary network hands heat to a secondary network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Station {
    pub id: StationId,
    pub name: String,
    pub department_id: DepartmentId,
    pub node: NodeId,
    pub position: LonLat,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkNode {
    pub id: NodeId,
    pub kind: NodeKind,
    pub position: LonLat,
}

/// One pipe between two nodes. `from` is the upstream end (towards the heat source) for
/// both supply and return pipes, so the topology of a pair is identical.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipeSegment {
    pub id: SegmentId,
    pub from: NodeId,
    pub to: NodeId,
    pub tier: Tier,
    pub flow: Flow,
    /// Nominal diameter, mm.
    pub dn: u32,
    pub laid_year: u16,
    pub path: Vec<LonLat>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Valve {
    pub id: i64,
    /// The supply segment the valve sits on (its return twin is closed with it).
    pub segment: SegmentId,
    pub position: LonLat,
    /// An inoperable valve (seized, buried) cannot be used to isolate a burst.
    pub operable: bool,
}

/// A technician team (维修班组).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Team {
    pub id: TeamId,
    pub name: String,
    pub department_id: DepartmentId,
    pub members: Vec<String>,
    pub skills: Vec<Skill>,
    pub home_base: LonLat,
    pub position: LonLat,
    pub status: TeamStatus,
}

/// One heating problem or request, from intake to closure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: TicketId,
    /// Bumped by every change: an action taken on an older version is refused.
    pub version: i64,
    pub channel: Channel,
    pub category: Category,
    pub severity: Severity,
    pub building_id: BuildingId,
    /// Free text within the building, e.g. "3单元 502".
    pub address_detail: String,
    pub reporter_name: String,
    pub reporter_phone: String,
    pub description: String,
    pub status: TicketStatus,
    pub team_id: Option<TeamId>,
    pub created_at: Timestamp,
    /// The crew must be on site by then.
    pub respond_by: Timestamp,
    /// The fault must be fixed by then.
    pub deadline: Timestamp,
    pub updated_at: Timestamp,
    pub fixed_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    /// Decided when the ticket is fixed: fixed before its deadline or not.
    pub timely: Option<bool>,
    pub satisfaction: Option<SurveyAnswer>,
    /// A household report linked to the network ticket that explains it: fixed together.
    pub parent_id: Option<TicketId>,
    /// A network ticket's suspected pipe segment.
    pub segment_id: Option<SegmentId>,
}

impl Ticket {
    /// A report as received (受理), before anyone acts on it; `due` is (respond by, fix by).
    pub fn received(
        id: TicketId,
        new: &super::command::NewTicket,
        created: Timestamp,
        due: (Timestamp, Timestamp),
    ) -> Ticket {
        Ticket {
            id,
            version: 1,
            channel: new.channel,
            category: new.category,
            severity: new.severity,
            building_id: new.building_id,
            address_detail: new.address_detail.clone(),
            reporter_name: new.reporter_name.clone(),
            reporter_phone: new.reporter_phone.clone(),
            description: new.description.clone(),
            status: TicketStatus::Received,
            team_id: None,
            created_at: created,
            respond_by: due.0,
            deadline: due.1,
            updated_at: created,
            fixed_at: None,
            closed_at: None,
            timely: None,
            satisfaction: None,
            parent_id: None,
            segment_id: None,
        }
    }

    pub fn is_overdue(&self, now: Timestamp) -> bool {
        self.status.is_open() && now > self.deadline
    }
}

/// One entry of the audit trail: who did what to a ticket, when and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketEvent {
    pub id: i64,
    pub ticket_id: TicketId,
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub from_status: Option<TicketStatus>,
    pub to_status: TicketStatus,
    pub team_id: Option<TeamId>,
    pub note: String,
}

/// A leaders' visit to a compound (访民问暖).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    pub id: i64,
    pub compound_id: CompoundId,
    pub at: Timestamp,
    pub leaders: String,
    /// Staff who went with the leaders.
    pub staff: String,
    pub consultation_desk: bool,
    pub households_entered: u32,
    pub notes: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemperatureReading {
    pub id: i64,
    pub building_id: BuildingId,
    pub visit_id: Option<i64>,
    pub room: String,
    pub celsius: f64,
    pub method: TempMethod,
    pub taken_at: Timestamp,
    pub taken_by: String,
}

/// A resident's answer from a survey or a callback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurveyResponse {
    pub id: i64,
    pub building_id: BuildingId,
    pub ticket_id: Option<TicketId>,
    pub visit_id: Option<i64>,
    pub answer: SurveyAnswer,
    pub at: Timestamp,
}

/// The deadlines a company gives itself for one category and severity (minutes).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SlaRule {
    pub category: Category,
    pub severity: Severity,
    pub respond_minutes: u32,
    pub resolve_minutes: u32,
}

coded_enum!(
    /// What a basemap feature is (the city's own map, drawn under the data layers).
    BasemapKind {
        Road = "road",
        River = "river",
        Green = "green",
        /// A street block between roads.
        Block = "block",
    }
);

/// A feature of the city's own vector map: roads, the river, parks, street blocks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BasemapFeature {
    pub id: i64,
    pub kind: BasemapKind,
    pub name: String,
    /// Drawn width of a road, metres (0 for areas).
    pub width_m: f64,
    /// A polyline (roads) or a closed ring (areas).
    pub geometry: Vec<LonLat>,
}

/// The average of a ring's corners (closing point excluded): where a building's pin goes.
pub fn centroid(ring: &[LonLat]) -> LonLat {
    let open = match (ring.first(), ring.last()) {
        (Some(a), Some(b)) if ring.len() > 1 && a == b => &ring[..ring.len() - 1],
        _ => ring,
    };
    let n = open.len().max(1) as f64;
    let s = open
        .iter()
        .fold([0.0, 0.0], |a, p| [a[0] + p[0], a[1] + p[1]]);
    [s[0] / n, s[1] / n]
}
