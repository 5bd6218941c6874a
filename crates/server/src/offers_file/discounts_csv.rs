//! Remise's file of commitments and discounts (the seed's offers file holds offers only), one
//! discount a row:
//!
//! `Code offre;Numéro engagement;Début engagement;Fin engagement;Code remise;Référence produit;Code secteur;Prix;Pourcentage;Quantité minimum;Paliers`
//!
//! A row with the discount columns empty names a commitment alone. Commitment dates are
//! `jj/mm/aaaa` or empty (the offer's); the two date columns may be left out of the file, which
//! then keeps the commitments' dates. A discount targets a product (`Référence produit`) or a
//! sector (`Code secteur`), at a fixed `Prix` or a `Pourcentage` off, from `Quantité minimum`
//! units, with quantity breaks in `Paliers`: `10=4,10|50=3,90` (from 10 units 4,10; from 50,
//! 3,90), in the discount's kind of value.

use std::io::Write;

use remise_engine::rules::{Commitment, ContractDiscount};
use remise_engine::rules::{CustomerOffer, QuantityBreak};

use super::cells::{
    Columns, FileKind, Problems, Row, Separator, decimal, format_date, parse_date, whole,
};

pub(crate) const OFFER: usize = 0;
pub(crate) const NUMBER: usize = 1;
pub(crate) const STARTS: usize = 2;
pub(crate) const ENDS: usize = 3;
pub(crate) const CODE: usize = 4;
pub(crate) const SKU: usize = 5;
pub(crate) const SEGMENT: usize = 6;
pub(crate) const PRICE: usize = 7;
pub(crate) const PERCENT: usize = 8;
pub(crate) const MIN_QUANTITY: usize = 9;
pub(crate) const BREAKS: usize = 10;

pub(crate) const COLUMNS: Columns = Columns {
    names: &[
        "Code offre",
        "Numéro engagement",
        "Début engagement",
        "Fin engagement",
        "Code remise",
        "Référence produit",
        "Code secteur",
        "Prix",
        "Pourcentage",
        "Quantité minimum",
        "Paliers",
    ],
    optional: &[
        "Début engagement",
        "Fin engagement",
        "Quantité minimum",
        "Paliers",
    ],
};

/// The name of a column.
pub(crate) fn column(index: usize) -> &'static str {
    COLUMNS.names.get(index).copied().unwrap_or_default()
}

/// What a row says: a commitment of an offer, its dates (when the file has the columns), and
/// a discount in it (none when the discount columns are empty).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DiscountRow {
    pub line: u64,
    pub offer: String,
    pub number: u32,
    pub dates: Option<(Option<String>, Option<String>)>,
    pub discount: Option<ContractDiscount>,
}

