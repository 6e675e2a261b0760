//! Built-in transforms: conversions that need more than a rule can say
//! (following a callback across files, changing a function's type with all
//! its prototypes and users). Keep this list short; each is documented in
//! `patterns/README.md`.

pub mod c_util;
pub mod of_scoped;
pub mod platform_remove_void;
pub mod sysfs_self_delete;

use crate::edit::Edit;
use crate::model::{Finding, Site, Verdict};
use crate::options::RunOptions;
use crate::parse::{parse, parse_focused, ErrorMap, Parsed};
use crate::symbols::SymbolIndex;
use crate::tree::{list_sources, SourceFile};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Mutex, OnceLock};

/// What the engine offers every pattern of one run, each computed once
/// on first use.
pub struct Services<'a> {
    pub root: &'a Path,
    /// Every source file of the walk (`--path` applied).
    pub walk_files: &'a [String],
    pub options: &'a RunOptions,
    /// Every source file of the tree, with the walk's findings.
    tree_files: OnceLock<(Vec<String>, Vec<Finding>)>,
    /// What the services could not do (a header a probe could not read),
    /// handed to the run's findings.
    findings: Mutex<Vec<Finding>>,
}

impl<'a> Services<'a> {
    pub fn new(root: &'a Path, walk_files: &'a [String], options: &'a RunOptions) -> Services<'a> {
        Services {
            root,
            walk_files,
            options,
            tree_files: OnceLock::new(),
            findings: Mutex::new(Vec::new()),
        }
    }

    /// Keeps `finding` for the run's output.
    pub fn report(&self, finding: Finding) {
        self.findings
            .lock()
            .expect("no panic while held")
            .push(finding);
    }

    /// The findings the services kept.
    pub fn take_findings(&self) -> Vec<Finding> {
        std::mem::take(&mut *self.findings.lock().expect("no panic while held"))
    }

    /// Every source file of the tree, even outside `--path` (the walk's
    /// own list when it covered the tree), and what its walk found.
    pub fn tree_files(&self) -> (&[String], &[Finding]) {
        if self.options.paths.is_empty() {
            return (self.walk_files, &[]);
        }
        let (files, findings) = self.tree_files.get_or_init(|| list_whole_tree(self.root));
        (files, findings)
    }

    /// The symbol index of `names` over the whole tree, with the findings
    /// of the files it could not read.
    pub fn symbols(&self, names: &BTreeSet<String>) -> (SymbolIndex, Vec<Finding>) {
        let (files, walk_findings) = self.tree_files();
        let (index, findings) = SymbolIndex::build(self.root, files, names);
        (
            index,
            walk_findings.iter().cloned().chain(findings).collect(),
        )
    }
}

/// Every source file of the tree; a tree that cannot be listed is a
/// finding and an empty list, so what depends on it is reported, not lost.
fn list_whole_tree(root: &Path) -> (Vec<String>, Vec<Finding>) {
    list_sources(root, &[]).unwrap_or_else(|e| {
        let message = format!("cannot list the whole tree: {e:#}");
        (
            Vec::new(),
            vec![Finding::error(root.display().to_string(), None, message)],
        )
    })
}

/// What a transform sees: its candidates and the engine's services.
pub struct TransformCtx<'a> {
    pub root: &'a Path,
    pub pattern_id: &'a str,
    /// Files that contain one of the pattern's anchors.
    pub candidates: &'a [SourceFile],
    pub options: &'a RunOptions,
    pub services: &'a Services<'a>,
}

/// The words of a file's bytes whose top-level items a focused parse keeps.
pub type Focus<'f> = &'f (dyn Fn(&[u8]) -> Vec<&[u8]> + Sync);

/// One parsed file, as `TransformCtx::each_parsed` hands it over.
pub struct ParsedFile<'a> {
    pub file: &'a SourceFile,
    pub parsed: &'a Parsed,
    pub errors: &'a ErrorMap,
}

