//! What the engine offers every pattern of a run, rules and transforms
//! alike: the tree's files, parallel parsing of the candidates (whole or
//! focused), header probes, the symbol index, sites, and the output a
//! pattern yields (sites, and edits grouped by file).

use crate::edit::Edit;
use crate::model::{Finding, Site, Verdict};
use crate::options::RunOptions;
use crate::parse::{parse, parse_focused, ErrorMap, Parsed};
use crate::symbols::SymbolIndex;
use crate::tree::{list_sources, SourceFile};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
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
    /// The top-level item boundaries of each candidate parsed, by file:
    /// the rewrite check of its edits needs them, and finding them again
    /// means lexing the whole file again.
    bounds: Mutex<HashMap<String, Vec<usize>>>,
}

impl<'a> Services<'a> {
    pub fn new(root: &'a Path, walk_files: &'a [String], options: &'a RunOptions) -> Services<'a> {
        Services {
            root,
            walk_files,
            options,
            tree_files: OnceLock::new(),
            findings: Mutex::new(Vec::new()),
            bounds: Mutex::new(HashMap::new()),
        }
    }

    /// Keeps the item boundaries a parse of the candidate `rel` found.
    pub fn keep_bounds(&self, rel: &str, parsed: &Parsed) {
        let mut all = self.bounds.lock().expect("no panic while held");
        if !all.contains_key(rel) {
            all.insert(rel.to_string(), parsed.masked.bounds.clone());
        }
    }

    /// The item boundaries kept for each file.
    pub fn take_bounds(&self) -> HashMap<String, Vec<usize>> {
        std::mem::take(&mut self.bounds.lock().expect("no panic while held"))
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
            .map(|f| parse_one(self.services, f, &parse_with, &each))
            .collect()
    }

    /// `each_parsed` for transforms that decide file by file, each file
    /// parsed only in the top-level items holding one of `words` (as a
    /// whole word): a transform whose sites lie in the functions that name
    /// its macros parses those alone. The per-file outputs are merged in
    /// candidate order.
    pub fn each_file_focused(
        &self,
        words: &[&str],
        each: impl Fn(ParsedFile) -> TransformOutput + Sync,
    ) -> TransformOutput {
        let words: Vec<&[u8]> = words.iter().map(|w| w.as_bytes()).collect();
        self.merge_files(&|bytes| parse_focused(bytes, &words), each)
    }

    /// The outputs of `each` over the candidates, each parsed by
    /// `parse_with`, merged in candidate order.
    fn merge_files(
        &self,
        parse_with: &(dyn Fn(&[u8]) -> Parsed + Sync),
        each: impl Fn(ParsedFile) -> TransformOutput + Sync,
    ) -> TransformOutput {
        let outputs: Vec<TransformOutput> = self
            .candidates
            .par_iter()
            .map(|f| parse_one(self.services, f, parse_with, &each))
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
    services: &Services,
    f: &SourceFile,
    parse_with: &(dyn Fn(&[u8]) -> Parsed + Sync),
    each: impl Fn(ParsedFile) -> T,
) -> T {
    let parsed = parse_with(&f.bytes);
    services.keep_bounds(&f.rel, &parsed);
    let errors = ErrorMap::of(&parsed.tree);
    each(ParsedFile {
        file: f,
        parsed: &parsed,
        errors: &errors,
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
