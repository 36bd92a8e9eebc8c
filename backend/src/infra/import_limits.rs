//! Bounds on imported files (the platform's XLSX/CSV export, the students CSV), checked before
//! any parser builds a table: a few kilobytes can otherwise declare a sheet of billions of
//! cells, a shared-strings table the reader reserves up front, or parts that inflate to
//! gigabytes, and one upload takes the process (and every gate) down.
//!
//! The XLSX check reads the zip's parts as a stream with hard caps and never keeps more than one
//! XML event in memory; only a file within every bound is handed to calamine.

use crate::infra::error::ApiError;
use crate::infra::error::ErrorCode;
use actix_web::http::StatusCode;
use quick_xml::Reader;
use quick_xml::events::Event;
use std::io::{BufReader, Read};

/// Rows of a file, the header included (a large school has a few thousand students).
pub const MAX_ROWS: u64 = 50_000;
/// Columns of a row.
pub const MAX_COLS: u64 = 64;
/// Cells of the rectangle a reader allocates (rows × columns of the used range).
pub const MAX_CELLS: u64 = 1_000_000;
/// Entries of the zip (a workbook has a dozen).
const MAX_ENTRIES: usize = 256;
/// Decompressed bytes of one part, and of all parts.
const MAX_PART_BYTES: u64 = 32 * 1024 * 1024;
const MAX_TOTAL_BYTES: u64 = 64 * 1024 * 1024;
/// Text the cells' shared-string references expand to: the reader copies the string into
/// every cell that refers to it, so one long string referenced a million times is a bomb.
const MAX_TEXT_BYTES: u64 = 64 * 1024 * 1024;

/// 413 `import_too_large`: the file exceeds a bound (never says which value it holds).
pub fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::ImportTooLarge,
        format!("文件过大:最多 {MAX_ROWS} 行、{MAX_COLS} 列,请拆分后分批导入"),
    )
}

#[derive(Debug, PartialEq, Eq)]
pub enum XlsxCheck {
    /// Not a readable workbook.
    Invalid,
    /// Over a bound.
    TooLarge,
}

/// Reads at most `limit` bytes; more is an error instead of a silent cut, so a part whose
/// header understates its size is caught.
struct Capped<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.left = self.left.checked_sub(n as u64).ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::FileTooLarge, "part over its bound")
        })?;
        Ok(n)
    }
}

/// `XFD1048576` (or `$A$1`) → (row, column), both 1-based; out-of-range parts saturate so
/// that they fail the bounds rather than wrap.
fn cell_ref(r: &[u8]) -> Option<(u64, u64)> {
    let r: Vec<u8> = r.iter().copied().filter(|b| *b != b'$').collect();
    let split = r.iter().position(|b| b.is_ascii_digit())?;
    let (letters, digits) = r.split_at(split);
    if letters.is_empty() || !letters.iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let col = letters.iter().fold(0u64, |acc, b| {
        acc.saturating_mul(26)
            .saturating_add(u64::from(b.to_ascii_uppercase() - b'A' + 1))
    });
    let row = digits.iter().fold(0u64, |acc, b| {
        acc.saturating_mul(10).saturating_add(u64::from(b - b'0'))
    });
    Some((row, col))
}

/// What the scan of the parts found.
#[derive(Default)]
struct Shape {
    max_row: u64,
    max_col: u64,
    cells: u64,
    text: u64,
}

impl Shape {
    fn see(&mut self, row: u64, col: u64) -> Result<(), XlsxCheck> {
        self.max_row = self.max_row.max(row);
        self.max_col = self.max_col.max(col);
        if self.max_row > MAX_ROWS
            || self.max_col > MAX_COLS
            || self.max_row.saturating_mul(self.max_col) > MAX_CELLS
        {
            return Err(XlsxCheck::TooLarge);
        }
        Ok(())
    }
}

fn attr(e: &quick_xml::events::BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .map(|a| a.value.into_owned())
}

fn parse_u64(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 19 || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(v).ok()?.parse().ok()
}

