//! Running a pattern's declarative rules over one parsed file: node rules
//! on every node, statement sequences on every block, each match checked
//! against the rule's `where` and turned into a site and its edits.

use crate::edit::Edit;
use crate::model::{first_line_excerpt, Note, Site, Verdict};
use crate::parse::{children, function_name, ErrorMap, LineIndex, Parsed};
use crate::pattern::constraint::{check_where, Match, TreeFacts};
use crate::pattern::fix::{changes, FixCx, Refusal};
use crate::pattern::matcher::Cx;
use crate::pattern::message::{render_message, JoinText, NoteTemplate};
use crate::pattern::references::RuleCx;
use crate::pattern::sequence::{statements, Judge, SeqMatch};
use crate::pattern::snippet::Captures;
use crate::pattern::{Pattern, Rule, SeqRule, Shape};
use std::collections::HashSet;
use tree_sitter::Node;

/// Sites and edits one file yields; edit `site` fields index `sites`.
#[derive(Default)]
pub struct FileMatches {
    pub sites: Vec<Site>,
    pub edits: Vec<Edit>,
}

/// One file as the rules see it.
struct FileRun<'a> {
    pattern: &'a Pattern,
    rel: &'a str,
    original: &'a [u8],
    parsed: &'a Parsed,
    errors: ErrorMap,
    facts: crate::pattern::constraint::FileFacts<'a>,
    /// The answers of the pattern's `probes` on this tree.
    probes: &'a [bool],
    hits: &'a crate::pattern::needs::WordHits,
}

impl<'a> FileRun<'a> {
    /// What matching in this file needs, knowing no node's place yet.
    fn cx(&self) -> Cx<'a> {
        Cx {
            text: self.parsed.text(),
            original: self.original,
            utils: &self.pattern.utils,
            root: self.parsed.root(),
            parent_of: None,
            path: None,
            hits: self.hits,
        }
    }
}

/// Applies the rules of `pattern` to every node of `parsed`; the first
/// rule that matches a node decides it, and its subtree is not searched
/// again (a rewrite there would conflict with the outer one). In a block,
/// the statement sequences go first: the statements they match are
/// decided by them.
pub fn run_rules(pattern: &Pattern, rel: &str, original: &[u8], parsed: &Parsed) -> FileMatches {
    run_rules_in_tree(pattern, rel, original, parsed, &TreeFacts::Absent, &[])
}

/// `run_rules`, with what the tree says about functions of other files
/// and the answers of the pattern's `probes` (a probe not answered is
/// `false`).
pub fn run_rules_in_tree(
    pattern: &Pattern,
    rel: &str,
    original: &[u8],
    parsed: &Parsed,
    tree: &TreeFacts,
    probes: &[bool],
) -> FileMatches {
    let hits = crate::pattern::needs::WordHits::default();
    let run = FileRun {
        pattern,
        rel,
        original,
        parsed,
        errors: ErrorMap::of(&parsed.tree),
        facts: crate::pattern::constraint::FileFacts::new(parsed, rel, tree),
        probes,
        hits: &hits,
    };
    let cx = run.cx();
    let mut out = FileMatches::default();
    // A rule whose words the file lacks cannot match in it.
    let live: Vec<&Rule> = (pattern.rules.iter())
        .filter(|r| r.may_match_in(original))
        .collect();
    // Each node travels with the function definition around it and its
    // depth, and `path` holds its ancestors: looking them up through
    // `Node::parent` would cost the square of the depth.
    let mut stack = vec![(parsed.root(), None, 0)];
    let mut path: Vec<Node> = Vec::new();
    while let Some((node, def, depth)) = stack.pop() {
        path.truncate(depth);
        let def = if node.kind() == "function_definition" {
            Some(node)
        } else {
            def
        };
        if !live.iter().any(|r| may_hold_match(&run, r, node)) {
            continue;
        }
        let mut decided = HashSet::new();
        if node.kind() == "compound_statement" {
            decided = run_sequences(&run, &cx, node, def, &mut out);
        }
        if let Some((rule, caps)) = (live.iter())
            .find_map(|r| node_match(&run, &cx.within(node, &path), r, node).map(|c| (r, c)))
        {
            let m = Match::single(node);
            record(&run, rule, &caps, &m, def, &mut out);
            if !rule.descend {
                continue;
            }
        }
        let kids = children(node)
            .into_iter()
            .filter(|c| !decided.contains(&c.id()));
        stack.extend(kids.rev().map(|c| (c, def, depth + 1)));
        path.push(node);
    }
    out
}

/// Whether `node` (or a node below it) may be one `rule` matches: its
/// text holds one of the words every such node holds, when they are known.
fn may_hold_match(run: &FileRun, rule: &Rule, node: Node) -> bool {
    let Some(words) = &rule.node_words else {
        return true;
    };
    let texts = crate::pattern::needs::Texts {
        masked: run.parsed.text(),
        original: run.original,
    };
    let key = rule as *const Rule as usize;
    (run.hits).any_within(key, words, texts, node.byte_range())
}

