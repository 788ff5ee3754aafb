//! 导入数据: a file of one kind into the database, on a worker thread with a progress bar.
//! A file dropped on the window opens it with the path filled in and the kind guessed.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};

use egui::RichText;

use super::app::{HeatDeskApp, Notice};
use crate::exchange::{self, Failure, Kind, Progress, Report};
use crate::words::{self, Key, Lang};

/// An import running on its worker: how far it is, and where its outcome will arrive.
type Running = (Arc<Progress>, Receiver<Result<Report, Failure>>);

/// The import window's state.
#[derive(Default)]
pub struct ImportForm {
    pub open: bool,
    pub kind: Option<Kind>,
    pub path: String,
    pub gcj02: bool,
    running: Option<Running>,
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
    /// Start importing the form's file (a dry run when `check`).
    pub fn start_import(&mut self, check: bool) {
        let Some(kind) = self.import.kind else {
            return;
        };
        let mut options = exchange::Options::new(kind, self.now());
        options.check = check;
        options.gcj02 = self.import.gcj02;
        options.actor = self.prefs.operator.clone();
        let file = PathBuf::from(self.import.path.trim());
        let progress = Arc::new(Progress::default());
        let (tx, rx) = channel();
        let shared = progress.clone();
        // a second handle on the store: the file is read and applied on a worker, through the
        // same one write path as every command
        let store = self.console.another_store();
        let location = self.console.location().to_string();
        std::thread::spawn(move || {
            let result = store
                .map_err(|e| Failure::database(&location, &e))
                .and_then(|mut store| exchange::import(&mut *store, &file, &options, &shared));
            let _ = tx.send(result);
        });
        self.import.outcome = None;
        self.import.running = Some((progress, rx));
    }

    /// A finished import's outcome; the console reloads at its next poll.
    fn finish_import(&mut self) {
        let Some((_, rx)) = &self.import.running else {
            return;
        };
        let Ok(result) = rx.try_recv() else { return };
        self.import.running = None;
        if let Ok(report) = &result
            && report.written
        {
            self.notice = Some(Notice {
                ok: true,
                text: format!(
                    "{}: {} {} / {} {}",
                    self.tr(Key::ImportDone),
                    report.inserted,
                    self.tr(Key::ImportNew),
                    report.updated,
                    self.tr(Key::ImportUpdated)
                ),
            });
            self.console.push(crate::console::Request::PollNow);
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
        app.import.kind = guess_kind(&path).or(app.import.kind);
        app.import.path = path.display().to_string();
        app.import.outcome = None;
        app.import.open = true;
    }
    app.finish_import();
    if !app.import.open {
        return;
    }
    let lang = app.lang();
    let tr = |k| words::t(lang, k);
    let mut open = true;
    let mut start = None;
    egui::Window::new(tr(Key::ImportTitle))
        .open(&mut open)
        .default_width(560.0)
        .show(ctx, |ui| {
            let form = &mut app.import;
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
            ui.horizontal(|ui| {
                ui.label(tr(Key::ImportFile));
                let typed = ui.add(
                    egui::TextEdit::singleline(&mut form.path)
                        .hint_text(tr(Key::ImportDropHint))
                        .desired_width(420.0),
                );
                if typed.changed() && form.kind.is_none() {
                    form.kind = guess_kind(Path::new(form.path.trim()));
                }
            });
            ui.checkbox(&mut form.gcj02, tr(Key::ImportGcj02));
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
            if let Some((progress, _)) = &form.running {
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
        });
    if let Some(check) = start {
        app.start_import(check);
    }
    if !open && !app.import.running() {
        app.import.open = false;
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
            .max_height(260.0)
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
        .max_height(300.0)
        .show(ui, |ui| {
            for line in details {
                ui.label(RichText::new(line).small());
            }
        });
}
