//! `platform-remove-void`: a platform driver's `.remove` callback returns
//! `int`, but the driver core ignores the value and unbinds anyway. The
//! callback becomes `void`, with every prototype, and the initializer moves
//! to the tree's void member (`.remove_new` while both exist, `.remove`
//! once it returns void).
//!
//! Per callback: `auto` when every return is `return 0;`, `needs-prep`
//! when a path returns anything else (each such return is a note),
//! `manual` when the function is used in a way that needs its `int` or
//! cannot be found, `unparsed` when the parser could not read it. A
//! callback shared by several drivers is one group: converted once, with
//! its prototypes and every initializer pointing at it.

use super::Transform;
use crate::c_util::{remove_statement, text, whole_lines, with_blank_line_before};
use crate::edit::Edit;
use crate::model::{excerpt, Finding, Note, Site, Verdict};
use crate::parse::{children, function_name, parse_focused, ErrorMap, Parsed};
use crate::services::{TransformCtx, TransformOutput};
use crate::tree::SourceFile;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use tree_sitter::Node;

pub struct PlatformRemoveVoid;

/// Which member a converted driver must set.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Target {
    RemoveNew,
    Remove,
}

fn target_member(ctx: &TransformCtx) -> Target {
    const HEADER: &str = "include/linux/platform_device.h";
    let void_remove = r"void\s*\(\s*\*\s*remove\s*\)\s*\(\s*struct\s+platform_device\s*\*";
    if ctx.probe(HEADER, void_remove) || !ctx.probe(HEADER, "remove_new") {
        // Without either the engine's `requires` probe blocks every site.
        Target::Remove
    } else {
        Target::RemoveNew
    }
}

/// A `.remove = FN` in a `struct platform_driver` initializer.
#[derive(Debug, Clone)]
struct Initializer {
    file: String,
    /// The object being initialized (`foo_driver`).
    object: String,
    /// `remove`, or `remove_new` (already converted).
    member: String,
    callback: Option<String>,
    line: usize,
    column: usize,
    /// Bytes of the designator `remove` (the word after the dot).
    designator: std::ops::Range<usize>,
    /// Whitespace between the designator and `=`.
    gap: std::ops::Range<usize>,
    /// The whole `.remove = FN,` line, for --drop-empty.
    line_range: std::ops::Range<usize>,
    unreadable: Option<String>,
    snippet: String,
}

/// Where a callback is defined, declared and used.
#[derive(Debug, Default, Clone)]
struct Symbol {
    definitions: Vec<Definition>,
    prototypes: Vec<(String, std::ops::Range<usize>, usize)>,
    /// Uses that are neither a platform_driver `.remove` nor a plain call
    /// statement: (file, line, what).
    incompatible_uses: Vec<(String, usize, String)>,
}

#[derive(Debug, Clone)]
struct Definition {
    file: String,
    line: usize,
    is_static: bool,
    /// The `int` of the return type.
    return_type: Option<std::ops::Range<usize>>,
    /// The function already returns void: the driver is converted.
    returns_void: bool,
    returns: Vec<Return>,
    unreadable: Option<String>,
    /// Bytes of the whole definition line span, for --drop-empty.
    span: std::ops::Range<usize>,
    /// Whether the body holds nothing but the final `return 0;`.
    empty_after: bool,
}

#[derive(Debug, Clone)]
struct Return {
    line: usize,
    zero: bool,
    last: bool,
    range: std::ops::Range<usize>,
    text: String,
}

impl Transform for PlatformRemoveVoid {
    fn name(&self) -> &'static str {
        "platform-remove-void"
    }

    fn run(&self, ctx: &TransformCtx) -> TransformOutput {
        let target = target_member(ctx);
        let mut out = TransformOutput::default();
        let (mut inits, local) = walked_initializers(ctx, &mut out);
        let symbols = resolve_callbacks(ctx, &mut inits, &local, &mut out);
        let reader = FileReader::new(ctx);
        for ((scope, name), members) in group_by_callback(inits, &symbols) {
            let group = Group {
                ctx,
                reader: &reader,
                name: &name,
                members,
                symbol: symbols.get(&(scope.clone(), name.clone())),
            };
            decide_group(&group, target, &mut out);
        }
        out
    }
}

