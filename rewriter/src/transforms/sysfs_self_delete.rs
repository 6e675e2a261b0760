//! `sysfs-self-delete`, the part rule language v2 cannot say: a store
//! handler that removes its own attribute or device and deferred that to
//! a work item of its own holding a device (or kobject) reference. The
//! `*_schedule_callback()` forms and the converted calls are rules of
//! `patterns/sysfs-self-delete.yaml`; this one moves the body of another
//! function (the work's) into the handler, re-indented, and must know
//! every use of three names in the file (work item, function, holder),
//! which no fix or `where` of v2 does (see `patterns/README.md`).
//! `device_remove_file_self()` removes the attribute from inside its own
//! handler, after which the rest can run synchronously:
//!
//! ```text
//! dying = get_device(dev);                 if (device_remove_file_self(dev, attr))
//! schedule_work(&remove_work);      ->             foo_unregister();
//! ```
//!
//! where `remove_work`'s function (`foo_unregister(); put_device(dying);`)
//! is folded into the handler without its put, and the work item, its
//! function and the reference holder go. Shapes this does not understand
//! completely are `manual`, with what is in the way.

use super::{c_name, kept, ParamError, Parameters, Transform};
use crate::c_util::{call_args, callee, descendants, indent_of, line_range, squeezed, text};
use crate::edit::Edit;
use crate::model::{first_line_excerpt, Note, Site, Verdict};
use crate::parse::{children, function_name, parse, ErrorMap, Parsed};
use crate::services::{TransformCtx, TransformOutput};
use crate::tree::SourceFile;
use regex::Regex;
use serde::Deserialize;
use std::ops::Range;
use tree_sitter::Node;

const NAME: &str = "sysfs-self-delete";

/// The transform with its tables, from the pattern's `parameters`
/// (`patterns/sysfs-self-delete.yaml`).
pub struct SysfsSelfDelete {
    handlers: Vec<HandlerForm>,
    queues: Vec<Queue>,
    /// `[static] DECLARE_*WORK(work, fn);`, capturing both names.
    declare: Regex,
    removals: Vec<String>,
}

/// The pattern's `parameters`.
#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping with `handlers`, `queues`, `declare` and `removals`"
)]
struct Params {
    handlers: Vec<HandlerForm>,
    queues: Vec<Queue>,
    declare: Vec<String>,
    removals: Vec<String>,
}

/// A store handler's form: the types of its first two parameters, what
/// takes and drops the reference the work item holds, and the condition
/// the folded body runs under.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HandlerForm {
    object: String,
    attribute: String,
    get: String,
    put: String,
    #[serde(rename = "remove-self")]
    remove_self: String,
}

/// A call that queues a work item, and the index of its argument.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Queue {
    call: String,
    work: usize,
}

/// Reads and checks the pattern's `parameters`: every `get` an anchor
/// (its files are the candidates), `remove-self` naming only `$OBJ` and
/// `$ATTR`, names that are names.
pub fn load(params: &Parameters) -> Result<&'static dyn Transform, ParamError> {
    let p: Params = params.read(NAME)?;
    for (key, empty) in [
        ("handlers", p.handlers.is_empty()),
        ("queues", p.queues.is_empty()),
        ("declare", p.declare.is_empty()),
        ("removals", p.removals.is_empty()),
    ] {
        if empty {
            return Err(ParamError::at(key, "list at least one"));
        }
    }
    let placeholder = Regex::new(r"\$(\w+)").expect("static regex");
    for (i, h) in p.handlers.iter().enumerate() {
        let names = [
            ("object", &h.object),
            ("attribute", &h.attribute),
            ("get", &h.get),
            ("put", &h.put),
        ];
        for (key, value) in names {
            c_name(value, &format!("handlers.{i}.{key}"))?;
        }
        params.anchored(&h.get, &format!("handlers.{i}.get"), "the reference taker")?;
        let other = (placeholder.captures_iter(&h.remove_self))
            .map(|c| c[1].to_string())
            .find(|n| n != "OBJ" && n != "ATTR");
        if let Some(other) = other {
            let msg = format!("`${other}` is neither `$OBJ` nor `$ATTR`");
            return Err(ParamError::at(format!("handlers.{i}.remove-self"), msg));
        }
    }
    for (i, q) in p.queues.iter().enumerate() {
        c_name(&q.call, &format!("queues.{i}.call"))?;
    }
    for (i, d) in p.declare.iter().enumerate() {
        c_name(d, &format!("declare.{i}"))?;
    }
    let forms: Vec<&str> = p.declare.iter().map(String::as_str).collect();
    let declare = Regex::new(&format!(
        r"^(?:static\s+)?(?:{})\(\s*(\w+)\s*,\s*(\w+)\s*\)\s*;",
        forms.join("|")
    ))
    .expect("names joined by `|` are a regex");
    Ok(kept(NAME, params, || {
        Box::new(SysfsSelfDelete {
            handlers: p.handlers,
            queues: p.queues,
            declare,
            removals: p.removals,
        })
    }))
}

