//! Loading and compiling campaign patterns.

pub mod captures;
mod compile;
pub mod constraint;
pub mod dataflow;
pub mod file_needs;
pub mod fix;
pub mod focus;
mod marks;
pub mod matcher;
pub mod message;
pub mod needs;
pub mod references;
mod regex_caps;
pub mod sequence;
pub mod snippet;
pub mod spec;
pub mod template;
mod utils;

use crate::model::Verdict;
use crate::transforms;
use anyhow::{anyhow, bail, Context, Result};
use compile::{compile_rules, At};
use marks::Marks;
use matcher::Matcher;
use regex::Regex;
use sequence::Sequence;
use spec::{PatternSpec, RequiresSpec};
use std::path::Path;

/// The campaigns shipped with unplug, compiled into the binary so an
/// installed `unplug` needs no checkout. `--patterns DIR` adds more.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "class-create-no-owner.yaml",
        include_str!("../../../patterns/class-create-no-owner.yaml"),
    ),
    (
        "platform-remove-void.yaml",
        include_str!("../../../patterns/platform-remove-void.yaml"),
    ),
    (
        "class-create-static.yaml",
        include_str!("../../../patterns/class-create-static.yaml"),
    ),
    (
        "timer-shutdown-on-teardown.yaml",
        include_str!("../../../patterns/timer-shutdown-on-teardown.yaml"),
    ),
    (
        "of-node-scoped-iterators.yaml",
        include_str!("../../../patterns/of-node-scoped-iterators.yaml"),
    ),
    (
        "sysfs-self-delete.yaml",
        include_str!("../../../patterns/sysfs-self-delete.yaml"),
    ),
    (
        "devm-platform-ioremap.yaml",
        include_str!("../../../patterns/devm-platform-ioremap.yaml"),
    ),
    (
        "i2c-probe-one-arg.yaml",
        include_str!("../../../patterns/i2c-probe-one-arg.yaml"),
    ),
    (
        "strlcpy-to-strscpy.yaml",
        include_str!("../../../patterns/strlcpy-to-strscpy.yaml"),
    ),
];

/// A loaded, compiled pattern.
pub struct Pattern {
    pub id: String,
    pub title: String,
    pub subject: String,
    pub rationale: String,
    pub anchors: Vec<String>,
    pub all_anchors: Vec<String>,
    /// Candidate words no `unparsed` site is made of (`quiet-anchors`).
    pub quiet_anchors: Vec<String>,
    /// Which items of a candidate are parsed (anchors, `also-parse`).
    pub focus: focus::Focus,
    pub since: Option<String>,
    pub opt_in: bool,
    pub requires: Option<Requires>,
    pub rules: Vec<Rule>,
    /// The file's `utils`, compiled; `Matcher::Util` indexes them.
    pub utils: Vec<Matcher>,
    /// Some rule asks the tree about a function (`other-references`).
    pub asks_tree: bool,
    pub transform: Option<&'static dyn transforms::Transform>,
    /// The file's `probes`, asked once per run; a rule's `probe` indexes them.
    pub probes: Vec<Requires>,
    /// Where it was loaded from (a file name for built-ins).
    pub origin: String,
    pub introduce: Option<Box<Phase>>,
    pub retire: Option<Box<Phase>>,
    pub verify: Vec<spec::VerifySpec>,
}

/// A phase's change set, compiled: a pattern of its own (id `ID/introduce`,
/// `ID/retire`) restricted to `paths`.
pub struct Phase {
    pub pattern: Pattern,
    pub paths: Vec<String>,
    pub prefix: Option<String>,
}

impl Pattern {
    /// `convert`, plus the phases it declares, in campaign order.
    pub fn phase_names(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.introduce.is_some() {
            v.push("introduce");
        }
        v.push("convert");
        if self.retire.is_some() {
            v.push("retire");
        }
        v
    }
}

