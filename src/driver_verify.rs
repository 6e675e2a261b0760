//! `unplug verify --tree TREE --driver PATH` and `--suite drivers`: real
//! in-tree drivers with a recipe (verifier-kmod/drivers), built from the
//! tree as it is and as the campaign rewrites it (or as mainline already
//! has it), each run under the verifier in QEMU.

use crate::exit;
use anyhow::{bail, Context, Result};
use model::verify::VerifyImport;
use rewriter::engine::{run, RunOptions};
use rewriter::model::Verdict;
use rewriter::pattern::{load_all, Pattern};
use serde_json::json;
use std::io::Write;
use std::path::Path;
use verifier::driver_runs::{self, DriverRewrite};
use verifier::drivers::{self, DriverOutcome, Variant};
use verifier::scenario::Scenario;

pub struct DriverArgs<'a> {
    pub tree: Option<&'a Path>,
    pub driver: Option<&'a str>,
    pub patterns: &'a [String],
    pub kcidb: Option<&'a Path>,
    /// Record the verdicts in this campaign's ledger.
    pub campaign: Option<&'a Path>,
    pub extra_patterns: Option<&'a Path>,
    pub args: &'a crate::flags::verify::VerifyArgs,
}

/// The campaign's rewrite of a recipe's driver in `tree`, for
/// [`driver_runs::variants`].
fn rewrite(tree: &Path, sc: &Scenario, pats: &[&Pattern]) -> Result<DriverRewrite> {
    let d = sc.driver.as_ref().unwrap();
    let opts = RunOptions {
        paths: vec![d.path.clone()],
        ..Default::default()
    };
    let outcome = run(tree, pats, &opts)?;
    let files = |v: Verdict| -> Vec<String> {
        let mut f: Vec<String> = outcome
            .sites
            .iter()
            .filter(|s| s.verdict == v)
            .map(|s| s.file.clone())
            .collect();
        f.sort();
        f.dedup();
        f
    };
    Ok(DriverRewrite {
        auto: files(Verdict::Auto),
        converted: files(Verdict::Converted),
        changes: outcome
            .changes
            .iter()
            .map(|c| (c.file.clone(), c.after.clone()))
            .collect(),
        sites: outcome
            .sites
            .iter()
            .map(|s| format!("{}:{} {}", s.file, s.line, s.verdict.as_str()))
            .collect(),
    })
}

/// The variants of a driver in `tree` as the campaign's patterns rewrite it.
fn variants(
    tree: &Path,
    sc: &Scenario,
    pats: &[&Pattern],
    scratch: &Path,
) -> Result<(Vec<Variant>, Vec<String>)> {
    let ids: Vec<&str> = pats.iter().map(|p| p.id.as_str()).collect();
    driver_runs::variants(tree, sc, &ids, &rewrite(tree, sc, pats)?, scratch)
}

/// The patterns a recipe is rewritten with: `--pattern`, else the recipe's.
fn patterns_of<'p>(all: &'p [Pattern], sc: &Scenario, ids: &[String]) -> Result<Vec<&'p Pattern>> {
    let d = sc.driver.as_ref().unwrap();
    let ids = if ids.is_empty() { &d.patterns } else { ids };
    ids.iter()
        .map(|id| {
            all.iter()
                .find(|p| &p.id == id)
                .with_context(|| format!("recipe {}: unknown pattern {id:?}", sc.name))
        })
        .collect()
}

/// One recipe on one tree: every variant (or one `error` naming the
/// step), and the files of the driver's sites.
fn one(
    a: &DriverArgs,
    all: &[Pattern],
    sc: &Scenario,
    series: &str,
    tree: &Path,
) -> (Vec<DriverOutcome>, Vec<String>) {
    driver_runs::run_recipe(sc, series, &a.args.options(), |scratch| {
        variants(tree, sc, &patterns_of(all, sc, a.patterns)?, scratch)
    })
}

