//! The stages of a driver-recipe run (`unplug verify --driver`/`--suite
//! drivers`, `series --check --verify`) that need no rewriter: which
//! recipes run, on which trees, the variants built from a rewrite's
//! result, one recipe's run, and the verdicts as a results document. The
//! caller rewrites the driver and shows what comes back.

use crate::drivers::{self, DriverOutcome, Variant};
use crate::packages::{self, Series};
use crate::scenario::Scenario;
use crate::VerifyOptions;
use anyhow::{bail, Result};
use model::verify::{VerifyResult, VerifyResults};
use std::path::{Path, PathBuf};

/// The recipes a command runs: the one for `driver` (by path or name), or all.
pub fn select(all: Vec<Scenario>, driver: Option<&str>) -> Result<Vec<Scenario>> {
    let Some(want) = driver else { return Ok(all) };
    let want = want.trim_end_matches('/');
    let names: Vec<String> = all.iter().map(|s| s.name.clone()).collect();
    let hit: Vec<Scenario> = all
        .into_iter()
        .filter(|s| s.name == want || s.driver.as_ref().is_some_and(|d| d.path == want))
        .collect();
    if hit.is_empty() {
        bail!(
            "no driver recipe for {want} (recipes in verifier-kmod/drivers: {})",
            names.join(", ")
        );
    }
    Ok(hit)
}

/// The trees to build from, per series: `tree` (its own series, which
/// `kernel` must agree with), else Debian's linux-source of each series
/// (`kernel`, or every series the recipes name), fetched with `progress`.
pub fn trees(
    tree: Option<&Path>,
    kernel: Option<&str>,
    recipes: &[Scenario],
    progress: &dyn Fn(&str),
) -> Result<Vec<(String, PathBuf)>> {
    if let Some(t) = tree {
        let s = drivers::tree_series(t)?;
        if let Some(k) = kernel {
            if k != s {
                bail!("{}: a {s} tree, but --kernel {k}", t.display());
            }
        }
        return Ok(vec![(s, t.to_path_buf())]);
    }
    let mut series: Vec<String> = match kernel {
        Some(k) => vec![k.to_string()],
        None => recipes
            .iter()
            .flat_map(|r| r.kernels.iter().map(|k| k.kernel.clone()))
            .collect(),
    };
    series.sort();
    series.dedup();
    series
        .into_iter()
        .map(|s| {
            Ok((
                s.clone(),
                packages::source_tree(Series::parse(&s)?, progress)?,
            ))
        })
        .collect()
}

/// What the campaign's rewrite found in a recipe's driver: the files of
/// its `auto` and of its `converted` sites, the rewritten files (path in
/// the tree, new text), and every site as `file:line verdict` for errors.
#[derive(Debug, Default)]
pub struct DriverRewrite {
    pub auto: Vec<String>,
    pub converted: Vec<String>,
    pub changes: Vec<(String, Vec<u8>)>,
    pub sites: Vec<String>,
}

/// The variants of a recipe's driver in `tree`: legacy and converted where
/// the rewrite has an `auto` site, mainline where the tree has only the
/// new form; with the files holding those sites (what a ledger records).
/// `pattern_ids` only name the patterns in the error of a driver with neither.
pub fn variants(
    tree: &Path,
    sc: &Scenario,
    pattern_ids: &[&str],
    rw: &DriverRewrite,
    scratch: &Path,
) -> Result<(Vec<Variant>, Vec<String>)> {
    let d = sc.driver.as_ref().unwrap();
    let base = scratch.join(&sc.name);
    let variant = |name: &str| -> Result<Variant> {
        let dir = base.join(format!("{}-{name}", d.module));
        drivers::prepare(tree, d, &dir)?;
        Ok(Variant {
            name: name.into(),
            dir,
        })
    };
    if !rw.auto.is_empty() {
        let legacy = variant("legacy")?;
        let converted = variant("converted")?;
        for (file, after) in &rw.changes {
            let name = Path::new(file).file_name().unwrap();
            std::fs::write(converted.dir.join(name), after)?;
        }
        return Ok((vec![legacy, converted], rw.auto.clone()));
    }
    if !rw.converted.is_empty() {
        return Ok((vec![variant("mainline")?], rw.converted.clone()));
    }
    bail!(
        "{} in {}: no auto or converted site of {} ({})",
        d.path,
        tree.display(),
        pattern_ids.join(", "),
        if rw.sites.is_empty() {
            "no site".into()
        } else {
            rw.sites.join("; ")
        }
    )
}

