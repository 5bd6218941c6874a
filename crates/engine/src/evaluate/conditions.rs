//! The checks a promotion must pass before it applies, each with the values compared when it
//! fails: limits, coupon, shipping method, history, quantities, cart contents, amounts, tiers.

use std::borrow::Cow;

use rust_decimal::Decimal;
use smallvec::SmallVec;

use super::{Candidate, Code, Evaluation, Line, MissingFor, Rejection};
use crate::cart::PromotionUsage;
use crate::quote::{Nudge, NudgeKind, Reason};
use crate::rules::{CartAmountBasis, Display, TierBasis};
use crate::snapshot::{History, Offer, Promotion, Targets};

impl<'a> Evaluation<'a> {
    /// The checks after the context ones, in order; the first failure is the reason.
    // The rejection is returned by value: it is built once per rejected promotion and moved
    // straight into the quote, so boxing it would only add an allocation.
    #[allow(clippy::result_large_err)]
    pub(super) fn check(&self, c: Candidate<'_>) -> std::result::Result<(), Rejection<'a>> {
        let p = self.promotion(c);
        self.limits_allow(p)?;
        if let Some(codes) = &p.conditions.coupon {
            match self.code_for(p).map(|i| &self.codes[i]) {
                None => {
                    return Err((Reason::CouponNotPresented { codes }, None));
                }
                Some(code) if !code.usable => {
                    return Err((
                        Reason::CouponNotUsable {
                            coupon: code.original,
                            why: code.reason,
                        },
                        None,
                    ));
                }
                Some(_) => {}
            }
        }
        let methods = &p.conditions.shipping_methods;
        if !methods.is_empty()
            && !self
                .cart
                .shipping_method
                .as_deref()
                .is_some_and(|m| methods.iter().any(|x| **x == *m))
        {
            return Err((
                Reason::ShippingMethodNotAllowed {
                    method: self.cart.shipping_method.as_deref(),
                    allowed: methods,
                },
                None,
            ));
        }
        if let Some(history) = &p.conditions.history {
            self.check_history(history)?;
        }
        // Quantity, distinct products and cart amount: all are measured so that a nudge is given
        // only when the one failing condition is what stands between the cart and the promotion.
        let cond = &p.conditions;
        let quantity = if cond.min_quantity > 0 {
            self.quantity(c)
        } else {
            0
        };
        let mut failures: SmallVec<[(Reason<'a>, Option<MissingFor>); 2]> = SmallVec::new();
        if quantity < cond.min_quantity {
            failures.push((
                Reason::MinQuantity {
                    quantity,
                    required: cond.min_quantity,
                },
                Some((
                    NudgeKind::AddUnits,
                    Decimal::from(cond.min_quantity - quantity),
                )),
            ));
        }
        if cond.min_distinct_products > 0 {
            let distinct = self.distinct(c);
            if distinct < cond.min_distinct_products {
                failures.push((
                    Reason::MinDistinctProducts {
                        distinct,
                        required: cond.min_distinct_products,
                    },
                    Some((
                        NudgeKind::AddProducts,
                        Decimal::from(cond.min_distinct_products - distinct),
                    )),
                ));
            }
        }
        if cond.min_line_quantity > 0 {
            let largest = c
                .lines
                .iter()
                .map(|&l| self.lines[l as usize].quantity)
                .max()
                .unwrap_or(0);
            if largest < cond.min_line_quantity {
                failures.push((
                    Reason::LineQuantityBelowMinimum {
                        quantity: largest,
                        required: cond.min_line_quantity,
                    },
                    Some((
                        NudgeKind::AddUnits,
                        Decimal::from(cond.min_line_quantity - largest),
                    )),
                ));
            }
        }
        for (k, contains) in cond.cart_contains.iter().enumerate() {
            let (quantity, amount) = self.contents(&contains.targets, p);
            let short_units = quantity < contains.min_quantity;
            let short_amount = contains.min_amount.is_some_and(|min| amount < min);
            if short_units || short_amount {
                let missing = if short_units {
                    (
                        NudgeKind::AddUnits,
                        Decimal::from(contains.min_quantity - quantity),
                    )
                } else {
                    let min = contains.min_amount.unwrap_or_default();
                    (NudgeKind::SpendMore, min - amount)
                };
                failures.push((
                    Reason::CartContentsNotMet {
                        condition: k,
                        quantity,
                        min_quantity: contains.min_quantity,
                        amount,
                        min_amount: contains.min_amount,
                    },
                    Some(missing),
                ));
            }
        }
        let amount = self.cart_amount();
        if let Some(minimum) = cond.min_cart_amount
            && amount < minimum
        {
            failures.push((
                Reason::CartAmountBelowMinimum { amount, minimum },
                Some((NudgeKind::SpendMore, minimum - amount)),
            ));
        }
        if let Some(maximum) = cond.max_cart_amount
            && amount > maximum
        {
            failures.push((Reason::CartAmountAboveMaximum { amount, maximum }, None));
        }
        if let Offer::Tiered { basis, tiers } = &p.offer {
            let value = self.tier_value(c, *basis);
            if let Some(first) = tiers.first()
                && !first.reached(value)
            {
                let missing =
                    self.missing_for_tier(*basis, first.threshold, first.inclusive, value);
                failures.push((
                    Reason::TierNotReached {
                        value,
                        threshold: first.threshold,
                        inclusive: first.inclusive,
                    },
                    Some((tier_nudge_kind(*basis), missing)),
                ));
            }
        }
        if let Offer::BuyXGetY(offer) = &p.offer {
            // Whether the cart holds enough units at all; what earlier promotions claim is seen
            // when the offer is applied.
            let (_, [trigger_only, reward_only, both], found) =
                self.buy_x_get_y_count(p, offer, c.lines, |l| self.lines[l as usize].quantity);
            if found.times == 0 {
                let units = trigger_only + reward_only + both;
                let least = offer.buy + if offer.partial_rewards { 1 } else { offer.get };
                // With one set of products counted together, the missing units are plain to
                // count.
                let missing = (offer.reward_targets.is_none() && !offer.per_line)
                    .then(|| (NudgeKind::AddUnits, Decimal::from(least - units)));
                failures.push((
                    Reason::MultiBuyNotReached {
                        triggers: trigger_only + both,
                        rewards: reward_only + both,
                        buy: offer.buy,
                        get: offer.get,
                    },
                    missing,
                ));
            }
        }
        // A shipping offer on every product needs no merchandise: a cart may hold only shipping.
        let needs_items = !(p.all && matches!(p.offer, Offer::Shipping { .. }));
        if c.lines.is_empty() && failures.is_empty() && needs_items {
            failures.push((Reason::NoTargetedItems, None));
        }
        let single = failures.len() == 1;
        match failures.into_iter().next() {
            None => Ok(()),
            Some((reason, nudge)) => {
                let nudge = nudge
                    .filter(|_| single)
                    .map(|(kind, missing)| self.nudge(p, kind, missing, false));
                Err((reason, nudge))
            }
        }
    }

    /// The promotion's usage limits and budget against the usage the cart carries.
    #[allow(clippy::result_large_err)]
    pub(super) fn limits_allow(&self, p: &Promotion) -> std::result::Result<(), Rejection<'a>> {
        let usage = self.usage(p);
        if let Some(limit) = p.limits.total_uses
            && usage.uses >= limit
        {
            return Err((
                Reason::UsageLimitReached {
                    uses: usage.uses,
                    limit,
                },
                None,
            ));
        }
        if let Some(limit) = p.limits.uses_per_customer
            && usage.customer_uses >= limit
        {
            return Err((
                Reason::CustomerUsageLimitReached {
                    uses: usage.customer_uses,
                    limit,
                },
                None,
            ));
        }
        if let Some(budget) = p.limits.budget
            && usage.granted >= budget
        {
            return Err((
                Reason::BudgetExhausted {
                    granted: self.snap.money.round(usage.granted),
                    budget,
                },
                None,
            ));
        }
        Ok(())
    }

    /// The customer's past orders against a promotion's history condition.
    #[allow(clippy::result_large_err)]
    pub(super) fn check_history(
        &self,
        history: &History,
    ) -> std::result::Result<(), Rejection<'a>> {
        let customer = self.ctx.customer;
        let orders = match customer.orders {
            Some(orders) => orders,
            None => return Err((Reason::HistoryUnknown, None)),
        };
        if history.min_orders.is_some_and(|m| orders < m)
            || history.max_orders.is_some_and(|m| orders > m)
        {
            return Err((
                Reason::OrdersOutOfRange {
                    orders,
                    min: history.min_orders,
                    max: history.max_orders,
                },
                None,
            ));
        }
        if let Some(minimum) = history.min_spent {
            let Some(spent) = customer.spent else {
                return Err((Reason::HistoryUnknown, None));
            };
            if spent < minimum {
                return Err((Reason::SpentBelowMinimum { spent, minimum }, None));
            }
        }
        Ok(())
    }

    /// Units and amount (as amount conditions measure it) of the cart's lines that match
    /// `targets` and are not excluded by the promotion.
    pub(super) fn contents(&self, targets: &Targets, p: &Promotion) -> (u32, Decimal) {
        let mut units = 0;
        let mut amount = Decimal::ZERO;
        for line in &self.lines {
            let facts = line.facts();
            if targets.matches(&facts) && !p.exclude.as_ref().is_some_and(|e| e.matches(&facts)) {
                units += line.quantity;
                amount += self.measured(self.amount_basis(line), line.tax_rate);
            }
        }
        (units, amount)
    }

    /// What amount conditions measure of a line: its catalog amount, or what earlier promotions
    /// left of it (`semantics.cart_amount`).
    pub(super) fn amount_basis(&self, line: &Line<'_>) -> Decimal {
        match self.snap.semantics.cart_amount {
            CartAmountBasis::Catalog => line.catalog_amount,
            CartAmountBasis::Running => line.amount,
        }
    }

    /// An amount of a line as amount conditions read it: in the display mode, or tax-included
    /// when the store measures thresholds with tax for every customer.
    pub(super) fn measured(&self, amount: Decimal, tax_rate: Decimal) -> Decimal {
        if self.snap.thresholds_include_tax && self.ctx.display == Display::Net {
            self.snap.money.round(amount * (Decimal::ONE + tax_rate))
        } else {
            amount
        }
    }

    /// The cart amount that `min_cart_amount`, `max_cart_amount` and spend tiers measure.
    pub(super) fn cart_amount(&self) -> Decimal {
        match (self.snap.semantics.cart_amount, self.measures_gross()) {
            (CartAmountBasis::Catalog, false) => self.catalog_subtotal,
            _ => self
                .lines
                .iter()
                .map(|l| self.measured(self.amount_basis(l), l.tax_rate))
                .sum(),
        }
    }

    pub(super) fn measures_gross(&self) -> bool {
        self.snap.thresholds_include_tax && self.ctx.display == Display::Net
    }

    /// The presented code that unlocks `p`, a usable one if there is one.
    pub(super) fn code_for(&self, p: &Promotion) -> Option<usize> {
        let codes = p.conditions.coupon.as_ref()?;
        let unlocks = |code: &Code| {
            codes.iter().any(|c| **c == code.normalized)
                || code.promotions.iter().any(|id| **id == *p.id)
        };
        let mut matching = self
            .codes
            .iter()
            .enumerate()
            .filter(|(_, code)| unlocks(code));
        let first = matching.clone().next().map(|(i, _)| i);
        matching
            .find(|(_, code)| code.usable)
            .map(|(i, _)| i)
            .or(first)
    }

    pub(super) fn usage(&self, p: &Promotion) -> Cow<'a, PromotionUsage> {
        let limited = p.limits.total_uses.is_some()
            || p.limits.uses_per_customer.is_some()
            || p.limits.budget.is_some();
        match limited.then(|| self.cart.usage.get(&*p.id)).flatten() {
            Some(usage) => Cow::Borrowed(usage),
            None => Cow::Owned(PromotionUsage::default()),
        }
    }