/// The length in bytes of each shared string (`<si>`), with the table's declared counts
/// checked: the reader reserves `uniqueCount` entries before reading one.
fn shared_string_lengths(part: impl Read) -> Result<Vec<u64>, XlsxCheck> {
    let mut xml = Reader::from_reader(BufReader::new(part));
    let mut buf = Vec::new();
    let mut lens: Vec<u64> = Vec::new();
    let mut in_si = false;
    loop {
        buf.clear();
        match xml
            .read_event_into(&mut buf)
            .map_err(|_| XlsxCheck::Invalid)?
        {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "sst" => {
                for name in ["count", "uniqueCount"] {
                    if let Some(v) = attr(&e, name)
                        && parse_u64(v.as_bytes()).is_none_or(|n| n > MAX_CELLS)
                    {
                        return Err(XlsxCheck::TooLarge);
                    }
                }
            }
            Event::Start(e) if e.local_name().as_ref() == "si" => {
                in_si = true;
                lens.push(0);
            }
            Event::Empty(e) if e.local_name().as_ref() == "si" => lens.push(0),
            Event::End(e) if e.local_name().as_ref() == "si" => in_si = false,
            Event::Text(t) if in_si => add_len(&mut lens, t.len() as u64),
            Event::CData(t) if in_si => add_len(&mut lens, t.len() as u64),
            // An entity or character reference is at most four bytes of UTF-8.
            Event::GeneralRef(_) if in_si => add_len(&mut lens, 4),
            Event::Eof => break,
            _ => {}
        }
        if lens.len() as u64 > MAX_CELLS {
            return Err(XlsxCheck::TooLarge);
        }
    }
    Ok(lens)
}

fn add_len(lens: &mut [u64], n: u64) {
    if let Some(last) = lens.last_mut() {
        *last = last.saturating_add(n);
    }
}

/// Scans any XML part for worksheet content: the declared dimension, every row and cell
/// position (explicit `r` or implied by order, as the reader places them), and the text
/// that shared-string references expand to.
fn scan_part(part: impl Read, strings: &[u64], shape: &mut Shape) -> Result<(), XlsxCheck> {
    let mut xml = Reader::from_reader(BufReader::new(part));
    let mut buf = Vec::new();
    let (mut row, mut col) = (0u64, 0u64);
    let (mut shared_cell, mut in_v) = (false, false);
    loop {
        buf.clear();
        let ev = xml
            .read_event_into(&mut buf)
            .map_err(|_| XlsxCheck::Invalid)?;
        let (e, is_start) = match ev {
            Event::Start(e) => (e, true),
            Event::Empty(e) => (e, false),
            Event::Text(t) if in_v => {
                let idx = parse_u64(t.as_bytes()).and_then(|i| usize::try_from(i).ok());
                let len = idx.and_then(|i| strings.get(i)).copied().unwrap_or(0);
                shape.text = shape.text.saturating_add(len);
                if shape.text > MAX_TEXT_BYTES {
                    return Err(XlsxCheck::TooLarge);
                }
                continue;
            }
            Event::End(e) => {
                match e.local_name().as_ref() {
                    "v" => in_v = false,
                    "c" => shared_cell = false,
                    _ => {}
                }
                continue;
            }
            Event::Eof => return Ok(()),
            _ => continue,
        };
        match e.local_name().as_ref() {
            "dimension" => {
                let Some(r) = attr(&e, "ref") else { continue };
                for end in r.split(':') {
                    let (rr, cc) = cell_ref(end.as_bytes()).ok_or(XlsxCheck::Invalid)?;
                    shape.see(rr, cc)?;
                }
            }
            "row" => {
                row = match attr(&e, "r") {
                    Some(v) => parse_u64(v.as_bytes()).ok_or(XlsxCheck::TooLarge)?,
                    None => row + 1,
                };
                col = 0;
                shape.see(row, 1)?;
            }
            "c" => {
                match attr(&e, "r") {
                    Some(v) => {
                        let (rr, cc) = cell_ref(v.as_bytes()).ok_or(XlsxCheck::Invalid)?;
                        row = rr;
                        col = cc;
                    }
                    None => col += 1,
                }
                shape.see(row.max(1), col)?;
                shape.cells += 1;
                if shape.cells > MAX_CELLS {
                    return Err(XlsxCheck::TooLarge);
                }
                shared_cell = is_start && attr(&e, "t").is_some_and(|t| t == "s");
            }
            "v" if is_start && shared_cell => in_v = true,
            _ => {}
        }
    }
}

