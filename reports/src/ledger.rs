//! The campaign state: every site ever seen, its state, the scans, series
//! and verification results that moved it.

use crate::util::{
    git_commit, module_of_file, now_utc, remove_tmp_leftovers, write_atomic, DirLock,
};
use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

pub const LEDGER_FILE: &str = "ledger.json";
pub const LEDGER_SCHEMA: &str = "unplug-ledger/1";
pub const SNAPSHOT_SCHEMA: &str = "unplug-snapshot/1";
pub const HISTORY_DIR: &str = "history";
const ABOUT: &str = "unplug campaign ledger: one entry per site (key pattern|file|context); format in reports/README.md of the unplug sources; written by unplug, do not edit while it runs";

/// Where a site stands in the campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SiteState {
    /// In the legacy form in the latest scan that covered it; to convert.
    Open,
    /// Open, and a patch converting it was written by `unplug series`.
    InSeries,
    /// Seen in the converted form in a later tree (the conversion landed).
    Applied,
    /// The file or the function/object disappeared from a later tree.
    Gone,
    /// A legacy site that was not in the campaign's first scan of its file:
    /// the retired interface gained a user.
    NewUser,
    /// Already in the new form when first seen: not campaign work.
    Converted,
}

impl SiteState {
    pub const ALL: [SiteState; 6] = [
        SiteState::Open,
        SiteState::InSeries,
        SiteState::NewUser,
        SiteState::Applied,
        SiteState::Gone,
        SiteState::Converted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SiteState::Open => "open",
            SiteState::InSeries => "in-series",
            SiteState::Applied => "applied",
            SiteState::Gone => "gone",
            SiteState::NewUser => "new-user",
            SiteState::Converted => "converted",
        }
    }

    /// Still uses the retired interface.
    pub fn is_legacy(self) -> bool {
        matches!(
            self,
            SiteState::Open | SiteState::InSeries | SiteState::NewUser
        )
    }

    /// Part of the campaign's work (everything but sites that were never legacy).
    pub fn is_campaign(self) -> bool {
        self != SiteState::Converted
    }
}

impl fmt::Display for SiteState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The tree a scan was taken on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeInfo {
    pub path: String,
    /// From the tree's Makefile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `git rev-parse HEAD` when the tree is the top of a git work tree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

impl TreeInfo {
    pub fn label(&self) -> String {
        match (&self.version, &self.commit) {
            (Some(v), Some(c)) => format!("{v} ({})", &c[..c.len().min(12)]),
            (Some(v), None) => v.clone(),
            (None, Some(c)) => c[..c.len().min(12)].to_string(),
            (None, None) => self.path.clone(),
        }
    }
}

/// One recorded scan.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScanRecord {
    /// 1, 2, … in recording order.
    pub id: u32,
    pub taken: String,
    pub tree: TreeInfo,
    /// Subdirectories the scan covered (empty: the whole tree).
    #[serde(default)]
    pub scope: Vec<String>,
    /// The snapshot file, relative to the campaign directory.
    pub snapshot: String,
    /// Sites in the legacy form in this tree (the burndown).
    pub legacy: usize,
    /// Sites in the converted form in this tree.
    pub converted: usize,
    /// Legacy sites by verdict (auto, needs-prep, manual, blocked, unparsed).
    #[serde(default)]
    pub verdicts: BTreeMap<String, usize>,
    pub summary: ScanSummary,
}

/// What recording one scan changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanSummary {
    pub scan: u32,
    pub tree: String,
    pub legacy: usize,
    pub converted: usize,
    /// Legacy sites first seen in this scan in files no earlier scan covered.
    pub new: usize,
    /// Sites seen converted for the first time.
    pub applied: usize,
    pub gone: usize,
    pub new_user: usize,
    /// Sites matched to an earlier site in another file or object.
    pub renamed: usize,
    /// Sites that were applied or gone and are legacy again.
    pub reopened: usize,
}

impl fmt::Display for ScanSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "scan {} of {}: {} legacy, {} converted; {} new, {} applied, {} gone, {} new user(s)",
            self.scan,
            self.tree,
            self.legacy,
            self.converted,
            self.new,
            self.applied,
            self.gone,
            self.new_user
        )?;
        if self.renamed > 0 {
            write!(f, ", {} renamed", self.renamed)?;
        }
        if self.reopened > 0 {
            write!(f, ", {} reopened", self.reopened)?;
        }
        Ok(())
    }
}

/// The patch a site went into (from `unplug series`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatchRef {
    /// MAINTAINERS section of the series.
    pub series: String,
    #[serde(default)]
    pub part: usize,
    #[serde(default)]
    pub version: u32,
    /// e.g. `v1-0003-gpio-foo-Convert-to-….patch`.
    pub patch: String,
    pub subject: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default)]
    pub to: Vec<String>,
    #[serde(default)]
    pub cc: Vec<String>,
    /// `series --check`: applies with git am.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applies: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpatch_errors: Option<u32>,
    /// `series --check --build`: `built on ARCH`, `not-built: why`,
    /// `regression: why`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<String>,
    /// Earlier versions of this patch (`--resend`), oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub earlier: Vec<String>,
    pub recorded: String,
}

/// One verification result for a site's driver (from `unplug verify`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    pub kernel: String,
    pub module: String,
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Scenario (or other source) that produced it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub recorded: String,
}

