//! What both offer files share: how a file is read (UTF-8 with or without a BOM, `;` or `,`
//! chosen from the header line, CRLF or LF, headers matched exactly but for the spaces around
//! them, rows named by their line as an editor counts them), how values are written (dates
//! `jj/mm/aaaa`, decimals with a comma where `;` separates the columns), and the problems found,
//! each with its line, column and value.

use jiff::civil::Date;
use rust_decimal::Decimal;

use crate::catalog_file::{MAX_LISTED, parse_decimal};
use crate::problem::{ApiError, ApiResult, FieldProblem};

/// The column separator of a file, and with it how decimals are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Separator {
    /// `;`, decimals with a comma (`4,10`; a point is read too): what French Excel writes.
    #[default]
    Semicolon,
    /// `,`, decimals with a point only.
    Comma,
}

impl Separator {
    /// The separator a header line uses: `;` when it holds more `;` than `,`.
    fn of_header(header: &[u8]) -> Separator {
        let count = |c: u8| header.iter().filter(|&&b| b == c).count();
        if count(b';') > count(b',') {
            Separator::Semicolon
        } else {
            Separator::Comma
        }
    }

    pub(crate) fn byte(self) -> u8 {
        match self {
            Separator::Semicolon => b';',
            Separator::Comma => b',',
        }
    }

    pub(crate) fn decimal_comma(self) -> bool {
        self == Separator::Semicolon
    }

    /// A decimal as this file writes it.
    pub(crate) fn decimal(self, value: Decimal) -> String {
        let text = value.to_string();
        if self.decimal_comma() {
            text.replace('.', ",")
        } else {
            text
        }
    }
}

/// Which file of an import a problem is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileKind {
    Offers,
    Discounts,
}

impl FileKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            FileKind::Offers => "offers",
            FileKind::Discounts => "offer-discounts",
        }
    }

    /// Where a column is in the file's list: a row's problems are listed in that order.
    fn position(self, column: Option<&str>) -> usize {
        let names = match self {
            FileKind::Offers => super::offers_csv::COLUMNS.names,
            FileKind::Discounts => super::discounts_csv::COLUMNS.names,
        };
        column
            .and_then(|c| names.iter().position(|name| *name == c))
            .unwrap_or(usize::MAX)
    }
}

/// Problems kept before they are sorted and the first [`MAX_LISTED`] listed: a file whose every
/// row is wrong does not fill the memory with them.
const KEPT: usize = 10_000;

/// The problems of an import, each with its file and line, listed in the files' order.
#[derive(Debug, Default)]
pub(crate) struct Problems {
    /// Whether the import reads both files: fields then name theirs (`offers line 3: Type`).
    pub both_files: bool,
    /// Each problem with its file, line and column position.
    found: Vec<((FileKind, u64, usize), FieldProblem)>,
    more: usize,
}

impl Problems {
    pub fn new(both_files: bool) -> Problems {
        Problems {
            both_files,
            ..Problems::default()
        }
    }

    pub fn is_empty(&self) -> bool {
        self.found.is_empty() && self.more == 0
    }

    /// A problem at `line` of `file`, in `column` with its `value` when it is one cell's.
    pub fn cell(
        &mut self,
        file: FileKind,
        line: u64,
        column: Option<&str>,
        value: Option<&str>,
        message: impl Into<String>,
    ) {
        if self.found.len() == KEPT {
            self.more += 1;
            return;
        }
        let name = self.both_files.then(|| file.name());
        self.found.push((
            (file, line, file.position(column)),
            FieldProblem::in_cell(name, line, column, value, message),
        ));
    }

    /// A problem of no line (an offer of the store that the import would leave invalid).
    pub fn document(&mut self, field: String, message: String) {
        if self.found.len() == KEPT {
            self.more += 1;
            return;
        }
        self.found.push((
            (FileKind::Offers, 0, usize::MAX),
            FieldProblem::new(field, message),
        ));
    }

    /// `Ok` without problems; otherwise the first [`MAX_LISTED`] in the files' order, a row's
    /// in the order of its columns, and the count of the others. A cell that two checks found
    /// wrong (the reading and the engine's) is listed once, with the first problem found.
    pub fn finish(mut self) -> ApiResult<()> {
        if self.is_empty() {
            return Ok(());
        }
        self.found.sort_by_key(|(at, _)| *at);
        self.found
            .dedup_by(|(at, _), (earlier, _)| at.2 != usize::MAX && at == earlier);
        let more = self.more + self.found.len().saturating_sub(MAX_LISTED);
        let mut listed: Vec<FieldProblem> = self
            .found
            .into_iter()
            .take(MAX_LISTED)
            .map(|(_, p)| p)
            .collect();
        if more > 0 {
            listed.push(FieldProblem::new("", format!("and {more} more errors")));
        }
        Err(ApiError::Validation(listed))
    }
}