fn compile_phase(
    id: &str,
    name: &str,
    spec: &Option<spec::PhaseSpec>,
    origin: &str,
    marks: &Marks,
) -> Result<Option<Box<Phase>>> {
    let Some(p) = spec else { return Ok(None) };
    let at = At::new(marks, &format!("phases.{name}.rules"));
    let rules = compile_rules(&p.rules, &at, 1, &utils::UtilNames::default())
        .with_context(|| format!("in phase `{name}`"))?;
    Ok(Some(Box::new(Phase {
        pattern: Pattern {
            id: format!("{id}/{name}"),
            title: p.subject.clone(),
            subject: p.subject.clone(),
            rationale: p.rationale.clone(),
            anchors: p.anchors.clone(),
            all_anchors: vec![],
            quiet_anchors: vec![],
            focus: focus::Focus::words(&p.anchors),
            since: None,
            opt_in: true,
            requires: None,
            rules,
            utils: Vec::new(),
            asks_tree: false,
            transform: None,
            probes: Vec::new(),
            origin: origin.to_string(),
            introduce: None,
            retire: None,
            verify: vec![],
        },
        paths: p.paths.clone(),
        prefix: p.prefix.clone(),
    })))
}

pub struct Requires {
    pub file: String,
    pub regex: Regex,
    pub missing: String,
}

impl Requires {
    /// Whether the tree's file matches, for a probe: a file the tree lacks
    /// does not; one it cannot read is a finding.
    pub fn probe(&self, root: &Path) -> Result<bool, crate::model::Finding> {
        let text = crate::tree::read_probe(root, &self.file)?;
        Ok(text.is_some_and(|t| self.regex.is_match(&t)))
    }

    /// Whether the tree at `root` has the target interface; the reason if not.
    pub fn check(&self, root: &Path) -> Result<(), String> {
        let path = root.join(&self.file);
        match crate::tree::read_regular(&path, false, crate::tree::MAX_READ_BYTES) {
            Ok(bytes) if self.regex.is_match(&String::from_utf8_lossy(&bytes)) => Ok(()),
            Ok(_) => Err(self.missing.clone()),
            Err(e) => Err(format!("{} ({}: {e})", self.missing, self.file)),
        }
    }
}

/// A compiled rule of a list: what it matches, the constraints on its
/// captures, its verdict and its fix.
pub struct Rule {
    pub id: String,
    pub shape: Shape,
    pub constraints: Vec<(String, MetaCheck)>,
    pub verdict: Verdict,
    pub reason: Option<String>,
    pub fix: Option<Fix>,
    /// The answers of the file's probes the rule needs (index, answer).
    pub probes: Vec<(usize, bool)>,
    pub notes: Vec<message::NoteTemplate>,
    /// What is wrong, as notes (`problems`): the rule applies where one
    /// is found; the earliest is the reason.
    pub problems: Vec<message::NoteTemplate>,
    /// Texts of the nodes inside a capture, for the reason and the notes
    /// (`join`).
    pub joins: Vec<message::JoinText>,
    /// Words a file must hold, one of each group, for the rule to match
    /// in it (`file_needs`); set once the utils are compiled.
    pub file_groups: Vec<file_needs::Group>,
    /// The rule follows names through the file: a file where it may
    /// match is parsed whole.
    pub whole_file: bool,
    /// Words one of which the text of every node the rule matches holds
    /// (`needs::needs`), when known: a subtree without them is not walked.
    pub node_words: Option<Vec<needs::Word>>,
    /// The search goes on inside a node this rule matched (`descend`).
    pub descend: bool,
}

impl Rule {
    /// Whether the rule may match in a file of these bytes.
    pub fn may_match_in(&self, bytes: &[u8]) -> bool {
        file_needs::holds_groups(bytes, &self.file_groups)
    }
}

/// A rule matches one node, or a run of statements of a block.
pub enum Shape {
    Node(Matcher),
    Sequence(SeqRule),
}

pub struct SeqRule {
    pub seq: Sequence,
    /// What the block holding the statements must match (`inside`).
    pub block: Matcher,
    /// No node of a gap matches this (`when: { not-has }`).
    pub when_not: Option<Matcher>,
    /// Some node of every gap matches this (`when: { has }`).
    pub when_has: Option<Matcher>,
}

pub enum Fix {
    /// The matched node becomes the rendered template.
    Template(String),
    Edits(Vec<FixEdit>),
}

