//! 导入数据: a file of one kind into the database. The file is read on a worker as soon as it
//! and its kind are chosen: what each column is taken for (guessed, or a saved profile for
//! files with these headers), the source's own values mapped to HeatDesk's, and the first rows
//! as they will be stored with their problems — each editable, a building picked by hand for a
//! row that names none. Then checked or imported on a worker with a progress bar. A file
//! dropped on the window opens it with the path filled in and the kind guessed.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use egui::RichText;

use super::app::{HeatDeskApp, Notice};
use crate::console::Request;
use crate::domain::BuildingId;
use crate::exchange::crs::Crs;
use crate::exchange::import::Preview;
use crate::exchange::mapping::{self, Mapping, Target};
use crate::exchange::records::{Columns, Loc};
use crate::exchange::source::Part;
use crate::exchange::{self, Failure, Kind, Progress, Report};
use crate::words::{self, Key, Lang};

/// What a preview was made from: a change reads the file again.
#[derive(Debug, Clone, PartialEq)]
struct PreviewKey {
    kind: Kind,
    path: String,
    part: Option<String>,
    crs: String,
    mapping: Option<Mapping>,
    buildings: Vec<(Loc, BuildingId)>,
}

/// The coordinate systems offered (the rest by EPSG code).
const SYSTEMS: &[(&str, &str, &str)] = &[
    (
        "",
        "自动（按文件声明或坐标识别）",
        "automatic (as the file declares, or its numbers)",
    ),
    ("wgs84", "WGS-84 经纬度", "WGS-84 degrees"),
    ("cgcs2000", "CGCS2000 经纬度", "CGCS2000 degrees"),
    ("gcj02", "GCJ-02（高德、腾讯）", "GCJ-02 (AMap, Tencent)"),
    ("bd09", "BD-09（百度）", "BD-09 (Baidu)"),
    (
        "webmercator",
        "Web 墨卡托（EPSG:3857）",
        "Web Mercator (EPSG:3857)",
    ),
];

/// The import window's state.
#[derive(Default)]
pub struct ImportForm {
    pub open: bool,
    pub kind: Option<Kind>,
    pub path: String,
    /// The coordinate system ("" automatic, a name, or EPSG:NNNN).
    pub crs: String,
    /// A workbook's sheet or a GeoPackage's layer.
    pub part: Option<String>,
    /// Import the rows whose building is found; write the others beside the file.
    pub skip_unmatched: bool,
    /// The department of places the file gives none for (its id).
    pub department: String,
    /// The columns' mapping as edited (None: not read yet, or HeatDesk's own headers).
    pub mapping: Option<Mapping>,
    /// The name it is saved under.
    pub profile_name: String,
    /// Buildings picked by hand for rows.
    pub buildings: Vec<(Loc, BuildingId)>,
    preview: Option<Result<Preview, Failure>>,
    /// The console reads the file for the preview ([`crate::console::Request::Preview`]).
    previewing: bool,
    preview_for: Option<PreviewKey>,
    /// An import the console runs ([`crate::console::Request::Import`]): how far it is.
    running: Option<Arc<Progress>>,
    /// The last run's outcome, shown until the next.
    pub outcome: Option<Result<Report, Failure>>,
    /// Its lines (report details or problems), formatted once per language.
    details: Vec<String>,
    details_lang: Option<Lang>,
}

impl ImportForm {
    pub fn running(&self) -> bool {
        self.running.is_some()
    }

    /// The preview is being read.
    pub fn previewing(&self) -> bool {
        self.previewing
    }

    /// The last preview, when it is in.
    pub fn preview(&self) -> Option<&Result<Preview, Failure>> {
        self.preview.as_ref()
    }

    fn key(&self) -> Option<PreviewKey> {
        let kind = self.kind?;
        let path = self.path.trim();
        if path.is_empty() || !Path::new(path).is_file() {
            return None;
        }
        Some(PreviewKey {
            kind,
            path: path.to_string(),
            part: self.part.clone(),
            crs: self.crs.clone(),
            mapping: self.mapping.clone(),
            buildings: self.buildings.clone(),
        })
    }

    /// A new file or kind: what was made for the last one goes.
    fn reset_reading(&mut self) {
        self.mapping = None;
        self.part = None;
        self.buildings.clear();
        self.preview = None;
        self.preview_for = None;
        self.profile_name.clear();
    }
}

