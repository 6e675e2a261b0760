//! The properties each fuzz target asserts of one input. Each returns
//! what is wrong, so a failing case names the property it broke.

use rewriter::engine::{run, RunOptions};
use rewriter::mask::{mask, mask_items, top_level_boundaries};
use rewriter::parse::{line_col, parse, parse_focused, ErrorMap};
use rewriter::pattern::Pattern;
use std::path::Path;

pub type Check = Result<(), String>;

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

/// Line breaks (`\n` and `\r`) at the same offsets in both texts.
fn same_line_breaks(src: &[u8], masked: &[u8]) -> Check {
    for (i, (a, b)) in src.iter().zip(masked).enumerate() {
        let brk = |c: &u8| *c == b'\n' || *c == b'\r';
        ensure!(
            brk(a) == brk(b) && (!brk(a) || a == b),
            "byte {i}: line break {a:#04x} masked to {b:#04x}"
        );
    }
    Ok(())
}

/// The lexer: tokens in order, none empty or overlapping, all in the file.
fn tokens_in_order(src: &[u8]) -> Check {
    let mut end = 0;
    for t in rewriter::lex::tokenize(src) {
        ensure!(
            t.start() >= end && t.start() < t.end() && t.end() <= src.len(),
            "token {}..{} after one ending at {end}, in a file of {} bytes",
            t.start(),
            t.end(),
            src.len()
        );
        end = t.end();
    }
    Ok(())
}

/// The masking pass: tokens in order; same length, same line breaks, only
/// blanks, `_` joins, `"` string stand-ins and `while` renames written;
/// inactive branches sorted, in bounds and blank; valid UTF-8 stays valid;
/// masking chosen items reads like the whole mask there and blank elsewhere.
pub fn mask_properties(src: &[u8], keep_bits: u64) -> Check {
    tokens_in_order(src)?;
    let m = mask(src);
    ensure!(
        m.text.len() == src.len(),
        "length {} masked to {}",
        src.len(),
        m.text.len()
    );
    same_line_breaks(src, &m.text)?;
    for (i, (a, b)) in src.iter().zip(&m.text).enumerate() {
        ensure!(
            a == b || b" _\"while".contains(b),
            "byte {i}: {a:#04x} masked to {b:#04x}, which no masking step writes"
        );
    }
    ensure!(
        std::str::from_utf8(src).is_err() || std::str::from_utf8(&m.text).is_ok(),
        "valid UTF-8 masked to invalid UTF-8"
    );
    let mut end = 0;
    for r in &m.inactive {
        ensure!(
            r.start >= end && r.start <= r.end && r.end <= src.len(),
            "inactive ranges unsorted, overlapping or out of bounds: {:?}",
            m.inactive
        );
        end = r.end;
        ensure!(
            m.text[r.clone()].iter().all(|b| b" \n\r".contains(b)),
            "inactive range {r:?} is not blank"
        );
    }
    let bounds = top_level_boundaries(src);
    ensure!(
        bounds.first() == Some(&0)
            && bounds.last() == Some(&src.len())
            && bounds.windows(2).all(|w| w[0] < w[1])
            || src.is_empty(),
        "item boundaries not strictly increasing from 0 to {}: {bounds:?}",
        src.len()
    );
    let (all, kept_all) = mask_items(src, |b| vec![true; b.len()]);
    ensure!(
        all.text == m.text && all.inactive == m.inactive,
        "masking every item differs from the whole mask"
    );
    ensure!(
        src.is_empty() || (kept_all.len() == 1 && kept_all[0] == (0..src.len())),
        "every item kept, yet the kept ranges are {kept_all:?}"
    );
    items_mask_like_the_whole(src, &m.text, keep_bits)
}

