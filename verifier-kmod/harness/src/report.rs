//! Judge a run against the scenario's expectations; print a table or JSON.

use crate::guest;
use crate::ktap::{self, TestResult};
use crate::scenario::Scenario;
use model::verify::OpVerdict;
use std::io::Write;

pub use model::verify::{OpRow, VerifyOutcome};

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
                if t.verdict == OpVerdict::NotOk {
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
            reason: (t.verdict != OpVerdict::Ok)
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
    problems.extend(console_problems(sc, console));
    (rows, problems)
}

/// What the console says beyond the KTAP results: failed guest steps,
/// the verifier's warnings, kernel splats and their probable cause.
fn console_problems(sc: &Scenario, console: &str) -> Vec<String> {
    let mut problems = step_problems(sc, console);
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
        problems.extend(splat_cause(console));
    }
    problems
}

fn why(t: &TestResult) -> String {
    t.reason().map(|r| format!(" ({r})")).unwrap_or_default()
}

fn fmt_opt(n: Option<u32>) -> String {
    n.map_or("no count of".into(), |n| n.to_string())
}

/// Where the first kernel splat came, and what probably caused it: the
/// KTAP result and guest step before it, and the module to suspect.
fn splat_cause(console: &str) -> Option<String> {
    let splat = ktap::first_splat(console)?;
    let last = ktap::parse(splat.before).tests.pop();
    let after = match &last {
        Some(t) => format!("kernel splat after \"{}\"", t.line()),
        None => "kernel splat before any KTAP result".into(),
    };
    let mut line = format!("{after} ({})", step_at_end(splat.before));
    if let Some(c) = probable_cause(&splat, last.as_ref()) {
        line += &format!(": probable cause: {c}");
    }
    Some(line)
}

/// The module whose code the splat shows (on its `RIP:` line or in its
/// call trace), else the module or driver the last result took away, else
/// the module unloaded last.  Code freed with its module has no symbol
/// left, so then the kernel's `last unloaded:` hint is added.
fn probable_cause(splat: &ktap::Splat, last: Option<&TestResult>) -> Option<String> {
    if let Some(c) = &splat.module_code {
        return Some(format!("module {} (in {})", c.module, c.function));
    }
    let unloaded = splat.last_unloaded.as_deref();
    match (last.and_then(|t| culprit(&t.name)), unloaded) {
        (Some(op), Some(m)) => Some(format!("{op} (last unloaded: {m})")),
        (Some(op), None) => Some(op),
        (None, Some(m)) => Some(format!("module {m} (last unloaded: {m})")),
        (None, None) => None,
    }
}

/// The module or driver an operation takes away: `rmmod m`, `unload m`,
/// `unbind driver device`.
fn culprit(operation: &str) -> Option<String> {
    let mut words = operation.split_whitespace();
    match (words.next()?, words.next()?) {
        ("rmmod" | "unload", m) => Some(format!("module {m}")),
        ("unbind", d) => Some(format!("driver {d}")),
        _ => None,
    }
}

/// The guest step a console log ends in, from its markers.
fn step_at_end(console: &str) -> String {
    let mut step: Option<(&str, &str)> = None;
    let mut state = "running";
    for line in guest_lines(console) {
        if line == guest::MARK_DONE {
            return "after the last step".into();
        } else if let Some(s) = line.strip_prefix(guest::MARK_STEP) {
            step = Some(s.split_once(' ').unwrap_or((s, "")));
            state = "running";
        } else if let Some(rc) = line.strip_prefix(guest::MARK_RC) {
            if step.is_some_and(|(n, _)| rc.split_whitespace().next() == Some(n)) {
                state = "finished";
            }
        }
    }
    match step {
        Some((n, action)) => format!("step {n} {action}, {state}"),
        None => "before the first step".into(),
    }
}

/// Console lines without their timestamps: the guest's markers arrive as
/// kernel records (via /dev/kmsg).
fn guest_lines(console: &str) -> impl Iterator<Item = &str> {
    console
        .lines()
        .map(|l| ktap::kernel_text(l).unwrap_or(l).trim_end())
}

