//! Excel workbooks read directly (calamine): .xlsx as a stream of cells, .xls (the older
//! binary format, at most 65,536 rows) whole. The sheet is the one named, else the first with
//! data; the header is found below any title rows. Dates are written as the text a user reads
//! (2026-11-27 08:30:00), whole numbers without ".0".

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use calamine::{Data, DataRef, Reader, Xls, Xlsx};
use csv::StringRecord;

use super::{Body, Part, Raw, Source, header_row, number_text};
use crate::exchange::bilingual::{Bilingual, bilingual};
use crate::exchange::records::Loc;

pub(crate) struct Sheet {
    path: PathBuf,
    xlsx: bool,
    name: String,
    /// The header's row (0-based, as the sheet has it); rows after it are data.
    header: u32,
    /// The last row (0-based), for the progress bar.
    last: u32,
}

fn cant_open(e: impl std::fmt::Display) -> Bilingual {
    bilingual!("cannot read the workbook: {e}", "无法读取工作簿：{e}")
}

fn datetime_text(dt: chrono::NaiveDateTime) -> String {
    if dt.time() == chrono::NaiveTime::MIN {
        dt.format("%Y-%m-%d").to_string()
    } else {
        dt.format("%Y-%m-%d %H:%M:%S").to_string()
    }
}

fn cell_ref(value: &DataRef<'_>) -> String {
    match value {
        DataRef::Int(n) => n.to_string(),
        DataRef::Float(x) => number_text(*x),
        DataRef::String(s) => s.trim().to_string(),
        DataRef::SharedString(s) => s.trim().to_string(),
        DataRef::Bool(b) => if *b { "1" } else { "0" }.into(),
        DataRef::DateTime(d) => d
            .as_datetime()
            .map(datetime_text)
            .unwrap_or_else(|| number_text(d.as_f64())),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => format!("#{e:?}"),
        DataRef::Empty => String::new(),
    }
}

fn cell(value: &Data) -> String {
    match value {
        Data::Int(n) => n.to_string(),
        Data::Float(x) => number_text(*x),
        Data::String(s) => s.trim().to_string(),
        Data::Bool(b) => if *b { "1" } else { "0" }.into(),
        Data::DateTime(d) => d
            .as_datetime()
            .map(datetime_text)
            .unwrap_or_else(|| number_text(d.as_f64())),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
        Data::Empty => String::new(),
    }
}

fn xlsx(path: &Path) -> Result<Xlsx<BufReader<File>>, Bilingual> {
    calamine::open_workbook(path).map_err(cant_open)
}

fn xls(path: &Path) -> Result<Xls<BufReader<File>>, Bilingual> {
    calamine::open_workbook(path).map_err(cant_open)
}

/// Stream an .xlsx sheet's rows (0-based row index, its cells) to `f` until it says stop.
fn xlsx_rows(
    path: &Path,
    sheet: &str,
    f: &mut dyn FnMut(u32, &mut Vec<String>) -> bool,
) -> Result<u32, Bilingual> {
    let mut book = xlsx(path)?;
    let mut cells = book.worksheet_cells_reader(sheet).map_err(cant_open)?;
    let last = cells.dimensions().end.0;
    let mut row: Option<u32> = None;
    let mut values: Vec<String> = Vec::new();
    while let Some(c) = cells.next_cell().map_err(cant_open)? {
        let (r, col) = c.get_position();
        if row != Some(r) {
            if let Some(done) = row
                && !f(done, &mut values)
            {
                return Ok(last);
            }
            values.clear();
            row = Some(r);
        }
        let col = col as usize;
        if values.len() <= col {
            values.resize(col + 1, String::new());
        }
        values[col] = cell_ref(c.get_value());
    }
    if let Some(done) = row {
        f(done, &mut values);
    }
    Ok(last)
}

/// An .xls sheet whole: its first row index and rows.
fn xls_rows(path: &Path, sheet: &str) -> Result<(u32, Vec<Vec<String>>), Bilingual> {
    let mut book = xls(path)?;
    let range = book.worksheet_range(sheet).map_err(cant_open)?;
    let start = range.start().map_or(0, |s| s.0);
    let rows = range.rows().map(|r| r.iter().map(cell).collect()).collect();
    Ok((start, rows))
}

