//! What a run of the patterns over a tree finds: sites with verdicts and
//! findings, and the `unplug-scan/1` document `scan --json` prints.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Schema id of [`ScanDoc`].
pub const SCAN_SCHEMA: &str = "unplug-scan/1";

/// What may be done with one site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// One place a campaign applies to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Site {
    pub pattern: String,
    #[serde(default)]
    pub rule: String,
    /// Path relative to the tree root, `/`-separated.
    pub file: String,
    #[serde(default)]
    pub line: usize,
    #[serde(default)]
    pub column: usize,
    /// The function containing the site, or the object it initializes.
    #[serde(default)]
    pub context: Option<String>,
    pub verdict: Verdict,
    #[serde(default)]
    pub reason: Option<String>,
    /// The source text of the matched construct's first line (an excerpt).
    #[serde(default)]
    pub snippet: String,
    /// Further places that explain the verdict (each bad return, each user).
    #[serde(default)]
    pub notes: Vec<Note>,
    /// Sites with the same group are converted together, in one patch
    /// (a shared helper and every driver pointing at it).
    #[serde(default)]
    pub group: String,
}

/// A problem that is not a site: a file that could not be read, an edit
/// that was refused. Never dropped silently.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Finding {
    pub file: String,
    pub line: Option<usize>,
    pub severity: Severity,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

/// Whether a pattern's target interface is in the tree.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InterfaceStatus {
    pub pattern: String,
    pub present: bool,
    pub reason: Option<String>,
}

/// How much of the tree a run looked at.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ScanStats {
    pub files: usize,
    pub candidates: usize,
    pub changed_files: usize,
}

/// The tree a scan ran on.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TreeId {
    pub path: String,
    /// From the tree's Makefile.
    pub version: Option<String>,
}

/// The `unplug-scan/1` document: what `scan --json` prints and the ledger
/// records. Field order is the printed key order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScanDoc {
    /// [`SCAN_SCHEMA`]; empty when the input had none (the reader refuses it).
    #[serde(default)]
    pub schema: String,
    #[serde(default)]
    pub tree: TreeId,
    /// Subdirectories scanned (empty: the whole tree); absent in
    /// `scan --json`, present in the ledger's own documents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paths: Option<Vec<String>>,
    #[serde(default)]
    pub interfaces: Vec<InterfaceStatus>,
    #[serde(default)]
    pub stats: ScanStats,
    /// Sites per pattern and verdict (`auto`, `manual`, …).
    #[serde(default)]
    pub summary: BTreeMap<String, BTreeMap<String, usize>>,
    #[serde(default)]
    pub sites: Vec<Site>,
    #[serde(default)]
    pub findings: Vec<Finding>,
}

impl ScanDoc {
    /// The document of one run. `summary` counts every pattern of
    /// `interfaces`, also those without a site.
    pub fn new(
        tree: TreeId,
        interfaces: Vec<InterfaceStatus>,
        stats: ScanStats,
        sites: Vec<Site>,
        findings: Vec<Finding>,
    ) -> ScanDoc {
        let mut summary: BTreeMap<String, BTreeMap<String, usize>> = interfaces
            .iter()
            .map(|i| (i.pattern.clone(), BTreeMap::new()))
            .collect();
        for s in &sites {
            *summary
                .entry(s.pattern.clone())
                .or_default()
                .entry(s.verdict.as_str().to_string())
                .or_default() += 1;
        }
        ScanDoc {
            schema: SCAN_SCHEMA.to_string(),
            tree,
            paths: None,
            interfaces,
            stats,
            summary,
            sites,
            findings,
        }
    }

    /// Refuses a document of another schema, or of none.
    pub fn check_schema(&self) -> Result<(), String> {
        match self.schema.as_str() {
            SCAN_SCHEMA => Ok(()),
            "" => Err(format!("not an {SCAN_SCHEMA} document (no \"schema\")")),
            other => Err(format!(
                "scan document has schema {other:?}; this ledger reads {SCAN_SCHEMA}"
            )),
        }
    }

    /// The pattern ids the document covers (its interfaces, summary and sites).
    pub fn patterns(&self) -> std::collections::BTreeSet<String> {
        let mut ids: std::collections::BTreeSet<String> =
            self.interfaces.iter().map(|i| i.pattern.clone()).collect();
        ids.extend(self.summary.keys().cloned());
        ids.extend(self.sites.iter().map(|s| s.pattern.clone()));
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(pattern: &str, verdict: Verdict) -> Site {
        Site {
            pattern: pattern.into(),
            rule: "r".into(),
            file: "drivers/a.c".into(),
            line: 3,
            column: 1,
            context: Some("a_probe".into()),
            verdict,
            reason: None,
            snippet: "x".into(),
            notes: vec![],
            group: "drivers/a.c".into(),
        }
    }

    #[test]
    fn a_scan_document_round_trips_and_counts_per_verdict() {
        let doc = ScanDoc::new(
            TreeId {
                path: "/t".into(),
                version: Some("6.1.0".into()),
            },
            vec![
                InterfaceStatus {
                    pattern: "p".into(),
                    present: true,
                    reason: None,
                },
                InterfaceStatus {
                    pattern: "q".into(),
                    present: false,
                    reason: Some("absent".into()),
                },
            ],
            ScanStats::default(),
            vec![
                site("p", Verdict::Auto),
                site("p", Verdict::NeedsPrep),
                site("p", Verdict::Auto),
            ],
            vec![Finding::error("drivers/b.c", None, "cannot read")],
        );
        assert_eq!(doc.summary["p"]["auto"], 2);
        assert_eq!(doc.summary["p"]["needs-prep"], 1);
        assert!(doc.summary["q"].is_empty());
        let text = serde_json::to_string(&doc).unwrap();
        assert!(!text.contains("\"paths\""), "{text}");
        let back: ScanDoc = serde_json::from_str(&text).unwrap();
        back.check_schema().unwrap();
        assert_eq!(back.sites[1].verdict, Verdict::NeedsPrep);
        assert_eq!(back.patterns().into_iter().collect::<Vec<_>>(), ["p", "q"]);
    }

    #[test]
    fn a_document_of_another_schema_is_refused() {
        let mut doc: ScanDoc =
            serde_json::from_str(r#"{"tree": {"path": "/t", "version": null}}"#).unwrap();
        assert!(doc.check_schema().unwrap_err().contains("no \"schema\""));
        doc.schema = "unplug-scan/2".into();
        assert!(doc.check_schema().unwrap_err().contains("unplug-scan/2"));
    }
}
