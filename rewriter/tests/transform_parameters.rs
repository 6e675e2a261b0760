//! The tables of the built-in transforms are data of their pattern files
//! (`parameters`): one more loop macro is a YAML edit, and a bad
//! parameter is a load error naming its `file:line:column`.

use rewriter::engine::{run, RunOptions};
use rewriter::pattern::{load_str, BUILTIN};

fn builtin(file: &str) -> &'static str {
    BUILTIN.iter().find(|(name, _)| *name == file).unwrap().1
}

fn of_yaml() -> &'static str {
    builtin("of-node-scoped-iterators.yaml")
}

/// `text` with `old` replaced by `new`, which must be there once.
fn edited(text: &str, old: &str, new: &str) -> String {
    assert_eq!(text.matches(old).count(), 1, "{old}");
    text.replace(old, new)
}

/// The built-in pattern with `fwnode_for_each_child_node` added: its
/// anchor and its entry, nothing else.
fn with_fwnode_loop() -> String {
    let yaml = edited(
        of_yaml(),
        "device_for_each_child_node]",
        "device_for_each_child_node, fwnode_for_each_child_node]",
    );
    edited(
        &yaml,
        "  iterators:\n",
        "  iterators:\n    - macro: fwnode_for_each_child_node\n      put: fwnode_handle_put\n      type: fwnode_handle\n      header: include/linux/property.h\n",
    )
}

const OF_H: &str =
    "#define for_each_child_of_node_scoped(parent, child) \\\n\tfor (child = 0; child; )\n";
const PROPERTY_H: &str =
    "#define fwnode_for_each_child_node_scoped(fwnode, child) \\\n\tfor (child = 0; child; )\n";

const FW_C: &str = "static int fw_setup(struct fwnode_handle *fwnode)
{
	struct fwnode_handle *child;
	int ret;

	fwnode_for_each_child_node(fwnode, child) {
		ret = fw_child(child);
		if (ret) {
			fwnode_handle_put(child);
			return ret;
		}
	}
	return 0;
}
";

const FW_C_SCOPED: &str = "static int fw_setup(struct fwnode_handle *fwnode)
{
	int ret;

	fwnode_for_each_child_node_scoped(fwnode, child) {
		ret = fw_child(child);
		if (ret)
			return ret;
	}
	return 0;
}
";

