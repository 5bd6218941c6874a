//! Seed 004's "Filtrer" over B2B offers: title terms, scope type, a product, the offers that
//! apply to a customer, and the one most advantageous fixed price. Plain functions over typed
//! offers: the list route runs them on the served model (current offers) or on the store's
//! deleted ones.

use std::collections::BTreeSet;

use jiff::Timestamp;
use jiff::civil::Date;
use remise_engine::rules::{CustomerOffer, OfferScope};
use rust_decimal::Decimal;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::model::Model;

/// Which scope type an offer must have (`scope=`), and optionally which group, customer or
/// point (`scope_code=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeKind {
    All,
    Group,
    Customer,
    CollectionPoint,
}

impl ScopeKind {
    pub fn parse(text: &str) -> Option<ScopeKind> {
        match text {
            "all" => Some(ScopeKind::All),
            "group" => Some(ScopeKind::Group),
            "customer" => Some(ScopeKind::Customer),
            "collection_point" => Some(ScopeKind::CollectionPoint),
            _ => None,
        }
    }
}

/// A product as offers target it: its sku, and every segment it is in or under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductTarget {
    pub sku: String,
    pub segments: BTreeSet<String>,
}

impl ProductTarget {
    /// `sku` with its segments and their ancestors as the model knows them (none for a sku the
    /// catalog does not hold: offers may name skus yet to come).
    pub fn new(model: &Model, sku: &str) -> ProductTarget {
        let mut segments = BTreeSet::new();
        if let Some(product) = model.products.get(sku) {
            for segment in &product.segments {
                let mut next = Some(segment.clone());
                // A cycle cannot be stored (the compiler refuses it); `insert` ends it anyway.
                while let Some(id) = next {
                    if !segments.insert(id.clone()) {
                        break;
                    }
                    next = model.segments.get(&id).and_then(|s| s.parent.clone());
                }
            }
        }
        ProductTarget {
            sku: sku.to_owned(),
            segments,
        }
    }

    fn reached_by(&self, sku: Option<&String>, segment: Option<&String>) -> bool {
        sku.is_some_and(|s| *s == self.sku) || segment.is_some_and(|s| self.segments.contains(s))
    }
}

/// A customer as offers' scopes see it: a reference, its groups, its collection point.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CustomerContext {
    pub id: String,
    pub groups: BTreeSet<String>,
    pub collection_point: Option<String>,
}

impl CustomerContext {
    /// Whether an offer of `scope` applies to this customer.
    pub fn in_scope(&self, scope: &OfferScope) -> bool {
        match scope {
            OfferScope::All => true,
            OfferScope::Group(group) => self.groups.contains(group),
            OfferScope::Customer(id) => *id == self.id,
            OfferScope::CollectionPoint(point) => self.collection_point.as_ref() == Some(point),
        }
    }
}

/// Every criterion of a list; an offer must meet all that are given.
#[derive(Debug, Clone, Default)]
pub struct OfferFilter {
    /// Folded terms (see [`fold`]), each to be found in the folded title.
    pub terms: Vec<String>,
    pub scope: Option<(ScopeKind, Option<String>)>,
    pub product: Option<ProductTarget>,
    pub customer: Option<CustomerContext>,
}

impl OfferFilter {
    /// The terms of `q`, folded: split on white space.
    pub fn terms(q: &str) -> Vec<String> {
        q.split_whitespace().map(fold).collect()
    }

