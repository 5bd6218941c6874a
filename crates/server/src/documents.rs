//! The entities the API manages, as typed documents: the engine's rule-format types for the
//! catalog and promotions, and the server's own for settings, customer groups and campaigns.
//! A body is read into its type (errors name the field), checked, and stored re-serialized, so
//! what is stored is always complete and normalised.

use remise_engine::rules::{
    Compatibility, CustomerOffer, Display, Product, Promotion, Rounding, Segment, Selection,
    SellsTo, SemanticsOverrides, StoreSettings, Strategy,
};
use remise_store::{Draft, Kind};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::body::from_value;
use crate::problem::{ApiError, ApiResult, FieldProblem};

/// The store settings: the rule format's `store` object, without `groups` (customer groups are
/// their own documents).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(default = "default_currency")]
    pub currency: String,
    #[serde(default = "default_time_zone")]
    pub time_zone: String,
    #[serde(default)]
    pub rounding: Rounding,
    #[serde(default = "yes")]
    pub prices_include_tax: bool,
    #[serde(default)]
    pub default_display: Display,
    #[serde(default)]
    pub strategy: Strategy,
    /// A margin floor: no promotion sells a product below its `cost`.
    #[serde(default)]
    pub floor_at_cost: bool,
    /// Amount conditions measure tax-included amounts, also for customers who see net prices.
    #[serde(default)]
    pub thresholds_include_tax: bool,
    /// A named bundle of semantic switches (`remise`, `magento`, `sylius`).
    #[serde(default)]
    pub compatibility: Compatibility,
    /// Switches that override the bundle's.
    #[serde(default)]
    pub semantics: SemanticsOverrides,
    /// How long a code reservation holds before it releases itself.
    #[serde(default = "default_reservation_minutes")]
    pub reservation_minutes: u32,
    /// Failed code look-ups allowed per minute, per API key and per customer; then 429.
    #[serde(default = "default_code_attempts")]
    pub code_attempts_per_minute: u32,
    /// Whom the store sells to: public procurement offers need professionals, collection
    /// points consumers.
    #[serde(default)]
    pub sells_to: SellsTo,
    /// Whether promotions also apply on a B2B contract price.
    #[serde(default = "yes")]
    pub promotions_on_offer_prices: bool,
    /// Whether a change to a campaign or its promotions in the back office waits for an
    /// approver (seed 001's validation process): until then it is kept in the campaign's change
    /// request and the approved documents keep being served.
    #[serde(default)]
    pub approval_required: bool,
}

fn default_reservation_minutes() -> u32 {
    30
}
fn default_code_attempts() -> u32 {
    20
}

fn default_currency() -> String {
    StoreSettings::default().currency
}
fn default_time_zone() -> String {
    StoreSettings::default().time_zone
}
fn yes() -> bool {
    true
}

impl Default for Settings {
    fn default() -> Settings {
        let store = StoreSettings::default();
        Settings {
            currency: store.currency,
            time_zone: store.time_zone,
            rounding: store.rounding,
            prices_include_tax: store.prices_include_tax,
            default_display: store.default_display,
            strategy: store.strategy,
            floor_at_cost: store.floor_at_cost,
            thresholds_include_tax: store.thresholds_include_tax,
            compatibility: store.compatibility,
            semantics: store.semantics,
            reservation_minutes: default_reservation_minutes(),
            code_attempts_per_minute: default_code_attempts(),
            sells_to: store.sells_to,
            promotions_on_offer_prices: store.promotions_on_offer_prices,
            approval_required: false,
        }
    }
}

/// A customer group and how its members see prices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerGroup {
    pub id: String,
    #[serde(default)]
    pub name: String,
    pub display: Display,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignKind {
    /// A dated operation ("Black Friday").
    Normal,
    /// Standing advantages ("free shipping from 50 €"): no end date.
    Permanent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CampaignStatus {
    Draft,
    Active,
    Paused,
    Ended,
    Archived,
}

impl CampaignStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignStatus::Draft => "draft",
            CampaignStatus::Active => "active",
            CampaignStatus::Paused => "paused",
            CampaignStatus::Ended => "ended",
            CampaignStatus::Archived => "archived",
        }
    }

    /// The statuses a campaign may move to from this one.
    pub fn next(self) -> &'static [CampaignStatus] {
        use CampaignStatus::*;
        match self {
            Draft => &[Active, Archived],
            Active => &[Paused, Ended],
            Paused => &[Active, Ended],
            Ended => &[Archived],
            Archived => &[],
        }
    }
}