impl TransformCtx<'_> {
    /// Parses each candidate on every core (whole, or only the top-level
    /// items holding one of the words `focus` gives for its bytes) and
    /// hands it with its error map to `each`; the results come back in
    /// candidate order.
    pub fn each_parsed<T: Send>(
        &self,
        focus: Option<Focus>,
        each: impl Fn(ParsedFile) -> T + Sync,
    ) -> Vec<T> {
        let parse_with = |bytes: &[u8]| match focus {
            Some(words) => parse_focused(bytes, &words(bytes)),
            None => parse(bytes),
        };
        self.candidates
            .par_iter()
            .map(|f| parse_one(f, &parse_with, &each))
            .collect()
    }

    /// `each_parsed` for transforms that decide file by file: each file's
    /// output is merged in candidate order.
    pub fn each_file(
        &self,
        each: impl Fn(ParsedFile) -> TransformOutput + Sync,
    ) -> TransformOutput {
        self.each_file_holding(&[], each)
    }

    /// `each_file` over the candidates whose bytes hold a word of every
    /// group of `needs` (see `holds_all`), the others left unparsed: the
    /// anchors say which files mention the campaign, `needs` which of
    /// them can hold one of its sites, and parsing is what costs.
    pub fn each_file_holding(
        &self,
        needs: &[&[&str]],
        each: impl Fn(ParsedFile) -> TransformOutput + Sync,
    ) -> TransformOutput {
        self.merge_files(needs, &|bytes| parse(bytes), each)
    }

    /// `each_file_holding` with each file parsed only in the top-level
    /// items holding one of `words` (as a whole word): a transform whose
    /// sites lie in the functions that name its macros parses those alone.
    pub fn each_file_focused(
        &self,
        needs: &[&[&str]],
        words: &[&str],
        each: impl Fn(ParsedFile) -> TransformOutput + Sync,
    ) -> TransformOutput {
        let words: Vec<&[u8]> = words.iter().map(|w| w.as_bytes()).collect();
        self.merge_files(needs, &|bytes| parse_focused(bytes, &words), each)
    }

    /// The outputs of `each` over the candidates holding `needs`, each
    /// parsed by `parse_with`, merged in candidate order.
    fn merge_files(
        &self,
        needs: &[&[&str]],
        parse_with: &(dyn Fn(&[u8]) -> Parsed + Sync),
        each: impl Fn(ParsedFile) -> TransformOutput + Sync,
    ) -> TransformOutput {
        let outputs: Vec<TransformOutput> = self
            .candidates
            .par_iter()
            .filter(|f| holds_all(&f.bytes, needs))
            .map(|f| parse_one(f, parse_with, &each))
            .collect();
        let mut out = TransformOutput::default();
        for one in outputs {
            out.append(one);
        }
        out
    }

    /// The symbol index of `names` over the whole tree (see `Services`).
    pub fn symbols(&self, names: &BTreeSet<String>) -> (SymbolIndex, Vec<Finding>) {
        self.services.symbols(names)
    }

    /// Whether the tree's file `rel` (a header) has a match of `regex`: how
    /// a transform picks the form of the interface the tree offers. A file
    /// the tree lacks has none; one it cannot read is a finding too.
    pub fn probe(&self, rel: &str, regex: &str) -> bool {
        let re = regex::Regex::new(regex).expect("probes are static regexes");
        match crate::tree::read_probe(self.root, rel) {
            Ok(text) => text.is_some_and(|t| re.is_match(&t)),
            Err(finding) => {
                self.services.report(finding);
                false
            }
        }
    }

    /// A site of this pattern at `file:line:column`, `auto`, grouped by
    /// its file, without context, reason or notes yet.
    pub fn site(
        &self,
        rule: &str,
        file: &str,
        (line, column): (usize, usize),
        snippet: String,
    ) -> Site {
        Site {
            pattern: self.pattern_id.to_string(),
            rule: rule.to_string(),
            file: file.to_string(),
            line,
            column,
            context: None,
            verdict: Verdict::Auto,
            reason: None,
            snippet,
            notes: vec![],
            group: file.to_string(),
        }
    }
}

