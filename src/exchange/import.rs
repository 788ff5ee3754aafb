//! `heatdesk import`: one file of one kind into the database, all of it or nothing.
//!
//! Records are read, checked and written one by one inside a single transaction; the first
//! problem stops the writing but not the checking, so the report lists what is wrong with the
//! whole file (the first 100 problems). Any problem, or `--check`, rolls the transaction back.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use rusqlite::{Connection, Transaction, TransactionBehavior, params};

use super::fields::{Problem, Problems, empty};
use super::ids::Ids;
use super::kind::Kind;
use super::network::{self, NetworkReport, Snapper};
use super::records::{Input, Loc, Record};
use super::said::{Said, said};
use crate::domain::{NodeId, NodeKind, SegmentId, Snapshot, Timestamp};
use crate::store::StoreError;
use crate::store::codec::{encode_path, time_to_sql};
use crate::words::Lang;

#[derive(Debug, Clone)]
pub struct Options {
    pub kind: Kind,
    /// Coordinates are GCJ-02 (AMap, Tencent): convert them to WGS-84.
    pub gcj02: bool,
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
            gcj02: false,
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
    pub encoding: &'static str,
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
}

impl Failure {
    fn whole_file(file: &str, message: Said) -> Failure {
        Failure {
            file: file.to_string(),
            problems: vec![Problem::whole(message)],
            total: 1,
        }
    }

