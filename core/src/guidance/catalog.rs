//! The message catalogue: Fluent files for Swedish (the default) and
//! English, compiled into the library. Every text the worker reads comes
//! from here, never from string literals in code.

use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};

/// A language the app speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Language {
    /// Svenska (default).
    Swedish,
    /// English.
    English,
}

const SV: &str = include_str!("../../locales/sv/guidance.ftl");
const EN: &str = include_str!("../../locales/en/guidance.ftl");

fn bundle(lang: Language) -> Option<&'static FluentBundle<FluentResource>> {
    static SWEDISH: OnceLock<Option<FluentBundle<FluentResource>>> = OnceLock::new();
    static ENGLISH: OnceLock<Option<FluentBundle<FluentResource>>> = OnceLock::new();
    let (cell, source, tag) = match lang {
        Language::Swedish => (&SWEDISH, SV, "sv-SE"),
        Language::English => (&ENGLISH, EN, "en-GB"),
    };
    cell.get_or_init(|| {
        let resource = FluentResource::try_new(source.to_owned()).ok()?;
        let mut b = FluentBundle::new_concurrent(vec![tag.parse().ok()?]);
        // Phone numbers and places go into the text as they are.
        b.set_use_isolating(false);
        b.add_resource(resource).ok()?;
        Some(b)
    })
    .as_ref()
}

/// The text and title of message `id` with `args`. A missing message yields
/// its id, so a gap in a catalogue shows up rather than crashing.
pub(crate) fn text(lang: Language, id: &str, args: &[(&str, String)]) -> (String, String) {
    let Some(b) = bundle(lang) else {
        return (id.to_owned(), id.to_owned());
    };
    let Some(msg) = b.get_message(id) else {
        return (id.to_owned(), id.to_owned());
    };
    let mut fargs = FluentArgs::new();
    for (k, v) in args {
        fargs.set(*k, v.clone());
    }
    let mut errors = Vec::new();
    let body = msg
        .value()
        .map(|p| b.format_pattern(p, Some(&fargs), &mut errors).into_owned())
        .unwrap_or_else(|| id.to_owned());
    let title = msg
        .get_attribute("title")
        .map(|a| {
            b.format_pattern(a.value(), Some(&fargs), &mut errors)
                .into_owned()
        })
        .unwrap_or_else(|| id.to_owned());
    (body, title)
}

/// Every message id the guidance uses (tests check both catalogues have them).
#[cfg(test)]
pub(crate) const MESSAGE_IDS: [&str; 22] = [
    "ask-brukare-opens",
    "call-coordinator",
    "call-coordinator-closed",
    "evening-night-patrol",
    "evening-night-patrol-no-phone",
    "acute-key-handling-unit",
    "weekend-night-patrol-call",
    "day-spare-key",
    "night-key",
    "acute-key-handling",
    "document-outage",
    "weekend-night-patrol",
    "report-deviation",
    "decision-ended",
    "major-outage",
    "sync-keys",
    "key-not-yet-valid",
    "low-battery",
    "demo-open",
    "demo-lock",
    "demo-phone-fails",
    "demo-lock-fails",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogues_have_every_message_with_a_title() {
        for lang in [Language::Swedish, Language::English] {
            let b = bundle(lang).expect("catalogue parses");
            for id in MESSAGE_IDS {
                let m = b
                    .get_message(id)
                    .unwrap_or_else(|| panic!("{lang:?} lacks {id}"));
                assert!(
                    m.value().is_some() && m.get_attribute("title").is_some(),
                    "{lang:?} {id}"
                );
            }
        }
    }

    #[test]
    fn arguments_are_placed_without_isolation_marks() {
        let (body, title) = text(
            Language::Swedish,
            "call-coordinator",
            &[("phone", "08-123 45".into())],
        );
        assert_eq!(
            body,
            "Ring koordinatorn på 08-123 45 för hjälp med planeringen."
        );
        assert_eq!(title, "Ring koordinatorn");
        let (body, _) = text(
            Language::English,
            "call-coordinator",
            &[("phone", "08-123 45".into())],
        );
        assert!(body.starts_with("Call the coordinator on 08-123 45"));
    }
}
