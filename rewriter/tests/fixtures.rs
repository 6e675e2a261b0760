//! Every fixture case under patterns/tests must pass (the same cases
//! `unplug patterns test` runs).

use std::path::Path;

#[test]
fn all_pattern_fixtures_pass() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../patterns/tests");
    let patterns = rewriter::pattern::load_all(None).unwrap();
    let results = rewriter::fixtures::run_all(&dir, &patterns).unwrap();
    assert!(
        results.len() >= 12,
        "fixture cases went missing: {}",
        results.len()
    );
    for id in ["class-create-no-owner", "platform-remove-void"] {
        assert!(
            results.iter().any(|r| r.pattern == id),
            "no fixtures for {id}"
        );
    }
    let failed: Vec<String> = results
        .iter()
        .filter(|r| !r.failures.is_empty())
        .map(|r| format!("{}/{}:\n{}", r.pattern, r.case, r.failures.join("\n")))
        .collect();
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

#[test]
fn a_broken_expectation_is_reported() {
    // Copy one case and spoil its expected sites: the runner must say so.
    let src =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../patterns/tests/class-create-no-owner/basic");
    let tmp = tempfile::tempdir().unwrap();
    let case = tmp.path().join("class-create-no-owner/basic");
    copy(&src, &case);
    std::fs::write(case.join("sites.txt"), "drivers/char/widget.c:1: auto\n").unwrap();
    let patterns = rewriter::pattern::load_all(None).unwrap();
    let results = rewriter::fixtures::run_all(tmp.path(), &patterns).unwrap();
    assert_eq!(results.len(), 1);
    assert!(results[0]
        .failures
        .iter()
        .any(|f| f.contains("sites differ")));
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
