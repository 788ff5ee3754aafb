//! How the table descriptions ([`crate::store::record`]) bind and read in PostgreSQL: a
//! [`Cell`] is bound as the Rust type its column takes, a row read through `try_get`.

use postgres::types::{IsNull, ToSql, Type, to_sql_checked};

use crate::domain::{ExtraRings, LonLat, Timestamp};
use crate::store::StoreError;
use crate::store::blob::{decode_path, decode_rings};
use crate::store::record::{Cell, Cells, Coded};

type Boxed = Box<dyn std::error::Error + Sync + Send>;

impl Cell<'_> {
    /// The value as the type its column takes.
    fn with<R>(&self, f: impl FnOnce(&(dyn ToSql + Sync)) -> R) -> R {
        match self {
            Cell::Id(id) => f(&Cell::own(*id)),
            Cell::Int(v) => f(v),
            Cell::OptInt(v) => f(v),
            Cell::Count(v) => f(&Cell::int32(*v)),
            Cell::Real(v) => f(v),
            Cell::Text(v) => f(v),
            Cell::OptText(v) => f(v),
            Cell::Made(v) => f(v),
            Cell::OptMade(v) => f(v),
            Cell::Flag(v) => f(v),
            Cell::OptFlag(v) => f(v),
            Cell::Time(v) => f(v),
            Cell::OptTime(v) => f(v),
            Cell::Bytes(v) => f(v),
            Cell::Borrowed(v) => f(v),
        }
    }
}

impl ToSql for Cell<'_> {
    fn to_sql(&self, ty: &Type, out: &mut bytes::BytesMut) -> Result<IsNull, Boxed> {
        self.with(|v| v.to_sql_checked(ty, out))
    }

    fn accepts(_ty: &Type) -> bool {
        // each value checks its own type (`to_sql` above)
        true
    }

    to_sql_checked!();
}

fn invalid(i: usize, detail: String) -> StoreError {
    StoreError::Invalid(format!("column {i}: {detail}"))
}

impl Cells for postgres::Row {
    type Error = StoreError;

    fn int(&self, i: usize) -> Result<i64, StoreError> {
        Ok(self.try_get(i)?)
    }

    fn opt_int(&self, i: usize) -> Result<Option<i64>, StoreError> {
        Ok(self.try_get(i)?)
    }

    fn count(&self, i: usize) -> Result<u32, StoreError> {
        let n: i32 = self.try_get(i)?;
        u32::try_from(n).map_err(|_| invalid(i, format!("{n} is not a count")))
    }

    fn real(&self, i: usize) -> Result<f64, StoreError> {
        Ok(self.try_get(i)?)
    }

    fn text(&self, i: usize) -> Result<String, StoreError> {
        Ok(self.try_get(i)?)
    }

    fn opt_text(&self, i: usize) -> Result<Option<String>, StoreError> {
        Ok(self.try_get(i)?)
    }

    fn flag(&self, i: usize) -> Result<bool, StoreError> {
        Ok(self.try_get(i)?)
    }

    fn opt_flag(&self, i: usize) -> Result<Option<bool>, StoreError> {
        Ok(self.try_get(i)?)
    }

    fn time(&self, i: usize) -> Result<Timestamp, StoreError> {
        Ok(self.try_get(i)?)
    }

    fn opt_time(&self, i: usize) -> Result<Option<Timestamp>, StoreError> {
        Ok(self.try_get(i)?)
    }

    fn code<T: Coded>(&self, i: usize) -> Result<T, StoreError> {
        let text: &str = self.try_get(i)?;
        T::decode(text).ok_or_else(|| invalid(i, format!("unknown code {text:?}")))
    }

    fn opt_code<T: Coded>(&self, i: usize) -> Result<Option<T>, StoreError> {
        let text: Option<&str> = self.try_get(i)?;
        text.map(|t| T::decode(t).ok_or_else(|| invalid(i, format!("unknown code {t:?}"))))
            .transpose()
    }

    fn path(&self, i: usize) -> Result<Vec<LonLat>, StoreError> {
        let bytes: &[u8] = self.try_get(i)?;
        decode_path(bytes).ok_or_else(|| invalid(i, "a geometry is not whole".into()))
    }

    fn rings(&self, i: usize) -> Result<ExtraRings, StoreError> {
        let text: Option<&str> = self.try_get(i)?;
        decode_rings(text).map_err(|e| invalid(i, format!("holes or parts: {e}")))
    }

    fn blob(&self, i: usize) -> Result<Vec<u8>, StoreError> {
        Ok(self.try_get(i)?)
    }

    fn bad(&self, i: usize, detail: String) -> StoreError {
        invalid(i, detail)
    }
}
