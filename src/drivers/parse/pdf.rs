//! The text layer of a PDF (the DOL weekly claims release), through `pdf-extract`: fonts with
//! their encodings and `ToUnicode` maps, embedded TrueType subsets (glyph ids in hex strings)
//! as word processors write them, and compressed object streams. A file it cannot read is an
//! error, never a panic.

/// The text of every page, in reading order; why not when the file cannot be read.
pub fn text(bytes: &[u8]) -> Result<String, String> {
    // A malformed file must not take the process down: a panic inside the reader is an error.
    match std::panic::catch_unwind(|| pdf_extract::extract_text_from_mem(bytes)) {
        Ok(Ok(text)) => Ok(text),
        Ok(Err(e)) => Err(format!("the PDF's text cannot be read: {e}")),
        Err(_) => Err("the PDF's text cannot be read (the reader failed on this file)".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_from_the_bundled_release_and_an_error_for_garbage() {
        let bytes = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/data/claims_release/ui_claims_2025-11-26.pdf"
        ))
        .unwrap();
        let t = text(&bytes).unwrap();
        assert!(t.contains("the advance figure for seasonally adjusted initial claims was"), "{t}");
        assert!(text(b"%PDF-1.5\nnot a pdf at all").is_err());
    }
}
