//! Each table described once: its name, its columns, how a row's values bind to them
//! ([`Cell`]) and how a row reads back ([`Cells`]). Each dialect renders its SQL from the
//! description ([`Statements`]) and supplies the two small adapters (SQLite's `codec.rs`,
//! PostgreSQL's `cells.rs`); the business rules a statement carries are written here once.

use std::sync::OnceLock;

use crate::domain::batch::is_provisional;
use crate::domain::crew::{Account, Message, MessageKind, MessageStatus, Role, TeamPosition};
use crate::domain::*;
use crate::store::{ClientCommand, StoredPhoto};

/// Whose SQL a statement is rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The `n`th parameter (from 1).
    pub fn param(self, n: usize) -> String {
        match self {
            Dialect::Sqlite => format!("?{n}"),
            Dialect::Postgres => format!("${n}"),
        }
    }

    /// The row's id, given (parameter 1) or, when NULL, the next of the table's: SQLite numbers
    /// a NULL `INTEGER PRIMARY KEY` itself; PostgreSQL's identity does not take a NULL.
    pub fn id_param(self, table: &str) -> String {
        match self {
            Dialect::Sqlite => "?1".into(),
            Dialect::Postgres => {
                format!("COALESCE($1, nextval(pg_get_serial_sequence('{table}', 'id')))")
            }
        }
    }
}

/// One value bound to a column, borrowed from the row where it can be.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    /// The row's id: NULL (the database gives the next) for a row not yet stored (0, or an
    /// import's provisional id).
    Id(i64),
    Int(i64),
    OptInt(Option<i64>),
    /// A whole number the schema keeps as a 32-bit INTEGER.
    Count(u32),
    Real(f64),
    Text(&'a str),
    OptText(Option<&'a str>),
    /// Text made for the column (JSON, a list).
    Made(String),
    OptMade(Option<String>),
    Flag(bool),
    OptFlag(Option<bool>),
    Time(Timestamp),
    OptTime(Option<Timestamp>),
    Bytes(Vec<u8>),
    Borrowed(&'a [u8]),
}

/// The id a row's cells give it, if they give one (its first cell, when that is its id).
pub fn given_id(cells: &[Cell<'_>]) -> Option<i64> {
    match cells.first() {
        Some(Cell::Id(id)) => Cell::own(*id),
        _ => None,
    }
}

impl Cell<'_> {
    /// The id a row is written with: None asks the database for the next.
    pub fn own(id: i64) -> Option<i64> {
        (id != 0 && !is_provisional(id)).then_some(id)
    }

    /// A count as the schema's INTEGER (saturating: no count of ours comes near).
    pub fn int32(n: u32) -> i32 {
        i32::try_from(n).unwrap_or(i32::MAX)
    }
}

/// A row as read back, column by column: what a dialect's row type supplies.
pub trait Cells {
    type Error;
    fn int(&self, i: usize) -> Result<i64, Self::Error>;
    fn opt_int(&self, i: usize) -> Result<Option<i64>, Self::Error>;
    fn count(&self, i: usize) -> Result<u32, Self::Error>;
    fn real(&self, i: usize) -> Result<f64, Self::Error>;
    fn text(&self, i: usize) -> Result<String, Self::Error>;
    fn opt_text(&self, i: usize) -> Result<Option<String>, Self::Error>;
    fn flag(&self, i: usize) -> Result<bool, Self::Error>;
    fn opt_flag(&self, i: usize) -> Result<Option<bool>, Self::Error>;
    fn time(&self, i: usize) -> Result<Timestamp, Self::Error>;
    fn opt_time(&self, i: usize) -> Result<Option<Timestamp>, Self::Error>;
    fn code<T: Coded>(&self, i: usize) -> Result<T, Self::Error>;
    fn opt_code<T: Coded>(&self, i: usize) -> Result<Option<T>, Self::Error>;
    /// A packed ring or polyline ([`crate::store::blob`]).
    fn path(&self, i: usize) -> Result<Vec<LonLat>, Self::Error>;
    /// An outline's holes and parts (NULL: none).
    fn rings(&self, i: usize) -> Result<ExtraRings, Self::Error>;
    fn blob(&self, i: usize) -> Result<Vec<u8>, Self::Error>;
    /// The column's value is not one HeatDesk wrote.
    fn bad(&self, i: usize, detail: String) -> Self::Error;
}

/// One of the domain's enums, kept as its code.
pub trait Coded: Sized {
    fn decode(code: &str) -> Option<Self>;
}

macro_rules! coded {
    ($($t:ty),*) => {$(
        impl Coded for $t {
            fn decode(code: &str) -> Option<Self> { <$t>::from_code(code) }
        }
    )*};
}
coded!(
    Channel,
    Category,
    Severity,
    TicketStatus,
    Tier,
    Flow,
    NodeKind,
    Skill,
    TeamStatus,
    SurveyAnswer,
    TempMethod,
    BasemapKind,
    MessageKind,
    MessageStatus,
    Role
);

/// How an import writes a row over one on file (`INSERT … ON CONFLICT (id) DO UPDATE`).
pub struct Import {
    /// Columns an import leaves alone (set by the store itself: a ticket's network ticket).
    pub skip: &'static [&'static str],
    /// Columns written when the row is new and kept when it is on file (a team's position is
    /// the console's, not the file's).
    pub keep: &'static [&'static str],
    /// Columns whose update is not simply the new value: SQL over the row on file (named by
    /// its table) and the new one (`excluded`).
    pub update: &'static [(&'static str, &'static str)],
}

