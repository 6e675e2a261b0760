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

use super::{c_name, kept, ParamError, Parameters, Transform};
use crate::c_util::{
    blank_line_at, call_args, callee, descendants, line_range, newline_len, one_line, text,
};
use crate::edit::Edit;
use crate::model::{first_line_excerpt, Note, Site, Verdict};
use crate::parse::{children, function_name, parse, ErrorMap, Parsed};
use crate::services::{ParsedFile, TransformCtx, TransformOutput};
use regex::Regex;
use serde::Deserialize;
use std::cell::OnceCell;
use std::ops::Range;
use tree_sitter::Node;

const NAME: &str = "of-node-scoped-iterators";

/// The transform with its tables, from the pattern's `parameters`
/// (`patterns/of-node-scoped-iterators.yaml`).
pub struct OfScoped {
    iterators: Vec<Iterator>,
    /// Calls that may keep a node handed to them (`keepers`).
    keepers: Regex,
    /// Calls that give the node under another type (`conversions`).
    conversions: Regex,
}

/// The pattern's `parameters`.
#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping with `iterators`, `keepers` and `conversions`"
)]
struct Params {
    iterators: Vec<Iterator>,
    keepers: Vec<String>,
    conversions: Vec<String>,
}

/// A loop macro, the call that drops the iterator's reference, the
/// iterator's type, and the header that has the scoped form.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Iterator {
    #[serde(rename = "macro")]
    name: String,
    put: String,
    #[serde(rename = "type")]
    ty: String,
    header: String,
    /// The header is the one the pattern's `requires` reads, which
    /// decides for this loop: it is not probed again.
    #[serde(skip)]
    by_requires: bool,
}

/// Reads and checks the pattern's `parameters`: every macro an anchor
/// (the candidates are the files that hold one), names that are names.
pub fn load(params: &Parameters) -> Result<&'static dyn Transform, ParamError> {
    let mut p: Params = params.read(NAME)?;
    if p.iterators.is_empty() {
        return Err(ParamError::at("iterators", "list at least one loop macro"));
    }
    for (i, it) in p.iterators.iter_mut().enumerate() {
        for (key, value) in [("macro", &it.name), ("put", &it.put), ("type", &it.ty)] {
            c_name(value, &format!("iterators.{i}.{key}"))?;
        }
        params.anchored(&it.name, &format!("iterators.{i}.macro"), "the iterator")?;
        it.by_requires = params.requires_file == Some(it.header.as_str());
    }
    if let Some(i) = (1..p.iterators.len()).find(|&i| {
        p.iterators[..i]
            .iter()
            .any(|o| o.name == p.iterators[i].name)
    }) {
        let msg = format!("the iterator `{}` is listed twice", p.iterators[i].name);
        return Err(ParamError::at(format!("iterators.{i}.macro"), msg));
    }
    let keepers = names_regex(&p.keepers, "keepers")?;
    let conversions = names_regex(&p.conversions, "conversions")?;
    Ok(kept(NAME, params, || {
        Box::new(OfScoped {
            iterators: p.iterators,
            keepers,
            conversions,
        })
    }))
}

