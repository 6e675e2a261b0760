//! Compiling rule lists, `utils` and `where` constraints of a pattern file.
//! Every error names the `file:line:column` of the value at fault.

use super::marks::Marks;
use super::matcher::{Matcher, RelKind, Relation, Stop};
use super::message::{Each, JoinText, NoteTemplate};
use super::sequence::Sequence;
use super::snippet::{self, Snippet};
use super::spec::{
    EachSpec, EditSpec, FixSpec, MetaConstraint, NoteSpec, RuleJoinSpec, RuleSpec, StopBySpec,
    SymbolSpec, VerdictSpec,
};
use super::utils::UtilNames;
use super::{Fix, FixEdit, FixOp, MetaCheck, Rule, SeqRule, Shape, SymbolCheck};
use crate::model::Verdict;
use anyhow::{anyhow, bail, Context, Result};
use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};

/// A node of a pattern file, to point errors at it and at its fields.
pub(super) struct At<'a> {
    marks: &'a Marks,
    path: String,
}

impl<'a> At<'a> {
    pub(super) fn new(marks: &'a Marks, path: &str) -> At<'a> {
        At {
            marks,
            path: path.to_string(),
        }
    }
    /// `origin:line:column` of the node itself.
    pub(super) fn here(&self) -> String {
        self.marks.at(&self.path)
    }
    /// `origin:line:column` of the value of `key` (dotted for deeper ones).
    pub(super) fn field(&self, key: &str) -> String {
        self.child(key).here()
    }
    pub(super) fn child(&self, key: &str) -> At<'a> {
        let path = match self.path.is_empty() {
            true => key.to_string(),
            false => format!("{}.{key}", self.path),
        };
        At::new(self.marks, &path)
    }
}

/// What compiling one rule tracks: the file's version, its `utils` by
/// name, and the metavariables the rule captures so far.
#[derive(Clone)]
pub(super) struct Scope<'a> {
    pub version: u32,
    pub utils: &'a UtilNames,
    pub(super) captured: BTreeSet<String>,
}

impl<'a> Scope<'a> {
    pub(super) fn new(version: u32, utils: &'a UtilNames) -> Scope<'a> {
        Scope {
            version,
            utils,
            captured: BTreeSet::new(),
        }
    }
}

/// The keys only version 2 knows, as they are spelled in a file.
fn v2_keys(r: &RuleSpec) -> Vec<&'static str> {
    let mut keys = Vec::new();
    let mut key = |set: bool, name| {
        if set {
            keys.push(name)
        }
    };
    key(r.all.is_some(), "all");
    key(r.any.is_some(), "any");
    key(r.not.is_some(), "not");
    key(r.matches.is_some(), "matches");
    key(r.regex.is_some(), "regex");
    key(r.is.is_some(), "is");
    key(r.descend, "descend");
    key(r.follows.is_some(), "follows");
    key(r.precedes.is_some(), "precedes");
    key(r.stop_by.is_some(), "stop-by");
    key(r.when.is_some(), "when");
    key(r.fix.is_some(), "fix");
    key(!r.probe.is_empty(), "probe");
    key(!r.option.is_empty(), "option");
    key(!r.notes.is_empty(), "notes");
    key(!r.problems.is_empty(), "problems");
    key(!r.join.is_empty(), "join");
    keys
}

/// Compiles a list of rules (`at` is the list); two rules with one id are
/// an error naming both places.
pub(super) fn compile_rules(
    specs: &[RuleSpec],
    at: &At,
    version: u32,
    utils: &UtilNames,
) -> Result<Vec<Rule>> {
    let mut rules: Vec<Rule> = Vec::new();
    for (i, r) in specs.iter().enumerate() {
        let here = at.child(&i.to_string());
        let Some(id) = &r.id else {
            bail!("{}: a rule needs an `id`", here.here());
        };
        if let Some(j) = specs[..i].iter().position(|o| o.id == r.id) {
            bail!(
                "{}: duplicate rule id `{id}` (also at {})",
                here.field("id"),
                at.child(&j.to_string()).field("id")
            );
        }
        let mut scope = Scope::new(version, utils);
        rules.push(compile_rule(r, &here, &mut scope).with_context(|| format!("in rule `{id}`"))?);
    }
    Ok(rules)
}