pub struct FixEdit {
    pub op: FixOp,
    /// The metavariable whose node is edited (without `$`).
    pub target: String,
    pub with: Option<String>,
    /// `delete` with `unbrace`: see `references::unbraced_deletion`.
    pub unbrace: bool,
    /// `for-each`: the edits made per reference (`target` names the
    /// identifier).
    pub for_each: Option<Box<references::ForEach>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixOp {
    Replace,
    Delete,
    InsertBefore,
    InsertAfter,
    DeleteDeclarationIfUnused,
    ForEach,
}

pub struct MetaCheck {
    pub regex: Option<Regex>,
    pub not_regex: Option<Regex>,
    pub kind: Option<u16>,
    pub rule: Option<Matcher>,
    pub used_elsewhere: Option<bool>,
    pub assigned_in_gap: Option<bool>,
    pub escapes: Option<bool>,
    pub escape_calls: Vec<String>,
    pub used_in: Option<String>,
    pub not_used_in: Option<String>,
    pub symbol: Option<SymbolCheck>,
    pub references: Option<Box<references::RefCheck>>,
    /// `declared-before` (true) / `not-declared-before` (false) a capture.
    pub declared_before: Option<(String, bool)>,
}

pub struct SymbolCheck {
    pub defined_here: Option<bool>,
    pub is_static: Option<bool>,
    pub other_references: Option<usize>,
    pub definition: Option<Matcher>,
}

/// Loads the built-in patterns and, if given, every `*.yaml` of `extra_dir`.
/// A file there replaces the built-in pattern with its id; two files there
/// with one id are an error naming both.
pub fn load_all(extra_dir: Option<&Path>) -> Result<Vec<Pattern>> {
    let mut out = Vec::new();
    for (name, text) in BUILTIN {
        out.push(load_str(text, name)?);
    }
    let Some(dir) = extra_dir else { return Ok(out) };
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("{}: cannot read the patterns directory", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<Vec<_>>>()
        .with_context(|| format!("{}: cannot list the patterns directory", dir.display()))?
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    paths.sort();
    let mut loaded: Vec<(String, String)> = Vec::new(); // (id, where it is set)
    for p in paths {
        // Not a FIFO or a device: those would block or never end.
        let bytes = crate::tree::read_regular(&p, false, crate::tree::MAX_READ_BYTES)
            .with_context(|| format!("{}: cannot read", p.display()))?;
        let text =
            String::from_utf8(bytes).with_context(|| format!("{}: cannot read", p.display()))?;
        let origin = p.display().to_string();
        let pat = load_str(&text, &origin)?;
        let here = Marks::of(&text, &origin).at("id");
        if let Some((_, first)) = loaded.iter().find(|(id, _)| *id == pat.id) {
            bail!(
                "{here}: duplicate pattern id `{}` (also at {first})",
                pat.id
            );
        }
        loaded.push((pat.id.clone(), here));
        match out.iter().position(|o: &Pattern| o.id == pat.id) {
            Some(old) => out[old] = pat, // a local copy of a campaign overrides the built-in one
            None => out.push(pat),
        }
    }
    Ok(out)
}

/// Parses and compiles one pattern file. Errors read `origin:line:column: what`.
pub fn load_str(text: &str, origin: &str) -> Result<Pattern> {
    let marks = Marks::of(text, origin);
    let spec = parse_spec(text, origin, &marks)?;
    let top = At::new(&marks, "");
    check_top_level(&spec, &top)?;
    let transform = load_transform(&spec, &top)?;
    if spec.rules.is_empty() && transform.is_none() {
        bail!("{}: a pattern needs `rules` or a `transform`", top.here());
    }
    let requires = compile_requires(spec.requires, &top)?;
    let (util_names, utils) = utils::compile_utils(&spec.utils, &top.child("utils"), spec.version)?;
    let probe_names: Vec<String> = spec.probes.keys().cloned().collect();
    let rules = compile_rules(&spec.rules, &top.child("rules"), spec.version, &util_names)?;
    let mut rules =
        references::resolve_probes(rules, &spec.rules, &probe_names, &top.child("rules"))?;
    let probes = references::compile_probes(&spec.probes, &top.child("probes"), spec.version)?;
    let focus_anchors: Vec<String> = (spec.anchors.iter())
        .chain(&spec.quiet_anchors)
        .cloned()
        .collect();
    let focus = focus::Focus::compile(
        &focus_anchors,
        &spec.all_anchors,
        &spec.also_parse,
        spec.version,
        &top.child("also-parse"),
    )?;
    for rule in &mut rules {
        rule.whole_file = file_needs::needs_whole_file(rule, &utils, &focus);
        rule.file_groups = file_needs::rule_groups(rule, &utils);
        if let Shape::Node(m) = &rule.shape {
            rule.node_words = needs::needs(m, &utils);
        }
    }
    let introduce = compile_phase(
        &spec.id,
        "introduce",
        &spec.phases.introduce,
        origin,
        &marks,
    )?;
    let retire = compile_phase(&spec.id, "retire", &spec.phases.retire, origin, &marks)?;
    let asks_tree = rules.iter().any(|r| {
        r.constraints.iter().any(|(_, c)| {
            c.symbol
                .as_ref()
                .is_some_and(|s| s.other_references.is_some())
        })
    });
    Ok(Pattern {
        asks_tree,
        subject: spec.subject.clone().unwrap_or_else(|| spec.title.clone()),
        id: spec.id,
        title: spec.title,
        rationale: spec.rationale,
        anchors: spec.anchors,
        all_anchors: spec.all_anchors,
        quiet_anchors: spec.quiet_anchors,
        focus,
        since: spec.since,
        opt_in: spec.opt_in,
        requires,
        introduce,
        retire,
        verify: spec.verify.clone(),
        rules,
        utils,
        transform,
        probes,
        origin: origin.to_string(),
    })
}

/// The checks of a pattern file's top-level keys that need no compiling.
fn check_top_level(spec: &PatternSpec, top: &At) -> Result<()> {
    if !(1..=2).contains(&spec.version) {
        bail!(
            "{}: unsupported pattern format version {} (expected 1 or 2)",
            top.field("version"),
            spec.version
        );
    }
    if spec.version < 2 && !spec.also_parse.is_empty() {
        bail!(
            "{}: `also-parse` needs `version: 2`",
            top.field("also-parse")
        );
    }
    if spec.anchors.is_empty() || spec.anchors.iter().any(|a| a.is_empty()) {
        bail!(
            "{}: `anchors` must list at least one non-empty literal",
            top.field("anchors")
        );
    }
    Ok(())
}

/// The pattern's transform, with its `parameters` read and checked
/// against the pattern (an error names the value at fault).
fn load_transform(
    spec: &PatternSpec,
    top: &At,
) -> Result<Option<&'static dyn transforms::Transform>> {
    let Some(name) = &spec.transform else {
        if spec.parameters.is_some() {
            bail!(
                "{}: `parameters` are read by a `transform`, and this pattern has none",
                top.field("parameters")
            );
        }
        return Ok(None);
    };
    // A name a transform starts from makes a file its candidate either way.
    let anchors: Vec<String> = (spec.anchors.iter())
        .chain(&spec.quiet_anchors)
        .cloned()
        .collect();
    let params = transforms::Parameters {
        value: spec.parameters.as_ref(),
        anchors: &anchors,
        requires_file: spec.requires.as_ref().map(|r| r.file.as_str()),
    };
    let loaded = transforms::load(name, &params).ok_or_else(|| {
        anyhow!(
            "{}: unknown built-in transform `{name}` (expected one of: {})",
            top.field("transform"),
            transforms::names().join(", ")
        )
    })?;
    loaded.map(Some).map_err(|e| {
        let at = match (&spec.parameters, e.path.is_empty()) {
            (None, _) => top.field("transform"),
            (Some(_), true) => top.field("parameters"),
            (Some(_), false) => top.field(&format!("parameters.{}", e.path)),
        };
        anyhow!("{at}: {}", e.message)
    })
}

fn compile_requires(spec: Option<RequiresSpec>, top: &At) -> Result<Option<Requires>> {
    let Some(r) = spec else { return Ok(None) };
    let regex = Regex::new(&r.regex)
        .map_err(|e| anyhow!("{}: bad `requires.regex`: {e}", top.field("requires.regex")))?;
    Ok(Some(Requires {
        regex,
        file: r.file,
        missing: r.missing,
    }))
}

/// Reads the YAML of a pattern file. YAML anchors and aliases need nothing
/// special; merge keys (`<<: *base`) are applied on a generic value first,
/// and an error there is placed through the path of the value at fault.
fn parse_spec(text: &str, origin: &str, marks: &Marks) -> Result<PatternSpec> {
    let located = |e: serde_yaml::Error| match (e.location(), marks.second_document()) {
        (Some(loc), _) => anyhow!(
            "{origin}:{}:{}: {}",
            loc.line(),
            loc.column(),
            strip_location(&e.to_string())
        ),
        (None, Some(at)) => {
            anyhow!("{at}: a pattern file holds one YAML document; a second starts here")
        }
        (None, None) => anyhow!("{origin}: {e}"),
    };
    if !text.contains("<<") {
        return serde_yaml::from_str(text).map_err(located);
    }
    let mut value: serde_yaml::Value = serde_yaml::from_str(text).map_err(located)?;
    value.apply_merge().map_err(located)?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        anyhow!(
            "{}: {}",
            marks.at(&path),
            strip_location(&e.into_inner().to_string())
        )
    })
}

