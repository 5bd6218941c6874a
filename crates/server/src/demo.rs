//! The demo store: the toy shop of seed 001 (figurines in Superhéros › Marvel, brand Hasbro,
//! labels "nouveauté" and "exclu web", a permanent free-shipping campaign, the Marvel launch with
//! its landing page, the MARVEL10 coupon, also stored so that it can be redeemed), loaded into an
//! empty database by `remise serve` and `remise demo`.
//!
//! It sells to consumers and to professionals (seed 004): customer groups `cantines`,
//! `restaurants` and `lycees` see net prices, and B2B offers give them contract prices: one offer
//! for all customers (batteries by the box, with a quantity break), per group (canteens,
//! restaurants), per customer (`C-DUPONT`), per collection point (`LYON-PART-DIEU`), and a public
//! procurement for the region's schools with two commitments, the second a sub-range.
//!
//! The demo comes with two API keys whose secrets are printed and documented, so the README's
//! `curl` works as written. They are for trying Remise out: revoke them (`DELETE /v1/api-keys/…`)
//! before a demo database holds anything real.

use remise_engine::rules::{CustomerOffer, Display, RuleSet, SellsTo};
use remise_store::{Actor, Kind, ListQuery, Role, Scope, Store, now_millis};
use serde_json::Value;

use crate::auth::key_for;
use crate::documents::{CustomerGroup, Document, Settings};

/// The rule file of the toy shop (also `examples/toyshop.rules.json`): catalog and promotions.
const RULES: &str = include_str!("../../../examples/toyshop.rules.json");
/// Its campaigns, which the rule format does not hold.
const CAMPAIGNS: &str = include_str!("../demo/campaigns.json");
/// Its B2B offers.
const OFFERS: &str = include_str!("../demo/offers.json");

/// The professional customer groups the offers name: id and name; they see net prices.
const PROFESSIONAL_GROUPS: [(&str, &str); 3] = [
    ("cantines", "Cantines scolaires"),
    ("restaurants", "Restaurants"),
    ("lycees", "Lycées de la région"),
];

/// The demo storefront key's secret.
pub const STOREFRONT_KEY: &str = "rk_demo_storefront";
/// The demo management key's secret.
pub const MANAGEMENT_KEY: &str = "rk_demo_management";

/// The demo's back-office users, one per role: e-mail, name, role, password. The README lists
/// them and says to change the passwords (or deactivate these users) on a real store.
pub const USERS: [(&str, &str, Role, &str); 4] = [
    (
        "admin@demo.remise.test",
        "Alice Admin",
        Role::Administrator,
        "demo-admin-2026",
    ),
    (
        "marketer@demo.remise.test",
        "Marc Marketeur",
        Role::Marketer,
        "demo-marketer-2026",
    ),
    (
        "approver@demo.remise.test",
        "Valérie Valideuse",
        Role::Approver,
        "demo-approver-2026",
    ),
    (
        "viewer@demo.remise.test",
        "Louis Lecteur",
        Role::Viewer,
        "demo-viewer-2026",
    ),
];

/// Whether the store holds no catalog and no promotion yet.
pub async fn is_empty(store: &dyn Store) -> remise_store::Result<bool> {
    let one = ListQuery {
        limit: 1,
        ..ListQuery::default()
    };
    Ok(store.list(Kind::Product, &one).await?.is_empty()
        && store.list(Kind::Promotion, &one).await?.is_empty())
}

