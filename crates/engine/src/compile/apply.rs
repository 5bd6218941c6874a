//! Changes of single documents applied to a snapshot: the next snapshot compiles only the changed
//! documents and shares every part they do not touch (DESIGN §4, "writes cost what they change").
//!
//! What a change costs: a product, its compiled form and a copy of one chunk of 1,024 product
//! pointers (and, added or removed, of one of the sku table's 256 shards), and a check against
//! each selection filter; a selection, the entries of its old and new skus, and with a filter
//! one walk of the products (the entries whose membership moves are copied); a promotion, its compiled form, its place in the sorted list
//! and the target index of all promotions (lists of integers); a B2B offer, its compiled form,
//! the index of the scope it leaves and of the scope it joins, and one shard of the tables by
//! code and by customer. Changes to settings, segments (their lineage reaches every product under
//! them), customer groups or removed selections (their name is known to vouchers) need a full
//! [`compile`](super::compile): [`Snapshot::apply`] does not take them.

use std::borrow::Cow;
use std::sync::Arc;

use rustc_hash::FxHashSet;

use super::selection::matched_by;
use super::{Compiler, OfferStore, build_index, consideration_order};
use crate::error::{Error, FieldError, FieldErrors, Result};
use crate::rules;
use crate::snapshot::{Ids, Snapshot};

