//! Driver recipes (`verifier-kmod/drivers/*.yaml`): a real in-tree driver,
//! copied out of a kernel tree with its private headers and its directory's
//! Kbuild rules, built out of tree against the test kernel's headers, and
//! driven through a scenario (load, bind, unbind, bind, unload).

use crate::report::{OpRow, VerifyOutcome};
use crate::scenario::{self, DriverSpec, Scenario};
use anyhow::{bail, Context, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// One build of a driver: `legacy` (the tree as it is), `converted` (as
/// the campaign rewrote it) or `mainline` (the tree already has the new form).
#[derive(Debug, Clone)]
pub struct Variant {
    pub name: String,
    /// A directory with the driver's sources and a generated Kbuild.
    pub dir: PathBuf,
}

/// The verdict of one variant of one driver on one kernel.
#[derive(Debug, Serialize)]
pub struct DriverOutcome {
    pub driver: String,
    pub kernel: String,
    pub series: String,
    pub variant: String,
    /// `ok`, `not ok` (a verdict or a step failed) or `error` (no run).
    pub verdict: String,
    /// The step that failed first (`build`, `boot`, `step 3 (wait: ...)`).
    pub failed_step: Option<String>,
    /// Objects the operations released, summed.
    pub objects: u32,
    pub operations: Vec<OpRow>,
    pub problems: Vec<String>,
    pub log: Option<String>,
    pub seconds: f64,
}

impl DriverOutcome {
    pub fn ok(&self) -> bool {
        self.verdict == "ok"
    }

    /// A variant that never booted: `step` says where it stopped.
    pub fn error(
        sc: &Scenario,
        series: &str,
        variant: &str,
        step: &str,
        e: &anyhow::Error,
    ) -> Self {
        DriverOutcome {
            driver: sc.name.clone(),
            kernel: series.to_string(),
            series: series.to_string(),
            variant: variant.to_string(),
            verdict: "error".into(),
            failed_step: Some(step.to_string()),
            objects: 0,
            operations: vec![],
            problems: vec![format!("{step}: {e:#}")],
            log: None,
            seconds: 0.0,
        }
    }

    pub fn from_run(sc: &Scenario, series: &str, variant: &str, o: VerifyOutcome) -> Self {
        let failed_step = o.problems.iter().find_map(|p| {
            if p.starts_with("guest:") || p.contains("timed out") {
                Some("boot".to_string())
            } else {
                p.strip_prefix("step ")
                    .and_then(|r| r.split(" failed").next())
                    .map(|s| format!("step {s}"))
            }
        });
        let failed_step = failed_step.or_else(|| o.problems.first().map(|_| "verdict".into()));
        DriverOutcome {
            driver: sc.name.clone(),
            kernel: o.kernel,
            series: series.to_string(),
            variant: variant.to_string(),
            verdict: if o.passed { "ok" } else { "not ok" }.into(),
            failed_step,
            objects: o.operations.iter().filter_map(|r| r.objects).sum(),
            operations: o.operations,
            problems: o.problems,
            log: o.log,
            seconds: o.seconds,
        }
    }
}

/// The recipes of the suite (`kmod_dir/drivers/*.yaml`), then with
/// `open` those of drivers that do not pass yet (`drivers/open`, run by
/// `--driver` only), each sorted by file name.
pub fn load_recipes(kmod_dir: &Path, open: bool) -> Result<Vec<Scenario>> {
    let mut all = recipes_in(&kmod_dir.join("drivers"))?;
    if open {
        all.extend(recipes_in(&kmod_dir.join("drivers/open"))?);
    }
    Ok(all)
}

fn recipes_in(dir: &Path) -> Result<Vec<Scenario>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files.iter().map(|f| load_recipe(f)).collect()
}

