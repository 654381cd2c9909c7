//! The policy's answer for one request. Every authenticated handler takes a
//! [`Permit`] instead of a bare caller: the extractor finds the endpoint's
//! operation in the policy (by method and route template), authenticates
//! the caller, and refuses (403) a principal the policy does not name —
//! before the handler runs. An endpoint with no policy entry is refused for
//! everyone (and the server does not start with one).
//!
//! The handler then asks the permit about the record it touches:
//! [`Permit::require_unit`], [`Permit::require_staff`],
//! [`Permit::may_grant`], [`Permit::may_manage`], [`Permit::unit_scope`]
//! for lists; and [`Permit::may`] for a second operation (a CSV row, a
//! major deviation). No handler keeps a role list of its own.

use std::sync::Arc;

use axum::extract::{FromRequestParts, MatchedPath};
use axum::http::request::Parts;

use crate::audit::{self, Record};
use crate::auth::{Caller, DeviceCaller};
use crate::error::{Error, Result};
use crate::model::{Role, Staff};
use crate::policy::{Operation, Policy, Principal, Scope};
use crate::state::AppState;

/// An authenticated caller the policy allows on this operation.
#[derive(Debug, Clone)]
pub struct Permit {
    caller: Caller,
    policy: Arc<Policy>,
    op: usize,
    scope: Scope,
}

/// Which units a list covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitScope {
    /// Every unit.
    All,
    /// The units this staff member serves.
    ServedBy(String),
}

impl UnitScope {
    /// The bind value for [`UnitScope::sql`]: `""` for every unit, else the
    /// staff id.
    pub fn param(&self) -> String {
        match self {
            UnitScope::All => String::new(),
            UnitScope::ServedBy(s) => s.clone(),
        }
    }

    /// A condition on `col` (a unit id column) with the scope's bind value
    /// at `$n`: true for every unit, or for the units the staff member
    /// serves (their own and `staff_units`).
    pub fn sql(col: &str, n: usize) -> String {
        format!(
            "(${n} = '' OR {col} IN (SELECT unit_id FROM staff WHERE id = ${n} \
             UNION SELECT unit_id FROM staff_units WHERE staff_id = ${n}))"
        )
    }
}

fn forbidden(msg: impl Into<String>) -> Error {
    Error::Forbidden(msg.into())
}

impl Permit {
    /// Decides `op` for `caller` (for callers outside an HTTP request, and
    /// the extractor).
    pub fn decide(policy: Arc<Policy>, op: usize, caller: Caller) -> Result<Permit> {
        let principal = caller.principal();
        let o = policy
            .operation(op)
            .ok_or_else(|| forbidden("this endpoint has no policy entry"))?;
        let scope = o.scope_for(principal).ok_or_else(|| {
            forbidden(match principal {
                Principal::Admin => format!(
                    "the admin token may not do this ({}): it is for set-up, and this is a \
                     person's step or needs a device",
                    o.key
                ),
                Principal::Role(r) => format!(
                    "the role {} may not do this ({}); see AUTHORIZATION.md",
                    r.as_str(),
                    o.key
                ),
            })
        })?;
        Ok(Permit {
            caller,
            policy,
            op,
            scope,
        })
    }

    /// The caller.
    pub fn caller(&self) -> &Caller {
        &self.caller
    }

    /// The staff member, if a device calls.
    pub fn staff(&self) -> Option<&Staff> {
        self.caller.staff()
    }

    /// The device, for operations that need one.
    pub fn device(&self) -> Result<&DeviceCaller> {
        self.caller.device()
    }

    /// The caller as the policy names them.
    pub fn principal(&self) -> Principal {
        self.caller.principal()
    }

    /// The scope the policy gives the caller here.
    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// The operation.
    pub fn operation(&self) -> Option<&Operation> {
        self.policy.operation(self.op)
    }