/// A callback's key: the file it is static in ("" when global), its name.
type CallbackKey = (String, String);

/// Per candidate file, the symbols it defines for its initializers.
type SymbolsByFile = BTreeMap<String, BTreeMap<String, Symbol>>;

/// Step 1: the initializers of the candidate files not converted yet
/// (the converted ones become sites here), and per file the symbols it
/// defines for them.
fn walked_initializers(
    ctx: &TransformCtx,
    out: &mut TransformOutput,
) -> (Vec<Initializer>, SymbolsByFile) {
    let per_file: Vec<(Vec<Initializer>, BTreeMap<String, Symbol>)> =
        ctx.each_parsed(Some(&focus_words), |p| {
            let inits = initializers(p.file, p.parsed, p.errors);
            let names: BTreeSet<String> = inits.iter().filter_map(|i| i.callback.clone()).collect();
            let symbols = if names.is_empty() {
                BTreeMap::new()
            } else {
                symbols_in(p.file, p.parsed, p.errors, &names)
            };
            (inits, symbols)
        });
    let mut inits: Vec<Initializer> = Vec::new();
    let mut local = SymbolsByFile::new();
    for (f, (i, s)) in ctx.candidates.iter().zip(per_file) {
        inits.extend(i);
        local.insert(f.rel.clone(), s);
    }
    // `.remove_new = FN` is the converted form whatever FN looks like.
    let (converted, legacy): (Vec<Initializer>, Vec<Initializer>) =
        inits.into_iter().partition(|i| i.member == "remove_new");
    for c in converted {
        out.sites.push(converted_site(ctx, &c));
    }
    (legacy, local)
}

/// Step 2: callbacks that are not a static function of their own file are
/// looked up across the tree (definitions, prototypes, other users); the
/// initializers found outside the walk join `inits`.
fn resolve_callbacks(
    ctx: &TransformCtx,
    inits: &mut Vec<Initializer>,
    local: &SymbolsByFile,
    out: &mut TransformOutput,
) -> BTreeMap<CallbackKey, Symbol> {
    let mut symbols: BTreeMap<CallbackKey, Symbol> = BTreeMap::new();
    let mut global_names = BTreeSet::new();
    for init in inits.iter() {
        let Some(name) = &init.callback else { continue };
        let sym = local.get(&init.file).and_then(|m| m.get(name));
        match sym.filter(|s| {
            s.definitions
                .iter()
                .any(|d| d.file == init.file && d.is_static)
        }) {
            Some(s) => {
                symbols.insert((init.file.clone(), name.clone()), s.clone());
            }
            None => {
                global_names.insert(name.clone());
            }
        }
    }
    let (global, lookup_findings, extra_inits) = lookup_tree(ctx, &global_names);
    out.findings.extend(lookup_findings);
    for init in extra_inits {
        if !inits
            .iter()
            .any(|i| i.file == init.file && i.line == init.line)
        {
            inits.push(init);
        }
    }
    for (name, sym) in global {
        symbols.insert((String::new(), name), sym);
    }
    symbols
}

/// Step 3: the initializers grouped by the callback they name (one
/// without a function name is a group of its own).
fn group_by_callback(
    inits: Vec<Initializer>,
    symbols: &BTreeMap<CallbackKey, Symbol>,
) -> BTreeMap<CallbackKey, Vec<Initializer>> {
    let mut groups: BTreeMap<CallbackKey, Vec<Initializer>> = BTreeMap::new();
    for init in inits {
        let key = match &init.callback {
            Some(name) if symbols.contains_key(&(init.file.clone(), name.clone())) => {
                (init.file.clone(), name.clone())
            }
            Some(name) => (String::new(), name.clone()),
            None => (
                init.file.clone(),
                format!("<{}:{}>", init.object, init.line),
            ),
        };
        groups.entry(key).or_default().push(init);
    }
    groups
}