pub fn run_drivers(a: &DriverArgs) -> Result<u8> {
    let kmod = verifier::kmod_dir(&a.args.options())?;
    let mut recipes =
        driver_runs::select(drivers::load_recipes(&kmod, a.driver.is_some())?, a.driver)?;
    // `--campaign DIR --tree TREE`: the suite's drivers of the campaign's patterns.
    if let (Some(dir), None) = (a.campaign, a.driver) {
        let ids = reports::campaign::campaign_patterns(dir)?.with_context(|| {
            format!(
                "{}: no campaign here (create one with `unplug scan TREE --campaign DIR`)",
                dir.display()
            )
        })?;
        recipes.retain(|r| {
            r.driver
                .as_ref()
                .is_some_and(|d| d.patterns.iter().any(|p| ids.contains(p)))
        });
        if recipes.is_empty() {
            bail!(
                "no driver recipe uses the campaign's patterns ({})",
                ids.join(", ")
            );
        }
    }
    let all = load_all(a.extra_patterns)?;
    for sc in &recipes {
        patterns_of(&all, sc, a.patterns)?;
    }
    let trees = driver_runs::trees(a.tree, a.args.kernel.as_deref(), &recipes, &|m| {
        eprintln!("unplug verify: {m}")
    })?;
    let mut runs = vec![];
    let mut checkouts = vec![];
    for (series, tree) in &trees {
        checkouts.push(verifier::kcidb::Checkout {
            series: series.clone(),
            version: driver_runs::tree_version(tree)?,
        });
        for sc in recipes
            .iter()
            .filter(|r| r.kernels.iter().any(|k| &k.kernel == series))
        {
            eprintln!("unplug verify: {} on {series}", sc.name);
            runs.push(one(a, &all, sc, series, tree));
        }
    }
    if let Some(dir) = a.campaign {
        let n = reports::campaign::record_verify(
            dir,
            &VerifyImport::Results(driver_runs::results_doc(&runs)),
        )?;
        eprintln!(
            "unplug verify: campaign {}: {n} site(s) updated",
            dir.display()
        );
    }
    let outcomes: Vec<DriverOutcome> = runs.into_iter().flat_map(|(o, _)| o).collect();
    if let Some(f) = a.kcidb {
        let doc = verifier::kcidb::document(&checkouts, &outcomes);
        std::fs::write(f, serde_json::to_string_pretty(&doc)?)
            .with_context(|| format!("{}: cannot write", f.display()))?;
    }
    show(&outcomes, a.args.json)?;
    Ok(if !outcomes.is_empty() && outcomes.iter().all(|o| o.ok()) {
        exit::OK
    } else {
        exit::FINDINGS
    })
}

/// `series --check --verify`: every driver of `changes` that has a recipe
/// for the tree's kernel, run as the tree has it and as the campaign
/// rewrites it; the verdicts by change key. A driver without a recipe
/// gets none (most drivers have no device QEMU can give them).
pub fn verify_changes(
    tree: &Path,
    changes: &[series::DriverChange],
    extra: Option<&Path>,
) -> Result<std::collections::BTreeMap<String, Vec<series::PatchVerify>>> {
    let args = crate::flags::verify::VerifyArgs::default();
    let recipes = drivers::load_recipes(&verifier::kmod_dir(&args.options())?, false)?;
    let series = drivers::tree_series(tree)?;
    let all = load_all(extra)?;
    let a = DriverArgs {
        tree: Some(tree),
        driver: None,
        patterns: &[],
        kcidb: None,
        campaign: None,
        extra_patterns: extra,
        args: &args,
    };
    let mut out = std::collections::BTreeMap::new();
    for c in changes {
        let runs: Vec<series::PatchVerify> = recipes
            .iter()
            .filter(|sc| sc.kernels.iter().any(|k| k.kernel == series))
            .filter(|sc| {
                driver_runs::recipe_covers(sc, c.files.iter().map(|f| f.rel_path.as_str()))
            })
            .flat_map(|sc| {
                eprintln!("unplug series --verify: {} on {series}", sc.name);
                one(&a, &all, sc, &series, tree).0
            })
            .map(|o| series::PatchVerify {
                kernel: o.series,
                variant: o.variant,
                verdict: o.verdict,
                objects: o.objects,
                failed_step: o.failed_step,
            })
            .collect();
        if !runs.is_empty() {
            out.insert(c.key.clone(), runs);
        }
    }
    Ok(out)
}

