//! What a run produces: sites with verdicts, findings, and file changes.
//! The sites and findings are wire formats and live in the `model` crate
//! (re-exported here so that transforms and patterns name them as before);
//! the snippet excerpts and [`FileChange`] (in memory only) stay here.

pub use ::model::scan::{Finding, Note, Severity, Site, Verdict};

/// The longest excerpt of source a site keeps as its snippet, in bytes.
pub const MAX_SNIPPET_BYTES: usize = 200;

/// `text` as a snippet: trimmed, and cut (on a character boundary, marked
/// `…`) past `MAX_SNIPPET_BYTES`, so that thousands of sites on one long
/// line do not each keep a copy of the line.
pub fn excerpt(text: &[u8]) -> String {
    let mut cut = text.len().min(MAX_SNIPPET_BYTES);
    while cut > 0 && cut < text.len() && text[cut] & 0xC0 == 0x80 {
        cut -= 1;
    }
    let kept = String::from_utf8_lossy(&text[..cut]);
    if cut < text.len() {
        format!("{}…", kept.trim())
    } else {
        kept.trim().to_string()
    }
}

/// The snippet of a site starting at `at`: the rest of its line, as an
/// excerpt; only `MAX_SNIPPET_BYTES` of the line are looked at.
pub fn first_line_excerpt(bytes: &[u8], at: usize) -> String {
    let window = &bytes[at..bytes.len().min(at + MAX_SNIPPET_BYTES + 1)];
    excerpt(memchr::memchr(b'\n', window).map_or(window, |p| &window[..p]))
}

/// One file's content before and after a campaign's rewrite.
#[derive(Debug, Clone)]
pub struct FileChange {
    pub file: String,
    pub before: Vec<u8>,
    pub after: Vec<u8>,
    /// Groups of the sites whose edits this change carries.
    pub groups: Vec<String>,
}
