//! `unplug verify --campaign DIR`: convert → verify, per driver. For every
//! pattern of the campaign that names verifier fixtures, the legacy fixture
//! is rewritten by the pattern itself (never the hand-written converted
//! file), both variants run in their scenario on the test kernels, and the
//! verdicts go into the ledger next to the sites' patch states.

use crate::exit;
use anyhow::{bail, Context, Result};
use rewriter::engine::{run, RunOptions};
use rewriter::pattern::{load_all, Pattern};
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

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

pub fn run_campaign(
    extra: Option<&Path>,
    campaign: &Path,
    kernel: Option<&str>,
    flavour: Option<&str>,
    json_out: bool,
) -> Result<u8> {
    let Some(ids) = reports::cli::campaign_patterns(campaign)? else {
        bail!(
            "{}: no campaign here (create one with `unplug scan TREE --campaign DIR`)",
            campaign.display()
        );
    };
    let all = load_all(extra)?;
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
    let mut results = Vec::new();
    let mut all_passed = true;
    for pattern in patterns {
        for v in &pattern.verify {
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
            let mut cmd = Command::new(std::env::current_exe()?);
            cmd.arg("verify").arg("--json").arg("--kmod-dir").arg(&kmod);
            cmd.arg("--scenario")
                .arg(kmod.join("scenarios").join(format!("{}.yaml", v.scenario)));
            if let Some(k) = kernel {
                cmd.arg("--kernel").arg(k);
            }
            if let Some(f) = flavour {
                cmd.arg("--flavour").arg(f);
            }
            let out = cmd.output().context("running unplug verify")?;
            let outcomes: Value = serde_json::from_slice(&out.stdout).with_context(|| {
                format!(
                    "unplug verify gave no JSON (exit {:?}): {}",
                    out.status.code(),
                    String::from_utf8_lossy(&out.stderr)
                )
            })?;
            for o in outcomes.as_array().into_iter().flatten() {
                let kernel = o["kernel"].as_str().unwrap_or("?").to_string();
                let passed = o["passed"].as_bool().unwrap_or(false);
                all_passed &= passed;
                let verdict_of = |module: &str| {
                    o["operations"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|op| op["operation"].as_str() == Some(&format!("rmmod {module}")))
                        .map(|op| {
                            let verdict = op["verdict"].as_str().unwrap_or("?").to_string();
                            match op["reason"].as_str() {
                                Some(r) => format!("{verdict} ({r})"),
                                None => verdict,
                            }
                        })
                };
                let legacy_v = verdict_of(&v.legacy).unwrap_or_else(|| "not run".into());
                let converted_v = verdict_of(&v.converted).unwrap_or_else(|| "not run".into());
                results.push(json!({
                    "module": v.legacy,
                    "kernel": kernel,
                    "ok": passed,
                    "detail": format!("legacy: {legacy_v}; converted by unplug rewrite: {converted_v}"),
                    "source": format!("{} / {}", pattern.id, v.scenario),
                }));
            }
        }
    }
    let doc = json!({ "schema": "unplug-verify-results/1", "results": results });
    let linked = reports::cli::record_verify(campaign, &doc)?;
    let mut out = crate::output::stdout();
    if json_out {
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
    } else {
        for r in &results {
            writeln!(
                out,
                "{:<28} {:<34} {:<6} {}",
                r["module"].as_str().unwrap_or(""),
                r["kernel"].as_str().unwrap_or(""),
                if r["ok"].as_bool() == Some(true) {
                    "ok"
                } else {
                    "FAIL"
                },
                r["detail"].as_str().unwrap_or("")
            )?;
        }
    }
    eprintln!(
        "unplug: campaign {}: {} result(s), {linked} site(s) updated",
        campaign.display(),
        results.len()
    );
    Ok(if all_passed { exit::OK } else { exit::FINDINGS })
}