fn compile_rule(r: &RuleSpec, at: &At, scope: &mut Scope) -> Result<Rule> {
    let shape = match sequence_of(r, at, scope)? {
        Some(_) if r.descend || !r.problems.is_empty() => bail!(
            "{}: `descend` and `problems` go with a node rule, not a sequence",
            at.here()
        ),
        Some(seq) => Shape::Sequence(seq),
        None => Shape::Node(compile_matcher(r, at, scope)?),
    };
    scope.captured.insert("MATCH".into());
    let constraints = compile_where(&r.where_, at, scope)?;
    let verdict = compile_verdict(r, at)?;
    let fix = compile_fix(r, at, scope, &shape)?;
    if verdict == Verdict::Auto && fix.is_none() {
        bail!("{}: an `auto` rule needs a `rewrite`", at.here());
    }
    if matches!(verdict, Verdict::NeedsPrep | Verdict::Manual)
        && r.reason.is_none()
        && r.problems.is_empty()
    {
        bail!(
            "{}: a `{}` rule needs a `reason` (or `problems`)",
            at.here(),
            verdict.as_str()
        );
    }
    if verdict != Verdict::Auto && fix.is_some() {
        bail!("{}: only `auto` rules rewrite", at.here());
    }
    if r.reason.is_some() && !r.problems.is_empty() {
        bail!(
            "{}: a rule with `problems` takes its reason from them",
            at.field("reason")
        );
    }
    let joins = compile_joins(&r.join, &at.child("join"), scope)?;
    if let Some(reason) = &r.reason {
        check_template(reason, &at.field("reason"), scope)?;
        super::message::check_lines(reason, &at.field("reason"), &scope.captured)?;
    }
    Ok(Rule {
        id: r.id.clone().unwrap_or_default(),
        shape,
        constraints,
        verdict,
        reason: r.reason.clone(),
        fix,
        probes: Vec::new(),
        notes: compile_notes(&r.notes, &at.child("notes"), scope)?,
        problems: compile_notes(&r.problems, &at.child("problems"), scope)?,
        joins,
        file_groups: Vec::new(),
        whole_file: false,
        node_words: None,
        descend: r.descend,
    })
}

/// `join`: texts of the nodes inside a capture, named for the reason and
/// the notes (each name is added to `scope`).
fn compile_joins(specs: &[RuleJoinSpec], at: &At, scope: &mut Scope) -> Result<Vec<JoinText>> {
    let mut out = Vec::new();
    for (i, j) in specs.iter().enumerate() {
        let here = at.child(&i.to_string());
        let mut local = scope.clone();
        let each = compile_each(&j.each, &here, &mut local)?;
        match (&j.item, j.count) {
            (Some(item), false) => {
                check_template(item, &here.field("item"), &local)?;
                super::message::check_lines(item, &here.field("item"), &local.captured)?;
            }
            (None, true) => {}
            _ => bail!(
                "{}: a `join` takes one of `item` and `count: true`",
                here.here()
            ),
        }
        if !super::regex_caps::is_capture_name(&j.into) || scope.captured.contains(&j.into) {
            bail!(
                "{}: `into` takes a new name such as LEAKS, not `{}`",
                here.field("into"),
                j.into
            );
        }
        scope.captured.insert(j.into.clone());
        out.push(JoinText {
            into: j.into.clone(),
            each,
            item: j.item.clone(),
            separator: j.separator.clone(),
        });
    }
    Ok(out)
}

