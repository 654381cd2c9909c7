//! The audit log for the head of operations: who changed what (before and
//! after), who read which brukare's personal data, every use of the admin
//! token. Filterable by staff member and by brukare, as follow-up under the
//! social services' rules on access logs expects.

use axum::extract::State;

use super::{Json, Query};
use crate::audit;
use crate::error::{ErrorBody, Result};
use crate::model::{AuditEntry, AuditQuery};
use crate::permit::Permit;
use crate::state::AppState;

/// The audit log, newest first: `?staff_id=` what one person did,
/// `?brukare_id=` who read or changed one brukare's data.
#[utoipa::path(get, path = "/v1/audit", tag = "admin", security(("session" = [])), params(AuditQuery),
    responses(
        (status = 200, body = Vec<AuditEntry>),
        (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    ))]
pub(super) async fn list(
    State(s): State<AppState>,
    _permit: Permit,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Vec<AuditEntry>>> {
    // What this instance has queued is in the log before it is read.
    s.audit().flush().await;
    Ok(Json(audit::query(s.db(), &q).await?))
}
