//! What the `report`, `check`, `scan --campaign`, `series --campaign` and
//! `verify --campaign` commands do with a campaign directory, as library
//! calls: typed options in, results out. The binary (`src/flags`) parses
//! the command line, prints, and picks the exit code.

use crate::check::{check_patch, check_tree, CheckResult};
use crate::ledger::{Ledger, ScanSummary};
use crate::render::{render_with, Format, RenderOptions};
use crate::util::{resolve, write_atomic};
use anyhow::{bail, Context, Result};
use model::scan::ScanDoc;
use model::series::SeriesRecord;
use model::verify::VerifyImport;
use std::path::{Path, PathBuf};

/// The campaign directory when none is given.
pub const DEFAULT_CAMPAIGN: &str = "unplug-campaign";

/// What `unplug report` renders, and what it imports first.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// Campaign directory (holds ledger.json and history/).
    pub campaign: PathBuf,
    pub format: Format,
    /// Write the report here (atomically; never inside the campaign
    /// directory) instead of returning it.
    pub out: Option<PathBuf>,
    /// Only these subsystems (MAINTAINERS section name substring, or a path prefix).
    pub subsystems: Vec<String>,
    /// Markdown: at most this many driver rows.
    pub max_rows: usize,
    /// Series reports (`series.json`) to record first.
    pub series: Vec<PathBuf>,
    /// Verifier output (`unplug verify --json`, `unplug-verify-results/1`) to record first.
    pub verify: Vec<PathBuf>,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
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

/// What [`report`] did.
#[derive(Debug, Clone)]
pub struct ReportRun {
    /// The report, when it was not written to `out`.
    pub text: Option<String>,
    /// One line per imported file: what it linked.
    pub imported: Vec<String>,
}

/// `unplug report`. Everything is checked (the out path, the ledger, the
/// imported files) before anything is written.
pub fn report(opts: &ReportOptions) -> Result<ReportRun> {
    let out = match &opts.out {
        Some(p) => Some(report_out(&opts.campaign, p)?),
        None => None,
    };
    let series: Vec<(&PathBuf, SeriesRecord)> = opts
        .series
        .iter()
        .map(|f| read_typed(f, "a series report").map(|v| (f, v)))
        .collect::<Result<_>>()?;
    let verify: Vec<(&PathBuf, VerifyImport)> = opts
        .verify
        .iter()
        .map(|f| read_verify(f).map(|v| (f, v)))
        .collect::<Result<_>>()?;
    let imports = !series.is_empty() || !verify.is_empty();
    let mut ledger = if imports {
        Ledger::open_locked(&opts.campaign)?
    } else {
        Ledger::open(&opts.campaign)?
    };
    let mut imported = Vec::new();
    for (f, v) in &series {
        let n = ledger.record_series(v)?;
        imported.push(format!("{}: {n} site(s) linked to a patch", f.display()));
    }
    for (f, v) in &verify {
        let n = ledger.record_verify(v)?;
        imported.push(format!(
            "{}: verification results for {n} site(s)",
            f.display()
        ));
    }
    let render = RenderOptions {
        subsystems: opts.subsystems.clone(),
        max_rows: opts.max_rows,
    };
    let text = render_with(&ledger, opts.format, &render)?;
    if imports {
        ledger.save()?;
    }
    drop(ledger);
    let text = match out {
        Some(p) => {
            write_atomic(&p, text.as_bytes())?;
            None
        }
        None => Some(text),
    };
    Ok(ReportRun { text, imported })
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

/// What `unplug check` checks.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// A kernel tree, or a patch file to apply to `tree`.
    pub target: PathBuf,
    pub campaign: PathBuf,
    /// The tree a patch applies to (default: the latest scanned tree of the campaign).
    pub tree: Option<PathBuf>,
    /// Restrict a tree check to these subdirectories (default: the latest scan's scope).
    pub paths: Vec<String>,
    /// Extra patterns directory.
    pub extra_patterns: Option<PathBuf>,
}

/// `unplug check`: the new users of retired interfaces in a tree or a patch.
pub fn check(opts: &CheckOptions) -> Result<CheckResult> {
    let ledger = Ledger::open(&opts.campaign)?;
    let extra = opts.extra_patterns.as_deref();
    let latest = ledger.state.scans.last();
    if opts.target.is_file() {
        let tree = match (&opts.tree, latest) {
            (Some(t), _) => t.clone(),
            (None, Some(s)) => PathBuf::from(&s.tree.path),
            (None, None) => bail!("a patch check needs --tree TREE (the campaign has no scan)"),
        };
        if !tree.is_dir() {
            bail!("{}: not a directory (--tree)", tree.display());
        }
        check_patch(&ledger, &opts.target, &tree, extra)
    } else if opts.target.is_dir() {
        let paths = match (opts.paths.is_empty(), latest) {
            (false, _) => opts.paths.clone(),
            (true, Some(s)) => s.scope.clone(),
            // check_tree refuses a campaign without a scan.
            (true, None) => vec![],
        };
        check_tree(&ledger, &opts.target, &paths, extra)
    } else {
        bail!("{}: no such tree or patch", opts.target.display());
    }
}