impl SysfsSelfDelete {
    /// Whether a call's name says it removes something.
    fn removes(&self, name: &str) -> bool {
        self.removals.iter().any(|w| name.contains(w.as_str()))
    }
}

impl Transform for SysfsSelfDelete {
    fn name(&self) -> &'static str {
        NAME
    }

    fn run(&self, ctx: &TransformCtx) -> TransformOutput {
        // Besides an anchor, a file with a site holds a store handler's
        // attribute type and queues work (the anchors `get_device` and
        // `kobject_get` are in one file of fifty; a few dozen of those
        // also queue work).
        let attributes: Vec<&str> = self.handlers.iter().map(|h| h.attribute.as_str()).collect();
        let queues: Vec<&str> = self.queues.iter().map(|q| q.call.as_str()).collect();
        // A site starts at a store handler's call of its `get`: the items
        // holding one are parsed first, and only a file where one calls it
        // (or whose focused parse has an error: the whole may read
        // otherwise) is parsed whole, for its work functions, its
        // `DECLARE_*WORK` lines and every use of their names.
        let gets: Vec<&str> = self.handlers.iter().map(|h| h.get.as_str()).collect();
        ctx.each_file_focused(&[&attributes, &queues], &gets, |p| {
            if p.errors.count() == 0 && self.handler_calls(p.parsed).next().is_none() {
                return TransformOutput::default();
            }
            let parsed = parse(&p.file.bytes);
            let errors = ErrorMap::of(&parsed.tree);
            self.convert_file(ctx, p.file, &parsed, &errors)
        })
    }
}

impl SysfsSelfDelete {
    /// Every store handler of `parsed` with each call of its `get`.
    fn handler_calls<'p>(
        &'p self,
        parsed: &'p Parsed,
    ) -> impl Iterator<Item = (Node<'p>, Handler<'p>, Node<'p>)> + 'p {
        descendants(parsed.root())
            .into_iter()
            .filter(|n| n.kind() == "function_definition")
            .filter_map(move |def| Some((def, store_handler(&self.handlers, def, parsed)?)))
            .flat_map(move |(def, handler)| {
                descendants(def)
                    .into_iter()
                    .filter(|n| n.kind() == "call_expression")
                    .filter(|call| callee(*call, parsed) == Some(handler.form.get.as_str()))
                    .map(|call| (def, handler.clone(), call))
                    .collect::<Vec<_>>()
            })
    }

    /// The sites of a file parsed whole, and their edits.
    fn convert_file(
        &self,
        ctx: &TransformCtx,
        f: &SourceFile,
        parsed: &Parsed,
        errors: &ErrorMap,
    ) -> TransformOutput {
        let mut out = TransformOutput::default();
        let file = File {
            t: self,
            rel: &f.rel,
            bytes: &f.bytes,
            parsed,
            all: descendants(parsed.root()),
        };
        for (def, handler, call) in self.handler_calls(parsed) {
            if let Some(plan) = file.work_item(def, call, &handler) {
                file.record(ctx, errors, def, call, plan, &mut out);
            }
        }
        out
    }
}

/// A store handler's parameters: the object and the attribute.
#[derive(Clone)]
struct Handler<'f> {
    form: &'f HandlerForm,
    object: String,
    attr: String,
}

