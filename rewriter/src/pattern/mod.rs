//! Loading and compiling campaign patterns.

mod marks;
pub mod snippet;
pub mod spec;

use crate::model::Verdict;
use crate::transforms;
use anyhow::{anyhow, bail, Context, Result};
use marks::Marks;
use regex::Regex;
use snippet::Snippet;
use spec::{NodeSpec, PatternSpec, RuleSpec, VerdictSpec};
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
];

/// A loaded, compiled pattern.
pub struct Pattern {
    pub id: String,
    pub title: String,
    pub subject: String,
    pub rationale: String,
    pub anchors: Vec<String>,
    pub all_anchors: Vec<String>,
    pub since: Option<String>,
    pub opt_in: bool,
    pub requires: Option<Requires>,
    pub rules: Vec<Rule>,
    pub transform: Option<&'static dyn transforms::Transform>,
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
    let rules = compile_rules(&p.rules, &At::new(marks, &format!("phases.{name}.rules")))
        .with_context(|| format!("in phase `{name}`"))?;
    Ok(Some(Box::new(Phase {
        pattern: Pattern {
            id: format!("{id}/{name}"),
            title: p.subject.clone(),
            subject: p.subject.clone(),
            rationale: p.rationale.clone(),
            anchors: p.anchors.clone(),
            all_anchors: vec![],
            since: None,
            opt_in: true,
            requires: None,
            rules,
            transform: None,
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

pub enum Matcher {
    Snippet(Snippet),
    Kind(u16),
}

pub struct Rule {
    pub id: String,
    pub matcher: Matcher,
    pub constraints: Vec<(String, MetaCheck)>,
    pub inside: Option<Relative>,
    pub not_inside: Option<Relative>,
    pub has: Option<Relative>,
    pub not_has: Option<Relative>,
    pub verdict: Verdict,
    pub reason: Option<String>,
    pub rewrite: Option<String>,
}

pub struct MetaCheck {
    pub regex: Option<Regex>,
    pub not_regex: Option<Regex>,
    pub kind: Option<u16>,
}

/// A node of a kind and/or matching a snippet, looked for among ancestors
/// (`inside`) or descendants (`has`).
pub struct Relative {
    pub kind: Option<u16>,
    pub snippet: Option<Snippet>,
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
        .filter_map(|e| e.ok().map(|e| e.path()))
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

/// A node of a pattern file, to point errors at it and at its fields.
struct At<'a> {
    marks: &'a Marks,
    path: String,
}

impl<'a> At<'a> {
    fn new(marks: &'a Marks, path: &str) -> At<'a> {
        At {
            marks,
            path: path.to_string(),
        }
    }
    /// `origin:line:column` of the node itself.
    fn here(&self) -> String {
        self.marks.at(&self.path)
    }
    /// `origin:line:column` of the value of `key` (dotted for deeper ones).
    fn field(&self, key: &str) -> String {
        self.child(key).here()
    }
    fn child(&self, key: &str) -> At<'a> {
        let path = match self.path.is_empty() {
            true => key.to_string(),
            false => format!("{}.{key}", self.path),
        };
        At::new(self.marks, &path)
    }
}

/// Parses and compiles one pattern file. Errors read `origin:line:column: what`.
pub fn load_str(text: &str, origin: &str) -> Result<Pattern> {
    let spec: PatternSpec = serde_yaml::from_str(text).map_err(|e| match e.location() {
        Some(loc) => anyhow!(
            "{origin}:{}:{}: {}",
            loc.line(),
            loc.column(),
            strip_location(&e.to_string())
        ),
        None => anyhow!("{origin}: {e}"),
    })?;
    let marks = Marks::of(text, origin);
    let top = At::new(&marks, "");
    if spec.version != 1 {
        bail!(
            "{}: unsupported pattern format version {} (expected 1)",
            top.field("version"),
            spec.version
        );
    }
    if spec.anchors.is_empty() || spec.anchors.iter().any(|a| a.is_empty()) {
        bail!(
            "{}: `anchors` must list at least one non-empty literal",
            top.field("anchors")
        );
    }
    let transform = match &spec.transform {
        Some(name) => Some(transforms::by_name(name).ok_or_else(|| {
            anyhow!(
                "{}: unknown built-in transform `{name}` (expected one of: {})",
                top.field("transform"),
                transforms::names().join(", ")
            )
        })?),
        None => None,
    };
    if spec.rules.is_empty() && transform.is_none() {
        bail!("{}: a pattern needs `rules` or a `transform`", top.here());
    }
    let requires = match spec.requires {
        Some(r) => Some(Requires {
            regex: Regex::new(&r.regex).map_err(|e| {
                anyhow!("{}: bad `requires.regex`: {e}", top.field("requires.regex"))
            })?,
            file: r.file,
            missing: r.missing,
        }),
        None => None,
    };
    let rules = compile_rules(&spec.rules, &top.child("rules"))?;
    let introduce = compile_phase(
        &spec.id,
        "introduce",
        &spec.phases.introduce,
        origin,
        &marks,
    )?;
    let retire = compile_phase(&spec.id, "retire", &spec.phases.retire, origin, &marks)?;
    Ok(Pattern {
        subject: spec.subject.clone().unwrap_or_else(|| spec.title.clone()),
        id: spec.id,
        title: spec.title,
        rationale: spec.rationale,
        anchors: spec.anchors,
        all_anchors: spec.all_anchors,
        since: spec.since,
        opt_in: spec.opt_in,
        requires,
        introduce,
        retire,
        verify: spec.verify.clone(),
        rules,
        transform,
        origin: origin.to_string(),
    })
}

fn strip_location(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Compiles a list of rules (`at` is the list); two rules with one id are
/// an error naming both places.
fn compile_rules(specs: &[RuleSpec], at: &At) -> Result<Vec<Rule>> {
    let mut rules: Vec<Rule> = Vec::new();
    for (i, r) in specs.iter().enumerate() {
        let here = at.child(&i.to_string());
        if let Some(j) = specs[..i].iter().position(|o| o.id == r.id) {
            bail!(
                "{}: duplicate rule id `{}` (also at {})",
                here.field("id"),
                r.id,
                at.child(&j.to_string()).field("id")
            );
        }
        rules.push(compile_rule(r, &here).with_context(|| format!("in rule `{}`", r.id))?);
    }
    Ok(rules)
}

fn kind_id(name: &str) -> Option<u16> {
    let lang: tree_sitter::Language = tree_sitter_c::LANGUAGE.into();
    let id = lang.id_for_node_kind(name, true);
    (id != 0).then_some(id)
}

fn compile_kind(name: &str, at: String) -> Result<u16> {
    kind_id(name).ok_or_else(|| anyhow!("{at}: `{name}` is not a tree-sitter-c node kind"))
}

fn compile_snippet(text: &str, at: String) -> Result<Snippet> {
    Snippet::compile(text).map_err(|e| anyhow!("{at}: {e}"))
}

fn compile_relative(spec: &Option<NodeSpec>, at: At) -> Result<Option<Relative>> {
    let Some(s) = spec else { return Ok(None) };
    if s.kind.is_none() && s.pattern.is_none() {
        bail!(
            "{}: a structural constraint needs `kind` or `pattern`",
            at.here()
        );
    }
    Ok(Some(Relative {
        kind: s
            .kind
            .as_deref()
            .map(|k| compile_kind(k, at.field("kind")))
            .transpose()?,
        snippet: s
            .pattern
            .as_deref()
            .map(|p| compile_snippet(p, at.field("pattern")))
            .transpose()?,
    }))
}

fn compile_rule(r: &RuleSpec, at: &At) -> Result<Rule> {
    let matcher = match (&r.pattern, &r.kind) {
        (Some(p), None) => {
            let context = match r.context.as_deref() {
                Some(c) => Some(snippet::Context::parse(c).ok_or_else(|| {
                    anyhow!("{}: unknown context `{c}` (expected top-level, statement, field or initializer)", at.field("context"))
                })?),
                None => None,
            };
            Matcher::Snippet(
                snippet::Snippet::compile_in(p, context)
                    .map_err(|e| anyhow!("{}: {e}", at.field("pattern")))?,
            )
        }
        (None, Some(k)) => Matcher::Kind(compile_kind(k, at.field("kind"))?),
        _ => bail!(
            "{}: a rule needs exactly one of `pattern` and `kind`",
            at.here()
        ),
    };
    let metavars: &[String] = match &matcher {
        Matcher::Snippet(s) => &s.metavars,
        Matcher::Kind(_) => &[],
    };
    let mut constraints = Vec::new();
    for (name, c) in &r.where_ {
        if !metavars.contains(name) {
            bail!(
                "{}: `where` names ${name}, which the pattern does not have",
                at.field(&format!("where.{name}"))
            );
        }
        let at = at.child(&format!("where.{name}"));
        let re = |s: &Option<String>, key: &str| -> Result<Option<Regex>> {
            s.as_deref()
                .map(|s| Regex::new(s).map_err(|e| anyhow!("{}: bad regex: {e}", at.field(key))))
                .transpose()
        };
        constraints.push((
            name.clone(),
            MetaCheck {
                regex: re(&c.regex, "regex")?,
                not_regex: re(&c.not_regex, "not-regex")?,
                kind: c
                    .kind
                    .as_deref()
                    .map(|k| compile_kind(k, at.field("kind")))
                    .transpose()?,
            },
        ));
    }
    let verdict = match r.verdict {
        VerdictSpec::Auto => Verdict::Auto,
        VerdictSpec::NeedsPrep => Verdict::NeedsPrep,
        VerdictSpec::Manual => Verdict::Manual,
        VerdictSpec::Converted => Verdict::Converted,
    };
    if verdict == Verdict::Auto && r.rewrite.is_none() {
        bail!("{}: an `auto` rule needs a `rewrite`", at.here());
    }
    if matches!(verdict, Verdict::NeedsPrep | Verdict::Manual) && r.reason.is_none() {
        bail!(
            "{}: a `{}` rule needs a `reason`",
            at.here(),
            verdict.as_str()
        );
    }
    if verdict != Verdict::Auto && r.rewrite.is_some() {
        bail!("{}: only `auto` rules rewrite", at.here());
    }
    let templates = [("rewrite", &r.rewrite), ("reason", &r.reason)];
    for (key, text) in templates.iter().filter_map(|(k, t)| Some((k, t.as_ref()?))) {
        for used in template_metavars(text) {
            if !metavars.contains(&used) {
                bail!(
                    "{}: the template uses ${used}, which the pattern does not capture",
                    at.field(key)
                );
            }
        }
    }
    Ok(Rule {
        id: r.id.clone(),
        matcher,
        constraints,
        inside: compile_relative(&r.inside, at.child("inside"))?,
        not_inside: compile_relative(&r.not_inside, at.child("not-inside"))?,
        has: compile_relative(&r.has, at.child("has"))?,
        not_has: compile_relative(&r.not_has, at.child("not-has"))?,
        verdict,
        reason: r.reason.clone(),
        rewrite: r.rewrite.clone(),
    })
}

fn template_metavars(text: &str) -> Vec<String> {
    let re = Regex::new(r"\$(?:\$\$)?([A-Z][A-Z0-9_]*)").expect("static regex");
    re.captures_iter(text).map(|c| c[1].to_string()).collect()
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
