//! Structured logs (JSON lines, one file a day, two weeks kept) in the data folder, and a
//! crash report there when the console panics — with any form that was being typed, since
//! everything already confirmed is committed in the database.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tracing_appender::rolling::{Builder, Rotation};

/// Keep this alive while the program runs: dropping it flushes the log.
pub struct LogGuard(pub tracing_appender::non_blocking::WorkerGuard);

/// The form being typed (intake, visit), kept for the crash report.
static DRAFT: Mutex<Option<String>> = Mutex::new(None);

/// Remember what the user is typing but has not saved (None: no form open).
pub fn remember_draft(draft: Option<String>) {
    if let Ok(mut d) = DRAFT.lock() {
        *d = draft;
    }
}

/// Log to `dir/heatdesk.YYYY-MM-DD.log` and write crash reports into `dir`.
pub fn init(dir: &Path) -> anyhow::Result<LogGuard> {
    std::fs::create_dir_all(dir)?;
    let appender = Builder::new()
        .rotation(Rotation::DAILY)
        .filename_prefix("heatdesk")
        .filename_suffix("log")
        .max_log_files(14)
        .build(dir)?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let _ = tracing_subscriber::fmt()
        .json()
        .with_writer(writer)
        .with_max_level(tracing::Level::INFO)
        .try_init();
    install_crash_reports(dir.to_path_buf());
    Ok(LogGuard(guard))
}

fn install_crash_reports(dir: PathBuf) {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let path = crash_report(&dir, &info.to_string());
        tracing::error!(panic = %info, report = %path.display(), "the console crashed");
        eprintln!("heatdesk: crashed; report written to {}", path.display());
        previous(info);
    }));
}

/// Write a crash report; returns its path.
pub fn crash_report(dir: &Path, what: &str) -> PathBuf {
    let now = chrono::Local::now();
    let path = dir.join(format!("crash-{}.txt", now.format("%Y%m%d-%H%M%S")));
    let draft = DRAFT.lock().ok().and_then(|d| d.clone());
    let report = format!(
        "HeatDesk {} crashed at {}\n\n{what}\n\nEvery change confirmed on screen was committed to the database before it was shown.\n{}\n\nBacktrace:\n{}\n",
        env!("CARGO_PKG_VERSION"),
        now.format("%Y-%m-%d %H:%M:%S"),
        match draft {
            Some(d) =>
                format!("A form was being typed and not yet saved; here it is to retype:\n{d}"),
            None => "No form was open.".to_string(),
        },
        std::backtrace::Backtrace::force_capture()
    );
    if let Ok(mut f) = std::fs::File::create(&path) {
        let _ = f.write_all(report.as_bytes());
        let _ = f.sync_all();
    }
    path
}
