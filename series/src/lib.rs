//! `series`: turns a campaign's file edits into ready-to-send
//! `git format-patch` series, one per MAINTAINERS section.
//!
//! * Routing follows the tree's own MAINTAINERS with `get_maintainer.pl`
//!   semantics (see [`maintainers`]).  `M:` people go to `To:`, `R:` people
//!   and `L:` lists go to `Cc:`.
//! * Patches are grouped by the owning (most specific) section of the
//!   driver's main file ([`GroupBy::Section`]), or by the most specific
//!   section naming a git tree ([`GroupBy::Tree`]).
//! * Output mirrors `git format-patch -v<N> --cover-letter [--base]`.
//! * `check` applies each series with `git am -3` to a scratch repository
//!   holding the original files and runs the tree's `checkpatch.pl`.
//! * [`campaign`] holds the rules deciding what goes into a series: the
//!   grouping of files around a shared helper, phases, retire refusal.
//!
//! May not: read the campaign ledger, parse a command line, or print on
//! stdout (the binary prints [`print_table`]'s output).

pub mod build;
pub mod campaign;
pub mod check;
pub mod gitdiff;
pub mod maintainers;
pub mod mbox;
pub mod prefix;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};

use crate::gitdiff::FileStat;
use crate::maintainers::{Maintainers, Routing};
use crate::mbox::{Mail, PatchFile};
use crate::prefix::{PrefixResolver, PrefixSource};
use rewriter::diff::Attributes;

/// One file's edit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEdit {
    /// Relative to the tree root, `/` separators.
    pub rel_path: String,
    pub before: Vec<u8>,
    pub after: Vec<u8>,
    /// e.g. `0o100644`.
    pub mode: u32,
}

/// The edits of one driver (a shared helper and all its users form ONE
/// change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DriverChange {
    /// Usually the path of the driver's main file.
    pub key: String,
    pub files: Vec<FileEdit>,
    /// Name of the helper that forced several files together, if any.
    pub shared_helper: Option<String>,
    /// Sentences about this driver for the commit message, beyond the
    /// campaign's rationale (e.g. a reference leak the conversion fixes).
    pub remarks: Vec<String>,
}

/// What the campaign does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    pub id: String,
    /// e.g. "Convert to platform remove callback returning void".
    pub subject: String,
    /// Commit message body (wrapped at 75 columns on output).
    pub rationale: String,
}

/// One patch per driver, or one per subsystem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Per {
    #[default]
    Driver,
    Subsystem,
}

/// Which MAINTAINERS section a patch is grouped under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum GroupBy {
    /// The most specific matching section of the driver's main file.
    #[default]
    Section,
    /// The most specific matching section that has a `T:` (a tree that
    /// takes patches), falling back to [`GroupBy::Section`].
    Tree,
}

/// Options of [`build_series`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SeriesOptions {
    /// Output directory; each series goes into a subdirectory named after
    /// its section.
    pub out_dir: PathBuf,
    pub per: Per,
    /// A section with more patches is split into several series (0: no limit).
    pub max_per_series: usize,
    /// Keep only sections whose name contains one of these (case
    /// insensitive), or (for values containing `/`) patches touching a path
    /// below one of them.  Empty: keep all.
    pub subsystems: Vec<String>,
    /// "Name <addr>"; falls back to the tree's git config.
    pub from: Option<String>,
    pub signoff: bool,
    pub version: u32,
    pub base_commit: Option<String>,
    pub check: bool,
    /// The tree (same as the `tree` argument of [`build_series`], which wins).
    pub tree: PathBuf,
    /// Subject prefix overrides, keyed by path (file or directory) or by
    /// MAINTAINERS section name.
    pub prefix_overrides: BTreeMap<String, String>,
    pub group_by: GroupBy,
    /// `Date:` as seconds since the epoch (default: [`tree_date`], so that
    /// the same tree and campaign give the same bytes).
    pub date: Option<i64>,
    /// Length of the blob ids in `index` lines (git's default for a
    /// kernel-sized repository is 12; 40 = `--full-index`).
    pub abbrev: usize,
    /// Text of the mail signature (default: the installed git's version).
    pub signature: Option<String>,
    /// `prerequisite-change-id:` values (`<change-id>:v<N>`) of every
    /// series' cover letter: series that must be applied first.
    pub prerequisites: Vec<String>,
    /// Write the next version of series sent before (see [`Resend`]).
    pub resend: Option<Resend>,
    /// `--check --build` results by driver key ([`build::build_changes`]):
    /// each patch's `build` and the cover letter's summary line.
    pub builds: BTreeMap<String, build::PatchBuild>,
    /// `--check --verify`: verifier verdicts per driver change key.
    pub verifies: BTreeMap<String, Vec<PatchVerify>>,
}

/// Where a driver's patch went in an earlier version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentIn {
    pub section: String,
    pub part: usize,
    pub parts: usize,
    pub version: u32,
}

/// A driver of an earlier version that the next one leaves out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dropped {
    pub sent_in: SentIn,
    pub driver: String,
    /// e.g. "applied in 6.12.118" or "whose driver is gone in 6.12.118".
    pub why: String,
}

/// `--resend`: each earlier series is written again (version
/// [`SeriesOptions::version`]) with the drivers still to convert, grouped
/// as before; a change not sent before is left out (it belongs in a new
/// series) and named in the warnings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resend {
    /// Driver key or file -> the series it was sent in last.
    pub previous: BTreeMap<String, SentIn>,
    pub dropped: Vec<Dropped>,
    /// The tree the series is resent on, for the changelog.
    pub tree_label: String,
}

impl Default for SeriesOptions {
    fn default() -> Self {
        SeriesOptions {
            out_dir: PathBuf::from("series-out"),
            per: Per::Driver,
            max_per_series: 15,
            subsystems: Vec::new(),
            from: None,
            signoff: false,
            version: 1,
            base_commit: None,
            check: false,
            tree: PathBuf::from("."),
            prefix_overrides: BTreeMap::new(),
            group_by: GroupBy::Section,
            date: None,
            abbrev: 12,
            signature: None,
            prerequisites: Vec::new(),
            resend: None,
            builds: BTreeMap::new(),
            verifies: BTreeMap::new(),
        }
    }
}

