//! `unplug series`: the rewriter's file changes, grouped into one change
//! per driver (a shared helper with all its users), handed to the series
//! crate, which routes, formats and checks them.

use crate::exit;
use anyhow::{bail, Result};
use rewriter::model::FileChange;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct SeriesArgs {
    #[command(flatten)]
    pub sel: crate::Selection,
    /// Directory the series are written to (one subdirectory per series).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// One patch per driver (default) or one per subsystem.
    #[arg(long, value_enum, default_value = "driver")]
    pub per: PerArg,
    /// Group patches by the most specific MAINTAINERS section (default), or
    /// by the most specific section that names a git tree (fewer series).
    #[arg(long, value_enum, default_value = "section")]
    pub group_by: GroupByArg,
    /// Split a subsystem's series after this many patches (0: never).
    #[arg(long, default_value_t = 15)]
    pub max_per_series: usize,
    /// Only these MAINTAINERS sections (name substring) or paths.
    #[arg(long = "subsystem", value_name = "NAME")]
    pub subsystems: Vec<String>,
    /// Author, "Name <addr>" (default: the tree's git config).
    #[arg(long)]
    pub from: Option<String>,
    /// Add a Signed-off-by: line for the author.
    #[arg(long)]
    pub signoff: bool,
    /// Series version (v1, v2, ...).
    #[arg(long, default_value_t = 1)]
    pub version: u32,
    /// The base-commit: trailer of the cover letters.
    #[arg(long, value_name = "SHA")]
    pub base_commit: Option<String>,
    /// Apply the series to a scratch copy with git am and run checkpatch.pl.
    #[arg(long)]
    pub check: bool,
    /// Machine-readable report.
    #[arg(long)]
    pub json: bool,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum GroupByArg {
    Section,
    Tree,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum PerArg {
    Driver,
    Subsystem,
}

/// Groups linked through a shared file form one change: a helper's file
/// and every driver file pointing at it travel together.
pub fn driver_changes(changes: &[FileChange]) -> Vec<series::DriverChange> {
    let mut parent: BTreeMap<String, String> = BTreeMap::new();
    fn find(parent: &mut BTreeMap<String, String>, k: &str) -> String {
        let p = parent.get(k).cloned().unwrap_or_else(|| k.to_string());
        if p == k {
            return p;
        }
        let root = find(parent, &p);
        parent.insert(k.to_string(), root.clone());
        root
    }
    for c in changes {
        let keys: Vec<String> = if c.groups.is_empty() {
            vec![c.file.clone()]
        } else {
            c.groups.clone()
        };
        let first = find(&mut parent, &keys[0]);
        for k in &keys[1..] {
            let r = find(&mut parent, k);
            if r != first {
                parent.insert(r, first.clone());
            }
        }
    }
    let mut by_root: BTreeMap<String, Vec<&FileChange>> = BTreeMap::new();
    for c in changes {
        let key = c.groups.first().cloned().unwrap_or_else(|| c.file.clone());
        by_root.entry(find(&mut parent, &key)).or_default().push(c);
    }
    by_root
        .into_iter()
        .map(|(root, files)| {
            let helper = files
                .iter()
                .flat_map(|f| &f.groups)
                .find_map(|g| g.strip_prefix("helper:"))
                .map(str::to_string);
            // A driver is named by its own file; a helper group by the first
            // user that is not the helper's file.
            let key = if root.starts_with("helper:") {
                files.iter().map(|f| f.file.clone()).min().unwrap_or(root)
            } else {
                root
            };
            series::DriverChange {
                key,
                files: files
                    .iter()
                    .map(|f| series::FileEdit {
                        rel_path: f.file.clone(),
                        before: f.before.clone(),
                        after: f.after.clone(),
                        mode: 0o100644,
                    })
                    .collect(),
                shared_helper: helper,
            }
        })
        .collect()
}

pub fn run(extra: Option<&std::path::Path>, args: &SeriesArgs) -> Result<u8> {
    if args.sel.pattern_ids.len() != 1 {
        bail!("series needs exactly one --pattern: a series is one campaign");
    }
    let all = rewriter::pattern::load_all(extra)?;
    let (outcome, code) = crate::commands::execute_and_report(extra, &args.sel)?;
    let pattern = all
        .iter()
        .find(|p| p.id == args.sel.pattern_ids[0])
        .expect("execute checked the id");
    let campaign = series::Campaign {
        id: pattern.id.clone(),
        subject: pattern.subject.clone(),
        rationale: pattern.rationale.clone(),
    };
    let opts = series::SeriesOptions {
        out_dir: args.out.clone(),
        per: match args.per {
            PerArg::Driver => series::Per::Driver,
            PerArg::Subsystem => series::Per::Subsystem,
        },
        max_per_series: args.max_per_series,
        subsystems: args.subsystems.clone(),
        from: args.from.clone(),
        signoff: args.signoff,
        version: args.version,
        base_commit: args.base_commit.clone(),
        check: args.check,
        tree: args.sel.tree.clone(),
        group_by: match args.group_by {
            GroupByArg::Section => series::GroupBy::Section,
            GroupByArg::Tree => series::GroupBy::Tree,
        },
        ..Default::default()
    };
    let changes = driver_changes(&outcome.changes);
    if changes.is_empty() {
        eprintln!("unplug: no change to send for {}", campaign.id);
        return Ok(code);
    }
    let report = series::build_series(&args.sel.tree, &campaign, &changes, &opts)?;
    let mut stdout = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut stdout, &report)?;
        use std::io::Write;
        writeln!(stdout)?;
    } else {
        series::print_table(&report, &mut stdout)?;
    }
    let check_failed = report
        .series
        .iter()
        .flat_map(|s| &s.patches)
        .filter_map(|p| p.check.as_ref())
        .any(|c| !c.applies || c.checkpatch_errors.unwrap_or(0) > 0);
    Ok(if check_failed { exit::FINDINGS } else { code })
}
