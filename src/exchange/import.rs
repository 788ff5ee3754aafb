//! `heatdesk import`: one file of one kind into the database, all of it or nothing.
//!
//! Every record is read and checked against what the store holds; a problem stops the
//! building of rows but not the checking, so the report lists what is wrong with the whole
//! file (the first 100 problems). A file without problems becomes one command, an
//! [`ImportBatch`], that the store applies in one transaction with its audit record — or, with
//! `--check`, checks and rolls back.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use super::address::Addresses;
use super::bilingual::{Bilingual, bilingual};
use super::columns::{Problem, Problems, Row, empty};
use super::crs::{Converter, Crs, Source as CrsSource};
use super::ids::Ids;
use super::kind::Kind;
use super::mapping::Mapping;
use super::network::{self, NetworkReport, Snapper};
use super::records::{Columns, Input, Loc, Record};
use super::source::Part;
use crate::domain::batch::{ImportBatch, Rows, Table};
use crate::domain::*;
use crate::store::{DispatchStore, StoreError};
use crate::words::Lang;

#[derive(Debug, Clone)]
pub struct Options {
    pub kind: Kind,
    /// The coordinate system of the file's geometry (None: as the file declares, else as its
    /// numbers can only be read).
    pub crs: Option<Crs>,
    /// How the file's columns are read: HeatDesk's own headers, a guess, or a mapping.
    pub columns: Columns,
    /// A workbook's sheet or a GeoPackage's layer (None: the first with data).
    pub part: Part,
    /// The department of compounds, stations and teams the file gives none for.
    pub department: Option<DepartmentId>,
    /// Import the rows whose building (or compound, department, station) is found; write the
    /// others to a file beside the source for fixing.
    pub skip_unmatched: bool,
    /// Buildings picked by hand for rows (the import window's preview).
    pub buildings: Vec<(Loc, BuildingId)>,
    /// Read only the first rows (the preview).
    pub limit: Option<usize>,
    /// Check and report, write nothing.
    pub check: bool,
    /// Pipe ends (and valves) this close join the same node (pipe), metres.
    pub snap_m: f64,
    /// Who imports, for the audit trail.
    pub actor: String,
    /// When, for the audit trail.
    pub now: Timestamp,
}

impl Options {
    pub fn new(kind: Kind, now: Timestamp) -> Self {
        Options {
            kind,
            crs: None,
            columns: Columns::Own,
            part: Part::default(),
            department: None,
            skip_unmatched: false,
            buildings: Vec::new(),
            limit: None,
            check: false,
            snap_m: 2.0,
            actor: "import".into(),
            now,
        }
    }
}

/// How far an import has come (read from another thread for a progress bar).
#[derive(Debug, Default)]
pub struct Progress {
    pub done: AtomicU64,
    pub total: AtomicU64,
}

impl Progress {
    pub fn fraction(&self) -> f32 {
        let total = self.total.load(Ordering::Relaxed);
        if total == 0 {
            return 0.0;
        }
        (self.done.load(Ordering::Relaxed) as f64 / total as f64).min(1.0) as f32
    }
}

/// What an import did (or, with `--check`, would do).
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub file: String,
    /// The format as read: "CSV, GBK/GB18030", "Excel (.xlsx), sheet 工单" …
    pub encoding: String,
    /// The coordinate system converted from, and how it was decided.
    pub crs: Option<(String, Bilingual)>,
    /// The mapping used, when the columns were not HeatDesk's own.
    pub mapping: Option<Mapping>,
    /// Rows set aside (`--skip-unmatched`), and the file they were written to.
    pub set_aside: usize,
    pub set_aside_file: Option<std::path::PathBuf>,
    /// Buildings given the nearest station (the file named none).
    pub nearest_station: usize,
    /// The rows set aside: where, their cells, why.
    pub set_aside_rows: Vec<(Loc, Vec<String>, Bilingual)>,
    pub rows: usize,
    pub inserted: usize,
    pub updated: usize,
    /// Columns that are no field of the kind.
    pub ignored: Vec<String>,
    pub network: Option<NetworkReport>,
    /// False for a dry run.
    pub written: bool,
}

/// Why nothing was imported.
#[derive(Debug, Clone)]
pub struct Failure {
    pub file: String,
    pub problems: Vec<Problem>,
    pub total: usize,
    /// The mapping the file was read with, when its columns were not HeatDesk's own.
    pub mapping: Option<Box<Mapping>>,
}

impl Failure {
    fn whole_file(file: &str, message: Bilingual) -> Failure {
        Failure {
            file: file.to_string(),
            problems: vec![Problem::whole(message)],
            total: 1,
            mapping: None,
        }
    }

    /// A database the import could not start on.
    pub fn database(file: &str, e: &dyn std::error::Error) -> Failure {
        Failure::whole_file(file, bilingual!("database: {e}", "数据库：{e}"))
    }

