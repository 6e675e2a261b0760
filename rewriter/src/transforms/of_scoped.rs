//! `of-node-scoped-iterators`: child-node loops whose early exits must
//! drop the iterator's reference by hand become the `_scoped` loops, which
//! declare the iterator themselves and drop the reference on every exit:
//!
//! ```text
//! struct device_node *child;               // goes, when nothing else uses it
//! for_each_child_of_node(np, child) {      // -> for_each_child_of_node_scoped(np, child) {
//!         ret = foo_setup(child);
//!         if (ret) {                       // braces go with the put
//!                 of_node_put(child);      // goes
//!                 return ret;
//!         }
//! }
//! ```
//!
//! The mask turns the macro into a `while` of the same length, so loops
//! are found as while statements whose original bytes start with the
//! macro's name. An early exit is a `break` of this loop, a `return`, or a
//! `goto` to a label outside it. `manual`: the iterator escapes (returned,
//! assigned, used after the loop, reassigned), an exit does not put it (a
//! leak, or a reference handed on), a put is not on an exit (the scoped
//! loop would put twice), or the iterator is not a local variable.

use super::c_util::{
    blank_line_at, call_args, callee, descendants, line_range, newline_len, one_line, text,
};
use super::{Transform, TransformCtx, TransformOutput};
use crate::edit::Edit;
use crate::model::{first_line_excerpt, Note, Site, Verdict};
use crate::parse::{children, function_name, ErrorMap, Parsed};
use std::ops::Range;
use tree_sitter::Node;

pub struct OfScoped;

/// Loop macros, the call that drops the iterator's reference, the
/// iterator's type, and the header that has the scoped form.
const ITERATORS: &[(&str, &str, &str, &str)] = &[
    (
        "for_each_child_of_node",
        "of_node_put",
        "device_node",
        "include/linux/of.h",
    ),
    (
        "for_each_available_child_of_node",
        "of_node_put",
        "device_node",
        "include/linux/of.h",
    ),
    (
        "device_for_each_child_node",
        "fwnode_handle_put",
        "fwnode_handle",
        "include/linux/property.h",
    ),
];

/// One loop and what converting it takes.
struct Loop<'a> {
    node: Node<'a>,
    macro_end: usize,
    child: String,
    puts: Vec<Node<'a>>,
    site: usize,
}

impl Transform for OfScoped {
    fn name(&self) -> &'static str {
        "of-node-scoped-iterators"
    }

    fn run(&self, ctx: &TransformCtx) -> TransformOutput {
        // Which scoped macros the tree has (the pattern's probe checks of.h).
        let present: Vec<bool> = ITERATORS
            .iter()
            .map(|(m, _, _, h)| ctx.probe(h, &regex::escape(&format!("#define {m}_scoped("))))
            .collect();
        ctx.each_file(|p| {
            let mut out = TransformOutput::default();
            for def in descendants(p.parsed.root())
                .into_iter()
                .filter(|n| n.kind() == "function_definition")
            {
                convert_function(
                    ctx,
                    p.file.rel.as_str(),
                    &p.file.bytes,
                    p.parsed,
                    p.errors,
                    def,
                    &present,
                    &mut out,
                );
            }
            out
        })
    }
}

/// The macro a while statement was masked from, with its index.
fn iterator_of(bytes: &[u8], n: Node) -> Option<usize> {
    if n.kind() != "while_statement" {
        return None;
    }
    let rest = &bytes[n.start_byte()..];
    ITERATORS.iter().position(|(m, _, _, _)| {
        rest.starts_with(m.as_bytes())
            && !rest
                .get(m.len())
                .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
    })
}

/// The iterator variable of a masked loop: the last of its two arguments.
fn loop_child<'a>(n: Node<'a>, parsed: &Parsed) -> Option<Node<'a>> {
    let cond = n.child_by_field_name("condition")?;
    let inner = cond.named_child(0)?;
    let right =
        (inner.kind() == "comma_expression").then(|| inner.child_by_field_name("right"))??;
    (right.kind() == "identifier" && !text(right, parsed).is_empty()).then_some(right)
}

