//! Hostile trees: links out of the tree, FIFOs where sources should be,
//! files edited while a run goes on, and inputs built to make a run blow
//! up. Each run must finish, report the hostile file, and still report
//! every other file. Work is bounded by sizes (of snippets, of what was
//! read), never by the clock.

use rewriter::engine::{run, Outcome, RunOptions};
use rewriter::model::MAX_SNIPPET_BYTES;
use rewriter::pattern::load_all;
use rewriter::tree::{list_sources, read_source, write_in_place, MAX_LINE_BYTES};
use std::os::unix::fs::symlink;
use std::path::Path;

const HEADER: &str = "struct class *class_create(const char *name);\n";
const GOOD: &str =
    "static int good_init(void)\n{\n\tc = class_create(THIS_MODULE, \"good\");\n\treturn 0;\n}\n";

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A tree with one ordinary driver (one `auto` site) and the header that
/// makes the class-create pattern rewrite.
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "include/linux/device/class.h", HEADER);
    write(dir.path(), "drivers/good.c", GOOD);
    dir
}

fn run_class_create(root: &Path) -> Outcome {
    let all = load_all(None).unwrap();
    let p = all
        .iter()
        .find(|p| p.id == "class-create-no-owner")
        .unwrap();
    run(root, &[p], &RunOptions::default()).unwrap()
}

fn assert_good_file_reported(o: &Outcome) {
    assert!(
        o.sites
            .iter()
            .any(|s| s.file == "drivers/good.c" && s.line == 3),
        "the ordinary file's site is missing"
    );
    assert!(o.changes.iter().any(|c| c.file == "drivers/good.c"));
}

fn mkfifo(path: &Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(ok.success());
}

#[test]
fn path_must_resolve_inside_the_tree() {
    let t = tree();
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "x/evil.c", GOOD);
    std::fs::create_dir_all(t.path().join("drivers/sub")).unwrap();
    symlink(outside.path().join("x"), t.path().join("drivers/out")).unwrap();
    let abs_outside = outside.path().join("x").display().to_string();
    for bad in [
        "../x",
        "drivers/../../x",
        abs_outside.as_str(),
        "drivers/out",
    ] {
        let err = list_sources(t.path(), &[bad.to_string()]).unwrap_err();
        assert!(err.to_string().contains("outside the tree"), "{bad}: {err}");
    }
    let abs_inside = t.path().join("drivers").display().to_string();
    let (files, _) = list_sources(t.path(), &[abs_inside]).unwrap();
    assert_eq!(files, ["drivers/good.c"]);
    let (files, _) = list_sources(t.path(), &["drivers/sub/..".into()]).unwrap();
    assert_eq!(files, ["drivers/good.c"]);
}

#[test]
fn the_walk_never_follows_links_and_reports_those_leaving_the_tree() {
    let t = tree();
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "dir/evil.c", GOOD);
    write(outside.path(), "one.c", GOOD);
    symlink(outside.path().join("dir"), t.path().join("drivers/outdir")).unwrap();
    symlink(
        outside.path().join("one.c"),
        t.path().join("drivers/outfile.c"),
    )
    .unwrap();
    symlink("nowhere.c", t.path().join("drivers/dangling.c")).unwrap();
    // Inside the tree: skipped without a word, its target is walked anyway.
    symlink("good.c", t.path().join("drivers/alias.c")).unwrap();
    symlink("../drivers", t.path().join("include/drv")).unwrap();

    let (files, findings) = list_sources(t.path(), &[]).unwrap();
    assert_eq!(files, ["drivers/good.c", "include/linux/device/class.h"]);
    let reported: Vec<&str> = findings.iter().map(|f| f.file.as_str()).collect();
    assert_eq!(
        reported,
        ["drivers/dangling.c", "drivers/outdir", "drivers/outfile.c"]
    );
    assert!(findings[1]
        .message
        .contains("outside the tree, not followed"));

    let o = run_class_create(t.path());
    assert_good_file_reported(&o);
    assert!(o.sites.iter().all(|s| s.file == "drivers/good.c"));
}

#[test]
fn a_fifo_where_a_source_should_be_is_a_finding_not_a_hang() {
    let t = tree();
    mkfifo(&t.path().join("drivers/fifo.c"));
    let o = run_class_create(t.path());
    assert_good_file_reported(&o);
    let f = o
        .findings
        .iter()
        .find(|f| f.file == "drivers/fifo.c")
        .expect("the FIFO is reported");
    assert!(f.message.contains("FIFO"), "{}", f.message);
    // Swapped in after the walk: the read itself refuses it, without blocking.
    let err = read_source(t.path(), "drivers/fifo.c").err().unwrap();
    assert!(
        err.message.contains("not a regular file"),
        "{}",
        err.message
    );
}