/// `each` of a note or a `join` at `at`: the capture it looks inside and
/// the rule its nodes match, whose captures (and `$REF`) go to `local`.
fn compile_each(e: &EachSpec, at: &At, local: &mut Scope) -> Result<Each> {
    let within = capture_ref(&Some(e.within.clone()), &at.field("each.within"), local)?;
    let rule = super::references::compile_ref_rule(
        &e.matching,
        &at.child("each").child("matching"),
        local,
    )?;
    Ok((within.expect("given"), rule))
}

/// `notes`: each at a capture of the rule (with `each`, by default at
/// the node visited), its message a template.
fn compile_notes(notes: &[NoteSpec], at: &At, scope: &Scope) -> Result<Vec<NoteTemplate>> {
    let mut out = Vec::new();
    for (i, n) in notes.iter().enumerate() {
        let here = at.child(&i.to_string());
        let mut local = scope.clone();
        let each = (n.each.as_ref())
            .map(|e| compile_each(e, &here, &mut local))
            .transpose()?;
        let name = match (&n.at, &each) {
            (Some(a), _) => a.strip_prefix('$').unwrap_or_default().to_string(),
            (None, Some(_)) => "REF".to_string(),
            (None, None) => bail!("{}: a note needs `at` (or `each`)", here.here()),
        };
        if !local.captured.contains(&name) {
            bail!(
                "{}: expected a capture of the rule such as $CALL, not `{}`",
                here.field("at"),
                n.at.as_deref().unwrap_or_default()
            );
        }
        if let Some(message) = &n.message {
            check_template(message, &here.field("message"), &local)?;
            super::message::check_lines(message, &here.field("message"), &local.captured)?;
        }
        out.push(NoteTemplate {
            at: name,
            message: n.message.clone(),
            each,
        });
    }
    Ok(out)
}

fn compile_verdict(r: &RuleSpec, at: &At) -> Result<Verdict> {
    Ok(match r.verdict {
        Some(VerdictSpec::Auto) => Verdict::Auto,
        Some(VerdictSpec::NeedsPrep) => Verdict::NeedsPrep,
        Some(VerdictSpec::Manual) => Verdict::Manual,
        Some(VerdictSpec::Converted) => Verdict::Converted,
        None => bail!("{}: a rule needs a `verdict`", at.here()),
    })
}

/// A version 2 rule whose pattern is several statements (with or without
/// `...` gaps): only `inside`/`not-inside` (of the block) and `when` may
/// join it.
fn sequence_of(r: &RuleSpec, at: &At, scope: &mut Scope) -> Result<Option<SeqRule>> {
    let Some(text) = r.pattern.as_deref().filter(|_| scope.version >= 2) else {
        if r.when.is_some() {
            bail!(
                "{}: `when` belongs to a pattern with `...` gaps",
                at.field("when")
            );
        }
        return Ok(None);
    };
    let Some(seq) = Sequence::compile(text).map_err(|e| anyhow!("{}: {e}", at.field("pattern")))?
    else {
        if r.when.is_some() {
            bail!(
                "{}: `when` belongs to a pattern with `...` gaps",
                at.field("when")
            );
        }
        return Ok(None);
    };
    let extra = [
        (r.kind.is_some(), "kind"),
        (r.context.is_some(), "context"),
        (r.all.is_some(), "all"),
        (r.any.is_some(), "any"),
        (r.not.is_some(), "not"),
        (r.matches.is_some(), "matches"),
        (r.has.is_some(), "has"),
        (r.not_has.is_some(), "not-has"),
        (r.follows.is_some(), "follows"),
        (r.precedes.is_some(), "precedes"),
    ];
    if let Some((_, key)) = extra.iter().find(|(set, _)| *set) {
        bail!(
            "{}: a statement sequence takes `inside`, `not-inside`, `when` and `where`, not `{key}`",
            at.field(key)
        );
    }
    scope.captured.extend(seq.metavars.iter().cloned());
    for i in 1..=seq.statements {
        let name = format!("STMT{i}");
        if seq.metavars.contains(&name) {
            bail!(
                "{}: ${name} names the pattern's statement {i}; choose another name",
                at.field("pattern")
            );
        }
        scope.captured.insert(name);
    }
    let mut block = Vec::new();
    push_inside(&mut block, r, at, scope)?;
    let (when_not, when_has) = match &r.when {
        Some(w) => (
            w.not_has
                .as_ref()
                .map(|m| compile_hidden(m, &at.child("when.not-has"), scope))
                .transpose()?,
            w.has
                .as_ref()
                .map(|m| compile_matcher(m, &at.child("when.has"), scope))
                .transpose()?,
        ),
        None => (None, None),
    };
    Ok(Some(SeqRule {
        seq,
        block: Matcher::All(block),
        when_not,
        when_has,
    }))
}

