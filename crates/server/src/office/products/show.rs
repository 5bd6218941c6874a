//! `GET /office/products/{sku}`: a product's facts; its catalog price now for each channel and
//! customer group the store knows, with the catalog promotion shown (DESIGN §2.5) or the B2B
//! offer that prices it; and every promotion that targets it, with whether it applies now in a
//! chosen context (channel, group) and the engine's reason when it does not.
//!
//! The explanation is the one `GET /v1/products/{sku}/promotions` computes: a one-unit cart of
//! the product, evaluated by the served snapshot. Promotions the snapshot does not hold (their
//! campaign is not active) are found in the model and shown with their campaign's status.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use remise_engine::quote::Status;
use remise_engine::rules::{Display, Offer, Product, Promotion, Selection, Targets, TierBasis};
use remise_engine::{Cart, CartLine, ProductPrice};
use rust_decimal::Decimal;
use serde::Deserialize;

use super::reasons::ReasonFormat;
use super::{price_request, product_href, segment_path};
use crate::AppState;
use crate::documents::CampaignStatus;
use crate::model::Model;
use crate::office::catalog_structure::CatalogTab;
use crate::office::form::FormErrors;
use crate::office::i18n::{Lang, money};
use crate::office::page::{Page, error_page, render};
use crate::published::Published;

/// Channels and groups the price table shows at most (each cell is one pricing).
const MAX_CHANNELS: usize = 12;
const MAX_GROUPS: usize = 24;
/// Promotions outside the served snapshot listed at most.
const MAX_NOT_LIVE: usize = 100;

/// The context the promotions are explained in.
#[derive(Debug, Default, Deserialize)]
pub struct ContextParams {
    #[serde(default)]
    channel: String,
    #[serde(default)]
    group: String,
}

struct Facts {
    sku: String,
    /// This page's address.
    href: String,
    name: String,
    price: String,
    tax_rate: String,
    /// `(path, link to the list filtered on it)`.
    segments: Vec<(String, String)>,
    brand: Option<(String, String)>,
    tags: Vec<(String, String)>,
    attributes: Vec<(String, String)>,
    cost: Option<String>,
    min_price: Option<String>,
    compare_at_price: Option<String>,
}

struct PriceCell {
    price: String,
    /// The strike-through price, when the catalog price is below it.
    reference: Option<String>,
    /// The catalog promotion shown, by name.
    promotion: Option<String>,
    /// The B2B offer whose contract price is the base.
    offer: Option<String>,
}

struct PriceRow {
    /// The group's name, or "no group".
    label: String,
    /// Incl. or excl. tax.
    mode: String,
    cells: Vec<PriceCell>,
}

struct PromotionRow {
    id: String,
    name: String,
    campaign: String,
    priority: i32,
    status: String,
    /// `ok`, `warn` or `bad`: the badge's style (the status is also written out).
    style: &'static str,
    reason: String,
    /// What it takes off one unit, when it applied.
    discount: String,
    /// The catalog promotion shown in this context.
    shown: bool,
}