#[test]
fn a_fifo_among_the_pattern_files_is_bad_input_not_a_hang() {
    let dir = tempfile::tempdir().unwrap();
    mkfifo(&dir.path().join("local.yaml"));
    let err = load_all(Some(dir.path())).err().unwrap();
    assert!(format!("{err:#}").contains("local.yaml"), "{err:#}");
    assert!(format!("{err:#}").contains("not a regular file"), "{err:#}");
}

#[test]
fn in_place_writes_refuse_links_paths_out_of_the_tree_and_concurrent_edits() {
    let t = tree();
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "dir/evil.c", "old\n");
    write(outside.path(), "one.c", "old\n");
    symlink(outside.path().join("dir"), t.path().join("drivers/outdir")).unwrap();
    symlink(
        outside.path().join("one.c"),
        t.path().join("drivers/link.c"),
    )
    .unwrap();
    let root = t.path();

    write_in_place(root, "drivers/good.c", GOOD.as_bytes(), b"new\n").unwrap();
    assert_eq!(
        std::fs::read(root.join("drivers/good.c")).unwrap(),
        b"new\n"
    );

    // Someone edits the file between our read and our write.
    write(root, "drivers/good.c", "edited meanwhile\n");
    let f = write_in_place(root, "drivers/good.c", b"new\n", b"ours\n").unwrap_err();
    assert!(
        f.message.contains("changed since it was read"),
        "{}",
        f.message
    );
    assert_eq!(
        std::fs::read_to_string(root.join("drivers/good.c")).unwrap(),
        "edited meanwhile\n"
    );

    for rel in ["drivers/link.c", "drivers/outdir/evil.c"] {
        let f = write_in_place(root, rel, b"old\n", b"written\n").unwrap_err();
        assert!(f.message.contains("not written"), "{rel}: {}", f.message);
    }
    assert!(std::fs::symlink_metadata(root.join("drivers/link.c"))
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        std::fs::read(outside.path().join("one.c")).unwrap(),
        b"old\n"
    );
    assert_eq!(
        std::fs::read(outside.path().join("dir/evil.c")).unwrap(),
        b"old\n"
    );
    // No temporary file is left behind by a refused write.
    let left: Vec<_> = std::fs::read_dir(root.join("drivers"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 3, "{left:?}");
}

/// One line holding `n` sites, inside a function.
fn one_line_with_sites(n: usize) -> String {
    let calls: Vec<String> = (0..n)
        .map(|i| format!("c = class_create(THIS_MODULE, \"c{i}\");"))
        .collect();
    format!(
        "static int many(void) {{ {} return 0; }}\n",
        calls.join(" ")
    )
}

#[test]
fn thousands_of_sites_on_one_line_keep_bounded_snippets() {
    let t = tree();
    let n = 1500;
    let line = one_line_with_sites(n);
    assert!(line.len() < MAX_LINE_BYTES);
    write(t.path(), "drivers/many.c", &line);
    let o = run_class_create(t.path());
    assert_good_file_reported(&o);
    let many: Vec<_> = o
        .sites
        .iter()
        .filter(|s| s.file == "drivers/many.c")
        .collect();
    assert_eq!(many.len(), n);
    // Each site keeps an excerpt, not the rest of the line: the total is
    // linear in the sites, not sites × line length.
    let total: usize = many.iter().map(|s| s.snippet.len()).sum();
    assert!(
        total <= n * (MAX_SNIPPET_BYTES + 3),
        "{total} bytes of snippets"
    );
    let first = &many[0].snippet;
    assert!(
        first.starts_with("class_create(THIS_MODULE, \"c0\")"),
        "{first}"
    );
    assert!(many[0].snippet.ends_with('…'));
    let changed = o
        .changes
        .iter()
        .find(|c| c.file == "drivers/many.c")
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&changed.after)
            .matches("class_create(\"")
            .count(),
        n
    );
}

#[test]
fn a_multi_megabyte_line_is_a_finding_and_every_other_file_is_reported() {
    let t = tree();
    // Thousands of sites on one 3 MB line, and a 3 MB line of garbage the
    // parser would spend seconds recovering from.
    let sites = one_line_with_sites(80_000);
    let garbage = format!(
        "int g(void) {{ {} class_create(THIS_MODULE, x); }}\n",
        "x = ( y ] ; ".repeat(250_000)
    );
    write(t.path(), "drivers/sites.c", &sites);
    write(t.path(), "drivers/garbage.c", &garbage);
    let o = run_class_create(t.path());
    assert_good_file_reported(&o);
    for rel in ["drivers/sites.c", "drivers/garbage.c"] {
        let f = o.findings.iter().find(|f| f.file == rel).expect(rel);
        assert!(f.message.contains("line 1 is"), "{}", f.message);
        assert!(o.sites.iter().all(|s| s.file != rel));
    }
}