/// Step exit codes and the end marker, from the userspace console lines.
fn step_problems(sc: &Scenario, console: &str) -> Vec<String> {
    let mut p = vec![];
    let mut done = false;
    let mut seen = vec![false; sc.steps.len()];
    for line in guest_lines(console) {
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

/// One block per run, then a recap of the failed runs with the end of
/// their console logs: a CI job often shows only the end of its output,
/// and the log files stay on the machine that ran it.
pub fn write_table(out: &mut dyn Write, outcomes: &[VerifyOutcome]) -> std::io::Result<()> {
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
    let failed: Vec<&VerifyOutcome> = outcomes.iter().filter(|o| !o.passed).collect();
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
        if r.verdict == OpVerdict::NotOk && r.expected {
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
    let plain_ok = |r: &&OpRow| r.verdict == OpVerdict::Ok && r.expected;
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

    /// The splat cause line judge() adds for a console log.
    fn splat_line(console: &str) -> Option<String> {
        let sc = parse(SC, "t.yaml").unwrap();
        let (_, problems) = judge(&sc, Some("6.12"), console);
        let mut lines = problems.into_iter().filter(|p| {
            p.starts_with("kernel splat after ") || p.starts_with("kernel splat before ")
        });
        let line = lines.next();
        assert_eq!(lines.next(), None);
        line
    }

    #[test]
    fn oops_in_freed_module_memory_after_ok_rmmod_names_the_module() {
        // 6.12: the module's timer fires after rmmod; its code is gone.
        let log = "\
[    4.101211] KTAP version 1
[    4.388020] UNPLUG-STEP 1 unbind rearm_timer_legacy
[    4.730552] # unbind rearm_timer_legacy rearm_timer_legacy.0: 1 objects unregistered, 1 released
[    4.730810] ok 1 unbind rearm_timer_legacy rearm_timer_legacy.0
[    4.731002] UNPLUG-RC 1 0
[    4.731400] UNPLUG-STEP 2 rmmod rearm_timer_legacy
[    5.061932] # rmmod rearm_timer_legacy: 0 objects unregistered, 0 released, module checked at GOING
[    5.062245] ok 2 rmmod rearm_timer_legacy
[    5.063011] UNPLUG-RC 2 0
[    5.071870] BUG: unable to handle page fault for address: ffffffffc0812040
[    5.071990] #PF: supervisor instruction fetch in kernel mode
[    5.072051] #PF: error_code(0x0010) - not-present page
[    5.072113] PGD 2a1c067 P4D 2a1c067 PUD 2a1e067 PMD 4b09067 PTE 0
[    5.072190] Oops: Oops: 0010 [#1] PREEMPT SMP NOPTI
[    5.072254] CPU: 1 UID: 0 PID: 0 Comm: swapper/1 Tainted: G           O       6.12.117+deb12-cloud-amd64 #1  Debian 6.12.117-1~deb12u1
[    5.072330] Tainted: [O]=OOT_MODULE
[    5.072388] Hardware name: QEMU Standard PC (Q35 + ICH9, 2009), BIOS 1.16.2-debian-1.16.2-1 04/01/2014
[    5.072455] RIP: 0010:0xffffffffc0812040
[    5.072511] Code: Unable to access opcode bytes at 0xffffffffc0812016.
[    5.072570] RSP: 0018:ffffb4c1800f8e88 EFLAGS: 00010246
[    5.072640] Call Trace:
[    5.072690]  <IRQ>
[    5.072733]  ? __die_body.cold+0x19/0x27
[    5.072790]  ? page_fault_oops+0x15a/0x2d0
[    5.072851]  ? exc_page_fault+0x81/0x190
[    5.072910]  ? asm_exc_page_fault+0x26/0x30
[    5.072969]  call_timer_fn+0x2c/0x130
[    5.073022]  __run_timers+0x212/0x2c0
[    5.073080]  run_timer_softirq+0x2e/0x60
[    5.073137]  handle_softirqs+0xd8/0x2b0
[    5.073190]  </IRQ>
[    5.073240] Modules linked in: ahci libahci libata [last unloaded: rearm_timer_legacy(O)]
[    5.073302] CR2: ffffffffc0812040
[    5.073360] ---[ end trace 0000000000000000 ]---
[    5.073420] Kernel panic - not syncing: Fatal exception in interrupt
";
        assert_eq!(
            splat_line(log).as_deref(),
            Some("kernel splat after \"ok 2 rmmod rearm_timer_legacy\" (step 2 rmmod rearm_timer_legacy, finished): probable cause: module rearm_timer_legacy (last unloaded: rearm_timer_legacy)")
        );
    }

    #[test]
    fn oops_during_a_step_names_the_module_on_its_rip_line() {
        // 6.1: a NULL dereference in a driver's remove, in the middle of
        // the unbind step (its exit code comes after the oops).
        let log = "\
[    3.504410] KTAP version 1
[    3.811200] UNPLUG-STEP 1 unbind ahci
[    4.120384] # unbind ahci 0000:00:1f.2: 54 objects unregistered, 54 released
[    4.120622] ok 1 unbind ahci 0000:00:1f.2
[    4.121007] UNPLUG-RC 1 0
[    4.121390] UNPLUG-STEP 2 unbind getdevice_legacy
[    4.133061] BUG: kernel NULL pointer dereference, address: 0000000000000008
[    4.133190] #PF: supervisor read access in kernel mode
[    4.133252] #PF: error_code(0x0000) - not-present page
[    4.133309] PGD 0 P4D 0 
[    4.133371] Oops: 0000 [#1] PREEMPT SMP NOPTI
[    4.133430] CPU: 0 PID: 83 Comm: sh Tainted: G           O       6.1.0-56-amd64 #1  Debian 6.1.158-1
[    4.133498] Hardware name: QEMU Standard PC (Q35 + ICH9, 2009), BIOS 1.16.2-debian-1.16.2-1 04/01/2014
[    4.133561] RIP: 0010:gd_remove+0x11/0x30 [getdevice_legacy]
[    4.133620] Code: 0f 1f 44 00 00 48 8b 47 08 <48> 8b 40 08 c3 cc cc cc cc
[    4.133690] RSP: 0018:ffffa1e9c02bfd58 EFLAGS: 00010246
[    4.133750] Call Trace:
[    4.133801]  <TASK>
[    4.133855]  platform_remove+0x2a/0x60
[    4.133910]  device_release_driver_internal+0x1b4/0x200
[    4.133968]  unbind_store+0xa0/0xb0
[    4.134022]  kernfs_fop_write_iter+0x11d/0x1f0
[    4.134079]  vfs_write+0x2a6/0x3d0
[    4.134133]  ksys_write+0x6b/0xf0
[    4.134190]  do_syscall_64+0x58/0xc0
[    4.134244]  entry_SYSCALL_64_after_hwframe+0x64/0xce
[    4.134301]  </TASK>
[    4.134355] Modules linked in: getdevice_legacy(O) ahci libahci libata
[    4.134410] CR2: 0000000000000008
[    4.134466] ---[ end trace 0000000000000000 ]---
[    4.140112] UNPLUG-RC 2 137
";
        assert_eq!(
            splat_line(log).as_deref(),
            Some("kernel splat after \"ok 1 unbind ahci 0000:00:1f.2\" (step 2 unbind getdevice_legacy, running): probable cause: module getdevice_legacy (in gd_remove+0x11/0x30)")
        );
    }

    #[test]
    fn splat_before_any_result_names_the_first_reliable_module_frame() {
        // 6.12: a warning in core code called from a module's probe.
        let log = "\
[    2.901144] KTAP version 1
[    2.901378] # unplug_verify: watching all modules, settle 300 ms
[    3.012566] UNPLUG-STEP 1 insmod rearm_timer_legacy
[    3.029913] ------------[ cut here ]------------
[    3.030040] WARNING: CPU: 1 PID: 74 at kernel/time/timer.c:1139 __mod_timer+0x36a/0x3a0
[    3.030121] Modules linked in: rearm_timer_legacy(O+) ahci libahci libata
[    3.030200] CPU: 1 UID: 0 PID: 74 Comm: insmod Tainted: G           O       6.12.117+deb12-cloud-amd64 #1  Debian 6.12.117-1~deb12u1
[    3.030277] RIP: 0010:__mod_timer+0x36a/0x3a0
[    3.030340] Call Trace:
[    3.030391]  <TASK>
[    3.030444]  ? __warn.cold+0x93/0xf7
[    3.030500]  ? __mod_timer+0x36a/0x3a0
[    3.030555]  ? report_bug+0xe6/0x170
[    3.030611]  ? rt_poll+0x1c/0x40 [rearm_timer_legacy]
[    3.030668]  rt_probe+0x4c/0x90 [rearm_timer_legacy]
[    3.030720]  platform_probe+0x44/0xa0
[    3.030777]  really_probe+0xde/0x380
[    3.030830]  </TASK>
[    3.030889] ---[ end trace 0000000000000000 ]---
[    3.031002] UNPLUG-RC 1 0
";
        assert_eq!(
            splat_line(log).as_deref(),
            Some("kernel splat before any KTAP result (step 1 insmod rearm_timer_legacy, running): probable cause: module rearm_timer_legacy (in rt_probe+0x4c/0x90)")
        );
    }

    #[test]
    fn splat_cause_line_only_with_a_splat() {
        let log = "[ 1.0] KTAP version 1\n[ 1.1] UNPLUG-STEP 1 rmmod fx\n[ 1.2] # not released: platform:fx refcount=2\n[ 1.3] not ok 1 rmmod fx\n[ 1.4] UNPLUG-RC 1 0\n[ 1.5] UNPLUG-DONE\n";
        assert_eq!(splat_line(log), None);
        let log = format!(
            "{log}[ 1.6] WARNING: CPU: 0 PID: 1 at lib/kobject.c:700 kobject_put+0x9c/0x1e0\n"
        );
        assert_eq!(
            splat_line(&log).as_deref(),
            Some("kernel splat after \"not ok 1 rmmod fx\" (after the last step): probable cause: module fx")
        );
    }

    fn ok_row(op: &str, objects: Option<u32>) -> OpRow {
        OpRow {
            operation: op.into(),
            verdict: OpVerdict::Ok,
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
                verdict: OpVerdict::NotOk,
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
            VerifyOutcome {
                scenario: "hang".into(),
                kernel: "6.1 generic".into(),
                passed: false,
                seconds: 300.0,
                operations: vec![],
                problems: vec!["guest timed out after 300 s".into()],
                log: Some(log.display().to_string()),
            },
            VerifyOutcome {
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
