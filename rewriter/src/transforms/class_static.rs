//! `class-create-static`: the fuller form of the class_create() conversion
//! that mainline chose at most sites. A file-scope `static struct class *NAME`
//! created in init and destroyed in exit becomes a static structure:
//!
//! ```text
//! static const struct class NAME = {      // const where class_register() takes const
//!         .name = "foo",
//!         .devnode = foo_devnode,          // folded from NAME->devnode = foo_devnode;
//! };
//! ...  err = class_register(&NAME); if (err) ...   // was NAME = class_create(...); if (IS_ERR(NAME)) ...
//! ...  device_create(&NAME, ...)                   // every other use takes its address
//! ...  class_unregister(&NAME);                    // was class_destroy(NAME);
//! ```
//!
//! Anything outside these shapes is `manual`, with the reason.

use super::c_util::{text, whole_lines};
use super::{Transform, TransformCtx, TransformOutput};
use crate::edit::Edit;
use crate::model::{excerpt, Note, Site, Verdict};
use crate::parse::{children, enclosing_function, line_col, ErrorMap, Parsed};
use crate::tree::SourceFile;
use tree_sitter::Node;

/// A byte range of the file and what replaces it.
type Replacement = (std::ops::Range<usize>, Vec<u8>);

pub struct ClassStatic;

/// Local variable names that hold an error code, in order of preference.
const ERROR_VARS: &[&str] = &["ret", "err", "rc", "error", "retval", "result", "status"];

impl Transform for ClassStatic {
    fn name(&self) -> &'static str {
        "class-create-static"
    }

    fn run(&self, ctx: &TransformCtx) -> TransformOutput {
        let constant = ctx.probe(
            "include/linux/device/class.h",
            r"class_register\(\s*const\s+struct\s+class\s*\*",
        );
        ctx.each_file(|p| {
            let mut out = TransformOutput::default();
            for decl in children(p.parsed.root()) {
                if let Some(name) = static_class_pointer(decl, p.parsed) {
                    convert(
                        ctx, p.file, p.parsed, p.errors, decl, &name, constant, &mut out,
                    );
                }
            }
            out
        })
    }
}

/// `static struct class *NAME;` at file scope: NAME.
fn static_class_pointer(decl: Node, parsed: &Parsed) -> Option<String> {
    if decl.kind() != "declaration" {
        return None;
    }
    let kids = children(decl);
    let is_static = kids
        .iter()
        .any(|c| c.kind() == "storage_class_specifier" && text(*c, parsed) == "static");
    let ty = decl.child_by_field_name("type")?;
    let is_class = ty.kind() == "struct_specifier"
        && ty
            .child_by_field_name("name")
            .is_some_and(|n| text(n, parsed) == "class");
    let declarators: Vec<Node> = kids
        .iter()
        .copied()
        .filter(|c| {
            c.kind() == "pointer_declarator"
                || c.kind() == "init_declarator"
                || c.kind() == "identifier"
        })
        .collect();
    if !is_static
        || !is_class
        || declarators.len() != 1
        || declarators[0].kind() != "pointer_declarator"
    {
        return None;
    }
    let ident = declarators[0].child_by_field_name("declarator")?;
    (ident.kind() == "identifier").then(|| text(ident, parsed).to_string())
}

fn line_of(f: &SourceFile, n: Node) -> usize {
    line_col(&f.bytes, n.start_byte()).0
}

