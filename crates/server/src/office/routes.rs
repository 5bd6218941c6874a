//! Every back-office route with what it needs, and the router built from them.

use std::sync::Arc;

use axum::Router;
use axum::http::Method;
use axum::middleware::from_fn_with_state;
use axum::routing::MethodRouter;
use tower_http::catch_panic::CatchPanicLayer;

use super::guard::{Need, guard};
use super::{account, assets, audit, home, page, products, signin, simulator};
use crate::AppState;

/// A back-office route: its method and path (axum syntax), what it needs, and its handler.
pub struct OfficeRoute {
    pub method: Method,
    pub path: &'static str,
    pub need: Need,
    handler: MethodRouter<Arc<AppState>>,
}

pub fn get(path: &'static str, need: Need, handler: MethodRouter<Arc<AppState>>) -> OfficeRoute {
    OfficeRoute {
        method: Method::GET,
        path,
        need,
        handler,
    }
}

pub fn post(path: &'static str, need: Need, handler: MethodRouter<Arc<AppState>>) -> OfficeRoute {
    OfficeRoute {
        method: Method::POST,
        path,
        need,
        handler,
    }
}

/// Every route of the back office. Each screen's module lists its own.
pub fn route_table() -> Vec<OfficeRoute> {
    let mut routes = Vec::new();
    routes.extend(assets::routes());
    routes.extend(signin::routes());
    routes.extend(account::routes());
    routes.extend(home::routes());
    routes.extend(super::campaigns::routes());
    routes.extend(super::approval::routes());
    routes.extend(simulator::routes());
    routes.extend(audit::routes());
    routes.extend(super::segments::routes());
    routes.extend(super::selections::routes());
    routes.extend(super::tags::routes());
    routes.extend(super::tasks::routes());
    routes.extend(super::users::routes());
    routes.extend(products::routes());
    routes.extend(super::promotions::routes());
    routes
}

pub fn build(state: Arc<AppState>) -> Router {
    let mut router: Router<Arc<AppState>> = Router::new();
    for route in route_table() {
        let guarded = route
            .handler
            .route_layer(from_fn_with_state((state.clone(), route.need), guard));
        router = router.route(route.path, guarded);
    }
    router
        // Unknown pages are for signed-in users only, like every page (no probing of paths).
        .route(
            "/office/{*rest}",
            axum::routing::any(page::not_found)
                .layer(from_fn_with_state((state.clone(), Need::Read), guard)),
        )
        .layer(CatchPanicLayer::custom(|_| page::panicked()))
        .with_state(state)
}