/// One regex for a list of function names where `*` stands for any run
/// of characters (`*_put`, `set_*_fwnode`).
fn names_regex(globs: &[String], key: &str) -> Result<Regex, ParamError> {
    let mut alternatives = Vec::new();
    for (i, g) in globs.iter().enumerate() {
        if !g
            .split('*')
            .all(|part| part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            || g.chars().all(|c| c == '*')
        {
            let msg = format!("`{g}` is not a function name (with `*` for any run of characters)");
            return Err(ParamError::at(format!("{key}.{i}"), msg));
        }
        let parts: Vec<String> = g.split('*').map(regex::escape).collect();
        alternatives.push(parts.join(".*"));
    }
    let re = format!("^(?:{})$", alternatives.join("|"));
    Ok(Regex::new(&re).expect("escaped names joined by `.*` are a regex"))
}

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
        NAME
    }

    fn run(&self, ctx: &TransformCtx) -> TransformOutput {
        // Which scoped macros the tree has (`requires` decides for its
        // header).
        let present: Vec<bool> = (self.iterators.iter())
            .map(|it| {
                it.by_requires
                    || ctx.probe(
                        &it.header,
                        &regex::escape(&format!("#define {}_scoped(", it.name)),
                    )
            })
            .collect();
        // Only the functions that name a loop macro (or its scoped form)
        // are parsed; `taker`, which needs the file's every function,
        // parses the whole file when it gets there.
        let scoped: Vec<String> = (self.iterators.iter())
            .map(|it| format!("{}_scoped", it.name))
            .collect();
        let words: Vec<&str> = (self.iterators.iter())
            .map(|it| it.name.as_str())
            .chain(scoped.iter().map(String::as_str))
            .collect();
        ctx.each_file_focused(&words, |p| {
            let mut out = TransformOutput::default();
            let defined = Defined::new(&p.file.bytes);
            for def in descendants(p.parsed.root())
                .into_iter()
                .filter(|n| n.kind() == "function_definition")
            {
                convert_function(&Func::new(self, ctx, &p, def, &present, &defined), &mut out);
            }
            out
        })
    }
}

/// The names of the functions a file defines, found by a whole parse of
/// it on the first question that needs one (the focused parse the loops
/// come from shows only the functions that name a loop macro).
struct Defined<'a> {
    bytes: &'a [u8],
    names: OnceCell<Vec<String>>,
}

impl<'a> Defined<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Defined {
            bytes,
            names: OnceCell::new(),
        }
    }

    /// Whether the file defines a function `name`: a name that occurs
    /// once as a word (the call asking) has no definition, without parsing.
    fn has(&self, name: &str) -> bool {
        let ident = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_';
        let words = memchr::memmem::find_iter(self.bytes, name.as_bytes()).filter(|&at| {
            let before = at.checked_sub(1).map(|i| &self.bytes[i]);
            !before.is_some_and(ident) && !self.bytes.get(at + name.len()).is_some_and(ident)
        });
        if words.take(2).count() < 2 {
            return false;
        }
        self.names
            .get_or_init(|| {
                let whole = parse(self.bytes);
                descendants(whole.root())
                    .into_iter()
                    .filter(|n| n.kind() == "function_definition")
                    .filter_map(|d| function_name(d, whole.text()))
                    .collect()
            })
            .iter()
            .any(|l| l == name)
    }
}

