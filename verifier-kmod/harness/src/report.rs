//! Judge a run against the scenario's expectations; print a table or JSON.

use crate::guest;
use crate::ktap::{self, TestResult};
use crate::scenario::{Scenario, Verdict};
use serde::Serialize;

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
                let what = step.action().map(|a| format!("{a:?}")).unwrap_or_default();
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

pub fn print_table(outcomes: &[Outcome]) {
    for o in outcomes {
        println!(
            "{} on {}: {} ({:.1} s)",
            o.scenario,
            o.kernel,
            if o.passed { "PASS" } else { "FAIL" },
            o.seconds
        );
        if !o.operations.is_empty() {
            println!(
                "  {:<44} {:<7} {:>7}  REASON",
                "OPERATION", "VERDICT", "OBJECTS"
            );
        }
        for r in &o.operations {
            let mut reason = r.reason.clone().unwrap_or_default();
            if r.verdict == Verdict::NotOk && r.expected {
                reason = format!("(expected) {reason}");
            }
            println!(
                "  {:<44} {:<7} {:>7}  {}",
                r.operation,
                r.verdict.to_string(),
                r.objects.map_or("-".into(), |n| n.to_string()),
                reason
            );
        }
        for p in &o.problems {
            println!("  problem: {p}");
        }
        if let Some(l) = &o.log {
            println!("  console log: {l}");
        }
    }
    let failed = outcomes.iter().filter(|o| !o.passed).count();
    println!(
        "{} scenario runs, {} passed, {} failed",
        outcomes.len(),
        outcomes.len() - failed,
        failed
    );
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
            all.contains("step 1 (Rmmod(\"fx\")) failed with exit code 1"),
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
}
