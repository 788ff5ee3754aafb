//! How domain values sit in SQLite columns: times as integers, geometry as packed f64 pairs.

use chrono::DateTime;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ValueRef};

use crate::domain::Timestamp;

pub fn time_to_sql(t: Timestamp) -> i64 {
    t.and_utc().timestamp()
}

pub fn time_from_sql(secs: i64) -> Timestamp {
    DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .naive_utc()
}

pub use crate::store::blob::{decode_path, encode_path, encode_rings};

/// A column holding a packed path.
pub struct Path(pub Vec<crate::domain::LonLat>);

impl FromSql for Path {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let bytes = value.as_blob()?;
        decode_path(bytes).map(Path).ok_or_else(|| {
            FromSqlError::Other("geometry blob length is not a multiple of 16".into())
        })
    }
}

/// An outline's holes and further parts: JSON text, NULL for none (most outlines).
pub struct Rings(pub crate::domain::ExtraRings);

impl FromSql for Rings {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        match value {
            ValueRef::Null => Ok(Rings(Default::default())),
            _ => serde_json::from_str(value.as_str()?)
                .map(Rings)
                .map_err(|e| FromSqlError::Other(Box::new(e))),
        }
    }
}

/// A column holding one of the domain's coded enums.
pub struct Code<T>(pub T);

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
use crate::domain::*;
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
    BasemapKind
);

impl<T: Coded> FromSql for Code<T> {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let text = value.as_str()?;
        T::decode(text)
            .map(Code)
            .ok_or_else(|| FromSqlError::Other(format!("unknown code {text:?}").into()))
    }
}
