//! Reading one record's fields as typed values; every bad value becomes a problem that names
//! the row and the field.

use std::fmt;

use chrono::{NaiveDate, NaiveDateTime};

use super::bilingual::{Bilingual, Words, bilingual, words};
use super::ids::Ids;
use super::kind::{Field, Kind};
use super::records::{Loc, Record};
use crate::domain::Timestamp;
use crate::words::Lang;

/// One thing wrong with a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub loc: Option<Loc>,
    pub field: Option<&'static Field>,
    pub message: Bilingual,
}

impl Problem {
    /// A problem with the file as a whole.
    pub fn whole(message: Bilingual) -> Problem {
        Problem {
            loc: None,
            field: None,
            message,
        }
    }

    /// "row 5, field households (户数): …" / "第 5 行，户数（households）：…".
    pub fn text(&self, lang: Lang) -> String {
        let message = self.message.get(lang);
        let loc = self.loc.map(|l| l.text(lang));
        let field = self.field.map(|f| match lang {
            Lang::Zh => f.shown(lang),
            Lang::En => format!("field {}", f.shown(lang)),
        });
        let sep = lang.pick("，", ", ");
        let colon = lang.pick("：", ": ");
        match (loc, field) {
            (Some(l), Some(f)) => format!("{l}{sep}{f}{colon}{message}"),
            (Some(p), None) | (None, Some(p)) => format!("{p}{colon}{message}"),
            (None, None) => message.to_string(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text(Lang::En))
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
    /// The row names a place (a building by its compound and number …) that matches none or
    /// several: kept apart, so that such rows can be set aside (`--skip-unmatched`).
    pub unmatched: Vec<Problem>,
    /// Values of coded fields that map to nothing: counted over the whole file and listed
    /// once per value, not once per row.
    pub unknown: Vec<(&'static Field, String)>,
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
    quick_time(text).or_else(|| slow_time(text))
}

/// "2026-11-27 08:30[:05]" (or with '/' and 'T'), the shape nearly every file uses, without
/// chrono's format interpreter (a fifth of a 300,000-ticket import's time went there).
fn quick_time(text: &str) -> Option<Timestamp> {
    let b = text.as_bytes();
    if !(b.len() == 16 || b.len() == 19) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let sep = b[4];
    if !(sep == b'-' || sep == b'/')
        || b[7] != sep
        || !(b[10] == b' ' || b[10] == b'T')
        || b[13] != b':'
    {
        return None;
    }
    let secs = if b.len() == 19 {
        if b[16] != b':' {
            return None;
        }
        num(17..19)?
    } else {
        0
    };
    NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?.and_hms_opt(
        num(11..13)?,
        num(14..16)?,
        secs,
    )
}

fn slow_time(text: &str) -> Option<Timestamp> {
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
            unmatched: Vec::new(),
            unknown: Vec::new(),
        }
    }

    /// Nothing wrong so far.
    pub fn ok(&self) -> bool {
        self.found.is_empty() && self.unmatched.is_empty() && self.unknown.is_empty()
    }

    /// A problem with the record as a whole (its geometry, its consistency).
    pub fn fail(&mut self, message: Bilingual) {
        self.found.push(Problem {
            loc: Some(self.rec.loc),
            field: None,
            message,
        });
    }

    /// A place the row names that matches none or several.
    pub fn unmatched(&mut self, name: &str, message: Bilingual) {
        let field = &self.kind.fields()[self.kind.field(name)];
        self.unmatched.push(Problem {
            loc: Some(self.rec.loc),
            field: Some(field),
            message,
        });
    }

    pub fn fail_field(&mut self, name: &str, message: Bilingual) {
        let field = &self.kind.fields()[self.kind.field(name)];
        self.found.push(Problem {
            loc: Some(self.rec.loc),
            field: Some(field),
            message,
        });
    }

    pub fn text(&self, name: &str) -> &'a str {
        self.rec.get(self.kind.field(name))
    }