/// Whether node rule `rule` matches `node`, with its captures.
fn node_match<'f>(run: &FileRun<'f>, cx: &Cx, rule: &Rule, node: Node<'f>) -> Option<Captures> {
    let Shape::Node(matcher) = &rule.shape else {
        return None;
    };
    if !probes_hold(run, rule) {
        return None;
    }
    let mut caps = Captures::new();
    if !matcher.matches(node, cx, &mut caps) {
        return None;
    }
    caps.insert("MATCH".into(), node.byte_range());
    let m = Match::single(node);
    let found = check_where(rule, &m, &mut caps, cx, &run.facts)
        && (rule.problems.is_empty() || finds_a_problem(run, rule, &caps, &m));
    found.then_some(caps)
}

/// Whether one of the rule's `problems` is there: its capture bound, or
/// a node its `each` finds.
fn finds_a_problem<'f>(run: &FileRun<'f>, rule: &Rule, caps: &Captures, m: &Match<'f>) -> bool {
    let file_cx = run.cx();
    let rcx = RuleCx {
        cx: &file_cx,
        facts: &run.facts,
        m,
    };
    rule.problems.iter().any(|p| match &p.each {
        Some((within, r)) => {
            !crate::pattern::references::each_within(r, within, caps, &rcx).is_empty()
        }
        None => caps.get(p.at.as_str()).is_some(),
    })
}

/// Whether the tree answered the rule's probes as it needs.
fn probes_hold(run: &FileRun, rule: &Rule) -> bool {
    rule.probes
        .iter()
        .all(|(i, want)| run.probes.get(*i).copied().unwrap_or(false) == *want)
}

/// Every sequence rule over the statements of `block`, each match recorded;
/// returns the statements matched.
fn run_sequences<'f>(
    run: &FileRun<'f>,
    cx: &Cx,
    block: Node<'f>,
    def: Option<Node>,
    out: &mut FileMatches,
) -> HashSet<usize> {
    let stmts = statements(block);
    let mut decided = HashSet::new();
    for rule in &run.pattern.rules {
        let Shape::Sequence(seq_rule) = &rule.shape else {
            continue;
        };
        if !probes_hold(run, rule) || !seq_rule.block.matches(block, cx, &mut Captures::new()) {
            continue;
        }
        let judge = SeqJudge {
            run,
            cx,
            rule,
            seq_rule,
        };
        let mut from = 0;
        while let Some((m, caps)) = seq_rule.seq.find(&stmts, from, cx.text, &judge) {
            let last = m.stmts.last().expect("a sequence has statements");
            from = stmts
                .iter()
                .position(|s| s == last)
                .expect("matched in this block")
                + 1;
            if m.stmts.iter().any(|s| decided.contains(&s.id())) {
                continue;
            }
            decided.extend(m.stmts.iter().map(|s| s.id()));
            let found = Match::of(&m);
            record(run, rule, &caps, &found, def, out);
        }
    }
    decided
}

/// Gaps and whole matches of a sequence rule, judged by its `when` and
/// `where`.
struct SeqJudge<'r, 'f, 'c> {
    run: &'r FileRun<'f>,
    cx: &'r Cx<'c>,
    rule: &'r Rule,
    seq_rule: &'r SeqRule,
}

impl<'t> Judge<'t> for SeqJudge<'_, '_, '_> {
    fn gap(&self, gap: &[Node<'t>], caps: &mut Captures) -> bool {
        let any_node = |m: &crate::pattern::matcher::Matcher, caps: &mut Captures| {
            gap.iter().any(|s| {
                m.matches(*s, self.cx, caps) || descendants(*s).any(|d| m.matches(d, self.cx, caps))
            })
        };
        let clear = self
            .seq_rule
            .when_not
            .as_ref()
            .is_none_or(|m| !any_node(m, &mut caps.clone()));
        clear
            && self
                .seq_rule
                .when_has
                .as_ref()
                .is_none_or(|m| any_node(m, caps))
    }

    fn accept(&self, m: &SeqMatch<'t>, caps: &mut Captures) -> bool {
        let mut trial = caps.clone();
        for (i, s) in m.stmts.iter().enumerate() {
            trial.insert(format!("STMT{}", i + 1).into(), s.byte_range());
        }
        let (first, last) = (m.stmts[0], m.stmts[m.stmts.len() - 1]);
        trial.insert("MATCH".into(), first.start_byte()..last.end_byte());
        let ok = check_where(
            self.rule,
            &Match::of(m),
            &mut trial,
            self.cx,
            &self.run.facts,
        );
        if ok {
            *caps = trial;
        }
        ok
    }
}

fn descendants(node: Node) -> impl Iterator<Item = Node> {
    let mut stack: Vec<Node> = children(node);
    std::iter::from_fn(move || {
        let n = stack.pop()?;
        stack.extend(children(n));
        Some(n)
    })
}

