//! The parts of `git diff`/`git format-patch` output we generate ourselves:
//! blob hashes, unified diffs with git's hunk-header function context, the
//! `--stat` block, and git's text wrapping.

use std::path::Path;

use regex::bytes::Regex;

/// `git hash-object` of a blob.
pub fn blob_hash(content: &[u8]) -> String {
    let mut h = sha1_smol::Sha1::new();
    h.update(format!("blob {}\0", content.len()).as_bytes());
    h.update(content);
    h.digest().to_string()
}

/// How hunk headers get their function context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FuncName {
    /// git's default: the last line before the hunk that starts with a
    /// letter, `_` or `$`.
    Default,
    /// git's builtin `cpp` driver (`*.c diff=cpp` in the kernel's
    /// `.gitattributes`): like the default, but skips goto labels.
    Cpp,
}

/// Reads a tree's top-level `.gitattributes` and answers which funcname
/// rule git would use for a path (only `diff=cpp` is recognised; any other
/// driver or none means the default rule).
#[derive(Debug, Clone, Default)]
pub struct Attributes {
    rules: Vec<(String, Option<String>)>,
}

impl Attributes {
    pub fn load(tree: &Path) -> Attributes {
        let mut rules = Vec::new();
        if let Ok(t) = std::fs::read_to_string(tree.join(".gitattributes")) {
            for line in t.lines() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let mut it = line.split_whitespace();
                let Some(pat) = it.next() else { continue };
                for attr in it {
                    if let Some(d) = attr.strip_prefix("diff=") {
                        rules.push((pat.to_string(), Some(d.to_string())));
                    } else if attr == "-diff" || attr == "!diff" || attr == "diff" {
                        rules.push((pat.to_string(), None));
                    }
                }
            }
        }
        Attributes { rules }
    }

    pub fn funcname(&self, path: &str) -> FuncName {
        let mut driver: Option<&str> = None;
        for (pat, d) in &self.rules {
            let target = if pat.contains('/') {
                path.trim_start_matches('/')
            } else {
                path.rsplit('/').next().unwrap_or(path)
            };
            if glob_match(pat.trim_start_matches('/').as_bytes(), target.as_bytes()) {
                driver = d.as_deref();
            }
        }
        match driver {
            Some("cpp") => FuncName::Cpp,
            _ => FuncName::Default,
        }
    }
}

/// Minimal fnmatch: `*` (not crossing `/`), `?`, literal.
pub fn glob_match(p: &[u8], s: &[u8]) -> bool {
    match (p.first(), s.first()) {
        (None, None) => true,
        (None, Some(_)) => false,
        (Some(b'*'), _) => {
            glob_match(&p[1..], s) || (!s.is_empty() && s[0] != b'/' && glob_match(p, &s[1..]))
        }
        (Some(b'?'), Some(c)) if *c != b'/' => glob_match(&p[1..], &s[1..]),
        (Some(a), Some(b)) if a == b => glob_match(&p[1..], &s[1..]),
        _ => false,
    }
}

fn cpp_regexes() -> &'static (Regex, Regex) {
    use std::sync::OnceLock;
    static R: OnceLock<(Regex, Regex)> = OnceLock::new();
    R.get_or_init(|| {
        (
            Regex::new(r"(?-u)^[ \t]*[A-Za-z_][A-Za-z_0-9]*:[[:space:]]*($|/[/*])").unwrap(),
            Regex::new(r"(?-u)^((::[[:space:]]*)?[A-Za-z_].*)$").unwrap(),
        )
    })
}

