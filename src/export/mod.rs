//! Tables for people outside the console — outage notices, visit routes, daily reports —
//! written as CSV (UTF-8 with a BOM, so Excel on Chinese Windows reads it) or XLSX.

pub mod layers;
pub mod outage;
pub mod report;

use std::path::Path;

use rust_xlsxwriter::{Format, Workbook};

/// One value of a table. Figures stay numbers in a workbook (Excel sums, sorts and charts
/// them); their unit is the cell's number format.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    /// A ratio shown as a percentage with one decimal (0.875: 87.5%).
    Percent(f64),
    /// A number with two decimals and a unit the format adds (0.26 with ‰: 0.26‰).
    WithUnit(f64, &'static str),
    /// No value (nothing to compute it from): an empty cell.
    Empty,
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
            Cell::Percent(r) => write!(f, "{:.1}%", r * 100.0),
            Cell::WithUnit(n, unit) => write!(f, "{n:.2}{unit}"),
            Cell::Empty => Ok(()),
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
    write_with_pictures(path, tables, &[], &[])
}

/// A picture for a report: its sheet's name and the PNG.
pub struct Picture {
    pub title: String,
    pub png: Vec<u8>,
}

/// A line chart of some of a table's columns against its first column, drawn in the workbook
/// beside the table (XLSX only: Excel's own chart, which follows the cells).
#[derive(Debug, Clone, PartialEq)]
pub struct LineChart {
    /// Which of the tables.
    pub table: usize,
    pub title: String,
    /// The columns drawn as lines (their headers name them).
    pub columns: Vec<u16>,
    /// The value axis' number format ("0%").
    pub axis_format: String,
}

/// [`write`], with pictures: each on a sheet of its own after the tables (XLSX), or a PNG file
/// beside the CSV files, named like them.
pub fn write_with_pictures(
    path: &Path,
    tables: &[Table],
    pictures: &[Picture],
    charts: &[LineChart],
) -> Result<(), ExportError> {
    match path.extension().and_then(|e| e.to_str()) {
        Some(e) if e.eq_ignore_ascii_case("xlsx") => write_xlsx(path, tables, pictures, charts),
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

pub fn write_xlsx(
    path: &Path,
    tables: &[Table],
    pictures: &[Picture],
    charts: &[LineChart],
) -> Result<(), ExportError> {
    let fail = |e: rust_xlsxwriter::XlsxError| ExportError::Format {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let percent = Format::new().set_num_format("0.0%");
    for (t, table) in tables.iter().enumerate() {
        let sheet = book.add_worksheet();
        let name = sheet_name(&table.title);
        if !name.is_empty() {
            sheet.set_name(&name).map_err(fail)?;
        }
        for (c, h) in table.headers.iter().enumerate() {
            sheet
                .write_string_with_format(0, c as u16, h, &bold)
                .map_err(fail)?;
        }
        for (r, row) in table.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Text(s) => sheet.write_string(r, c, s),
                    Cell::Number(n) => sheet.write_number(r, c, *n),
                    Cell::Percent(x) => sheet.write_number_with_format(r, c, *x, &percent),
                    Cell::WithUnit(n, unit) => {
                        // the unit quoted in the format: the cell stays the number
                        let with_unit = Format::new().set_num_format(format!("0.00\"{unit}\""));
                        sheet.write_number_with_format(r, c, *n, &with_unit)
                    }
                    Cell::Empty => continue,
                }
                .map_err(fail)?;
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(fail)?;
        sheet.autofit();
        for chart in charts.iter().filter(|c| c.table == t) {
            let last = table.rows.len() as u32;
            let mut drawn = rust_xlsxwriter::Chart::new(rust_xlsxwriter::ChartType::Line);
            drawn.title().set_name(&chart.title);
            drawn.y_axis().set_num_format(&chart.axis_format);
            for &col in &chart.columns {
                drawn
                    .add_series()
                    .set_name((name.as_str(), 0, col))
                    .set_categories((name.as_str(), 1, 0, last.max(1), 0))
                    .set_values((name.as_str(), 1, col, last.max(1), col));
            }
            drawn.set_width(960).set_height(420);
            let right = table.headers.len() as u16 + 1;
            sheet.insert_chart(1, right, &drawn).map_err(fail)?;
        }
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
