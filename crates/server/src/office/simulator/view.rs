//! The quote as the simulator shows it: every amount in the locale's format, every promotion by
//! name with its status and its reason in words.

use std::collections::HashMap;

use remise_engine::Quote;
use remise_engine::quote::{PriceSource, Status, Taxed};
use remise_engine::rules::{Display, Offer, Strategy};
use rust_decimal::Decimal;

use super::reasons::Speaker;
use crate::model::Model;
use crate::office::page::Page;

pub struct QuoteView {
    /// "Prices include tax" or not: the display mode amounts are in.
    pub display: String,
    pub strategy: String,
    pub lines: Vec<LineView>,
    pub shipping: Vec<ShippingView>,
    pub gifts: Vec<GiftView>,
    pub inserts: Vec<InsertView>,
    /// `(label, amount)`, in the quote's order.
    pub totals: Vec<(String, String)>,
    pub grand: TaxedView,
    pub promotions: Vec<PromotionView>,
    pub codes: Vec<CodeView>,
    pub vouchers: Vec<VoucherView>,
    pub nudges: Vec<String>,
    pub best: Option<BestView>,
}

pub struct TaxedView {
    pub net: String,
    pub tax: String,
    pub gross: String,
}

pub struct LineView {
    pub sku: String,
    pub name: String,
    pub quantity: u32,
    /// The catalog's unit price, and the reference (struck) when it is higher.
    pub unit: String,
    pub reference: Option<String>,
    /// The B2B offer whose contract price is the base.
    pub offer: Option<String>,
    pub subtotal: String,
    /// `(promotion's name, amount)`.
    pub discounts: Vec<(String, String)>,
    /// `(voucher's code, amount)`.
    pub vouchers: Vec<(String, String)>,
    pub amount: String,
}

pub struct ShippingView {
    pub method: String,
    pub selected: bool,
    pub price: String,
    pub discounts: Vec<(String, String)>,
    pub amount: String,
}

pub struct GiftView {
    pub sku: String,
    pub name: String,
    pub quantity: u32,
    pub value: String,
    pub promotion: String,
}

pub struct InsertView {
    pub item: String,
    pub description: String,
    pub promotion: String,
}

pub struct PromotionView {
    pub id: String,
    pub name: String,
    pub priority: i32,
    pub status: String,
    /// The badge's style: `ok`, `warn` or `bad` (the status is also written out).
    pub class: &'static str,
    pub discount: String,
    pub reason: Option<String>,
    /// Added by the simulated campaign, not served.
    pub draft: bool,
}

pub struct CodeView {
    pub code: String,
    pub usable: bool,
    pub reason: Option<String>,
    pub promotions: String,
}

pub struct VoucherView {
    pub code: String,
    pub amount: String,
    pub granted: String,
    pub remaining: String,
}

pub struct BestView {
    pub priority_total: String,
    pub best_total: String,
    pub saving: String,
    pub left_out: String,
}