/// One recipe on one tree of `series`: `prepare` gives the variants in a
/// scratch directory (an error is the `rewrite` step's), then every
/// variant runs (or one `error` naming the step); with the files of the
/// driver's sites.
pub fn run_recipe(
    sc: &Scenario,
    series: &str,
    opts: &VerifyOptions,
    prepare: impl FnOnce(&Path) -> Result<(Vec<Variant>, Vec<String>)>,
) -> (Vec<DriverOutcome>, Vec<String>) {
    let scratch = match tempfile::Builder::new().prefix("unplug-drivers-").tempdir() {
        Ok(t) => t,
        Err(e) => {
            return (
                vec![DriverOutcome::error(sc, series, "-", "scratch", &e.into())],
                vec![],
            )
        }
    };
    match prepare(scratch.path()) {
        Err(e) => (
            vec![DriverOutcome::error(sc, series, "-", "rewrite", &e)],
            vec![],
        ),
        Ok((vs, files)) => match crate::verify_driver(sc, &vs, series, opts) {
            Ok(o) => (o, files),
            Err(e) => (
                vec![DriverOutcome::error(sc, series, "-", "kernel", &e)],
                files,
            ),
        },
    }
}

/// Whether a recipe's driver is among `files` (paths in the tree): a
/// recipe names one .c file or the driver's directory.
pub fn recipe_covers<'f>(sc: &Scenario, mut files: impl Iterator<Item = &'f str>) -> bool {
    let Some(d) = &sc.driver else { return false };
    let dir = format!("{}/", d.path.trim_end_matches('/'));
    files.any(|f| f == d.path || f.starts_with(&dir))
}

/// The verdicts as an `unplug-verify-results/1` document: one result per
/// site file and variant, its kernel field naming both (`6.1 legacy`,
/// `6.1 converted`, `6.12 mainline`).
pub fn results_doc(runs: &[(Vec<DriverOutcome>, Vec<String>)]) -> VerifyResults {
    let mut results = vec![];
    for (outcomes, files) in runs {
        for o in outcomes {
            let detail = result_detail(o);
            for f in files {
                results.push(VerifyResult {
                    module: None,
                    file: Some(f.clone()),
                    kernel: format!("{} {}", o.series, o.variant),
                    ok: o.ok(),
                    detail: Some(detail.clone()),
                    source: Some(format!("driver recipe {} ({})", o.driver, o.kernel)),
                });
            }
        }
    }
    VerifyResults::new(results)
}

/// `ok: 2 objects released (unbind 1; rmmod 1)`, or `error at build`.
fn result_detail(o: &DriverOutcome) -> String {
    let ops: Vec<String> = o
        .operations
        .iter()
        .filter_map(|r| Some(format!("{} {}", r.operation, r.objects?)))
        .collect();
    match &o.failed_step {
        Some(step) if !o.ok() => format!("{} at {step}", o.verdict),
        _ => format!(
            "{}: {} objects released ({})",
            o.verdict,
            o.objects,
            ops.join("; ")
        ),
    }
}

