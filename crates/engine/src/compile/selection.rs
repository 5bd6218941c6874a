//! Selections: hand-picked skus, a saved filter, or both (their union). Filter members are
//! computed here, from the compiled catalog, and kept right by [`Snapshot::apply`]: a product
//! change checks that product against every filter, a selection change walks the products
//! once with its old and new filters and touches only the entries whose membership moved.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::{Compiler, Table, pos, sorted};
use crate::error::FieldError;
use crate::money::Money;
use crate::rules;
use crate::snapshot::{
    Ids, PriceBounds, Product, ProductList, SelectionFilter, SkuTable, Snapshot, attribute_key,
};

/// Per selection id: its hand-picked skus; and the selections with a filter.
pub(crate) type CompiledSelections = (Vec<Arc<[Box<str>]>>, Vec<(u32, Arc<SelectionFilter>)>);

/// Whether a filter's names are interned (a compile, whose products may come later) or only
/// looked up (a check or a preview, which must not grow the snapshot's tables).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Names {
    Intern,
    LookUp,
}

impl Compiler<'_> {
    /// Interns selections, records per sku the selections that pick it or whose filter its
    /// product matches, and returns each selection's picked skus and the compiled filters.
    pub(super) fn selections(
        &mut self,
        selections: &[rules::Selection],
        skus: &mut SkuTable,
        products: &ProductList,
        money: &Money,
    ) -> CompiledSelections {
        let positions = self.positions.map(|p| &p.selections);
        let mut picked_by: FxHashMap<Box<str>, Vec<u32>> = FxHashMap::default();
        let mut members: Vec<Arc<[Box<str>]>> = Vec::new();
        let mut filters = Vec::new();
        for (i, selection) in selections.iter().enumerate() {
            let path = format!("catalog.selections[{}]", pos(positions, i));
            if self.names.selections.contains_key(selection.id.as_str()) {
                self.error(
                    format!("{path}.id"),
                    format!("duplicate selection `{}`", selection.id),
                );
                continue;
            }
            let id = self.intern(Table::Selections, &selection.id);
            for sku in &selection.skus {
                picked_by.entry(sku.as_str().into()).or_default().push(id);
            }
            let slot = id as usize;
            if members.len() <= slot {
                members.resize_with(slot + 1, Default::default);
            }
            members[slot] = selection.skus.iter().map(|s| s.as_str().into()).collect();
            if let Some(filter) = &selection.filter {
                let compiled =
                    self.selection_filter(&format!("{path}.filter"), filter, money, Names::Intern);
                filters.push((id, Arc::new(compiled)));
            }
        }
        for (sku, ids) in picked_by {
            skus.entry(&sku).set_picked(sorted(ids));
        }
        if !filters.is_empty() {
            // One walk of the products, each checked against every filter.
            for product in products.iter() {
                let matched = matched_by(&filters, product);
                if !matched.is_empty() {
                    skus.entry(&product.sku).set_matched(matched);
                }
            }
        }
        (members, filters)
    }

    /// Checks and compiles a filter; errors under `path` (`….filter.segments[0]`).
    pub(crate) fn selection_filter(
        &mut self,
        path: &str,
        filter: &rules::SelectionFilter,
        money: &Money,
        names: Names,
    ) -> SelectionFilter {
        if !filter.has_criteria() {
            self.error(
                path,
                "gives no criterion: name segments, brands, tags, attributes or a price bound",
            );
        }
        let mut segments = Vec::new();
        for (j, segment) in filter.segments.iter().enumerate() {
            match self.names.segments.get(segment.as_str()) {
                Some(&id) => segments.push(id),
                None => self.error(
                    format!("{path}.segments[{j}]"),
                    format!("unknown segment `{segment}`"),
                ),
            }
        }
        let name = |c: &mut Self, table: Table, text: &str| match names {
            Names::Intern => c.intern(table, text),
            Names::LookUp => c.names.table(table).get(text).copied().unwrap_or(u32::MAX),
        };
        let brands = filter
            .brands
            .iter()
            .map(|b| name(self, Table::Brands, b))
            .collect();
        let tags = filter
            .tags
            .iter()
            .map(|t| name(self, Table::Tags, t))
            .collect();
        let attributes = filter
            .attributes
            .iter()
            .map(|(k, v)| name(self, Table::Attributes, &attribute_key(k, v)))
            .collect();
        let min = filter.min_price.inspect(|&m| {
            self.check_price(&format!("{path}.min_price"), m, money);
        });
        let max = filter.max_price.inspect(|&m| {
            self.check_price(&format!("{path}.max_price"), m, money);
        });
        if let (Some(min), Some(max)) = (min, max)
            && max < min
        {
            self.error(
                format!("{path}.max_price"),
                format!("{max} is below min_price {min}"),
            );
        }
        SelectionFilter {
            segments: sorted(segments),
            brands: sorted(brands),
            tags: sorted(tags),
            attributes: sorted(attributes),
            price: PriceBounds { min, max },
        }
    }

    /// Puts `selection` in place of the selection of its id: its picked skus' entries, and its
    /// filter's members (one walk of the products with the old and the new filter).
    pub(super) fn apply_selection(&mut self, next: &mut Snapshot, selection: &rules::Selection) {
        let path = format!("selections[{}]", selection.id);
        let before = self.errors.len();
        let filter = selection.filter.as_ref().map(|f| {
            let money = next.money;
            Arc::new(self.selection_filter(&format!("{path}.filter"), f, &money, Names::Intern))
        });
        if self.errors.len() > before {
            return;
        }
        let id = self.intern(Table::Selections, &selection.id);
        let members: Arc<[Box<str>]> = selection.skus.iter().map(|s| s.as_str().into()).collect();
        let old = next
            .selection_members
            .get(id as usize)
            .cloned()
            .unwrap_or_default();
        let skus = &mut next.skus;
        for sku in old.iter() {
            if !members.contains(sku)
                && let Some(entry) = skus.get_mut(sku)
            {
                let picked = entry.picked.iter().copied().filter(|&s| s != id).collect();
                entry.set_picked(picked);
                if entry.is_unused() {
                    skus.remove(sku);
                }
            }
        }
        for sku in members.iter() {
            let entry = skus.entry(sku);
            if let Some(picked) = with_id(&entry.picked, id) {
                entry.set_picked(picked);
            }
        }
        let slot = id as usize;
        if next.selection_members.len() <= slot {
            next.selection_members
                .resize_with(slot + 1, Default::default);
        }
        next.selection_members[slot] = members;
        self.apply_filter(next, id, filter);
    }

    /// Replaces selection `id`'s filter, moving the products whose membership changes.
    fn apply_filter(&mut self, next: &mut Snapshot, id: u32, filter: Option<Arc<SelectionFilter>>) {
        let at = next
            .selection_filters
            .binary_search_by_key(&id, |(s, _)| *s);
        let old = at.ok().map(|i| next.selection_filters[i].1.clone());
        if old.is_none() && filter.is_none() {
            return;
        }
        let skus = &mut next.skus;
        for product in next.products.iter() {
            let was = old.as_ref().is_some_and(|f| f.matches(product));
            let is = filter.as_ref().is_some_and(|f| f.matches(product));
            if was == is {
                continue;
            }
            let entry = skus.entry(&product.sku);
            let matched = if is {
                with_id(&entry.matched, id)
            } else {
                Some(entry.matched.iter().copied().filter(|&s| s != id).collect())
            };
            if let Some(matched) = matched {
                entry.set_matched(matched);
            }
        }
        let filters = Arc::make_mut(&mut next.selection_filters);
        match (at, filter) {
            (Ok(i), Some(filter)) => filters[i] = (id, filter),
            (Ok(i), None) => drop(filters.remove(i)),
            (Err(i), Some(filter)) => filters.insert(i, (id, filter)),
            (Err(_), None) => {}
        }
    }
}

