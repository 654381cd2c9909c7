//! The unit's printable routine card (R2: "Denna rutin finns för att alla
//! medarbetare som arbetar i hemtjänsten ska veta hur man gör när
//! låsvreden är ur funktion eller om appen inte fungerar"): one A4 page, in
//! Swedish or English, with the coordinator's and the night patrol's
//! numbers, where the day and night keys are, the unit's own acute key
//! routine and the steps — from the same unit settings the app's guidance
//! uses, so that the fallback is there when the app is not.

use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};

use crate::pdf::{self, Line, Style};

/// The card's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardLanguage {
    /// Svenska (default).
    Swedish,
    /// English.
    English,
}

/// What the card says about the unit: its settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardSettings {
    /// The unit's name.
    pub unit_name: String,
    /// The coordinator's number (R2.6).
    pub coordinator_phone: String,
    /// The office's hours, "HH:MM" (R2.13).
    pub office_opens: String,
    /// When it closes.
    pub office_closes: String,
    /// Where the day spare keys are (R2.1).
    pub day_key_location: String,
    /// Where the night/alarm keys are (R2.2).
    pub night_key_location: String,
    /// The night patrol's number (R2.12, R2.13), if set.
    pub night_patrol_phone: Option<String>,
    /// The night patrol's deadline, "HH:MM" (R2.12).
    pub night_patrol_deadline: String,
    /// The unit's acute key routine in the card's language (R2.8), if set.
    pub acute_key_routine: Option<String>,
}

const SV: &str = include_str!("../locales/sv/card.ftl");
const EN: &str = include_str!("../locales/en/card.ftl");

fn bundle(lang: CardLanguage) -> Option<&'static FluentBundle<FluentResource>> {
    static SWEDISH: OnceLock<Option<FluentBundle<FluentResource>>> = OnceLock::new();
    static ENGLISH: OnceLock<Option<FluentBundle<FluentResource>>> = OnceLock::new();
    let (cell, source, tag) = match lang {
        CardLanguage::Swedish => (&SWEDISH, SV, "sv-SE"),
        CardLanguage::English => (&ENGLISH, EN, "en-GB"),
    };
    cell.get_or_init(|| {
        let resource = FluentResource::try_new(source.to_owned()).ok()?;
        let mut b = FluentBundle::new_concurrent(vec![tag.parse().ok()?]);
        b.set_use_isolating(false);
        b.add_resource(resource).ok()?;
        Some(b)
    })
    .as_ref()
}

/// The text of message `id`; its id when missing, so a gap shows.
fn text(lang: CardLanguage, id: &str, args: &[(&str, &str)]) -> String {
    let Some(msg) = bundle(lang).and_then(|b| b.get_message(id).map(|m| (b, m))) else {
        return id.to_owned();
    };
    let (b, msg) = msg;
    let mut fargs = FluentArgs::new();
    for (k, v) in args {
        fargs.set(*k, v.to_string());
    }
    let mut errors = Vec::new();
    msg.value()
        .map(|p| b.format_pattern(p, Some(&fargs), &mut errors).into_owned())
        .unwrap_or_else(|| id.to_owned())
}

/// The card's lines; `printed` is the date it is printed ("2026-11-23").
pub fn card_lines(s: &CardSettings, lang: CardLanguage, printed: &str) -> Vec<Line> {
    let t = |id: &str, args: &[(&str, &str)]| text(lang, id, args);
    let mut lines = vec![
        Line::new(Style::Title, t("card-title", &[("unit", &s.unit_name)])),
        Line::new(Style::Body, t("card-routine", &[])),
        Line::new(Style::Heading, t("card-heading-numbers", &[])),
        Line::new(
            Style::Body,
            t(
                "card-coordinator-phone",
                &[
                    ("phone", &s.coordinator_phone),
                    ("opens", &s.office_opens),
                    ("closes", &s.office_closes),
                ],
            ),
        ),
    ];
    if let Some(p) = s
        .night_patrol_phone
        .as_deref()
        .filter(|p| !p.trim().is_empty())
    {
        lines.push(Line::new(
            Style::Body,
            t("card-night-patrol-phone", &[("phone", p)]),
        ));
    }
    lines.extend([
        Line::new(Style::Heading, t("card-heading-keys", &[])),
        Line::new(
            Style::Body,
            t("card-day-key", &[("place", &s.day_key_location)]),
        ),
        Line::new(
            Style::Body,
            t("card-night-key", &[("place", &s.night_key_location)]),
        ),
        Line::new(Style::Heading, t("card-heading-steps", &[])),
        Line::new(Style::Body, t("card-step-ask", &[])),
        Line::new(Style::Body, t("card-step-call", &[])),
        Line::new(Style::Body, t("card-step-key", &[])),
    ]);
    match s
        .acute_key_routine
        .as_deref()
        .filter(|r| !r.trim().is_empty())
    {
        Some(routine) => {
            lines.push(Line::new(Style::Body, t("card-step-acute", &[])));
            lines.push(Line::new(Style::Body, routine.to_owned()).indented(14.0));
        }
        None => lines.push(Line::new(Style::Body, t("card-step-acute-none", &[]))),
    }
    lines.extend([
        Line::new(Style::Body, t("card-step-document", &[])),
        Line::new(
            Style::Body,
            t(
                "card-step-evening",
                &[("deadline", &s.night_patrol_deadline)],
            ),
        ),
        Line::new(
            Style::Body,
            t(
                "card-step-weekend",
                &[("opens", &s.office_opens), ("closes", &s.office_closes)],
            ),
        ),
        Line::new(Style::Body, t("card-step-deviation", &[])),
        Line::new(Style::Body, String::new()),
        Line::new(Style::Body, t("card-major", &[])),
        Line::new(Style::Body, String::new()),
        Line::new(Style::Small, t("card-printed", &[("date", printed)])),
    ]);
    lines
}

/// The card as a one-page PDF.
pub fn card_pdf(s: &CardSettings, lang: CardLanguage, printed: &str) -> Vec<u8> {
    pdf::page(&card_lines(s, lang, printed))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn settings() -> CardSettings {
        CardSettings {
            unit_name: "Hemtjänst Tumba".into(),
            coordinator_phone: "+46 8 530 610 10".into(),
            office_opens: "07:00".into(),
            office_closes: "17:00".into(),
            day_key_location: "Nyckelskåpet på enheten, Demotorget 2".into(),
            night_key_location: "Orrens servicehus".into(),
            night_patrol_phone: Some("+46 8 530 610 99".into()),
            night_patrol_deadline: "17:00".into(),
            acute_key_routine: Some("Kvittera nyckeln i pärmen.".into()),
        }
    }

    #[test]
    fn every_message_of_the_card_is_in_both_languages() {
        for lang in [CardLanguage::Swedish, CardLanguage::English] {
            for l in card_lines(&settings(), lang, "2026-11-23") {
                assert!(!l.text.starts_with("card-"), "{lang:?} lacks {}", l.text);
            }
        }
    }

    #[test]
    fn the_card_is_one_page_with_the_numbers_keys_and_steps() {
        let pdf = card_pdf(&settings(), CardLanguage::Swedish, "2026-11-23");
        assert!(pdf::is_one_page(&pdf));
        let text = pdf::text_of(&pdf).join("\n");
        for needle in [
            "+46 8 530 610 10",
            "+46 8 530 610 99",
            "Nyckelskåpet på enheten, Demotorget 2",
            "Orrens servicehus",
            "Kvittera nyckeln i pärmen.",
            "vardagar 07:00–17:00",
        ] {
            assert!(text.contains(needle), "{needle} not in {text}");
        }
    }
}
