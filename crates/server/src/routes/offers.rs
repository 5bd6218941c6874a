//! What B2B offers have beyond the generic CRUD of `documents`: a code generated when a new offer
//! has none, the list filters of seed 004 ("Filtrer"), and restoring many deleted offers at once.
//!
//! Current offers are filtered on the served model (no table scan per request), then the page's
//! envelopes are read from the store by code; deleted ones are read from the store's deleted
//! list, which holds only the last 30 days' (older ones are purged).

use std::collections::{BTreeSet, HashSet};
use std::ops::Bound;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::{Extension, Json};
use jiff::Timestamp;
use remise_engine::rules::CustomerOffer;
use remise_store::{Kind, ListQuery, Millis, Record, Store};
use serde::Deserialize;
use serde_json::{Value, json};

use super::documents::{page_size, query_problem, refresh};
use super::envelope;
use crate::AppState;
use crate::auth::Caller;
use crate::body::Body;
use crate::codes::CodeFormat;
use crate::documents::Document;
use crate::model::{Model, broken_documents};
use crate::offer_filter::{CustomerContext, OfferFilter, ProductTarget, ScopeKind};
use crate::problem::{ApiError, ApiResult, FieldProblem};

/// How many times a generated code is drawn again when it is taken.
const CODE_ATTEMPTS: usize = 8;

/// At most this many codes in one restore.
const MAX_RESTORE: usize = 1_000;

/// A new offer's code when its body has none (missing, `null` or empty): `OF` and 8 characters
/// of the codes' alphabet, unused by any offer, deleted ones included.
pub async fn fill_code(store: &dyn Store, body: &mut Value) -> ApiResult<()> {
    let Value::Object(map) = body else {
        return Ok(());
    };
    let empty = match map.get("code") {
        None | Some(Value::Null) => true,
        Some(Value::String(code)) => code.is_empty(),
        Some(_) => false,
    };
    if empty {
        let code = unused_code(store, new_code).await?;
        map.insert("code".to_owned(), Value::String(code));
    }
    Ok(())
}

fn new_code() -> ApiResult<String> {
    let format = CodeFormat {
        prefix: "OF".to_owned(),
        length: 8,
        pattern: None,
    };
    let mut codes = format.generate(1)?;
    codes
        .pop()
        .map(|(_, display)| display)
        .ok_or_else(|| ApiError::Internal("no code was generated".to_owned()))
}

/// The first code `draw` gives that no offer has, soft-deleted ones included. 31^8 codes make a
/// collision rare; another instance could still take the same code before this one writes it,
/// which the create then refuses (409) rather than overwrite.
async fn unused_code(
    store: &dyn Store,
    mut draw: impl FnMut() -> ApiResult<String>,
) -> ApiResult<String> {
    for _ in 0..CODE_ATTEMPTS {
        let code = draw()?;
        if store.get(Kind::Offer, &code).await?.is_none() {
            return Ok(code);
        }
    }
    Err(ApiError::Conflict(format!(
        "no unused offer code in {CODE_ATTEMPTS} draws: give the offer a code"
    )))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    limit: Option<u32>,
    after: Option<String>,
    /// The generic lists' switch: `true` is `state=deleted`.
    #[serde(default)]
    deleted: bool,
    q: Option<String>,
    state: Option<String>,
    scope: Option<String>,
    scope_code: Option<String>,
    product: Option<String>,
    customer: Option<String>,
    customer_groups: Option<String>,
    collection_point: Option<String>,
    #[serde(default)]
    most_advantageous: bool,
}

/// A query value left empty is no filter (a form's blank field).
fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The filters a query asks for, checked: every refused value names its parameter.
struct Asked {
    deleted: bool,
    filter: OfferFilter,
    most_advantageous: bool,
}

