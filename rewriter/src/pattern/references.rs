//! What the rest of a file does with a name: `references` (every, some,
//! exactly one or no other reference of an identifier matches a rule),
//! `declared-before`, edits made once per reference (`for-each`, with
//! `join` to gather their text), a block that loses its braces with a
//! deleted statement (`unbrace`), and the `probes` a rule asks of the
//! tree. A conversion that moves a variable from one form to another
//! (a pointer that becomes a static structure) touches every use of it:
//! these say so as data.

use super::compile::{capture_ref, check_template, compile_edit, compile_matcher, At, Scope};
use super::constraint::{check_constraints, FileFacts, Match};
use super::fix::{Change, FixCx, Refusal};
use super::matcher::{Cx, Matcher};
use super::snippet::Captures;
use super::spec::{EditSpec, ForEachSpec, ProbeSpec, ReferencesSpec, RuleSpec};
use super::template::render_folded;
use super::{FixEdit, FixOp, MetaCheck, Requires, Rule};
use anyhow::{anyhow, bail, Result};
use std::collections::BTreeMap;
use tree_sitter::Node;

/// The capture a reference is bound to, in its rule and its edits.
const REF: &str = "REF";

/// A rule a reference is matched with: a rule object and its `where`.
pub struct RefRule {
    pub matcher: Matcher,
    pub constraints: Vec<(String, MetaCheck)>,
}

/// `references`, compiled.
pub struct RefCheck {
    pub every: Vec<RefRule>,
    pub some: Option<RefRule>,
    pub one: Option<RefRule>,
    pub none: Option<RefRule>,
}

/// `for-each`, compiled: `FixEdit::target` names the identifier, or the
/// capture whose nodes are visited.
pub struct ForEach {
    /// The nodes inside the capture are visited, not the references of
    /// the identifier it holds.
    pub within: bool,
    pub matching: RefRule,
    pub edits: Vec<FixEdit>,
    /// (capture name, item template).
    pub join: Option<(String, String)>,
}

/// Compiles a rule a reference must match; its captures (and `$REF`) are
/// added to `scope`, so the caller decides whether they are seen outside.
pub(super) fn compile_ref_rule(r: &RuleSpec, at: &At, scope: &mut Scope) -> Result<RefRule> {
    if r.id.is_some() || r.verdict.is_some() || r.fix.is_some() || r.rewrite.is_some() || r.descend
    {
        bail!(
            "{}: a reference's rule takes no `id`, `verdict`, `fix`, `rewrite` or `descend`",
            at.here()
        );
    }
    scope.captured.insert(REF.into());
    let matcher = compile_matcher(r, at, scope)?;
    let constraints = super::compile::compile_where(&r.where_, at, scope)?;
    Ok(RefRule {
        matcher,
        constraints,
    })
}

pub(super) fn compile_references(
    r: &ReferencesSpec,
    at: &At,
    scope: &mut Scope,
) -> Result<RefCheck> {
    if r.every.is_none() && r.some.is_none() && r.one.is_none() && r.none.is_none() {
        bail!(
            "{}: `references` needs `every`, `some`, `one` or `none`",
            at.here()
        );
    }
    // What `some` and `one` bind is the rule's; `every` and `none` keep
    // theirs (each reference binds them anew).
    let bind = |spec: &Option<RuleSpec>, key: &str, scope: &mut Scope| {
        spec.as_ref()
            .map(|s| {
                let rule = compile_ref_rule(s, &at.child(key), scope);
                scope.captured.remove(REF);
                rule
            })
            .transpose()
    };
    let some = bind(&r.some, "some", scope)?;
    let one = bind(&r.one, "one", scope)?;
    let hidden = |s: &RuleSpec, at: &At| compile_ref_rule(s, at, &mut scope.clone());
    let every = match &r.every {
        Some(list) if list.is_empty() => bail!("{}: `every` lists no rule", at.field("every")),
        Some(list) => list
            .iter()
            .enumerate()
            .map(|(i, s)| hidden(s, &at.child(&format!("every.{i}"))))
            .collect::<Result<_>>()?,
        None => Vec::new(),
    };
    let none = r
        .none
        .as_ref()
        .map(|s| hidden(s, &at.child("none")))
        .transpose()?;
    Ok(RefCheck {
        every,
        some,
        one,
        none,
    })
}

