//! Which top-level items of a candidate file a pattern has parsed: those
//! holding an anchor, an `also-parse` word, or a name an `also-parse`
//! regex captures in that file (the probe function a `.probe = f` entry
//! names, wherever `f` is defined or used).

use super::compile::At;
use super::spec::AlsoParseSpec;
use anyhow::{bail, Result};
use regex::bytes::Regex;

#[derive(Default)]
pub struct Focus {
    words: Vec<String>,
    /// Each regex's first group is a name whose items are parsed.
    names: Vec<Regex>,
}

impl Focus {
    /// The focus of a pattern: its anchors, the `all-anchors` in version
    /// 1 (version 2 lists them in `also-parse` when a rule looks there:
    /// a filter word such as `i2c_client` is in almost every function),
    /// and the `also-parse` entries.
    pub(super) fn compile(
        anchors: &[String],
        all_anchors: &[String],
        also: &[AlsoParseSpec],
        version: u32,
        at: &At,
    ) -> Result<Focus> {
        let mut focus = Focus {
            words: anchors.to_vec(),
            names: Vec::new(),
        };
        if version < 2 {
            focus.words.extend(all_anchors.iter().cloned());
        }
        for (i, entry) in also.iter().enumerate() {
            match entry {
                AlsoParseSpec::Word(w) => focus.words.push(w.clone()),
                AlsoParseSpec::Names { names } => focus
                    .names
                    .push(name_regex(names, &at.child(&format!("{i}")))?),
            }
        }
        Ok(focus)
    }

    /// A focus of plain words (a phase's anchors).
    pub fn words(words: &[String]) -> Focus {
        Focus {
            words: words.to_vec(),
            names: Vec::new(),
        }
    }

    /// Whether the items holding `word` are kept in every focused parse.
    pub fn keeps_word(&self, word: &[u8]) -> bool {
        self.words.iter().any(|w| w.as_bytes() == word)
    }

    /// The words whose items a focused parse of `bytes` keeps.
    pub fn words_in<'b>(&'b self, bytes: &'b [u8]) -> Vec<&'b [u8]> {
        let mut out: Vec<&[u8]> = self.words.iter().map(|w| w.as_bytes()).collect();
        for re in &self.names {
            out.extend(
                re.captures_iter(bytes)
                    .filter_map(|c| c.get(1))
                    .map(|m| m.as_bytes()),
            );
        }
        out
    }
}

fn name_regex(source: &str, at: &At) -> Result<Regex> {
    let re = match Regex::new(source) {
        Ok(re) => re,
        Err(e) => bail!("{}: `names` is not a valid regex: {e}", at.field("names")),
    };
    if re.captures_len() < 2 {
        bail!(
            "{}: `names` needs a group: the name it captures is what gets parsed",
            at.field("names")
        );
    }
    Ok(re)
}