impl Import {
    pub const WHOLE: Import = Import {
        skip: &[],
        keep: &[],
        update: &[],
    };
}

/// A table's rows: its one description.
pub trait Record: Sized + 'static {
    const TABLE: &'static str;
    /// The columns, `id` first where the table has one.
    const COLUMNS: &'static [&'static str];
    /// The column a row is known by (an upsert's conflict).
    const KEY: &'static str = "id";
    /// How an import writes it.
    const IMPORT: Import = Import::WHOLE;
    /// Whether the row is a link of an audit chain (a `hash` column follows the columns).
    const CHAINED: bool = false;
    /// The row's values in the order of [`Record::COLUMNS`].
    fn cells(&self) -> Vec<Cell<'_>>;
    /// The row back from a `SELECT` of [`Record::COLUMNS`].
    fn read<C: Cells>(r: &C) -> Result<Self, C::Error>;
    /// Its statements, rendered once.
    fn statements() -> &'static Statements;
}

/// A table's statements in both dialects, rendered from its description.
pub struct Statements {
    /// `SELECT <columns> FROM <table>` (a `WHERE` or `ORDER BY` may follow).
    pub select: String,
    insert: [String; 2],
    upsert: [String; 2],
    fresh: [String; 2],
    /// The columns an import writes, by their index in [`Record::COLUMNS`].
    imported: Vec<usize>,
    /// PostgreSQL's `COPY … FROM STDIN` of every column.
    pub copy: String,
}

macro_rules! statements {
    () => {
        fn statements() -> &'static Statements {
            static S: OnceLock<Statements> = OnceLock::new();
            S.get_or_init(Statements::of::<Self>)
        }
    };
}

impl Statements {
    pub fn of<R: Record>() -> Statements {
        let table = R::TABLE;
        let mut columns: Vec<&str> = R::COLUMNS.to_vec();
        if R::CHAINED {
            columns.push("hash");
        }
        let list = columns.join(", ");
        // a chain's links carry the ids the chain gives them: nothing to number or return
        let numbered = R::COLUMNS[0] == "id" && !R::CHAINED;
        let value = |d: Dialect, n: usize| {
            if n == 1 && numbered {
                d.id_param(table)
            } else {
                d.param(n)
            }
        };
        // SQLite tells the id it gave without RETURNING (whose buffering costs ~2 µs a row on
        // an import); PostgreSQL's must be returned
        let returning = |d: Dialect| match d {
            Dialect::Postgres if numbered => " RETURNING id",
            _ => "",
        };
        let key = R::KEY;
        let insert = |d: Dialect| {
            let returning = returning(d);
            let values: Vec<String> = (1..=columns.len()).map(|n| value(d, n)).collect();
            format!(
                "INSERT INTO {table} ({list}) VALUES ({}){returning}",
                values.join(", ")
            )
        };
        let fresh = |d: Dialect| {
            let values: Vec<String> = (1..=columns.len()).map(|n| value(d, n)).collect();
            format!(
                "INSERT INTO {table} ({list}) VALUES ({}) ON CONFLICT ({key}) DO NOTHING",
                values.join(", ")
            )
        };
        let imported: Vec<usize> = (0..R::COLUMNS.len())
            .filter(|&i| !R::IMPORT.skip.contains(&R::COLUMNS[i]))
            .collect();
        let upsert = |d: Dialect| {
            let returning = returning(d);
            let names: Vec<&str> = imported.iter().map(|&i| R::COLUMNS[i]).collect();
            let values: Vec<String> = (1..=names.len()).map(|n| value(d, n)).collect();
            let set: Vec<String> = names
                .iter()
                .filter(|c| **c != key && !R::IMPORT.keep.contains(c))
                .map(|c| match R::IMPORT.update.iter().find(|(u, _)| u == c) {
                    Some((_, expr)) => format!("{c} = {expr}"),
                    None => format!("{c} = excluded.{c}"),
                })
                .collect();
            format!(
                "INSERT INTO {table} ({}) VALUES ({}) ON CONFLICT ({key}) DO UPDATE SET {}{returning}",
                names.join(", "),
                values.join(", "),
                set.join(", ")
            )
        };
        Statements {
            select: format!("SELECT {} FROM {table}", R::COLUMNS.join(", ")),
            insert: [insert(Dialect::Sqlite), insert(Dialect::Postgres)],
            upsert: [upsert(Dialect::Sqlite), upsert(Dialect::Postgres)],
            fresh: [fresh(Dialect::Sqlite), fresh(Dialect::Postgres)],
            copy: format!("COPY {table} ({list}) FROM STDIN"),
            imported,
        }
    }