/// `mask_items` with the items of `keep_bits` (bit i: item i, cyclically).
fn items_mask_like_the_whole(src: &[u8], whole: &[u8], keep_bits: u64) -> Check {
    let (part, kept) = mask_items(src, |b| {
        (0..b.len())
            .map(|i| keep_bits >> (i % 64) & 1 == 1)
            .collect()
    });
    ensure!(part.text.len() == src.len(), "item mask changes the length");
    same_line_breaks(src, &part.text)?;
    let mut at = 0;
    for r in &kept {
        ensure!(
            r.start >= at && r.start < r.end && r.end <= src.len(),
            "kept ranges unsorted or empty: {kept:?}"
        );
        ensure!(
            part.text[at..r.start].iter().all(|b| b" \n\r".contains(b)),
            "bytes {at}..{} were not kept, yet are not blank",
            r.start
        );
        ensure!(
            part.text[r.clone()] == whole[r.clone()],
            "kept item {r:?} masks differently from the whole-file mask:\n  item: {:?}\n  file: {:?}",
            String::from_utf8_lossy(&part.text[r.clone()]),
            String::from_utf8_lossy(&whole[r.clone()])
        );
        at = r.end;
    }
    ensure!(
        part.text[at..].iter().all(|b| b" \n\r".contains(b)),
        "the tail after the last kept item is not blank"
    );
    Ok(())
}

/// Every node's byte range lies in the file, and its row and column are
/// those of its start and end offsets in the *original* bytes: the parse
/// of the masked text maps back. `what` names the parse.
fn nodes_map_back(src: &[u8], tree: &tree_sitter::Tree, what: &str) -> Check {
    let mut cursor = tree.walk();
    loop {
        let n = cursor.node();
        let (s, e) = (n.start_byte(), n.end_byte());
        ensure!(
            s <= e && e <= src.len(),
            "{what}: {} node at {s}..{e} outside the file ({} bytes)",
            n.kind(),
            src.len()
        );
        for (off, p) in [(s, n.start_position()), (e, n.end_position())] {
            let (line, col) = line_col(src, off);
            ensure!(
                (p.row + 1, p.column + 1) == (line, col),
                "{what}: {} node offset {off} is at {line}:{col} in the file, the tree says {}:{}",
                n.kind(),
                p.row + 1,
                p.column + 1
            );
        }
        if cursor.goto_first_child() || cursor.goto_next_sibling() {
            continue;
        }
        loop {
            if !cursor.goto_parent() {
                return Ok(());
            }
            if cursor.goto_next_sibling() {
                break;
            }
        }
    }
}

/// The parser bridge: the full and the focused parse both map back, and
/// the error map's lines lie in the file.
pub fn parse_properties(src: &[u8], words: &[&[u8]]) -> Check {
    let full = parse(src);
    nodes_map_back(src, &full.tree, "full parse")?;
    let lines = src.iter().filter(|b| **b == b'\n').count() + 1;
    for e in &ErrorMap::of(&full.tree).errors {
        ensure!(
            e.range.end <= src.len() && (1..=lines).contains(&e.line),
            "parse error at {:?} line {} outside the file",
            e.range,
            e.line
        );
    }
    let focused = parse_focused(src, words);
    nodes_map_back(src, &focused.tree, "focused parse")?;
    ensure!(
        focused.text().len() == src.len(),
        "focused mask changes the length"
    );
    Ok(())
}

/// The pattern loader: any text loads or gives an error naming the file.
/// Returns the pattern when it loads.
pub fn load_properties(text: &str) -> Result<Option<Pattern>, String> {
    let origin = "fuzz/mutated.yaml";
    match rewriter::pattern::load_str(text, origin) {
        Ok(p) => Ok(Some(p)),
        Err(e) => {
            let msg = format!("{e:#}");
            ensure!(
                msg.contains(origin),
                "the error does not name the file: {msg}"
            );
            Ok(None)
        }
    }
}

/// A pattern file that does not load gets an error at `file:line:column`.
pub fn load_error_located(text: &str) -> Check {
    let origin = "fuzz/mutated.yaml";
    let Err(e) = rewriter::pattern::load_str(text, origin) else {
        return Err("the pattern loads".into());
    };
    let msg = format!("{e:#}");
    let located = regex::Regex::new(r"fuzz/mutated\.yaml:\d+:\d+: ").expect("static regex");
    ensure!(located.is_match(&msg), "the error is not located: {msg}");
    Ok(())
}

/// A loaded pattern's rules, and those of its phases, run over `src`.
pub fn pattern_properties(pattern: &Pattern, rel: &str, src: &[u8]) -> Check {
    rules_properties(pattern, rel, src)?;
    for phase in pattern.introduce.iter().chain(&pattern.retire) {
        rules_properties(&phase.pattern, rel, src)?;
    }
    Ok(())
}

