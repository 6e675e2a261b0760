//! The whole campaign lifecycle on a tree that lacks the new interface:
//! introduce → convert → retire, each series applied with `git am`, retire
//! refused while a legacy user is left, every step parsing clean.

mod common;

use common::{copy, walk};
use std::path::Path;
use std::process::Command;

fn unplug(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_unplug"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn git(dir: &Path, args: &[&str]) -> bool {
    Command::new("git")
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.org"])
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap()
        .success()
}

/// Applies every patch of every series under `out`, in order.
fn am_all(tree: &Path, out: &Path) -> usize {
    let mut patches: Vec<_> = walk(out)
        .into_iter()
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            name.ends_with(".patch") && !name.contains("cover-letter")
        })
        .collect();
    patches.sort();
    for p in &patches {
        assert!(
            git(tree, &["am", "-q", p.to_str().unwrap()]),
            "git am {}",
            p.display()
        );
    }
    patches.len()
}

fn parses_clean(tree: &Path) {
    let out = unplug(tree, &["debug", "parse-stats", ".", "--json"]);
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stats["files_with_errors_masked"], 0, "{stats}");
}

fn series(tree: &Path, out: &Path, phase: &str) -> std::process::Output {
    unplug(
        tree,
        &[
            "series",
            ".",
            "--pattern",
            "platform-remove-void",
            "--phase",
            phase,
            "--out",
            out.to_str().unwrap(),
            "--from",
            "Jane Janitor <jane@example.org>",
            "--signoff",
        ],
    )
}

#[test]
fn introduce_convert_retire_apply_in_order() {
    let tmp = tempfile::tempdir().unwrap();
    let tree = tmp.path().join("tree");
    copy(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/lifecycle-tree"),
        &tree,
    );
    assert!(
        git(&tree, &["init", "-q"])
            && git(&tree, &["add", "-A"])
            && git(&tree, &["commit", "-qm", "base"])
    );

    // Without the interface, converting is blocked.
    let scan = unplug(&tree, &["scan", ".", "--pattern", "platform-remove-void"]);
    assert!(String::from_utf8_lossy(&scan.stdout).contains("3 blocked"));

    let intro = series(&tree, &tmp.path().join("introduce"), "introduce");
    assert_eq!(
        intro.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&intro.stderr)
    );
    assert!(String::from_utf8_lossy(&intro.stdout)
        .contains("driver core: platform: Add a remove callback that returns void"));
    assert_eq!(am_all(&tree, &tmp.path().join("introduce")), 1);
    let header = std::fs::read_to_string(tree.join("include/linux/platform_device.h")).unwrap();
    assert!(header.contains("\tvoid (*remove_new)(struct platform_device *);\n"));
    parses_clean(&tree);
    // Introducing twice is a no-op.
    let again = series(&tree, &tmp.path().join("introduce2"), "introduce");
    assert!(String::from_utf8_lossy(&again.stderr).contains("already has the new interface"));

    let refused = series(&tree, &tmp.path().join("retire-early"), "retire");
    assert_eq!(refused.status.code(), Some(1));
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(
        why.contains("3 legacy user(s) left") && why.contains("drivers/gpio/gpio-fgpio.c"),
        "{why}"
    );
    assert!(!tmp.path().join("retire-early").exists());

    let convert = series(&tree, &tmp.path().join("convert"), "convert");
    assert_eq!(
        convert.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&convert.stderr)
    );
    assert_eq!(am_all(&tree, &tmp.path().join("convert")), 3);
    parses_clean(&tree);

    let retire = series(&tree, &tmp.path().join("retire"), "retire");
    assert_eq!(
        retire.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&retire.stderr)
    );
    assert_eq!(am_all(&tree, &tmp.path().join("retire")), 1);
    parses_clean(&tree);
    let header = std::fs::read_to_string(tree.join("include/linux/platform_device.h")).unwrap();
    assert!(
        header.contains("\tvoid (*remove)(struct platform_device *);\n")
            && !header.contains("remove_new")
    );
    let gpio = std::fs::read_to_string(tree.join("drivers/gpio/gpio-fgpio.c")).unwrap();
    assert!(
        gpio.contains("\t.remove\t\t= fgpio_remove,\n"),
        "the = keeps its column"
    );
    let core = std::fs::read_to_string(tree.join("drivers/base/platform.c")).unwrap();
    assert!(core.contains("\tif (drv->remove)\n\t\tdrv->remove(dev);\n"));

    // After the retire, every driver is in the converted form.
    let done = unplug(
        &tree,
        &["scan", ".", "--pattern", "platform-remove-void", "--json"],
    );
    let doc: serde_json::Value = serde_json::from_slice(&done.stdout).unwrap();
    assert_eq!(doc["summary"]["platform-remove-void"]["converted"], 3);
    assert_eq!(
        doc["summary"]["platform-remove-void"]
            .as_object()
            .unwrap()
            .len(),
        1
    );
}