#[allow(clippy::too_many_arguments)]
fn convert(
    ctx: &TransformCtx,
    f: &SourceFile,
    parsed: &Parsed,
    errors: &ErrorMap,
    decl: Node,
    name: &str,
    constant: bool,
    out: &mut TransformOutput,
) {
    let mut uses = Vec::new();
    let mut stack = vec![parsed.root()];
    while let Some(n) = stack.pop() {
        if n.kind() == "identifier"
            && text(n, parsed) == name
            && !decl.byte_range().contains(&n.start_byte())
        {
            uses.push(n);
        }
        stack.extend(children(n));
    }
    if uses.is_empty() {
        return;
    }
    let mut plan = Plan::default();
    let mut problem: Option<(usize, String)> = None;
    let mut create_count = 0;
    for u in &uses {
        if problem.is_some() {
            break;
        }
        match classify(parsed, *u, name) {
            Ok(Use::Create {
                statement,
                call,
                if_stmt,
            }) => {
                create_count += 1;
                plan.create = Some((statement, call, if_stmt));
            }
            Ok(Use::Inside) => {}
            Ok(Use::Destroy(call)) => plan.destroys.push(call),
            Ok(Use::Field {
                statement,
                field,
                value,
            }) => plan.fields.push((statement, field, value)),
            Ok(Use::Address(n)) => plan.addresses.push(n),
            Err(why) => problem = Some((line_of(f, *u), why)),
        }
    }
    let (decl_line, _) = parsed.line_col(decl.start_byte());
    let mut site = Site {
        pattern: ctx.pattern_id.to_string(),
        rule: "static-class".into(),
        file: f.rel.clone(),
        line: decl_line,
        column: 1,
        context: Some(name.to_string()),
        verdict: Verdict::Auto,
        reason: None,
        snippet: excerpt(&f.bytes[whole_lines(&f.bytes, decl.byte_range())]),
        notes: vec![],
        group: f.rel.clone(),
    };
    let refuse = |site: &mut Site, verdict: Verdict, line: usize, why: String| {
        site.verdict = verdict;
        site.notes.push(Note {
            file: f.rel.clone(),
            line,
            message: why.clone(),
        });
        site.reason = Some(why);
    };
    if let Some(why) = uses
        .iter()
        .find_map(|u| errors.refusal(*u))
        .or_else(|| errors.refusal(decl))
    {
        refuse(&mut site, Verdict::Unparsed, decl_line, why);
    } else if let Some((line, why)) = problem {
        refuse(&mut site, Verdict::Manual, line, why);
    } else if create_count != 1 {
        refuse(
            &mut site,
            Verdict::Manual,
            decl_line,
            format!("`{name}` is created {create_count} times, not once"),
        );
    } else if plan.destroys.is_empty() {
        refuse(
            &mut site,
            Verdict::Manual,
            decl_line,
            format!("`{name}` is never destroyed with class_destroy()"),
        );
    } else if let Some((line, why)) = plan.late_field(f, parsed, decl) {
        refuse(&mut site, Verdict::Manual, line, why);
    }
    let auto = site.verdict == Verdict::Auto;
    let index = out.sites.len();
    out.sites.push(site);
    if !auto {
        return;
    }
    match plan.edits(f, parsed, decl, name, constant) {
        Ok(edits) => {
            for (range, replacement) in edits {
                out.add_edit(
                    &f.rel,
                    &f.bytes,
                    Edit {
                        range,
                        replacement,
                        site: index,
                    },
                );
            }
        }
        Err((line, why)) => {
            let s = &mut out.sites[index];
            s.verdict = Verdict::Manual;
            s.notes.push(Note {
                file: f.rel.clone(),
                line,
                message: why.clone(),
            });
            s.reason = Some(why);
        }
    }
}

