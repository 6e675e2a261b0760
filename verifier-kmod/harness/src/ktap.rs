//! KTAP results from a serial console log.
//!
//! unplug_verify prints one flat KTAP document (no plan: operations are
//! discovered as they happen) interleaved with other kernel messages.
//! Kernel lines carry a `[ seconds ]` prefix; lines without one came from
//! userspace and are not part of the document.

use model::verify::OpVerdict;
use regex::Regex;
use serde::Serialize;
use std::sync::OnceLock;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TestResult {
    pub number: u32,
    pub name: String,
    pub verdict: OpVerdict,
    /// `# SKIP ...` directive text, if any.
    pub directive: Option<String>,
    /// Diagnostic lines printed since the previous result.
    pub diagnostics: Vec<String>,
    pub objects: Option<u32>,
    pub released: Option<u32>,
}

impl TestResult {
    /// The first diagnostic that explains a failure: what follows the
    /// operation's summary line (earlier lines may be unrelated notes).
    pub fn reason(&self) -> Option<&str> {
        let from = self
            .diagnostics
            .iter()
            .position(|d| d.contains(" objects unregistered, "))
            .map_or(0, |i| i + 1);
        self.diagnostics[from..]
            .iter()
            .map(|d| d.as_str())
            .find(|d| !d.starts_with(' ') && !d.starts_with("warning:"))
            .or(self.directive.as_deref())
    }

    /// The result line as the module printed it.
    pub fn line(&self) -> String {
        let status = if self.verdict == OpVerdict::NotOk {
            "not ok"
        } else {
            "ok"
        };
        let line = format!("{status} {} {}", self.number, self.name);
        match &self.directive {
            Some(d) => format!("{line} # {d}"),
            None => line,
        }
    }
}

#[derive(Debug, Default, Serialize)]
pub struct Document {
    pub started: bool,
    pub tests: Vec<TestResult>,
    pub errors: Vec<String>,
}

fn re(cell: &'static OnceLock<Regex>, pat: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pat).unwrap())
}

/// The text of a kernel line without its timestamp, or None for userspace.
/// Early userspace output (before /init redirects it) may share a serial
/// line with a kernel record, so the timestamp need not open the line.
pub fn kernel_text(line: &str) -> Option<&str> {
    static R: OnceLock<Regex> = OnceLock::new();
    let r = re(&R, r"\[\s*\d+\.\d+\] ?");
    r.find(line).map(|m| &line[m.end()..])
}

pub fn parse(log: &str) -> Document {
    let mut doc = Document::default();
    let mut diag: Vec<String> = vec![];
    let mut base = 0u32;
    for line in log.lines() {
        let Some(text) = kernel_text(line) else {
            continue;
        };
        if !doc.started {
            if text.trim() == "KTAP version 1" {
                doc.started = true;
            }
            continue;
        }
        if text.trim() == "KTAP version 1" {
            // The verifier was loaded again: a new document numbered from 1.
            base = doc.tests.len() as u32;
            diag.clear();
            continue;
        }
        if let Some(d) = text
            .strip_prefix("# ")
            .or_else(|| (text == "#").then_some(""))
        {
            diag.push(d.to_string());
            continue;
        }
        if let Some(t) = test_result(text, &mut diag) {
            let expected = doc.tests.len() as u32 - base + 1;
            if t.number != expected {
                doc.errors.push(format!(
                    "test {} out of sequence (expected {expected})",
                    t.number
                ));
            }
            doc.tests.push(t);
        }
        // Other kernel messages interleave freely and are not KTAP.
    }
    if !doc.started {
        doc.errors
            .push("no KTAP output (unplug_verify never reported)".into());
    }
    doc
}

/// A result line (`ok 3 unbind # SKIP why`), with the diagnostics before
/// it (taken from `diag`) and the object counts they give for its test.
fn test_result(text: &str, diag: &mut Vec<String>) -> Option<TestResult> {
    static RESULT: OnceLock<Regex> = OnceLock::new();
    let result = re(
        &RESULT,
        r"^(ok|not ok) (\d+) (.*?)(?: # (SKIP|TODO)\b ?(.*))?$",
    );
    let c = result.captures(text)?;
    let skip = c.get(4).is_some_and(|m| m.as_str() == "SKIP");
    let verdict = match (&c[1], skip) {
        (_, true) => OpVerdict::Skip,
        ("ok", _) => OpVerdict::Ok,
        _ => OpVerdict::NotOk,
    };
    let name = c[3].to_string();
    let (objects, released) = object_counts(&name, diag);
    Some(TestResult {
        number: c[2].parse().unwrap_or(0),
        name,
        verdict,
        directive: c.get(4).map(|d| {
            format!("{} {}", d.as_str(), c.get(5).map_or("", |m| m.as_str()))
                .trim()
                .to_string()
        }),
        diagnostics: std::mem::take(diag),
        objects,
        released,
    })
}