/// Writes the demo documents and keys (existing ones with the same ids are replaced).
pub async fn load(store: &dyn Store) -> anyhow::Result<()> {
    let actor = Actor("demo".to_owned());
    let rules: RuleSet = serde_json::from_str(RULES)?;
    let campaigns: Vec<Value> = serde_json::from_str(CAMPAIGNS)?;
    let offers: Vec<CustomerOffer> = serde_json::from_str(OFFERS)?;
    let store_settings = &rules.store;
    let settings = Settings {
        currency: store_settings.currency.clone(),
        time_zone: store_settings.time_zone.clone(),
        rounding: store_settings.rounding,
        prices_include_tax: store_settings.prices_include_tax,
        default_display: store_settings.default_display,
        strategy: store_settings.strategy,
        sells_to: SellsTo::Both,
        ..Settings::default()
    };
    let groups = store_settings.groups.iter().map(|(id, group)| {
        Document::CustomerGroup(CustomerGroup {
            id: id.clone(),
            name: if id == "pro" {
                "Professionnels".to_owned()
            } else {
                id.clone()
            },
            display: group.display,
        })
    });
    let professional_groups = PROFESSIONAL_GROUPS.iter().map(|(id, name)| {
        Document::CustomerGroup(CustomerGroup {
            id: (*id).to_owned(),
            name: (*name).to_owned(),
            display: Display::Net,
        })
    });
    let mut batches: Vec<(Kind, Vec<Document>)> = vec![
        (Kind::Settings, vec![Document::Settings(settings)]),
        (
            Kind::CustomerGroup,
            groups.chain(professional_groups).collect(),
        ),
        (
            Kind::Segment,
            rules
                .catalog
                .segments
                .into_iter()
                .map(Document::Segment)
                .collect(),
        ),
        (
            Kind::Product,
            rules
                .catalog
                .products
                .into_iter()
                .map(Document::Product)
                .collect(),
        ),
        (
            Kind::Selection,
            rules
                .catalog
                .selections
                .into_iter()
                .map(Document::Selection)
                .collect(),
        ),
    ];
    let mut campaign_documents = Vec::new();
    for campaign in campaigns {
        campaign_documents.push(Document::read(Kind::Campaign, campaign, "campaigns")?);
    }
    batches.push((Kind::Campaign, campaign_documents));
    batches.push((
        Kind::Promotion,
        rules
            .promotions
            .into_iter()
            .map(|p| Document::Promotion(Box::new(p)))
            .collect(),
    ));
    batches.push((
        Kind::Offer,
        offers
            .into_iter()
            .map(|o| Document::Offer(Box::new(o)))
            .collect(),
    ));
    for (kind, documents) in batches {
        let drafts = documents
            .iter()
            .map(Document::draft)
            .collect::<Result<Vec<_>, _>>()?;
        store.upsert_many(&actor, kind, drafts).await?;
    }
    // MARVEL10 is also a stored coupon, so that shops can reserve and confirm it; it carries the
    // promotion's limits (5,000 uses, one per customer).
    let coupon = remise_store::Coupon {
        code: remise_store::normalize_code("MARVEL10"),
        display: "MARVEL10".to_owned(),
        promotion: "marvel10".to_owned(),
        batch: None,
        max_uses: Some(5_000),
        uses_per_customer: Some(1),
        starts_at: None,
        ends_at: None,
        customers: Vec::new(),
        groups: Vec::new(),
        state: remise_store::CodeState::Available,
        relay: None,
        created_at: remise_store::now_millis(),
    };
    match store.create_coupon(&actor, &coupon).await {
        Ok(()) | Err(remise_store::Error::AlreadyExists { .. }) => {}
        Err(error) => return Err(error.into()),
    }
    for (secret, name, scope) in [
        (STOREFRONT_KEY, "demo storefront", Scope::Storefront),
        (MANAGEMENT_KEY, "demo management", Scope::Management),
    ] {
        let key = key_for(secret, name, scope);
        match store.create_api_key(&actor, &key).await {
            Ok(()) | Err(remise_store::Error::AlreadyExists { .. }) => {}
            Err(error) => return Err(error.into()),
        }
    }
    for (email, name, role, password) in USERS {
        let user = crate::office::new_user::new_user(email, name, role, password, now_millis())?;
        match store.create_user(&actor, &user).await {
            Ok(_) | Err(remise_store::Error::AlreadyExists { .. }) => {}
            Err(error) => return Err(error.into()),
        }
    }
    Ok(())
}
