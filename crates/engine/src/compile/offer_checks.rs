//! The checks of one B2B offer (seed 004) that need no other offer: its code, type, scope, dates,
//! commitments and discounts. [`compile`](crate::compile) runs them on every offer (and finds
//! duplicate codes); the server and the CSV import report them on the offer they write.

use jiff::civil::Date;
use rust_decimal::Decimal;

use crate::error::FieldError;
use crate::money::Money;
use crate::rules::{
    Commitment, ContractDiscount, CustomerOffer, OfferScope, OfferType, QuantityBreak, SellsTo,
};

/// The longest offer or discount code accepted.
pub const MAX_CODE_LEN: usize = 64;

/// A whole day as offers write it: `YYYY-MM-DD`.
pub fn parse_day(text: &str) -> Option<Date> {
    // jiff also reads `20260101`; the rule format promises one spelling.
    if text.len() != 10 {
        return None;
    }
    text.parse().ok()
}

/// What the checks of an offer need to know of its store.
pub struct OfferStore<'a> {
    pub money: &'a Money,
    pub sells_to: SellsTo,
    /// Whether a customer group of that code exists.
    pub group_exists: &'a dyn Fn(&str) -> bool,
    /// Whether a catalog segment of that id exists.
    pub segment_exists: &'a dyn Fn(&str) -> bool,
}

/// Every problem of `offer` in `store`, with paths within the offer (`commitments[0].ends_on`).
pub fn offer_problems(offer: &CustomerOffer, store: &OfferStore<'_>) -> Vec<FieldError> {
    let mut problems = Vec::new();
    let mut error = |path: String, message: String| problems.push(FieldError::new(path, message));
    if let Some(message) = code_problem(&offer.code) {
        error("code".into(), message);
    }
    if offer.title.trim().is_empty() {
        error("title".into(), "must not be empty".into());
    }
    if offer.kind == OfferType::PublicProcurement && !store.sells_to.professionals() {
        error(
            "type".into(),
            "public procurement exists only in a store that sells to professionals (settings.sells_to)"
                .into(),
        );
    }
    match &offer.scope {
        OfferScope::All => {}
        OfferScope::Group(group) if group.is_empty() => {
            error("scope.group".into(), "must not be empty".into())
        }
        OfferScope::Group(group) if !(store.group_exists)(group) => error(
            "scope.group".into(),
            format!("unknown customer group `{group}`"),
        ),
        OfferScope::Group(_) => {}
        OfferScope::Customer(customer) if customer.is_empty() => {
            error("scope.customer".into(), "must not be empty".into())
        }
        OfferScope::Customer(_) => {}
        OfferScope::CollectionPoint(_) if !store.sells_to.consumers() => error(
            "scope.collection_point".into(),
            "collection points exist only in a store that sells to consumers (settings.sells_to)"
                .into(),
        ),
        OfferScope::CollectionPoint(point) if point.is_empty() => {
            error("scope.collection_point".into(), "must not be empty".into())
        }
        OfferScope::CollectionPoint(_) => {}
    }
    let starts = day(&mut error, "starts_on", offer.starts_on.as_deref());
    let ends = day(&mut error, "ends_on", offer.ends_on.as_deref());
    if offer.kind == OfferType::PublicProcurement {
        for (field, value) in [("starts_on", &offer.starts_on), ("ends_on", &offer.ends_on)] {
            if value.is_none() {
                error(
                    field.into(),
                    "is required for a public procurement offer".into(),
                );
            }
        }
    }
    ordered(&mut error, "ends_on", starts, ends);
    if let Some(created_at) = &offer.created_at
        && created_at.parse::<jiff::Timestamp>().is_err()
    {
        error(
            "created_at".into(),
            format!("`{created_at}` is not an RFC 3339 instant"),
        );
    }
    let mut numbers: Vec<(u32, usize)> = Vec::new();
    for (i, commitment) in offer.commitments.iter().enumerate() {
        let path = format!("commitments[{i}]");
        if let Some(&(_, first)) = numbers.iter().find(|(n, _)| *n == commitment.number) {
            error(
                format!("{path}.number"),
                format!(
                    "duplicate commitment number {} (first at commitments[{first}])",
                    commitment.number
                ),
            );
        }
        numbers.push((commitment.number, i));
        commitment_problems(&mut error, &path, commitment, (starts, ends), store);
    }
    problems
}