/// `--check` result for one patch.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct PatchCheck {
    /// `git am -3` accepted it on top of the previous patches.
    pub applies: bool,
    /// None when the tree has no scripts/checkpatch.pl.
    pub checkpatch_errors: Option<u32>,
    pub checkpatch_warnings: Option<u32>,
    pub checkpatch_checks: Option<u32>,
    /// First lines of the failure output (am or checkpatch), if any.
    pub detail: String,
}

/// One patch of a series.
#[derive(Debug, Clone, Serialize)]
pub struct PatchEntry {
    pub file_name: String,
    pub path: PathBuf,
    pub subject: String,
    pub prefix: String,
    pub prefix_source: PrefixSource,
    /// Driver keys in this patch.
    pub drivers: Vec<String>,
    pub files: Vec<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    /// MAINTAINERS sections that contributed addresses.
    pub sections: Vec<String>,
    /// A matched section is `S: Orphan`.
    pub orphan: bool,
    /// Owning sections of the files, when they differ (forced by a shared helper).
    pub mixed_sections: Vec<String>,
    pub shared_helpers: Vec<String>,
    pub insertions: usize,
    pub deletions: usize,
    /// Without the angle brackets; the patch replies to its cover letter.
    pub message_id: String,
    pub check: Option<PatchCheck>,
    /// `--check --build`: compiled before and after, on which arch.
    pub build: Option<build::PatchBuild>,
    /// `--check --verify`: the driver's recipe run under the verifier, per
    /// kernel and variant.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub verify: Vec<PatchVerify>,
}

/// One verifier run of a patch's driver (`unplug verify --driver`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatchVerify {
    /// The kernel series (`6.1`).
    pub kernel: String,
    /// `legacy` (the tree as it is), `converted` (as the patch makes it)
    /// or `mainline`.
    pub variant: String,
    /// `ok`, `not ok` or `error`.
    pub verdict: String,
    /// Objects the driver's operations released.
    pub objects: u32,
    pub failed_step: Option<String>,
}

/// One series (one directory of mails).
#[derive(Debug, Clone, Serialize)]
pub struct SeriesEntry {
    /// MAINTAINERS section name.
    pub section: String,
    /// 1-based part number when the section was split by max_per_series.
    pub part: usize,
    pub parts: usize,
    pub dir: PathBuf,
    pub cover_letter: String,
    pub cover_subject: String,
    /// The section is `S: Orphan`.
    pub orphan: bool,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    /// b4's `change-id:`, the same for every version of this series.
    pub change_id: String,
    /// The cover letter's Message-ID (without the angle brackets).
    pub message_id: String,
    /// The changelog of this version (empty for v1).
    pub changelog: Vec<String>,
    pub patches: Vec<PatchEntry>,
}

/// What [`build_series`] did.
#[derive(Debug, Clone, Serialize)]
pub struct SeriesReport {
    pub campaign: String,
    pub out_dir: PathBuf,
    pub version: u32,
    pub per: Per,
    pub checked: bool,
    pub series: Vec<SeriesEntry>,
    /// Changes dropped by the subsystem filter.
    pub filtered_out: Vec<String>,
    /// `--resend`: patches of the previous version left out, and why.
    pub dropped: Vec<Dropped>,
    pub warnings: Vec<String>,
}

impl SeriesReport {
    pub fn patch_count(&self) -> usize {
        self.series.iter().map(|s| s.patches.len()).sum()
    }
}

/// Identity from the tree's git config.
pub fn git_ident(tree: &Path) -> Option<String> {
    let get = |k: &str| -> Option<String> {
        let o = Command::new("git")
            .arg("-C")
            .arg(tree)
            .args(["config", k])
            .output()
            .ok()?;
        if !o.status.success() {
            return None;
        }
        let v = String::from_utf8_lossy(&o.stdout).trim().to_string();
        (!v.is_empty()).then_some(v)
    };
    Some(format!("{} <{}>", get("user.name")?, get("user.email")?))
}

fn git_version() -> String {
    Command::new("git")
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| {
            s.trim()
                .strip_prefix("git version ")
                .map(|v| v.split_whitespace().next().unwrap_or(v).to_string())
        })
        .unwrap_or_else(|| "2.47.3".into())
}

/// Directory name for a section: lower case, `[a-z0-9]` and `-`.
pub fn section_slug(name: &str) -> String {
    let mut s = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
    }
    let s = s.trim_end_matches('-').to_string();
    if s.is_empty() {
        "unowned".into()
    } else {
        s
    }
}

const NO_SECTION: &str = "(no MAINTAINERS section)";

struct Unit<'a> {
    section: String,
    changes: Vec<&'a DriverChange>,
    mixed: Vec<String>,
}

struct Rendered {
    entry: PatchEntry,
    stats: Vec<FileStat>,
}

/// Builds the series for `changes` and writes them below `opts.out_dir`.
pub fn build_series(
    tree: &Path,
    campaign: &Campaign,
    changes: &[DriverChange],
    opts: &SeriesOptions,
) -> Result<SeriesReport> {
    let mut warnings = Vec::new();
    let maint = Maintainers::load(tree)?;
    let attrs =
        Attributes::load(tree).context("reading the tree's .gitattributes for hunk headers")?;
    let from = sender(tree, opts)?;
    let date = mbox::rfc2822(opts.date.unwrap_or_else(|| tree_date(tree, changes)));
    let base_commit = opts.base_commit.clone().or_else(|| head_commit(tree));
    let signature = opts.signature.clone().unwrap_or_else(git_version);
    let version = opts.version.max(1);
    warn_files_in_two_changes(changes, &mut warnings);
    let (grouped, filtered_out) = group_by_owner(&maint, changes, opts, &mut warnings);
    let planned = match &opts.resend {
        None => plan_series(grouped, opts),
        Some(r) => plan_resend(grouped, r, &mut warnings),
    };
    let mut series = Vec::new();
    let mut resolver = PrefixResolver::new(tree, &opts.prefix_overrides);
    for p in planned {
        let ctx = SeriesCtx {
            tree,
            maint: &maint,
            attrs: &attrs,
            campaign,
            from: &from,
            date: &date,
            signature: &signature,
            version,
            abbrev: opts.abbrev.clamp(4, 40),
            signoff: opts.signoff,
            base_commit: base_commit.as_deref(),
            prerequisites: &opts.prerequisites,
            builds: &opts.builds,
            verifies: &opts.verifies,
            change_id: change_id(&campaign.id, &p.section, p.part),
            changelog: p.changelog,
        };
        let dir = opts.out_dir.join(&p.dirname);
        let planned = PlannedSeries {
            section: &p.section,
            part: p.part,
            parts: p.parts,
            units: &p.units,
        };
        series.push(write_series(&ctx, &mut resolver, &planned, &dir)?);
    }
    let mut report = SeriesReport {
        campaign: campaign.id.clone(),
        out_dir: opts.out_dir.clone(),
        version,
        per: opts.per,
        checked: opts.check,
        series,
        filtered_out,
        dropped: opts
            .resend
            .as_ref()
            .map(|r| r.dropped.clone())
            .unwrap_or_default(),
        warnings,
    };
    if opts.check {
        check::check_report(tree, changes, &mut report)?;
    }
    std::fs::write(
        opts.out_dir.join("series.json"),
        serde_json::to_vec_pretty(&report)?,
    )?;
    Ok(report)
}