/// What a candidate file's parse must cover: its platform_driver
/// initializers and everything that mentions a remove callback they name.
fn focus_words(bytes: &[u8]) -> Vec<&[u8]> {
    static CALLBACK: std::sync::OnceLock<regex::bytes::Regex> = std::sync::OnceLock::new();
    let re = CALLBACK.get_or_init(|| {
        regex::bytes::Regex::new(
            r"\.remove\s*=\s*(?:__(?:dev)?exit_p\s*\(\s*)?([A-Za-z_][A-Za-z0-9_]*)",
        )
        .expect("static regex")
    });
    let mut words: Vec<&[u8]> = vec![b"platform_driver"];
    words.extend(
        re.captures_iter(bytes)
            .filter_map(|c| c.get(1))
            .map(|m| m.as_bytes()),
    );
    words
}

/// The bytes of a file an edit goes into: a candidate already read, or
/// (a helper's file outside the walk) read now.
struct FileReader<'a> {
    root: &'a std::path::Path,
    by_path: std::collections::HashMap<&'a str, &'a [u8]>,
}

impl<'a> FileReader<'a> {
    fn new(ctx: &'a TransformCtx) -> Self {
        FileReader {
            root: ctx.root,
            by_path: ctx
                .candidates
                .iter()
                .map(|f| (f.rel.as_str(), f.bytes.as_slice()))
                .collect(),
        }
    }

    fn read(&self, rel: &str) -> Option<std::borrow::Cow<'a, [u8]>> {
        match self.by_path.get(rel) {
            Some(b) => Some(std::borrow::Cow::Borrowed(*b)),
            None => crate::tree::read_source(self.root, rel)
                .ok()
                .map(|f| std::borrow::Cow::Owned(f.bytes)),
        }
    }
}

/// One callback and the initializers that point at it.
struct Group<'a> {
    ctx: &'a TransformCtx<'a>,
    reader: &'a FileReader<'a>,
    name: &'a str,
    members: Vec<Initializer>,
    symbol: Option<&'a Symbol>,
}

impl Group<'_> {
    fn definition(&self) -> Option<&Definition> {
        self.symbol.and_then(|s| s.definitions.first())
    }
}

/// A group's verdict, reason and notes; `None` when the callback already
/// returns void (its drivers are converted).
type Judgement = Option<(Verdict, Option<String>, Vec<Note>)>;

/// Step 4: the group's sites and, when `auto`, its edits.
fn decide_group(g: &Group, target: Target, out: &mut TransformOutput) {
    let Some((verdict, reason, notes)) = judge(g) else {
        for m in &g.members {
            out.sites.push(converted_site(g.ctx, m));
        }
        return;
    };
    let first_site = push_sites(g, verdict, reason, notes, out);
    if verdict != Verdict::Auto {
        return;
    }
    let d = g.definition().expect("auto implies a definition");
    let m = &g.members[0];
    let drop = g.ctx.options.drop_empty
        && d.empty_after
        && d.is_static
        && g.members.len() == 1
        && d.file == m.file;
    let Some(def_bytes) = g.reader.read(&d.file) else {
        out.findings.push(Finding::error(
            &d.file,
            Some(d.line),
            "cannot re-read the file defining the callback",
        ));
        return;
    };
    if drop {
        drop_callback(g, d, &def_bytes, first_site, out);
        return;
    }
    make_void(g, d, &def_bytes, first_site, out);
    if target == Target::RemoveNew {
        rename_members(g, first_site, out);
    }
}

