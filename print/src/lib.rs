//! One-page PDFs for Nyckelfri: the brukare's installation receipt (R1.9,
//! made on the technician's phone) and the unit's printable routine card
//! (R2, served by the server so it is there when the app is not). One
//! small writer, no dependencies but Fluent for the card's texts.

pub mod card;
pub mod pdf;