/// xemit.c `match_func_rec` for one preimage line (with its newline).
fn func_of(line: &[u8], mode: FuncName) -> Option<Vec<u8>> {
    const SZ: usize = 80;
    match mode {
        FuncName::Default => {
            let c = *line.first()?;
            if c.is_ascii_alphabetic() || c == b'_' || c == b'$' {
                let mut len = line.len().min(SZ);
                while len > 0 && is_space(line[len - 1]) {
                    len -= 1;
                }
                Some(line[..len].to_vec())
            } else {
                None
            }
        }
        FuncName::Cpp => {
            let mut l = line;
            if l.ends_with(b"\n") {
                l = &l[..l.len() - 1];
                if l.ends_with(b"\r") {
                    l = &l[..l.len() - 1];
                }
            }
            let (neg, pos) = cpp_regexes();
            if neg.is_match(l) {
                return None;
            }
            let c = pos.captures(l)?;
            let m = c.get(1)?;
            let mut res = &l[m.start()..m.end()];
            if res.len() > SZ {
                res = &res[..SZ];
            }
            let mut len = res.len();
            while len > 0 && is_space(res[len - 1]) {
                len -= 1;
            }
            Some(res[..len].to_vec())
        }
    }
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// Lines including their terminating newline (the last may lack it).
pub fn split_lines(data: &[u8]) -> Vec<&[u8]> {
    data.split_inclusive(|&b| b == b'\n').collect()
}

/// Counts for the diffstat.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileStat {
    pub path: String,
    pub added: usize,
    pub deleted: usize,
}

// ---- git's xdl_change_compact() with the indent heuristic (xdiffi.c) ----

/// Changed-line flags of one file, with git's sentinels at -1 and n.
struct Rchg {
    v: Vec<bool>,
    n: usize,
}

impl Rchg {
    fn new(n: usize) -> Self {
        Rchg {
            v: vec![false; n + 2],
            n,
        }
    }
    fn get(&self, i: isize) -> bool {
        self.v[(i + 1) as usize]
    }
    fn set(&mut self, i: isize, b: bool) {
        self.v[(i + 1) as usize] = b;
    }
}

#[derive(Clone, Copy)]
struct Group {
    start: isize,
    end: isize,
}

fn group_init(r: &Rchg) -> Group {
    let mut g = Group { start: 0, end: 0 };
    while r.get(g.end) {
        g.end += 1;
    }
    g
}

fn group_next(r: &Rchg, g: &mut Group) -> bool {
    if g.end == r.n as isize {
        return false;
    }
    g.start = g.end + 1;
    g.end = g.start;
    while r.get(g.end) {
        g.end += 1;
    }
    true
}

fn group_previous(r: &Rchg, g: &mut Group) -> bool {
    if g.start == 0 {
        return false;
    }
    g.end = g.start - 1;
    g.start = g.end;
    while r.get(g.start - 1) {
        g.start -= 1;
    }
    true
}

fn group_slide_down(recs: &[&[u8]], r: &mut Rchg, g: &mut Group) -> bool {
    if g.end < r.n as isize && recs[g.start as usize] == recs[g.end as usize] {
        r.set(g.start, false);
        g.start += 1;
        r.set(g.end, true);
        g.end += 1;
        while r.get(g.end) {
            g.end += 1;
        }
        true
    } else {
        false
    }
}

fn group_slide_up(recs: &[&[u8]], r: &mut Rchg, g: &mut Group) -> bool {
    if g.start > 0 && recs[(g.start - 1) as usize] == recs[(g.end - 1) as usize] {
        g.start -= 1;
        r.set(g.start, true);
        g.end -= 1;
        r.set(g.end, false);
        while r.get(g.start - 1) {
            g.start -= 1;
        }
        true
    } else {
        false
    }
}

const MAX_INDENT: i32 = 200;
const MAX_BLANKS: i32 = 20;

fn get_indent(rec: &[u8]) -> i32 {
    let mut ret = 0;
    for &c in rec {
        if !is_space(c) {
            return ret;
        } else if c == b' ' {
            ret += 1;
        } else if c == b'\t' {
            ret += 8 - ret % 8;
        }
        if ret >= MAX_INDENT {
            return MAX_INDENT;
        }
    }
    -1
}

#[derive(Default)]
struct SplitMeasurement {
    end_of_file: bool,
    indent: i32,
    pre_blank: i32,
    pre_indent: i32,
    post_blank: i32,
    post_indent: i32,
}