/// The sheets of a workbook.
pub(super) fn names(path: &Path, is_xlsx: bool) -> Vec<String> {
    if is_xlsx {
        xlsx(path).map(|b| b.sheet_names()).unwrap_or_default()
    } else {
        xls(path).map(|b| b.sheet_names()).unwrap_or_default()
    }
}

pub(super) fn open(path: &Path, part: &Part, is_xlsx: bool) -> Result<Source, Bilingual> {
    let names = if is_xlsx {
        xlsx(path)?.sheet_names()
    } else {
        xls(path)?.sheet_names()
    };
    // the first 30 rows of a sheet (0-based index, cells)
    let first_rows = |name: &str| -> Result<Vec<(u32, Vec<String>)>, Bilingual> {
        if is_xlsx {
            let mut rows = Vec::new();
            xlsx_rows(path, name, &mut |r, cells| {
                rows.push((r, std::mem::take(cells)));
                rows.len() < 30
            })?;
            Ok(rows)
        } else {
            let (start, rows) = xls_rows(path, name)?;
            Ok(rows
                .into_iter()
                .take(30)
                .enumerate()
                .map(|(i, r)| (start + i as u32, r))
                .collect())
        }
    };
    let (name, rows) = match &part.0 {
        Some(wanted) => {
            let Some(name) = names.iter().find(|n| n.trim() == wanted.trim()) else {
                let all = names.join(", ");
                return Err(bilingual!(
                    "the workbook has no sheet \"{wanted}\" (it has: {all})",
                    "工作簿中没有工作表“{wanted}”（现有：{all}）"
                ));
            };
            (name.clone(), first_rows(name)?)
        }
        None => {
            let mut found = None;
            for name in &names {
                let rows = first_rows(name)?;
                if rows.iter().any(|(_, r)| r.iter().any(|c| !c.is_empty())) {
                    found = Some((name.clone(), rows));
                    break;
                }
            }
            found.ok_or_else(|| bilingual!("every sheet is empty", "所有工作表都是空的"))?
        }
    };
    let cells: Vec<Vec<String>> = rows.iter().map(|(_, r)| r.clone()).collect();
    let at = header_row(&cells);
    let (header, headers) = rows
        .get(at)
        .map(|(r, h)| (*r, h.clone()))
        .unwrap_or_default();
    let last = if is_xlsx {
        let mut book = xlsx(path)?;
        book.worksheet_cells_reader(&name)
            .map_err(cant_open)?
            .dimensions()
            .end
            .0
    } else {
        rows.last().map_or(0, |r| r.0)
    };
    let ext = if is_xlsx { ".xlsx" } else { ".xls" };
    Ok(Source {
        file: String::new(),
        format: format!("Excel ({ext}), sheet {name}"),
        headers,
        declared: None,
        geometry: false,
        body: Body::Sheet(Sheet {
            path: path.to_path_buf(),
            xlsx: is_xlsx,
            name,
            header,
            last,
        }),
    })
}

impl Sheet {
    pub fn size(&self) -> u64 {
        u64::from(self.last.saturating_sub(self.header))
    }

    pub fn each(&self, f: &mut dyn FnMut(Raw<'_>) -> bool) -> Result<(), (Loc, Bilingual)> {
        let mut values = StringRecord::new();
        let header = self.header;
        let mut emit = |r: u32, cells: &mut Vec<String>| -> bool {
            if r <= header || cells.iter().all(|c| c.is_empty()) {
                return true;
            }
            values.clear();
            for c in cells.iter() {
                values.push_field(c);
            }
            f(Raw {
                loc: Loc::Row(u64::from(r) + 1),
                progress: u64::from(r - header),
                values: &values,
                shape: None,
                problem: None,
            })
        };
        if self.xlsx {
            xlsx_rows(&self.path, &self.name, &mut emit).map_err(|e| (Loc::Row(0), e))?;
        } else {
            let (start, rows) = xls_rows(&self.path, &self.name).map_err(|e| (Loc::Row(0), e))?;
            for (i, mut r) in rows.into_iter().enumerate() {
                if !emit(start + i as u32, &mut r) {
                    break;
                }
            }
        }
        Ok(())
    }
}
