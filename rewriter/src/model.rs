//! What a run produces: sites with verdicts, findings, and file changes.
//! These types are the stable `--json` schema (see README.md) and what the
//! series and ledger stages consume.

use serde::Serialize;

/// What may be done with one site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Converted by `unplug rewrite`.
    Auto,
    /// Convertible once a preparation patch changes the code (reason says what).
    NeedsPrep,
    /// Needs a human (reason says why).
    Manual,
    /// The target interface is not in this tree.
    Blocked,
    /// The site lies in a region the parser could not read.
    Unparsed,
    /// Already in the new form (counted, not listed, by `scan`; the ledger
    /// uses it to see a conversion land in a later tree).
    Converted,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Auto => "auto",
            Verdict::NeedsPrep => "needs-prep",
            Verdict::Manual => "manual",
            Verdict::Blocked => "blocked",
            Verdict::Unparsed => "unparsed",
            Verdict::Converted => "converted",
        }
    }
}

/// A line of a site's explanation: "line 42: returns ret".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// One place a campaign applies to.
#[derive(Debug, Clone, Serialize)]
pub struct Site {
    pub pattern: String,
    pub rule: String,
    /// Path relative to the tree root, `/`-separated.
    pub file: String,
    pub line: usize,
    pub column: usize,
    /// The function containing the site, or the object it initializes.
    pub context: Option<String>,
    pub verdict: Verdict,
    pub reason: Option<String>,
    /// The source text of the matched construct's first line (an excerpt
    /// of at most `MAX_SNIPPET_BYTES`).
    pub snippet: String,
    /// Further places that explain the verdict (each bad return, each user).
    pub notes: Vec<Note>,
    /// Sites with the same group are converted together, in one patch
    /// (a shared helper and every driver pointing at it).
    pub group: String,
}

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

/// A problem that is not a site: a file that could not be read, an edit
/// that was refused. Never dropped silently.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub file: String,
    pub line: Option<usize>,
    pub severity: Severity,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Something was not examined or not changed that should have been.
    Error,
}

impl Finding {
    pub fn error(
        file: impl Into<String>,
        line: Option<usize>,
        message: impl Into<String>,
    ) -> Finding {
        Finding {
            file: file.into(),
            line,
            severity: Severity::Error,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
        };
        match self.line {
            Some(l) => write!(f, "{}:{}: {}: {}", self.file, l, sev, self.message),
            None => write!(f, "{}: {}: {}", self.file, sev, self.message),
        }
    }
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