/// Reads a row; its problems are reported and give `None`.
pub(crate) fn read_row(row: &Row<'_>, problems: &mut Problems) -> Option<DiscountRow> {
    let line = row.line;
    let separator = row.separator;
    let mut fine = true;
    let mut wrong = |problems: &mut Problems, at: usize, message: String| {
        fine = false;
        let value = Some(row.get(at)).filter(|v| !v.is_empty());
        problems.cell(FileKind::Discounts, line, Some(column(at)), value, message);
    };
    let offer = row.get(OFFER).to_owned();
    if offer.is_empty() {
        wrong(
            problems,
            OFFER,
            "required: the code of the offer the commitment is in".to_owned(),
        );
    }
    let number = match whole(row.get(NUMBER)) {
        Ok(Some(number)) => number,
        Ok(None) => {
            wrong(
                problems,
                NUMBER,
                "required: the commitment's number".to_owned(),
            );
            0
        }
        Err(message) => {
            wrong(problems, NUMBER, message);
            0
        }
    };
    let dates = if row.has(STARTS) || row.has(ENDS) {
        let mut date = |problems: &mut Problems, at: usize| {
            parse_date(row.get(at)).unwrap_or_else(|message| {
                wrong(problems, at, message);
                None
            })
        };
        Some((date(problems, STARTS), date(problems, ENDS)))
    } else {
        None
    };
    let named = [SKU, SEGMENT, PRICE, PERCENT, MIN_QUANTITY, BREAKS];
    let discount = if row.get(CODE).is_empty() && named.iter().all(|&c| row.get(c).is_empty()) {
        None
    } else {
        let code = row.get(CODE).to_owned();
        if code.is_empty() {
            wrong(
                problems,
                CODE,
                "required: the code of the discount the row creates or updates".to_owned(),
            );
        }
        let mut amount = |problems: &mut Problems, at: usize| {
            decimal(row.get(at), separator).unwrap_or_else(|message| {
                wrong(problems, at, message);
                None
            })
        };
        let price = amount(problems, PRICE);
        let percent = amount(problems, PERCENT);
        let min_quantity = whole(row.get(MIN_QUANTITY)).unwrap_or_else(|message| {
            wrong(problems, MIN_QUANTITY, message);
            None
        });
        let breaks = read_breaks(
            row.get(BREAKS),
            separator,
            price.is_some(),
            percent.is_some(),
        )
        .unwrap_or_else(|message| {
            wrong(problems, BREAKS, message);
            Vec::new()
        });
        let text = |at: usize| Some(row.get(at).to_owned()).filter(|t| !t.is_empty());
        Some(ContractDiscount {
            code,
            sku: text(SKU),
            segment: text(SEGMENT),
            price,
            percent,
            min_quantity,
            breaks,
        })
    };
    fine.then_some(DiscountRow {
        line,
        offer,
        number,
        dates,
        discount,
    })
}

/// `10=4,10|50=3,90`: from 10 units, 4,10; from 50, 3,90 — prices when the discount has a price,
/// percentages when it has a percentage.
fn read_breaks(
    text: &str,
    separator: Separator,
    price: bool,
    percent: bool,
) -> Result<Vec<QuantityBreak>, String> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let example = if separator.decimal_comma() {
        "10=4,10|50=3,90"
    } else {
        "10=4.10|50=3.90"
    };
    let mut breaks = Vec::new();
    for part in text.split('|') {
        let Some((from, value)) = part.split_once('=') else {
            return Err(format!(
                "`{part}` is not a break from=value (e.g. {example})"
            ));
        };
        let from = from
            .trim()
            .parse::<u32>()
            .map_err(|_| format!("`{}` is not a whole number of units", from.trim()))?;
        let value = decimal(value.trim(), separator)?
            .ok_or_else(|| format!("`{part}` has no value (e.g. {example})"))?;
        let (price, percent) = match (price, percent) {
            (true, false) => (Some(value), None),
            (false, true) => (None, Some(value)),
            _ => {
                return Err(format!(
                    "breaks take the discount's kind of value: give a `{}` or a `{}`",
                    column(PRICE),
                    column(PERCENT)
                ));
            }
        };
        breaks.push(QuantityBreak {
            from,
            price,
            percent,
        });
    }
    Ok(breaks)
}

/// The breaks as the file writes them.
pub(crate) fn breaks_cell(breaks: &[QuantityBreak], separator: Separator) -> String {
    breaks
        .iter()
        .map(|b| {
            let value = b.price.or(b.percent).map(|v| separator.decimal(v));
            format!("{}={}", b.from, value.unwrap_or_default())
        })
        .collect::<Vec<_>>()
        .join("|")
}

/// The cells of a discount's row, from `Code remise` on.
pub(crate) fn discount_cells(d: &ContractDiscount, separator: Separator) -> [String; 7] {
    let amount = |v: Option<rust_decimal::Decimal>| v.map(|v| separator.decimal(v));
    [
        d.code.clone(),
        d.sku.clone().unwrap_or_default(),
        d.segment.clone().unwrap_or_default(),
        amount(d.price).unwrap_or_default(),
        amount(d.percent).unwrap_or_default(),
        d.min_quantity.map(|q| q.to_string()).unwrap_or_default(),
        breaks_cell(&d.breaks, separator),
    ]
}