/// Compiles a rule object that must not match: its captures stay its own.
fn compile_hidden(r: &RuleSpec, at: &At, scope: &mut Scope) -> Result<Matcher> {
    let before = scope.captured.clone();
    let m = compile_matcher(r, at, scope)?;
    scope.captured = before;
    Ok(m)
}

/// Compiles the matching keys of a rule object into one matcher: every key
/// present must hold.
pub(super) fn compile_matcher(r: &RuleSpec, at: &At, scope: &mut Scope) -> Result<Matcher> {
    if scope.version < 2 {
        if let Some(key) = v2_keys(r).first() {
            bail!("{}: `{key}` needs `version: 2`", at.field(key));
        }
    }
    let mut parts = Vec::new();
    if let Some(p) = &r.pattern {
        let context = match r.context.as_deref() {
            Some(c) => Some(snippet::Context::parse(c).ok_or_else(|| {
                anyhow!("{}: unknown context `{c}` (expected top-level, statement, field, initializer or parameter)", at.field("context"))
            })?),
            None => None,
        };
        let s = match context {
            Some(snippet::Context::Statement) if scope.version >= 2 => {
                Snippet::compile_statement(p)
            }
            _ => Snippet::compile_in(p, context),
        };
        let s = s.map_err(|e| anyhow!("{}: {e}", at.field("pattern")))?;
        scope.captured.extend(s.metavars.iter().cloned());
        parts.push(Matcher::Snippet(s));
    } else if r.context.is_some() {
        bail!("{}: `context` qualifies a `pattern`", at.field("context"));
    }
    if let Some(k) = &r.kind {
        parts.push(Matcher::Kind(compile_kind(k, at.field("kind"))?));
    }
    if let Some(name) = capture_ref(&r.is, &at.field("is"), scope)? {
        parts.push(Matcher::Is(name));
    }
    if let Some(re) = &r.regex {
        let re = Regex::new(re).map_err(|e| anyhow!("{}: bad regex: {e}", at.field("regex")))?;
        scope.captured.extend(super::regex_caps::capture_names(&re));
        parts.push(Matcher::Regex(re));
    }
    if let Some(name) = &r.matches {
        let i =
            *scope.utils.index.get(name).ok_or_else(|| {
                anyhow!("{}: no `utils` entry named `{name}`", at.field("matches"))
            })?;
        scope.captured.extend(scope.utils.vars[i].iter().cloned());
        parts.push(Matcher::Util(i));
    }
    compile_composites(r, at, scope, &mut parts)?;
    compile_relations(r, at, scope, &mut parts)?;
    if parts.is_empty() {
        bail!(
            "{}: a rule needs `pattern` or `kind`{}",
            at.here(),
            if scope.version >= 2 {
                " (or `all`, `any`, `not`, `matches`, a relation)"
            } else {
                ""
            }
        );
    }
    if scope.version < 2 && r.pattern.is_some() && r.kind.is_some() {
        bail!(
            "{}: a rule needs exactly one of `pattern` and `kind`",
            at.here()
        );
    }
    Ok(match parts.len() {
        1 => parts.pop().expect("one part"),
        _ => Matcher::All(parts),
    })
}

