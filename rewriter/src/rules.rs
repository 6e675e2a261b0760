//! Running a pattern's declarative rules over one parsed file.

use crate::edit::Edit;
use crate::model::{first_line_excerpt, Site, Verdict};
use crate::parse::{children, function_name, ErrorMap, LineIndex, Parsed};
use crate::pattern::snippet::{render, Captures};
use crate::pattern::{Matcher, Pattern, Relative, Rule};
use tree_sitter::Node;

/// Sites and edits one file yields; edit `site` fields index `sites`.
#[derive(Default)]
pub struct FileMatches {
    pub sites: Vec<Site>,
    pub edits: Vec<Edit>,
}

/// Applies the rules of `pattern` to every node of `parsed`; the first
/// rule that matches a node decides it, and its subtree is not searched
/// again (a rewrite there would conflict with the outer one).
pub fn run_rules(pattern: &Pattern, rel: &str, original: &[u8], parsed: &Parsed) -> FileMatches {
    let errors = ErrorMap::of(&parsed.tree);
    let mut out = FileMatches::default();
    // Each node travels with the function definition around it: looking
    // it up through `Node::parent` would cost the square of the depth.
    let mut stack = vec![(parsed.root(), None)];
    while let Some((node, def)) = stack.pop() {
        let def = if node.kind() == "function_definition" {
            Some(node)
        } else {
            def
        };
        if let Some((rule, caps)) = pattern
            .rules
            .iter()
            .find_map(|r| matches(r, node, parsed.text()).map(|c| (r, c)))
        {
            let context = def.and_then(|d| function_name(d, parsed.text()));
            let found = Found {
                rule,
                caps: &caps,
                node,
                context,
            };
            record(pattern, &found, rel, original, parsed, &errors, &mut out);
            continue;
        }
        stack.extend(children(node).into_iter().rev().map(|c| (c, def)));
    }
    out
}

fn matches(rule: &Rule, node: Node, text: &[u8]) -> Option<Captures> {
    let caps = match &rule.matcher {
        Matcher::Snippet(s) => {
            if s.root_kind().is_some_and(|k| k != node.kind_id()) {
                return None;
            }
            s.matches(node, text)?
        }
        Matcher::Kind(k) => (*k == node.kind_id()).then(Captures::new)?,
    };
    for (name, check) in &rule.constraints {
        let range = caps.get(name)?.clone();
        let value = String::from_utf8_lossy(&text[range.clone()]);
        if check.regex.as_ref().is_some_and(|r| !r.is_match(&value))
            || check.not_regex.as_ref().is_some_and(|r| r.is_match(&value))
        {
            return None;
        }
        if let Some(kind) = check.kind {
            let n = node.descendant_for_byte_range(range.start, range.end)?;
            if n.kind_id() != kind {
                return None;
            }
        }
    }
    let inside = |rel: &Relative| ancestors(node).any(|a| relative_matches(rel, a, text));
    let has = |rel: &Relative| descendants(node).any(|d| relative_matches(rel, d, text));
    if rule.inside.as_ref().is_some_and(|r| !inside(r))
        || rule.not_inside.as_ref().is_some_and(inside)
        || rule.has.as_ref().is_some_and(|r| !has(r))
        || rule.not_has.as_ref().is_some_and(has)
    {
        return None;
    }
    Some(caps)
}

fn relative_matches(rel: &Relative, node: Node, text: &[u8]) -> bool {
    rel.kind.is_none_or(|k| k == node.kind_id())
        && rel
            .snippet
            .as_ref()
            .is_none_or(|s| s.matches(node, text).is_some())
}

fn ancestors(node: Node) -> impl Iterator<Item = Node> {
    std::iter::successors(node.parent(), |n| n.parent())
}

fn descendants(node: Node) -> impl Iterator<Item = Node> {
    let mut stack: Vec<Node> = children(node);
    std::iter::from_fn(move || {
        let n = stack.pop()?;
        stack.extend(children(n));
        Some(n)
    })
}