    /// The headline and one line per problem (each naming the file), in `lang`.
    pub fn lines(&self, lang: Lang) -> Vec<String> {
        let (file, total) = (&self.file, self.total);
        let mut lines = vec![match lang {
            Lang::Zh => format!("{file}：{total} 个问题；未导入任何数据"),
            Lang::En => format!("{file}: {total} problem(s); nothing was imported"),
        }];
        let colon = lang.pick("：", ": ");
        lines.extend(
            self.problems
                .iter()
                .map(|p| format!("  {file}{colon}{}", p.text(lang))),
        );
        if let Some(m) = &self.mapping
            && let Some(kind) = Kind::from_code(&m.kind)
        {
            lines.extend(m.lines(kind, lang));
        }
        if total > self.problems.len() {
            let more = total - self.problems.len();
            lines.push(match lang {
                Lang::Zh => format!("  …… 另有 {more} 个"),
                Lang::En => format!("  … and {more} more"),
            });
        }
        lines
    }
}

/// English, one line after another (logs, errors, `{}`).
fn write_lines(f: &mut fmt::Formatter<'_>, lines: Vec<String>) -> fmt::Result {
    lines.iter().try_for_each(|l| writeln!(f, "{l}"))
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_lines(f, self.lines(Lang::En))
    }
}

impl std::error::Error for Failure {}

impl Report {
    /// The headline and the details (columns not used, the network), in `lang`.
    pub fn lines(&self, lang: Lang) -> Vec<String> {
        let (file, rows, new, updated, encoding) = (
            &self.file,
            self.rows,
            self.inserted,
            self.updated,
            &self.encoding,
        );
        let zh = lang == Lang::Zh;
        let mut lines = vec![match (zh, self.written) {
            (true, true) => {
                format!("{file}：已导入 {rows} 行，新增 {new}，更新 {updated}（{encoding}）")
            }
            (true, false) => format!(
                "{file}：已检查（未写入）{rows} 行，将新增 {new}，更新 {updated}（{encoding}）"
            ),
            (false, written) => {
                let verb = if written {
                    "imported"
                } else {
                    "checked (nothing written)"
                };
                format!("{file}: {verb}: {rows} row(s), {new} new, {updated} updated ({encoding})")
            }
        }];
        if let Some((name, how)) = &self.crs {
            let how = how.get(lang);
            lines.push(match lang {
                Lang::Zh => format!("  坐标系：{name}（{how}），已转换为 WGS-84"),
                Lang::En => format!("  coordinates: {name} ({how}), converted to WGS-84"),
            });
        }
        if let Some(m) = &self.mapping
            && let Some(kind) = Kind::from_code(&m.kind)
        {
            lines.extend(m.lines(kind, lang));
        }
        if !self.ignored.is_empty() {
            lines.push(match lang {
                Lang::Zh => format!("  未使用的列：{}", self.ignored.join("、")),
                Lang::En => format!("  columns not used: {}", self.ignored.join(", ")),
            });
        }
        if self.nearest_station > 0 {
            let n = self.nearest_station;
            lines.push(match lang {
                Lang::Zh => format!("  {n} 栋楼未给换热站：取了最近的换热站"),
                Lang::En => format!("  {n} building(s) named no station: given the nearest"),
            });
        }
        if self.set_aside > 0 {
            let n = self.set_aside;
            let to = self
                .set_aside_file
                .as_ref()
                .map_or(String::new(), |p| p.display().to_string());
            lines.push(match lang {
                Lang::Zh => format!("  {n} 行未匹配到楼栋，未导入，已写入 {to}"),
                Lang::En => format!("  {n} row(s) matched no building and were set aside in {to}"),
            });
        }
        if let Some(n) = &self.network {
            n.lines(lang, &mut lines);
        }
        lines
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_lines(f, self.lines(Lang::En))
    }
}

/// Import `path` as `options.kind` through `store`.
pub fn import(
    store: &mut dyn DispatchStore,
    path: &Path,
    options: &Options,
    progress: &Progress,
) -> Result<Report, Failure> {
    let shown = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let input = Input::open(path, options.kind, &options.part, &options.columns)
        .map_err(|m| Failure::whole_file(&shown, m))?;
    let (batch, mut report) = build(&*store, &input, options, progress)?;
    // the rows set aside are written before anything is imported: a file that cannot be
    // written stops the import
    if !report.set_aside_rows.is_empty() && !options.check {
        let to = set_aside_path(path);
        write_set_aside(&to, &input.headers, &report.set_aside_rows).map_err(|e| {
            Failure::whole_file(&shown, bilingual!("cannot write {e}", "无法写入：{e}"))
        })?;
        report.set_aside_file = Some(to);
    }
    apply_batch(store, batch, report, &input.file, options)
}

/// Where the rows set aside go: `<name>.unmatched.csv` beside the source.
pub fn set_aside_path(source: &Path) -> std::path::PathBuf {
    let stem = source
        .file_stem()
        .map_or_else(|| "import".into(), |s| s.to_string_lossy().into_owned());
    source.with_file_name(format!("{stem}.unmatched.csv"))
}

