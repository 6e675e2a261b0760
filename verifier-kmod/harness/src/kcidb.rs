//! Driver verdicts as KCIDB I/O JSON (schema v5.3 of the `kcidb-io`
//! package): one checkout per source tree, one build per driver variant
//! and kernel, one test per build that ran.  A lab submits the file to
//! KernelCI with `kcidb-submit`.

use crate::drivers::DriverOutcome;
use serde_json::{json, Value};

/// The KCIDB origin of everything unplug reports.
pub const ORIGIN: &str = "unplug";

/// A source tree the drivers were built from.
#[derive(Debug, Clone)]
pub struct Checkout {
    /// `6.1` or `6.12`: which outcomes belong to it.
    pub series: String,
    /// The tree's full version (`6.1.192`), from its top Makefile.
    pub version: String,
}

/// KCIDB ids allow anything after `origin:`; keep them readable.
fn id(parts: &[&str]) -> String {
    format!("{ORIGIN}:{}", parts.join(":"))
}

/// A test path element: letters, digits, `_` and `-` only.
fn path_part(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The KCIDB document for `outcomes`.
pub fn document(checkouts: &[Checkout], outcomes: &[DriverOutcome]) -> Value {
    let mut cs = vec![];
    let mut builds = vec![];
    let mut tests = vec![];
    for c in checkouts {
        let checkout_id = id(&["linux-source", &c.version]);
        cs.push(json!({
            "id": checkout_id,
            "origin": ORIGIN,
            "tree_name": format!("debian-linux-source-{}", c.series),
            "git_commit_name": format!("v{}", c.version),
            "comment": format!("Debian linux-source-{} {}", c.series, c.version),
            "valid": true,
        }));
        for o in outcomes.iter().filter(|o| o.series == c.series) {
            let build_id = id(&[&c.version, &o.driver, &o.variant]);
            let built = !(o.verdict == "error" && o.failed_step.as_deref() == Some("build"));
            builds.push(json!({
                "id": build_id,
                "checkout_id": checkout_id,
                "origin": ORIGIN,
                "architecture": "x86_64",
                "config_name": o.kernel,
                "comment": format!("{} ({}) built out of tree against {}", o.driver, o.variant, o.kernel),
                "status": if built { "PASS" } else { "FAIL" },
                "misc": {"variant": o.variant},
            }));
            if !built {
                continue;
            }
            let status = match o.verdict.as_str() {
                "ok" => "PASS",
                "not ok" => "FAIL",
                _ => "ERROR",
            };
            tests.push(json!({
                "id": id(&[&c.version, &o.driver, &o.variant, "unbind-rmmod"]),
                "build_id": build_id,
                "origin": ORIGIN,
                "path": format!("unplug_verify.{}.{}", path_part(&o.driver), path_part(&o.variant)),
                "comment": format!("bind, unbind, bind, rmmod of {} ({}) under unplug_verify", o.driver, o.variant),
                "status": status,
                "log_excerpt": o.problems.join("\n"),
                "number": {"value": o.objects, "unit": "objects released"},
                "duration": o.seconds,
                "environment": {"comment": format!("QEMU q35, TCG, {}", o.kernel)},
                "misc": {
                    "operations": o.operations.iter().map(|r| json!({
                        "operation": r.operation,
                        "verdict": r.verdict.to_string(),
                        "objects": r.objects,
                    })).collect::<Vec<_>>(),
                },
            }));
        }
    }
    json!({
        "version": {"major": 5, "minor": 3},
        "checkouts": cs,
        "builds": builds,
        "tests": tests,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(variant: &str, verdict: &str, step: Option<&str>) -> DriverOutcome {
        DriverOutcome {
            driver: "e1000e".into(),
            kernel: "6.1 generic (6.1.0-57-amd64)".into(),
            series: "6.1".into(),
            variant: variant.into(),
            verdict: verdict.into(),
            failed_step: step.map(String::from),
            objects: 3,
            operations: vec![],
            problems: vec![],
            log: None,
            seconds: 1.5,
        }
    }

    #[test]
    fn a_failed_build_has_no_test() {
        let c = Checkout {
            series: "6.1".into(),
            version: "6.1.192".into(),
        };
        let doc = document(
            &[c],
            &[
                outcome("legacy", "ok", None),
                outcome("converted", "error", Some("build")),
                outcome("mainline", "not ok", Some("step 3 (wait: /x)")),
            ],
        );
        assert_eq!(doc["builds"].as_array().unwrap().len(), 3);
        assert_eq!(doc["builds"][1]["status"], "FAIL");
        let tests = doc["tests"].as_array().unwrap();
        assert_eq!(tests.len(), 2);
        assert_eq!(tests[0]["status"], "PASS");
        assert_eq!(tests[1]["status"], "FAIL");
        assert_eq!(tests[0]["path"], "unplug_verify.e1000e.legacy");
        assert_eq!(tests[1]["build_id"], doc["builds"][2]["id"]);
        assert_eq!(doc["checkouts"][0]["id"], "unplug:linux-source:6.1.192");
    }
}