/// `ssize_t foo_store(struct device *dev, struct device_attribute *attr,
/// const char *buf, size_t count)`, or the kobject form.
fn store_handler<'f>(forms: &'f [HandlerForm], def: Node, parsed: &Parsed) -> Option<Handler<'f>> {
    let mut d = def.child_by_field_name("declarator")?;
    while d.kind() != "function_declarator" {
        d = d.child_by_field_name("declarator")?;
    }
    let params: Vec<Node> = children(d.child_by_field_name("parameters")?)
        .into_iter()
        .filter(|p| p.kind() == "parameter_declaration")
        .collect();
    if params.len() != 4 {
        return None;
    }
    let name = |p: Node| {
        let mut x = p.child_by_field_name("declarator")?;
        while x.kind() != "identifier" {
            x = x.child_by_field_name("declarator")?;
        }
        Some(text(x, parsed).to_string())
    };
    let ty = |p: Node| {
        p.child_by_field_name("type")
            .map(|t| squeezed(t, parsed))
            .unwrap_or_default()
    };
    let (object, attribute) = (ty(params[0]), ty(params[1]));
    let form = forms.iter().find(|f| {
        object.strip_prefix("struct") == Some(f.object.as_str())
            && attribute.strip_prefix("struct") == Some(f.attribute.as_str())
    })?;
    Some(Handler {
        form,
        object: name(params[0])?,
        attr: name(params[1])?,
    })
}

/// What a site becomes: the statements replaced by the new `if`, the
/// text of that `if`, and what else goes. Or why not.
enum Plan {
    Convert {
        replace: Range<usize>,
        with: String,
        remove: Vec<Range<usize>>,
        notes: Vec<(usize, String)>,
    },
    Refuse(usize, String),
}

/// A step of finding a work-item site: `Err(None)` when the handler is
/// not this shape, `Err(Some(refusal))` when it is but cannot convert.
type Step<T> = Result<T, Option<Plan>>;

/// The handler's side: the reference taken and the work queued.
struct Queued<'a> {
    get_stmt: Node<'a>,
    queue_stmt: Node<'a>,
    work: String,
    holder: String,
}

/// The work's side: its declaration, its function, the put in it and
/// the statements that fold into the handler.
struct WorkFn<'a> {
    declare: Node<'a>,
    func: String,
    fdef: Node<'a>,
    put: Node<'a>,
    kept: Vec<Node<'a>>,
}

struct File<'a> {
    t: &'a SysfsSelfDelete,
    rel: &'a str,
    bytes: &'a [u8],
    parsed: &'a Parsed,
    all: Vec<Node<'a>>,
}

impl<'a> File<'a> {
    fn line(&self, n: Node) -> usize {
        self.parsed.line_col(n.start_byte()).0
    }

    /// `holder = get_device(dev); ... schedule_work(&w);` where `w`'s
    /// function removes the device and puts `holder`. None when the
    /// handler does not defer anything.
    fn work_item(&self, def: Node<'a>, get: Node<'a>, h: &Handler) -> Option<Plan> {
        let found = || -> Step<Plan> {
            let q = self.queued(def, get, h)?;
            let w = self.work_function(&q, h)?;
            let holder_decl = self.in_the_way(def, &q, &w)?;
            Ok(self.folded(h, &q, &w, holder_decl))
        };
        match found() {
            Ok(plan) => Some(plan),
            Err(refusal) => refusal,
        }
    }

    /// The reference (`holder = get_device(dev);`, a statement of the
    /// handler's body) and the queueing of a file-scope work item later
    /// in the same block.
    fn queued(&self, def: Node<'a>, get: Node<'a>, h: &Handler) -> Step<Queued<'a>> {
        let p = self.parsed;
        let body = def.child_by_field_name("body").ok_or(None)?;
        if call_args(get).first().map(|a| text(*a, p)) != Some(h.object.as_str()) {
            return Err(None);
        }
        let assign = get.parent().filter(|a| a.kind() == "assignment_expression");
        let get_stmt = assign
            .unwrap_or(get)
            .parent()
            .filter(|s| s.kind() == "expression_statement" && s.parent() == Some(body))
            .ok_or(None)?;
        let (queue_stmt, work) = children(body)
            .into_iter()
            .filter(|s| s.start_byte() > get_stmt.end_byte() && s.kind() == "expression_statement")
            .find_map(|s| {
                let c = s.named_child(0).filter(|c| c.kind() == "call_expression")?;
                let q = (self.t.queues.iter()).find(|q| callee(c, p) == Some(q.call.as_str()))?;
                let w = call_args(c).get(q.work).map(|a| squeezed(*a, p))?;
                Some((s, w))
            })
            .ok_or(None)?;
        let (Some(assign), Some(work)) = (
            assign,
            work.strip_prefix('&')
                .filter(|w| w.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')),
        ) else {
            return Err(Some(Plan::Refuse(self.line(queue_stmt), format!("the work item `{}` is not a file-scope work with the reference in a variable: fold its function into the handler by hand", work.trim_start_matches('&')))));
        };
        let holder = assign.child_by_field_name("left").ok_or(None)?;
        Ok(Queued {
            get_stmt,
            queue_stmt,
            work: work.to_string(),
            holder: text(holder, p).to_string(),
        })
    }

