//! Catalog prices (DESIGN §2.5): for products and one customer context, the base price with every
//! catalog promotion that would apply to one unit in a cart, in priority order and with its
//! combination mode — what you see is what you pay. The promotion shown is the one of highest
//! priority (ties: the lower price alone, then the older promotion, then the smaller id).

use rust_decimal::Decimal;
use smallvec::SmallVec;

use crate::b2b::{Day, Scopes};
use crate::cart::PriceRequest;
use crate::context::Ctx;
use crate::error::{Error, FieldError, FieldErrors, Result};
use crate::evaluate::ties::rank;
use crate::quote::{PriceSource, ProductPrice};
use crate::rules::{BudgetRule, Combination, Display, Ties};
use crate::snapshot::{Facts, Offer, Product, Promotion, Snapshot};

/// A catalog promotion's claim to be shown on a product (or a cart line).
#[derive(Debug, Clone, Copy)]
pub(crate) struct CatalogPick {
    pub priority: i32,
    /// What the product costs with it alone.
    pub price: Decimal,
    /// The promotion's index: consideration order (older, then smaller id).
    pub promotion: u32,
}

impl CatalogPick {
    /// DESIGN §2.5: the higher priority, then the better price for the customer, then the older
    /// promotion.
    pub(crate) fn beats(&self, other: &CatalogPick) -> bool {
        (
            self.priority,
            std::cmp::Reverse(self.price),
            std::cmp::Reverse(self.promotion),
        ) > (
            other.priority,
            std::cmp::Reverse(other.price),
            std::cmp::Reverse(other.promotion),
        )
    }
}

/// A price with its catalog promotions: what is left, and the promotions that applied, in order.
pub(crate) struct Chain {
    pub amount: Decimal,
    pub applied: SmallVec<[u32; 2]>,
}

impl Snapshot {
    /// What `quantity` units worth `amount` cost with the catalog promotions `promotions` (indices
    /// in consideration order, each reaching the product and allowed in the context), applied the
    /// way a cart applies them: by priority, equal priorities in the order that costs the least
    /// (`evaluate::ties`), a stop-further one closing the item, an exclusive one only on an item
    /// nothing discounted, never below `floor` a unit. `budget_left` says how much a promotion
    /// with a budget may still grant.
    pub(crate) fn catalog_chain(
        &self,
        amount: Decimal,
        quantity: u32,
        floor: Option<Decimal>,
        promotions: &[u32],
        budget_left: impl Fn(&Promotion) -> Option<Decimal>,
    ) -> Chain {
        let base = amount;
        let discount = |p: &Promotion, left: Decimal| {
            self.catalog_discount(p, (left, base), quantity, floor, budget_left(p))
        };
        let mut chain = Chain {
            amount,
            applied: SmallVec::new(),
        };
        let mut closed = false;
        for group in promotions.chunk_by(|&a, &b| {
            self.promotions[a as usize].priority == self.promotions[b as usize].priority
        }) {
            if closed {
                break;
            }
            let ranked: SmallVec<[u32; 8]>;
            let order = if group.len() > 1 && self.semantics.ties == Ties::Value {
                let start = chain.amount;
                let members: SmallVec<[(usize, &Promotion); 8]> = group
                    .iter()
                    .map(|&i| (i as usize, &*self.promotions[i as usize]))
                    .collect();
                // Handles are promotion indices, which are u32.
                ranked = rank(&members, |_, p| discount(p, start))
                    .into_iter()
                    .map(|i| i as u32)
                    .collect();
                &ranked[..]
            } else {
                group
            };
            for &i in order {
                let p = &self.promotions[i as usize];
                let refused = p.combination == Combination::Exclusive && !chain.applied.is_empty();
                if closed || refused {
                    continue;
                }
                let d = discount(p, chain.amount);
                if d.is_zero() {
                    continue;
                }
                chain.amount -= d;
                chain.applied.push(i);
                closed = p.combination != Combination::Stackable;
            }
        }
        chain
    }

