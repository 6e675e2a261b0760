//! Running the engine for the ledger and the check, and the
//! `unplug-scan/1` document built from its outcome (the same document
//! `unplug scan --json` prints).

use anyhow::{bail, Result};
use rewriter::engine::{Outcome, RunOptions};
use rewriter::model::Verdict;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;

/// The `unplug-scan/1` document of `outcome` (as `unplug scan --json`),
/// plus `paths`: the subdirectories scanned (empty: the whole tree).
pub fn scan_document(tree: &Path, outcome: &Outcome, paths: &[String]) -> Value {
    let mut summary: BTreeMap<String, BTreeMap<&str, usize>> = outcome
        .interfaces
        .iter()
        .map(|i| (i.pattern.clone(), BTreeMap::new()))
        .collect();
    for s in &outcome.sites {
        *summary
            .entry(s.pattern.clone())
            .or_default()
            .entry(s.verdict.as_str())
            .or_default() += 1;
    }
    json!({
        "schema": "unplug-scan/1",
        "tree": { "path": tree.display().to_string(), "version": rewriter::tree::kernel_version(tree) },
        "paths": paths,
        "interfaces": outcome.interfaces,
        "stats": outcome.stats,
        "summary": summary,
        "sites": outcome.sites,
        "findings": outcome.findings,
    })
}

/// Runs the campaign's patterns (`ids`) over `tree`, restricted to `paths`.
pub fn run_patterns(
    tree: &Path,
    ids: &[String],
    paths: &[String],
    extra_patterns: Option<&Path>,
) -> Result<Outcome> {
    let all = rewriter::pattern::load_all(extra_patterns)?;
    let mut chosen = vec![];
    for id in ids {
        match all.iter().find(|p| &p.id == id) {
            Some(p) => chosen.push(p),
            None => bail!("unknown pattern id {id:?} (the campaign's patterns must load)"),
        }
    }
    let opts = RunOptions {
        paths: paths.to_vec(),
        ..Default::default()
    };
    rewriter::engine::run(tree, &chosen, &opts)
}

/// Legacy (not converted) sites of an outcome.
pub fn legacy_sites(outcome: &Outcome) -> impl Iterator<Item = &rewriter::model::Site> {
    outcome
        .sites
        .iter()
        .filter(|s| s.verdict != Verdict::Converted)
}
