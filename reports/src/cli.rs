//! The `report` and `check` subcommands, and the `scan --campaign` hook,
//! for the `unplug` binary.

use crate::check::{check_patch, check_tree};
use crate::ledger::{scan_patterns, Ledger, ScanSummary};
use crate::render::{render_with, Format, RenderOptions};
use crate::util::{resolve, write_atomic};
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
    /// Write the report here instead of stdout (atomically; not inside the campaign directory).
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

/// `unplug report`. Everything is checked (the out path, the ledger, the
/// imported files) before anything is written.
pub fn run_report(args: &ReportArgs) -> Result<u8> {
    let out = match &args.out {
        Some(p) => Some(report_out(&args.campaign, p)?),
        None => None,
    };
    let series = read_all(&args.series)?;
    let verify = read_all(&args.verify)?;
    let imports = !series.is_empty() || !verify.is_empty();
    let mut ledger = if imports {
        Ledger::open_locked(&args.campaign)?
    } else {
        Ledger::open(&args.campaign)?
    };
    let mut linked = Vec::new();
    for (f, v) in &series {
        let n = ledger.record_series_json(v)?;
        linked.push(format!("{}: {n} site(s) linked to a patch", f.display()));
    }
    for (f, v) in &verify {
        let n = ledger.record_verify(v)?;
        linked.push(format!(
            "{}: verification results for {n} site(s)",
            f.display()
        ));
    }
    let opts = RenderOptions {
        subsystems: args.subsystems.clone(),
        max_rows: args.max_rows,
    };
    let text = render_with(&ledger, args.format, &opts)?;
    if imports {
        ledger.save()?;
        for l in linked {
            eprintln!("unplug: {l}");
        }
    }
    drop(ledger);
    match out {
        Some(p) => write_atomic(&p, text.as_bytes())?,
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    Ok(OK)
}

/// Where `report --out FILE` writes: `out` resolved (symlinks, `..`),
/// refused inside the campaign, and in an existing directory.
fn report_out(campaign: &Path, out: &Path) -> Result<PathBuf> {
    refuse_inside_campaign(campaign, out, "--out")?;
    let p = resolve(out)?;
    if p.is_dir() {
        bail!(
            "{}: a directory (--out names the report file)",
            out.display()
        );
    }
    if !p.parent().is_some_and(Path::is_dir) {
        bail!("{}: no such directory (--out)", out.display());
    }
    Ok(p)
}

/// Refuses `path` (for `what`, e.g. `--out`) when it resolves into the
/// campaign directory: reports and series written there would overwrite
/// the ledger or its history, or end up committed with them.
pub fn refuse_inside_campaign(campaign: &Path, path: &Path, what: &str) -> Result<()> {
    let inside = resolve(path)?.starts_with(resolve(campaign)?);
    if inside {
        bail!(
            "{}: {what} inside the campaign directory {} (it holds the ledger and its history); write elsewhere",
            path.display(),
            campaign.display()
        );
    }
    Ok(())
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
/// returns what changed. `paths` is the scan's `--path` list. The campaign
/// is locked from reading to saving: concurrent recordings all get in.
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
    if dir.exists() && !dir.is_dir() {
        bail!("{}: not a directory (--campaign)", dir.display());
    }
    if !dir.join(crate::ledger::LEDGER_FILE).exists() {
        return Ok(None);
    }
    Ok(Some(Ledger::open(dir)?.state.patterns))
}

/// Before `scan --campaign DIR` scans for `ids` (empty: the campaign's
/// own): the ids to scan for (None: not given and no campaign yet). A
/// damaged state file, or a campaign of other patterns, is refused.
pub fn campaign_for_scan(dir: &Path, ids: &[String]) -> Result<Option<Vec<String>>> {
    let Some(known) = campaign_patterns(dir)? else {
        return Ok((!ids.is_empty()).then(|| ids.to_vec()));
    };
    let mut given = ids.to_vec();
    given.sort();
    given.dedup();
    if !given.is_empty() && given != known {
        bail!(
            "{}: this campaign tracks {}, not {}: campaigns never mix (use another --campaign directory)",
            dir.display(),
            known.join(", "),
            given.join(", ")
        );
    }
    Ok(Some(known))
}

/// Before `unplug series --pattern ID --out OUT --campaign DIR` writes
/// anything: the campaign exists, its ledger is sound, it tracks `pattern`,
/// and `out` is not inside it.
pub fn check_series_campaign(dir: &Path, pattern: &str, out: &Path) -> Result<()> {
    let ledger = Ledger::open(dir)?;
    if !ledger.state.patterns.iter().any(|p| p == pattern) {
        bail!(
            "{}: this campaign tracks {}, not {pattern}: campaigns never mix",
            dir.display(),
            ledger.state.patterns.join(", ")
        );
    }
    refuse_inside_campaign(dir, out, "--out")
}

/// `unplug series … --campaign DIR`: links the written patches to the
/// campaign's sites.
pub fn record_series(dir: &Path, report: &series::SeriesReport) -> Result<usize> {
    let mut ledger = Ledger::open_locked(dir)?;
    let n = ledger.record_series(report)?;
    ledger.save()?;
    Ok(n)
}

/// [`record_series`] from a `series.json` file's content.
pub fn record_series_json(dir: &Path, report: &Value) -> Result<usize> {
    let mut ledger = Ledger::open_locked(dir)?;
    let n = ledger.record_series_json(report)?;
    ledger.save()?;
    Ok(n)
}

/// `unplug verify … --campaign DIR`: records the verifier's JSON outcomes.
pub fn record_verify(dir: &Path, results: &Value) -> Result<usize> {
    let mut ledger = Ledger::open_locked(dir)?;
    let n = ledger.record_verify(results)?;
    ledger.save()?;
    Ok(n)
}

/// Each file with its JSON content.
fn read_all(files: &[PathBuf]) -> Result<Vec<(&PathBuf, Value)>> {
    files.iter().map(|f| read_json(f).map(|v| (f, v))).collect()
}

fn read_json(p: &Path) -> Result<Value> {
    let text = std::fs::read(p).with_context(|| format!("{}: cannot read", p.display()))?;
    serde_json::from_slice(&text).with_context(|| format!("{}: not JSON", p.display()))
}
