//! Every character the interface writes has a glyph in the bundled fonts: a missing one shows
//! as a box to the user (and makes egui_kittest panic). Scans the string literals of the UI,
//! map and export sources.

use std::collections::BTreeSet;

fn literals(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = source.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '/' && chars.peek() == Some(&'/') {
            // a comment: not shown to anyone
            for c in chars.by_ref() {
                if c == '\n' {
                    break;
                }
            }
        } else if c == '"' {
            let mut s = String::new();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        chars.next();
                    }
                    '"' => break,
                    c => s.push(c),
                }
            }
            out.push(s);
        } else if c == '\'' {
            // a char literal or a lifetime: skip a quoted char
            let mut look = chars.clone();
            if let (Some(_), Some('\'')) = (look.next(), look.next()) {
                chars.next();
                chars.next();
            }
        }
    }
    out
}

fn sources(dir: &std::path::Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(std::fs::read_to_string(&path).unwrap());
        }
    }
}

#[test]
fn every_character_the_interface_writes_has_a_glyph() {
    let ctx = egui::Context::default();
    heatdesk::ui::install_fonts(&ctx);
    let mut frame = ctx.run_ui(egui::RawInput::default(), |_| {});
    frame.textures_delta.clear();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for part in ["ui", "map", "export", "exchange", "words"] {
        sources(&root.join(part), &mut files);
    }
    let used: BTreeSet<char> = files
        .iter()
        .flat_map(|f| literals(f))
        .flat_map(|s| s.chars().collect::<Vec<_>>())
        .filter(|c| !c.is_ascii() && !c.is_control())
        .collect();
    assert!(used.contains(&'调'), "the scan finds the Chinese strings");
    let font = egui::FontId::proportional(14.0);
    // the check bites: the arrow these fonts lack is reported
    assert!(!ctx.fonts_mut(|f| f.has_glyph(&font, '→')));
    let missing: Vec<char> = used
        .iter()
        .copied()
        .filter(|&c| !ctx.fonts_mut(|f| f.has_glyph(&font, c)))
        .collect();
    assert!(missing.is_empty(), "no glyph for {missing:?}");
}
