//! Every change a screen makes to a document goes through here: the same checks, audit line,
//! change log and publication as the management API's writes, with the user as the actor.
//! (Where the store requires approval, campaign and promotion changes are routed to the
//! campaign's change request instead: see `approval`.)

use remise_store::Record;

use super::session::OfficeUser;
use crate::AppState;
use crate::problem::ApiError;
pub use crate::routes::Change;

/// Checks, writes and publishes one change as `user`.
pub async fn save(state: &AppState, user: &OfficeUser, change: Change) -> Result<Record, ApiError> {
    crate::routes::write(state, &user.actor(), change).await
}
