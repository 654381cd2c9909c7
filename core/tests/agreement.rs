//! The brukare's receipt and responsibility agreement (R1.9): signed by the
//! technician's phone over the agreement's version and text hash and the
//! brukare's strokes; any later change is detected; a PDF to keep.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::World;
use nyckelfri_core::guidance::Language;
use nyckelfri_core::{BrukareConsent, NyckelfriError, SignatureStroke, StrokePoint};

fn strokes() -> Vec<SignatureStroke> {
    let line = |y: f32| SignatureStroke {
        points: (0..20)
            .map(|i| StrokePoint {
                x: 0.1 + i as f32 * 0.04,
                y: y + (i as f32 * 0.7).sin() * 0.1,
            })
            .collect(),
    };
    vec![line(0.4), line(0.6)]
}

#[test]
fn a_signed_receipt_verifies_and_any_change_is_detected_r1_9() {
    let w = World::new(1);
    let app = w.open_app();
    let r = app
        .sign_installation_receipt(
            "lock-1".into(),
            "b-7".into(),
            "Astrid B.".into(),
            1,
            Language::Swedish,
            BrukareConsent::Signed { strokes: strokes() },
        )
        .unwrap();
    assert!(app.verify_installation_receipt(r.clone()));
    let content: serde_json::Value = serde_json::from_str(&r.content_json).unwrap();
    assert_eq!(content["agreement_version"], 1);
    assert_eq!(content["consent"]["strokes"].as_array().unwrap().len(), 2);
    assert_eq!(content["agreement_sha256"].as_str().unwrap().len(), 64);

    // Someone edits the name afterwards: the hash no longer matches.
    let mut edited = r.clone();
    edited.content_json = edited.content_json.replace("Astrid B.", "Astrid C.");
    assert!(!app.verify_installation_receipt(edited.clone()));
    // ...and recomputing the hash does not help: the signature fails.
    edited.content_sha256 = hex::encode(nyckelfri_protocol::keys::sha256(
        edited.content_json.as_bytes(),
    ));
    assert!(!app.verify_installation_receipt(edited));

    // Queued for the server.
    let e = &app.recent_events(1).unwrap()[0];
    assert_eq!(e.kind, "installation_receipt");
    assert!(e.payload_json.contains(&r.content_sha256));

    // The PDF the brukare keeps: one page, the agreement and the checksum.
    let pdf = app
        .installation_receipt_pdf(r.clone(), Language::Swedish)
        .unwrap();
    assert!(pdf.starts_with(b"%PDF-1.4") && pdf.ends_with(b"%%EOF\n"));
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.contains(&r.content_sha256));
    assert!(text.contains("Kvittens och ansvarsavtal"));
    if let Ok(dir) = std::env::var("NYCKELFRI_PDF_OUT") {
        std::fs::write(format!("{dir}/receipt.pdf"), &pdf).unwrap();
    }
}

#[test]
fn an_empty_signature_or_unknown_version_is_refused_and_a_witness_can_confirm_r1_9() {
    let w = World::new(1);
    let app = w.open_app();
    let empty = BrukareConsent::Signed {
        strokes: vec![SignatureStroke { points: vec![] }],
    };
    assert!(matches!(
        app.sign_installation_receipt(
            "lock-1".into(),
            "b".into(),
            "B".into(),
            1,
            Language::Swedish,
            empty
        ),
        Err(NyckelfriError::InvalidInput { .. })
    ));
    // R1.9's exception names a second person and the reason; without
    // either it is refused.
    for (who, why) in [("", "skadad hand"), ("anhörig Eva S.", " ")] {
        assert!(matches!(
            app.sign_installation_receipt(
                "lock-1".into(),
                "b".into(),
                "B".into(),
                1,
                Language::Swedish,
                BrukareConsent::Confirmed {
                    witnessed_by: who.into(),
                    reason: why.into()
                }
            ),
            Err(NyckelfriError::InvalidInput { .. })
        ));
    }
    let witnessed = BrukareConsent::Confirmed {
        witnessed_by: "anhörig Eva S.".into(),
        reason: "skadad hand".into(),
    };
    assert!(matches!(
        app.sign_installation_receipt(
            "lock-1".into(),
            "b".into(),
            "B".into(),
            9,
            Language::Swedish,
            witnessed.clone()
        ),
        Err(NyckelfriError::InvalidInput { .. })
    ));
    let r = app
        .sign_installation_receipt(
            "lock-1".into(),
            "b".into(),
            "B".into(),
            1,
            Language::English,
            witnessed,
        )
        .unwrap();
    assert!(app.verify_installation_receipt(r.clone()));
    let pdf = app.installation_receipt_pdf(r, Language::English).unwrap();
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.contains("confirmed by: anh"), "{text}");
    assert!(text.contains("Reason: skadad hand"));
}
