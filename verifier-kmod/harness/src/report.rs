//! Judge a run against the scenario's expectations; print a table or JSON.

use crate::guest;
use crate::ktap::{self, TestResult};
use crate::scenario::{Scenario, Verdict};
use serde::Serialize;
use std::io::Write;

#[derive(Debug, Serialize)]
pub struct OpRow {
    pub operation: String,
    pub verdict: Verdict,
    pub objects: Option<u32>,
    pub reason: Option<String>,
    pub expected: bool,
}

#[derive(Debug, Serialize)]
pub struct Outcome {
    pub scenario: String,
    pub kernel: String,
    pub passed: bool,
    pub seconds: f64,
    pub operations: Vec<OpRow>,
    pub problems: Vec<String>,
    pub log: Option<String>,
}

/// Compare what the guest reported with what the scenario expects.
pub fn judge(sc: &Scenario, series: Option<&str>, console: &str) -> (Vec<OpRow>, Vec<String>) {
    let doc = ktap::parse(console);
    let mut problems: Vec<String> = doc.errors.iter().map(|e| format!("KTAP: {e}")).collect();
    let expects: Vec<_> = sc
        .expect
        .iter()
        .filter(|e| e.kernel.is_none() || e.kernel.as_deref() == series)
        .collect();
    let mut used = vec![false; expects.len()];
    let mut rows = vec![];
    for t in &doc.tests {
        // Repeated operations (a failed then a successful rmmod) consume
        // their expectations in order.
        let hit = (0..expects.len())
            .find(|&i| !used[i] && expects[i].matches(&t.name))
            .or_else(|| expects.iter().position(|e| e.matches(&t.name)));
        let mut expected = false;
        match hit {
            Some(i) => {
                used[i] = true;
                let e = expects[i];
                if e.verdict != t.verdict {
                    problems.push(format!(
                        "{}: {} but expected {}{}",
                        t.name,
                        t.verdict,
                        e.verdict,
                        why(t)
                    ));
                } else {
                    expected = true;
                }
                if let Some(n) = e.objects {
                    if t.objects != Some(n) {
                        problems.push(format!(
                            "{}: {} objects unregistered, expected {n}",
                            t.name,
                            fmt_opt(t.objects)
                        ));
                    }
                }
                for r in &e.reason {
                    if !t.diagnostics.iter().any(|d| d.contains(r.as_str())) {
                        problems.push(format!("{}: diagnostics do not mention {r:?}", t.name));
                    }
                }
            }
            None => {
                if t.verdict == Verdict::NotOk {
                    problems.push(format!("{}: unexpected not ok{}", t.name, why(t)));
                } else {
                    expected = true;
                }
            }
        }
        rows.push(OpRow {
            operation: t.name.clone(),
            verdict: t.verdict,
            objects: t.objects,
            reason: (t.verdict != Verdict::Ok)
                .then(|| t.reason().map(String::from))
                .flatten(),
            expected,
        });
    }
    for (i, e) in expects.iter().enumerate() {
        if !used[i] {
            problems.push(format!("expected operation {:?} was not reported", e.op));
        }
    }
    problems.extend(step_problems(sc, console));
    // A disabled probe or a full table weakens every verdict: say so.
    let mut warned = std::collections::BTreeSet::new();
    for w in console
        .lines()
        .filter_map(ktap::kernel_text)
        .filter_map(|t| t.strip_prefix("# warning: "))
    {
        if warned.insert(w.to_string()) {
            problems.push(format!("unplug_verify: {w}"));
        }
    }
    if !sc.allow_splat {
        for s in ktap::splats(console).into_iter().take(5) {
            problems.push(format!("kernel splat: {s}"));
        }
    }
    (rows, problems)
}

fn why(t: &TestResult) -> String {
    t.reason().map(|r| format!(" ({r})")).unwrap_or_default()
}

fn fmt_opt(n: Option<u32>) -> String {
    n.map_or("no count of".into(), |n| n.to_string())
}

