//! `of-node-scoped-iterators` parses only the functions that name a loop
//! macro; what it asks about the rest of the file (is a function the
//! child goes to defined here?) must still see the whole file.

use rewriter::engine::{run, RunOptions};
use rewriter::pattern::load_all;

const OF_H: &str =
    "#define for_each_child_of_node_scoped(parent, child) \\\n\tfor (child = 0; child; )\n";

/// `verdict: reason` of every site of `src` (as `drivers/misc/x.c`).
fn sites(src: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("include/linux")).unwrap();
    std::fs::create_dir_all(dir.path().join("drivers/misc")).unwrap();
    std::fs::write(dir.path().join("include/linux/of.h"), OF_H).unwrap();
    std::fs::write(dir.path().join("drivers/misc/x.c"), src).unwrap();
    let all = load_all(None).unwrap();
    let p = all
        .iter()
        .find(|p| p.id == "of-node-scoped-iterators")
        .unwrap();
    let out = run(dir.path(), &[p], &RunOptions::default()).unwrap();
    out.sites
        .iter()
        .map(|s| {
            format!(
                "{}: {}",
                s.verdict.as_str(),
                s.reason.as_deref().unwrap_or("")
            )
        })
        .collect()
}

const LOOP: &str = "static int foo_probe(struct foo *f, struct device_node *np)\n{\n\tstruct device_node *child;\n\n\tfor_each_child_of_node(np, child) {\n\t\tif (keep_node(f, child))\n\t\t\tbreak;\n\t}\n\treturn 0;\n}\n";

#[test]
fn a_helper_of_the_file_without_a_loop_may_keep_the_child() {
    let helper = "static int keep_node(struct foo *f, struct device_node *np)\n{\n\tf->np = np;\n\treturn 0;\n}\n\n";
    assert_eq!(
        sites(&format!("{helper}{LOOP}")),
        ["manual: `break;` leaves the loop without of_node_put(child), and `child` goes to `keep_node()` on line 12, which may keep the reference"]
    );
    // Only declared here: not a helper of the file, the break leaked.
    let decl = "int keep_node(struct foo *f, struct device_node *np);\n\n";
    assert_eq!(
        sites(&format!("{decl}{LOOP}")),
        ["auto: the scoped loop also fixes a leak: `break;` on line 9 left the loop without of_node_put(child)"]
    );
}