    /// What a catalog promotion takes off `quantity` units worth `amount` now (and `base` before
    /// promotions), never below `floor` a unit, within what is left of its budget.
    pub(crate) fn catalog_discount(
        &self,
        p: &Promotion,
        (amount, base): (Decimal, Decimal),
        quantity: u32,
        floor: Option<Decimal>,
        budget_left: Option<Decimal>,
    ) -> Decimal {
        let Offer::Merchandise(offer) = p.offer else {
            return Decimal::ZERO;
        };
        let mut d = self.line_discount(offer, amount, base, quantity);
        if floor.is_some() {
            d = d.min((amount - self.floor_of(floor, quantity)).max(Decimal::ZERO));
        }
        match budget_left {
            Some(left) if d > left && self.semantics.budget == BudgetRule::AllOrNothing => {
                Decimal::ZERO
            }
            Some(left) => d.min(left),
            None => d,
        }
    }

    /// The catalog promotion to show among those that applied to one unit worth `unit`.
    pub(crate) fn shown_promotion(&self, unit: Decimal, applied: &[u32]) -> Option<u32> {
        // `applied` is in application order, highest priority first: only the first priority
        // competes.
        let first = *applied.first()?;
        let priority = self.promotions[first as usize].priority;
        let contenders = applied
            .iter()
            .take_while(|&&i| self.promotions[i as usize].priority == priority)
            .count();
        if contenders == 1 {
            return Some(first);
        }
        let mut best: Option<CatalogPick> = None;
        for &i in &applied[..contenders] {
            let p = &self.promotions[i as usize];
            let Offer::Merchandise(offer) = p.offer else {
                continue;
            };
            let pick = CatalogPick {
                priority: p.priority,
                price: unit - self.line_discount(offer, unit, unit, 1),
                promotion: i,
            };
            if best.is_none_or(|b| pick.beats(&b)) {
                best = Some(pick);
            }
        }
        best.map(|b| b.promotion)
    }
}

/// Remembers, per promotion, whether the context lets it apply: each is checked once per batch.
struct ContextChecks(Vec<u8>);

impl ContextChecks {
    fn passes(&mut self, snapshot: &Snapshot, promotion: u32, ctx: &Ctx<'_>) -> bool {
        match self.0[promotion as usize] {
            PASSES => true,
            FAILS => false,
            _ => {
                let p = &snapshot.promotions[promotion as usize];
                let passes = snapshot.check_context(p, ctx).is_none();
                self.0[promotion as usize] = if passes { PASSES } else { FAILS };
                passes
            }
        }
    }
}

const UNKNOWN: u8 = 0;
const PASSES: u8 = 1;
const FAILS: u8 = 2;