    /// `INSERT` of every column (a chain's link: with its hash), returning the id on
    /// PostgreSQL where the table numbers its rows (SQLite's is `last_insert_rowid`).
    pub fn insert(&self, d: Dialect) -> &str {
        &self.insert[d as usize]
    }

    /// An import's `INSERT … ON CONFLICT (key) DO UPDATE` (returning the id as
    /// [`Statements::insert`] does).
    pub fn upsert(&self, d: Dialect) -> &str {
        &self.upsert[d as usize]
    }

    /// `INSERT` of a row unless one with its key is there (`ON CONFLICT DO NOTHING`).
    pub fn fresh(&self, d: Dialect) -> &str {
        &self.fresh[d as usize]
    }

    /// The cells an import binds, of a row's [`Record::cells`].
    pub fn imported<'a>(&self, mut cells: Vec<Cell<'a>>) -> Vec<Cell<'a>> {
        if self.imported.len() == cells.len() {
            return cells;
        }
        let mut i = 0;
        cells.retain(|_| {
            i += 1;
            self.imported.contains(&(i - 1))
        });
        cells
    }
}

/// `SELECT` of a table's columns, then `tail` (a `WHERE`, an `ORDER BY`).
pub fn select<R: Record>(tail: &str) -> String {
    format!("{} {tail}", R::statements().select)
}

/// `SELECT` of a chained table's columns and its links' hashes (the last column), then `tail`.
pub fn select_linked<R: Record>(tail: &str) -> String {
    format!(
        "SELECT {}, hash FROM {} {tail}",
        R::COLUMNS.join(", "),
        R::TABLE
    )
}

/// How a dialect reads whole tables' rows.
pub trait Reader {
    /// Every row, in key order.
    fn every<R: Record>(&mut self) -> Result<Vec<R>, crate::store::StoreError>;
    /// The rows whose key is one of `keys`, in key order.
    fn among<R: Record>(&mut self, keys: &[i64]) -> Result<Vec<R>, crate::store::StoreError>;
    /// The deadline rules.
    fn rules(&mut self) -> Result<Vec<SlaRule>, crate::store::StoreError>;
    /// The company's KPI definitions (the defaults when never set).
    fn kpi_rules(&mut self) -> Result<crate::domain::kpi::KpiRules, crate::store::StoreError>;
}

/// What the activity is read with: the settings, and the teams (they move: their phones
/// report) as of the same moment.
pub fn settings_and_teams(
    r: &mut impl Reader,
    s: &mut Snapshot,
) -> Result<(), crate::store::StoreError> {
    s.rules = r.rules()?;
    s.kpi_rules = r.kpi_rules()?;
    s.teams = r.every()?;
    s.positions = r.every()?;
    Ok(())
}

/// A snapshot of the city and its network read beside the activity, joined and indexed.
pub fn joined(mut places: Snapshot, activity: Snapshot) -> Snapshot {
    places.tickets = activity.tickets;
    places.visits = activity.visits;
    places.readings = activity.readings;
    places.surveys = activity.surveys;
    places.rules = activity.rules;
    places.kpi_rules = activity.kpi_rules;
    places.teams = activity.teams;
    places.positions = activity.positions;
    places.reindex();
    places
}

/// The city and its network: what only imports change (not yet indexed).
pub fn places(r: &mut impl Reader) -> Result<Snapshot, crate::store::StoreError> {
    Ok(Snapshot {
        departments: r.every()?,
        compounds: r.every()?,
        buildings: r.every()?,
        sources: r.every()?,
        stations: r.every()?,
        nodes: r.every()?,
        segments: r.every()?,
        valves: r.every()?,
        teams: r.every()?,
        ..Snapshot::default()
    })
}

/// What the change log's entries named: rows by id, and whether settings changed.
#[derive(Debug, Default)]
pub struct Named {
    pub tickets: Vec<i64>,
    pub visits: Vec<i64>,
    pub readings: Vec<i64>,
    pub surveys: Vec<i64>,
    pub teams: Vec<i64>,
    pub settings: bool,
}

/// The rows the change log names, as they are now (a team's position with its team; the
/// settings whole), or `UpToDate` when it names nothing.
pub fn changed(r: &mut impl Reader, mut named: Named) -> Result<Update, crate::store::StoreError> {
    for list in [
        &mut named.tickets,
        &mut named.visits,
        &mut named.readings,
        &mut named.surveys,
        &mut named.teams,
    ] {
        list.sort_unstable();
        list.dedup();
    }
    let mut changes = Changes {
        tickets: r.among(&named.tickets)?,
        visits: r.among(&named.visits)?,
        readings: r.among(&named.readings)?,
        surveys: r.among(&named.surveys)?,
        teams: r.among(&named.teams)?,
        positions: r.among(&named.teams)?,
        ..Changes::default()
    };
    if named.settings {
        changes.rules = r.rules()?;
        changes.kpi_rules = Some(r.kpi_rules()?);
    }
    Ok(if changes.is_empty() {
        Update::UpToDate
    } else {
        Update::Changed(changes)
    })
}

