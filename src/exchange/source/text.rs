//! CSV and text files: decoded (UTF-8 with or without a BOM, UTF-16 with a BOM, else
//! GB18030/GBK), the header found below any title rows, rows read in place.

use std::path::Path;

use csv::StringRecord;

use super::{Body, Raw, Source, header_row};
use crate::exchange::records::Loc;
use crate::exchange::said::{Said, said};

/// Bytes to text: UTF-8 (with or without a BOM), UTF-16 with a BOM, else GB18030 (GBK).
/// UTF-8 is taken as it is, not copied (a file is never held twice).
pub fn decode(bytes: Vec<u8>) -> Result<(String, &'static str), Said> {
    let bytes = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(_) => {
            let mut b = bytes;
            b.drain(..3);
            return String::from_utf8(b).map(|s| (s, "UTF-8")).map_err(|e| {
                let at = e.utf8_error().valid_up_to() + 3;
                said!(
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

fn decode_other(bytes: &[u8]) -> Result<(String, &'static str), Said> {
    if bytes.starts_with(b"PK\x03\x04") {
        return Err(said!(
            "this is a zip (an Excel workbook?) without .xlsx at the end of its name: rename it",
            "这是压缩包（Excel 工作簿？）但扩展名不是 .xlsx：请改名"
        ));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8(rest.to_vec())
            .map(|s| (s, "UTF-8"))
            .map_err(|e| {
                let at = e.utf8_error().valid_up_to() + 3;
                said!(
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
                return Err(said!("broken UTF-16 text", "UTF-16 文本已损坏"));
            }
            return Ok((text.into_owned(), enc.name()));
        }
    }
    if bytes.contains(&0) {
        return Err(said!(
            "binary content, not a text file",
            "二进制内容，不是文本文件"
        ));
    }
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(said!(
            "neither UTF-8 nor GBK/GB18030 text",
            "既不是 UTF-8 也不是 GBK/GB18030 文本"
        ));
    }
    Ok((text.into_owned(), "GBK/GB18030"))
}

pub(crate) struct Text {
    text: String,
    /// Records before the header (title rows) and the header itself.
    skip: usize,
    /// Columns the header has.
    width: usize,
}

fn reader(text: &str) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(text.as_bytes())
}

pub(super) fn open(path: &Path) -> Result<Source, Said> {
    let bytes = std::fs::read(path).map_err(|e| said!("cannot read: {e}", "无法读取：{e}"))?;
    let (mut text, encoding) = decode(bytes)?;
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    let mut first = Vec::new();
    let mut rd = reader(&text);
    let mut rec = StringRecord::new();
    while first.len() < 30 {
        match rd.read_record(&mut rec) {
            Ok(true) => first.push(rec.iter().map(|c| c.trim().to_string()).collect::<Vec<_>>()),
            Ok(false) => break,
            Err(e) => {
                return Err(said!("unreadable CSV header: {e}", "CSV 表头无法读取：{e}"));
            }
        }
    }
    if first.first().is_some_and(|r| r.len() <= 1) && text.trim_start().starts_with('{') {
        return Err(said!(
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
            text,
            skip: at + 1,
            width,
        }),
    })
}

impl Text {
    pub fn size(&self) -> u64 {
        self.text.len() as u64
    }

    pub fn each(&self, f: &mut dyn FnMut(Raw<'_>) -> bool) -> Result<(), (Loc, Said)> {
        let mut rd = reader(&self.text);
        let mut values = StringRecord::new();
        let mut n = 0usize;
        loop {
            let line = rd.position().line() + 1;
            match rd.read_record(&mut values) {
                Ok(false) => return Ok(()),
                Ok(true) => {}
                Err(e) => {
                    let message = said!("unreadable CSV: {e}", "CSV 无法读取：{e}");
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
                said!(
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
