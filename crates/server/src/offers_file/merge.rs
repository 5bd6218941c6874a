//! The offers an import makes: the store's offers with what the files name changed, each
//! remembering the lines it came from, so that the checks' problems (paths in an offer document)
//! are reported at their line and column.
//!
//! Upsert semantics: an offers row sets its offer's fields (a new offer gets the import's time as
//! `created_at`; an existing one keeps it, and its commitments); a discounts row names a
//! commitment of an offer that exists (or that the offers file of the same import creates),
//! sets the commitment's dates when the file has the date columns, and creates or replaces one
//! discount, by (offer, commitment number, discount code). With `replace`, the commitments of the
//! offers the discounts file names are those of the file only.

use std::collections::{HashMap, HashSet};

use imbl::OrdMap;
use remise_engine::rules::{Commitment, CustomerOffer};
use remise_store::Outcome;

use super::cells::{FileKind, Problems, Separator, format_date};
use super::discounts_csv::{self, DiscountRow};
use super::offers_csv::{self, OfferRow};

/// Where an offer of the import comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    Live,
    /// Soft-deleted: the import brings it back, with its commitments.
    Deleted,
    New,
}

/// An offer being made, and the lines of the files it came from (0: not from this import).
pub(crate) struct Working {
    offer: CustomerOffer,
    origin: Origin,
    offer_line: u64,
    /// The first line naming each commitment (by its index in the offer).
    commitment_lines: Vec<u64>,
    /// The line of each discount (by commitment and discount index).
    discount_lines: Vec<Vec<u64>>,
    /// Each commitment's discounts by code, once the discounts file reached it.
    codes: Vec<Option<HashMap<Box<str>, usize>>>,
    /// In `replace` mode, whether the file's first row of the offer cleared its commitments.
    replaced: bool,
}

impl Working {
    fn new(offer: CustomerOffer, origin: Origin, offer_line: u64) -> Working {
        let count = offer.commitments.len();
        Working {
            discount_lines: offer
                .commitments
                .iter()
                .map(|c| vec![0; c.discounts.len()])
                .collect(),
            offer,
            origin,
            offer_line,
            commitment_lines: vec![0; count],
            codes: vec![None; count],
            replaced: false,
        }
    }

    pub fn code(&self) -> &str {
        &self.offer.code
    }

    /// The offer made, leaving its code only: the checked model holds it from then on.
    pub fn take_offer(&mut self) -> CustomerOffer {
        let code = self.offer.code.clone();
        std::mem::replace(
            &mut self.offer,
            CustomerOffer::new(code, Default::default()),
        )
    }

    /// What writing it does, given the stored offer it replaces.
    pub fn outcome(&self, live: &OrdMap<String, CustomerOffer>) -> Outcome {
        match self.origin {
            Origin::New => Outcome::Created,
            Origin::Deleted => Outcome::Updated,
            Origin::Live if live.get(&self.offer.code) == Some(&self.offer) => Outcome::Unchanged,
            Origin::Live => Outcome::Updated,
        }
    }
}

/// The offers an import makes, in the order the files first name them.
pub(crate) struct Merger<'m> {
    live: &'m OrdMap<String, CustomerOffer>,
    deleted: HashMap<String, CustomerOffer>,
    /// `created_at` of the offers the import creates.
    now: String,
    replace: bool,
    index: HashMap<String, usize>,
    pub offers: Vec<Working>,
    /// Codes of offers rows that were refused: their discounts rows are not reported again.
    refused: HashSet<String>,
}