    pub fn matches(&self, offer: &CustomerOffer) -> bool {
        if !self.terms.is_empty() {
            let title = fold(&offer.title);
            if !self.terms.iter().all(|term| title.contains(term.as_str())) {
                return false;
            }
        }
        if let Some((kind, code)) = &self.scope {
            let (offer_kind, offer_code) = match &offer.scope {
                OfferScope::All => (ScopeKind::All, None),
                OfferScope::Group(g) => (ScopeKind::Group, Some(g)),
                OfferScope::Customer(c) => (ScopeKind::Customer, Some(c)),
                OfferScope::CollectionPoint(p) => (ScopeKind::CollectionPoint, Some(p)),
            };
            if offer_kind != *kind || code.as_ref().is_some_and(|c| offer_code != Some(c)) {
                return false;
            }
        }
        if let Some(product) = &self.product {
            let reached = offer
                .commitments
                .iter()
                .flat_map(|c| &c.discounts)
                .any(|d| product.reached_by(d.sku.as_ref(), d.segment.as_ref()));
            if !reached {
                return false;
            }
        }
        if let Some(customer) = &self.customer
            && !customer.in_scope(&offer.scope)
        {
            return false;
        }
        true
    }
}

/// Lower case without accents (`Lycée` → `lycee`): what title searches compare.
pub fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The lowest fixed unit price an offer gives `product` on `today`: over the discounts with a
/// `price` (percentages are not counted, seed 004) that reach the product, in commitments live
/// that day inside the offer's own dates, that apply from one unit (`min_quantity` at most 1);
/// the discount's base price, not its quantity breaks. `None` when it gives none.
pub fn lowest_fixed_price(
    offer: &CustomerOffer,
    product: &ProductTarget,
    today: Date,
) -> Option<Decimal> {
    if !live(offer.starts_on.as_deref(), offer.ends_on.as_deref(), today) {
        return None;
    }
    offer
        .commitments
        .iter()
        .filter(|c| {
            live(
                c.starts_on.as_deref().or(offer.starts_on.as_deref()),
                c.ends_on.as_deref().or(offer.ends_on.as_deref()),
                today,
            )
        })
        .flat_map(|c| &c.discounts)
        .filter(|d| d.min_quantity.unwrap_or(1) <= 1)
        .filter(|d| product.reached_by(d.sku.as_ref(), d.segment.as_ref()))
        .filter_map(|d| d.price)
        .min()
}

/// Of `offers`, the one with the lowest fixed price for `product` on `today`
/// ([`lowest_fixed_price`]); between equal prices the older offer (`created_at`), then the
/// smaller code, as the engine breaks ties.
pub fn most_advantageous<'a>(
    offers: impl IntoIterator<Item = &'a CustomerOffer>,
    product: &ProductTarget,
    today: Date,
) -> Option<&'a CustomerOffer> {
    offers
        .into_iter()
        .filter_map(|offer| Some((lowest_fixed_price(offer, product, today)?, offer)))
        .min_by(|(price_a, a), (price_b, b)| {
            let created = |o: &CustomerOffer| {
                // Unknown instants sort last.
                o.created_at
                    .as_deref()
                    .and_then(|t| t.parse::<Timestamp>().ok())
                    .map_or((1, Timestamp::MAX), |t| (0, t))
            };
            price_a
                .cmp(price_b)
                .then_with(|| created(a).cmp(&created(b)))
                .then_with(|| a.code.cmp(&b.code))
        })
        .map(|(_, offer)| offer)
}