#[allow(clippy::too_many_arguments)]
fn convert_function(
    ctx: &TransformCtx,
    rel: &str,
    bytes: &[u8],
    parsed: &Parsed,
    errors: &ErrorMap,
    def: Node,
    present: &[bool],
    out: &mut TransformOutput,
) {
    let all = descendants(def);
    let fn_name = function_name(def, parsed.text()).unwrap_or_default();
    let line = |n: Node| parsed.line_col(n.start_byte()).0;
    // Every iterator loop of the function, with its variable.
    let loops: Vec<(Node, usize, String)> = all
        .iter()
        .filter_map(|n| {
            let i = iterator_of(bytes, *n)?;
            let c = loop_child(*n, parsed)?;
            Some((*n, i, text(c, parsed).to_string()))
        })
        .collect();
    // Loops already in the new form, for the ledger.
    for n in all.iter().filter(|n| n.kind() == "while_statement") {
        let rest = &bytes[n.start_byte()..];
        if let Some((m, ..)) = ITERATORS
            .iter()
            .find(|(m, ..)| rest.starts_with(format!("{m}_scoped").as_bytes()))
        {
            let (l, column) = parsed.line_col(n.start_byte());
            out.sites.push(Site {
                pattern: ctx.pattern_id.to_string(),
                rule: format!("{m}_scoped"),
                file: rel.to_string(),
                line: l,
                column,
                context: Some(fn_name.clone()),
                verdict: Verdict::Converted,
                reason: None,
                snippet: first_line_excerpt(bytes, n.start_byte()),
                notes: Vec::new(),
                group: rel.to_string(),
            });
        }
    }
    let mut converted: Vec<Loop> = Vec::new();
    let mut quiet: Vec<(Node, usize, String)> = Vec::new();
    for (node, which, child) in &loops {
        let (macro_name, put_fn, ty, header) = ITERATORS[*which];
        let body = match node.child_by_field_name("body") {
            Some(b) => b,
            None => continue,
        };
        let inside: Vec<Node> = descendants(body);
        let is_put = |n: Node| {
            n.kind() == "expression_statement"
                && n.named_child(0).is_some_and(|c| {
                    c.kind() == "call_expression"
                        && callee(c, parsed) == Some(put_fn)
                        && call_args(c).len() == 1
                        && text(call_args(c)[0], parsed) == child
                })
        };
        // Early exits, and the put before each.
        let mut exits = Vec::new();
        for n in &inside {
            let exit = match n.kind() {
                "return_statement" => true,
                "break_statement" => innermost_breakable(*n) == Some(*node),
                "goto_statement" => {
                    let label = n
                        .child_by_field_name("label")
                        .map(|l| text(l, parsed))
                        .unwrap_or("");
                    !inside.iter().any(|l| {
                        l.kind() == "labeled_statement"
                            && l.child_by_field_name("label")
                                .is_some_and(|x| text(x, parsed) == label)
                    })
                }
                _ => false,
            };
            if exit {
                exits.push((*n, put_before(*n, body, &is_put)));
            }
        }
        if exits.is_empty() {
            // Not a site; but when it shares its iterator with a converted
            // loop, it is converted along so the declaration can go.
            let clean = !inside.iter().any(|n| is_put(*n))
                && !inside.iter().any(|n| {
                    n.kind() == "identifier"
                        && text(*n, parsed) == child
                        && escapes(*n, parsed).is_some()
                })
                && !all.iter().any(|n| {
                    n.kind() == "identifier"
                        && text(*n, parsed) == *child
                        && n.start_byte() >= node.end_byte()
                        && !within_loop_over(*n, &loops, child)
                })
                && (present[*which] || header == "include/linux/of.h" || ctx.options.assume_api);
            if clean {
                quiet.push((*node, node.start_byte() + macro_name.len(), child.clone()));
            }
            continue;
        }
        let mut problems: Vec<(usize, String)> = Vec::new();
        // Exits without a put: a leak the scoped loop fixes, unless the
        // reference was handed on (decided below, once nothing else is
        // wrong with the loop).
        let leaking: Vec<Node> = exits
            .iter()
            .filter(|(_, put)| put.is_none())
            .map(|(exit, _)| *exit)
            .collect();
        let leaks: Vec<(usize, String)> = leaking
            .iter()
            .map(|exit| (line(*exit), one_line(*exit, parsed)))
            .collect();
        let exit_puts: Vec<Node> = exits.iter().filter_map(|(_, p)| *p).collect();
        for n in inside.iter().filter(|n| is_put(**n)) {
            if !exit_puts.contains(n) {
                problems.push((line(*n), format!("{put_fn}({child}) on line {} is not on an early exit: the scoped loop would put it twice", line(*n))));
            }
        }
        // A comment next to a put most often explains the put: it would be
        // left stale, and rewording it is a human's job.
        for n in &exit_puts {
            let above = n.prev_sibling().filter(|c| {
                c.kind() == "comment" && c.end_position().row + 1 == n.start_position().row
            });
            let beside = n.next_sibling().filter(|c| {
                c.kind() == "comment" && c.start_position().row == n.end_position().row
            });
            if let Some(c) = above.or(beside) {
                problems.push((line(c), format!("the comment on line {} goes with {put_fn}({child}): drop or reword it by hand", line(c))));
            }
        }
        for n in inside
            .iter()
            .filter(|n| n.kind() == "identifier" && text(**n, parsed) == child)
        {
            if let Some(why) = escapes(*n, parsed) {
                problems.push((line(*n), why));
            }
        }
        let later = all.iter().find(|n| {
            n.kind() == "identifier"
                && text(**n, parsed) == *child
                && n.start_byte() >= node.end_byte()
                && !within_loop_over(**n, &loops, child)
        });
        if let Some(u) = later {
            // Line 0 sorts it first: it is what most often explains an
            // exit without a put (the label after the loop puts it).
            problems.push((
                0,
                format!("`{child}` is used after the loop, on line {}", line(*u)),
            ));
        }
        let decl = local_declaration(def, parsed, child);
        match decl {
            None => problems.push((
                line(*node),
                format!("`{child}` is not a local variable of `{fn_name}`"),
            )),
            Some((d, _))
                if !text(d.child_by_field_name("type").unwrap_or(d), parsed).contains(ty) =>
            {
                problems.push((
                    line(d),
                    format!("`{child}` is not declared as a `struct {ty} *`"),
                ))
            }
            _ => {}
        }
        let handed = if leaking.is_empty() {
            None
        } else {
            taker(def, &inside, &leaking, parsed, child, put_fn)
        };
        if !problems.is_empty() || handed.is_some() {
            for (l, what) in &leaks {
                let why = match &handed {
                    Some(how) if problems.is_empty() => format!(
                        "`{what}` leaves the loop without {put_fn}({child}), and `{child}` {how}"
                    ),
                    _ => format!("`{what}` leaves the loop without {put_fn}({child}): a leak, or a reference handed on"),
                };
                problems.push((*l, why));
            }
        }
        problems.sort();
        problems.dedup();
        let after = problems.first().filter(|(l, _)| *l == 0).is_some();
        if after {
            if let Some(u) = later {
                problems[0].0 = line(*u);
            }
        }
        let (l, column) = parsed.line_col(node.start_byte());
        let mut site = Site {
            pattern: ctx.pattern_id.to_string(),
            rule: macro_name.to_string(),
            file: rel.to_string(),
            line: l,
            column,
            context: Some(fn_name.clone()),
            verdict: Verdict::Auto,
            reason: None,
            snippet: first_line_excerpt(bytes, node.start_byte()),
            notes: exit_puts
                .iter()
                .map(|p| Note {
                    file: rel.to_string(),
                    line: line(*p),
                    message: format!("{put_fn}({child}) goes"),
                })
                .collect(),
            group: rel.to_string(),
        };
        if problems.is_empty() && !leaks.is_empty() {
            // The scoped loop puts the child on these exits too: say so,
            // the patch fixes a leak besides dropping the puts. The series
            // carries this sentence into the commit message.
            let exits: Vec<String> = leaks
                .iter()
                .map(|(l, what)| format!("`{what}` on line {l}"))
                .collect();
            site.reason = Some(format!(
                "the scoped loop also fixes a leak: {} left the loop without {put_fn}({child})",
                join_and(&exits)
            ));
        }
        if let Some(why) = errors.refusal(*node) {
            site.verdict = Verdict::Unparsed;
            site.reason = Some(why);
        } else if let Some((_, why)) = problems.first() {
            site.verdict = Verdict::Manual;
            site.reason = Some(why.clone());
            site.notes = problems
                .iter()
                .skip(1)
                .map(|(l, m)| Note {
                    file: rel.to_string(),
                    line: *l,
                    message: m.clone(),
                })
                .collect();
        } else if !present[*which] && header != "include/linux/of.h" && !ctx.options.assume_api {
            // The pattern's probe decides for of.h; property.h got its
            // scoped loop in another release, so it is checked here.
            site.verdict = Verdict::Blocked;
            site.reason = Some(format!("{macro_name}_scoped() is not in this tree"));
        }
        let auto = site.verdict == Verdict::Auto;
        out.sites.push(site);
        if auto {
            let mut puts = exit_puts;
            puts.sort_by_key(|p| p.start_byte());
            puts.dedup();
            converted.push(Loop {
                node: *node,
                macro_end: node.start_byte() + macro_name.len(),
                child: child.clone(),
                puts,
                site: out.sites.len() - 1,
            });
        }
    }
    // Loops without early exits go along with a converted loop over the
    // same variable (they would keep its declaration alive otherwise).
    for (node, macro_end, child) in quiet {
        let Some(site) = converted.iter().find(|l| l.child == child).map(|l| l.site) else {
            continue;
        };
        let line = parsed.line_col(node.start_byte()).0;
        out.sites[site].notes.push(Note {
            file: rel.to_string(),
            line,
            message: format!("the loop over `{child}` on line {line} becomes scoped too"),
        });
        converted.push(Loop {
            node,
            macro_end,
            child,
            puts: Vec::new(),
            site,
        });
    }
    // Edits: the macro names, the puts (with braces left around one
    // statement), and the declarations nothing else uses any more.
    let deleted: Vec<Node> = converted
        .iter()
        .flat_map(|l| l.puts.iter().copied())
        .collect();
    for l in &converted {
        let mut add = |range: Range<usize>, new: &str| {
            out.add_edit(
                rel,
                bytes,
                Edit {
                    range,
                    replacement: new.as_bytes().to_vec(),
                    site: l.site,
                },
            )
        };
        add(l.macro_end..l.macro_end, "_scoped");
        for p in &l.puts {
            add(statement_range(bytes, *p), "");
            if let Some((open, close)) = braces_to_drop(bytes, parsed, *p, &deleted) {
                add(open, "");
                add(close, "");
            }
        }
    }
    // Declarators nothing else uses any more, gathered per declaration so
    // that `*child, *sub` losing both becomes one edit.
    let mut drops: Vec<(Node, Node, usize)> = Vec::new();
    for l in &converted {
        let Some((decl, declarator)) = local_declaration(def, parsed, &l.child) else {
            continue;
        };
        if drops.iter().any(|(_, d, _)| *d == declarator) {
            continue;
        }
        let mine: Vec<&Loop> = converted.iter().filter(|o| o.child == l.child).collect();
        let other_use = all.iter().any(|n| {
            n.kind() == "identifier"
                && text(*n, parsed) == l.child
                && !declarator.byte_range().contains(&n.start_byte())
                && !mine
                    .iter()
                    .any(|o| o.node.byte_range().contains(&n.start_byte()))
        });
        if !other_use {
            drops.push((decl, declarator, l.site));
        }
    }
    let mut seen: Vec<Node> = Vec::new();
    for (decl, _, site) in &drops {
        if seen.contains(decl) {
            continue;
        }
        seen.push(*decl);
        let gone: Vec<Node> = drops
            .iter()
            .filter(|(d, ..)| d == decl)
            .map(|(_, x, _)| *x)
            .collect();
        let (range, new) = declaration_edit(bytes, *decl, &gone);
        out.add_edit(
            rel,
            bytes,
            Edit {
                range,
                replacement: new.into_bytes(),
                site: *site,
            },
        );
    }
}

