//! The preview of a promotion being written: how many catalog products it targets (the engine's
//! own matching, `Snapshot::targeting`) and the first ones with their catalog price without and
//! with it (the engine's catalog prices of the served snapshot with the promotion taken out, and
//! put in as it would be served were its campaign running).

use std::collections::BinaryHeap;

use jiff::Timestamp;
use remise_engine::rules::{Offer, Promotion, Rounding};
use remise_engine::{Customer, PriceRequest, RuleChange};
use rust_decimal::Decimal;

use crate::documents::CampaignStatus;
use crate::model::{Model, parse_instant};
use crate::office::i18n;
use crate::office::page::Page;
use crate::published::Published;

/// How many products the preview lists.
pub const SHOWN: usize = 10;

#[derive(Debug, Clone)]
pub struct Preview {
    /// How many catalog products the promotion targets, in a sentence.
    pub count: String,
    pub rows: Vec<PreviewRow>,
    /// For whom and when the prices are computed.
    pub context: String,
    pub note: Option<String>,
    /// The promotion's problems (it does not compile): the preview waits for them to be fixed.
    pub problems: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct PreviewRow {
    pub sku: String,
    pub name: String,
    pub before: String,
    pub after: String,
    /// The difference, or a dash when the price does not change.
    pub change: String,
}

/// The preview of `promotion` against what is served now.
pub fn preview(published: &Published, page: &Page, promotion: &Promotion) -> Preview {
    let model = &published.model;
    let snapshot = &published.snapshot;
    let zone = model.time_zone();
    let mut preview = Preview {
        count: String::new(),
        rows: Vec::new(),
        context: String::new(),
        note: None,
        problems: Vec::new(),
    };
    let Some(served) = as_if_running(model, promotion, &zone) else {
        preview.count = page.t("promotions-preview-none");
        preview.note = Some(page.t("promotions-preview-no-channel"));
        return preview;
    };
    // A promotion still being written may not compile yet (an offer half filled in): its
    // products are still counted, from its targets alone, and its problems listed.
    let (targeting, problems) = match snapshot.targeting(&served) {
        Ok(targeting) => (Some(targeting), Vec::new()),
        Err(problems) => {
            let mut bare = Promotion::new(served.id.clone(), served.offer.clone());
            // A bundle without targets concerns its slots' products: its offer stays.
            if !matches!(served.offer, Offer::Bundle { .. }) || served.targets.is_some() {
                bare.offer = Offer::percent_off(Decimal::ZERO);
            }
            bare.targets = served.targets.clone();
            bare.exclude = served.exclude.clone();
            (snapshot.targeting(&bare).ok(), problems)
        }
    };
    preview.problems = problems
        .into_iter()
        .map(|p| {
            let message = i18n::problem(page.lang, &p.message);
            page.t2("promotions-problem", "path", p.path, "message", message)
        })
        .collect();
    let Some(targeting) = targeting else {
        return preview;
    };
    // One pass over the catalog, keeping the smallest skus (the first in sku order).
    let mut count = 0usize;
    let mut first: BinaryHeap<&str> = BinaryHeap::with_capacity(SHOWN + 1);
    targeting.for_each(|sku| {
        count += 1;
        if first.len() < SHOWN || first.peek().is_some_and(|last| sku < *last) {
            first.push(sku);
            if first.len() > SHOWN {
                first.pop();
            }
        }
    });
    let skus: Vec<String> = first
        .into_sorted_vec()
        .into_iter()
        .map(str::to_owned)
        .collect();
    let is_catalog = targeting.is_catalog();
    drop(targeting);
    preview.count = match count {
        0 => page.t("promotions-preview-none"),
        1 => page.t("promotions-preview-one"),
        n => page.t1("promotions-preview-many", "count", n),
    };
    if !preview.problems.is_empty() {
        return preview;
    }
    let now = Timestamp::now();
    let starts = served
        .validity
        .starts_at
        .as_deref()
        .and_then(|t| parse_instant(t, &zone));
    let at = starts.filter(|s| *s > now).unwrap_or(now);
    let ends = served
        .validity
        .ends_at
        .as_deref()
        .and_then(|t| parse_instant(t, &zone));
    let channel = served.audience.channels.first().cloned();
    preview.context = match &channel {
        Some(channel) => page.t2(
            "promotions-preview-context-channel",
            "at",
            i18n::instant(page.lang, at, &zone),
            "channel",
            channel,
        ),
        None => page.t1(
            "promotions-preview-context",
            "at",
            i18n::instant(page.lang, at, &zone),
        ),
    };
    let request = PriceRequest {
        customer: Customer {
            id: served.audience.customers.first().cloned(),
            groups: served.audience.groups.iter().take(1).cloned().collect(),
            collection_point: served.audience.collection_points.first().cloned(),
            orders: None,
            spent: None,
        },
        channel,
        at: at.to_string(),
        display: None,
        skus: skus.clone(),
    };
    // Only a catalog promotion changes catalog prices: for another, both are the snapshot's.
    // The snapshot serves the promotion already when its campaign runs: it is taken out for
    // "before".
    let is_served = model
        .promotions
        .get(&promotion.id)
        .and_then(|p| model.live_promotion(p, &zone))
        .is_some();
    let applied = |change: RuleChange<'_>, wanted: bool| {
        wanted.then(|| snapshot.apply(&[change])).transpose()
    };
    let (Ok(without), Ok(with)) = (
        applied(
            RuleChange::RemovePromotion(&promotion.id),
            is_served && is_catalog,
        ),
        applied(RuleChange::Promotion(&served), is_catalog),
    ) else {
        // The promotion compiled for `targeting` above: applying it cannot fail.
        return preview;
    };
    let without = without.as_ref().unwrap_or(snapshot);
    let with = with.as_ref().unwrap_or(snapshot);
    let before = without.price(&request).unwrap_or_default();
    let after = with.price(&request).unwrap_or_default();
    let currency = snapshot.currency();
    let scale =
        remise_engine::money::Money::parse(currency, Rounding::default()).map_or(2, |m| m.scale);
    let money = |amount: Decimal| i18n::money(page.lang, amount, currency, scale);
    let mut changed = false;
    for (sku, (b, a)) in skus.iter().zip(before.iter().zip(after.iter())) {
        let difference = a.price - b.price;
        changed |= !difference.is_zero();
        preview.rows.push(PreviewRow {
            sku: sku.clone(),
            name: model
                .products
                .get(sku)
                .map_or(String::new(), |p| p.name.clone()),
            before: money(b.price),
            after: money(a.price),
            change: if difference.is_zero() {
                "—".to_owned()
            } else {
                money(difference)
            },
        });
    }
    preview.note = if ends.is_some_and(|end| end <= at) {
        Some(page.t("promotions-preview-ended"))
    } else if !is_catalog {
        Some(page.t("promotions-preview-cart-only"))
    } else if count > 0 && !changed {
        Some(page.t("promotions-preview-unchanged"))
    } else {
        None
    };
    preview
}

/// `promotion` as it would be served were its campaign running: narrowed to the campaign's
/// dates and channels (`None`: the campaign leaves it no channel).
fn as_if_running(
    model: &Model,
    promotion: &Promotion,
    zone: &jiff::tz::TimeZone,
) -> Option<Promotion> {
    let campaign = promotion
        .campaign
        .as_ref()
        .and_then(|id| model.campaigns.get(id));
    let Some(campaign) = campaign else {
        return Some(promotion.clone());
    };
    // The model's maps are persistent: this copy shares them all.
    let mut running = model.clone();
    let mut campaign = campaign.clone();
    campaign.status = CampaignStatus::Active;
    running.campaigns.insert(campaign.id.clone(), campaign);
    running.live_promotion(promotion, zone)
}