/// The mails' `From:`: `--from`, else the tree's git identity, else a
/// placeholder (refused with `--signoff`, which needs a real one).
fn sender(tree: &Path, opts: &SeriesOptions) -> Result<String> {
    let from = match &opts.from {
        Some(f) => f.clone(),
        None => match git_ident(tree) {
            Some(f) => f,
            None if opts.signoff => bail!(
                "--signoff needs an identity: pass --from or set git config user.name/user.email"
            ),
            None => "unplug <unplug@localhost.invalid>".into(),
        },
    };
    if !from.contains('@') {
        bail!("--from must look like \"Name <address>\", got {from:?}");
    }
    Ok(from)
}

/// A file edited by two changes gets a warning: each patch is made
/// against the original file, so the two conflict.
fn warn_files_in_two_changes(changes: &[DriverChange], warnings: &mut Vec<String>) {
    let mut seen_files: BTreeMap<&str, &str> = BTreeMap::new();
    for ch in changes {
        for f in &ch.files {
            if let Some(prev) = seen_files.insert(&f.rel_path, &ch.key) {
                if prev != ch.key {
                    warnings.push(format!(
                        "{} is edited by both {} and {}; each patch is made against the original file, so they will conflict (make them one change)",
                        f.rel_path, prev, ch.key
                    ));
                }
            }
        }
    }
}

/// Each change under the section owning its main file (`--group-by`),
/// with the sections of all its files when they are several; changes the
/// `--subsystem` filter leaves out are returned by key.
fn group_by_owner<'a>(
    maint: &Maintainers,
    changes: &'a [DriverChange],
    opts: &SeriesOptions,
    warnings: &mut Vec<String>,
) -> (Grouped<'a>, Vec<String>) {
    let owner_of = |f: &str| {
        let owner = match opts.group_by {
            GroupBy::Section => maint.owner(f),
            GroupBy::Tree => maint.tree_owner(f),
        };
        owner.section_name.unwrap_or_else(|| NO_SECTION.to_string())
    };
    let mut grouped: Grouped<'a> = BTreeMap::new();
    let mut filtered_out = Vec::new();
    for ch in changes {
        if ch.files.is_empty() {
            warnings.push(format!("{}: no files, skipped", ch.key));
            continue;
        }
        let sec = owner_of(main_file(ch));
        let mut secs: Vec<String> = Vec::new();
        for f in &ch.files {
            dedup_push(&mut secs, &owner_of(&f.rel_path));
        }
        if secs.len() > 1 && ch.shared_helper.is_none() {
            warnings.push(format!(
                "{}: files belong to several sections ({}) without a shared helper; kept in one patch",
                ch.key,
                secs.join(", ")
            ));
        }
        if !opts.subsystems.is_empty() && !subsystem_selected(&opts.subsystems, &sec, ch) {
            filtered_out.push(ch.key.clone());
            continue;
        }
        grouped
            .entry(sec)
            .or_default()
            .push((ch, if secs.len() > 1 { secs } else { vec![] }));
    }
    (grouped, filtered_out)
}

/// One series to write.
struct Planned<'a> {
    section: String,
    part: usize,
    parts: usize,
    dirname: String,
    units: Vec<Unit<'a>>,
    changelog: Vec<String>,
}

fn series_dirname(section: &str, part: usize, parts: usize) -> String {
    if parts > 1 {
        format!("{}-{part}", section_slug(section))
    } else {
        section_slug(section)
    }
}

/// Changes with the sections of their files when they are several.
type Members<'a> = Vec<(&'a DriverChange, Vec<String>)>;
type Grouped<'a> = BTreeMap<String, Members<'a>>;

/// The units of one section: a patch per driver, or one for all.
fn section_units<'a>(section: &str, mut list: Members<'a>, per: Per) -> Vec<Unit<'a>> {
    list.sort_by(|a, b| a.0.key.cmp(&b.0.key));
    match per {
        Per::Driver => list
            .into_iter()
            .map(|(c, m)| Unit {
                section: section.to_string(),
                changes: vec![c],
                mixed: m,
            })
            .collect(),
        Per::Subsystem => {
            let mut mixed: Vec<String> = Vec::new();
            for (_, m) in &list {
                for s in m {
                    dedup_push(&mut mixed, s);
                }
            }
            vec![Unit {
                section: section.to_string(),
                changes: list.into_iter().map(|(c, _)| c).collect(),
                mixed,
            }]
        }
    }
}

/// Sections split into series of at most `max_per_series` patches.
fn plan_series<'a>(grouped: Grouped<'a>, opts: &SeriesOptions) -> Vec<Planned<'a>> {
    let mut out = Vec::new();
    for (section, list) in grouped {
        let mut units = section_units(&section, list, opts.per);
        let chunk = if opts.max_per_series == 0 {
            units.len().max(1)
        } else {
            opts.max_per_series
        };
        let parts = units.len().div_ceil(chunk);
        for part in 1..=parts {
            let rest = units.split_off(chunk.min(units.len()));
            let these = std::mem::replace(&mut units, rest);
            out.push(Planned {
                dirname: series_dirname(&section, part, parts),
                section: section.clone(),
                part,
                parts,
                units: these,
                changelog: Vec::new(),
            });
        }
    }
    out
}