/// `NAME: N objects unregistered, M released` for test `name` in its
/// diagnostics (the last such line counts).
fn object_counts(name: &str, diag: &[String]) -> (Option<u32>, Option<u32>) {
    static COUNTS: OnceLock<Regex> = OnceLock::new();
    let counts = re(
        &COUNTS,
        r"^(.*): (\d+) objects unregistered, (\d+) released",
    );
    let (mut objects, mut released) = (None, None);
    for d in diag {
        if let Some(m) = counts.captures(d) {
            if m[1] == *name {
                objects = m[2].parse().ok();
                released = m[3].parse().ok();
            }
        }
    }
    (objects, released)
}

/// Kernel warnings, oopses and panics.  Case-sensitive on purpose:
/// `BUG:` must not match `scsi_debug:`.
fn is_splat(text: &str) -> bool {
    const PATTERNS: &[&str] = &[
        "BUG:",
        "WARNING:",
        "Oops:",
        "Oops ",
        "Kernel panic",
        "general protection fault",
        "Call Trace:",
        "UBSAN:",
        "refcount_t:",
        "list_del corruption",
        "list_add corruption",
        "ODEBUG:",
    ];
    PATTERNS.iter().any(|p| text.contains(p))
}

/// Every splat line of a console log, without its timestamp.
pub fn splats(log: &str) -> Vec<String> {
    log.lines()
        .filter_map(kernel_text)
        .filter(|t| is_splat(t))
        .map(|t| t.to_string())
        .collect()
}

/// The first splat of a console log and what the kernel says in it about
/// modules.
#[derive(Debug, PartialEq)]
pub struct Splat<'a> {
    /// The console log before the splat's first line.
    pub before: &'a str,
    /// The first code the splat shows in a module.
    pub module_code: Option<ModuleCode>,
    /// The `[last unloaded: mod]` of its `Modules linked in:` line.
    pub last_unloaded: Option<String>,
}

/// A function of a module, as a splat prints it: `gd_remove+0x11/0x30`
/// in `getdevice_legacy`.
#[derive(Debug, PartialEq)]
pub struct ModuleCode {
    pub function: String,
    pub module: String,
}

/// The first splat of the log, read up to its `---[ end ...` line (or the
/// end of the log).
pub fn first_splat(log: &str) -> Option<Splat<'_>> {
    let start = line_offsets(log)
        .find(|&(_, l)| kernel_text(l).is_some_and(is_splat))?
        .0;
    let text: Vec<&str> = log[start..]
        .lines()
        .filter_map(kernel_text)
        .take_while(|t| !t.starts_with("---[ end "))
        .collect();
    Some(Splat {
        before: &log[..start],
        module_code: text.iter().find_map(|t| module_code(t)),
        last_unloaded: text.iter().find_map(|t| last_unloaded(t)),
    })
}

fn line_offsets(log: &str) -> impl Iterator<Item = (usize, &str)> {
    log.split_inclusive('\n').scan(0, |offset, line| {
        let start = *offset;
        *offset += line.len();
        Some((start, line))
    })
}

/// Module code on a `RIP:` line or a reliable call trace frame (frames
/// the unwinder only guessed start with `? ` and are skipped).
fn module_code(text: &str) -> Option<ModuleCode> {
    static R: OnceLock<Regex> = OnceLock::new();
    let r = re(
        &R,
        r"^(?:RIP: [0-9a-f]{4}:)?([\w.$]+\+0x[0-9a-f]+/0x[0-9a-f]+) \[(\w+)(?: [0-9a-f]+)?\]$",
    );
    let c = r.captures(text.trim())?;
    Some(ModuleCode {
        function: c[1].to_string(),
        module: c[2].to_string(),
    })
}

