//! `unplug series`: the rewriter's file changes, grouped into one change
//! per driver (a shared helper with all its users), handed to the series
//! crate, which routes, formats and checks them.

use crate::exit;
use crate::flags::series::{GroupByArg, PerArg, PhaseArg, SeriesArgs};
use anyhow::{bail, Result};
use rewriter::model::{FileChange, Site};
use series::campaign::{CampaignPhase, ChangeGroup, GroupedEdit};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// `prerequisite-change-id:` of a convert series: the campaign's introduce
/// patch, unless the tree already has the new interface (its version from
/// the ledger when the campaign recorded it, else v1).
fn prerequisites(
    pattern: &rewriter::pattern::Pattern,
    tree: &std::path::Path,
    campaign: Option<&std::path::Path>,
) -> Result<Vec<String>> {
    let Some(intro) = &pattern.introduce else {
        return Ok(Vec::new());
    };
    if pattern
        .requires
        .as_ref()
        .is_some_and(|r| r.check(tree).is_ok())
    {
        return Ok(Vec::new());
    }
    let id = &intro.pattern.id;
    let version = match campaign {
        Some(dir) => reports::Ledger::open(dir)?
            .state
            .phases
            .get(id)
            .map_or(1, |p| p.version.max(1)),
        None => 1,
    };
    Ok(vec![format!("{}:v{version}", series::change_id(id, "", 1))])
}

/// The rewriter's file changes with their groups typed.
fn grouped_edits(changes: &[FileChange]) -> Vec<GroupedEdit> {
    changes
        .iter()
        .map(|c| GroupedEdit {
            file: c.file.clone(),
            before: c.before.clone(),
            after: c.after.clone(),
            groups: c.groups.iter().map(|g| ChangeGroup::parse(g)).collect(),
        })
        .collect()
}

/// One change per driver (a shared helper with all its users).
pub fn driver_changes(changes: &[FileChange], sites: &[Site]) -> Vec<series::DriverChange> {
    series::campaign::driver_changes(&grouped_edits(changes), sites)
}

/// Retiring the old interface while a user is left would break the build:
/// scan the tree (the selection's paths) and refuse, listing the users.
fn refuse_retire(
    sel: &crate::flags::Selection,
    pattern: &rewriter::pattern::Pattern,
) -> Result<Option<u8>> {
    let opts = rewriter::engine::RunOptions {
        paths: sel.paths.clone(),
        assume_api: true,
        ..Default::default()
    };
    let outcome = rewriter::engine::run(&sel.tree, &[pattern], &opts)?;
    let legacy = series::campaign::retire_blockers(&outcome.sites);
    if legacy.is_empty() {
        return Ok(None);
    }
    eprintln!(
        "unplug: refusing to retire {}: {} legacy user(s) left:",
        pattern.id,
        legacy.len()
    );
    for s in legacy {
        eprintln!(
            "{}:{}: {} ({})",
            s.file,
            s.line,
            s.context.as_deref().unwrap_or("?"),
            s.verdict.as_str()
        );
    }
    Ok(Some(exit::FINDINGS))
}

/// `--resend`: records the scan of the newer tree in the campaign, then
/// reads back where each driver was sent and which of those patches are
/// no longer needed. Returns the plan and the version to write.
fn resend_plan(
    dir: &std::path::Path,
    sel: &crate::flags::Selection,
    outcome: &rewriter::engine::Outcome,
    pattern: &str,
) -> Result<(series::Resend, u32)> {
    reports::campaign::check_resend(dir, pattern)?;
    let doc = crate::output::scan_document(&sel.tree, outcome);
    let summary = reports::campaign::record_scan(dir, &doc, &sel.tree, &sel.paths)?;
    eprintln!("unplug: campaign {}: {summary}", dir.display());
    let tree_label =
        rewriter::tree::kernel_version(&sel.tree).unwrap_or_else(|| sel.tree.display().to_string());
    reports::campaign::resend_plan(dir, pattern, tree_label)
}