/// `line: verdict` of every site of `yaml` over a tree holding `FW_C`,
/// and the file after the rewrite.
fn run_on_fw(yaml: &str) -> (Vec<String>, String) {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in [
        ("include/linux/of.h", OF_H),
        ("include/linux/property.h", PROPERTY_H),
        ("drivers/misc/fw.c", FW_C),
    ] {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let p = load_str(yaml, "of.yaml").unwrap_or_else(|e| panic!("{e:#}"));
    let out = run(dir.path(), &[&p], &RunOptions::default()).unwrap();
    let sites = out
        .sites
        .iter()
        .map(|s| format!("{}: {}", s.line, s.verdict.as_str()))
        .collect();
    let after = out
        .changes
        .iter()
        .find(|c| c.file == "drivers/misc/fw.c")
        .map(|c| String::from_utf8(c.after.clone()).unwrap())
        .unwrap_or_else(|| FW_C.to_string());
    (sites, after)
}

#[test]
fn one_more_iterator_is_a_yaml_edit() {
    let (sites, after) = run_on_fw(of_yaml());
    assert!(sites.is_empty(), "{sites:?}");
    assert_eq!(after, FW_C);
    let (sites, after) = run_on_fw(&with_fwnode_loop());
    assert_eq!(sites, ["6: auto"]);
    assert_eq!(after, FW_C_SCOPED);
}

fn load_error(yaml: &str) -> String {
    match load_str(yaml, "p.yaml") {
        Ok(_) => panic!("loaded"),
        Err(e) => format!("{e:#}"),
    }
}

/// `p.yaml:LINE:COLUMN` of the first `needle` of `yaml`.
fn at(yaml: &str, needle: &str) -> String {
    at_offset(yaml, yaml.find(needle).unwrap())
}

/// `p.yaml:LINE:COLUMN` of byte `off` of `yaml`.
fn at_offset(yaml: &str, off: usize) -> String {
    let line = yaml[..off].matches('\n').count() + 1;
    let col = off - yaml[..off].rfind('\n').map_or(0, |n| n + 1) + 1;
    format!("p.yaml:{line}:{col}")
}

#[test]
fn a_typo_in_a_parameter_names_its_place() {
    let yaml = edited(of_yaml(), "      put: of_node_put\n      type: device_node\n      header: include/linux/of.h\n    - macro: for_each_available", "      putt: of_node_put\n      type: device_node\n      header: include/linux/of.h\n    - macro: for_each_available");
    let err = load_error(&yaml);
    let place = at(&yaml, "of_node_put\n");
    assert!(
        err.starts_with(&format!("{place}: unknown field `putt`")),
        "{err}"
    );
}

#[test]
fn an_iterator_needs_its_anchor() {
    let yaml = edited(&with_fwnode_loop(), ", fwnode_for_each_child_node]", "]");
    let err = load_error(&yaml);
    let place = at(&yaml, "fwnode_for_each_child_node\n");
    assert_eq!(
        err,
        format!("{place}: the iterator `fwnode_for_each_child_node` is not among the pattern's `anchors` or `quiet-anchors`: no file holding it would be read")
    );
}

#[test]
fn bad_names_and_templates_name_their_place() {
    let yaml = edited(of_yaml(), "\"of_find_*\"", "\"of find*\"");
    let err = load_error(&yaml);
    let place = at(&yaml, "\"of find*\"");
    assert!(
        err.starts_with(&format!("{place}: `of find*` is not a function name")),
        "{err}"
    );
    let yaml = edited(
        of_yaml(),
        "type: fwnode_handle",
        "type: struct fwnode_handle",
    );
    let err = load_error(&yaml);
    let place = at(&yaml, "struct fwnode_handle\n");
    assert_eq!(
        err,
        format!("{place}: `struct fwnode_handle` is not a C name")
    );
    let yaml = edited(
        of_yaml(),
        "    - macro: for_each_available_child_of_node",
        "    - macro: for_each_child_of_node",
    );
    let err = load_error(&yaml);
    let (second, _) = yaml
        .match_indices("macro: for_each_child_of_node\n")
        .nth(1)
        .unwrap();
    let place = at_offset(&yaml, second + "macro: ".len());
    assert_eq!(
        err,
        format!("{place}: the iterator `for_each_child_of_node` is listed twice")
    );
}

#[test]
fn parameters_belong_to_a_transform_that_reads_them() {
    // A pattern of rules alone has no one to read them.
    let rules = "version: 1\nid: t\ntitle: T\nrationale: R\nanchors: [foo]\nparameters:\n  x: 1\nrules:\n  - id: a\n    pattern: foo($X)\n    verdict: manual\n    reason: r\n";
    assert_eq!(
        load_error(rules),
        "p.yaml:7:3: `parameters` are read by a `transform`, and this pattern has none"
    );
    // The transform needs its tables.
    let start = of_yaml().find("parameters:\n").unwrap();
    let end = of_yaml().find("# `unplug verify").unwrap();
    let bare = format!("{}{}", &of_yaml()[..start], &of_yaml()[end..]);
    let err = load_error(&bare);
    let place = at(&bare, "of-node-scoped-iterators\n#");
    assert_eq!(
        err,
        format!("{place}: the transform `of-node-scoped-iterators` needs `parameters` (see patterns/README.md)")
    );
    // platform-remove-void takes none.
    let prv = edited(
        builtin("platform-remove-void.yaml"),
        "transform: platform-remove-void\n",
        "transform: platform-remove-void\nparameters: { drop: yes }\n",
    );
    let err = load_error(&prv);
    let place = at(&prv, "{ drop");
    assert_eq!(
        err,
        format!("{place}: the transform `platform-remove-void` takes no `parameters`")
    );
}

#[test]
fn loads_with_equal_parameters_share_one_transform() {
    let addr = |yaml: &str| {
        let p = load_str(yaml, "p.yaml").unwrap();
        p.transform.unwrap() as *const dyn rewriter::transforms::Transform as *const () as usize
    };
    assert_eq!(addr(of_yaml()), addr(of_yaml()));
    assert_ne!(addr(of_yaml()), addr(&with_fwnode_loop()));
}
