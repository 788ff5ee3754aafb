//! How domain values sit in SQLite columns: times as integers, geometry as packed f64 pairs.

use chrono::DateTime;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ValueRef};

use crate::domain::{LonLat, Timestamp};

pub fn time_to_sql(t: Timestamp) -> i64 {
    t.and_utc().timestamp()
}

pub fn time_from_sql(secs: i64) -> Timestamp {
    DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .naive_utc()
}

/// A ring or polyline as little-endian (lon, lat) f64 pairs: compact and fast to load.
pub fn encode_path(points: &[LonLat]) -> Vec<u8> {
    let mut out = Vec::with_capacity(points.len() * 16);
    for p in points {
        out.extend_from_slice(&p[0].to_le_bytes());
        out.extend_from_slice(&p[1].to_le_bytes());
    }
    out
}

pub fn decode_path(bytes: &[u8]) -> Option<Vec<LonLat>> {
    if !bytes.len().is_multiple_of(16) {
        return None;
    }
    Some(
        bytes
            .chunks_exact(16)
            .map(|c| {
                let mut lon = [0u8; 8];
                let mut lat = [0u8; 8];
                lon.copy_from_slice(&c[..8]);
                lat.copy_from_slice(&c[8..]);
                [f64::from_le_bytes(lon), f64::from_le_bytes(lat)]
            })
            .collect(),
    )
}

/// A column holding a packed path.
pub struct Path(pub Vec<LonLat>);

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

pub fn encode_rings(extra: &crate::domain::ExtraRings) -> Option<String> {
    (!extra.is_empty()).then(|| serde_json::to_string(extra).expect("numbers and arrays"))
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
