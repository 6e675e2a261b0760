//! The campaign state: every site ever seen, its state, the scans, series
//! and verification results that moved it.

pub mod record_import;
pub mod record_scan;

use crate::util::{now_utc, remove_tmp_leftovers, write_atomic, DirLock};
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

/// The bytes of `path`, or None when it does not exist (a campaign not
/// saved yet); any other read error names the file, so that a save does
/// not take an unreadable state file for one changed by another run.
fn read_if_present(path: &Path) -> Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| {
            format!(
                "{}: cannot read the state file before saving; not overwritten",
                path.display()
            )
        }),
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
        let now = read_if_present(&path)?;
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
