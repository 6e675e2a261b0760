//! The tree is a boundary, as a user meets it on the command line:
//! `--path` outside the tree is bad input, `--in-place` never writes
//! through a link or out of the tree, and a FIFO among the `--patterns`
//! files is bad input rather than a hang.

use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command, Output};

const HEADER: &str = "struct class *class_create(const char *name);\n";
const DRIVER: &str =
    "static int foo_init(void)\n{\n\tc = class_create(THIS_MODULE, \"foo\");\n\treturn 0;\n}\n";

fn unplug(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_unplug"))
        .args(args)
        .output()
        .expect("unplug runs")
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// `work/tree` (a driver and the header) beside `work/other` (a driver
/// that must never be rewritten).
fn trees() -> tempfile::TempDir {
    let work = tempfile::tempdir().unwrap();
    let tree = work.path().join("tree");
    write(&tree, "include/linux/device/class.h", HEADER);
    write(&tree, "drivers/foo.c", DRIVER);
    write(work.path(), "other/drivers/bar.c", DRIVER);
    write(work.path(), "other/lone.c", DRIVER);
    work
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn path_outside_the_tree_is_bad_input_and_nothing_is_written() {
    let work = trees();
    let tree = work.path().join("tree");
    let abs_other = work.path().join("other").display().to_string();
    let abs_inside = tree.join("drivers").display().to_string();
    for bad in ["../other", abs_other.as_str(), "drivers/../../other"] {
        let out = unplug(&[
            "rewrite",
            tree.to_str().unwrap(),
            "--pattern",
            "class-create-no-owner",
            "--path",
            bad,
            "--in-place",
        ]);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("outside the tree"),
            "{}",
            stderr(&out)
        );
    }
    assert_eq!(
        std::fs::read_to_string(work.path().join("other/drivers/bar.c")).unwrap(),
        DRIVER
    );
    assert_eq!(
        std::fs::read_to_string(tree.join("drivers/foo.c")).unwrap(),
        DRIVER
    );
    // An absolute path inside the tree is fine.
    let out = unplug(&[
        "rewrite",
        tree.to_str().unwrap(),
        "--pattern",
        "class-create-no-owner",
        "--path",
        &abs_inside,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("+++ b/drivers/foo.c"));
}

#[test]
fn in_place_never_writes_through_links_and_reports_them() {
    let work = trees();
    let tree = work.path().join("tree");
    symlink(work.path().join("other/drivers"), tree.join("drivers/ext")).unwrap();
    symlink(
        work.path().join("other/lone.c"),
        tree.join("drivers/lone.c"),
    )
    .unwrap();
    let out = unplug(&[
        "rewrite",
        tree.to_str().unwrap(),
        "--pattern",
        "class-create-no-owner",
        "--in-place",
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("drivers/ext: error: symbolic link to"),
        "{err}"
    );
    assert!(
        err.contains("drivers/lone.c: error: symbolic link to"),
        "{err}"
    );
    // The tree's own file is converted; nothing outside it is touched and
    // the link is still a link.
    let foo = std::fs::read_to_string(tree.join("drivers/foo.c")).unwrap();
    assert!(foo.contains("class_create(\"foo\")"));
    for rel in ["other/drivers/bar.c", "other/lone.c"] {
        assert_eq!(
            std::fs::read_to_string(work.path().join(rel)).unwrap(),
            DRIVER
        );
    }
    assert!(std::fs::symlink_metadata(tree.join("drivers/lone.c"))
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn a_fifo_among_the_pattern_files_exits_2() {
    let work = trees();
    let dir = work.path().join("patterns");
    std::fs::create_dir_all(&dir).unwrap();
    let made = Command::new("mkfifo")
        .arg(dir.join("local.yaml"))
        .status()
        .unwrap();
    assert!(made.success());
    let out = unplug(&[
        "--patterns",
        dir.to_str().unwrap(),
        "scan",
        work.path().join("tree").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not a regular file"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_file_name_that_is_not_utf8_is_a_finding_and_the_rest_is_scanned() {
    use std::os::unix::ffi::OsStrExt;
    let work = trees();
    let tree = work.path().join("tree");
    let odd = std::ffi::OsStr::from_bytes(b"drivers/caf\xe9.c");
    std::fs::write(tree.join(odd), DRIVER).unwrap();
    let out = unplug(&[
        "scan",
        tree.to_str().unwrap(),
        "--pattern",
        "class-create-no-owner",
        "--assume-api",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("file name is not UTF-8: not examined"),
        "{}",
        stderr(&out)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("drivers/foo.c:3:"),
        "the other file is still scanned: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}