/// A recipe: a scenario with a `driver:` block whose module some step loads.
pub fn load_recipe(path: &Path) -> Result<Scenario> {
    let sc = scenario::load(path)?;
    let Some(d) = &sc.driver else {
        bail!(
            "{}: a driver recipe needs a `driver:` block",
            path.display()
        );
    };
    let m = d.module_name();
    let loads = sc.steps.iter().any(|s| {
        matches!(s.action(), Ok(scenario::Action::Insmod(x)) if x.split_whitespace().next() == Some(&m))
    });
    if !loads {
        bail!(
            "{}: recipe {}: no step `insmod: {m}` loads the driver under test",
            path.display(),
            sc.name
        );
    }
    Ok(sc)
}

/// `6.1` or `6.12`, from the tree's top Makefile.
pub fn tree_series(tree: &Path) -> Result<String> {
    let mk = tree.join("Makefile");
    let text = std::fs::read_to_string(&mk)
        .with_context(|| format!("{}: not a kernel tree (no top Makefile)", tree.display()))?;
    let field = |k: &str| {
        text.lines().find_map(|l| {
            l.strip_prefix(k)?
                .trim()
                .strip_prefix('=')
                .map(|v| v.trim())
        })
    };
    match (field("VERSION"), field("PATCHLEVEL")) {
        (Some(v), Some(p)) => Ok(format!("{v}.{p}")),
        _ => bail!("{}: no VERSION/PATCHLEVEL", mk.display()),
    }
}

/// The tree's Makefile/Kbuild lines that define `module`'s objects and
/// flags (continuation lines kept), for a Kbuild that builds only it.
fn kbuild_rules(makefile: &str, module: &str) -> Vec<String> {
    let own = regex::Regex::new(&format!(
        r"^\s*{}-(objs|y|\$\(CONFIG_[A-Za-z0-9_]+\))\s*[:+]?=",
        regex::escape(module)
    ))
    .unwrap();
    let flags = regex::Regex::new(r"^\s*(ccflags-|CFLAGS_|subdir-ccflags-)").unwrap();
    let mut out = vec![];
    let mut taking = false;
    for l in makefile.lines() {
        if !taking && (own.is_match(l) || flags.is_match(l)) {
            taking = true;
        }
        if taking {
            out.push(l.to_string());
            taking = l.trim_end().ends_with('\\');
        }
    }
    out
}

/// Copy the driver's directory sources (every `.c` and `.h` of it: the
/// private headers come along) to `dest` and write a Kbuild that builds
/// only `spec.module`, with the tree's own rules for its objects.
pub fn prepare(tree: &Path, spec: &DriverSpec, dest: &Path) -> Result<()> {
    let src = tree.join(&spec.path);
    let dir = if src.is_dir() {
        src.clone()
    } else if src.is_file() {
        src.parent().unwrap().to_path_buf()
    } else {
        bail!("{}: no such driver in the tree", src.display());
    };
    std::fs::create_dir_all(dest)?;
    let mut rules = String::new();
    for name in ["Makefile", "Kbuild"] {
        if let Ok(t) = std::fs::read_to_string(dir.join(name)) {
            rules.push_str(&t);
        }
    }
    for e in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let p = e?.path();
        if p.is_file() && p.extension().is_some_and(|x| x == "c" || x == "h") {
            std::fs::copy(&p, dest.join(p.file_name().unwrap()))
                .with_context(|| format!("copying {}", p.display()))?;
        }
    }
    let mut kbuild = format!(
        "# Generated by unplug verify from {}: only {}\nobj-m := {}.o\n",
        dir.join("Makefile").display(),
        spec.module,
        spec.module
    );
    for l in kbuild_rules(&rules, &spec.module) {
        kbuild.push_str(&l);
        kbuild.push('\n');
    }
    std::fs::write(dest.join("Kbuild"), kbuild)?;
    Ok(())
}

