//! The authorization policy as data: `server/policy.toml`, compiled in and
//! read once at start. For every operation (an endpoint, or a named action
//! a handler asks about) it says which principals may call it and on which
//! [`Scope`]; besides, whom each role may grant ([`Policy::may_grant`]),
//! who may serve several units, whom visits, shifts and orders may name,
//! and the routine steps messages travel under.
//!
//! Nothing here does I/O: [`crate::permit::Permit`] asks it for every
//! request (a hash lookup and an array index; see the server benchmark),
//! and the handlers ask the permit.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use axum::http::Method;
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::model::{Role, ShiftKind};

/// The policy file, as compiled in.
pub const POLICY_TOML: &str = include_str!("../policy.toml");

/// Who calls: a role (a staff member's device session) or the admin token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Principal {
    /// A staff member in this role.
    Role(Role),
    /// The admin token.
    Admin,
}

/// Every principal, in the policy table's column order.
pub const PRINCIPALS: [Principal; 9] = [
    Principal::Role(Role::CareWorker),
    Principal::Role(Role::NightPatrol),
    Principal::Role(Role::NightPatrolCoordinator),
    Principal::Role(Role::Coordinator),
    Principal::Role(Role::AlarmTechnician),
    Principal::Role(Role::UnitManager),
    Principal::Role(Role::HeadOfOperations),
    Principal::Role(Role::NeedsAssessor),
    Principal::Admin,
];

impl Principal {
    /// Its column in [`PRINCIPALS`].
    pub fn index(self) -> usize {
        match self {
            Principal::Role(Role::CareWorker) => 0,
            Principal::Role(Role::NightPatrol) => 1,
            Principal::Role(Role::NightPatrolCoordinator) => 2,
            Principal::Role(Role::Coordinator) => 3,
            Principal::Role(Role::AlarmTechnician) => 4,
            Principal::Role(Role::UnitManager) => 5,
            Principal::Role(Role::HeadOfOperations) => 6,
            Principal::Role(Role::NeedsAssessor) => 7,
            Principal::Admin => 8,
        }
    }

    /// The name in the policy file.
    pub fn as_str(self) -> &'static str {
        match self {
            Principal::Role(r) => r.as_str(),
            Principal::Admin => "admin",
        }
    }

    fn parse(s: &str) -> Option<Principal> {
        if s == "admin" {
            return Some(Principal::Admin);
        }
        Role::parse(s).ok().map(Principal::Role)
    }
}

/// What an allowed caller reaches (see the head of `policy.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Only their own record, day or inbox.
    Own,
    /// What belongs to a unit they serve.
    Units,
    /// Every unit.
    All,
    /// Keys for visits and night shifts scheduled to them.
    Scheduled,
    /// Keys and installation for an open order booked for them.
    Assigned,
    /// Events for locks they were given keys for (else in their units).
    Keyed,
    /// Messages as the routine steps say.
    Routine,
    /// The municipality, as the alarm group's own unit manager: the
    /// caller's unit is the alarm group's (the server's alarm group unit;
    /// any unit manager's when none is configured).
    AlarmGroup,
}

impl Scope {
    /// Every scope.
    pub const ALL: [Scope; 8] = [
        Scope::Own,
        Scope::Units,
        Scope::All,
        Scope::Scheduled,
        Scope::Assigned,
        Scope::Keyed,
        Scope::Routine,
        Scope::AlarmGroup,
    ];

    /// The name in the policy file.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Own => "self",
            Scope::Units => "units",
            Scope::All => "all",
            Scope::Scheduled => "scheduled",
            Scope::Assigned => "assigned",
            Scope::Keyed => "keyed",
            Scope::Routine => "routine",
            Scope::AlarmGroup => "alarm_group",
        }
    }

    fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// What the audit log keeps of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audit {
    /// Nothing (the admin token's use is always logged).
    None,
    /// Every call, with the record before and after.
    Write,
    /// Every call that returns a brukare's personal data.
    Read,
}

