//! Compiling B2B offers: dates into the instants of the store's zone, discounts into their
//! targets and values, and the offers into one index per customer scope
//! ([`Contracts`](crate::snapshot::b2b::Contracts)).
//!
//! What an offer must be to be valid is checked by `offer_checks.rs` (`offer_problems`), which
//! runs first: here an offer that cannot be read (a date that does not parse, a discount without
//! a value or target) is only left out, its error being reported there.

use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

use super::{Compiler, Table, parse_day};
use crate::rules::{self, OfferScope};
use crate::snapshot::b2b::{
    CompiledCommitment, CompiledDiscount, CompiledOffer, Contracts, Level, ScopeEntry, Target,
    Value, Window,
};
use crate::snapshot::{Names, Snapshot};

/// The first instant of `date` in `zone` (a day whose midnight is skipped starts when it does).
fn day_start(date: Date, zone: &TimeZone) -> Option<Timestamp> {
    zone.to_ambiguous_zoned(date.to_datetime(Time::midnight()))
        .compatible()
        .ok()
        .map(|z| z.timestamp())
}

/// Whole days, both included: from the first instant of the first day to the first instant of
/// the day after the last (none after the last day of the calendar).
fn window(starts_on: Option<Date>, ends_on: Option<Date>, zone: &TimeZone) -> Window {
    Window {
        start: starts_on.and_then(|d| Some((day_start(d, zone)?, d))),
        end: ends_on.and_then(|d| Some((day_start(d.tomorrow().ok()?, zone)?, d))),
    }
}

/// A date as the rule format writes it; `Err` when it does not read.
fn read_date(text: Option<&String>) -> Result<Option<Date>, ()> {
    text.map(|t| parse_day(t).ok_or(())).transpose()
}

fn value(price: Option<Decimal>, percent: Option<Decimal>) -> Option<Value> {
    // Checked to be in (0, 100]: what it keeps is exact, in [0, 1).
    let off = |percent: Decimal| Value::Percent {
        percent,
        kept: ((Decimal::ONE_HUNDRED - percent) / Decimal::ONE_HUNDRED).max(Decimal::ZERO),
    };
    price.map(Value::Price).or(percent.map(off))
}

impl Compiler<'_> {
    /// One offer compiled, or `None` when it cannot be (the offer's checks say why).
    pub(super) fn customer_offer(
        &mut self,
        offer: &rules::CustomerOffer,
        zone: &TimeZone,
    ) -> Option<CompiledOffer> {
        let created_at = offer
            .created_at
            .as_deref()
            .and_then(|text| text.parse::<Timestamp>().ok());
        if let OfferScope::Group(group) = &offer.scope {
            // Customers name their groups: the context finds this one by its id.
            self.intern(Table::Groups, group);
        }
        let starts_on = read_date(offer.starts_on.as_ref());
        let ends_on = read_date(offer.ends_on.as_ref());
        let mut readable = starts_on.is_ok() && ends_on.is_ok();
        let (starts_on, ends_on) = (starts_on.unwrap_or(None), ends_on.unwrap_or(None));
        let mut commitments = Vec::with_capacity(offer.commitments.len());
        for commitment in &offer.commitments {
            let (Ok(own_start), Ok(own_end)) = (
                read_date(commitment.starts_on.as_ref()),
                read_date(commitment.ends_on.as_ref()),
            ) else {
                readable = false;
                continue;
            };
            let c_starts = own_start.or(starts_on);
            let c_ends = own_end.or(ends_on);
            let mut discounts = Vec::with_capacity(commitment.discounts.len());
            for discount in &commitment.discounts {
                match self.contract_discount(discount) {
                    Some(d) => discounts.push(d),
                    None => readable = false,
                }
            }
            commitments.push(CompiledCommitment {
                number: commitment.number,
                window: window(c_starts, c_ends, zone),
                discounts: discounts.into_boxed_slice(),
            });
        }
        if !readable {
            return None;
        }
        commitments.sort_by_key(|c| c.number);
        Some(CompiledOffer {
            code: offer.code.as_str().into(),
            title: offer.title.as_str().into(),
            kind: offer.kind,
            level: Level::of(&offer.scope),
            scope: offer.scope.clone(),
            window: window(starts_on, ends_on, zone),
            show_to_customer: offer.show_to_customer,
            created_at,
            commitments: commitments.into_boxed_slice(),
        })
    }

    fn contract_discount(&self, discount: &rules::ContractDiscount) -> Option<CompiledDiscount> {
        let target = match (&discount.sku, &discount.segment) {
            (Some(sku), None) => Target::Sku(sku.as_str().into()),
            (None, Some(segment)) => {
                let id = *self.names.segments.get(segment.as_str())?;
                Target::Segment(id, segment.as_str().into())
            }
            _ => return None,
        };
        let mut breaks = Vec::with_capacity(discount.breaks.len());
        for b in &discount.breaks {
            breaks.push((b.from, value(b.price, b.percent)?));
        }
        Some(CompiledDiscount {
            code: discount.code.as_str().into(),
            target,
            value: value(discount.price, discount.percent)?,
            min_quantity: discount.min_quantity.unwrap_or(1).max(1),
            breaks: breaks.into_boxed_slice(),
        })
    }

    /// Every offer of a rule set compiled (their checks, duplicate codes included, are
    /// `check_offers`').
    pub(super) fn customer_offers(
        &mut self,
        offers: &[rules::CustomerOffer],
        zone: &TimeZone,
    ) -> Vec<Arc<CompiledOffer>> {
        offers
            .iter()
            .filter_map(|offer| self.customer_offer(offer, zone))
            .map(Arc::new)
            .collect()
    }
}