fn measure_split(recs: &[&[u8]], split: isize) -> SplitMeasurement {
    let n = recs.len() as isize;
    let mut m = SplitMeasurement::default();
    if split >= n {
        m.end_of_file = true;
        m.indent = -1;
    } else {
        m.indent = get_indent(recs[split as usize]);
    }
    m.pre_indent = -1;
    let mut i = split - 1;
    while i >= 0 {
        m.pre_indent = get_indent(recs[i as usize]);
        if m.pre_indent != -1 {
            break;
        }
        m.pre_blank += 1;
        if m.pre_blank == MAX_BLANKS {
            m.pre_indent = 0;
            break;
        }
        i -= 1;
    }
    m.post_indent = -1;
    let mut i = split + 1;
    while i < n {
        m.post_indent = get_indent(recs[i as usize]);
        if m.post_indent != -1 {
            break;
        }
        m.post_blank += 1;
        if m.post_blank == MAX_BLANKS {
            m.post_indent = 0;
            break;
        }
        i += 1;
    }
    m
}

#[derive(Default, Clone, Copy)]
struct SplitScore {
    effective_indent: i32,
    penalty: i32,
}

fn score_add_split(m: &SplitMeasurement, s: &mut SplitScore) {
    if m.pre_indent == -1 && m.pre_blank == 0 {
        s.penalty += 1; // START_OF_FILE_PENALTY
    }
    if m.end_of_file {
        s.penalty += 21; // END_OF_FILE_PENALTY
    }
    let post_blank = if m.indent == -1 { 1 + m.post_blank } else { 0 };
    let total_blank = m.pre_blank + post_blank;
    s.penalty += -30 * total_blank; // TOTAL_BLANK_WEIGHT
    s.penalty += 6 * post_blank; // POST_BLANK_WEIGHT
    let indent = if m.indent != -1 {
        m.indent
    } else {
        m.post_indent
    };
    let any_blanks = total_blank != 0;
    s.effective_indent += indent;
    if indent == -1 || m.pre_indent == -1 {
    } else if indent > m.pre_indent {
        s.penalty += if any_blanks { 10 } else { -4 };
    } else if indent == m.pre_indent {
    } else if m.post_indent != -1 && m.post_indent > indent {
        s.penalty += if any_blanks { 17 } else { 24 };
    } else {
        s.penalty += if any_blanks { 17 } else { 23 };
    }
}

fn score_cmp(a: &SplitScore, b: &SplitScore) -> i32 {
    let ci = (a.effective_indent > b.effective_indent) as i32
        - (a.effective_indent < b.effective_indent) as i32;
    60 * ci + (a.penalty - b.penalty)
}

fn change_compact(recs: &[&[u8]], r: &mut Rchg, ro: &Rchg) {
    let mut g = group_init(r);
    let mut go = group_init(ro);
    loop {
        if g.end != g.start {
            let mut earliest_end;
            let mut end_matching_other;
            loop {
                let groupsize = g.end - g.start;
                end_matching_other = -1;
                while group_slide_up(recs, r, &mut g) {
                    group_previous(ro, &mut go);
                }
                earliest_end = g.end;
                if go.end > go.start {
                    end_matching_other = g.end;
                }
                loop {
                    if !group_slide_down(recs, r, &mut g) {
                        break;
                    }
                    group_next(ro, &mut go);
                    if go.end > go.start {
                        end_matching_other = g.end;
                    }
                }
                if groupsize == g.end - g.start {
                    break;
                }
            }
            if g.end == earliest_end {
            } else if end_matching_other != -1 {
                while go.end == go.start {
                    group_slide_up(recs, r, &mut g);
                    group_previous(ro, &mut go);
                }
            } else {
                let groupsize = g.end - g.start;
                let mut shift = earliest_end;
                if g.end - groupsize - 1 > shift {
                    shift = g.end - groupsize - 1;
                }
                if g.end - 100 > shift {
                    shift = g.end - 100;
                }
                let mut best_shift = -1;
                let mut best = SplitScore::default();
                while shift <= g.end {
                    let mut score = SplitScore::default();
                    score_add_split(&measure_split(recs, shift), &mut score);
                    score_add_split(&measure_split(recs, shift - groupsize), &mut score);
                    if best_shift == -1 || score_cmp(&score, &best) <= 0 {
                        best = score;
                        best_shift = shift;
                    }
                    shift += 1;
                }
                while g.end > best_shift {
                    group_slide_up(recs, r, &mut g);
                    group_previous(ro, &mut go);
                }
            }
        }
        if !group_next(r, &mut g) {
            break;
        }
        group_next(ro, &mut go);
    }
}