/// The macro a while statement was masked from, with its index.
fn iterator_of(iterators: &[Iterator], bytes: &[u8], n: Node) -> Option<usize> {
    if n.kind() != "while_statement" {
        return None;
    }
    let rest = &bytes[n.start_byte()..];
    iterators.iter().map(|it| &it.name).position(|m| {
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

/// What the steps over one function share.
struct Func<'a> {
    t: &'a OfScoped,
    ctx: &'a TransformCtx<'a>,
    rel: &'a str,
    bytes: &'a [u8],
    parsed: &'a Parsed,
    errors: &'a ErrorMap,
    def: Node<'a>,
    /// Which scoped macros the tree has, per iterator.
    present: &'a [bool],
    /// The functions of the file.
    defined: &'a Defined<'a>,
    /// Every node of the function.
    all: Vec<Node<'a>>,
    name: String,
    /// Every iterator loop of the function, its iterator's index and its
    /// variable.
    loops: Vec<(Node<'a>, usize, String)>,
}

impl<'a> Func<'a> {
    fn new(
        t: &'a OfScoped,
        ctx: &'a TransformCtx<'a>,
        p: &ParsedFile<'a>,
        def: Node<'a>,
        present: &'a [bool],
        defined: &'a Defined<'a>,
    ) -> Self {
        let (bytes, parsed) = (p.file.bytes.as_slice(), p.parsed);
        let all = descendants(def);
        let loops = all
            .iter()
            .filter_map(|n| {
                let i = iterator_of(&t.iterators, bytes, *n)?;
                let c = loop_child(*n, parsed)?;
                Some((*n, i, text(c, parsed).to_string()))
            })
            .collect();
        Func {
            t,
            ctx,
            rel: p.file.rel.as_str(),
            bytes,
            parsed,
            errors: p.errors,
            def,
            present,
            defined,
            all,
            name: function_name(def, parsed.text()).unwrap_or_default(),
            loops,
        }
    }

    fn line(&self, n: Node) -> usize {
        self.parsed.line_col(n.start_byte()).0
    }

    /// Whether the tree has the scoped form of loop `which`: `requires`
    /// decides for the header it reads (of.h); property.h got its scoped
    /// loop in another release, so it is probed.
    fn has_scoped(&self, which: usize) -> bool {
        self.present[which] || self.ctx.options.assume_api
    }

    /// A use of the loop's variable after the loop, outside the loops
    /// that set it afresh.
    fn later_use(&self, c: &Candidate) -> Option<Node<'a>> {
        self.all.iter().copied().find(|n| {
            n.kind() == "identifier"
                && text(*n, self.parsed) == c.child
                && n.start_byte() >= c.node.end_byte()
                && !within_loop_over(*n, &self.loops, c.child)
        })
    }
}

/// An iterator loop under examination.
struct Candidate<'a, 'c> {
    node: Node<'a>,
    which: usize,
    it: &'c Iterator,
    child: &'c str,
    body: Node<'a>,
    /// Every node of the body.
    inside: Vec<Node<'a>>,
}

impl Candidate<'_, '_> {
    fn macro_name(&self) -> &str {
        &self.it.name
    }

    fn put_fn(&self) -> &str {
        &self.it.put
    }

    /// Where `_scoped` goes.
    fn macro_end(&self) -> usize {
        self.node.start_byte() + self.macro_name().len()
    }

    /// Whether `n` is the statement `put_fn(child);`.
    fn is_put(&self, n: Node, parsed: &Parsed) -> bool {
        n.kind() == "expression_statement"
            && n.named_child(0).is_some_and(|c| {
                c.kind() == "call_expression"
                    && callee(c, parsed) == Some(self.put_fn())
                    && call_args(c).len() == 1
                    && text(call_args(c)[0], parsed) == self.child
            })
    }

    /// Whether `n` is the loop's variable.
    fn is_child(&self, n: Node, parsed: &Parsed) -> bool {
        n.kind() == "identifier" && text(n, parsed) == self.child
    }
}

/// A loop's early exits, split by whether a put runs before them.
struct Exits<'a> {
    /// The exits no put runs before.
    leaking: Vec<Node<'a>>,
    /// Their lines and text.
    leaks: Vec<(usize, String)>,
    /// The puts before the other exits.
    puts: Vec<Node<'a>>,
}

/// A function's iterator loops become sites, the `auto` ones edits.
fn convert_function(f: &Func, out: &mut TransformOutput) {
    push_scoped_sites(f, out);
    let mut converted: Vec<Loop> = Vec::new();
    let mut quiet: Vec<(Node, usize, String)> = Vec::new();
    for (node, which, child) in &f.loops {
        let Some(body) = node.child_by_field_name("body") else {
            continue;
        };
        let c = Candidate {
            node: *node,
            which: *which,
            it: &f.t.iterators[*which],
            child,
            body,
            inside: descendants(body),
        };
        match early_exits(f, &c) {
            Some(exits) => converted.extend(judge_loop(f, &c, exits, out)),
            // Not a site; but when it shares its iterator with a converted
            // loop, it is converted along so the declaration can go.
            None if may_go_along(f, &c) => quiet.push((*node, c.macro_end(), child.clone())),
            None => {}
        }
    }
    take_along(f, quiet, &mut converted, out);
    loop_edits(f, &converted, out);
    drop_declarations(f, &converted, out);
}

/// Loops already in the new form, for the ledger.
fn push_scoped_sites(f: &Func, out: &mut TransformOutput) {
    for n in f.all.iter().filter(|n| n.kind() == "while_statement") {
        let rest = &f.bytes[n.start_byte()..];
        if let Some(m) = (f.t.iterators.iter())
            .map(|it| &it.name)
            .find(|m| rest.starts_with(format!("{m}_scoped").as_bytes()))
        {
            let (l, column) = f.parsed.line_col(n.start_byte());
            out.sites.push(Site {
                pattern: f.ctx.pattern_id.to_string(),
                rule: format!("{m}_scoped"),
                file: f.rel.to_string(),
                line: l,
                column,
                context: Some(f.name.clone()),
                verdict: Verdict::Converted,
                reason: None,
                snippet: first_line_excerpt(f.bytes, n.start_byte()),
                notes: Vec::new(),
                group: f.rel.to_string(),
            });
        }
    }
}

/// The loop's early exits (a `return`, a `break` of this loop, a `goto`
/// out of it) and the put before each; `None` when it has none.
fn early_exits<'a>(f: &Func, c: &Candidate<'a, '_>) -> Option<Exits<'a>> {
    let parsed = f.parsed;
    let mut exits = Vec::new();
    for n in &c.inside {
        let exit = match n.kind() {
            "return_statement" => true,
            "break_statement" => innermost_breakable(*n) == Some(c.node),
            "goto_statement" => {
                let label = n
                    .child_by_field_name("label")
                    .map(|l| text(l, parsed))
                    .unwrap_or("");
                !c.inside.iter().any(|l| {
                    l.kind() == "labeled_statement"
                        && l.child_by_field_name("label")
                            .is_some_and(|x| text(x, parsed) == label)
                })
            }
            _ => false,
        };
        if exit {
            exits.push((*n, put_before(*n, c.body, &|p| c.is_put(p, parsed))));
        }
    }
    if exits.is_empty() {
        return None;
    }
    let leaking: Vec<Node> = exits
        .iter()
        .filter(|(_, put)| put.is_none())
        .map(|(exit, _)| *exit)
        .collect();
    Some(Exits {
        leaks: leaking
            .iter()
            .map(|exit| (f.line(*exit), one_line(*exit, parsed)))
            .collect(),
        leaking,
        puts: exits.iter().filter_map(|(_, p)| *p).collect(),
    })
}

/// Whether a loop without early exits can become scoped along with
/// another: no put, no escape, no use after it, and the scoped form there.
fn may_go_along(f: &Func, c: &Candidate) -> bool {
    !c.inside.iter().any(|n| c.is_put(*n, f.parsed))
        && !c
            .inside
            .iter()
            .any(|n| c.is_child(*n, f.parsed) && escapes(*n, f.parsed).is_some())
        && f.later_use(c).is_none()
        && f.has_scoped(c.which)
}

/// The site of a loop with early exits, and the loop to convert when it
/// is `auto`.
fn judge_loop<'a>(
    f: &Func,
    c: &Candidate<'a, '_>,
    exits: Exits<'a>,
    out: &mut TransformOutput,
) -> Option<Loop<'a>> {
    let problems = loop_problems(f, c, &exits);
    let site = loop_site(f, c, &exits, &problems);
    let auto = site.verdict == Verdict::Auto;
    out.sites.push(site);
    auto.then(|| {
        let mut puts = exits.puts;
        puts.sort_by_key(|p| p.start_byte());
        puts.dedup();
        Loop {
            node: c.node,
            macro_end: c.macro_end(),
            child: c.child.to_string(),
            puts,
            site: out.sites.len() - 1,
        }
    })
}