    /// The operation's key, e.g. `POST /v1/staff`.
    pub fn operation_key(&self) -> &str {
        self.operation().map(|o| o.key.as_str()).unwrap_or("")
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// `(staff id, role)` of the sender, for records that say who did it.
    pub fn from(&self) -> Option<(&str, Role)> {
        self.staff().map(|s| (s.id.as_str(), s.role))
    }

    /// The staff id, or `None` for the admin token.
    pub fn staff_id(&self) -> Option<&str> {
        self.staff().map(|s| s.id.as_str())
    }

    /// Whether `unit_id` is within the caller's reach.
    pub fn reaches(&self, unit_id: &str) -> bool {
        match (&self.caller, self.scope) {
            (Caller::Admin, _) | (_, Scope::All | Scope::AlarmGroup) => true,
            (Caller::Device(d), _) => d.staff.serves(unit_id),
        }
    }

    /// 403 under scope `alarm_group` unless the caller's own unit is the
    /// alarm group's (`alarm_group_unit`, the server's setting; with none
    /// set, any unit is).
    pub fn require_alarm_group(&self, alarm_group_unit: Option<&str>) -> Result<()> {
        match (self.scope, self.staff(), alarm_group_unit) {
            (Scope::AlarmGroup, Some(st), Some(unit)) if st.unit_id != unit => Err(forbidden(
                format!("only the alarm group's unit manager ({unit}) coordinates this"),
            )),
            _ => Ok(()),
        }
    }

    /// 403 unless `unit_id` is within the caller's reach.
    pub fn require_unit(&self, unit_id: &str) -> Result<()> {
        if self.reaches(unit_id) {
            Ok(())
        } else {
            Err(forbidden(format!(
                "unit '{unit_id}' is not one you serve; you act only within your units"
            )))
        }
    }

    /// 403 unless the caller reaches the staff member: themself under
    /// scope `self`; someone who works in or serves one of their units
    /// under `units`; anyone under `all`.
    pub fn require_staff(&self, target: &Staff) -> Result<()> {
        let ok = match self.scope {
            Scope::All => true,
            Scope::Own => self.staff_id() == Some(target.id.as_str()),
            _ => target.served_units().any(|u| self.reaches(u)),
        };
        if ok {
            Ok(())
        } else {
            Err(forbidden(format!(
                "staff member '{}' is not in the units you serve",
                target.id
            )))
        }
    }

    /// The units a list covers.
    pub fn unit_scope(&self) -> UnitScope {
        match (&self.caller, self.scope) {
            (Caller::Admin, _) | (_, Scope::All | Scope::AlarmGroup) => UnitScope::All,
            (Caller::Device(d), _) => UnitScope::ServedBy(d.staff.id.clone()),
        }
    }

    /// A list's unit filter: the one asked for (403 outside the caller's
    /// reach), or `""` (every unit in scope).
    pub fn list_unit(&self, asked: &Option<String>, what: &str) -> Result<String> {
        let unit = crate::codec::filter_id(asked, what)?;
        if !unit.is_empty() {
            self.require_unit(&unit)?;
        }
        Ok(unit)
    }

    /// Asks the policy about another operation for the same caller (a CSV
    /// row as its own operation, a major deviation).
    pub fn may(&self, key: &str) -> Result<Permit> {
        let op = self
            .policy
            .operations()
            .iter()
            .position(|o| o.key == key)
            .ok_or_else(|| Error::Internal(format!("the policy has no operation '{key}'")))?;
        Permit::decide(self.policy.clone(), op, self.caller.clone())
    }

    /// The granting rule: 403 unless the caller may give `role` in `unit`.
    pub fn may_grant(&self, role: Role, unit_id: &str) -> Result<()> {
        if !self.policy.may_grant(self.principal(), role) {
            let who = match self.principal() {
                Principal::Admin => "the admin token".to_owned(),
                Principal::Role(r) => format!("a {}", r.as_str()),
            };
            return Err(forbidden(format!(
                "{who} may not grant the role {} (nobody grants a role above their own)",
                role.as_str()
            )));
        }
        self.require_unit(unit_id)
    }

    /// Whether the caller manages `target`: could have granted their role
    /// in their unit, and reaches every unit they serve.
    pub fn may_manage(&self, target: &Staff) -> Result<()> {
        self.may_grant(target.role, &target.unit_id)?;
        for u in target.served_units() {
            self.require_unit(u)?;
        }
        Ok(())
    }

    /// An audit record of this call, to fill in.
    pub fn record(&self, action: audit::Action, now: i64) -> Record {
        Record::new(&self.caller, self.operation_key(), action, now)
    }
}

impl FromRequestParts<AppState> for Permit {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let policy = state.policy();
        let op = parts
            .extensions
            .get::<MatchedPath>()
            .and_then(|p| policy.route_index(&parts.method, p.as_str()))
            .ok_or_else(|| forbidden("this endpoint has no policy entry"))?;
        let caller = Caller::from_request_parts(parts, state).await?;
        if let Caller::Admin = caller {
            // Every use of the admin token is on record, allowed or not.
            let key = policy.operation(op).map(|o| o.key.as_str()).unwrap_or("");
            let mut r = Record::new(&caller, key, audit::Action::AdminUse, state.now());
            r.target_id = Some(parts.uri.path().chars().take(300).collect());
            state.audit().log(r).await;
        }
        Permit::decide(policy.clone(), op, caller)
    }
}
