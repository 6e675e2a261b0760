//! One run of patterns over a tree: walk → prefilter → parse → match →
//! edit → rewrite check (each edited item re-parsed). The output feeds `scan`, `rewrite`, `series` and the ledger.

use crate::edit::{apply, check_rewrite, check_rewrite_within, Edit};
use crate::model::{first_line_excerpt, FileChange, Finding, Note, Site, Verdict};
use crate::parse::{line_col, parse_focused, ErrorMap};
use crate::pattern::constraint::TreeFacts;
use crate::pattern::Pattern;
use crate::rules::run_rules_in_tree;
use crate::services::{Services, TransformCtx, TransformOutput};
use crate::tree::{list_sources, read_filtered, SourceFile};
use anyhow::Result;
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

pub use crate::options::RunOptions;

pub use model::scan::{InterfaceStatus, ScanStats as Stats};

pub struct Outcome {
    pub sites: Vec<Site>,
    pub changes: Vec<FileChange>,
    pub findings: Vec<Finding>,
    pub interfaces: Vec<InterfaceStatus>,
    pub stats: Stats,
}

/// Runs `patterns` over the tree at `root`.
pub fn run(root: &Path, patterns: &[&Pattern], opts: &RunOptions) -> Result<Outcome> {
    let (files, mut findings) = list_sources(root, &opts.paths)?;
    let (candidates, read_findings) = read_candidates(root, &files, patterns, opts.progress);
    findings.extend(read_findings);
    let interfaces = interface_statuses(root, patterns);
    let candidate_count = candidates.len();
    let per_pattern = split_per_pattern(candidates, patterns.len());

    let mut sites: Vec<Site> = Vec::new();
    let mut file_edits: BTreeMap<String, (Vec<u8>, Vec<Edit>)> = BTreeMap::new();
    let services = Services::new(root, &files, opts);
    // The patterns run side by side, so no core waits for the last files
    // of one pattern before the next starts; their outputs are absorbed in
    // order, which keeps the run's output the same.
    let outs: Vec<TransformOutput> = (patterns.par_iter())
        .zip(per_pattern)
        .map(|(pattern, owned)| run_pattern(pattern, &owned, &services))
        .collect();
    for (mut out, status) in outs.into_iter().zip(&interfaces) {
        if !status.present && !opts.assume_api {
            block(
                &mut out,
                status
                    .reason
                    .as_deref()
                    .unwrap_or("interface not in this tree"),
            );
        }
        absorb(out, &mut sites, &mut findings, &mut file_edits);
    }

    findings.extend(services.take_findings());
    let bounds = services.take_bounds();
    let changes = build_changes(file_edits, &bounds, &mut sites, &mut findings);
    sites.sort_by(|a, b| {
        (&a.file, a.line, a.column, &a.pattern).cmp(&(&b.file, b.line, b.column, &b.pattern))
    });
    findings.sort_by(|a, b| (&a.file, a.line, &a.message).cmp(&(&b.file, b.line, &b.message)));
    findings.dedup_by(|a, b| a.file == b.file && a.line == b.line && a.message == b.message);
    let stats = Stats {
        files: files.len(),
        candidates: candidate_count,
        changed_files: changes.len(),
    };
    Ok(Outcome {
        sites,
        changes,
        findings,
        interfaces,
        stats,
    })
}

/// Reads the files that contain an anchor of some pattern (and all of its
/// `all-anchors`), each with the indices of the patterns that want it, in
/// order (any number of patterns). One automaton serves every pattern's
/// anchors.
fn read_candidates(
    root: &Path,
    files: &[String],
    patterns: &[&Pattern],
    progress: bool,
) -> (Vec<(SourceFile, Vec<usize>)>, Vec<Finding>) {
    let mut anchors = Vec::new();
    let mut owner = Vec::new();
    for (pi, p) in patterns.iter().enumerate() {
        for a in p.anchors.iter().chain(&p.quiet_anchors) {
            anchors.push(a.as_bytes());
            owner.push(pi);
        }
    }
    let anchor_set = crate::literals::LiteralSet::new(&anchors);
    let bar = progress_bar(progress, files.len() as u64, "scanning");
    let read = read_filtered(
        root,
        files,
        |bytes| {
            let mut wanted = Vec::new();
            anchor_set.each_occurrence(bytes, |i| wanted.push(owner[i]));
            wanted.sort_unstable();
            wanted.dedup();
            wanted.retain(|pi| {
                patterns[*pi]
                    .all_anchors
                    .iter()
                    .all(|a| memchr::memmem::find(bytes, a.as_bytes()).is_some())
            });
            (!wanted.is_empty()).then_some(wanted)
        },
        || bar.inc(1),
    );
    bar.finish_and_clear();
    read
}

