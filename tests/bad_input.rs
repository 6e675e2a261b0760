//! Bad input and hostile surroundings on the command line: each case exits
//! with the documented code and says what is wrong, or ends quietly.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sample-tree")
}

fn unplug_with_stdout(args: &[&str], stdout: Stdio) -> Output {
    Command::new(env!("CARGO_BIN_EXE_unplug"))
        .args(args)
        .stdout(stdout)
        .stderr(Stdio::piped())
        .output()
        .expect("unplug runs")
}

/// Standard output whose reader is already gone: every write fails with
/// a broken pipe, as under `| head` once head has its lines.
fn closed_stdout() -> Stdio {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    writer.into()
}

#[test]
fn closed_stdout_ends_quietly_with_the_runs_own_code() {
    let tree = sample();
    let tree = tree.to_str().unwrap();
    for args in [
        vec!["scan", tree],
        vec!["scan", tree, "--json"],
        vec!["rewrite", tree],
        vec!["patterns", "list"],
    ] {
        let full = unplug_with_stdout(&args, Stdio::null());
        let cut = unplug_with_stdout(&args, closed_stdout());
        let err = String::from_utf8_lossy(&cut.stderr);
        assert!(
            !err.contains("Broken pipe") && !err.contains("error"),
            "{args:?}: {err}"
        );
        assert_eq!(cut.status.code(), full.status.code(), "{args:?}: {err}");
    }
}

#[test]
fn closed_stdout_still_records_the_scan() {
    let tmp = tempfile::tempdir().unwrap();
    let campaign = tmp.path().join("campaign");
    let tree = sample();
    let args = [
        "scan",
        tree.to_str().unwrap(),
        "--campaign",
        campaign.to_str().unwrap(),
    ];
    let cut = unplug_with_stdout(&args, closed_stdout());
    assert!(
        cut.status.code().is_some_and(|c| c < 2),
        "{}",
        String::from_utf8_lossy(&cut.stderr)
    );
    assert!(
        campaign.join("ledger.json").is_file(),
        "the scan was not recorded"
    );
    // a gate keeps its verdict: a new user is exit 1 even when nobody reads
    let tree2 = tmp.path().join("tree2");
    common::copy(&tree, &tree2);
    std::fs::copy(
        tree.join("drivers/gpio/gpio-fgpio.c"),
        tree2.join("drivers/gpio/gpio-new.c"),
    )
    .unwrap();
    let args = [
        "check",
        tree2.to_str().unwrap(),
        "--campaign",
        campaign.to_str().unwrap(),
    ];
    let full = unplug_with_stdout(&args, Stdio::null());
    assert_eq!(
        full.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&full.stderr)
    );
    let cut = unplug_with_stdout(&args, closed_stdout());
    assert_eq!(
        cut.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&cut.stderr)
    );
    assert!(
        cut.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&cut.stderr)
    );
    // a command whose output is its last step ends with 0
    let args = [
        "report",
        "--campaign",
        campaign.to_str().unwrap(),
        "--format",
        "md",
    ];
    let cut = unplug_with_stdout(&args, closed_stdout());
    assert_eq!(
        cut.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&cut.stderr)
    );
    assert!(
        cut.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&cut.stderr)
    );
}

#[test]
fn duplicate_pattern_ids_exit_2_naming_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let text = "version: 1\nid: twin\ntitle: T\nrationale: R\nanchors: [foo]\nrules:\n  - id: a\n    pattern: foo($X)\n    verdict: auto\n    rewrite: bar($X)\n";
    std::fs::write(dir.path().join("one.yaml"), text).unwrap();
    std::fs::write(dir.path().join("two.yaml"), text).unwrap();
    let d = dir.path().to_str().unwrap();
    let out = unplug_with_stdout(&["--patterns", d, "patterns", "list"], Stdio::piped());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("two.yaml:2:5: duplicate pattern id `twin` (also at ")
            && err.contains("one.yaml:2:5)"),
        "{err}"
    );
}

#[test]
fn series_without_or_with_garbage_maintainers_exits_2_writing_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let tree = tmp.path().join("tree");
    common::copy(&sample(), &tree);
    std::fs::remove_file(tree.join("MAINTAINERS")).unwrap();
    let out = tmp.path().join("out");
    let (t, o) = (tree.to_str().unwrap(), out.to_str().unwrap());
    let args = ["series", t, "--pattern", "platform-remove-void", "--out", o];
    for garbage in [None, Some("just some text\nwith no sections at all\n")] {
        if let Some(g) = garbage {
            std::fs::write(tree.join("MAINTAINERS"), g).unwrap();
        }
        let run = unplug_with_stdout(&args, Stdio::piped());
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{err}");
        assert!(err.contains("MAINTAINERS"), "{err}");
        assert!(
            !out.exists() || common::walk(&out).is_empty(),
            "a series was written"
        );
    }
}