#[derive(Template)]
#[template(path = "office/products/show.html")]
struct ProductPage<'a> {
    page: &'a Page,
    facts: Facts,
    channels: Vec<String>,
    price_rows: Vec<PriceRow>,
    /// `(id, label)` of the groups the context form offers.
    groups: Vec<(String, String)>,
    channel: String,
    group: String,
    errors: FormErrors,
    promotions: Vec<PromotionRow>,
    not_live: Vec<PromotionRow>,
    more_not_live: usize,
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    page: Page,
    Path(sku): Path<String>,
    query: Result<Query<ContextParams>, QueryRejection>,
) -> Response {
    let published = state.publisher.current();
    let model = &published.model;
    let Some(product) = model.products.get(&sku) else {
        return error_page(
            &page,
            StatusCode::NOT_FOUND,
            "products-not-found-title",
            "products-not-found",
        );
    };
    let Ok(Query(params)) = query else {
        return error_page(
            &page,
            StatusCode::BAD_REQUEST,
            "products-bad-query-title",
            "products-bad-query",
        );
    };
    let channels = known_channels(model);
    let mut errors = FormErrors::default();
    let channel = match params.channel.as_str() {
        "" => None,
        c if channels.iter().any(|known| known == c) => Some(c),
        c => {
            errors.add(
                "channel",
                page.t1("products-context-channel-unknown", "channel", c),
            );
            None
        }
    };
    let group = match params.group.as_str() {
        "" => None,
        g if model.groups.contains_key(g) => Some(g),
        g => {
            errors.add(
                "group",
                page.t1("products-context-group-unknown", "group", g),
            );
            None
        }
    };
    let shown_channels: Vec<String> = channels.iter().take(MAX_CHANNELS).cloned().collect();
    let price_rows = price_rows(&page, &published, product, &shown_channels);
    let (promotions, in_quote) = explained(&page, &published, product, channel, group);
    let (not_live, more_not_live) = not_live(&page, model, product, &in_quote);
    let groups = model
        .groups
        .values()
        .map(|g| (g.id.clone(), group_label(g)))
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        status,
        &ProductPage {
            facts: facts(&page, &published, product),
            page: &page,
            channels: shown_channels,
            price_rows,
            groups,
            channel: channel.unwrap_or_default().to_owned(),
            group: group.unwrap_or_default().to_owned(),
            errors,
            promotions,
            not_live,
            more_not_live,
        },
    )
}

fn group_label(group: &crate::documents::CustomerGroup) -> String {
    if group.name.is_empty() {
        group.id.clone()
    } else {
        format!("{} ({})", group.name, group.id)
    }
}

/// The channels campaigns and promotions name, in order.
fn known_channels(model: &Model) -> Vec<String> {
    let mut channels = BTreeSet::new();
    for campaign in model.campaigns.values() {
        channels.extend(campaign.channels.iter().map(String::as_str));
    }
    for promotion in model.promotions.values() {
        channels.extend(promotion.audience.channels.iter().map(String::as_str));
    }
    channels.into_iter().map(str::to_owned).collect()
}

/// A rate as a percentage in the locale (`5,5 %`, `5.5%`).
fn percent(lang: Lang, rate: Decimal) -> String {
    let value = (rate * Decimal::ONE_HUNDRED).normalize().to_string();
    match lang {
        Lang::Fr => format!("{}\u{202f}%", value.replace('.', ",")),
        Lang::En => format!("{value}%"),
    }
}

fn list_href(name: &str, value: &str) -> String {
    let query = serde_urlencoded::to_string([(name, value)]).unwrap_or_default();
    format!("/office/products?{query}")
}

fn facts(page: &Page, published: &Published, product: &Product) -> Facts {
    let model = &published.model;
    let (currency, scale) = (
        published.snapshot.currency(),
        published.snapshot.currency_scale(),
    );
    let amount = |a: Decimal| money(page.lang, a, currency, scale);
    Facts {
        sku: product.sku.clone(),
        href: product_href(&product.sku),
        name: product.name.clone(),
        price: amount(product.price),
        tax_rate: percent(page.lang, product.tax_rate),
        segments: product
            .segments
            .iter()
            .map(|s| (segment_path(model, s), list_href("segment", s)))
            .collect(),
        brand: product
            .brand
            .as_ref()
            .map(|b| (b.clone(), list_href("brand", b))),
        tags: product
            .tags
            .iter()
            .map(|t| (t.clone(), list_href("tag", t)))
            .collect(),
        attributes: product
            .attributes
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        cost: product.cost.map(amount),
        min_price: product.min_price.map(amount),
        compare_at_price: product.compare_at_price.map(amount),
    }
}