/// One change: `c1` lines of the old file at `i1` replaced by `c2` lines of
/// the new file at `i2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Change {
    i1: usize,
    i2: usize,
    c1: usize,
    c2: usize,
}

/// Line changes between `a` and `b`, normalised the way git does it.
fn changes(a: &[&[u8]], b: &[&[u8]]) -> Vec<Change> {
    let ops = similar::capture_diff_slices(similar::Algorithm::Myers, a, b);
    let mut r1 = Rchg::new(a.len());
    let mut r2 = Rchg::new(b.len());
    for op in &ops {
        for i in op.old_range() {
            if !matches!(op, similar::DiffOp::Equal { .. }) {
                r1.set(i as isize, true);
            }
        }
        for i in op.new_range() {
            if !matches!(op, similar::DiffOp::Equal { .. }) {
                r2.set(i as isize, true);
            }
        }
    }
    change_compact(a, &mut r1, &r2);
    change_compact(b, &mut r2, &r1);
    let mut out = Vec::new();
    let (mut i1, mut i2) = (0usize, 0usize);
    while i1 < a.len() || i2 < b.len() {
        if r1.get(i1 as isize) || r2.get(i2 as isize) {
            let (s1, s2) = (i1, i2);
            while r1.get(i1 as isize) {
                i1 += 1;
            }
            while r2.get(i2 as isize) {
                i2 += 1;
            }
            out.push(Change {
                i1: s1,
                i2: s2,
                c1: i1 - s1,
                c2: i2 - s2,
            });
        } else {
            i1 += 1;
            i2 += 1;
        }
    }
    out
}

/// One file's unified diff body (the hunks, without the `diff --git`
/// header).  Returns (hunks, added, deleted).
pub fn unified_hunks(
    old: &[u8],
    new: &[u8],
    ctx: usize,
    mode: FuncName,
) -> (Vec<u8>, usize, usize) {
    let a = split_lines(old);
    let b = split_lines(new);
    let chs = changes(&a, &b);
    let mut out = Vec::new();
    let (mut added, mut deleted) = (0, 0);
    let emit = |prefix: u8, line: &[u8], out: &mut Vec<u8>| {
        out.push(prefix);
        out.extend_from_slice(line);
        if !line.ends_with(b"\n") {
            out.extend_from_slice(b"\n\\ No newline at end of file\n");
        }
    };
    let mut k = 0;
    while k < chs.len() {
        // xdl_get_hunk: merge while the gap is at most 2 * ctx
        let mut last = k;
        while last + 1 < chs.len() && chs[last + 1].i1 - (chs[last].i1 + chs[last].c1) <= 2 * ctx {
            last += 1;
        }
        let first = chs[k];
        let lc = chs[last];
        let s1 = first.i1.saturating_sub(ctx);
        let s2 = first.i2.saturating_sub(ctx);
        let e1 = (lc.i1 + lc.c1 + ctx).min(a.len());
        let e2 = (lc.i2 + lc.c2 + ctx).min(b.len());
        let (oc, nc) = (e1 - s1, e2 - s2);
        let mut hdr = String::from("@@ -");
        hdr += &if oc == 0 {
            format!("{s1}")
        } else {
            format!("{}", s1 + 1)
        };
        if oc != 1 {
            hdr += &format!(",{oc}");
        }
        hdr += " +";
        hdr += &if nc == 0 {
            format!("{s2}")
        } else {
            format!("{}", s2 + 1)
        };
        if nc != 1 {
            hdr += &format!(",{nc}");
        }
        hdr += " @@";
        out.extend_from_slice(hdr.as_bytes());
        // function context: last matching preimage line before the hunk
        if let Some(f) = (0..s1).rev().find_map(|i| func_of(a[i], mode)) {
            if !f.is_empty() {
                out.push(b' ');
                out.extend_from_slice(&f);
            }
        }
        out.push(b'\n');
        let mut i1 = s1;
        for c in &chs[k..=last] {
            while i1 < c.i1 {
                emit(b' ', a[i1], &mut out);
                i1 += 1;
            }
            for l in &a[c.i1..c.i1 + c.c1] {
                emit(b'-', l, &mut out);
            }
            for l in &b[c.i2..c.i2 + c.c2] {
                emit(b'+', l, &mut out);
            }
            deleted += c.c1;
            added += c.c2;
            i1 = c.i1 + c.c1;
        }
        while i1 < e1 {
            emit(b' ', a[i1], &mut out);
            i1 += 1;
        }
        k = last + 1;
    }
    (out, added, deleted)
}