/// Why the group cannot be converted as it is, checked in this order:
/// its initializers, the callback's definition, its other uses, then
/// its returns.
fn judge(g: &Group) -> Judgement {
    let (name, members, symbol) = (g.name, &g.members, g.symbol);
    if let Some(bad) = members.iter().find(|m| m.unreadable.is_some()) {
        return Some((Verdict::Unparsed, bad.unreadable.clone(), vec![]));
    }
    let manual = |why: String, notes: Vec<Note>| Some((Verdict::Manual, Some(why), notes));
    if members[0].callback.is_none() {
        let value = members[0].snippet.split('=').nth(1).unwrap_or("");
        let value = value.trim().trim_end_matches(',');
        return manual(
            format!("`.remove` is set to `{value}`, not a function name"),
            vec![],
        );
    }
    let Some(s) = symbol.filter(|s| !s.definitions.is_empty()) else {
        return manual(
            format!("no definition of `{name}` found in the tree (generated by a macro?)"),
            vec![],
        );
    };
    if s.definitions.len() > 1 {
        let notes = s.definitions.iter().map(|d| Note {
            file: d.file.clone(),
            line: d.line,
            message: "definition".into(),
        });
        return manual(
            format!(
                "`{name}` has {} definitions (alternatives under #ifdef?)",
                s.definitions.len()
            ),
            notes.collect(),
        );
    }
    let d = &s.definitions[0];
    if let Some(why) = d.unreadable.clone() {
        return Some((Verdict::Unparsed, Some(why), vec![]));
    }
    if d.returns_void {
        // `.remove = FN` with a void FN: a tree whose .remove returns void.
        return None;
    }
    if d.return_type.is_none() {
        return manual(format!("`{name}` does not return a plain `int`"), vec![]);
    }
    if !s.incompatible_uses.is_empty() {
        let notes = s.incompatible_uses.iter().map(|(f, l, w)| Note {
            file: f.clone(),
            line: *l,
            message: w.clone(),
        });
        return manual(
            format!(
                "`{name}` is also used in a way that needs its int ({} place(s))",
                s.incompatible_uses.len()
            ),
            notes.collect(),
        );
    }
    Some(returns_verdict(name, d))
}

/// `auto` when every return is `return 0;`, else `needs-prep` with the
/// other returns as notes.
fn returns_verdict(name: &str, d: &Definition) -> (Verdict, Option<String>, Vec<Note>) {
    let bad: Vec<&Return> = d.returns.iter().filter(|r| !r.zero).collect();
    if bad.is_empty() {
        return (Verdict::Auto, None, vec![]);
    }
    let reason = format!(
        "`{name}` returns a value other than 0 on {} path(s): make it log the error and carry on with the teardown first",
        bad.len()
    );
    let notes = bad.iter().map(|r| Note {
        file: d.file.clone(),
        line: r.line,
        message: r.text.clone(),
    });
    (Verdict::NeedsPrep, Some(reason), notes.collect())
}

/// One site per initializer, grouped under the helper when the callback
/// is shared or defined elsewhere; returns the index of the first.
fn push_sites(
    g: &Group,
    verdict: Verdict,
    reason: Option<String>,
    mut notes: Vec<Note>,
    out: &mut TransformOutput,
) -> usize {
    let (name, members, definition) = (g.name, &g.members, g.definition());
    let shared = members.len() > 1 || definition.is_some_and(|d| d.file != members[0].file);
    let group = if shared {
        format!("helper:{name}")
    } else {
        members[0].file.clone()
    };
    if let Some(d) = definition.filter(|d| shared || d.file != members[0].file) {
        notes.push(Note {
            file: d.file.clone(),
            line: d.line,
            message: format!("`{name}` is defined here"),
        });
    }
    let first_site = out.sites.len();
    for m in members {
        out.sites.push(Site {
            verdict,
            reason: reason.clone(),
            notes: notes.clone(),
            group: group.clone(),
            ..converted_site(g.ctx, m)
        });
    }
    first_site
}

