//! What a rule needs of a file before it is worth matching there: words
//! the file must hold (a rule whose words a file lacks is not tried in
//! it), and whether it must see the file whole (a rule that follows a
//! name to every reference needs every function, not only the items the
//! pattern's focus parses).

use super::focus::Focus;
use super::matcher::{Matcher, RelKind};
use super::needs::{needs_at, Word, DEPTH};
use super::references::RefRule;
use super::{Fix, MetaCheck, Rule, Shape};

/// A group of words: a file holds one of them.
pub type Group = Vec<Vec<u8>>;

/// The words a file must hold for `rule` to match in it: those of the
/// matched node and of every node its relations reach, and those of what
/// its `where` requires to exist in the file (a reference `one` or `some`
/// rule matches, a definition of this file, a capture's `rule`).
pub fn rule_groups(rule: &Rule, utils: &[Matcher]) -> Vec<Group> {
    let Shape::Node(m) = &rule.shape else {
        return Vec::new();
    };
    let mut out = Vec::new();
    collect(m, utils, Reach::File, 0, &mut out);
    for (_, c) in &rule.constraints {
        for m in required_in_file(c) {
            collect(m, utils, Reach::File, 0, &mut out);
        }
    }
    // A group met twice (a snippet and the `all` holding it) is checked
    // once per file.
    out.sort();
    out.dedup();
    out
}

/// Whether `bytes` hold a word of every group.
pub fn holds_groups(bytes: &[u8], groups: &[Group]) -> bool {
    groups
        .iter()
        .all(|g| g.iter().any(|w| memchr::memmem::find(bytes, w).is_some()))
}

/// Whether `rule` must see the whole file where it may match: it follows
/// a name to every reference (`every`, `for-each`, `declared-before`), or
/// asks whether one of them matches a rule (`one`, `some`, `none`) whose
/// matches the focus does not all parse.
pub fn needs_whole_file(rule: &Rule, utils: &[Matcher], focus: &Focus) -> bool {
    let for_each = match &rule.fix {
        Some(Fix::Edits(list)) => (list.iter())
            .filter_map(|e| e.for_each.as_ref())
            .any(|fe| !fe.within),
        _ => false,
    };
    for_each
        || rule.constraints.iter().any(|(_, c)| {
            c.declared_before.is_some()
                || c.references.as_ref().is_some_and(|r| {
                    !r.every.is_empty()
                        || [&r.one, &r.some, &r.none]
                            .into_iter()
                            .flatten()
                            .any(|rr| !focused(rr, utils, focus))
                })
        })
}

/// Every node `rr` matches lies in an item a focused parse keeps: one
/// group of words that lie in the node's own top-level item is made of
/// focus words only.
fn focused(rr: &RefRule, utils: &[Matcher], focus: &Focus) -> bool {
    let mut groups = Vec::new();
    collect(&rr.matcher, utils, Reach::Item, 0, &mut groups);
    rr.constraints.iter().all(|(_, c)| c.references.is_none())
        && (groups.iter()).any(|g| g.iter().all(|w| focus.keeps_word(w)))
}

/// The rule objects a `where` entry requires to match somewhere in the
/// file.
fn required_in_file(c: &MetaCheck) -> Vec<&Matcher> {
    let mut out: Vec<&Matcher> = c.rule.iter().collect();
    if let Some(s) = c.symbol.as_ref().filter(|s| s.defined_here == Some(true)) {
        out.extend(s.definition.as_ref());
    }
    if let Some(r) = &c.references {
        out.extend(
            [&r.one, &r.some]
                .into_iter()
                .flatten()
                .map(|rr| &rr.matcher),
        );
    }
    out
}

/// How far from the matched node the words collected may lie.
#[derive(Clone, Copy, PartialEq)]
enum Reach {
    /// Anywhere in the file: every relation is followed.
    File,
    /// In the node's own top-level item: the node, its descendants, and
    /// its ancestors below the file itself.
    Item,
}

fn collect(m: &Matcher, utils: &[Matcher], reach: Reach, depth: usize, out: &mut Vec<Group>) {
    if depth > DEPTH {
        return;
    }
    push_words(m, utils, depth, out);
    let follows = |r: &super::matcher::Relation| match reach {
        Reach::File => true,
        Reach::Item => {
            r.kind == RelKind::Has || (r.kind == RelKind::Inside && below_file(&r.rule, utils))
        }
    };
    match m {
        Matcher::All(parts) => {
            (parts.iter()).for_each(|p| collect(p, utils, reach, depth + 1, out))
        }
        Matcher::Relation(r) if follows(r) => collect(&r.rule, utils, reach, depth + 1, out),
        Matcher::Util(i) => collect(&utils[*i], utils, reach, depth + 1, out),
        _ => {}
    }
}

/// Whether `m` matches only nodes of kinds other than the file's root.
fn below_file(m: &Matcher, utils: &[Matcher]) -> bool {
    let root = tree_sitter::Language::from(tree_sitter_c::LANGUAGE)
        .id_for_node_kind("translation_unit", true);
    m.root_kinds(utils)
        .is_some_and(|kinds| !kinds.contains(&root))
}

/// The words of the node `m` matches, unless the mask may have written
/// them (`while` over a loop macro is not a word of the file).
fn push_words(m: &Matcher, utils: &[Matcher], depth: usize, out: &mut Vec<Group>) {
    let written = |words: &[Word]| !words.iter().any(|(masked, w)| *masked && w == b"while");
    if let Some(words) = needs_at(m, utils, depth).filter(|w| written(w)) {
        out.push(words.into_iter().map(|(_, w)| w).collect());
    }
}