/// Checks an XLSX file against every bound without building any range. Call it before
/// handing the bytes to calamine, off the async workers (it inflates up to 64 MB).
pub fn check_xlsx(bytes: &[u8]) -> Result<(), XlsxCheck> {
    let mut zip =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|_| XlsxCheck::Invalid)?;
    if zip.len() > MAX_ENTRIES {
        return Err(XlsxCheck::TooLarge);
    }
    // The declared sizes first: cheap, and most bombs say what they are.
    let mut declared = 0u64;
    for i in 0..zip.len() {
        let f = zip.by_index_raw(i).map_err(|_| XlsxCheck::Invalid)?;
        if f.size() > MAX_PART_BYTES {
            return Err(XlsxCheck::TooLarge);
        }
        declared = declared.saturating_add(f.size());
    }
    if declared > MAX_TOTAL_BYTES {
        return Err(XlsxCheck::TooLarge);
    }
    // Then what the parts really inflate to, each capped at its declared size.
    let names: Vec<String> = zip
        .file_names()
        .map(|n| n.map(std::borrow::Cow::into_owned))
        .collect::<Result<_, _>>()
        .map_err(|_| XlsxCheck::Invalid)?;
    let is_strings = |n: &str| n.to_ascii_lowercase().ends_with("sharedstrings.xml");
    let mut strings: Vec<u64> = Vec::new();
    for name in names.iter().filter(|n| is_strings(n)) {
        let f = zip.by_name(name).map_err(|_| XlsxCheck::Invalid)?;
        let left = f.size();
        let lens = shared_string_lengths(Capped { inner: f, left })?;
        // Two tables (never in a real workbook): assume the longer string at each index.
        for (i, l) in lens.into_iter().enumerate() {
            match strings.get_mut(i) {
                Some(s) => *s = (*s).max(l),
                None => strings.push(l),
            }
        }
    }
    let mut shape = Shape::default();
    for name in names.iter().filter(|n| !is_strings(n)) {
        let f = zip.by_name(name).map_err(|_| XlsxCheck::Invalid)?;
        let left = f.size();
        let part = Capped { inner: f, left };
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".xml") || lower.ends_with(".rels") {
            scan_part(part, &strings, &mut shape)?;
        } else {
            let mut part = part;
            std::io::copy(&mut part, &mut std::io::sink()).map_err(|_| XlsxCheck::Invalid)?;
        }
    }
    Ok(())
}

/// Bounds a CSV file's shape while it is read: call with each record's 1-based index and
/// field count.
pub fn check_csv_record(index: u64, fields: usize) -> Result<(), ApiError> {
    if index > MAX_ROWS || fields as u64 > MAX_COLS {
        return Err(too_large());
    }
    Ok(())
}

/// Checks a CSV file's shape (rows, fields per row) before it is parsed into owned rows,
/// reusing one record buffer.
pub fn check_csv(bytes: &[u8]) -> Result<(), ApiError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut record = csv::ByteRecord::new();
    let mut index = 0u64;
    // A malformed record ends the check; the parser reports it by line.
    while let Ok(true) = reader.read_byte_record(&mut record) {
        index += 1;
        check_csv_record(index, record.len())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_references() {
        assert_eq!(cell_ref(b"A1"), Some((1, 1)));
        assert_eq!(cell_ref(b"$B$7"), Some((7, 2)));
        assert_eq!(cell_ref(b"XFD1048576"), Some((1_048_576, 16_384)));
        assert_eq!(cell_ref(b"ZZ200000"), Some((200_000, 702)));
        assert_eq!(cell_ref(b"1A"), None);
        assert_eq!(cell_ref(b"A"), None);
        assert!(cell_ref(b"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA99999999999999999999999").is_some());
    }

    #[test]
    fn wide_or_tall_shapes_fail() {
        let mut s = Shape::default();
        assert!(s.see(MAX_ROWS, 4).is_ok());
        assert_eq!(s.see(MAX_ROWS + 1, 1), Err(XlsxCheck::TooLarge));
        let mut s = Shape::default();
        assert_eq!(s.see(1, MAX_COLS + 1), Err(XlsxCheck::TooLarge));
        let mut s = Shape::default();
        assert_eq!(s.see(40_000, 40), Err(XlsxCheck::TooLarge));
    }
}
