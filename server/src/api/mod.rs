//! The HTTP API: routes, extractors that turn every bad input into a JSON
//! 4xx, and the OpenAPI description served at `/openapi.json`.

mod admin;
mod audit;
mod device;
mod events;
mod locks;
mod major;
pub(crate) mod messages;
mod orders;
mod outages;
mod staff;
pub use events::{MAX_EVENT_DATA, MAX_EVENTS_PER_BATCH, MAX_RECEIPT};
pub use staff::{make_enrollment_code, revoke_device};

use std::time::Instant;

use axum::Router;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, MatchedPath, Request};
use axum::handler::Handler;
use axum::http::Method;
use axum::http::request::Parts;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post, put};
use serde::de::DeserializeOwned;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::Error;
use crate::state::AppState;

/// Largest request body (CSV imports have their own, larger bound).
pub const MAX_BODY: usize = 1024 * 1024;
/// Largest CSV import.
pub const MAX_CSV_BODY: usize = 8 * 1024 * 1024;

/// JSON body extractor whose rejections are the crate's JSON errors.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(r) => Err(json_rejection(r)),
        }
    }
}

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

fn json_rejection(r: JsonRejection) -> Error {
    Error::Rejected {
        status: r.status(),
        message: r.body_text(),
    }
}

/// Path extractor with JSON errors.
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(r) => Err(path_rejection(r)),
        }
    }
}

fn path_rejection(r: PathRejection) -> Error {
    Error::Rejected {
        status: if r.status().is_server_error() {
            axum::http::StatusCode::BAD_REQUEST
        } else {
            r.status()
        },
        message: r.body_text(),
    }
}

/// Query extractor with JSON errors.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Query(v)),
            Err(r) => Err(query_rejection(r)),
        }
    }
}

fn query_rejection(r: QueryRejection) -> Error {
    Error::Rejected {
        status: r.status(),
        message: r.body_text(),
    }
}

/// A router that remembers which (method, path) pairs it serves, so tests
/// can hold the OpenAPI description to exactly the same list.
struct Routes {
    router: Router<AppState>,
    list: Vec<(Method, &'static str)>,
}

impl Routes {
    fn new() -> Self {
        Self {
            router: Router::new(),
            list: Vec::new(),
        }
    }

    fn add(mut self, method: Method, path: &'static str, mr: MethodRouter<AppState>) -> Self {
        self.router = self.router.route(path, mr);
        self.list.push((method, path));
        self
    }

    fn get<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, h: H) -> Self {
        self.add(Method::GET, path, get(h))
    }

    fn post<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, h: H) -> Self {
        self.add(Method::POST, path, post(h))
    }

    fn put<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, h: H) -> Self {
        self.add(Method::PUT, path, put(h))
    }

    fn patch<H: Handler<T, AppState>, T: 'static>(self, path: &'static str, h: H) -> Self {
        self.add(Method::PATCH, path, axum::routing::patch(h))
    }
}

