//! Every fixture case under patterns/tests, one test each, named
//! `<pattern>/<case>` (the cases `unplug patterns test` runs), plus a
//! check that a spoiled expectation is reported.

use libtest_mimic::{Arguments, Failed, Trial};
use std::path::{Path, PathBuf};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../patterns/tests")
}

fn main() {
    let args = Arguments::from_args();
    let patterns = rewriter::pattern::load_all(None).expect("built-in patterns load");
    let results = rewriter::fixtures::run_all(&fixture_dir(), &patterns).expect("fixtures run");
    let mut trials: Vec<Trial> = results
        .into_iter()
        .map(|r| {
            Trial::test(format!("{}/{}", r.pattern, r.case), move || {
                match r.failures.is_empty() {
                    true => Ok(()),
                    false => Err(Failed::from(r.failures.join("\n"))),
                }
            })
        })
        .collect();
    let count = trials.len();
    trials.push(Trial::test("every campaign has fixture cases", move || {
        every_campaign_has_cases(count)
    }));
    trials.push(Trial::test(
        "a spoiled expectation is reported",
        spoiled_expectation,
    ));
    libtest_mimic::run(&args, trials).exit();
}

fn every_campaign_has_cases(count: usize) -> Result<(), Failed> {
    let patterns = rewriter::pattern::load_all(None).map_err(|e| e.to_string())?;
    for p in &patterns {
        if !fixture_dir().join(&p.id).is_dir() {
            return Err(format!("no fixture cases for {}", p.id).into());
        }
    }
    if count < 30 {
        return Err(format!("fixture cases went missing: {count}").into());
    }
    Ok(())
}

fn spoiled_expectation() -> Result<(), Failed> {
    // Copy one case and spoil its expected sites: the runner must say so.
    let src = fixture_dir().join("class-create-no-owner/basic");
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let case = tmp.path().join("class-create-no-owner/basic");
    copy(&src, &case);
    std::fs::write(case.join("sites.txt"), "drivers/char/widget.c:1: auto\n")
        .map_err(|e| e.to_string())?;
    let patterns = rewriter::pattern::load_all(None).map_err(|e| e.to_string())?;
    let results = rewriter::fixtures::run_all(tmp.path(), &patterns).map_err(|e| e.to_string())?;
    match results.as_slice() {
        [one] if one.failures.iter().any(|f| f.contains("sites differ")) => Ok(()),
        _ => Err("the spoiled case was not reported".into()),
    }
}

fn copy(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.path().is_dir() {
            copy(&e.path(), &dest);
        } else {
            std::fs::create_dir_all(to).unwrap();
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}
