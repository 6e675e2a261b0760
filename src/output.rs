//! Human and JSON renderings of a run.

use anyhow::Result;
use model::scan::ScanDoc;
use rewriter::engine::Outcome;
use rewriter::model::Verdict;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

pub use crate::stdout::{stdout, stdout_closed};

/// Said on stderr when a run waits for another holding its campaign's lock
/// (a wait that would otherwise look like a hang).
pub fn lock_wait_notice(dir: &Path) {
    eprintln!(
        "unplug: {}: waiting for another unplug run to finish with this campaign",
        dir.display()
    );
}

/// One site a line: `file:line: pattern verdict [context] reason`, then its notes.
pub fn write_sites(outcome: &Outcome, w: &mut impl Write) -> Result<()> {
    for s in outcome
        .sites
        .iter()
        .filter(|s| s.verdict != Verdict::Converted)
    {
        let ctx = s
            .context
            .as_deref()
            .map(|c| format!(" [{c}]"))
            .unwrap_or_default();
        let reason = s
            .reason
            .as_deref()
            .map(|r| format!(": {r}"))
            .unwrap_or_default();
        writeln!(
            w,
            "{}:{}:{}: {} {}{}{}",
            s.file,
            s.line,
            s.column,
            s.pattern,
            s.verdict.as_str(),
            ctx,
            reason
        )?;
        for n in &s.notes {
            writeln!(w, "    {}:{}: {}", n.file, n.line, n.message)?;
        }
    }
    for (pattern, counts) in summary(outcome) {
        let parts: Vec<String> = counts
            .iter()
            .map(|(v, n)| format!("{n} {}", v.as_str()))
            .collect();
        writeln!(
            w,
            "{pattern}: {} site(s): {}",
            counts.values().sum::<usize>(),
            if parts.is_empty() {
                "none".into()
            } else {
                parts.join(", ")
            }
        )?;
    }
    Ok(())
}

pub fn write_findings(outcome: &Outcome, w: &mut impl Write) -> Result<()> {
    for f in &outcome.findings {
        writeln!(w, "{f}")?;
    }
    Ok(())
}

fn summary(outcome: &Outcome) -> BTreeMap<String, BTreeMap<Verdict, usize>> {
    let mut m: BTreeMap<String, BTreeMap<Verdict, usize>> = outcome
        .interfaces
        .iter()
        .map(|i| (i.pattern.clone(), BTreeMap::new()))
        .collect();
    for s in &outcome.sites {
        *m.entry(s.pattern.clone())
            .or_default()
            .entry(s.verdict)
            .or_default() += 1;
    }
    m
}

/// The `unplug-scan/1` document described in README.md.
pub fn write_json(tree: &Path, outcome: &Outcome, w: &mut impl Write) -> Result<()> {
    // Through a `Value`, as before the document was typed: the printed
    // bytes stay those of `unplug-scan/1`.
    let doc = serde_json::to_value(scan_document(tree, outcome))?;
    serde_json::to_writer_pretty(&mut *w, &doc)?;
    writeln!(w)?;
    Ok(())
}

/// The `unplug-scan/1` document: what `scan --json` prints and the ledger records.
pub fn scan_document(tree: &Path, outcome: &Outcome) -> ScanDoc {
    reports::scan::scan_document(tree, outcome, None)
}