    /// A database the import could not start on.
    pub fn database(file: &str, e: &dyn std::error::Error) -> Failure {
        Failure::whole_file(file, said!("database: {e}", "数据库：{e}"))
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
            self.encoding,
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
        if !self.ignored.is_empty() {
            lines.push(match lang {
                Lang::Zh => format!("  未使用的列：{}", self.ignored.join("、")),
                Lang::En => format!("  columns not used: {}", self.ignored.join(", ")),
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

/// Import `path` as `options.kind` into the database behind `conn`.
pub fn import(
    conn: &mut Connection,
    path: &Path,
    options: &Options,
    progress: &Progress,
) -> Result<Report, Failure> {
    let shown = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let input = Input::read(path, options.kind).map_err(|m| Failure::whole_file(&shown, m))?;
    import_input(conn, &input, options, progress)
}

pub fn import_input(
    conn: &mut Connection,
    input: &Input,
    options: &Options,
    progress: &Progress,
) -> Result<Report, Failure> {
    progress.total.store(input.size(), Ordering::Relaxed);
    // a season of tickets touches more pages than SQLite's default 2 MB cache holds: without
    // room it writes pages out and reads them back within the transaction
    let cache: i64 = conn
        .query_row("PRAGMA cache_size", [], |r| r.get(0))
        .and_then(|cache| {
            conn.pragma_update(None, "cache_size", -256_000)
                .map(|()| cache)
        })
        .map_err(|e| Failure::database(&input.file, &e))?;
    let result = import_in_transaction(conn, input, options, progress);
    let _ = conn.pragma_update(None, "cache_size", cache);
    result
}

fn import_in_transaction(
    conn: &mut Connection,
    input: &Input,
    options: &Options,
    progress: &Progress,
) -> Result<Report, Failure> {
    let db = |e: StoreError| Failure::database(&input.file, &e);
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| db(e.into()))?;
    let mut im = Importer::new(&tx, options, &input.file).map_err(db)?;
    let walked = input.each(|rec| {
        progress.done.store(rec.progress, Ordering::Relaxed);
        im.record(&rec);
        true
    });
    if let Err((loc, message)) = walked {
        im.problems.push(Problem {
            loc: Some(loc),
            field: None,
            message,
        });
    }
    let mut report = Report {
        file: input.file.clone(),
        encoding: input.encoding,
        ignored: input.ignored.clone(),
        ..Report::default()
    };
    if im.problems.is_empty()
        && let Err(e) = im.finish(&mut report)
    {
        im.problems
            .push(Problem::whole(said!("database: {e}", "数据库：{e}")));
    }
    if !im.problems.is_empty() {
        return Err(Failure {
            file: input.file.clone(),
            problems: std::mem::take(&mut im.problems.list),
            total: im.problems.total,
        });
    }
    report.rows = im.rows;
    report.inserted = im.inserted;
    report.updated = im.updated;
    drop(im);
    if options.check {
        return Ok(report); // the transaction is rolled back when dropped
    }
    tx.execute(
        "INSERT INTO audit_events (at, actor, command, detail) VALUES (?1, ?2, 'import', ?3)",
        params![
            time_to_sql(options.now),
            options.actor,
            serde_json::json!({
                "kind": options.kind.code(), "file": input.file, "rows": report.rows,
                "inserted": report.inserted, "updated": report.updated,
            })
            .to_string()
        ],
    )
    .map_err(|e| db(e.into()))?;
    tx.commit().map_err(|e| db(e.into()))?;
    report.written = true;
    Ok(report)
}

/// The state of one import.
pub(super) struct Importer<'t> {
    pub tx: &'t Transaction<'t>,
    /// The file's name, for the tickets' trail.
    pub file: String,
    pub options: Options,
    pub problems: Problems,
    ids: HashMap<&'static str, Ids>,
    /// External ids seen in this file, for duplicates.
    seen: HashMap<String, Loc>,
    pub rows: usize,
    pub inserted: usize,
    pub updated: usize,
    snapper: Option<Snapper>,
    /// Pipes whose nodes came from snapping (to be turned to flow from the sources).
    pub snapped: Vec<SegmentId>,
    pub network: NetworkReport,
    /// Tickets whose parent is named by an id later in the file.
    pub parents: Vec<(i64, String, Loc)>,
    pub rules: Vec<crate::domain::SlaRule>,
}

pub(super) const NODES: &str = "nodes";

impl<'t> Importer<'t> {
    fn new(tx: &'t Transaction<'t>, options: &Options, file: &str) -> Result<Self, StoreError> {
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
            ids.insert(k.code(), Ids::load(tx, k.code(), k.table())?);
        }
        if matches!(options.kind, Buildings | Sources | Stations | Pipes) {
            ids.insert(NODES, Ids::load(tx, NODES, "network_nodes")?);
        }
        let rules = if options.kind == Tickets {
            crate::store::load::rules(tx)?
        } else {
            Vec::new()
        };
        Ok(Importer {
            tx,
            file: file.to_string(),
            options: options.clone(),
            problems: Problems::default(),
            ids,
            seen: HashMap::new(),
            rows: 0,
            inserted: 0,
            updated: 0,
            snapper: None,
            snapped: Vec::new(),
            network: NetworkReport::default(),
            parents: Vec::new(),
            rules,
        })
    }

    pub fn ids(&self, kind: Kind) -> &Ids {
        &self.ids[kind.code()]
    }

    pub fn nodes(&mut self) -> &mut Ids {
        self.ids.get_mut(NODES).expect("loaded for network kinds")
    }

    /// Problems of a row, if any; false when the row must not be written.
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
                message: said!(
                    "duplicate id \"{external}\" (first at {en})",
                    "编号“{external}”重复（首次出现在{zh}）"
                ),
            });
            return None;
        }
        self.seen.insert(external.to_string(), rec.loc);
        let assigned = self
            .ids
            .get_mut(kind.code())
            .expect("own kind loaded")
            .assign(external);
        Some(assigned)
    }

    pub fn counted(&mut self, new: bool) {
        if new {
            self.inserted += 1;
        } else {
            self.updated += 1;
        }
    }

    fn record(&mut self, rec: &Record<'_>) {
        self.rows += 1;
        let written = match self.options.kind {
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
        };
        if let Err(e) = written {
            self.problems.push(Problem {
                loc: Some(rec.loc),
                field: None,
                message: said!("database refused the row: {e}", "数据库拒绝了这一行：{e}"),
            });
        }
    }

    /// The snapper over the network as it stands in the transaction (built on first use).
    pub fn snapper(&mut self) -> Result<&mut Snapper, StoreError> {
        if self.snapper.is_none() {
            let snap = self.places()?;
            self.snapper = Some(Snapper::new(&snap));
        }
        Ok(self.snapper.as_mut().expect("just built"))
    }

    fn places(&self) -> Result<Snapshot, StoreError> {
        let mut snap = crate::store::load::places(self.tx)?;
        snap.reindex();
        Ok(snap)
    }

    /// A network node of its own for a source, station or building entry: the one the file
    /// names, the row's current one, or a new one.
    pub fn own_node(
        &mut self,
        external: &str,
        current: Option<NodeId>,
        kind: NodeKind,
        position: crate::domain::LonLat,
    ) -> Result<NodeId, StoreError> {
        let id = if !external.is_empty() {
            self.nodes().assign(external).0
        } else if let Some(id) = current {
            id
        } else {
            self.nodes().allocate()
        };
        self.put_node(id, kind, position)?;
        Ok(id)
    }

    pub fn put_node(
        &mut self,
        id: NodeId,
        kind: NodeKind,
        position: crate::domain::LonLat,
    ) -> Result<(), StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO network_nodes (id, kind, lon, lat) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, lon = excluded.lon, lat = excluded.lat",
            )?
            .execute(params![id, kind.code(), position[0], position[1]])?;
        if let Some(s) = self.snapper.as_mut() {
            s.add_node(id, position);
        }
        Ok(())
    }

    /// A pipe end: the node the file names (a junction if new), else snapped.
    pub fn pipe_end(
        &mut self,
        external: &str,
        at: crate::domain::LonLat,
        supply: bool,
    ) -> Result<NodeId, StoreError> {
        if !external.is_empty() {
            let (id, new) = self.nodes().assign(external);
            if new {
                self.put_node(id, NodeKind::Junction, at)?;
            } else if supply {
                // a building's entry is where its supply pipe ends, not the footprint's centre
                self.tx
                    .prepare_cached(
                        "UPDATE network_nodes SET lon = ?2, lat = ?3 WHERE id = ?1 AND kind = 'building_entry'",
                    )?
                    .execute(params![id, at[0], at[1]])?;
            }
            return Ok(id);
        }
        let tolerance = self.options.snap_m;
        let snapper = self.snapper()?;
        if let Some(node) = snapper
            .building_at(at)
            .or_else(|| snapper.nearest_node(at, tolerance))
        {
            self.network.snapped_ends += 1;
            return Ok(node);
        }
        let id = self.nodes().allocate();
        self.put_node(id, NodeKind::Junction, at)?;
        self.network.new_junctions += 1;
        Ok(id)
    }

    /// After the last record: references to later rows, the network, the id table.
    fn finish(&mut self, report: &mut Report) -> Result<(), StoreError> {
        self.link_parents()?;
        if !self.problems.is_empty() {
            return Ok(());
        }
        if matches!(
            self.options.kind,
            Kind::Buildings | Kind::Sources | Kind::Stations | Kind::Pipes | Kind::Valves
        ) {
            let mut snap = self.places()?;
            if !snap.segments.is_empty() {
                let turn = network::to_reverse(&snap, &self.snapped);
                for &id in &turn {
                    // turned round in the database and in the places the check below walks
                    let at = snap.segment_pos(id).expect("just loaded");
                    let s = &mut snap.segments[at];
                    std::mem::swap(&mut s.from, &mut s.to);
                    s.path.reverse();
                    self.tx.execute(
                        "UPDATE pipe_segments SET from_node = ?2, to_node = ?3, path = ?4 WHERE id = ?1",
                        params![id, s.from, s.to, encode_path(&s.path)],
                    )?;
                }
                self.network.reversed = turn.len();
                self.network.segments = snap.segments.len();
                network::check(&snap, &mut self.network);
                report.network = Some(std::mem::take(&mut self.network));
            }
        }
        for ids in self.ids.values_mut() {
            ids.save(self.tx)?;
        }
        Ok(())
    }
}
