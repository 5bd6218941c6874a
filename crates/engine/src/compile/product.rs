//! The checks [`compile`](crate::compile) makes on one product that need no other product, for
//! callers that check products one at a time (a catalog import streamed row by row) rather than
//! compile a whole catalog.

use crate::error::FieldError;
use crate::money::{Money, rate_problem};
use crate::rules::Product;

/// What is wrong with `product` in a store priced in `money` whose segments are those for which
/// `segment_exists` is true: an empty sku, amounts (price, tax rate, cost, minimum and "was"
/// prices) and unknown segments, as `compile` reports them, with paths within the product
/// (`price`, `segments[1]`). Duplicate skus are the caller's to find.
pub fn product_problems(
    product: &Product,
    money: &Money,
    segment_exists: impl Fn(&str) -> bool,
) -> Vec<FieldError> {
    let mut problems = Vec::new();
    if product.sku.is_empty() {
        problems.push(FieldError::new("sku", "must not be empty"));
    }
    let amounts = [
        ("price", Some(product.price)),
        ("cost", product.cost),
        ("min_price", product.min_price),
        ("compare_at_price", product.compare_at_price),
    ];
    for (field, amount) in amounts {
        if let Some(problem) = amount.and_then(|a| money.amount_problem(a)) {
            problems.push(FieldError::new(field, problem));
        }
    }
    if let Some(problem) = rate_problem(product.tax_rate) {
        problems.push(FieldError::new("tax_rate", problem));
    }
    for (j, segment) in product.segments.iter().enumerate() {
        if !segment_exists(segment) {
            problems.push(FieldError::new(
                format!("segments[{j}]"),
                format!("unknown segment `{segment}`"),
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use rust_decimal_macros::dec;

    use super::*;
    use crate::rules::{Catalog, RuleSet, Segment};

    /// The products `compile` refuses are refused here with the same paths and messages: this
    /// function must not drift from the compiler's checks.
    #[test]
    fn agrees_with_compile_on_each_product() {
        let mut products = vec![
            Product::new("OK", dec!(12.50)),
            Product::new("", dec!(1)),
            Product::new("NEGATIVE", dec!(-2.00)),
            Product::new("DECIMALS", dec!(9.999)),
            Product::new("HUGE", dec!(1e16)),
        ];
        let mut rate = Product::new("RATE", dec!(1));
        rate.tax_rate = dec!(1.5);
        let mut amounts = Product::new("AMOUNTS", dec!(1));
        amounts.cost = Some(dec!(-1));
        amounts.min_price = Some(dec!(0.001));
        amounts.compare_at_price = Some(dec!(2));
        let mut segments = Product::new("SEGMENTS", dec!(1));
        segments.segments = vec!["known".to_owned(), "lost".to_owned(), "gone".to_owned()];
        products.extend([rate, amounts, segments]);
        let rules = RuleSet {
            catalog: Catalog {
                segments: vec![Segment {
                    id: "known".to_owned(),
                    name: String::new(),
                    parent: None,
                    star: false,
                    keywords: Vec::new(),
                }],
                products: products.clone(),
                selections: Vec::new(),
            },
            ..RuleSet::default()
        };
        let mut compiled: Vec<(String, String)> = match crate::compile(&rules) {
            Ok(_) => panic!("compiled"),
            Err(error) => error
                .errors()
                .iter()
                .map(|e| (e.path.clone(), e.message.clone()))
                .collect(),
        };
        let money = Money::parse(&rules.store.currency, rules.store.rounding).unwrap();
        let mut checked: Vec<(String, String)> = products
            .iter()
            .enumerate()
            .flat_map(|(i, p)| {
                product_problems(p, &money, |s| s == "known")
                    .into_iter()
                    .map(move |e| (format!("catalog.products[{i}].{}", e.path), e.message))
            })
            .collect();
        compiled.sort();
        checked.sort();
        assert_eq!(checked, compiled);
        assert_eq!(checked.len(), 9, "{checked:?}");
    }
}