/// Whether the tree has each pattern's target interface (`requires`).
fn interface_statuses(root: &Path, patterns: &[&Pattern]) -> Vec<InterfaceStatus> {
    patterns
        .iter()
        .map(|p| {
            let status = p.requires.as_ref().map_or(Ok(()), |r| r.check(root));
            InterfaceStatus {
                pattern: p.id.clone(),
                present: status.is_ok(),
                reason: status.err(),
            }
        })
        .collect()
}

/// Each pattern owns its candidate files; a file is only copied when two
/// patterns want it, and each pattern's files are freed once it is done.
fn split_per_pattern(candidates: Vec<(SourceFile, Vec<usize>)>, n: usize) -> Vec<Vec<SourceFile>> {
    let mut per_pattern: Vec<Vec<SourceFile>> = (0..n).map(|_| Vec::new()).collect();
    for (file, wanted) in candidates {
        if let Some((last, rest)) = wanted.split_last() {
            for pi in rest {
                per_pattern[*pi].push(SourceFile {
                    rel: file.rel.clone(),
                    bytes: file.bytes.clone(),
                });
            }
            per_pattern[*last].push(file);
        }
    }
    per_pattern
}

/// One pattern over its candidates: its transform, its rules, or both.
fn run_pattern(pattern: &Pattern, owned: &[SourceFile], services: &Services) -> TransformOutput {
    let mine: Vec<&SourceFile> = owned.iter().collect();
    let mut out = if let Some(t) = pattern.transform {
        let ctx = TransformCtx {
            root: services.root,
            pattern_id: &pattern.id,
            candidates: owned,
            options: services.options,
            services,
        };
        t.run(&ctx)
    } else {
        run_rules_with_tree(pattern, &mine, services)
    };
    if !pattern.rules.is_empty() && pattern.transform.is_some() {
        out.append(run_rules_with_tree(pattern, &mine, services));
    }
    out
}

/// The rules over their candidates. A pattern that asks the tree about
/// functions of other files runs twice: once to learn which names its
/// matches ask about, then with the run's symbol index of those names
/// (the names are only known once the rules have matched).
fn run_rules_with_tree(
    pattern: &Pattern,
    files: &[&SourceFile],
    services: &Services,
) -> TransformOutput {
    // The probes' answers, then the run options' (`RUN_OPTIONS`).
    let probes: Vec<bool> = (pattern.probes.iter())
        .map(|p| {
            p.probe(services.root).unwrap_or_else(|finding| {
                services.report(finding);
                false
            })
        })
        .chain(crate::pattern::references::run_option_answers(
            services.options,
        ))
        .collect();
    let run = |tree: &TreeFacts| run_rules_parallel(pattern, files, tree, &probes, services);
    if !pattern.asks_tree {
        return run(&TreeFacts::Absent);
    }
    let names = std::sync::Mutex::new(std::collections::BTreeSet::new());
    let first = run(&TreeFacts::Collect(&names));
    let names = names.into_inner().expect("no panic while holding it");
    if names.is_empty() {
        return first;
    }
    let (index, findings) = services.symbols(&names);
    let mut out = run(&TreeFacts::Index(&index));
    out.findings.extend(findings);
    out
}

/// Moves one pattern's sites, findings and edits into the run's, with
/// its edits renumbered to the run's sites.
fn absorb(
    out: TransformOutput,
    sites: &mut Vec<Site>,
    findings: &mut Vec<Finding>,
    file_edits: &mut BTreeMap<String, (Vec<u8>, Vec<Edit>)>,
) {
    let base = sites.len();
    sites.extend(out.sites);
    findings.extend(out.findings);
    for (file, (original, edits)) in out.edits {
        let entry = file_edits
            .entry(file)
            .or_insert_with(|| (original, Vec::new()));
        entry.1.extend(edits.into_iter().map(|mut e| {
            e.site += base;
            e
        }));
    }
}

fn run_rules_parallel(
    pattern: &Pattern,
    files: &[&SourceFile],
    tree: &TreeFacts,
    probes: &[bool],
    services: &Services,
) -> TransformOutput {
    let per_file: Vec<(String, Vec<u8>, crate::rules::FileMatches, Vec<Site>)> = files
        .par_iter()
        .filter(|f| wanted_by_rules(pattern, f))
        .map(|f| {
            // A rule that follows a name to all its references needs them
            // all, where it may match; otherwise the items the pattern's
            // focus names.
            let whole = (pattern.rules.iter()).any(|r| r.whole_file && r.may_match_in(&f.bytes));
            let parsed = if whole {
                crate::parse::parse(&f.bytes)
            } else {
                parse_focused(&f.bytes, &pattern.focus.words_in(&f.bytes))
            };
            let matches = run_rules_in_tree(pattern, &f.rel, &f.bytes, &parsed, tree, probes);
            let unread = unread_anchor_sites(pattern, f, &parsed, &matches.sites);
            // Only a file with edits needs its bytes again, and the item
            // boundaries for their rewrite check.
            let bytes = if matches.edits.is_empty() {
                Vec::new()
            } else {
                services.keep_bounds(&f.rel, &parsed);
                f.bytes.clone()
            };
            (f.rel.clone(), bytes, matches, unread)
        })
        .collect();
    let mut out = TransformOutput::default();
    for (rel, bytes, m, unread) in per_file {
        let base = out.sites.len();
        out.sites.extend(m.sites);
        for mut e in m.edits {
            e.site += base;
            out.add_edit(&rel, &bytes, e);
        }
        out.sites.extend(unread);
    }
    out
}

