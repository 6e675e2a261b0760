//! The `unplug` command line as a user runs it, on copies of the sample tree.

mod common;

use common::{copy, walk};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn unplug(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_unplug"))
        .args(args)
        .output()
        .expect("unplug runs")
}

fn sample_copy() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let tree = tmp.path().join("tree");
    copy(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sample-tree"),
        &tree,
    );
    (tmp, tree)
}

fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    walk(dir)
        .into_iter()
        .map(|p| (p.clone(), std::fs::read(&p).unwrap()))
        .collect()
}

#[test]
fn rewrite_prints_a_diff_that_git_applies_and_leaves_the_tree_alone() {
    let (_tmp, tree) = sample_copy();
    let before = snapshot(&tree);
    let out = unplug(&["rewrite", tree.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        snapshot(&tree),
        before,
        "rewrite without --in-place must not touch the tree"
    );
    let diff = String::from_utf8(out.stdout).unwrap();
    assert!(diff.contains("--- a/drivers/gpio/gpio-fgpio.c\n+++ b/drivers/gpio/gpio-fgpio.c\n"));
    assert!(diff.contains("+\t.remove_new\t= fgpio_remove,\n"));
    assert!(diff.contains("+\tgadget_class = class_create(\"gadget\");"));
    assert!(
        !diff.contains("fbusy.c"),
        "a needs-prep driver must not be rewritten"
    );

    std::fs::write(tree.join("change.diff"), &diff).unwrap();
    let git = Command::new("git")
        .args(["apply", "change.diff"])
        .current_dir(&tree)
        .status()
        .unwrap();
    assert!(git.success());
    std::fs::remove_file(tree.join("change.diff")).unwrap();
    let again = unplug(&["rewrite", tree.to_str().unwrap()]);
    assert!(again.stdout.is_empty(), "a second run must change nothing");
}

#[test]
fn in_place_writes_the_same_result_as_the_diff() {
    let (_tmp, tree) = sample_copy();
    let diff = unplug(&["rewrite", tree.to_str().unwrap()]).stdout;
    let out = unplug(&["rewrite", tree.to_str().unwrap(), "--in-place"]);
    assert_eq!(out.status.code(), Some(0));
    let fgpio = std::fs::read_to_string(tree.join("drivers/gpio/gpio-fgpio.c")).unwrap();
    assert!(fgpio.contains("static void fgpio_remove(struct platform_device *pdev)"));
    assert!(!diff.is_empty());
    assert!(unplug(&["rewrite", tree.to_str().unwrap()])
        .stdout
        .is_empty());
}

#[test]
fn scan_json_has_the_documented_shape() {
    let (_tmp, tree) = sample_copy();
    let out = unplug(&[
        "scan",
        tree.to_str().unwrap(),
        "--json",
        "--pattern",
        "platform-remove-void",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["schema"], "unplug-scan/1");
    assert_eq!(doc["tree"]["version"], "6.1.0");
    assert_eq!(doc["summary"]["platform-remove-void"]["auto"], 2);
    assert_eq!(doc["summary"]["platform-remove-void"]["needs-prep"], 1);
    let prep = doc["sites"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["verdict"] == "needs-prep")
        .unwrap();
    assert_eq!(prep["file"], "drivers/misc/fbusy.c");
    assert_eq!(prep["notes"][0]["line"], 12);
}

#[test]
fn bad_files_are_reported_and_the_rest_is_scanned() {
    let (_tmp, tree) = sample_copy();
    std::fs::write(
        tree.join("drivers/char/blob.c"),
        b"\x7fELF\0\0\0class_create",
    )
    .unwrap();
    std::os::unix::fs::symlink("..", tree.join("drivers/char/loop")).unwrap();
    let out = unplug(&["scan", tree.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "findings of severity error exit 1"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("drivers/char/blob.c: error: binary file"),
        "{stderr}"
    );
    // A link back into the tree is not followed (so it cannot loop), and
    // is no finding: its target is walked under its own name.
    assert!(!stderr.contains("loop"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("drivers/i2c/busses/i2c-fbus.c:36:3: platform-remove-void auto"),
        "{stdout}"
    );
}

#[test]
fn a_bad_pattern_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.yaml"),
        "version: 1\nid: bad\ntitle: t\nrationale: r\nanchors: [x]\nrules:\n  - id: a\n    pattern: foo($X)\n    verdikt: auto\n",
    )
    .unwrap();
    let out = unplug(&[
        "--patterns",
        dir.path().to_str().unwrap(),
        "patterns",
        "list",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.yaml:9:5:") && stderr.contains("verdikt"),
        "{stderr}"
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(
        unplug(&["scan", "/nonexistent/tree"]).status.code(),
        Some(2)
    );
    let (_tmp, tree) = sample_copy();
    let out = unplug(&[
        "scan",
        tree.to_str().unwrap(),
        "--pattern",
        "no-such-campaign",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no pattern `no-such-campaign`"));
}

#[test]
fn patterns_list_and_test_work_from_the_cli() {
    let list = String::from_utf8(unplug(&["patterns", "list"]).stdout).unwrap();
    assert!(list.contains("class-create-no-owner") && list.contains("platform-remove-void"));
    let test = unplug(&["patterns", "test"]);
    assert_eq!(test.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&test.stdout).contains(" passed, 0 failed"));
}
