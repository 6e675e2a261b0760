mod common;

use common::*;
use reports::{render, Format, Ledger};

#[test]
fn markdown_report() {
    let t = trees();
    recorded(&t);
    let l = Ledger::open(&t.campaign).unwrap();
    let md = render(&l, Format::Md).unwrap();
    assert!(md.starts_with("# Campaign platform-remove-void"), "{md}");
    // One title, then the summary line, whatever function writes which section.
    assert_eq!(md.matches("# Campaign ").count(), 1, "{md}");
    assert!(
        md.lines().nth(2).is_some_and(|l| l.contains("% done")),
        "{md}"
    );
    // 5 campaign sites: alpha applied, beta gone, gamma + delta open, epsilon new user.
    assert!(md.contains("40.0% done: 2 of 5 sites"), "{md}");
    assert!(md.contains("## Burndown"));
    assert!(md.contains("| 1 | 6.1.0 |"), "{md}");
    assert!(md.contains("| 2 | 6.2.0 |"), "{md}");
    assert!(md.contains("## New users of the retired interface"));
    assert!(md.contains("`drivers/spi/spi-epsilon.c:"), "{md}");
    assert!(md.contains("| GPIO SUBSYSTEM |"), "{md}");
    assert!(md.contains("| Gina Gpio <gina@example.org> |"), "{md}");
    assert!(md.contains("`drivers/watchdog/gamma_wdt.c`"), "{md}");
}

#[test]
fn json_report() {
    let t = trees();
    recorded(&t);
    let l = Ledger::open(&t.campaign).unwrap();
    let v: serde_json::Value = serde_json::from_str(&render(&l, Format::Json).unwrap()).unwrap();
    assert_eq!(v["schema"], "unplug-report/1");
    assert_eq!(v["campaign"]["patterns"][0], PATTERN);
    assert_eq!(v["totals"]["total"], 5);
    assert_eq!(v["totals"]["done"], 2);
    assert_eq!(v["totals"]["states"]["new-user"], 1);
    let scans = v["scans"].as_array().unwrap();
    assert_eq!(scans.len(), 2);
    assert_eq!(scans[0]["legacy"], 4);
    assert_eq!(scans[1]["legacy"], 3);
    let subs = v["subsystems"].as_array().unwrap();
    let gpio = subs.iter().find(|s| s["name"] == "GPIO SUBSYSTEM").unwrap();
    assert_eq!(gpio["counts"]["states"]["applied"], 1);
    assert_eq!(gpio["counts"]["states"]["open"], 1);
    let sites = v["sites"].as_array().unwrap();
    assert_eq!(sites.len(), 5);
    assert_eq!(sites[0]["state"], "new-user");
    let beta = sites
        .iter()
        .find(|s| s["file"] == "drivers/spi/spi-beta.c")
        .unwrap();
    assert_eq!(beta["state"], "gone");
    assert_eq!(beta["gone_in"], "6.2.0");
}

#[test]
fn report_cli_writes_a_file() {
    let t = trees();
    recorded(&t);
    let out = t.campaign.with_file_name("report.html");
    let args = reports::campaign::ReportOptions {
        campaign: t.campaign.clone(),
        format: Format::Html,
        out: Some(out.clone()),
        ..Default::default()
    };
    assert!(reports::campaign::report(&args).unwrap().text.is_none());
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no network"
    );
    assert!(html.contains("<svg"));
    assert!(html.contains("id=\"sites\""));
}

fn check_args(
    t: &Trees,
    target: &std::path::Path,
    tree: Option<&std::path::Path>,
) -> reports::campaign::CheckOptions {
    reports::campaign::CheckOptions {
        target: target.to_path_buf(),
        campaign: t.campaign.clone(),
        tree: tree.map(|p| p.to_path_buf()),
        paths: vec![],
        extra_patterns: None,
    }
}

#[test]
fn check_tree_finds_new_users() {
    let t = trees();
    // Only 6.1 recorded: 6.2 adds epsilon.
    let doc = scan_doc(&t.v1, &[PATTERN]);
    reports::campaign::record_scan(&t.campaign, &doc, &t.v1, &[]).unwrap();
    let l = Ledger::open(&t.campaign).unwrap();
    let r = reports::check_tree(&l, &t.v2, &[], None).unwrap();
    assert_eq!(r.new_users.len(), 1, "{:?}", r.new_users);
    let n = &r.new_users[0];
    assert_eq!(n.file, "drivers/spi/spi-epsilon.c");
    assert!(n.line > 0);
    let line = n.to_string();
    assert!(
        line.starts_with(&format!(
            "drivers/spi/spi-epsilon.c:{}: ERROR: new user of platform-remove-void",
            n.line
        )),
        "{line}"
    );
    // delta moved (its old file is gone): known, not new.
    assert_eq!(r.known, 2);
    assert!(!reports::campaign::check(&check_args(&t, &t.v2, None))
        .unwrap()
        .new_users
        .is_empty());
    assert!(reports::campaign::check(&check_args(&t, &t.v1, None))
        .unwrap()
        .new_users
        .is_empty());
}

/// `git diff` of two files in `dir`, with headers naming `rel`.
fn git_diff(dir: &std::path::Path, old: &str, new: &str, rel: &str) -> String {
    let o = std::process::Command::new("git")
        .args(["diff", "--no-index", old, new])
        .current_dir(dir)
        .output()
        .unwrap();
    String::from_utf8(o.stdout)
        .unwrap()
        .replace(&format!("a/{old}"), &format!("a/{rel}"))
        .replace(&format!("b/{new}"), &format!("b/{rel}"))
}