/// Every described table: its name and columns as written (a chained table's `hash` last).
pub fn described() -> Vec<(&'static str, Vec<&'static str>)> {
    fn one<R: Record>() -> (&'static str, Vec<&'static str>) {
        let mut columns = R::COLUMNS.to_vec();
        if R::CHAINED {
            columns.push("hash");
        }
        (R::TABLE, columns)
    }
    vec![
        one::<Department>(),
        one::<Compound>(),
        one::<Building>(),
        one::<HeatSource>(),
        one::<Station>(),
        one::<NetworkNode>(),
        one::<PipeSegment>(),
        one::<Valve>(),
        one::<Team>(),
        one::<Ticket>(),
        one::<TicketEvent>(),
        one::<crate::store::AuditEvent>(),
        one::<Visit>(),
        one::<TemperatureReading>(),
        one::<SurveyResponse>(),
        one::<BasemapFeature>(),
        one::<TeamPosition>(),
        one::<Account>(),
        one::<Message>(),
        one::<StoredPhoto>(),
        one::<ClientCommand>(),
    ]
}

/// The table an import's rows of a kind live in.
pub fn table_name(table: crate::domain::batch::Table) -> &'static str {
    use crate::domain::batch::Table as T;
    match table {
        T::Departments => Department::TABLE,
        T::Compounds => Compound::TABLE,
        T::Buildings => Building::TABLE,
        T::Sources => HeatSource::TABLE,
        T::Stations => Station::TABLE,
        T::Nodes => NetworkNode::TABLE,
        T::Pipes => PipeSegment::TABLE,
        T::Valves => Valve::TABLE,
        T::Teams => Team::TABLE,
        T::Tickets => Ticket::TABLE,
        T::Visits => Visit::TABLE,
        T::Readings => TemperatureReading::TABLE,
        T::Surveys => SurveyResponse::TABLE,
    }
}

/// A ticket whose work is done (fixed, called back, closed).
pub const DONE: &str = "status IN ('fixed', 'callback_done', 'closed')";
/// A ticket still to be worked on.
pub const UNDONE: &str = "status NOT IN ('fixed', 'callback_done', 'closed')";

/// The tickets the recent load leaves for later: done, and received, due and last changed
/// before the given time (parameter 1).
pub fn older_tickets(d: Dialect) -> String {
    let since = d.param(1);
    format!("{DONE} AND created_at < {since} AND deadline < {since} AND updated_at < {since}")
}

/// A masked number (138****5678, from an export) keeps the one on file.
const KEEP_MASKED_PHONE: &str = "CASE WHEN excluded.reporter_phone LIKE '%*%' \
     THEN tickets.reporter_phone ELSE excluded.reporter_phone END";

fn time(t: Timestamp) -> Cell<'static> {
    Cell::Time(t)
}

impl Record for Ticket {
    const TABLE: &'static str = "tickets";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "version",
        "channel",
        "category",
        "severity",
        "building_id",
        "address_detail",
        "reporter_name",
        "reporter_phone",
        "description",
        "status",
        "team_id",
        "created_at",
        "respond_by",
        "deadline",
        "updated_at",
        "fixed_at",
        "closed_at",
        "timely",
        "satisfaction",
        "parent_id",
        "segment_id",
    ];
    const IMPORT: Import = Import {
        skip: &["parent_id"],
        keep: &[],
        update: &[
            ("version", "tickets.version + 1"),
            ("reporter_phone", KEEP_MASKED_PHONE),
        ],
    };

    fn cells(&self) -> Vec<Cell<'_>> {
        vec![
            Cell::Id(self.id),
            Cell::Int(self.version),
            Cell::Text(self.channel.code()),
            Cell::Text(self.category.code()),
            Cell::Text(self.severity.code()),
            Cell::Int(self.building_id),
            Cell::Text(&self.address_detail),
            Cell::Text(&self.reporter_name),
            Cell::Text(&self.reporter_phone),
            Cell::Text(&self.description),
            Cell::Text(self.status.code()),
            Cell::OptInt(self.team_id),
            time(self.created_at),
            time(self.respond_by),
            time(self.deadline),
            time(self.updated_at),
            Cell::OptTime(self.fixed_at),
            Cell::OptTime(self.closed_at),
            Cell::OptFlag(self.timely),
            Cell::OptText(self.satisfaction.map(|a| a.code())),
            Cell::OptInt(self.parent_id),
            Cell::OptInt(self.segment_id),
        ]
    }

    fn read<C: Cells>(r: &C) -> Result<Self, C::Error> {
        Ok(Ticket {
            id: r.int(0)?,
            version: r.int(1)?,
            channel: r.code(2)?,
            category: r.code(3)?,
            severity: r.code(4)?,
            building_id: r.int(5)?,
            address_detail: r.text(6)?,
            reporter_name: r.text(7)?,
            reporter_phone: r.text(8)?,
            description: r.text(9)?,
            status: r.code(10)?,
            team_id: r.opt_int(11)?,
            created_at: r.time(12)?,
            respond_by: r.time(13)?,
            deadline: r.time(14)?,
            updated_at: r.time(15)?,
            fixed_at: r.opt_time(16)?,
            closed_at: r.opt_time(17)?,
            timely: r.opt_flag(18)?,
            satisfaction: r.opt_code(19)?,
            parent_id: r.opt_int(20)?,
            segment_id: r.opt_int(21)?,
        })
    }

    statements!();
}