/// Fits a rendered replacement into its lines: an empty replacement of a
/// node alone on its lines removes those lines, and a rewritten
/// initializer entry keeps its `=` in the column it had.
pub(crate) fn layout(
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

/// Records a match: its site, and its edits when the rule fixes it.
fn record<'f>(
    run: &FileRun<'f>,
    rule: &Rule,
    caps: &Captures,
    m: &Match<'f>,
    def: Option<Node>,
    out: &mut FileMatches,
) {
    let node = m.anchor;
    let (line, column) = run.parsed.line_col(node.start_byte());
    let mut verdict = rule.verdict;
    let matcher_cx = run.cx();
    let rcx = RuleCx {
        cx: &matcher_cx,
        facts: &run.facts,
        m,
    };
    let texts = joined(run, &rcx, &rule.joins, caps);
    let mut reason = rule.reason.as_deref().map(|r| {
        let r = crate::pattern::references::expand(r, &texts);
        render_message(&r, caps, run.original, run.parsed).unwrap_or(r)
    });
    let mut notes = rendered(run, &rcx, &rule.notes, caps, &texts);
    if !rule.problems.is_empty() {
        // The earliest problem is the reason, the others come first
        // among the notes.
        let mut problems = rendered(run, &rcx, &rule.problems, caps, &texts);
        problems.sort_by_key(|p| p.line);
        if !problems.is_empty() {
            reason = Some(problems.remove(0).message);
        }
        problems.append(&mut notes);
        notes = problems;
    }
    let mut edits = Vec::new();
    let refused = m.nodes().find_map(|n| run.errors.refusal(n));
    if let Some(why) = refused {
        verdict = Verdict::Unparsed;
        reason = Some(why);
    } else if let Some(fix) = &rule.fix {
        let cx = FixCx {
            original: run.original,
            parsed: run.parsed,
            errors: &run.errors,
            caps,
            anchor: node,
            rules: Some(rcx),
        };
        match changes(fix, &cx) {
            Ok(list) => edits = list,
            Err(Refusal::Unparsed(why)) => (verdict, reason) = (Verdict::Unparsed, Some(why)),
            Err(Refusal::Manual(why)) => (verdict, reason) = (Verdict::Manual, Some(why)),
        }
    }
    let site = out.sites.len();
    out.edits.extend(
        edits
            .into_iter()
            .map(|(range, new)| Edit::minimal(run.original, range, new, site)),
    );
    out.sites.push(Site {
        pattern: run.pattern.id.clone(),
        rule: rule.id.clone(),
        file: run.rel.to_string(),
        line,
        column,
        context: site_context(def, node, run.parsed),
        verdict,
        reason,
        snippet: first_line_excerpt(run.original, node.start_byte()),
        notes,
        group: run.rel.to_string(),
    });
}

/// The notes of a match: one per plain note whose capture it bound, one
/// per node an `each` note finds.
fn rendered(
    run: &FileRun,
    rcx: &RuleCx,
    templates: &[NoteTemplate],
    caps: &Captures,
    texts: &[(String, Vec<u8>)],
) -> Vec<Note> {
    let mut out = Vec::new();
    for n in templates {
        let each = match &n.each {
            Some((within, r)) => crate::pattern::references::each_within(r, within, caps, rcx),
            None => vec![caps.clone()],
        };
        out.extend(
            (each.iter()).filter_map(|own| n.render(own, texts, run.rel, run.original, run.parsed)),
        );
    }
    out
}

/// The texts of the rule's `join`s for a match: per join, the nodes it
/// finds rendered and joined, or their number.
fn joined(
    run: &FileRun,
    rcx: &RuleCx,
    joins: &[JoinText],
    caps: &Captures,
) -> Vec<(String, Vec<u8>)> {
    let mut texts = Vec::new();
    for j in joins {
        let (within, rule) = &j.each;
        let found = crate::pattern::references::each_within(rule, within, caps, rcx);
        let text = match &j.item {
            None => found.len().to_string(),
            Some(item) => (found.iter())
                .filter_map(|own| render_message(item, own, run.original, run.parsed).ok())
                .collect::<Vec<_>>()
                .join(&j.separator),
        };
        texts.push((j.into.clone(), text.into_bytes()));
    }
    texts
}

/// The function around a site, or for an initializer entry at file scope
/// the variable it initializes.
fn site_context(def: Option<Node>, node: Node, parsed: &Parsed) -> Option<String> {
    if let Some(name) = def.and_then(|d| function_name(d, parsed.text())) {
        return Some(name);
    }
    let mut up = node.parent();
    while let Some(n) = up {
        if n.kind() == "init_declarator" {
            let decl = n.child_by_field_name("declarator")?;
            let id = crate::pattern::dataflow::declared_name(decl)?;
            return id.utf8_text(parsed.text()).ok().map(str::to_owned);
        }
        up = n.parent();
    }
    None
}