/// Why the loop cannot be converted as it is, by line; the use after the
/// loop first, as it most often explains an exit without a put (the
/// label after the loop puts it).
fn loop_problems(f: &Func, c: &Candidate, exits: &Exits) -> Vec<(usize, String)> {
    let (parsed, child) = (f.parsed, c.child);
    let mut problems = put_problems(f, c, &exits.puts);
    for n in c.inside.iter().filter(|n| c.is_child(**n, parsed)) {
        if let Some(why) = escapes(*n, parsed) {
            problems.push((f.line(*n), why));
        }
    }
    let later = f.later_use(c);
    if let Some(u) = later {
        // Line 0 sorts it first; its own line is put back below.
        problems.push((
            0,
            format!("`{child}` is used after the loop, on line {}", f.line(u)),
        ));
    }
    problems.extend(declaration_problem(f, c));
    leak_problems(f, c, exits, &mut problems);
    problems.sort();
    problems.dedup();
    if problems.first().is_some_and(|(l, _)| *l == 0) {
        if let Some(u) = later {
            problems[0].0 = f.line(u);
        }
    }
    problems
}

/// Puts that are not on an early exit, and comments next to those that
/// are.
fn put_problems(f: &Func, c: &Candidate, exit_puts: &[Node]) -> Vec<(usize, String)> {
    let (put_fn, child) = (c.put_fn(), c.child);
    let mut problems = Vec::new();
    for n in c.inside.iter().filter(|n| c.is_put(**n, f.parsed)) {
        if !exit_puts.contains(n) {
            problems.push((f.line(*n), format!("{put_fn}({child}) on line {} is not on an early exit: the scoped loop would put it twice", f.line(*n))));
        }
    }
    // A comment next to a put most often explains the put: it would be
    // left stale, and rewording it is a human's job.
    for n in exit_puts {
        let above = n.prev_sibling().filter(|c| {
            c.kind() == "comment" && c.end_position().row + 1 == n.start_position().row
        });
        let beside = n
            .next_sibling()
            .filter(|c| c.kind() == "comment" && c.start_position().row == n.end_position().row);
        if let Some(cm) = above.or(beside) {
            problems.push((
                f.line(cm),
                format!(
                    "the comment on line {} goes with {put_fn}({child}): drop or reword it by hand",
                    f.line(cm)
                ),
            ));
        }
    }
    problems
}