/// The rows set aside, as the source had them, with why (UTF-8 with a BOM, for Excel).
fn write_set_aside(
    to: &Path,
    headers: &[String],
    rows: &[(Loc, Vec<String>, Bilingual)],
) -> Result<(), String> {
    let mut out = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    let mut head: Vec<String> = vec!["行号 row".into(), "原因 reason".into()];
    head.extend(headers.iter().cloned());
    out.write_record(&head).map_err(|e| e.to_string())?;
    for (loc, cells, why) in rows {
        let mut rec = vec![loc.text(Lang::Zh), format!("{} / {}", why.zh, why.en)];
        rec.extend(cells.iter().cloned());
        rec.resize(headers.len() + 2, String::new());
        out.write_record(&rec).map_err(|e| e.to_string())?;
    }
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(out.into_inner().map_err(|e| e.to_string())?);
    std::fs::write(to, bytes).map_err(|e| format!("{}: {e}", to.display()))
}

/// Import a file already read.
pub fn import_input(
    store: &mut dyn DispatchStore,
    input: &Input,
    options: &Options,
    progress: &Progress,
) -> Result<Report, Failure> {
    let (batch, report) = build(&*store, input, options, progress)?;
    apply_batch(store, batch, report, &input.file, options)
}

/// The batch applied as one command (or checked, for a dry run).
fn apply_batch(
    store: &mut dyn DispatchStore,
    batch: ImportBatch,
    mut report: Report,
    file: &str,
    options: &Options,
) -> Result<Report, Failure> {
    let origin = Origin {
        actor: options.actor.clone(),
        at: options.now,
    };
    match store.apply(&Command::Import(Box::new(batch)), &origin) {
        Ok(Applied::Import(summary)) => {
            report.written = summary.written;
            Ok(report)
        }
        Ok(_) => unreachable!("an import is applied as an import"),
        Err(e) => Err(Failure::database(file, &e)),
    }
}

/// Read and check every record of `input` against what `store` holds: the batch of rows to
/// apply and the report to give, or every problem found.
pub fn build(
    store: &dyn DispatchStore,
    input: &Input,
    options: &Options,
    progress: &Progress,
) -> Result<(ImportBatch, Report), Failure> {
    progress.total.store(input.size(), Ordering::Relaxed);
    let db = |e: StoreError| Failure::database(&input.file, &e);
    let converter = coordinates(input, options).map_err(|m| Failure::whole_file(&input.file, m))?;
    let mut im = Importer::new(store, options, &input.file, names_places(input)).map_err(db)?;
    let crs = converter
        .as_ref()
        .map(|(c, how)| (c.crs.name(), how.words()));
    im.converter = converter.map(|(c, _)| c);
    let limit = options.limit.unwrap_or(usize::MAX);
    if let Some(rows) = input.rows_hint() {
        // room for every row at once: grown by doubling, the rows took up to twice their size
        im.reserve(rows.min(limit));
    }
    let mut read = 0usize;
    let walked = input.each(|rec| {
        progress.done.store(rec.progress, Ordering::Relaxed);
        im.record(&rec);
        read += 1;
        read < limit
    });
    // a record's progress is where it starts: the last one read is the whole file
    progress
        .done
        .store(progress.total.load(Ordering::Relaxed), Ordering::Relaxed);
    if let Err((loc, message)) = walked {
        im.problems.push(Problem {
            loc: Some(loc),
            field: None,
            message,
        });
    }
    let mut report = Report {
        file: input.file.clone(),
        encoding: input.format.clone(),
        ignored: input.ignored.clone(),
        crs,
        mapping: (options.columns != Columns::Own).then(|| input.mapping.clone()),
        ..Report::default()
    };
    im.link_parents();
    im.unknown_values();
    if im.problems.is_empty() {
        im.finish_network(&mut report);
    }
    if !im.problems.is_empty() {
        return Err(Failure {
            file: input.file.clone(),
            problems: std::mem::take(&mut im.problems.list),
            total: im.problems.total,
            mapping: (options.columns != Columns::Own).then(|| Box::new(input.mapping.clone())),
        });
    }
    report.rows = im.rows;
    report.inserted = im.inserted;
    report.updated = im.updated;
    report.nearest_station = im.nearest_station;
    report.set_aside = im.set_aside.len();
    report.set_aside_rows = std::mem::take(&mut im.set_aside);
    Ok((im.into_batch(), report))
}

/// What the import window shows before anything is imported: how the file was read, what
/// each column is taken for, its first rows as they will be stored, and what stands in the way.
#[derive(Debug, Clone)]
pub struct Preview {
    pub format: String,
    /// A workbook's sheets or a GeoPackage's layers (to choose from).
    pub parts: Vec<String>,
    pub headers: Vec<String>,
    pub mapping: Mapping,
    pub native_geometry: bool,
    /// The first rows' cells as the file has them.
    pub samples: Vec<Vec<String>>,
    /// The first rows as they will be stored.
    pub rows: Vec<PreviewRow>,
    /// Coded fields' values in the first rows that HeatDesk does not know: (field, value,
    /// rows with it).
    pub values: Vec<(String, String, usize)>,
    /// What checking the first rows found.
    pub problems: Vec<Problem>,
    pub crs: Option<(String, Bilingual)>,
}