pub(super) fn compile_for_each(
    e: &EditSpec,
    fe: &ForEachSpec,
    at: &At,
    scope: &mut Scope,
) -> Result<FixEdit> {
    let others = [
        e.replace.is_some(),
        e.delete.is_some(),
        e.insert_before.is_some(),
        e.insert_after.is_some(),
        e.delete_declaration_if_unused.is_some(),
        e.with.is_some(),
        e.unbrace,
    ];
    if others.iter().any(|set| *set) {
        bail!("{}: a `for-each` edit has only `for-each`", at.here());
    }
    let at = at.child("for-each");
    let (key, name) = match (&fe.references, &fe.within) {
        (Some(n), None) => ("references", n),
        (None, Some(n)) => ("within", n),
        _ => bail!(
            "{}: `for-each` takes one of `references` and `within`",
            at.here()
        ),
    };
    let target = capture_ref(&Some(name.clone()), &at.field(key), scope)?.expect("given");
    let mut local = scope.clone();
    let matching = compile_ref_rule(&fe.matching, &at.child("matching"), &mut local)?;
    if fe.edits.is_empty() && fe.join.is_none() {
        bail!("{}: `for-each` needs `edits` or `join`", at.here());
    }
    let edits = fe
        .edits
        .iter()
        .enumerate()
        .map(|(i, e)| compile_edit(e, &at.child(&format!("edits.{i}")), &mut local))
        .collect::<Result<_>>()?;
    let join = match &fe.join {
        Some(j) => {
            check_template(&j.item, &at.field("join.item"), &local)?;
            if !super::regex_caps::is_capture_name(&j.into) {
                bail!(
                    "{}: `into` takes a name such as FIELDS, not `{}`",
                    at.field("join.into"),
                    j.into
                );
            }
            scope.captured.insert(j.into.clone());
            Some((j.into.clone(), j.item.clone()))
        }
        None => None,
    };
    Ok(FixEdit {
        op: FixOp::ForEach,
        target,
        with: None,
        unbrace: false,
        for_each: Some(Box::new(ForEach {
            within: fe.within.is_some(),
            matching,
            edits,
            join,
        })),
    })
}

/// The file's `probes`, in name order (a rule's `probe` indexes them).
pub(super) fn compile_probes(
    specs: &BTreeMap<String, ProbeSpec>,
    at: &At,
    version: u32,
) -> Result<Vec<Requires>> {
    if version < 2 && !specs.is_empty() {
        bail!("{}: `probes` needs `version: 2`", at.here());
    }
    specs
        .iter()
        .map(|(name, p)| {
            Ok(Requires {
                regex: regex::Regex::new(&p.regex)
                    .map_err(|e| anyhow!("{}: bad regex: {e}", at.child(name).field("regex")))?,
                file: p.file.clone(),
                missing: format!("probe `{name}` does not match"),
            })
        })
        .collect()
}

/// Each rule's `probe` as indices into the file's probes.
pub(super) fn resolve_probes(
    mut rules: Vec<Rule>,
    specs: &[RuleSpec],
    names: &[String],
    at: &At,
) -> Result<Vec<Rule>> {
    for (i, (rule, spec)) in rules.iter_mut().zip(specs).enumerate() {
        for (name, want) in &spec.probe {
            let index = names.iter().position(|n| n == name).ok_or_else(|| {
                anyhow!(
                    "{}: no `probes` entry named `{name}`",
                    at.child(&i.to_string()).field(&format!("probe.{name}"))
                )
            })?;
            rule.probes.push((index, *want));
        }
        // The run's options are answered after the file's probes.
        for (name, want) in &spec.option {
            let known = RUN_OPTIONS.iter().position(|o| o == name).ok_or_else(|| {
                anyhow!(
                    "{}: unknown run option `{name}` (expected one of: {})",
                    at.child(&i.to_string()).field(&format!("option.{name}")),
                    RUN_OPTIONS.join(", ")
                )
            })?;
            rule.probes.push((names.len() + known, *want));
        }
    }
    Ok(rules)
}

/// The run options a rule may ask for (`option`), in the order the run
/// answers them after the probes (`run_option_answers`).
pub const RUN_OPTIONS: [&str; 1] = ["drop-empty"];

/// The answers to `RUN_OPTIONS` of a run.
pub fn run_option_answers(options: &crate::options::RunOptions) -> [bool; 1] {
    [options.drop_empty]
}