    /// The text, or a problem when it is empty.
    pub fn required(&mut self, name: &str) -> Option<&'a str> {
        let v = self.text(name);
        if v.is_empty() {
            self.fail_field(name, empty());
            return None;
        }
        Some(v)
    }

    /// A parsed value; empty gives `default` (None: the field is required); `parse` says
    /// what is wrong with a value it refuses.
    fn parsed<T>(
        &mut self,
        name: &str,
        default: Option<T>,
        parse: impl FnOnce(&str) -> Result<T, Bilingual>,
    ) -> Option<T> {
        let v = self.text(name);
        if v.is_empty() {
            if default.is_none() {
                self.fail_field(name, empty());
            }
            return default;
        }
        parse(v).map_err(|e| self.fail_field(name, e)).ok()
    }

    /// A parsed value; empty gives `default` (None: the field is required).
    pub fn value<T>(
        &mut self,
        name: &str,
        default: Option<T>,
        parse: impl FnOnce(&str) -> Option<T>,
        expected: Words,
    ) -> Option<T> {
        self.parsed(name, default, |v| {
            parse(v).ok_or_else(|| not_a(v, expected))
        })
    }

    /// A field that may be left blank unless `required`, read straight into [`Optional`].
    fn optional<T>(
        &mut self,
        name: &str,
        required: bool,
        parse: impl FnOnce(&str) -> Result<T, Bilingual>,
    ) -> Optional<T> {
        let v = self.text(name);
        if v.is_empty() {
            if !required {
                return Optional::Blank;
            }
            self.fail_field(name, empty());
            return Optional::Refused;
        }
        match parse(v) {
            Ok(t) => Optional::Given(t),
            Err(e) => {
                self.fail_field(name, e);
                Optional::Refused
            }
        }
    }

    pub fn count(&mut self, name: &str, default: Option<u32>) -> Option<u32> {
        self.value(
            name,
            default,
            |v| whole(v).and_then(|n| u32::try_from(n).ok()),
            words("a whole number ≥ 0", "不小于 0 的整数"),
        )
    }

    pub fn number(&mut self, name: &str, default: Option<f64>) -> Option<f64> {
        self.value(
            name,
            default,
            |v| v.parse::<f64>().ok().filter(|x| x.is_finite()),
            words("a number", "数字"),
        )
    }

    pub fn flag(&mut self, name: &str, default: bool) -> Option<bool> {
        self.value(
            name,
            Some(default),
            parse_bool,
            words("yes or no (1/0, 是/否)", "是或否（1/0、是/否）"),
        )
    }

    /// A time in one of [`TIME_FORMATS`] (blank only where not `required`).
    pub fn time(&mut self, name: &str, required: bool) -> Optional<Timestamp> {
        self.optional(name, required, |v| {
            parse_time(v).ok_or_else(|| {
                not_a(
                    v,
                    words(
                        "a date and time like 2026-11-27 08:30",
                        "日期时间（如 2026-11-27 08:30）",
                    ),
                )
            })
        })
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
                self.fail_field(name, empty());
            }
            return default;
        }
        match known(v) {
            Some(t) => Some(t),
            None => {
                let field = &self.kind.fields()[self.kind.field(name)];
                self.unknown.push((field, v.to_string()));
                None
            }
        }
    }

    /// A reference to another row by its external id (blank only where not `required`).
    pub fn reference(
        &mut self,
        name: &str,
        ids: &Ids,
        what: Words,
        required: bool,
    ) -> Optional<i64> {
        self.optional(name, required, |v| {
            ids.find(v).ok_or_else(|| {
                let (en, zh) = (what.en, what.zh);
                bilingual!(
                    "no {en} with id \"{v}\" in the database",
                    "数据库中没有编号为“{v}”的{zh}"
                )
            })
        })
    }
}

/// "“x”不是数字" / "\"x\" is not a number".
fn not_a(v: &str, expected: Words) -> Bilingual {
    let (en, zh) = (expected.en, expected.zh);
    bilingual!("\"{v}\" is not {en}", "“{v}”不是{zh}")
}

/// A field that may be left blank, as read from a row: refused (what is wrong is noted on the
/// row), left blank, or given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Optional<T> {
    Refused,
    Blank,
    Given(T),
}

impl<T> Optional<T> {
    /// The value, when one was given.
    pub fn given(self) -> Option<T> {
        match self {
            Optional::Given(v) => Some(v),
            Optional::Refused | Optional::Blank => None,
        }
    }

    pub fn refused(&self) -> bool {
        matches!(self, Optional::Refused)
    }
}

/// A required field left blank.
pub fn empty() -> Bilingual {
    bilingual!("is empty", "为空")
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
    label: impl Fn(crate::words::Lang, T) -> &'static str,
) -> Vec<(&'static str, T)> {
    use crate::words::Lang;
    all.iter()
        .flat_map(|&v| [(label(Lang::Zh, v), v), (label(Lang::En, v), v)])
        .collect()
}
