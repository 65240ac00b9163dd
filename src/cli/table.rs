//! Plain-text tables whose columns line up by display width, so Chinese names (two columns per
//! character) align with ASCII ones.

use unicode_width::UnicodeWidthStr;

pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    right_aligned: Vec<bool>,
}

impl Table {
    /// Columns whose header starts with `>` are right-aligned (numbers); the `>` is not printed.
    pub fn new(header: &[&str]) -> Table {
        Table {
            header: header.iter().map(|h| h.trim_start_matches('>').to_owned()).collect(),
            right_aligned: header.iter().map(|h| h.starts_with('>')).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
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
}
