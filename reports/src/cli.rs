//! The `report` and `check` subcommands, and the `scan --campaign` hook,
//! for the `unplug` binary.

use crate::check::{check_patch, check_tree};
use crate::ledger::{scan_patterns, Ledger, ScanSummary};
use crate::render::{render_with, Format, RenderOptions};
use anyhow::{bail, Context, Result};
use clap::Args;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};

pub const DEFAULT_CAMPAIGN: &str = "unplug-campaign";

/// Exit codes.
pub const OK: u8 = 0;
pub const NEW_USERS: u8 = 1;

/// Arguments of `unplug report`.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Campaign directory (holds ledger.json and history/).
    #[arg(long, value_name = "DIR", default_value = DEFAULT_CAMPAIGN)]
    pub campaign: PathBuf,
    /// md (status mail, cover letter), html (one self-contained file) or json (unplug-report/1).
    #[arg(long, value_enum, default_value = "md")]
    pub format: Format,
    /// Write the report here instead of stdout (atomically).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Only these subsystems (MAINTAINERS section name substring, or a path prefix); repeatable.
    #[arg(long = "subsystem", value_name = "NAME|PATH")]
    pub subsystems: Vec<String>,
    /// Markdown: at most this many driver rows (default 300).
    #[arg(long, value_name = "N", default_value_t = 300)]
    pub max_rows: usize,
    /// First record a series report (series.json of `unplug series`, or its --json output).
    #[arg(long = "series", value_name = "SERIES_JSON")]
    pub series: Vec<PathBuf>,
    /// First record verification results (`unplug verify --json` output or unplug-verify-results/1).
    #[arg(long = "verify", value_name = "VERIFY_JSON")]
    pub verify: Vec<PathBuf>,
}

impl Default for ReportArgs {
    fn default() -> Self {
        ReportArgs {
            campaign: DEFAULT_CAMPAIGN.into(),
            format: Format::Md,
            out: None,
            subsystems: vec![],
            max_rows: 300,
            series: vec![],
            verify: vec![],
        }
    }
}

/// Arguments of `unplug check`.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// A kernel tree, or a patch file (unified diff or git format-patch mail) to apply to --tree.
    #[arg(value_name = "TREE|PATCH")]
    pub target: PathBuf,
    /// Campaign directory.
    #[arg(long, value_name = "DIR", default_value = DEFAULT_CAMPAIGN)]
    pub campaign: PathBuf,
    /// The tree a patch applies to (default: the latest scanned tree of the campaign).
    #[arg(long, value_name = "TREE")]
    pub tree: Option<PathBuf>,
    /// Restrict a tree check to these subdirectories (default: the latest scan's scope).
    #[arg(long = "path", value_name = "SUBDIR")]
    pub paths: Vec<String>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    /// Extra patterns directory (the CLI's global --patterns).
    #[arg(skip)]
    pub extra_patterns: Option<PathBuf>,
}