/// Why `code` cannot be an offer's or a discount's code: empty, too long, or other than ASCII
/// letters and digits.
pub fn code_problem(code: &str) -> Option<String> {
    if code.is_empty() {
        Some("must not be empty".into())
    } else if code.len() > MAX_CODE_LEN {
        Some(format!("at most {MAX_CODE_LEN} characters"))
    } else if !code.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Some(format!(
            "`{code}`: letters and digits only, without spaces or special characters"
        ))
    } else {
        None
    }
}

type Report<'a> = dyn FnMut(String, String) + 'a;

fn day(error: &mut Report<'_>, path: &str, text: Option<&str>) -> Option<Date> {
    let text = text?;
    let parsed = parse_day(text);
    if parsed.is_none() {
        error(
            path.into(),
            format!("`{text}` is not a day (YYYY-MM-DD, e.g. 2026-10-01)"),
        );
    }
    parsed
}

fn ordered(error: &mut Report<'_>, path: &str, starts: Option<Date>, ends: Option<Date>) {
    if let (Some(starts), Some(ends)) = (starts, ends)
        && ends < starts
    {
        error(path.into(), format!("{ends} is before the start, {starts}"));
    }
}

fn commitment_problems(
    error: &mut Report<'_>,
    path: &str,
    commitment: &Commitment,
    (offer_starts, offer_ends): (Option<Date>, Option<Date>),
    store: &OfferStore<'_>,
) {
    let starts = day(
        error,
        &format!("{path}.starts_on"),
        commitment.starts_on.as_deref(),
    );
    let ends = day(
        error,
        &format!("{path}.ends_on"),
        commitment.ends_on.as_deref(),
    );
    ordered(error, &format!("{path}.ends_on"), starts, ends);
    // Each of its own days lies within the offer's, so that a commitment without one of them
    // (which takes the offer's) still has a start before its end.
    for (field, own) in [("starts_on", starts), ("ends_on", ends)] {
        let Some(own) = own else { continue };
        if let Some(offer_starts) = offer_starts
            && own < offer_starts
        {
            error(
                format!("{path}.{field}"),
                format!("{own} is before the offer's start, {offer_starts}"),
            );
        } else if let Some(offer_ends) = offer_ends
            && own > offer_ends
        {
            error(
                format!("{path}.{field}"),
                format!("{own} is after the offer's end, {offer_ends}"),
            );
        }
    }
    let mut codes: Vec<(&str, usize)> = Vec::new();
    for (j, discount) in commitment.discounts.iter().enumerate() {
        let path = format!("{path}.discounts[{j}]");
        if let Some(&(_, first)) = codes.iter().find(|(c, _)| *c == discount.code) {
            error(
                format!("{path}.code"),
                format!(
                    "duplicate discount code `{}` in this commitment (first at discounts[{first}])",
                    discount.code
                ),
            );
        }
        codes.push((&discount.code, j));
        discount_problems(error, &path, discount, store);
    }
}

fn discount_problems(
    error: &mut Report<'_>,
    path: &str,
    discount: &ContractDiscount,
    store: &OfferStore<'_>,
) {
    if let Some(message) = code_problem(&discount.code) {
        error(format!("{path}.code"), message);
    }
    match (&discount.sku, &discount.segment) {
        (Some(_), Some(_)) | (None, None) => error(
            path.into(),
            "give exactly one target: `sku` or `segment`".into(),
        ),
        (Some(sku), None) if sku.is_empty() => {
            error(format!("{path}.sku"), "must not be empty".into())
        }
        (None, Some(segment)) if !(store.segment_exists)(segment) => error(
            format!("{path}.segment"),
            format!("unknown segment `{segment}`"),
        ),
        _ => {}
    }
    let fixed = value_problems(error, path, (discount.price, discount.percent), store.money);
    if discount.min_quantity == Some(0) {
        error(format!("{path}.min_quantity"), "must be at least 1".into());
    }
    let mut from = discount.min_quantity.unwrap_or(1);
    for (k, step) in discount.breaks.iter().enumerate() {
        let path = format!("{path}.breaks[{k}]");
        break_problems(error, &path, step, from, fixed, store.money);
        from = from.max(step.from);
    }
}