/// One row as it will be stored.
#[derive(Debug, Clone)]
pub struct PreviewRow {
    pub loc: Loc,
    /// Each field of the kind, as mapped.
    pub fields: Vec<String>,
    /// The building the row names: found (its label), or why not.
    pub place: Option<Result<String, Bilingual>>,
    /// Buildings it may mean, when not found (to pick from).
    pub candidates: Vec<(BuildingId, String)>,
}

/// Rows the preview shows.
pub const PREVIEW_ROWS: usize = 20;

/// Read a file's first rows as `options` say and check them against `store`.
pub fn preview(
    store: &dyn DispatchStore,
    path: &Path,
    options: &Options,
) -> Result<Preview, Failure> {
    let shown = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let whole = |m: Bilingual| Failure::whole_file(&shown, m);
    let input = Input::open(path, options.kind, &options.part, &options.columns).map_err(whole)?;
    let kind = options.kind;
    let samples: Vec<Vec<String>> = input.first_rows(2000).into_iter().map(|(_, r)| r).collect();
    // coded values no code fits (the mapping step lists them, with how many rows)
    let mut values: Vec<(String, String, usize)> = Vec::new();
    for (i, (_, code)) in input.mapping.columns.iter().enumerate() {
        let Some(super::mapping::Target::Field(field)) = super::mapping::Target::parse(code, kind)
        else {
            continue;
        };
        let Some(labels) = super::mapping::coded(kind, &field) else {
            continue;
        };
        let mapped = input.mapping.values.get(&field);
        for r in &samples {
            let v = r.get(i).map_or("", |v| v.trim());
            if v.is_empty() {
                continue;
            }
            if super::mapping::known_value(&labels, v).is_some()
                && mapped.is_none_or(|m| !m.contains_key(v))
            {
                continue;
            }
            match values.iter_mut().find(|(f, x, _)| *f == field && x == v) {
                Some(e) => e.2 += 1,
                None => values.push((field.clone(), v.to_string(), 1)),
            }
        }
    }
    let mut check = options.clone();
    check.check = true;
    check.limit = Some(PREVIEW_ROWS);
    let problems = match build(store, &input, &check, &Progress::default()) {
        Ok(_) => Vec::new(),
        Err(f) => f.problems,
    };
    let crs = coordinates(&input, options)
        .ok()
        .flatten()
        .map(|(c, how)| (c.crs.name(), how.words()));
    let addresses = names_places(&input)
        .then(|| store.load_places().ok())
        .flatten()
        .map(|city| (Addresses::new(&city), city));
    let mut rows = Vec::new();
    let _ = input.each(|rec| {
        let fields = (0..kind.fields().len())
            .map(|f| rec.get(f).to_string())
            .collect();
        let (place, candidates) = match (rec.address(), &addresses) {
            (Some((compound, number)), Some((a, city))) => {
                let picked = options
                    .buildings
                    .iter()
                    .find(|(l, _)| *l == rec.loc)
                    .map(|b| b.1);
                match picked
                    .map(Ok)
                    .unwrap_or_else(|| a.building(compound, number, rec.locality()))
                {
                    Ok(id) => (Some(Ok(city.building_label(id))), Vec::new()),
                    Err(e) => (Some(Err(e)), a.candidates(compound, number, city)),
                }
            }
            _ => (None, Vec::new()),
        };
        rows.push(PreviewRow {
            loc: rec.loc,
            fields,
            place,
            candidates,
        });
        rows.len() < PREVIEW_ROWS
    });
    Ok(Preview {
        format: input.format.clone(),
        parts: super::source::parts(path),
        headers: input.headers.clone(),
        mapping: input.mapping.clone(),
        native_geometry: input.native_geometry,
        samples: samples.into_iter().take(PREVIEW_ROWS).collect(),
        rows,
        values,
        problems,
        crs,
    })
}

/// Whether the file names places instead of giving their ids, or gives places without ids
/// (the city is read to find them, or to find their department).
fn names_places(input: &Input) -> bool {
    use super::mapping::Target;
    input.kind == Kind::Compounds
        || input.mapping.targets(input.kind).iter().any(|t| {
            matches!(
                t,
                Target::Compound | Target::Building | Target::Department | Target::Station
            )
        })
}

/// The coordinate system the file's geometry is converted from, and how it was decided: as
/// given, as the file declares, or as its first coordinates can only be read.
fn coordinates(
    input: &Input,
    options: &Options,
) -> Result<Option<(Converter, CrsSource)>, Bilingual> {
    if input.kind.geometry().is_none() {
        return Ok(None);
    }
    let (crs, how) = match (&options.crs, &input.declared) {
        (Some(c), _) => (c.clone(), CrsSource::Given),
        (None, Some(c)) => (c.clone(), CrsSource::Declared),
        (None, None) => {
            let mut points = Vec::new();
            let _ = input.each(|rec| {
                if let Some(Ok(shape)) = &rec.shape {
                    points.extend(shape.points().take(4).copied());
                }
                points.len() < 40
            });
            (Crs::recognise(&points)?, CrsSource::Recognised)
        }
    };
    Ok(Some((crs.to_wgs84()?, how)))
}