enum Use<'a> {
    /// `NAME = class_create(THIS_MODULE, X);` and the `if (IS_ERR(NAME))` after it.
    Create {
        statement: Node<'a>,
        call: Node<'a>,
        if_stmt: Node<'a>,
    },
    /// A use inside the create's error check (`IS_ERR(NAME)`, `PTR_ERR(NAME)`).
    Inside,
    Destroy(Node<'a>),
    Field {
        statement: Node<'a>,
        field: String,
        value: Node<'a>,
    },
    Address(Node<'a>),
}

#[derive(Default)]
struct Plan<'a> {
    create: Option<(Node<'a>, Node<'a>, Node<'a>)>,
    destroys: Vec<Node<'a>>,
    fields: Vec<(Node<'a>, String, Node<'a>)>,
    addresses: Vec<Node<'a>>,
}

fn classify<'a>(parsed: &'a Parsed, u: Node<'a>, name: &str) -> Result<Use<'a>, String> {
    let parent = u.parent().ok_or("no parent")?;
    // Inside the error check that follows the create.
    if let Some(if_stmt) =
        std::iter::successors(Some(parent), |p| p.parent()).find(|p| p.kind() == "if_statement")
    {
        if let Some(prev) = if_stmt.prev_named_sibling() {
            if is_create_statement(prev, parsed, name).is_some()
                && is_err_check(if_stmt, parsed, name)
            {
                let in_cond = if_stmt
                    .child_by_field_name("condition")
                    .is_some_and(|c| c.byte_range().contains(&u.start_byte()));
                let call = parent.parent().filter(|c| c.kind() == "call_expression");
                let callee = call
                    .and_then(|c| c.child_by_field_name("function"))
                    .map(|x| text(x, parsed));
                return match (in_cond, callee) {
                    (true, Some("IS_ERR")) | (false, Some("PTR_ERR")) => Ok(Use::Inside),
                    _ => Err(format!(
                        "`{name}` is used in its error check in another way: `{}`",
                        text(parent, parsed)
                    )),
                };
            }
        }
    }
    if parent.kind() == "assignment_expression" && parent.child_by_field_name("left") == Some(u) {
        let stmt = parent
            .parent()
            .filter(|p| p.kind() == "expression_statement")
            .ok_or_else(|| format!("`{name}` is assigned inside an expression"))?;
        let call = is_create_statement(stmt, parsed, name).ok_or_else(|| {
            format!("`{name}` is assigned something else than class_create(THIS_MODULE, ...)")
        })?;
        let if_stmt = stmt
            .next_named_sibling()
            .filter(|n| is_err_check(*n, parsed, name))
            .ok_or_else(|| {
                format!("class_create() of `{name}` is not followed by `if (IS_ERR({name}))`")
            })?;
        return Ok(Use::Create {
            statement: stmt,
            call,
            if_stmt,
        });
    }
    // `dev->class = NAME;`: a device pointed at the class takes its address.
    if parent.kind() == "assignment_expression" && parent.child_by_field_name("right") == Some(u) {
        let left = parent.child_by_field_name("left");
        let field = left
            .filter(|l| l.kind() == "field_expression")
            .and_then(|l| l.child_by_field_name("field"));
        if field.is_some_and(|f| text(f, parsed) == "class") {
            return Ok(Use::Address(u));
        }
    }
    if parent.kind() == "argument_list" {
        let call = parent.parent().ok_or("no call")?;
        let callee = call
            .child_by_field_name("function")
            .map(|x| text(x, parsed))
            .unwrap_or("");
        if callee == "class_destroy" {
            return Ok(Use::Destroy(call));
        }
        return Ok(Use::Address(u));
    }
    if parent.kind() == "field_expression" && parent.child_by_field_name("argument") == Some(u) {
        let assign = parent.parent().filter(|a| {
            a.kind() == "assignment_expression" && a.child_by_field_name("left") == Some(parent)
        });
        let stmt = assign
            .and_then(|a| a.parent())
            .filter(|s| s.kind() == "expression_statement");
        if let (Some(a), Some(stmt)) = (assign, stmt) {
            let field = parent
                .child_by_field_name("field")
                .map(|x| text(x, parsed).to_string())
                .unwrap_or_default();
            let value = a.child_by_field_name("right").ok_or("no value")?;
            if matches!(
                value.kind(),
                "identifier" | "string_literal" | "number_literal" | "null" | "true" | "false"
            ) {
                return Ok(Use::Field {
                    statement: stmt,
                    field,
                    value,
                });
            }
        }
        return Err(format!(
            "`{}` is not an assignment of a constant that can move into the initializer",
            text(parent.parent().unwrap_or(parent), parsed)
                .lines()
                .next()
                .unwrap_or("")
        ));
    }
    Err(format!(
        "`{name}` is used as a pointer: `{}`",
        text(parent, parsed).lines().next().unwrap_or("").trim()
    ))
}

/// `NAME = class_create(THIS_MODULE, X);`: the call.
fn is_create_statement<'a>(stmt: Node<'a>, parsed: &Parsed, name: &str) -> Option<Node<'a>> {
    let assign = stmt
        .named_child(0)
        .filter(|a| a.kind() == "assignment_expression")?;
    let left = assign.child_by_field_name("left")?;
    let call = assign
        .child_by_field_name("right")
        .filter(|c| c.kind() == "call_expression")?;
    let callee = call.child_by_field_name("function")?;
    let args: Vec<Node> = children(call.child_by_field_name("arguments")?)
        .into_iter()
        .filter(|n| n.is_named() && n.kind() != "comment")
        .collect();
    (text(left, parsed) == name
        && text(callee, parsed) == "class_create"
        && args.len() == 2
        && text(args[0], parsed) == "THIS_MODULE")
        .then_some(call)
}

