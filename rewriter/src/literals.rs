//! Which of a few literal words (anchors, symbol names) a file contains.
//!
//! Every file of the tree goes through this filter, so it has to be fast:
//! the packed (Teddy, SIMD) searcher of `aho-corasick` is several times
//! faster than its automaton on source text, but only reports leftmost
//! matches. Resuming one byte after each match start still visits every
//! position where some word starts, and there every word is compared, so
//! overlapping words (one a prefix or a part of another) are all seen.

use aho_corasick::packed;
use aho_corasick::{AhoCorasick, Input, Span};

pub struct LiteralSet {
    words: Vec<Vec<u8>>,
    searcher: Searcher,
}

enum Searcher {
    Packed(packed::Searcher),
    // No SIMD on this CPU, or too many words for Teddy.
    Automaton(AhoCorasick),
}

impl LiteralSet {
    pub fn new<W: AsRef<[u8]>>(words: &[W]) -> LiteralSet {
        let words: Vec<Vec<u8>> = words.iter().map(|w| w.as_ref().to_vec()).collect();
        let packed = packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(&words)
            .build();
        let searcher = match packed {
            Some(s) => Searcher::Packed(s),
            None => Searcher::Automaton(
                AhoCorasick::builder()
                    .match_kind(aho_corasick::MatchKind::LeftmostFirst)
                    .build(&words)
                    .expect("plain literals always build an automaton"),
            ),
        };
        LiteralSet { words, searcher }
    }

    /// Where the leftmost match at or after `from` starts.
    fn next_start(&self, hay: &[u8], from: usize) -> Option<usize> {
        match &self.searcher {
            Searcher::Packed(s) => s.find_in(hay, Span::from(from..hay.len())),
            Searcher::Automaton(ac) => ac.find(Input::new(hay).range(from..)),
        }
        .map(|m| m.start())
    }

    /// Whether `hay` contains any of the words.
    pub fn any_in(&self, hay: &[u8]) -> bool {
        !self.words.is_empty() && self.next_start(hay, 0).is_some()
    }

    /// Calls `found` with the index of every word that occurs in `hay`
    /// (once per occurrence).
    pub fn each_occurrence(&self, hay: &[u8], mut found: impl FnMut(usize)) {
        if self.words.is_empty() {
            return;
        }
        let mut from = 0;
        while let Some(start) = self.next_start(hay, from) {
            for (i, w) in self.words.iter().enumerate() {
                if hay[start..].starts_with(w) {
                    found(i);
                }
            }
            from = start + 1;
            if from > hay.len() {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(words: &[&str], hay: &str) -> Vec<usize> {
        let set = LiteralSet::new(words);
        let mut v = vec![];
        set.each_occurrence(hay.as_bytes(), |i| v.push(i));
        v.sort();
        v.dedup();
        v
    }

    #[test]
    fn overlapping_words_are_all_reported() {
        // A prefix, a word inside another, and a plain one.
        let words = ["del_timer", "del_timer_sync", "timer_sync", "kobject_put"];
        assert_eq!(found(&words, "\tdel_timer_sync(&t);\n"), vec![0, 1, 2]);
        assert_eq!(found(&words, "kobject_put(k);"), vec![3]);
        assert_eq!(found(&words, "del_timer(&t);"), vec![0]);
        assert!(found(&words, "mod_timer(&t, 1);").is_empty());
    }

    #[test]
    fn any_in_matches_each_word_alone() {
        let words = ["platform_driver", "remove_new", "x"];
        let set = LiteralSet::new(&words);
        for w in words {
            assert!(set.any_in(format!("static struct {w};").as_bytes()), "{w}");
        }
        assert!(!set.any_in(b"static int foo;"));
        assert!(!LiteralSet::new::<&str>(&[]).any_in(b"anything"));
    }

    #[test]
    fn many_words_fall_back_to_the_automaton() {
        // Teddy takes at most a few dozen words; past that the answer
        // must be the same.
        let words: Vec<String> = (0..200).map(|i| format!("helper_{i}_remove")).collect();
        let set = LiteralSet::new(&words);
        assert!(matches!(set.searcher, Searcher::Automaton(_)));
        assert!(set.any_in(b"\t.remove = helper_137_remove,\n"));
        assert!(!set.any_in(b"\t.remove = helper_remove,\n"));
    }
}
