//! Tables for people outside the console — outage notices, visit routes, daily reports —
//! written as CSV (UTF-8 with a BOM, so Excel on Chinese Windows reads it) or XLSX.

pub mod layers;
pub mod outage;
pub mod report;

use std::path::Path;

use rust_xlsxwriter::{Format, Workbook};

/// One value of a table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_string())
    }
}
impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}
impl From<u64> for Cell {
    fn from(n: u64) -> Self {
        Cell::Number(n as f64)
    }
}
impl From<u32> for Cell {
    fn from(n: u32) -> Self {
        Cell::Number(n as f64)
    }
}
impl From<usize> for Cell {
    fn from(n: usize) -> Self {
        Cell::Number(n as f64)
    }
}
impl From<f64> for Cell {
    fn from(n: f64) -> Self {
        Cell::Number(n)
    }
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cell::Text(s) => f.write_str(s),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => write!(f, "{}", *n as i64),
            Cell::Number(n) => write!(f, "{n}"),
        }
    }
}

/// A titled table: a sheet of a workbook, or one CSV file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// The sheet name (at most 31 characters in XLSX).
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Format { path: String, message: String },
    #[error("{0}: write .csv or .xlsx")]
    UnknownKind(String),
}

/// Write the tables to `path`: every table a sheet of an XLSX workbook, or — for a .csv path —
/// the first table to `path` and each further one to `path` with its title appended.
pub fn write(path: &Path, tables: &[Table]) -> Result<(), ExportError> {
    write_with_pictures(path, tables, &[])
}

/// A picture for a report: its sheet's name and the PNG.
pub struct Picture {
    pub title: String,
    pub png: Vec<u8>,
}

/// [`write`], with pictures: each on a sheet of its own after the tables (XLSX), or a PNG file
/// beside the CSV files, named like them.
pub fn write_with_pictures(
    path: &Path,
    tables: &[Table],
    pictures: &[Picture],
) -> Result<(), ExportError> {
    match path.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("xlsx") => write_xlsx(path, tables, pictures),
        Some(e) if e.eq_ignore_ascii_case("csv") => {
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or("export");
            for picture in pictures {
                let p = path.with_file_name(format!("{stem}-{}.png", picture.title));
                write_atomically(&p, &picture.png).map_err(|source| ExportError::Io {
                    path: p.display().to_string(),
                    source,
                })?;
            }
            for (i, table) in tables.iter().enumerate() {
                let p = if i == 0 {
                    path.to_path_buf()
                } else {
                    let stem = path
                        .file_stem()
                        .and_then(|s| s.to_str())
                        .unwrap_or("export");
                    path.with_file_name(format!("{stem}-{}.csv", table.title))
                };
                write_csv(&p, table)?;
            }
            Ok(())
        }
        _ => Err(ExportError::UnknownKind(path.display().to_string())),
    }
}

pub fn write_csv(path: &Path, table: &Table) -> Result<(), ExportError> {
    let io = |source| ExportError::Io {
        path: path.display().to_string(),
        source,
    };
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut bytes);
        let rows = std::iter::once(table.headers.clone()).chain(
            table
                .rows
                .iter()
                .map(|r| r.iter().map(Cell::to_string).collect()),
        );
        for row in rows {
            w.write_record(&row)
                .map_err(|e| io(std::io::Error::other(e)))?;
        }
        w.flush().map_err(io)?;
    }
    write_atomically(path, &bytes).map_err(io)
}

pub fn write_xlsx(path: &Path, tables: &[Table], pictures: &[Picture]) -> Result<(), ExportError> {
    let fail = |e: rust_xlsxwriter::XlsxError| ExportError::Format {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    for table in tables {
        let sheet = book.add_worksheet();
        let name = sheet_name(&table.title);
        if !name.is_empty() {
            sheet.set_name(name).map_err(fail)?;
        }
        for (c, h) in table.headers.iter().enumerate() {
            sheet
                .write_string_with_format(0, c as u16, h, &bold)
                .map_err(fail)?;
        }
        for (r, row) in table.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                match cell {
                    Cell::Text(s) => sheet.write_string(r, c as u16, s),
                    Cell::Number(n) => sheet.write_number(r, c as u16, *n),
                }
                .map_err(fail)?;
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(fail)?;
        sheet.autofit();
    }
    for picture in pictures {
        let sheet = book.add_worksheet();
        sheet.set_name(sheet_name(&picture.title)).map_err(fail)?;
        let image = rust_xlsxwriter::Image::new_from_buffer(&picture.png).map_err(fail)?;
        sheet.insert_image(0, 0, &image).map_err(fail)?;
    }
    let bytes = book.save_to_buffer().map_err(fail)?;
    write_atomically(path, &bytes).map_err(|source| ExportError::Io {
        path: path.display().to_string(),
        source,
    })
}

/// A title as an XLSX sheet may be named (at most 31 characters, none of []:*?/\\).
fn sheet_name(title: &str) -> String {
    title
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect()
}

/// Write beside the target and rename: a reader never sees half a file.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let partial = path.with_extension("partial");
    std::fs::write(&partial, bytes)?;
    std::fs::rename(&partial, path)
}
