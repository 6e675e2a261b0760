//! Series as maintainers' tools see them: the same input gives the same
//! bytes, a convert series names its introduce patch as a prerequisite,
//! and b4 (`UNPLUG_B4`, see scripts/test-b4) threads and bases them.

mod common;

use common::{copy, walk};
use std::path::{Path, PathBuf};
use std::process::Command;

fn unplug(dir: &Path, args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_unplug"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.code() == Some(0),
        "unplug {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.org"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// examples/sample-tree with a second GPIO driver, so that the GPIO series
/// has two patches.
fn sample_tree(dir: &Path) -> PathBuf {
    let tree = dir.join("tree");
    copy(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sample-tree"),
        &tree,
    );
    let src = std::fs::read_to_string(tree.join("drivers/gpio/gpio-fgpio.c")).unwrap();
    std::fs::write(
        tree.join("drivers/gpio/gpio-hgpio.c"),
        src.replace("fgpio", "hgpio"),
    )
    .unwrap();
    tree
}

fn series(tree: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "series",
        ".",
        "--pattern",
        "platform-remove-void",
        "--out",
        out.to_str().unwrap(),
        "--from",
        "Jane Janitor <jane@example.org>",
        "--signoff",
    ];
    args.extend_from_slice(extra);
    unplug(tree, &args)
}

fn contents(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    walk(dir)
        .into_iter()
        .map(|p| {
            let b = std::fs::read(&p).unwrap();
            (p, b)
        })
        .collect()
}

#[test]
fn the_same_tree_and_campaign_give_the_same_files() {
    let tmp = tempfile::tempdir().unwrap();
    let tree = sample_tree(tmp.path());
    let out = tmp.path().join("out");
    series(&tree, &out, &[]);
    let first = contents(&out);
    assert!(first.len() >= 5, "{first:?}");
    // a second later: not a byte may change
    std::thread::sleep(std::time::Duration::from_millis(1100));
    series(&tree, &out, &[]);
    let second = contents(&out);
    assert_eq!(first.len(), second.len());
    for ((p, a), (_, b)) in first.iter().zip(&second) {
        assert!(a == b, "{} differs between two runs", p.display());
    }
    // the date is the tree's (its newest file), not 1970, and --date wins
    let cover = String::from_utf8(first[0].1.clone()).unwrap();
    let date = cover.lines().find(|l| l.starts_with("Date: ")).unwrap();
    let explicit = tmp.path().join("explicit");
    series(&tree, &explicit, &["--date", "0"]);
    let c0 = std::fs::read_to_string(&contents(&explicit)[0].0).unwrap();
    assert!(
        c0.contains("\nDate: Thu, 1 Jan 1970 00:00:00 +0000\n"),
        "{c0}"
    );
    assert!(!date.contains("1970"), "{date}");
}

#[test]
fn a_convert_series_names_its_introduce_patch_as_prerequisite() {
    let tmp = tempfile::tempdir().unwrap();
    let tree = tmp.path().join("tree");
    copy(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/lifecycle-tree"),
        &tree,
    );
    let intro = tmp.path().join("introduce");
    series(&tree, &intro, &["--phase", "introduce"]);
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(intro.join("series.json")).unwrap()).unwrap();
    let cid = report["series"][0]["change_id"]
        .as_str()
        .unwrap()
        .to_string();
    let convert = tmp.path().join("convert");
    series(&tree, &convert, &["--assume-api"]);
    let covers: Vec<PathBuf> = walk(&convert)
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with("cover-letter.patch"))
        .collect();
    assert_eq!(covers.len(), 3);
    let mut ids = Vec::new();
    for c in covers {
        let text = std::fs::read_to_string(&c).unwrap();
        assert!(
            text.contains(&format!("\nprerequisite-change-id: {cid}:v1\n")),
            "{text}"
        );
        ids.push(
            text.lines()
                .find_map(|l| l.strip_prefix("change-id: "))
                .unwrap()
                .to_string(),
        );
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "one change-id per series: {ids:?}");
}