/// A campaign groups promotions; its promotions apply only while it is active, inside its dates
/// and channels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Campaign {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default = "normal")]
    pub kind: CampaignKind,
    #[serde(default = "draft")]
    pub status: CampaignStatus,
    /// RFC 3339, or a civil date-time read in the store's time zone.
    #[serde(default)]
    pub starts_at: Option<String>,
    #[serde(default)]
    pub ends_at: Option<String>,
    #[serde(default)]
    pub channels: Vec<String>,
    #[serde(default)]
    pub season: Option<String>,
    #[serde(default)]
    pub budget: Option<Decimal>,
    #[serde(default)]
    pub banners: Vec<Banner>,
    /// Shown on the products its promotions target ("nouveauté", "exclu web").
    #[serde(default)]
    pub labels: Vec<String>,
    #[serde(default)]
    pub landing_page: Option<LandingPage>,
}

fn normal() -> CampaignKind {
    CampaignKind::Normal
}
fn draft() -> CampaignStatus {
    CampaignStatus::Draft
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Banner {
    /// Where the shop shows it (`home_top`, `category_header`, …).
    pub placement: String,
    pub image: String,
    #[serde(default)]
    pub link: Option<String>,
    #[serde(default)]
    pub alt: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LandingPage {
    pub slug: String,
    pub title: String,
    /// The selection whose products the page lists.
    pub selection: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RelayKind {
    /// A B2B partner ("Office du Tourisme").
    Partner,
    Person,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Language {
    Fr,
    En,
}

impl Language {
    pub fn as_str(self) -> &'static str {
        match self {
            Language::Fr => "fr",
            Language::En => "en",
        }
    }
}

/// Someone who hands codes on: codes distributed to a relay are e-mailed to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Relay {
    pub id: String,
    pub name: String,
    pub email: String,
    #[serde(default = "partner")]
    pub kind: RelayKind,
    /// The language of its e-mails.
    #[serde(default = "french")]
    pub language: Language,
}

fn partner() -> RelayKind {
    RelayKind::Partner
}
fn french() -> Language {
    Language::Fr
}

/// One entity, typed.
#[derive(Debug, Clone, PartialEq)]
pub enum Document {
    Settings(Settings),
    Product(Product),
    Segment(Segment),
    Selection(Selection),
    CustomerGroup(CustomerGroup),
    Campaign(Campaign),
    Promotion(Box<Promotion>),
    Relay(Relay),
    Offer(Box<CustomerOffer>),
}

/// The name of the body field that holds the id, per kind.
pub fn id_field(kind: Kind) -> &'static str {
    match kind {
        Kind::Product => "sku",
        Kind::Offer => "code",
        _ => "id",
    }
}

impl Document {
    /// Reads a body of `kind`; errors name the field, under `prefix`.
    pub fn read(kind: Kind, body: Value, prefix: &str) -> ApiResult<Document> {
        Ok(match kind {
            Kind::Settings => Document::Settings(from_value(body, prefix)?),
            Kind::Product => Document::Product(from_value(body, prefix)?),
            Kind::Segment => Document::Segment(from_value(body, prefix)?),
            Kind::Selection => Document::Selection(from_value(body, prefix)?),
            Kind::CustomerGroup => Document::CustomerGroup(from_value(body, prefix)?),
            Kind::Campaign => Document::Campaign(from_value(body, prefix)?),
            Kind::Promotion => Document::Promotion(Box::new(from_value(body, prefix)?)),
            Kind::Relay => Document::Relay(from_value(body, prefix)?),
            Kind::Offer => {
                let mut offer: CustomerOffer = from_value(body, prefix)?;
                // The server's to set: the store's creation time (`model::read_record`), which
                // decides ties between equal prices, so a caller cannot move an offer ahead.
                offer.created_at = None;
                Document::Offer(Box::new(offer))
            }
        })
    }

    pub fn kind(&self) -> Kind {
        match self {
            Document::Settings(_) => Kind::Settings,
            Document::Product(_) => Kind::Product,
            Document::Segment(_) => Kind::Segment,
            Document::Selection(_) => Kind::Selection,
            Document::CustomerGroup(_) => Kind::CustomerGroup,
            Document::Campaign(_) => Kind::Campaign,
            Document::Promotion(_) => Kind::Promotion,
            Document::Relay(_) => Kind::Relay,
            Document::Offer(_) => Kind::Offer,
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Document::Settings(_) => remise_store::SETTINGS_ID,
            Document::Product(p) => &p.sku,
            Document::Segment(s) => &s.id,
            Document::Selection(s) => &s.id,
            Document::CustomerGroup(g) => &g.id,
            Document::Campaign(c) => &c.id,
            Document::Promotion(p) => &p.id,
            Document::Relay(r) => &r.id,
            Document::Offer(o) => &o.code,
        }
    }

    /// What the store writes: the normalised body and the indexed fields.
    pub fn draft(&self) -> ApiResult<Draft> {
        let body = match self {
            Document::Settings(d) => serde_json::to_value(d),
            Document::Product(d) => serde_json::to_value(d),
            Document::Segment(d) => serde_json::to_value(d),
            Document::Selection(d) => serde_json::to_value(d),
            Document::CustomerGroup(d) => serde_json::to_value(d),
            Document::Campaign(d) => serde_json::to_value(d),
            Document::Promotion(d) => serde_json::to_value(d),
            Document::Relay(d) => serde_json::to_value(d),
            Document::Offer(d) => serde_json::to_value(d),
        }
        .map_err(|e| ApiError::Internal(format!("a document could not be serialized: {e}")))?;
        let (parent, status) = match self {
            Document::Promotion(p) => (p.campaign.clone(), None),
            Document::Campaign(c) => (None, Some(c.status.as_str().to_owned())),
            _ => (None, None),
        };
        Ok(Draft {
            id: self.id().to_owned(),
            body,
            parent,
            status,
        })
    }

    /// Checks that need only the document itself (references and the compiled rules are checked
    /// by the model). Every problem is returned.
    pub fn check(&self) -> Vec<FieldProblem> {
        let mut problems = Vec::new();
        if let Document::Settings(settings) = self {
            if !(1..=7 * 24 * 60).contains(&settings.reservation_minutes) {
                problems.push(FieldProblem::new(
                    "reservation_minutes",
                    "1 to 10080 (a week)",
                ));
            }
            if settings.code_attempts_per_minute == 0 {
                problems.push(FieldProblem::new("code_attempts_per_minute", "at least 1"));
            }
        }
        if !matches!(self, Document::Settings(_)) {
            check_id(id_field(self.kind()), self.id(), &mut problems);
        }
        match self {
            Document::Campaign(c) => check_campaign(c, &mut problems),
            Document::Segment(s) => check_keywords(&s.keywords, &mut problems),
            Document::Relay(r) => {
                if r.name.trim().is_empty() {
                    problems.push(FieldProblem::new("name", "must not be empty"));
                }
                if !is_email(&r.email) {
                    problems.push(FieldProblem::new(
                        "email",
                        format!("`{}` is not an e-mail address", r.email),
                    ));
                }
            }
            // `POST /v1/offers/restore` restores many: an offer of that code could not be read.
            Document::Offer(o) if o.code == "restore" => problems.push(FieldProblem::new(
                "code",
                "`restore` is reserved (POST /v1/offers/restore)",
            )),
            Document::CustomerGroup(g) if g.name.len() > 200 => {
                problems.push(FieldProblem::new("name", "at most 200 characters"))
            }
            _ => {}
        }
        problems
    }
}

/// A plausible address (`local@domain.tld`): the mail server has the last word.
fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';'))
        && !domain.contains('@')
}