#[test]
fn check_patch_adding_a_user_fails() {
    let t = trees();
    recorded(&t);
    let tmp = tempfile::tempdir().unwrap();
    // A patch adding a new legacy driver to 6.2.
    let patch = format!(
        "From: Dev <dev@example.org>\nSubject: [PATCH] gpio: add zeta\n\n---\n{}",
        new_file_patch("drivers/gpio/gpio-zeta.c", &legacy_driver("zeta"))
    );
    let pf = tmp.path().join("0001-zeta.patch");
    std::fs::write(&pf, &patch).unwrap();
    let before: Vec<_> = walk(&t.v2);
    let l = Ledger::open(&t.campaign).unwrap();
    let r = reports::check_patch(&l, &pf, &t.v2, None).unwrap();
    assert_eq!(r.new_users.len(), 1, "{r:?}");
    assert_eq!(r.new_users[0].file, "drivers/gpio/gpio-zeta.c");
    assert_eq!(r.new_users[0].line, 20);
    assert!(!reports::campaign::check(&check_args(&t, &pf, Some(&t.v2)))
        .unwrap()
        .new_users
        .is_empty());
    assert_eq!(walk(&t.v2), before, "the tree was modified");

    // A patch converting gamma adds no user.
    let conv = tmp.path().join("conv");
    std::fs::create_dir_all(&conv).unwrap();
    std::fs::write(conv.join("old.c"), legacy_driver("gamma")).unwrap();
    std::fs::write(conv.join("new.c"), converted_driver("gamma")).unwrap();
    let diff = git_diff(&conv, "old.c", "new.c", "drivers/watchdog/gamma_wdt.c");
    assert!(
        diff.contains("--- a/drivers/watchdog/gamma_wdt.c"),
        "{diff}"
    );
    let pf2 = tmp.path().join("0001-gamma.patch");
    std::fs::write(&pf2, &diff).unwrap();
    assert!(reports::campaign::check(&check_args(&t, &pf2, Some(&t.v2)))
        .unwrap()
        .new_users
        .is_empty());

    // A patch that does not apply is bad input.
    let bad = tmp.path().join("bad.patch");
    std::fs::write(
        &bad,
        diff.replace("static int gamma_remove", "static int nothing_here"),
    )
    .unwrap();
    assert!(reports::campaign::check(&check_args(&t, &bad, Some(&t.v2))).is_err());
}

fn new_file_patch(rel: &str, text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut p = format!(
        "diff --git a/{rel} b/{rel}\nnew file mode 100644\n--- /dev/null\n+++ b/{rel}\n@@ -0,0 +1,{} @@\n",
        lines.len()
    );
    for l in lines {
        p.push('+');
        p.push_str(l);
        p.push('\n');
    }
    p
}

fn walk(root: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out = vec![];
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn report_for_one_subsystem() {
    let t = trees();
    recorded(&t);
    let l = Ledger::open(&t.campaign).unwrap();
    let opts = reports::RenderOptions {
        subsystems: vec!["watchdog".into()],
        max_rows: 0,
    };
    let md = reports::render_with(&l, Format::Md, &opts).unwrap();
    assert!(md.contains("0.0% done: 0 of 1 sites"), "{md}");
    assert!(md.contains("gamma_wdt.c"));
    assert!(!md.contains("spi-epsilon.c"));
    let opts = reports::RenderOptions {
        subsystems: vec![],
        max_rows: 1,
    };
    let md = reports::render_with(&l, Format::Md, &opts).unwrap();
    assert!(md.contains("… and 2 more"), "{md}");
}

/// `check` reads the patch as bytes: what `rewrite` prints for a file with
/// Latin-1 bytes and for a file whose name git quotes is accepted.
#[test]
fn check_accepts_rewrites_own_non_utf8_patch() {
    let t = trees();
    let gamma = t.v2.join("drivers/watchdog/gamma_wdt.c");
    let text = std::fs::read_to_string(&gamma).unwrap();
    let (head, tail) = text.split_once("\tkfree(p);").unwrap();
    let text = [
        head.as_bytes(),
        b"\tkfree(p); /* J\xf6rg */",
        tail.as_bytes(),
    ]
    .concat();
    std::fs::write(&gamma, &text).unwrap();
    write(
        &t.v2,
        "drivers/watchdog/tab\tname.c",
        &legacy_driver("zeta"),
    );
    recorded(&t);
    let ids = vec![PATTERN.to_string()];
    let out = reports::scan::run_patterns(&t.v2, &ids, &[], None).unwrap();
    let diff = rewriter::diff::unified(&out.changes);
    assert!(
        std::str::from_utf8(&diff).is_err(),
        "the patch must hold a non-UTF-8 byte"
    );
    assert!(
        diff.windows(14).any(|w| w == b"\"a/drivers/wat"),
        "no quoted name"
    );
    let pf = t._tmp.path().join("rewrite.patch");
    std::fs::write(&pf, &diff).unwrap();
    let l = Ledger::open(&t.campaign).unwrap();
    let r = reports::check_patch(&l, &pf, &t.v2, None).unwrap();
    assert!(r.new_users.is_empty(), "{r:?}");
    assert!(r.files >= 2, "{r:?}");
}