/// The kind a file's name suggests ("buildings.geojson", "楼栋.csv").
pub fn guess_kind(path: &Path) -> Option<Kind> {
    let stem = path.file_stem()?.to_string_lossy().to_lowercase();
    Kind::ALL.iter().copied().find(|&k| {
        stem.contains(k.code())
            || stem.contains(k.name(Lang::Zh))
            || stem.contains(&k.name(Lang::En).to_lowercase())
    })
}

impl HeatDeskApp {
    /// The options the form says.
    fn import_options(&self, kind: Kind) -> Result<exchange::Options, String> {
        let form = &self.import;
        let mut options = exchange::Options::new(kind, self.now());
        options.crs = match form.crs.trim() {
            "" => None,
            text => Some(Crs::parse(text).map_err(|e| e.get(self.lang()).to_string())?),
        };
        options.columns = match &form.mapping {
            Some(m) => Columns::Given(m.clone()),
            None => Columns::Own,
        };
        options.part = Part(form.part.clone());
        options.skip_unmatched = form.skip_unmatched;
        options.department = form.department.trim().parse().ok();
        options.buildings = form.buildings.clone();
        options.actor = self.prefs.operator.clone();
        Ok(options)
    }

    /// Start importing the form's file (a dry run when `check`).
    pub fn start_import(&mut self, check: bool) {
        let Some(kind) = self.import.kind else {
            return;
        };
        let mut options = match self.import_options(kind) {
            Ok(o) => o,
            Err(e) => {
                self.notice = Some(Notice::new(false, e));
                return;
            }
        };
        options.check = check;
        let file = PathBuf::from(self.import.path.trim());
        let progress = Arc::new(Progress::default());
        // the console reads and applies the file on a worker, through the same one write
        // path as every command
        self.console.push(Request::Import {
            file,
            options: Box::new(options),
            progress: progress.clone(),
        });
        self.import.outcome = None;
        self.import.running = Some(progress);
    }

    /// The console read the file for the preview.
    pub(super) fn previewed(&mut self, read: Result<Preview, Failure>) {
        self.import.previewing = false;
        if let Ok(p) = &read {
            self.adopt_mapping(p);
        }
        self.import.preview = Some(read);
    }

    /// Read the file again when what it is read with changed (on the console's worker).
    fn refresh_preview(&mut self) {
        if self.import.previewing {
            return;
        }
        let key = self.import.key();
        if key.is_none() || key == self.import.preview_for || self.import.running() {
            return;
        }
        let Some(key) = key else { return };
        let Ok(mut options) = self.import_options(key.kind) else {
            return;
        };
        if key.mapping.is_none() {
            // not read yet: a profile saved for these headers, else a guess
            options.columns = Columns::Guess;
        }
        self.import.preview_for = Some(key.clone());
        self.console.push(Request::Preview {
            path: PathBuf::from(&key.path),
            options: Box::new(options),
        });
        self.import.previewing = true;
    }

    /// The first reading of a file gives the mapping to edit: a profile saved for these
    /// headers if there is one, else the guess.
    fn adopt_mapping(&mut self, p: &Preview) {
        if self.import.mapping.is_some() {
            return;
        }
        let kind = self.import.kind;
        let profile = self.profiles_dir.as_deref().and_then(|dir| {
            mapping::profiles(dir)
                .into_iter()
                .find(|m| Some(m.kind.as_str()) == kind.map(Kind::code) && m.fits(&p.headers))
        });
        match profile {
            Some(m) => {
                self.import.profile_name = m.name.clone();
                self.import.mapping = Some(m.for_headers(&p.headers));
            }
            None => self.import.mapping = Some(p.mapping.clone()),
        }
        // what it was read with is what is shown: no second reading for the same thing
        if let Some(k) = &mut self.import.preview_for {
            k.mapping = self.import.mapping.clone();
        }
    }

    /// Keep the mapping as a named profile in the data folder.
    fn save_profile(&mut self) {
        let (Some(dir), Some(m)) = (self.profiles_dir.clone(), self.import.mapping.clone()) else {
            return;
        };
        let name = self.import.profile_name.trim().to_string();
        if name.is_empty() {
            return;
        }
        let profile = Mapping {
            name: name.clone(),
            ..m
        };
        let path = mapping::profile_file(&dir, &name);
        self.notice = Some(match profile.save(&path) {
            Ok(()) => Notice::said(true, self.lang(), move |lang| {
                format!(
                    "{} {}",
                    words::t(lang, Key::ImportProfileSaved),
                    path.display()
                )
            }),
            Err(e) => Notice::said(false, self.lang(), move |lang| {
                format!("{}: {e}", words::t(lang, Key::Refused))
            }),
        });
    }