/// `prefix` + `path` C-quoted the way git writes names in diff headers
/// and the diffstat (`core.quotePath` on, its default): in double quotes
/// with C escapes when the name holds a control byte, a double quote, a
/// backslash or a byte outside printable ASCII; as it is otherwise.
pub fn quoted(prefix: &str, path: &str) -> String {
    let full = format!("{prefix}{path}");
    let q = gix_quote::ansi_c::quote(full.as_bytes().into());
    String::from_utf8(q.into_owned().into()).expect("a quoted name is ASCII")
}

/// A complete `diff --git` section for one modified (or added/removed) file.
pub fn file_diff(
    path: &str,
    old: Option<&[u8]>,
    new: Option<&[u8]>,
    mode: u32,
    abbrev: usize,
    funcname: FuncName,
) -> (Vec<u8>, FileStat) {
    let oldc = old.unwrap_or(b"");
    let newc = new.unwrap_or(b"");
    let zero = "0".repeat(abbrev);
    let oh = if old.is_some() {
        blob_hash(oldc)[..abbrev].to_string()
    } else {
        zero.clone()
    };
    let nh = if new.is_some() {
        blob_hash(newc)[..abbrev].to_string()
    } else {
        zero
    };
    let (qa, qb) = (quoted("a/", path), quoted("b/", path));
    let mut out = format!("diff --git {qa} {qb}\n");
    match (old, new) {
        (None, Some(_)) => out += &format!("new file mode {mode:06o}\nindex {oh}..{nh}\n"),
        (Some(_), None) => out += &format!("deleted file mode {mode:06o}\nindex {oh}..{nh}\n"),
        _ => out += &format!("index {oh}..{nh} {mode:06o}\n"),
    }
    let (hunks, added, deleted) = unified_hunks(oldc, newc, 3, funcname);
    let mut out = out.into_bytes();
    if !hunks.is_empty() {
        // git ends a name holding a space with a tab (for GNU patch)
        let tab = if path.contains(' ') { "\t" } else { "" };
        let a = if old.is_some() {
            qa + tab
        } else {
            "/dev/null".into()
        };
        let b = if new.is_some() {
            qb + tab
        } else {
            "/dev/null".into()
        };
        out.extend_from_slice(format!("--- {a}\n+++ {b}\n").as_bytes());
        out.extend_from_slice(&hunks);
    }
    (
        out,
        FileStat {
            path: path.to_string(),
            added,
            deleted,
        },
    )
}

fn decimal_width(n: usize) -> usize {
    n.to_string().len()
}

fn scale_linear(it: usize, width: usize, max_change: usize) -> usize {
    if it == 0 {
        return 0;
    }
    1 + (it * (width - 1) / max_change)
}