/// How the reference a leaking exit does not drop may have been handed
/// on instead (the loop's own put aside), so that the scoped loop would
/// drop a reference someone else owns:
/// - `child` is inside a leaking `return` (`return of_fwnode_handle(child);`);
/// - it is an argument, even wrapped, of a function of this file (a
///   helper may store it) or of one whose name says it consumes or keeps
///   a node (`*_put`, the `*_get_next_*` and `of_find_*` walkers that drop
///   their `from` node, `device_set_node()`, the `set_*_fwnode()` setters);
/// - it is aliased: `x = to_of_node(child)`, `x = of_fwnode_handle(child)`,
///   `x = &child->fwnode` (a put of `x` drops it).
fn taker(
    def: Node,
    inside: &[Node],
    leaking: &[Node],
    parsed: &Parsed,
    child: &str,
    put_fn: &str,
) -> Option<String> {
    let mentions = |n: Node| {
        std::iter::once(n)
            .chain(descendants(n))
            .any(|d| d.kind() == "identifier" && text(d, parsed) == child)
    };
    // `child` itself, or a conversion of it: `to_of_node(child)`,
    // `of_fwnode_handle(child)`, `container_of(child, ...)`, `&child->fwnode`.
    let same_node = |mut v: Node| {
        while matches!(v.kind(), "parenthesized_expression" | "cast_expression") {
            match v.named_child(v.named_child_count().saturating_sub(1)) {
                Some(inner) => v = inner,
                None => return false,
            }
        }
        match v.kind() {
            "identifier" => text(v, parsed) == child,
            "pointer_expression" => mentions(v),
            "call_expression" => {
                callee(v, parsed).is_some_and(|f| {
                    f.starts_with("to_") || f.ends_with("_handle") || f == "container_of"
                }) && call_args(v).into_iter().any(mentions)
            }
            _ => false,
        }
    };
    let line = |n: Node| n.start_position().row + 1;
    if let Some(r) = leaking
        .iter()
        .find(|e| e.kind() == "return_statement" && e.named_child(0).is_some_and(&same_node))
    {
        return Some(format!("is returned on line {}", line(*r)));
    }
    let root = std::iter::successors(Some(def), |n| n.parent()).last()?;
    let local: Vec<String> = descendants(root)
        .into_iter()
        .filter(|n| n.kind() == "function_definition")
        .filter_map(|d| function_name(d, parsed.text()))
        .collect();
    inside.iter().find_map(|n| {
        match n.kind() {
            "call_expression" => {
                let f = callee(*n, parsed).filter(|f| *f != put_fn)?;
                let keeps = f.ends_with("_put")
                    || f.contains("_get_next_")
                    || f.starts_with("of_find_")
                    || f == "device_set_node"
                    || (f.starts_with("set_") && f.ends_with("_fwnode"))
                    || local.iter().any(|l| l == f);
                (keeps && call_args(*n).into_iter().any(mentions)).then(|| {
                    format!(
                        "goes to `{f}()` on line {}, which may keep the reference",
                        line(*n)
                    )
                })
            }
            "assignment_expression" | "init_declarator" => {
                let field = if n.kind() == "init_declarator" {
                    "value"
                } else {
                    "right"
                };
                let v = n.child_by_field_name(field)?;
                // `x = child` itself is a store, already refused.
                (v.kind() != "identifier" && same_node(v)).then(|| {
                    format!(
                        "is aliased on line {}: `{}`",
                        line(*n),
                        one_line(*n, parsed)
                    )
                })
            }
            _ => None,
        }
    })
}

