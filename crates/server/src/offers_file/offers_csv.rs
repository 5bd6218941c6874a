//! Seed 004's offers file ("Exporter les offres" / "Importer les offres"), one offer a row:
//!
//! `Code;Type;Libelle type;Intitulé;Type de périmètre;Code périmètre;Libellé périmètre;Date début;Date fin;Afficher l'offre sur la boutique virtuelle`
//!
//! `Type` 0 (commercial) or 1 (public procurement), its label optional and ignored on reading;
//! `Type de périmètre` `TOUS`, `GROUPE`, `CLIENT`, or Remise's `COLLECTE` (a collection point), in
//! upper case, with the group's code, the customer's reference or the point's code in `Code
//! périmètre` (empty for `TOUS`); `Libellé périmètre` optional and ignored on reading; dates
//! `jj/mm/aaaa` or empty; the last column 0 or 1, and only there where the store sells to
//! professionals (seed 004) — a file without it leaves an existing offer's choice as it is.

use std::io::Write;

use remise_engine::rules::{CustomerOffer, OfferScope, OfferType};

use super::cells::{Columns, FileKind, Problems, Row, Separator, format_date, parse_date};

pub(crate) const CODE: usize = 0;
pub(crate) const TYPE: usize = 1;
pub(crate) const TITLE: usize = 3;
pub(crate) const SCOPE: usize = 4;
pub(crate) const SCOPE_CODE: usize = 5;
pub(crate) const STARTS: usize = 7;
pub(crate) const ENDS: usize = 8;
pub(crate) const SHOW: usize = 9;

pub(crate) const COLUMNS: Columns = Columns {
    names: &[
        "Code",
        "Type",
        "Libelle type",
        "Intitulé",
        "Type de périmètre",
        "Code périmètre",
        "Libellé périmètre",
        "Date début",
        "Date fin",
        "Afficher l'offre sur la boutique virtuelle",
    ],
    optional: &[
        "Libelle type",
        "Libellé périmètre",
        "Afficher l'offre sur la boutique virtuelle",
    ],
};

/// The name of a column.
pub(crate) fn column(index: usize) -> &'static str {
    COLUMNS.names.get(index).copied().unwrap_or_default()
}

/// What a row of the offers file says of its offer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OfferRow {
    pub line: u64,
    pub code: String,
    pub kind: OfferType,
    pub title: String,
    pub scope: OfferScope,
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    /// `None` when the file has no such column.
    pub show: Option<bool>,
}

/// The seed's labels of the offer types.
pub(crate) fn type_label(kind: OfferType) -> &'static str {
    match kind {
        OfferType::Commercial => "Offre commerciale",
        OfferType::PublicProcurement => "Marché public",
    }
}

/// The scope's value in the file, and its code.
pub(crate) fn scope_cells(scope: &OfferScope) -> (&'static str, &str) {
    match scope {
        OfferScope::All => ("TOUS", ""),
        OfferScope::Group(g) => ("GROUPE", g),
        OfferScope::Customer(c) => ("CLIENT", c),
        OfferScope::CollectionPoint(p) => ("COLLECTE", p),
    }
}