    /// A finished import's outcome (the console takes the rows in at once).
    pub(super) fn imported(&mut self, result: Result<Report, Failure>) {
        self.import.running = None;
        if let Ok(report) = &result
            && report.written
        {
            let (inserted, updated) = (report.inserted, report.updated);
            self.notice = Some(Notice::said(true, self.lang(), move |lang| {
                format!(
                    "{}: {inserted} {} / {updated} {}",
                    words::t(lang, Key::ImportDone),
                    words::t(lang, Key::ImportNew),
                    words::t(lang, Key::ImportUpdated)
                )
            }));
        }
        self.import.outcome = Some(result);
        self.import.details_lang = None;
    }
}

impl ImportForm {
    /// The outcome's lines below its headline, in `lang` (formatted again only when the
    /// language changes, not every frame).
    fn prepare_details(&mut self, lang: Lang) {
        if self.details_lang != Some(lang) {
            self.details = match &self.outcome {
                Some(Ok(report)) => report.lines(lang),
                Some(Err(failure)) => failure.lines(lang),
                None => Vec::new(),
            };
            self.details.drain(..self.details.len().min(1));
            self.details_lang = Some(lang);
        }
    }
}

pub fn show(app: &mut HeatDeskApp, ctx: &egui::Context) {
    let dropped: Option<PathBuf> = ctx.input(|i| {
        i.raw
            .dropped_files
            .first()
            .map(|f| f.path().to_path_buf())
            .filter(|p| !p.as_os_str().is_empty())
    });
    if let Some(path) = dropped
        && !app.import.running()
    {
        app.import.reset_reading();
        app.import.kind = guess_kind(&path).or(app.import.kind);
        app.import.path = path.display().to_string();
        app.import.outcome = None;
        app.import.open = true;
    }
    if !app.import.open {
        return;
    }
    app.refresh_preview();
    if app.import.previewing() {
        ctx.request_repaint_after(std::time::Duration::from_millis(50));
    }
    let lang = app.lang();
    let tr = |k| words::t(lang, k);
    let profiles: Vec<Mapping> = app
        .profiles_dir
        .as_deref()
        .map(mapping::profiles)
        .unwrap_or_default();
    let can_save = app.profiles_dir.is_some();
    let mut open = true;
    let mut start = None;
    let mut save = false;
    egui::Window::new(tr(Key::ImportTitle))
        .open(&mut open)
        .default_size([800.0, 720.0])
        .resizable(true)
        .max_height(ctx.content_rect().height() - 60.0)
        .show(ctx, |ui| {
            let form = &mut app.import;
            let before = (form.kind, form.path.clone());
            ui.horizontal(|ui| {
                egui::ComboBox::new("import_kind", tr(Key::ImportKind))
                    .selected_text(
                        form.kind
                            .map_or(tr(Key::ImportChooseKind), |k| k.name(lang)),
                    )
                    .show_ui(ui, |ui| {
                        for &k in Kind::ALL {
                            ui.selectable_value(&mut form.kind, Some(k), k.name(lang));
                        }
                    });
            });
            ui.horizontal(|ui| {
                let label = ui.label(tr(Key::ImportFile));
                let typed = ui
                    .add(
                        egui::TextEdit::singleline(&mut form.path)
                            .hint_text(tr(Key::ImportDropHint))
                            .desired_width(560.0),
                    )
                    .labelled_by(label.id);
                if typed.changed() && form.kind.is_none() {
                    form.kind = guess_kind(Path::new(form.path.trim()));
                }
            });
            if (form.kind, form.path.clone()) != before {
                form.reset_reading();
            }
            reading_options(ui, form, lang);
            let ready = form.kind.is_some() && !form.path.trim().is_empty() && !form.running();
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(ready, egui::Button::new(tr(Key::ImportCheck)))
                    .clicked()
                {
                    start = Some(true);
                }
                if ui
                    .add_enabled(ready, egui::Button::new(tr(Key::ImportRun)))
                    .clicked()
                {
                    start = Some(false);
                }
            });
            if let Some(progress) = &form.running {
                ui.add(egui::ProgressBar::new(progress.fraction()).show_percentage());
                ui.ctx()
                    .request_repaint_after(std::time::Duration::from_millis(100));
            }
            form.prepare_details(lang);
            match &form.outcome {
                Some(Ok(report)) => outcome_ok(ui, lang, report, &form.details),
                Some(Err(failure)) => outcome_failed(ui, lang, failure, &form.details),
                None => {}
            }
            // below the buttons, which stay where they are while the file is read
            ui.separator();
            egui::ScrollArea::both()
                .id_salt("import_reading")
                .max_height(ui.available_height().max(160.0))
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    read_as(ui, form, lang, &profiles, can_save, &mut save);
                });
        });
    if save {
        app.save_profile();
    }
    if let Some(check) = start {
        app.start_import(check);
    }
    if !open && !app.import.running() {
        app.import.open = false;
    }
}

