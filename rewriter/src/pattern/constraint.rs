//! `where`: what a match's captures must satisfy, from their text
//! (`regex`) to what the function does with them (`used-elsewhere`,
//! `assigned-in-gap`, `escapes`) and what the file says of the function
//! they name (`symbol`).

use super::dataflow::{assigned_in, enclosing_function, escape_of, uses_outside};
use super::matcher::{node_at, Cx};
use super::sequence::SeqMatch;
use super::snippet::Captures;
use super::{MetaCheck, Rule, SymbolCheck};
use crate::parse::{function_name, Parsed};
use crate::symbols::SymbolIndex;
use std::cell::OnceCell;
use std::collections::{BTreeSet, HashMap};
use std::ops::Range;
use std::sync::Mutex;
use tree_sitter::Node;

/// A match as the constraints see it: the node that names the site, the
/// statements matched and the gaps between them.
pub struct Match<'t> {
    pub anchor: Node<'t>,
    pub stmts: Vec<Node<'t>>,
    pub gaps: Vec<Vec<Node<'t>>>,
}

impl<'t> Match<'t> {
    pub fn single(node: Node<'t>) -> Match<'t> {
        Match {
            anchor: node,
            stmts: vec![node],
            gaps: vec![],
        }
    }

    pub fn of(m: &SeqMatch<'t>) -> Match<'t> {
        Match {
            anchor: m.stmts[0],
            stmts: m.stmts.clone(),
            gaps: m.gaps.clone(),
        }
    }

    /// The matched nodes (where an edit may go).
    pub fn nodes(&self) -> impl Iterator<Item = Node<'t>> + '_ {
        self.stmts.iter().copied()
    }

    fn ranges(&self) -> Vec<Range<usize>> {
        self.stmts.iter().map(|s| s.byte_range()).collect()
    }
}

/// What the rest of the tree says, for a function that is not the
/// file's own (`symbol.other-references` of a non-static function).
pub enum TreeFacts<'a> {
    /// Not asked for: such a constraint does not hold.
    Absent,
    /// The first pass: the names asked about are gathered, and the
    /// constraint does not hold yet.
    Collect(&'a Mutex<BTreeSet<String>>),
    /// The second pass: the run's symbol index of those names.
    Index(&'a SymbolIndex),
}

/// What a file says about its functions, found once when first asked,
/// and what the tree says.
pub struct FileFacts<'t> {
    parsed: &'t Parsed,
    rel: &'t str,
    tree: &'t TreeFacts<'t>,
    functions: OnceCell<HashMap<String, Vec<Node<'t>>>>,
}

impl<'t> FileFacts<'t> {
    pub fn new(parsed: &'t Parsed, rel: &'t str, tree: &'t TreeFacts<'t>) -> FileFacts<'t> {
        FileFacts {
            parsed,
            rel,
            tree,
            functions: OnceCell::new(),
        }
    }

    /// The definitions of `name` in the file (several under `#ifdef`s).
    fn definitions(&self, name: &str) -> &[Node<'t>] {
        let all = self.functions.get_or_init(|| {
            let mut map: HashMap<String, Vec<Node<'t>>> = HashMap::new();
            let mut stack = vec![self.parsed.root()];
            while let Some(n) = stack.pop() {
                if n.kind() == "function_definition" {
                    if let Some(f) = function_name(n, self.parsed.text()) {
                        map.entry(f).or_default().push(n);
                    }
                    continue;
                }
                let mut cursor = n.walk();
                stack.extend(n.named_children(&mut cursor));
            }
            map
        });
        all.get(name).map_or(&[], Vec::as_slice)
    }
}

/// Whether every `where` constraint of `rule` holds; a constraint whose
/// rule captures (`rule`, `symbol.definition`) binds names the others use,
/// so they are tried until none is left or none makes progress.
pub fn check_where(
    rule: &Rule,
    m: &Match,
    caps: &mut Captures,
    cx: &Cx,
    facts: &FileFacts,
) -> bool {
    check_constraints(&rule.constraints, m, caps, cx, facts)
}

/// `check_where` for any list of constraints (a rule's, or those of a
/// `references` rule).
pub fn check_constraints(
    constraints: &[(String, MetaCheck)],
    m: &Match,
    caps: &mut Captures,
    cx: &Cx,
    facts: &FileFacts,
) -> bool {
    let mut trial = caps.clone();
    let mut left: Vec<&(String, MetaCheck)> = constraints.iter().collect();
    while !left.is_empty() {
        let before = left.len();
        let mut waiting = Vec::new();
        for c in left {
            match trial.get(c.0.as_str()).cloned() {
                None => waiting.push(c),
                Some(range) => {
                    if !check_one(&c.1, range, m, &mut trial, cx, facts) {
                        return false;
                    }
                }
            }
        }
        if waiting.len() == before {
            return false;
        }
        left = waiting;
    }
    *caps = trial;
    true
}

fn check_one(
    check: &MetaCheck,
    range: Range<usize>,
    m: &Match,
    caps: &mut Captures,
    cx: &Cx,
    facts: &FileFacts,
) -> bool {
    let value = String::from_utf8_lossy(&cx.text[range.clone()]).into_owned();
    // A regex reads the capture as written, masked tokens included.
    let written = String::from_utf8_lossy(&cx.original[range.clone()]);
    if check.regex.as_ref().is_some_and(|r| !r.is_match(&written))
        || check
            .not_regex
            .as_ref()
            .is_some_and(|r| r.is_match(&written))
    {
        return false;
    }
    let node = || node_at(cx.root, range.clone());
    if let Some(kind) = check.kind {
        let n = cx.root.descendant_for_byte_range(range.start, range.end);
        if n.is_none_or(|n| n.kind_id() != kind) {
            return false;
        }
    }
    if let Some(rule) = &check.rule {
        if !node().is_some_and(|n| rule.matches(n, cx, caps)) {
            return false;
        }
    }
    // The definition first: its captures may be what the references are
    // measured against.
    check_occurrence(check, value.as_bytes(), caps, cx)
        && check_flow(check, value.as_bytes(), m, cx)
        && check
            .symbol
            .as_ref()
            .is_none_or(|s| check_symbol(s, &value, m, caps, cx, facts))
        && super::references::check(check, value.as_bytes(), m, caps, cx, facts)
}

/// `used-in` / `not-used-in`: whether the identifier occurs in the text
/// of another capture.
fn check_occurrence(check: &MetaCheck, name: &[u8], caps: &Captures, cx: &Cx) -> bool {
    let occurs = |other: &String| {
        caps.get(other.as_str()).is_some_and(|r| {
            let root = cx.root;
            let Some(scope) = root.descendant_for_byte_range(r.start, r.end.max(r.start)) else {
                return false;
            };
            super::dataflow::uses(scope, name, cx.text)
                .iter()
                .any(|u| r.start <= u.start_byte() && u.end_byte() <= r.end)
        })
    };
    check.used_in.as_ref().is_none_or(occurs) && !check.not_used_in.as_ref().is_some_and(occurs)
}

/// The dataflow constraints, within the function around the match.
fn check_flow(check: &MetaCheck, name: &[u8], m: &Match, cx: &Cx) -> bool {
    if check.used_elsewhere.is_none() && check.assigned_in_gap.is_none() && check.escapes.is_none()
    {
        return true;
    }
    let Some(func) = enclosing_function(m.anchor) else {
        return false;
    };
    let outside = uses_outside(func, name, cx.text, &m.ranges());
    if check
        .used_elsewhere
        .is_some_and(|want_used| want_used == outside.is_empty())
    {
        return false;
    }
    if let Some(want) = check.assigned_in_gap {
        let gaps: Vec<Node> = m.gaps.iter().flatten().copied().collect();
        if want != assigned_in(&gaps, name, cx.text).is_some() {
            return false;
        }
    }
    if let Some(want) = check.escapes {
        let escapes = outside
            .iter()
            .any(|u| escape_of(*u, cx.text, &check.escape_calls).is_some());
        if want != escapes {
            return false;
        }
    }
    true
}

/// Facts about the function named `name`, from its file.
fn check_symbol(
    s: &SymbolCheck,
    name: &str,
    m: &Match,
    caps: &mut Captures,
    cx: &Cx,
    facts: &FileFacts,
) -> bool {
    let defs = facts.definitions(name);
    if s.defined_here
        .is_some_and(|want_here| want_here == defs.is_empty())
    {
        return false;
    }
    let is_static = defs.first().map(|d| has_static(*d, cx.text));
    if let Some(want) = s.is_static {
        if is_static != Some(want) {
            return false;
        }
    }
    if let Some(max) = s.other_references {
        // A static function's references are all in its file; any other's
        // are the tree's to say.
        let count = match is_static {
            Some(true) => Some(other_references(name, defs, m, cx)),
            _ => tree_references(name, m, facts),
        };
        if count != Some(max) {
            return false;
        }
    }
    match &s.definition {
        Some(rule) => defs.iter().any(|d| rule.matches(*d, cx, caps)),
        None => true,
    }
}

/// References of `name` across the tree besides its definitions, its
/// prototypes and the match; `None` while only gathering names.
fn tree_references(name: &str, m: &Match, facts: &FileFacts) -> Option<usize> {
    match facts.tree {
        TreeFacts::Absent => None,
        TreeFacts::Collect(names) => {
            names
                .lock()
                .expect("no panic while holding it")
                .insert(name.to_string());
            None
        }
        TreeFacts::Index(index) => {
            let refs = index.facts(name)?.references.iter();
            let in_match = |line: usize, col: usize| {
                m.stmts.iter().any(|n| {
                    let (s, e) = (n.start_position(), n.end_position());
                    let at = (line - 1, col - 1);
                    (s.row, s.column) <= at && at < (e.row, e.column)
                })
            };
            Some(
                refs.filter(|r| !(r.file == facts.rel && in_match(r.line, r.column)))
                    .count(),
            )
        }
    }
}

fn has_static(def: Node, text: &[u8]) -> bool {
    let mut cursor = def.walk();
    let found = def
        .children(&mut cursor)
        .any(|c| c.kind() == "storage_class_specifier" && &text[c.byte_range()] == b"static");
    found
}

/// References of `name` in the file other than its definitions' names,
/// its prototypes and the match itself.
fn other_references(name: &str, defs: &[Node], m: &Match, cx: &Cx) -> usize {
    let root = cx.root;
    let mut skip: Vec<Range<usize>> = m.ranges();
    skip.extend(
        defs.iter()
            .filter_map(|d| d.child_by_field_name("declarator"))
            .map(|d| d.byte_range()),
    );
    super::dataflow::uses(root, name.as_bytes(), cx.text)
        .into_iter()
        .filter(|u| {
            !skip
                .iter()
                .any(|r| r.start <= u.start_byte() && u.end_byte() <= r.end)
        })
        .filter(|u| !is_prototype_name(*u))
        .count()
}

fn is_prototype_name(id: Node) -> bool {
    let Some(decl) = id.parent().filter(|p| p.kind() == "function_declarator") else {
        return false;
    };
    decl.parent().is_some_and(|p| p.kind() == "declaration")
}