/// The loop's variable must be a local `struct <type> *`.
fn declaration_problem(f: &Func, c: &Candidate) -> Option<(usize, String)> {
    let (child, ty) = (c.child, c.it.ty.as_str());
    match local_declaration(f.def, f.parsed, child) {
        None => Some((
            f.line(c.node),
            format!("`{child}` is not a local variable of `{}`", f.name),
        )),
        Some((d, _))
            if !text(d.child_by_field_name("type").unwrap_or(d), f.parsed).contains(ty) =>
        {
            Some((
                f.line(d),
                format!("`{child}` is not declared as a `struct {ty} *`"),
            ))
        }
        _ => None,
    }
}

/// Exits without a put: a leak the scoped loop fixes, unless the
/// reference was handed on; a problem once that or anything else is
/// wrong with the loop.
fn leak_problems(f: &Func, c: &Candidate, exits: &Exits, problems: &mut Vec<(usize, String)>) {
    let (put_fn, child) = (c.put_fn(), c.child);
    let handed = if exits.leaking.is_empty() {
        None
    } else {
        taker(f, c, &exits.leaking)
    };
    if problems.is_empty() && handed.is_none() {
        return;
    }
    for (l, what) in &exits.leaks {
        // Only the first leak names the taker when nothing else is wrong.
        let why = match &handed {
            Some(how) if problems.is_empty() => format!(
                "`{what}` leaves the loop without {put_fn}({child}), and `{child}` {how}"
            ),
            _ => format!("`{what}` leaves the loop without {put_fn}({child}): a leak, or a reference handed on"),
        };
        problems.push((*l, why));
    }
}

