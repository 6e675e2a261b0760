//! Recording what later stages produced: the patches of a written series
//! and the verifier's results, each linked to the sites it concerns.

use super::{now_utc, Import, Ledger, PatchRef, SiteState, Verification};
use crate::util::module_of_file;
use anyhow::{anyhow, bail, Result};
use model::series::{PatchRecord, SeriesRecord};
use model::verify::{OpVerdict, VerifyImport, VerifyOutcome, VerifyResult, VERIFY_RESULTS_SCHEMA};
use std::collections::{BTreeSet, HashMap};

impl Ledger {
    /// Records what `unplug series` wrote: each site whose file is in a
    /// patch gets the patch; open sites become `in-series`. A phase's core
    /// series (`ID/introduce`, `ID/retire`) is recorded as the phase's patch.
    pub fn record_series(&mut self, report: &SeriesRecord) -> Result<usize> {
        let campaign = report.campaign.as_str();
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
        if phase.is_some() {
            return self.record_phase(report);
        }
        let now = now_utc();
        let mut by_file: HashMap<String, PatchRef> = HashMap::new();
        for s in &report.series {
            for p in &s.patches {
                let r = patch_ref(p, &s.section, s.part, report.version, &now);
                for f in p.files.iter().chain(&p.drivers) {
                    by_file.insert(f.clone(), r.clone());
                }
            }
        }
        let mut n = 0;
        for rec in self.state.sites.values_mut() {
            let Some(p) = by_file.get(&rec.file) else {
                continue;
            };
            if rec.pattern != campaign || !rec.state.is_legacy() {
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
        self.state.imports.push(Import {
            kind: "series".into(),
            recorded: now,
            what: format!(
                "{campaign} v{}, {} patch file(s)",
                report.version,
                by_file.len()
            ),
            sites: n,
        });
        Ok(n)
    }

    /// [`Self::record_series`] from `series.json` (what `unplug series`
    /// writes into its out dir, or prints with `--json`).
    pub fn record_series_json(&mut self, v: &serde_json::Value) -> Result<usize> {
        let report: SeriesRecord =
            serde_json::from_value(v.clone()).map_err(|e| anyhow!("not a series report: {e}"))?;
        self.record_series(&report)
    }

    /// [`Self::record_verify`] from JSON (see [`verify_import`]).
    pub fn record_verify_json(&mut self, v: &serde_json::Value) -> Result<usize> {
        self.record_verify(&verify_import(v)?)
    }

    fn record_phase(&mut self, report: &SeriesRecord) -> Result<usize> {
        let campaign = &report.campaign;
        let Some(p) = report.series.iter().flat_map(|s| &s.patches).next() else {
            bail!("the {campaign} series has no patch");
        };
        let now = now_utc();
        let r = patch_ref(p, &report.series[0].section, 1, report.version, &now);
        self.state.phases.insert(campaign.clone(), r);
        self.state.imports.push(Import {
            kind: "series".into(),
            recorded: now,
            what: format!("{campaign} v{}", report.version),
            sites: 0,
        });
        Ok(0)
    }

    /// Records verification results: the verifier's outcomes (each
    /// `rmmod M` operation gives module `M` a result on that kernel) or an
    /// `unplug-verify-results/1` document (results per module or file).
    /// A module maps to the sites of files named like it (`gpio-foo.c` is
    /// `gpio_foo`). Returns the number of sites that got a result.
    pub fn record_verify(&mut self, import: &VerifyImport) -> Result<usize> {
        let results = merge_results(match import {
            VerifyImport::Results(doc) => doc.results.clone(),
            VerifyImport::Outcomes(all) => all.iter().flat_map(rmmod_results).collect(),
            VerifyImport::Outcome(one) => rmmod_results(one),
        });
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
}

/// Verifier output as the ledger imports it: `unplug verify --json`
/// output or an `unplug-verify-results/1` document.
pub fn verify_import(v: &serde_json::Value) -> Result<VerifyImport> {
    let import: VerifyImport = serde_json::from_value(v.clone()).map_err(|_| {
        anyhow!("not verifier output: expected `unplug verify --json` output or an unplug-verify-results/1 document")
    })?;
    if let VerifyImport::Results(doc) = &import {
        if doc.schema != VERIFY_RESULTS_SCHEMA {
            bail!(
                "verify results of schema {:?}, this unplug reads {VERIFY_RESULTS_SCHEMA}",
                doc.schema
            );
        }
    }
    Ok(import)
}

/// The ledger's reference to one patch mail.
fn patch_ref(p: &PatchRecord, section: &str, part: usize, version: u32, now: &str) -> PatchRef {
    PatchRef {
        series: section.to_string(),
        part,
        version,
        patch: p.file_name.clone(),
        subject: p.subject.clone(),
        path: p.path.clone(),
        to: p.to.clone(),
        cc: p.cc.clone(),
        applies: p.check.as_ref().and_then(|c| c.applies),
        checkpatch_errors: p.check.as_ref().and_then(|c| c.checkpatch_errors),
        build: p.build.as_ref().map(|b| b.label()),
        earlier: Vec::new(),
        recorded: now.to_string(),
    }
}

/// One result per `rmmod M` operation of a run (skipped ones say nothing).
fn rmmod_results(o: &VerifyOutcome) -> Vec<VerifyResult> {
    o.operations
        .iter()
        .filter(|op| op.verdict != OpVerdict::Skip)
        .filter_map(|op| {
            let module = op.operation.strip_prefix("rmmod ")?;
            let ok = op.verdict == OpVerdict::Ok;
            Some(VerifyResult {
                module: Some(module.trim().replace('-', "_")),
                file: None,
                kernel: o.kernel.clone(),
                ok,
                detail: op
                    .reason
                    .clone()
                    .or_else(|| (!ok).then(|| format!("{}: not ok", op.operation))),
                source: Some(o.scenario.clone()),
            })
        })
        .collect()
}

/// One result per (module or file, kernel) per import: not ok if any of
/// its operations was not ok (a module unloaded twice, …).
fn merge_results(results: Vec<VerifyResult>) -> Vec<VerifyResult> {
    let mut merged: Vec<VerifyResult> = vec![];
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
    merged
}
