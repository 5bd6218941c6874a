//! Questions about B2B offers rather than about a cart: the offers reaching a product ("Offres en
//! cours", a management view of every customer's contracts), the offers a customer may filter
//! the shop on, and the products of one such offer with the customer's prices (the shop's "Offre
//! commerciale" filter). Pure functions of the snapshot, like pricing.

use std::ptr;

use jiff::Timestamp;

use super::{
    BreakValue, CustomerOfferSummary, Day, DiscountTarget, DiscountValue, ForCustomer, OutOfScope,
    ProductOffer, ScopeRef,
};
use crate::cart::{Customer, PriceRequest};
use crate::context::parse_at;
use crate::error::{Error, FieldErrors, Result};
use crate::quote::ProductPrice;
use crate::rules::OfferScope;
use crate::snapshot::b2b::{
    CompiledCommitment, CompiledDiscount, CompiledOffer, Live, Target, Value, sku_hash,
};
use crate::snapshot::{Product, Snapshot};

fn instant(at: &str) -> Result<Timestamp> {
    let mut errors = Vec::new();
    parse_at(at, &mut errors).ok_or(Error::InvalidRequest(FieldErrors(errors)))
}

/// Why `scope` leaves `customer` out, if it does.
fn out_of_scope<'a>(scope: &'a OfferScope, customer: &Customer) -> Option<OutOfScope<'a>> {
    match scope {
        OfferScope::All => None,
        OfferScope::Group(group) => (!customer.groups.iter().any(|g| g == group))
            .then_some(OutOfScope::NotInGroup { group }),
        OfferScope::Customer(id) => (customer.id.as_deref() != Some(id.as_str()))
            .then_some(OutOfScope::OtherCustomer { customer: id }),
        OfferScope::CollectionPoint(point) => (customer.collection_point.as_deref()
            != Some(point.as_str()))
        .then_some(OutOfScope::OtherCollectionPoint {
            collection_point: point,
        }),
    }
}

fn live(offer: &CompiledOffer, commitment: &CompiledCommitment, now: Timestamp) -> bool {
    offer.window.at(now) == Live::Yes && commitment.window.at(now) == Live::Yes
}

/// Live with at least one live discount: an offer the shop can show.
fn on_offer(offer: &CompiledOffer, now: Timestamp) -> bool {
    offer
        .commitments
        .iter()
        .any(|c| !c.discounts.is_empty() && live(offer, c, now))
}

fn value(value: Value) -> DiscountValue {
    match value {
        Value::Price(price) => DiscountValue {
            price: Some(price),
            percent: None,
        },
        Value::Percent { percent, .. } => DiscountValue {
            price: None,
            percent: Some(percent),
        },
    }
}

fn summary(offer: &CompiledOffer) -> CustomerOfferSummary<'_> {
    CustomerOfferSummary {
        offer: &offer.code,
        title: &offer.title,
        kind: offer.kind,
        scope: ScopeRef::from(&offer.scope),
        starts_on: offer.window.first_day().map(Day),
        ends_on: offer.window.last_day().map(Day),
    }
}

type Reaching<'s> = (
    &'s CompiledOffer,
    &'s CompiledCommitment,
    &'s CompiledDiscount,
);