/// The recipe's scenario for one variant: the stock module is unloaded
/// first if something loaded it.
pub fn scenario_for(sc: &Scenario, variant: &str) -> Scenario {
    let m = sc
        .driver
        .as_ref()
        .map(|d| d.module_name())
        .unwrap_or_default();
    let mut out = sc.clone();
    out.name = format!("{}-{variant}", sc.name);
    let unload = scenario::ScenarioStep {
        run: Some(format!("! grep -q '^{m} ' /proc/modules || rmmod {m}")),
        ..scenario::ScenarioStep::default()
    };
    out.steps.insert(0, unload);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_of_one_module_only() {
        let mk = "obj-$(CONFIG_E1000E) += e1000e.o\n\
                  e1000e-objs := 82571.o ich8lan.o \\\n\tnetdev.o\n\
                  other-objs := x.o\n\
                  ccflags-y += -I$(src)\n\
                  e1000e-$(CONFIG_PTP) += ptp.o\n";
        let r = kbuild_rules(mk, "e1000e");
        assert_eq!(
            r,
            vec![
                "e1000e-objs := 82571.o ich8lan.o \\",
                "\tnetdev.o",
                "ccflags-y += -I$(src)",
                "e1000e-$(CONFIG_PTP) += ptp.o"
            ]
        );
        assert!(kbuild_rules(mk, "other").contains(&"other-objs := x.o".to_string()));
    }

    #[test]
    fn prepare_copies_the_directory_and_writes_kbuild() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("drivers/misc");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("Makefile"), "obj-$(CONFIG_X) += x-drv.o\n").unwrap();
        std::fs::write(d.join("x-drv.c"), "int x;\n").unwrap();
        std::fs::write(d.join("x.h"), "\n").unwrap();
        let spec = DriverSpec {
            path: "drivers/misc/x-drv.c".into(),
            module: "x-drv".into(),
            patterns: vec![],
            devices: vec![],
        };
        let out = t.path().join("out");
        prepare(t.path(), &spec, &out).unwrap();
        let kb = std::fs::read_to_string(out.join("Kbuild")).unwrap();
        assert!(kb.contains("obj-m := x-drv.o\n"), "{kb}");
        assert!(out.join("x.h").exists() && out.join("x-drv.c").exists());
        assert_eq!(spec.module_name(), "x_drv");
        let missing = DriverSpec {
            path: "drivers/nope.c".into(),
            ..spec
        };
        let e = prepare(t.path(), &missing, &out).unwrap_err().to_string();
        assert!(e.contains("no such driver"), "{e}");
    }

    #[test]
    fn shipped_recipes_load() {
        let kmod = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let suite = load_recipes(&kmod, false).unwrap();
        let all = load_recipes(&kmod, true).unwrap();
        assert!(suite.len() >= 8, "{}", suite.len());
        assert!(all.len() > suite.len());
        for r in &all {
            assert!(
                !r.driver.as_ref().unwrap().patterns.is_empty(),
                "{}",
                r.name
            );
        }
        // The suite's drivers are verified before and after on 6.1.
        for r in &suite {
            assert!(r.kernels.iter().any(|k| k.kernel == "6.1"), "{}", r.name);
        }
    }

    #[test]
    fn a_recipe_must_load_its_driver() {
        let t = tempfile::tempdir().unwrap();
        let f = t.path().join("r.yaml");
        std::fs::write(
            &f,
            "name: r\ndriver: {path: drivers/x.c, module: x-y, patterns: [p]}\n\
             kernels: [{kernel: \"6.1\"}]\nsteps:\n  - insmod: x\n",
        )
        .unwrap();
        let e = load_recipe(&f).unwrap_err().to_string();
        assert!(e.contains("no step `insmod: x_y`"), "{e}");
        std::fs::write(&f, "name: r\nkernels: [{kernel: \"6.1\"}]\nsteps: []\n").unwrap();
        assert!(load_recipe(&f)
            .unwrap_err()
            .to_string()
            .contains("`driver:` block"));
    }

    #[test]
    fn series_of_a_tree() {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(
            t.path().join("Makefile"),
            "# x\nVERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 118\n",
        )
        .unwrap();
        assert_eq!(tree_series(t.path()).unwrap(), "6.12");
        assert!(tree_series(&t.path().join("no")).is_err());
    }
}