/// A state change of a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteEvent {
    /// Scan id (0 for series/verify imports).
    pub scan: u32,
    pub state: SiteState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Everything known about one site.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SiteRecord {
    pub pattern: String,
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    pub rule: String,
    pub state: SiteState,
    /// Verdict in the latest scan that saw the site.
    pub verdict: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Line in the latest scan that saw it (informative only: identity
    /// never depends on it).
    pub line: usize,
    pub snippet: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subsystem: Option<String>,
    #[serde(default)]
    pub maintainers: Vec<String>,
    pub first_seen: u32,
    pub last_seen: u32,
    /// Tree version where the site was first seen converted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_in: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gone_in: Option<String>,
    /// Earlier key when the site was matched across a rename.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch: Option<PatchRef>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verification: Vec<Verification>,
    pub history: Vec<SiteEvent>,
}

impl SiteRecord {
    /// `ok` / `FAILED` / none, over the latest result per kernel.
    pub fn verification_summary(&self) -> Option<String> {
        if self.verification.is_empty() {
            return None;
        }
        let parts: Vec<String> = self
            .verification
            .iter()
            .map(|v| format!("{} {}", v.kernel, if v.ok { "ok" } else { "not ok" }))
            .collect();
        Some(parts.join(", "))
    }

    fn set_state(&mut self, scan: u32, state: SiteState, note: Option<String>) {
        if self.state != state || note.is_some() {
            self.state = state;
            self.history.push(SiteEvent {
                scan,
                state,
                verdict: Some(self.verdict.clone()),
                note,
            });
        }
    }
}

/// A series or verify import.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Import {
    pub kind: String,
    pub recorded: String,
    pub what: String,
    /// Sites it touched.
    pub sites: usize,
}

/// The state file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    pub schema: String,
    /// A line for whoever opens the file.
    #[serde(default)]
    pub about: String,
    /// The campaign's pattern ids, sorted. Scans of other patterns are refused.
    pub patterns: Vec<String>,
    pub created: String,
    pub scans: Vec<ScanRecord>,
    #[serde(default)]
    pub imports: Vec<Import>,
    /// The campaign's core patches (`ID/introduce`, `ID/retire`) once
    /// `unplug series --phase` wrote them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub phases: BTreeMap<String, PatchRef>,
    /// Key: `pattern|file|context` (`#2`, `#3` for further sites with the same triple).
    pub sites: BTreeMap<String, SiteRecord>,
}

/// A campaign directory opened for reading and recording.
pub struct Ledger {
    dir: PathBuf,
    pub state: State,
    /// Snapshot files to write at the next save (name, content).
    pending: Vec<(String, Vec<u8>)>,
    /// The state file's bytes when opened (None: new campaign), so that a
    /// save never clobbers a state another process wrote meanwhile.
    loaded: Option<Vec<u8>>,
    /// The last scan id on disk: a snapshot numbered past it that no scan
    /// refers to was left by a killed save.
    saved_scans: u32,
    /// The campaign lock, when opened for an update: held from reading the
    /// state to the end of the run, so that no other unplug records in
    /// between (see [`Ledger::open_locked`]).
    lock: Option<DirLock>,
}

/// The identity of a site: pattern + file + context, never the line.
pub fn site_key(pattern: &str, file: &str, context: Option<&str>) -> String {
    format!("{pattern}|{file}|{}", context.unwrap_or("-"))
}

/// A site of an `unplug-scan/1` document.
#[derive(Debug, Clone, Deserialize)]
pub struct ScanSite {
    pub pattern: String,
    #[serde(default)]
    pub rule: String,
    pub file: String,
    #[serde(default)]
    pub line: usize,
    #[serde(default)]
    pub column: usize,
    #[serde(default)]
    pub context: Option<String>,
    pub verdict: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub snippet: String,
}

impl ScanSite {
    pub fn is_converted(&self) -> bool {
        self.verdict == "converted"
    }
}

/// The sites of an `unplug-scan/1` document with their keys (duplicates
/// of a triple numbered in line order).
pub fn keyed_sites(doc: &Value) -> Result<Vec<(String, ScanSite)>> {
    match doc.get("schema").and_then(Value::as_str) {
        Some("unplug-scan/1") => {}
        Some(other) => bail!("scan document has schema {other:?}; this ledger reads unplug-scan/1"),
        None => bail!("not an unplug-scan/1 document (no \"schema\")"),
    }
    let sites = doc
        .get("sites")
        .and_then(Value::as_array)
        .ok_or_else(|| anyhow!("unplug-scan/1 document without \"sites\""))?;
    let mut parsed: Vec<ScanSite> = sites
        .iter()
        .map(|s| serde_json::from_value(s.clone()))
        .collect::<Result<_, _>>()
        .context("reading the scan document's sites")?;
    parsed.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    // Numbered in line order whatever the form, so that the second of two
    // sites keeps its key when the first is converted.
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    for s in parsed {
        let base = site_key(&s.pattern, &s.file, s.context.as_deref());
        let n = seen.entry(base.clone()).or_insert(0);
        *n += 1;
        let key = if *n == 1 { base } else { format!("{base}#{n}") };
        out.push((key, s));
    }
    Ok(out)
}

