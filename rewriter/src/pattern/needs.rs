//! Words a node's text must hold for a rule to match it, when the rule
//! says so through its regexes (`regex: '^(?:kfree|vfree)$'` on a part
//! of it) or its snippets (`module_exit($F)` holds `module_exit`): a
//! relation that walks many nodes (`has` over a large block,
//! `precedes` over the rest of one) skips the nodes, and below them the
//! subtrees, that hold none of them, without trying the rule.

use super::matcher::{Matcher, RelKind};
use super::snippet::PNode;
use regex_syntax::hir::literal::{ExtractKind, Extractor};
use std::cell::{RefCell, RefMut};
use std::collections::HashMap;
use std::ops::Range;

/// Utils refer to utils; deeper than this, say nothing rather than loop.
pub(super) const DEPTH: usize = 16;

/// A word, and whether it is looked for in the masked text (which
/// snippets match) rather than in the text as written (which regexes read).
pub type Word = (bool, Vec<u8>);

/// One of these words is in the text of every node `m` matches, or `None`
/// when that is not known.
pub fn needs(m: &Matcher, utils: &[Matcher]) -> Option<Vec<Word>> {
    needs_at(m, utils, 0)
}

pub(super) fn needs_at(m: &Matcher, utils: &[Matcher], depth: usize) -> Option<Vec<Word>> {
    if depth > DEPTH {
        return None;
    }
    match m {
        Matcher::Regex(re) => {
            regex_words(re.as_str()).map(|w| w.into_iter().map(|w| (false, w)).collect())
        }
        Matcher::Snippet(s) => snippet_word(&s.root).map(|w| vec![(true, w)]),
        // The fewest words are the sharpest test.
        Matcher::All(parts) => parts
            .iter()
            .filter_map(|p| needs_at(p, utils, depth + 1))
            .min_by_key(|w| w.len()),
        Matcher::Any(alts) => {
            let mut all = Vec::new();
            for a in alts {
                all.extend(needs_at(a, utils, depth + 1)?);
            }
            Some(all)
        }
        Matcher::Util(i) => needs_at(&utils[*i], utils, depth + 1),
        // What a descendant holds, its ancestor holds too.
        Matcher::Relation(r) if r.kind == RelKind::Has => needs_at(&r.rule, utils, depth + 1),
        _ => None,
    }
}

/// The longest identifier a snippet spells out: every node it matches
/// holds it (metavariables aside, a snippet matches its own tokens).
fn snippet_word(p: &PNode) -> Option<Vec<u8>> {
    match p {
        PNode::Leaf(t) => {
            let ident = t
                .first()
                .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
                && t.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_');
            (ident && t.len() >= 3).then(|| t.clone())
        }
        PNode::Inner { children, .. } => children
            .iter()
            .filter_map(snippet_word)
            .max_by_key(|w| w.len()),
        PNode::One(_) | PNode::Seq(_) => None,
    }
}

/// Every match of `pattern` starts with one of these words: a finite
/// set of non-empty prefixes, or nothing known.
fn regex_words(pattern: &str) -> Option<Vec<Vec<u8>>> {
    let hir = regex_syntax::parse(pattern).ok()?;
    let seq = Extractor::new().kind(ExtractKind::Prefix).extract(&hir);
    let words: Vec<Vec<u8>> = seq
        .literals()?
        .iter()
        .map(|l| l.as_bytes().to_vec())
        .collect();
    (!words.is_empty() && words.iter().all(|w| !w.is_empty())).then_some(words)
}

/// Where each relation's words occur in one file, found on first use:
/// a node's text is then asked about by a binary search instead of a
/// scan (a `has` from each of many sites over one large block would
/// scan it again every time).
#[derive(Default)]
pub struct WordHits(RefCell<HashMap<usize, Vec<Range<usize>>>>);