fn compile_composites(
    r: &RuleSpec,
    at: &At,
    scope: &mut Scope,
    parts: &mut Vec<Matcher>,
) -> Result<()> {
    if let Some(list) = &r.all {
        let all = list
            .iter()
            .enumerate()
            .map(|(i, m)| compile_matcher(m, &at.child(&format!("all.{i}")), scope))
            .collect::<Result<Vec<_>>>()?;
        parts.push(Matcher::All(all));
    }
    if let Some(list) = &r.any {
        if list.is_empty() {
            bail!("{}: `any` needs at least one rule", at.field("any"));
        }
        let any = list
            .iter()
            .enumerate()
            .map(|(i, m)| compile_matcher(m, &at.child(&format!("any.{i}")), scope))
            .collect::<Result<Vec<_>>>()?;
        parts.push(Matcher::Any(any));
    }
    if let Some(inner) = &r.not {
        parts.push(Matcher::Not(Box::new(compile_hidden(
            inner,
            &at.child("not"),
            scope,
        )?)));
    }
    Ok(())
}

fn compile_relations(
    r: &RuleSpec,
    at: &At,
    scope: &mut Scope,
    parts: &mut Vec<Matcher>,
) -> Result<()> {
    push_inside(parts, r, at, scope)?;
    push_relation(parts, &r.has, RelKind::Has, false, at, "has", scope)?;
    push_relation(parts, &r.not_has, RelKind::Has, true, at, "not-has", scope)?;
    push_relation(
        parts,
        &r.follows,
        RelKind::Follows,
        false,
        at,
        "follows",
        scope,
    )?;
    push_relation(
        parts,
        &r.precedes,
        RelKind::Precedes,
        false,
        at,
        "precedes",
        scope,
    )?;
    if r.stop_by.is_some() {
        bail!(
            "{}: `stop-by` belongs inside a relation (`inside`, `has`, `follows`, `precedes`)",
            at.field("stop-by")
        );
    }
    Ok(())
}

/// `inside` and `not-inside`: of the node, or of the block a statement
/// sequence stands in.
fn push_inside(parts: &mut Vec<Matcher>, r: &RuleSpec, at: &At, scope: &mut Scope) -> Result<()> {
    push_relation(
        parts,
        &r.inside,
        RelKind::Inside,
        false,
        at,
        "inside",
        scope,
    )?;
    push_relation(
        parts,
        &r.not_inside,
        RelKind::Inside,
        true,
        at,
        "not-inside",
        scope,
    )
}

/// A relation's rule object: its `stop-by` is the relation's, the rest is
/// what the related node must match.
fn push_relation(
    parts: &mut Vec<Matcher>,
    spec: &Option<Box<RuleSpec>>,
    kind: RelKind,
    negated: bool,
    at: &At,
    key: &str,
    scope: &mut Scope,
) -> Result<()> {
    let Some(spec) = spec else { return Ok(()) };
    let at = at.child(key);
    if spec.descend {
        bail!(
            "{}: `descend` goes on a rule of `rules`",
            at.field("descend")
        );
    }
    let fresh = scope.version < 2;
    if fresh && spec.kind.is_none() && spec.pattern.is_none() {
        bail!(
            "{}: a structural constraint needs `kind` or `pattern`",
            at.here()
        );
    }
    if spec.id.is_some()
        || spec.verdict.is_some()
        || !spec.where_.is_empty()
        || !spec.notes.is_empty()
    {
        bail!(
            "{}: a relation's rule takes no `id`, `verdict`, `where` or `notes`",
            at.here()
        );
    }
    let stop = match &spec.stop_by {
        None => Stop::End,
        Some(StopBySpec::Word(w)) if w == "end" => Stop::End,
        Some(StopBySpec::Word(w)) if w == "neighbor" => Stop::Neighbor,
        Some(StopBySpec::Word(w)) => bail!(
            "{}: unknown `stop-by` `{w}` (expected neighbor, end or a rule)",
            at.field("stop-by")
        ),
        Some(StopBySpec::Rule(r)) => Stop::Rule(compile_hidden(r, &at.child("stop-by"), scope)?),
    };
    let inner = RuleSpec {
        stop_by: None,
        ..clone_matching(spec)
    };
    let rule = if negated || fresh {
        compile_hidden(&inner, &at, scope)?
    } else {
        compile_matcher(&inner, &at, scope)?
    };
    let comment = compile_kind("comment", at.field("kind"))?;
    let rel = Matcher::Relation(Box::new(Relation {
        kind,
        sees_comments: rule.names_kind(comment),
        rule,
        stop,
        fresh,
        needs: std::sync::OnceLock::new(),
    }));
    parts.push(if negated {
        Matcher::Not(Box::new(rel))
    } else {
        rel
    });
    Ok(())
}

