//! The OpenAPI description is served, and matches the router exactly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeSet;

use common::{Backend, TestServer};
use serde_json::Value;

fn collect_refs(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "$ref"
                    && let Some(s) = x.as_str()
                {
                    out.insert(s.to_owned());
                }
                collect_refs(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

async fn the_openapi_description_matches_the_routes(b: Backend) {
    let s = TestServer::start(b).await;
    let doc = s.req("GET", "/openapi.json", None, None).await.ok();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert_eq!(doc["info"]["title"], "Nyckelfri server");
    let paths = doc["paths"].as_object().unwrap();

    let documented: BTreeSet<(String, String)> = paths
        .iter()
        .flat_map(|(p, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|k| ["get", "post", "put", "patch", "delete"].contains(&k.as_str()))
                .map(move |m| (m.to_uppercase(), p.clone()))
        })
        .collect();
    let served: BTreeSet<(String, String)> =
        nyckelfri_server::api::route_table().into_iter().collect();
    assert_eq!(documented, served, "documented vs served endpoints differ");

    for (method, path) in &served {
        let op = &paths[path][method.to_lowercase()];
        assert!(
            op["summary"].as_str().is_some_and(|d| !d.is_empty())
                || op["description"].as_str().is_some_and(|d| !d.is_empty()),
            "{method} {path} has no description"
        );
        let responses = op["responses"].as_object().unwrap();
        assert!(
            responses.contains_key("200"),
            "{method} {path} documents no 200"
        );
        // Authenticated endpoints say so, and document 401.
        if op.get("security").is_some() {
            assert!(
                responses.contains_key("401"),
                "{method} {path} documents no 401"
            );
        }
        // Who may call it, from the policy: roles and their scopes, or public.
        let who = op["x-authorization"]
            .as_object()
            .unwrap_or_else(|| panic!("{method} {path} has no x-authorization"));
        assert!(!who.is_empty(), "{method} {path}");
        assert_eq!(
            op.get("security").is_none(),
            who.get("public") == Some(&Value::Bool(true)),
            "{method} {path}: public in the policy iff no security in the description"
        );
        // Every documented path is routed (the fallback would say route_not_found).
        let concrete = path.replace("{id}", "x");
        let r = s.req(method, &concrete, None, None).await;
        assert_ne!(r.body["error"], "route_not_found", "{method} {path}");
        assert_ne!(r.status.as_u16(), 405, "{method} {path}");
    }

    // Every schema a path refers to is defined.
    let mut refs = BTreeSet::new();
    collect_refs(&doc, &mut refs);
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for r in &refs {
        let name = r.strip_prefix("#/components/schemas/").unwrap();
        assert!(schemas.contains_key(name), "{r} is not defined");
    }
    for needed in [
        "Bundle",
        "IssuedToken",
        "NoKey",
        "NoKeyReason",
        "ErrorBody",
        "EventBatch",
        "RevocationInfo",
        // Routine R2: the outage report the app sends, the case, deviations.
        "OutageReportData",
        "ReportStep",
        "Outage",
        "DecisionCheck",
        "OutageMessageResponse",
        "Deviation",
        // Issue 14: the audit log, staff changes, the managers' events.
        "AuditEntry",
        "UpdateStaff",
        "StaffChange",
        "StoredEvent",
        "CreateMaintenanceOrder",
    ] {
        assert!(schemas.contains_key(needed), "schema {needed} missing");
    }
    let reasons: Vec<&str> = schemas["NoKeyReason"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for r in [
        "decision_ended",
        "lock_removed",
        "device_revoked",
        "not_scheduled",
        "no_order",
        "order_not_due",
    ] {
        assert!(reasons.contains(&r), "NoKeyReason lacks {r}");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["session"]["scheme"]
            .as_str()
            .map(str::to_lowercase),
        Some("bearer".to_owned())
    );
    s.stop().await;
}
backend_test!(
    the_openapi_description_matches_the_routes_t,
    the_openapi_description_matches_the_routes
);
