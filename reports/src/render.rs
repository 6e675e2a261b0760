//! Reports of a ledger: Markdown (status mail, cover letter), one
//! self-contained HTML file, JSON (`unplug-report/1`, see README.md).

use crate::ledger::{Ledger, SiteRecord, SiteState};
use anyhow::{bail, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Md,
    Html,
    Json,
}

impl std::str::FromStr for Format {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<Format> {
        Ok(match s {
            "md" | "markdown" => Format::Md,
            "html" => Format::Html,
            "json" => Format::Json,
            _ => bail!("unknown report format {s:?} (md, html, json)"),
        })
    }
}

pub const REPORT_SCHEMA: &str = "unplug-report/1";
const NO_SECTION: &str = "(no MAINTAINERS section)";
/// Sites whose section lists no `M:` (orphans, lists only).
const NO_MAINTAINER: &str = "(no maintainer)";

/// Counts by state of a group of campaign sites.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    /// By state name (`open`, `in-series`, `new-user`, `applied`, `gone`).
    pub states: BTreeMap<String, usize>,
    /// Campaign sites (every state but `converted`).
    pub total: usize,
    /// applied + gone.
    pub done: usize,
    /// Still using the retired interface: open + in-series + new-user.
    pub remaining: usize,
    /// done / total, 0..=100 (100 when total is 0).
    pub percent: f64,
}

impl Counts {
    fn add(&mut self, s: SiteState) {
        *self.states.entry(s.as_str().to_string()).or_default() += 1;
        if s.is_campaign() {
            self.total += 1;
        }
        if matches!(s, SiteState::Applied | SiteState::Gone) {
            self.done += 1;
        }
        if s.is_legacy() {
            self.remaining += 1;
        }
        self.percent = if self.total == 0 {
            100.0
        } else {
            (self.done as f64 * 1000.0 / self.total as f64).round() / 10.0
        };
    }

    pub fn get(&self, s: SiteState) -> usize {
        self.states.get(s.as_str()).copied().unwrap_or(0)
    }