/// `unplug scan TREE --campaign DIR`: records the scan document into the
/// campaign (created for the document's patterns when new), saves, and
/// returns what changed. `paths` is the scan's `--path` list. The campaign
/// is locked from reading to saving: concurrent recordings all get in.
pub fn record_scan(
    dir: &Path,
    doc: &ScanDoc,
    tree: &Path,
    paths: &[String],
) -> Result<ScanSummary> {
    let ids: Vec<String> = doc.patterns().into_iter().collect();
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
pub fn record_series(dir: &Path, report: &SeriesRecord) -> Result<usize> {
    let mut ledger = Ledger::open_locked(dir)?;
    let n = ledger.record_series(report)?;
    ledger.save()?;
    Ok(n)
}

/// `unplug verify … --campaign DIR`: records the verifier's outcomes.
pub fn record_verify(dir: &Path, results: &VerifyImport) -> Result<usize> {
    let mut ledger = Ledger::open_locked(dir)?;
    let n = ledger.record_verify(results)?;
    ledger.save()?;
    Ok(n)
}

fn read_json(p: &Path) -> Result<serde_json::Value> {
    let text = std::fs::read(p).with_context(|| format!("{}: cannot read", p.display()))?;
    serde_json::from_slice(&text).with_context(|| format!("{}: not JSON", p.display()))
}

fn read_typed<T: serde::de::DeserializeOwned>(p: &Path, what: &str) -> Result<T> {
    serde_json::from_value(read_json(p)?).with_context(|| format!("{}: not {what}", p.display()))
}

/// Verifier output from a file, refused when of another schema.
pub fn read_verify(p: &Path) -> Result<VerifyImport> {
    let v = read_json(p)?;
    let import = crate::ledger::record_import::verify_import(&v)
        .with_context(|| format!("{}", p.display()))?;
    Ok(import)
}

/// Before `series --resend`: the campaign recorded a series of `pattern`.
pub fn check_resend(dir: &Path, pattern: &str) -> Result<()> {
    let sent = Ledger::open(dir)?
        .state
        .sites
        .values()
        .any(|r| r.pattern == pattern && r.patch.is_some());
    if !sent {
        bail!(
            "{}: no series of {pattern} was recorded in this campaign: nothing to resend (write v1 with `unplug series --campaign`)",
            dir.display()
        );
    }
    Ok(())
}

/// `series --resend`, once the newer tree's scan is recorded: where each
/// driver of `pattern` was sent, and which of those patches are no longer
/// needed (applied, or the driver gone). Returns the plan and the version
/// to write.
pub fn resend_plan(dir: &Path, pattern: &str, tree_label: String) -> Result<(series::Resend, u32)> {
    let ledger = Ledger::open(dir)?;
    let sites: Vec<&crate::SiteRecord> = ledger
        .state
        .sites
        .values()
        .filter(|r| r.pattern == pattern)
        .collect();
    // A section's part numbers tell whether its directories were numbered.
    let mut parts: std::collections::BTreeMap<&str, usize> = Default::default();
    for p in sites.iter().filter_map(|r| r.patch.as_ref()) {
        let n = parts.entry(&p.series).or_insert(1);
        *n = (*n).max(p.part);
    }
    let mut plan = series::Resend {
        tree_label,
        ..Default::default()
    };
    let mut version = 0;
    for r in &sites {
        let Some(p) = &r.patch else { continue };
        let sent_in = series::SentIn {
            section: p.series.clone(),
            part: p.part.max(1),
            parts: parts[p.series.as_str()],
            version: p.version.max(1),
        };
        version = version.max(sent_in.version);
        let why = match r.state {
            crate::SiteState::Applied => {
                format!("applied in {}", r.applied_in.as_deref().unwrap_or("?"))
            }
            crate::SiteState::Gone => format!(
                "whose driver is gone in {}",
                r.gone_in.as_deref().unwrap_or("?")
            ),
            _ => {
                plan.previous.insert(r.file.clone(), sent_in);
                continue;
            }
        };
        if !plan.dropped.iter().any(|d| d.driver == r.file) {
            plan.dropped.push(series::Dropped {
                sent_in,
                driver: r.file.clone(),
                why,
            });
        }
    }
    // A driver with a legacy site left is resent, not dropped; one dropped
    // from an earlier version was said so in that version's changelog.
    plan.dropped
        .retain(|d| !plan.previous.contains_key(&d.driver) && d.sent_in.version == version);
    Ok((plan, version + 1))
}