/// A change of one document, as the rule format writes it.
#[derive(Debug, Clone, Copy)]
pub enum RuleChange<'a> {
    /// A product created or replaced.
    Product(&'a rules::Product),
    /// The product with this sku removed.
    RemoveProduct(&'a str),
    /// A selection created or replaced.
    Selection(&'a rules::Selection),
    /// A promotion created or replaced (in the form it is served: narrowed to its campaign).
    Promotion(&'a rules::Promotion),
    /// The promotion with this id no longer served.
    RemovePromotion(&'a str),
    /// A B2B offer created or replaced.
    Offer(&'a rules::CustomerOffer),
    /// The B2B offer with this code removed.
    RemoveOffer(&'a str),
}

impl Snapshot {
    /// The snapshot with `changes` applied, equal in every answer to a full compile of the rule
    /// set with the same changes. Products, selections and offers are applied before promotions,
    /// so a gift may name a product added by the same call. Errors carry paths such as
    /// `products[SKU].price`, `promotions[ID].offer` or `offers[CODE].commitments[0].number`.
    pub fn apply(&self, changes: &[RuleChange<'_>]) -> Result<Snapshot> {
        let mut next = self.clone();
        let mut c = Compiler {
            errors: Vec::new(),
            positions: None,
            names: Cow::Borrowed(&*self.names),
        };
        for change in changes {
            match *change {
                RuleChange::Product(product) => c.apply_product(&mut next, product),
                RuleChange::RemoveProduct(sku) => remove_product(&mut next, sku),
                RuleChange::Selection(selection) => c.apply_selection(&mut next, selection),
                RuleChange::Offer(offer) => c.apply_offer(&mut next, offer),
                RuleChange::RemoveOffer(code) => next.replace_offer(&c.names, code, None),
                RuleChange::Promotion(_) | RuleChange::RemovePromotion(_) => {}
            }
        }
        let mut promotions: Vec<(&str, Option<Arc<crate::snapshot::Promotion>>)> = Vec::new();
        for change in changes {
            match *change {
                RuleChange::Promotion(p) => {
                    let path = format!("promotions[{}]", p.id);
                    let compiled = c.promotion(&path, p, &next.money, &next.time_zone, &next.skus);
                    promotions.push((&p.id, compiled.map(Arc::new)));
                }
                RuleChange::RemovePromotion(id) => promotions.push((id, None)),
                _ => {}
            }
        }
        if !c.errors.is_empty() {
            return Err(Error::InvalidRules(FieldErrors(c.errors)));
        }
        if !promotions.is_empty() {
            let changed: FxHashSet<&str> = promotions.iter().map(|(id, _)| *id).collect();
            next.promotions.retain(|p| !changed.contains(&*p.id));
            // The last change of an id wins, as if applied one by one.
            let mut last: Vec<_> = promotions.into_iter().rev().collect();
            let mut seen = FxHashSet::default();
            last.retain(|(id, _)| seen.insert(*id));
            // Each placed where the order puts it: the list is sorted, so no sort is needed.
            for promotion in last.into_iter().filter_map(|(_, compiled)| compiled) {
                let at = next.promotions.partition_point(|p| {
                    consideration_order(p, &promotion) == std::cmp::Ordering::Less
                });
                next.promotions.insert(at, promotion);
            }
            next.index = Arc::new(build_index(&next.promotions, next.segment_lineage.len()));
        }
        if let Cow::Owned(names) = c.names {
            next.names = Arc::new(names);
        }
        Ok(next)
    }

    /// One promotion's problems against this snapshot's catalog and settings, with paths within
    /// the promotion (`offer.percent`): what compiling it in the full rule set would report.
    pub fn check_promotion(&self, promotion: &rules::Promotion) -> Vec<FieldError> {
        let mut c = self.checker();
        c.promotion("", promotion, &self.money, &self.time_zone, &self.skus);
        relative(c.errors)
    }

    /// One B2B offer's problems against this snapshot's settings, customer groups and segments,
    /// with paths within the offer (`commitments[0].discounts[1].price`): what compiling it in
    /// the full rule set would report (but a code another offer has, which the store's ids
    /// rule out).
    pub fn check_offer(&self, offer: &rules::CustomerOffer) -> Vec<FieldError> {
        let names = &self.names;
        let store = OfferStore {
            money: &self.money,
            sells_to: self.sells_to,
            group_exists: &|group| {
                names.groups.get(group).is_some_and(|&id| {
                    self.group_display
                        .get(id as usize)
                        .is_some_and(Option::is_some)
                })
            },
            segment_exists: &|segment| names.segments.contains_key(segment),
        };
        super::offer_problems(offer, &store)
    }

    /// One product's problems against this snapshot's segments and settings, with paths within
    /// the product (`price`).
    pub fn check_product(&self, product: &rules::Product) -> Vec<FieldError> {
        super::product_problems(product, &self.money, |s| {
            self.names.segments.contains_key(s)
        })
    }

    pub(super) fn checker(&self) -> Compiler<'_> {
        Compiler {
            errors: Vec::new(),
            positions: None,
            names: Cow::Borrowed(&*self.names),
        }
    }
}

/// `.offer.percent` → `offer.percent`: the paths of a document compiled under the empty path.
pub(super) fn relative(errors: Vec<FieldError>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|mut e| {
            if let Some(rest) = e.path.strip_prefix('.') {
                e.path = rest.to_owned();
            }
            e
        })
        .collect()
}

impl Compiler<'_> {
    /// Checks an offer as a full compile would, and puts it in place of the offer of its code.
    fn apply_offer(&mut self, next: &mut Snapshot, offer: &rules::CustomerOffer) {
        let problems = next.check_offer(offer);
        if !problems.is_empty() {
            let path = format!("offers[{}]", offer.code);
            for problem in problems {
                self.error(format!("{path}.{}", problem.path), problem.message);
            }
            return;
        }
        let compiled = self.customer_offer(offer, &next.time_zone).map(Arc::new);
        next.replace_offer(&self.names, &offer.code, compiled);
    }

    fn apply_product(&mut self, next: &mut Snapshot, product: &rules::Product) {
        let path = format!("products[{}]", product.sku);
        let compiled = Arc::new(self.product(
            &path,
            product,
            next.floor_at_cost,
            &next.money,
            &next.segment_lineage,
        ));
        // Its filter selections: checked against each filter (their number, not the catalog's).
        let matched = matched_by(&next.selection_filters, &compiled);
        let entry = next.skus.get(product.sku.as_str());
        let same_matches = entry.is_some_and(|e| e.matched == matched);
        match entry.and_then(|e| e.product) {
            Some(at) => next.products.set(at as usize, compiled),
            None => {
                let at = next.products.len() as u32;
                next.products.push(compiled);
                next.skus.entry(&product.sku).product = Some(at);
            }
        }
        if !same_matches {
            next.skus.entry(&product.sku).set_matched(matched);
        }
    }
}

/// Removes a product; the last product takes its place, so the list stays dense.
fn remove_product(next: &mut Snapshot, sku: &str) {
    let Some(at) = next.skus.get(sku).and_then(|e| e.product) else {
        return;
    };
    let skus = &mut next.skus;
    if let Some(moved) = next.products.swap_remove(at as usize)
        && let Some(entry) = skus.get_mut(&moved.sku)
    {
        entry.product = Some(at);
    }
    if let Some(entry) = skus.get_mut(sku) {
        entry.product = None;
        // Filters match catalog products only.
        if !entry.matched.is_empty() {
            entry.set_matched(Ids::default());
        }
        if entry.is_unused() {
            skus.remove(sku);
        }
    }
}
