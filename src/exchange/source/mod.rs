//! A company's file as rows of named columns, whatever it is: CSV or text (UTF-8, GBK,
//! UTF-16), an Excel workbook (.xlsx, .xls), GeoJSON, an ArcGIS Shapefile, a GeoPackage. Title
//! rows above a sheet's header are passed over; geometry comes with the row where the format
//! carries it (in the file's own coordinate system, converted later), or from columns.
//!
//! Rows are read as a stream where the format allows (CSV text, GeoJSON features, Shapefile
//! and GeoPackage records, .xlsx cells): a file is never held twice over.

mod geojson;
mod gpkg;
mod sheet;
mod shp;
mod text;

use std::path::{Path, PathBuf};

use csv::StringRecord;

use super::bilingual::{Bilingual, bilingual};
use super::crs::Crs;
use super::records::Loc;
use super::shape::Shape;

pub use text::decode;

/// Which part of a file to read (a workbook's sheet, a GeoPackage's layer).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Part(pub Option<String>);

/// One row of a source: its cells by column, and its geometry where the format has one.
pub struct Raw<'a> {
    pub loc: Loc,
    /// How far into the file, for a progress bar (of [`Source::size`]).
    pub progress: u64,
    pub values: &'a StringRecord,
    pub shape: Option<Result<Shape, Bilingual>>,
    /// What the reader found wrong with the row itself (more fields than the header).
    pub problem: Option<Bilingual>,
}

pub(crate) enum Body {
    Text(text::Text),
    Sheet(sheet::Sheet),
    GeoJson(geojson::GeoJson),
    Shapefile(shp::Shapefile),
    GeoPackage(gpkg::GeoPackage),
}

/// A file opened as rows of named columns.
pub struct Source {
    /// The file's name, as problems name it.
    pub file: String,
    /// "CSV, GBK/GB18030", "Excel (.xlsx), sheet 工单", "Shapefile, GBK (.cpg)" …
    pub format: String,
    /// The columns, as the file names them.
    pub headers: Vec<String>,
    /// The coordinate system the file declares (a .prj, a GeoPackage's srs, a GeoJSON crs).
    pub declared: Option<Crs>,
    /// Rows carry geometry of their own (GeoJSON, Shapefile, GeoPackage).
    pub geometry: bool,
    pub(crate) body: Body,
}

/// The formats, as their names end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Text,
    Xlsx,
    Xls,
    GeoJson,
    Shapefile,
    GeoPackage,
}

fn format_of(path: &Path, head: &[u8]) -> Format {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "xlsx" | "xlsm" => Format::Xlsx,
        "xls" => Format::Xls,
        "geojson" | "json" => Format::GeoJson,
        "shp" | "dbf" => Format::Shapefile,
        "gpkg" => Format::GeoPackage,
        "csv" | "txt" | "tsv" => Format::Text,
        _ if head.starts_with(b"PK\x03\x04") => Format::Xlsx,
        _ if head.starts_with(b"\xD0\xCF\x11\xE0") => Format::Xls,
        _ if head.starts_with(b"SQLite format 3\0") => Format::GeoPackage,
        _ if head.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') => Format::GeoJson,
        _ => Format::Text,
    }
}

impl Source {
    /// Open a file; the error is about the whole file.
    pub fn open(path: &Path, part: &Part) -> Result<Source, Bilingual> {
        let file = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let mut head = [0u8; 64];
        let read = std::fs::File::open(path)
            .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
            .map_err(|e| bilingual!("cannot read: {e}", "无法读取：{e}"))?;
        let head = &head[..read];
        let path: PathBuf = path.to_path_buf();
        let source = match format_of(&path, head) {
            Format::Text => text::open(&path)?,
            Format::Xlsx => sheet::open(&path, part, true)?,
            Format::Xls => sheet::open(&path, part, false)?,
            Format::GeoJson => geojson::open(&path)?,
            Format::Shapefile => shp::open(&path)?,
            Format::GeoPackage => gpkg::open(&path, part)?,
        };
        Ok(Source { file, ..source })
    }

    /// Bytes or features: the end of [`Raw::progress`].
    pub fn size(&self) -> u64 {
        match &self.body {
            Body::Text(t) => t.size(),
            Body::Sheet(s) => s.size(),
            Body::GeoJson(g) => g.size(),
            Body::Shapefile(s) => s.size(),
            Body::GeoPackage(g) => g.size(),
        }
    }

    /// At most how many rows the file holds, when that is known before reading them (a text
    /// file's lines): the importer makes room for them once.
    pub fn rows_hint(&self) -> Option<usize> {
        match &self.body {
            Body::Text(t) => Some(t.rows_hint()),
            _ => None,
        }
    }

    /// Walk the rows in file order; `f` returns false to stop early.
    pub fn each(&self, f: &mut dyn FnMut(Raw<'_>) -> bool) -> Result<(), (Loc, Bilingual)> {
        match &self.body {
            Body::Text(t) => t.each(f),
            Body::Sheet(s) => s.each(f),
            Body::GeoJson(g) => g.each(f),
            Body::Shapefile(s) => s.each(f),
            Body::GeoPackage(g) => g.each(f),
        }
    }

    /// The first `n` rows' cells (for guessing what the columns are, and the preview).
    pub fn first_rows(&self, n: usize) -> Vec<(Loc, Vec<String>)> {
        let mut rows = Vec::new();
        let _ = self.each(&mut |raw| {
            rows.push((raw.loc, raw.values.iter().map(str::to_string).collect()));
            rows.len() < n
        });
        rows
    }
}

/// A file's parts to choose from: a workbook's sheets, a GeoPackage's feature layers (none for
/// other formats).
pub fn parts(path: &Path) -> Vec<String> {
    let mut head = [0u8; 64];
    let read = std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
        .unwrap_or(0);
    match format_of(path, &head[..read]) {
        Format::Xlsx => sheet::names(path, true),
        Format::Xls => sheet::names(path, false),
        Format::GeoPackage => gpkg::layers(path),
        _ => Vec::new(),
    }
}

/// The row among the first ones that is the header: the first whose non-empty cells are text
/// (no numbers or dates) and as many as the widest row has — not a title row above it.
pub(crate) fn header_row(rows: &[Vec<String>]) -> usize {
    let filled = |r: &Vec<String>| r.iter().filter(|c| !c.trim().is_empty()).count();
    let widest = rows.iter().map(filled).max().unwrap_or(0);
    let texty = |r: &Vec<String>| {
        r.iter()
            .filter(|c| !c.trim().is_empty())
            .all(|c| c.trim().parse::<f64>().is_err())
    };
    rows.iter()
        .position(|r| filled(r) >= 2 && filled(r) * 10 >= widest * 7 && texty(r))
        .unwrap_or(0)
}

/// A number as a spreadsheet user reads it: 57, not 57.0; 13812345678, not 1.38e10.
pub(crate) fn number_text(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}