/// One row of a file: its line and its cells, by the index of the column in the file's list of
/// columns (an absent optional column reads as empty).
pub(crate) struct Row<'r> {
    pub line: u64,
    pub separator: Separator,
    record: &'r csv::StringRecord,
    positions: &'r [Option<usize>],
}

impl Row<'_> {
    pub fn get(&self, column: usize) -> &str {
        self.positions
            .get(column)
            .copied()
            .flatten()
            .and_then(|i| self.record.get(i))
            .unwrap_or("")
    }

    /// Whether the file has this (optional) column.
    pub fn has(&self, column: usize) -> bool {
        self.positions.get(column).copied().flatten().is_some()
    }
}

/// The columns a file may have: each name and whether it must be there.
pub(crate) struct Columns {
    pub names: &'static [&'static str],
    pub optional: &'static [&'static str],
}

/// Counts lines as a person reads them in an editor: a record's position may point at the end
/// of the line before it, or at blank lines, and a lone CR ends a line as LF and CRLF do.
struct Lines<'a> {
    bytes: &'a [u8],
    at: usize,
    line: u64,
}

impl Lines<'_> {
    /// The line of the first character at or after `byte` that is not a line end. Positions
    /// only grow.
    fn at(&mut self, byte: u64) -> u64 {
        let bytes = self.bytes;
        let mut start = usize::try_from(byte)
            .unwrap_or(bytes.len())
            .min(bytes.len());
        while bytes.get(start).is_some_and(|b| matches!(b, b'\r' | b'\n')) {
            start += 1;
        }
        for i in self.at..start {
            match bytes[i] {
                b'\n' => self.line += 1,
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => self.line += 1,
                _ => {}
            }
        }
        self.at = self.at.max(start);
        self.line
    }
}

/// What is wrong with a row the csv crate could not read, without the crate's own position.
fn row_error(error: &csv::Error) -> String {
    match error.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} fields, but the header has {expected_len}"),
        csv::ErrorKind::Utf8 { .. } => "the row is not UTF-8 text".to_owned(),
        _ => error.to_string(),
    }
}

/// Reads the rows of `bytes`, a file of `columns`, handing each to `each` with the problems;
/// returns the separator, or `None` when the header is wrong (its problems reported, no row
/// read). More than `max_rows` rows is refused at once.
pub(crate) fn read_rows(
    bytes: &[u8],
    file: FileKind,
    columns: &Columns,
    max_rows: usize,
    problems: &mut Problems,
    mut each: impl FnMut(&Row<'_>, &mut Problems),
) -> ApiResult<Option<Separator>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let header_end = bytes
        .iter()
        .position(|b| matches!(b, b'\r' | b'\n'))
        .unwrap_or(bytes.len());
    let separator = Separator::of_header(&bytes[..header_end]);
    let mut csv = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .delimiter(separator.byte())
        .from_reader(bytes);
    let headers = match csv.headers() {
        Ok(headers) => headers.clone(),
        Err(e) => {
            problems.cell(
                file,
                1,
                None,
                None,
                format!("the header does not read: {e}"),
            );
            return Ok(None);
        }
    };
    let Some(positions) = header_positions(&headers, file, columns, problems) else {
        return Ok(None);
    };
    let mut lines = Lines {
        bytes,
        at: 0,
        line: 1,
    };
    let mut record = csv::StringRecord::new();
    let mut count = 0;
    loop {
        let read = csv.read_record(&mut record);
        if matches!(read, Ok(false)) {
            return Ok(Some(separator));
        }
        count += 1;
        if count > max_rows {
            return Err(ApiError::PayloadTooLarge(format!(
                "more than {max_rows} rows in one import"
            )));
        }
        match read {
            Ok(_) => {
                let line = record.position().map_or(0, |p| lines.at(p.byte()));
                let row = Row {
                    line,
                    separator,
                    record: &record,
                    positions: &positions,
                };
                each(&row, problems);
            }
            Err(error) => {
                let line = error.position().map_or(0, |p| lines.at(p.byte()));
                problems.cell(file, line, None, None, row_error(&error));
            }
        }
    }
}

/// Where each of `columns` is in the header; `None` (the problems reported) when a column is
/// unknown, repeated, or a required one is missing.
fn header_positions(
    headers: &csv::StringRecord,
    file: FileKind,
    columns: &Columns,
    problems: &mut Problems,
) -> Option<Vec<Option<usize>>> {
    let mut positions = vec![None; columns.names.len()];
    let mut fine = true;
    for (i, header) in headers.iter().enumerate() {
        match columns.names.iter().position(|name| *name == header) {
            Some(known) if positions[known].is_none() => positions[known] = Some(i),
            Some(_) => {
                fine = false;
                problems.cell(file, 1, Some(header), None, "this column is there twice");
            }
            None => {
                fine = false;
                problems.cell(
                    file,
                    1,
                    Some(header),
                    None,
                    format!(
                        "unknown column (the columns are: {})",
                        columns.names.join(", ")
                    ),
                );
            }
        }
    }
    for (name, position) in columns.names.iter().zip(&positions) {
        if position.is_none() && !columns.optional.contains(name) {
            fine = false;
            problems.cell(
                file,
                1,
                Some(name),
                None,
                "this column is missing from the header",
            );
        }
    }
    fine.then_some(positions)
}

