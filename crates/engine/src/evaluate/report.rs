//! What evaluation reports: each promotion's outcome as it is decided, and the quote at the end.

use rust_decimal::Decimal;

use super::offers::Effect;
use super::resolve::SORT_IN_PLACE;
use super::{Candidate, Evaluation, Line, Units};
use crate::quote::{
    Application, CodeOutcome, Explained, LineAmount, LineDiscount, LineUnits, LineVoucher,
    PriceSource, PromotionOutcome, QUOTE_FORMAT, Quote, QuoteLine, Reason, ShippingQuote, Status,
    Taxed, Totals, VoucherOutcome,
};

impl<'a> Evaluation<'a> {
    pub(super) fn outcome(
        &mut self,
        c: Candidate<'_>,
        status: Status,
        discount: Decimal,
        reason: Option<Reason<'a>>,
    ) {
        self.outcome_with(c, status, discount, reason, &Effect::default());
    }

    pub(super) fn outcome_with(
        &mut self,
        c: Candidate<'_>,
        status: Status,
        discount: Decimal,
        reason: Option<Reason<'a>>,
        effect: &Effect,
    ) {
        if !self.recording {
            return;
        }
        let p = self.promotion(c);
        // Shipping discounts are alternatives (one per method): count the chosen method's, or the
        // largest when none is chosen.
        let shipping_discount = if effect.shipping.is_empty() {
            Decimal::ZERO
        } else {
            let chosen = self.cart.shipping_method.as_deref();
            effect
                .shipping
                .iter()
                .filter(|(s, _)| chosen.is_none_or(|m| self.shipping[*s as usize].method == m))
                .map(|(_, d)| *d)
                .max()
                .unwrap_or(Decimal::ZERO)
        };
        let mut lines_discount = Decimal::ZERO;
        let mut lines = Vec::new();
        effect.for_each_line(|l, d| {
            lines_discount += d;
            if !d.is_zero() {
                lines.push(self.lines[l as usize].id.clone());
            }
        });
        let discount = if effect.shipping.is_empty() {
            discount
        } else {
            lines_discount + shipping_discount
        };
        self.outcomes.push(PromotionOutcome {
            id: &p.id,
            name: &p.name,
            priority: p.priority,
            status,
            discount: self.snap.money.round(discount),
            lines,
            shipping_methods: effect
                .shipping
                .iter()
                .filter(|(_, d)| !d.is_zero())
                .map(|(s, _)| self.shipping[*s as usize].method)
                .collect(),
            reason: reason.map(Explained::from),
            lost_to_floors: (!effect.lost.is_zero()).then_some(effect.lost),
            applications: effect
                .groups
                .iter()
                .map(|g| Application {
                    triggers: self.line_units(&g.triggers),
                    rewards: self.line_units(&g.rewards),
                    units: self.line_units(&g.units),
                    times: g.times,
                })
                .collect(),
        });
    }