fn asked(params: &ListParams, model: &Model) -> ApiResult<Asked> {
    let mut problems = Vec::new();
    let deleted = match given(&params.state) {
        None => params.deleted,
        Some("current") if !params.deleted => false,
        Some("deleted") => true,
        Some("current") => {
            problems.push(FieldProblem::new(
                "state",
                "`current` contradicts `deleted=true`",
            ));
            true
        }
        Some(other) => {
            problems.push(FieldProblem::new(
                "state",
                format!("unknown state `{other}` (current, deleted)"),
            ));
            false
        }
    };
    let mut filter = OfferFilter {
        terms: given(&params.q).map(OfferFilter::terms).unwrap_or_default(),
        ..OfferFilter::default()
    };
    match (given(&params.scope), given(&params.scope_code)) {
        (None, Some(_)) => problems.push(FieldProblem::new(
            "scope_code",
            "needs `scope` (group, customer or collection_point)",
        )),
        (Some(scope), code) => match ScopeKind::parse(scope) {
            None => problems.push(FieldProblem::new(
                "scope",
                format!("unknown scope `{scope}` (all, group, customer, collection_point)"),
            )),
            Some(ScopeKind::All) if code.is_some() => problems.push(FieldProblem::new(
                "scope_code",
                "an offer for all customers has no scope code",
            )),
            Some(kind) => filter.scope = Some((kind, code.map(str::to_owned))),
        },
        (None, None) => {}
    }
    filter.product = given(&params.product).map(|sku| ProductTarget::new(model, sku));
    let groups: BTreeSet<String> = given(&params.customer_groups)
        .map(|groups| {
            groups
                .split(',')
                .map(str::trim)
                .filter(|g| !g.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let point = given(&params.collection_point).map(str::to_owned);
    match given(&params.customer) {
        Some(id) => {
            filter.customer = Some(CustomerContext {
                id: id.to_owned(),
                groups,
                collection_point: point,
            })
        }
        None => {
            for (field, is_given) in [
                ("customer_groups", !groups.is_empty()),
                ("collection_point", point.is_some()),
            ] {
                if is_given {
                    problems.push(FieldProblem::new(field, "needs `customer`"));
                }
            }
        }
    }
    if params.most_advantageous {
        if filter.customer.is_none() || filter.product.is_none() {
            problems.push(FieldProblem::new(
                "most_advantageous",
                "needs both `customer` and `product`",
            ));
        }
        if deleted {
            problems.push(FieldProblem::new(
                "most_advantageous",
                "only among current offers",
            ));
        }
        if params.after.is_some() {
            problems.push(FieldProblem::new(
                "after",
                "the most advantageous offer is one offer: there is no next page",
            ));
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    Ok(Asked {
        deleted,
        filter,
        most_advantageous: params.most_advantageous,
    })
}

/// `GET /v1/offers`: a page of offers in code order, filtered as seed 004's "Filtrer".
pub async fn list(
    State(state): State<Arc<AppState>>,
    params: Result<Query<ListParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(params) = params.map_err(query_problem)?;
    let limit = page_size(params.limit)? as usize;
    let published = state.publisher.current();
    let model = &published.model;
    let asked = asked(&params, model)?;
    let store = state.store.as_ref();
    if asked.deleted {
        return deleted_page(store, &asked.filter, params.after, limit).await;
    }
    let codes: Vec<String> = if asked.most_advantageous {
        let today = Timestamp::now().to_zoned(model.time_zone()).date();
        let matching = model.offers.values().filter(|o| asked.filter.matches(o));
        asked
            .filter
            .product
            .as_ref()
            .and_then(|product| crate::offer_filter::most_advantageous(matching, product, today))
            .map(|offer| vec![offer.code.clone()])
            .unwrap_or_default()
    } else {
        let from = match &params.after {
            Some(after) => Bound::Excluded(after.clone()),
            None => Bound::Unbounded,
        };
        model
            .offers
            .range((from, Bound::Unbounded))
            .filter(|(_, offer)| asked.filter.matches(offer))
            .map(|(code, _)| code.clone())
            .take(limit)
            .collect()
    };
    // The store may have moved past the served model: what it deleted since is left out.
    let records: Vec<Record> = store
        .get_many(Kind::Offer, &codes)
        .await?
        .into_iter()
        .filter(|r| r.deleted_at.is_none())
        .collect();
    let next = (!asked.most_advantageous && codes.len() == limit)
        .then(|| codes.last().cloned())
        .flatten();
    Ok(Json(page_of(&records, next)))
}

/// A page of the offers deleted in the last 30 days that `filter` keeps, read from the store's
/// deleted list a chunk at a time.
async fn deleted_page(
    store: &dyn Store,
    filter: &OfferFilter,
    after: Option<String>,
    limit: usize,
) -> ApiResult<Json<Value>> {
    const CHUNK: u32 = 500;
    let since = restorable_since(Timestamp::now());
    let mut kept = Vec::new();
    let mut query = ListQuery {
        deleted: true,
        after,
        limit: CHUNK,
        ..ListQuery::default()
    };
    loop {
        let chunk = store.list(Kind::Offer, &query).await?;
        let ended = chunk.len() < CHUNK as usize;
        query.after = chunk.last().map(|r| r.id.clone());
        for record in chunk {
            if kept.len() == limit {
                break;
            }
            if record.deleted_at.is_some_and(|at| at >= since)
                && offer_of(&record).is_some_and(|offer| filter.matches(&offer))
            {
                kept.push(record);
            }
        }
        if kept.len() == limit || ended {
            break;
        }
    }
    let next = (kept.len() == limit)
        .then(|| kept.last().map(|r| r.id.clone()))
        .flatten();
    Ok(Json(page_of(&kept, next)))
}

/// The first instant of the 30 days (of 24 hours, as the purge counts them) in which a deletion
/// can be restored, as of `now`.
pub fn restorable_since(now: Timestamp) -> Millis {
    now.as_millisecond() - remise_store::RESTORE_DAYS * MILLIS_PER_DAY
}

const MILLIS_PER_DAY: Millis = 86_400_000;

fn offer_of(record: &Record) -> Option<CustomerOffer> {
    match Document::read(Kind::Offer, record.body.clone(), "") {
        Ok(Document::Offer(offer)) => Some(*offer),
        _ => None,
    }
}

fn page_of(records: &[Record], next: Option<String>) -> Value {
    json!({
        "items": records.iter().map(envelope).collect::<Vec<_>>(),
        "next_after": next,
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestoreMany {
    codes: Vec<String>,
}

/// `POST /v1/offers/restore`: brings back every offer named, all or nothing. Each must be a
/// soft-deleted offer (422 naming each that is not) and fit the documents as they are now (409
/// otherwise, as for one restore); then all are restored in one transaction.
pub async fn restore_many(
    State(state): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    body: Body,
) -> ApiResult<Json<Value>> {
    let RestoreMany { codes } = body.json()?;
    let mut problems = Vec::new();
    if codes.is_empty() {
        problems.push(FieldProblem::new("codes", "name at least one offer"));
    }
    if codes.len() > MAX_RESTORE {
        problems.push(FieldProblem::new(
            "codes",
            format!("at most {MAX_RESTORE} offers at a time"),
        ));
    }
    let mut seen = HashSet::new();
    for (i, code) in codes.iter().enumerate() {
        if !seen.insert(code) {
            problems.push(FieldProblem::new(format!("codes[{i}]"), "listed twice"));
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    let _one_at_a_time = state.writes.lock().await;
    refresh(&state).await?;
    let store = state.store.as_ref();
    let stored = store.get_many(Kind::Offer, &codes).await?;
    // Past 30 days a deletion is final, even before the purge removes it.
    let since = restorable_since(Timestamp::now());
    let mut documents = Vec::new();
    for (i, code) in codes.iter().enumerate() {
        match stored.iter().find(|r| r.id == *code) {
            Some(record) if record.deleted_at.is_some_and(|at| at >= since) => {
                documents.push(Document::read(Kind::Offer, record.body.clone(), "")?)
            }
            Some(record) if record.deleted_at.is_none() => problems.push(FieldProblem::new(
                format!("codes[{i}]"),
                format!("offer `{code}` is not deleted"),
            )),
            Some(_) => problems.push(FieldProblem::new(
                format!("codes[{i}]"),
                format!(
                    "offer `{code}` was deleted over 30 days ago and can no longer be restored"
                ),
            )),
            None => problems.push(FieldProblem::new(
                format!("codes[{i}]"),
                format!("no deleted offer `{code}`"),
            )),
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    check_restored(&state, documents).await?;
    let records = store
        .restore_many(&caller.actor(), Kind::Offer, &codes)
        .await?;
    refresh(&state).await?;
    Ok(Json(json!({
        "items": records.iter().map(envelope).collect::<Vec<_>>(),
    })))
}

/// The model with `documents` back, compiled whole off the async workers: a restored offer must
/// still fit (its group may have been deleted since), and must not break another document.
async fn check_restored(state: &AppState, documents: Vec<Document>) -> ApiResult<()> {
    let mut model = state.publisher.current().model.clone();
    let changed: HashSet<(Kind, String)> = documents
        .iter()
        .map(|d| (d.kind(), d.id().to_owned()))
        .collect();
    for document in documents {
        model.put(document);
    }
    let checked = tokio::task::spawn_blocking(move || {
        let compiled = model.compile_problems();
        model.check_changes(&changed, compiled)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("the check failed: {e}")))?;
    if !checked.changed.is_empty() {
        return Err(ApiError::Conflict(format!(
            "they no longer fit the other documents: {}",
            checked
                .changed
                .iter()
                .map(|((_, id), p)| format!("offer `{id}` {}: {}", p.field, p.message))
                .collect::<Vec<_>>()
                .join("; ")
        )));
    }
    if !checked.broken.is_empty() {
        return Err(broken_documents(&checked.broken));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use remise_store::{Actor, Draft};

    use super::*;

    #[test]
    fn generated_codes_are_of_and_eight_alphanumerics() {
        let code = new_code().unwrap();
        assert_eq!(code.len(), 10, "{code}");
        assert!(code.starts_with("OF"));
        assert!(
            code[2..]
                .bytes()
                .all(|b| crate::codes::ALPHABET.contains(&b))
        );
        assert!(code.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(new_code().unwrap(), code);
    }

    /// A drawn code that a deleted offer still holds is drawn again.
    #[tokio::test]
    async fn a_taken_code_is_drawn_again_deleted_offers_included() {
        let sqlite = remise_test_support::TestSqlite::new();
        let store = remise_store::open(&sqlite.url).await.unwrap();
        store.migrate().await.unwrap();
        let actor = Actor("test".to_owned());
        for code in ["OFTAKEN01", "OFTAKEN02"] {
            let draft = Draft {
                id: code.to_owned(),
                body: json!({ "code": code }),
                parent: None,
                status: None,
            };
            store.create(&actor, Kind::Offer, draft).await.unwrap();
        }
        store
            .delete(&actor, Kind::Offer, "OFTAKEN01", 1)
            .await
            .unwrap();
        let mut draws = ["OFTAKEN01", "OFTAKEN02", "OFFREE001"].into_iter();
        let mut drawn = 0;
        let code = unused_code(store.as_ref(), || {
            drawn += 1;
            Ok(draws.next().unwrap_or("OFNEVER").to_owned())
        })
        .await
        .unwrap();
        assert_eq!((code.as_str(), drawn), ("OFFREE001", 3));
        // Every draw taken: refused, not looping for ever.
        let refused = unused_code(store.as_ref(), || Ok("OFTAKEN02".to_owned())).await;
        assert!(matches!(refused, Err(ApiError::Conflict(_))), "{refused:?}");
    }

    #[test]
    fn deletions_are_restorable_for_thirty_days() {
        let now: Timestamp = "2026-12-05T12:00:00Z".parse().unwrap();
        let since: Timestamp = "2026-11-05T12:00:00Z".parse().unwrap();
        assert_eq!(restorable_since(now), since.as_millisecond());
    }
}
