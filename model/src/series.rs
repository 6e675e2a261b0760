//! A written series as the ledger records it: the part of `series.json`
//! (what `unplug series` writes into its out dir, or prints with `--json`)
//! that links patches to sites. `series.json` carries no schema id; its
//! `campaign` key names it. Fields the ledger does not read are ignored.

use serde::{Deserialize, Serialize};

/// `series.json` as the ledger reads it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SeriesRecord {
    /// The pattern id, or `ID/introduce`, `ID/retire` for a phase's core patch.
    pub campaign: String,
    #[serde(default = "first_version")]
    pub version: u32,
    pub series: Vec<SeriesPartRecord>,
}

fn first_version() -> u32 {
    1
}

/// One series (one MAINTAINERS section, or one part of it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SeriesPartRecord {
    #[serde(default)]
    pub section: String,
    #[serde(default = "first_part")]
    pub part: usize,
    #[serde(default)]
    pub patches: Vec<PatchRecord>,
}

fn first_part() -> usize {
    1
}

/// One patch mail.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PatchRecord {
    #[serde(default)]
    pub file_name: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub to: Vec<String>,
    #[serde(default)]
    pub cc: Vec<String>,
    /// Files the patch changes.
    #[serde(default)]
    pub files: Vec<String>,
    /// Driver keys in the patch.
    #[serde(default)]
    pub drivers: Vec<String>,
    /// `series --check`: how the patch applied and what checkpatch said.
    #[serde(default)]
    pub check: Option<PatchCheckRecord>,
    /// `series --check --build`.
    #[serde(default)]
    pub build: Option<PatchBuildRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PatchCheckRecord {
    #[serde(default)]
    pub applies: Option<bool>,
    #[serde(default)]
    pub checkpatch_errors: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PatchBuildRecord {
    /// `built`, `failed`, `not-built`, …
    pub status: String,
    #[serde(default)]
    pub arch: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
}

impl PatchBuildRecord {
    /// `built on x86_64`, or the status with its reason.
    pub fn label(&self) -> String {
        match self.status.as_str() {
            "built" => format!("built on {}", self.arch.as_deref().unwrap_or("?")),
            status => format!("{status}: {}", self.reason.as_deref().unwrap_or("")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_series_report_reads_with_defaults_and_ignores_the_rest() {
        let text = r#"{"campaign": "p", "out_dir": "/o", "series": [{"section": "GPIO",
            "patches": [{"file_name": "0001.patch", "subject": "s", "files": ["a.c"],
            "check": {"applies": true, "checkpatch_errors": 0, "detail": ""},
            "build": {"status": "built", "arch": "x86_64", "objects": []}}]}]}"#;
        let r: SeriesRecord = serde_json::from_str(text).unwrap();
        assert_eq!((r.version, r.series[0].part), (1, 1));
        let p = &r.series[0].patches[0];
        assert_eq!(p.build.as_ref().unwrap().label(), "built on x86_64");
        assert_eq!(p.check.as_ref().unwrap().applies, Some(true));
        assert!(serde_json::from_str::<SeriesRecord>(r#"{"foo": 1}"#).is_err());
    }
}
