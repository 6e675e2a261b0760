//! `series --check --build` results and `--resend` versions reach the
//! campaign: each site's patch carries its build verdict, shown in the
//! report when it is not "built".

mod common;
use common::*;
use reports::{Format, Ledger};
use serde_json::json;

fn series(version: u32, build: serde_json::Value) -> serde_json::Value {
    json!({
        "campaign": PATTERN, "version": version, "out_dir": "out", "per": "driver", "checked": true,
        "series": [{
            "section": "WATCHDOG DEVICE DRIVERS", "part": 1, "parts": 1, "dir": "out/wdt",
            "cover_letter": "", "cover_subject": "", "orphan": false, "to": [], "cc": [],
            "patches": [{
                "file_name": format!("v{version}-0001-watchdog-gamma.patch"),
                "path": format!("out/wdt/v{version}-0001-watchdog-gamma.patch"),
                "subject": format!("[PATCH v{version} 1/1] watchdog: gamma: Convert"),
                "drivers": ["drivers/watchdog/gamma_wdt.c"], "files": ["drivers/watchdog/gamma_wdt.c"],
                "to": [], "cc": [], "check": null, "build": build
            }]
        }],
        "filtered_out": [], "warnings": []
    })
}

#[test]
fn build_verdicts_and_earlier_versions_are_recorded() {
    let t = trees();
    recorded(&t);
    let mut l = Ledger::open(&t.campaign).unwrap();
    let regression = json!({"status": "regression", "arch": "x86_64", "config": "allmodconfig",
        "objects": ["drivers/watchdog/gamma_wdt.o"], "new_warnings": ["w"],
        "reason": "1 new warning(s) with W=1"});
    assert_eq!(l.record_series_json(&series(1, regression)).unwrap(), 1);
    let gamma = |l: &Ledger| {
        l.state
            .sites
            .values()
            .find(|s| s.file == "drivers/watchdog/gamma_wdt.c")
            .unwrap()
            .patch
            .clone()
            .unwrap()
    };
    assert_eq!(
        gamma(&l).build.as_deref(),
        Some("regression: 1 new warning(s) with W=1")
    );
    let md = reports::render(&l, Format::Md).unwrap();
    assert!(
        md.contains("v1-0001-watchdog-gamma.patch (regression)"),
        "{md}"
    );

    let built = json!({"status": "built", "arch": "arm64", "config": "allmodconfig",
        "objects": [], "new_warnings": [], "reason": null});
    assert_eq!(l.record_series_json(&series(2, built)).unwrap(), 1);
    let p = gamma(&l);
    assert_eq!(p.build.as_deref(), Some("built on arm64"));
    assert_eq!(p.earlier, ["out/wdt/v1-0001-watchdog-gamma.patch"]);
    let md = reports::render(&l, Format::Md).unwrap();
    assert!(md.contains("v2-0001-watchdog-gamma.patch"), "{md}");
    assert!(!md.contains("(regression)"), "{md}");
}