/// git's `--stat` block as format-patch prints it (width 72), followed by
/// the summary line.  `files` must be in output (path) order.
pub fn diffstat(files: &[FileStat], width: usize) -> String {
    let shown: Vec<&FileStat> = files.iter().filter(|f| f.added + f.deleted > 0).collect();
    let max_len = shown
        .iter()
        .map(|f| quoted("", &f.path).chars().count())
        .max()
        .unwrap_or(0);
    let max_change = shown.iter().map(|f| f.added + f.deleted).max().unwrap_or(0);
    let number_width = decimal_width(max_change);
    let mut width = width;
    if width < 16 + 6 + number_width {
        width = 16 + 6 + number_width;
    }
    let mut graph_width = max_change;
    let mut name_width = max_len;
    if name_width + number_width + 6 + graph_width > width {
        let lim = (width * 3 / 8).saturating_sub(number_width + 6);
        if graph_width > lim {
            graph_width = lim.max(6);
        }
        if name_width > width - number_width - 6 - graph_width {
            name_width = width - number_width - 6 - graph_width;
        } else {
            graph_width = width - number_width - 6 - name_width;
        }
    }
    let mut out = String::new();
    let (mut adds, mut dels) = (0, 0);
    for f in &shown {
        let mut prefix = "";
        let mut len = name_width;
        let chars: Vec<char> = quoted("", &f.path).chars().collect();
        let mut start = 0;
        if name_width < chars.len() {
            prefix = "...";
            len = len.saturating_sub(3);
            while chars.len() - start > len {
                start += 1;
            }
            if let Some(p) = chars[start..].iter().position(|&c| c == '/') {
                start += p;
            }
        }
        let name: String = chars[start..].iter().collect();
        let padding = len.saturating_sub(name.chars().count());
        let (mut add, mut del) = (f.added, f.deleted);
        if graph_width <= max_change {
            let mut total = scale_linear(add + del, graph_width, max_change);
            if total < 2 && add > 0 && del > 0 {
                total = 2;
            }
            if add < del {
                add = scale_linear(add, graph_width, max_change);
                del = total - add;
            } else {
                del = scale_linear(del, graph_width, max_change);
                add = total - del;
            }
        }
        let n = f.added + f.deleted;
        out += &format!(
            " {prefix}{name}{:padding$} | {n:>number_width$}{}{}{}\n",
            "",
            if n > 0 { " " } else { "" },
            "+".repeat(add),
            "-".repeat(del),
        );
        adds += f.added;
        dels += f.deleted;
    }
    out += &stat_summary(shown.len(), adds, dels);
    out.push('\n');
    out
}

fn stat_summary(files: usize, ins: usize, del: usize) -> String {
    if files == 0 {
        return " 0 files changed".into();
    }
    let mut s = if files == 1 {
        " 1 file changed".to_string()
    } else {
        format!(" {files} files changed")
    };
    if ins > 0 || del == 0 {
        s += &if ins == 1 {
            ", 1 insertion(+)".to_string()
        } else {
            format!(", {ins} insertions(+)")
        };
    }
    if del > 0 || ins == 0 {
        s += &if del == 1 {
            ", 1 deletion(-)".to_string()
        } else {
            format!(", {del} deletions(-)")
        };
    }
    s
}

/// git's `strbuf_add_wrapped_text()` for single-paragraph text without
/// newlines: words are kept whole; a line is at most `width` columns; the
/// first line starts at column `indent1` (negative: that many columns are
/// already used), following lines are indented by `indent2` spaces.
pub fn git_wrap(text: &str, indent1: isize, indent2: usize, width: usize) -> String {
    let mut out = String::new();
    let (mut col, first_indent) = if indent1 < 0 {
        ((-indent1) as usize, 0)
    } else {
        (indent1 as usize, indent1 as usize)
    };
    let mut line_has_word = false;
    out.push_str(&" ".repeat(first_indent));
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let wl = word.chars().count();
        if line_has_word && col + 1 + wl > width {
            out.push('\n');
            out.push_str(&" ".repeat(indent2));
            col = indent2;
            line_has_word = false;
        }
        if line_has_word {
            out.push(' ');
            col += 1;
        }
        out.push_str(word);
        col += wl;
        line_has_word = true;
    }
    out
}