/// The catalog price now for no group and each group (rows), on no channel and each channel
/// (columns).
fn price_rows(
    page: &Page,
    published: &Published,
    product: &Product,
    channels: &[String],
) -> Vec<PriceRow> {
    let model = &published.model;
    let (currency, scale) = (
        published.snapshot.currency(),
        published.snapshot.currency_scale(),
    );
    let amount = |a: Decimal| money(page.lang, a, currency, scale);
    let mode = |display: Display| match display {
        Display::Gross => page.t("products-incl-tax"),
        Display::Net => page.t("products-excl-tax"),
    };
    let mut rows = vec![(
        None,
        page.t("products-no-group"),
        mode(model.settings.default_display),
    )];
    rows.extend(
        model
            .groups
            .values()
            .take(MAX_GROUPS)
            .map(|g| (Some(g.id.as_str()), group_label(g), mode(g.display))),
    );
    let columns: Vec<Option<&str>> = std::iter::once(None)
        .chain(channels.iter().map(|c| Some(c.as_str())))
        .collect();
    rows.into_iter()
        .map(|(group, label, mode)| PriceRow {
            label,
            mode,
            cells: columns
                .iter()
                .map(|&channel| {
                    let request = price_request(channel, group, vec![product.sku.clone()]);
                    match published.snapshot.price(&request) {
                        Ok(prices) => match prices.into_iter().next() {
                            Some(price) => cell(&price, model, &amount),
                            None => unpriced(),
                        },
                        Err(error) => {
                            tracing::error!("{} could not be priced: {error}", product.sku);
                            unpriced()
                        }
                    }
                })
                .collect(),
        })
        .collect()
}

fn unpriced() -> PriceCell {
    PriceCell {
        price: "—".to_owned(),
        reference: None,
        promotion: None,
        offer: None,
    }
}

fn cell(price: &ProductPrice<'_>, model: &Model, amount: &dyn Fn(Decimal) -> String) -> PriceCell {
    PriceCell {
        price: amount(price.price),
        reference: (price.price < price.reference_price).then(|| amount(price.reference_price)),
        promotion: price.promotion.map(|id| promotion_name(model, id)),
        offer: price.offer.as_ref().map(|o| o.offer.to_owned()),
    }
}

fn promotion_name(model: &Model, id: &str) -> String {
    match model.promotions.get(id) {
        Some(p) if !p.name.is_empty() => p.name.clone(),
        _ => id.to_owned(),
    }
}

fn campaign_name(model: &Model, promotion: &Promotion) -> String {
    let Some(id) = &promotion.campaign else {
        return String::new();
    };
    match model.campaigns.get(id) {
        Some(c) if !c.name.is_empty() => c.name.clone(),
        _ => id.clone(),
    }
}

/// Every promotion a one-unit cart of the product meets in the context, with its outcome, and
/// their ids.
fn explained(
    page: &Page,
    published: &Published,
    product: &Product,
    channel: Option<&str>,
    group: Option<&str>,
) -> (Vec<PromotionRow>, HashSet<String>) {
    let model = &published.model;
    let request = price_request(channel, group, vec![product.sku.clone()]);
    let shown = published
        .snapshot
        .price(&request)
        .ok()
        .and_then(|prices| prices.into_iter().next())
        .and_then(|p| p.promotion.map(str::to_owned));
    let cart = Cart {
        customer: request.customer.clone(),
        channel: request.channel.clone(),
        ..Cart::new(
            request.at.clone(),
            vec![CartLine::new(product.sku.clone(), 1)],
        )
    };
    let quote = match published.snapshot.evaluate(&cart) {
        Ok(quote) => quote,
        Err(error) => {
            tracing::error!("{} could not be explained: {error}", product.sku);
            return (Vec::new(), HashSet::new());
        }
    };
    let (currency, scale) = (
        published.snapshot.currency(),
        published.snapshot.currency_scale(),
    );
    let zone = model.time_zone();
    let name_of = |id: &str| promotion_name(model, id);
    let mut ids = HashSet::new();
    let rows = quote
        .promotions
        .iter()
        .map(|outcome| {
            ids.insert(outcome.id.to_owned());
            let promotion = model.promotions.get(outcome.id);
            let quantity_tiers = promotion.is_some_and(|p| {
                matches!(
                    p.offer,
                    Offer::Tiered {
                        basis: TierBasis::Quantity,
                        ..
                    }
                )
            });
            let format = ReasonFormat {
                page,
                currency,
                scale,
                zone: &zone,
                quantity_tiers,
                name_of: &name_of,
            };
            let (status, style) = match outcome.status {
                Status::Applied => (page.t("products-status-applied"), "ok"),
                Status::NotEffective => (page.t("products-status-not-effective"), "warn"),
                Status::Rejected => (page.t("products-status-rejected"), "bad"),
            };
            PromotionRow {
                id: outcome.id.to_owned(),
                name: outcome.name.to_owned(),
                campaign: promotion
                    .map(|p| campaign_name(model, p))
                    .unwrap_or_default(),
                priority: outcome.priority,
                status,
                style,
                reason: outcome
                    .reason
                    .as_ref()
                    .map(|r| format.explain(&r.0))
                    .unwrap_or_default(),
                discount: if outcome.discount.is_zero() {
                    String::new()
                } else {
                    money(page.lang, outcome.discount, currency, scale)
                },
                shown: shown.as_deref() == Some(outcome.id),
            }
        })
        .collect();
    (rows, ids)
}

