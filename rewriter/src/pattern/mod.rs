//! Loading and compiling campaign patterns.

pub mod snippet;
pub mod spec;

use crate::model::Verdict;
use crate::transforms;
use anyhow::{anyhow, bail, Context, Result};
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
    at: &dyn Fn(&str) -> String,
) -> Result<Option<Box<Phase>>> {
    let Some(p) = spec else { return Ok(None) };
    let mut rules = Vec::new();
    for r in &p.rules {
        rules.push(
            compile_rule(r, at).with_context(|| format!("in phase `{name}`, rule `{}`", r.id))?,
        );
    }
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
pub fn load_all(extra_dir: Option<&Path>) -> Result<Vec<Pattern>> {
    let mut out = Vec::new();
    for (name, text) in BUILTIN {
        out.push(load_str(text, name)?);
    }
    if let Some(dir) = extra_dir {
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .with_context(|| format!("{}: cannot read the patterns directory", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
            .collect();
        paths.sort();
        for p in paths {
            // Not a FIFO or a device: those would block or never end.
            let bytes = crate::tree::read_regular(&p, false, crate::tree::MAX_READ_BYTES)
                .with_context(|| format!("{}: cannot read", p.display()))?;
            let text = String::from_utf8(bytes)
                .with_context(|| format!("{}: cannot read", p.display()))?;
            let pat = load_str(&text, &p.display().to_string())?;
            if let Some(old) = out.iter().position(|o: &Pattern| o.id == pat.id) {
                out[old] = pat; // a local copy of a campaign overrides the built-in one
            } else {
                out.push(pat);
            }
        }
    }
    Ok(out)
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
    let at = |needle: &str| locate(text, needle, origin);
    if spec.version != 1 {
        bail!(
            "{}: unsupported pattern format version {} (expected 1)",
            at("version"),
            spec.version
        );
    }
    if spec.anchors.is_empty() || spec.anchors.iter().any(|a| a.is_empty()) {
        bail!(
            "{}: `anchors` must list at least one non-empty literal",
            at("anchors")
        );
    }
    let transform = match &spec.transform {
        Some(name) => Some(transforms::by_name(name).ok_or_else(|| {
            anyhow!(
                "{}: unknown built-in transform `{name}` (expected one of: {})",
                at(name),
                transforms::names().join(", ")
            )
        })?),
        None => None,
    };
    if spec.rules.is_empty() && transform.is_none() {
        bail!("{}: a pattern needs `rules` or a `transform`", at("id"));
    }
    let requires = match spec.requires {
        Some(r) => Some(Requires {
            regex: Regex::new(&r.regex)
                .map_err(|e| anyhow!("{}: bad `requires.regex`: {e}", at(&r.regex)))?,
            file: r.file,
            missing: r.missing,
        }),
        None => None,
    };
    let mut rules = Vec::new();
    for r in &spec.rules {
        rules.push(compile_rule(r, &at).with_context(|| format!("in rule `{}`", r.id))?);
    }
    let introduce = compile_phase(&spec.id, "introduce", &spec.phases.introduce, origin, &at)?;
    let retire = compile_phase(&spec.id, "retire", &spec.phases.retire, origin, &at)?;
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

/// `origin:line:column` of the first occurrence of `needle` in `text`,
/// which is how semantic errors (a bad snippet, a bad regex) point into
/// the YAML: serde_yaml gives positions only for syntax errors.
fn locate(text: &str, needle: &str, origin: &str) -> String {
    let first_line = needle.lines().next().unwrap_or(needle).trim();
    match text.find(first_line).filter(|_| !first_line.is_empty()) {
        Some(off) => {
            let (line, col) = crate::parse::line_col(text.as_bytes(), off);
            format!("{origin}:{line}:{col}")
        }
        None => origin.to_string(),
    }
}

fn kind_id(name: &str) -> Option<u16> {
    let lang: tree_sitter::Language = tree_sitter_c::LANGUAGE.into();
    let id = lang.id_for_node_kind(name, true);
    (id != 0).then_some(id)
}

fn compile_kind(name: &str, at: &dyn Fn(&str) -> String) -> Result<u16> {
    kind_id(name).ok_or_else(|| anyhow!("{}: `{name}` is not a tree-sitter-c node kind", at(name)))
}

fn compile_snippet(text: &str, at: &dyn Fn(&str) -> String) -> Result<Snippet> {
    Snippet::compile(text).map_err(|e| anyhow!("{}: {e}", at(text)))
}

fn compile_relative(
    spec: &Option<NodeSpec>,
    at: &dyn Fn(&str) -> String,
) -> Result<Option<Relative>> {
    let Some(s) = spec else { return Ok(None) };
    if s.kind.is_none() && s.pattern.is_none() {
        bail!("a structural constraint needs `kind` or `pattern`");
    }
    Ok(Some(Relative {
        kind: s.kind.as_deref().map(|k| compile_kind(k, at)).transpose()?,
        snippet: s
            .pattern
            .as_deref()
            .map(|p| compile_snippet(p, at))
            .transpose()?,
    }))
}

fn compile_rule(r: &RuleSpec, at: &dyn Fn(&str) -> String) -> Result<Rule> {
    let matcher = match (&r.pattern, &r.kind) {
        (Some(p), None) => {
            let context = match r.context.as_deref() {
                Some(c) => Some(snippet::Context::parse(c).ok_or_else(|| {
                    anyhow!("{}: unknown context `{c}` (expected top-level, statement, field or initializer)", at(c))
                })?),
                None => None,
            };
            Matcher::Snippet(
                snippet::Snippet::compile_in(p, context).map_err(|e| anyhow!("{}: {e}", at(p)))?,
            )
        }
        (None, Some(k)) => Matcher::Kind(compile_kind(k, at)?),
        _ => bail!(
            "{}: a rule needs exactly one of `pattern` and `kind`",
            at(&r.id)
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
                at(name)
            );
        }
        let re = |s: &Option<String>| -> Result<Option<Regex>> {
            s.as_deref()
                .map(|s| Regex::new(s).map_err(|e| anyhow!("{}: bad regex: {e}", at(s))))
                .transpose()
        };
        constraints.push((
            name.clone(),
            MetaCheck {
                regex: re(&c.regex)?,
                not_regex: re(&c.not_regex)?,
                kind: c.kind.as_deref().map(|k| compile_kind(k, at)).transpose()?,
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
        bail!("{}: an `auto` rule needs a `rewrite`", at(&r.id));
    }
    if matches!(verdict, Verdict::NeedsPrep | Verdict::Manual) && r.reason.is_none() {
        bail!(
            "{}: a `{}` rule needs a `reason`",
            at(&r.id),
            verdict.as_str()
        );
    }
    if verdict != Verdict::Auto && r.rewrite.is_some() {
        bail!("{}: only `auto` rules rewrite", at(&r.id));
    }
    for text in r.rewrite.iter().chain(r.reason.iter()) {
        for used in template_metavars(text) {
            if !metavars.contains(&used) {
                bail!(
                    "{}: the template uses ${used}, which the pattern does not capture",
                    at(text)
                );
            }
        }
    }
    Ok(Rule {
        id: r.id.clone(),
        matcher,
        constraints,
        inside: compile_relative(&r.inside, at)?,
        not_inside: compile_relative(&r.not_inside, at)?,
        has: compile_relative(&r.has, at)?,
        not_has: compile_relative(&r.not_has, at)?,
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
    fn builtin_patterns_load() {
        let all = load_all(None).unwrap();
        assert!(all.iter().any(|p| p.id == "class-create-no-owner"));
    }
}