impl Snapshot {
    /// Prices the requested skus; an unknown sku is an error naming its position.
    pub fn price(&self, request: &PriceRequest) -> Result<Vec<ProductPrice<'_>>> {
        let mut errors = Vec::new();
        let products = request
            .skus
            .iter()
            .enumerate()
            .filter_map(|(i, sku)| {
                let product = self.skus.get(sku.as_str()).and_then(|e| e.product);
                if product.is_none() {
                    errors.push(FieldError::new(
                        format!("skus[{i}]"),
                        format!("`{sku}` is not in the catalog"),
                    ));
                }
                product.and_then(|p| self.products.get(p as usize))
            })
            .collect();
        self.price_products(request, products, errors)
    }

    /// Prices every product of the catalog in one context (price feeds, landing pages).
    pub fn price_catalog(&self, request: &PriceRequest) -> Result<Vec<ProductPrice<'_>>> {
        self.price_products(request, self.products.iter().collect(), Vec::new())
    }

    pub(crate) fn price_products<'s>(
        &'s self,
        request: &PriceRequest,
        products: Vec<&'s Product>,
        mut errors: Vec<FieldError>,
    ) -> Result<Vec<ProductPrice<'s>>> {
        let ctx = self.context(
            &request.customer,
            request.channel.as_deref(),
            &request.at,
            request.display,
            &mut errors,
        );
        let (Some(ctx), true) = (ctx, errors.is_empty()) else {
            return Err(Error::InvalidRequest(FieldErrors(errors)));
        };
        let mut checks = ContextChecks(vec![UNKNOWN; self.promotions.len()]);
        // The promotions on every product that can set a catalog price in this context, once for
        // the batch rather than once per product.
        let all: Vec<u32> = self
            .index
            .all
            .iter()
            .copied()
            .filter(|&i| {
                let p = &self.promotions[i as usize];
                p.is_catalog && checks.passes(self, i, &ctx)
            })
            .collect();
        let scopes = self.scopes(ctx.customer, &ctx.groups);
        // The store's date, for the offers that are not live: converted once for the batch.
        let date = std::cell::OnceCell::new();
        let today = || *date.get_or_init(|| Day(self.local_time(ctx.now).0.date()));
        Ok(products
            .into_iter()
            .map(|p| self.catalog_price(&ctx, (&scopes, &today), &mut checks, &all, p))
            .collect())
    }

    fn catalog_price<'s>(
        &'s self,
        ctx: &Ctx<'_>,
        (scopes, today): (&Scopes<'s>, &dyn Fn() -> Day),
        checks: &mut ContextChecks,
        all: &[u32],
        product: &'s Product,
    ) -> ProductPrice<'s> {
        let money = &self.money;
        let in_display = |amount: Decimal| {
            money.in_display(
                amount,
                product.tax_rate,
                self.prices_include_tax,
                ctx.display,
            )
        };
        let list = in_display(product.price);
        // The B2B step, for one unit: what a one-unit cart line of the product gets.
        let facts = (&*product.sku, &product.segments[..]);
        let (unit, offer, offer_candidates) =
            match scopes.resolve(money, facts, list, ctx.now, || 1) {
                Some(resolution) => {
                    let unit = resolution.winner().map(|w| w.unit);
                    let (applied, candidates) = resolution.explain(today);
                    (
                        unit.unwrap_or_else(|| money.round(list)),
                        applied,
                        candidates,
                    )
                }
                None => (money.round(list), None, Vec::new()),
            };
        let promoted = offer.is_none() || self.promotions_on_offer_prices;
        let entry = self.skus.get(&product.sku);
        let selections = entry.map_or(&[][..], |e| &e.selections[..]);
        let facts = Facts {
            sku: &product.sku,
            segments: &product.segments,
            selections,
            brand: product.brand,
            attributes: &product.attributes,
            tags: &product.tags,
            unit,
        };
        let mut reaching: SmallVec<[u32; 8]> = SmallVec::new();
        let mut consider = |ids: &[u32]| {
            for &i in ids {
                let p = &self.promotions[i as usize];
                if !p.is_catalog
                    || !checks.passes(self, i, ctx)
                    || p.exclude.as_ref().is_some_and(|e| e.matches(&facts))
                    || p.unit_price.is_some_and(|b| !b.contains(unit))
                {
                    continue;
                }
                reaching.push(i);
            }
        };
        if promoted {
            self.targeting_lists(&facts, &mut consider);
            consider(all);
        }
        // Index lists are each in consideration order, but a promotion may come from several.
        reaching.sort_unstable();
        reaching.dedup();
        // A price request knows nothing of usage: a budget caps as if nothing was granted yet.
        let floor = product.floor.map(in_display);
        let chain = self.catalog_chain(unit, 1, floor, &reaching, |p| p.limits.budget);
        let price = chain.amount;
        let promotion = self
            .shown_promotion(unit, &chain.applied)
            .map(|i| &*self.promotions[i as usize].id);
        let (net, gross) = match ctx.display {
            Display::Gross => (
                money.round(price / (Decimal::ONE + product.tax_rate)),
                price,
            ),
            Display::Net => (
                price,
                money.round(price * (Decimal::ONE + product.tax_rate)),
            ),
        };
        ProductPrice {
            sku: &product.sku,
            currency: money.code(),
            display: ctx.display,
            price_source: if offer.is_some() {
                PriceSource::Offer
            } else {
                PriceSource::List
            },
            offer,
            offer_candidates,
            // A "was" price is the reference only when it is above the list price.
            reference_price: product
                .compare_at
                .filter(|c| *c > product.price)
                .map_or_else(|| money.round(list), |c| money.round(in_display(c))),
            price,
            net,
            tax: gross - net,
            gross,
            promotion,
            promotions: chain
                .applied
                .iter()
                .map(|&i| &*self.promotions[i as usize].id)
                .collect(),
        }
    }
}