/// The promotions the served snapshot does not hold that target the product: their campaign is
/// not active (or its dates and channels leave them nothing), with why; at most
/// [`MAX_NOT_LIVE`], and how many more.
fn not_live(
    page: &Page,
    model: &Model,
    product: &Product,
    in_quote: &HashSet<String>,
) -> (Vec<PromotionRow>, usize) {
    let segments = with_ancestors(model, &product.segments);
    let zone = model.time_zone();
    let mut rows = Vec::new();
    let mut more = 0;
    for promotion in model.promotions.values() {
        if in_quote.contains(&promotion.id)
            || !reaches(model, promotion.targets.as_ref(), product, &segments)
            || promotion
                .exclude
                .as_ref()
                .is_some_and(|e| reaches(model, Some(e), product, &segments))
        {
            continue;
        }
        let campaign = promotion
            .campaign
            .as_ref()
            .map(|id| (id, model.campaigns.get(id)));
        let reason = match campaign {
            Some((id, None)) => page.t1("products-not-live-no-campaign", "campaign", id),
            Some((_, Some(c))) if c.status != CampaignStatus::Active => {
                let key = match c.status {
                    CampaignStatus::Draft => "products-not-live-draft",
                    CampaignStatus::Paused => "products-not-live-paused",
                    CampaignStatus::Ended => "products-not-live-ended",
                    CampaignStatus::Archived | CampaignStatus::Active => {
                        "products-not-live-archived"
                    }
                };
                let name = if c.name.is_empty() { &c.id } else { &c.name };
                page.t1(key, "campaign", name)
            }
            // Active, or no campaign: the snapshot holds it unless the campaign's dates and
            // channels leave it nothing; held and not met, its unit-price bounds left the
            // product out.
            _ if model.live_promotion(promotion, &zone).is_none() => {
                page.t("products-not-live-narrowed")
            }
            _ => page.t("products-not-reached"),
        };
        if rows.len() == MAX_NOT_LIVE {
            more += 1;
            continue;
        }
        rows.push(PromotionRow {
            id: promotion.id.clone(),
            name: promotion.name.clone(),
            campaign: campaign_name(model, promotion),
            priority: promotion.priority,
            status: page.t("products-status-not-live"),
            style: "bad",
            reason,
            discount: String::new(),
            shown: false,
        });
    }
    (rows, more)
}

/// The segments and all their ancestors.
fn with_ancestors(model: &Model, segments: &[String]) -> HashSet<String> {
    let mut all = HashSet::new();
    for segment in segments {
        let mut at = Some(segment.as_str());
        while let Some(current) = at {
            if !all.insert(current.to_owned()) {
                break;
            }
            at = model
                .segments
                .get(current)
                .and_then(|s| s.parent.as_deref());
        }
    }
    all
}