impl Record for TicketEvent {
    const TABLE: &'static str = "ticket_events";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "ticket_id",
        "at",
        "actor",
        "action",
        "from_status",
        "to_status",
        "team_id",
        "note",
    ];
    const CHAINED: bool = true;

    fn cells(&self) -> Vec<Cell<'_>> {
        vec![
            Cell::Id(self.id),
            Cell::Int(self.ticket_id),
            time(self.at),
            Cell::Text(&self.actor),
            Cell::Text(&self.action),
            Cell::OptText(self.from_status.map(|s| s.code())),
            Cell::Text(self.to_status.code()),
            Cell::OptInt(self.team_id),
            Cell::Text(&self.note),
        ]
    }

    fn read<C: Cells>(r: &C) -> Result<Self, C::Error> {
        Ok(TicketEvent {
            id: r.int(0)?,
            ticket_id: r.int(1)?,
            at: r.time(2)?,
            actor: r.text(3)?,
            action: r.text(4)?,
            from_status: r.opt_code(5)?,
            to_status: r.code(6)?,
            team_id: r.opt_int(7)?,
            note: r.text(8)?,
        })
    }

    statements!();
}

impl Record for crate::store::AuditEvent {
    const TABLE: &'static str = "audit_events";
    const COLUMNS: &'static [&'static str] = &["id", "at", "actor", "command", "detail"];
    const CHAINED: bool = true;

    fn cells(&self) -> Vec<Cell<'_>> {
        vec![
            Cell::Id(self.id),
            time(self.at),
            Cell::Text(&self.actor),
            Cell::Text(&self.command),
            Cell::Text(&self.detail),
        ]
    }

    fn read<C: Cells>(r: &C) -> Result<Self, C::Error> {
        Ok(crate::store::AuditEvent {
            id: r.int(0)?,
            at: r.time(1)?,
            actor: r.text(2)?,
            command: r.text(3)?,
            detail: r.text(4)?,
        })
    }

    statements!();
}

impl Record for Visit {
    const TABLE: &'static str = "visits";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "compound_id",
        "at",
        "leaders",
        "staff",
        "consultation_desk",
        "households_entered",
        "notes",
    ];

    fn cells(&self) -> Vec<Cell<'_>> {
        vec![
            Cell::Id(self.id),
            Cell::Int(self.compound_id),
            time(self.at),
            Cell::Text(&self.leaders),
            Cell::Text(&self.staff),
            Cell::Flag(self.consultation_desk),
            Cell::Count(self.households_entered),
            Cell::Text(&self.notes),
        ]
    }

    fn read<C: Cells>(r: &C) -> Result<Self, C::Error> {
        Ok(Visit {
            id: r.int(0)?,
            compound_id: r.int(1)?,
            at: r.time(2)?,
            leaders: r.text(3)?,
            staff: r.text(4)?,
            consultation_desk: r.flag(5)?,
            households_entered: r.count(6)?,
            notes: r.text(7)?,
        })
    }

    statements!();
}

impl Record for TemperatureReading {
    const TABLE: &'static str = "temperature_readings";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "building_id",
        "visit_id",
        "room",
        "celsius",
        "method",
        "taken_at",
        "taken_by",
    ];

    fn cells(&self) -> Vec<Cell<'_>> {
        vec![
            Cell::Id(self.id),
            Cell::Int(self.building_id),
            Cell::OptInt(self.visit_id),
            Cell::Text(&self.room),
            Cell::Real(self.celsius),
            Cell::Text(self.method.code()),
            time(self.taken_at),
            Cell::Text(&self.taken_by),
        ]
    }

    fn read<C: Cells>(r: &C) -> Result<Self, C::Error> {
        Ok(TemperatureReading {
            id: r.int(0)?,
            building_id: r.int(1)?,
            visit_id: r.opt_int(2)?,
            room: r.text(3)?,
            celsius: r.real(4)?,
            method: r.code(5)?,
            taken_at: r.time(6)?,
            taken_by: r.text(7)?,
        })
    }

    statements!();
}