/// `b4 am -m` on each written series (concatenated into an mbox) finds
/// every patch and the base commit. Needs b4: `UNPLUG_B4=path/to/b4`
/// (scripts/test-b4 installs it into a venv and runs this test).
#[test]
#[ignore = "needs b4 (UNPLUG_B4): scripts/test-b4"]
fn b4_am_finds_every_patch_and_the_base() {
    let b4 = std::env::var("UNPLUG_B4").expect("UNPLUG_B4: path of the b4 executable");
    let tmp = tempfile::tempdir().unwrap();
    let tree = sample_tree(tmp.path());
    git(&tree, &["init", "-q"]);
    git(&tree, &["add", "-A"]);
    git(&tree, &["commit", "-qm", "base"]);
    let base = git(&tree, &["rev-parse", "HEAD"]).trim().to_string();
    let out = tmp.path().join("out");
    series(&tree, &out, &[]);
    // a later commit on the drivers: only the base commit takes the series
    for p in walk(&tree.join("drivers")) {
        let t = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, t.replace("return 0;", "return  0;")).unwrap();
    }
    git(&tree, &["commit", "-qam", "later"]);
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("series.json")).unwrap()).unwrap();
    let all = report["series"].as_array().unwrap();
    assert!(all
        .iter()
        .any(|s| s["patches"].as_array().unwrap().len() == 2));
    for s in all {
        let dir = PathBuf::from(s["dir"].as_str().unwrap());
        let mut mbox = Vec::new();
        for p in walk(&dir) {
            mbox.extend(std::fs::read(p).unwrap());
        }
        let mbox_path = tmp.path().join("series.mbox");
        std::fs::write(&mbox_path, &mbox).unwrap();
        let am_dir = tmp.path().join("b4am");
        let _ = std::fs::remove_dir_all(&am_dir);
        let o = Command::new(&b4)
            .args(["--offline-mode", "am", "-m"])
            .arg(&mbox_path)
            .arg("-o")
            .arg(&am_dir)
            .current_dir(&tree)
            .output()
            .unwrap();
        let text =
            String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{text}");
        let n = s["patches"].as_array().unwrap().len();
        assert!(text.contains(&format!("Total patches: {n}\n")), "{text}");
        assert!(
            text.contains(&format!(" {base}\n")) && !text.contains("not known"),
            "base not recognized: {text}"
        );
        // the mbox b4 wrote applies on the base
        let mbx: Vec<PathBuf> = walk(&am_dir)
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "mbx"))
            .collect();
        assert_eq!(mbx.len(), 1, "{text}");
        git(&tree, &["checkout", "-q", &base]);
        git(&tree, &["am", "-q", mbx[0].to_str().unwrap()]);
        git(&tree, &["checkout", "-q", "-"]);
    }
}