/// The pattern ids a scan document covered.
pub fn scan_patterns(doc: &Value) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    if let Some(a) = doc.get("interfaces").and_then(Value::as_array) {
        for i in a {
            if let Some(p) = i.get("pattern").and_then(Value::as_str) {
                ids.insert(p.to_string());
            }
        }
    }
    if let Some(m) = doc.get("summary").and_then(Value::as_object) {
        ids.extend(m.keys().cloned());
    }
    if let Some(a) = doc.get("sites").and_then(Value::as_array) {
        for s in a {
            if let Some(p) = s.get("pattern").and_then(Value::as_str) {
                ids.insert(p.to_string());
            }
        }
    }
    ids
}

fn in_scope(scope: &[String], file: &str) -> bool {
    scope.is_empty()
        || scope.iter().any(|s| {
            let s = s.trim_end_matches('/');
            let s = s.strip_prefix("./").unwrap_or(s);
            s.is_empty() || s == "." || file == s || file.starts_with(&format!("{s}/"))
        })
}

/// Subsystem (owning MAINTAINERS section) and its `M:` people, per file.
struct Owners {
    db: Option<series::maintainers::Maintainers>,
    cache: HashMap<String, (Option<String>, Vec<String>)>,
}

impl Owners {
    fn load(tree: &Path) -> Owners {
        let has = tree.join("MAINTAINERS").exists();
        Owners {
            db: if has {
                series::maintainers::Maintainers::load(tree).ok()
            } else {
                None
            },
            cache: HashMap::new(),
        }
    }

    fn of(&mut self, file: &str) -> (Option<String>, Vec<String>) {
        let Some(db) = &self.db else {
            return (None, vec![]);
        };
        self.cache
            .entry(file.to_string())
            .or_insert_with(|| {
                let o = db.owner(file);
                let people = o
                    .section
                    .map(|i| db.sections[i].maintainers.clone())
                    .unwrap_or_default();
                (o.section_name, people)
            })
            .clone()
    }
}

