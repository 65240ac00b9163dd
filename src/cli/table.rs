//! Plain-text tables whose columns line up by display width, so Chinese names (two columns per
//! character) align with ASCII ones.
//!
//! Invariant: one row is one line. Every cell goes through `output::escape` when it is added, so a
//! stored name holding a line feed, a carriage return or a terminal escape cannot add, erase or
//! overwrite a row, and the widths are measured on what is printed.

use unicode_width::UnicodeWidthStr;

use crate::cli::output::escape;

pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    right_aligned: Vec<bool>,
}

impl Table {
    /// Columns whose header starts with `>` are right-aligned (numbers); the `>` is not printed.
    pub fn new(header: &[&str]) -> Table {
        Table {
            header: header.iter().map(|h| escape(h.trim_start_matches('>')).into_owned()).collect(),
            right_aligned: header.iter().map(|h| h.starts_with('>')).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; each cell is escaped (`output::escape`), so it shows on this row's line only.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells.into_iter().map(|cell| escape(&cell).into_owned()).collect());
    }

    pub fn render(&self) -> String {
        let widths: Vec<usize> = (0..self.header.len())
            .map(|column| {
                let cells = self.rows.iter().filter_map(|row| row.get(column));
                cells.chain([&self.header[column]]).map(|cell| cell.width()).max().unwrap_or(0)
            })
            .collect();
        let mut text = String::new();
        for row in std::iter::once(&self.header).chain(&self.rows) {
            let cells: Vec<String> = row
                .iter()
                .enumerate()
                .map(|(column, cell)| pad(cell, widths[column], self.right_aligned[column]))
                .collect();
            text.push_str("  ");
            text.push_str(cells.join("  ").trim_end());
            text.push('\n');
        }
        text
    }
}

fn pad(cell: &str, width: usize, right: bool) -> String {
    let fill = " ".repeat(width.saturating_sub(cell.width()));
    if right {
        format!("{fill}{cell}")
    } else {
        format!("{cell}{fill}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_names_line_up_by_display_width() {
        let mut table = Table::new(&["unit", "name", ">final"]);
        table.row(vec!["YS07".into(), "丙县国家税务局".into(), "98.70".into()]);
        table.row(vec!["YS01".into(), "Jia County".into(), "100.00".into()]);
        let text = table.render();
        let lines: Vec<&str> = text.lines().collect();
        let column_of = |line: &str, needle: &str| line[..line.find(needle).unwrap()].width();
        assert_eq!(column_of(lines[1], "98.70") + "98.70".len(), column_of(lines[2], "100.00") + "100.00".len());
        assert_eq!(lines[0].width(), lines[2].width(), "{text}");
    }

    #[test]
    fn a_name_cannot_erase_or_add_a_row() {
        let mut table = Table::new(&[">rank", "unit", "name", ">final"]);
        table.row(vec!["1".into(), "YS01".into(), "x\u{1b}[2K\r\u{2026}\nYS99 injected row".into(), "99.00".into()]);
        table.row(vec!["2".into(), "YS02".into(), "\u{202e}yb nevig\u{2028}".into(), "98.00".into()]);
        let text = table.render();
        assert_eq!(text.lines().count(), 3, "a header and two rows:\n{text}");
        let first = text.lines().nth(1).unwrap();
        assert!(first.contains("x\\u{1b}[2K\\r\u{2026}\\nYS99 injected row"), "{first}");
        assert!(first.trim_end().ends_with("99.00"), "{first}");
        assert!(text.lines().nth(2).unwrap().contains("\\u{202e}yb nevig\\u{2028}"), "{text}");
        assert!(!text.chars().any(|c| c != '\n' && crate::domain::ids::hidden_character(c).is_some()), "{text:?}");
        let column_of = |line: &str, needle: &str| line[..line.find(needle).unwrap()].width();
        assert_eq!(column_of(first, "99.00"), column_of(text.lines().nth(2).unwrap(), "98.00"), "{text}");
    }
}
