//! CSV as RFC 4180 has it: CRLF after every record, the header first, a field in double quotes when
//! it holds a comma, a double quote, CR or LF (its quotes doubled) — and UTF-8 with a byte-order mark,
//! which is how Excel knows the file is UTF-8 and shows Chinese names instead of mojibake.
//!
//! Invariant: a text that a spreadsheet would take for a formula (it starts with `=`, `+`, `-`, `@`,
//! TAB or CR) is written with a leading `'`, so opening the file never runs anything; numbers are
//! written as they are (a negative number is a number).

use super::{Cell, Sheet};

/// The UTF-8 byte-order mark.
pub const BOM: &str = "\u{feff}";

/// The whole sheet as CSV bytes, with the byte-order mark.
pub fn write(sheet: &Sheet) -> Vec<u8> {
    let mut text = String::from(BOM);
    record(&mut text, sheet.headers.iter().map(|header| field(header)));
    for row in &sheet.rows {
        record(&mut text, row.iter().map(cell));
    }
    text.into_bytes()
}

fn record(text: &mut String, fields: impl Iterator<Item = String>) {
    let fields: Vec<String> = fields.collect();
    text.push_str(&fields.join(","));
    text.push_str("\r\n");
}

fn cell(cell: &Cell) -> String {
    match cell {
        Cell::Text(text) => field(&defuse(text)),
        other => field(&other.plain()),
    }
}

/// A text a spreadsheet would read as a formula, with a leading `'` that keeps it text.
fn defuse(text: &str) -> String {
    match text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        true => format!("'{text}"),
        false => text.to_owned(),
    }
}

/// One field, quoted when it must be.
fn field(text: &str) -> String {
    match text.contains([',', '"', '\r', '\n']) {
        true => format!("\"{}\"", text.replace('"', "\"\"")),
        false => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Points;

    #[test]
    fn fields_are_quoted_only_when_they_must_be_and_formulas_stay_text() {
        let sheet = Sheet {
            name: "t".into(),
            headers: vec!["名称".into(), "a,b".into()],
            rows: vec![
                vec![Cell::text("say \"hi\""), Cell::text("line\nbreak")],
                vec![Cell::text("=1+1"), Cell::Points(Points(-105))],
            ],
        };
        let text = String::from_utf8(write(&sheet)).unwrap();
        assert_eq!(text, "\u{feff}名称,\"a,b\"\r\n\"say \"\"hi\"\"\",\"line\nbreak\"\r\n'=1+1,-1.05\r\n");
    }
}