/// The rows read so far, of the one kind being imported.
#[derive(Default)]
pub(super) struct Out {
    pub departments: Vec<Department>,
    pub compounds: Vec<Compound>,
    pub buildings: Vec<Building>,
    pub sources: Vec<HeatSource>,
    pub stations: Vec<Station>,
    pub pipes: Vec<PipeSegment>,
    pub valves: Vec<Valve>,
    pub teams: Vec<Team>,
    pub tickets: Vec<Ticket>,
    pub visits: Vec<Visit>,
    pub readings: Vec<TemperatureReading>,
    pub surveys: Vec<SurveyResponse>,
}

/// The city as it will stand after this file, kept up row by row for the kinds that are part
/// of the network (snapping, turning pipes round, checking what the sources reach).
pub(super) struct Places {
    pub snap: Snapshot,
    nodes: HashMap<NodeId, usize>,
    buildings: HashMap<BuildingId, usize>,
    segments: HashMap<SegmentId, usize>,
}

/// Put `row` in place of the one with its id, or append it.
fn put<T>(rows: &mut Vec<T>, at: &mut HashMap<i64, usize>, id: i64, row: T) {
    match at.get(&id) {
        Some(&i) => rows[i] = row,
        None => {
            at.insert(id, rows.len());
            rows.push(row);
        }
    }
}

impl Places {
    fn new(snap: Snapshot) -> Self {
        let positions =
            |ids: Vec<i64>| ids.into_iter().enumerate().map(|(i, id)| (id, i)).collect();
        Places {
            nodes: positions(snap.nodes.iter().map(|n| n.id).collect()),
            buildings: positions(snap.buildings.iter().map(|b| b.id).collect()),
            segments: positions(snap.segments.iter().map(|s| s.id).collect()),
            snap,
        }
    }

    pub fn node(&self, id: NodeId) -> Option<&NetworkNode> {
        self.nodes.get(&id).map(|&i| &self.snap.nodes[i])
    }

    pub fn put_node(&mut self, node: NetworkNode) {
        put(&mut self.snap.nodes, &mut self.nodes, node.id, node);
    }

    pub fn put_building(&mut self, b: Building) {
        put(&mut self.snap.buildings, &mut self.buildings, b.id, b);
    }

    pub fn put_segment(&mut self, s: PipeSegment) {
        put(&mut self.snap.segments, &mut self.segments, s.id, s);
    }

    pub fn building(&self, id: BuildingId) -> Option<&Building> {
        self.buildings.get(&id).map(|&i| &self.snap.buildings[i])
    }

    pub fn put_source(&mut self, h: HeatSource) {
        match self.snap.sources.iter_mut().find(|s| s.id == h.id) {
            Some(s) => *s = h,
            None => self.snap.sources.push(h),
        }
    }

    pub fn put_station(&mut self, h: Station) {
        match self.snap.stations.iter_mut().find(|s| s.id == h.id) {
            Some(s) => *s = h,
            None => self.snap.stations.push(h),
        }
    }
}

/// The state of one import.
pub(super) struct Importer {
    /// The file's name, for the tickets' trail.
    pub file: String,
    pub options: Options,
    pub problems: Problems,
    ids: HashMap<Table, Ids>,
    /// External ids seen in this file, for duplicates.
    seen: HashMap<String, Loc>,
    pub rows: usize,
    pub inserted: usize,
    pub updated: usize,
    /// Where each row came from, in the order of the rows.
    pub sources: Vec<crate::domain::batch::RowAt>,
    pub out: Out,
    /// Nodes made or moved, in the order first touched.
    nodes_out: Vec<NetworkNode>,
    nodes_at: HashMap<NodeId, usize>,
    /// The city as it will stand (network kinds only).
    pub places: Option<Places>,
    snapper: Option<Snapper>,
    /// Pipes whose nodes came from snapping (to be turned to flow from the sources).
    pub snapped: Vec<SegmentId>,
    pub network: NetworkReport,
    /// Tickets whose parent is named by an id, maybe later in the file: (row, id, loc).
    pub parents: Vec<(usize, String, Loc)>,
    pub rules: Vec<SlaRule>,
    /// Converts the file's coordinates to WGS-84.
    pub converter: Option<Converter>,
    /// The city, when the file names places (network kinds read it as `places`).
    pub city: Option<Snapshot>,
    pub addresses: Option<Addresses>,
    /// Buildings given the nearest station.
    pub nearest_station: usize,
    /// Rows set aside (`--skip-unmatched`): where, their cells, why.
    pub set_aside: Vec<(Loc, Vec<String>, Bilingual)>,
    /// Values of coded fields that map to nothing: (field, value) → the rows.
    pub unknown:
        std::collections::BTreeMap<(usize, String), (&'static super::kind::Field, Vec<Loc>)>,
}

impl Importer {
    fn new(
        store: &dyn DispatchStore,
        options: &Options,
        file: &str,
        names_places: bool,
    ) -> Result<Self, StoreError> {
        use Kind::*;
        let refs: &[Kind] = match options.kind {
            Departments => &[],
            Compounds => &[Departments],
            Buildings => &[Compounds, Stations],
            Sources => &[],
            Stations => &[Departments],
            Pipes => &[],
            Valves => &[Pipes],
            Teams => &[Departments],
            Tickets => &[Buildings, Teams, Pipes],
            Visits => &[Compounds],
            Readings => &[Buildings, Visits],
            Surveys => &[Buildings, Tickets, Visits],
        };
        let mut ids = HashMap::new();
        for &k in refs.iter().chain([&options.kind]) {
            ids.insert(k.table(), Ids::new(k.table(), store.known_ids(k.table())?));
        }
        let network = matches!(
            options.kind,
            Buildings | Sources | Stations | Pipes | Valves
        );
        if network {
            ids.insert(
                Table::Nodes,
                Ids::new(Table::Nodes, store.known_ids(Table::Nodes)?),
            );
        }
        let places = network
            .then(|| store.load_places().map(Places::new))
            .transpose()?;
        let rules = if options.kind == Tickets {
            store.deadline_rules()?
        } else {
            Vec::new()
        };
        Ok(Importer {
            file: file.to_string(),
            options: options.clone(),
            problems: Problems::default(),
            ids,
            seen: HashMap::new(),
            rows: 0,
            inserted: 0,
            updated: 0,
            sources: Vec::new(),
            out: Out::default(),
            nodes_out: Vec::new(),
            nodes_at: HashMap::new(),
            places,
            snapper: None,
            snapped: Vec::new(),
            network: NetworkReport::default(),
            parents: Vec::new(),
            rules,
            converter: None,
            city: None,
            addresses: None,
            nearest_station: 0,
            set_aside: Vec::new(),
            unknown: Default::default(),
        })
        .and_then(|mut im: Importer| {
            if names_places && im.places.is_none() {
                im.city = Some(store.load_places()?);
            }
            Ok(im)
        })
    }