/// Whether the rules have anything to do in `f`: a rule may match there,
/// or it holds an anchor that, unread, is an `unparsed` site. A file that
/// holds only `quiet-anchors` and none of any rule's words is not parsed.
fn wanted_by_rules(pattern: &Pattern, f: &SourceFile) -> bool {
    pattern.quiet_anchors.is_empty()
        || pattern.rules.iter().any(|r| r.may_match_in(&f.bytes))
        || (pattern.anchors.iter()).any(|a| memchr::memmem::find(&f.bytes, a.as_bytes()).is_some())
}

/// Anchors that occur where the parser saw nothing: in a masked-out
/// preprocessor branch, or inside a multi-token ERROR node, with no site
/// covering that line. They become `unparsed` sites, so nothing a pattern
/// looks for is silently skipped.
pub fn unread_anchor_sites(
    pattern: &Pattern,
    file: &SourceFile,
    parsed: &crate::parse::Parsed,
    found: &[Site],
) -> Vec<Site> {
    let errors = ErrorMap::of(&parsed.tree);
    let (quiet, macros) = quiet_ranges(&parsed.tree);
    let mut out: Vec<Site> = Vec::new();
    // One site per line: a line already holding one is skipped.
    let mut taken: std::collections::HashSet<usize> = found
        .iter()
        .filter(|s| s.file == file.rel)
        .map(|s| s.line)
        .collect();
    for anchor in &pattern.anchors {
        for off in memchr::memmem::find_iter(&file.bytes, anchor.as_bytes()) {
            let end = off + anchor.len();
            let word_end = !file
                .bytes
                .get(end)
                .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_');
            let word_start = off == 0
                || !(file.bytes[off - 1].is_ascii_alphanumeric() || file.bytes[off - 1] == b'_');
            if !(word_start && word_end) || in_quiet(&quiet, off) {
                continue;
            }
            let reason = if let Some(name) = macro_around(&macros, off, &file.bytes) {
                format!("in the body of macro {name}, which the parser does not read")
            } else if let Some(r) = parsed.masked.inactive.iter().find(|r| r.contains(&off)) {
                let (l, _) = parsed.line_col(r.start);
                format!("in an #else/#elif branch (line {l}) that the parser does not read")
            } else if let Some(e) = errors.overlapping(off..end) {
                format!(
                    "inside a region the parser could not read (line {})",
                    e.line
                )
            } else {
                continue;
            };
            let (line, column) = parsed.line_col(off);
            if !taken.insert(line) {
                continue;
            }
            out.push(Site {
                pattern: pattern.id.clone(),
                rule: "unread".into(),
                file: file.rel.clone(),
                line,
                column,
                context: None,
                verdict: Verdict::Unparsed,
                reason: Some(reason),
                snippet: first_line_excerpt(&file.bytes, parsed.lines.line_start(off)),
                notes: vec![],
                group: file.rel.clone(),
            });
        }
    }
    out
}

/// The comments and string contents of a tree, in order, and the macro
/// definitions with a body (as (name, body) ranges), found in one walk:
/// looking each anchor up from the root costs the width of every node on
/// the way, which in an ERROR node of thousands of children is quadratic
/// over the file.
fn quiet_ranges(tree: &tree_sitter::Tree) -> (Vec<std::ops::Range<usize>>, Vec<MacroBody>) {
    let (mut quiet, mut macros) = (Vec::new(), Vec::new());
    let mut cursor = tree.walk();
    loop {
        let n = cursor.node();
        if n.kind() == "comment" || n.kind() == "string_content" {
            quiet.push(n.byte_range());
        } else if matches!(n.kind(), "preproc_def" | "preproc_function_def") {
            let name = n.child_by_field_name("name").map(|x| x.byte_range());
            let body = n.child_by_field_name("value").map(|x| x.byte_range());
            if let (Some(name), Some(body)) = (name, body) {
                macros.push(MacroBody { name, body });
            }
        } else if cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                return (quiet, macros);
            }
        }
    }
}

/// A `#define` with a body: where its name and its body are.
struct MacroBody {
    name: std::ops::Range<usize>,
    body: std::ops::Range<usize>,
}