fn routes() -> Routes {
    Routes::new()
        // Public.
        .get("/healthz", device::health)
        .get("/openapi.json", openapi_json)
        .get("/v1/time", device::server_time)
        .get("/v1/issuer", device::issuer)
        .get("/v1/revocation", device::revocation_list)
        .post("/v1/enroll", device::enroll)
        .post("/v1/auth/challenge", device::challenge)
        .post("/v1/auth/session", device::session)
        // A worker's device.
        .get("/v1/me", device::me)
        .get("/v1/bundle", device::bundle)
        .post("/v1/tokens", device::token)
        .post("/v1/events", events::post_events)
        .get("/v1/events", events::list_events)
        .get("/v1/inbox", messages::inbox)
        .post("/v1/messages", messages::send)
        .post("/v1/messages/{id}/read", messages::mark_read)
        // Administration.
        .get("/v1/units", admin::list_units)
        .post("/v1/units", admin::create_unit)
        .get("/v1/units/{id}", admin::get_unit)
        .put("/v1/units/{id}/settings", admin::update_unit_settings)
        .get("/v1/staff", staff::list_staff)
        .post("/v1/staff", staff::create_staff)
        .get("/v1/staff/{id}", staff::get_staff)
        .patch("/v1/staff/{id}", staff::update_staff)
        .post("/v1/staff/{id}/enrollment-code", staff::enrollment_code)
        .get("/v1/devices", staff::list_devices)
        .post("/v1/devices/{id}/revoke", staff::revoke_device_handler)
        .get("/v1/units/{id}/card", admin::unit_card)
        .get("/v1/brukare", admin::list_brukare)
        .post("/v1/brukare", admin::create_brukare)
        .get("/v1/brukare/{id}", admin::get_brukare)
        .get("/v1/brukare/{id}/decisions", admin::brukare_decisions)
        .post("/v1/decisions", admin::create_decision)
        .get("/v1/decisions/{id}", admin::get_decision)
        .patch("/v1/decisions/{id}", admin::update_decision)
        .get("/v1/visits", admin::list_visits)
        .post("/v1/visits", admin::create_visit)
        .post("/v1/visits/{id}/cancel", admin::cancel_visit)
        .get("/v1/shifts", admin::list_shifts)
        .post("/v1/shifts", admin::create_shift)
        .post("/v1/import/csv", admin::import_csv)
        .get("/v1/audit", audit::list)
        // Locks: the alarm group.
        .get("/v1/locks", locks::list)
        .post("/v1/locks", locks::register)
        .get("/v1/locks/{id}", locks::get_one)
        .post("/v1/locks/{id}/install", locks::install)
        .post("/v1/locks/{id}/remove", locks::remove)
        .post("/v1/installation-receipts", locks::upload_receipt)
        .get("/v1/installation-receipts/{id}", locks::get_receipt)
        // Orders (R1): the authority, home care, the alarm group.
        .get("/v1/orders", orders::list)
        .post("/v1/orders/new-brukare", orders::create_new_brukare)
        .post(
            "/v1/orders/existing-brukare",
            orders::create_existing_brukare,
        )
        .post("/v1/orders/entrance", orders::create_entrance)
        .post("/v1/orders/maintenance", orders::create_maintenance)
        .get("/v1/orders/{id}", orders::get_one)
        .post("/v1/orders/{id}/cancel", orders::cancel)
        .post("/v1/orders/{id}/scheduled", orders::schedule)
        .post("/v1/orders/{id}/done", orders::done)
        .post("/v1/orders/{id}/contacts", orders::record_contact)
        .post("/v1/brukare/{id}/service-ended", orders::service_ended)
        .get("/v1/brukare-without-lock", orders::without_lock)
        // Outages (R2): the coordinator, the alarm group, the managers.
        .get("/v1/outages", outages::list)
        .get("/v1/outages/{id}", outages::get_one)
        .post("/v1/outages/{id}/alarm-group", outages::alarm_group)
        .post("/v1/outages/{id}/night-patrol", outages::night_patrol)
        .post("/v1/outages/{id}/needs-assessor", outages::needs_assessor)
        .post("/v1/outages/{id}/working", outages::working)
        .post("/v1/outages/{id}/repaired", outages::repaired)
        .get("/v1/deviations", outages::list_deviations)
        .post("/v1/deviations/{id}/reported", outages::deviation_reported)
        // Major outages (R2.3, R2.4, R2.14, R2.16): the alarm group.
        .get("/v1/major-outages", major::list)
        .post("/v1/major-outages", major::declare)
        .get("/v1/major-outages/{id}", major::get_one)
        .post("/v1/major-outages/{id}/updates", major::update)
        .post("/v1/major-outages/{id}/end", major::end)
        .get("/v1/major-outage-suggestions", major::suggestions)
        .post("/v1/major-outage-suggestions/{id}/dismiss", major::dismiss)
        .get("/v1/manager-contacts", major::contacts)
        .post("/v1/manager-contacts", major::create_contact)
        .put("/v1/manager-contacts/{id}", major::update_contact)
        .post("/v1/scheduler/run", major::run_scheduler)
}

/// Every (method, path) the router serves.
pub fn route_table() -> Vec<(String, String)> {
    routes()
        .list
        .into_iter()
        .map(|(m, p)| (m.as_str().to_owned(), p.to_owned()))
        .collect()
}

