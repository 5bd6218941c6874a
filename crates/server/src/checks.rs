//! What a change of one document must be checked against, at the cost of what it touches: the
//! changed document compiled alone against the served snapshot's catalog, and the documents that
//! refer to what it removes (reverse references), instead of compiling the whole store.
//!
//! Kinds whose change reaches every product or what names mean (settings, segments, customer
//! groups, a removed selection) are rare and still compiled whole ([`changed_problems`] answers
//! `None` for them). A B2B offer is checked alone against the served snapshot's settings,
//! groups and segments (`Snapshot::check_offer`): nothing refers to an offer.

use remise_engine::Snapshot;
use remise_engine::rules::Offer;
use remise_store::Kind;

use crate::model::{Located, Model};

/// The compiled rules' problems that a change of `(kind, id)` can cause, given the model after
/// it (`after`) and the snapshot served before it: as a full compile of `after` would report
/// them. `None` when only a full compile can tell.
pub fn changed_problems(
    snapshot: &Snapshot,
    after: &Model,
    (kind, id): (Kind, &str),
) -> Option<Vec<Located>> {
    let on = |document_kind: Kind, document: &str, problems: Vec<remise_engine::FieldError>| {
        problems
            .into_iter()
            .map(|e| Located {
                document: Some((document_kind, document.to_owned())),
                field: e.path,
                message: e.message,
            })
            .collect()
    };
    match kind {
        Kind::Promotion => Some(match after.promotions.get(id) {
            Some(promotion) => on(kind, id, snapshot.check_promotion(promotion)),
            // Nothing refers to a promotion.
            None => Vec::new(),
        }),
        Kind::Product => Some(match after.products.get(id) {
            Some(product) => on(kind, id, snapshot.check_product(product)),
            // Only a gift needs its product to exist (targets may name skus yet to come).
            None => after
                .promotions
                .values()
                .filter(|p| matches!(&p.offer, Offer::Gift { sku, .. } if sku == id))
                .map(|p| Located {
                    document: Some((Kind::Promotion, p.id.clone())),
                    field: "offer.sku".to_owned(),
                    message: format!("`{id}` is not in the catalog"),
                })
                .collect(),
        }),
        // A selection's picks cannot be wrong once its document reads; its filter is checked
        // against the served segments and currency. A removed one may still be named (by
        // promotions, vouchers' requests, landing pages): compiled whole.
        Kind::Selection => after
            .selections
            .get(id)
            .map(|selection| on(kind, id, snapshot.check_selection(selection))),
        Kind::Offer => Some(match after.offers.get(id) {
            Some(offer) => on(kind, id, snapshot.check_offer(offer)),
            // Nothing refers to an offer.
            None => Vec::new(),
        }),
        // Not part of the compiled rules: their checks are the model's (`Model::check_with`).
        Kind::Campaign | Kind::Relay => Some(Vec::new()),
        Kind::Settings | Kind::Segment | Kind::CustomerGroup => None,
    }
}