/// Parses one candidate with `parse_with` (whole, or focused on some
/// words) and hands it with its error map to `each`.
fn parse_one<T>(
    f: &SourceFile,
    parse_with: &(dyn Fn(&[u8]) -> Parsed + Sync),
    each: impl Fn(ParsedFile) -> T,
) -> T {
    let parsed = parse_with(&f.bytes);
    let errors = ErrorMap::of(&parsed.tree);
    each(ParsedFile {
        file: f,
        parsed: &parsed,
        errors: &errors,
    })
}

/// Whether `bytes` hold at least one word of each group (no group: yes).
pub fn holds_all(bytes: &[u8], groups: &[&[&str]]) -> bool {
    groups.iter().all(|words| {
        words
            .iter()
            .any(|w| memchr::memmem::find(bytes, w.as_bytes()).is_some())
    })
}

/// What a transform yields: sites, and edits grouped by file with each
/// file's original bytes. Edit `site` fields index `sites`.
#[derive(Default)]
pub struct TransformOutput {
    pub sites: Vec<Site>,
    pub edits: BTreeMap<String, (Vec<u8>, Vec<Edit>)>,
    pub findings: Vec<Finding>,
}

impl TransformOutput {
    pub fn add_edit(&mut self, file: &str, original: &[u8], edit: Edit) {
        self.edits
            .entry(file.to_string())
            .or_insert_with(|| (original.to_vec(), Vec::new()))
            .1
            .push(edit);
    }

    /// Moves `other`'s sites, findings and edits after this one's, its
    /// edits renumbered to the moved sites.
    pub fn append(&mut self, other: TransformOutput) {
        let base = self.sites.len();
        self.sites.extend(other.sites);
        self.findings.extend(other.findings);
        for (file, (orig, edits)) in other.edits {
            for mut e in edits {
                e.site += base;
                self.add_edit(&file, &orig, e);
            }
        }
    }
}

/// A conversion in Rust, over the engine's services (`TransformCtx`):
/// it finds sites and proposes edits; the engine applies them, refusing
/// any that touches a region the parser could not read.
pub trait Transform: Sync {
    fn name(&self) -> &'static str;
    fn run(&self, ctx: &TransformCtx) -> TransformOutput;
}

/// What a pattern hands its transform when it loads: its `parameters`,
/// and what they are checked against.
pub struct Parameters<'a> {
    /// The pattern's `parameters`, if it has them.
    pub value: Option<&'a serde_yaml::Value>,
    /// The pattern's `anchors` and `transform-anchors`: a name a
    /// transform's sites start from must be one, or no file holding it is
    /// ever read.
    pub anchors: &'a [String],
    /// The file the pattern's `requires` reads.
    pub requires_file: Option<&'a str>,
}

/// Why a transform's parameters do not load: the path of the value at
/// fault under `parameters` (`iterators.2.macro`; empty: the mapping, or
/// the `transform` key when there is none) and what is wrong.
#[derive(Debug)]
pub struct ParamError {
    pub path: String,
    pub message: String,
}