/// The application.
pub fn router(state: AppState) -> Router {
    let Routes { router, .. } = routes();
    router
        .fallback(|| async { Error::RouteNotFound })
        .method_not_allowed_fallback(|| async { Error::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

/// Logs method, route template, status and time: no ids, no bodies, no
/// query strings (they may name people).
async fn log_request(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "(unmatched)".into());
    let started = Instant::now();
    let resp = next.run(req).await;
    tracing::debug!(
        %method,
        route,
        status = resp.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    resp
}

struct SecurityAddon;

impl Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A device session token from POST /v1/auth/session, or the admin token.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Writes the policy into every operation of the description: an
/// `x-authorization` object mapping each principal that may call it to its
/// scope (`{"public": true}` for public ones), and `x-audit` when it is
/// audited. Generated from `policy.toml`, so the two never disagree.
struct PolicyAddon;

impl Modify for PolicyAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Ok(policy) = crate::policy::Policy::builtin() else {
            return;
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            let ops = [
                ("GET", &mut item.get),
                ("POST", &mut item.post),
                ("PUT", &mut item.put),
                ("PATCH", &mut item.patch),
                ("DELETE", &mut item.delete),
            ];
            for (method, op) in ops {
                let (Some(op), Some(rule)) =
                    (op.as_mut(), policy.find(&format!("{method} {path}")))
                else {
                    continue;
                };
                let who: serde_json::Map<String, serde_json::Value> = if rule.public {
                    [("public".to_owned(), serde_json::Value::Bool(true))]
                        .into_iter()
                        .collect()
                } else {
                    rule.allowed()
                        .map(|(p, scope)| (p.as_str().to_owned(), scope.as_str().into()))
                        .collect()
                };
                let mut ext = utoipa::openapi::extensions::ExtensionsBuilder::new()
                    .add("x-authorization", serde_json::Value::Object(who));
                if rule.audit != crate::policy::Audit::None {
                    ext = ext.add("x-audit", rule.audit.as_str());
                }
                if rule.grant {
                    ext = ext.add("x-granting-rule", true);
                }
                match op.extensions.as_mut() {
                    Some(e) => e.merge(ext.build()),
                    None => op.extensions = Some(ext.build()),
                }
            }
        }
    }
}

/// The OpenAPI description.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Nyckelfri server",
        description = "Reference backend for Nyckelfri keyless home care: device enrollment and \
                       sessions, the day bundle of visits and access tokens, signed revocation \
                       lists, idempotent event upload, role inboxes, orders (routine R1), outage cases (routine R2), and \
                       administration of units, staff, brukare, care decisions, visits, shifts and \
                       locks, and the audit log. Every operation is decided by one authorization \
                       policy (server/policy.toml, AUTHORIZATION.md): each operation's \
                       description says who may call it in `x-authorization`. Times are Unix \
                       seconds (UTC); public keys are hex SEC1; other bytes are base64. Every \
                       error is JSON {error, message}."
    ),
    paths(
        device::health, openapi_json, device::server_time, device::issuer,
        device::revocation_list, device::enroll, device::challenge, device::session,
        device::me, device::bundle, device::token, events::post_events, events::list_events,
        messages::inbox, messages::send, messages::mark_read,
        admin::list_units, admin::create_unit, admin::get_unit, admin::update_unit_settings,
        admin::unit_card,
        staff::list_staff, staff::create_staff, staff::get_staff, staff::update_staff,
        staff::enrollment_code, staff::list_devices, staff::revoke_device_handler,
        admin::list_brukare, admin::create_brukare, admin::get_brukare, admin::brukare_decisions,
        admin::create_decision, admin::get_decision, admin::update_decision,
        admin::list_visits, admin::create_visit, admin::cancel_visit,
        admin::list_shifts, admin::create_shift, admin::import_csv, audit::list,
        locks::list, locks::register, locks::get_one, locks::install, locks::remove,
        locks::upload_receipt, locks::get_receipt,
        orders::list, orders::create_new_brukare, orders::create_existing_brukare,
        orders::create_entrance, orders::create_maintenance, orders::get_one, orders::cancel,
        orders::schedule, orders::done, orders::without_lock, orders::service_ended,
        orders::record_contact,
        outages::list, outages::get_one, outages::working, outages::alarm_group,
        outages::night_patrol, outages::needs_assessor,
        outages::list_deviations, outages::deviation_reported, outages::repaired,
        major::list, major::declare, major::get_one, major::update, major::end,
        major::suggestions, major::dismiss, major::contacts, major::create_contact,
        major::update_contact, major::run_scheduler,
    ),
    components(schemas(crate::error::ErrorBody, crate::error::RowError,
        crate::model::OutageReportData, crate::model::ReportStep, crate::model::OutageFilter,
        crate::model::OrderStatusFilter, crate::model::MajorOutageStatus)),
    modifiers(&SecurityAddon, &PolicyAddon),
    tags(
        (name = "public", description = "No authentication"),
        (name = "device", description = "A worker's phone: enrollment, session, bundle, tokens, events"),
        (name = "messages", description = "Role inboxes: the routines' case-system messages"),
        (name = "admin", description = "Units, staff, devices, brukare, decisions, visits, shifts, import, the audit log"),
        (name = "locks", description = "The alarm group: commissioning, installation, removal"),
        (name = "orders", description = "Routine R1, installation and removal: the authority's order for a new \
            brukare (R1.1, R1.7), home care's orders for an existing brukare (R1.3, R1.8) and for an entrance lock \
            (R1.4), removal orders made when a care decision ends (R1.5, R1.11), the alarm group's booking, \
            installation (R1.6, R1.10) and removal (R1.12), and the brukare still without a lock (R1.2)"),
        (name = "outages", description = "Routine R2, locks out of order: outage cases opened by the app's \
            `outage_report` events (POST /v1/events, data: OutageReportData), the care decision check (R2.7), \
            lock working again (R2.10), the alarm group (R2.11, R2.13), the night patrol by 17:00 (R2.12), \
            major outages (R2.3, R2.4, R2.14) and deviation reports (R2.15, R2.16)"),
    )
)]
pub struct ApiDoc;

/// The OpenAPI description as JSON.
#[utoipa::path(get, path = "/openapi.json", tag = "public",
    responses((status = 200, description = "The OpenAPI 3.1 description of this API", content_type = "application/json")))]
async fn openapi_json() -> impl IntoResponse {
    axum::Json(ApiDoc::openapi())
}