    pub fn ids(&self, kind: Kind) -> &Ids {
        &self.ids[&kind.table()]
    }

    pub fn nodes(&mut self) -> &mut Ids {
        self.ids
            .get_mut(&Table::Nodes)
            .expect("loaded for network kinds")
    }

    /// A row read: its problems counted (a row whose only problem is a place it names that
    /// matches nothing is set aside with `--skip-unmatched`); false when it must not be kept.
    pub fn accept_row(&mut self, row: Row<'_, '_>) -> bool {
        let Row {
            rec,
            found,
            unmatched,
            unknown,
            ..
        } = row;
        let kind = self.options.kind;
        for (field, value) in &unknown {
            let at = kind
                .fields()
                .iter()
                .position(|f| f.name == field.name)
                .unwrap_or(0);
            self.unknown
                .entry((at, value.clone()))
                .or_insert_with(|| (*field, Vec::new()))
                .1
                .push(rec.loc);
        }
        if !unknown.is_empty() {
            // counted per value at the end, and the row not kept
            self.accept(found.into_iter().chain(unmatched).collect());
            return false;
        }
        if !unmatched.is_empty() && found.is_empty() && self.options.skip_unmatched {
            // as if the row were not in the file: its id not given out
            let external = rec.get(0).to_string();
            if let Some(ids) = self.ids.get_mut(&kind.table()) {
                ids.forget(&external);
            }
            self.seen.remove(&external);
            let cells = rec.cells().map(str::to_string).collect();
            self.set_aside
                .push((rec.loc, cells, super::resolve::reason(&unmatched)));
            self.rows -= 1;
            return false;
        }
        self.accept(found.into_iter().chain(unmatched).collect())
    }

    /// Each value of a coded field that maps to nothing, once, with the rows that have it.
    fn unknown_values(&mut self) {
        let kind = self.options.kind;
        for ((_, value), (field, rows)) in std::mem::take(&mut self.unknown) {
            let n = rows.len();
            let shown = |lang: Lang| {
                let mut list: Vec<String> = rows.iter().take(5).map(|l| l.text(lang)).collect();
                if n > 5 {
                    list.push("…".into());
                }
                list.join(lang.pick("、", ", "))
            };
            let (rows_en, rows_zh) = (shown(Lang::En), shown(Lang::Zh));
            let labels = super::mapping::coded(kind, field.name).unwrap_or_default();
            // the codes in English, the Chinese labels in Chinese
            let mut codes: Vec<&str> = labels.iter().map(|(_, c)| *c).collect();
            codes.dedup();
            let choices = codes.join(", ");
            let choices_zh = labels
                .iter()
                .map(|(l, _)| l.as_str())
                .filter(|l| !l.is_ascii())
                .collect::<Vec<_>>()
                .join("、");
            self.problems.push(Problem {
                loc: rows.first().copied(),
                field: Some(field),
                message: bilingual!(
                    "unknown value \"{value}\" in {n} row(s) ({rows_en}); one of: {choices} — or map it (--mapping, the import window)",
                    "无法识别的值“{value}”，共 {n} 行（{rows_zh}）；可选：{choices_zh}——或在对应关系中映射（--mapping、导入窗口）"
                ),
            });
        }
    }