/// `ids` with `id` added in order; `None` when it is there already.
fn with_id(ids: &[u32], id: u32) -> Option<Ids> {
    let at = ids.binary_search(&id).err()?;
    let mut with = ids.to_vec();
    with.insert(at, id);
    Some(with.into_boxed_slice())
}

/// The selections (ascending) whose filter `product` matches.
pub(crate) fn matched_by(filters: &[(u32, Arc<SelectionFilter>)], product: &Product) -> Ids {
    filters
        .iter()
        .filter(|(_, f)| f.matches(product))
        .map(|(id, _)| *id)
        .collect()
}

impl Snapshot {
    /// One selection's problems against this snapshot's segments and settings, with paths
    /// within the selection (`filter.segments[0]`): what compiling it in the full rule set
    /// would report (but an id another selection has, which the store's ids rule out).
    pub fn check_selection(&self, selection: &rules::Selection) -> Vec<FieldError> {
        match &selection.filter {
            Some(filter) => selection_filter_for_preview(self, filter)
                .err()
                .unwrap_or_default(),
            None => Vec::new(),
        }
    }
}

/// `filter` compiled against `snapshot`'s names without growing them, or its problems (paths
/// under `filter`).
pub(crate) fn selection_filter_for_preview(
    snapshot: &Snapshot,
    filter: &rules::SelectionFilter,
) -> Result<SelectionFilter, Vec<FieldError>> {
    let mut c = snapshot.checker();
    let compiled = c.selection_filter("filter", filter, &snapshot.money, Names::LookUp);
    if c.errors.is_empty() {
        Ok(compiled)
    } else {
        Err(c.errors)
    }
}