/// `timer-shutdown-on-teardown` over `dir`, as if the tree had the API.
fn run_timer_shutdown(dir: &Path) -> Outcome {
    let all = load_all(None).unwrap();
    let p = all
        .iter()
        .find(|p| p.id == "timer-shutdown-on-teardown")
        .unwrap();
    let opts = RunOptions {
        assume_api: true,
        ..RunOptions::default()
    };
    run(dir, &[p], &opts).unwrap()
}

#[test]
fn timer_shutdown_on_a_call_nested_thousands_deep_is_found() {
    // `inside` visits every enclosing block and `precedes` steps through
    // the siblings of each: with `Node::next_sibling` (a search down from
    // the root) that cost the square of the depth, over a minute here.
    let t = tempfile::tempdir().unwrap();
    let depth = 30_000;
    let src = format!(
        "static void foo_remove(struct foo *p)\n{{\n{}del_timer_sync(&p->timer);{}\nkfree(p);\n}}\n",
        "{".repeat(depth),
        "}".repeat(depth)
    );
    write(t.path(), "drivers/deep.c", &src);
    write(
        t.path(),
        "drivers/good.c",
        "static void bar_remove(struct bar *b)\n{\n\tdel_timer_sync(&b->timer);\n\tkfree(b);\n}\n",
    );
    let o = run_timer_shutdown(t.path());
    let files: Vec<&str> = o.sites.iter().map(|s| s.file.as_str()).collect();
    assert_eq!(
        files,
        ["drivers/deep.c", "drivers/good.c"],
        "{:?}",
        o.findings
    );
    // The free is in the block around the stop's nested blocks.
    assert_eq!(o.sites[0].rule, "freed-after");
    assert_eq!(o.changes.len(), 2);
}

#[test]
fn timer_shutdown_in_a_function_of_thousands_of_stops_is_found() {
    // Each stop asks whether a later statement frees or re-arms: a walk
    // over every later statement per stop, which trying the rule on each
    // node of each (before the relations skipped the nodes without the
    // words the rule needs) made minutes here.
    let t = tempfile::tempdir().unwrap();
    let stops: String = (0..3000)
        .map(|i| format!("\tdel_timer_sync(&p->t{i});\n"))
        .collect();
    let src = format!("static void foo_remove(struct foo *p)\n{{\n{stops}\tkfree(p);\n}}\n");
    write(t.path(), "drivers/many.c", &src);
    let o = run_timer_shutdown(t.path());
    assert_eq!(o.sites.len(), 3000, "{:?}", o.findings);
    assert!(o.sites.iter().all(|s| s.rule == "freed-after"));
}

#[test]
fn a_rule_site_nested_thousands_deep_is_found_with_its_function() {
    // The rules engine names the function around a site: found by walking
    // up `Node::parent` it cost the square of the depth.
    let t = tree();
    let depth = 30_000;
    let src = format!(
        "static int deep_init(void)\n{{\n{}c = class_create(THIS_MODULE, \"deep\");{}\nreturn 0;\n}}\n",
        "{".repeat(depth),
        "}".repeat(depth)
    );
    write(t.path(), "drivers/deep.c", &src);
    let o = run_class_create(t.path());
    assert_good_file_reported(&o);
    let deep = o.sites.iter().find(|s| s.file == "drivers/deep.c").unwrap();
    assert_eq!(deep.context.as_deref(), Some("deep_init"));
}

#[test]
fn a_header_a_probe_cannot_read_is_a_finding_not_a_silent_answer() {
    let dir = tempfile::tempdir().unwrap();
    let header = "include/linux/platform_device.h";
    std::fs::create_dir_all(dir.path().join("include/linux")).unwrap();
    mkfifo(&dir.path().join(header));
    let driver = "static int foo_remove(struct platform_device *pdev)\n{\n\treturn 0;\n}\n\n\
                  static struct platform_driver foo_driver = {\n\t.remove = foo_remove,\n};\n";
    write(dir.path(), "drivers/gpio/gpio-foo.c", driver);
    let all = load_all(None).unwrap();
    let p = all.iter().find(|p| p.id == "platform-remove-void").unwrap();
    let o = run(dir.path(), &[p], &RunOptions::default()).unwrap();
    assert!(
        o.findings.iter().any(|f| f.file == header),
        "no finding names the unreadable header: {:?}",
        o.findings
    );
}