impl Snapshot {
    /// Every discount of every offer that reaches `sku` (naming it, or a segment it is in or
    /// under), most specific scope first, then by offer code, commitment and discount code. With
    /// `at`, whether each is live then; with a `customer`, whether the offer is theirs (else
    /// why), the unit price it gives them (one unit, their display mode) and, with `at` too,
    /// which one prices the product for them. A management answer: it lists every customer's
    /// contracts. Only `at` can be wrong (an error naming it).
    pub fn product_offers<'s>(
        &'s self,
        sku: &str,
        at: Option<&str>,
        customer: Option<&Customer>,
    ) -> Result<Vec<ProductOffer<'s>>> {
        let now = at.map(instant).transpose()?;
        let product = self.product(sku);
        let segments = product.map_or(&[][..], |p| &p.segments[..]);
        let hash = sku_hash(sku);
        let mut found: Vec<Reaching<'s>> = Vec::new();
        for entry in self.contracts.entries() {
            entry.reaching(sku, hash, segments, |o, c, d| found.push((o, c, d)));
        }
        found.sort_by(|a, b| {
            (b.0.level, &a.0.code, a.1.number, &a.2.code)
                .cmp(&(a.0.level, &b.0.code, b.1.number, &b.2.code))
        });
        let list = |customer: &Customer| {
            product.map(|p| {
                let display = self.display_of(customer);
                self.money
                    .in_display(p.price, p.tax_rate, self.prices_include_tax, display)
            })
        };
        // What prices one unit for the customer now: the catalog price's resolution.
        let winner = match (customer, now) {
            (Some(customer), Some(now)) => {
                let groups = self.group_ids(customer);
                let scopes = self.scopes(customer, &groups);
                list(customer)
                    .and_then(|list| scopes.resolve(&self.money, (sku, segments), list, now, || 1))
                    .and_then(|r| r.winner().map(|w| ptr::from_ref(w.discount)))
            }
            _ => None,
        };
        Ok(found
            .into_iter()
            .map(|(offer, commitment, discount)| ProductOffer {
                offer: &offer.code,
                title: &offer.title,
                kind: offer.kind,
                scope: ScopeRef::from(&offer.scope),
                commitment: commitment.number,
                starts_on: commitment.window.first_day().map(Day),
                ends_on: commitment.window.last_day().map(Day),
                discount: &discount.code,
                target: match &discount.target {
                    Target::Sku(sku) => DiscountTarget::Sku(sku),
                    Target::Segment(_, name) => DiscountTarget::Segment(name),
                },
                value: value(discount.value),
                min_quantity: (discount.min_quantity > 1).then_some(discount.min_quantity),
                breaks: discount
                    .breaks
                    .iter()
                    .map(|&(from, v)| BreakValue {
                        from,
                        value: value(v),
                    })
                    .collect(),
                live: now.map(|now| live(offer, commitment, now)),
                for_customer: customer.map(|customer| {
                    let out = out_of_scope(&offer.scope, customer);
                    let unit_price = match discount.value {
                        Value::Price(price) => Some(price),
                        percent => list(customer)
                            .map(|list| super::resolve::unit_price(&self.money, percent, list)),
                    };
                    ForCustomer {
                        in_scope: out.is_none(),
                        out_of_scope: out,
                        unit_price,
                        wins: now.map(|_| winner == Some(ptr::from_ref(discount))),
                    }
                }),
            })
            .collect())
    }

    /// The offers `customer` may filter the shop on at `at`: shown to customers, in their scope
    /// (their own, their groups', their collection point's, everyone's), live with at least one
    /// live discount; by code.
    pub fn customer_offers<'s>(
        &'s self,
        customer: &Customer,
        at: &str,
    ) -> Result<Vec<CustomerOfferSummary<'s>>> {
        let now = instant(at)?;
        let groups = self.group_ids(customer);
        let scopes = self.scopes(customer, &groups);
        let mut offers: Vec<&CompiledOffer> = scopes
            .offers()
            .filter(|o| o.show_to_customer && on_offer(o, now))
            .collect();
        offers.sort_by(|a, b| a.code.cmp(&b.code));
        Ok(offers.into_iter().map(summary).collect())
    }

    /// The products that the live discounts of offer `code` reach (its skus, and the products in
    /// or under its segments), by sku, priced for the request's customer as
    /// [`price`](Snapshot::price) prices them. `None` unless the customer may filter the shop on
    /// that offer ([`customer_offers`](Snapshot::customer_offers)): another customer's offer is
    /// answered as one that does not exist.
    pub fn offer_products<'s>(
        &'s self,
        code: &str,
        request: &PriceRequest,
    ) -> Result<Option<Vec<ProductPrice<'s>>>> {
        let now = instant(&request.at)?;
        let Some(offer) = self.contracts.by_code.get(code) else {
            return Ok(None);
        };
        if !offer.show_to_customer
            || out_of_scope(&offer.scope, &request.customer).is_some()
            || !on_offer(offer, now)
        {
            return Ok(None);
        }
        let mut skus: Vec<&str> = Vec::new();
        let mut segments: Vec<u32> = Vec::new();
        for commitment in offer.commitments.iter().filter(|c| live(offer, c, now)) {
            for discount in commitment.discounts.iter() {
                match &discount.target {
                    Target::Sku(sku) => skus.push(sku),
                    Target::Segment(id, _) => segments.push(*id),
                }
            }
        }
        segments.sort_unstable();
        segments.dedup();
        let mut products: Vec<&Product> = skus.iter().filter_map(|s| self.product(s)).collect();
        if !segments.is_empty() {
            // Lineages are sorted: a product is under a segment when its lineage holds it.
            products.extend(
                self.products
                    .iter()
                    .filter(|p| segments.iter().any(|s| p.segments.binary_search(s).is_ok())),
            );
        }
        products.sort_by(|a, b| a.sku.cmp(&b.sku));
        products.dedup_by(|a, b| a.sku == b.sku);
        self.price_products(request, products, Vec::new()).map(Some)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use rust_decimal::Decimal;
    use rust_decimal_macros::dec;

    use super::*;

    /// A wholesaler: yogurt and milk in `dairy` (under `food`), rice in `food`, soap elsewhere.
    fn snapshot() -> Snapshot {
        Snapshot::from_json(
            r#"{
            "store": { "currency": "EUR", "time_zone": "Europe/Paris", "prices_include_tax": false,
                       "default_display": "net", "groups": { "cantines": { "display": "net" }, "lycees": { "display": "net" } } },
            "catalog": {
              "segments": [ { "id": "food" }, { "id": "dairy", "parent": "food" }, { "id": "home" } ],
              "products": [
                { "sku": "YOGURT", "price": "5.00", "segments": ["dairy"] },
                { "sku": "MILK", "price": "1.20", "segments": ["dairy"] },
                { "sku": "RICE", "price": "3.00", "segments": ["food"] },
                { "sku": "SOAP", "price": "2.00", "segments": ["home"] } ] },
            "offers": [
              { "code": "ALLPRICES", "title": "Everyone", "scope": "all", "show_to_customer": true,
                "commitments": [ { "number": 1, "discounts": [ { "code": "Y", "sku": "YOGURT", "price": "3.50" } ] } ] },
              { "code": "CANTINES", "title": "Canteens", "scope": { "group": "cantines" }, "show_to_customer": true,
                "commitments": [ { "number": 1, "discounts": [
                  { "code": "FOOD", "segment": "food", "percent": "10" },
                  { "code": "Y", "sku": "YOGURT", "price": "4.20", "breaks": [ { "from": 10, "price": "4.00" } ] } ] } ] },
              { "code": "CLIDUPONT", "title": "Dupont", "scope": { "customer": "DUPONT" },
                "commitments": [ { "number": 1, "discounts": [ { "code": "Y", "sku": "YOGURT", "price": "3.95" } ] } ] },
              { "code": "CLIMARTIN", "title": "Martin", "scope": { "customer": "MARTIN" }, "show_to_customer": true,
                "commitments": [ { "number": 1, "discounts": [ { "code": "Y", "sku": "YOGURT", "price": "3.00" } ] } ] },
              { "code": "LYCEES", "title": "Schools", "scope": { "group": "lycees" }, "show_to_customer": true,
                "starts_on": "2026-09-01",
                "commitments": [ { "number": 1, "discounts": [ { "code": "D", "segment": "dairy", "price": "2.00", "min_quantity": 6 } ] } ] }
            ]
        }"#,
        )
        .unwrap()
    }

    fn dupont() -> Customer {
        Customer {
            id: Some("DUPONT".to_owned()),
            groups: vec!["cantines".to_owned()],
            ..Customer::default()
        }
    }

    const AT: &str = "2026-05-12T10:00:00+02:00";

    #[test]
    fn product_offers_lists_every_discount_reaching_the_product_with_the_customers_view() {
        let snapshot = snapshot();
        let offers = snapshot
            .product_offers("YOGURT", Some(AT), Some(&dupont()))
            .unwrap();
        let rows: Vec<(&str, &str, Option<bool>)> = offers
            .iter()
            .map(|o| (o.offer, o.discount, o.live))
            .collect();
        // CLIENT, then GROUP, then ALL; a segment of the yogurt's lineage reaches it too.
        assert_eq!(
            rows,
            [
                ("CLIDUPONT", "Y", Some(true)),
                ("CLIMARTIN", "Y", Some(true)),
                ("CANTINES", "FOOD", Some(true)),
                ("CANTINES", "Y", Some(true)),
                ("LYCEES", "D", Some(false)),
                ("ALLPRICES", "Y", Some(true)),
            ]
        );
        let view = |code: &str, discount: &str| {
            offers
                .iter()
                .find(|o| o.offer == code && o.discount == discount)
                .and_then(|o| o.for_customer.clone())
                .unwrap()
        };
        let own = view("CLIDUPONT", "Y");
        assert_eq!(
            (own.in_scope, own.unit_price, own.wins),
            (true, Some(dec!(3.95)), Some(true))
        );
        let martin = view("CLIMARTIN", "Y");
        assert!(!martin.in_scope);
        assert_eq!(martin.wins, Some(false));
        let reason = serde_json::to_value(&martin).unwrap();
        assert_eq!(reason["out_of_scope"]["code"], "other_customer");
        assert_eq!(
            reason["out_of_scope"]["message"],
            "offer for customer MARTIN"
        );
        let schools = view("LYCEES", "D");
        assert_eq!(
            schools.out_of_scope.map(|o| o.to_string()).as_deref(),
            Some("customer not in group lycees")
        );
        // 10 % off the list price, in the customer's (net) display.
        assert_eq!(view("CANTINES", "FOOD").unit_price, Some(dec!(4.50)));
        assert_eq!(
            offers
                .iter()
                .filter(|o| o.for_customer.as_ref().unwrap().wins == Some(true))
                .count(),
            1
        );
        let cantines = offers
            .iter()
            .find(|o| o.discount == "Y" && o.offer == "CANTINES")
            .unwrap();
        assert_eq!(cantines.breaks[0].from, 10);
        assert_eq!(cantines.target, DiscountTarget::Sku("YOGURT"));
        let lycees = offers.iter().find(|o| o.offer == "LYCEES").unwrap();
        assert_eq!(lycees.min_quantity, Some(6));
        assert_eq!(
            lycees.starts_on.map(|d| d.to_string()).as_deref(),
            Some("2026-09-01")
        );
        // The one that wins is what the catalog price says.
        let request = PriceRequest {
            customer: dupont(),
            channel: None,
            at: AT.to_owned(),
            display: None,
            skus: vec!["YOGURT".to_owned()],
        };
        let price = snapshot.price(&request).unwrap();
        assert_eq!(price[0].offer.as_ref().map(|o| o.offer), Some("CLIDUPONT"));
    }

    #[test]
    fn product_offers_without_instant_or_customer_says_less() {
        let snapshot = snapshot();
        let offers = snapshot.product_offers("SOAP", None, None).unwrap();
        assert!(offers.is_empty());
        let rice = snapshot.product_offers("RICE", None, None).unwrap();
        assert_eq!(rice.len(), 1);
        assert_eq!(rice[0].live, None);
        assert_eq!(rice[0].for_customer, None);
        assert_eq!(rice[0].target, DiscountTarget::Segment("food"));
        // Without an instant nothing wins.
        let rice = snapshot
            .product_offers("RICE", None, Some(&dupont()))
            .unwrap();
        assert_eq!(rice[0].for_customer.as_ref().unwrap().wins, None);
        let error = snapshot
            .product_offers("RICE", Some("yesterday"), None)
            .unwrap_err();
        assert_eq!(error.errors()[0].path, "at");
    }

    #[test]
    fn customer_offers_are_shown_in_scope_and_live() {
        let snapshot = snapshot();
        let codes = |customer: &Customer, at: &str| -> Vec<String> {
            snapshot
                .customer_offers(customer, at)
                .unwrap()
                .iter()
                .map(|o| o.offer.to_owned())
                .collect()
        };
        // CLIDUPONT is not shown to customers; CLIMARTIN and LYCEES are not DUPONT's.
        assert_eq!(codes(&dupont(), AT), ["ALLPRICES", "CANTINES"]);
        let school = Customer {
            id: Some("LYC1".to_owned()),
            groups: vec!["lycees".to_owned()],
            ..Customer::default()
        };
        // LYCEES starts on 1 September (Paris): not before.
        assert_eq!(codes(&school, "2026-08-31T21:59:59Z"), ["ALLPRICES"]);
        assert_eq!(
            codes(&school, "2026-08-31T22:00:00Z"),
            ["ALLPRICES", "LYCEES"]
        );
        assert!(snapshot.customer_offers(&school, "soon").is_err());
    }

    #[test]
    fn offer_products_are_its_skus_and_the_products_under_its_segments_priced_for_the_customer() {
        let snapshot = snapshot();
        let request = |customer: Customer| PriceRequest {
            customer,
            channel: None,
            at: AT.to_owned(),
            display: None,
            skus: Vec::new(),
        };
        let prices = snapshot
            .offer_products("CANTINES", &request(dupont()))
            .unwrap()
            .unwrap();
        let rows: Vec<(&str, Decimal)> = prices.iter().map(|p| (p.sku, p.price)).collect();
        // The yogurt keeps the customer's own price: the product list is the offer's, the price
        // the customer's.
        assert_eq!(
            rows,
            [
                ("MILK", dec!(1.08)),
                ("RICE", dec!(2.70)),
                ("YOGURT", dec!(3.95))
            ]
        );
        // Hidden, someone else's, or unknown: as if it did not exist.
        assert!(
            snapshot
                .offer_products("CLIDUPONT", &request(dupont()))
                .unwrap()
                .is_none()
        );
        assert!(
            snapshot
                .offer_products("CLIMARTIN", &request(dupont()))
                .unwrap()
                .is_none()
        );
        assert!(
            snapshot
                .offer_products("NOPE", &request(dupont()))
                .unwrap()
                .is_none()
        );
        let mut late = request(dupont());
        late.at = "never".to_owned();
        assert!(snapshot.offer_products("CANTINES", &late).is_err());
    }
}