impl Audit {
    /// The name in the policy file.
    pub fn as_str(self) -> &'static str {
        match self {
            Audit::None => "",
            Audit::Write => "write",
            Audit::Read => "read",
        }
    }
}

/// One operation: an endpoint (`route`) or a named action.
#[derive(Debug, Clone)]
pub struct Operation {
    /// `"POST /v1/staff"` or the action's name.
    pub key: String,
    /// The HTTP method, for an endpoint.
    pub method: Option<Method>,
    /// The route template, for an endpoint.
    pub path: Option<String>,
    /// What it does, for a person.
    pub summary: String,
    /// Needs no session.
    pub public: bool,
    /// What the audit log keeps.
    pub audit: Audit,
    /// The granting rule applies.
    pub grant: bool,
    allow: [Option<Scope>; 9],
}

impl Operation {
    /// The scope `p` has, or `None` when `p` may not call it.
    #[inline]
    pub fn scope_for(&self, p: Principal) -> Option<Scope> {
        self.allow.get(p.index()).copied().flatten()
    }

    /// Every principal that may call it, with its scope.
    pub fn allowed(&self) -> impl Iterator<Item = (Principal, Scope)> + '_ {
        PRINCIPALS
            .into_iter()
            .filter_map(|p| self.scope_for(p).map(|s| (p, s)))
    }
}

/// Which work a staff member is named for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// A visit to a brukare.
    Visit,
    /// A shift of this kind.
    Shift(ShiftKind),
    /// An order to the alarm group.
    Order,
}

/// One rule for messages under a routine step.
#[derive(Debug, Clone)]
pub struct MessageRule {
    /// The routine step, e.g. `R2.12`.
    pub step: String,
    /// What it is for.
    pub summary: String,
    /// Who sends under it.
    pub from: Vec<Role>,
    /// To whom.
    pub to: Vec<Role>,
    /// Also to every unit at once (`*`), or only to units the sender serves.
    pub all_units: bool,
}

/// The whole policy.
#[derive(Debug, Clone)]
pub struct Policy {
    ops: Vec<Operation>,
    by_path: HashMap<String, [Option<usize>; 5]>,
    by_action: HashMap<String, usize>,
    grants: [Vec<Role>; 9],
    several_units: Vec<Role>,
    work: HashMap<&'static str, Vec<Role>>,
    messages: Vec<MessageRule>,
}

fn method_index(m: &Method) -> Option<usize> {
    match *m {
        Method::GET => Some(0),
        Method::POST => Some(1),
        Method::PUT => Some(2),
        Method::PATCH => Some(3),
        Method::DELETE => Some(4),
        _ => None,
    }
}

fn work_key(w: Work) -> &'static str {
    match w {
        Work::Visit => "visit",
        Work::Shift(ShiftKind::Day) => "day_shift",
        Work::Shift(ShiftKind::Evening) => "evening_shift",
        Work::Shift(ShiftKind::Night) => "night_shift",
        Work::Order => "order",
    }
}

const WORK_KEYS: [&str; 5] = [
    "visit",
    "day_shift",
    "evening_shift",
    "night_shift",
    "order",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    operation: Vec<RawOperation>,
    grants: BTreeMap<String, Vec<String>>,
    serving: RawServing,
    work: BTreeMap<String, Vec<String>>,
    message: Vec<RawMessage>,
}