/// `--resend`: the earlier series again, each with its drivers that are
/// still to convert, and a changelog saying what was dropped and why.
fn plan_resend<'a>(
    grouped: Grouped<'a>,
    resend: &Resend,
    warnings: &mut Vec<String>,
) -> Vec<Planned<'a>> {
    let mut by_series: BTreeMap<(String, usize), (usize, Members<'a>)> = BTreeMap::new();
    for (_, list) in grouped {
        for (c, m) in list {
            let sent = std::iter::once(&c.key)
                .chain(c.files.iter().map(|f| &f.rel_path))
                .find_map(|k| resend.previous.get(k));
            match sent {
                Some(s) => by_series
                    .entry((s.section.clone(), s.part))
                    .or_insert_with(|| (s.parts, Vec::new()))
                    .1
                    .push((c, m)),
                None => warnings.push(format!(
                    "{}: not in an earlier version of any series; left out of the resend (send it in a new series)",
                    c.key
                )),
            }
        }
    }
    let mut out = Vec::new();
    for ((section, part), (parts, list)) in by_series {
        let units = section_units(&section, list, Per::Driver);
        let mut why: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        let mut prev_version = 1;
        for d in &resend.dropped {
            if d.sent_in.section == section && d.sent_in.part == part {
                why.entry(&d.why).or_default().push(&d.driver);
                prev_version = prev_version.max(d.sent_in.version);
            }
        }
        let mut changelog = vec![format!("resent on {}", resend.tree_label)];
        for (reason, drivers) in why {
            changelog.push(format!(
                "dropped {} patch{} {reason}: {}",
                drivers.len(),
                if drivers.len() == 1 { "" } else { "es" },
                drivers.join(", ")
            ));
        }
        out.push(Planned {
            dirname: series_dirname(&section, part, parts),
            section,
            part,
            parts,
            units,
            changelog,
        });
    }
    out
}

/// b4's `change-id:` of a series: the same for every version, from the
/// campaign and the series' identity (section and part).  A campaign
/// phase (`ID/introduce`, `ID/retire`) is one series: its id alone.
pub fn change_id(campaign: &str, section: &str, part: usize) -> String {
    let slug = section_slug(campaign);
    if campaign.contains('/') {
        return format!("unplug-{slug}-{}", &sha_of(campaign.as_bytes())[..12]);
    }
    let key = format!("{campaign}\0{section}\0{part}");
    format!(
        "unplug-{slug}-{}-{part}-{}",
        section_slug(section),
        &sha_of(key.as_bytes())[..12]
    )
}

/// The date a run writes when none is given, so that the same tree and
/// campaign give the same bytes: the commit time of HEAD when the tree is
/// the top of a git work tree, else the newest modification time of the
/// tree's Makefile, MAINTAINERS and the touched files (an extracted
/// release keeps the release's times).
pub fn tree_date(tree: &Path, changes: &[DriverChange]) -> i64 {
    if prefix::is_git_tree(tree) {
        if let Some(t) = git_out(tree, &["log", "-1", "--format=%ct"]).and_then(|s| s.parse().ok())
        {
            return t;
        }
    }
    let files = changes
        .iter()
        .flat_map(|c| c.files.iter().map(|f| f.rel_path.as_str()));
    ["Makefile", "MAINTAINERS"]
        .into_iter()
        .chain(files)
        .filter_map(|f| {
            std::fs::metadata(tree.join(f))
                .and_then(|m| m.modified())
                .ok()
        })
        .filter_map(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs() as i64)
        .max()
        .unwrap_or(0)
}

/// HEAD of the tree when it is the top of a git work tree (`base-commit:`).
pub fn head_commit(tree: &Path) -> Option<String> {
    prefix::is_git_tree(tree)
        .then(|| git_out(tree, &["rev-parse", "HEAD"]))
        .flatten()
}

fn git_out(tree: &Path, args: &[&str]) -> Option<String> {
    let o = Command::new("git")
        .arg("-C")
        .arg(tree)
        .args(args)
        .output()
        .ok()?;
    let s = String::from_utf8(o.stdout).ok()?.trim().to_string();
    (o.status.success() && !s.is_empty()).then_some(s)
}

fn main_file(ch: &DriverChange) -> &str {
    if let Some(f) = ch.files.iter().find(|f| f.rel_path == ch.key) {
        return &f.rel_path;
    }
    if let Some(f) = ch.files.iter().find(|f| f.rel_path.ends_with(".c")) {
        return &f.rel_path;
    }
    &ch.files[0].rel_path
}

fn subsystem_selected(filters: &[String], section: &str, ch: &DriverChange) -> bool {
    let sl = section.to_lowercase();
    filters.iter().any(|f| {
        let fl = f.to_lowercase();
        if f.contains('/') {
            let d = f.trim_end_matches('/');
            ch.files
                .iter()
                .any(|e| e.rel_path == d || e.rel_path.starts_with(&format!("{d}/")))
        } else {
            sl == fl || sl.contains(&fl) || section_slug(section) == fl
        }
    })
}

/// A file the tree does not have yet, created by the change.
pub fn is_new_file(tree: &Path, f: &FileEdit) -> bool {
    f.before.is_empty() && !f.after.is_empty() && !tree.join(&f.rel_path).exists()
}

struct SeriesCtx<'a> {
    tree: &'a Path,
    maint: &'a Maintainers,
    attrs: &'a Attributes,
    campaign: &'a Campaign,
    from: &'a str,
    date: &'a str,
    signature: &'a str,
    version: u32,
    abbrev: usize,
    signoff: bool,
    base_commit: Option<&'a str>,
    prerequisites: &'a [String],
    builds: &'a BTreeMap<String, build::PatchBuild>,
    verifies: &'a BTreeMap<String, Vec<PatchVerify>>,
    change_id: String,
    changelog: Vec<String>,
}