    /// The work item's `DECLARE_[DELAYED_]WORK(work, fn);` and `fn`'s
    /// definition, which must put the holder and remove something
    /// (itself or through a helper of this file).
    fn work_function(&self, q: &Queued<'a>, h: &Handler) -> Step<WorkFn<'a>> {
        let p = self.parsed;
        let line = self.line(q.queue_stmt);
        let Some((declare, func)) = self.declare_work(&q.work) else {
            return Err(Some(Plan::Refuse(line, format!("`{}` is not a DECLARE_WORK() of this file: fold its function into the handler by hand", q.work))));
        };
        let Some(fdef) = self.definition(&func) else {
            return Err(Some(Plan::Refuse(
                line,
                format!("the work function `{func}` is not defined in this file"),
            )));
        };
        let fbody = fdef.child_by_field_name("body").ok_or(None)?;
        let stmts: Vec<Node> = children(fbody)
            .into_iter()
            .filter(|n| n.is_named())
            .collect();
        let is_put = |s: &Node| {
            s.kind() == "expression_statement"
                && s.named_child(0).is_some_and(|c| {
                    c.kind() == "call_expression"
                        && callee(c, p) == Some(h.form.put.as_str())
                        && call_args(c)
                            .first()
                            .is_some_and(|a| text(*a, p) == q.holder)
                })
        };
        // Deferred work that does not drop the reference: not this shape.
        let put = stmts.iter().copied().find(is_put).ok_or(None)?;
        let removes_here = |d: Node| {
            descendants(d).iter().any(|n| {
                n.kind() == "call_expression" && callee(*n, p).is_some_and(|c| self.t.removes(c))
            })
        };
        let removal = descendants(fbody).iter().any(|c| {
            c.kind() == "call_expression" && {
                let name = callee(*c, p).unwrap_or("");
                self.t.removes(name) || self.definition(name).is_some_and(removes_here)
            }
        });
        if !removal {
            return Err(None);
        }
        Ok(WorkFn {
            declare,
            func,
            fdef,
            put,
            kept: stmts.into_iter().filter(|s| *s != put).collect(),
        })
    }

    /// `static DECLARE_[DELAYED_]WORK(work, fn);` at file scope and `fn`,
    /// read from the text: the parser sees a declaration or a call
    /// depending on the storage class in front.
    fn declare_work(&self, work: &str) -> Option<(Node<'a>, String)> {
        let re = &self.t.declare;
        children(self.parsed.root()).into_iter().find_map(|n| {
            // The parser may leave `static` out of the item: read the line.
            let line_start = indent_start(self.bytes, n.start_byte());
            let c =
                re.captures(std::str::from_utf8(&self.bytes[line_start..n.end_byte()]).ok()?)?;
            (&c[1] == work).then(|| (n, c[2].to_string()))
        })
    }

    /// What keeps the work from folding into the handler; else the
    /// holder's file-scope declaration. Every other use of the work item,
    /// its function and the holder is in the way.
    fn in_the_way(&self, def: Node, q: &Queued, w: &WorkFn) -> Step<Node<'a>> {
        let p = self.parsed;
        let (func, fdef) = (&w.func, w.fdef);
        let fbody = fdef.child_by_field_name("body").ok_or(None)?;
        let uses_param = self.work_param(fdef).is_some_and(|param| {
            descendants(fbody)
                .iter()
                .any(|n| n.kind() == "identifier" && text(*n, p) == param)
        });
        let refuse = |n: Node, why: String| Err(Some(Plan::Refuse(self.line(n), why)));
        if uses_param {
            return refuse(fdef, format!("`{func}` reaches its data through the work item: fold it into the handler by hand"));
        }
        if w.kept.is_empty()
            || w.kept.iter().any(|s| s.kind() == "comment")
            || w.kept
                .last()
                .is_some_and(|s| s.kind() == "return_statement")
        {
            return refuse(
                fdef,
                format!("`{func}` does not reduce to statements the handler can run"),
            );
        }
        if fdef.start_byte() > def.start_byte() {
            return refuse(fdef, format!("`{func}` is defined after the handler: what it calls may not be declared there"));
        }
        let holder_decl = self.file_scope_declaration(&q.holder);
        for n in self.all.iter().filter(|n| n.kind() == "identifier") {
            let t = text(*n, p);
            let inside = |x: Node| x.byte_range().contains(&n.start_byte());
            let ok = if t == q.work {
                inside(w.declare) || inside(q.queue_stmt)
            } else if t == func {
                inside(w.declare) || inside(fdef)
            } else if t == q.holder {
                inside(q.get_stmt) || inside(w.put) || holder_decl.is_some_and(inside)
            } else {
                true
            };
            if !ok {
                let why = format!(
                    "`{t}` is also used on line {}: fold the work into the handler by hand",
                    self.line(*n)
                );
                return refuse(*n, why);
            }
        }
        match holder_decl {
            Some(d) => Ok(d),
            None => refuse(
                q.get_stmt,
                format!("`{}` is not a file-scope variable", q.holder),
            ),
        }
    }