/// The matching keys of a rule object (a relation's spec minus `stop-by`).
fn clone_matching(r: &RuleSpec) -> RuleSpec {
    fn boxed(r: &Option<Box<RuleSpec>>) -> Option<Box<RuleSpec>> {
        r.as_ref().map(|b| Box::new(clone_matching(b)))
    }
    RuleSpec {
        pattern: r.pattern.clone(),
        context: r.context.clone(),
        kind: r.kind.clone(),
        regex: r.regex.clone(),
        is: r.is.clone(),
        all: r
            .all
            .as_ref()
            .map(|v| v.iter().map(clone_matching).collect()),
        any: r
            .any
            .as_ref()
            .map(|v| v.iter().map(clone_matching).collect()),
        not: boxed(&r.not),
        matches: r.matches.clone(),
        inside: boxed(&r.inside),
        not_inside: boxed(&r.not_inside),
        has: boxed(&r.has),
        not_has: boxed(&r.not_has),
        follows: boxed(&r.follows),
        precedes: boxed(&r.precedes),
        stop_by: r.stop_by.as_ref().map(|s| match s {
            StopBySpec::Word(w) => StopBySpec::Word(w.clone()),
            StopBySpec::Rule(r) => StopBySpec::Rule(Box::new(clone_matching(r))),
        }),
        ..RuleSpec::default()
    }
}

pub(super) fn compile_kind(name: &str, at: String) -> Result<u16> {
    let lang: tree_sitter::Language = tree_sitter_c::LANGUAGE.into();
    let id = lang.id_for_node_kind(name, true);
    if id == 0 {
        bail!("{at}: `{name}` is not a tree-sitter-c node kind");
    }
    Ok(id)
}

/// `where`: each name must be captured by the rule or by another `where`
/// rule; those are evaluated until nothing more binds.
pub(super) fn compile_where(
    specs: &BTreeMap<String, MetaConstraint>,
    at: &At,
    scope: &mut Scope,
) -> Result<Vec<(String, MetaCheck)>> {
    let mut checks = Vec::new();
    for (name, c) in specs {
        let at = at.child(&format!("where.{name}"));
        checks.push((name.clone(), compile_meta(c, &at, scope)?));
    }
    for (name, _) in &checks {
        if !scope.captured.contains(name) {
            bail!(
                "{}: `where` names ${name}, which the pattern does not have",
                at.field(&format!("where.{name}"))
            );
        }
    }
    Ok(checks)
}