/// The loop's site: `auto` with the puts that go as notes (and the leaks
/// it fixes as its reason), or why not.
fn loop_site(f: &Func, c: &Candidate, exits: &Exits, problems: &[(usize, String)]) -> Site {
    let (put_fn, child, rel) = (c.put_fn(), c.child, f.rel);
    let (l, column) = f.parsed.line_col(c.node.start_byte());
    let note = |line, message| Note {
        file: rel.to_string(),
        line,
        message,
    };
    let mut site = Site {
        pattern: f.ctx.pattern_id.to_string(),
        rule: c.macro_name().to_string(),
        file: rel.to_string(),
        line: l,
        column,
        context: Some(f.name.clone()),
        verdict: Verdict::Auto,
        reason: None,
        snippet: first_line_excerpt(f.bytes, c.node.start_byte()),
        notes: exits
            .puts
            .iter()
            .map(|p| note(f.line(*p), format!("{put_fn}({child}) goes")))
            .collect(),
        group: rel.to_string(),
    };
    if problems.is_empty() && !exits.leaks.is_empty() {
        // The scoped loop puts the child on these exits too: say so,
        // the patch fixes a leak besides dropping the puts. The series
        // carries this sentence into the commit message.
        let left: Vec<String> = exits
            .leaks
            .iter()
            .map(|(l, what)| format!("`{what}` on line {l}"))
            .collect();
        site.reason = Some(format!(
            "the scoped loop also fixes a leak: {} left the loop without {put_fn}({child})",
            join_and(&left)
        ));
    }
    if let Some(why) = f.errors.refusal(c.node) {
        site.verdict = Verdict::Unparsed;
        site.reason = Some(why);
    } else if let Some((_, why)) = problems.first() {
        site.verdict = Verdict::Manual;
        site.reason = Some(why.clone());
        site.notes = problems
            .iter()
            .skip(1)
            .map(|(l, m)| note(*l, m.clone()))
            .collect();
    } else if !f.has_scoped(c.which) {
        site.verdict = Verdict::Blocked;
        site.reason = Some(format!("{}_scoped() is not in this tree", c.macro_name()));
    }
    site
}