/// Whether targets (none: every product) name the product by one of its facts, as the engine's
/// index does (segments with their descendants, selections picked or filtered).
fn reaches(
    model: &Model,
    targets: Option<&Targets>,
    product: &Product,
    segments: &HashSet<String>,
) -> bool {
    let Some(t) = targets else {
        return true;
    };
    t.all
        || t.skus.contains(&product.sku)
        || t.segments.iter().any(|s| segments.contains(s))
        || t.selections.iter().any(|s| {
            model
                .selections
                .get(s)
                .is_some_and(|selection| in_selection(selection, product, segments))
        })
        || product.brand.as_ref().is_some_and(|b| t.brands.contains(b))
        || t.attributes.iter().any(|(name, values)| {
            product
                .attributes
                .get(name)
                .is_some_and(|v| values.contains(v))
        })
        || t.tags.iter().any(|tag| product.tags.contains(tag))
}

/// Whether a selection holds the product: picked by hand, or matching every criterion of its
/// saved filter (`segments` holds the product's segments and their ancestors).
fn in_selection(selection: &Selection, product: &Product, segments: &HashSet<String>) -> bool {
    if selection.skus.contains(&product.sku) {
        return true;
    }
    let Some(f) = selection.filter.as_ref().filter(|f| f.has_criteria()) else {
        return false;
    };
    (f.segments.is_empty() || f.segments.iter().any(|s| segments.contains(s)))
        && (f.brands.is_empty() || product.brand.as_ref().is_some_and(|b| f.brands.contains(b)))
        && (f.tags.is_empty() || f.tags.iter().any(|t| product.tags.contains(t)))
        && f.attributes
            .iter()
            .all(|(name, value)| product.attributes.get(name) == Some(value))
        && f.min_price.is_none_or(|min| product.price >= min)
        && f.max_price.is_none_or(|max| product.price <= max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_as_percentages() {
        assert_eq!(percent(Lang::Fr, Decimal::new(55, 3)), "5,5\u{202f}%");
        assert_eq!(percent(Lang::En, Decimal::new(20, 2)), "20%");
    }

    #[test]
    fn list_links_carry_the_filter() {
        assert_eq!(
            list_href("tag", "exclu web"),
            "/office/products?tag=exclu+web"
        );
    }

    #[test]
    fn a_product_is_reached_by_its_facts() {
        let product: Product = serde_json::from_value(serde_json::json!({
            "sku": "A", "price": "1.00", "segments": ["marvel"], "brand": "Hasbro",
            "tags": ["new"], "attributes": {"size": "30 cm"}
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let model = Model::default();
        let segments: HashSet<String> = ["marvel", "heroes"].map(str::to_owned).into();
        let targets = |json: serde_json::Value| -> Targets {
            serde_json::from_value(json).unwrap_or_else(|e| panic!("{e}"))
        };
        let reached = |json| reaches(&model, Some(&targets(json)), &product, &segments);
        assert!(reaches(&model, None, &product, &segments));
        assert!(reached(serde_json::json!({"all": true})));
        assert!(reached(serde_json::json!({"segments": ["heroes"]})));
        assert!(reached(serde_json::json!({"brands": ["Hasbro"]})));
        assert!(reached(serde_json::json!({"tags": ["new"]})));
        assert!(reached(
            serde_json::json!({"attributes": {"size": ["30 cm"]}})
        ));
        assert!(!reached(
            serde_json::json!({"skus": ["B"], "brands": ["LEGO"]})
        ));
        assert!(!reached(serde_json::json!({"selections": ["none"]})));
        let selection = |json: serde_json::Value| -> Selection {
            serde_json::from_value(json).unwrap_or_else(|e| panic!("{e}"))
        };
        let filtered = selection(serde_json::json!({
            "id": "s", "filter": {"segments": ["heroes"], "brands": ["Hasbro"], "max_price": "5.00"}
        }));
        assert!(in_selection(&filtered, &product, &segments));
        let too_cheap = selection(serde_json::json!({
            "id": "s", "filter": {"brands": ["Hasbro"], "min_price": "2.00"}
        }));
        assert!(!in_selection(&too_cheap, &product, &segments));
        let picked = selection(serde_json::json!({"id": "s", "skus": ["A"]}));
        assert!(in_selection(&picked, &product, &segments));
    }
}