impl SeriesCtx<'_> {
    /// `<id>@<the sender's domain>`, unique per series, version and mail.
    fn message_id(&self, what: &str) -> String {
        let domain = self
            .from
            .rsplit_once('@')
            .map(|(_, d)| d.trim_end_matches('>').trim())
            .filter(|d| !d.is_empty())
            .unwrap_or("localhost.invalid");
        format!("{what}.v{}.{}@{domain}", self.version, self.change_id)
    }
}

fn sha_of(data: &[u8]) -> String {
    let mut h = sha1_smol::Sha1::new();
    h.update(data);
    h.digest().to_string()
}

fn dedup_push(v: &mut Vec<String>, s: &str) {
    if !v.iter().any(|x| x == s) {
        v.push(s.to_string());
    }
}

fn commit_body(ctx: &SeriesCtx, unit: &Unit, helpers: &[String]) -> String {
    let mut paras = vec![gitdiff::wrap_body(&ctx.campaign.rationale, 75)];
    if unit.changes.len() > 1 {
        let mut list = String::from("This converts the following drivers:\n");
        for c in &unit.changes {
            list += &format!("\n  - {}", c.key);
        }
        paras.push(list);
    }
    for c in &unit.changes {
        for r in &c.remarks {
            let text = if unit.changes.len() > 1 {
                format!("{}: {r}", c.key)
            } else {
                r.clone()
            };
            paras.push(gitdiff::wrap_body(&text, 75));
        }
    }
    if !helpers.is_empty() {
        let files: BTreeSet<&str> = unit
            .changes
            .iter()
            .filter(|c| c.shared_helper.is_some())
            .flat_map(|c| c.files.iter().map(|f| f.rel_path.as_str()))
            .collect();
        let t = format!(
            "{} {} shared by {}, so {} converted in a single patch.",
            helpers.join(", "),
            if helpers.len() > 1 { "are" } else { "is" },
            files.into_iter().collect::<Vec<_>>().join(", "),
            "they are"
        );
        paras.push(gitdiff::wrap_body(&t, 75));
    }
    if unit.mixed.len() > 1 {
        paras.push(gitdiff::wrap_body(
            &format!(
                "This patch touches files of several MAINTAINERS sections ({}) because a shared helper forces them together.",
                unit.mixed.join("; ")
            ),
            75,
        ));
    }
    let mut body = paras
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    body.push('\n');
    if ctx.signoff {
        body += &format!("\nSigned-off-by: {}\n", ctx.from);
    }
    body
}

/// Renders the mail of one unit (patch `nr` of `total`): returns its
/// entry for the report, its diffstat and its bytes.
fn render_unit(
    ctx: &SeriesCtx,
    resolver: &mut PrefixResolver,
    unit: &Unit,
    nr: usize,
    total: usize,
    dir: &Path,
) -> Result<(Rendered, Vec<u8>)> {
    let mut files: Vec<&FileEdit> = unit.changes.iter().flat_map(|c| c.files.iter()).collect();
    files.sort_by(|a, b| a.rel_path.cmp(&b.rel_path));
    let paths: Vec<String> = files.iter().map(|f| f.rel_path.clone()).collect();
    let (prefix, source) = unit_prefix(resolver, unit, &paths);
    let title = if prefix.is_empty() {
        ctx.campaign.subject.clone()
    } else {
        format!("{prefix} {}", ctx.campaign.subject)
    };
    let mut helpers: Vec<String> = Vec::new();
    for h in unit.changes.iter().filter_map(|c| c.shared_helper.as_ref()) {
        dedup_push(&mut helpers, h);
    }
    let body = commit_body(ctx, unit, &helpers);
    let (text, stats) = patch_text(ctx, &files, title, body, nr, total);
    let routed = route_mail(ctx.maint, |to, cc| text.render(ctx, to, cc));
    let file_name = mbox::patch_file_name(ctx.version, nr, &text.title);
    let (ins, del) = stats
        .iter()
        .fold((0, 0), |a, s| (a.0 + s.added, a.1 + s.deleted));
    let entry = PatchEntry {
        path: dir.join(&file_name),
        file_name,
        subject: format!("{} {}", text.tag, text.title),
        prefix,
        prefix_source: source,
        drivers: unit.changes.iter().map(|c| c.key.clone()).collect(),
        files: paths,
        to: routed.to,
        cc: routed.cc,
        sections: routed.routing.sections.clone(),
        orphan: routed.routing.orphan,
        mixed_sections: if unit.mixed.len() > 1 {
            unit.mixed.clone()
        } else {
            vec![]
        },
        shared_helpers: helpers,
        insertions: ins,
        deletions: del,
        message_id: text.message_id,
        check: None,
        build: unit_build(ctx, unit),
        verify: unit
            .changes
            .iter()
            .filter_map(|c| ctx.verifies.get(&c.key))
            .flatten()
            .cloned()
            .collect(),
    };
    Ok((Rendered { entry, stats }, routed.bytes))
}

/// A patch mail's parts that do not depend on its recipients.
/// The text of patch `nr` of `total` changing `files`: its diffs and
/// diffstat, and the ids (commit-like sha, Message-ID) derived from them.
fn patch_text(
    ctx: &SeriesCtx,
    files: &[&FileEdit],
    title: String,
    body: String,
    nr: usize,
    total: usize,
) -> (PatchText, Vec<FileStat>) {
    let pfiles: Vec<PatchFile> = files
        .iter()
        .map(|f| PatchFile {
            path: &f.rel_path,
            before: (!is_new_file(ctx.tree, f)).then_some(&f.before[..]),
            after: Some(&f.after),
            mode: f.mode,
        })
        .collect();
    let (stat, diffs, stats) = mbox::render_diffs(&pfiles, ctx.attrs, ctx.abbrev);
    let sha = {
        let mut d = title.as_bytes().to_vec();
        d.extend_from_slice(&diffs);
        sha_of(&d)
    };
    let text = PatchText {
        tag: mbox::subject_tag(ctx.version, nr, total),
        message_id: ctx.message_id(&sha[..12]),
        cover_id: ctx.message_id("cover"),
        sha,
        title,
        body,
        stat,
        diffs,
    };
    (text, stats)
}

