//! What the kernel verifier reports: one outcome per scenario run
//! (`unplug verify --json` prints a list of them), and the
//! `unplug-verify-results/1` document of per-module results the ledger
//! also imports.

use serde::{Deserialize, Serialize};

/// Schema id of [`VerifyResults`].
pub const VERIFY_RESULTS_SCHEMA: &str = "unplug-verify-results/1";

/// The verdict of one operation (a KTAP test line of unplug_verify).
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OpVerdict {
    Ok,
    NotOk,
    Skip,
}

impl std::fmt::Display for OpVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            OpVerdict::Ok => "ok",
            OpVerdict::NotOk => "not ok",
            OpVerdict::Skip => "skip",
        })
    }
}

/// One judged operation of a run (`rmmod gpio_foo`, `unbind …`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OpRow {
    pub operation: String,
    pub verdict: OpVerdict,
    #[serde(default)]
    pub objects: Option<u32>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub expected: bool,
}

/// One scenario run on one kernel.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VerifyOutcome {
    pub scenario: String,
    #[serde(default = "unknown_kernel")]
    pub kernel: String,
    #[serde(default)]
    pub passed: bool,
    #[serde(default)]
    pub seconds: f64,
    pub operations: Vec<OpRow>,
    #[serde(default)]
    pub problems: Vec<String>,
    #[serde(default)]
    pub log: Option<String>,
}

impl VerifyOutcome {
    /// The verdict of `rmmod MODULE` in this run, with its reason.
    pub fn rmmod_verdict(&self, module: &str) -> Option<String> {
        let op = format!("rmmod {module}");
        self.operations
            .iter()
            .find(|o| o.operation == op)
            .map(|o| match &o.reason {
                Some(r) => format!("{} ({r})", o.verdict),
                None => o.verdict.to_string(),
            })
    }
}

/// One module's (or file's) result on one kernel.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VerifyResult {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(default = "unknown_kernel")]
    pub kernel: String,
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

fn unknown_kernel() -> String {
    "?".into()
}

/// The `unplug-verify-results/1` document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VerifyResults {
    pub schema: String,
    pub results: Vec<VerifyResult>,
}

impl VerifyResults {
    pub fn new(results: Vec<VerifyResult>) -> VerifyResults {
        VerifyResults {
            schema: VERIFY_RESULTS_SCHEMA.into(),
            results,
        }
    }
}

/// What the ledger imports as verification: the verifier's outcomes (a
/// list, or one), or a results document.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum VerifyImport {
    Outcomes(Vec<VerifyOutcome>),
    Results(VerifyResults),
    Outcome(VerifyOutcome),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_form_of_verifier_output_reads_as_its_kind() {
        let outcomes = r#"[{"scenario": "s", "kernel": "k", "passed": true, "seconds": 1.0,
            "operations": [{"operation": "rmmod m", "verdict": "not_ok", "objects": 1,
            "reason": "held", "expected": false}], "problems": [], "log": null}]"#;
        match serde_json::from_str::<VerifyImport>(outcomes).unwrap() {
            VerifyImport::Outcomes(o) => {
                assert_eq!(o[0].rmmod_verdict("m").as_deref(), Some("not ok (held)"));
                assert_eq!(o[0].rmmod_verdict("n"), None);
            }
            other => panic!("{other:?}"),
        }
        let results =
            r#"{"schema": "unplug-verify-results/1", "results": [{"module": "m", "ok": true}]}"#;
        match serde_json::from_str::<VerifyImport>(results).unwrap() {
            VerifyImport::Results(r) => assert_eq!(r.results[0].kernel, "?"),
            other => panic!("{other:?}"),
        }
        assert!(serde_json::from_str::<VerifyImport>(r#"{"foo": 1}"#).is_err());
    }

    #[test]
    fn results_print_only_the_fields_they_have() {
        let doc = VerifyResults::new(vec![VerifyResult {
            module: Some("m".into()),
            file: None,
            kernel: "k".into(),
            ok: true,
            detail: Some("d".into()),
            source: None,
        }]);
        assert_eq!(
            serde_json::to_string(&doc).unwrap(),
            r#"{"schema":"unplug-verify-results/1","results":[{"module":"m","kernel":"k","ok":true,"detail":"d"}]}"#
        );
    }
}
