//! Catalog prices (DESIGN §2.5): for products and one customer context, the base price with the
//! catalog promotion of highest priority applied (ties: the lower price, then the older promotion,
//! then the smaller id).

use rust_decimal::Decimal;

use crate::cart::PriceRequest;
use crate::context::Ctx;
use crate::error::{Error, FieldError, FieldErrors, Result};
use crate::evaluate::line_discount;
use crate::quote::{PriceSource, ProductPrice};
use crate::rules::Display;
use crate::snapshot::{Facts, Offer, Product, Snapshot};

/// A catalog promotion's claim on a product (or a cart line): the one that wins is the catalog's.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CatalogPick {
    pub priority: i32,
    /// What the product (or line) costs with it.
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
                product.map(|p| &self.products[p as usize])
            })
            .collect();
        self.price_products(request, products, errors)
    }

    /// Prices every product of the catalog in one context (price feeds, landing pages).
    pub fn price_catalog(&self, request: &PriceRequest) -> Result<Vec<ProductPrice<'_>>> {
        self.price_products(request, self.products.iter().collect(), Vec::new())
    }

    fn price_products<'s>(
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
        Ok(products
            .into_iter()
            .map(|p| self.catalog_price(&ctx, &mut checks, &all, p))
            .collect())
    }

    fn catalog_price<'s>(
        &'s self,
        ctx: &Ctx<'_>,
        checks: &mut ContextChecks,
        all: &[u32],
        product: &'s Product,
    ) -> ProductPrice<'s> {
        let money = &self.money;
        let unit = money.round(money.in_display(
            product.price,
            product.tax_rate,
            self.prices_include_tax,
            ctx.display,
        ));
        let entry = self.skus.get(&*product.sku);
        let selections = entry.map_or(&[][..], |e| &e.selections[..]);
        let facts = Facts {
            sku: &product.sku,
            segments: &product.segments,
            selections,
            brand: product.brand,
            attributes: &product.attributes,
            tags: &product.tags,
        };
        let mut best: Option<CatalogPick> = None;
        let mut consider = |ids: &[u32]| {
            for &i in ids {
                let p = &self.promotions[i as usize];
                let Offer::Merchandise(offer) = p.offer else {
                    continue;
                };
                if !p.is_catalog {
                    continue;
                }
                // Index lists are in consideration order: nothing further on can beat a
                // higher priority.
                if best.is_some_and(|b| b.priority > p.priority) {
                    break;
                }
                if best.is_some_and(|b| b.promotion == i) || !checks.passes(self, i, ctx) {
                    continue;
                }
                if p.exclude.as_ref().is_some_and(|e| e.matches(&facts)) {
                    continue;
                }
                let price = unit - line_discount(money, offer, unit, 1);
                if price == unit {
                    continue;
                }
                let pick = CatalogPick {
                    priority: p.priority,
                    price,
                    promotion: i,
                };
                if best.is_none_or(|b| pick.beats(&b)) {
                    best = Some(pick);
                }
            }
        };
        self.targeting_lists(&facts, &mut consider);
        consider(all);
        let (price, promotion) = match best {
            Some(b) => (b.price, Some(&*self.promotions[b.promotion as usize].id)),
            None => (unit, None),
        };
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
            price_source: PriceSource::List,
            reference_price: unit,
            price,
            net,
            tax: gross - net,
            gross,
            promotion,
        }
    }
}