/// --drop-empty: a static callback with nothing but `return 0;` goes, with
/// its prototypes and the `.remove = FN,` line.
fn drop_callback(
    g: &Group,
    d: &Definition,
    def_bytes: &[u8],
    first_site: usize,
    out: &mut TransformOutput,
) {
    out.add_edit(
        &d.file,
        def_bytes,
        Edit {
            range: with_blank_line_before(def_bytes, d.span.clone()),
            replacement: vec![],
            site: first_site,
        },
    );
    for p in &g.symbol.expect("a definition implies a symbol").prototypes {
        if let Some(bytes) = g.reader.read(&p.0) {
            out.add_edit(
                &p.0,
                &bytes,
                Edit {
                    range: whole_lines(&bytes, p.1.clone()),
                    replacement: vec![],
                    site: first_site,
                },
            );
        }
    }
    let m = &g.members[0];
    out.add_edit(
        &m.file,
        def_bytes,
        Edit {
            range: m.line_range.clone(),
            replacement: vec![],
            site: first_site,
        },
    );
}

/// The callback and its prototypes return void; `return 0;` becomes
/// `return;`, or goes when it is the last statement.
fn make_void(
    g: &Group,
    d: &Definition,
    def_bytes: &[u8],
    first_site: usize,
    out: &mut TransformOutput,
) {
    let rt = d.return_type.clone().expect("checked in judge");
    let edit = |range, replacement| Edit {
        range,
        replacement,
        site: first_site,
    };
    out.add_edit(&d.file, def_bytes, edit(rt, b"void".to_vec()));
    for r in &d.returns {
        let (range, replacement) = if r.last {
            remove_statement(def_bytes, r.range.clone())
        } else {
            (r.range.clone(), b"return;".to_vec())
        };
        out.add_edit(&d.file, def_bytes, edit(range, replacement));
    }
    for (file, range, _) in &g.symbol.expect("a definition implies a symbol").prototypes {
        if let Some(bytes) = g.reader.read(file) {
            out.add_edit(file, &bytes, edit(range.clone(), b"void".to_vec()));
        }
    }
}

/// `.remove = FN` becomes `.remove_new = FN`, its `=` kept aligned.
fn rename_members(g: &Group, first_site: usize, out: &mut TransformOutput) {
    for (k, m) in g.members.iter().enumerate() {
        let Some(bytes) = g.reader.read(&m.file) else {
            continue;
        };
        let edit = Edit {
            range: m.designator.start..m.gap.end,
            replacement: realign(&bytes, m, "remove_new"),
            site: first_site + k,
        };
        out.add_edit(&m.file, &bytes, edit);
    }
}

/// A driver already in the new form; the ledger counts these as applied.
fn converted_site(ctx: &TransformCtx, init: &Initializer) -> Site {
    let site = ctx.site(
        "remove-callback",
        &init.file,
        (init.line, init.column),
        init.snippet.clone(),
    );
    Site {
        context: Some(init.object.clone()),
        verdict: Verdict::Converted,
        ..site
    }
}

/// `remove\t\t` → `remove_new\t`: the `=` stays in the column it had, tab
/// width 8, when the gap was there to align it; a single space stays a
/// single space.
fn realign(bytes: &[u8], m: &Initializer, new_name: &str) -> Vec<u8> {
    let line_start = bytes[..m.designator.start]
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1);
    let target = crate::align::columns(&bytes[line_start..m.gap.end]);
    let mut prefix_and_word = bytes[line_start..m.designator.start].to_vec();
    prefix_and_word.extend_from_slice(new_name.as_bytes());
    let mut out = new_name.as_bytes().to_vec();
    out.extend(crate::align::gap_to_column(
        &prefix_and_word,
        &bytes[m.gap.clone()],
        target,
    ));
    out
}

