//! A company's data in and out: GeoJSON and CSV files of every kind HeatDesk keeps.
//!
//! `import` reads a file (UTF-8, GBK or UTF-16; Chinese or English headers; GeoJSON, WKT or
//! lon/lat geometry), checks every record and writes all of it in one transaction, or nothing;
//! `writer` writes the same kinds back out in the same shape.

mod activity;
pub mod address;
pub mod bilingual;
mod columns;
pub mod crs;
mod ids;
pub mod import;
pub mod kind;
pub mod mapping;
pub mod network;
mod places;
pub mod records;
mod resolve;
pub mod shape;
pub mod source;
pub mod writer;

pub use bilingual::Bilingual;
pub use columns::{Problem, parse_time};
pub use import::{Failure, Options, Progress, Report, import};
pub use kind::Kind;