struct PatchText {
    sha: String,
    message_id: String,
    cover_id: String,
    tag: String,
    title: String,
    body: String,
    stat: String,
    diffs: Vec<u8>,
}

impl PatchText {
    fn render(&self, ctx: &SeriesCtx, to: &[String], cc: &[String]) -> Vec<u8> {
        let mail = Mail {
            sha: self.sha.clone(),
            message_id: self.message_id.clone(),
            in_reply_to: Some(&self.cover_id),
            notes: changelog_notes(ctx),
            from: ctx.from,
            date: ctx.date,
            tag: self.tag.clone(),
            title: self.title.clone(),
            to,
            cc,
            body: self.body.clone(),
            signature: ctx.signature,
        };
        mbox::render_patch(&mail, &self.stat, &self.diffs)
    }
}

/// A unit's subject prefix: learnt for its files, or for a patch holding
/// several drivers, the part their own prefixes share.
fn unit_prefix(
    resolver: &mut PrefixResolver,
    unit: &Unit,
    paths: &[String],
) -> (String, PrefixSource) {
    let sec = (unit.section != NO_SECTION).then_some(unit.section.as_str());
    if unit.changes.len() == 1 {
        return resolver.for_files(paths, Some(main_file(unit.changes[0])), sec);
    }
    let per: Vec<String> = unit
        .changes
        .iter()
        .map(|c| {
            let p: Vec<String> = c.files.iter().map(|f| f.rel_path.clone()).collect();
            resolver.for_files(&p, Some(main_file(c)), sec).0
        })
        .collect();
    match prefix::common_prefix(&per) {
        Some(p) => (p, PrefixSource::History),
        None => resolver.for_files(paths, None, sec),
    }
}

/// A mail with its recipients settled.
struct Routed {
    bytes: Vec<u8>,
    routing: Routing,
    to: Vec<String>,
    cc: Vec<String>,
}

/// Routes the mail `render` makes as get_maintainer.pl would see it,
/// again after adding the recipients, since K: patterns may match the
/// To:/Cc: lines we add (adding headers only adds matches: a few rounds
/// settle it).
fn route_mail(maint: &Maintainers, render: impl Fn(&[String], &[String]) -> Vec<u8>) -> Routed {
    let mut routing: Routing = Routing::default();
    let mut to: Vec<String> = Vec::new();
    let mut cc: Vec<String> = Vec::new();
    let mut bytes = render(&to, &cc);
    for _ in 0..4 {
        let r = maint.route_patch(&String::from_utf8_lossy(&bytes));
        let (nt, nc) = (r.to(), r.cc());
        routing = r;
        let same = |a: &[String], b: &[String]| {
            a.iter().collect::<BTreeSet<_>>() == b.iter().collect::<BTreeSet<_>>()
        };
        if same(&nt, &to) && same(&nc, &cc) {
            break;
        }
        to = nt;
        cc = nc;
        bytes = render(&to, &cc);
    }
    Routed {
        bytes,
        routing,
        to,
        cc,
    }
}

/// The `--check --build` verdicts of a unit's drivers, as one.
fn unit_build(ctx: &SeriesCtx, unit: &Unit) -> Option<build::PatchBuild> {
    let parts: Vec<&build::PatchBuild> = unit
        .changes
        .iter()
        .filter_map(|c| ctx.builds.get(&c.key))
        .collect();
    build::PatchBuild::merge(&parts)
}

/// The cover letter's line on `--check --build`: how many patches built
/// where, with W=1, and what was not built or regressed.
fn build_summary(rendered: &[Rendered]) -> Option<String> {
    let builds: Vec<(usize, &build::PatchBuild)> = rendered
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.entry.build.as_ref().map(|b| (i + 1, b)))
        .collect();
    if builds.is_empty() {
        return None;
    }
    let mut on: BTreeMap<String, usize> = BTreeMap::new();
    for (_, b) in &builds {
        if b.status == build::BuildStatus::Built {
            *on.entry(format!(
                "{} {}",
                b.arch.clone().unwrap_or_default(),
                b.config.clone().unwrap_or_default()
            ))
            .or_default() += 1;
        }
    }
    let built: usize = on.values().sum();
    let mut s = format!(
        "Build-tested with W=1 before and after each patch: {built} of {} patch{} built without new warnings",
        rendered.len(),
        if rendered.len() == 1 { "" } else { "es" }
    );
    if !on.is_empty() {
        let list: Vec<String> = on.iter().map(|(k, n)| format!("{n} on {k}")).collect();
        s += &format!(" ({})", list.join(", "));
    }
    s.push('.');
    for (i, b) in &builds {
        match b.status {
            build::BuildStatus::Built => {}
            build::BuildStatus::NotBuilt => {
                s += &format!(
                    " Patch {i} not built: {}.",
                    b.reason.clone().unwrap_or_default()
                )
            }
            build::BuildStatus::Regression => {
                s += &format!(
                    " Patch {i} REGRESSES: {}.",
                    b.reason.clone().unwrap_or_default()
                )
            }
        }
    }
    Some(s)
}

/// A patch's changelog below its `---` (git am drops it).
fn changelog_notes(ctx: &SeriesCtx) -> String {
    if ctx.changelog.is_empty() {
        return String::new();
    }
    let mut s = format!("Changes in v{}:\n", ctx.version);
    for c in &ctx.changelog {
        s += &format!("- {c}\n");
    }
    s + "\n"
}

/// What [`write_series`] writes: one part of a section's series.
struct PlannedSeries<'p, 'a> {
    section: &'p str,
    part: usize,
    parts: usize,
    units: &'p [Unit<'a>],
}

