//! `--check --build` on a fake kernel tree (tests/fixtures/fake-kbuild):
//! its Makefile stands in for kbuild (allmodconfig copies a per-arch
//! .config, objects compile with the host gcc -Wall), so every verdict
//! runs for real in a second: built on the first arch, built on the
//! second, new warning, compile error, no config, composite object.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use series::build::{build_changes, Arch, BuildOptions, BuildStatus, PatchBuild, Progress};
use series::{DriverChange, FileEdit};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fake-kbuild")
}

/// The fixture copied (the build must leave the copy untouched).
fn tree(dir: &Path) -> PathBuf {
    let t = dir.join("linux");
    let st = std::process::Command::new("cp")
        .arg("-r")
        .arg(fixture())
        .arg(&t)
        .status()
        .unwrap();
    assert!(st.success());
    t
}

fn change(tree: &Path, file: &str, edit: impl Fn(&str) -> String) -> DriverChange {
    let before = std::fs::read_to_string(tree.join(file)).unwrap();
    let after = edit(&before);
    assert_ne!(before, after);
    DriverChange {
        key: file.into(),
        files: vec![FileEdit {
            rel_path: file.into(),
            before: before.into_bytes(),
            after: after.into_bytes(),
            mode: 0o100644,
        }],
        shared_helper: None,
        remarks: vec![],
    }
}

/// The campaign's edit: the remove callback returns void.
fn to_void(s: &str) -> String {
    s.replace("static int foo_", "static void foo_")
        .replace("\treturn 0;\n", "")
        .replace("int (*foo_", "void (*foo_")
}

fn arches() -> Vec<Arch> {
    // all use the host gcc: the fake Makefile only reads ARCH; `nope` has
    // no config, so its allmodconfig fails
    ["nope", "x86_64", "arm"]
        .iter()
        .map(|a| Arch {
            name: a.to_string(),
            karch: a.to_string(),
            cross: String::new(),
            target: "allmodconfig".into(),
            allconfig: vec![],
        })
        .collect()
}

fn run(
    tree: &Path,
    cache: &Path,
    changes: &[DriverChange],
) -> (BTreeMap<String, PatchBuild>, usize, Vec<String>) {
    let opts = BuildOptions {
        cache: cache.to_path_buf(),
        arches: arches(),
        jobs: 2,
    };
    let refs: Vec<&DriverChange> = changes.iter().collect();
    let mut compiled = 0;
    let mut failed = Vec::new();
    let r = build_changes(tree, &refs, &opts, &mut |p| match p {
        Progress::Compiled(_) => compiled += 1,
        Progress::ArchFailed(a, e) => failed.push(format!("{a}: {e}")),
        _ => {}
    })
    .unwrap();
    (r, compiled, failed)
}

#[test]
fn every_patch_gets_a_build_verdict() {
    let tmp = tempfile::tempdir().unwrap();
    let tree = tree(tmp.path());
    let cache = tmp.path().join("cache");
    let changes = vec![
        change(&tree, "drivers/foo/foo-a.c", to_void),
        change(&tree, "drivers/foo/foo-b.c", to_void),
        change(&tree, "drivers/foo/foo-c.c", |s| {
            to_void(s).replace("{\n}", "{\n\tint unused;\n}")
        }),
        change(&tree, "drivers/foo/foo-d.c", |s| {
            to_void(s).replace("{\n}", "{\n\tnot C\n}")
        }),
        change(&tree, "drivers/foo/foo-e.c", to_void),
        change(&tree, "drivers/foo/foo-f-plat.c", to_void),
        change(&tree, "drivers/foo/foo-g.c", to_void),
    ];
    let originals: Vec<Vec<u8>> = changes.iter().map(|c| c.files[0].before.clone()).collect();
    let (r, compiled, failed) = run(&tree, &cache, &changes);
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(
        failed[0].starts_with("nope: make allmodconfig for nope failed"),
        "{failed:?}"
    );

    let a = &r["drivers/foo/foo-a.c"];
    assert_eq!(
        (a.status, a.arch.as_deref()),
        (BuildStatus::Built, Some("x86_64")),
        "{a:?}"
    );
    assert_eq!(a.config.as_deref(), Some("allmodconfig"));
    let b = &r["drivers/foo/foo-b.c"];
    assert_eq!(
        (b.status, b.arch.as_deref()),
        (BuildStatus::Built, Some("arm")),
        "{b:?}"
    );
    let c = &r["drivers/foo/foo-c.c"];
    assert_eq!(c.status, BuildStatus::Regression, "{c:?}");
    assert_eq!(c.new_warnings.len(), 1, "{c:?}");
    assert!(c.new_warnings[0].contains("unused variable"), "{c:?}");
    let d = &r["drivers/foo/foo-d.c"];
    assert_eq!(d.status, BuildStatus::Regression, "{d:?}");
    assert!(
        d.reason
            .as_deref()
            .unwrap()
            .contains("foo-d.o fails after the change"),
        "{d:?}"
    );
    let e = &r["drivers/foo/foo-e.c"];
    assert_eq!(e.status, BuildStatus::NotBuilt, "{e:?}");
    assert_eq!(
        e.reason.as_deref(),
        Some("no config builds drivers/foo/foo-e.o: CONFIG_FOO_E is set by none of the 2 configs tried (depends on ARCH_NOPE)")
    );
    let g = &r["drivers/foo/foo-g.c"];
    assert_eq!(
        g.reason.as_deref(),
        Some("no config builds drivers/foo/foo-g.o: CONFIG_FOO_G is set by none of the 2 configs tried (selected by PLAT_NOWHERE)")
    );
    let f = &r["drivers/foo/foo-f-plat.c"];
    assert_eq!(
        (f.status, f.arch.as_deref()),
        (BuildStatus::Built, Some("x86_64")),
        "{f:?}"
    );
    // a, c, d, f on x86_64 and b on arm, each before and after
    assert_eq!(compiled, 10);

    // the user's files are untouched
    for (c, orig) in changes.iter().zip(&originals) {
        assert_eq!(
            &std::fs::read(tree.join(&c.files[0].rel_path)).unwrap(),
            orig
        );
    }
    // a second run configures nothing again and gives the same verdicts
    let (again, _, _) = run(&tree, &cache, &changes);
    assert_eq!(again, r);
    let logs: Vec<String> = ["x86_64", "arm"]
        .iter()
        .map(|a| {
            let dir = std::fs::read_dir(&cache)
                .unwrap()
                .next()
                .unwrap()
                .unwrap()
                .path();
            std::fs::read_to_string(dir.join(a).join("configured.log")).unwrap()
        })
        .collect();
    assert_eq!(logs, ["x86_64\n", "arm\n"]);
}

#[test]
fn a_tree_without_kbuild_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("Makefile"), "all:\n").unwrap();
    let opts = BuildOptions {
        cache: tmp.path().join("cache"),
        arches: arches(),
        jobs: 1,
    };
    let err = build_changes(tmp.path(), &[], &opts, &mut |_| {}).unwrap_err();
    assert!(
        err.to_string().contains("no scripts/Makefile.build"),
        "{err}"
    );
}