/// Formats `quote` for `page`. `draft` names the simulated campaign, whose promotions are marked.
pub fn quote_view(page: &Page, model: &Model, quote: &Quote<'_>, draft: Option<&str>) -> QuoteView {
    let scale = remise_engine::money::Money::parse(quote.currency, model.settings.rounding)
        .map_or(2, |m| m.scale);
    let money =
        |amount: Decimal| super::super::i18n::money(page.lang, amount, quote.currency, scale);
    let taxed = |t: &Taxed| TaxedView {
        net: money(t.net),
        tax: money(t.tax),
        gross: money(t.gross),
    };
    let names: HashMap<&str, &str> = quote.promotions.iter().map(|p| (p.id, p.name)).collect();
    let name = |id: &str| names.get(id).copied().unwrap_or(id).to_owned();
    let speaker = Speaker {
        lang: page.lang,
        currency: quote.currency,
        scale,
        names: &names,
    };
    let discounts = |list: &[remise_engine::quote::LineDiscount<'_>]| {
        list.iter()
            .map(|d| (name(d.promotion), money(d.amount)))
            .collect::<Vec<_>>()
    };
    let lines = quote
        .lines
        .iter()
        .map(|line| LineView {
            sku: line.sku.to_owned(),
            name: line.name.to_owned(),
            quantity: line.quantity,
            unit: money(line.catalog_unit_price),
            reference: (line.reference_unit_price > line.catalog_unit_price)
                .then(|| money(line.reference_unit_price)),
            offer: (line.price_source == PriceSource::Offer)
                .then(|| line.offer.as_ref().map(|o| o.offer.to_owned()))
                .flatten(),
            subtotal: money(line.subtotal),
            discounts: discounts(&line.discounts),
            vouchers: line
                .vouchers
                .iter()
                .map(|v| (v.code.to_owned(), money(v.amount)))
                .collect(),
            amount: money(line.amount),
        })
        .collect();
    let shipping = quote
        .shipping
        .iter()
        .map(|s| ShippingView {
            method: s.method.to_owned(),
            selected: s.selected,
            price: money(s.price),
            discounts: discounts(&s.discounts),
            amount: money(s.amount),
        })
        .collect();
    let gifts = quote
        .gifts
        .iter()
        .map(|g| GiftView {
            sku: g.sku.to_owned(),
            name: g.name.to_owned(),
            quantity: g.quantity,
            value: money(g.value),
            promotion: name(g.promotion),
        })
        .collect();
    let inserts = quote
        .parcel_inserts
        .iter()
        .map(|i| InsertView {
            item: i.item.to_owned(),
            description: i.description.to_owned(),
            promotion: name(i.promotion),
        })
        .collect();
    let t = &quote.totals;
    let in_display = |taxed: &Taxed| match quote.display {
        Display::Gross => taxed.gross,
        Display::Net => taxed.net,
    };
    let mut totals = vec![
        (page.t("simulator-total-subtotal"), money(t.subtotal)),
        (
            page.t("simulator-total-catalog-subtotal"),
            money(t.catalog_subtotal),
        ),
        (page.t("simulator-total-discount"), money(t.discount)),
    ];
    if let Some(vouchers) = t.vouchers {
        totals.push((page.t("simulator-total-vouchers"), money(vouchers)));
    }
    totals.push((
        page.t("simulator-total-merchandise"),
        money(in_display(&t.merchandise)),
    ));
    totals.push((
        page.t("simulator-total-shipping"),
        money(in_display(&t.shipping)),
    ));
    totals.push((
        page.t("simulator-total-shipping-discount"),
        money(t.shipping_discount),
    ));
    let promotions = quote
        .promotions
        .iter()
        .map(|p| {
            let (status, class) = match p.status {
                Status::Applied => (page.t("simulator-status-applied"), "ok"),
                Status::NotEffective => (page.t("simulator-status-not-effective"), "warn"),
                Status::Rejected => (page.t("simulator-status-rejected"), "bad"),
            };
            let promotion = model.promotions.get(p.id);
            let basis = promotion.and_then(|p| match &p.offer {
                Offer::Tiered { basis, .. } => Some(*basis),
                _ => None,
            });
            PromotionView {
                id: p.id.to_owned(),
                name: p.name.to_owned(),
                priority: p.priority,
                status,
                class,
                discount: money(p.discount),
                reason: p.reason.as_ref().map(|r| speaker.reason(&r.0, basis)),
                draft: draft.is_some() && promotion.and_then(|p| p.campaign.as_deref()) == draft,
            }
        })
        .collect();
    let codes = quote
        .codes
        .iter()
        .map(|c| CodeView {
            code: c.code.to_owned(),
            usable: c.usable,
            reason: c.reason.map(|why| speaker.refusal(why)),
            promotions: c
                .promotions
                .iter()
                .map(|id| name(id))
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    let vouchers = quote
        .vouchers
        .iter()
        .map(|v| VoucherView {
            code: v.code.to_owned(),
            amount: money(v.amount),
            granted: money(v.granted),
            remaining: money(v.remaining),
        })
        .collect();
    let best = quote.best_for_customer.as_ref().map(|b| BestView {
        priority_total: money(b.priority_total),
        best_total: money(b.best_total),
        saving: money(b.saving),
        left_out: b
            .left_out
            .iter()
            .map(|id| name(id))
            .collect::<Vec<_>>()
            .join(", "),
    });
    QuoteView {
        display: page.t(match quote.display {
            Display::Gross => "simulator-display-gross",
            Display::Net => "simulator-display-net",
        }),
        strategy: page.t(match quote.strategy {
            Strategy::Priority => "simulator-strategy-priority",
            Strategy::BestForCustomer => "simulator-strategy-best",
        }),
        lines,
        shipping,
        gifts,
        inserts,
        totals,
        grand: taxed(&t.grand),
        promotions,
        codes,
        vouchers,
        nudges: quote.nudges.iter().map(|n| speaker.nudge(n)).collect(),
        best,
    }
}