impl ParamError {
    pub fn at(path: impl Into<String>, message: impl Into<String>) -> ParamError {
        ParamError {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl Parameters<'_> {
    /// The parameters read into the transform's own type (which refuses
    /// unknown keys), the path of the value at fault on error.
    pub fn read<T: serde::de::DeserializeOwned>(&self, transform: &str) -> Result<T, ParamError> {
        let Some(value) = self.value else {
            return Err(ParamError::at(
                "",
                format!("the transform `{transform}` needs `parameters` (see patterns/README.md)"),
            ));
        };
        serde_path_to_error::deserialize(value.clone()).map_err(|e| {
            let path: Vec<String> = e
                .path()
                .iter()
                .map(|seg| match seg {
                    serde_path_to_error::Segment::Seq { index } => index.to_string(),
                    other => other.to_string(),
                })
                .collect();
            ParamError::at(path.join("."), e.into_inner().to_string())
        })
    }

    /// For a transform that takes no parameters: an error if it was given some.
    pub fn none(&self, transform: &str) -> Result<(), ParamError> {
        match self.value {
            None => Ok(()),
            Some(_) => Err(ParamError::at(
                "",
                format!("the transform `{transform}` takes no `parameters`"),
            )),
        }
    }

    /// An error unless `name` is one of the pattern's anchors.
    pub fn anchored(&self, name: &str, path: &str, what: &str) -> Result<(), ParamError> {
        if self.anchors.iter().any(|a| a == name) {
            return Ok(());
        }
        Err(ParamError::at(
            path,
            format!("{what} `{name}` is not among the pattern's `anchors` or `transform-anchors`: no file holding it would be read"),
        ))
    }
}

/// An error at `path` (under `parameters`) unless `s` is a C name.
pub fn c_name(s: &str, path: &str) -> Result<(), ParamError> {
    let ok = !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    match ok {
        true => Ok(()),
        false => Err(ParamError::at(path, format!("`{s}` is not a C name"))),
    }
}

/// What `kept` tells transforms apart by: the name, the parameters and
/// the file `requires` reads.
type KeptKey = (String, Option<serde_yaml::Value>, Option<String>);

/// The transform `make` builds from `params`, kept for the process (a
/// pattern holds a `&'static dyn Transform`): loads with equal parameters
/// share one, so loading the patterns again (each command, each test)
/// does not grow memory. `make` reads nothing but `params.value` and
/// `params.requires_file`.
pub fn kept(
    name: &str,
    params: &Parameters,
    make: impl FnOnce() -> Box<dyn Transform>,
) -> &'static dyn Transform {
    static KEPT: Mutex<Vec<(KeptKey, &'static dyn Transform)>> = Mutex::new(Vec::new());
    let key: KeptKey = (
        name.to_string(),
        params.value.cloned(),
        params.requires_file.map(str::to_string),
    );
    let mut kept = KEPT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, t)) = kept.iter().find(|(k, _)| *k == key) {
        return *t;
    }
    let t: &'static dyn Transform = Box::leak(make());
    kept.push((key, t));
    t
}

/// Reads a pattern's parameters into a transform.
type Load = fn(&Parameters) -> Result<&'static dyn Transform, ParamError>;

const ALL: &[(&str, Load)] = &[
    ("platform-remove-void", load_platform_remove_void),
    ("of-node-scoped-iterators", of_scoped::load),
    ("sysfs-self-delete", sysfs_self_delete::load),
];

/// `platform-remove-void` takes no parameters.
fn load_platform_remove_void(params: &Parameters) -> Result<&'static dyn Transform, ParamError> {
    params.none("platform-remove-void")?;
    Ok(&platform_remove_void::PlatformRemoveVoid)
}

/// The built-in transform `name` configured by `params`; `None` when
/// there is no such transform.
pub fn load(name: &str, params: &Parameters) -> Option<Result<&'static dyn Transform, ParamError>> {
    ALL.iter()
        .find(|(n, _)| *n == name)
        .map(|(_, load)| load(params))
}

pub fn names() -> Vec<&'static str> {
    ALL.iter().map(|(n, _)| *n).collect()
}

#[cfg(test)]
mod tests {
    use super::holds_all;

    #[test]
    fn holds_all_needs_one_word_of_every_group() {
        let src = b"static DECLARE_WORK(w, f);\nschedule_work(&w);\n";
        assert!(holds_all(src, &[]));
        assert!(holds_all(
            src,
            &[&["queue_work", "schedule_work"], &["DECLARE_WORK"]]
        ));
        assert!(!holds_all(
            src,
            &[&["schedule_work"], &["device_attribute", "kobj_attribute"]]
        ));
    }
}
