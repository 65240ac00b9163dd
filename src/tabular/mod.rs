//! Answers as spreadsheets: every ranking, comparison and register answer as a `Workbook` of sheets
//! (`answers`), written as CSV (`csv`: RFC 4180, UTF-8 with a byte-order mark so that Excel reads
//! Chinese names) or XLSX (`xlsx`). The HTTP API, the command line and the web site share it.
//!
//! Invariant: a sheet holds values as typed (points as numbers with two decimals, counts as whole
//! numbers, texts as texts): the XLSX cells keep their types, the CSV spells points as the API's
//! readers read them (`92.60`). A text is never read as a formula, in either format (`csv` quotes a
//! text that starts like one; `xlsx` writes every text as a string).

pub mod answers;
pub mod csv;
pub mod xlsx;

use crate::domain::{Points, Timestamp};

/// The language of headers and notes. Chinese is the product's; English comes with the site's switch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

/// A header or note in both languages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Label {
    pub zh: &'static str,
    pub en: &'static str,
}

impl Label {
    pub const fn new(zh: &'static str, en: &'static str) -> Label {
        Label { zh, en }
    }

    pub const fn text(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Zh => self.zh,
            Lang::En => self.en,
        }
    }
}

/// One cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    Empty,
    Text(String),
    /// A whole number (a rank, a tier, a count, a sequence number).
    Integer(i64),
    /// Points, in hundredths: written as a number with two decimals.
    Points(Points),
    Bool(bool),
    /// An instant, written as RFC 3339 text (UTC, as the API gives it).
    Time(Timestamp),
}

impl Cell {
    pub fn text(text: impl Into<String>) -> Cell {
        Cell::Text(text.into())
    }

    pub fn integer(value: impl TryInto<i64>) -> Cell {
        value.try_into().map_or(Cell::Empty, Cell::Integer)
    }

    pub fn optional<T>(value: Option<T>, cell: impl FnOnce(T) -> Cell) -> Cell {
        value.map_or(Cell::Empty, cell)
    }

    /// The cell as CSV spells it (before quoting).
    pub fn plain(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(text) => text.clone(),
            Cell::Integer(value) => value.to_string(),
            Cell::Points(points) => points.to_string(),
            Cell::Bool(true) => "true".to_owned(),
            Cell::Bool(false) => "false".to_owned(),
            Cell::Time(instant) => instant.to_string(),
        }
    }
}

/// One table: a name (the XLSX sheet's tab), headers and rows of as many cells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sheet {
    pub name: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Sheet {
    pub fn new(name: Label, headers: &[Label], lang: Lang) -> Sheet {
        Sheet {
            name: name.text(lang).to_owned(),
            headers: headers.iter().map(|label| label.text(lang).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<Cell>) {
        assert_eq!(cells.len(), self.headers.len(), "{}: a row has a cell per header", self.name);
        self.rows.push(cells);
    }
}

/// What an answer becomes: its main table first (what CSV holds), then any further tables and a
/// sheet about the answer (where it stands in the chain, what is provisional), for XLSX.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workbook {
    /// The file name without its extension, ASCII only: `ranking-YS-2017-2017-06`.
    pub file_stem: String,
    pub sheets: Vec<Sheet>,
}

impl Workbook {
    /// The main table.
    pub fn main(&self) -> &Sheet {
        &self.sheets[0]
    }
}

/// The formats an answer may be given in besides JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    pub const CSV_MEDIA_TYPE: &'static str = "text/csv";
    pub const XLSX_MEDIA_TYPE: &'static str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    pub fn parse(text: &str) -> Option<Format> {
        match text {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            _ => None,
        }
    }

    pub const fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    /// The `Content-Type` of an answer in this format.
    pub const fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8; header=present",
            Format::Xlsx => Format::XLSX_MEDIA_TYPE,
        }
    }

    /// The bytes of `workbook` in this format.
    pub fn write(self, workbook: &Workbook) -> Result<Vec<u8>, String> {
        match self {
            Format::Csv => Ok(csv::write(workbook.main())),
            Format::Xlsx => xlsx::write(workbook),
        }
    }

    /// The file name of `workbook` in this format.
    pub fn file_name(self, workbook: &Workbook) -> String {
        format!("{}.{}", workbook.file_stem, self.extension())
    }
}

/// A file stem from parts, kept to ASCII letters, digits, `-` and `_` (codes and periods already are).
pub fn file_stem(parts: &[&str]) -> String {
    parts
        .iter()
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
        })
        .collect::<Vec<String>>()
        .join("-")
}