impl Ledger {
    /// Opens an existing campaign. A missing, damaged or foreign-version
    /// state file is an error, and the file is left as it is.
    pub fn open(dir: &Path) -> Result<Ledger> {
        let path = dir.join(LEDGER_FILE);
        let text = match std::fs::read(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
                "{}: no campaign here (no {LEDGER_FILE}); record a scan with `unplug scan TREE --campaign {}` first",
                dir.display(),
                dir.display()
            ),
            Err(e) => return Err(e).with_context(|| format!("{}: cannot read", path.display())),
        };
        let value: Value = serde_json::from_slice(&text).map_err(|e| {
            anyhow!(
                "{}: damaged state file (not JSON: {e}); it was not modified: restore it from the campaign's history or version control",
                path.display()
            )
        })?;
        match value.get("schema").and_then(Value::as_str) {
            Some(LEDGER_SCHEMA) => {}
            Some(other) => bail!(
                "{}: state file of schema {other:?}, this unplug reads {LEDGER_SCHEMA}; it was not modified (use the unplug that wrote it)",
                path.display()
            ),
            None => bail!(
                "{}: not an unplug ledger (no \"schema\"); it was not modified",
                path.display()
            ),
        }
        let state: State = serde_json::from_value(value).map_err(|e| {
            anyhow!(
                "{}: damaged state file ({e}); it was not modified",
                path.display()
            )
        })?;
        if state.patterns.is_empty() {
            bail!(
                "{}: damaged state file (no patterns); it was not modified",
                path.display()
            );
        }
        Ok(Ledger {
            dir: dir.to_path_buf(),
            saved_scans: state.scans.last().map_or(0, |s| s.id),
            state,
            pending: vec![],
            loaded: Some(text),
            lock: None,
        })
    }

    /// [`Ledger::open`] for a read-modify-write: takes the campaign's lock
    /// first (waiting for another unplug that holds it) and keeps it until
    /// the ledger is dropped, so that two runs recording at once both get
    /// in, one after the other.
    pub fn open_locked(dir: &Path) -> Result<Ledger> {
        if !dir.join(LEDGER_FILE).is_file() {
            // The same message as a plain open.
            return Ledger::open(dir);
        }
        let lock = DirLock::acquire(dir)?;
        let mut l = Ledger::open(dir)?;
        l.lock = Some(lock);
        Ok(l)
    }

    /// Opens the campaign in `dir` locked (as [`Ledger::open_locked`]), or
    /// creates the directory and starts a campaign for `pattern_ids` when
    /// it holds no state file. An existing campaign of other patterns is
    /// refused.
    pub fn create_or_open(dir: &Path, pattern_ids: &[String]) -> Result<Ledger> {
        let mut ids: Vec<String> = pattern_ids.to_vec();
        ids.sort();
        ids.dedup();
        if ids.is_empty() && !dir.join(LEDGER_FILE).exists() {
            // Checked again under the lock; this one creates no directory.
            bail!("a new campaign needs its pattern ids");
        }
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create the campaign directory", dir.display()))?;
        // Under the lock, whether the state exists is settled: of two runs
        // starting the same campaign, the second records into the first's.
        let lock = DirLock::acquire(dir)?;
        if dir.join(LEDGER_FILE).exists() {
            let mut l = Ledger::open(dir)?;
            l.lock = Some(lock);
            if !ids.is_empty() && l.state.patterns != ids {
                bail!(
                    "{}: this campaign tracks {}, not {}: campaigns never mix (use another --campaign directory)",
                    dir.display(),
                    l.state.patterns.join(", "),
                    ids.join(", ")
                );
            }
            return Ok(l);
        }
        if ids.is_empty() {
            bail!("a new campaign needs its pattern ids");
        }
        Ok(Ledger {
            dir: dir.to_path_buf(),
            state: State {
                schema: LEDGER_SCHEMA.into(),
                about: ABOUT.into(),
                patterns: ids,
                created: now_utc(),
                scans: vec![],
                imports: vec![],
                phases: BTreeMap::new(),
                sites: BTreeMap::new(),
            },
            pending: vec![],
            loaded: None,
            saved_scans: 0,
            lock: Some(lock),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn patterns(&self) -> &[String] {
        &self.state.patterns
    }

    /// Records an `unplug-scan/1` document of `tree`. The scope (which
    /// subdirectories were scanned) is read from the document's `paths`
    /// field when present, else the whole tree.
    pub fn record_scan(&mut self, doc: &Value, tree: &Path) -> Result<ScanSummary> {
        let scope: Vec<String> = doc
            .get("paths")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        self.record_scan_scoped(doc, tree, &scope)
    }

    /// [`Self::record_scan`] with an explicit scope: sites outside it keep
    /// their state (a scan of `drivers/gpio` says nothing about `drivers/spi`).
    pub fn record_scan_scoped(
        &mut self,
        doc: &Value,
        tree: &Path,
        scope: &[String],
    ) -> Result<ScanSummary> {
        let ids = scan_patterns(doc);
        let mine: BTreeSet<String> = self.state.patterns.iter().cloned().collect();
        if ids != mine {
            bail!(
                "this campaign tracks {}, the scan is of {}: campaigns never mix (scan with exactly the campaign's --pattern)",
                self.state.patterns.join(", "),
                if ids.is_empty() {
                    "no pattern".to_string()
                } else {
                    ids.into_iter().collect::<Vec<_>>().join(", ")
                }
            );
        }
        let sites = keyed_sites(doc)?;
        let scan_id = self.state.scans.last().map_or(1, |s| s.id + 1);
        let version = doc
            .get("tree")
            .and_then(|t| t.get("version"))
            .and_then(Value::as_str)
            .map(String::from)
            .or_else(|| rewriter::tree::kernel_version(tree));
        let info = TreeInfo {
            path: std::fs::canonicalize(tree)
                .unwrap_or_else(|_| tree.to_path_buf())
                .display()
                .to_string(),
            version: version.clone(),
            commit: git_commit(tree),
        };
        let label = info.label();
        let at = version.clone().unwrap_or_else(|| label.clone());
        let covered_before =
            |file: &str, scans: &[ScanRecord]| scans.iter().any(|s| in_scope(&s.scope, file));
        let mut owners = Owners::load(tree);
        let mut summary = ScanSummary {
            scan: scan_id,
            tree: label.clone(),
            ..Default::default()
        };

        // 1. Rename matching: new keys against known keys that vanished.
        let seen: BTreeSet<&str> = sites.iter().map(|(k, _)| k.as_str()).collect();
        // A file the scan could not read (an error finding) says nothing.
        let unread: BTreeSet<String> = doc
            .get("findings")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|f| f.get("severity").and_then(Value::as_str) == Some("error"))
            .filter_map(|f| f.get("file").and_then(Value::as_str).map(String::from))
            .collect();
        let vanished: Vec<String> = self
            .state
            .sites
            .iter()
            .filter(|(k, r)| {
                !seen.contains(k.as_str())
                    && r.state != SiteState::Gone
                    && in_scope(scope, &r.file)
                    && !unread.contains(&r.file)
            })
            .map(|(k, _)| k.clone())
            .collect();
        let fresh: Vec<usize> = sites
            .iter()
            .enumerate()
            .filter(|(_, (k, _))| !self.state.sites.contains_key(k))
            .map(|(i, _)| i)
            .collect();
        let mut renames: Vec<(usize, String)> = vec![];
        {
            let mut used_old: BTreeSet<String> = BTreeSet::new();
            let mut used_new: BTreeSet<usize> = BTreeSet::new();
            // (a) same pattern and object/function, another file (a moved or renamed file);
            // (b) same pattern and file, another object/function (a renamed driver struct).
            // A moved driver lands in a file the ledger never saw.
            let known_files: BTreeSet<&str> =
                self.state.sites.values().map(|r| r.file.as_str()).collect();
            let same_ctx = |old: &SiteRecord, new: &ScanSite| {
                old.pattern == new.pattern
                    && old.context.is_some()
                    && old.context == new.context
                    && old.file != new.file
                    && !known_files.contains(new.file.as_str())
            };
            let same_file = |old: &SiteRecord, new: &ScanSite| {
                old.pattern == new.pattern && old.file == new.file && old.context != new.context
            };
            for rule in [0, 1] {
                for &i in &fresh {
                    if used_new.contains(&i) {
                        continue;
                    }
                    let new = &sites[i].1;
                    let m = |old: &SiteRecord| {
                        if rule == 0 {
                            same_ctx(old, new)
                        } else {
                            same_file(old, new)
                        }
                    };
                    let mut cands: Vec<&String> = vanished
                        .iter()
                        .filter(|k| !used_old.contains(*k) && m(&self.state.sites[*k]))
                        .collect();
                    // Several: one with the same file name wins (a driver
                    // moved while a copy went to staging).
                    if cands.len() > 1 {
                        cands.retain(|k| {
                            basename(&self.state.sites[*k].file) == basename(&new.file)
                        });
                    }
                    if cands.len() != 1 {
                        continue;
                    }
                    // Unique in the other direction too.
                    let old = &self.state.sites[cands[0]];
                    let mut back: Vec<usize> = fresh
                        .iter()
                        .copied()
                        .filter(|j| !used_new.contains(j))
                        .filter(|&j| {
                            let n = &sites[j].1;
                            if rule == 0 {
                                same_ctx(old, n)
                            } else {
                                same_file(old, n)
                            }
                        })
                        .collect();
                    if back.len() > 1 {
                        back.retain(|&j| basename(&sites[j].1.file) == basename(&old.file));
                    }
                    if back != [i] {
                        continue;
                    }
                    used_old.insert(cands[0].clone());
                    used_new.insert(i);
                    renames.push((i, cands[0].clone()));
                }
            }
        }
        for (i, old_key) in &renames {
            let (new_key, s) = &sites[*i];
            let mut rec = self
                .state
                .sites
                .remove(old_key)
                .expect("vanished key exists");
            rec.renamed_from = Some(old_key.clone());
            rec.file = s.file.clone();
            rec.context = s.context.clone();
            rec.history.push(SiteEvent {
                scan: scan_id,
                state: rec.state,
                verdict: Some(rec.verdict.clone()),
                note: Some(format!("renamed from {old_key}")),
            });
            self.state.sites.insert(new_key.clone(), rec);
            summary.renamed += 1;
        }

        // 2. Sites seen in this scan.
        let baseline = |file: &str, scans: &[ScanRecord]| !covered_before(file, scans);
        let mut snapshot_sites = vec![];
        for (key, s) in &sites {
            let (subsystem, maintainers) = owners.of(&s.file);
            let converted = s.is_converted();
            if converted {
                summary.converted += 1;
            } else {
                summary.legacy += 1;
            }
            snapshot_sites.push(serde_json::json!({
                "key": key, "verdict": s.verdict, "line": s.line, "reason": s.reason,
            }));
            match self.state.sites.get_mut(key) {
                None => {
                    let state = if converted {
                        SiteState::Converted
                    } else if baseline(&s.file, &self.state.scans) {
                        summary.new += 1;
                        SiteState::Open
                    } else {
                        summary.new_user += 1;
                        SiteState::NewUser
                    };
                    let rec = SiteRecord {
                        pattern: s.pattern.clone(),
                        file: s.file.clone(),
                        context: s.context.clone(),
                        rule: s.rule.clone(),
                        state,
                        verdict: s.verdict.clone(),
                        reason: s.reason.clone(),
                        line: s.line,
                        snippet: s.snippet.clone(),
                        subsystem,
                        maintainers,
                        first_seen: scan_id,
                        last_seen: scan_id,
                        applied_in: None,
                        gone_in: None,
                        renamed_from: None,
                        patch: None,
                        verification: vec![],
                        history: vec![SiteEvent {
                            scan: scan_id,
                            state,
                            verdict: Some(s.verdict.clone()),
                            note: None,
                        }],
                    };
                    self.state.sites.insert(key.clone(), rec);
                }
                Some(rec) => {
                    rec.verdict = s.verdict.clone();
                    rec.reason = s.reason.clone();
                    rec.line = s.line;
                    rec.snippet = s.snippet.clone();
                    rec.rule = s.rule.clone();
                    rec.last_seen = scan_id;
                    if subsystem.is_some() {
                        rec.subsystem = subsystem;
                        rec.maintainers = maintainers;
                    }
                    let renamed_now = renames.iter().any(|(i, _)| &sites[*i].0 == key);
                    match (rec.state, converted) {
                        (SiteState::Open | SiteState::InSeries | SiteState::NewUser, true) => {
                            rec.applied_in = Some(at.clone());
                            rec.set_state(
                                scan_id,
                                SiteState::Applied,
                                Some(format!("converted in {at}")),
                            );
                            summary.applied += 1;
                        }
                        (SiteState::Applied | SiteState::Converted, true) => {}
                        (SiteState::Gone, true) => {
                            // Back, converted: count it as landed where it reappeared.
                            rec.gone_in = None;
                            if rec.applied_in.is_none() {
                                rec.applied_in = Some(at.clone());
                            }
                            rec.set_state(
                                scan_id,
                                SiteState::Applied,
                                Some(format!("back, converted, in {at}")),
                            );
                            summary.applied += 1;
                        }
                        (SiteState::Open | SiteState::InSeries | SiteState::NewUser, false) => {
                            if renamed_now {
                                // keep the state; the event was logged above
                            }
                        }
                        (SiteState::Applied | SiteState::Converted, false) => {
                            rec.set_state(
                                scan_id,
                                SiteState::NewUser,
                                Some(format!("legacy again in {at}")),
                            );
                            summary.new_user += 1;
                            summary.reopened += 1;
                        }
                        (SiteState::Gone, false) => {
                            rec.gone_in = None;
                            rec.set_state(scan_id, SiteState::Open, Some(format!("back in {at}")));
                            summary.reopened += 1;
                        }
                    }
                }
            }
        }

        // 3. Known sites in scope that this scan did not see.
        let seen: BTreeSet<&str> = sites.iter().map(|(k, _)| k.as_str()).collect();
        for (key, rec) in self.state.sites.iter_mut() {
            if unread.contains(&rec.file) {
                continue;
            }
            // A conversion that landed stays landed even if the driver
            // goes later (`gone_in` still records it).
            let done = matches!(rec.state, SiteState::Gone | SiteState::Applied);
            if seen.contains(key.as_str()) || !in_scope(scope, &rec.file) || done {
                if rec.state == SiteState::Applied
                    && !seen.contains(key.as_str())
                    && in_scope(scope, &rec.file)
                    && rec.gone_in.is_none()
                {
                    rec.gone_in = Some(at.clone());
                }
                continue;
            }
            if rec.state == SiteState::Converted {
                // Never campaign work: note when it went, keep the state.
                if rec.gone_in.is_none() {
                    rec.gone_in = Some(at.clone());
                }
                continue;
            }
            let why = match std::fs::read(tree.join(&rec.file)) {
                Err(_) => format!("{} removed in {at}", rec.file),
                Ok(text) => match &rec.context {
                    Some(c) if contains(&text, c.as_bytes()) => {
                        format!("{c} no longer has the site in {at} (callback or call dropped)")
                    }
                    Some(c) => format!("{c} no longer in {} in {at}", rec.file),
                    None => format!("no longer in {} in {at}", rec.file),
                },
            };
            if rec.state.is_campaign() {
                summary.gone += 1;
            }
            rec.gone_in = Some(at.clone());
            rec.set_state(scan_id, SiteState::Gone, Some(why));
        }

        // 4. The scan record and its snapshot.
        let mut verdicts: BTreeMap<String, usize> = BTreeMap::new();
        for (_, s) in &sites {
            if !s.is_converted() {
                *verdicts.entry(s.verdict.clone()).or_default() += 1;
            }
        }
        let snap_name = format!(
            "{HISTORY_DIR}/{scan_id:04}-{}.json",
            sanitize(version.as_deref().unwrap_or("tree"))
        );
        let record = ScanRecord {
            id: scan_id,
            taken: now_utc(),
            tree: info,
            scope: scope.to_vec(),
            snapshot: snap_name.clone(),
            legacy: summary.legacy,
            converted: summary.converted,
            verdicts,
            summary: summary.clone(),
        };
        let snapshot = serde_json::json!({
            "schema": SNAPSHOT_SCHEMA,
            "scan": record,
            "interfaces": doc.get("interfaces").cloned().unwrap_or(Value::Null),
            "stats": doc.get("stats").cloned().unwrap_or(Value::Null),
            "findings": doc.get("findings").cloned().unwrap_or(Value::Null),
            "sites": snapshot_sites,
        });
        self.pending
            .push((snap_name, pretty(&snapshot)?.into_bytes()));
        self.state.scans.push(record);
        Ok(summary)
    }

    /// Records what `unplug series` wrote: each site whose file is in a
    /// patch gets the patch; open sites become `in-series`.
    pub fn record_series(&mut self, report: &series::SeriesReport) -> Result<usize> {
        let v = serde_json::to_value(report)?;
        self.record_series_json(&v)
    }

    /// [`Self::record_series`] from `series.json` (what `unplug series`
    /// writes into its out dir, or prints with `--json`).
    pub fn record_series_json(&mut self, v: &Value) -> Result<usize> {
        let campaign = v
            .get("campaign")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("not a series report (no \"campaign\")"))?;
        // `ID/introduce`, `ID/retire`: the campaign's core patches.
        let (base, phase) = match campaign.split_once('/') {
            Some((b, ph)) => (b, Some(ph)),
            None => (campaign, None),
        };
        if !self.state.patterns.iter().any(|p| p == base) {
            bail!(
                "the series is of {campaign}, this campaign tracks {}: campaigns never mix",
                self.state.patterns.join(", ")
            );
        }
        let version = v.get("version").and_then(Value::as_u64).unwrap_or(1) as u32;
        let series = v
            .get("series")
            .and_then(Value::as_array)
            .ok_or_else(|| anyhow!("not a series report (no \"series\")"))?;
        let now = now_utc();
        let str_list = |x: Option<&Value>| -> Vec<String> {
            x.and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut by_file: HashMap<String, PatchRef> = HashMap::new();
        for s in series {
            let section = s
                .get("section")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let part = s.get("part").and_then(Value::as_u64).unwrap_or(1) as usize;
            for p in s
                .get("patches")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let check = p.get("check").filter(|c| !c.is_null());
                let r = PatchRef {
                    series: section.clone(),
                    part,
                    version,
                    patch: p
                        .get("file_name")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .into(),
                    subject: p
                        .get("subject")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .into(),
                    path: p.get("path").and_then(Value::as_str).map(String::from),
                    to: str_list(p.get("to")),
                    cc: str_list(p.get("cc")),
                    applies: check
                        .and_then(|c| c.get("applies"))
                        .and_then(Value::as_bool),
                    checkpatch_errors: check
                        .and_then(|c| c.get("checkpatch_errors"))
                        .and_then(Value::as_u64)
                        .map(|n| n as u32),
                    build: p.get("build").and_then(build_label),
                    earlier: Vec::new(),
                    recorded: now.clone(),
                };
                let mut files = str_list(p.get("files"));
                files.extend(str_list(p.get("drivers")));
                for f in files {
                    by_file.insert(f, r.clone());
                }
            }
        }
        if phase.is_some() {
            let first = series
                .iter()
                .flat_map(|s| {
                    s.get("patches")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                })
                .next();
            let Some(p) = first else {
                bail!("the {campaign} series has no patch");
            };
            let r = PatchRef {
                series: series[0]
                    .get("section")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .into(),
                part: 1,
                version,
                patch: p
                    .get("file_name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .into(),
                subject: p
                    .get("subject")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .into(),
                path: p.get("path").and_then(Value::as_str).map(String::from),
                to: str_list(p.get("to")),
                cc: str_list(p.get("cc")),
                applies: p
                    .get("check")
                    .and_then(|c| c.get("applies"))
                    .and_then(Value::as_bool),
                checkpatch_errors: p
                    .get("check")
                    .and_then(|c| c.get("checkpatch_errors"))
                    .and_then(Value::as_u64)
                    .map(|n| n as u32),
                build: p.get("build").and_then(build_label),
                earlier: Vec::new(),
                recorded: now.clone(),
            };
            self.state.phases.insert(campaign.to_string(), r);
            self.state.imports.push(Import {
                kind: "series".into(),
                recorded: now,
                what: format!("{campaign} v{version}"),
                sites: 0,
            });
            return Ok(0);
        }
        let mut n = 0;
        for rec in self.state.sites.values_mut() {
            if rec.pattern != campaign {
                continue;
            }
            if let Some(p) = by_file.get(&rec.file) {
                if !rec.state.is_legacy() {
                    continue;
                }
                n += 1;
                let mut p = p.clone();
                if let Some(old) = rec.patch.take().filter(|o| o.version < p.version) {
                    p.earlier = old.earlier;
                    p.earlier.push(old.path.unwrap_or(old.patch));
                }
                rec.patch = Some(p.clone());
                if rec.state == SiteState::Open {
                    rec.set_state(0, SiteState::InSeries, Some(format!("patch {}", p.patch)));
                }
            }
        }
        self.state.imports.push(Import {
            kind: "series".into(),
            recorded: now,
            what: format!("{campaign} v{version}, {} patch file(s)", by_file.len()),
            sites: n,
        });
        Ok(n)
    }

    /// Records verification results. Accepted inputs:
    ///
    /// * what `unplug verify --json` prints (an array of scenario outcomes:
    ///   each `rmmod M` operation gives module `M` a result on that kernel);
    /// * `{"schema": "unplug-verify-results/1", "results": [{"module": M |
    ///   "file": F, "kernel": K, "ok": bool, "detail": …}]}`.
    ///
    /// A module maps to the sites of files named like it (`gpio-foo.c` is
    /// `gpio_foo`). Returns the number of sites that got a result.
    pub fn record_verify(&mut self, v: &Value) -> Result<usize> {
        struct R {
            module: Option<String>,
            file: Option<String>,
            kernel: String,
            ok: bool,
            detail: Option<String>,
            source: Option<String>,
        }
        let mut results: Vec<R> = vec![];
        let outcomes: Vec<&Value> = match v {
            Value::Array(a) => a.iter().collect(),
            Value::Object(o) if o.get("schema").and_then(Value::as_str) == Some("unplug-verify-results/1") => {
                for r in o
                    .get("results")
                    .and_then(Value::as_array)
                    .ok_or_else(|| anyhow!("unplug-verify-results/1 without \"results\""))?
                {
                    let ok = r
                        .get("ok")
                        .and_then(Value::as_bool)
                        .ok_or_else(|| anyhow!("verify result without \"ok\": {r}"))?;
                    results.push(R {
                        module: r.get("module").and_then(Value::as_str).map(String::from),
                        file: r.get("file").and_then(Value::as_str).map(String::from),
                        kernel: r.get("kernel").and_then(Value::as_str).unwrap_or("?").into(),
                        ok,
                        detail: r.get("detail").and_then(Value::as_str).map(String::from),
                        source: r.get("source").and_then(Value::as_str).map(String::from),
                    });
                }
                vec![]
            }
            Value::Object(o) if o.contains_key("scenario") => vec![v],
            _ => bail!("not verifier output: expected `unplug verify --json` output or an unplug-verify-results/1 document"),
        };
        for o in outcomes {
            let kernel = o
                .get("kernel")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_string();
            let scenario = o.get("scenario").and_then(Value::as_str).map(String::from);
            let ops = o
                .get("operations")
                .and_then(Value::as_array)
                .ok_or_else(|| anyhow!("verifier outcome without \"operations\""))?;
            for op in ops {
                let name = op.get("operation").and_then(Value::as_str).unwrap_or("");
                let Some(module) = name.strip_prefix("rmmod ") else {
                    continue;
                };
                let verdict = op.get("verdict").and_then(Value::as_str).unwrap_or("");
                if verdict == "skip" {
                    continue;
                }
                let ok = verdict == "ok";
                results.push(R {
                    module: Some(module.trim().replace('-', "_")),
                    file: None,
                    kernel: kernel.clone(),
                    ok,
                    detail: op
                        .get("reason")
                        .and_then(Value::as_str)
                        .map(String::from)
                        .or_else(|| (!ok).then(|| format!("{name}: not ok"))),
                    source: scenario.clone(),
                });
            }
        }
        // One result per (module or file, kernel) per import: not ok if any
        // of its operations was not ok (a module unloaded twice, …).
        let mut merged: Vec<R> = vec![];
        for r in results {
            match merged
                .iter_mut()
                .find(|m| m.module == r.module && m.file == r.file && m.kernel == r.kernel)
            {
                Some(m) => {
                    if !r.ok {
                        m.ok = false;
                        m.detail = match (m.detail.take(), r.detail) {
                            (Some(a), Some(b)) if a != b => Some(format!("{a}; {b}")),
                            (a, b) => a.or(b),
                        };
                    }
                }
                None => merged.push(r),
            }
        }
        let results = merged;
        let now = now_utc();
        let mut touched = BTreeSet::new();
        for r in &results {
            for (key, rec) in self.state.sites.iter_mut() {
                let module = module_of_file(&rec.file);
                let hit = match (&r.file, &r.module) {
                    (Some(f), _) => &rec.file == f,
                    (None, Some(m)) => &module == m,
                    _ => false,
                };
                if !hit {
                    continue;
                }
                let m = r.module.clone().unwrap_or(module);
                rec.verification
                    .retain(|x| !(x.kernel == r.kernel && x.module == m));
                rec.verification.push(Verification {
                    kernel: r.kernel.clone(),
                    module: m,
                    ok: r.ok,
                    detail: r.detail.clone(),
                    source: r.source.clone(),
                    recorded: now.clone(),
                });
                rec.verification
                    .sort_by(|a, b| (&a.kernel, &a.module).cmp(&(&b.kernel, &b.module)));
                touched.insert(key.clone());
            }
        }
        self.state.imports.push(Import {
            kind: "verify".into(),
            recorded: now,
            what: format!("{} result(s)", results.len()),
            sites: touched.len(),
        });
        Ok(touched.len())
    }

    /// Writes the snapshots of recorded scans, then the state file, each
    /// atomically ([`write_atomic`]), under the campaign lock (taken for
    /// the save when the ledger was not opened locked). Leftovers of killed
    /// saves are removed first.
    pub fn save(&mut self) -> Result<()> {
        std::fs::create_dir_all(self.dir.join(HISTORY_DIR)).with_context(|| {
            format!(
                "{}: cannot create the campaign directory",
                self.dir.display()
            )
        })?;
        let _lock = match self.lock {
            Some(_) => None,
            None => Some(DirLock::acquire(&self.dir)?),
        };
        let path = self.dir.join(LEDGER_FILE);
        let now = std::fs::read(&path).ok();
        if now != self.loaded {
            bail!(
                "{}: changed since this run opened it (another unplug, or an edit); not overwritten, run again",
                path.display()
            );
        }
        remove_tmp_leftovers(&self.dir)?;
        remove_tmp_leftovers(&self.dir.join(HISTORY_DIR))?;
        self.remove_orphan_snapshots()?;
        for (name, bytes) in self.pending.drain(..) {
            write_atomic(&self.dir.join(name), &bytes)?;
        }
        let text = pretty(&serde_json::to_value(&self.state)?)?;
        write_atomic(&path, text.as_bytes())?;
        self.loaded = Some(text.into_bytes());
        self.saved_scans = self.state.scans.last().map_or(0, |s| s.id);
        Ok(())
    }

    /// Removes the snapshots that a save killed between writing them and
    /// writing the state left behind: numbered past the last saved scan,
    /// and referred to by no scan.
    fn remove_orphan_snapshots(&self) -> Result<()> {
        let referenced: BTreeSet<&str> = self
            .state
            .scans
            .iter()
            .map(|s| s.snapshot.as_str())
            .collect();
        let history = self.dir.join(HISTORY_DIR);
        for e in std::fs::read_dir(&history)? {
            let e = e?;
            let Some(name) = e.file_name().to_str().map(String::from) else {
                continue;
            };
            let number = name
                .strip_suffix(".json")
                .and_then(|n| n.split_once('-'))
                .and_then(|(n, _)| n.parse::<u32>().ok());
            let orphan = number.is_some_and(|n| n > self.saved_scans)
                && !referenced.contains(format!("{HISTORY_DIR}/{name}").as_str());
            if orphan && e.file_type()?.is_file() {
                std::fs::remove_file(e.path())
                    .with_context(|| format!("{}: cannot remove", e.path().display()))?;
            }
        }
        Ok(())
    }

    /// Sites of the campaign (sorted by key).
    pub fn sites(&self) -> impl Iterator<Item = (&String, &SiteRecord)> {
        self.state.sites.iter()
    }
}

/// Pretty JSON with sorted object keys and a final newline.
pub fn pretty(v: &Value) -> Result<String> {
    fn sort(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let sorted: BTreeMap<&String, Value> =
                    m.iter().map(|(k, v)| (k, sort(v))).collect();
                let mut out = serde_json::Map::new();
                for (k, v) in sorted {
                    out.insert(k.clone(), v);
                }
                Value::Object(out)
            }
            Value::Array(a) => Value::Array(a.iter().map(sort).collect()),
            x => x.clone(),
        }
    }
    let mut s = serde_json::to_string_pretty(&sort(v))?;
    s.push('\n');
    Ok(s)
}

fn basename(f: &str) -> &str {
    f.rsplit('/').next().unwrap_or(f)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A patch's `build` object of series.json in a word or a sentence.
fn build_label(b: &Value) -> Option<String> {
    let status = b.get("status")?.as_str()?;
    let s = |k: &str| b.get(k).and_then(Value::as_str);
    Some(match status {
        "built" => format!("built on {}", s("arch").unwrap_or("?")),
        _ => format!("{status}: {}", s("reason").unwrap_or("")),
    })
}