/// A newer tree where one GPIO driver was converted (the v1 patch applied)
/// and the I2C driver removed: `--resend` writes a v2 of the GPIO series
/// with the driver left, the same change-id and a changelog; nothing for
/// I2C; the ledger links the v2 patch.
#[test]
fn resend_writes_the_next_version_with_what_is_left() {
    let tmp = tempfile::tempdir().unwrap();
    let old = sample_tree(tmp.path());
    let campaign = tmp.path().join("campaign");
    let c = campaign.to_str().unwrap();
    unplug(
        &old,
        &[
            "scan",
            ".",
            "--pattern",
            "platform-remove-void",
            "--campaign",
            c,
        ],
    );
    let v1 = tmp.path().join("v1");
    series(&old, &v1, &["--campaign", c]);
    let new = tmp.path().join("new");
    copy(&old, &new);
    let fgpio = walk(&v1.join("gpio-subsystem"))
        .into_iter()
        .find(|p| p.to_string_lossy().contains("gpio-fgpio"))
        .unwrap();
    git(&new, &["apply", fgpio.to_str().unwrap()]);
    std::fs::remove_file(new.join("drivers/i2c/busses/i2c-fbus.c")).unwrap();

    let v2 = tmp.path().join("v2");
    let out = series(&new, &v2, &["--campaign", c, "--resend"]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("gpio-fgpio.c applied in 6.1.0"), "{table}");
    assert!(
        table.contains("i2c-fbus.c whose driver is gone in 6.1.0"),
        "{table}"
    );
    let files: Vec<String> = walk(&v2)
        .iter()
        .map(|p| p.strip_prefix(&v2).unwrap().to_string_lossy().to_string())
        .collect();
    assert_eq!(
        files,
        [
            "gpio-subsystem/v2-0000-cover-letter.patch",
            "gpio-subsystem/v2-0001-gpio-hgpio-Convert-to-platform-remove-callback-re.patch",
            "series.json"
        ]
    );
    let cover1 =
        std::fs::read_to_string(v1.join("gpio-subsystem/v1-0000-cover-letter.patch")).unwrap();
    let cover2 =
        std::fs::read_to_string(v2.join("gpio-subsystem/v2-0000-cover-letter.patch")).unwrap();
    let cid = |t: &str| {
        t.lines()
            .find(|l| l.starts_with("change-id: "))
            .unwrap()
            .to_string()
    };
    assert_eq!(cid(&cover1), cid(&cover2));
    assert!(cover2.contains("Subject: [PATCH v2 0/1]"), "{cover2}");
    assert!(
        cover2.contains("Changes in v2:\n- resent on 6.1.0\n- dropped 1 patch applied in 6.1.0: drivers/gpio/gpio-fgpio.c\n"),
        "{cover2}"
    );
    let patch = std::fs::read_to_string(v2.join(&files[1])).unwrap();
    let (msg, rest) = patch.split_once("\n---\n").unwrap();
    assert!(
        !msg.contains("Changes in v2"),
        "the changelog stays out of the commit"
    );
    assert!(rest.starts_with("Changes in v2:\n"), "{rest}");
    // the ledger links the v2 patch of the driver left
    let ledger: serde_json::Value =
        serde_json::from_slice(&std::fs::read(campaign.join("ledger.json")).unwrap()).unwrap();
    let linked: Vec<(String, String)> = ledger["sites"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|s| {
            Some((
                s["file"].as_str()?.to_string(),
                s["patch"]["patch"].as_str()?.to_string(),
            ))
        })
        .collect();
    assert!(
        linked.contains(&(
            "drivers/gpio/gpio-hgpio.c".into(),
            "v2-0001-gpio-hgpio-Convert-to-platform-remove-callback-re.patch".into()
        )),
        "{linked:?}"
    );
    let hg = ledger["sites"]
        .as_object()
        .unwrap()
        .values()
        .find(|s| s["file"] == "drivers/gpio/gpio-hgpio.c")
        .unwrap();
    let earlier = hg["patch"]["earlier"].as_array().unwrap();
    assert_eq!(earlier.len(), 1);
    assert!(
        earlier[0].as_str().unwrap().ends_with(
            "v1/gpio-subsystem/v1-0002-gpio-hgpio-Convert-to-platform-remove-callback-re.patch"
        ),
        "{earlier:?}"
    );
    // nothing left to send: no v3, and it says so
    let v3 = tmp.path().join("v3");
    let hgpio = walk(&v2)
        .into_iter()
        .find(|p| p.to_string_lossy().contains("v2-0001"))
        .unwrap();
    git(&new, &["apply", hgpio.to_str().unwrap()]);
    let out = Command::new(env!("CARGO_BIN_EXE_unplug"))
        .args([
            "series",
            ".",
            "--pattern",
            "platform-remove-void",
            "--resend",
            "--campaign",
            c,
        ])
        .arg("--out")
        .arg(&v3)
        .current_dir(&new)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        !v3.exists()
            || walk(&v3)
                .iter()
                .all(|p| !p.to_string_lossy().ends_with(".patch"))
    );
}

/// Bad invocations exit 2, name what is wrong and write nothing.
#[test]
fn bad_build_and_resend_invocations_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let tree = sample_tree(tmp.path());
    let c = tmp.path().join("campaign");
    let c = c.to_str().unwrap();
    unplug(
        &tree,
        &[
            "scan",
            ".",
            "--pattern",
            "platform-remove-void",
            "--campaign",
            c,
        ],
    );
    let cases: [(&[&str], &str); 5] = [
        (&["--resend"], "--campaign"),
        (&["--resend", "--campaign", c], "nothing to resend"),
        (&["--build"], "--check"),
        (
            &["--check", "--build", "--arch", "vax"],
            "--arch vax: unknown",
        ),
        (
            &["--check", "--build", "--build-cache", "bc"],
            "no scripts/Makefile.build",
        ),
    ];
    for (extra, why) in cases {
        let out_dir = tmp.path().join("out");
        let o = Command::new(env!("CARGO_BIN_EXE_unplug"))
            .args(["series", ".", "--pattern", "platform-remove-void", "--out"])
            .arg(&out_dir)
            .args(extra)
            .current_dir(&tree)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {err}");
        assert!(err.contains(why), "{extra:?}: {err}");
        assert!(!out_dir.exists(), "{extra:?} wrote {}", out_dir.display());
    }
    // the refused resend recorded no scan
    let ledger: serde_json::Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("campaign/ledger.json")).unwrap())
            .unwrap();
    assert_eq!(ledger["scans"].as_array().unwrap().len(), 1);
}