/// Writes one series into `dir`: a mail per unit, then the cover letter.
fn write_series(
    ctx: &SeriesCtx,
    resolver: &mut PrefixResolver,
    p: &PlannedSeries,
    dir: &Path,
) -> Result<SeriesEntry> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    remove_stale_mails(dir, ctx.version)?;
    let total = p.units.len();
    let mut rendered = Vec::new();
    for (i, u) in p.units.iter().enumerate() {
        let (r, bytes) = render_unit(ctx, resolver, u, i + 1, total, dir)?;
        std::fs::write(&r.entry.path, &bytes)
            .with_context(|| format!("writing {}", r.entry.path.display()))?;
        rendered.push(r);
    }
    let (to, cc) = cover_recipients(&rendered);
    let cover_title = cover_title(ctx, &rendered, total);
    let orphan = ctx
        .maint
        .section_by_name(p.section)
        .map(|s| s.is_orphan())
        .unwrap_or(false);
    let titles: Vec<String> = rendered
        .iter()
        .map(|r| {
            r.entry
                .subject
                .split_once("] ")
                .map(|x| x.1.to_string())
                .unwrap_or_default()
        })
        .collect();
    let last_sha = {
        let mut d = Vec::new();
        for r in &rendered {
            d.extend_from_slice(r.entry.subject.as_bytes());
        }
        sha_of(&d)
    };
    let tag = mbox::subject_tag(ctx.version, 0, total);
    let message_id = ctx.message_id("cover");
    let mail = Mail {
        sha: last_sha,
        message_id: message_id.clone(),
        in_reply_to: None,
        notes: String::new(),
        from: ctx.from,
        date: ctx.date,
        tag: tag.clone(),
        title: cover_title.clone(),
        to: &to,
        cc: &cc,
        body: cover_blurb(ctx, p, orphan, &rendered),
        signature: ctx.signature,
    };
    let stat = series_diffstat(&rendered);
    let cover = mbox::render_cover(&mail, ctx.from, &titles, &stat, &cover_trailers(ctx));
    let cover_name = format!("v{}-0000-cover-letter.patch", ctx.version);
    let cover_path = dir.join(&cover_name);
    std::fs::write(&cover_path, cover)
        .with_context(|| format!("writing {}", cover_path.display()))?;
    Ok(SeriesEntry {
        section: p.section.to_string(),
        part: p.part,
        parts: p.parts,
        dir: dir.to_path_buf(),
        cover_letter: cover_name,
        cover_subject: format!("{tag} {cover_title}"),
        orphan,
        to,
        cc,
        change_id: ctx.change_id.clone(),
        message_id,
        changelog: ctx.changelog.clone(),
        patches: rendered.into_iter().map(|r| r.entry).collect(),
    })
}

/// Drops the mails of this version an earlier run left in `dir` (a
/// series that shrank would keep them otherwise).
fn remove_stale_mails(dir: &Path, version: u32) -> Result<()> {
    let vprefix = format!("v{version}-");
    let entries = std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    for e in entries {
        let e = e.with_context(|| format!("reading {}", dir.display()))?;
        let n = e.file_name().to_string_lossy().to_string();
        if n.starts_with(&vprefix) && n.ends_with(".patch") {
            std::fs::remove_file(e.path())
                .with_context(|| format!("removing the stale {}", e.path().display()))?;
        }
    }
    Ok(())
}

/// The cover letter goes to everyone a patch goes to: `To:` all patches'
/// `To:`, `Cc:` their `Cc:` not already in `To:`.
fn cover_recipients(rendered: &[Rendered]) -> (Vec<String>, Vec<String>) {
    let mut to: Vec<String> = Vec::new();
    let mut cc: Vec<String> = Vec::new();
    for a in rendered.iter().flat_map(|r| &r.entry.to) {
        dedup_push(&mut to, a);
    }
    for a in rendered.iter().flat_map(|r| &r.entry.cc) {
        if !to.contains(a) {
            dedup_push(&mut cc, a);
        }
    }
    (to, cc)
}

/// The cover's title: the campaign subject after the prefix the patches
/// share (or the first one's subsystem part).
fn cover_title(ctx: &SeriesCtx, rendered: &[Rendered], total: usize) -> String {
    let prefixes: Vec<String> = rendered.iter().map(|r| r.entry.prefix.clone()).collect();
    let cover_prefix = prefix::common_prefix(&prefixes)
        .or_else(|| {
            prefixes.first().map(|p| {
                p.split(": ")
                    .next()
                    .unwrap_or(p)
                    .trim_end_matches(':')
                    .to_string()
                    + ":"
            })
        })
        .unwrap_or_default();
    if total > 1 && cover_prefix.is_empty() {
        ctx.campaign.subject.clone()
    } else {
        format!("{cover_prefix} {}", ctx.campaign.subject)
            .trim()
            .to_string()
    }
}

