//! `utils`: named rule objects of a file, used by its rules with
//! `matches: NAME`. Compiled once; a cycle of names is an error.

use super::compile::{compile_matcher, At, Scope};
use super::matcher::Matcher;
use super::spec::RuleSpec;
use anyhow::{bail, Result};
use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};

/// The names of a file's `utils`, with their index and the metavariables
/// each captures (what a rule that uses it may put in its templates).
#[derive(Default)]
pub struct UtilNames {
    pub index: BTreeMap<String, usize>,
    pub vars: Vec<BTreeSet<String>>,
}

/// Compiles `specs` (the `utils` mapping at `at`).
pub(super) fn compile_utils(
    specs: &BTreeMap<String, RuleSpec>,
    at: &At,
    version: u32,
) -> Result<(UtilNames, Vec<Matcher>)> {
    if version < 2 && !specs.is_empty() {
        bail!("{}: `utils` needs `version: 2`", at.here());
    }
    let mut names = UtilNames::default();
    for (i, name) in specs.keys().enumerate() {
        names.index.insert(name.clone(), i);
    }
    for (name, spec) in specs {
        let mut stack = vec![name.as_str()];
        names.vars.push(positive_vars(spec, specs, &mut stack, at)?);
    }
    let mut out = Vec::new();
    for (name, spec) in specs {
        if spec.id.is_some()
            || spec.verdict.is_some()
            || !spec.where_.is_empty()
            || !spec.notes.is_empty()
            || spec.descend
        {
            bail!(
                "{}: a `utils` entry is a rule object: no `id`, `verdict`, `where`, `notes` or `descend`",
                at.field(name)
            );
        }
        let mut scope = Scope::new(version, &names);
        out.push(compile_matcher(spec, &at.child(name), &mut scope)?);
    }
    Ok((names, out))
}

/// The metavariables a rule object captures for its user: those of its
/// patterns, except under `not` and the negated relations.
fn positive_vars<'a>(
    spec: &'a RuleSpec,
    all: &'a BTreeMap<String, RuleSpec>,
    stack: &mut Vec<&'a str>,
    at: &At,
) -> Result<BTreeSet<String>> {
    let re = Regex::new(r"\$(?:\$\$)?([A-Z][A-Z0-9_]*)").expect("static regex");
    let mut vars: BTreeSet<String> = spec
        .pattern
        .iter()
        .flat_map(|p| {
            re.captures_iter(p)
                .map(|c| c[1].to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    // A regex's upper-case named groups capture too.
    let groups = spec.regex.as_deref().and_then(|r| Regex::new(r).ok());
    vars.extend(groups.iter().flat_map(super::regex_caps::capture_names));
    let nested = spec.all.iter().chain(spec.any.iter()).flatten();
    let relations = [&spec.inside, &spec.has, &spec.follows, &spec.precedes];
    for r in nested.chain(relations.into_iter().flatten().map(|b| &**b)) {
        vars.extend(positive_vars(r, all, stack, at)?);
    }
    if let Some(name) = &spec.matches {
        if stack.contains(&name.as_str()) {
            bail!(
                "{}: `utils` entries use each other in a cycle: {} -> {name}",
                at.field(name),
                stack.join(" -> ")
            );
        }
        if let Some((key, used)) = all.get_key_value(name) {
            stack.push(key);
            vars.extend(positive_vars(used, all, stack, at)?);
            stack.pop();
        }
    }
    Ok(vars)
}
