//! Attachments are accepted by what they contain, not by what they are called.

/// The largest attachment accepted, in bytes (10 MB).
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

/// The content type of a PDF, PNG or JPEG file by its content; `None` for anything else. A
/// PDF must also be built as one (see `is_pdf`): five bytes of header before an HTML page do
/// not make a drawing.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        is_pdf(bytes).then_some("application/pdf")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else {
        None
    }
}

/// Whether `bytes` are laid out as a PDF file (ISO 32000-1 §7.5): the header `%PDF-n.m`, an
/// end-of-file marker `%%EOF` near the end, preceded by `startxref` and the offset of a
/// cross-reference section (`xref`) or stream (`n g obj`) that really stands there.
pub fn is_pdf(bytes: &[u8]) -> bool {
    let header = bytes.get(..8).unwrap_or_default();
    let version_ok = header.len() == 8
        && header[5].is_ascii_digit()
        && header[6] == b'.'
        && header[7].is_ascii_digit();
    if !version_ok {
        return false;
    }
    let tail_start = bytes.len().saturating_sub(1024);
    let tail = &bytes[tail_start..];
    let Some(eof) = rfind(tail, b"%%EOF") else {
        return false;
    };
    let Some(startxref) = rfind(&tail[..eof], b"startxref") else {
        return false;
    };
    let digits: String = tail[startxref + b"startxref".len()..eof]
        .iter()
        .map(|&b| b as char)
        .collect();
    let Ok(offset) = digits.trim().parse::<usize>() else {
        return false;
    };
    let Some(at) = bytes.get(offset..tail_start + startxref) else {
        return false;
    };
    if at.starts_with(b"xref") {
        return true;
    }
    // A cross-reference stream: "12 0 obj".
    let text: String = at.iter().take(32).map(|&b| b as char).collect();
    let mut words = text.split_ascii_whitespace();
    matches!(
        (words.next(), words.next(), words.next()),
        (Some(n), Some(g), Some(obj)) if n.bytes().all(|b| b.is_ascii_digit())
            && g.bytes().all(|b| b.is_ascii_digit())
            && obj.starts_with("obj")
    )
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

/// A one-page A4 PDF that says `text` (ASCII): the demo's placeholder drawings and plans,
/// and what tests upload.
pub fn sample_pdf(text: &str) -> Vec<u8> {
    let escaped: String = text
        .chars()
        .filter(|c| c.is_ascii() && !c.is_ascii_control())
        .flat_map(|c| match c {
            '(' | ')' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    let content = format!("BT /F1 18 Tf 72 770 Td ({escaped}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_string(),
        format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
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

/// A file name safe to show and to put in a download header: the last path part, without
/// control characters or quotes, at most 200 characters.
pub fn clean_filename(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(200)
        .collect();
    let cleaned = cleaned.trim().to_string();
    if cleaned.is_empty() {
        "attachment".to_string()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_by_content() {
        assert_eq!(
            sniff(&sample_pdf("contour (126 m)")),
            Some("application/pdf")
        );
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0"), Some("image/png"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"MZ\x90\0 an executable named drawing.pdf"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn a_pdf_is_known_by_its_structure() {
        let pdf = sample_pdf("escort plan");
        assert!(is_pdf(&pdf));
        // Five bytes and then a web page.
        assert!(!is_pdf(b"%PDF-<html><script>alert(1)</script></html>"));
        assert_eq!(sniff(b"%PDF-1.4\n<html><body>hi</body></html>\n"), None);
        // The end marker without a cross-reference where startxref points.
        let mut forged = b"%PDF-1.4\n<html>".to_vec();
        forged.extend_from_slice(b"\nstartxref\n3\n%%EOF\n");
        assert!(!is_pdf(&forged));
        // Truncated: no end marker.
        assert!(!is_pdf(&pdf[..pdf.len() - 8]));
        // An offset past the end.
        let mut far = pdf.clone();
        let at = rfind(&far, b"startxref").unwrap();
        far.truncate(at);
        far.extend_from_slice(b"startxref\n999999\n%%EOF\n");
        assert!(!is_pdf(&far));
    }

    #[test]
    fn filenames_are_cleaned() {
        assert_eq!(clean_filename("C:\\Users\\wang\\轮廓图.pdf"), "轮廓图.pdf");
        assert_eq!(clean_filename("../../etc/passwd"), "passwd");
        assert_eq!(clean_filename("a\"b\n.pdf"), "ab.pdf");
        assert_eq!(clean_filename(""), "attachment");
    }
}
