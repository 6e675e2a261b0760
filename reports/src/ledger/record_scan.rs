//! Recording a scan: the sites of an `unplug-scan/1` document against the
//! ledger's. Four steps: (1) sites that moved (another file or object) keep
//! their record; (2) sites seen get created or move on; (3) known sites in
//! scope that were not seen are gone; (4) the scan record and its snapshot.

use super::{
    basename, contains, in_scope, now_utc, pretty, sanitize, Ledger, Owners, ScanRecord,
    ScanSummary, SiteEvent, SiteRecord, SiteState, TreeInfo, HISTORY_DIR, SNAPSHOT_SCHEMA,
};
use anyhow::{bail, Result};
use model::scan::{ScanDoc, Severity, Site, Verdict};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

/// The identity of a site: pattern + file + context, never the line.
pub fn site_key(pattern: &str, file: &str, context: Option<&str>) -> String {
    format!("{pattern}|{file}|{}", context.unwrap_or("-"))
}

/// The sites of an `unplug-scan/1` document with their keys (duplicates
/// of a triple numbered in line order).
pub fn keyed_sites(doc: &ScanDoc) -> Result<Vec<(String, &Site)>> {
    doc.check_schema().map_err(anyhow::Error::msg)?;
    let mut sorted: Vec<&Site> = doc.sites.iter().collect();
    sorted.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    // Numbered in line order whatever the form, so that the second of two
    // sites keeps its key when the first is converted.
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    for s in sorted {
        let base = site_key(&s.pattern, &s.file, s.context.as_deref());
        let n = seen.entry(base.clone()).or_insert(0);
        *n += 1;
        let key = if *n == 1 { base } else { format!("{base}#{n}") };
        out.push((key, s));
    }
    Ok(out)
}

fn is_converted(s: &Site) -> bool {
    s.verdict == Verdict::Converted
}

/// Whether a vanished record and a fresh site are the same site moved.
type RenameRule<'a> = dyn Fn(&SiteRecord, &Site) -> bool + 'a;

/// What every step of one scan's recording needs to know.
struct ScanCtx<'a> {
    scan_id: u32,
    /// The tree's version, or its label: "converted in AT".
    at: String,
    tree: &'a Path,
    scope: &'a [String],
    /// Files the scan could not read (error findings): it says nothing of them.
    unread: BTreeSet<String>,
}

impl Ledger {
    /// Records an `unplug-scan/1` document of `tree`. The scope (which
    /// subdirectories were scanned) is the document's `paths` when present,
    /// else the whole tree.
    pub fn record_scan(&mut self, doc: &ScanDoc, tree: &Path) -> Result<ScanSummary> {
        let scope = doc.paths.clone().unwrap_or_default();
        self.record_scan_scoped(doc, tree, &scope)
    }

    /// [`Self::record_scan`] with an explicit scope: sites outside it keep
    /// their state (a scan of `drivers/gpio` says nothing about `drivers/spi`).
    pub fn record_scan_scoped(
        &mut self,
        doc: &ScanDoc,
        tree: &Path,
        scope: &[String],
    ) -> Result<ScanSummary> {
        self.check_scan_patterns(doc)?;
        let sites = keyed_sites(doc)?;
        let version = doc
            .tree
            .version
            .clone()
            .or_else(|| rewriter::tree::kernel_version(tree));
        let info = TreeInfo {
            path: std::fs::canonicalize(tree)
                .unwrap_or_else(|_| tree.to_path_buf())
                .display()
                .to_string(),
            version: version.clone(),
            commit: series::head_commit(tree),
        };
        let label = info.label();
        let ctx = ScanCtx {
            scan_id: self.state.scans.last().map_or(1, |s| s.id + 1),
            at: version.clone().unwrap_or_else(|| label.clone()),
            tree,
            scope,
            unread: doc
                .findings
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .map(|f| f.file.clone())
                .collect(),
        };
        let mut summary = ScanSummary {
            scan: ctx.scan_id,
            tree: label,
            ..Default::default()
        };
        let renames = self.match_renames(&sites, &ctx);
        self.apply_renames(&sites, &renames, ctx.scan_id, &mut summary);
        let snapshot_sites = self.record_seen(&sites, &ctx, &mut summary);
        self.record_unseen(&sites, &ctx, &mut summary);
        self.push_scan(doc, &sites, snapshot_sites, info, &ctx, &summary)?;
        Ok(summary)
    }

    fn check_scan_patterns(&self, doc: &ScanDoc) -> Result<()> {
        let ids = doc.patterns();
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
        Ok(())
    }