fn is_err_check(n: Node, parsed: &Parsed, name: &str) -> bool {
    n.kind() == "if_statement"
        && n.child_by_field_name("alternative").is_none()
        && n.child_by_field_name("condition").is_some_and(|c| {
            text(c, parsed).split_whitespace().collect::<String>() == format!("(IS_ERR({name}))")
        })
}

impl<'a> Plan<'a> {
    /// A folded value must be declared before the class definition, or the
    /// initializer would not compile.
    fn late_field(&self, f: &SourceFile, parsed: &Parsed, decl: Node) -> Option<(usize, String)> {
        for (stmt, field, value) in &self.fields {
            if value.kind() != "identifier" {
                continue;
            }
            let v = text(*value, parsed);
            let declared_before = children(parsed.root())
                .into_iter()
                .take_while(|top| top.start_byte() < decl.start_byte())
                .any(|top| declares(top, parsed, v));
            if !declared_before {
                return Some((line_of(f, *stmt), format!("`.{field} = {v}` cannot move into the initializer: `{v}` is declared after the class")));
            }
        }
        None
    }

    fn edits(
        &self,
        f: &SourceFile,
        parsed: &Parsed,
        decl: Node,
        name: &str,
        constant: bool,
    ) -> Result<Vec<Replacement>, (usize, String)> {
        let (create_stmt, call, if_stmt) = self.create.expect("checked: one create");
        let args: Vec<Node> = children(call.child_by_field_name("arguments").unwrap())
            .into_iter()
            .filter(|n| n.is_named() && n.kind() != "comment")
            .collect();
        let class_name = String::from_utf8_lossy(&f.bytes[args[1].byte_range()]).into_owned();
        // The error variable: one the check already assigns, or a local int.
        let consequence = if_stmt.child_by_field_name("consequence").unwrap();
        let mut edits = Vec::new();
        let assigned = find_ptr_err_assignment(consequence, parsed, name);
        let var = match assigned {
            Some((stmt, var)) => {
                let rest: Vec<Node> = children(consequence)
                    .into_iter()
                    .filter(|c| c.is_named() && *c != stmt)
                    .collect();
                if consequence.kind() == "compound_statement"
                    && rest.len() == 1
                    && rest[0].kind() != "comment"
                {
                    // `{ err = PTR_ERR(x); goto out; }` keeps one statement:
                    // kernel style drops the braces.
                    let cond_end = if_stmt.child_by_field_name("condition").unwrap().end_byte();
                    let line = whole_lines(&f.bytes, rest[0].byte_range());
                    let mut text = b"\n".to_vec();
                    text.extend_from_slice(
                        f.bytes[line.start..line.end]
                            .strip_suffix(b"\n")
                            .unwrap_or(&f.bytes[line.clone()]),
                    );
                    edits.push((cond_end..consequence.end_byte(), text));
                } else {
                    edits.push((whole_lines(&f.bytes, stmt.byte_range()), Vec::new()));
                }
                var
            }
            None => {
                let func = std::iter::successors(Some(create_stmt), |n| n.parent())
                    .find(|n| n.kind() == "function_definition")
                    .ok_or((
                        line_of(f, create_stmt),
                        "class_create() outside a function".to_string(),
                    ))?;
                local_error_var(func, parsed).ok_or_else(|| {
                    (
                        line_of(f, create_stmt),
                        format!(
                            "{} has no local error variable to hold class_register()'s result",
                            enclosing_function(create_stmt, parsed.text()).unwrap_or_default()
                        ),
                    )
                })?
            }
        };
        edits.push((
            create_stmt.named_child(0).unwrap().byte_range(),
            format!("{var} = class_register(&{name})").into_bytes(),
        ));
        let cond = if_stmt.child_by_field_name("condition").unwrap();
        edits.push((cond.byte_range(), format!("({var})").into_bytes()));
        for ptr in find_calls(consequence, parsed, "PTR_ERR") {
            if !edits.iter().any(|(r, _)| r.contains(&ptr.start_byte())) {
                edits.push((ptr.byte_range(), var.clone().into_bytes()));
            }
        }
        for d in &self.destroys {
            edits.push((
                d.byte_range(),
                format!("class_unregister(&{name})").into_bytes(),
            ));
        }
        for a in &self.addresses {
            edits.push((a.byte_range(), format!("&{name}").into_bytes()));
        }
        let mut init = format!(
            "static {}struct class {name} = {{\n\t.name = {class_name},\n",
            if constant { "const " } else { "" }
        );
        for (stmt, field, value) in &self.fields {
            init.push_str(&format!(
                "\t.{field} = {},\n",
                String::from_utf8_lossy(&f.bytes[value.byte_range()])
            ));
            edits.push((whole_lines(&f.bytes, stmt.byte_range()), Vec::new()));
        }
        init.push_str("};");
        edits.push((decl.byte_range(), init.into_bytes()));
        Ok(edits)
    }
}