/// Ids are what shops send back in carts and URLs: 1–128 visible characters, no `/`.
pub fn check_id(field: &str, id: &str, problems: &mut Vec<FieldProblem>) {
    if id.is_empty() || id.len() > 128 {
        problems.push(FieldProblem::new(field, "must be 1 to 128 characters"));
    } else if id
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || c == '/')
    {
        problems.push(FieldProblem::new(
            field,
            "must not contain spaces, control characters or '/'",
        ));
    }
}

/// A segment's search words: each 1 to 100 characters, not blank, listed once.
fn check_keywords(keywords: &[String], problems: &mut Vec<FieldProblem>) {
    for (i, keyword) in keywords.iter().enumerate() {
        let field = format!("keywords[{i}]");
        if keyword.trim().is_empty() {
            problems.push(FieldProblem::new(field, "must not be empty"));
        } else if keyword.chars().count() > 100 {
            problems.push(FieldProblem::new(field, "at most 100 characters"));
        } else if keywords[..i].contains(keyword) {
            problems.push(FieldProblem::new(
                field,
                format!("`{keyword}` is listed twice"),
            ));
        }
    }
}

fn check_campaign(campaign: &Campaign, problems: &mut Vec<FieldProblem>) {
    if campaign.kind == CampaignKind::Permanent && campaign.ends_at.is_some() {
        problems.push(FieldProblem::new(
            "ends_at",
            "a permanent campaign has no end date",
        ));
    }
    // The engine's bound on every money amount (not negative, at most 10^15).
    if let Some(problem) = campaign
        .budget
        .and_then(remise_engine::money::bound_problem)
    {
        problems.push(FieldProblem::new("budget", problem));
    }
    if let Some(page) = &campaign.landing_page {
        let valid = !page.slug.is_empty()
            && page.slug.len() <= 100
            && page
                .slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            problems.push(FieldProblem::new(
                "landing_page.slug",
                "1 to 100 characters among a-z, 0-9 and '-'",
            ));
        }
        if page.title.trim().is_empty() {
            problems.push(FieldProblem::new("landing_page.title", "must not be empty"));
        }
    }
    for (i, banner) in campaign.banners.iter().enumerate() {
        if banner.placement.trim().is_empty() {
            problems.push(FieldProblem::new(
                format!("banners[{i}].placement"),
                "must not be empty",
            ));
        }
        if banner.image.trim().is_empty() {
            problems.push(FieldProblem::new(
                format!("banners[{i}].image"),
                "must not be empty",
            ));
        }
    }
}
