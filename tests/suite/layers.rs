//! The layers only point down (README, "Architecture"): a module never names one above it,
//! nothing outside the store holds a database connection, and the model knows no egui.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Each top-level module of the library and its layer: a module may use its own layer and
/// those below it, never one above.
const LAYERS: &[(&str, u8)] = &[
    ("domain", 0),
    ("words", 1),
    ("store", 2),
    ("exchange", 3),
    ("export", 3),
    ("demo", 3),
    ("soak", 3),
    ("logging", 3),
    ("console", 4),
    ("map", 5),
    ("serve", 5),
    ("ui", 6),
    ("bench", 7),
];

fn layer(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level modules a source file names through `crate::` (paths and `use` groups).
fn named_modules(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                found.insert(name);
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            found.insert(name);
        }
    }
    found.retain(|n| !n.is_empty());
    found
}

/// Every (file, module it names, why it may not) in the library.
fn upward_imports(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut wrong = Vec::new();
    for file in files {
        let relative = file.strip_prefix(src).unwrap();
        let top = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        // the library's root and the binary's own modules stand above every layer
        let Some(own) = layer(&top) else { continue };
        let text = std::fs::read_to_string(&file).unwrap();
        for named in named_modules(&text) {
            if let Some(theirs) = layer(&named)
                && theirs > own
            {
                wrong.push(format!(
                    "{} (layer {own}) uses crate::{named} (layer {theirs})",
                    relative.display()
                ));
            }
        }
    }
    wrong
}

#[test]
fn no_module_uses_a_layer_above_its_own() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let wrong = upward_imports(&src);
    assert!(wrong.is_empty(), "upward imports:\n{}", wrong.join("\n"));
}

#[test]
fn the_check_itself_catches_an_upward_import() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("store")).unwrap();
    std::fs::write(
        dir.path().join("store/bad.rs"),
        "use crate::{domain::Ticket, ui::HeatDeskApp};\nfn f() { crate::console::recent_since; }",
    )
    .unwrap();
    std::fs::write(dir.path().join("words.rs"), "use crate::domain::Lang;").unwrap();
    let wrong = upward_imports(dir.path());
    assert_eq!(wrong.len(), 2, "{wrong:?}");
    assert!(wrong.iter().any(|w| w.contains("crate::ui")));
    assert!(wrong.iter().any(|w| w.contains("crate::console")));
}

#[test]
fn only_the_store_holds_a_database_connection_and_the_model_knows_no_egui() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    for file in files {
        let relative = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let text = std::fs::read_to_string(&file).unwrap();
        // readers of files whose format is SQLite (MBTiles, GeoPackage) aside
        if !relative.starts_with("store/")
            && !relative.starts_with("map/tiles/")
            && relative != "exchange/source/gpkg.rs"
        {
            assert!(
                !(text.contains("rusqlite::") || text.contains("use rusqlite")),
                "{relative} talks to a database itself"
            );
        }
        let model = [
            "domain/",
            "words/",
            "store/",
            "exchange/",
            "export/",
            "console/",
        ];
        if model.iter().any(|m| relative.starts_with(m)) {
            assert!(
                !(text.contains("egui::") || text.contains("use egui")),
                "{relative} uses egui"
            );
        }
    }
}