#[derive(Deserialize)]
struct RawOperation {
    route: Option<String>,
    action: Option<String>,
    summary: String,
    #[serde(default)]
    public: bool,
    audit: Option<String>,
    #[serde(default)]
    grant: bool,
    #[serde(flatten)]
    allow: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServing {
    several_units: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMessage {
    step: String,
    summary: String,
    from: Vec<String>,
    to: Vec<String>,
    units: String,
}

/// How far up the organisation a role sits, for the granting rule's own
/// check: care work 1; coordinating 2; holding keys to several units'
/// installations, deciding care, or managing a unit 3; the head of
/// operations 4.
pub fn rank(role: Role) -> u8 {
    match role {
        Role::CareWorker | Role::NightPatrol => 1,
        Role::Coordinator | Role::NightPatrolCoordinator => 2,
        Role::AlarmTechnician | Role::NeedsAssessor | Role::UnitManager => 3,
        Role::HeadOfOperations => 4,
    }
}

fn bad(msg: impl Into<String>) -> Error {
    Error::Config(format!("policy.toml: {}", msg.into()))
}

fn roles(list: &[String], what: &str) -> Result<Vec<Role>> {
    list.iter()
        .map(|r| Role::parse(r).map_err(|_| bad(format!("{what}: unknown role '{r}'"))))
        .collect()
}

impl Policy {
    /// The compiled-in policy.
    pub fn builtin() -> Result<Policy> {
        Policy::parse(POLICY_TOML)
    }

    /// Parses and checks a policy file.
    pub fn parse(text: &str) -> Result<Policy> {
        let raw: RawPolicy = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        let mut ops = Vec::with_capacity(raw.operation.len());
        let mut by_path: HashMap<String, [Option<usize>; 5]> = HashMap::new();
        let mut by_action = HashMap::new();
        for r in raw.operation {
            let (key, method, path) = match (&r.route, &r.action) {
                (Some(route), None) => {
                    let (m, p) = route
                        .split_once(' ')
                        .ok_or_else(|| bad(format!("route '{route}' must be 'METHOD /path'")))?;
                    let method = Method::from_bytes(m.as_bytes())
                        .map_err(|_| bad(format!("route '{route}': bad method")))?;
                    if !p.starts_with('/') {
                        return Err(bad(format!("route '{route}': the path must start with /")));
                    }
                    (route.clone(), Some(method), Some(p.to_owned()))
                }
                (None, Some(action)) => (action.clone(), None, None),
                _ => {
                    return Err(bad(format!(
                        "operation '{}' needs exactly one of route and action",
                        r.summary
                    )));
                }
            };
            let mut allow = [None; 9];
            for (who, scope) in &r.allow {
                let p = Principal::parse(who)
                    .ok_or_else(|| bad(format!("{key}: unknown key or role '{who}'")))?;
                let s = Scope::parse(scope)
                    .ok_or_else(|| bad(format!("{key}: {who}: unknown scope '{scope}'")))?;
                if p == Principal::Admin && !matches!(s, Scope::All | Scope::Own) {
                    return Err(bad(format!(
                        "{key}: admin has no device and no units: its scope is all or self"
                    )));
                }
                if let Some(slot) = allow.get_mut(p.index()) {
                    *slot = Some(s);
                }
            }
            if r.public && allow.iter().any(Option::is_some) {
                return Err(bad(format!("{key}: a public operation names no roles")));
            }
            if !r.public && allow.iter().all(Option::is_none) {
                return Err(bad(format!("{key}: nobody may call it")));
            }
            let audit = match r.audit.as_deref() {
                None => Audit::None,
                Some("write") => Audit::Write,
                Some("read") => Audit::Read,
                Some(other) => return Err(bad(format!("{key}: unknown audit '{other}'"))),
            };
            let idx = ops.len();
            match (&method, &path) {
                (Some(m), Some(p)) => {
                    let mi =
                        method_index(m).ok_or_else(|| bad(format!("{key}: unsupported method")))?;
                    let slots = by_path.entry(p.clone()).or_insert([None; 5]);
                    let slot = slots
                        .get_mut(mi)
                        .ok_or_else(|| bad(format!("{key}: unsupported method")))?;
                    if slot.replace(idx).is_some() {
                        return Err(bad(format!("{key} appears twice")));
                    }
                }
                _ => {
                    if by_action.insert(key.clone(), idx).is_some() {
                        return Err(bad(format!("{key} appears twice")));
                    }
                }
            }
            ops.push(Operation {
                key,
                method,
                path,
                summary: r.summary,
                public: r.public,
                audit,
                grant: r.grant,
                allow,
            });
        }
        let mut grants: [Vec<Role>; 9] = Default::default();
        for (who, list) in &raw.grants {
            let p = Principal::parse(who)
                .ok_or_else(|| bad(format!("grants: unknown role '{who}'")))?;
            if let Some(slot) = grants.get_mut(p.index()) {
                *slot = roles(list, "grants")?;
            }
        }
        // Nobody grants their own role or one above it (the admin token
        // makes the head of operations).
        for p in PRINCIPALS {
            if let Principal::Role(r) = p {
                for g in grants.get(p.index()).map(Vec::as_slice).unwrap_or(&[]) {
                    if rank(*g) >= rank(r) {
                        return Err(bad(format!(
                            "grants: {} may not grant {}, a role at or above its own",
                            r.as_str(),
                            g.as_str()
                        )));
                    }
                }
            }
        }
        let several_units = roles(&raw.serving.several_units, "serving")?;
        let mut work = HashMap::new();
        for (k, list) in &raw.work {
            let key = WORK_KEYS
                .into_iter()
                .find(|w| w == k)
                .ok_or_else(|| bad(format!("work: unknown kind '{k}'")))?;
            work.insert(key, roles(list, "work")?);
        }
        for k in WORK_KEYS {
            if !work.contains_key(k) {
                return Err(bad(format!("work: '{k}' is missing")));
            }
        }
        let mut messages = Vec::with_capacity(raw.message.len());
        for m in raw.message {
            let all_units = match m.units.as_str() {
                "served" => false,
                "all" => true,
                other => {
                    return Err(bad(format!("message {}: unknown units '{other}'", m.step)));
                }
            };
            crate::codec::check_routine_step(&m.step).map_err(|e| bad(e.to_string()))?;
            messages.push(MessageRule {
                from: roles(&m.from, "message")?,
                to: roles(&m.to, "message")?,
                step: m.step,
                summary: m.summary,
                all_units,
            });
        }
        Ok(Policy {
            ops,
            by_path,
            by_action,
            grants,
            several_units,
            work,
            messages,
        })
    }

    /// Every operation, in the file's order.
    pub fn operations(&self) -> &[Operation] {
        &self.ops
    }

    /// The operation of an endpoint (`path` is the route template).
    #[inline]
    pub fn route_index(&self, method: &Method, path: &str) -> Option<usize> {
        let mi = method_index(method)?;
        self.by_path.get(path)?.get(mi).copied().flatten()
    }

    /// The operation at `index`.
    pub fn operation(&self, index: usize) -> Option<&Operation> {
        self.ops.get(index)
    }

    /// An operation by its key (`"POST /v1/staff"`) or action name.
    pub fn find(&self, key: &str) -> Option<&Operation> {
        if let Some(i) = self.by_action.get(key) {
            return self.ops.get(*i);
        }
        let (m, p) = key.split_once(' ')?;
        let method = Method::from_bytes(m.as_bytes()).ok()?;
        self.route_index(&method, p).and_then(|i| self.ops.get(i))
    }

    /// The decision: the scope `p` has on `op`, or `None`.
    #[inline]
    pub fn decide(&self, op: usize, p: Principal) -> Option<Scope> {
        self.ops.get(op).and_then(|o| o.scope_for(p))
    }

    /// Whether `p` may create, enroll, change or revoke a person in `role`.
    pub fn may_grant(&self, p: Principal, role: Role) -> bool {
        self.grants
            .get(p.index())
            .is_some_and(|g| g.contains(&role))
    }

    /// The roles `p` may grant.
    pub fn grants(&self, p: Principal) -> &[Role] {
        self.grants.get(p.index()).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Whether someone in `role` may serve units besides their own.
    pub fn may_serve_several(&self, role: Role) -> bool {
        self.several_units.contains(&role)
    }

    /// Whether someone in `role` may be named for `work`.
    pub fn may_work(&self, work: Work, role: Role) -> bool {
        self.work
            .get(work_key(work))
            .is_some_and(|r| r.contains(&role))
    }

    /// The roles that may be named for `work`.
    pub fn workers(&self, work: Work) -> &[Role] {
        self.work
            .get(work_key(work))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The message rules.
    pub fn messages(&self) -> &[MessageRule] {
        &self.messages
    }

    /// Whether `from` may message `to` under `step`: `None` if not, else
    /// whether every unit at once (`*`) is allowed.
    pub fn may_message(&self, step: &str, from: Role, to: Role) -> Option<bool> {
        let mut found = None;
        for r in &self.messages {
            if r.step == step && r.from.contains(&from) && r.to.contains(&to) {
                found = Some(found.unwrap_or(false) || r.all_units);
            }
        }
        found
    }

    /// Fails unless every served route has exactly one operation and every
    /// route operation is served.
    pub fn check_routes(&self, served: &[(String, String)]) -> Result<()> {
        let mut missing = Vec::new();
        for (m, p) in served {
            let ok = Method::from_bytes(m.as_bytes())
                .ok()
                .and_then(|method| self.route_index(&method, p))
                .is_some();
            if !ok {
                missing.push(format!("{m} {p}"));
            }
        }
        if !missing.is_empty() {
            return Err(bad(format!(
                "these endpoints have no policy entry: {}",
                missing.join(", ")
            )));
        }
        let extra: Vec<&str> = self
            .ops
            .iter()
            .filter(|o| o.path.is_some())
            .filter(|o| {
                !served.iter().any(|(m, p)| {
                    Some(m.as_str()) == o.method.as_ref().map(Method::as_str)
                        && Some(p) == o.path.as_ref()
                })
            })
            .map(|o| o.key.as_str())
            .collect();
        if !extra.is_empty() {
            return Err(bad(format!(
                "these entries name no endpoint: {}",
                extra.join(", ")
            )));
        }
        Ok(())
    }

    /// The policy as the Markdown tables of `AUTHORIZATION.md`.
    pub fn markdown(&self) -> String {
        let short = |p: Principal| match p {
            Principal::Role(Role::CareWorker) => "CW",
            Principal::Role(Role::NightPatrol) => "NP",
            Principal::Role(Role::NightPatrolCoordinator) => "NPC",
            Principal::Role(Role::Coordinator) => "CO",
            Principal::Role(Role::AlarmTechnician) => "AT",
            Principal::Role(Role::UnitManager) => "UM",
            Principal::Role(Role::HeadOfOperations) => "HO",
            Principal::Role(Role::NeedsAssessor) => "NA",
            Principal::Admin => "admin",
        };
        let mut s = String::new();
        let _ = write!(s, "| operation | what |");
        for p in PRINCIPALS {
            let _ = write!(s, " {} |", short(p));
        }
        let _ = writeln!(s, " audit |");
        let _ = write!(s, "|---|---|");
        for _ in PRINCIPALS {
            let _ = write!(s, ":-:|");
        }
        let _ = writeln!(s, "---|");
        for o in &self.ops {
            let _ = write!(s, "| `{}` | {} |", o.key, o.summary);
            for p in PRINCIPALS {
                let cell = if o.public {
                    "public"
                } else {
                    o.scope_for(p).map(Scope::as_str).unwrap_or("–")
                };
                let _ = write!(s, " {cell} |");
            }
            let mut flags = o.audit.as_str().to_owned();
            if o.grant {
                if !flags.is_empty() {
                    flags.push_str(", ");
                }
                flags.push_str("grant");
            }
            let _ = writeln!(s, " {flags} |");
        }
        let _ = writeln!(s);
        let _ = writeln!(s, "| who | may grant |");
        let _ = writeln!(s, "|---|---|");
        for p in PRINCIPALS {
            let g = self.grants(p);
            if !g.is_empty() {
                let list: Vec<&str> = g.iter().map(|r| r.as_str()).collect();
                let _ = writeln!(s, "| {} | {} |", p.as_str(), list.join(", "));
            }
        }
        let _ = writeln!(s);
        let _ = writeln!(s, "| work | who may be named |");
        let _ = writeln!(s, "|---|---|");
        for k in WORK_KEYS {
            let list: Vec<&str> = self
                .work
                .get(k)
                .map(|v| v.iter().map(|r| r.as_str()).collect())
                .unwrap_or_default();
            let _ = writeln!(s, "| {k} | {} |", list.join(", "));
        }
        let several: Vec<&str> = self.several_units.iter().map(|r| r.as_str()).collect();
        let _ = writeln!(s, "| serve several units | {} |", several.join(", "));
        let _ = writeln!(s);
        let _ = writeln!(s, "| step | message | from | to | units |");
        let _ = writeln!(s, "|---|---|---|---|---|");
        for m in &self.messages {
            let from: Vec<&str> = m.from.iter().map(|r| r.as_str()).collect();
            let to: Vec<&str> = m.to.iter().map(|r| r.as_str()).collect();
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} |",
                m.step,
                m.summary,
                from.join(", "),
                to.join(", "),
                if m.all_units { "all" } else { "served" }
            );
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_policy_parses_and_covers_every_endpoint() {
        let p = Policy::builtin().unwrap();
        p.check_routes(&crate::api::route_table()).unwrap();
    }

    #[test]
    fn a_role_never_grants_its_own_role_or_one_above_it() {
        let p = Policy::builtin().unwrap();
        let c = Principal::Role(Role::Coordinator);
        assert!(p.may_grant(c, Role::CareWorker));
        for r in [
            Role::Coordinator,
            Role::AlarmTechnician,
            Role::UnitManager,
            Role::HeadOfOperations,
            Role::NeedsAssessor,
            Role::NightPatrolCoordinator,
        ] {
            assert!(!p.may_grant(c, r), "{}", r.as_str());
        }
        let ho = Principal::Role(Role::HeadOfOperations);
        assert!(!p.may_grant(ho, Role::HeadOfOperations));
        assert!(p.may_grant(Principal::Admin, Role::HeadOfOperations));
        for r in Role::ALL {
            assert!(!p.may_grant(Principal::Role(Role::CareWorker), *r));
        }
    }

    #[test]
    fn a_policy_with_a_typo_is_refused() {
        let bad = POLICY_TOML.replacen("coordinator = \"units\"", "cordinator = \"units\"", 1);
        assert!(Policy::parse(&bad).is_err());
        let bad = POLICY_TOML.replacen("coordinator = \"units\"", "coordinator = \"unit\"", 1);
        assert!(Policy::parse(&bad).is_err());
        let bad = POLICY_TOML.replacen("admin = \"all\"", "admin = \"units\"", 1);
        assert!(Policy::parse(&bad).is_err());
    }

    #[test]
    fn a_route_without_an_entry_fails_the_check() {
        let p = Policy::builtin().unwrap();
        let mut routes = crate::api::route_table();
        routes.push(("POST".into(), "/v1/new-thing".into()));
        let e = p.check_routes(&routes).unwrap_err().to_string();
        assert!(e.contains("POST /v1/new-thing"), "{e}");
    }

    #[test]
    fn messages_follow_the_routine_steps() {
        let p = Policy::builtin().unwrap();
        // R2.12 "Koordinatorn meddelar nattpatrullen ... senast kl 17.00".
        assert_eq!(
            p.may_message("R2.12", Role::Coordinator, Role::NightPatrol),
            Some(false)
        );
        assert_eq!(
            p.may_message("R2.12", Role::CareWorker, Role::NightPatrol),
            None
        );
        // R2.4: the unit manager contacts all unit managers.
        assert_eq!(
            p.may_message("R2.4", Role::UnitManager, Role::UnitManager),
            Some(true)
        );
        assert_eq!(
            p.may_message("R2.4", Role::CareWorker, Role::UnitManager),
            None
        );
    }
}