    /// A key (a compound's name, a building's compound and number) seen before in this file:
    /// where first (and the duplicate is a problem).
    pub fn seen_key(&mut self, key: &str, rec: &Record<'_>) -> Option<Loc> {
        if let Some(&first) = self.seen.get(key) {
            let (en, zh) = (first.text(Lang::En), first.text(Lang::Zh));
            self.problems.push(Problem {
                loc: Some(rec.loc),
                field: None,
                message: bilingual!(
                    "the same place again (first at {en})",
                    "同一处重复出现（首次出现在{zh}）"
                ),
            });
            return Some(first);
        }
        self.seen.insert(key.to_string(), rec.loc);
        None
    }

    /// A new row of `kind` without an id of the company's: a provisional id the store numbers.
    pub fn new_row(&mut self, kind: Kind) -> i64 {
        self.ids
            .get_mut(&kind.table())
            .expect("own kind loaded")
            .allocate()
    }

    /// Problems of a row, if any; false when the row must not be kept.
    pub fn accept(&mut self, found: Vec<Problem>) -> bool {
        let ok = found.is_empty();
        for p in found {
            self.problems.push(p);
        }
        ok && self.problems.is_empty()
    }

    /// The row id for this record's external id; a duplicate within the file is a problem.
    pub fn assign(&mut self, rec: &Record<'_>) -> Option<(i64, bool)> {
        let kind = self.options.kind;
        let external = rec.get(0);
        if external.is_empty() {
            self.problems.push(Problem {
                loc: Some(rec.loc),
                field: Some(&kind.fields()[0]),
                message: empty(),
            });
            return None;
        }
        if let Some(first) = self.seen.get(external) {
            let (en, zh) = (first.text(Lang::En), first.text(Lang::Zh));
            self.problems.push(Problem {
                loc: Some(rec.loc),
                field: Some(&kind.fields()[0]),
                message: bilingual!(
                    "duplicate id \"{external}\" (first at {en})",
                    "编号“{external}”重复（首次出现在{zh}）"
                ),
            });
            return None;
        }
        self.seen.insert(external.to_string(), rec.loc);
        let assigned = self
            .ids
            .get_mut(&kind.table())
            .expect("own kind loaded")
            .assign(external);
        Some(assigned)
    }

    /// Room for `rows` rows of the kind being imported.
    fn reserve(&mut self, rows: usize) {
        let out = &mut self.out;
        match self.options.kind {
            Kind::Departments => out.departments.reserve(rows),
            Kind::Compounds => out.compounds.reserve(rows),
            Kind::Buildings => out.buildings.reserve(rows),
            Kind::Sources => out.sources.reserve(rows),
            Kind::Stations => out.stations.reserve(rows),
            Kind::Pipes => out.pipes.reserve(rows),
            Kind::Valves => out.valves.reserve(rows),
            Kind::Teams => out.teams.reserve(rows),
            Kind::Tickets => out.tickets.reserve(rows),
            Kind::Visits => out.visits.reserve(rows),
            Kind::Readings => out.readings.reserve(rows),
            Kind::Surveys => out.surveys.reserve(rows),
        }
        self.sources.reserve(rows);
    }

    /// A row kept: counted, and where it came from remembered.
    pub fn kept(&mut self, rec: &Record<'_>, new: bool) {
        if new {
            self.inserted += 1;
        } else {
            self.updated += 1;
        }
        self.sources.push(match rec.loc {
            Loc::Row(n) => crate::domain::batch::RowAt::Row(n),
            Loc::Feature(n) => crate::domain::batch::RowAt::Feature(n as u64),
        });
    }

    fn record(&mut self, rec: &Record<'_>) {
        self.rows += 1;
        if let Some(problem) = &rec.problem {
            self.problems.push(Problem {
                loc: Some(rec.loc),
                field: None,
                message: problem.clone(),
            });
            return;
        }
        match self.options.kind {
            Kind::Departments => self.department(rec),
            Kind::Compounds => self.compound(rec),
            Kind::Buildings => self.building(rec),
            Kind::Sources | Kind::Stations => self.plant(rec),
            Kind::Pipes => self.pipe(rec),
            Kind::Valves => self.valve(rec),
            Kind::Teams => self.team(rec),
            Kind::Tickets => self.ticket(rec),
            Kind::Visits => self.visit(rec),
            Kind::Readings => self.reading(rec),
            Kind::Surveys => self.survey(rec),
        }
    }

    /// The city as it will stand (network kinds).
    pub fn places(&mut self) -> &mut Places {
        self.places.as_mut().expect("loaded for network kinds")
    }

    /// The snapper over the network as it stands (built on first use).
    pub fn snapper(&mut self) -> &mut Snapper {
        if self.snapper.is_none() {
            let snapper = Snapper::new(&self.places().snap);
            self.snapper = Some(snapper);
        }
        self.snapper.as_mut().expect("just built")
    }

    /// A network node of its own for a source, station or building entry: the one the file
    /// names, the row's current one, or a new one.
    pub fn own_node(
        &mut self,
        external: &str,
        current: Option<NodeId>,
        kind: NodeKind,
        position: LonLat,
    ) -> NodeId {
        let id = if !external.is_empty() {
            self.nodes().assign(external).0
        } else if let Some(id) = current {
            id
        } else {
            self.nodes().allocate()
        };
        self.put_node(NetworkNode { id, kind, position });
        id
    }

