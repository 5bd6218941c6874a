//! The store's live documents, typed, and the rule sets built from them: every promotion (to check a
//! change against the engine's compiler) or only those whose campaign is running (what the
//! storefront evaluates).
//!
//! The maps are persistent (`imbl`): a copy shares everything with the original and a change
//! copies only the path to what it touches, so each published snapshot keeps its own model for
//! the price of the changes since the previous one.

use std::collections::HashSet;

use imbl::OrdMap;

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use remise_engine::rules::{
    Catalog, CustomerOffer, GroupSettings, Product, Promotion, RuleSet, Segment, Selection,
    StoreSettings,
};
use remise_store::{Kind, Millis, Record};

use crate::documents::{Campaign, CampaignStatus, CustomerGroup, Document, LandingPage, Settings};
use crate::problem::{ApiError, FieldProblem};

/// Every live document, by id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Model {
    pub settings: Settings,
    pub products: OrdMap<String, Product>,
    pub segments: OrdMap<String, Segment>,
    pub selections: OrdMap<String, Selection>,
    pub groups: OrdMap<String, CustomerGroup>,
    pub campaigns: OrdMap<String, Campaign>,
    pub promotions: OrdMap<String, Promotion>,
    /// B2B offers by code.
    pub offers: OrdMap<String, CustomerOffer>,
}