/// Sheet or layer, coordinate system, and what to do with rows that name no building.
fn reading_options(ui: &mut egui::Ui, form: &mut ImportForm, lang: Lang) {
    let tr = |k| words::t(lang, k);
    let parts = match &form.preview {
        Some(Ok(p)) => p.parts.clone(),
        _ => Vec::new(),
    };
    ui.horizontal_wrapped(|ui| {
        if parts.len() > 1 {
            let shown = form.part.clone().unwrap_or_else(|| parts[0].clone());
            egui::ComboBox::new("import_part", tr(Key::ImportSheet))
                .selected_text(shown)
                .show_ui(ui, |ui| {
                    for p in &parts {
                        if ui
                            .selectable_label(form.part.as_deref() == Some(p), p)
                            .clicked()
                        {
                            form.part = Some(p.clone());
                            form.mapping = None;
                            form.buildings.clear();
                        }
                    }
                });
        }
        let known = SYSTEMS.iter().find(|s| s.0 == form.crs.trim());
        let shown = known.map_or_else(|| form.crs.clone(), |s| lang.pick(s.1, s.2).to_string());
        egui::ComboBox::new("import_crs", tr(Key::ImportCrs))
            .selected_text(shown)
            .show_ui(ui, |ui| {
                for (code, zh, en) in SYSTEMS {
                    ui.selectable_value(&mut form.crs, code.to_string(), lang.pick(zh, en));
                }
            });
        let label = ui.label("EPSG");
        ui.add(
            egui::TextEdit::singleline(&mut form.crs)
                .hint_text("EPSG:4526")
                .desired_width(90.0),
        )
        .labelled_by(label.id);
    });
    ui.horizontal_wrapped(|ui| {
        ui.checkbox(&mut form.skip_unmatched, tr(Key::ImportSkipUnmatched));
        let label = ui.label(tr(Key::ImportDepartment));
        ui.add(egui::TextEdit::singleline(&mut form.department).desired_width(60.0))
            .labelled_by(label.id);
    });
}

