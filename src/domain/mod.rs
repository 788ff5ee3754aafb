//! The heating world and its rules: plain data and pure functions, no egui and no SQL.

pub mod batch;
pub mod colouring;
pub mod command;
pub mod crew;
pub mod kpi;
pub mod lifecycle;
pub mod model;
pub mod network;
pub mod older;
pub mod planner;
pub mod season;
pub mod snapshot;
pub mod suggest;
pub mod trace;

pub use command::{Applied, Command, NewTicket, Origin, Refusal, likely_duplicates};
pub use lifecycle::Action;
pub use model::*;
pub use snapshot::{Changes, Snapshot, Update};