impl WordHits {
    /// Whether one of `words` (those of the relation `key`) lies inside
    /// `within` of `file`.
    pub fn any_within(
        &self,
        key: usize,
        words: &[Word],
        texts: Texts,
        within: Range<usize>,
    ) -> bool {
        let hits = self.of(key, words, texts);
        let first = hits.partition_point(|h| h.start < within.start);
        hits[first..]
            .iter()
            .take_while(|h| h.start < within.end)
            .any(|h| h.end <= within.end)
    }

    /// Where the first occurrence of one of `words` (those of the
    /// relation `key`) at or after `at` starts; `usize::MAX` when none.
    pub fn next_start(&self, key: usize, words: &[Word], texts: Texts, at: usize) -> usize {
        let hits = self.of(key, words, texts);
        let first = hits.partition_point(|h| h.start < at);
        hits.get(first).map_or(usize::MAX, |h| h.start)
    }

    /// The occurrences of the relation `key`'s words, found on first use.
    fn of(&self, key: usize, words: &[Word], texts: Texts) -> RefMut<'_, Vec<Range<usize>>> {
        RefMut::map(self.0.borrow_mut(), |all| {
            all.entry(key).or_insert_with(|| occurrences(texts, words))
        })
    }
}

/// A file's masked text and its text as written (same offsets).
#[derive(Clone, Copy)]
pub struct Texts<'a> {
    pub masked: &'a [u8],
    pub original: &'a [u8],
}

/// Every occurrence of every word in its text, by start. A word that
/// holds another word of the same text is not looked for: wherever it
/// lies, the shorter one lies too (`kfree_rcu` and `devm_kfree` are
/// found by `kfree`), and each word costs a pass over the file.
fn occurrences(texts: Texts, words: &[Word]) -> Vec<Range<usize>> {
    let holds_another = |(masked, w): &Word| {
        words.iter().any(|(m, other)| {
            m == masked && other.len() < w.len() && memchr::memmem::find(w, other).is_some()
        })
    };
    let mut out: Vec<Range<usize>> = (words.iter())
        .filter(|w| !holds_another(w))
        .flat_map(|(masked, w)| {
            let text = if *masked {
                texts.masked
            } else {
                texts.original
            };
            memchr::memmem::find_iter(text, w).map(move |p| p..p + w.len())
        })
        .collect();
    out.sort_by_key(|r| (r.start, r.end));
    out
}

#[cfg(test)]
mod tests {
    use super::{regex_words, Texts, WordHits};

    #[test]
    fn word_hits_lie_wholly_inside_the_range() {
        let hits = WordHits::default();
        let words = [(false, b"kfree".to_vec()), (true, b"while".to_vec())];
        let texts = Texts {
            original: b"a; kfree(x); each(c) {}",
            masked: b"a; kfree(x); while(c) {}",
        };
        assert!(hits.any_within(1, &words, texts, 3..12));
        assert!(!hits.any_within(1, &words, texts, 4..12));
        assert!(hits.any_within(1, &words, texts, 12..23));
        assert!(!hits.any_within(1, &words, texts, 14..23));
    }

    #[test]
    fn a_word_holding_another_is_found_by_it() {
        let hits = WordHits::default();
        let words = [(false, b"kfree_rcu".to_vec()), (false, b"kfree".to_vec())];
        let texts = Texts {
            original: b"x; kfree_rcu(p, r);",
            masked: b"x; kfree_rcu(p, r);",
        };
        assert!(hits.any_within(1, &words, texts, 3..12));
        assert!(!hits.any_within(1, &words, texts, 4..12));
    }

    #[test]
    fn words_of_a_regex_are_its_prefixes_when_finite() {
        let w = regex_words(r"^(?:kfree|vfree)$").unwrap();
        assert_eq!(w, [b"kfree".to_vec(), b"vfree".to_vec()]);
        assert_eq!(
            regex_words(r"(?s)^&\s*\((?P<O>.+)->"),
            Some(vec![b"&".to_vec()])
        );
        assert_eq!(regex_words(r".*free"), None);
        assert_eq!(regex_words(r"^\w+$"), None);
    }
}