    /// The handler's new statement (the work function's body, without
    /// the put, under the removal of the attribute) in place of the
    /// statements from the get (and a comment right above it, which
    /// explains the deferral) to the queueing; the work function, its
    /// `DECLARE_*WORK` line and the holder go.
    fn folded(&self, h: &Handler, q: &Queued, w: &WorkFn, holder_decl: Node) -> Plan {
        let indent = indent_of(self.bytes, q.queue_stmt.start_byte());
        let placeholder = Regex::new(r"\$(OBJ|ATTR)\b").expect("static regex");
        let cond =
            placeholder.replace_all(&h.form.remove_self, |c: &regex::Captures| match &c[1] {
                "OBJ" => h.object.clone(),
                _ => h.attr.clone(),
            });
        let lines = self.reindented(&w.kept, &indent);
        let one = w.kept.len() == 1 && w.kept[0].kind() == "expression_statement";
        let with = if one && lines.len() == 1 {
            format!("if ({cond})\n{}", lines[0])
        } else {
            format!("if ({cond}) {{\n{}\n{indent}}}", lines.join("\n"))
        };
        let mut start = q.get_stmt;
        while let Some(prev) = start.prev_sibling().filter(|c| {
            c.kind() == "comment" && c.end_position().row + 1 == start.start_position().row
        }) {
            start = prev;
        }
        let replace =
            indent_start(self.bytes, start.start_byte()) + indent.len()..q.queue_stmt.end_byte();
        let declare = indent_start(self.bytes, w.declare.start_byte())..w.declare.end_byte();
        let mut remove = vec![
            with_blank_after(self.bytes, line_range(self.bytes, w.fdef.byte_range())),
            with_blank_after(self.bytes, line_range(self.bytes, declare)),
            line_range(self.bytes, holder_decl.byte_range()),
        ];
        remove.sort_by_key(|r| r.start);
        let note = format!(
            "`{}` folds into the handler, without {}({})",
            w.func, h.form.put, q.holder
        );
        Plan::Convert {
            replace,
            with,
            remove,
            notes: vec![(self.line(w.fdef), note)],
        }
    }

    /// The lines of `kept` (with what lies between them), one level
    /// deeper than `indent` instead of at their own depth.
    fn reindented(&self, kept: &[Node], indent: &str) -> Vec<String> {
        let inner_indent = indent_of(self.bytes, kept[0].start_byte());
        let mut lines: Vec<String> = Vec::new();
        let mut last_end = indent_start(self.bytes, kept[0].start_byte());
        for s in kept {
            let r = line_range(self.bytes, s.byte_range());
            let start = r.start.max(last_end);
            for l in String::from_utf8_lossy(&self.bytes[start..r.end]).lines() {
                let l = l.strip_prefix(inner_indent.as_str()).unwrap_or(l);
                lines.push(if l.trim().is_empty() {
                    String::new()
                } else {
                    format!("{indent}\t{l}")
                });
            }
            last_end = r.end;
        }
        lines
    }