/// Whether `today` is inside `[starts_on, ends_on]` (whole days, both included; a missing end is
/// open). A date that does not read is not live (the compiler refuses it before it is stored).
fn live(starts_on: Option<&str>, ends_on: Option<&str>, today: Date) -> bool {
    let after_start = match starts_on {
        None => true,
        Some(text) => text.parse::<Date>().is_ok_and(|start| start <= today),
    };
    let before_end = match ends_on {
        None => true,
        Some(text) => text.parse::<Date>().is_ok_and(|end| today <= end),
    };
    after_start && before_end
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use remise_engine::rules::{Commitment, ContractDiscount, Product, Segment};

    fn discount(code: &str, sku: Option<&str>, segment: Option<&str>) -> ContractDiscount {
        ContractDiscount {
            code: code.to_owned(),
            sku: sku.map(str::to_owned),
            segment: segment.map(str::to_owned),
            price: None,
            percent: None,
            min_quantity: None,
            breaks: Vec::new(),
        }
    }

    fn priced(code: &str, sku: &str, price: Decimal) -> ContractDiscount {
        ContractDiscount {
            price: Some(price),
            ..discount(code, Some(sku), None)
        }
    }

    fn offer(code: &str, scope: OfferScope, discounts: Vec<ContractDiscount>) -> CustomerOffer {
        let mut offer = CustomerOffer::new(code, scope);
        offer.commitments.push(Commitment {
            number: 1,
            starts_on: None,
            ends_on: None,
            discounts,
        });
        offer
    }

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn day(text: &str) -> Date {
        text.parse().unwrap()
    }

    fn model() -> Model {
        let mut model = Model::default();
        for (id, parent) in [
            ("food", None),
            ("dairy", Some("food")),
            ("cheese", Some("dairy")),
        ] {
            model.segments.insert(
                id.to_owned(),
                Segment {
                    id: id.to_owned(),
                    name: id.to_owned(),
                    parent: parent.map(str::to_owned),
                    star: false,
                    keywords: Vec::new(),
                },
            );
        }
        let mut brie: Product = serde_json::from_value(serde_json::json!({
            "sku": "BRIE", "price": "5.00", "segments": ["cheese"]
        }))
        .unwrap();
        brie.name = "Brie".to_owned();
        model.products.insert("BRIE".to_owned(), brie);
        model
    }

    #[test]
    fn titles_match_every_term_whatever_the_case_and_accents() {
        let mut lycees = offer("L", OfferScope::All, vec![]);
        lycees.title = "Marché public Lycées de la Région".to_owned();
        let filter = |q: &str| OfferFilter {
            terms: OfferFilter::terms(q),
            ..OfferFilter::default()
        };
        for q in ["lycees", "LYCÉES région", "marche  PUBLIC", "ée", ""] {
            assert!(filter(q).matches(&lycees), "{q}");
        }
        for q in ["lycees cantines", "privé", "regions"] {
            assert!(!filter(q).matches(&lycees), "{q}");
        }
        assert_eq!(fold("Œuf ÉCOLE çà"), "œuf ecole ca");
    }

    #[test]
    fn scope_filters_on_the_type_and_the_code() {
        let group = offer("G", OfferScope::Group("cantines".into()), vec![]);
        let all = offer("A", OfferScope::All, vec![]);
        let by = |kind, code: Option<&str>| OfferFilter {
            scope: Some((kind, code.map(str::to_owned))),
            ..OfferFilter::default()
        };
        assert!(by(ScopeKind::Group, None).matches(&group));
        assert!(by(ScopeKind::Group, Some("cantines")).matches(&group));
        assert!(!by(ScopeKind::Group, Some("lycees")).matches(&group));
        assert!(!by(ScopeKind::Customer, Some("cantines")).matches(&group));
        assert!(by(ScopeKind::All, None).matches(&all));
        assert!(!by(ScopeKind::All, None).matches(&group));
        assert!(!by(ScopeKind::CollectionPoint, None).matches(&all));
    }

    #[test]
    fn a_product_is_reached_by_its_sku_and_by_its_segments_and_their_ancestors() {
        let model = model();
        let target = ProductTarget::new(&model, "BRIE");
        assert_eq!(
            target
                .segments
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
            ["cheese", "dairy", "food"]
        );
        let on = |d: ContractDiscount| offer("X", OfferScope::All, vec![d]);
        let filter = OfferFilter {
            product: Some(target),
            ..OfferFilter::default()
        };
        assert!(filter.matches(&on(discount("1", Some("BRIE"), None))));
        assert!(filter.matches(&on(discount("1", None, Some("food")))));
        assert!(filter.matches(&on(discount("1", None, Some("cheese")))));
        assert!(!filter.matches(&on(discount("1", Some("CAMEMBERT"), None))));
        assert!(!filter.matches(&on(discount("1", None, Some("drinks")))));
        assert!(!filter.matches(&offer("X", OfferScope::All, vec![])));
        // A sku the catalog does not hold is reached by its sku only.
        let unknown = ProductTarget::new(&model, "NEW");
        assert!(unknown.segments.is_empty());
    }

    #[test]
    fn a_customer_sees_offers_for_all_its_reference_its_groups_and_its_point() {
        let customer = CustomerContext {
            id: "C1".into(),
            groups: ["cantines".to_owned()].into(),
            collection_point: Some("LYON".into()),
        };
        for (scope, applies) in [
            (OfferScope::All, true),
            (OfferScope::Customer("C1".into()), true),
            (OfferScope::Customer("C2".into()), false),
            (OfferScope::Group("cantines".into()), true),
            (OfferScope::Group("lycees".into()), false),
            (OfferScope::CollectionPoint("LYON".into()), true),
            (OfferScope::CollectionPoint("PARIS".into()), false),
        ] {
            assert_eq!(customer.in_scope(&scope), applies, "{scope:?}");
        }
        let alone = CustomerContext {
            id: "C1".into(),
            ..CustomerContext::default()
        };
        assert!(!alone.in_scope(&OfferScope::CollectionPoint("LYON".into())));
        assert!(!alone.in_scope(&OfferScope::Group("cantines".into())));
    }

    #[test]
    fn the_most_advantageous_offer_has_the_lowest_live_fixed_price() {
        let model = model();
        let brie = ProductTarget::new(&model, "BRIE");
        let today = day("2026-12-05");
        let cheap_percent = offer(
            "PCT",
            OfferScope::All,
            vec![ContractDiscount {
                percent: Some(d("90")),
                ..discount("1", Some("BRIE"), None)
            }],
        );
        let sector = offer(
            "SECTOR",
            OfferScope::All,
            vec![ContractDiscount {
                price: Some(d("4.20")),
                ..discount("1", None, Some("dairy"))
            }],
        );
        let product = offer(
            "PRODUCT",
            OfferScope::All,
            vec![priced("1", "BRIE", d("4.50"))],
        );
        let offers = [&cheap_percent, &sector, &product];
        let best = most_advantageous(offers, &brie, today).unwrap();
        assert_eq!(best.code, "SECTOR", "percentages are not counted");
        assert_eq!(lowest_fixed_price(&cheap_percent, &brie, today), None);

        // From 10 units only, or in a commitment that has ended: not counted.
        let mut bulk = offer("BULK", OfferScope::All, vec![priced("1", "BRIE", d("3"))]);
        bulk.commitments[0].discounts[0].min_quantity = Some(10);
        let mut ended = offer("ENDED", OfferScope::All, vec![priced("1", "BRIE", d("3"))]);
        ended.commitments[0].ends_on = Some("2026-12-04".into());
        let mut later = offer("LATER", OfferScope::All, vec![priced("1", "BRIE", d("3"))]);
        later.starts_on = Some("2026-12-06".into());
        let mut today_only = offer("TODAY", OfferScope::All, vec![priced("1", "BRIE", d("4"))]);
        today_only.starts_on = Some("2026-12-05".into());
        today_only.ends_on = Some("2026-12-05".into());
        let offers = [&bulk, &ended, &later, &sector, &today_only];
        assert_eq!(
            most_advantageous(offers, &brie, today).unwrap().code,
            "TODAY"
        );
        assert!(most_advantageous([&bulk, &ended, &later], &brie, today).is_none());

        // Equal prices: the older offer, then the smaller code.
        let mut old = offer("ZOLD", OfferScope::All, vec![priced("1", "BRIE", d("4"))]);
        old.created_at = Some("2026-01-01T00:00:00Z".into());
        let mut new = offer(
            "ANEW",
            OfferScope::All,
            vec![priced("1", "BRIE", d("4.00"))],
        );
        new.created_at = Some("2026-01-01T00:00:00.5Z".into());
        assert_eq!(
            most_advantageous([&new, &old], &brie, today).unwrap().code,
            "ZOLD"
        );
        new.created_at = old.created_at.clone();
        assert_eq!(
            most_advantageous([&old, &new], &brie, today).unwrap().code,
            "ANEW"
        );
    }
}
