//! Line changes the way git settles them: a Myers diff (from `similar`),
//! then git's `xdl_change_compact()` with the indent heuristic (xdiffi.c),
//! which slides each ambiguous group of changed lines to where a reader
//! expects it, and merges groups that can meet. `imara-diff` 0.2 has an
//! indent heuristic too, but it scores a split at the end of the file and
//! aligns a group with the other side's changes differently from git
//! (`slider_heuristic.rs`, `postprocess.rs`), and the series mails must
//! equal `git format-patch`'s bytes: this stays a port of git's own steps,
//! checked against `git diff` (`rewriter/tests/diff_like_git.rs`).

use super::funcname::is_space;

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

/// git's `xdl_change_compact()` for one side: `r` are this side's changed
/// lines over `recs`, `ro` the other side's (moved in step so that the
/// two stay aligned).
fn change_compact(recs: &[&[u8]], r: &mut Rchg, ro: &Rchg) {
    let mut g = group_init(r);
    let mut go = group_init(ro);
    loop {
        if g.end != g.start {
            let (earliest_end, end_matching_other) = slide_and_merge(recs, r, ro, &mut g, &mut go);
            if g.end == earliest_end {
                // the group cannot move: nothing to choose
            } else if end_matching_other != -1 {
                // align with a change on the other side (one hunk, not two)
                while go.end == go.start {
                    group_slide_up(recs, r, &mut g);
                    group_previous(ro, &mut go);
                }
            } else {
                let best_shift = best_indent_shift(recs, &g, earliest_end);
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

/// Slides group `g` up as far as it goes, then down as far as it goes,
/// merging with neighbours on the way, until it stops growing. Returns the
/// highest end the group could have and the lowest end where it lines up
/// with a change on the other side (-1 when none).
fn slide_and_merge(
    recs: &[&[u8]],
    r: &mut Rchg,
    ro: &Rchg,
    g: &mut Group,
    go: &mut Group,
) -> (isize, isize) {
    loop {
        let groupsize = g.end - g.start;
        let mut end_matching_other = -1;
        while group_slide_up(recs, r, g) {
            group_previous(ro, go);
        }
        let earliest_end = g.end;
        if go.end > go.start {
            end_matching_other = g.end;
        }
        while group_slide_down(recs, r, g) {
            group_next(ro, go);
            if go.end > go.start {
                end_matching_other = g.end;
            }
        }
        if groupsize == g.end - g.start {
            return (earliest_end, end_matching_other);
        }
    }
}

/// git's indent heuristic: of the ends group `g` may have (at most 100
/// lines up from where it sits, which is as far down as it goes), the one
/// whose two split points score best; ties go to the lower one.
fn best_indent_shift(recs: &[&[u8]], g: &Group, earliest_end: isize) -> isize {
    let groupsize = g.end - g.start;
    let mut shift = earliest_end.max(g.end - groupsize - 1).max(g.end - 100);
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
    best_shift
}

/// One change: `c1` lines of the old file at `i1` replaced by `c2` lines of
/// the new file at `i2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Change {
    pub i1: usize,
    pub i2: usize,
    pub c1: usize,
    pub c2: usize,
}

/// Line changes between `a` and `b`, normalised the way git does it.
pub(super) fn changes(a: &[&[u8]], b: &[&[u8]]) -> Vec<Change> {
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
