//! CSV and text files: decoded (UTF-8 with or without a BOM, UTF-16 with a BOM, else
//! GB18030/GBK), the header found below any title rows, rows read in place. A UTF-8 file —
//! the usual one — is read from disk as its rows are, never held whole.

use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

use csv::StringRecord;

use super::{Body, Raw, Source, header_row};
use crate::exchange::bilingual::{Bilingual, bilingual};
use crate::exchange::records::Loc;

/// Bytes to text: UTF-8 (with or without a BOM), UTF-16 with a BOM, else GB18030 (GBK).
/// UTF-8 is taken as it is, not copied (a file is never held twice).
pub fn decode(bytes: Vec<u8>) -> Result<(String, &'static str), Bilingual> {
    let bytes = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(_) => {
            let mut b = bytes;
            b.drain(..3);
            return String::from_utf8(b).map(|s| (s, "UTF-8")).map_err(|e| {
                let at = e.utf8_error().valid_up_to() + 3;
                bilingual!(
                    "starts as UTF-8 but byte {at} is not UTF-8",
                    "以 UTF-8 开头，但第 {at} 字节不是 UTF-8"
                )
            });
        }
        None => bytes,
    };
    let bytes = match String::from_utf8(bytes) {
        Ok(text) if !text.contains('\0') => return Ok((text, "UTF-8")),
        Ok(text) => text.into_bytes(),
        Err(e) => e.into_bytes(),
    };
    decode_other(&bytes)
}

fn decode_other(bytes: &[u8]) -> Result<(String, &'static str), Bilingual> {
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(bilingual!(
            "this is a zip (an Excel workbook?) without .xlsx at the end of its name: rename it",
            "这是压缩包（Excel 工作簿？）但扩展名不是 .xlsx：请改名"
        ));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8(rest.to_vec())
            .map(|s| (s, "UTF-8"))
            .map_err(|e| {
                let at = e.utf8_error().valid_up_to() + 3;
                bilingual!(
                    "starts as UTF-8 but byte {at} is not UTF-8",
                    "以 UTF-8 开头，但第 {at} 字节不是 UTF-8"
                )
            });
    }
    for (bom, enc) in [
        (&b"\xFF\xFE"[..], encoding_rs::UTF_16LE),
        (&b"\xFE\xFF"[..], encoding_rs::UTF_16BE),
    ] {
        if bytes.starts_with(bom) {
            let (text, had_errors) = enc.decode_with_bom_removal(bytes);
            if had_errors {
                return Err(bilingual!("broken UTF-16 text", "UTF-16 文本已损坏"));
            }
            return Ok((text.into_owned(), enc.name()));
        }
    }
    if bytes.contains(&0) {
        return Err(bilingual!(
            "binary content, not a text file",
            "二进制内容，不是文本文件"
        ));
    }
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(bilingual!(
            "neither UTF-8 nor GBK/GB18030 text",
            "既不是 UTF-8 也不是 GBK/GB18030 文本"
        ));
    }
    Ok((text.into_owned(), "GBK/GB18030"))
}

/// Whether a file is UTF-8 throughout (after an optional BOM) with no NUL byte, read once in
/// 64 KB pieces, and then its number of lines: such a file is read as it goes; any other is
/// decoded whole by [`decode`].
fn plain_utf8(path: &Path) -> std::io::Result<Option<u64>> {
    let mut file = std::fs::File::open(path)?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut carry = 0usize;
    let mut first = true;
    let mut lines = 0u64;
    loop {
        let n = file.read(&mut buf[carry..])?;
        if n == 0 {
            // a sequence cut off by the end of the file is not UTF-8
            return Ok((carry == 0).then_some(lines + 1));
        }
        let end = carry + n;
        let mut start = 0;
        if std::mem::take(&mut first) && buf[..end].starts_with(b"\xEF\xBB\xBF") {
            start = 3;
        }
        let piece = &buf[start..end];
        if piece.contains(&0) {
            return Ok(None);
        }
        lines += buf[carry.max(start)..end]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        match std::str::from_utf8(piece) {
            Ok(_) => carry = 0,
            // a character cut by the piece's end: carried into the next piece
            Err(e) if e.error_len().is_none() => {
                let valid = start + e.valid_up_to();
                buf.copy_within(valid..end, 0);
                carry = end - valid;
            }
            Err(_) => return Ok(None),
        }
    }
}

/// Where a text file's characters are read from.
enum Content {
    /// Decoded from another encoding (GBK, UTF-16), held.
    Held(String),
    /// UTF-8 on disk, read as it goes.
    File { path: PathBuf, len: u64 },
}