/// A `jj/mm/aaaa` date (`01/10/2023`; a day or month of one digit is read too) as the rule
/// format's `YYYY-MM-DD`; `None` when empty.
pub(crate) fn parse_date(text: &str) -> Result<Option<String>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    let bad = || format!("`{text}` is not a date jj/mm/aaaa (e.g. 01/10/2023)");
    let parts: Vec<&str> = text.split('/').collect();
    let [day, month, year] = parts[..] else {
        return Err(bad());
    };
    let digits = |part: &str, lengths: std::ops::RangeInclusive<usize>| {
        lengths.contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit())
    };
    if !(digits(day, 1..=2) && digits(month, 1..=2) && digits(year, 4..=4)) {
        return Err(bad());
    }
    let number = |part: &str| part.parse::<i8>().unwrap_or(0);
    let year: i16 = year.parse().map_err(|_| bad())?;
    Date::new(year, number(month), number(day))
        .map(|date| Some(date.to_string()))
        .map_err(|_| format!("`{text}` is not a day of the calendar"))
}

/// A rule-format date (`YYYY-MM-DD`) as `jj/mm/aaaa`; as it is if it does not read.
pub(crate) fn format_date(date: Option<&str>) -> String {
    match date {
        None => String::new(),
        Some(text) => text
            .parse::<Date>()
            .map_or_else(|_| text.to_owned(), |d| d.strftime("%d/%m/%Y").to_string()),
    }
}

/// A decimal cell; empty is `None`.
pub(crate) fn decimal(text: &str, separator: Separator) -> Result<Option<Decimal>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    parse_decimal(text, separator.decimal_comma())
        .map(Some)
        .ok_or_else(|| {
            let hint = if separator.decimal_comma() {
                "4,10 or 4.10"
            } else {
                "with a point, as the columns are separated by commas: 4.10"
            };
            format!("`{text}` is not a decimal number ({hint})")
        })
}

/// A whole number cell; empty is `None`.
pub(crate) fn whole(text: &str) -> Result<Option<u32>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<u32>()
        .map(Some)
        .map_err(|_| format!("`{text}` is not a whole number"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_read_as_written_in_france() {
        assert_eq!(parse_date("01/10/2023"), Ok(Some("2023-10-01".to_owned())));
        assert_eq!(parse_date("1/2/2024"), Ok(Some("2024-02-01".to_owned())));
        assert_eq!(parse_date(""), Ok(None));
        for wrong in [
            "2023-10-01",
            "10/2023",
            "01/10/23",
            "aa/bb/cccc",
            "1/10/2023/1",
        ] {
            assert!(parse_date(wrong).is_err(), "{wrong}");
        }
        assert_eq!(
            parse_date("31/02/2024"),
            Err("`31/02/2024` is not a day of the calendar".to_owned())
        );
        assert_eq!(format_date(Some("2023-10-01")), "01/10/2023");
        assert_eq!(format_date(None), "");
    }

    #[test]
    fn decimals_take_a_comma_only_where_columns_do_not() {
        let d = |s: &str| s.parse::<Decimal>().ok();
        assert_eq!(decimal("4,10", Separator::Semicolon), Ok(d("4.10")));
        assert_eq!(decimal("4.10", Separator::Semicolon), Ok(d("4.10")));
        assert_eq!(decimal("4.10", Separator::Comma), Ok(d("4.10")));
        assert!(decimal("4,10", Separator::Comma).is_err());
        assert!(decimal("1.234,5", Separator::Semicolon).is_err());
        assert_eq!(Separator::Semicolon.decimal(Decimal::new(410, 2)), "4,10");
        assert_eq!(Separator::Comma.decimal(Decimal::new(410, 2)), "4.10");
    }

    #[test]
    fn lines_are_counted_as_an_editor_does() {
        let text = b"a;b\r\n1;2\r\n\r\n3;4\r5;6\n";
        let mut problems = Problems::default();
        let columns = Columns {
            names: &["a", "b"],
            optional: &[],
        };
        let mut seen = Vec::new();
        let separator = read_rows(
            text,
            FileKind::Offers,
            &columns,
            10,
            &mut problems,
            |row, _| seen.push((row.line, row.get(0).to_owned(), row.get(1).to_owned())),
        )
        .ok()
        .flatten();
        assert_eq!(separator, Some(Separator::Semicolon));
        let lines: Vec<u64> = seen.iter().map(|s| s.0).collect();
        assert_eq!(lines, [2, 4, 5]);
        assert!(problems.is_empty());
    }
}
