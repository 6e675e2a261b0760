//! The campaign ledger under concurrent runs, odd umasks and hostile
//! `--out` paths, through the real `unplug` binary.

mod common;

use common::{copy, walk};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const PATTERN: &str = "platform-remove-void";

fn unplug(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_unplug"))
        .args(args)
        .output()
        .expect("unplug runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A copy of the sample tree and a campaign with one scan of it.
fn campaign() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let tree = tmp.path().join("tree");
    copy(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sample-tree"),
        &tree,
    );
    let dir = tmp.path().join("campaign");
    let o = scan(&tree, &dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    (tmp, tree, dir)
}

fn scan(tree: &Path, dir: &Path) -> Output {
    unplug(&[
        "scan",
        tree.to_str().unwrap(),
        "--pattern",
        PATTERN,
        "--campaign",
        dir.to_str().unwrap(),
    ])
}

fn series(tree: &Path, out: &Path, dir: &Path) -> Output {
    unplug(&[
        "series",
        tree.to_str().unwrap(),
        "--pattern",
        PATTERN,
        "--out",
        out.to_str().unwrap(),
        "--from",
        "Jane Janitor <jane@example.org>",
        "--campaign",
        dir.to_str().unwrap(),
    ])
}

fn scans_in(dir: &Path) -> usize {
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("ledger.json")).unwrap()).unwrap();
    v["scans"].as_array().unwrap().len()
}

#[test]
fn concurrent_scans_are_all_recorded() {
    let (_tmp, tree, dir) = campaign();
    let rounds = 4;
    for _ in 0..rounds {
        let spawn = || {
            Command::new(env!("CARGO_BIN_EXE_unplug"))
                .args(["scan", tree.to_str().unwrap(), "--pattern", PATTERN])
                .arg("--campaign")
                .arg(&dir)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn(), spawn());
        for child in [a, b] {
            let o = child.wait_with_output().unwrap();
            assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        }
    }
    assert_eq!(scans_in(&dir), 1 + 2 * rounds, "a scan was lost");
    let history = std::fs::read_dir(dir.join("history")).unwrap().count();
    assert_eq!(history, 1 + 2 * rounds, "one snapshot per scan");
}

#[cfg(unix)]
#[test]
fn new_campaign_files_get_the_umask_mode() {
    use std::os::unix::fs::PermissionsExt;
    let (tmp, tree, _) = campaign();
    let dir = tmp.path().join("private");
    let o = Command::new("sh")
        .arg("-c")
        .arg(r#"umask 027 && exec "$0" scan "$1" --pattern platform-remove-void --campaign "$2""#)
        .arg(env!("CARGO_BIN_EXE_unplug"))
        .arg(&tree)
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    for f in walk(&dir) {
        let mode = std::fs::metadata(&f).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640, "{}", f.display());
    }
}

#[test]
fn series_with_a_damaged_ledger_writes_nothing() {
    let (tmp, tree, dir) = campaign();
    std::fs::write(
        dir.join("ledger.json"),
        b"{\"schema\": \"unplug-ledger/1\", tru",
    )
    .unwrap();
    let out = tmp.path().join("series-out");
    let o = series(&tree, &out, &dir);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("ledger.json"), "{}", stderr(&o));
    assert!(
        !out.exists(),
        "series written before the ledger was checked"
    );
}

#[test]
fn series_into_another_campaign_writes_nothing() {
    let (tmp, tree, _) = campaign();
    let other = tmp.path().join("other");
    let o = unplug(&[
        "scan",
        tree.to_str().unwrap(),
        "--pattern",
        "class-create-no-owner",
        "--campaign",
        other.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = tmp.path().join("series-out");
    let o = series(&tree, &out, &other);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("never mix"), "{}", stderr(&o));
    assert!(
        !out.exists(),
        "series written before the campaign was checked"
    );
    // A campaign directory without a ledger is refused before writing too.
    let o = series(&tree, &out, &tmp.path().join("nowhere"));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!out.exists());
}

#[test]
fn scan_for_other_patterns_is_refused_before_scanning() {
    let (_tmp, tree, dir) = campaign();
    let o = unplug(&[
        "scan",
        tree.to_str().unwrap(),
        "--pattern",
        "class-create-no-owner",
        "--campaign",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("never mix"), "{}", stderr(&o));
    assert!(
        o.stdout.is_empty(),
        "the scan ran before the campaign was checked"
    );
    // A campaign path that is a file is refused before scanning too.
    let file = dir.join("ledger.json");
    let o = scan(&tree, &file);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("not a directory"), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
}

#[test]
fn out_inside_the_campaign_is_refused() {
    let (tmp, tree, dir) = campaign();
    let ledger = std::fs::read(dir.join("ledger.json")).unwrap();
    let sneaky = tmp.path().join("tree/../campaign/ledger.json");
    for out in [dir.join("ledger.json"), sneaky, dir.join("history")] {
        let o = unplug(&[
            "report",
            "--campaign",
            dir.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{}: {}",
            out.display(),
            stderr(&o)
        );
        assert!(stderr(&o).contains("campaign directory"), "{}", stderr(&o));
    }
    let out = dir.join("series");
    let o = series(&tree, &out, &dir);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("campaign directory"), "{}", stderr(&o));
    assert!(!out.exists());
    assert_eq!(std::fs::read(dir.join("ledger.json")).unwrap(), ledger);
    // Outside the campaign, both work.
    let o = series(&tree, &tmp.path().join("series"), &dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report = tmp.path().join("report.md");
    let o = unplug(&[
        "report",
        "--campaign",
        dir.to_str().unwrap(),
        "--out",
        report.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(report.is_file());
}

/// Names in `dir` and `dir/history`.
fn entries(dir: &Path) -> Vec<std::ffi::OsString> {
    [dir.to_path_buf(), dir.join("history")]
        .iter()
        .flat_map(|d| std::fs::read_dir(d).unwrap())
        .map(|e| e.unwrap().file_name())
        .collect()
}

/// Runs killed (`kill -9`) while they save, then one that completes: the
/// ledger is whole, every scan has its snapshot, and nothing else is left
/// in the campaign directory. The state is padded so that a save takes
/// long enough to be caught: a run is killed as soon as a new file shows
/// up in the campaign directory.
#[cfg(unix)]
#[test]
fn scans_killed_while_saving_leave_no_litter() {
    let (_tmp, tree, dir) = campaign();
    let state = dir.join("ledger.json");
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    let import = serde_json::json!({"kind": "verify", "recorded": "2026-01-01T00:00:00Z", "what": "padding", "sites": 0});
    v["imports"] = serde_json::Value::Array(vec![import; 20_000]);
    std::fs::write(&state, serde_json::to_vec(&v).unwrap()).unwrap();
    for _ in 0..3 {
        let before = entries(&dir);
        let mut child = Command::new(env!("CARGO_BIN_EXE_unplug"))
            .args(["scan", tree.to_str().unwrap(), "--pattern", PATTERN])
            .arg("--campaign")
            .arg(&dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        while entries(&dir) == before && child.try_wait().unwrap().is_none() {}
        child.kill().unwrap();
        child.wait().unwrap();
    }
    let o = scan(&tree, &dir);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    let mut expected: Vec<PathBuf> = v["scans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| dir.join(s["snapshot"].as_str().unwrap()))
        .collect();
    expected.push(state);
    expected.sort();
    assert_eq!(walk(&dir), expected);
}
