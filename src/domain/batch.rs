//! A company's file as one command: the rows to insert or update, checked and applied by the
//! store in one transaction with one audit event, like any other change.
//!
//! Rows the file names by a whole number that is free keep it as their id; other new rows
//! carry a negative provisional id (-1, -2, … per table) that the store replaces with the id
//! the database gives them, in the rows and in every reference within the batch to them.

use serde::{Deserialize, Serialize};

use super::model::*;

/// The tables a batch writes and the company's ids are kept for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Table {
    Departments,
    Compounds,
    Buildings,
    Sources,
    Stations,
    Nodes,
    Pipes,
    Valves,
    Teams,
    Tickets,
    Visits,
    Readings,
    Surveys,
}

impl Table {
    /// The code the company's ids are filed under (and an import's audit record names).
    pub fn code(self) -> &'static str {
        match self {
            Table::Departments => "departments",
            Table::Compounds => "compounds",
            Table::Buildings => "buildings",
            Table::Sources => "sources",
            Table::Stations => "stations",
            Table::Nodes => "nodes",
            Table::Pipes => "pipes",
            Table::Valves => "valves",
            Table::Teams => "teams",
            Table::Tickets => "tickets",
            Table::Visits => "visits",
            Table::Readings => "readings",
            Table::Surveys => "surveys",
        }
    }

    /// The city's own tables: a change to one of them changes the map and the network.
    pub fn is_place(self) -> bool {
        !matches!(
            self,
            Table::Tickets | Table::Visits | Table::Readings | Table::Surveys
        )
    }
}

/// A new row's stand-in id within a batch (the store gives it a real one).
pub fn is_provisional(id: i64) -> bool {
    id < 0
}

/// The rows of one kind, in the file's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Rows {
    Departments(Vec<Department>),
    Compounds(Vec<Compound>),
    Buildings(Vec<Building>),
    Sources(Vec<HeatSource>),
    Stations(Vec<Station>),
    Pipes(Vec<PipeSegment>),
    Valves(Vec<Valve>),
    /// Teams; a team's current position is the console's, not the file's (kept on update).
    Teams(Vec<Team>),
    Tickets(Vec<Ticket>),
    Visits(Vec<Visit>),
    Readings(Vec<TemperatureReading>),
    Surveys(Vec<SurveyResponse>),
}

impl Rows {
    pub fn table(&self) -> Table {
        match self {
            Rows::Departments(_) => Table::Departments,
            Rows::Compounds(_) => Table::Compounds,
            Rows::Buildings(_) => Table::Buildings,
            Rows::Sources(_) => Table::Sources,
            Rows::Stations(_) => Table::Stations,
            Rows::Pipes(_) => Table::Pipes,
            Rows::Valves(_) => Table::Valves,
            Rows::Teams(_) => Table::Teams,
            Rows::Tickets(_) => Table::Tickets,
            Rows::Visits(_) => Table::Visits,
            Rows::Readings(_) => Table::Readings,
            Rows::Surveys(_) => Table::Surveys,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Rows::Departments(r) => r.len(),
            Rows::Compounds(r) => r.len(),
            Rows::Buildings(r) => r.len(),
            Rows::Sources(r) => r.len(),
            Rows::Stations(r) => r.len(),
            Rows::Pipes(r) => r.len(),
            Rows::Valves(r) => r.len(),
            Rows::Teams(r) => r.len(),
            Rows::Tickets(r) => r.len(),
            Rows::Visits(r) => r.len(),
            Rows::Readings(r) => r.len(),
            Rows::Surveys(r) => r.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The company's own id of a row ("XQ-0012"), kept so the same file imported again updates
/// the row instead of duplicating it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalId {
    pub table: Table,
    pub external: String,
    /// The row (a provisional id for a new one).
    pub id: i64,
}

/// Where in its file a row came from: a numbered row (a table's) or feature (a map file's).
/// Memo per row of an import, so it is two numbers rather than a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RowAt {
    Row(u64),
    Feature(u64),
}

impl std::fmt::Display for RowAt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RowAt::Row(n) => write!(f, "row {n}"),
            RowAt::Feature(n) => write!(f, "feature {n}"),
        }
    }
}

/// One file's rows, ready to be applied all together or not at all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportBatch {
    /// The file's name, for the audit record and each imported ticket's first step.
    pub file: String,
    pub rows: Rows,
    /// Where each row came from ("row 5", "feature 3"), in the order of `rows`.
    pub sources: Vec<RowAt>,
    /// Network nodes made or moved for the rows (entries, junctions found by snapping).
    pub nodes: Vec<NetworkNode>,
    pub external_ids: Vec<ExternalId>,
    /// How many rows the file adds and how many it updates, as the importer found them.
    pub inserted: usize,
    pub updated: usize,
    /// Check everything, the database's own rules included, then write nothing.
    pub dry_run: bool,
}

impl ImportBatch {
    /// What the audit record says about it.
    pub fn summary(&self, written: bool) -> ImportSummary {
        ImportSummary {
            table: self.rows.table(),
            file: self.file.clone(),
            rows: self.rows.len(),
            inserted: self.inserted,
            updated: self.updated,
            written,
        }
    }
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSummary {
    pub table: Table,
    pub file: String,
    pub rows: usize,
    pub inserted: usize,
    pub updated: usize,
    pub written: bool,
}