/// The innermost loop or switch around a `break`.
fn innermost_breakable(n: Node) -> Option<Node> {
    std::iter::successors(n.parent(), |p| p.parent()).find(|p| {
        matches!(
            p.kind(),
            "while_statement" | "for_statement" | "do_statement" | "switch_statement"
        )
    })
}

/// The put statement that runs before `exit`: an earlier sibling of the
/// exit or of a block around it, up to the loop's body.
fn put_before<'a>(
    exit: Node<'a>,
    body: Node<'a>,
    is_put: &dyn Fn(Node) -> bool,
) -> Option<Node<'a>> {
    let mut n = exit;
    while n != body {
        let parent = n.parent()?;
        if parent.kind() == "compound_statement" {
            let mut prev = n.prev_named_sibling();
            while let Some(p) = prev {
                if is_put(p) {
                    return Some(p);
                }
                prev = p.prev_named_sibling();
            }
        }
        n = parent;
    }
    None
}

/// Why an occurrence of the iterator inside the loop lets it escape.
fn escapes(n: Node, parsed: &Parsed) -> Option<String> {
    let parent = n.parent()?;
    let name = text(n, parsed);
    let line = n.start_position().row + 1;
    match parent.kind() {
        "assignment_expression" if parent.child_by_field_name("right") == Some(n) => Some(format!(
            "`{name}` is stored on line {line}: `{}`",
            text(parent, parsed)
        )),
        "assignment_expression" if parent.child_by_field_name("left") == Some(n) => {
            Some(format!("`{name}` is reassigned in the loop on line {line}"))
        }
        "init_declarator" if parent.child_by_field_name("value") == Some(n) => Some(format!(
            "`{name}` is stored on line {line}: `{}`",
            text(parent, parsed)
        )),
        "return_statement" => Some(format!("`{name}` is returned on line {line}")),
        _ => None,
    }
}