/// The module unloaded last, from `Modules linked in: ... [last unloaded:
/// mod]` (6.12 adds the module's taint flags: `mod(O)`).
fn last_unloaded(text: &str) -> Option<String> {
    static R: OnceLock<Regex> = OnceLock::new();
    let r = re(&R, r"^Modules linked in:.*\[last unloaded: (\w+)");
    r.captures(text).map(|c| c[1].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "\
[    1.531740] KTAP version 1
[    1.531947] # unplug_verify: watching all modules, settle 300 ms
UNPLUG-STEP 1 modprobe scsi_debug
[    1.803497] scsi host0: scsi_debug: version 0191 [20210520]
[    1.858799] # add_host: 0 objects unregistered, 0 released
[    1.858998] ok 1 add_host
[    2.183000] # an unrelated note
[    2.183239] # rmmod selfremove_legacy: 1 objects unregistered, 0 released, module checked at GOING
[    2.183525] # not released: platform:selfremove_legacy refcount=1 release=platform_device_release
[    2.183868] #     add     refs=1 platform_device_add+0x17a/0x260
[    2.185593] # work item sr_remove_work_fn [selfremove_legacy] still queued
[    2.185687] not ok 2 rmmod selfremove_legacy
[    2.285687] ok 3 rmmod ahci # SKIP failed with -11, nothing unregistered
";

    #[test]
    fn parses_results_and_diagnostics() {
        let d = parse(LOG);
        assert!(d.started);
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        assert_eq!(d.tests.len(), 3);
        assert_eq!(d.tests[0].verdict, OpVerdict::Ok);
        assert_eq!(d.tests[0].objects, Some(0));
        let t = &d.tests[1];
        assert_eq!(t.name, "rmmod selfremove_legacy");
        assert_eq!(t.verdict, OpVerdict::NotOk);
        assert_eq!((t.objects, t.released), (Some(1), Some(0)));
        assert_eq!(t.reason(), Some("not released: platform:selfremove_legacy refcount=1 release=platform_device_release"));
        assert!(t
            .diagnostics
            .iter()
            .any(|l| l.contains("sr_remove_work_fn")));
        assert_eq!(d.tests[2].verdict, OpVerdict::Skip);
        assert_eq!(d.tests[2].name, "rmmod ahci");
        assert_eq!(
            d.tests[2].directive.as_deref(),
            Some("SKIP failed with -11, nothing unregistered")
        );
    }

    #[test]
    fn flags_sequence_errors_and_missing_header() {
        let d = parse("[ 1.0] KTAP version 1\n[ 1.1] ok 2 x\n");
        assert_eq!(d.errors, vec!["test 2 out of sequence (expected 1)"]);
        let d = parse("[ 1.0] ok 1 x\n");
        assert!(!d.started);
        assert!(d.tests.is_empty());
        assert_eq!(d.errors.len(), 1);
    }

    #[test]
    fn reload_starts_a_new_document() {
        let d =
            parse("[ 1.0] KTAP version 1\n[ 1.1] ok 1 a\n[ 2.0] KTAP version 1\n[ 2.1] ok 1 b\n");
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        assert_eq!(d.tests.len(), 2);
    }

    #[test]
    fn kernel_line_after_userspace_text() {
        let d = parse("[ 1.0] KTAP version 1\nUNPLUG-STEP 3 rmmod x[    1.84] # a: 0 objects unregistered, 0 released\n[ 1.9] ok 1 a\n");
        assert_eq!(d.tests[0].objects, Some(0));
    }

    #[test]
    fn ignores_userspace_lines() {
        let d = parse("[ 1.0] KTAP version 1\nok 1 fake\n[ 1.2] ok 1 real\n");
        assert_eq!(d.tests.len(), 1);
        assert_eq!(d.tests[0].name, "real");
    }

    #[test]
    fn first_splat_reads_one_splat_up_to_its_end_line() {
        let log = "\
[ 1.0] ok 1 a
[ 2.0] BUG: unable to handle page fault for address: ffffffffc0812040
[ 2.1] RIP: 0010:0xffffffffc0812040
[ 2.2] Call Trace:
[ 2.3]  ? fx_timer+0x1c/0x40 [fx]
[ 2.4]  call_timer_fn+0x2c/0x130
[ 2.5] Modules linked in: ahci [last unloaded: fx(O)]
[ 2.6] ---[ end trace 0000000000000000 ]---
[ 3.0] WARNING: CPU: 0 PID: 9 at x.c:1 gx_fn+0x1/0x2 [gx]
[ 3.1] RIP: 0010:gx_fn+0x1/0x2 [gx]
";
        let s = first_splat(log).unwrap();
        assert_eq!(s.before, "[ 1.0] ok 1 a\n");
        assert_eq!(s.module_code, None);
        assert_eq!(s.last_unloaded.as_deref(), Some("fx"));
        let s = first_splat(&log[log.find("[ 3.0]").unwrap()..]).unwrap();
        let code = s.module_code.unwrap();
        assert_eq!(
            (code.function.as_str(), code.module.as_str()),
            ("gx_fn+0x1/0x2", "gx")
        );
        assert!(first_splat("[ 1.0] ok 1 a\n").is_none());
    }

    #[test]
    fn splats_are_case_sensitive() {
        let log = "[ 1.0] scsi_debug: bug: nothing\n[ 2.0] WARNING: CPU: 0 PID: 1 at x\n[ 3.0] Call Trace:\n";
        assert_eq!(
            splats(log),
            vec!["WARNING: CPU: 0 PID: 1 at x", "Call Trace:"]
        );
        assert!(splats("[ 1.0] scsi_debug:sdebug_driver_probe: trim\n").is_empty());
    }
}