    pub(super) fn line_units(&self, units: &Units) -> Vec<LineUnits<'a>> {
        units
            .iter()
            .map(|&(l, units)| LineUnits {
                line: self.lines[l as usize].id.clone(),
                units,
            })
            .collect()
    }

    pub(super) fn quote(&mut self) -> Quote<'a> {
        let snap = self.snap;
        let money = snap.money;
        let display = self.ctx.display;
        let id = |p: u32| &*snap.promotions[p as usize].id;
        let mut totals = Totals {
            subtotal: money.zero(),
            catalog_subtotal: money.round(self.catalog_subtotal),
            discount: money.zero(),
            shipping_discount: money.zero(),
            ..Totals::default()
        };
        let vouchers: Vec<VoucherOutcome<'a>> = self
            .vouchers
            .iter()
            .map(|v| VoucherOutcome {
                code: v.code,
                amount: v.amount,
                granted: v.granted,
                remaining: v.amount - v.granted,
                lines: v
                    .lines
                    .iter()
                    .map(|&(l, amount)| LineAmount {
                        line: self.lines[l as usize].id.clone(),
                        amount,
                    })
                    .collect(),
            })
            .collect();
        let mut vouchers_total = money.zero();
        let cart_vouchers = &self.vouchers;
        // Back to request order; past a few lines, moving each (large) line once.
        let mut lines = std::mem::take(&mut self.lines);
        let in_request_order: Vec<Line<'a>> = if lines.len() <= SORT_IN_PLACE {
            lines.sort_by_key(|l| l.position);
            lines
        } else {
            let mut slots: Vec<Option<Line<'a>>> = Vec::new();
            slots.resize_with(lines.len(), || None);
            for line in lines {
                let position = line.position;
                slots[position] = Some(line);
            }
            slots.into_iter().flatten().collect()
        };
        let lines: Vec<QuoteLine<'a>> = in_request_order
            .into_iter()
            .map(|l| {
                let discount: Decimal = l.discounts.iter().map(|(_, d)| *d).sum();
                let total = money.split_tax(l.amount, l.tax_rate, display);
                let (offer, offer_candidates) = match l.offer {
                    Some(o) => (o.applied, o.candidates),
                    None => (None, Vec::new()),
                };
                totals.subtotal += l.subtotal;
                totals.discount += discount;
                totals.merchandise += total;
                QuoteLine {
                    id: l.id,
                    sku: l.sku,
                    name: l.name,
                    quantity: l.quantity,
                    tax_rate: l.tax_rate,
                    price_source: if offer.is_some() {
                        PriceSource::Offer
                    } else {
                        PriceSource::List
                    },
                    offer,
                    offer_candidates,
                    reference_unit_price: l.reference_unit,
                    catalog_unit_price: l.catalog_unit,
                    catalog_promotion: l.catalog_promotion.map(id),
                    subtotal: l.subtotal,
                    discounts: l
                        .discounts
                        .iter()
                        .map(|&(p, amount)| LineDiscount {
                            promotion: id(p),
                            amount,
                        })
                        .collect(),
                    discount: money.round(discount),
                    vouchers: l
                        .vouchers
                        .iter()
                        .map(|&(v, amount)| {
                            vouchers_total += amount;
                            LineVoucher {
                                code: cart_vouchers[v].code,
                                amount,
                            }
                        })
                        .collect(),
                    amount: l.amount,
                    total,
                }
            })
            .collect();
        let chosen = self.cart.shipping_method.as_deref();
        let shipping = self
            .shipping
            .iter()
            .map(|s| {
                let selected = chosen == Some(s.method);
                let discount: Decimal = s.discounts.iter().map(|(_, d)| *d).sum();
                let total = money.split_tax(s.amount, s.tax_rate, display);
                if selected {
                    totals.shipping = total;
                    totals.shipping_discount = money.round(discount);
                }
                ShippingQuote {
                    method: s.method,
                    selected,
                    price: s.price,
                    discounts: s
                        .discounts
                        .iter()
                        .map(|&(p, amount)| LineDiscount {
                            promotion: id(p),
                            amount,
                        })
                        .collect(),
                    amount: s.amount,
                    total,
                }
            })
            .collect();
        totals.merchandise = rescale(totals.merchandise, &money);
        totals.shipping = rescale(totals.shipping, &money);
        let mut grand = totals.merchandise;
        grand += totals.shipping;
        totals.grand = grand;
        totals.subtotal = money.round(totals.subtotal);
        totals.discount = money.round(totals.discount);
        totals.vouchers = (!vouchers.is_empty()).then(|| money.round(vouchers_total));
        Quote {
            format: QUOTE_FORMAT,
            currency: money.code(),
            display,
            strategy: snap.strategy,
            lines,
            shipping,
            gifts: std::mem::take(&mut self.gifts),
            parcel_inserts: std::mem::take(&mut self.inserts),
            totals,
            promotions: std::mem::take(&mut self.outcomes),
            codes: self
                .codes
                .iter()
                .map(|code| CodeOutcome {
                    code: code.original,
                    usable: code.usable,
                    reason: code.reason,
                    promotions: code.applied.iter().map(|&p| id(p)).collect(),
                })
                .collect(),
            vouchers,
            nudges: std::mem::take(&mut self.nudges),
            best_for_customer: self.optimization.take(),
        }
    }
}

fn rescale(t: Taxed, money: &crate::money::Money) -> Taxed {
    Taxed {
        net: money.round(t.net),
        tax: money.round(t.tax),
        gross: money.round(t.gross),
    }
}