/// `references` and `declared-before` of one capture, whose text is `name`.
pub fn check(
    check: &MetaCheck,
    name: &[u8],
    m: &Match,
    caps: &mut Captures,
    cx: &Cx,
    facts: &FileFacts,
) -> bool {
    if let Some((other, want)) = &check.declared_before {
        let Some(at) = caps.get(other.as_str()).map(|r| r.start) else {
            return false;
        };
        if declared_before(name, at, cx) != *want {
            return false;
        }
    }
    match &check.references {
        Some(rc) => check_references(rc, name, m, caps, cx, facts),
        None => true,
    }
}

fn check_references(
    rc: &RefCheck,
    name: &[u8],
    m: &Match,
    caps: &mut Captures,
    cx: &Cx,
    facts: &FileFacts,
) -> bool {
    let refs = references(name, m, cx);
    let matching = |rule: &RefRule, caps: &Captures| -> Vec<Captures> {
        refs.iter()
            .filter_map(|r| ref_match(rule, *r, m, caps, cx, facts))
            .collect()
    };
    let mut trial = caps.clone();
    if let Some(rule) = &rc.some {
        match matching(rule, &trial).into_iter().next() {
            Some(found) => bind(&mut trial, found),
            None => return false,
        }
    }
    if let Some(rule) = &rc.one {
        let mut found = matching(rule, &trial);
        if found.len() != 1 {
            return false;
        }
        bind(&mut trial, found.pop().expect("one"));
    }
    let every = refs.iter().all(|r| {
        rc.every.is_empty()
            || rc
                .every
                .iter()
                .any(|rule| ref_match(rule, *r, m, &trial, cx, facts).is_some())
    });
    let none = rc
        .none
        .as_ref()
        .is_none_or(|rule| matching(rule, &trial).is_empty());
    if every && none {
        *caps = trial;
    }
    every && none
}

fn bind(caps: &mut Captures, mut found: Captures) {
    found.remove(REF);
    caps.extend(found);
}

/// The identifiers named `name` in the file, outside the match.
fn references<'t>(name: &[u8], m: &Match<'t>, cx: &Cx<'t>) -> Vec<Node<'t>> {
    super::dataflow::uses(cx.root, name, cx.text)
        .into_iter()
        .filter(|u| {
            !m.stmts
                .iter()
                .any(|s| s.start_byte() <= u.start_byte() && u.end_byte() <= s.end_byte())
        })
        .collect()
}

/// The captures of `rule` on reference `r`, with `caps` seen (and `$REF`
/// bound to the reference).
fn ref_match(
    rule: &RefRule,
    r: Node,
    m: &Match,
    caps: &Captures,
    cx: &Cx,
    facts: &FileFacts,
) -> Option<Captures> {
    let mut own = caps.clone();
    own.insert(REF.into(), r.byte_range());
    (rule.matcher.matches(r, cx, &mut own)
        && check_constraints(&rule.constraints, m, &mut own, cx, facts))
    .then_some(own)
}

/// The nodes inside the node at `range` (itself aside), in document
/// order.
fn nodes_within<'t>(cx: &Cx<'t>, range: std::ops::Range<usize>) -> Vec<Node<'t>> {
    super::matcher::node_at(cx.root, range)
        .map(crate::c_util::descendants)
        .unwrap_or_default()
}

/// The captures of each node inside `$within` that `rule` matches (bound
/// as `$REF`): the nodes a note of `each` is about.
pub fn each_within(rule: &RefRule, within: &str, caps: &Captures, rcx: &RuleCx) -> Vec<Captures> {
    let Some(range) = caps.get(within) else {
        return Vec::new();
    };
    nodes_within(rcx.cx, range.clone())
        .into_iter()
        .filter_map(|n| ref_match(rule, n, rcx.m, caps, rcx.cx, rcx.facts))
        .collect()
}

/// Whether a top-level item before byte `before` (also under `#if` and
/// `#ifdef`) defines or declares `name`.
fn declared_before(name: &[u8], before: usize, cx: &Cx) -> bool {
    let mut stack: Vec<Node> = crate::parse::children(cx.root);
    while let Some(n) = stack.pop() {
        // An `#ifdef` that starts before may hold items after it.
        if n.start_byte() >= before {
            continue;
        }
        match n.kind() {
            "function_definition" | "declaration" => {
                let mut d = n.child_by_field_name("declarator");
                while let Some(x) = d {
                    if x.kind() == "identifier" {
                        if &cx.text[x.byte_range()] == name {
                            return true;
                        }
                        break;
                    }
                    d = x.child_by_field_name("declarator");
                }
            }
            "preproc_ifdef" | "preproc_if" => stack.extend(crate::parse::children(n)),
            _ => {}
        }
    }
    false
}