/// Wraps a commit message body at `width` columns, paragraph by paragraph.
/// Lines that start with whitespace, look like list items or trailers, or
/// are already short are kept as they are.
pub fn wrap_body(text: &str, width: usize) -> String {
    let mut out = Vec::new();
    for para in text.trim_matches('\n').split("\n\n") {
        let lines: Vec<&str> = para.lines().collect();
        let verbatim = lines.iter().any(|l| {
            l.starts_with(' ') || l.starts_with('\t') || l.starts_with("- ") || l.starts_with("* ")
        });
        if verbatim {
            out.push(para.trim_end().to_string());
            continue;
        }
        let joined = lines.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ");
        let mut cur = String::new();
        let mut wrapped = Vec::new();
        for w in joined.split_whitespace() {
            if !cur.is_empty() && cur.chars().count() + 1 + w.chars().count() > width {
                wrapped.push(std::mem::take(&mut cur));
            }
            if !cur.is_empty() {
                cur.push(' ');
            }
            cur.push_str(w);
        }
        if !cur.is_empty() {
            wrapped.push(cur);
        }
        out.push(wrapped.join("\n"));
    }
    out.join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_empty_blob() {
        assert_eq!(blob_hash(b""), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
    }

    #[test]
    fn hunk_header_funcname() {
        let old = b"int a;\n\nstatic int foo(void)\n{\n\tint x;\n\n\tx = 1;\n\treturn 0;\n}\n";
        let new = b"int a;\n\nstatic int foo(void)\n{\n\tint x;\n\n\tx = 1;\n\treturn 1;\n}\n";
        let (h, a, d) = unified_hunks(old, new, 3, FuncName::Default);
        assert_eq!((a, d), (1, 1));
        assert_eq!(
            String::from_utf8(h).unwrap(),
            "@@ -5,5 +5,5 @@ static int foo(void)\n \tint x;\n \n \tx = 1;\n-\treturn 0;\n+\treturn 1;\n }\n"
        );
    }

    #[test]
    fn cpp_skips_labels() {
        assert_eq!(func_of(b"out:\n", FuncName::Cpp), None);
        assert_eq!(
            func_of(b"out:\n", FuncName::Default),
            Some(b"out:".to_vec())
        );
        assert_eq!(
            func_of(b"static int x(void)\n", FuncName::Cpp),
            Some(b"static int x(void)".to_vec())
        );
    }

    #[test]
    fn shortlog_wrap_like_git() {
        let s = git_wrap(
            "p10: subject number 10 with some words to make it a long shortlog entry xx",
            2,
            4,
            72,
        );
        assert_eq!(
            s,
            "  p10: subject number 10 with some words to make it a long shortlog\n    entry xx"
        );
        let s = git_wrap(
            "gpio: mvebu: Convert to platform remove callback returning void, and a very long subject that goes on",
            -24,
            1,
            78,
        );
        assert_eq!(s, "gpio: mvebu: Convert to platform remove callback\n returning void, and a very long subject that goes on");
    }

    #[test]
    fn stat_like_git() {
        let files = vec![
            FileStat {
                path: "a.c".into(),
                added: 1,
                deleted: 0,
            },
            FileStat {
                path: "big.txt".into(),
                added: 111,
                deleted: 111,
            },
            FileStat {
                path:
                    "drivers/very/long/path/name/that/goes/on/and/on/forever/some-long-file-name.c"
                        .into(),
                added: 1,
                deleted: 0,
            },
        ];
        assert_eq!(
            diffstat(&files, 72),
            " a.c                                           |   1 +\n big.txt                                       | 222 +++++++++---------\n .../on/and/on/forever/some-long-file-name.c   |   1 +\n 3 files changed, 113 insertions(+), 111 deletions(-)\n"
        );
    }
}