/// Every `.remove = …` of a `struct platform_driver` initializer in `f`.
fn initializers(f: &SourceFile, parsed: &Parsed, errors: &ErrorMap) -> Vec<Initializer> {
    let mut out = Vec::new();
    let mut stack = vec![parsed.root()];
    while let Some(n) = stack.pop() {
        if n.kind() == "declaration" && is_platform_driver_type(n, parsed) {
            let mut c = n.walk();
            for decl in n.children_by_field_name("declarator", &mut c) {
                if decl.kind() != "init_declarator" {
                    continue;
                }
                let object = decl
                    .child_by_field_name("declarator")
                    .map(|d| text(d, parsed).to_string())
                    .unwrap_or_default();
                let Some(list) = decl
                    .child_by_field_name("value")
                    .filter(|v| v.kind() == "initializer_list")
                else {
                    continue;
                };
                for pair in (0..list.named_child_count()).filter_map(|i| list.named_child(i)) {
                    if let Some(init) = remove_pair(f, parsed, errors, pair, &object) {
                        out.push(init);
                    }
                }
            }
            continue;
        }
        stack.extend(children(n).into_iter().rev());
    }
    out
}

fn is_platform_driver_type(decl: Node, parsed: &Parsed) -> bool {
    decl.child_by_field_name("type").is_some_and(|t| {
        t.kind() == "struct_specifier"
            && t.child_by_field_name("name")
                .is_some_and(|n| text(n, parsed) == "platform_driver")
    })
}

fn remove_pair(
    f: &SourceFile,
    parsed: &Parsed,
    errors: &ErrorMap,
    pair: Node,
    object: &str,
) -> Option<Initializer> {
    if pair.kind() != "initializer_pair" {
        return None;
    }
    let designator = pair.child_by_field_name("designator")?;
    if designator.kind() != "field_designator" {
        return None;
    }
    let field = designator.named_child(0)?;
    let member = text(field, parsed);
    if member != "remove" && member != "remove_new" {
        return None;
    }
    let value = pair.child_by_field_name("value")?;
    let callback = match value.kind() {
        "identifier" => Some(text(value, parsed).to_string()),
        "call_expression" => {
            let func = value
                .child_by_field_name("function")
                .map(|x| text(x, parsed));
            let args = value.child_by_field_name("arguments")?;
            match (func, args.named_child_count()) {
                (Some("__exit_p" | "__devexit_p"), 1) => args
                    .named_child(0)
                    .filter(|a| a.kind() == "identifier")
                    .map(|a| text(a, parsed).to_string()),
                _ => None,
            }
        }
        _ => None,
    };
    let eq = (0..pair.child_count())
        .filter_map(|i| pair.child(i))
        .find(|c| c.kind() == "=")?;
    let (line, column) = parsed.line_col(field.start_byte());
    let line_range = whole_lines(&f.bytes, pair.start_byte()..pair.end_byte());
    let snippet = excerpt(&f.bytes[line_range.clone()]);
    Some(Initializer {
        file: f.rel.clone(),
        object: object.to_string(),
        member: member.to_string(),
        callback,
        line,
        column,
        designator: field.byte_range(),
        gap: field.end_byte()..eq.start_byte(),
        line_range,
        unreadable: errors.refusal(pair),
        snippet,
    })
}

/// Definitions, prototypes and other uses of `names` in one file.
fn symbols_in(
    f: &SourceFile,
    parsed: &Parsed,
    errors: &ErrorMap,
    names: &BTreeSet<String>,
) -> BTreeMap<String, Symbol> {
    let mut out: BTreeMap<String, Symbol> = BTreeMap::new();
    let mut stack = vec![parsed.root()];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "function_definition" => {
                if let Some(name) = function_name(n, parsed.text()).filter(|x| names.contains(x)) {
                    out.entry(name)
                        .or_default()
                        .definitions
                        .push(definition(f, parsed, errors, n));
                }
            }
            "declaration" | "field_declaration" => {
                if let Some(name) = prototype_name(n, parsed).filter(|x| names.contains(x)) {
                    if let Some(t) = int_type(n, parsed) {
                        let (line, _) = parsed.line_col(n.start_byte());
                        out.entry(name)
                            .or_default()
                            .prototypes
                            .push((f.rel.clone(), t, line));
                    }
                    continue;
                }
            }
            "identifier" => {
                let name = text(n, parsed);
                if names.contains(name) {
                    if let Some(what) = incompatible_use(n, parsed) {
                        let (line, _) = parsed.line_col(n.start_byte());
                        out.entry(name.to_string())
                            .or_default()
                            .incompatible_uses
                            .push((f.rel.clone(), line, what));
                    }
                }
            }
            _ => {}
        }
        stack.extend(children(n).into_iter().rev());
    }
    out
}