fn compile_meta(c: &MetaConstraint, at: &At, scope: &mut Scope) -> Result<MetaCheck> {
    let v2 = [
        (c.rule.is_some(), "rule"),
        (c.used_elsewhere.is_some(), "used-elsewhere"),
        (c.assigned_in_gap.is_some(), "assigned-in-gap"),
        (c.escapes.is_some(), "escapes"),
        (!c.escape_calls.is_empty(), "escape-calls"),
        (c.symbol.is_some(), "symbol"),
        (c.used_in.is_some(), "used-in"),
        (c.not_used_in.is_some(), "not-used-in"),
        (c.references.is_some(), "references"),
        (c.declared_before.is_some(), "declared-before"),
        (c.not_declared_before.is_some(), "not-declared-before"),
    ];
    if scope.version < 2 {
        if let Some((_, key)) = v2.iter().find(|(set, _)| *set) {
            bail!("{}: `{key}` needs `version: 2`", at.field(key));
        }
    }
    let re = |s: &Option<String>, key: &str| -> Result<Option<Regex>> {
        s.as_deref()
            .map(|s| Regex::new(s).map_err(|e| anyhow!("{}: bad regex: {e}", at.field(key))))
            .transpose()
    };
    Ok(MetaCheck {
        regex: re(&c.regex, "regex")?,
        not_regex: re(&c.not_regex, "not-regex")?,
        kind: c
            .kind
            .as_deref()
            .map(|k| compile_kind(k, at.field("kind")))
            .transpose()?,
        rule: c
            .rule
            .as_ref()
            .map(|r| compile_matcher(r, &at.child("rule"), scope))
            .transpose()?,
        used_elsewhere: c.used_elsewhere,
        assigned_in_gap: c.assigned_in_gap,
        escapes: c.escapes,
        escape_calls: c.escape_calls.clone(),
        used_in: capture_ref(&c.used_in, &at.field("used-in"), scope)?,
        not_used_in: capture_ref(&c.not_used_in, &at.field("not-used-in"), scope)?,
        symbol: c
            .symbol
            .as_ref()
            .map(|s| compile_symbol(s, &at.child("symbol"), scope))
            .transpose()?,
        references: c
            .references
            .as_ref()
            .map(|r| super::references::compile_references(r, &at.child("references"), scope))
            .transpose()?
            .map(Box::new),
        declared_before: match (&c.declared_before, &c.not_declared_before) {
            (Some(_), Some(_)) => bail!(
                "{}: `declared-before` and `not-declared-before` exclude each other",
                at.field("not-declared-before")
            ),
            (Some(x), None) => capture_ref(&Some(x.clone()), &at.field("declared-before"), scope)?
                .map(|n| (n, true)),
            (None, Some(x)) => {
                capture_ref(&Some(x.clone()), &at.field("not-declared-before"), scope)?
                    .map(|n| (n, false))
            }
            (None, None) => None,
        },
    })
}

/// A `$NAME` naming another capture of the rule.
pub(super) fn capture_ref(
    value: &Option<String>,
    at: &str,
    scope: &Scope,
) -> Result<Option<String>> {
    let Some(v) = value else { return Ok(None) };
    let name = v.trim_start_matches('$');
    if !v.starts_with('$') || !scope.captured.contains(name) {
        bail!("{at}: expected a capture of the rule such as $BODY, not `{v}`");
    }
    Ok(Some(name.to_string()))
}

fn compile_symbol(s: &SymbolSpec, at: &At, scope: &mut Scope) -> Result<SymbolCheck> {
    Ok(SymbolCheck {
        defined_here: s.defined_here,
        is_static: s.is_static,
        other_references: s.other_references,
        definition: s
            .definition
            .as_ref()
            .map(|d| compile_matcher(d, &at.child("definition"), scope))
            .transpose()?,
    })
}