/// Step exit codes and the end marker, from the userspace console lines.
fn step_problems(sc: &Scenario, console: &str) -> Vec<String> {
    let mut p = vec![];
    let mut done = false;
    let mut seen = vec![false; sc.steps.len()];
    for line in console.lines() {
        // Markers arrive as kernel records (via /dev/kmsg).
        let line = ktap::kernel_text(line).unwrap_or(line).trim_end();
        if line == guest::MARK_DONE {
            done = true;
        } else if let Some(e) = line.strip_prefix(guest::MARK_ERROR) {
            p.push(format!("guest: {e}"));
        } else if let Some(rest) = line.strip_prefix(guest::MARK_RC) {
            let mut it = rest.split_whitespace();
            let (Some(n), Some(rc)) = (it.next().and_then(|n| n.parse::<usize>().ok()), it.next())
            else {
                continue;
            };
            let Some(step) = sc.steps.get(n.wrapping_sub(1)) else {
                continue;
            };
            seen[n - 1] = true;
            if rc != "0" && !step.may_fail {
                let what = step.action().map(|a| a.to_string()).unwrap_or_default();
                p.push(format!("step {n} ({what}) failed with exit code {rc}"));
            }
        }
    }
    if !done {
        let last = seen.iter().rposition(|s| *s).map_or(0, |i| i + 1);
        p.push(format!(
            "guest did not finish the scenario (last completed step: {last})"
        ));
    }
    p
}

/// Runs with more operations than this print their ok rows grouped by
/// operation (a reload scenario reports hundreds of them).
const FULL_TABLE_MAX_ROWS: usize = 20;

/// Console lines shown for each failed run in the closing recap.
const RECAP_LOG_LINES: usize = 60;

pub fn print_table(outcomes: &[Outcome]) -> std::io::Result<()> {
    write_table(&mut std::io::stdout().lock(), outcomes)
}

/// One block per run, then a recap of the failed runs with the end of
/// their console logs: a CI job often shows only the end of its output,
/// and the log files stay on the machine that ran it.
pub fn write_table(out: &mut dyn Write, outcomes: &[Outcome]) -> std::io::Result<()> {
    for o in outcomes {
        writeln!(
            out,
            "{} on {}: {} ({:.1} s)",
            o.scenario,
            o.kernel,
            if o.passed { "PASS" } else { "FAIL" },
            o.seconds
        )?;
        if !o.operations.is_empty() {
            writeln!(
                out,
                "  {:<44} {:<7} {:>7}  REASON",
                "OPERATION", "VERDICT", "OBJECTS"
            )?;
        }
        for r in table_rows(&o.operations) {
            writeln!(
                out,
                "  {:<44} {:<7} {:>7}  {}",
                r.operation, r.verdict, r.objects, r.reason
            )?;
        }
        for p in &o.problems {
            writeln!(out, "  problem: {p}")?;
        }
        if let Some(l) = &o.log {
            writeln!(out, "  console log: {l}")?;
        }
    }
    let failed: Vec<&Outcome> = outcomes.iter().filter(|o| !o.passed).collect();
    for o in &failed {
        writeln!(out, "\nFAILED: {} on {}", o.scenario, o.kernel)?;
        for p in &o.problems {
            writeln!(out, "  problem: {p}")?;
        }
        if let Some(l) = &o.log {
            let text = std::fs::read_to_string(l).unwrap_or_default();
            let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
            let tail = &lines[lines.len().saturating_sub(RECAP_LOG_LINES)..];
            writeln!(out, "  last {} console lines of {l}:", tail.len())?;
            for line in tail {
                writeln!(out, "  | {line}")?;
            }
        }
    }
    let names: Vec<String> = failed
        .iter()
        .map(|o| format!("{} on {}", o.scenario, o.kernel))
        .collect();
    writeln!(
        out,
        "{} scenario runs, {} passed, {} failed{}",
        outcomes.len(),
        outcomes.len() - failed.len(),
        failed.len(),
        if names.is_empty() {
            String::new()
        } else {
            format!(": {}", names.join(", "))
        }
    )
}

