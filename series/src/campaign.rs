//! Campaign rules that decide what goes into a series before it is
//! written: which files travel together (a shared helper and every driver
//! pointing at it), what a phase's single core patch holds, when retiring
//! the old interface is refused, and whether a written series failed its
//! checks. The binary turns the rewriter's output into these inputs and
//! prints what they return.

use crate::{build::BuildStatus, DriverChange, FileEdit, SeriesOptions, SeriesReport};
use model::scan::{Site, Verdict};
use model::series::{
    PatchBuildRecord, PatchCheckRecord, PatchRecord, SeriesPartRecord, SeriesRecord,
};
use std::collections::{BTreeMap, BTreeSet};

/// Why a file's edit belongs with others: its own driver, or a helper
/// shared by several drivers (the rewriter writes `helper:NAME`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeGroup {
    /// The file's own change (named by the file or driver key).
    Driver(String),
    /// A helper several drivers share: its file and all its users go together.
    Helper(String),
}

/// Ordered as the rewriter spells them (`drivers/…` before `helper:…`
/// before `sound/…`), so that changes come out in the order they always did.
impl Ord for ChangeGroup {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.spelled().cmp(&other.spelled())
    }
}

impl PartialOrd for ChangeGroup {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl ChangeGroup {
    /// The rewriter's spelling of the group.
    pub fn spelled(&self) -> std::borrow::Cow<'_, str> {
        match self {
            ChangeGroup::Driver(k) => k.as_str().into(),
            ChangeGroup::Helper(h) => format!("helper:{h}").into(),
        }
    }

    /// The group a rewriter group string names.
    pub fn parse(s: &str) -> ChangeGroup {
        match s.strip_prefix("helper:") {
            Some(h) => ChangeGroup::Helper(h.to_string()),
            None => ChangeGroup::Driver(s.to_string()),
        }
    }
}

/// One file's edit with the groups of the sites it carries.
#[derive(Debug, Clone)]
pub struct GroupedEdit {
    pub file: String,
    pub before: Vec<u8>,
    pub after: Vec<u8>,
    /// Empty: the file is its own group.
    pub groups: Vec<ChangeGroup>,
}

impl GroupedEdit {
    fn groups(&self) -> Vec<ChangeGroup> {
        if self.groups.is_empty() {
            vec![ChangeGroup::Driver(self.file.clone())]
        } else {
            self.groups.clone()
        }
    }
}

/// Union-find over groups: groups linked through a shared file are one.
#[derive(Default)]
struct Unions(BTreeMap<ChangeGroup, ChangeGroup>);

impl Unions {
    fn find(&mut self, k: &ChangeGroup) -> ChangeGroup {
        let p = self.0.get(k).cloned().unwrap_or_else(|| k.clone());
        if &p == k {
            return p;
        }
        let root = self.find(&p);
        self.0.insert(k.clone(), root.clone());
        root
    }

    fn join(&mut self, groups: &[ChangeGroup]) {
        let first = self.find(&groups[0]);
        for g in &groups[1..] {
            let r = self.find(g);
            if r != first {
                self.0.insert(r, first.clone());
            }
        }
    }
}

/// One change per driver: groups linked through a shared file form one
/// change, so a helper's file and every driver file pointing at it travel
/// together. `sites` give the commit message's remarks.
pub fn driver_changes(edits: &[GroupedEdit], sites: &[Site]) -> Vec<DriverChange> {
    let mut unions = Unions::default();
    for e in edits {
        unions.join(&e.groups());
    }
    let mut by_root: BTreeMap<ChangeGroup, Vec<&GroupedEdit>> = BTreeMap::new();
    for e in edits {
        let root = unions.find(&e.groups()[0]);
        by_root.entry(root).or_default().push(e);
    }
    by_root
        .into_iter()
        .map(|(root, files)| {
            let helper = files.iter().flat_map(|f| &f.groups).find_map(|g| match g {
                ChangeGroup::Helper(h) => Some(h.clone()),
                ChangeGroup::Driver(_) => None,
            });
            // A driver is named by its own file; a helper group by the
            // first user that is not the helper's file.
            let key = match root {
                ChangeGroup::Driver(k) => k,
                ChangeGroup::Helper(h) => files
                    .iter()
                    .map(|f| f.file.clone())
                    .min()
                    .unwrap_or(format!("helper:{h}")),
            };
            DriverChange {
                key,
                files: files
                    .iter()
                    .map(|f| FileEdit {
                        rel_path: f.file.clone(),
                        before: f.before.clone(),
                        after: f.after.clone(),
                        mode: 0o100644,
                    })
                    .collect(),
                shared_helper: helper,
                remarks: remarks(&files, sites),
            }
        })
        .collect()
}