/// Whether `n` lies in an iterator loop over the same variable (which
/// sets it afresh).
fn within_loop_over(n: Node, loops: &[(Node, usize, String)], child: &str) -> bool {
    loops
        .iter()
        .any(|(l, _, c)| c == child && l.byte_range().contains(&n.start_byte()))
}

/// The declaration of a local `name` in `def`, and its declarator.
fn local_declaration<'a>(
    def: Node<'a>,
    parsed: &Parsed,
    name: &str,
) -> Option<(Node<'a>, Node<'a>)> {
    let body = def.child_by_field_name("body")?;
    for d in descendants(body)
        .into_iter()
        .filter(|d| d.kind() == "declaration")
    {
        for decl in children(d).into_iter().filter(|c| {
            c.is_named() && c.kind() != "comment" && Some(*c) != d.child_by_field_name("type")
        }) {
            if declared_name(decl, parsed) == Some(name) {
                return Some((d, decl));
            }
        }
    }
    None
}

fn declared_name<'a>(mut d: Node, parsed: &'a Parsed) -> Option<&'a str> {
    loop {
        match d.kind() {
            "identifier" => return Some(text(d, parsed)),
            "pointer_declarator" | "init_declarator" => d = d.child_by_field_name("declarator")?,
            _ => return None,
        }
    }
}

