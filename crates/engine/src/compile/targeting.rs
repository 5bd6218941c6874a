//! Which catalog products a promotion reaches, as a cart line of each would find it: the
//! promotion compiled alone against a snapshot's catalog (its targets, or its bundle's slots, less
//! its exclusions, within its unit-price range), then asked product by product. The back office's
//! preview of a promotion being written counts and lists its products with this.

use crate::error::FieldError;
use crate::rules::{self, Display};
use rust_decimal::Decimal;

use crate::snapshot::{Facts, Product, Promotion, Snapshot};

/// A promotion compiled against a snapshot's catalog, to ask which products it targets.
#[derive(Debug)]
pub struct Targeting<'s> {
    snapshot: &'s Snapshot,
    promotion: Promotion,
    display: Display,
}

impl Snapshot {
    /// `promotion` compiled against this snapshot's catalog and settings, to ask which products
    /// it targets; its problems when it does not compile (the paths of
    /// [`Snapshot::check_promotion`]). Unit-price ranges are read in the store's default display.
    pub fn targeting(
        &self,
        promotion: &rules::Promotion,
    ) -> std::result::Result<Targeting<'_>, Vec<FieldError>> {
        let mut c = self.checker();
        let compiled = c.promotion("", promotion, &self.money, &self.time_zone, &self.skus);
        match compiled {
            Some(compiled) if c.errors.is_empty() => Ok(Targeting {
                snapshot: self,
                promotion: compiled,
                display: self.default_display,
            }),
            _ => Err(super::apply::relative(c.errors)),
        }
    }
}

impl<'s> Targeting<'s> {
    /// Whether the promotion targets the catalog product `sku` (a sku the catalog does not
    /// hold: no). A product in a segment under a targeted one, or in a targeted selection, is
    /// targeted; an excluded one, or one priced outside the range, is not.
    pub fn reaches(&self, sku: &str) -> bool {
        self.snapshot
            .product(sku)
            .is_some_and(|product| self.matches(product, true, true))
    }

    /// Calls `reached` with the sku of every catalog product the promotion targets, in no
    /// particular order: one pass over the catalog, looking a product's selections up only when
    /// the promotion names selections, and its price only when it has a price range.
    pub fn for_each(&self, mut reached: impl FnMut(&'s str)) {
        let p = &self.promotion;
        let both = || p.targets.iter().chain(p.exclude.iter());
        let selections = both().any(|t| !t.selections.is_empty());
        let unit = p.unit_price.is_some() || both().any(|t| t.unit_price.is_some());
        for product in self.snapshot.products.iter() {
            if self.matches(product, selections, unit) {
                reached(&product.sku);
            }
        }
    }

    /// Whether the promotion targets `product`; without `selections` or `unit`, its
    /// selections or unit price are not looked up (the promotion names none).
    fn matches(&self, product: &'s Product, selections: bool, unit: bool) -> bool {
        let snap = self.snapshot;
        let selections = if selections {
            snap.skus
                .get(&product.sku)
                .map_or(&[][..], |e| &e.selections[..])
        } else {
            &[]
        };
        let unit = if unit {
            let list = snap.money.in_display(
                product.price,
                product.tax_rate,
                snap.prices_include_tax,
                self.display,
            );
            snap.money.round(list)
        } else {
            Decimal::ZERO
        };
        let facts = Facts {
            sku: &product.sku,
            segments: &product.segments,
            selections,
            brand: product.brand,
            attributes: &product.attributes,
            tags: &product.tags,
            unit,
        };
        let p = &self.promotion;
        let targeted = match &p.targets {
            None => p.all,
            Some(targets) => targets.matches(&facts),
        };
        targeted
            && p.unit_price.is_none_or(|b| b.contains(facts.unit))
            && !p.exclude.as_ref().is_some_and(|e| e.matches(&facts))
    }

    /// Whether the promotion sets catalog prices (a catalog promotion), rather than acting only
    /// in carts.
    pub fn is_catalog(&self) -> bool {
        self.promotion.is_catalog
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use rust_decimal_macros::dec;

    use crate::rules::{BundlePrice, BundleSlot, Offer, PriceRange, Promotion, RuleSet, Targets};

    fn snapshot() -> crate::Snapshot {
        let rules: RuleSet = serde_json::from_value(serde_json::json!({
            "catalog": {
                "segments": [{"id": "toys"}, {"id": "marvel", "parent": "toys"}],
                "products": [
                    {"sku": "HERO", "price": "25.00", "segments": ["marvel"], "brand": "Hasbro"},
                    {"sku": "MUG", "price": "9.00", "tags": ["kitchen"]},
                    {"sku": "UNO", "price": "12.00"}
                ],
                "selections": [{"id": "gifts", "skus": ["UNO"]}]
            }
        }))
        .unwrap();
        crate::compile(&rules).unwrap()
    }

    /// What `reaches` says product by product, checked against one pass of `for_each`.
    fn reached(promotion: &Promotion) -> Vec<&'static str> {
        let snapshot = snapshot();
        let targeting = snapshot.targeting(promotion).unwrap();
        let asked: Vec<&str> = ["HERO", "MUG", "UNO", "ELSEWHERE"]
            .into_iter()
            .filter(|sku| targeting.reaches(sku))
            .collect();
        let mut walked = Vec::new();
        targeting.for_each(|sku| walked.push(sku.to_owned()));
        walked.sort();
        assert_eq!(walked, asked);
        asked
    }

    #[test]
    fn segments_reach_their_descendants_and_exclusions_win() {
        let mut p = Promotion::new("p", Offer::percent_off(dec!(10)));
        assert_eq!(reached(&p), ["HERO", "MUG", "UNO"]);
        p.targets = Some(Targets {
            segments: vec!["toys".into()],
            selections: vec!["gifts".into()],
            ..Targets::default()
        });
        assert_eq!(reached(&p), ["HERO", "UNO"]);
        p.exclude = Some(Targets {
            brands: vec!["Hasbro".into()],
            ..Targets::default()
        });
        assert_eq!(reached(&p), ["UNO"]);
        p.targets = Some(Targets {
            all: true,
            unit_price: Some(PriceRange {
                min: Some(dec!(10)),
                max: None,
            }),
            ..Targets::default()
        });
        p.exclude = None;
        assert_eq!(reached(&p), ["HERO", "UNO"]);
    }

    #[test]
    fn a_bundle_without_targets_reaches_its_slots() {
        let p = Promotion::new(
            "lot",
            Offer::Bundle {
                slots: vec![BundleSlot {
                    targets: Targets {
                        tags: vec!["kitchen".into()],
                        ..Targets::default()
                    },
                    quantity: 2,
                }],
                price: BundlePrice::Price { price: dec!(15) },
                max_applications: None,
            },
        );
        assert_eq!(reached(&p), ["MUG"]);
    }

    #[test]
    fn an_invalid_promotion_gives_its_problems() {
        let snapshot = snapshot();
        let mut p = Promotion::new("p", Offer::percent_off(dec!(120)));
        p.targets = Some(Targets {
            segments: vec!["nowhere".into()],
            ..Targets::default()
        });
        let problems = snapshot.targeting(&p).unwrap_err();
        let paths: Vec<&str> = problems.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["targets.segments[0]", "offer.percent"]);
        let catalog = Promotion::new("q", Offer::percent_off(dec!(10)));
        assert!(snapshot.targeting(&catalog).unwrap().is_catalog());
    }
}