/// What the commit message of these files' patch should say beyond the
/// rationale: an `auto` site's reason is such a remark (a leak the
/// conversion also fixes), given with the function it is about.
fn remarks(files: &[&GroupedEdit], sites: &[Site]) -> Vec<String> {
    let groups: BTreeSet<ChangeGroup> = files
        .iter()
        .flat_map(|f| {
            f.groups
                .iter()
                .cloned()
                .chain([ChangeGroup::Driver(f.file.clone())])
        })
        .collect();
    let mut out: Vec<String> = Vec::new();
    for s in sites {
        if s.verdict != Verdict::Auto || !groups.contains(&ChangeGroup::parse(&s.group)) {
            continue;
        }
        let Some(reason) = &s.reason else { continue };
        let text = match &s.context {
            Some(f) => format!("In {f}(), {reason}."),
            None => format!("In {}, {reason}.", s.file),
        };
        if !out.contains(&text) {
            out.push(text);
        }
    }
    out
}

/// A campaign's phase: its core patches around the drivers' conversions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CampaignPhase {
    /// One core patch adding the new interface.
    Introduce,
    /// The drivers, per subsystem.
    Convert,
    /// One patch removing the old interface.
    Retire,
}

impl CampaignPhase {
    pub fn name(self) -> &'static str {
        match self {
            CampaignPhase::Introduce => "introduce",
            CampaignPhase::Convert => "convert",
            CampaignPhase::Retire => "retire",
        }
    }

    /// The paths a phase's rewrite covers: introduce touches the core
    /// files only; retire the core files and every user below the selected
    /// paths (the whole tree when none is selected).
    pub fn paths(self, core: &[String], selected: &[String]) -> Vec<String> {
        match self {
            CampaignPhase::Introduce | CampaignPhase::Convert => core.to_vec(),
            CampaignPhase::Retire if selected.is_empty() => vec![],
            CampaignPhase::Retire => core.iter().chain(selected).cloned().collect(),
        }
    }
}

/// A phase is one change to the interface and all its users at once:
/// the changes merged into one, named as a shared change of `id`.
pub fn one_change(mut changes: Vec<DriverChange>, id: &str) -> Vec<DriverChange> {
    if changes.len() <= 1 {
        return changes;
    }
    let mut merged = changes.remove(0);
    for c in changes {
        merged.files.extend(c.files);
    }
    merged.files.sort_by(|a, b| a.rel_path.cmp(&b.rel_path));
    merged.shared_helper = Some(id.to_string());
    vec![merged]
}

/// Retiring the old interface while a user is left would break the build:
/// the legacy users among `sites` (the refusal's list), or none.
pub fn retire_blockers(sites: &[Site]) -> Vec<&Site> {
    sites
        .iter()
        .filter(|s| s.verdict != Verdict::Converted)
        .collect()
}

/// The written series failed a check: a patch that does not apply or that
/// checkpatch finds errors in, a build regression, a verifier verdict
/// other than ok.
pub fn checks_failed(report: &SeriesReport, opts: &SeriesOptions) -> bool {
    report
        .series
        .iter()
        .flat_map(|s| &s.patches)
        .filter_map(|p| p.check.as_ref())
        .any(|c| !c.applies || c.checkpatch_errors.unwrap_or(0) > 0)
        || opts
            .builds
            .values()
            .any(|b| b.status == BuildStatus::Regression)
        || opts.verifies.values().flatten().any(|v| v.verdict != "ok")
}