    /// A node made or moved by this file.
    pub fn put_node(&mut self, node: NetworkNode) {
        if let Some(s) = self.snapper.as_mut() {
            s.add_node(node.id, node.position);
        }
        self.places().put_node(node.clone());
        put(&mut self.nodes_out, &mut self.nodes_at, node.id, node);
    }

    /// A pipe end: the node the file names (a junction if new), else snapped.
    pub fn pipe_end(&mut self, external: &str, at: LonLat, supply: bool) -> NodeId {
        if !external.is_empty() {
            let (id, new) = self.nodes().assign(external);
            if new {
                self.put_node(NetworkNode {
                    id,
                    kind: NodeKind::Junction,
                    position: at,
                });
            } else if supply
                && let Some(node) = self.places().node(id).cloned()
                && node.kind == NodeKind::BuildingEntry
            {
                // a building's entry is where its supply pipe ends, not the footprint's centre
                self.put_node(NetworkNode {
                    position: at,
                    ..node
                });
            }
            return id;
        }
        let tolerance = self.options.snap_m;
        let snapper = self.snapper();
        if let Some(node) = snapper
            .building_at(at)
            .or_else(|| snapper.nearest_node(at, tolerance))
        {
            self.network.snapped_ends += 1;
            return node;
        }
        let id = self.nodes().allocate();
        self.put_node(NetworkNode {
            id,
            kind: NodeKind::Junction,
            position: at,
        });
        self.network.new_junctions += 1;
        id
    }

    /// Link tickets to network tickets named anywhere in the file or the database.
    fn link_parents(&mut self) {
        let parents = std::mem::take(&mut self.parents);
        let field = &Kind::Tickets.fields()[Kind::Tickets.field("parent_id")];
        for (row, external, loc) in parents {
            let id = self.out.tickets[row].id;
            match self.ids(Kind::Tickets).find(&external) {
                Some(parent) if parent != id => self.out.tickets[row].parent_id = Some(parent),
                found => self.problems.push(Problem {
                    loc: Some(loc),
                    field: Some(field),
                    message: if found.is_some() {
                        bilingual!(
                            "a ticket cannot be its own network ticket",
                            "工单不能是自己的管网工单"
                        )
                    } else {
                        bilingual!(
                            "no ticket with id \"{external}\"",
                            "没有编号为“{external}”的工单"
                        )
                    },
                }),
            }
        }
    }

    /// After the last record of a network kind: snapped pipes turned to flow from the
    /// sources, and the network as it will stand checked.
    fn finish_network(&mut self, report: &mut Report) {
        let Some(places) = self.places.as_mut() else {
            return;
        };
        let snap = &mut places.snap;
        if snap.segments.is_empty() {
            return;
        }
        snap.reindex();
        let turn = network::to_reverse(snap, &self.snapped);
        let mut at: HashMap<SegmentId, usize> = self
            .out
            .pipes
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id, i))
            .collect();
        for &id in &turn {
            // turned round in the rows written and in the places the check below walks
            for s in [
                snap.segment_pos(id).map(|i| &mut snap.segments[i]),
                at.get_mut(&id).map(|i| &mut self.out.pipes[*i]),
            ]
            .into_iter()
            .flatten()
            {
                std::mem::swap(&mut s.from, &mut s.to);
                s.path.reverse();
            }
        }
        self.network.reversed = turn.len();
        self.network.segments = snap.segments.len();
        network::check(snap, &mut self.network);
        report.network = Some(std::mem::take(&mut self.network));
    }

    /// The rows read, as one command.
    fn into_batch(mut self) -> ImportBatch {
        let out = std::mem::take(&mut self.out);
        let rows = match self.options.kind {
            Kind::Departments => Rows::Departments(out.departments),
            Kind::Compounds => Rows::Compounds(out.compounds),
            Kind::Buildings => Rows::Buildings(out.buildings),
            Kind::Sources => Rows::Sources(out.sources),
            Kind::Stations => Rows::Stations(out.stations),
            Kind::Pipes => Rows::Pipes(out.pipes),
            Kind::Valves => Rows::Valves(out.valves),
            Kind::Teams => Rows::Teams(out.teams),
            Kind::Tickets => Rows::Tickets(out.tickets),
            Kind::Visits => Rows::Visits(out.visits),
            Kind::Readings => Rows::Readings(out.readings),
            Kind::Surveys => Rows::Surveys(out.surveys),
        };
        let mut external_ids = Vec::new();
        for ids in self.ids.values_mut() {
            external_ids.extend(ids.take_fresh());
        }
        // provisional ids are resolved in the order written: nodes, then the rows
        external_ids.sort_by_key(|e| e.table != Table::Nodes);
        ImportBatch {
            file: self.file,
            rows,
            sources: self.sources,
            nodes: self.nodes_out,
            external_ids,
            inserted: self.inserted,
            updated: self.updated,
            dry_run: self.options.check,
        }
    }
}
