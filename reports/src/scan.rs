//! Running the engine for the ledger and the check, and the
//! `unplug-scan/1` document built from its outcome (the one document
//! `unplug scan --json` prints and the ledger records).

use anyhow::{bail, Result};
use model::scan::{ScanDoc, TreeId};
use rewriter::engine::{Outcome, RunOptions};
use rewriter::model::Verdict;
use std::path::Path;

/// The `unplug-scan/1` document of `outcome` (as `unplug scan --json`
/// prints it), with `paths` (the subdirectories scanned, empty: the whole
/// tree) when given: the ledger records the scope from it.
pub fn scan_document(tree: &Path, outcome: &Outcome, paths: Option<&[String]>) -> ScanDoc {
    let interfaces = outcome.interfaces.clone();
    let stats = outcome.stats.clone();
    let id = TreeId {
        path: tree.display().to_string(),
        version: rewriter::tree::kernel_version(tree),
    };
    let mut doc = ScanDoc::new(
        id,
        interfaces,
        stats,
        outcome.sites.clone(),
        outcome.findings.clone(),
    );
    doc.paths = paths.map(<[String]>::to_vec);
    doc
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