fn declares(top: Node, parsed: &Parsed, name: &str) -> bool {
    let mut stack = vec![top];
    while let Some(n) = stack.pop() {
        if n.kind() == "function_definition" || n.kind() == "declaration" {
            if let Some(d) = n.child_by_field_name("declarator") {
                let mut cur = Some(d);
                while let Some(c) = cur {
                    if c.kind() == "identifier" {
                        if text(c, parsed) == name {
                            return true;
                        }
                        break;
                    }
                    cur = c.child_by_field_name("declarator");
                }
            }
        }
        if n.kind() == "translation_unit" || n.kind() == "preproc_ifdef" || n.kind() == "preproc_if"
        {
            stack.extend(children(n));
        }
    }
    false
}

fn find_calls<'a>(n: Node<'a>, parsed: &Parsed, callee: &str) -> Vec<Node<'a>> {
    let mut out = Vec::new();
    let mut stack = vec![n];
    while let Some(x) = stack.pop() {
        if x.kind() == "call_expression"
            && x.child_by_field_name("function")
                .is_some_and(|c| text(c, parsed) == callee)
        {
            out.push(x);
        }
        stack.extend(children(x));
    }
    out
}

/// `VAR = PTR_ERR(NAME);` inside the error check: the statement and VAR.
fn find_ptr_err_assignment<'a>(
    n: Node<'a>,
    parsed: &Parsed,
    name: &str,
) -> Option<(Node<'a>, String)> {
    let mut stack = vec![n];
    while let Some(x) = stack.pop() {
        if x.kind() == "expression_statement" {
            if let Some(a) = x
                .named_child(0)
                .filter(|a| a.kind() == "assignment_expression")
            {
                let right = a
                    .child_by_field_name("right")
                    .map(|r| text(r, parsed).split_whitespace().collect::<String>());
                if right.as_deref() == Some(&format!("PTR_ERR({name})")) {
                    return Some((x, text(a.child_by_field_name("left")?, parsed).to_string()));
                }
            }
        }
        stack.extend(children(x));
    }
    None
}

fn local_error_var(func: Node, parsed: &Parsed) -> Option<String> {
    let body = func.child_by_field_name("body")?;
    let locals: Vec<String> = children(body)
        .into_iter()
        .filter(|d| {
            d.kind() == "declaration"
                && d.child_by_field_name("type")
                    .is_some_and(|t| text(t, parsed) == "int")
        })
        .flat_map(|d| {
            children(d)
                .into_iter()
                .filter_map(|c| match c.kind() {
                    "identifier" => Some(text(c, parsed).to_string()),
                    "init_declarator" => c
                        .child_by_field_name("declarator")
                        .map(|x| text(x, parsed).to_string()),
                    _ => None,
                })
                .collect::<Vec<_>>()
        })
        .collect();
    ERROR_VARS
        .iter()
        .find(|v| locals.iter().any(|l| l == *v))
        .map(|v| v.to_string())
}
