//! The subcommands that drive the rewriter.

use crate::exit;
use crate::flags::Selection;
use crate::output;
use anyhow::{bail, Context, Result};
use rewriter::engine::{run, Outcome, RunOptions};
use rewriter::model::Severity;
use rewriter::pattern::{load_all, Pattern};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

fn select<'a>(all: &'a [Pattern], ids: &[String]) -> Result<Vec<&'a Pattern>> {
    if ids.is_empty() {
        return Ok(all.iter().filter(|p| !p.opt_in).collect());
    }
    ids.iter()
        .map(|id| {
            all.iter().find(|p| &p.id == id).with_context(|| {
                format!(
                    "no pattern `{id}` (known: {})",
                    all.iter()
                        .map(|p| p.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
        })
        .collect()
}

fn execute(extra: Option<&Path>, sel: &Selection) -> Result<Outcome> {
    let all = load_all(extra)?;
    let patterns = select(&all, &sel.pattern_ids)?;
    let opts = RunOptions {
        paths: sel.paths.clone(),
        assume_api: sel.assume_api,
        drop_empty: sel.drop_empty,
        progress: std::io::stderr().is_terminal(),
    };
    run(&sel.tree, &patterns, &opts)
}

/// Runs the selection and prints its findings; the exit code they imply.
pub fn execute_and_report(extra: Option<&Path>, sel: &Selection) -> Result<(Outcome, u8)> {
    let outcome = execute(extra, sel)?;
    output::write_findings(&outcome, &mut std::io::stderr())?;
    let code = if has_errors(&outcome) {
        exit::FINDINGS
    } else {
        exit::OK
    };
    Ok((outcome, code))
}

fn has_errors(outcome: &Outcome) -> bool {
    outcome
        .findings
        .iter()
        .any(|f| f.severity == Severity::Error)
}

pub fn scan(
    extra: Option<&Path>,
    sel: &Selection,
    json: bool,
    campaign: Option<&Path>,
) -> Result<u8> {
    // A campaign remembers its patterns: `scan --campaign DIR TREE` rescans them.
    // A damaged ledger, or a campaign of other patterns, is reported before
    // the scan runs, not after.
    let mut sel = sel.clone();
    if let Some(dir) = campaign {
        if let Some(ids) = reports::campaign::campaign_for_scan(dir, &sel.pattern_ids)? {
            sel.pattern_ids = ids;
        }
    }
    let outcome = execute(extra, &sel)?;
    let mut stdout = output::stdout();
    if json {
        output::write_json(&sel.tree, &outcome, &mut stdout)?;
    } else {
        output::write_sites(&outcome, &mut stdout)?;
        output::write_findings(&outcome, &mut std::io::stderr())?;
    }
    if let Some(dir) = campaign {
        let doc = output::scan_document(&sel.tree, &outcome);
        let summary = reports::campaign::record_scan(dir, &doc, &sel.tree, &sel.paths)?;
        eprintln!("unplug: campaign {}: {summary}", dir.display());
    }
    Ok(if has_errors(&outcome) {
        exit::FINDINGS
    } else {
        exit::OK
    })
}

pub fn rewrite(extra: Option<&Path>, sel: &Selection, in_place: bool) -> Result<u8> {
    let outcome = execute(extra, sel)?;
    output::write_findings(&outcome, &mut std::io::stderr())?;
    for i in &outcome.interfaces {
        if !i.present && !sel.assume_api {
            eprintln!(
                "unplug: {}: {} (no rewrite; --assume-api rewrites anyway)",
                i.pattern,
                i.reason.as_deref().unwrap_or("interface missing")
            );
        }
    }
    let mut refused = false;
    if in_place {
        // A file that cannot be written safely (a symbolic link now, edited
        // meanwhile) is a finding; the other files are still written.
        let mut written = 0;
        for c in &outcome.changes {
            match rewriter::tree::write_in_place(&sel.tree, &c.file, &c.before, &c.after) {
                Ok(()) => written += 1,
                Err(f) => {
                    eprintln!("{f}");
                    refused = true;
                }
            }
        }
        eprintln!("unplug: {written} file(s) rewritten");
    } else {
        // hunk headers as `git diff` gives them in this tree
        let attrs = rewriter::diff::Attributes::load(&sel.tree)?;
        let mut stdout = output::stdout();
        stdout.write_all(&rewriter::diff::unified_with(&outcome.changes, &attrs))?;
    }
    Ok(if refused || has_errors(&outcome) {
        exit::FINDINGS
    } else {
        exit::OK
    })
}

pub fn patterns_list(extra: Option<&Path>) -> Result<u8> {
    let all = load_all(extra)?;
    let mut out = output::stdout();
    writeln!(
        out,
        "{:<28} {:<6} {:<10} {:<25} TITLE",
        "ID", "SINCE", "KIND", "PHASES"
    )?;
    for p in &all {
        let kind = if p.transform.is_some() {
            "transform"
        } else {
            "rules"
        };
        let kind = if p.opt_in {
            format!("{kind}*")
        } else {
            kind.to_string()
        };
        let since = p.since.as_deref().unwrap_or("-");
        writeln!(
            out,
            "{:<28} {:<6} {:<10} {:<25} {}",
            p.id,
            since,
            kind,
            p.phase_names().join(","),
            p.title
        )?;
    }
    writeln!(out, "(* opt-in: runs only when named with --pattern)")?;
    Ok(exit::OK)
}

pub fn patterns_show(extra: Option<&Path>, id: &str) -> Result<u8> {
    let all = load_all(extra)?;
    let p = select(&all, &[id.to_string()])?[0];
    let mut out = output::stdout();
    writeln!(
        out,
        "id:        {}\ntitle:     {}\nsubject:   {}\nsince:     {}\nanchors:   {}\norigin:    {}",
        p.id,
        p.title,
        p.subject,
        p.since.as_deref().unwrap_or("-"),
        p.anchors.join(", "),
        p.origin
    )?;
    if let Some(r) = &p.requires {
        writeln!(out, "requires:  /{}/ in {}", r.regex, r.file)?;
    }
    if let Some(t) = p.transform {
        writeln!(out, "transform: {} (built in)", t.name())?;
    }
    for r in &p.rules {
        writeln!(
            out,
            "rule:      {} -> {}{}",
            r.id,
            r.verdict.as_str(),
            r.reason
                .as_deref()
                .map(|x| format!(" ({x})"))
                .unwrap_or_default()
        )?;
    }
    writeln!(out, "\n{}", p.rationale.trim_end())?;
    Ok(exit::OK)
}

/// Fixtures live in the checkout: `patterns/tests` next to this crate.
fn default_fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("patterns/tests")
}

pub fn patterns_test(extra: Option<&Path>, dir: Option<PathBuf>) -> Result<u8> {
    let all = load_all(extra)?;
    let dir = dir.unwrap_or_else(default_fixture_dir);
    if !dir.is_dir() {
        bail!("{}: no fixture directory (give --dir)", dir.display());
    }
    let results = rewriter::fixtures::run_all(&dir, &all)?;
    let mut out = output::stdout();
    let mut failed = 0;
    for r in &results {
        if r.failures.is_empty() {
            writeln!(out, "ok      {}/{}", r.pattern, r.case)?;
        } else {
            failed += 1;
            writeln!(out, "FAILED  {}/{}", r.pattern, r.case)?;
            for f in &r.failures {
                writeln!(out, "        {}", f.replace('\n', "\n        "))?;
            }
        }
    }
    writeln!(out, "{} passed, {} failed", results.len() - failed, failed)?;
    Ok(if failed == 0 {
        exit::OK
    } else {
        exit::FINDINGS
    })
}
