//! The campaign checks' messages in French (the checks speak English, the API's language),
//! applied before `FormErrors::from_api`, which leaves a message it does not know as it is.
//! Kept beside the screen whose checks they are; `{}` stands for a value copied over.

use crate::office::i18n::Lang;
use crate::problem::ApiError;

const PATTERNS: &[(&str, &str)] = &[
    (
        crate::office::approval::PENDING,
        "les modifications de la campagne attendent une validation : elles doivent être validées, refusées ou retirées avant toute nouvelle modification",
    ),
    ("must not be empty", "ne doit pas être vide"),
    (
        "a permanent campaign has no end date",
        "une campagne permanente n’a pas de date de fin",
    ),
    ("must be after starts_at", "doit être après le début"),
    (
        "1 to 100 characters among a-z, 0-9 and '-'",
        "de 1 à 100 caractères parmi a-z, 0-9 et « - »",
    ),
    ("unknown selection `{}`", "la sélection « {} » n’existe pas"),
    (
        "already used by campaign `{}`",
        "déjà utilisée par la campagne « {} »",
    ),
    ("unknown campaign `{}`", "la campagne « {} » n’existe pas"),
    ("must be 1 to 128 characters", "de 1 à 128 caractères"),
    (
        "must not contain spaces, control characters or '/'",
        "sans espace, caractère de contrôle ni « / »",
    ),
    (
        "`{}` is neither RFC 3339 nor a date-time like 2026-11-27T00:00",
        "« {} » n’est pas une date et heure (par exemple 2026-11-27T00:00)",
    ),
    (
        "the campaign is {}: it can become {}, not {}",
        "la campagne est au statut {} : elle peut passer à {}, pas à {}",
    ),
    (
        "must not be negative (got {})",
        "ne doit pas être négatif (reçu : {})",
    ),
    (
        "must be at most {} (10^15) in the currency's unit (got {})",
        "ne doit pas dépasser {} (10^15) dans l’unité de la devise (reçu : {})",
    ),
];

/// `error` with its field problems (and the conflicts of approval) in French when the page is.
pub fn french_problems(lang: Lang, error: ApiError) -> ApiError {
    match (lang, error) {
        (Lang::Fr, ApiError::Conflict(message)) => ApiError::Conflict(translate(&message)),
        (Lang::Fr, ApiError::Validation(problems)) => ApiError::Validation(
            problems
                .into_iter()
                .map(|mut p| {
                    p.message = translate(&p.message);
                    p
                })
                .collect(),
        ),
        (_, error) => error,
    }
}

fn translate(message: &str) -> String {
    PATTERNS
        .iter()
        .find_map(|(english, french)| fill(french, &matches(english, message)?))
        .unwrap_or_else(|| message.to_owned())
}

/// The values `{}` stands for when `message` matches `pattern`.
fn matches<'a>(pattern: &str, message: &'a str) -> Option<Vec<&'a str>> {
    let pieces: Vec<&str> = pattern.split("{}").collect();
    let mut rest = message.strip_prefix(pieces.first()?)?;
    let mut values = Vec::new();
    for (i, piece) in pieces.iter().enumerate().skip(1) {
        let at = if i == pieces.len() - 1 {
            if piece.is_empty() {
                rest.len()
            } else {
                rest.strip_suffix(piece)?.len()
            }
        } else {
            rest.find(piece)?
        };
        values.push(&rest[..at]);
        rest = &rest[at + piece.len()..];
    }
    rest.is_empty().then_some(values)
}

fn fill(pattern: &str, values: &[&str]) -> Option<String> {
    let mut out = String::new();
    let mut values = values.iter();
    let mut pieces = pattern.split("{}").peekable();
    while let Some(piece) = pieces.next() {
        out.push_str(piece);
        if pieces.peek().is_some() {
            out.push_str(values.next()?);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::FieldProblem;

    #[test]
    fn campaign_checks_read_in_french() {
        assert_eq!(
            translate("unknown selection `noel`"),
            "la sélection « noel » n’existe pas"
        );
        assert_eq!(
            translate("must not be negative (got -5)"),
            "ne doit pas être négatif (reçu : -5)"
        );
        assert_eq!(translate("something else"), "something else");
        let error = ApiError::Validation(vec![FieldProblem::new("name", "must not be empty")]);
        let ApiError::Validation(problems) = french_problems(Lang::Fr, error) else {
            panic!("still a validation error");
        };
        assert_eq!(problems[0].message, "ne doit pas être vide");
    }
}