    pub(super) fn quantity(&self, c: Candidate<'_>) -> u32 {
        c.lines
            .iter()
            .map(|&l| self.lines[l as usize].quantity)
            .sum()
    }

    pub(super) fn distinct(&self, c: Candidate<'_>) -> u32 {
        let mut skus: SmallVec<[&str; 8]> = c
            .lines
            .iter()
            .map(|&l| self.lines[l as usize].sku)
            .collect();
        skus.sort_unstable();
        skus.dedup();
        skus.len() as u32
    }

    pub(super) fn tier_value(&self, c: Candidate<'_>, basis: TierBasis) -> Decimal {
        match basis {
            TierBasis::Spend => self.cart_amount(),
            TierBasis::Quantity => Decimal::from(self.quantity(c)),
        }
    }

    pub(super) fn missing_for_tier(
        &self,
        basis: TierBasis,
        threshold: Decimal,
        inclusive: bool,
        value: Decimal,
    ) -> Decimal {
        let step = match basis {
            TierBasis::Spend => Decimal::new(1, self.snap.money.scale),
            TierBasis::Quantity => Decimal::ONE,
        };
        let missing = threshold - value;
        if inclusive { missing } else { missing + step }
    }

    pub(super) fn nudge(
        &self,
        p: &'a Promotion,
        kind: NudgeKind,
        missing: Decimal,
        next_tier: bool,
    ) -> Nudge<'a> {
        Nudge {
            promotion: &p.id,
            name: &p.name,
            kind,
            missing: if kind == NudgeKind::SpendMore {
                self.snap.money.round(missing)
            } else {
                missing
            },
            next_tier,
            currency: self.snap.money.code(),
        }
    }
}

pub(super) fn tier_nudge_kind(basis: TierBasis) -> NudgeKind {
    match basis {
        TierBasis::Spend => NudgeKind::SpendMore,
        TierBasis::Quantity => NudgeKind::AddUnits,
    }
}
