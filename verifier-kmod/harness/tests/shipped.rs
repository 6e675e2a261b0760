//! Every shipped scenario (`scenarios/`, `scenarios/stress/`) and driver
//! recipe (`drivers/`, `drivers/open/`) loads, one test each, named
//! `scenario/<name>`, `stress/<name>`, `recipe/<name>`, `open/<name>`: a
//! broken file names itself in the test list. Scenarios are loaded the way
//! `unplug verify` loads them, fixtures checked against `fixtures/Kbuild`.

use libtest_mimic::{Arguments, Failed, Trial};
use std::path::{Path, PathBuf};

fn kmod_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The `*.yaml` files of `dir`, sorted.
fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    v.sort();
    v
}

/// One trial per file of `dir`, running `check` on it.
fn trials(kind: &str, dir: &str, check: fn(&Path) -> anyhow::Result<()>) -> Vec<Trial> {
    yaml_files(&kmod_dir().join(dir))
        .into_iter()
        .map(|f| {
            let name = format!("{kind}/{}", f.file_stem().unwrap().to_string_lossy());
            Trial::test(name, move || {
                check(&f).map_err(|e| Failed::from(format!("{e:#}")))
            })
        })
        .collect()
}

fn scenario(f: &Path) -> anyhow::Result<()> {
    verifier::scenario::load_for(f, &kmod_dir()).map(|_| ())
}

fn recipe(f: &Path) -> anyhow::Result<()> {
    verifier::drivers::load_recipe(f).map(|_| ())
}

fn main() {
    let mut all = trials("scenario", "scenarios", scenario);
    all.extend(trials("stress", "scenarios/stress", scenario));
    all.extend(trials("recipe", "drivers", recipe));
    all.extend(trials("open", "drivers/open", recipe));
    assert!(all.len() >= 25, "only {} shipped files", all.len());
    libtest_mimic::run(&Arguments::from_args(), all).exit();
}