/// The offers of a snapshot, indexed by scope.
pub(super) fn contracts(offers: Vec<Arc<CompiledOffer>>, names: &Names) -> Contracts {
    let mut contracts = Contracts {
        count: offers.len(),
        ..Contracts::default()
    };
    let mut by_scope: FxHashMap<OfferScope, Vec<Arc<CompiledOffer>>> = FxHashMap::default();
    for offer in offers {
        contracts.by_code.insert(&offer.code, offer.clone());
        by_scope.entry(offer.scope.clone()).or_default().push(offer);
    }
    for (scope, offers) in by_scope {
        let group = group_id(&scope, names);
        contracts.set_entry(&scope, group, Some(Arc::new(ScopeEntry::new(offers))));
    }
    contracts
}

fn group_id(scope: &OfferScope, names: &Names) -> Option<u32> {
    match scope {
        OfferScope::Group(g) => names.groups.get(g.as_str()).copied(),
        _ => None,
    }
}

impl Snapshot {
    /// Puts `offer` in place of the offer of its code (removes it when `offer` is `None`),
    /// rebuilding the index of the scopes it leaves and joins.
    pub(super) fn replace_offer(
        &mut self,
        names: &Names,
        code: &str,
        offer: Option<Arc<CompiledOffer>>,
    ) {
        let contracts = &mut self.contracts;
        let old = contracts.by_code.get(code).cloned();
        let mut scopes: Vec<&OfferScope> = Vec::with_capacity(2);
        scopes.extend(old.as_deref().map(|o| &o.scope));
        if let Some(new) = offer.as_deref()
            && !scopes.contains(&&new.scope)
        {
            scopes.push(&new.scope);
        }
        for scope in scopes {
            let group = group_id(scope, names);
            let mut offers: Vec<Arc<CompiledOffer>> = contracts
                .entry(scope, group)
                .map(|e| {
                    e.offers
                        .iter()
                        .filter(|o| *o.code != *code)
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            offers.extend(offer.iter().filter(|o| o.scope == *scope).cloned());
            let entry = (!offers.is_empty()).then(|| Arc::new(ScopeEntry::new(offers)));
            contracts.set_entry(scope, group, entry);
        }
        match (&old, offer) {
            (None, Some(new)) => {
                contracts.count += 1;
                contracts.by_code.insert(code, new);
            }
            (Some(_), Some(new)) => contracts.by_code.insert(code, new),
            (Some(_), None) => {
                contracts.count -= 1;
                contracts.by_code.remove(code);
            }
            (None, None) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use jiff::civil::date;
    use rust_decimal_macros::dec;

    use super::*;
    use crate::rules::{Catalog, Commitment, ContractDiscount, CustomerOffer, RuleSet, Segment};

    fn discount(code: &str, sku: Option<&str>, segment: Option<&str>) -> ContractDiscount {
        ContractDiscount {
            code: code.to_owned(),
            sku: sku.map(str::to_owned),
            segment: segment.map(str::to_owned),
            price: Some(dec!(4.10)),
            percent: None,
            min_quantity: None,
            breaks: Vec::new(),
        }
    }

    fn rules(offers: Vec<CustomerOffer>) -> RuleSet {
        let mut rules = RuleSet {
            catalog: Catalog {
                segments: vec![Segment {
                    id: "dairy".to_owned(),
                    name: String::new(),
                    parent: None,
                    star: false,
                    keywords: Vec::new(),
                }],
                ..Catalog::default()
            },
            offers,
            ..RuleSet::default()
        };
        rules.store.time_zone = "Europe/Paris".to_owned();
        rules.store.groups.insert(
            "canteens".to_owned(),
            crate::rules::GroupSettings {
                display: crate::rules::Display::Net,
            },
        );
        for offer in &mut rules.offers {
            offer.title = format!("Offer {}", offer.code);
        }
        rules
    }

    fn instant(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    /// Whole days in the store's zone: the first day from its local midnight, the last until the
    /// next local midnight, across a change of offset; a commitment without dates takes its
    /// offer's.
    #[test]
    fn dates_are_whole_local_days_and_commitments_default_to_their_offer() {
        let mut offer = CustomerOffer::new("SUMMER", OfferScope::Customer("C1".to_owned()));
        offer.starts_on = Some("2026-03-29".to_owned());
        offer.ends_on = Some("2026-10-25".to_owned());
        offer.commitments = vec![
            Commitment {
                number: 2,
                starts_on: Some("2026-06-01".to_owned()),
                ends_on: Some("2026-06-30".to_owned()),
                discounts: vec![discount("D1", Some("MILK"), None)],
            },
            Commitment {
                number: 1,
                starts_on: None,
                ends_on: None,
                discounts: vec![discount("D1", None, Some("dairy"))],
            },
        ];
        let snapshot = crate::compile(&rules(vec![offer])).unwrap();
        let offer = snapshot.contracts.by_code.get("SUMMER").unwrap();
        // 29 March 2026: CET (+01:00) at midnight, CEST from 02:00.
        let start = offer.window.start.unwrap();
        assert_eq!(start, (instant("2026-03-28T23:00:00Z"), date(2026, 3, 29)));
        // 26 October 2026 starts in CET again.
        let end = offer.window.end.unwrap();
        assert_eq!(end, (instant("2026-10-25T23:00:00Z"), date(2026, 10, 25)));
        let numbers: Vec<u32> = offer.commitments.iter().map(|c| c.number).collect();
        assert_eq!(numbers, [1, 2]);
        assert_eq!(offer.commitments[0].window, offer.window);
        let june = &offer.commitments[1].window;
        assert_eq!(june.start.unwrap().0, instant("2026-05-31T22:00:00Z"));
        assert_eq!(june.end.unwrap().0, instant("2026-06-30T22:00:00Z"));
    }

    /// Each scope has its own entry, and within it the discounts are found by sku and segment.
    #[test]
    fn offers_are_indexed_by_scope_then_by_target() {
        let mut client = CustomerOffer::new("CLI", OfferScope::Customer("C1".to_owned()));
        client.commitments = vec![Commitment {
            number: 1,
            starts_on: None,
            ends_on: None,
            discounts: vec![
                discount("A", Some("MILK"), None),
                discount("B", None, Some("dairy")),
            ],
        }];
        let mut group = CustomerOffer::new("CANTINES", OfferScope::Group("canteens".to_owned()));
        group.commitments = client.commitments.clone();
        let snapshot = crate::compile(&rules(vec![client, group])).unwrap();
        let contracts = &snapshot.contracts;
        assert_eq!(contracts.count, 2);
        assert!(contracts.all.is_none());
        let entry = contracts.customers.get("C1").unwrap();
        assert!(contracts.customers.get("C2").is_none());
        let dairy = snapshot.names.segments["dairy"];
        let mut found = Vec::new();
        entry.reaching(
            "MILK",
            crate::snapshot::b2b::sku_hash("MILK"),
            &[dairy],
            |o, _, d| found.push((o.code.to_string(), d.code.to_string())),
        );
        assert_eq!(
            found,
            [("CLI".into(), "A".into()), ("CLI".into(), "B".into())]
        );
        let mut other = Vec::new();
        entry.reaching(
            "EGGS",
            crate::snapshot::b2b::sku_hash("EGGS"),
            &[],
            |o, _, _| other.push(o.code.to_string()),
        );
        assert!(other.is_empty());
        let canteens = snapshot.names.groups["canteens"];
        let entry = contracts.groups[canteens as usize].as_ref().unwrap();
        assert_eq!(&*entry.offers[0].code, "CANTINES");
    }
}