fn show(outcomes: &[DriverOutcome], json_out: bool) -> Result<()> {
    let mut out = crate::output::stdout();
    if json_out {
        let doc = json!({"schema": "unplug-verify-drivers/1", "results": outcomes});
        writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        return Ok(());
    }
    writeln!(
        out,
        "{:<14} {:<6} {:<10} {:<7} {:>7} {:>6}  detail",
        "driver", "kernel", "variant", "verdict", "objects", "secs"
    )?;
    for o in outcomes {
        let ops: Vec<String> = o
            .operations
            .iter()
            .map(|r| format!("{} {}={}", r.operation, r.verdict, r.objects.unwrap_or(0)))
            .collect();
        let detail = match (&o.failed_step, o.ok()) {
            (Some(step), false) => format!(
                "failed at {step}: {}{}",
                o.problems
                    .first()
                    .map(|p| p.lines().next().unwrap_or(""))
                    .map(|p| p.strip_prefix(&format!("{step}: ")).unwrap_or(p))
                    .unwrap_or(""),
                o.log
                    .as_ref()
                    .map(|l| format!(" (log: {l})"))
                    .unwrap_or_default()
            ),
            _ => ops.join("; "),
        };
        writeln!(
            out,
            "{:<14} {:<6} {:<10} {:<7} {:>7} {:>6.1}  {detail}",
            o.driver, o.series, o.variant, o.verdict, o.objects, o.seconds
        )?;
    }
    let failed: Vec<String> = outcomes
        .iter()
        .filter(|o| !o.ok())
        .map(|o| format!("{} {} {}", o.driver, o.series, o.variant))
        .collect();
    if !failed.is_empty() {
        writeln!(out, "failed: {}", failed.join(", "))?;
        for o in outcomes.iter().filter(|o| !o.ok()) {
            for p in &o.problems {
                writeln!(out, "  {} {} {}: {p}", o.driver, o.series, o.variant)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn recipe(path: &str, module: &str, pattern: &str) -> Scenario {
        let text = format!(
            "name: t\ndriver: {{path: {path}, module: {module}, patterns: [{pattern}]}}\n\
             kernels: [{{kernel: \"6.1\"}}]\nsteps:\n  - insmod: {}\n",
            module.replace('-', "_")
        );
        verifier::scenario::parse(&text, "t.yaml").unwrap()
    }

    fn sample() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sample-tree")
    }

    #[test]
    fn legacy_and_converted_where_the_campaign_has_an_auto_site() {
        let all = load_all(None).unwrap();
        let sc = recipe(
            "drivers/gpio/gpio-fgpio.c",
            "gpio-fgpio",
            "platform-remove-void",
        );
        let pats = patterns_of(&all, &sc, &[]).unwrap();
        let scratch = tempfile::tempdir().unwrap();
        let (vs, files) = variants(&sample(), &sc, &pats, scratch.path()).unwrap();
        assert_eq!(files, ["drivers/gpio/gpio-fgpio.c"]);
        let names: Vec<&str> = vs.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["legacy", "converted"]);
        let read = |v: &Variant| std::fs::read_to_string(v.dir.join("gpio-fgpio.c")).unwrap();
        let original = std::fs::read_to_string(sample().join("drivers/gpio/gpio-fgpio.c")).unwrap();
        assert_eq!(read(&vs[0]), original);
        assert_ne!(read(&vs[1]), original);
        let kbuild = std::fs::read_to_string(vs[1].dir.join("Kbuild")).unwrap();
        assert!(kbuild.contains("obj-m := gpio-fgpio.o"), "{kbuild}");
    }

    #[test]
    fn mainline_where_the_tree_has_the_new_form_only() {
        let all = load_all(None).unwrap();
        let sc = recipe(
            "drivers/gpio/gpio-fgpio.c",
            "gpio-fgpio",
            "platform-remove-void",
        );
        let pats = patterns_of(&all, &sc, &[]).unwrap();
        let scratch = tempfile::tempdir().unwrap();
        let (legacy, _) = variants(&sample(), &sc, &pats, scratch.path()).unwrap();
        // The converted file, put back into a copy of the tree, is mainline.
        let tree = tempfile::tempdir().unwrap();
        let copy = |rel: &str| {
            let to = tree.path().join(rel);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(sample().join(rel), to).unwrap();
        };
        copy("Makefile");
        copy("include/linux/platform_device.h");
        std::fs::create_dir_all(tree.path().join("drivers/gpio")).unwrap();
        std::fs::copy(
            legacy[1].dir.join("gpio-fgpio.c"),
            tree.path().join("drivers/gpio/gpio-fgpio.c"),
        )
        .unwrap();
        let (vs, files) = variants(tree.path(), &sc, &pats, scratch.path()).unwrap();
        assert_eq!(files, ["drivers/gpio/gpio-fgpio.c"]);
        assert_eq!(vs.len(), 1);
        assert_eq!(vs[0].name, "mainline");
    }

    #[test]
    fn no_site_is_a_rewrite_error_naming_the_driver() {
        let all = load_all(None).unwrap();
        let sc = recipe(
            "drivers/char/widget.c",
            "widget",
            "timer-shutdown-on-teardown",
        );
        let pats = patterns_of(&all, &sc, &[]).unwrap();
        let scratch = tempfile::tempdir().unwrap();
        let e = variants(&sample(), &sc, &pats, scratch.path())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("drivers/char/widget.c") && e.contains("no auto or converted site"),
            "{e}"
        );
        let bad = match patterns_of(&all, &sc, &["no-such".into()]) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("an unknown pattern was accepted"),
        };
        assert!(bad.contains("unknown pattern \"no-such\""), "{bad}");
        let out = one(
            &DriverArgs {
                tree: None,
                driver: None,
                patterns: &[],
                kcidb: None,
                campaign: None,
                extra_patterns: None,
                args: &crate::flags::verify::VerifyArgs::default(),
            },
            &all,
            &sc,
            "6.1",
            &sample(),
        );
        let (out, files) = out;
        assert!(files.is_empty());
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].verdict, "error");
        assert_eq!(out[0].failed_step.as_deref(), Some("rewrite"));
    }
}
