//! AUTHORIZATION.md shows the policy as it is: its tables are the ones
//! `Policy::markdown` makes from policy.toml. Run with
//! NYCKELFRI_UPDATE_DOCS=1 to rewrite them after changing the policy.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use nyckelfri_server::policy::Policy;

const BEGIN: &str = "<!-- BEGIN POLICY TABLE";
const END: &str = "<!-- END POLICY TABLE -->";

#[test]
fn authorization_md_shows_the_policy_as_it_is() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/AUTHORIZATION.md");
    let doc = std::fs::read_to_string(path).unwrap();
    let start = doc.find(BEGIN).expect("the begin marker");
    let start = start + doc[start..].find('\n').unwrap() + 1;
    let end = doc.find(END).expect("the end marker");
    let want = Policy::builtin().unwrap().markdown();
    if doc[start..end] != want {
        if std::env::var("NYCKELFRI_UPDATE_DOCS").is_ok_and(|v| v == "1") {
            let updated = format!("{}{}{}", &doc[..start], want, &doc[end..]);
            std::fs::write(path, updated).unwrap();
            return;
        }
        panic!(
            "AUTHORIZATION.md's tables differ from policy.toml; run the test with \
             NYCKELFRI_UPDATE_DOCS=1, or paste:\n{want}"
        );
    }
}