impl<'m> Merger<'m> {
    pub fn new(
        live: &'m OrdMap<String, CustomerOffer>,
        deleted: HashMap<String, CustomerOffer>,
        now: String,
        replace: bool,
    ) -> Merger<'m> {
        Merger {
            live,
            deleted,
            now,
            replace,
            index: HashMap::new(),
            offers: Vec::new(),
            refused: HashSet::new(),
        }
    }

    /// An offers row that could not be read (its problems reported).
    pub fn refused_offer(&mut self, code: String) {
        self.refused.insert(code);
    }

    pub fn offer_row(&mut self, row: OfferRow, problems: &mut Problems) {
        if let Some(&i) = self.index.get(&row.code) {
            let first = self.offers[i].offer_line;
            problems.cell(
                FileKind::Offers,
                row.line,
                Some(offers_csv::column(offers_csv::CODE)),
                Some(&row.code),
                format!("offer `{}` is already at line {first}", row.code),
            );
            return;
        }
        let (mut offer, origin) = match self.live.get(&row.code) {
            Some(stored) => (stored.clone(), Origin::Live),
            None => match self.deleted.remove(&row.code) {
                Some(stored) => (stored, Origin::Deleted),
                None => {
                    let mut offer = CustomerOffer::new(row.code.clone(), row.scope.clone());
                    offer.created_at = Some(self.now.clone());
                    (offer, Origin::New)
                }
            },
        };
        offer.kind = row.kind;
        offer.title = row.title;
        offer.scope = row.scope;
        offer.starts_on = row.starts_on;
        offer.ends_on = row.ends_on;
        if let Some(show) = row.show {
            offer.show_to_customer = show;
        }
        self.index.insert(row.code, self.offers.len());
        self.offers.push(Working::new(offer, origin, row.line));
    }

    pub fn discount_row(&mut self, row: DiscountRow, problems: &mut Problems) {
        let i = match self.index.get(&row.offer) {
            Some(&i) => i,
            None => match self.live.get(&row.offer) {
                Some(stored) => {
                    self.index.insert(row.offer.clone(), self.offers.len());
                    self.offers
                        .push(Working::new(stored.clone(), Origin::Live, 0));
                    self.offers.len() - 1
                }
                None => {
                    if !self.refused.contains(&row.offer) {
                        let message = if self.deleted.contains_key(&row.offer) {
                            format!(
                                "offer `{}` is deleted: restore it, or name it in the offers file",
                                row.offer
                            )
                        } else {
                            format!(
                                "no offer `{}`: import it first, or with its offers file",
                                row.offer
                            )
                        };
                        problems.cell(
                            FileKind::Discounts,
                            row.line,
                            Some(discounts_csv::column(discounts_csv::OFFER)),
                            Some(&row.offer),
                            message,
                        );
                    }
                    return;
                }
            },
        };
        let replace = self.replace;
        let working = &mut self.offers[i];
        if replace && !working.replaced {
            working.replaced = true;
            working.offer.commitments.clear();
            working.commitment_lines.clear();
            working.discount_lines.clear();
            working.codes.clear();
        }
        working.put(row, problems);
    }
}

impl Working {
    /// A discounts row of this offer.
    fn put(&mut self, row: DiscountRow, problems: &mut Problems) {
        let commitments = &mut self.offer.commitments;
        let c = match commitments.iter().position(|c| c.number == row.number) {
            Some(c) => c,
            None => {
                commitments.push(Commitment {
                    number: row.number,
                    starts_on: None,
                    ends_on: None,
                    discounts: Vec::new(),
                });
                self.commitment_lines.push(0);
                self.discount_lines.push(Vec::new());
                self.codes.push(None);
                commitments.len() - 1
            }
        };
        let commitment = &mut commitments[c];
        if let Some((starts_on, ends_on)) = row.dates {
            let first = self.commitment_lines[c];
            if first == 0 {
                commitment.starts_on = starts_on;
                commitment.ends_on = ends_on;
            } else if (&commitment.starts_on, &commitment.ends_on) != (&starts_on, &ends_on) {
                let dates = |s: &Option<String>, e: &Option<String>| {
                    format!(
                        "{}–{}",
                        format_date(s.as_deref()),
                        format_date(e.as_deref())
                    )
                };
                problems.cell(
                    FileKind::Discounts,
                    row.line,
                    Some(discounts_csv::column(discounts_csv::STARTS)),
                    Some(&dates(&starts_on, &ends_on)),
                    format!(
                        "commitment {} of offer `{}` has other dates at line {first} ({})",
                        row.number,
                        self.offer.code,
                        dates(&commitment.starts_on, &commitment.ends_on)
                    ),
                );
            }
        }
        if self.commitment_lines[c] == 0 {
            self.commitment_lines[c] = row.line;
        }
        let Some(discount) = row.discount else {
            return;
        };
        let codes = self.codes[c].get_or_insert_with(|| {
            commitment
                .discounts
                .iter()
                .enumerate()
                .map(|(i, d)| (d.code.as_str().into(), i))
                .collect()
        });
        let lines = &mut self.discount_lines[c];
        match codes.get(discount.code.as_str()) {
            Some(&d) if lines[d] != 0 => problems.cell(
                FileKind::Discounts,
                row.line,
                Some(discounts_csv::column(discounts_csv::CODE)),
                Some(&discount.code),
                format!(
                    "discount `{}` of commitment {} of offer `{}` is already at line {}",
                    discount.code, row.number, self.offer.code, lines[d]
                ),
            ),
            Some(&d) => {
                commitment.discounts[d] = discount;
                lines[d] = row.line;
            }
            None => {
                codes.insert(discount.code.as_str().into(), commitment.discounts.len());
                commitment.discounts.push(discount);
                lines.push(row.line);
            }
        }
    }