impl Record for SurveyResponse {
    const TABLE: &'static str = "survey_responses";
    const COLUMNS: &'static [&'static str] =
        &["id", "building_id", "ticket_id", "visit_id", "answer", "at"];

    fn cells(&self) -> Vec<Cell<'_>> {
        vec![
            Cell::Id(self.id),
            Cell::Int(self.building_id),
            Cell::OptInt(self.ticket_id),
            Cell::OptInt(self.visit_id),
            Cell::Text(self.answer.code()),
            time(self.at),
        ]
    }

    fn read<C: Cells>(r: &C) -> Result<Self, C::Error> {
        Ok(SurveyResponse {
            id: r.int(0)?,
            building_id: r.int(1)?,
            ticket_id: r.opt_int(2)?,
            visit_id: r.opt_int(3)?,
            answer: r.code(4)?,
            at: r.time(5)?,
        })
    }

    statements!();
}

impl Record for Department {
    const TABLE: &'static str = "departments";
    const COLUMNS: &'static [&'static str] = &["id", "name"];

    fn cells(&self) -> Vec<Cell<'_>> {
        vec![Cell::Id(self.id), Cell::Text(&self.name)]
    }

    fn read<C: Cells>(r: &C) -> Result<Self, C::Error> {
        Ok(Department {
            id: r.int(0)?,
            name: r.text(1)?,
        })
    }

    statements!();
}

impl Record for Compound {
    const TABLE: &'static str = "compounds";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "name",
        "address",
        "department_id",
        "households",
        "outline",
        "extra_rings",
    ];

    fn cells(&self) -> Vec<Cell<'_>> {
        vec![
            Cell::Id(self.id),
            Cell::Text(&self.name),
            Cell::Text(&self.address),
            Cell::Int(self.department_id),
            Cell::Count(self.households),
            Cell::Bytes(crate::store::blob::encode_path(&self.outline)),
            Cell::OptMade(crate::store::blob::encode_rings(&self.extra)),
        ]
    }

    fn read<C: Cells>(r: &C) -> Result<Self, C::Error> {
        Ok(Compound {
            id: r.int(0)?,
            name: r.text(1)?,
            address: r.text(2)?,
            department_id: r.int(3)?,
            households: r.count(4)?,
            outline: r.path(5)?,
            extra: r.rings(6)?,
        })
    }

    statements!();
}

impl Record for Building {
    const TABLE: &'static str = "buildings";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "compound_id",
        "number",
        "units",
        "floors",
        "households",
        "station_id",
        "entry_node_id",
        "footprint",
        "extra_rings",
    ];

    fn cells(&self) -> Vec<Cell<'_>> {
        vec![
            Cell::Id(self.id),
            Cell::Int(self.compound_id),
            Cell::Text(&self.number),
            Cell::Count(self.units),
            Cell::Count(self.floors),
            Cell::Count(self.households),
            Cell::Int(self.station_id),
            Cell::Int(self.entry_node),
            Cell::Bytes(crate::store::blob::encode_path(&self.footprint)),
            Cell::OptMade(crate::store::blob::encode_rings(&self.extra)),
        ]
    }

    fn read<C: Cells>(r: &C) -> Result<Self, C::Error> {
        Ok(Building {
            id: r.int(0)?,
            compound_id: r.int(1)?,
            number: r.text(2)?,
            units: r.count(3)?,
            floors: r.count(4)?,
            households: r.count(5)?,
            station_id: r.int(6)?,
            entry_node: r.int(7)?,
            footprint: r.path(8)?,
            extra: r.rings(9)?,
        })
    }

    statements!();
}

impl Record for HeatSource {
    const TABLE: &'static str = "heat_sources";
    const COLUMNS: &'static [&'static str] =
        &["id", "name", "node_id", "capacity_mw", "lon", "lat"];

    fn cells(&self) -> Vec<Cell<'_>> {
        vec![
            Cell::Id(self.id),
            Cell::Text(&self.name),
            Cell::Int(self.node),
            Cell::Real(self.capacity_mw),
            Cell::Real(self.position[0]),
            Cell::Real(self.position[1]),
        ]
    }

    fn read<C: Cells>(r: &C) -> Result<Self, C::Error> {
        Ok(HeatSource {
            id: r.int(0)?,
            name: r.text(1)?,
            node: r.int(2)?,
            capacity_mw: r.real(3)?,
            position: [r.real(4)?, r.real(5)?],
        })
    }

    statements!();
}

impl Record for Station {
    const TABLE: &'static str = "stations";
    const COLUMNS: &'static [&'static str] =
        &["id", "name", "department_id", "node_id", "lon", "lat"];

    fn cells(&self) -> Vec<Cell<'_>> {
        vec![
            Cell::Id(self.id),
            Cell::Text(&self.name),
            Cell::Int(self.department_id),
            Cell::Int(self.node),
            Cell::Real(self.position[0]),
            Cell::Real(self.position[1]),
        ]
    }

    fn read<C: Cells>(r: &C) -> Result<Self, C::Error> {
        Ok(Station {
            id: r.int(0)?,
            name: r.text(1)?,
            department_id: r.int(2)?,
            node: r.int(3)?,
            position: [r.real(4)?, r.real(5)?],
        })
    }

    statements!();
}