/// What to replace to drop some declarators of a declaration: the whole
/// declaration line when none is left (and the blank line after it when
/// the block would then start with a blank line), else the declarator
/// list rewritten without them.
fn declaration_edit(bytes: &[u8], decl: Node, gone: &[Node]) -> (Range<usize>, String) {
    let declarators: Vec<Node> = children(decl)
        .into_iter()
        .filter(|c| {
            c.is_named()
                && !matches!(
                    c.kind(),
                    "comment"
                        | "storage_class_specifier"
                        | "type_qualifier"
                        | "attribute_specifier"
                )
                && Some(*c) != decl.child_by_field_name("type")
        })
        .collect();
    let kept: Vec<String> = declarators
        .iter()
        .filter(|d| !gone.contains(d))
        .map(|d| String::from_utf8_lossy(&bytes[d.byte_range()]).into_owned())
        .collect();
    if kept.is_empty() {
        let mut r = line_range(bytes, decl.byte_range());
        let opens_block = decl.prev_sibling().is_some_and(|p| p.kind() == "{");
        let next_is_decl = decl
            .next_named_sibling()
            .is_some_and(|n| n.kind() == "declaration");
        if opens_block && !next_is_decl && blank_line_at(bytes, r.end) {
            r.end += newline_len(bytes, r.end);
        }
        return (r, String::new());
    }
    let first = declarators
        .first()
        .expect("a declaration with a dropped declarator has one");
    let last = declarators.last().expect("and so a last one");
    (first.start_byte()..last.end_byte(), kept.join(", "))
}

/// A put statement's lines, or the statement and the blanks after it when
/// it shares its line.
fn statement_range(bytes: &[u8], n: Node) -> Range<usize> {
    let mut r = line_range(bytes, n.byte_range());
    if r != n.byte_range() {
        // No blank line right after an opening brace, nor two in a row.
        let prev_line = bytes[..r.start.saturating_sub(1)]
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |p| p + 1);
        let prev = String::from_utf8_lossy(&bytes[prev_line..r.start]);
        let (prev_blank, prev_opens) = (
            prev.trim().is_empty() && r.start > 0,
            prev.trim_end().ends_with('{'),
        );
        if (prev_blank || prev_opens) && blank_line_at(bytes, r.end) {
            r.end += newline_len(bytes, r.end);
        }
        return r;
    }
    let mut end = n.end_byte();
    while bytes.get(end).is_some_and(|b| *b == b' ' || *b == b'\t') {
        end += 1;
    }
    n.start_byte()..end
}