    fn definition(&self, name: &str) -> Option<Node<'a>> {
        self.all.iter().copied().find(|n| {
            n.kind() == "function_definition"
                && function_name(*n, self.parsed.text()).as_deref() == Some(name)
        })
    }

    /// The name of a work function's `struct work_struct *` parameter.
    fn work_param(&self, fdef: Node) -> Option<String> {
        let d = descendants(fdef.child_by_field_name("declarator")?)
            .into_iter()
            .find(|n| n.kind() == "parameter_declaration")?;
        let id = descendants(d)
            .into_iter()
            .rfind(|n| n.kind() == "identifier")?;
        Some(text(id, self.parsed).to_string())
    }

    /// `static struct device *NAME;` at file scope.
    fn file_scope_declaration(&self, name: &str) -> Option<Node<'a>> {
        children(self.parsed.root()).into_iter().find(|d| {
            d.kind() == "declaration" && {
                let ds: Vec<Node> = children(*d)
                    .into_iter()
                    .filter(|c| c.kind() == "pointer_declarator")
                    .collect();
                ds.len() == 1
                    && ds[0]
                        .child_by_field_name("declarator")
                        .is_some_and(|i| text(i, self.parsed) == name)
                    && !text(*d, self.parsed).contains('=')
            }
        })
    }

    fn record(
        &self,
        ctx: &TransformCtx,
        errors: &ErrorMap,
        def: Node,
        call: Node,
        plan: Plan,
        out: &mut TransformOutput,
    ) {
        let (line, column) = self.parsed.line_col(call.start_byte());
        let mut site = Site {
            pattern: ctx.pattern_id.to_string(),
            rule: callee(call, self.parsed).unwrap_or("").to_string(),
            file: self.rel.to_string(),
            line,
            column,
            context: function_name(def, self.parsed.text()),
            verdict: Verdict::Auto,
            reason: None,
            snippet: first_line_excerpt(self.bytes, call.start_byte()),
            notes: Vec::new(),
            group: self.rel.to_string(),
        };
        let mut edits = Vec::new();
        match plan {
            Plan::Refuse(l, why) => {
                site.verdict = Verdict::Manual;
                let start = self
                    .bytes
                    .split(|b| *b == b'\n')
                    .nth(l - 1)
                    .unwrap_or_default();
                site.notes.push(Note {
                    file: self.rel.to_string(),
                    line: l,
                    message: String::from_utf8_lossy(start).trim().to_string(),
                });
                site.reason = Some(why);
            }
            Plan::Convert {
                replace,
                with,
                remove,
                notes,
            } => {
                site.notes = notes
                    .into_iter()
                    .map(|(l, m)| Note {
                        file: self.rel.to_string(),
                        line: l,
                        message: m,
                    })
                    .collect();
                edits.push((replace, with));
                edits.extend(remove.into_iter().map(|r| (r, String::new())));
            }
        }
        if let Some(why) = errors.refusal(def) {
            site.verdict = Verdict::Unparsed;
            site.reason = Some(why);
        }
        let index = out.sites.len();
        let auto = site.verdict == Verdict::Auto;
        out.sites.push(site);
        if auto {
            for (range, new) in edits {
                out.add_edit(
                    self.rel,
                    self.bytes,
                    Edit {
                        range,
                        replacement: new.into_bytes(),
                        site: index,
                    },
                );
            }
        }
    }
}

/// The start of the line holding `at`.
fn indent_start(bytes: &[u8], at: usize) -> usize {
    bytes[..at]
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1)
}

/// A deleted top-level item takes the blank line after it along.
fn with_blank_after(bytes: &[u8], r: Range<usize>) -> Range<usize> {
    let n = crate::c_util::newline_len(bytes, r.end);
    if n > 0 && r.start > 0 && bytes[r.start - 1] == b'\n' {
        r.start..r.end + n
    } else {
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse;

    /// The handler forms of the pattern file compiled into unplug.
    fn builtin_forms() -> Vec<HandlerForm> {
        super::super::builtin_parameters::<Params>("sysfs-self-delete.yaml").handlers
    }

    fn handler(src: &str) -> Option<(bool, String, String)> {
        let parsed = parse(src.as_bytes());
        let def = descendants(parsed.root())
            .into_iter()
            .find(|n| n.kind() == "function_definition")?;
        let forms = builtin_forms();
        store_handler(&forms, def, &parsed).map(|h| (h.form.get == "get_device", h.object, h.attr))
    }

    #[test]
    fn store_handlers_by_their_parameters() {
        let dev = "static ssize_t a_store(struct device *d, struct device_attribute *at,\n\t\t       const char *buf, size_t n)\n{\n\treturn n;\n}\n";
        assert_eq!(handler(dev), Some((true, "d".into(), "at".into())));
        let kobj = "static ssize_t b_store(struct kobject *k, struct kobj_attribute *a, const char *buf, size_t n)\n{\n\treturn n;\n}\n";
        assert_eq!(handler(kobj), Some((false, "k".into(), "a".into())));
        let show = "static ssize_t a_show(struct device *d, struct device_attribute *at, char *buf)\n{\n\treturn 0;\n}\n";
        assert_eq!(handler(show), None);
    }
}
