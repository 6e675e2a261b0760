//! `unplug verify --campaign DIR`: convert → verify, per driver. For every
//! pattern of the campaign that names verifier fixtures, the legacy fixture
//! is rewritten by the pattern itself (never the hand-written converted
//! file), both variants run in their scenario on the test kernels, and the
//! verdicts go into the ledger next to the sites' patch states. The
//! verifier runs in this process (the `verifier` crate), not as a child.

use crate::exit;
use anyhow::{bail, Context, Result};
use model::verify::{VerifyImport, VerifyResult, VerifyResults};
use rewriter::engine::{run, RunOptions};
use rewriter::pattern::{load_all, Pattern};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The verifier sources shipped in this checkout.
fn kmod_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("verifier-kmod")
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from).with_context(|| format!("{}: cannot read", from.display()))? {
        let e = e?;
        let dest = to.join(e.file_name());
        if e.file_type()?.is_dir() {
            copy_dir(&e.path(), &dest)?;
        } else {
            std::fs::copy(e.path(), &dest)?;
        }
    }
    Ok(())
}

/// The legacy fixture as `pattern` rewrites it (the requires probe is
/// skipped: the test kernel, not a tree, decides whether the API exists).
fn converted_source(pattern: &Pattern, legacy_src: &Path) -> Result<Vec<u8>> {
    let tree = tempfile::tempdir()?;
    let rel = format!(
        "drivers/misc/{}",
        legacy_src.file_name().unwrap().to_string_lossy()
    );
    std::fs::create_dir_all(tree.path().join("drivers/misc"))?;
    std::fs::copy(legacy_src, tree.path().join(&rel))
        .with_context(|| format!("{}: cannot read", legacy_src.display()))?;
    let opts = RunOptions {
        assume_api: true,
        ..Default::default()
    };
    let outcome = run(tree.path(), &[pattern], &opts)?;
    match outcome.changes.iter().find(|c| c.file == rel) {
        Some(c) => Ok(c.after.clone()),
        None => {
            let why: Vec<String> = outcome
                .sites
                .iter()
                .map(|s| {
                    format!(
                        "line {}: {} {}",
                        s.line,
                        s.verdict.as_str(),
                        s.reason.clone().unwrap_or_default()
                    )
                })
                .collect();
            bail!(
                "{} does not convert {} ({})",
                pattern.id,
                legacy_src.display(),
                if why.is_empty() {
                    "no site".into()
                } else {
                    why.join("; ")
                }
            )
        }
    }
}

/// Rewrites the legacy fixture of `v` with `pattern` in a copy of the
/// verifier sources, runs the fixture's scenario on the test kernels, and
/// returns one result per kernel: both variants' `rmmod` verdicts.
fn verify_fixture(
    pattern: &Pattern,
    v: &rewriter::pattern::spec::VerifySpec,
    base: &verifier::VerifyOptions,
) -> Result<Vec<VerifyResult>> {
    let work = tempfile::tempdir()?;
    let kmod = work.path().join("verifier-kmod");
    copy_dir(&kmod_dir(), &kmod)?;
    let legacy = kmod.join("fixtures").join(format!("{}.c", v.legacy));
    let converted = converted_source(pattern, &legacy)?;
    std::fs::write(
        kmod.join("fixtures").join(format!("{}.c", v.converted)),
        &converted,
    )?;
    eprintln!(
        "unplug: {}: {} rewritten into {}, running scenario {}",
        pattern.id, v.legacy, v.converted, v.scenario
    );
    let opts = verifier::VerifyOptions {
        kmod_dir: Some(kmod.clone()),
        scenarios: vec![kmod.join("scenarios").join(format!("{}.yaml", v.scenario))],
        ..base.clone()
    };
    let outcomes = verifier::run(&opts)?;
    Ok(outcomes
        .iter()
        .map(|o| {
            let verdict_of =
                |module: &str| o.rmmod_verdict(module).unwrap_or_else(|| "not run".into());
            VerifyResult {
                module: Some(v.legacy.clone()),
                file: None,
                kernel: o.kernel.clone(),
                ok: o.passed,
                detail: Some(format!(
                    "legacy: {}; converted by unplug rewrite: {}",
                    verdict_of(&v.legacy),
                    verdict_of(&v.converted)
                )),
                source: Some(format!("{} / {}", pattern.id, v.scenario)),
            }
        })
        .collect())
}

/// The campaign's patterns that name verifier fixtures.
fn fixture_patterns<'a>(all: &'a [Pattern], campaign: &Path) -> Result<Vec<&'a Pattern>> {
    let Some(ids) = reports::campaign::campaign_patterns(campaign)? else {
        bail!(
            "{}: no campaign here (create one with `unplug scan TREE --campaign DIR`)",
            campaign.display()
        );
    };
    let patterns: Vec<&Pattern> = all
        .iter()
        .filter(|p| ids.contains(&p.id) && !p.verify.is_empty())
        .collect();
    if patterns.is_empty() {
        bail!(
            "none of the campaign's patterns ({}) names verifier fixtures",
            ids.join(", ")
        );
    }
    Ok(patterns)
}

/// `unplug verify --campaign DIR`: the verifier runs in this process; its
/// outcomes become `unplug-verify-results/1` results, recorded in the
/// ledger and printed.
pub fn run_campaign(
    extra: Option<&Path>,
    campaign: &Path,
    args: &crate::flags::verify::VerifyArgs,
) -> Result<u8> {
    let all = load_all(extra)?;
    // The fixtures' scenarios are the runs: the user's kernel and run
    // settings apply, scenarios, modules and suites of their own do not.
    let base = verifier::VerifyOptions {
        scenarios: vec![],
        modules: vec![],
        suite: None,
        ..args.options()
    };
    let mut results = Vec::new();
    for pattern in fixture_patterns(&all, campaign)? {
        for v in &pattern.verify {
            results.extend(verify_fixture(pattern, v, &base)?);
        }
    }
    let all_passed = results.iter().all(|r| r.ok);
    let doc = VerifyResults::new(results);
    let linked = reports::campaign::record_verify(campaign, &VerifyImport::Results(doc.clone()))?;
    let mut out = crate::output::stdout();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        for r in &doc.results {
            writeln!(
                out,
                "{:<28} {:<34} {:<6} {}",
                r.module.as_deref().unwrap_or(""),
                r.kernel,
                if r.ok { "ok" } else { "FAIL" },
                r.detail.as_deref().unwrap_or("")
            )?;
        }
    }
    eprintln!(
        "unplug: campaign {}: {} result(s), {linked} site(s) updated",
        campaign.display(),
        doc.results.len()
    );
    Ok(if all_passed { exit::OK } else { exit::FINDINGS })
}