/// Reads a row; its problems are reported and give `Err` with the row's code (empty when it has
/// none), so that the other file's rows of that offer are not reported again.
pub(crate) fn read_row(row: &Row<'_>, problems: &mut Problems) -> Result<OfferRow, String> {
    let line = row.line;
    let mut fine = true;
    let mut wrong = |problems: &mut Problems, at: usize, message: String| {
        fine = false;
        let value = Some(row.get(at)).filter(|v| !v.is_empty());
        problems.cell(FileKind::Offers, line, Some(column(at)), value, message);
    };
    let code = row.get(CODE).to_owned();
    if code.is_empty() {
        wrong(
            problems,
            CODE,
            "required: the code of the offer the row creates or updates".to_owned(),
        );
    }
    let kind = match row.get(TYPE) {
        "0" => OfferType::Commercial,
        "1" => OfferType::PublicProcurement,
        other => {
            let message = if other.is_empty() {
                "required: 0 (Offre commerciale) or 1 (Marché public)".to_owned()
            } else {
                format!("`{other}` is not a type: 0 (Offre commerciale) or 1 (Marché public)")
            };
            wrong(problems, TYPE, message);
            OfferType::Commercial
        }
    };
    let scope_code = row.get(SCOPE_CODE).to_owned();
    let with_code = |make: fn(String) -> OfferScope, name: &str| {
        if scope_code.is_empty() {
            Err(format!(
                "{name} needs its {} in `{}`",
                match name {
                    "GROUPE" => "group's code",
                    "CLIENT" => "customer's reference",
                    _ => "collection point's code",
                },
                column(SCOPE_CODE)
            ))
        } else {
            Ok(make(scope_code.clone()))
        }
    };
    let scope = match row.get(SCOPE) {
        "TOUS" if scope_code.is_empty() => Ok(OfferScope::All),
        "TOUS" => Err(format!(
            "TOUS (every customer) takes no `{}`: leave it empty",
            column(SCOPE_CODE)
        )),
        "GROUPE" => with_code(OfferScope::Group, "GROUPE"),
        "CLIENT" => with_code(OfferScope::Customer, "CLIENT"),
        "COLLECTE" => with_code(OfferScope::CollectionPoint, "COLLECTE"),
        "" => Err("required: TOUS, GROUPE, CLIENT or COLLECTE".to_owned()),
        other
            if ["TOUS", "GROUPE", "CLIENT", "COLLECTE"]
                .contains(&other.to_uppercase().as_str()) =>
        {
            Err(format!(
                "`{other}`: write the scope in upper case, {}",
                other.to_uppercase()
            ))
        }
        other => Err(format!(
            "`{other}` is not a scope: TOUS, GROUPE, CLIENT or COLLECTE"
        )),
    };
    let scope = scope.unwrap_or_else(|message| {
        // A scope missing its code is the code's problem; any other, the scope's.
        let at = if message.contains("needs its") || message.starts_with("TOUS") {
            SCOPE_CODE
        } else {
            SCOPE
        };
        wrong(problems, at, message);
        OfferScope::All
    });
    let mut date = |problems: &mut Problems, at: usize| {
        parse_date(row.get(at)).unwrap_or_else(|message| {
            wrong(problems, at, message);
            None
        })
    };
    let starts_on = date(problems, STARTS);
    let ends_on = date(problems, ENDS);
    let show = if row.has(SHOW) {
        match row.get(SHOW) {
            "0" => Some(false),
            "1" => Some(true),
            other => {
                let message = if other.is_empty() {
                    "required: 0 or 1".to_owned()
                } else {
                    format!("`{other}` is not 0 or 1")
                };
                wrong(problems, SHOW, message);
                None
            }
        }
    } else {
        None
    };
    if !fine {
        return Err(code);
    }
    Ok(OfferRow {
        line,
        code,
        kind,
        title: row.get(TITLE).to_owned(),
        scope,
        starts_on,
        ends_on,
        show,
    })
}

/// The header of the file; the last column only where the store sells to professionals.
pub(crate) fn header(show_column: bool) -> &'static [&'static str] {
    if show_column {
        COLUMNS.names
    } else {
        &COLUMNS.names[..SHOW]
    }
}

