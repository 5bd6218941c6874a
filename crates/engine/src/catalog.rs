//! What the back office asks of the compiled catalog: the products of each segment and tag, a
//! selection's products, and the products a filter would hold (its live preview). Each is at
//! most one walk of the products comparing interned integers, never a compile.

use std::collections::BinaryHeap;

use crate::compile::selection_filter_for_preview;
use crate::error::FieldError;
use crate::rules;
use crate::snapshot::{SelectionFilter, Snapshot};

/// The products a filter or a selection holds: how many, and the first ones by sku.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matches<'a> {
    pub count: usize,
    /// At most the limit asked for, in sku order.
    pub first: Vec<&'a str>,
}

impl Snapshot {
    /// The store currency's number of decimals (2 for EUR), to show amounts.
    pub fn currency_scale(&self) -> u32 {
        self.money.scale
    }

    /// The catalog products `filter` matches, as the selection would hold them once saved:
    /// their number and the first `limit` skus. Errors (an unknown segment, a price range
    /// upside down, no criterion) have the paths a selection's check gives
    /// (`filter.segments[0]`).
    pub fn preview_filter(
        &self,
        filter: &rules::SelectionFilter,
        limit: usize,
    ) -> Result<Matches<'_>, Vec<FieldError>> {
        let compiled = selection_filter_for_preview(self, filter)?;
        Ok(self.matching(&compiled, limit))
    }

    /// The products of selection `id`: its hand-picked skus that are in the catalog, in their
    /// order, then the products its filter matches that it does not pick, in sku order.
    /// `None` when there is no such selection.
    pub fn selection_products(&self, id: &str) -> Option<Vec<&str>> {
        let &selection = self.names.selections.get(id)?;
        let picked = self.selection_members.get(selection as usize)?;
        let mut seen: rustc_hash::FxHashSet<&str> = rustc_hash::FxHashSet::default();
        let mut skus: Vec<&str> = picked
            .iter()
            .filter_map(|sku| self.product(sku).map(|p| &*p.sku))
            .filter(|sku| seen.insert(sku))
            .collect();
        if let Some(filter) = self.filter_of(selection) {
            let mut matched: Vec<&str> = self
                .products
                .iter()
                .filter(|p| filter.matches(p))
                .map(|p| &*p.sku)
                .filter(|sku| seen.insert(sku))
                .collect();
            matched.sort_unstable();
            skus.extend(matched);
        }
        Some(skus)
    }

    /// How many catalog products each segment holds, itself or under it, by segment id (in no
    /// particular order; segments without products are left out).
    pub fn products_per_segment(&self) -> Vec<(&str, usize)> {
        let mut counts = vec![0usize; self.segment_lineage.len()];
        for product in self.products.iter() {
            for &segment in product.segments.iter() {
                if let Some(count) = counts.get_mut(segment as usize) {
                    *count += 1;
                }
            }
        }
        named(&self.names.segments, &counts)
    }

    /// The tags catalog products carry, each with how many carry it, by tag (in no particular
    /// order).
    pub fn products_per_tag(&self) -> Vec<(&str, usize)> {
        let mut counts = vec![0usize; self.names.tags.len()];
        for product in self.products.iter() {
            for &tag in product.tags.iter() {
                if let Some(count) = counts.get_mut(tag as usize) {
                    *count += 1;
                }
            }
        }
        named(&self.names.tags, &counts)
    }

    /// The skus of the catalog products that carry `tag` (in no particular order).
    pub fn products_with_tag(&self, tag: &str) -> Vec<&str> {
        let Some(&id) = self.names.tags.get(tag) else {
            return Vec::new();
        };
        self.products
            .iter()
            .filter(|p| p.tags.binary_search(&id).is_ok())
            .map(|p| &*p.sku)
            .collect()
    }

    fn filter_of(&self, selection: u32) -> Option<&SelectionFilter> {
        let filters = &self.selection_filters;
        let at = filters.binary_search_by_key(&selection, |(s, _)| *s).ok()?;
        Some(&filters[at].1)
    }

    /// The count of the products `filter` matches and the `limit` smallest skus among them
    /// (a bounded heap: no sort of every match).
    fn matching(&self, filter: &SelectionFilter, limit: usize) -> Matches<'_> {
        let mut count = 0;
        let mut first: BinaryHeap<&str> = BinaryHeap::with_capacity(limit + 1);
        for product in self.products.iter() {
            if !filter.matches(product) {
                continue;
            }
            count += 1;
            if limit == 0 {
                continue;
            }
            if first.len() < limit {
                first.push(&product.sku);
            } else if first.peek().is_some_and(|&largest| *product.sku < *largest) {
                first.pop();
                first.push(&product.sku);
            }
        }
        Matches {
            count,
            first: first.into_sorted_vec(),
        }
    }
}