impl Record for NetworkNode {
    const TABLE: &'static str = "network_nodes";
    const COLUMNS: &'static [&'static str] = &["id", "kind", "lon", "lat"];

    fn cells(&self) -> Vec<Cell<'_>> {
        vec![
            Cell::Id(self.id),
            Cell::Text(self.kind.code()),
            Cell::Real(self.position[0]),
            Cell::Real(self.position[1]),
        ]
    }

    fn read<C: Cells>(r: &C) -> Result<Self, C::Error> {
        Ok(NetworkNode {
            id: r.int(0)?,
            kind: r.code(1)?,
            position: [r.real(2)?, r.real(3)?],
        })
    }

    statements!();
}

impl Record for PipeSegment {
    const TABLE: &'static str = "pipe_segments";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "from_node",
        "to_node",
        "tier",
        "flow",
        "dn",
        "laid_year",
        "path",
    ];

    fn cells(&self) -> Vec<Cell<'_>> {
        vec![
            Cell::Id(self.id),
            Cell::Int(self.from),
            Cell::Int(self.to),
            Cell::Text(self.tier.code()),
            Cell::Text(self.flow.code()),
            Cell::Count(self.dn),
            Cell::Count(u32::from(self.laid_year)),
            Cell::Bytes(crate::store::blob::encode_path(&self.path)),
        ]
    }

    fn read<C: Cells>(r: &C) -> Result<Self, C::Error> {
        let year = r.count(6)?;
        Ok(PipeSegment {
            id: r.int(0)?,
            from: r.int(1)?,
            to: r.int(2)?,
            tier: r.code(3)?,
            flow: r.code(4)?,
            dn: r.count(5)?,
            laid_year: u16::try_from(year)
                .map_err(|_| r.bad(6, format!("{year} is not a year")))?,
            path: r.path(7)?,
        })
    }

    statements!();
}

impl Record for Valve {
    const TABLE: &'static str = "valves";
    const COLUMNS: &'static [&'static str] = &["id", "segment_id", "lon", "lat", "operable"];

    fn cells(&self) -> Vec<Cell<'_>> {
        vec![
            Cell::Id(self.id),
            Cell::Int(self.segment),
            Cell::Real(self.position[0]),
            Cell::Real(self.position[1]),
            Cell::Flag(self.operable),
        ]
    }

    fn read<C: Cells>(r: &C) -> Result<Self, C::Error> {
        Ok(Valve {
            id: r.int(0)?,
            segment: r.int(1)?,
            position: [r.real(2)?, r.real(3)?],
            operable: r.flag(4)?,
        })
    }

    statements!();
}

impl Record for Team {
    const TABLE: &'static str = "teams";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "name",
        "department_id",
        "members",
        "skills",
        "home_lon",
        "home_lat",
        "lon",
        "lat",
        "status",
    ];
    const IMPORT: Import = Import {
        skip: &[],
        keep: &["lon", "lat"],
        update: &[],
    };

    fn cells(&self) -> Vec<Cell<'_>> {
        let skills: Vec<&str> = self.skills.iter().map(|k| k.code()).collect();
        vec![
            Cell::Id(self.id),
            Cell::Text(&self.name),
            Cell::Int(self.department_id),
            Cell::Made(serde_json::to_string(&self.members).expect("a list of names")),
            Cell::Made(skills.join(",")),
            Cell::Real(self.home_base[0]),
            Cell::Real(self.home_base[1]),
            Cell::Real(self.position[0]),
            Cell::Real(self.position[1]),
            Cell::Text(self.status.code()),
        ]
    }

    fn read<C: Cells>(r: &C) -> Result<Self, C::Error> {
        Ok(Team {
            id: r.int(0)?,
            name: r.text(1)?,
            department_id: r.int(2)?,
            members: serde_json::from_str(&r.text(3)?).unwrap_or_default(),
            skills: r.text(4)?.split(',').filter_map(Skill::from_code).collect(),
            home_base: [r.real(5)?, r.real(6)?],
            position: [r.real(7)?, r.real(8)?],
            status: r.code(9)?,
        })
    }

    statements!();
}

impl Record for BasemapFeature {
    const TABLE: &'static str = "basemap_features";
    const COLUMNS: &'static [&'static str] = &["id", "kind", "name", "width_m", "geometry"];

    fn cells(&self) -> Vec<Cell<'_>> {
        vec![
            Cell::Id(self.id),
            Cell::Text(self.kind.code()),
            Cell::Text(&self.name),
            Cell::Real(self.width_m),
            Cell::Bytes(crate::store::blob::encode_path(&self.geometry)),
        ]
    }

    fn read<C: Cells>(r: &C) -> Result<Self, C::Error> {
        Ok(BasemapFeature {
            id: r.int(0)?,
            kind: r.code(1)?,
            name: r.text(2)?,
            width_m: r.real(3)?,
            geometry: r.path(4)?,
        })
    }

    statements!();
}

