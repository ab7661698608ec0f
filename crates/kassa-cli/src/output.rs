//! Everything the CLI prints: aligned text tables, JSON, and errors.

use std::io::Write;

use kassa_app::{ApiError, AppError};
use serde::Serialize;

/// Writes `text` to stdout. A closed pipe (`kassa store list | head -1`) is not an error.
pub fn print(text: &str) -> Result<(), AppError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(AppError::Internal(format!("could not write the output: {e}"))),
    }
}

pub fn line(text: impl AsRef<str>) -> Result<(), AppError> {
    print(&format!("{}\n", text.as_ref()))
}

/// Pretty JSON of a record or list, as the kassa-app types serialize it (camelCase).
pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<(), AppError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| AppError::Internal(format!("could not encode JSON: {e}")))?;
    line(text)
}

/// Either the record as JSON or a one-line confirmation.
pub fn record<T: Serialize>(json_mode: bool, value: &T, text: impl AsRef<str>) -> Result<(), AppError> {
    if json_mode { json(value) } else { line(text) }
}

/// One line on stderr: `kassa: <message>`, or the ApiError object with `--json`.
pub fn report_error(error: &AppError, json_mode: bool) {
    let text = if json_mode {
        serde_json::to_string(&ApiError::from(error)).unwrap_or_else(|_| format!("kassa: {error}"))
    } else {
        format!("kassa: {error}")
    };
    let _ = writeln!(std::io::stderr().lock(), "{}", text.replace('\n', " "));
}

/// A small text table with left-aligned columns sized to their widest cell.
pub struct Table {
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[&'static str]) -> Table {
        Table {
            headers: headers.to_vec(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.headers.len());
        self.rows.push(cells);
    }

    pub fn render(&self) -> String {
        let width = |s: &str| s.chars().count();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| width(h)).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(width(cell));
            }
        }
        let mut out = String::new();
        let headers: Vec<String> = self.headers.iter().map(|h| (*h).to_owned()).collect();
        for row in std::iter::once(&headers).chain(&self.rows) {
            let mut line = String::new();
            for (i, (cell, w)) in row.iter().zip(&widths).enumerate() {
                if i > 0 {
                    line.push_str("  ");
                }
                line.push_str(cell);
                line.extend(std::iter::repeat_n(' ', w - width(cell)));
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    pub fn print(&self, empty: &str) -> Result<(), AppError> {
        if self.rows.is_empty() {
            line(empty)
        } else {
            print(&self.render())
        }
    }
}

/// An optional value for a table cell.
pub fn opt<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_on_characters_not_bytes() {
        let mut table = Table::new(&["ID", "NAME", "X"]);
        table.row(vec!["1".into(), "Malmö C".into(), "a".into()]);
        table.row(vec!["10".into(), "Lund".into(), String::new()]);
        assert_eq!(table.render(), "ID  NAME     X\n1   Malmö C  a\n10  Lund\n");
    }
}