impl Model {
    /// Types every record; a record that no longer reads (written by a newer version, or by hand)
    /// is left out and reported, so that one bad document does not stop the store.
    pub fn from_records(records: Vec<Record>) -> (Model, Vec<String>) {
        // Reading a million JSON documents is most of a start: it is spread over the cores.
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let per_thread = records.len().div_ceil(threads).max(1);
        let mut parts = Vec::new();
        let mut records = records.into_iter();
        loop {
            let part: Vec<Record> = records.by_ref().take(per_thread).collect();
            if part.is_empty() {
                break;
            }
            parts.push(part);
        }
        let read: Vec<Vec<Result<Document, String>>> = std::thread::scope(|scope| {
            let readers: Vec<_> = parts
                .into_iter()
                .map(|part| scope.spawn(|| part.into_iter().map(read_record).collect()))
                .collect();
            readers
                .into_iter()
                .map(|reader| {
                    reader
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        });
        let mut model = Model::default();
        let mut skipped = Vec::new();
        for document in read.into_iter().flatten() {
            match document {
                Ok(document) => model.put(document),
                Err(message) => skipped.push(message),
            }
        }
        (model, skipped)
    }

    /// Adds or replaces a document.
    pub fn put(&mut self, document: Document) {
        match document {
            Document::Settings(d) => self.settings = d,
            Document::Product(d) => {
                self.products.insert(d.sku.clone(), d);
            }
            Document::Segment(d) => {
                self.segments.insert(d.id.clone(), d);
            }
            Document::Selection(d) => {
                self.selections.insert(d.id.clone(), d);
            }
            Document::CustomerGroup(d) => {
                self.groups.insert(d.id.clone(), d);
            }
            Document::Campaign(d) => {
                self.campaigns.insert(d.id.clone(), d);
            }
            Document::Promotion(d) => {
                self.promotions.insert(d.id.clone(), *d);
            }
            Document::Offer(d) => {
                self.offers.insert(d.code.clone(), *d);
            }
            // Relays play no part in pricing; they are read from the store when codes go out.
            Document::Relay(_) => {}
        }
    }

    /// Removes a document (settings cannot be removed).
    pub fn remove(&mut self, kind: Kind, id: &str) {
        match kind {
            Kind::Settings => {}
            Kind::Product => drop(self.products.remove(id)),
            Kind::Segment => drop(self.segments.remove(id)),
            Kind::Selection => drop(self.selections.remove(id)),
            Kind::CustomerGroup => drop(self.groups.remove(id)),
            Kind::Campaign => drop(self.campaigns.remove(id)),
            Kind::Promotion => drop(self.promotions.remove(id)),
            Kind::Offer => drop(self.offers.remove(id)),
            Kind::Relay => {}
        }
    }

    pub fn time_zone(&self) -> TimeZone {
        TimeZone::get(&self.settings.time_zone).unwrap_or(TimeZone::UTC)
    }

    fn store_settings(&self) -> StoreSettings {
        let s = &self.settings;
        StoreSettings {
            currency: s.currency.clone(),
            time_zone: s.time_zone.clone(),
            rounding: s.rounding,
            prices_include_tax: s.prices_include_tax,
            default_display: s.default_display,
            groups: self
                .groups
                .values()
                .map(|g| (g.id.clone(), GroupSettings { display: g.display }))
                .collect(),
            strategy: s.strategy,
            floor_at_cost: s.floor_at_cost,
            thresholds_include_tax: s.thresholds_include_tax,
            compatibility: s.compatibility,
            semantics: s.semantics,
            sells_to: s.sells_to,
            promotions_on_offer_prices: s.promotions_on_offer_prices,
        }
    }

    fn rules_with(&self, promotions: Vec<Promotion>) -> RuleSet {
        RuleSet {
            store: self.store_settings(),
            catalog: Catalog {
                segments: self.segments.values().cloned().collect(),
                products: self.products.values().cloned().collect(),
                selections: self.selections.values().cloned().collect(),
            },
            promotions,
            offers: self.offers.values().cloned().collect(),
            ..RuleSet::default()
        }
    }

    /// Every promotion, whatever its campaign's status: what a change is checked against, so a
    /// paused campaign's promotions stay valid when they are resumed.
    pub fn all_rules(&self) -> RuleSet {
        self.rules_with(self.promotions.values().cloned().collect())
    }

    /// The promotions that can apply: without a campaign, or in an active campaign, with the
    /// campaign's dates and channels narrowing their own.
    pub fn live_rules(&self) -> RuleSet {
        let zone = self.time_zone();
        let promotions = self
            .promotions
            .values()
            .filter_map(|promotion| self.live_promotion(promotion, &zone))
            .collect();
        self.rules_with(promotions)
    }

    /// A promotion as it is served: `None` when its campaign is not active (or leaves it no
    /// channel), else narrowed to its campaign's dates and channels.
    pub fn live_promotion(&self, promotion: &Promotion, zone: &TimeZone) -> Option<Promotion> {
        let Some(campaign_id) = &promotion.campaign else {
            return Some(promotion.clone());
        };
        let campaign = self.campaigns.get(campaign_id)?;
        if campaign.status != CampaignStatus::Active {
            return None;
        }
        within_campaign(promotion.clone(), campaign, zone)
    }

    /// The compiled rules' errors, each located on its document when it can be.
    pub fn compile_problems(&self) -> Vec<Located> {
        let Err(error) = remise_engine::compile(&self.all_rules()) else {
            return Vec::new();
        };
        let ids = Ids::new(self);
        error
            .errors()
            .iter()
            .map(|e| match ids.locate(&e.path) {
                Some((kind, id, field)) => Located {
                    document: Some((kind, id.to_owned())),
                    field,
                    message: e.message.clone(),
                },
                None => Located {
                    document: None,
                    field: e.path.clone(),
                    message: e.message.clone(),
                },
            })
            .collect()
    }

    /// Checks the model after a change of `changed`, given the compiled rules' errors (of the
    /// whole model, or of what the change touches, `checks::changed_problems`): those on the
    /// changed document are its validation errors (422); errors on other documents mean the
    /// change breaks them (a deleted segment still targeted): a conflict (409).
    pub fn check_with(
        &self,
        (kind, id): (Kind, &str),
        compiled: Vec<Located>,
    ) -> Result<(), ApiError> {
        let checked = self.check_changes(&HashSet::from([(kind, id.to_owned())]), compiled);
        if !checked.changed.is_empty() {
            return Err(ApiError::Validation(
                checked.changed.into_iter().map(|(_, p)| p).collect(),
            ));
        }
        if !checked.broken.is_empty() {
            return Err(broken_documents(&checked.broken));
        }
        Ok(())
    }

    /// Checks the model after a change of the documents `changed`, given the compiled rules'
    /// errors: the campaign checks of each changed campaign and promotion, then the compiled
    /// rules' errors, sorted into those of the changed documents and those of the others (which
    /// the change would break); campaigns' landing pages are checked here.
    pub fn check_changes(
        &self,
        changed: &HashSet<(Kind, String)>,
        compiled: Vec<Located>,
    ) -> ChangeProblems {
        let mut problems = Vec::new();
        for (kind, id) in changed {
            for problem in self.campaign_problems((*kind, id)) {
                problems.push(((*kind, id.clone()), problem));
            }
        }
        let mut broken = Vec::new();
        for located in compiled {
            match located.document {
                Some(document) if changed.contains(&document) => {
                    problems.push((document, FieldProblem::new(located.field, located.message)))
                }
                _ => broken.push(located.to_string()),
            }
        }
        // Landing pages are not part of the compiled rules: a selection another campaign's page
        // lists must not go (the page would silently empty, and the campaign no longer save).
        for campaign in self.campaigns.values() {
            if changed.contains(&(Kind::Campaign, campaign.id.clone())) {
                continue;
            }
            if let Some(page) = &campaign.landing_page
                && !self.selections.contains_key(&page.selection)
            {
                broken.push(format!(
                    "campaign `{}` landing_page.selection: unknown selection `{}`",
                    campaign.id, page.selection
                ));
            }
        }
        ChangeProblems {
            changed: problems,
            broken,
        }
    }

    /// Campaign checks that need the rest of the model: dates in the store's zone, the landing
    /// page's selection and slug, and a promotion's campaign.
    fn campaign_problems(&self, (kind, id): (Kind, &str)) -> Vec<FieldProblem> {
        let mut problems = Vec::new();
        match kind {
            Kind::Campaign => {
                let Some(campaign) = self.campaigns.get(id) else {
                    return problems;
                };
                let zone = self.time_zone();
                let starts = parse_time(campaign.starts_at.as_deref(), "starts_at", &zone);
                let ends = parse_time(campaign.ends_at.as_deref(), "ends_at", &zone);
                match (&starts, &ends) {
                    (Ok(Some(s)), Ok(Some(e))) if s >= e => {
                        problems.push(FieldProblem::new("ends_at", "must be after starts_at"))
                    }
                    _ => {}
                }
                problems.extend(starts.err());
                problems.extend(ends.err());
                if let Some(page) = &campaign.landing_page {
                    if !self.selections.contains_key(&page.selection) {
                        problems.push(FieldProblem::new(
                            "landing_page.selection",
                            format!("unknown selection `{}`", page.selection),
                        ));
                    }
                    let taken = self.campaigns.values().find(|other| {
                        other.id != campaign.id
                            && other
                                .landing_page
                                .as_ref()
                                .is_some_and(|p| p.slug == page.slug)
                    });
                    if let Some(other) = taken {
                        problems.push(FieldProblem::new(
                            "landing_page.slug",
                            format!("already used by campaign `{}`", other.id),
                        ));
                    }
                }
            }
            Kind::Promotion => {
                if let Some(campaign) = self.promotions.get(id).and_then(|p| p.campaign.as_ref())
                    && !self.campaigns.contains_key(campaign)
                {
                    problems.push(FieldProblem::new(
                        "campaign",
                        format!("unknown campaign `{campaign}`"),
                    ));
                }
            }
            _ => {}
        }
        problems
    }
}

/// The ids of each kind the compiled rules list, in their order (see `rules_with`), to locate
/// errors by index without walking the maps once per error.
struct Ids<'a> {
    promotions: Vec<&'a str>,
    products: Vec<&'a str>,
    segments: Vec<&'a str>,
    selections: Vec<&'a str>,
    offers: Vec<&'a str>,
}

impl<'a> Ids<'a> {
    fn new(model: &'a Model) -> Ids<'a> {
        fn keys<V: Clone>(map: &OrdMap<String, V>) -> Vec<&str> {
            map.keys().map(String::as_str).collect()
        }
        Ids {
            promotions: keys(&model.promotions),
            products: keys(&model.products),
            segments: keys(&model.segments),
            selections: keys(&model.selections),
            offers: keys(&model.offers),
        }
    }

    /// Which document a compiled-rules error path (`promotions[3].offer`,
    /// `offers[2].commitments[0].discounts[1].price`) is about, and the rest of the path within
    /// that document.
    fn locate(&self, path: &str) -> Option<(Kind, &'a str, String)> {
        if let Some(rest) = path.strip_prefix("store.") {
            return Some((Kind::Settings, remise_store::SETTINGS_ID, rest.to_owned()));
        }
        let (list, rest) = path.split_once('[')?;
        let (index, rest) = rest.split_once(']')?;
        let index: usize = index.parse().ok()?;
        let (kind, ids) = match list {
            "promotions" => (Kind::Promotion, &self.promotions),
            "catalog.products" => (Kind::Product, &self.products),
            "catalog.segments" => (Kind::Segment, &self.segments),
            "catalog.selections" => (Kind::Selection, &self.selections),
            "offers" => (Kind::Offer, &self.offers),
            _ => return None,
        };
        let id = ids.get(index)?;
        Some((kind, id, rest.strip_prefix('.').unwrap_or(rest).to_owned()))
    }
}

/// What a change of several documents does to the model's checks.
#[derive(Debug, Default)]
pub struct ChangeProblems {
    /// The problems of the changed documents, each with its document (kind and id); a
    /// document's campaign problems come before its compiled rules' ones.
    pub changed: Vec<((Kind, String), FieldProblem)>,
    /// The problems of other documents, which the change would break.
    pub broken: Vec<String>,
}

/// A stored record as a document. A promotion without `created_at` takes its record's (the
/// order of equal priorities must not change when it is saved again); an offer always does (the
/// server sets it: it breaks ties between equal prices). A record that no longer reads (written
/// by a newer version, or by hand) is an error saying it was left out.
pub fn read_record(record: Record) -> Result<Document, String> {
    let created_at = record.created_at;
    match Document::read(record.kind, record.body, "") {
        Ok(Document::Promotion(mut promotion)) => {
            if promotion.created_at.is_none() {
                promotion.created_at = Some(rfc3339(created_at));
            }
            Ok(Document::Promotion(promotion))
        }
        // Between equal contract prices, the older offer wins: always the store's creation time
        // (`Document::read` drops a body's, which the caller may not set).
        Ok(Document::Offer(mut offer)) => {
            offer.created_at = Some(rfc3339(created_at));
            Ok(Document::Offer(offer))
        }
        Ok(document) => Ok(document),
        Err(error) => Err(format!(
            "{} `{}` left out: {error}",
            record.kind.as_str(),
            record.id
        )),
    }
}

/// A compiled-rules error and the document it concerns.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    pub document: Option<(Kind, String)>,
    /// The path within the document (or within the rule set when no document is known).
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for Located {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.document {
            Some((kind, id)) => write!(
                f,
                "{} `{id}` {}: {}",
                kind.as_str(),
                self.field,
                self.message
            ),
            None => write!(f, "{}: {}", self.field, self.message),
        }
    }
}

/// The conflict of a change that would make other documents invalid.
pub fn broken_documents(broken: &[String]) -> ApiError {
    ApiError::Conflict(format!(
        "this change would break other documents: {}",
        broken.join("; ")
    ))
}

/// A promotion narrowed to its campaign's dates and channels; `None` when nothing is left.
fn within_campaign(
    mut promotion: Promotion,
    campaign: &Campaign,
    zone: &TimeZone,
) -> Option<Promotion> {
    let validity = &mut promotion.validity;
    validity.starts_at = narrower(
        validity.starts_at.take(),
        campaign.starts_at.clone(),
        zone,
        |own, campaign| own >= campaign,
    );
    validity.ends_at = narrower(
        validity.ends_at.take(),
        campaign.ends_at.clone(),
        zone,
        |own, campaign| own <= campaign,
    );
    if !campaign.channels.is_empty() {
        let channels = &mut promotion.audience.channels;
        if channels.is_empty() {
            channels.clone_from(&campaign.channels);
        } else {
            channels.retain(|c| campaign.channels.contains(c));
            if channels.is_empty() {
                return None;
            }
        }
    }
    Some(promotion)
}

/// Of a promotion's bound and its campaign's, the one that `keep_own` says is narrower.
fn narrower(
    own: Option<String>,
    campaign: Option<String>,
    zone: &TimeZone,
    keep_own: impl Fn(Timestamp, Timestamp) -> bool,
) -> Option<String> {
    match (own, campaign) {
        (Some(own), Some(campaign)) => {
            match (parse_instant(&own, zone), parse_instant(&campaign, zone)) {
                (Some(o), Some(c)) if !keep_own(o, c) => Some(campaign),
                _ => Some(own),
            }
        }
        (own, campaign) => own.or(campaign),
    }
}

/// RFC 3339 with an offset, or a civil date-time in `zone` (a gap moves later, a fold takes the
/// earlier instant, as the engine reads validity dates).
pub fn parse_instant(text: &str, zone: &TimeZone) -> Option<Timestamp> {
    if let Ok(instant) = text.parse::<Timestamp>() {
        return Some(instant);
    }
    let civil: DateTime = text.parse().ok()?;
    zone.to_ambiguous_zoned(civil)
        .compatible()
        .ok()
        .map(|z| z.timestamp())
}

fn parse_time(
    text: Option<&str>,
    field: &str,
    zone: &TimeZone,
) -> Result<Option<Timestamp>, FieldProblem> {
    match text {
        None => Ok(None),
        Some(text) => parse_instant(text, zone).map(Some).ok_or_else(|| {
            FieldProblem::new(
                field,
                format!("`{text}` is neither RFC 3339 nor a date-time like 2026-11-27T00:00"),
            )
        }),
    }
}

/// The skus a landing page lists: its selection's picked products in the catalog, in their
/// order, then those its filter matches (what `GET /v1/landing/{slug}` prices, and the back
/// office's preview of it).
pub fn landing_skus(snapshot: &remise_engine::Snapshot, page: &LandingPage) -> Vec<String> {
    snapshot
        .selection_products(&page.selection)
        .map(|skus| skus.into_iter().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// Whether `at` is inside the campaign's dates.
pub fn campaign_running(campaign: &Campaign, at: Timestamp, zone: &TimeZone) -> bool {
    let bound = |text: &Option<String>| text.as_deref().and_then(|t| parse_instant(t, zone));
    bound(&campaign.starts_at).is_none_or(|start| start <= at)
        && bound(&campaign.ends_at).is_none_or(|end| at < end)
}

/// Milliseconds since the epoch as RFC 3339 (UTC).
pub fn rfc3339(millis: Millis) -> String {
    Timestamp::from_millisecond(millis)
        .map(|t| t.to_string())
        .unwrap_or_default()
}