    /// Reports a problem the checks found at `field` of this offer (a path in its document) at
    /// the line and column it comes from, with the value as the file writes it.
    pub fn report(
        &self,
        offer: &CustomerOffer,
        field: &str,
        message: String,
        separator: Separator,
        problems: &mut Problems,
    ) {
        if let Some((c, rest)) = indexed(field, "commitments") {
            let line = self.commitment_lines.get(c).copied().unwrap_or(0);
            let commitment = offer.commitments.get(c);
            if let Some((d, rest)) = indexed(rest, ".discounts") {
                let line = self
                    .discount_lines
                    .get(c)
                    .and_then(|l| l.get(d))
                    .copied()
                    .filter(|l| *l != 0)
                    .unwrap_or(line);
                let discount = commitment.and_then(|c| c.discounts.get(d));
                let at = match rest.trim_start_matches('.') {
                    f if f.starts_with("code") => Some(discounts_csv::CODE),
                    f if f.starts_with("sku") => Some(discounts_csv::SKU),
                    f if f.starts_with("segment") => Some(discounts_csv::SEGMENT),
                    f if f.starts_with("price") => Some(discounts_csv::PRICE),
                    f if f.starts_with("percent") => Some(discounts_csv::PERCENT),
                    f if f.starts_with("min_quantity") => Some(discounts_csv::MIN_QUANTITY),
                    f if f.starts_with("breaks") => Some(discounts_csv::BREAKS),
                    _ => None,
                };
                let value = discount.zip(at).map(|(d, at)| {
                    discounts_csv::discount_cells(d, separator)
                        .get(at - discounts_csv::CODE)
                        .cloned()
                        .unwrap_or_default()
                });
                return self.at(
                    FileKind::Discounts,
                    line,
                    at.map(discounts_csv::column),
                    value,
                    field,
                    message,
                    problems,
                );
            }
            let (at, value) = match rest.trim_start_matches('.') {
                "starts_on" => (
                    Some(discounts_csv::STARTS),
                    commitment.map(|c| format_date(c.starts_on.as_deref())),
                ),
                "ends_on" => (
                    Some(discounts_csv::ENDS),
                    commitment.map(|c| format_date(c.ends_on.as_deref())),
                ),
                "number" => (
                    Some(discounts_csv::NUMBER),
                    commitment.map(|c| c.number.to_string()),
                ),
                _ => (None, None),
            };
            return self.at(
                FileKind::Discounts,
                line,
                at.map(discounts_csv::column),
                value,
                field,
                message,
                problems,
            );
        }
        let (at, value) = match field.split(['.', '[']).next().unwrap_or_default() {
            "code" => (offers_csv::CODE, offer.code.clone()),
            "title" => (offers_csv::TITLE, offer.title.clone()),
            "type" => (
                offers_csv::TYPE,
                offers_csv::type_label(offer.kind).to_owned(),
            ),
            "scope" => {
                let (scope, code) = offers_csv::scope_cells(&offer.scope);
                if code.is_empty() {
                    (offers_csv::SCOPE, scope.to_owned())
                } else {
                    (offers_csv::SCOPE_CODE, code.to_owned())
                }
            }
            "starts_on" => (offers_csv::STARTS, format_date(offer.starts_on.as_deref())),
            "ends_on" => (offers_csv::ENDS, format_date(offer.ends_on.as_deref())),
            "show_to_customer" => (
                offers_csv::SHOW,
                String::from(if offer.show_to_customer { "1" } else { "0" }),
            ),
            _ => (usize::MAX, String::new()),
        };
        let column = (at != usize::MAX).then(|| offers_csv::column(at));
        let value = column.map(|_| value);
        self.at(
            FileKind::Offers,
            self.offer_line,
            column,
            value,
            field,
            message,
            problems,
        );
    }

    /// Reports at `line` of `file` when the row is there; otherwise at the offer's first line in
    /// either file, naming the field; otherwise without a line.
    #[allow(clippy::too_many_arguments)]
    fn at(
        &self,
        file: FileKind,
        line: u64,
        column: Option<&str>,
        value: Option<String>,
        field: &str,
        message: String,
        problems: &mut Problems,
    ) {
        let value = value.filter(|v| !v.is_empty());
        if line != 0 {
            return problems.cell(file, line, column, value.as_deref(), message);
        }
        let about = format!("offer `{}` {field}: {message}", self.offer.code);
        if self.offer_line != 0 {
            return problems.cell(FileKind::Offers, self.offer_line, None, None, about);
        }
        let first = self
            .commitment_lines
            .iter()
            .copied()
            .filter(|l| *l != 0)
            .min();
        match first {
            Some(line) => problems.cell(FileKind::Discounts, line, None, None, about),
            None => problems.document(format!("offer {} {field}", self.offer.code), message),
        }
    }
}

/// `commitments[3].rest` → `(3, ".rest")`.
fn indexed<'f>(field: &'f str, list: &str) -> Option<(usize, &'f str)> {
    let rest = field.strip_prefix(list)?.strip_prefix('[')?;
    let (index, rest) = rest.split_once(']')?;
    Some((index.parse().ok()?, rest))
}
