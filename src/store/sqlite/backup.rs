//! Backups: SQLite's online backup (a consistent copy while consoles keep writing), rotated
//! in a folder, and a restore that always keeps the current file aside first.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::NaiveDateTime;
use rusqlite::{Connection, OpenFlags};

use super::{StoreError, identify, remove_database};

const PREFIX: &str = "heatdesk-";

fn io(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::File {
        path: path.display().to_string(),
        kind: e.kind(),
        detail: e.to_string(),
    }
}

/// Copy the database at `from` to the new file `to` while others may be writing, and check the
/// copy: it must be a HeatDesk database that passes `PRAGMA quick_check`. Never overwrites.
pub fn backup(from: &Path, to: &Path) -> Result<(), StoreError> {
    identify(from)?;
    if to.exists() {
        return Err(StoreError::Exists {
            path: to.display().to_string(),
        });
    }
    let partial = to.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    {
        let src = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        src.busy_timeout(Duration::from_secs(5))?;
        let mut dst = Connection::open(&partial)?;
        let copy = rusqlite::backup::Backup::new(&src, &mut dst)?;
        // a few MB at a time, letting writers in between
        copy.run_to_completion(1024, Duration::from_millis(5), None)?;
    }
    verify(&partial)?;
    std::fs::rename(&partial, to).map_err(|e| io(to, e))?;
    Ok(())
}

/// A backup opens and is whole.
pub fn verify(path: &Path) -> Result<(), StoreError> {
    identify(path)?;
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let check: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    if check != "ok" {
        return Err(StoreError::Corrupt {
            path: path.display().to_string(),
            detail: check,
        });
    }
    Ok(())
}

/// The backups in `dir`, oldest first.
pub fn list(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "db")
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(PREFIX))
        })
        .collect();
    // the names carry the time: sorting them sorts by age
    found.sort();
    found
}

/// Back up into `dir` as `heatdesk-YYYYMMDD-HHMMSS.db`, then delete the oldest beyond `keep`.
pub fn rotating(
    db: &Path,
    dir: &Path,
    keep: usize,
    now: NaiveDateTime,
) -> Result<PathBuf, StoreError> {
    std::fs::create_dir_all(dir).map_err(|e| match e.kind() {
        // a file where the folder should be: said as such, not as "exists"
        std::io::ErrorKind::AlreadyExists if !dir.is_dir() => {
            io(dir, std::io::ErrorKind::NotADirectory.into())
        }
        _ => io(dir, e),
    })?;
    let mut to = dir.join(format!("{PREFIX}{}.db", now.format("%Y%m%d-%H%M%S")));
    let mut n = 1;
    while to.exists() {
        n += 1;
        to = dir.join(format!("{PREFIX}{}-{n}.db", now.format("%Y%m%d-%H%M%S")));
    }
    backup(db, &to)?;
    let all = list(dir);
    for old in all.iter().take(all.len().saturating_sub(keep.max(1))) {
        let _ = std::fs::remove_file(old);
    }
    Ok(to)
}

/// Put the backup `from` in place of `db`. The current file is first copied aside (online
/// backup, so its write-ahead log comes along) as `<db>.before-restore-<time>`; that path is
/// returned. A backup that does not open and check out is refused and nothing changes.
/// Close the consoles on `db` first.
pub fn restore(db: &Path, from: &Path, now: NaiveDateTime) -> Result<PathBuf, StoreError> {
    verify(from)?;
    let name = db
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("heatdesk.db");
    let aside = db.with_file_name(format!(
        "{name}.before-restore-{}",
        now.format("%Y%m%d-%H%M%S")
    ));
    if db.exists() {
        backup(db, &aside)?;
    }
    // copied through SQLite's backup, as every copy of a database is: a plain file copy opens
    // and closes a descriptor of its own, which drops the locks of any connection to that file
    // this process holds
    let incoming = db.with_extension("restoring");
    remove_database(&incoming);
    backup(from, &incoming)?;
    for suffix in ["-wal", "-shm"] {
        let mut side = db.as_os_str().to_owned();
        side.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(side));
    }
    std::fs::rename(&incoming, db).map_err(|e| io(db, e))?;
    Ok(aside)
}
