//! A small PDF writer: one A4 page of text lines (Helvetica and
//! Helvetica-Bold in WinAnsi, so Swedish letters and dashes print), wrapped
//! to the page and shrunk until they fit on it, and optionally a signature
//! box with drawn strokes (the brukare's receipt, R1.9). PDF 1.4, no
//! compression, nothing external.

/// A point of a drawn stroke, in the signature box's own units (0..=1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pt {
    /// Across, 0 (left) to 1 (right).
    pub x: f32,
    /// Down, 0 (top) to 1 (bottom).
    pub y: f32,
}

/// How a line looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// The page's title: large and bold.
    Title,
    /// A heading: bold.
    Heading,
    /// Running text.
    Body,
    /// Small print at the foot.
    Small,
}

impl Style {
    fn size(self) -> f32 {
        match self {
            Style::Title => 17.0,
            Style::Heading => 12.0,
            Style::Body => 10.5,
            Style::Small => 8.0,
        }
    }

    fn bold(self) -> bool {
        matches!(self, Style::Title | Style::Heading)
    }
}

/// One line (or paragraph: it is wrapped) of a page.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// How it looks.
    pub style: Style,
    /// The text; empty for a gap.
    pub text: String,
    /// Indent in points (hanging lines of a step keep it).
    pub indent: f32,
}

impl Line {
    /// A line in `style`.
    pub fn new(style: Style, text: impl Into<String>) -> Line {
        Line {
            style,
            text: text.into(),
            indent: 0.0,
        }
    }

    /// The same line indented by `points`.
    pub fn indented(mut self, points: f32) -> Line {
        self.indent = points;
        self
    }
}

/// A4 in points.
const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 50.0;
/// Helvetica's widest common glyphs are about 0.56 em; wrapping at that
/// width keeps every line inside the margins.
const EM_WIDTH: f32 = 0.56;
/// Smallest scale before lines are cut.
const MIN_SCALE: f32 = 0.6;

/// The WinAnsi byte of `c`, if it has one.
fn win_ansi(c: char) -> Option<u8> {
    let b = u32::from(c);
    match c {
        '€' => Some(0x80),
        '…' => Some(0x85),
        '‘' => Some(0x91),
        '’' => Some(0x92),
        '“' => Some(0x93),
        '”' => Some(0x94),
        '•' => Some(0x95),
        '–' => Some(0x96),
        '—' => Some(0x97),
        _ if b < 0x80 || (0xA0..0x100).contains(&b) => u8::try_from(b).ok(),
        _ => None,
    }
}

/// `s` as a PDF string in WinAnsi, escaped; characters outside it become '?'.
fn pdf_string(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + 2);
    out.push(b'(');
    for c in s.chars() {
        let byte = win_ansi(c).unwrap_or(b'?');
        if matches!(byte, b'(' | b')' | b'\\') {
            out.push(b'\\');
        }
        out.push(byte);
    }
    out.push(b')');
    out
}

/// Splits `text` into lines of at most `width` characters, at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(8);
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut cur = String::new();
        for word in para.split(' ') {
            let mut word = word.to_owned();
            // A word longer than a line is cut.
            while word.chars().count() > width {
                if !cur.is_empty() {
                    lines.push(std::mem::take(&mut cur));
                }
                let head: String = word.chars().take(width).collect();
                word = word.chars().skip(width).collect();
                lines.push(head);
            }
            let needed = cur.chars().count() + usize::from(!cur.is_empty()) + word.chars().count();
            if needed > width && !cur.is_empty() {
                lines.push(std::mem::take(&mut cur));
            }
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(&word);
        }
        lines.push(cur);
    }
    lines
}

/// A laid-out line: style, scale, indent and text.
struct Placed {
    bold: bool,
    size: f32,
    x: f32,
    y: f32,
    text: String,
}

/// Lays `lines` out from the top at `scale`, as far down as they go.
fn layout(lines: &[Line], scale: f32) -> Vec<Placed> {
    let mut y = PAGE_H - MARGIN;
    let mut out = Vec::new();
    for line in lines {
        let size = line.style.size() * scale;
        let leading = size * 1.3;
        if line.text.is_empty() {
            y -= leading * 0.6;
            continue;
        }
        let usable = PAGE_W - 2.0 * MARGIN - line.indent;
        let width = (usable / (size * EM_WIDTH)) as usize;
        if matches!(line.style, Style::Title | Style::Heading) {
            y -= size * 0.4;
        }
        for part in wrap(&line.text, width) {
            y -= leading;
            out.push(Placed {
                bold: line.style.bold(),
                size,
                x: MARGIN + line.indent,
                y,
                text: part,
            });
        }
    }
    out
}

/// The page's content stream for `lines` above `bottom`: at the largest
/// scale (down to 0.6) at which they fit; below that, the lines that fit
/// and a last line "…" saying the rest is cut.
fn text_stream(lines: &[Line], bottom: f32) -> Vec<u8> {
    let mut scale = 1.0_f32;
    let placed = loop {
        let placed = layout(lines, scale);
        if placed.last().is_none_or(|p| p.y >= bottom) {
            break placed;
        }
        if scale <= MIN_SCALE + 0.001 {
            let mark = Style::Small.size() * MIN_SCALE * 1.3;
            let mut kept: Vec<Placed> = placed
                .into_iter()
                .take_while(|p| p.y >= bottom + mark)
                .collect();
            let y = kept.last().map_or(PAGE_H - MARGIN, |p| p.y) - mark;
            kept.push(Placed {
                bold: false,
                size: Style::Small.size() * MIN_SCALE,
                x: MARGIN,
                y,
                text: "…".into(),
            });
            break kept;
        }
        scale = (scale - 0.05).max(MIN_SCALE);
    };
    let mut content = Vec::new();
    for p in placed {
        let font = if p.bold { "F2" } else { "F1" };
        content.extend_from_slice(
            format!("BT /{font} {:.1} Tf {:.1} {:.1} Td ", p.size, p.x, p.y).as_bytes(),
        );
        content.extend_from_slice(&pdf_string(&p.text));
        content.extend_from_slice(b" Tj ET\n");
    }
    content
}