fn prototype_name(decl: Node, parsed: &Parsed) -> Option<String> {
    let d = decl.child_by_field_name("declarator")?;
    if d.kind() != "function_declarator" {
        return None;
    }
    let name = d.child_by_field_name("declarator")?;
    (name.kind() == "identifier").then(|| text(name, parsed).to_string())
}

/// The `int` of a function's return type, if that is what it returns
/// (not a pointer, not another type).
fn int_type(def: Node, parsed: &Parsed) -> Option<std::ops::Range<usize>> {
    let t = def.child_by_field_name("type")?;
    let decl = def.child_by_field_name("declarator")?;
    (t.kind() == "primitive_type"
        && text(t, parsed) == "int"
        && decl.kind() == "function_declarator")
        .then(|| t.byte_range())
}

fn definition(f: &SourceFile, parsed: &Parsed, errors: &ErrorMap, def: Node) -> Definition {
    let (line, _) = parsed.line_col(def.start_byte());
    let is_static = (0..def.child_count())
        .filter_map(|i| def.child(i))
        .any(|c| c.kind() == "storage_class_specifier" && text(c, parsed) == "static");
    let body = def.child_by_field_name("body");
    let last_stmt = body.and_then(|b| {
        (0..b.named_child_count())
            .rev()
            .filter_map(|i| b.named_child(i))
            .find(|c| c.kind() != "comment")
    });
    let mut returns = Vec::new();
    let mut stack: Vec<Node> = body.into_iter().collect();
    while let Some(n) = stack.pop() {
        if n.kind() == "return_statement" {
            let value = n.named_child(0).filter(|v| v.kind() != "comment");
            let zero =
                value.is_some_and(|v| v.kind() == "number_literal" && text(v, parsed) == "0");
            let (rl, _) = parsed.line_col(n.start_byte());
            returns.push(Return {
                line: rl,
                zero,
                last: Some(n.id()) == last_stmt.map(|l| l.id()),
                range: n.byte_range(),
                text: String::from_utf8_lossy(&f.bytes[n.byte_range()]).into_owned(),
            });
            continue;
        }
        stack.extend(children(n));
    }
    returns.sort_by_key(|r| r.range.start);
    let unreadable = errors.refusal(def).or_else(|| {
        errors
            .errors
            .iter()
            .find(|e| def.byte_range().contains(&e.range.start))
            .map(|e| {
                format!(
                    "the callback contains a region the parser could not read (line {})",
                    e.line
                )
            })
    });
    let empty_after = body.is_some_and(|b| {
        let inner: Vec<Node> = (0..b.named_child_count())
            .filter_map(|i| b.named_child(i))
            .collect();
        inner.len() == 1 && returns.len() == 1 && returns[0].last && returns[0].zero
    });
    let returns_void = def
        .child_by_field_name("type")
        .is_some_and(|t| text(t, parsed) == "void")
        && def
            .child_by_field_name("declarator")
            .is_some_and(|d| d.kind() == "function_declarator");
    Definition {
        file: f.rel.clone(),
        line,
        is_static,
        return_type: int_type(def, parsed),
        returns_void,
        returns,
        unreadable,
        span: def.byte_range(),
        empty_after,
    }
}