/// `(name, count)` for each id with a count above zero.
fn named<'a>(
    names: &'a rustc_hash::FxHashMap<Box<str>, u32>,
    counts: &[usize],
) -> Vec<(&'a str, usize)> {
    names
        .iter()
        .filter_map(|(name, &id)| {
            let count = *counts.get(id as usize)?;
            (count > 0).then_some((&**name, count))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use rust_decimal_macros::dec;

    use super::*;
    use crate::rules::{RuleSet, SelectionFilter};

    fn snapshot() -> Snapshot {
        let rules: RuleSet = serde_json::from_value(serde_json::json!({
            "format": "remise.rules/1",
            "catalog": {
                "segments": [
                    { "id": "heroes" }, { "id": "marvel", "parent": "heroes" }, { "id": "games" }
                ],
                "products": [
                    { "sku": "C", "price": "30.00", "segments": ["marvel"], "brand": "Hasbro", "tags": ["new"] },
                    { "sku": "A", "price": "10.00", "segments": ["marvel"], "brand": "Hasbro", "tags": ["new", "web"] },
                    { "sku": "B", "price": "20.00", "segments": ["heroes"], "brand": "Mattel" },
                    { "sku": "D", "price": "5.00", "segments": ["games"], "brand": "Hasbro" }
                ],
                "selections": [
                    { "id": "hasbro", "skus": ["B", "GONE", "B"], "filter": { "brands": ["Hasbro"], "segments": ["heroes"] } },
                    { "id": "picked", "skus": ["D"] }
                ]
            },
            // A promotion interns a tag no product has: it is not "in use".
            "promotions": [ { "id": "p", "targets": { "tags": ["old"] }, "offer": { "type": "percent_off", "percent": 5 } } ]
        }))
        .unwrap();
        crate::compile(&rules).unwrap()
    }

    fn sorted(mut pairs: Vec<(&str, usize)>) -> Vec<(&str, usize)> {
        pairs.sort();
        pairs
    }

    #[test]
    fn a_preview_counts_every_match_and_lists_the_first_skus() {
        let snapshot = snapshot();
        let hasbro = SelectionFilter {
            brands: vec!["Hasbro".to_owned()],
            ..Default::default()
        };
        let matches = snapshot.preview_filter(&hasbro, 2).unwrap();
        assert_eq!(matches.count, 3);
        assert_eq!(matches.first, ["A", "C"]);
        let cheap = SelectionFilter {
            max_price: Some(dec!(20)),
            ..Default::default()
        };
        assert_eq!(
            snapshot.preview_filter(&cheap, 10).unwrap().first,
            ["A", "B", "D"]
        );
        // A brand no product has: nothing, not everything.
        let unknown = SelectionFilter {
            brands: vec!["Lego".to_owned()],
            tags: vec!["new".to_owned()],
            ..Default::default()
        };
        assert_eq!(snapshot.preview_filter(&unknown, 10).unwrap().count, 0);
        let wrong = SelectionFilter {
            segments: vec!["nowhere".to_owned()],
            min_price: Some(dec!(9)),
            max_price: Some(dec!(3)),
            ..Default::default()
        };
        let errors = snapshot.preview_filter(&wrong, 10).unwrap_err();
        let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["filter.segments[0]", "filter.max_price"]);
        let empty = SelectionFilter::default();
        assert_eq!(
            snapshot.preview_filter(&empty, 10).unwrap_err()[0].path,
            "filter"
        );
    }

    #[test]
    fn a_selection_holds_its_picks_in_the_catalog_then_its_matches() {
        let snapshot = snapshot();
        assert_eq!(
            snapshot.selection_products("hasbro").unwrap(),
            ["B", "A", "C"]
        );
        assert_eq!(snapshot.selection_products("picked").unwrap(), ["D"]);
        assert_eq!(snapshot.selection_products("nope"), None);
    }

    #[test]
    fn counts_per_segment_include_the_segments_below() {
        let snapshot = snapshot();
        assert_eq!(
            sorted(snapshot.products_per_segment()),
            [("games", 1), ("heroes", 3), ("marvel", 2)]
        );
        assert_eq!(
            sorted(snapshot.products_per_tag()),
            [("new", 2), ("web", 1)]
        );
        let mut tagged = snapshot.products_with_tag("new");
        tagged.sort();
        assert_eq!(tagged, ["A", "C"]);
        assert!(snapshot.products_with_tag("old").is_empty());
    }
}