/// Writes the rows of an offer's commitments and discounts: one per discount, and a commitment
/// without discounts as one row with the discount columns empty.
pub(crate) fn write_rows<W: Write>(
    csv: &mut csv::Writer<W>,
    offer: &CustomerOffer,
    separator: Separator,
) -> std::io::Result<()> {
    let empty: [String; 7] = Default::default();
    for commitment in &offer.commitments {
        let Commitment {
            number,
            starts_on,
            ends_on,
            discounts,
        } = commitment;
        let head = [
            offer.code.clone(),
            number.to_string(),
            format_date(starts_on.as_deref()),
            format_date(ends_on.as_deref()),
        ];
        if discounts.is_empty() {
            csv.write_record(head.iter().chain(&empty))?;
        }
        for discount in discounts {
            let cells = discount_cells(discount, separator);
            csv.write_record(head.iter().chain(&cells))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;
    use crate::offers_file::cells::read_rows;

    /// The rows of a file with the discounts header, read; and the problems, as `field: message`.
    fn read(rows: &str) -> (Vec<DiscountRow>, Vec<String>) {
        let text = format!("{}\n{rows}", COLUMNS.names.join(";"));
        let mut problems = Problems::default();
        let mut read = Vec::new();
        let separator = read_rows(
            text.as_bytes(),
            FileKind::Discounts,
            &COLUMNS,
            100,
            &mut problems,
            |row, problems| read.extend(read_row(row, problems)),
        );
        assert!(matches!(separator, Ok(Some(Separator::Semicolon))));
        let problems = match problems.finish() {
            Ok(()) => Vec::new(),
            Err(crate::problem::ApiError::Validation(list)) => list
                .into_iter()
                .map(|p| format!("{}: {}", p.field, p.message))
                .collect(),
            Err(other) => vec![other.to_string()],
        };
        (read, problems)
    }

    #[test]
    fn breaks_take_the_discounts_kind_of_value() {
        let (rows, problems) = read("A;1;;;P;SKU;;4,10;;;10=3,90|50=3.5\nA;1;;;Q;;seg;;5;2;10=7\n");
        assert!(problems.is_empty(), "{problems:?}");
        let price = rows[0].discount.as_ref().expect("a discount");
        assert_eq!(price.price, Some(Decimal::new(410, 2)));
        let breaks: Vec<(u32, Option<Decimal>)> =
            price.breaks.iter().map(|b| (b.from, b.price)).collect();
        assert_eq!(
            breaks,
            [
                (10, Some(Decimal::new(390, 2))),
                (50, Some(Decimal::new(35, 1)))
            ]
        );
        let percent = rows[1].discount.as_ref().expect("a discount");
        assert_eq!(percent.min_quantity, Some(2));
        assert_eq!(percent.breaks[0].percent, Some(Decimal::new(7, 0)));
        assert_eq!(percent.breaks[0].price, None);
        assert_eq!(
            breaks_cell(&price.breaks, Separator::Semicolon),
            "10=3,90|50=3,5"
        );
    }

    #[test]
    fn a_row_without_discount_names_its_commitment() {
        let (rows, problems) = read("A;2;01/01/2027;;;;;;;;\n");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            rows,
            [DiscountRow {
                line: 2,
                offer: "A".to_owned(),
                number: 2,
                dates: Some((Some("2027-01-01".to_owned()), None)),
                discount: None,
            }]
        );
    }

    #[test]
    fn every_bad_cell_is_named() {
        let (rows, problems) = read(
            ";x;;;;;;;;;\nA;1;;;;SKU;;4;;;\nA;1;;;P;SKU;;4;;;10:3\nA;1;;;P;SKU;;;;;10=3\nA;1;;;P;SKU;;4;;-1;\n",
        );
        assert!(rows.is_empty(), "{rows:?}");
        assert_eq!(
            problems,
            [
                "line 2: Code offre: required: the code of the offer the commitment is in",
                "line 2: Numéro engagement: `x` is not a whole number",
                "line 3: Code remise: required: the code of the discount the row creates or updates",
                "line 4: Paliers: `10:3` is not a break from=value (e.g. 10=4,10|50=3,90)",
                "line 5: Paliers: breaks take the discount's kind of value: give a `Prix` or a `Pourcentage`",
                "line 6: Quantité minimum: `-1` is not a whole number",
            ]
        );
    }
}