/// Comments inside `node` that lie outside every capture: a rewrite from a
/// template would drop them.
fn comment_lost(node: Node, caps: &Captures) -> Option<usize> {
    descendants(node)
        .filter(|d| d.kind() == "comment")
        .find(|c| {
            !caps
                .values()
                .any(|r| r.start <= c.start_byte() && c.end_byte() <= r.end)
        })
        .map(|c| c.start_position().row + 1)
}

/// Fits a rendered replacement into its lines: an empty replacement of a
/// node alone on its lines removes those lines, and a rewritten
/// initializer entry keeps its `=` in the column it had.
fn layout(
    original: &[u8],
    lines: &LineIndex,
    node: Node,
    new: Vec<u8>,
) -> (std::ops::Range<usize>, Vec<u8>) {
    let range = node.byte_range();
    // From the index: scanning for the line's ends would cost the line's
    // length per site, on a line with thousands of them.
    let line_start = lines.line_start(range.start);
    let line_end = lines.line_end(range.end);
    let blank = |s: &[u8]| s.iter().all(|b| b.is_ascii_whitespace());
    // An initializer entry's `,` sits after the node: it goes with it.
    let after = &original[range.end..line_end];
    let after_entry = if node.kind() == "initializer_pair" {
        after.strip_prefix(b",").unwrap_or(after)
    } else {
        after
    };
    if new.is_empty() && blank(&original[line_start..range.start]) && blank(after_entry) {
        let end = (line_end + 1).min(original.len());
        return (line_start..end, Vec::new());
    }
    if node.kind() == "initializer_pair"
        && !original[range.clone()].contains(&b'\n')
        && !new.contains(&b'\n')
    {
        let mut new_line = original[line_start..range.start].to_vec();
        new_line.extend_from_slice(&new);
        new_line.extend_from_slice(after);
        return (
            line_start..line_end,
            crate::align::realign_line(&original[line_start..line_end], &new_line),
        );
    }
    (range, new)
}

/// A rule's match: the node, its captures, and the function around it.
struct Found<'a, 'n> {
    rule: &'a Rule,
    caps: &'a Captures,
    node: Node<'n>,
    context: Option<String>,
}

fn record(
    pattern: &Pattern,
    found: &Found,
    rel: &str,
    original: &[u8],
    parsed: &Parsed,
    errors: &ErrorMap,
    out: &mut FileMatches,
) {
    let Found {
        rule, caps, node, ..
    } = *found;
    let (line, column) = parsed.line_col(node.start_byte());
    let mut verdict = rule.verdict;
    let mut reason = rule.reason.as_deref().map(|r| {
        render(r, caps, original)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_else(|_| r.to_string())
    });
    let mut edit = None;
    if let Some(why) = errors.refusal(node) {
        verdict = Verdict::Unparsed;
        reason = Some(why);
    } else if let Some(template) = &rule.rewrite {
        if let Some(l) = comment_lost(node, caps) {
            verdict = Verdict::Manual;
            reason = Some(format!("the rewrite would drop the comment on line {l}"));
        } else {
            match render(template, caps, original) {
                Ok(new) => {
                    let (range, new) = layout(original, &parsed.lines, node, new);
                    edit = Some(Edit::minimal(original, range, new, out.sites.len()))
                }
                Err(e) => {
                    verdict = Verdict::Manual;
                    reason = Some(e.to_string());
                }
            }
        }
    }
    out.sites.push(Site {
        pattern: pattern.id.clone(),
        rule: rule.id.clone(),
        file: rel.to_string(),
        line,
        column,
        context: found.context.clone(),
        verdict,
        reason,
        snippet: first_line_excerpt(original, node.start_byte()),
        notes: Vec::new(),
        group: rel.to_string(),
    });
    out.edits.extend(edit);
}