/// A pattern's rules run over `src` without a panic, every site in the
/// file, and their edits apply or conflict (never panic).
fn rules_properties(pattern: &Pattern, rel: &str, src: &[u8]) -> Check {
    let words: Vec<&[u8]> = pattern.anchors.iter().map(|a| a.as_bytes()).collect();
    let parsed = parse_focused(src, &words);
    let m = rewriter::rules::run_rules(pattern, rel, src, &parsed);
    for s in &m.sites {
        site_in_file(src, s.line, s.column, &format!("site {}", s.rule))?;
    }
    for e in &m.edits {
        ensure!(
            e.range.start <= e.range.end && e.range.end <= src.len(),
            "edit {:?} outside the file",
            e.range
        );
    }
    // Overlapping edits are refused, which is an answer too.
    let _ = rewriter::edit::apply(src, m.edits);
    Ok(())
}

fn site_in_file(src: &[u8], line: usize, column: usize, what: &str) -> Check {
    let lines: Vec<&[u8]> = src.split(|b| *b == b'\n').collect();
    ensure!(
        line >= 1 && line <= lines.len(),
        "{what}: line {line} outside the file ({} lines)",
        lines.len()
    );
    let len = lines[line - 1].len();
    ensure!(
        column >= 1 && column <= len + 1,
        "{what}: column {column} outside line {line} ({len} bytes)"
    );
    Ok(())
}

/// The whole engine over a tree on disk: every site and note inside its
/// file; every change starts from the file as it is; the diff applies with
/// `git apply` and yields exactly the rewritten files; a file that parsed
/// clean still does, and a second run changes nothing.
pub fn engine_properties(root: &Path, patterns: &[&Pattern], opts: &RunOptions) -> Check {
    let out = run(root, patterns, opts).map_err(|e| format!("run failed: {e:#}"))?;
    let read = |rel: &str| std::fs::read(root.join(rel)).map_err(|e| format!("{rel}: {e}"));
    for s in &out.sites {
        site_in_file(
            &read(&s.file)?,
            s.line,
            s.column,
            &format!("{} site", s.pattern),
        )?;
        for n in &s.notes {
            site_in_file(&read(&n.file)?, n.line, 1, &format!("{} note", s.pattern))?;
        }
    }
    for f in &out.findings {
        if let Some(line) = f.line {
            site_in_file(
                &read(&f.file)?,
                line,
                1,
                &format!("finding `{}`", f.message),
            )?;
        }
    }
    if out.changes.is_empty() {
        return Ok(());
    }
    for c in &out.changes {
        ensure!(
            c.before != c.after,
            "{}: a change that changes nothing",
            c.file
        );
        ensure!(
            read(&c.file)? == c.before,
            "{}: `before` is not the file",
            c.file
        );
        // Only a clean file is held to the whole-file count: in a broken
        // one, the engine's guarantee is per item (`adds_parse_errors`),
        // and tree-sitter's recovery elsewhere may change with any edit.
        let errors = |b: &[u8]| ErrorMap::of(&parse(b).tree).count();
        ensure!(
            errors(&c.before) > 0 || errors(&c.after) == 0,
            "{}: the rewrite of a clean file parses with {} errors",
            c.file,
            errors(&c.after)
        );
    }
    apply_diff(root, &rewriter::diff::unified(&out.changes))?;
    for c in &out.changes {
        ensure!(
            read(&c.file)? == c.after,
            "{}: the applied diff differs from the rewrite",
            c.file
        );
    }
    let again = run(root, patterns, opts).map_err(|e| format!("second run failed: {e:#}"))?;
    ensure!(
        again.changes.is_empty(),
        "a second run changes {} again",
        again.changes[0].file
    );
    Ok(())
}

/// Applies `diff` in `root` with `git apply` (outside a repository it
/// works as `patch -p1`).
fn apply_diff(root: &Path, diff: &[u8]) -> Check {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("git")
        .args(["apply", "--whitespace=nowarn", "-"])
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run git apply: {e}"))?;
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(diff)
        .map_err(|e| format!("git apply stdin: {e}"))?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    ensure!(
        out.status.success(),
        "git apply rejects our diff: {}\n{}",
        String::from_utf8_lossy(&out.stderr).trim(),
        String::from_utf8_lossy(diff)
    );
    Ok(())
}