/// How the file is read: its columns, its values, its first rows as they will be stored.
fn read_as(
    ui: &mut egui::Ui,
    form: &mut ImportForm,
    lang: Lang,
    profiles: &[Mapping],
    can_save: bool,
    save: &mut bool,
) {
    let tr = |k| words::t(lang, k);
    let Some(kind) = form.kind else { return };
    let preview = match &form.preview {
        Some(Ok(p)) => p.clone(),
        Some(Err(f)) => {
            for line in f.lines(lang) {
                ui.label(
                    RichText::new(line)
                        .small()
                        .color(egui::Color32::from_rgb(200, 50, 40)),
                );
            }
            return;
        }
        None => {
            if form.previewing() {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(tr(Key::ImportReading));
                });
            }
            return;
        }
    };
    let crs = preview
        .crs
        .as_ref()
        .map(|(name, how)| format!(" · {name}（{}）", how.get(lang)))
        .unwrap_or_default();
    ui.label(
        RichText::new(format!("{}{crs}", preview.format))
            .small()
            .weak(),
    );
    let Some(mapping) = form.mapping.as_mut() else {
        return;
    };

    // the profile: the one in use, another, or a new name to save this one under
    ui.horizontal_wrapped(|ui| {
        let fitting: Vec<&Mapping> = profiles.iter().filter(|p| p.kind == kind.code()).collect();
        egui::ComboBox::new("import_profile", tr(Key::ImportProfile))
            .selected_text(if form.profile_name.is_empty() {
                tr(Key::ImportProfileGuess).to_string()
            } else {
                form.profile_name.clone()
            })
            .show_ui(ui, |ui| {
                if ui
                    .selectable_label(false, tr(Key::ImportProfileGuess))
                    .clicked()
                {
                    *mapping = Mapping::guess(
                        kind,
                        &preview.headers,
                        &preview.samples,
                        preview.native_geometry,
                    );
                    form.profile_name.clear();
                }
                for p in fitting {
                    if ui
                        .selectable_label(form.profile_name == p.name, &p.name)
                        .clicked()
                    {
                        *mapping = p.for_headers(&preview.headers);
                        form.profile_name = p.name.clone();
                    }
                }
            });
        let label = ui.label(tr(Key::ImportProfileName));
        ui.add(
            egui::TextEdit::singleline(&mut form.profile_name)
                .hint_text("12345 热线导出")
                .desired_width(160.0),
        )
        .labelled_by(label.id);
        if ui
            .add_enabled(
                can_save && !form.profile_name.trim().is_empty(),
                egui::Button::new(tr(Key::ImportSaveProfile)),
            )
            .clicked()
        {
            *save = true;
        }
    });

    // each column: what it is taken for, and what it holds
    ui.strong(tr(Key::ImportColumns));
    let choices = Target::choices(kind, preview.native_geometry);
    egui::Grid::new("import_columns")
        .striped(true)
        .num_columns(3)
        .show(ui, |ui| {
            for (i, (header, code)) in mapping.columns.iter_mut().enumerate() {
                ui.label(header.as_str());
                let current = Target::parse(code, kind).unwrap_or(Target::Ignore);
                egui::ComboBox::new(("import_column", i), "")
                    .width(230.0)
                    .selected_text(current.label(kind, lang))
                    .show_ui(ui, |ui| {
                        for t in &choices {
                            if ui
                                .selectable_label(*t == current, t.label(kind, lang))
                                .clicked()
                            {
                                *code = t.code();
                            }
                        }
                    });
                let examples: Vec<&str> = preview
                    .samples
                    .iter()
                    .filter_map(|r| r.get(i).map(String::as_str))
                    .filter(|v| !v.is_empty())
                    .take(3)
                    .collect();
                ui.label(RichText::new(examples.join(" · ")).small().weak());
                ui.end_row();
            }
        });

    // the source's own codes: mapped to HeatDesk's, or left (the import names them)
    if !preview.values.is_empty() {
        ui.strong(tr(Key::ImportValues));
        egui::Grid::new("import_values")
            .num_columns(2)
            .show(ui, |ui| {
                for (field, value, count) in &preview.values {
                    let name = kind.fields().iter().find(|f| f.name == field).map_or(
                        field.as_str(),
                        |f| if lang == Lang::Zh { f.zh } else { f.name },
                    );
                    ui.label(format!("{name}: {value} ×{count}"));
                    let labels = mapping::coded(kind, field).unwrap_or_default();
                    let mut codes: Vec<&str> = labels.iter().map(|(_, c)| *c).collect();
                    codes.dedup();
                    let current = mapping
                        .values
                        .get(field)
                        .and_then(|m| m.get(value))
                        .cloned();
                    let label_of = |c: &str| {
                        labels
                            .iter()
                            .filter(|(_, x)| *x == c)
                            .map(|(l, _)| l.as_str())
                            .find(|l| {
                                if lang == Lang::Zh {
                                    !l.is_ascii()
                                } else {
                                    l.is_ascii() && *l != c
                                }
                            })
                            .unwrap_or(c)
                            .to_string()
                    };
                    egui::ComboBox::new(("import_value", field.as_str(), value.as_str()), "")
                        .selected_text(
                            current
                                .as_deref()
                                .map_or(tr(Key::ImportUnmapped).to_string(), label_of),
                        )
                        .show_ui(ui, |ui| {
                            if ui
                                .selectable_label(current.is_none(), tr(Key::ImportUnmapped))
                                .clicked()
                                && let Some(m) = mapping.values.get_mut(field)
                            {
                                m.remove(value);
                            }
                            for c in codes {
                                if ui
                                    .selectable_label(current.as_deref() == Some(c), label_of(c))
                                    .clicked()
                                {
                                    mapping
                                        .values
                                        .entry(field.clone())
                                        .or_default()
                                        .insert(value.clone(), c.to_string());
                                }
                            }
                        });
                    ui.end_row();
                }
            });
    }

    // the first rows as they will be stored
    ui.strong(format!(
        "{} ({})",
        tr(Key::ImportPreview),
        preview.rows.len()
    ));
    let targets = mapping.targets(kind);
    let mut shown: Vec<usize> = targets
        .iter()
        .filter_map(|t| match t {
            Target::Field(f) => kind.fields().iter().position(|x| x.name == f),
            _ => None,
        })
        .take(5)
        .collect();
    // the address detail made of 单元 and 房号
    if targets
        .iter()
        .any(|t| matches!(t, Target::Unit | Target::Room))
        && let Some(i) = kind
            .fields()
            .iter()
            .position(|f| f.name == "address_detail")
    {
        shown.push(i);
    }
    egui::Grid::new("import_preview")
        .striped(true)
        .num_columns(shown.len() + 3)
        .show(ui, |ui| {
            ui.label(RichText::new(tr(Key::ImportRow)).small().strong());
            for &f in &shown {
                ui.label(RichText::new(kind.fields()[f].shown(lang)).small().strong());
            }
            ui.label(RichText::new(tr(Key::ImportPlace)).small().strong());
            ui.label(RichText::new(tr(Key::ImportRowProblems)).small().strong());
            ui.end_row();
            for row in &preview.rows {
                ui.label(RichText::new(row.loc.text(lang)).small());
                for &f in &shown {
                    let value = row.fields.get(f).map_or("", String::as_str);
                    // a code as the reader says it (leak: 漏水/爆管)
                    let said = mapping::coded(kind, kind.fields()[f].name)
                        .and_then(|labels| {
                            labels
                                .iter()
                                .filter(|(_, c)| *c == value)
                                .map(|(l, _)| l.clone())
                                .find(|l| (lang == Lang::Zh) != l.is_ascii() && l != value)
                        })
                        .unwrap_or_else(|| value.to_string());
                    ui.label(RichText::new(said).small());
                }
                match &row.place {
                    Some(Ok(label)) => {
                        ui.label(RichText::new(label).small());
                    }
                    Some(Err(_)) if !row.candidates.is_empty() => {
                        ui.menu_button(RichText::new(tr(Key::ImportPick)).small(), |ui| {
                            egui::ScrollArea::vertical()
                                .max_height(300.0)
                                .show(ui, |ui| {
                                    for (id, label) in &row.candidates {
                                        if ui.button(label).clicked() {
                                            form.buildings.retain(|(l, _)| *l != row.loc);
                                            form.buildings.push((row.loc, *id));
                                        }
                                    }
                                });
                        });
                    }
                    _ => {
                        ui.label("");
                    }
                }
                let mut said: Vec<String> = preview
                    .problems
                    .iter()
                    .filter(|p| p.loc == Some(row.loc))
                    .map(|p| p.message.get(lang).to_string())
                    .collect();
                if let Some(Err(e)) = &row.place
                    && said.is_empty()
                {
                    said.push(e.get(lang).to_string());
                }
                ui.label(
                    RichText::new(said.join("；"))
                        .small()
                        .color(egui::Color32::from_rgb(200, 50, 40)),
                );
                ui.end_row();
            }
        });
    let elsewhere = preview.problems.iter().filter(|p| p.loc.is_none()).count();
    if elsewhere > 0 {
        for p in preview.problems.iter().filter(|p| p.loc.is_none()) {
            ui.label(
                RichText::new(p.text(lang))
                    .small()
                    .color(egui::Color32::from_rgb(200, 50, 40)),
            );
        }
    }
}