    /// The columns every group table shows after its progress, in order:
    /// open, in series, new user, applied, gone, total.
    fn columns(&self) -> [usize; 6] {
        [
            self.get(SiteState::Open),
            self.get(SiteState::InSeries),
            self.get(SiteState::NewUser),
            self.get(SiteState::Applied),
            self.get(SiteState::Gone),
            self.total,
        ]
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupRow {
    pub name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub maintainers: Vec<String>,
    pub counts: Counts,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScanRow {
    pub id: u32,
    pub taken: String,
    pub tree: crate::ledger::TreeInfo,
    pub scope: Vec<String>,
    /// Legacy sites in that tree (the burndown).
    pub legacy: usize,
    pub converted: usize,
    pub verdicts: BTreeMap<String, usize>,
    pub summary: crate::ledger::ScanSummary,
}

#[derive(Debug, Clone, Serialize)]
pub struct SiteRow {
    pub key: String,
    pub pattern: String,
    pub file: String,
    pub context: Option<String>,
    pub line: usize,
    pub subsystem: String,
    pub maintainers: Vec<String>,
    pub state: SiteState,
    pub verdict: String,
    pub reason: Option<String>,
    pub applied_in: Option<String>,
    pub gone_in: Option<String>,
    pub renamed_from: Option<String>,
    pub patch: Option<crate::ledger::PatchRef>,
    pub verification: Vec<crate::ledger::Verification>,
}

/// The `unplug-report/1` document; Markdown and HTML are views of it.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub generated: String,
    pub campaign: CampaignInfo,
    pub totals: Counts,
    /// Core patches written by `unplug series --phase introduce|retire`,
    /// keyed `ID/introduce`, `ID/retire`.
    pub phases: BTreeMap<String, crate::ledger::PatchRef>,
    /// No legacy site left in the latest scan of the whole campaign: the
    /// old interface can be retired.
    pub ready_to_retire: bool,
    /// Legacy sites left in the whole campaign (whatever the filter).
    pub legacy_left: usize,
    pub scans: Vec<ScanRow>,
    pub subsystems: Vec<GroupRow>,
    pub maintainers: Vec<GroupRow>,
    pub sites: Vec<SiteRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CampaignInfo {
    pub patterns: Vec<String>,
    pub created: String,
    pub dir: String,
}

/// Builds the report model of a ledger.
pub fn report(ledger: &Ledger) -> Report {
    report_with(ledger, &RenderOptions::default())
}

/// What a report covers.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    /// Only sites whose subsystem (MAINTAINERS section) contains one of
    /// these (case-insensitive), or whose file starts with one; empty: all.
    pub subsystems: Vec<String>,
    /// Markdown: at most this many rows in the drivers table (0: 300).
    pub max_rows: usize,
}

impl RenderOptions {
    fn wants(&self, r: &SiteRecord) -> bool {
        self.subsystems.is_empty()
            || self.subsystems.iter().any(|w| {
                let w = w.to_lowercase();
                r.subsystem
                    .as_deref()
                    .is_some_and(|s| s.to_lowercase().contains(&w))
                    || r.file.starts_with(w.trim_end_matches('/'))
            })
    }
}

/// The report model restricted by `opts`.
pub fn report_with(ledger: &Ledger, opts: &RenderOptions) -> Report {
    let mut totals = Counts::default();
    let mut subs: BTreeMap<String, GroupRow> = BTreeMap::new();
    let mut people: BTreeMap<String, GroupRow> = BTreeMap::new();
    let mut sites = vec![];
    for (key, r) in ledger.sites() {
        if !opts.wants(r) {
            continue;
        }
        totals.add(r.state);
        if !r.state.is_campaign() {
            continue;
        }
        let sub = r
            .subsystem
            .clone()
            .unwrap_or_else(|| NO_SECTION.to_string());
        subs.entry(sub.clone())
            .or_insert_with(|| GroupRow {
                name: sub.clone(),
                maintainers: r.maintainers.clone(),
                counts: Counts::default(),
            })
            .counts
            .add(r.state);
        let nobody = [NO_MAINTAINER.to_string()];
        let who: &[String] = if r.maintainers.is_empty() {
            &nobody
        } else {
            &r.maintainers
        };
        for m in who {
            people
                .entry(m.clone())
                .or_insert_with(|| GroupRow {
                    name: m.clone(),
                    maintainers: vec![],
                    counts: Counts::default(),
                })
                .counts
                .add(r.state);
        }
        sites.push(site_row(key, r, sub));
    }
    let subsystems = by_remaining(subs);
    let maintainers = by_remaining(people);
    sites.sort_by(|a, b| {
        (state_rank(a.state), &a.subsystem, &a.file, &a.key).cmp(&(
            state_rank(b.state),
            &b.subsystem,
            &b.file,
            &b.key,
        ))
    });
    Report {
        schema: REPORT_SCHEMA,
        generated: crate::util::now_utc(),
        campaign: CampaignInfo {
            patterns: ledger.state.patterns.clone(),
            created: ledger.state.created.clone(),
            dir: ledger.dir().display().to_string(),
        },
        totals,
        phases: ledger.state.phases.clone(),
        ready_to_retire: !ledger.state.scans.is_empty()
            && ledger.state.sites.values().all(|r| !r.state.is_legacy()),
        legacy_left: ledger
            .state
            .sites
            .values()
            .filter(|r| r.state.is_legacy())
            .count(),
        scans: scan_rows(ledger),
        subsystems,
        maintainers,
        sites,
    }
}

/// Groups with the most left to do first, then the largest, then by name.
fn by_remaining(groups: BTreeMap<String, GroupRow>) -> Vec<GroupRow> {
    let mut rows: Vec<GroupRow> = groups.into_values().collect();
    rows.sort_by(|a, b| {
        b.counts
            .remaining
            .cmp(&a.counts.remaining)
            .then(b.counts.total.cmp(&a.counts.total))
            .then(a.name.cmp(&b.name))
    });
    rows
}

fn scan_rows(ledger: &Ledger) -> Vec<ScanRow> {
    ledger
        .state
        .scans
        .iter()
        .map(|s| ScanRow {
            id: s.id,
            taken: s.taken.clone(),
            tree: s.tree.clone(),
            scope: s.scope.clone(),
            legacy: s.legacy,
            converted: s.converted,
            verdicts: s.verdicts.clone(),
            summary: s.summary.clone(),
        })
        .collect()
}

fn state_rank(s: SiteState) -> u8 {
    match s {
        SiteState::NewUser => 0,
        SiteState::Open => 1,
        SiteState::InSeries => 2,
        SiteState::Applied => 3,
        SiteState::Gone => 4,
        SiteState::Converted => 5,
    }
}

fn site_row(key: &str, r: &SiteRecord, subsystem: String) -> SiteRow {
    SiteRow {
        key: key.to_string(),
        pattern: r.pattern.clone(),
        file: r.file.clone(),
        context: r.context.clone(),
        line: r.line,
        subsystem,
        maintainers: r.maintainers.clone(),
        state: r.state,
        verdict: r.verdict.clone(),
        reason: row_reason(r),
        applied_in: r.applied_in.clone(),
        gone_in: r.gone_in.clone(),
        renamed_from: r.renamed_from.clone(),
        patch: r.patch.clone(),
        verification: r.verification.clone(),
    }
}

/// What the reason column says: the verdict's reason while legacy, else
/// the last event's note.
fn row_reason(r: &SiteRecord) -> Option<String> {
    if r.state.is_legacy() {
        if r.state == SiteState::NewUser {
            if let Some(n) = r.history.iter().rev().find_map(|e| e.note.clone()) {
                return Some(n);
            }
            return Some("not in the campaign's first scan of this file".into());
        }
        match (&r.reason, &r.renamed_from) {
            (None, Some(from)) => Some(format!("moved from {from}")),
            (reason, _) => reason.clone(),
        }
    } else {
        r.history.iter().rev().find_map(|e| e.note.clone())
    }
}

/// Renders the ledger.
pub fn render(ledger: &Ledger, format: Format) -> Result<String> {
    render_with(ledger, format, &RenderOptions::default())
}

/// Renders the part of the ledger `opts` selects.
pub fn render_with(ledger: &Ledger, format: Format, opts: &RenderOptions) -> Result<String> {
    let rep = report_with(ledger, opts);
    Ok(match format {
        Format::Json => crate::ledger::pretty(&serde_json::to_value(&rep)?)?,
        Format::Md => markdown(
            &rep,
            if opts.max_rows == 0 {
                300
            } else {
                opts.max_rows
            },
        ),
        Format::Html => html(&rep),
    })
}

/// "Core patches: introduce …; retire …" and whether retiring may go.
fn phases_line(rep: &Report) -> String {
    let mut parts = vec![];
    for id in &rep.campaign.patterns {
        for ph in ["introduce", "retire"] {
            if let Some(p) = rep.phases.get(&format!("{id}/{ph}")) {
                parts.push(format!("{ph}: {} ({})", p.subject, p.patch));
            }
        }
    }
    let core = if parts.is_empty() {
        "Core patches: none written yet".to_string()
    } else {
        format!("Core patches: {}", parts.join("; "))
    };
    let retire = if rep.ready_to_retire {
        "no legacy user left: the old interface can be retired".to_string()
    } else {
        format!(
            "retiring the old interface waits for {} legacy user(s)",
            rep.legacy_left
        )
    };
    format!("{core}. {}{}.", retire[..1].to_uppercase(), &retire[1..])
}

fn bar(percent: f64, width: usize) -> String {
    let full = ((percent / 100.0) * width as f64).round() as usize;
    let full = full.min(width);
    format!("{}{}", "█".repeat(full), "░".repeat(width - full))
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn tree_label(t: &crate::ledger::TreeInfo) -> String {
    t.label()
}

fn patch_label(r: &SiteRow) -> String {
    r.patch
        .as_ref()
        .map(|p| {
            let mut s = p.patch.clone();
            if p.applies == Some(false) {
                s.push_str(" (does not apply)");
            }
            if let Some(b) = p.build.as_deref().filter(|b| !b.starts_with("built")) {
                s.push_str(&format!(" ({})", b.split(':').next().unwrap_or(b)));
            }
            s
        })
        .unwrap_or_default()
}

fn verify_label(r: &SiteRow) -> String {
    r.verification
        .iter()
        .map(|v| format!("{} {}", v.kernel, if v.ok { "ok" } else { "not ok" }))
        .collect::<Vec<_>>()
        .join(", ")
}

fn state_order() -> [SiteState; 5] {
    [
        SiteState::Open,
        SiteState::InSeries,
        SiteState::NewUser,
        SiteState::Applied,
        SiteState::Gone,
    ]
}

fn markdown(rep: &Report, max_rows: usize) -> String {
    let mut o = String::new();
    md_summary(&mut o, rep);
    let _ = writeln!(o, "{}\n", phases_line(rep));
    md_burndown(&mut o, rep);
    md_new_users(&mut o, rep);
    md_group_table(&mut o, "By subsystem", &rep.subsystems, 40);
    md_group_table(&mut o, "By maintainer", &rep.maintainers, 25);
    md_still_to_convert(&mut o, rep, max_rows);
    md_done(&mut o, rep);
    o
}

fn md_summary(o: &mut String, rep: &Report) {
    let t = &rep.totals;
    let _ = writeln!(o, "# Campaign {}\n", rep.campaign.patterns.join(", "));
    let _ = writeln!(
        o,
        "`{}` {:.1}% done: {} of {} sites converted or gone; {} open, {} in series, {} new user(s).\n",
        bar(t.percent, 20),
        t.percent,
        t.done,
        t.total,
        t.get(SiteState::Open),
        t.get(SiteState::InSeries),
        t.get(SiteState::NewUser)
    );
    if let Some(last) = rep.scans.last() {
        let _ = writeln!(
            o,
            "Latest scan: {} (`{}`), {}. Report generated {}.\n",
            tree_label(&last.tree),
            last.tree.path,
            last.taken,
            rep.generated
        );
    }
}

fn md_burndown(o: &mut String, rep: &Report) {
    let _ = writeln!(o, "## Burndown\n");
    let _ = writeln!(o, "| scan | tree | taken | legacy sites | converted |");
    let _ = writeln!(o, "| ---: | --- | --- | ---: | ---: |");
    let max = rep.scans.iter().map(|s| s.legacy).max().unwrap_or(0).max(1);
    for s in &rep.scans {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} `{}` | {} |",
            s.id,
            md_cell(&tree_label(&s.tree)),
            &s.taken[..s.taken.len().min(10)],
            s.legacy,
            bar(s.legacy as f64 * 100.0 / max as f64, 20),
            s.converted
        );
    }
    let _ = writeln!(o);
}

fn md_new_users(o: &mut String, rep: &Report) {
    let new_users: Vec<&SiteRow> = rep
        .sites
        .iter()
        .filter(|s| s.state == SiteState::NewUser)
        .collect();
    if !new_users.is_empty() {
        let _ = writeln!(o, "## New users of the retired interface\n");
        for s in &new_users {
            let _ = writeln!(
                o,
                "- `{}:{}` {} ({}): {}",
                s.file,
                s.line,
                s.context.as_deref().unwrap_or(""),
                s.subsystem,
                s.reason.as_deref().unwrap_or("")
            );
        }
        let _ = writeln!(o);
    }
}

fn md_group_table(o: &mut String, title: &str, rows: &[GroupRow], limit: usize) {
    let _ = writeln!(o, "## {title}\n");
    let _ = writeln!(
        o,
        "| {} | progress | open | in series | new user | applied | gone | total |",
        if title.contains("maintainer") {
            "maintainer"
        } else {
            "subsystem"
        }
    );
    let _ = writeln!(o, "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for g in rows.iter().take(limit) {
        let c = &g.counts;
        let cells: Vec<String> = c.columns().iter().map(usize::to_string).collect();
        let _ = writeln!(
            o,
            "| {} | `{}` {:.0}% | {} |",
            md_cell(&g.name),
            bar(c.percent, 10),
            c.percent,
            cells.join(" | ")
        );
    }
    if rows.len() > limit {
        let rest: usize = rows[limit..].iter().map(|g| g.counts.total).sum();
        let _ = writeln!(
            o,
            "| … {} more ({} sites) | | | | | | | |",
            rows.len() - limit,
            rest
        );
    }
    let _ = writeln!(o);
}

fn md_still_to_convert(o: &mut String, rep: &Report, max_rows: usize) {
    let open: Vec<&SiteRow> = rep.sites.iter().filter(|s| s.state.is_legacy()).collect();
    let _ = writeln!(o, "## Drivers still to convert ({})\n", open.len());
    if open.is_empty() {
        let _ = writeln!(o, "None.\n");
    } else {
        let _ = writeln!(
            o,
            "| file | subsystem | state | reason | patch | verification |"
        );
        let _ = writeln!(o, "| --- | --- | --- | --- | --- | --- |");
        let more = open.len().saturating_sub(max_rows);
        for s in open.into_iter().take(max_rows) {
            let _ = writeln!(
                o,
                "| `{}` | {} | {} {} | {} | {} | {} |",
                s.file,
                md_cell(&s.subsystem),
                s.state,
                if s.state == SiteState::NewUser {
                    ""
                } else {
                    s.verdict.as_str()
                },
                md_cell(s.reason.as_deref().unwrap_or("")),
                md_cell(&patch_label(s)),
                md_cell(&verify_label(s))
            );
        }
        if more > 0 {
            let _ = writeln!(
                o,
                "\n… and {more} more: narrow with `--subsystem NAME`, or see the HTML or JSON report."
            );
        }
        let _ = writeln!(o);
    }
}

fn md_done(o: &mut String, rep: &Report) {
    let t = &rep.totals;
    let done = rep.sites.len() - rep.sites.iter().filter(|s| s.state.is_legacy()).count();
    let _ = writeln!(
        o,
        "{} site(s) done ({} applied, {} gone); the HTML and JSON reports list them.",
        done,
        t.get(SiteState::Applied),
        t.get(SiteState::Gone)
    );
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

fn color(s: SiteState) -> &'static str {
    match s {
        SiteState::Open => "#d9822b",
        SiteState::InSeries => "#2b7bd9",
        SiteState::NewUser => "#c0392b",
        SiteState::Applied => "#2e9d4f",
        SiteState::Gone => "#8e9aa6",
        SiteState::Converted => "#c9d3dd",
    }
}

/// Line chart of legacy sites per scan.
fn burndown_svg(scans: &[ScanRow]) -> String {
    let (w, h, l, r, t, b) = (720.0, 240.0, 56.0, 56.0, 20.0, 48.0);
    let mut o = format!(
        "<svg viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"burndown\">"
    );
    let max = scans.iter().map(|s| s.legacy).max().unwrap_or(0).max(1) as f64;
    let n = scans.len().max(1);
    let x = |i: usize| {
        if n == 1 {
            l + (w - l - r) / 2.0
        } else {
            l + (w - l - r) * i as f64 / (n - 1) as f64
        }
    };
    let y = |v: f64| t + (h - t - b) * (1.0 - v / max);
    // axes and grid
    for k in 0..=4 {
        let v = max * k as f64 / 4.0;
        let yy = y(v);
        let _ = write!(
            o,
            "<line x1=\"{l}\" y1=\"{yy:.1}\" x2=\"{}\" y2=\"{yy:.1}\" stroke=\"#e3e7eb\"/><text x=\"{}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\" fill=\"#555\">{}</text>",
            w - r,
            l - 6.0,
            yy + 4.0,
            v.round()
        );
    }
    let pts: Vec<String> = scans
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{:.1},{:.1}", x(i), y(s.legacy as f64)))
        .collect();
    if pts.len() > 1 {
        let _ = write!(
            o,
            "<polyline fill=\"none\" stroke=\"#c0392b\" stroke-width=\"2.5\" points=\"{}\"/>",
            pts.join(" ")
        );
    }
    for (i, s) in scans.iter().enumerate() {
        let _ = write!(
            o,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" fill=\"#c0392b\"><title>scan {}: {} legacy sites in {}</title></circle><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\">{}</text><text x=\"{:.1}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#333\">{}</text>",
            x(i),
            y(s.legacy as f64),
            s.id,
            s.legacy,
            esc(&s.tree.label()),
            x(i),
            y(s.legacy as f64) - 8.0,
            s.legacy,
            x(i),
            h - b + 18.0,
            esc(&s.tree.label())
        );
    }
    let _ = write!(
        o,
        "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#555\">legacy sites remaining per scanned tree</text></svg>",
        l + (w - l - r) / 2.0,
        h - 8.0
    );
    o
}

/// Stacked bars by state for the largest subsystems.
fn subsystems_svg(rows: &[GroupRow], limit: usize) -> String {
    let rows: Vec<&GroupRow> = rows.iter().take(limit).collect();
    let (w, label, bh, gap) = (900.0, 300.0, 14.0, 4.0);
    let h = (rows.len() as f64) * (bh + gap) + 24.0;
    let max = rows
        .iter()
        .map(|g| g.counts.total)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let mut o = format!(
        "<svg viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"subsystems\">"
    );
    for (i, g) in rows.iter().enumerate() {
        let yy = i as f64 * (bh + gap);
        let name = if g.name.chars().count() > 44 {
            format!("{}…", g.name.chars().take(43).collect::<String>())
        } else {
            g.name.clone()
        };
        let _ = write!(
            o,
            "<text x=\"{}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\">{}</text>",
            label - 6.0,
            yy + bh - 3.0,
            esc(&name)
        );
        let mut xx = label;
        for s in state_order() {
            let n = g.counts.get(s);
            if n == 0 {
                continue;
            }
            let ww = (w - label - 48.0) * n as f64 / max;
            let _ = write!(
                o,
                "<rect x=\"{xx:.1}\" y=\"{yy:.1}\" width=\"{ww:.1}\" height=\"{bh}\" fill=\"{}\"><title>{}: {n} {}</title></rect>",
                color(s),
                esc(&g.name),
                s
            );
            xx += ww;
        }
        let _ = write!(
            o,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\">{}</text>",
            xx + 4.0,
            yy + bh - 3.0,
            g.counts.total
        );
    }
    let mut lx = label;
    let ly = h - 8.0;
    for s in state_order() {
        let _ = write!(
            o,
            "<rect x=\"{lx}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{}\" y=\"{ly}\" font-size=\"11\">{}</text>",
            ly - 9.0,
            color(s),
            lx + 14.0,
            s
        );
        lx += 80.0;
    }
    o.push_str("</svg>");
    o
}

fn progress_cell(c: &Counts) -> String {
    let mut o = String::from("<div class=\"bar\">");
    if c.total > 0 {
        for s in state_order() {
            let n = c.get(s);
            if n > 0 {
                let _ = write!(
                    o,
                    "<span style=\"width:{:.2}%;background:{}\" title=\"{n} {s}\"></span>",
                    n as f64 * 100.0 / c.total as f64,
                    color(s)
                );
            }
        }
    }
    let _ = write!(o, "</div> {:.0}%", c.percent);
    o
}

const CSS: &str = r#"
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1d2327;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #e3e7eb;padding-bottom:4px}
.muted{color:#5f6b76}.cards{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}
.card{border:1px solid #e3e7eb;border-radius:6px;padding:8px 14px;min-width:90px}.card b{display:block;font-size:22px}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border-bottom:1px solid #eef1f3;padding:4px 6px;text-align:left;vertical-align:top}
td.num{white-space:nowrap}th{background:#f6f8fa;position:sticky;top:0;cursor:pointer;user-select:none;white-space:nowrap}th.num,td.num{text-align:right}
th[data-dir=asc]::after{content:" ▲"}th[data-dir=desc]::after{content:" ▼"}
.bar{display:inline-flex;width:120px;height:10px;background:#f0f2f4;border-radius:3px;overflow:hidden;vertical-align:middle}.bar span{display:block;height:100%}
.state{display:inline-block;padding:0 6px;border-radius:9px;color:#fff;font-size:12px;white-space:nowrap}
.controls{display:flex;gap:8px;align-items:center;margin:8px 0}.controls input{padding:4px 8px;width:320px}
code{font-size:12px}.wrap{max-height:640px;overflow:auto;border:1px solid #e3e7eb}
"#;

const JS: &str = r#"
(function(){
  "use strict";
  function cellValue(td){var v=td.getAttribute("data-v");return v!==null?v:td.textContent.trim();}
  function makeSortable(table){
    var ths=table.tHead.rows[0].cells;
    Array.prototype.forEach.call(ths,function(th,idx){
      th.addEventListener("click",function(){
        var dir=th.getAttribute("data-dir")==="asc"?"desc":"asc";
        Array.prototype.forEach.call(ths,function(o){o.removeAttribute("data-dir");});
        th.setAttribute("data-dir",dir);
        var num=th.classList.contains("num");
        var body=table.tBodies[0];
        var rows=Array.prototype.slice.call(body.rows);
        rows.sort(function(a,b){
          var x=cellValue(a.cells[idx]),y=cellValue(b.cells[idx]);
          var c=num?(parseFloat(x)||0)-(parseFloat(y)||0):x.localeCompare(y);
          return dir==="asc"?c:-c;
        });
        var frag=document.createDocumentFragment();
        rows.forEach(function(r){frag.appendChild(r);});
        body.appendChild(frag);
      });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"),makeSortable);
  var q=document.getElementById("q"),st=document.getElementById("st"),shown=document.getElementById("shown");
  var table=document.getElementById("sites");
  function filter(){
    var words=q.value.toLowerCase().split(/\s+/).filter(function(w){return w.length>0;});
    var want=st.value,n=0;
    Array.prototype.forEach.call(table.tBodies[0].rows,function(r){
      var text=r.textContent.toLowerCase();
      var ok=(want===""||r.getAttribute("data-state")===want)&&words.every(function(w){return text.indexOf(w)>=0;});
      r.style.display=ok?"":"none";
      if(ok){n++;}
    });
    shown.textContent=String(n);
  }
  q.addEventListener("input",filter);st.addEventListener("change",filter);
  // A view can be linked: #q=gpio&state=open&sort=0&dir=desc (sorts the driver table).
  var h={};
  location.hash.replace(/^#/,"").split("&").forEach(function(kv){
    var i=kv.indexOf("=");if(i>0){h[kv.slice(0,i)]=decodeURIComponent(kv.slice(i+1));}
  });
  if(h.q){q.value=h.q;}
  if(h.state){st.value=h.state;}
  if(h.sort){
    var th=table.tHead.rows[0].cells[parseInt(h.sort,10)];
    if(th){th.setAttribute("data-dir",h.dir==="desc"?"asc":"desc");th.click();}
  }
  filter();
})();
"#;

fn html(rep: &Report) -> String {
    let mut o = String::new();
    let title = format!("unplug campaign: {}", rep.campaign.patterns.join(", "));
    html_head(&mut o, rep, &title);
    html_burndown(&mut o, rep);
    o.push_str("<h2>By subsystem</h2>\n");
    o.push_str(&subsystems_svg(&rep.subsystems, 25));
    html_group(&mut o, "subsystems", "subsystem", &rep.subsystems, true);
    o.push_str("<h2>By maintainer</h2>\n");
    html_group(&mut o, "maintainers", "maintainer", &rep.maintainers, false);
    html_drivers(&mut o, rep);
    let _ = write!(o, "<script>{JS}</script>\n</body></html>\n");
    o
}

fn html_head(o: &mut String, rep: &Report, title: &str) {
    let t = &rep.totals;
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{}</title><style>{CSS}</style></head><body>\n",
        esc(title)
    );
    let _ = writeln!(o, "<h1>{}</h1>", esc(title));
    let latest = rep
        .scans
        .last()
        .map(|s| {
            format!(
                "latest scan {} ({}), {}",
                esc(&s.tree.label()),
                esc(&s.tree.path),
                esc(&s.taken)
            )
        })
        .unwrap_or_else(|| "no scan recorded".into());
    let _ = writeln!(
        o,
        "<div class=\"muted\">{latest}; generated {}; {} scan(s)</div>",
        esc(&rep.generated),
        rep.scans.len()
    );
    let _ = write!(o, "<div class=\"cards\"><div class=\"card\"><b>{:.1}%</b>done</div><div class=\"card\"><b>{}</b>campaign sites</div>", t.percent, t.total);
    for s in state_order() {
        let _ = write!(
            o,
            "<div class=\"card\" style=\"border-left:4px solid {}\"><b>{}</b>{}</div>",
            color(s),
            t.get(s),
            s
        );
    }
    o.push_str("</div>\n");
    let _ = writeln!(o, "<div>{}</div>", progress_cell(t));
    let _ = writeln!(
        o,
        "<p class=\"muted\" id=\"phases\">{}</p>",
        esc(&phases_line(rep))
    );
}

fn html_burndown(o: &mut String, rep: &Report) {
    o.push_str("<h2>Burndown</h2>\n");
    o.push_str(&burndown_svg(&rep.scans));
    o.push_str("\n<table class=\"sortable\" id=\"scans\"><thead><tr><th class=\"num\">scan</th><th>tree</th><th>path</th><th>taken</th><th class=\"num\">legacy</th><th class=\"num\">converted</th><th class=\"num\">applied</th><th class=\"num\">gone</th><th class=\"num\">new users</th></tr></thead><tbody>\n");
    for s in &rep.scans {
        let _ = writeln!(
            o,
            "<tr><td class=\"num\">{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            s.id,
            esc(&s.tree.label()),
            esc(&s.tree.path),
            esc(&s.taken),
            s.legacy,
            s.converted,
            s.summary.applied,
            s.summary.gone,
            s.summary.new_user
        );
    }
    o.push_str("</tbody></table>\n");
}

fn html_group(o: &mut String, id: &str, first: &str, rows: &[GroupRow], with_people: bool) {
    let _ = writeln!(
        o,
        "<div class=\"wrap\"><table class=\"sortable\" id=\"{id}\"><thead><tr><th>{first}</th>{}<th class=\"num\">progress</th><th class=\"num\">open</th><th class=\"num\">in series</th><th class=\"num\">new user</th><th class=\"num\">applied</th><th class=\"num\">gone</th><th class=\"num\">total</th></tr></thead><tbody>",
        if with_people { "<th>maintainers</th>" } else { "" }
    );
    for g in rows {
        let c = &g.counts;
        let people = if with_people {
            format!("<td>{}</td>", esc(&g.maintainers.join(", ")))
        } else {
            String::new()
        };
        let _ = writeln!(
            o,
            "<tr><td>{}</td>{people}<td class=\"num\" data-v=\"{}\">{}</td>{}</tr>",
            esc(&g.name),
            c.percent,
            progress_cell(c),
            c.columns()
                .iter()
                .map(|n| format!("<td class=\"num\">{n}</td>"))
                .collect::<String>()
        );
    }
    o.push_str("</tbody></table></div>\n");
}

fn html_drivers(o: &mut String, rep: &Report) {
    let t = &rep.totals;
    o.push_str("<h2>Drivers</h2>\n<div class=\"controls\"><input id=\"q\" type=\"search\" placeholder=\"filter: file, subsystem, reason, maintainer…\" aria-label=\"filter\"><select id=\"st\" aria-label=\"state\"><option value=\"\">all states</option>");
    for s in state_order() {
        let _ = write!(o, "<option value=\"{s}\">{s} ({})</option>", t.get(s));
    }
    let _ = writeln!(
        o,
        "</select><span class=\"muted\"><span id=\"shown\">{}</span> of {} shown</span></div>",
        rep.sites.len(),
        rep.sites.len()
    );
    o.push_str("<div class=\"wrap\"><table class=\"sortable\" id=\"sites\"><thead><tr><th>file</th><th>object / function</th><th>subsystem</th><th>state</th><th>verdict</th><th>reason</th><th>patch</th><th>verification</th></tr></thead><tbody>\n");
    for s in &rep.sites {
        let _ = writeln!(
            o,
            "<tr data-state=\"{st}\"><td><code>{}:{}</code></td><td>{}</td><td title=\"{}\">{}</td><td data-v=\"{}\"><span class=\"state\" style=\"background:{}\">{st}</span></td><td>{}</td><td>{}</td><td title=\"{}\">{}</td><td>{}</td></tr>",
            esc(&s.file),
            s.line,
            esc(s.context.as_deref().unwrap_or("")),
            esc(&s.maintainers.join(", ")),
            esc(&s.subsystem),
            state_rank(s.state),
            color(s.state),
            esc(&s.verdict),
            esc(s.reason.as_deref().unwrap_or("")),
            esc(s.patch.as_ref().map(|p| p.subject.as_str()).unwrap_or("")),
            esc(&patch_label(s)),
            esc(&verify_label(s)),
            st = s.state,
        );
    }
    o.push_str("</tbody></table></div>\n");
}