/// What a `for-each` edit needs besides a fix's context: the matcher's.
#[derive(Clone, Copy)]
pub struct RuleCx<'a, 't> {
    pub cx: &'a Cx<'t>,
    pub facts: &'a FileFacts<'t>,
    pub m: &'a Match<'t>,
}

/// The changes of a `for-each` edit, and the text it joins.
pub fn for_each(
    e: &FixEdit,
    cx: &FixCx,
    texts: &mut Vec<(String, Vec<u8>)>,
    deleted: &mut Vec<std::ops::Range<usize>>,
) -> Result<Vec<Change>, Refusal> {
    let fe = e.for_each.as_ref().expect("a for-each edit");
    let rcx = cx
        .rules
        .as_ref()
        .ok_or_else(|| Refusal::Manual("`for-each` needs a rule's match".into()))?;
    let range = cx
        .caps
        .get(e.target.as_str())
        .ok_or_else(|| Refusal::Manual(format!("${} was not captured by this match", e.target)))?;
    let visited = if fe.within {
        nodes_within(rcx.cx, range.clone())
    } else {
        references(&rcx.cx.text[range.clone()], rcx.m, rcx.cx)
    };
    let mut out = Vec::new();
    let mut joined = Vec::new();
    for r in visited {
        let Some(own) = ref_match(&fe.matching, r, rcx.m, cx.caps, rcx.cx, rcx.facts) else {
            continue;
        };
        let sub = FixCx { caps: &own, ..*cx };
        out.extend(super::fix::edit_list(&fe.edits, &sub, texts, deleted)?);
        if let Some((_, item)) = &fe.join {
            let item = expand(item, texts);
            joined.extend(
                render_folded(&item, &own, cx.original)
                    .map_err(|e| Refusal::Manual(e.to_string()))?,
            );
        }
    }
    if let Some((into, _)) = &fe.join {
        texts.push((into.clone(), joined));
    }
    Ok(out)
}

/// `template` with the joined texts put in for their names; a joined text
/// holding `$` would read as a capture, so it makes the site `manual`
/// when rendered.
pub fn expand(template: &str, texts: &[(String, Vec<u8>)]) -> String {
    if texts.is_empty() {
        return template.to_string();
    }
    static NAME: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = NAME.get_or_init(|| regex::Regex::new(r"\$([A-Z][A-Z0-9_]*)").expect("static regex"));
    re.replace_all(template, |c: &regex::Captures| {
        match texts.iter().rev().find(|(n, _)| *n == c[1]) {
            Some((_, t)) => String::from_utf8_lossy(t).into_owned(),
            None => c[0].to_string(),
        }
    })
    .into_owned()
}

/// Deleting `stmt` from a braced body of an `if` without `else` (or of a
/// loop) that keeps one statement: the braces go with it, the statement
/// left on the line after the condition. `None` when that is not the case.
pub fn unbraced_deletion(stmt: Node, original: &[u8]) -> Option<Change> {
    let block = stmt.parent().filter(|b| b.kind() == "compound_statement")?;
    let owner = block.parent()?;
    let body = match owner.kind() {
        "if_statement" if owner.child_by_field_name("alternative").is_none() => {
            owner.child_by_field_name("consequence")
        }
        "for_statement" | "while_statement" => owner.child_by_field_name("body"),
        _ => None,
    };
    if body != Some(block) {
        return None;
    }
    let mut cursor = block.walk();
    let rest: Vec<Node> = block
        .named_children(&mut cursor)
        .filter(|c| *c != stmt)
        .collect();
    let [kept] = rest.as_slice() else { return None };
    if kept.kind() == "comment" {
        return None;
    }
    let before = block.prev_sibling()?;
    let lines = crate::c_util::whole_lines(original, kept.byte_range());
    let line = &original[lines];
    let mut text = b"\n".to_vec();
    text.extend_from_slice(line.strip_suffix(b"\n").unwrap_or(line));
    Some((before.end_byte()..block.end_byte(), text))
}