/// Writes an offer's row. `group_name` is the name of the offer's group, for `Libellé
/// périmètre`.
pub(crate) fn write_row<W: Write>(
    csv: &mut csv::Writer<W>,
    offer: &CustomerOffer,
    group_name: Option<&str>,
    show_column: bool,
) -> std::io::Result<()> {
    let (scope, scope_code) = scope_cells(&offer.scope);
    let scope_label = match &offer.scope {
        OfferScope::All => "Tous les clients",
        OfferScope::Group(_) => group_name.unwrap_or_default(),
        // The store knows customers and points by their codes only.
        OfferScope::Customer(_) | OfferScope::CollectionPoint(_) => "",
    };
    let kind = match offer.kind {
        OfferType::Commercial => "0",
        OfferType::PublicProcurement => "1",
    };
    let starts = format_date(offer.starts_on.as_deref());
    let ends = format_date(offer.ends_on.as_deref());
    let show = if offer.show_to_customer { "1" } else { "0" };
    let row: [&str; 10] = [
        &offer.code,
        kind,
        type_label(offer.kind),
        &offer.title,
        scope,
        scope_code,
        scope_label,
        &starts,
        &ends,
        show,
    ];
    csv.write_record(&row[..header(show_column).len()])?;
    Ok(())
}

/// A CSV writer with the file's separator, CRLF line ends (what spreadsheets write), and a BOM
/// before a `;` file so that Excel reads it as UTF-8.
pub(crate) fn writer<W: Write>(
    separator: Separator,
    mut out: W,
) -> std::io::Result<csv::Writer<W>> {
    if separator == Separator::Semicolon {
        out.write_all(b"\xEF\xBB\xBF")?;
    }
    Ok(csv::WriterBuilder::new()
        .delimiter(separator.byte())
        .terminator(csv::Terminator::CRLF)
        .from_writer(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offers_file::cells::read_rows;

    /// The scope a row's two cells give, or the `column: message` of its problem.
    fn scope(kind: &str, code: &str) -> Result<OfferScope, String> {
        let text = format!("{}\nA;0;;T;{kind};{code};;;;0\n", COLUMNS.names.join(";"));
        let mut problems = Problems::default();
        let mut read = None;
        let _ = read_rows(
            text.as_bytes(),
            FileKind::Offers,
            &COLUMNS,
            10,
            &mut problems,
            |row, problems| read = Some(read_row(row, problems)),
        );
        match (read, problems.finish()) {
            (Some(Ok(row)), Ok(())) => Ok(row.scope),
            (_, Err(crate::problem::ApiError::Validation(list))) => Err(list
                .iter()
                .map(|p| format!("{}: {}", p.column.as_deref().unwrap_or(""), p.message))
                .collect::<Vec<_>>()
                .join("; ")),
            other => Err(format!("{other:?}")),
        }
    }

    #[test]
    fn scopes_are_read_in_upper_case_with_their_code() {
        let cases: [(&str, &str, Result<OfferScope, &str>); 9] = [
            ("TOUS", "", Ok(OfferScope::All)),
            (
                "GROUPE",
                "cantines",
                Ok(OfferScope::Group("cantines".into())),
            ),
            ("CLIENT", "C0042", Ok(OfferScope::Customer("C0042".into()))),
            (
                "COLLECTE",
                "LYON",
                Ok(OfferScope::CollectionPoint("LYON".into())),
            ),
            (
                "groupe",
                "cantines",
                Err("Type de périmètre: `groupe`: write the scope in upper case, GROUPE"),
            ),
            (
                "GROUPE",
                "",
                Err("Code périmètre: GROUPE needs its group's code in `Code périmètre`"),
            ),
            (
                "TOUS",
                "x",
                Err(
                    "Code périmètre: TOUS (every customer) takes no `Code périmètre`: leave it empty",
                ),
            ),
            (
                "",
                "",
                Err("Type de périmètre: required: TOUS, GROUPE, CLIENT or COLLECTE"),
            ),
            (
                "ALL",
                "",
                Err("Type de périmètre: `ALL` is not a scope: TOUS, GROUPE, CLIENT or COLLECTE"),
            ),
        ];
        for (kind, code, expected) in cases {
            assert_eq!(
                scope(kind, code),
                expected.map_err(str::to_owned),
                "{kind} {code}"
            );
        }
    }
}