/// A one-page PDF of `lines`.
pub fn page(lines: &[Line]) -> Vec<u8> {
    document(text_stream(lines, MARGIN))
}

/// One page: `lines` of text from the top, then a signature box labelled
/// `box_label` with the strokes as drawn lines (R1.9: the brukare's
/// receipt; no strokes: an empty box).
pub fn receipt_page(lines: &[String], box_label: &str, strokes: &[Vec<Pt>]) -> Vec<u8> {
    let lines: Vec<Line> = lines
        .iter()
        .map(|l| Line::new(Style::Body, l.clone()))
        .collect();
    let mut content = text_stream(&lines, 220.0);
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
    document(content)
}

/// The file around one page's content stream.
fn document(content: Vec<u8>) -> Vec<u8> {
    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R /F2 6 0 R >> >> /Contents 5 0 R >>".to_vec(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_vec(),
        [
            format!("<< /Length {} >>\nstream\n", content.len()).into_bytes(),
            content,
            b"\nendstream".to_vec(),
        ]
        .concat(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"
            .to_vec(),
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

/// The text a PDF made here shows, line by line in page order (for tests
/// and checks: reads back this writer's strings only).
pub fn text_of(pdf: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(start) = pdf
        .get(i..)
        .and_then(|rest| rest.iter().position(|&b| b == b'('))
    {
        let mut j = i + start + 1;
        let mut s = String::new();
        while let Some(&b) = pdf.get(j) {
            match b {
                b'\\' => {
                    j += 1;
                    if let Some(&e) = pdf.get(j) {
                        s.push(char::from(e));
                    }
                }
                b')' => break,
                0x96 => s.push('–'),
                0x97 => s.push('—'),
                0x85 => s.push('…'),
                0x95 => s.push('•'),
                other => s.push(char::from(other)),
            }
            j += 1;
        }
        // Only strings shown with Tj are text.
        if pdf.get(j + 1..j + 4) == Some(b" Tj".as_slice()) {
            out.push(s);
        }
        i = j + 1;
    }
    out
}

/// Whether `pdf` is one well-formed page as this writer makes them: the
/// header, one page, an xref whose offsets point at its objects.
pub fn is_one_page(pdf: &[u8]) -> bool {
    let text = String::from_utf8_lossy(pdf);
    let Some(at) = text
        .rsplit("startxref\n")
        .next()
        .and_then(|t| t.lines().next())
        .and_then(|l| l.parse::<usize>().ok())
    else {
        return false;
    };
    pdf.starts_with(b"%PDF-1.4")
        && pdf.ends_with(b"%%EOF\n")
        && pdf.get(at..).is_some_and(|x| x.starts_with(b"xref"))
        && text.matches("/Type /Page ").count() == 1
        && text.contains("/Count 1")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn a_receipt_is_a_well_formed_pdf_with_swedish_letters_and_strokes() {
        let pdf = receipt_page(
            &["Kvittens för låsvred (ö)".into()],
            "Underskrift",
            &[vec![Pt { x: 0.1, y: 0.5 }, Pt { x: 0.9, y: 0.4 }]],
        );
        assert!(is_one_page(&pdf));
        // å is 0xE5 and ö 0xF6 in WinAnsi.
        assert!(pdf.windows(3).any(|w| w == b"f\xf6r"));
        assert!(pdf.windows(1).any(|w| w == [0xe5]));
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains(" m\n") && text.contains(" l\nS\n"));
        assert_eq!(text_of(&pdf), ["Kvittens för låsvred (ö)", "Underskrift"]);
    }

    #[test]
    fn long_text_wraps_and_shrinks_to_stay_on_one_page() {
        let long = "Hämta nyckeln i skåpet – kvittera den i pärmen. ".repeat(12);
        let lines: Vec<Line> = (0..40)
            .map(|i| Line::new(Style::Body, format!("{i}. {long}")))
            .collect();
        let pdf = page(&lines);
        assert!(is_one_page(&pdf));
        let shown = text_of(&pdf);
        // Cut with a mark, and every shown line within the width.
        assert_eq!(shown.last().map(String::as_str), Some("…"));
        assert!(shown.iter().all(|l| l.chars().count() <= 150));
        // The en dash prints as WinAnsi 0x96, not '?'.
        assert!(pdf.contains(&0x96));
        // Short text keeps its size.
        let pdf = page(&[Line::new(Style::Title, "Kort")]);
        assert!(String::from_utf8_lossy(&pdf).contains("/F2 17.0 Tf"));
    }

    #[test]
    fn words_wrap_at_spaces() {
        assert_eq!(wrap("aaaa bbbb cccc", 9), ["aaaa bbbb", "cccc"]);
        assert_eq!(wrap("abcdefghijkl", 8), ["abcdefgh", "ijkl"]);
        assert_eq!(wrap("a\nb", 10), ["a", "b"]);
    }
}
