//! A small PDF writer for the brukare's receipt: one A4 page with text
//! lines (Helvetica, WinAnsi so Swedish letters print) and the signature
//! strokes as drawn lines. PDF 1.4, no compression, nothing external.

/// A point of a drawn stroke, in the signature box's own units (0..=1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Pt {
    pub(crate) x: f32,
    pub(crate) y: f32,
}

/// Latin-1 (WinAnsi for these letters) bytes of `s`, escaped for a PDF
/// string; characters outside it become '?'.
fn pdf_string(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + 2);
    out.push(b'(');
    for c in s.chars() {
        let b = u32::from(c);
        let byte = if b < 0x100 {
            u8::try_from(b).unwrap_or(b'?')
        } else {
            b'?'
        };
        if matches!(byte, b'(' | b')' | b'\\') {
            out.push(b'\\');
        }
        out.push(byte);
    }
    out.push(b')');
    out
}

/// One page: `lines` of text from the top, then a signature box with the
/// strokes (empty strokes: a box with the confirmation text instead).
pub(crate) fn receipt_page(lines: &[String], box_label: &str, strokes: &[Vec<Pt>]) -> Vec<u8> {
    let mut content = Vec::new();
    content.extend_from_slice(b"BT /F1 10 Tf 13 TL 56 790 Td\n");
    for line in lines {
        content.extend_from_slice(&pdf_string(line));
        content.extend_from_slice(b" '\n");
    }
    content.extend_from_slice(b"ET\n");
    content.extend_from_slice(b"BT /F1 9 Tf 56 206 Td ");
    content.extend_from_slice(&pdf_string(box_label));
    content.extend_from_slice(b" Tj ET\n");
    // The signature box: 56..296 x 80..200 points.
    content.extend_from_slice(b"0.5 w 56 80 240 120 re S\n1.2 w\n");
    for stroke in strokes {
        for (i, p) in stroke.iter().enumerate() {
            let x = 56.0 + 240.0 * p.x.clamp(0.0, 1.0);
            let y = 80.0 + 120.0 * (1.0 - p.y.clamp(0.0, 1.0));
            let op = if i == 0 { "m" } else { "l" };
            content.extend_from_slice(format!("{x:.1} {y:.1} {op}\n").as_bytes());
        }
        if !stroke.is_empty() {
            content.extend_from_slice(b"S\n");
        }
    }
    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>".to_vec(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_vec(),
        [
            format!("<< /Length {} >>\nstream\n", content.len()).into_bytes(),
            content,
            b"\nendstream".to_vec(),
        ]
        .concat(),
    ];
    let mut pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        pdf.extend_from_slice(body);
        pdf.extend_from_slice(b"\nendobj\n");
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        pdf.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_a_well_formed_pdf_with_swedish_letters_and_strokes() {
        let pdf = receipt_page(
            &["Kvittens för låsvred (ö)".into()],
            "Underskrift",
            &[vec![Pt { x: 0.1, y: 0.5 }, Pt { x: 0.9, y: 0.4 }]],
        );
        assert!(pdf.starts_with(b"%PDF-1.4"));
        assert!(pdf.ends_with(b"%%EOF\n"));
        // å is 0xE5 and ö 0xF6 in WinAnsi.
        assert!(pdf.windows(3).any(|w| w == b"f\xf6r"));
        assert!(pdf.windows(1).any(|w| w == [0xe5]));
        // The xref offset points at the xref table.
        let text = String::from_utf8_lossy(&pdf);
        let at: usize = text
            .rsplit("startxref\n")
            .next()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(pdf[at..].starts_with(b"xref"));
        assert!(text.contains(" m\n") && text.contains(" l\nS\n"));
    }
}