/// `if (x) { put; return y; }`: once the put goes, kernel style wants no
/// braces around the one statement left, when it fits on one line, the
/// `if` is not part of an if/else chain and the block holds no comment. The ranges of `{`
/// (from the end of the condition) and of the `}` line.
fn braces_to_drop(
    bytes: &[u8],
    parsed: &Parsed,
    put: Node,
    deleted: &[Node],
) -> Option<(Range<usize>, Range<usize>)> {
    let block = put.parent().filter(|b| b.kind() == "compound_statement")?;
    let kids = children(block);
    if kids.iter().any(|k| k.kind() == "comment") {
        return None;
    }
    let left: Vec<Node> = kids
        .iter()
        .copied()
        .filter(|k| k.is_named() && !deleted.contains(k))
        .collect();
    // Drop the braces once, from the first deleted statement of the block.
    let first_deleted = kids.iter().find(|k| deleted.contains(k))?;
    if left.len() != 1
        || *first_deleted != put
        || left[0].start_position().row != left[0].end_position().row
        || left[0].kind() == "declaration"
    {
        return None;
    }
    let ifs = block.parent().filter(|p| p.kind() == "if_statement")?;
    // An arm of an if/else chain keeps its braces like the other arms.
    if ifs.child_by_field_name("consequence") != Some(block)
        || ifs.child_by_field_name("alternative").is_some()
        || ifs.parent().is_some_and(|p| p.kind() == "else_clause")
    {
        return None;
    }
    let cond = ifs.child_by_field_name("condition")?;
    let close = kids.last().filter(|k| k.kind() == "}")?;
    let _ = parsed;
    Some((
        cond.end_byte()..block.start_byte() + 1,
        line_range(bytes, close.byte_range()),
    ))
}

/// `a`, `a and b`, `a, b and c`.
fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;

    fn decl_edit(src: &str, gone: &[&str]) -> String {
        let parsed = parse(src.as_bytes());
        let def = descendants(parsed.root())
            .into_iter()
            .find(|n| n.kind() == "function_definition")
            .unwrap();
        let mut decl = None;
        let mut drop = Vec::new();
        for name in gone {
            let (d, x) = local_declaration(def, &parsed, name).unwrap();
            decl = Some(d);
            drop.push(x);
        }
        let (range, new) = declaration_edit(src.as_bytes(), decl.unwrap(), &drop);
        format!("{}{}{}", &src[..range.start], new, &src[range.end..])
    }

    #[test]
    fn declarations_lose_only_the_iterator() {
        let f = |d: &str| format!("int f(void)\n{{\n\t{d}\n\n\tg();\n}}\n");
        assert_eq!(
            decl_edit(&f("struct device_node *np = x, *child;"), &["child"]),
            f("struct device_node *np = x;")
        );
        assert_eq!(
            decl_edit(&f("struct device_node *child, *np;"), &["child"]),
            f("struct device_node *np;")
        );
        // Both iterators of one declaration go in one edit; the blank line
        // after the opening brace goes with the line.
        assert_eq!(
            decl_edit(&f("struct device_node *child, *sub;"), &["child", "sub"]),
            "int f(void)\n{\n\tg();\n}\n"
        );
    }

    #[test]
    fn macro_names_are_whole() {
        let src = b"void f(void)\n{\n\tfor_each_child_of_node_scoped(np, c) {\n\t\tg(c);\n\t}\n\tfor_each_child_of_node(np, d) {\n\t\tg(d);\n\t}\n}\n";
        let parsed = parse(src);
        let loops: Vec<Option<usize>> = descendants(parsed.root())
            .into_iter()
            .filter(|n| n.kind() == "while_statement")
            .map(|n| iterator_of(src, n))
            .collect();
        assert_eq!(loops, vec![None, Some(0)]);
    }
}