/// Loops without early exits go along with a converted loop over the
/// same variable (they would keep its declaration alive otherwise).
fn take_along<'a>(
    f: &Func,
    quiet: Vec<(Node<'a>, usize, String)>,
    converted: &mut Vec<Loop<'a>>,
    out: &mut TransformOutput,
) {
    for (node, macro_end, child) in quiet {
        let Some(site) = converted.iter().find(|l| l.child == child).map(|l| l.site) else {
            continue;
        };
        let line = f.line(node);
        out.sites[site].notes.push(Note {
            file: f.rel.to_string(),
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
}

/// Edits: the macro names, the puts (with braces left around one
/// statement).
fn loop_edits(f: &Func, converted: &[Loop], out: &mut TransformOutput) {
    let deleted: Vec<Node> = converted
        .iter()
        .flat_map(|l| l.puts.iter().copied())
        .collect();
    for l in converted {
        let mut add = |range: Range<usize>, new: &str| {
            out.add_edit(
                f.rel,
                f.bytes,
                Edit {
                    range,
                    replacement: new.as_bytes().to_vec(),
                    site: l.site,
                },
            )
        };
        add(l.macro_end..l.macro_end, "_scoped");
        for p in &l.puts {
            add(statement_range(f.bytes, *p), "");
            if let Some((open, close)) = braces_to_drop(f.bytes, f.parsed, *p, &deleted) {
                add(open, "");
                add(close, "");
            }
        }
    }
}

/// Declarators nothing else uses any more, as (declaration, declarator,
/// site).
fn unused_declarators<'a>(f: &Func<'a>, converted: &[Loop]) -> Vec<(Node<'a>, Node<'a>, usize)> {
    let mut drops: Vec<(Node, Node, usize)> = Vec::new();
    for l in converted {
        let Some((decl, declarator)) = local_declaration(f.def, f.parsed, &l.child) else {
            continue;
        };
        if drops.iter().any(|(_, d, _)| *d == declarator) {
            continue;
        }
        let mine: Vec<&Loop> = converted.iter().filter(|o| o.child == l.child).collect();
        let other_use = f.all.iter().any(|n| {
            n.kind() == "identifier"
                && text(*n, f.parsed) == l.child
                && !declarator.byte_range().contains(&n.start_byte())
                && !mine
                    .iter()
                    .any(|o| o.node.byte_range().contains(&n.start_byte()))
        });
        if !other_use {
            drops.push((decl, declarator, l.site));
        }
    }
    drops
}

/// The unused declarators go, gathered per declaration so that
/// `*child, *sub` losing both becomes one edit.
fn drop_declarations(f: &Func, converted: &[Loop], out: &mut TransformOutput) {
    let drops = unused_declarators(f, converted);
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
        let (range, new) = declaration_edit(f.bytes, *decl, &gone);
        out.add_edit(
            f.rel,
            f.bytes,
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
fn taker(f: &Func, c: &Candidate, leaking: &[Node]) -> Option<String> {
    let hand = Hand {
        t: f.t,
        parsed: f.parsed,
        child: c.child,
        put_fn: c.put_fn(),
        defined: f.defined,
    };
    let line = |n: Node| n.start_position().row + 1;
    if let Some(r) = leaking.iter().find(|e| {
        e.kind() == "return_statement" && e.named_child(0).is_some_and(|v| hand.same_node(v))
    }) {
        return Some(format!("is returned on line {}", line(*r)));
    }
    c.inside.iter().find_map(|n| hand.on(*n))
}

/// What `taker` looks for in each statement of the loop.
struct Hand<'a> {
    t: &'a OfScoped,
    parsed: &'a Parsed,
    child: &'a str,
    put_fn: &'a str,
    /// The functions of this file.
    defined: &'a Defined<'a>,
}

impl Hand<'_> {
    /// How `n` hands the reference on: a call that may keep it, or an
    /// alias.
    fn on(&self, n: Node) -> Option<String> {
        let (parsed, child) = (self.parsed, self.child);
        let line = n.start_position().row + 1;
        match n.kind() {
            "call_expression" => {
                let f = callee(n, parsed).filter(|f| *f != self.put_fn)?;
                // The arguments first: the file's functions may cost a parse.
                let keeps = call_args(n).into_iter().any(|a| mentions(a, parsed, child))
                    && (self.t.keepers.is_match(f) || self.defined.has(f));
                keeps.then(|| {
                    format!("goes to `{f}()` on line {line}, which may keep the reference")
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
                (v.kind() != "identifier" && self.same_node(v))
                    .then(|| format!("is aliased on line {line}: `{}`", one_line(n, parsed)))
            }
            _ => None,
        }
    }
}

/// Whether `n` is or holds the identifier `child`.
fn mentions(n: Node, parsed: &Parsed, child: &str) -> bool {
    std::iter::once(n)
        .chain(descendants(n))
        .any(|d| d.kind() == "identifier" && text(d, parsed) == child)
}

impl Hand<'_> {
    /// `child` itself, or a conversion of it: `to_of_node(child)`,
    /// `of_fwnode_handle(child)`, `container_of(child, ...)`,
    /// `&child->fwnode`.
    fn same_node(&self, mut v: Node) -> bool {
        let (parsed, child) = (self.parsed, self.child);
        while matches!(v.kind(), "parenthesized_expression" | "cast_expression") {
            match v.named_child(v.named_child_count().saturating_sub(1)) {
                Some(inner) => v = inner,
                None => return false,
            }
        }
        match v.kind() {
            "identifier" => text(v, parsed) == child,
            "pointer_expression" => mentions(v, parsed, child),
            "call_expression" => {
                callee(v, parsed).is_some_and(|f| self.t.conversions.is_match(f))
                    && call_args(v).into_iter().any(|a| mentions(a, parsed, child))
            }
            _ => false,
        }
    }
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

    /// The iterators of the pattern file compiled into unplug.
    fn builtin_iterators() -> Vec<Iterator> {
        super::super::builtin_parameters::<Params>("of-node-scoped-iterators.yaml").iterators
    }

    #[test]
    fn macro_names_are_whole() {
        let src = b"void f(void)\n{\n\tfor_each_child_of_node_scoped(np, c) {\n\t\tg(c);\n\t}\n\tfor_each_child_of_node(np, d) {\n\t\tg(d);\n\t}\n}\n";
        let parsed = parse(src);
        let loops: Vec<Option<usize>> = descendants(parsed.root())
            .into_iter()
            .filter(|n| n.kind() == "while_statement")
            .map(|n| iterator_of(&builtin_iterators(), src, n))
            .collect();
        assert_eq!(loops, vec![None, Some(0)]);
    }
}