struct TableRow {
    operation: String,
    verdict: String,
    objects: String,
    reason: String,
}

/// The rows to print: all of them for a short run; for a long one every
/// row that is not a plain expected `ok`, then the `ok` rows grouped by
/// operation with their count and the range of their object counts.
fn table_rows(ops: &[OpRow]) -> Vec<TableRow> {
    let row = |r: &OpRow| {
        let mut reason = r.reason.clone().unwrap_or_default();
        if r.verdict == Verdict::NotOk && r.expected {
            reason = format!("(expected) {reason}");
        }
        TableRow {
            operation: r.operation.clone(),
            verdict: r.verdict.to_string(),
            objects: r.objects.map_or("-".into(), |n| n.to_string()),
            reason,
        }
    };
    if ops.len() <= FULL_TABLE_MAX_ROWS {
        return ops.iter().map(row).collect();
    }
    let plain_ok = |r: &&OpRow| r.verdict == Verdict::Ok && r.expected;
    let mut rows: Vec<TableRow> = ops.iter().filter(|r| !plain_ok(r)).map(row).collect();
    // The ok rows of one operation name, in the order names first appeared.
    struct Group<'a> {
        operation: &'a str,
        count: usize,
        objects: Option<(u32, u32)>,
    }
    let mut groups: Vec<Group> = vec![];
    for r in ops.iter().filter(plain_ok) {
        let i = match groups.iter().position(|g| g.operation == r.operation) {
            Some(i) => i,
            None => {
                groups.push(Group {
                    operation: &r.operation,
                    count: 0,
                    objects: None,
                });
                groups.len() - 1
            }
        };
        let g = &mut groups[i];
        g.count += 1;
        if let Some(n) = r.objects {
            g.objects = Some(g.objects.map_or((n, n), |(lo, hi)| (lo.min(n), hi.max(n))));
        }
    }
    rows.extend(groups.into_iter().map(|g| TableRow {
        operation: if g.count > 1 {
            format!("{} (x{})", g.operation, g.count)
        } else {
            g.operation.to_string()
        },
        verdict: "ok".into(),
        objects: match g.objects {
            Some((lo, hi)) if lo != hi => format!("{lo}-{hi}"),
            Some((n, _)) => n.to_string(),
            None => "-".into(),
        },
        reason: String::new(),
    }));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse;

    const SC: &str = "name: t\nkernels: [{kernel: \"6.12\"}]\nsteps:\n  - rmmod: fx\nexpect:\n  - op: rmmod fx\n    verdict: not_ok\n    reason: [platform:fx]\n";

    #[test]
    fn expected_failure_passes() {
        let sc = parse(SC, "t.yaml").unwrap();
        let log = "[ 1.0] KTAP version 1\n[ 1.1] # rmmod fx: 1 objects unregistered, 0 released\n[ 1.2] # not released: platform:fx refcount=2\n[ 1.3] not ok 1 rmmod fx\nUNPLUG-RC 1 0\nUNPLUG-DONE\n";
        let (rows, problems) = judge(&sc, Some("6.12"), log);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(rows[0].objects, Some(1));
        assert!(rows[0].expected);
    }

    #[test]
    fn repeated_operations_take_expectations_in_order() {
        let sc = parse(
            "name: t\nkernels: [{kernel: \"6.12\"}]\nsteps:\n  - rmmod: m\nexpect:\n  - {op: rmmod m, verdict: skip}\n  - {op: rmmod m, verdict: ok}\n",
            "t.yaml",
        )
        .unwrap();
        let log = "[ 1.0] KTAP version 1\n[ 1.1] ok 1 rmmod m # SKIP failed with -11\n[ 1.2] ok 2 rmmod m\nUNPLUG-RC 1 0\nUNPLUG-DONE\n";
        let (_, problems) = judge(&sc, None, log);
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn unexpected_results_and_hangs_fail() {
        let sc = parse(SC, "t.yaml").unwrap();
        let log = "[ 1.0] KTAP version 1\n[ 1.3] ok 1 rmmod fx\n[ 1.4] not ok 2 unbind x y\nUNPLUG-RC 1 1\n";
        let (_, problems) = judge(&sc, Some("6.12"), log);
        let all = problems.join("\n");
        assert!(all.contains("rmmod fx: ok but expected not ok"), "{all}");
        assert!(all.contains("unbind x y: unexpected not ok"), "{all}");
        assert!(
            all.contains("step 1 (rmmod: fx) failed with exit code 1"),
            "{all}"
        );
        assert!(all.contains("guest did not finish"), "{all}");
        let log = "[ 1.0] KTAP version 1\n[ 1.0] # warning: kprobe kobject_get: error -2, check disabled\n";
        let (_, problems) = judge(&sc, None, log);
        assert!(
            problems
                .iter()
                .any(|p| p == "unplug_verify: kprobe kobject_get: error -2, check disabled"),
            "{problems:?}"
        );
    }

    fn ok_row(op: &str, objects: Option<u32>) -> OpRow {
        OpRow {
            operation: op.into(),
            verdict: Verdict::Ok,
            objects,
            reason: None,
            expected: true,
        }
    }

    #[test]
    fn long_runs_group_their_ok_rows_and_keep_every_other_row() {
        let mut ops = vec![];
        for i in 0..30 {
            ops.push(ok_row("unload unplug_verify", None));
            ops.push(ok_row("unbind scsi_debug adapter1", Some(2 + i % 8)));
        }
        ops.insert(
            7,
            OpRow {
                operation: "unbind scsi_debug adapter1".into(),
                verdict: Verdict::NotOk,
                objects: Some(3),
                reason: Some("scsi_host:host2 refcount=1".into()),
                expected: false,
            },
        );
        ops.push(ok_row("rmmod scsi_debug", Some(9)));
        let rows = table_rows(&ops);
        let shown: Vec<String> = rows
            .iter()
            .map(|r| format!("{}|{}|{}|{}", r.operation, r.verdict, r.objects, r.reason))
            .collect();
        assert_eq!(
            shown,
            [
                "unbind scsi_debug adapter1|not ok|3|scsi_host:host2 refcount=1",
                "unload unplug_verify (x30)|ok|-|",
                "unbind scsi_debug adapter1 (x30)|ok|2-9|",
                "rmmod scsi_debug|ok|9|",
            ]
        );
        // A short run keeps its rows one by one, in order.
        let short = table_rows(&ops[..4]);
        assert_eq!(short.len(), 4);
        assert_eq!(short[1].objects, "2");
    }

    #[test]
    fn failed_runs_are_recapped_at_the_end_with_their_console_tail() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("hang.log");
        let text: String = (1..=70).map(|i| format!("[ {i}.0] line {i}\n")).collect();
        std::fs::write(&log, text).unwrap();
        let outcomes = [
            Outcome {
                scenario: "hang".into(),
                kernel: "6.1 generic".into(),
                passed: false,
                seconds: 300.0,
                operations: vec![],
                problems: vec!["guest timed out after 300 s".into()],
                log: Some(log.display().to_string()),
            },
            Outcome {
                scenario: "fine".into(),
                kernel: "6.12 cloud".into(),
                passed: true,
                seconds: 3.0,
                operations: vec![ok_row("rmmod m", Some(1))],
                problems: vec![],
                log: None,
            },
        ];
        let mut out = vec![];
        write_table(&mut out, &outcomes).unwrap();
        let out = String::from_utf8(out).unwrap();
        let recap = &out[out.find("\nFAILED: hang on 6.1 generic").expect(&out)..];
        assert!(
            recap.contains("  problem: guest timed out after 300 s"),
            "{out}"
        );
        assert!(recap.contains("last 60 console lines"), "{out}");
        assert!(recap.contains("| [ 11.0] line 11\n"), "{out}");
        assert!(!recap.contains("line 10\n"), "{out}");
        assert!(!recap.contains("fine on"), "{out}");
        assert!(
            out.ends_with("2 scenario runs, 1 passed, 1 failed: hang on 6.1 generic\n"),
            "{out}"
        );
    }
}