fn strip_location(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "version: 1\nid: t\ntitle: T\nrationale: R\nanchors: [foo]\nrules:\n  - id: a\n    pattern: foo($X)\n    verdict: auto\n    rewrite: bar($X)\n";

    #[test]
    fn loads_a_good_pattern() {
        let p = load_str(GOOD, "t.yaml").unwrap();
        assert_eq!(p.id, "t");
        assert_eq!(p.rules.len(), 1);
        assert_eq!(p.subject, "T");
    }

    #[test]
    fn unknown_keys_point_at_line_and_column() {
        let bad = GOOD.replace("    verdict: auto", "    verdcit: auto");
        let err = load_str(&bad, "t.yaml").err().unwrap().to_string();
        assert!(err.starts_with("t.yaml:9:5: "), "{err}");
        assert!(err.contains("verdcit"), "{err}");
    }

    #[test]
    fn semantic_errors_point_into_the_file() {
        let bad = GOOD.replace("pattern: foo($X)", "pattern: foo($X");
        let err = format!("{:#}", load_str(&bad, "t.yaml").err().unwrap());
        assert!(err.contains("t.yaml:8:14: "), "{err}");
        let bad = GOOD.replace("rewrite: bar($X)", "rewrite: bar($Y)");
        let err = format!("{:#}", load_str(&bad, "t.yaml").err().unwrap());
        assert!(err.contains("$Y"), "{err}");
        let bad = GOOD.replace("verdict: auto", "verdict: maybe");
        assert!(load_str(&bad, "t.yaml").is_err());
    }

    #[test]
    fn rule_errors_point_at_the_rule_itself() {
        // the id `r` also occurs in `version`: the rule's own line it is
        let bad = GOOD
            .replace("  - id: a", "  - id: r")
            .replace("    rewrite: bar($X)\n", "");
        let err = format!("{:#}", load_str(&bad, "t.yaml").err().unwrap());
        assert!(
            err.contains("t.yaml:7:5: an `auto` rule needs a `rewrite`"),
            "{err}"
        );
        // a bad regex whose text occurs earlier, in the first rule's rewrite
        let two = format!(
            "{}  - id: b\n    pattern: foo($X)\n    where:\n      X: {{ regex: \"[\" }}\n    verdict: auto\n    rewrite: x\n",
            GOOD.replace("rewrite: bar($X)", "rewrite: bar($X) /* [ */")
        );
        let err = format!("{:#}", load_str(&two, "t.yaml").err().unwrap());
        assert!(
            err.contains("in rule `b`: t.yaml:14:19: bad regex"),
            "{err}"
        );
    }

    #[test]
    fn duplicate_rule_ids_name_both() {
        let dup =
            format!("{GOOD}  - id: a\n    pattern: baz($X)\n    verdict: manual\n    reason: no\n");
        let err = format!("{:#}", load_str(&dup, "t.yaml").err().unwrap());
        assert!(
            err.contains("t.yaml:11:9: duplicate rule id `a` (also at t.yaml:7:9)"),
            "{err}"
        );
    }

    #[test]
    fn duplicate_pattern_ids_across_files_name_both() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.yaml"), GOOD).unwrap();
        std::fs::write(dir.path().join("b.yaml"), format!("# copy\n{GOOD}")).unwrap();
        let err = format!("{:#}", load_all(Some(dir.path())).err().unwrap());
        let (a, b) = (dir.path().join("a.yaml"), dir.path().join("b.yaml"));
        let want = format!(
            "{}:3:5: duplicate pattern id `t` (also at {}:2:5)",
            b.display(),
            a.display()
        );
        assert!(err.contains(&want), "{err}");
        // one file replacing a built-in is no duplicate
        std::fs::remove_file(&b).unwrap();
        let own = GOOD.replace("id: t\n", "id: class-create-no-owner\n");
        std::fs::write(&a, own).unwrap();
        let all = load_all(Some(dir.path())).unwrap();
        assert_eq!(
            all.iter()
                .filter(|p| p.id == "class-create-no-owner")
                .count(),
            1
        );
    }

    #[test]
    fn builtin_patterns_load() {
        let all = load_all(None).unwrap();
        assert!(all.iter().any(|p| p.id == "class-create-no-owner"));
    }
}