/// The name of the macro whose body holds `off`: the parser reads a
/// macro body as text, so no rule ever sees what it contains.
fn macro_around(macros: &[MacroBody], off: usize, bytes: &[u8]) -> Option<String> {
    let i = macros.partition_point(|m| m.body.end <= off);
    let m = macros.get(i)?;
    m.body
        .contains(&off)
        .then(|| String::from_utf8_lossy(&bytes[m.name.clone()]).into_owned())
}

fn in_quiet(quiet: &[std::ops::Range<usize>], off: usize) -> bool {
    let i = quiet.partition_point(|r| r.end <= off);
    quiet.get(i).is_some_and(|r| r.start <= off)
}

/// The tree lacks the target interface: every site is `blocked`, with what
/// it would otherwise be as a note, and nothing is rewritten.
fn block(out: &mut TransformOutput, reason: &str) {
    for s in &mut out.sites {
        if matches!(s.verdict, Verdict::Unparsed | Verdict::Converted) {
            continue;
        }
        let was = match &s.reason {
            Some(r) => format!("with the interface: {} ({r})", s.verdict.as_str()),
            None => format!("with the interface: {}", s.verdict.as_str()),
        };
        s.notes.push(Note {
            file: s.file.clone(),
            line: s.line,
            message: was,
        });
        s.verdict = Verdict::Blocked;
        s.reason = Some(reason.to_string());
    }
    out.edits.clear();
}

/// Applies each file's edits and keeps the result only if the edits do not
/// overlap and the new file parses no worse. A refusal takes back the
/// whole group (a shared helper changed in one file and not in its header
/// would not build): its `auto` sites turn `manual` with the reason, and a
/// finding says what happened.
fn build_changes(
    mut file_edits: BTreeMap<String, (Vec<u8>, Vec<Edit>)>,
    bounds: &HashMap<String, Vec<usize>>,
    sites: &mut [Site],
    findings: &mut Vec<Finding>,
) -> Vec<FileChange> {
    loop {
        let results: Vec<(String, Result<Vec<u8>, String>)> = file_edits
            .par_iter()
            .map(|(file, (original, edits))| {
                let known = bounds.get(file).map(Vec::as_slice);
                (file.clone(), try_apply(original, known, edits))
            })
            .collect();
        let mut refused_groups = std::collections::BTreeSet::new();
        for (file, result) in &results {
            if let Err(why) = result {
                findings.push(Finding::error(file, None, why.clone()));
                for e in &file_edits[file].1 {
                    refused_groups.insert(sites[e.site].group.clone());
                }
            }
        }
        if refused_groups.is_empty() {
            let mut changes = Vec::new();
            for (file, result) in results {
                let (before, edits) = file_edits
                    .remove(&file)
                    .expect("every result comes from a file");
                let after = result.expect("no refusal in this round");
                if after != before {
                    let mut groups: Vec<String> =
                        edits.iter().map(|e| sites[e.site].group.clone()).collect();
                    groups.sort();
                    groups.dedup();
                    changes.push(FileChange {
                        file,
                        before,
                        after,
                        groups,
                    });
                }
            }
            return changes;
        }
        for (_, (_, edits)) in file_edits.iter_mut() {
            edits.retain(|e| {
                let s = &mut sites[e.site];
                if !refused_groups.contains(&s.group) {
                    return true;
                }
                if s.verdict == Verdict::Auto {
                    s.verdict = Verdict::Manual;
                    s.reason = Some("the rewrite was refused (see the findings); nothing in this group was changed".into());
                }
                false
            });
        }
        file_edits.retain(|_, (_, edits)| !edits.is_empty());
    }
}

/// `edits` applied to `original` and checked (with the item boundaries
/// of `original` when the parse that found them is known).
fn try_apply(original: &[u8], bounds: Option<&[usize]>, edits: &[Edit]) -> Result<Vec<u8>, String> {
    let after = apply(original, edits.to_vec()).map_err(|c| {
        let (l1, _) = line_col(original, c.first.range.start);
        let (l2, _) = line_col(original, c.second.range.start);
        format!("conflicting edits at lines {l1} and {l2}; file left unchanged")
    })?;
    // Boundaries that do not end where the file does are of other bytes.
    let checked = match bounds {
        Some(b) if b.last() == Some(&original.len()) => {
            check_rewrite_within(original, b, &after, edits)
        }
        _ => check_rewrite(original, &after, edits),
    };
    checked.map_err(|why| format!("{why}; file left unchanged"))?;
    Ok(after)
}

fn progress_bar(show: bool, len: u64, msg: &'static str) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} files ({elapsed})")
            .expect("static template")
            .progress_chars("=> "),
    );
    bar.set_message(msg);
    bar
}
