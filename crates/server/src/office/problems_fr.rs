//! The checks' messages in French. The engine and the documents' checks write their messages
//! in English (the API's language); the back office shows them in French through this table of
//! patterns, where `{}` stands for a value copied from the English message.

/// `(English pattern, French pattern)`; the values in braces keep their order. The first
/// pattern that matches wins: longer, more specific ones come before those they contain.
const PATTERNS: &[(&str, &str)] = &[
    ("is required", "est obligatoire"),
    // Catalog structure: segments and selections.
    ("must not be empty", "ne doit pas être vide"),
    ("unknown segment `{}`", "segment « {} » inconnu"),
    (
        "segment `{}` is its own ancestor",
        "le segment « {} » se retrouverait sous lui-même",
    ),
    (
        "must not be negative (got {})",
        "ne doit pas être négatif ({})",
    ),
    (
        "{} has more decimals than {} allows ({})",
        "{} a plus de décimales que la devise {} n'en permet ({})",
    ),
    (
        "{} is below min_price {}",
        "{} est inférieur au prix minimum {}",
    ),
    (
        "gives no criterion: name segments, brands, tags, attributes or a price bound",
        "aucun critère : indiquez des segments, marques, tags, attributs ou une borne de prix",
    ),
    ("`{}` is listed twice", "« {} » figure deux fois"),
    ("at most 100 characters", "100 caractères au plus"),
    // A promotion's checks (engine: compile.rs, compile/conditions.rs, compile/offer.rs; money.rs).
    (
        "must be at most {} (10^15) in the currency's unit (got {})",
        "ne doit pas dépasser {} (10^15) dans l'unité de la devise (valeur : {})",
    ),
    (
        "must be at most {} (got {})",
        "ne doit pas dépasser {} (valeur : {})",
    ),
    (
        "must be between 0 and 100 (got {})",
        "doit être compris entre 0 et 100 (valeur : {})",
    ),
    ("must be at least 1", "doit valoir au moins 1"),
    (
        "`{}` is not a date-time (expected 2026-12-01T00:00:00, optionally with an offset)",
        "« {} » n'est pas une date et heure (attendu : 2026-12-01T00:00:00, avec ou sans décalage horaire)",
    ),
    ("must be after starts_at", "doit être après le début"),
    (
        "`{}` is not a weekday (monday … sunday)",
        "« {} » n'est pas un jour de la semaine (monday … sunday)",
    ),
    (
        "`{}` is not a time (HH:MM)",
        "« {} » n'est pas une heure (HH:MM)",
    ),
    (
        "from and to are equal: the window is empty",
        "le début et la fin sont égaux : la plage horaire est vide",
    ),
    (
        "{} is below min_cart_amount {}",
        "{} est inférieur au montant minimum du panier {}",
    ),
    (
        "{} is below min_orders {}",
        "{} est inférieur au nombre minimum de commandes {}",
    ),
    ("{} is below min {}", "{} est inférieur au minimum {}"),
    (
        "give `min`, `max` or both",
        "indiquez un minimum, un maximum ou les deux",
    ),
    (
        "must name the products (skus, segments, …) or a unit price range",
        "doit désigner des produits (références, segments…) ou une fourchette de prix unitaire",
    ),
    (
        "contradicts first_order (the first order is the 1st)",
        "contredit « première commande » (la première commande est la 1re)",
    ),
    (
        "contradicts min_orders / max_orders",
        "contredit le nombre minimum ou maximum de commandes",
    ),
    (
        "must hold at least one tier",
        "doit compter au moins un palier",
    ),
    (
        "give exactly one of `from` (≥) and `over` (>)",
        "indiquez soit « à partir de » (≥), soit « au-delà de » (>)",
    ),
    (
        "a quantity threshold is a whole number of units",
        "un seuil de quantité est un nombre entier d'articles",
    ),
    (
        "tiers must be in increasing order of threshold",
        "les paliers doivent être rangés par seuil croissant",
    ),
    (
        "a tier's offer must be a merchandise offer (percent_off, amount_off_each, amount_off_line, amount_off_total, unit_price, cart_percent_off, cart_amount_off)",
        "la remise d'un palier doit porter sur la marchandise (pourcentage ou montant par article, par ligne, sur l'ensemble ou sur le panier, ou prix unitaire)",
    ),
    (
        "`{}` is not in the catalog",
        "« {} » n'est pas dans le catalogue",
    ),
    (
        "needs the rewards among the targets (leave reward_targets out)",
        "suppose que les articles récompensés soient parmi les produits ciblés (laissez les produits récompensés vides)",
    ),
    (
        "must hold at least one slot",
        "doit compter au moins un élément",
    ),
    (
        "must name the products of the slot (skus, segments, …)",
        "doit désigner les produits de l'élément (références, segments…)",
    ),
    (
        "`all` cannot be combined with other criteria (use `exclude`)",
        "« tous les produits » ne se combine pas avec d'autres critères (utilisez les produits exclus)",
    ),
    (
        "names no product; omit it or set `all: true` to target every product",
        "ne désigne aucun produit ; laissez-le vide ou cochez « tous les produits » pour cibler tout le catalogue",
    ),
    (
        "excluding every product leaves nothing",
        "exclure tous les produits n'en laisse aucun",
    ),
    ("unknown selection `{}`", "sélection inconnue : « {} »"),
    ("`{}`: {}", "« {} » : {}"),
    // The documents' own checks (documents.rs, model.rs) and the write's (routes/documents.rs).
    (
        "must be 1 to 128 characters",
        "doit compter de 1 à 128 caractères",
    ),
    (
        "must not contain spaces, control characters or '/'",
        "ne doit contenir ni espace, ni caractère de contrôle, ni « / »",
    ),
    ("unknown campaign `{}`", "campagne inconnue : « {} »"),
    (
        super::approval::PENDING,
        "les modifications de la campagne attendent une validation : elles doivent être validées, refusées ou retirées avant toute nouvelle modification",
    ),
    (
        "a promotion `{}` already exists (deleted: restore it or choose another id)",
        "une promotion « {} » existe déjà (supprimée : restaurez-la ou choisissez un autre identifiant)",
    ),
    (
        "a promotion `{}` already exists",
        "une promotion « {} » existe déjà",
    ),
    (
        "promotion `{}` is at version {}, not {}",
        "la promotion « {} » est à la version {}, pas {}",
    ),
    ("no promotion `{}`", "aucune promotion « {} »"),
    (
        "it no longer fits the other documents: {}",
        "elle ne s'accorde plus avec les autres documents : {}",
    ),
    (
        "this change would break other documents: {}",
        "ce changement rendrait d'autres documents invalides : {}",
    ),
    (
        "no deleted promotion `{}`",
        "aucune promotion supprimée « {} »",
    ),
];