/// A use of the callback that needs it to return int: anything but the
/// `.remove = FN` of a platform_driver, a call whose value is discarded,
/// its own definition and prototypes.
fn incompatible_use(ident: Node, parsed: &Parsed) -> Option<String> {
    let parent = ident.parent()?;
    match parent.kind() {
        "function_declarator" => None,
        "call_expression" if parent.child_by_field_name("function") == Some(ident) => {
            let call_parent = parent.parent()?;
            if call_parent.kind() == "expression_statement" {
                None
            } else {
                Some(format!(
                    "its return value is used: `{}`",
                    text(call_parent, parsed)
                        .lines()
                        .next()
                        .unwrap_or("")
                        .trim()
                ))
            }
        }
        "initializer_pair" => {
            let field = parent
                .child_by_field_name("designator")
                .and_then(|d| d.named_child(0))
                .map(|f| text(f, parsed));
            let decl = ancestor(parent, "declaration");
            if matches!(field, Some("remove" | "remove_new"))
                && decl.is_some_and(|d| is_platform_driver_type(d, parsed))
            {
                None
            } else {
                Some(format!(
                    "stored as `.{}` of another structure",
                    field.unwrap_or("?")
                ))
            }
        }
        "argument_list" => {
            // `__exit_p(FN)` in a platform_driver initializer is the same as FN.
            let call = parent.parent()?;
            let func = call
                .child_by_field_name("function")
                .map(|x| text(x, parsed));
            if matches!(func, Some("__exit_p" | "__devexit_p")) {
                incompatible_use(call, parsed)
            } else if func.is_some_and(|f| f.starts_with("EXPORT_SYMBOL")) {
                None // exporting the symbol does not care about its type
            } else {
                Some(format!("passed to `{}`", func.unwrap_or("?")))
            }
        }
        _ => Some(format!(
            "used in `{}`",
            text(parent, parsed).lines().next().unwrap_or("").trim()
        )),
    }
}

fn ancestor<'a>(n: Node<'a>, kind: &str) -> Option<Node<'a>> {
    std::iter::successors(n.parent(), |p| p.parent()).find(|p| p.kind() == kind)
}

/// Looks `names` up in the whole tree through the engine's symbol index
/// (not only the walked paths: a shared helper's prototype sits in
/// `include/`, and its other users anywhere), then reads the files that
/// mention them closer. Returns symbols, findings, and initializers found
/// outside the walk.
fn lookup_tree(
    ctx: &TransformCtx,
    names: &BTreeSet<String>,
) -> (BTreeMap<String, Symbol>, Vec<Finding>, Vec<Initializer>) {
    if names.is_empty() {
        return (BTreeMap::new(), vec![], vec![]);
    }
    let (index, findings) = ctx.symbols(names);
    let results: Vec<(BTreeMap<String, Symbol>, Vec<Initializer>)> = index
        .files()
        .par_iter()
        .map(|f| {
            let present = index.names_in(f);
            let words: Vec<&[u8]> = present.iter().map(|n| n.as_bytes()).collect();
            let parsed = parse_focused(&f.bytes, &words);
            let errors = ErrorMap::of(&parsed.tree);
            let mut syms = symbols_in(f, &parsed, &errors, &present);
            // A file with its own static function of that name speaks of
            // another function: nothing in it concerns the global one.
            syms.retain(|n, _| !index.static_in(n, &f.rel));
            let inits = initializers(f, &parsed, &errors)
                .into_iter()
                .filter(|i| {
                    i.callback
                        .as_ref()
                        .is_some_and(|c| present.contains(c) && !index.static_in(c, &f.rel))
                })
                .collect();
            (syms, inits)
        })
        .collect();
    let mut merged: BTreeMap<String, Symbol> = BTreeMap::new();
    let mut inits = Vec::new();
    for (syms, i) in results {
        inits.extend(i);
        for (name, s) in syms {
            let m = merged.entry(name).or_default();
            m.definitions.extend(s.definitions);
            m.prototypes.extend(s.prototypes);
            m.incompatible_uses.extend(s.incompatible_uses);
        }
    }
    (merged, findings, inits)
}