impl Content {
    /// The characters, from the first (past a BOM).
    fn open(&self) -> std::io::Result<Box<dyn Read + '_>> {
        match self {
            Content::Held(text) => Ok(Box::new(text.as_bytes())),
            Content::File { path, .. } => {
                let mut file = std::fs::File::open(path)?;
                let mut bom = [0u8; 3];
                let n = file.read(&mut bom)?;
                if !(n == 3 && bom == *b"\xEF\xBB\xBF") {
                    file.rewind()?;
                }
                Ok(Box::new(file))
            }
        }
    }

    /// Whether the text's first character past blanks is `{` (JSON named .csv).
    fn starts_like_json(&self) -> bool {
        let mut head = vec![0u8; 4096];
        let n = self.open().and_then(|mut r| r.read(&mut head)).unwrap_or(0);
        String::from_utf8_lossy(&head[..n])
            .trim_start()
            .starts_with('{')
    }
}

pub(crate) struct Text {
    content: Content,
    /// Lines in the file: at least as many as its rows (a text in quotes may span lines).
    lines: u64,
    /// Records before the header (title rows) and the header itself.
    skip: usize,
    /// Columns the header has.
    width: usize,
}

fn reader<R: Read>(from: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(from)
}

pub(super) fn open(path: &Path) -> Result<Source, Bilingual> {
    let cannot = |e: std::io::Error| bilingual!("cannot read: {e}", "无法读取：{e}");
    let (content, encoding, lines) = match plain_utf8(path).map_err(cannot)? {
        Some(lines) => {
            let len = std::fs::metadata(path).map_err(cannot)?.len();
            let path = path.to_path_buf();
            (Content::File { path, len }, "UTF-8", lines)
        }
        None => {
            let bytes = std::fs::read(path).map_err(cannot)?;
            let (mut text, encoding) = decode(bytes)?;
            if text.starts_with('\u{feff}') {
                text.drain(..'\u{feff}'.len_utf8());
            }
            let lines = text.bytes().filter(|b| *b == b'\n').count() as u64 + 1;
            (Content::Held(text), encoding, lines)
        }
    };
    let mut first = Vec::new();
    let mut rd = reader(content.open().map_err(cannot)?);
    let mut rec = StringRecord::new();
    while first.len() < 30 {
        match rd.read_record(&mut rec) {
            Ok(true) => first.push(rec.iter().map(|c| c.trim().to_string()).collect::<Vec<_>>()),
            Ok(false) => break,
            Err(e) => {
                return Err(bilingual!(
                    "unreadable CSV header: {e}",
                    "CSV 表头无法读取：{e}"
                ));
            }
        }
    }
    drop(rd);
    if first.first().is_some_and(|r| r.len() <= 1) && content.starts_like_json() {
        return Err(bilingual!(
            "this is JSON, not CSV: name it .geojson",
            "这是 JSON，不是 CSV：请将扩展名改为 .geojson"
        ));
    }
    let at = header_row(&first);
    let headers: Vec<String> = first.get(at).cloned().unwrap_or_default();
    let width = headers.len();
    Ok(Source {
        file: String::new(),
        format: format!("CSV, {encoding}"),
        headers,
        declared: None,
        geometry: false,
        body: Body::Text(Text {
            content,
            lines,
            skip: at + 1,
            width,
        }),
    })
}

impl Text {
    pub fn size(&self) -> u64 {
        match &self.content {
            Content::Held(text) => text.len() as u64,
            Content::File { len, .. } => *len,
        }
    }

    /// At most this many rows follow the header.
    pub fn rows_hint(&self) -> usize {
        (self.lines as usize).saturating_sub(self.skip)
    }

    pub fn each(&self, f: &mut dyn FnMut(Raw<'_>) -> bool) -> Result<(), (Loc, Bilingual)> {
        let from = self
            .content
            .open()
            .map_err(|e| (Loc::Row(1), bilingual!("cannot read: {e}", "无法读取：{e}")))?;
        let mut rd = reader(from);
        let mut values = StringRecord::new();
        let mut n = 0usize;
        loop {
            let line = rd.position().line() + 1;
            match rd.read_record(&mut values) {
                Ok(false) => return Ok(()),
                Ok(true) => {}
                Err(e) => {
                    let message = bilingual!("unreadable CSV: {e}", "CSV 无法读取：{e}");
                    return Err((Loc::Row(line), message));
                }
            }
            n += 1;
            if n <= self.skip || values.iter().all(|v| v.trim().is_empty()) {
                continue; // title rows, the header, a blank line at the end of an Excel sheet
            }
            let loc = Loc::Row(values.position().map_or(line, |p| p.line()));
            let extra = values.len() > self.width;
            let problem = extra.then(|| {
                let (got, want) = (values.len(), self.width);
                bilingual!(
                    "has {got} fields but the header has {want}: a comma inside a text that is not in quotes?",
                    "有 {got} 个字段而表头只有 {want} 列：文本中有未加引号的逗号？"
                )
            });
            if !f(Raw {
                loc,
                progress: values.position().map_or(0, |p| p.byte()),
                values: &values,
                shape: None,
                problem,
            }) {
                return Ok(());
            }
        }
    }
}