/// Checks a value (exactly one of a price and a percentage); returns whether it is a fixed price,
/// when it is one of the two.
fn value_problems(
    error: &mut Report<'_>,
    path: &str,
    (price, percent): (Option<Decimal>, Option<Decimal>),
    money: &Money,
) -> Option<bool> {
    match (price, percent) {
        (Some(price), None) => {
            if let Some(problem) = money.amount_problem(price) {
                error(format!("{path}.price"), problem);
            }
            Some(true)
        }
        (None, Some(percent)) => {
            if percent <= Decimal::ZERO || percent > Decimal::ONE_HUNDRED {
                error(
                    format!("{path}.percent"),
                    format!("must be above 0 and at most 100 (got {percent})"),
                );
            }
            Some(false)
        }
        _ => {
            error(
                path.into(),
                "give exactly one value: `price` (a unit price) or `percent`".into(),
            );
            None
        }
    }
}

fn break_problems(
    error: &mut Report<'_>,
    path: &str,
    step: &QuantityBreak,
    previous: u32,
    fixed: Option<bool>,
    money: &Money,
) {
    if step.from <= previous {
        error(
            format!("{path}.from"),
            format!(
                "must be above {previous}, the quantity of the value before it (got {})",
                step.from
            ),
        );
    }
    let kind = value_problems(error, path, (step.price, step.percent), money);
    if let (Some(kind), Some(fixed)) = (kind, fixed)
        && kind != fixed
    {
        let expected = if fixed { "price" } else { "percent" };
        error(
            path.into(),
            format!("a break gives a `{expected}`, like its discount"),
        );
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use rust_decimal_macros::dec;

    use super::*;
    use crate::rules::Rounding;

    fn problems(offer: &CustomerOffer, sells_to: SellsTo) -> Vec<(String, String)> {
        let money = Money::parse("EUR", Rounding::default()).unwrap();
        let store = OfferStore {
            money: &money,
            sells_to,
            group_exists: &|g| g == "cantines",
            segment_exists: &|s| s == "epicerie",
        };
        offer_problems(offer, &store)
            .into_iter()
            .map(|e| (e.path, e.message))
            .collect()
    }

    fn paths(offer: &CustomerOffer, sells_to: SellsTo) -> Vec<String> {
        problems(offer, sells_to).into_iter().map(|p| p.0).collect()
    }

    fn discount(code: &str) -> ContractDiscount {
        ContractDiscount {
            code: code.into(),
            sku: Some("CAFE-1KG".into()),
            segment: None,
            price: Some(dec!(4.20)),
            percent: None,
            min_quantity: None,
            breaks: Vec::new(),
        }
    }

    fn offer() -> CustomerOffer {
        CustomerOffer {
            title: "Cantines".into(),
            commitments: vec![Commitment {
                number: 1,
                starts_on: None,
                ends_on: None,
                discounts: vec![discount("R1")],
            }],
            ..CustomerOffer::new("CANTINES", OfferScope::Group("cantines".into()))
        }
    }

    #[test]
    fn a_good_offer_has_no_problem() {
        assert_eq!(problems(&offer(), SellsTo::Both), vec![]);
    }

    #[test]
    fn codes_are_letters_and_digits() {
        for (code, ok) in [
            ("CLI2026", true),
            ("CLI 2026", false),
            ("CLI-1", false),
            ("", false),
        ] {
            let mut o = offer();
            o.code = code.into();
            o.commitments[0].discounts[0].code = code.into();
            let expected: Vec<String> = if ok {
                vec![]
            } else {
                vec!["code".into(), "commitments[0].discounts[0].code".into()]
            };
            assert_eq!(paths(&o, SellsTo::Both), expected, "{code:?}");
        }
    }

    #[test]
    fn public_procurement_needs_dates_and_professionals() {
        let mut o = offer();
        o.kind = OfferType::PublicProcurement;
        assert_eq!(paths(&o, SellsTo::Both), ["starts_on", "ends_on"]);
        o.starts_on = Some("2026-09-01".into());
        o.ends_on = Some("2027-06-30".into());
        assert_eq!(paths(&o, SellsTo::Professionals), Vec::<String>::new());
        assert_eq!(paths(&o, SellsTo::Consumers), ["type"]);
    }

    #[test]
    fn scopes_follow_the_store() {
        let mut o = offer();
        o.scope = OfferScope::CollectionPoint("LYON2".into());
        assert_eq!(
            paths(&o, SellsTo::Professionals),
            ["scope.collection_point"]
        );
        assert_eq!(paths(&o, SellsTo::Consumers), Vec::<String>::new());
        o.scope = OfferScope::Group("lycees".into());
        assert_eq!(
            problems(&o, SellsTo::Both),
            [(
                "scope.group".to_owned(),
                "unknown customer group `lycees`".to_owned()
            )]
        );
    }

    #[test]
    fn dates_are_days_in_order_and_commitments_inside_their_offer() {
        let mut o = offer();
        o.starts_on = Some("01/10/2026".into());
        o.ends_on = Some("2026-12-31".into());
        assert_eq!(paths(&o, SellsTo::Both), ["starts_on"]);
        o.starts_on = Some("2027-01-01".into());
        assert_eq!(paths(&o, SellsTo::Both), ["ends_on"]);
        o.starts_on = Some("2026-10-01".into());
        o.commitments[0].starts_on = Some("2026-09-30".into());
        o.commitments[0].ends_on = Some("2027-01-01".into());
        assert_eq!(
            paths(&o, SellsTo::Both),
            ["commitments[0].starts_on", "commitments[0].ends_on"]
        );
        // A start after the offer's end, or an end before its start, without the other day.
        o.commitments[0].starts_on = Some("2027-01-15".into());
        o.commitments[0].ends_on = None;
        assert_eq!(paths(&o, SellsTo::Both), ["commitments[0].starts_on"]);
        o.commitments[0].starts_on = None;
        o.commitments[0].ends_on = Some("2026-09-01".into());
        assert_eq!(paths(&o, SellsTo::Both), ["commitments[0].ends_on"]);
        o.commitments[0].starts_on = Some("2026-10-01".into());
        o.commitments[0].ends_on = Some("2026-12-31".into());
        assert_eq!(paths(&o, SellsTo::Both), Vec::<String>::new());
    }

    #[test]
    fn numbers_and_codes_are_unique_where_they_live() {
        let mut o = offer();
        o.commitments[0].discounts.push(discount("R1"));
        let mut second = o.commitments[0].clone();
        second.discounts.truncate(1);
        o.commitments.push(second);
        assert_eq!(
            paths(&o, SellsTo::Both),
            ["commitments[0].discounts[1].code", "commitments[1].number"]
        );
    }

    #[test]
    fn a_discount_has_one_target_and_one_value() {
        let mut o = offer();
        let d = &mut o.commitments[0].discounts[0];
        d.segment = Some("epicerie".into());
        d.percent = Some(dec!(10));
        assert_eq!(
            paths(&o, SellsTo::Both),
            ["commitments[0].discounts[0]", "commitments[0].discounts[0]"]
        );
        let d = &mut o.commitments[0].discounts[0];
        d.sku = None;
        d.price = None;
        d.percent = Some(dec!(0));
        d.segment = Some("boissons".into());
        assert_eq!(
            paths(&o, SellsTo::Both),
            [
                "commitments[0].discounts[0].segment",
                "commitments[0].discounts[0].percent"
            ]
        );
        let d = &mut o.commitments[0].discounts[0];
        d.segment = None;
        d.sku = Some("CAFE-1KG".into());
        d.percent = None;
        d.price = Some(dec!(4.205));
        assert_eq!(
            paths(&o, SellsTo::Both),
            ["commitments[0].discounts[0].price"]
        );
    }

    #[test]
    fn breaks_rise_and_match_their_discount() {
        let mut o = offer();
        let d = &mut o.commitments[0].discounts[0];
        d.min_quantity = Some(5);
        d.breaks = vec![
            QuantityBreak {
                from: 10,
                price: Some(dec!(4.10)),
                percent: None,
            },
            QuantityBreak {
                from: 10,
                price: Some(dec!(3.90)),
                percent: None,
            },
            QuantityBreak {
                from: 50,
                price: None,
                percent: Some(dec!(12)),
            },
        ];
        assert_eq!(
            paths(&o, SellsTo::Both),
            [
                "commitments[0].discounts[0].breaks[1].from",
                "commitments[0].discounts[0].breaks[2]"
            ]
        );
        let d = &mut o.commitments[0].discounts[0];
        d.breaks.remove(1);
        d.breaks[0].from = 5;
        assert_eq!(
            paths(&o, SellsTo::Both),
            [
                "commitments[0].discounts[0].breaks[0].from",
                "commitments[0].discounts[0].breaks[1]"
            ]
        );
    }
}