/// `message` in French when a pattern matches it, else as it is.
pub fn translate(message: &str) -> String {
    for (english, french) in PATTERNS {
        if let Some(values) = matches(english, message) {
            return fill(french, &values);
        }
    }
    message.to_owned()
}

/// The values `{}` stands for when `message` matches `pattern`.
pub(super) fn matches<'a>(pattern: &str, message: &'a str) -> Option<Vec<&'a str>> {
    let pieces: Vec<&str> = pattern.split("{}").collect();
    let mut rest = message.strip_prefix(pieces[0])?;
    let mut values = Vec::new();
    for (i, piece) in pieces.iter().enumerate().skip(1) {
        let last = i == pieces.len() - 1;
        let at = if last && piece.is_empty() {
            rest.len()
        } else if last {
            rest.strip_suffix(piece).map(str::len)?
        } else {
            rest.find(piece)?
        };
        values.push(&rest[..at]);
        rest = &rest[at + piece.len()..];
    }
    rest.is_empty().then_some(values)
}

fn fill(pattern: &str, values: &[&str]) -> String {
    let mut out = String::new();
    let mut values = values.iter();
    let mut pieces = pattern.split("{}").peekable();
    while let Some(piece) = pieces.next() {
        out.push_str(piece);
        if pieces.peek().is_some() {
            out.push_str(values.next().copied().unwrap_or(""));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use remise_engine::rules::{Promotion, RuleSet};
    use remise_store::Kind;
    use serde_json::json;

    use super::*;
    use crate::documents::Document;

    /// Promotions a form can send, each wrong in some way: every check of a promotion fails
    /// in at least one of them.
    fn wrong_promotions() -> Vec<serde_json::Value> {
        let percent = |offer: serde_json::Value| json!({"id": "p", "offer": offer});
        vec![
            json!({"id": "", "offer": {"type": "free_shipping"}}),
            json!({"id": "a b", "offer": {"type": "free_shipping"}}),
            json!({"id": "p", "offer": {"type": "free_shipping"}, "validity": {
                "starts_at": "nope", "weekdays": ["funday"],
                "windows": [{"from": "8:00", "to": "09:00"}, {"from": "10:00", "to": "10:00"}]}}),
            json!({"id": "p", "offer": {"type": "free_shipping"}, "validity": {
                "starts_at": "2026-12-02T00:00", "ends_at": "2026-12-01T00:00"}}),
            json!({"id": "p", "offer": {"type": "free_shipping"}, "conditions": {
                "min_cart_amount": 50, "max_cart_amount": 10, "coupon": {"codes": ["--"]},
                "min_line_quantity": 0,
                "cart_contains": [{"targets": {}, "min_quantity": 0}],
                "history": {"first_order": true, "nth_order": 2}}}),
            json!({"id": "p", "offer": {"type": "free_shipping"}, "conditions": {
                "history": {"nth_order": 0}}}),
            json!({"id": "p", "offer": {"type": "free_shipping"}, "conditions": {
                "history": {"first_order": true, "min_orders": 1}}}),
            json!({"id": "p", "offer": {"type": "free_shipping"}, "conditions": {
                "history": {"min_orders": 5, "max_orders": 2}}}),
            percent(json!({"type": "percent_off", "percent": 120, "max_units": 0})),
            percent(json!({"type": "amount_off_each", "amount": -1})),
            percent(json!({"type": "amount_off_total", "amount": "1.234"})),
            percent(json!({"type": "unit_price", "price": "10000000000000000"})),
            json!({"id": "p", "offer": {"type": "free_shipping"}, "targets": {}}),
            json!({"id": "p", "offer": {"type": "free_shipping"},
                "targets": {"all": true, "skus": ["X"]}, "exclude": {"all": true}}),
            json!({"id": "p", "offer": {"type": "free_shipping"},
                "targets": {"segments": ["nope"], "selections": ["nope"]}}),
            json!({"id": "p", "offer": {"type": "free_shipping"},
                "targets": {"skus": ["MUG"], "unit_price": {}}}),
            json!({"id": "p", "offer": {"type": "free_shipping"},
                "targets": {"unit_price": {"min": 10, "max": 5}}}),
            percent(json!({"type": "tiered", "basis": "spend", "tiers": []})),
            percent(json!({"type": "tiered", "basis": "quantity", "tiers": [
                {"offer": {"type": "percent_off", "percent": 5}},
                {"from": "1.5", "offer": {"type": "percent_off", "percent": 5}},
                {"from": 1, "offer": {"type": "percent_off", "percent": 5}},
                {"from": 3, "offer": {"type": "free_shipping"}}]})),
            percent(json!({"type": "gift", "sku": "NOPE", "quantity": 0})),
            percent(json!({"type": "parcel_insert", "item": ""})),
            percent(json!({"type": "buy_x_get_y", "buy": 0, "get": 2000000000,
                "max_applications": 0, "partial_rewards": true,
                "reward_targets": {"skus": ["MUG"]}})),
            percent(json!({"type": "bundle", "slots": [], "price": {"type": "price", "price": 5}})),
            percent(
                json!({"type": "bundle", "slots": [{"targets": {"all": true}}],
                "price": {"type": "percent_off", "percent": 10}}),
            ),
        ]
    }

    /// Every message the checks of a promotion give (real ones, from the engine and the
    /// documents' checks) has a French translation.
    #[test]
    fn every_check_of_a_promotion_speaks_french() {
        let rules: RuleSet = serde_json::from_value(json!({
            "store": {"currency": "EUR", "time_zone": "Europe/Paris"},
            "catalog": {"segments": [{"id": "toys"}],
                "products": [{"sku": "MUG", "price": "9.00", "segments": ["toys"]}],
                "selections": [{"id": "gifts", "skus": ["MUG"]}]}
        }))
        .unwrap();
        let snapshot = remise_engine::compile(&rules).unwrap();
        let mut messages = Vec::new();
        for body in wrong_promotions() {
            let promotion: Promotion =
                serde_json::from_value(body.clone()).unwrap_or_else(|e| panic!("{body}: {e}"));
            let found: Vec<String> = snapshot
                .check_promotion(&promotion)
                .into_iter()
                .map(|e| e.message)
                .chain(
                    Document::Promotion(Box::new(promotion))
                        .check()
                        .into_iter()
                        .map(|p| p.message),
                )
                .collect();
            assert!(!found.is_empty(), "no problem found in {body}");
            messages.extend(found);
        }
        let store = |e: remise_store::Error| crate::problem::ApiError::from(e).to_string();
        messages.extend([
            store(remise_store::Error::VersionMismatch {
                kind: "promotion".into(),
                id: "p".into(),
                expected: 1,
                current: 2,
            }),
            store(remise_store::Error::not_found(Kind::Promotion, "p")),
            "unknown campaign `noel`".to_owned(),
            "a promotion `p` already exists (deleted: restore it or choose another id)".to_owned(),
        ]);
        // Each distinct message of the checks the list above reaches.
        let distinct: std::collections::BTreeSet<&String> = messages.iter().collect();
        assert!(
            distinct.len() >= 35,
            "{} messages: {distinct:#?}",
            distinct.len()
        );
        let untranslated: Vec<&&String> =
            distinct.iter().filter(|m| translate(m) == ***m).collect();
        assert!(untranslated.is_empty(), "without French: {untranslated:#?}");
        // Values keep their place, and a longer pattern wins over one it contains.
        assert_eq!(
            translate("1.234 has more decimals than EUR allows (2)"),
            "1.234 a plus de décimales que la devise EUR n'en permet (2)"
        );
        assert_eq!(
            translate("must be at most 1000000000000000 (10^15) in the currency's unit (got 1)"),
            "ne doit pas dépasser 1000000000000000 (10^15) dans l'unité de la devise (valeur : 1)"
        );
        assert_eq!(
            translate("must be at most 1000000000 (got 2000000000)"),
            "ne doit pas dépasser 1000000000 (valeur : 2000000000)"
        );
        assert_eq!(
            translate("a promotion `p` already exists"),
            "une promotion « p » existe déjà"
        );
    }

    #[test]
    fn patterns_carry_their_values() {
        assert_eq!(matches("a {} b {}", "a 1 b 22"), Some(vec!["1", "22"]));
        assert_eq!(matches("a {} b", "a x b"), Some(vec!["x"]));
        assert_eq!(matches("a {} b", "a x c"), None);
        assert_eq!(fill("x {} y {}", &["1", "2"]), "x 1 y 2");
        assert_eq!(translate("is required"), "est obligatoire");
        assert_eq!(
            translate("no translation for this"),
            "no translation for this"
        );
    }
}