/// `--arch` (or every known architecture), those with a compiler.
fn build_arches(asked: &[String]) -> Result<Vec<series::build::Arch>> {
    use series::build::{available_arches, default_arches};
    let mut known = default_arches();
    if !asked.is_empty() {
        for a in asked {
            if !known.iter().any(|k| &k.name == a) {
                bail!(
                    "--arch {a}: unknown (known: {})",
                    known
                        .iter()
                        .map(|k| k.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
        known = asked
            .iter()
            .filter_map(|a| known.iter().find(|k| &k.name == a).cloned())
            .collect();
    }
    let (arches, missing) = available_arches(known);
    if !missing.is_empty() {
        eprintln!(
            "unplug: --build: no compiler for {} (skipped)",
            missing.join(", ")
        );
    }
    if arches.is_empty() {
        bail!("--build: no compiler for any architecture asked for");
    }
    Ok(arches)
}

/// `--build`: the architectures asked for (or all known) that have a
/// compiler, then every change compiled, with a progress bar on stderr.
fn run_builds(
    args: &SeriesArgs,
    changes: &[series::DriverChange],
) -> Result<BTreeMap<String, series::build::PatchBuild>> {
    use series::build::{build_changes, BuildOptions, Progress};
    let arches = build_arches(&args.arches)?;
    let cache = match &args.build_cache {
        Some(d) => d.clone(),
        None => std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .unwrap_or_else(|| PathBuf::from(".cache"))
            .join("unplug/build"),
    };
    let opts = BuildOptions {
        cache,
        arches,
        jobs: args.jobs.max(1),
    };
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let refs: Vec<&series::DriverChange> = changes.iter().collect();
    // seconds spent setting up (configure, prepare) and compiling
    let mut spent = [0.0f64; 2];
    let mut step = (0usize, std::time::Instant::now());
    let out = build_changes(&args.sel.tree, &refs, &opts, &mut |p| match p {
        Progress::Step(s) => {
            spent[step.0] += step.1.elapsed().as_secs_f64();
            step = (
                usize::from(s.contains(": build")),
                std::time::Instant::now(),
            );
            bar.set_message(s.to_string());
        }
        Progress::Compiles(n) => bar.inc_length(n as u64),
        Progress::Compiled(o) => {
            bar.inc(1);
            bar.set_message(o.to_string());
        }
        Progress::ArchFailed(a, e) => {
            bar.suspend(|| eprintln!("unplug: --build: {a} skipped: {e}"));
        }
    });
    spent[step.0] += step.1.elapsed().as_secs_f64();
    bar.finish_and_clear();
    eprintln!(
        "unplug: --build: {} change(s): set-up (configure, prepare) {:.0} s, compiles {:.0} s",
        changes.len(),
        spent[0],
        spent[1]
    );
    out
}

/// What a phase rewrites: its outcome, the exit code so far, the campaign
/// the series is of, and the subject prefix a core phase forces.
struct PhaseRun {
    outcome: rewriter::engine::Outcome,
    code: u8,
    campaign: series::Campaign,
    prefix: Option<String>,
}

pub fn run(extra: Option<&std::path::Path>, args: &SeriesArgs) -> Result<u8> {
    if args.resend && args.phase != PhaseArg::Convert {
        bail!("--resend resends convert series only");
    }
    if args.sel.pattern_ids.len() != 1 {
        bail!("series needs exactly one --pattern: a series is one campaign");
    }
    let all = rewriter::pattern::load_all(extra)?;
    let Some(pattern) = all.iter().find(|p| p.id == args.sel.pattern_ids[0]) else {
        bail!("no pattern `{}`", args.sel.pattern_ids[0]);
    };
    // The campaign is checked before any patch is written.
    if let Some(dir) = &args.campaign {
        reports::campaign::check_series_campaign(dir, &pattern.id, &args.out)?;
    }
    let phase = args.phase.phase();
    let run = match phase {
        CampaignPhase::Convert => {
            let (outcome, code) = crate::commands::execute_and_report(extra, &args.sel)?;
            let campaign = series::Campaign {
                id: pattern.id.clone(),
                subject: pattern.subject.clone(),
                rationale: pattern.rationale.clone(),
            };
            PhaseRun {
                outcome,
                code,
                campaign,
                prefix: None,
            }
        }
        CampaignPhase::Introduce | CampaignPhase::Retire => match core_phase(args, pattern, phase)?
        {
            Ok(run) => run,
            Err(code) => return Ok(code),
        },
    };
    let mut opts = series_options(args, pattern)?;
    if let (true, Some(dir)) = (args.resend, &args.campaign) {
        let (plan, version) = resend_plan(dir, &args.sel, &run.outcome, &pattern.id)?;
        opts.version = version;
        opts.resend = Some(plan);
    }
    if let Some(prefix) = &run.prefix {
        for c in &run.outcome.changes {
            opts.prefix_overrides.insert(c.file.clone(), prefix.clone());
        }
    }
    let mut changes = driver_changes(&run.outcome.changes, &run.outcome.sites);
    if phase != CampaignPhase::Convert {
        changes = series::campaign::one_change(changes, &run.campaign.id);
    }
    if changes.is_empty() {
        nothing_to_send(&opts, &run.campaign);
        return Ok(run.code);
    }
    if args.build {
        opts.builds = run_builds(args, &changes)?;
    }
    if args.verify {
        opts.verifies = crate::driver_verify::verify_changes(&args.sel.tree, &changes, extra)?;
    }
    let report = series::build_series(&args.sel.tree, &run.campaign, &changes, &opts)?;
    if let Some(dir) = &args.campaign {
        let n = reports::campaign::record_series(dir, &series::campaign::record_of(&report))?;
        eprintln!(
            "unplug: campaign {}: {n} site(s) linked to their patches",
            dir.display()
        );
    }
    print_report(&report, args.json)?;
    Ok(if series::campaign::checks_failed(&report, &opts) {
        exit::FINDINGS
    } else {
        run.code
    })
}

/// The series report on stdout: JSON, or the table.
fn print_report(report: &series::SeriesReport, json: bool) -> Result<()> {
    let mut stdout = crate::output::stdout();
    if json {
        serde_json::to_writer_pretty(&mut stdout, report)?;
        use std::io::Write;
        writeln!(stdout)?;
    } else {
        series::print_table(report, &mut stdout)?;
    }
    Ok(())
}

/// `--phase introduce|retire`: the phase's own pattern over the core
/// files (and, for retire, every user). `Err(code)`: nothing to write
/// (the tree has the interface already, or retiring is refused).
fn core_phase(
    args: &SeriesArgs,
    pattern: &rewriter::pattern::Pattern,
    phase: CampaignPhase,
) -> Result<std::result::Result<PhaseRun, u8>> {
    let declared = match phase {
        CampaignPhase::Introduce => &pattern.introduce,
        _ => &pattern.retire,
    };
    let Some(core) = declared else {
        bail!(
            "{} declares no `{}` phase (it has: {})",
            pattern.id,
            phase.name(),
            pattern.phase_names().join(", ")
        );
    };
    if phase == CampaignPhase::Introduce {
        if pattern
            .requires
            .as_ref()
            .is_some_and(|r| r.check(&args.sel.tree).is_ok())
        {
            eprintln!(
                "unplug: {}: the tree already has the new interface; nothing to introduce",
                pattern.id
            );
            return Ok(Err(exit::OK));
        }
    } else if let Some(code) = refuse_retire(&args.sel, pattern)? {
        return Ok(Err(code));
    }
    let opts = rewriter::engine::RunOptions {
        paths: phase.paths(&core.paths, &args.sel.paths),
        ..Default::default()
    };
    let outcome = rewriter::engine::run(&args.sel.tree, &[&core.pattern], &opts)?;
    crate::output::write_findings(&outcome, &mut std::io::stderr())?;
    Ok(Ok(PhaseRun {
        outcome,
        code: exit::OK,
        campaign: series::Campaign {
            id: core.pattern.id.clone(),
            subject: core.pattern.subject.clone(),
            rationale: core.pattern.rationale.clone(),
        },
        prefix: core.prefix.clone(),
    }))
}

/// The series crate's options for these flags.
fn series_options(
    args: &SeriesArgs,
    pattern: &rewriter::pattern::Pattern,
) -> Result<series::SeriesOptions> {
    Ok(series::SeriesOptions {
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
        date: args.date,
        prerequisites: if args.phase == PhaseArg::Convert {
            prerequisites(pattern, &args.sel.tree, args.campaign.as_deref())?
        } else {
            Vec::new()
        },
        check: args.check,
        tree: args.sel.tree.clone(),
        group_by: match args.group_by {
            GroupByArg::Section => series::GroupBy::Section,
            GroupByArg::Tree => series::GroupBy::Tree,
        },
        ..Default::default()
    })
}

/// No change left to send: what a resend dropped, and that nothing is written.
fn nothing_to_send(opts: &series::SeriesOptions, campaign: &series::Campaign) {
    if let Some(plan) = &opts.resend {
        let applied = plan
            .dropped
            .iter()
            .filter(|d| d.why.starts_with("applied"))
            .count();
        eprintln!(
            "unplug: resend on {}: {} patch(es) of v{} dropped ({applied} applied, {} gone)",
            plan.tree_label,
            plan.dropped.len(),
            opts.version - 1,
            plan.dropped.len() - applied
        );
    }
    eprintln!("unplug: no change to send for {}", campaign.id);
}