impl Record for TeamPosition {
    const TABLE: &'static str = "team_positions";
    const COLUMNS: &'static [&'static str] = &["team_id", "lon", "lat", "accuracy_m", "at", "by"];
    const KEY: &'static str = "team_id";

    fn cells(&self) -> Vec<Cell<'_>> {
        vec![
            Cell::Int(self.team_id),
            Cell::Real(self.position[0]),
            Cell::Real(self.position[1]),
            Cell::Real(self.accuracy_m),
            time(self.at),
            Cell::Text(&self.by),
        ]
    }

    fn read<C: Cells>(r: &C) -> Result<Self, C::Error> {
        Ok(TeamPosition {
            team_id: r.int(0)?,
            position: [r.real(1)?, r.real(2)?],
            accuracy_m: r.real(3)?,
            at: r.time(4)?,
            by: r.text(5)?,
        })
    }

    statements!();
}

impl Record for Account {
    const TABLE: &'static str = "accounts";
    const COLUMNS: &'static [&'static str] = &[
        "login",
        "name",
        "team_id",
        "password",
        "created_at",
        "disabled",
        "role",
    ];
    const KEY: &'static str = "login";
    /// Saving an account keeps when it was made.
    const IMPORT: Import = Import {
        skip: &[],
        keep: &["created_at"],
        update: &[],
    };

    fn cells(&self) -> Vec<Cell<'_>> {
        vec![
            Cell::Text(&self.login),
            Cell::Text(&self.name),
            Cell::OptInt(self.team_id),
            Cell::Text(&self.password_hash),
            time(self.created_at),
            Cell::Flag(self.disabled),
            Cell::Text(self.role.code()),
        ]
    }

    fn read<C: Cells>(r: &C) -> Result<Self, C::Error> {
        Ok(Account {
            login: r.text(0)?,
            name: r.text(1)?,
            team_id: r.opt_int(2)?,
            password_hash: r.text(3)?,
            created_at: r.time(4)?,
            disabled: r.flag(5)?,
            role: r.code(6)?,
        })
    }

    statements!();
}

impl Record for Message {
    const TABLE: &'static str = "outbox";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "ticket_id",
        "kind",
        "phone",
        "body",
        "created_at",
        "status",
        "attempts",
        "next_at",
        "sent_at",
        "error",
    ];

    fn cells(&self) -> Vec<Cell<'_>> {
        vec![
            Cell::Id(self.id),
            Cell::OptInt(self.ticket_id),
            Cell::Text(self.kind.code()),
            Cell::Text(&self.phone),
            Cell::Text(&self.body),
            time(self.created_at),
            Cell::Text(self.status.code()),
            Cell::Count(self.attempts),
            time(self.next_at),
            Cell::OptTime(self.sent_at),
            Cell::Text(&self.error),
        ]
    }

    fn read<C: Cells>(r: &C) -> Result<Self, C::Error> {
        Ok(Message {
            id: r.int(0)?,
            ticket_id: r.opt_int(1)?,
            kind: r.code(2)?,
            phone: r.text(3)?,
            body: r.text(4)?,
            created_at: r.time(5)?,
            status: r.code(6)?,
            attempts: r.count(7)?,
            next_at: r.time(8)?,
            sent_at: r.opt_time(9)?,
            error: r.text(10)?,
        })
    }

    statements!();
}

impl Record for StoredPhoto {
    const TABLE: &'static str = "ticket_photos";
    const COLUMNS: &'static [&'static str] = &["id", "ticket_id", "event_id", "mime", "bytes"];

    fn cells(&self) -> Vec<Cell<'_>> {
        vec![
            Cell::Id(self.id),
            Cell::Int(self.ticket),
            Cell::Int(self.event),
            Cell::Text(&self.photo.mime),
            Cell::Borrowed(&self.photo.bytes),
        ]
    }

    fn read<C: Cells>(r: &C) -> Result<Self, C::Error> {
        Ok(StoredPhoto {
            id: r.int(0)?,
            ticket: r.int(1)?,
            event: r.int(2)?,
            photo: crate::domain::crew::Photo {
                mime: r.text(3)?,
                bytes: r.blob(4)?,
            },
        })
    }

    statements!();
}

impl Record for ClientCommand {
    const TABLE: &'static str = "client_commands";
    const COLUMNS: &'static [&'static str] = &["client_id", "actor", "at"];
    const KEY: &'static str = "client_id";

    fn cells(&self) -> Vec<Cell<'_>> {
        vec![
            Cell::Text(&self.client_id),
            Cell::Text(&self.actor),
            time(self.at),
        ]
    }

    fn read<C: Cells>(r: &C) -> Result<Self, C::Error> {
        Ok(ClientCommand {
            client_id: r.text(0)?,
            actor: r.text(1)?,
            at: r.time(2)?,
        })
    }

    statements!();
}