fn outcome_ok(ui: &mut egui::Ui, lang: Lang, report: &Report, details: &[String]) {
    let tr = |k| words::t(lang, k);
    let head = if report.written {
        Key::ImportDone
    } else {
        Key::ImportChecked
    };
    ui.label(
        RichText::new(format!(
            "{}: {} {} · {} {} · {} {} ({})",
            tr(head),
            report.rows,
            tr(Key::ImportRows),
            report.inserted,
            tr(Key::ImportNew),
            report.updated,
            tr(Key::ImportUpdated),
            report.encoding
        ))
        .color(egui::Color32::from_rgb(40, 140, 60)),
    );
    if !details.is_empty() {
        egui::ScrollArea::vertical()
            .id_salt("import_details")
            .max_height(200.0)
            .show(ui, |ui| {
                for line in details {
                    ui.label(RichText::new(line).small());
                }
            });
    }
}

fn outcome_failed(ui: &mut egui::Ui, lang: Lang, failure: &Failure, details: &[String]) {
    ui.label(
        RichText::new(format!(
            "{}: {} {}",
            words::t(lang, Key::ImportFailed),
            failure.total,
            words::t(lang, Key::ImportProblems)
        ))
        .color(egui::Color32::from_rgb(200, 50, 40)),
    );
    egui::ScrollArea::vertical()
        .id_salt("import_problems")
        .max_height(240.0)
        .show(ui, |ui| {
            for line in details {
                ui.label(RichText::new(line).small());
            }
        });
}
