//! `unplug verify --driver`/`--suite drivers`: bad invocations are refused
//! before anything is fetched or booted (exit 2, naming what is wrong).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/sample-tree")
}

fn unplug(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_unplug"))
        .args(args)
        .output()
        .expect("unplug runs")
}

fn refused(args: &[&str], says: &str) {
    let out = unplug(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(err.contains(says), "{args:?}: {err}");
}

#[test]
fn driver_options_need_a_driver_or_the_suite() {
    let tree = sample();
    let tree = tree.to_str().unwrap();
    refused(
        &["verify", "--tree", tree],
        "go with --driver PATH or --suite drivers",
    );
    refused(
        &["verify", "--kcidb", "/tmp/x.json", "--suite", "ci"],
        "go with --driver PATH or --suite drivers",
    );
}

#[test]
fn unknown_driver_pattern_or_kernel_is_refused() {
    let tree = sample();
    let tree = tree.to_str().unwrap();
    refused(
        &["verify", "--tree", tree, "--driver", "drivers/nope"],
        "no driver recipe for drivers/nope",
    );
    refused(
        &[
            "verify",
            "--tree",
            tree,
            "--driver",
            "pcspkr",
            "--pattern",
            "no-such",
        ],
        "unknown pattern \"no-such\"",
    );
    // The sample tree says 6.1 in its Makefile.
    refused(
        &[
            "verify", "--tree", tree, "--driver", "pcspkr", "--kernel", "6.12",
        ],
        "a 6.1 tree, but --kernel 6.12",
    );
    refused(
        &[
            "verify",
            "--tree",
            "/nonexistent/tree",
            "--driver",
            "pcspkr",
        ],
        "not a kernel tree",
    );
}
