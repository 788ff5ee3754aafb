//! Reading one record's fields as typed values; every bad value becomes a problem that names
//! the row and the field.

use std::fmt;

use chrono::{NaiveDate, NaiveDateTime};

use super::ids::Ids;
use super::kind::Kind;
use super::records::{Loc, Record};
use crate::domain::Timestamp;

/// One thing wrong with a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub loc: Option<Loc>,
    /// The field as shown: "households (户数)".
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.loc, &self.field) {
            (Some(loc), Some(field)) => write!(f, "{loc}, field {field}: {}", self.message),
            (Some(loc), None) => write!(f, "{loc}: {}", self.message),
            (None, Some(field)) => write!(f, "field {field}: {}", self.message),
            (None, None) => f.write_str(&self.message),
        }
    }
}

/// The problems found so far: the first [`Problems::LISTED`] kept, all counted.
#[derive(Debug, Default)]
pub struct Problems {
    pub list: Vec<Problem>,
    pub total: usize,
}

impl Problems {
    pub const LISTED: usize = 100;

    pub fn push(&mut self, problem: Problem) {
        self.total += 1;
        if self.list.len() < Self::LISTED {
            self.list.push(problem);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }
}

/// One record being read, and what is wrong with it.
pub struct Row<'a, 'r> {
    pub rec: &'a Record<'r>,
    kind: Kind,
    pub found: Vec<Problem>,
}

/// The formats a time may come in; a bare date is midnight.
const TIME_FORMATS: &[&str] = &[
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
];

pub fn parse_time(text: &str) -> Option<Timestamp> {
    TIME_FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .or_else(|| {
            ["%Y-%m-%d", "%Y/%m/%d"]
                .iter()
                .find_map(|f| NaiveDate::parse_from_str(text, f).ok())
                .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight exists"))
        })
}

pub fn parse_bool(text: &str) -> Option<bool> {
    match text.to_lowercase().as_str() {
        "1" | "true" | "yes" | "y" | "是" | "有" | "√" => Some(true),
        "0" | "false" | "no" | "n" | "否" | "无" | "×" => Some(false),
        _ => None,
    }
}

impl<'a, 'r> Row<'a, 'r> {
    pub fn new(rec: &'a Record<'r>, kind: Kind) -> Self {
        Row {
            rec,
            kind,
            found: Vec::new(),
        }
    }

    /// Nothing wrong so far.
    pub fn ok(&self) -> bool {
        self.found.is_empty()
    }

    pub fn loc(&self) -> Loc {
        self.rec.loc
    }

    /// A problem with the record as a whole (its geometry, its consistency).
    pub fn fail(&mut self, message: impl Into<String>) {
        self.found.push(Problem {
            loc: Some(self.rec.loc),
            field: None,
            message: message.into(),
        });
    }

    pub fn fail_field(&mut self, name: &str, message: impl Into<String>) {
        let field = self.kind.fields()[self.kind.field(name)].shown();
        self.found.push(Problem {
            loc: Some(self.rec.loc),
            field: Some(field),
            message: message.into(),
        });
    }

    pub fn text(&self, name: &str) -> &'r str {
        self.rec.get(self.kind.field(name))
    }

    /// The text, or a problem when it is empty.
    pub fn required(&mut self, name: &str) -> Option<&'r str> {
        let v = self.text(name);
        if v.is_empty() {
            self.fail_field(name, "is empty");
            return None;
        }
        Some(v)
    }

    /// A parsed value; empty gives `default` (None: the field is required).
    pub fn value<T>(
        &mut self,
        name: &str,
        default: Option<T>,
        parse: impl FnOnce(&str) -> Option<T>,
        expected: &str,
    ) -> Option<T> {
        let v = self.text(name);
        if v.is_empty() {
            if default.is_none() {
                self.fail_field(name, "is empty");
            }
            return default;
        }
        let parsed = parse(v);
        if parsed.is_none() {
            self.fail_field(name, format!("\"{v}\" is not {expected}"));
        }
        parsed
    }

    pub fn count(&mut self, name: &str, default: Option<u32>) -> Option<u32> {
        self.value(
            name,
            default,
            |v| whole(v).and_then(|n| u32::try_from(n).ok()),
            "a whole number ≥ 0",
        )
    }

    pub fn number(&mut self, name: &str, default: Option<f64>) -> Option<f64> {
        self.value(
            name,
            default,
            |v| v.parse::<f64>().ok().filter(|x| x.is_finite()),
            "a number",
        )
    }

    pub fn flag(&mut self, name: &str, default: bool) -> Option<bool> {
        self.value(name, Some(default), parse_bool, "yes or no (1/0, 是/否)")
    }

    /// A time in one of [`TIME_FORMATS`]; None inside: empty and optional.
    pub fn time(&mut self, name: &str, required: bool) -> Option<Option<Timestamp>> {
        let v = self.text(name);
        if v.is_empty() {
            if required {
                self.fail_field(name, "is empty");
                return None;
            }
            return Some(None);
        }
        match parse_time(v) {
            Some(t) => Some(Some(t)),
            None => {
                self.fail_field(
                    name,
                    format!("\"{v}\" is not a date and time like 2026-11-27 08:30"),
                );
                None
            }
        }
    }

    /// A coded value (a code, or its Chinese or English label); `labels` lists (label, value).
    pub fn code<T: Copy>(
        &mut self,
        name: &str,
        default: Option<T>,
        from_code: impl Fn(&str) -> Option<T>,
        labels: &[(&str, T)],
    ) -> Option<T> {
        let known = |v: &str| {
            from_code(&v.to_lowercase()).or_else(|| {
                labels
                    .iter()
                    .find(|(l, _)| l.eq_ignore_ascii_case(v))
                    .map(|&(_, t)| t)
            })
        };
        let v = self.text(name);
        if v.is_empty() {
            if default.is_none() {
                self.fail_field(name, "is empty");
            }
            return default;
        }
        let found = known(v);
        if found.is_none() {
            let choices: Vec<&str> = labels.iter().map(|(l, _)| *l).take(12).collect();
            self.fail_field(
                name,
                format!("unknown value \"{v}\" (one of: {})", choices.join(", ")),
            );
        }
        found
    }

    /// A reference to another row by its external id; None inside: empty and optional.
    pub fn reference(
        &mut self,
        name: &str,
        ids: &Ids,
        what: &str,
        required: bool,
    ) -> Option<Option<i64>> {
        let v = self.text(name);
        if v.is_empty() {
            if required {
                self.fail_field(name, "is empty");
                return None;
            }
            return Some(None);
        }
        match ids.find(v) {
            Some(id) => Some(Some(id)),
            None => {
                self.fail_field(name, format!("no {what} with id \"{v}\" in the database"));
                None
            }
        }
    }
}

/// "12", "12.0" (how spreadsheets write whole numbers) → 12.
fn whole(v: &str) -> Option<i64> {
    v.parse::<i64>().ok().or_else(|| {
        v.parse::<f64>()
            .ok()
            .filter(|x| x.fract() == 0.0 && x.abs() < 1e15)
            .map(|x| x as i64)
    })
}

/// The labels a coded value may be written as, in both languages.
pub fn labels<T: Copy>(
    all: &[T],
    label: impl Fn(crate::ui::i18n::Lang, T) -> &'static str,
) -> Vec<(&'static str, T)> {
    use crate::ui::i18n::Lang;
    all.iter()
        .flat_map(|&v| [(label(Lang::Zh, v), v), (label(Lang::En, v), v)])
        .collect()
}