/// What the ledger records of a written series.
pub fn record_of(report: &SeriesReport) -> SeriesRecord {
    SeriesRecord {
        campaign: report.campaign.clone(),
        version: report.version,
        series: report
            .series
            .iter()
            .map(|s| SeriesPartRecord {
                section: s.section.clone(),
                part: s.part,
                patches: s
                    .patches
                    .iter()
                    .map(|p| PatchRecord {
                        file_name: p.file_name.clone(),
                        subject: p.subject.clone(),
                        path: Some(p.path.display().to_string()),
                        to: p.to.clone(),
                        cc: p.cc.clone(),
                        files: p.files.clone(),
                        drivers: p.drivers.clone(),
                        check: p.check.as_ref().map(|c| PatchCheckRecord {
                            applies: Some(c.applies),
                            checkpatch_errors: c.checkpatch_errors,
                        }),
                        build: p.build.as_ref().map(|b| PatchBuildRecord {
                            status: build_status_name(b.status).to_string(),
                            arch: b.arch.clone(),
                            reason: b.reason.clone(),
                        }),
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// The status as series.json spells it.
fn build_status_name(s: BuildStatus) -> &'static str {
    match s {
        BuildStatus::Built => "built",
        BuildStatus::NotBuilt => "not-built",
        BuildStatus::Regression => "regression",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(file: &str, groups: &[&str]) -> GroupedEdit {
        GroupedEdit {
            file: file.into(),
            before: b"a\n".to_vec(),
            after: b"b\n".to_vec(),
            groups: groups.iter().map(|g| ChangeGroup::parse(g)).collect(),
        }
    }

    fn auto_site(file: &str, group: &str, reason: &str) -> Site {
        Site {
            pattern: "p".into(),
            rule: "r".into(),
            file: file.into(),
            line: 1,
            column: 1,
            context: Some("x_probe".into()),
            verdict: Verdict::Auto,
            reason: Some(reason.into()),
            snippet: String::new(),
            notes: vec![],
            group: group.into(),
        }
    }

    #[test]
    fn a_shared_helper_and_its_users_are_one_change_named_by_a_user() {
        let edits = [
            edit("drivers/a/common.c", &["helper:foo_common"]),
            edit("drivers/a/one.c", &["drivers/a/one.c", "helper:foo_common"]),
            edit("drivers/a/two.c", &["helper:foo_common"]),
            edit("drivers/b/alone.c", &[]),
        ];
        let sites = [auto_site(
            "drivers/a/one.c",
            "drivers/a/one.c",
            "a leak goes too",
        )];
        let changes = driver_changes(&edits, &sites);
        assert_eq!(changes.len(), 2, "{changes:?}");
        let shared = changes.iter().find(|c| c.files.len() == 3).unwrap();
        // Named by the group the helper joined first (as before groups were typed).
        assert_eq!(shared.key, "drivers/a/one.c");
        assert_eq!(shared.shared_helper.as_deref(), Some("foo_common"));
        assert_eq!(shared.remarks, ["In x_probe(), a leak goes too."]);
        let alone = changes
            .iter()
            .find(|c| c.key == "drivers/b/alone.c")
            .unwrap();
        assert_eq!(alone.shared_helper, None);
        assert!(alone.remarks.is_empty());
    }

    #[test]
    fn groups_sort_as_spelled() {
        let mut g = [
            ChangeGroup::parse("sound/x.c"),
            ChangeGroup::parse("helper:h"),
            ChangeGroup::parse("drivers/y.c"),
        ];
        g.sort();
        let spelled: Vec<_> = g.iter().map(|g| g.spelled().into_owned()).collect();
        assert_eq!(spelled, ["drivers/y.c", "helper:h", "sound/x.c"]);
    }

    #[test]
    fn phases_cover_their_paths_and_merge_into_one_change() {
        let core = vec!["include/x.h".to_string()];
        let sel = vec!["drivers/a".to_string()];
        assert_eq!(CampaignPhase::Introduce.paths(&core, &sel), core);
        assert_eq!(
            CampaignPhase::Retire.paths(&core, &[]),
            Vec::<String>::new()
        );
        assert_eq!(
            CampaignPhase::Retire.paths(&core, &sel),
            ["include/x.h", "drivers/a"]
        );
        let edits = [edit("b.c", &[]), edit("a.c", &[])];
        let one = one_change(driver_changes(&edits, &[]), "p/retire");
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].files[0].rel_path, "a.c");
        assert_eq!(one[0].shared_helper.as_deref(), Some("p/retire"));
    }

    #[test]
    fn retiring_is_blocked_by_legacy_sites_only() {
        let mut done = auto_site("a.c", "a.c", "r");
        done.verdict = Verdict::Converted;
        let legacy = auto_site("b.c", "b.c", "r");
        let sites = [done, legacy];
        let blockers = retire_blockers(&sites);
        assert_eq!(blockers.len(), 1);
        assert_eq!(blockers[0].file, "b.c");
    }
}
