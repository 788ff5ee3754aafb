//! How domain values sit in SQLite columns: times as integers, geometry as packed f64 pairs.

use chrono::DateTime;
use rusqlite::Row;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

use crate::domain::{ExtraRings, LonLat, Timestamp};
pub use crate::store::record::Coded;
use crate::store::record::{Cell, Cells};

pub fn time_to_sql(t: Timestamp) -> i64 {
    t.and_utc().timestamp()
}

pub fn time_from_sql(secs: i64) -> Timestamp {
    DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .naive_utc()
}

pub use crate::store::blob::decode_path;

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

impl<T: Coded> FromSql for Code<T> {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let text = value.as_str()?;
        T::decode(text)
            .map(Code)
            .ok_or_else(|| FromSqlError::Other(format!("unknown code {text:?}").into()))
    }
}

/// A value, or NULL.
fn opt<T: Into<rusqlite::types::Value>>(v: Option<T>) -> ToSqlOutput<'static> {
    ToSqlOutput::Owned(v.map_or(rusqlite::types::Value::Null, Into::into))
}

impl ToSql for Cell<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        use rusqlite::types::Value;
        Ok(match self {
            Cell::Id(id) => opt(Cell::own(*id)),
            Cell::Int(v) => ToSqlOutput::from(*v),
            Cell::OptInt(v) => opt(*v),
            Cell::Count(v) => ToSqlOutput::from(*v),
            Cell::Real(v) => ToSqlOutput::from(*v),
            Cell::Text(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Cell::OptText(Some(v)) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Cell::Made(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Cell::OptMade(Some(v)) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Cell::OptText(None) | Cell::OptMade(None) => ToSqlOutput::Owned(Value::Null),
            Cell::Flag(v) => ToSqlOutput::from(*v),
            Cell::OptFlag(v) => opt(*v),
            Cell::Time(t) => ToSqlOutput::from(time_to_sql(*t)),
            Cell::OptTime(t) => opt(t.map(time_to_sql)),
            Cell::Bytes(v) => ToSqlOutput::Borrowed(ValueRef::Blob(v)),
            Cell::Borrowed(v) => ToSqlOutput::Borrowed(ValueRef::Blob(v)),
        })
    }
}

impl Cells for Row<'_> {
    type Error = rusqlite::Error;

    fn int(&self, i: usize) -> rusqlite::Result<i64> {
        self.get(i)
    }

    fn opt_int(&self, i: usize) -> rusqlite::Result<Option<i64>> {
        self.get(i)
    }

    fn count(&self, i: usize) -> rusqlite::Result<u32> {
        self.get(i)
    }

    fn real(&self, i: usize) -> rusqlite::Result<f64> {
        self.get(i)
    }

    fn text(&self, i: usize) -> rusqlite::Result<String> {
        self.get(i)
    }

    fn opt_text(&self, i: usize) -> rusqlite::Result<Option<String>> {
        self.get(i)
    }

    fn flag(&self, i: usize) -> rusqlite::Result<bool> {
        self.get(i)
    }

    fn opt_flag(&self, i: usize) -> rusqlite::Result<Option<bool>> {
        self.get(i)
    }

    fn time(&self, i: usize) -> rusqlite::Result<Timestamp> {
        Ok(time_from_sql(self.get(i)?))
    }

    fn opt_time(&self, i: usize) -> rusqlite::Result<Option<Timestamp>> {
        Ok(self.get::<_, Option<i64>>(i)?.map(time_from_sql))
    }

    fn code<T: Coded>(&self, i: usize) -> rusqlite::Result<T> {
        Ok(self.get::<_, Code<T>>(i)?.0)
    }

    fn opt_code<T: Coded>(&self, i: usize) -> rusqlite::Result<Option<T>> {
        Ok(self.get::<_, Option<Code<T>>>(i)?.map(|c| c.0))
    }

    fn path(&self, i: usize) -> rusqlite::Result<Vec<LonLat>> {
        Ok(self.get::<_, Path>(i)?.0)
    }

    fn rings(&self, i: usize) -> rusqlite::Result<ExtraRings> {
        Ok(self.get::<_, Rings>(i)?.0)
    }

    fn blob(&self, i: usize) -> rusqlite::Result<Vec<u8>> {
        self.get(i)
    }

    fn bad(&self, i: usize, detail: String) -> rusqlite::Error {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, detail.into())
    }
}
