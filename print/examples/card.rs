//! Writes a sample card to the given path (for looking at it).
use nyckelfri_print::card::{CardLanguage, CardSettings, card_pdf};

fn main() {
    let s = CardSettings {
        unit_name: "Hemtjänst Tumba".into(),
        coordinator_phone: "+46 8 530 610 10".into(),
        office_opens: "07:00".into(),
        office_closes: "17:00".into(),
        day_key_location: "Nyckelskåpet på enheten, Hemtjänst Tumba (Demotorget 2, plan 1)".into(),
        night_key_location: "Orrens servicehus, nattpatrullens nyckelskåp".into(),
        night_patrol_phone: Some("+46 8 530 610 99".into()),
        night_patrol_deadline: "17:00".into(),
        acute_key_routine: Some("Ta extranyckeln ur skåpet, kvittera den i pärmen med namn och tid, och lämna tillbaka den samma pass. Tappad nyckel: ring koordinatorn direkt.".into()),
    };
    let path = std::env::args().nth(1).unwrap_or_else(|| "card.pdf".into());
    let lang = if path.contains("-en") {
        CardLanguage::English
    } else {
        CardLanguage::Swedish
    };
    if let Err(e) = std::fs::write(&path, card_pdf(&s, lang, "2026-11-23")) {
        eprintln!("{path}: {e}");
    }
}