/// `6.1.192`: VERSION.PATCHLEVEL.SUBLEVEL of the tree.
pub fn tree_version(tree: &Path) -> Result<String> {
    let text = std::fs::read_to_string(tree.join("Makefile"))?;
    let sub = text
        .lines()
        .find_map(|l| {
            l.strip_prefix("SUBLEVEL")?
                .trim()
                .strip_prefix('=')
                .map(|v| v.trim().to_string())
        })
        .unwrap_or_else(|| "0".into());
    Ok(format!("{}.{sub}", drivers::tree_series(tree)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recipe(path: &str, module: &str, pattern: &str) -> Scenario {
        let text = format!(
            "name: t\ndriver: {{path: {path}, module: {module}, patterns: [{pattern}]}}\n\
             kernels: [{{kernel: \"6.1\"}}]\nsteps:\n  - insmod: {}\n",
            module.replace('-', "_")
        );
        crate::scenario::parse(&text, "t.yaml").unwrap()
    }

    #[test]
    fn results_name_series_and_variant() {
        let sc = recipe(
            "drivers/gpio/gpio-fgpio.c",
            "gpio-fgpio",
            "platform-remove-void",
        );
        let mut ok = DriverOutcome::error(&sc, "6.1", "legacy", "build", &anyhow::anyhow!("x"));
        ok.verdict = "ok".into();
        ok.failed_step = None;
        ok.objects = 2;
        let bad = DriverOutcome::error(&sc, "6.1", "converted", "build", &anyhow::anyhow!("x"));
        let doc = results_doc(&[(vec![ok, bad], vec!["drivers/gpio/gpio-fgpio.c".into()])]);
        let doc = serde_json::to_value(&doc).unwrap();
        let r = doc["results"].as_array().unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0]["kernel"], "6.1 legacy");
        assert_eq!(r[0]["ok"], true);
        assert_eq!(r[0]["file"], "drivers/gpio/gpio-fgpio.c");
        assert!(r[0]["detail"]
            .as_str()
            .unwrap()
            .starts_with("ok: 2 objects released"));
        assert_eq!(r[1]["kernel"], "6.1 converted");
        assert_eq!(r[1]["detail"], "error at build");
    }

    #[test]
    fn select_by_path_or_name() {
        let all = vec![recipe("drivers/a/x.c", "x", "p"), {
            let mut r = recipe("drivers/b", "y", "p");
            r.name = "y".into();
            r
        }];
        assert_eq!(
            select(all.clone(), Some("drivers/b/")).unwrap()[0].name,
            "y"
        );
        assert_eq!(select(all.clone(), Some("t")).unwrap().len(), 1);
        let e = select(all, Some("drivers/c")).unwrap_err().to_string();
        assert!(e.contains("no driver recipe for drivers/c"), "{e}");
    }

    #[test]
    fn a_recipe_covers_its_file_or_directory() {
        let file = recipe("drivers/a/x.c", "x", "p");
        let dir = recipe("drivers/b/", "y", "p");
        assert!(recipe_covers(&file, ["drivers/a/x.c"].into_iter()));
        assert!(!recipe_covers(&file, ["drivers/a/x.h"].into_iter()));
        assert!(recipe_covers(
            &dir,
            ["drivers/c/z.c", "drivers/b/y.c"].into_iter()
        ));
        assert!(!recipe_covers(&dir, ["drivers/bb/y.c"].into_iter()));
    }

    #[test]
    fn no_site_is_an_error_naming_the_driver_and_patterns() {
        let sc = recipe("drivers/char/widget.c", "widget", "p");
        let scratch = tempfile::tempdir().unwrap();
        let rw = DriverRewrite {
            sites: vec!["drivers/char/widget.c:3 manual".into()],
            ..Default::default()
        };
        let e = variants(Path::new("/nowhere"), &sc, &["p"], &rw, scratch.path())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("drivers/char/widget.c in /nowhere: no auto or converted site of p (drivers/char/widget.c:3 manual)"),
            "{e}"
        );
        let (out, files) = run_recipe(&sc, "6.1", &VerifyOptions::default(), |_| {
            bail!("no variant")
        });
        assert!(files.is_empty());
        assert_eq!(out[0].failed_step.as_deref(), Some("rewrite"));
    }
}