    /// Step 1: new keys matched to known keys that vanished, as
    /// (index into `sites`, old key): (a) same pattern and object/function
    /// in another file (a moved or renamed file), then (b) same pattern and
    /// file, another object/function (a renamed driver struct). A match
    /// must be unique both ways.
    fn match_renames(&self, sites: &[(String, &Site)], ctx: &ScanCtx) -> Vec<(usize, String)> {
        let seen: BTreeSet<&str> = sites.iter().map(|(k, _)| k.as_str()).collect();
        let vanished: Vec<String> = self
            .state
            .sites
            .iter()
            .filter(|(k, r)| {
                !seen.contains(k.as_str())
                    && r.state != SiteState::Gone
                    && in_scope(ctx.scope, &r.file)
                    && !ctx.unread.contains(&r.file)
            })
            .map(|(k, _)| k.clone())
            .collect();
        let fresh: Vec<usize> = sites
            .iter()
            .enumerate()
            .filter(|(_, (k, _))| !self.state.sites.contains_key(k))
            .map(|(i, _)| i)
            .collect();
        // A moved driver lands in a file the ledger never saw.
        let known_files: BTreeSet<&str> =
            self.state.sites.values().map(|r| r.file.as_str()).collect();
        let same_ctx = |old: &SiteRecord, new: &Site| {
            old.pattern == new.pattern
                && old.context.is_some()
                && old.context == new.context
                && old.file != new.file
                && !known_files.contains(new.file.as_str())
        };
        let same_file = |old: &SiteRecord, new: &Site| {
            old.pattern == new.pattern && old.file == new.file && old.context != new.context
        };
        let rules: [&RenameRule; 2] = [&same_ctx, &same_file];
        let mut used_old: BTreeSet<String> = BTreeSet::new();
        let mut used_new: BTreeSet<usize> = BTreeSet::new();
        let mut renames = vec![];
        for rule in rules {
            for &i in &fresh {
                if used_new.contains(&i) {
                    continue;
                }
                let new = sites[i].1;
                let mut cands: Vec<&String> = vanished
                    .iter()
                    .filter(|k| !used_old.contains(*k) && rule(&self.state.sites[*k], new))
                    .collect();
                // Several: one with the same file name wins (a driver
                // moved while a copy went to staging).
                if cands.len() > 1 {
                    cands.retain(|k| basename(&self.state.sites[*k].file) == basename(&new.file));
                }
                if cands.len() != 1 {
                    continue;
                }
                // Unique in the other direction too.
                let old = &self.state.sites[cands[0]];
                let mut back: Vec<usize> = fresh
                    .iter()
                    .copied()
                    .filter(|j| !used_new.contains(j) && rule(old, sites[*j].1))
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
        renames
    }

    /// Step 1, applied: each matched record moves to its new key.
    fn apply_renames(
        &mut self,
        sites: &[(String, &Site)],
        renames: &[(usize, String)],
        scan_id: u32,
        summary: &mut ScanSummary,
    ) {
        for (i, old_key) in renames {
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
    }

    /// Step 2: sites seen in this scan. Returns the snapshot's site entries.
    fn record_seen(
        &mut self,
        sites: &[(String, &Site)],
        ctx: &ScanCtx,
        summary: &mut ScanSummary,
    ) -> Vec<serde_json::Value> {
        let mut owners = Owners::load(ctx.tree);
        let mut snapshot_sites = vec![];
        for (key, s) in sites {
            let (subsystem, maintainers) = owners.of(&s.file);
            if is_converted(s) {
                summary.converted += 1;
            } else {
                summary.legacy += 1;
            }
            snapshot_sites.push(serde_json::json!({
                "key": key, "verdict": s.verdict, "line": s.line, "reason": s.reason,
            }));
            let covered_before = self
                .state
                .scans
                .iter()
                .any(|sc| in_scope(&sc.scope, &s.file));
            match self.state.sites.get_mut(key) {
                None => {
                    let owner = (subsystem, maintainers);
                    let rec = new_record(s, covered_before, owner, ctx.scan_id, summary);
                    self.state.sites.insert(key.clone(), rec);
                }
                Some(rec) => {
                    rec.verdict = s.verdict.as_str().to_string();
                    rec.reason = s.reason.clone();
                    rec.line = s.line;
                    rec.snippet = s.snippet.clone();
                    rec.rule = s.rule.clone();
                    rec.last_seen = ctx.scan_id;
                    if subsystem.is_some() {
                        rec.subsystem = subsystem;
                        rec.maintainers = maintainers;
                    }
                    seen_again(rec, is_converted(s), ctx, summary);
                }
            }
        }
        snapshot_sites
    }

    /// Step 3: known sites in scope that this scan did not see.
    fn record_unseen(
        &mut self,
        sites: &[(String, &Site)],
        ctx: &ScanCtx,
        summary: &mut ScanSummary,
    ) {
        let seen: BTreeSet<&str> = sites.iter().map(|(k, _)| k.as_str()).collect();
        let at = &ctx.at;
        for (key, rec) in self.state.sites.iter_mut() {
            if ctx.unread.contains(&rec.file) {
                continue;
            }
            let in_scope = in_scope(ctx.scope, &rec.file);
            let seen = seen.contains(key.as_str());
            // A conversion that landed stays landed even if the driver
            // goes later (`gone_in` still records it).
            let done = matches!(rec.state, SiteState::Gone | SiteState::Applied);
            if seen || !in_scope || done {
                if rec.state == SiteState::Applied && !seen && in_scope && rec.gone_in.is_none() {
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
            let why = gone_reason(ctx.tree, rec, at);
            if rec.state.is_campaign() {
                summary.gone += 1;
            }
            rec.gone_in = Some(at.clone());
            rec.set_state(ctx.scan_id, SiteState::Gone, Some(why));
        }
    }

    /// Step 4: the scan record, and its snapshot (written at the next save).
    fn push_scan(
        &mut self,
        doc: &ScanDoc,
        sites: &[(String, &Site)],
        snapshot_sites: Vec<serde_json::Value>,
        info: TreeInfo,
        ctx: &ScanCtx,
        summary: &ScanSummary,
    ) -> Result<()> {
        let mut verdicts: BTreeMap<String, usize> = BTreeMap::new();
        for (_, s) in sites.iter().filter(|(_, s)| !is_converted(s)) {
            *verdicts.entry(s.verdict.as_str().to_string()).or_default() += 1;
        }
        let snap_name = format!(
            "{HISTORY_DIR}/{:04}-{}.json",
            ctx.scan_id,
            sanitize(info.version.as_deref().unwrap_or("tree"))
        );
        let record = ScanRecord {
            id: ctx.scan_id,
            taken: now_utc(),
            tree: info,
            scope: ctx.scope.to_vec(),
            snapshot: snap_name.clone(),
            legacy: summary.legacy,
            converted: summary.converted,
            verdicts,
            summary: summary.clone(),
        };
        let snapshot = serde_json::json!({
            "schema": SNAPSHOT_SCHEMA,
            "scan": record,
            "interfaces": doc.interfaces,
            "stats": doc.stats,
            "findings": doc.findings,
            "sites": snapshot_sites,
        });
        self.pending
            .push((snap_name, pretty(&snapshot)?.into_bytes()));
        self.state.scans.push(record);
        Ok(())
    }
}

/// The record of a site seen for the first time: open when its file was
/// never covered by a scan (the baseline), a new user of the retired
/// interface otherwise, converted when it is in the new form.
fn new_record(
    s: &Site,
    covered_before: bool,
    (subsystem, maintainers): (Option<String>, Vec<String>),
    scan_id: u32,
    summary: &mut ScanSummary,
) -> SiteRecord {
    let state = if is_converted(s) {
        SiteState::Converted
    } else if !covered_before {
        summary.new += 1;
        SiteState::Open
    } else {
        summary.new_user += 1;
        SiteState::NewUser
    };
    let verdict = s.verdict.as_str().to_string();
    SiteRecord {
        pattern: s.pattern.clone(),
        file: s.file.clone(),
        context: s.context.clone(),
        rule: s.rule.clone(),
        state,
        verdict: verdict.clone(),
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
            verdict: Some(verdict),
            note: None,
        }],
    }
}

/// A known site seen again: the state moves when its form changed.
fn seen_again(rec: &mut SiteRecord, converted: bool, ctx: &ScanCtx, summary: &mut ScanSummary) {
    let at = &ctx.at;
    match (rec.state, converted) {
        (SiteState::Open | SiteState::InSeries | SiteState::NewUser, true) => {
            rec.applied_in = Some(at.clone());
            rec.set_state(
                ctx.scan_id,
                SiteState::Applied,
                Some(format!("converted in {at}")),
            );
            summary.applied += 1;
        }
        (SiteState::Gone, true) => {
            // Back, converted: count it as landed where it reappeared.
            rec.gone_in = None;
            if rec.applied_in.is_none() {
                rec.applied_in = Some(at.clone());
            }
            rec.set_state(
                ctx.scan_id,
                SiteState::Applied,
                Some(format!("back, converted, in {at}")),
            );
            summary.applied += 1;
        }
        (SiteState::Applied | SiteState::Converted, false) => {
            rec.set_state(
                ctx.scan_id,
                SiteState::NewUser,
                Some(format!("legacy again in {at}")),
            );
            summary.new_user += 1;
            summary.reopened += 1;
        }
        (SiteState::Gone, false) => {
            rec.gone_in = None;
            rec.set_state(ctx.scan_id, SiteState::Open, Some(format!("back in {at}")));
            summary.reopened += 1;
        }
        // Same form as before (a rename was logged in step 1).
        (SiteState::Applied | SiteState::Converted, true)
        | (SiteState::Open | SiteState::InSeries | SiteState::NewUser, false) => {}
    }
}

/// Why a known site is no longer seen: its file went, its function or
/// object went, or the construct went from a function still there.
fn gone_reason(tree: &Path, rec: &SiteRecord, at: &str) -> String {
    match std::fs::read(tree.join(&rec.file)) {
        Err(_) => format!("{} removed in {at}", rec.file),
        Ok(text) => match &rec.context {
            Some(c) if contains(&text, c.as_bytes()) => {
                format!("{c} no longer has the site in {at} (callback or call dropped)")
            }
            Some(c) => format!("{c} no longer in {} in {at}", rec.file),
            None => format!("no longer in {} in {at}", rec.file),
        },
    }
}