/// `unplug report`.
pub fn run_report(args: &ReportArgs) -> Result<u8> {
    let mut ledger = Ledger::open(&args.campaign)?;
    let mut changed = false;
    for f in &args.series {
        let v = read_json(f)?;
        let n = ledger.record_series_json(&v)?;
        eprintln!("unplug: {}: {n} site(s) linked to a patch", f.display());
        changed = true;
    }
    for f in &args.verify {
        let v = read_json(f)?;
        let n = ledger.record_verify(&v)?;
        eprintln!(
            "unplug: {}: verification results for {n} site(s)",
            f.display()
        );
        changed = true;
    }
    if changed {
        ledger.save()?;
    }
    let opts = RenderOptions {
        subsystems: args.subsystems.clone(),
        max_rows: args.max_rows,
    };
    let text = render_with(&ledger, args.format, &opts)?;
    match &args.out {
        Some(p) => {
            let p = if p.is_relative() && p.parent().is_none_or(|d| d.as_os_str().is_empty()) {
                Path::new(".").join(p)
            } else {
                p.clone()
            };
            crate::ledger::write_file(&p, text.as_bytes())?
        }
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    Ok(OK)
}

/// `unplug check`.
pub fn run_check(args: &CheckArgs) -> Result<u8> {
    let ledger = Ledger::open(&args.campaign)?;
    let extra = args.extra_patterns.as_deref();
    let res = if args.target.is_file() {
        let tree = match &args.tree {
            Some(t) => t.clone(),
            None => match ledger.state.scans.last() {
                Some(s) => PathBuf::from(&s.tree.path),
                None => bail!("a patch check needs --tree TREE (the campaign has no scan)"),
            },
        };
        if !tree.is_dir() {
            bail!("{}: not a directory (--tree)", tree.display());
        }
        check_patch(&ledger, &args.target, &tree, extra)?
    } else if args.target.is_dir() {
        let paths = if args.paths.is_empty() {
            ledger
                .state
                .scans
                .last()
                .map(|s| s.scope.clone())
                .unwrap_or_default()
        } else {
            args.paths.clone()
        };
        check_tree(&ledger, &args.target, &paths, extra)?
    } else {
        bail!("{}: no such tree or patch", args.target.display());
    };
    // a closed stdout must not hide the gate's verdict
    let mut out = rewriter::stdout::stdout();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &res)?;
        writeln!(out)?;
    } else {
        res.print(&mut out)?;
    }
    Ok(if res.new_users.is_empty() {
        OK
    } else {
        NEW_USERS
    })
}

/// `unplug scan TREE --campaign DIR`: records the scan document into the
/// campaign (created for the document's patterns when new), saves, and
/// returns what changed. `paths` is the scan's `--path` list.
pub fn record_scan(dir: &Path, doc: &Value, tree: &Path, paths: &[String]) -> Result<ScanSummary> {
    let ids: Vec<String> = scan_patterns(doc).into_iter().collect();
    let mut ledger = Ledger::create_or_open(dir, &ids)?;
    let summary = if paths.is_empty() {
        ledger.record_scan(doc, tree)?
    } else {
        ledger.record_scan_scoped(doc, tree, paths)?
    };
    ledger.save()?;
    Ok(summary)
}

/// The pattern ids of the campaign in `dir`, or None when `dir` holds no
/// campaign yet (for `scan --campaign` without `--pattern`). A damaged
/// state file is an error.
pub fn campaign_patterns(dir: &Path) -> Result<Option<Vec<String>>> {
    if !dir.join(crate::ledger::LEDGER_FILE).exists() {
        return Ok(None);
    }
    Ok(Some(Ledger::open(dir)?.state.patterns))
}

/// `unplug series … --campaign DIR`: links the written patches to the
/// campaign's sites.
pub fn record_series(dir: &Path, report: &series::SeriesReport) -> Result<usize> {
    let mut ledger = Ledger::open(dir)?;
    let n = ledger.record_series(report)?;
    ledger.save()?;
    Ok(n)
}

/// [`record_series`] from a `series.json` file's content.
pub fn record_series_json(dir: &Path, report: &Value) -> Result<usize> {
    let mut ledger = Ledger::open(dir)?;
    let n = ledger.record_series_json(report)?;
    ledger.save()?;
    Ok(n)
}

/// `unplug verify … --campaign DIR`: records the verifier's JSON outcomes.
pub fn record_verify(dir: &Path, results: &Value) -> Result<usize> {
    let mut ledger = Ledger::open(dir)?;
    let n = ledger.record_verify(results)?;
    ledger.save()?;
    Ok(n)
}

fn read_json(p: &Path) -> Result<Value> {
    let text = std::fs::read(p).with_context(|| format!("{}: cannot read", p.display()))?;
    serde_json::from_slice(&text).with_context(|| format!("{}: not JSON", p.display()))
}
