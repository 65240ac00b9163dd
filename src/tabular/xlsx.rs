//! XLSX (Office Open XML) with rust_xlsxwriter: one worksheet per sheet of the workbook, a bold,
//! frozen header row, points as numbers shown with two decimals, whole numbers as numbers, every text
//! as a string (never a formula), columns fitted to their contents.

use rust_xlsxwriter::{Format as CellFormat, Workbook as XlsxWorkbook, XlsxError};

use super::{Cell, Workbook};

/// The workbook as XLSX bytes.
pub fn write(workbook: &Workbook) -> Result<Vec<u8>, String> {
    build(workbook).map_err(|error| format!("the spreadsheet could not be written: {error}"))
}

fn build(workbook: &Workbook) -> Result<Vec<u8>, XlsxError> {
    let mut book = XlsxWorkbook::new();
    let header = CellFormat::new().set_bold();
    let points = CellFormat::new().set_num_format("0.00");
    for sheet in &workbook.sheets {
        let worksheet = book.add_worksheet();
        worksheet.set_name(sheet_name(&sheet.name))?;
        for (column, text) in (0u16..).zip(&sheet.headers) {
            worksheet.write_string_with_format(0, column, text, &header)?;
        }
        for (row, cells) in (1u32..).zip(&sheet.rows) {
            for (column, cell) in (0u16..).zip(cells) {
                match cell {
                    Cell::Empty => {}
                    Cell::Text(text) => {
                        worksheet.write_string(row, column, text)?;
                    }
                    Cell::Integer(value) => {
                        worksheet.write_number(row, column, *value as f64)?;
                    }
                    Cell::Points(value) => {
                        worksheet.write_number_with_format(row, column, value.hundredths() as f64 / 100.0, &points)?;
                    }
                    Cell::Bool(value) => {
                        worksheet.write_boolean(row, column, *value)?;
                    }
                    Cell::Time(instant) => {
                        worksheet.write_string(row, column, instant.to_string())?;
                    }
                }
            }
        }
        worksheet.set_freeze_panes(1, 0)?;
        worksheet.autofit();
    }
    book.save_to_buffer()
}

/// A worksheet name Excel accepts: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(name: &str) -> String {
    let cleaned: String = name.chars().map(|c| if "[]:*?/\\".contains(c) { '_' } else { c }).take(31).collect();
    match cleaned.trim().is_empty() {
        true => "sheet".to_owned(),
        false => cleaned,
    }
}