/// The cover letter's text: what the series converts, the changelog, the
/// rationale, how to apply it, the build line and the notes on orphaned
/// code and patches that span sections.
fn cover_blurb(ctx: &SeriesCtx, p: &PlannedSeries, orphan: bool, rendered: &[Rendered]) -> String {
    let mut paras = Vec::new();
    let drivers: usize = rendered.iter().map(|r| r.entry.drivers.len()).sum();
    let mut intro = format!(
        "This series converts {} driver{} maintained under \"{}\" (campaign {}).",
        drivers,
        if drivers == 1 { "" } else { "s" },
        p.section,
        ctx.campaign.id
    );
    if p.parts > 1 {
        intro += &format!(" It is part {} of {} for this section.", p.part, p.parts);
    }
    paras.push(gitdiff::wrap_body(&intro, 75));
    if !ctx.changelog.is_empty() {
        paras.push(changelog_notes(ctx).trim_end().to_string());
    }
    paras.push(gitdiff::wrap_body(&ctx.campaign.rationale, 75));
    paras.push(
        "The patches are independent of each other and can be applied in any order, e.g. through the subsystem tree."
            .to_string(),
    );
    if let Some(line) = build_summary(rendered) {
        paras.push(line);
    }
    paras.extend(orphan_note(p.section, orphan, rendered));
    paras.extend(mixed_section_notes(rendered));
    paras
        .iter()
        .map(|p| gitdiff::wrap_body(p, 75))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// The note asking for a wider tree when the section or a touched file is
/// orphaned.
fn orphan_note(section: &str, orphan: bool, rendered: &[Rendered]) -> Option<String> {
    if !orphan && !rendered.iter().any(|r| r.entry.orphan) {
        return None;
    }
    let which: Vec<&str> = rendered
        .iter()
        .filter(|r| r.entry.orphan)
        .map(|r| r.entry.files[0].as_str())
        .collect();
    Some(format!(
        "Note: {} orphaned (S: Orphan in MAINTAINERS){}. Please consider picking up these patches through a wider tree.",
        if orphan { format!("the section \"{section}\" is") } else { "some touched code is".to_string() },
        if which.is_empty() { String::new() } else { format!(", affecting {}", which.join(", ")) }
    ))
}

/// One note per patch that touches files of several sections.
fn mixed_section_notes(rendered: &[Rendered]) -> Vec<String> {
    let mut notes = Vec::new();
    for (i, r) in rendered.iter().enumerate() {
        if !r.entry.mixed_sections.is_empty() {
            notes.push(format!(
                "Patch {} touches files of several subsystems ({}) because {} {} shared; it is sent to the maintainers of all of them.",
                i + 1,
                r.entry.mixed_sections.join("; "),
                if r.entry.shared_helpers.is_empty() { "the driver's files are".to_string() } else { r.entry.shared_helpers.join(", ") },
                if r.entry.shared_helpers.len() > 1 { "are" } else { "is" }
            ));
        }
    }
    notes
}

/// The series' diffstat: each file's lines summed over its patches.
fn series_diffstat(rendered: &[Rendered]) -> String {
    let mut tot: BTreeMap<String, FileStat> = BTreeMap::new();
    for s in rendered.iter().flat_map(|r| &r.stats) {
        let e = tot.entry(s.path.clone()).or_insert_with(|| FileStat {
            path: s.path.clone(),
            ..Default::default()
        });
        e.added += s.added;
        e.deleted += s.deleted;
    }
    let mut stats: Vec<FileStat> = tot.into_values().collect();
    stats.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
    gitdiff::diffstat(&stats, 72)
}

/// `base-commit:`, `change-id:` and `prerequisite-change-id:` (b4's).
fn cover_trailers(ctx: &SeriesCtx) -> Vec<String> {
    let mut trailers: Vec<String> = ctx
        .base_commit
        .map(|b| format!("base-commit: {b}"))
        .into_iter()
        .collect();
    trailers.push(format!("change-id: {}", ctx.change_id));
    for p in ctx.prerequisites {
        trailers.push(format!("prerequisite-change-id: {p}"));
    }
    trailers
}

fn trunc(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let t: String = s.chars().take(n.saturating_sub(1)).collect();
        t + "…"
    }
}

/// Human-readable summary of a report.
pub fn print_table(report: &SeriesReport, w: &mut impl Write) -> std::io::Result<()> {
    writeln!(
        w,
        "{} series, {} patches for campaign {} (v{}, one patch per {}) in {}",
        report.series.len(),
        report.patch_count(),
        report.campaign,
        report.version,
        match report.per {
            Per::Driver => "driver",
            Per::Subsystem => "subsystem",
        },
        report.out_dir.display()
    )?;
    for s in &report.series {
        print_series(s, report.checked, w)?;
    }
    for d in &report.dropped {
        writeln!(
            w,
            "dropped from v{} of {} (part {}): {} {}",
            d.sent_in.version, d.sent_in.section, d.sent_in.part, d.driver, d.why
        )?;
    }
    if !report.filtered_out.is_empty() {
        writeln!(
            w,
            "\n{} change(s) filtered out by --subsystem",
            report.filtered_out.len()
        )?;
    }
    for warn in &report.warnings {
        writeln!(w, "warning: {warn}")?;
    }
    Ok(())
}

/// One series of the table: its header, recipients and a line per patch.
fn print_series(s: &SeriesEntry, checked: bool, w: &mut impl Write) -> std::io::Result<()> {
    writeln!(w)?;
    let part = if s.parts > 1 {
        format!(" (part {}/{})", s.part, s.parts)
    } else {
        String::new()
    };
    writeln!(
        w,
        "== {}{}{}: {} patch{} -> {}",
        s.section,
        part,
        if s.orphan { " [ORPHAN]" } else { "" },
        s.patches.len(),
        if s.patches.len() == 1 { "" } else { "es" },
        s.dir.display()
    )?;
    let list = |v: &[String]| {
        if v.is_empty() {
            "-".into()
        } else {
            v.join(", ")
        }
    };
    writeln!(w, "   To: {}", list(&s.to))?;
    writeln!(w, "   Cc: {}", list(&s.cc))?;
    if checked {
        writeln!(
            w,
            "   {:<4} {:<7} {:>4} {:>5}  subject",
            "#", "applies", "err", "warn"
        )?;
    } else {
        writeln!(w, "   {:<4} {:>3} {:>3}  subject", "#", "to", "cc")?;
    }
    for (i, p) in s.patches.iter().enumerate() {
        let flags = patch_flags(p);
        if checked {
            let c = p.check.clone().unwrap_or_default();
            let n = |v: Option<u32>| v.map(|x| x.to_string()).unwrap_or_else(|| "-".into());
            writeln!(
                w,
                "   {:<4} {:<7} {:>4} {:>5}  {}{}",
                i + 1,
                if c.applies { "yes" } else { "NO" },
                n(c.checkpatch_errors),
                n(c.checkpatch_warnings),
                trunc(&p.subject, 90),
                flags
            )?;
        } else {
            writeln!(
                w,
                "   {:<4} {:>3} {:>3}  {}{}",
                i + 1,
                p.to.len(),
                p.cc.len(),
                trunc(&p.subject, 90),
                flags
            )?;
        }
    }
    Ok(())
}

/// The table's marks after a patch's subject: orphaned, mixed sections,
/// build and verifier verdicts.
fn patch_flags(p: &PatchEntry) -> String {
    let mut flags = String::new();
    if p.orphan {
        flags += " [orphan]";
    }
    if !p.mixed_sections.is_empty() {
        flags += " [mixed]";
    }
    if let Some(b) = &p.build {
        flags += &match b.status {
            build::BuildStatus::Built => {
                format!(" [built: {}]", b.arch.clone().unwrap_or_default())
            }
            build::BuildStatus::NotBuilt => " [NOT BUILT]".to_string(),
            build::BuildStatus::Regression => " [BUILD REGRESSION]".to_string(),
        };
    }
    for v in &p.verify {
        flags += &format!(" [{} {}: {}]", v.kernel, v.variant, v.verdict);
    }
    flags
}