/// `rewrite` (version 1 and 2) or `fix` (version 2): a template for the
/// matched node, or a list of edits at captured nodes.
fn compile_fix(r: &RuleSpec, at: &At, scope: &Scope, shape: &Shape) -> Result<Option<Fix>> {
    let fix = match (&r.rewrite, &r.fix) {
        (Some(_), Some(_)) => bail!(
            "{}: a rule has `rewrite` or `fix`, not both",
            at.field("fix")
        ),
        (Some(t), None) => Fix::Template(t.clone()),
        (None, Some(FixSpec::Template(t))) => Fix::Template(t.clone()),
        (None, Some(FixSpec::Edits(list))) => {
            // A `for-each` with `join` makes a capture the edits after it use.
            let mut scope = scope.clone();
            Fix::Edits(
                list.iter()
                    .enumerate()
                    .map(|(i, e)| compile_edit(e, &at.child(&format!("fix.{i}")), &mut scope))
                    .collect::<Result<_>>()?,
            )
        }
        (None, None) => return Ok(None),
    };
    let key = if r.rewrite.is_some() {
        "rewrite"
    } else {
        "fix"
    };
    match &fix {
        Fix::Template(t) => {
            if matches!(shape, Shape::Sequence(_)) {
                bail!("{}: a statement sequence is fixed by a list of edits (`fix: [- replace: $STMT1 ...]`): a template would rebuild the lines between them", at.field(key));
            }
            check_template(t, &at.field(key), scope)?;
        }
        Fix::Edits(list) if list.is_empty() => bail!("{}: `fix` lists no edit", at.field(key)),
        Fix::Edits(_) => {}
    }
    Ok(Some(fix))
}

pub(super) fn compile_edit(e: &EditSpec, at: &At, scope: &mut Scope) -> Result<FixEdit> {
    if let Some(fe) = &e.for_each {
        return super::references::compile_for_each(e, fe, at, scope);
    }
    if e.unbrace && e.delete.is_none() {
        bail!("{}: `unbrace` goes with `delete`", at.field("unbrace"));
    }
    let ops = [
        (&e.replace, "replace"),
        (&e.delete, "delete"),
        (&e.insert_before, "insert-before"),
        (&e.insert_after, "insert-after"),
        (
            &e.delete_declaration_if_unused,
            "delete-declaration-if-unused",
        ),
    ];
    let set: Vec<_> = ops.iter().filter(|(v, _)| v.is_some()).collect();
    let [(target, key)] = set.as_slice() else {
        bail!("{}: an edit needs exactly one of replace, delete, insert-before, insert-after, delete-declaration-if-unused, for-each", at.here());
    };
    let target = target.as_deref().expect("filtered on is_some");
    let name = target
        .strip_prefix('$')
        .filter(|n| {
            !n.is_empty()
                && n.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        })
        .ok_or_else(|| {
            anyhow!(
                "{}: `{key}` takes a metavariable such as $NAME, not `{target}`",
                at.field(key)
            )
        })?;
    if !scope.captured.contains(name) {
        bail!("{}: ${name} is not captured by the rule", at.field(key));
    }
    let op = match *key {
        "replace" => FixOp::Replace,
        "delete" => FixOp::Delete,
        "insert-before" => FixOp::InsertBefore,
        "insert-after" => FixOp::InsertAfter,
        _ => FixOp::DeleteDeclarationIfUnused,
    };
    let wants_text = matches!(
        op,
        FixOp::Replace | FixOp::InsertBefore | FixOp::InsertAfter
    );
    match (&e.with, wants_text) {
        (None, true) => bail!("{}: `{key}` needs `with`", at.here()),
        (Some(_), false) => bail!("{}: `{key}` takes no `with`", at.field("with")),
        (Some(t), true) => check_template(t, &at.field("with"), scope)?,
        _ => {}
    }
    Ok(FixEdit {
        op,
        target: name.to_string(),
        with: e.with.clone(),
        unbrace: e.unbrace,
        for_each: None,
    })
}

pub(super) fn check_template(text: &str, at: &str, scope: &Scope) -> Result<()> {
    let re = Regex::new(r"\$(?:\$\$)?([A-Z][A-Z0-9_]*)").expect("static regex");
    for c in re.captures_iter(text) {
        if !scope.captured.contains(&c[1]) {
            bail!(
                "{at}: the template uses ${}, which the pattern does not capture",
                &c[1]
            );
        }
    }
    Ok(())
}