/// Scenario mistakes are bad input, found before any kernel is fetched or
/// booted (the kernel named here does not exist: reaching it would be the
/// bug).
#[test]
fn scenario_mistakes_exit_2_before_any_boot() {
    let tmp = tempfile::tempdir().unwrap();
    let kmod = Path::new(env!("CARGO_MANIFEST_DIR")).join("verifier-kmod");
    let cases = [
        (
            "fixtures: [no_such_fixture]\nsteps:\n  - insmod: no_such_fixture\n",
            "unknown fixture \"no_such_fixture\"",
        ),
        (
            "steps:\n  - modprobe: e1000\nexpect:\n  - {op: rmmod e1000, verdict: ok}\n",
            "expect 1 (op \"rmmod e1000\"): no step can produce",
        ),
    ];
    for (body, want) in cases {
        let sc = tmp.path().join("s.yaml");
        std::fs::write(
            &sc,
            format!("name: s\nkernels: [{{kernel: \"6.12\"}}]\n{body}"),
        )
        .unwrap();
        let args = [
            "verify",
            "--scenario",
            sc.to_str().unwrap(),
            "--kmod-dir",
            kmod.to_str().unwrap(),
            "--kernel",
            "/nonexistent/kernel-dir",
        ];
        let out = unplug_with_stdout(&args, Stdio::piped());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(want), "{err}");
    }
}

/// A file whose lines end in a bare CR is a finding (exit 1), not a file
/// silently without sites; CRLF files are scanned as usual.
#[test]
fn cr_only_file_is_a_finding() {
    let tmp = tempfile::tempdir().unwrap();
    let tree = tmp.path().join("tree");
    common::copy(&sample(), &tree);
    let (cr, crlf) = ("drivers/gpio/gpio-fgpio.c", "drivers/i2c/busses/i2c-fbus.c");
    for (rel, end) in [(cr, "\r"), (crlf, "\r\n")] {
        let text = std::fs::read_to_string(tree.join(rel)).unwrap();
        std::fs::write(tree.join(rel), text.replace('\n', end)).unwrap();
    }
    let out = unplug_with_stdout(&["scan", tree.to_str().unwrap()], Stdio::piped());
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{cr}: error: CR-only line ends (no LF), not examined"
        )),
        "{stderr}"
    );
    assert!(
        stdout.contains(&format!("{crlf}:36:3: platform-remove-void auto")),
        "{stdout}"
    );
}

/// `rewrite`'s diff of a file with an odd name (tab, quotes, backslash, a
/// space), a bare CR inside a line and a Latin-1 byte near the edit is
/// accepted by `git apply`, and the rewritten tree yields no second diff.
#[test]
fn rewrite_diff_of_odd_files_applies_with_git() {
    let tmp = tempfile::tempdir().unwrap();
    let tree = tmp.path().join("tree");
    common::copy(&sample(), &tree);
    let odd = "drivers/gpio/gpio f\t\"q\"\\b.c";
    let text = std::fs::read(tree.join("drivers/gpio/gpio-fgpio.c")).unwrap();
    std::fs::remove_file(tree.join("drivers/gpio/gpio-fgpio.c")).unwrap();
    let text = String::from_utf8(text).unwrap().replace(
        "static struct platform_driver",
        "/* J\u{1}rg\rx */\nstatic struct platform_driver",
    );
    let text = text.into_bytes();
    let at = text.iter().position(|&b| b == 1).unwrap();
    let mut text = text;
    text[at] = 0xf6; // Latin-1 ö
    std::fs::write(tree.join(odd), &text).unwrap();
    let git = |args: &[&str]| {
        let o = Command::new("git")
            .args(args)
            .current_dir(&tree)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    let t = tree.to_str().unwrap();
    let out = unplug_with_stdout(
        &["rewrite", t, "--pattern", "platform-remove-void"],
        Stdio::piped(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let quoted = b"--- \"a/drivers/gpio/gpio f\\t\\\"q\\\"\\\\b.c\"\t\n";
    assert!(
        out.stdout.windows(quoted.len()).any(|w| w == quoted),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        out.stdout.windows(3).any(|w| w == b"g\rx"),
        "the bare CR is kept"
    );
    std::fs::write(tmp.path().join("p.diff"), &out.stdout).unwrap();
    git(&["init", "-q"]);
    let p = tmp.path().join("p.diff");
    git(&["apply", "--check", p.to_str().unwrap()]);
    git(&["apply", p.to_str().unwrap()]);
    let again = unplug_with_stdout(
        &["rewrite", t, "--pattern", "platform-remove-void"],
        Stdio::piped(),
    );
    assert!(
        again.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
    let after = std::fs::read(tree.join(odd)).unwrap();
    assert!(after.windows(5).any(|w| w == b"J\xf6rg\r"), "bytes kept");
}
