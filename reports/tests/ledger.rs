mod common;

use common::*;
use reports::{Ledger, SiteState};
use serde_json::json;

fn key(file: &str, ctx: &str) -> String {
    format!("{PATTERN}|{file}|{ctx}")
}

#[test]
fn rescan_detects_applied_gone_new_user_and_renames() {
    let t = trees();
    let doc1 = scan_doc(&t.v1, &[PATTERN]);
    let s1 = reports::campaign::record_scan(&t.campaign, &doc1, &t.v1, &[]).unwrap();
    assert_eq!((s1.legacy, s1.new, s1.new_user), (4, 4, 0), "{s1}");
    let l = Ledger::open(&t.campaign).unwrap();
    let alpha = &l.state.sites[&key("drivers/gpio/gpio-alpha.c", "alpha_driver")];
    assert_eq!(alpha.state, SiteState::Open);
    assert_eq!(alpha.subsystem.as_deref(), Some("GPIO SUBSYSTEM"));
    assert_eq!(alpha.maintainers, vec!["Gina Gpio <gina@example.org>"]);

    let doc2 = scan_doc(&t.v2, &[PATTERN]);
    let s2 = reports::campaign::record_scan(&t.campaign, &doc2, &t.v2, &[]).unwrap();
    assert_eq!(
        (s2.applied, s2.gone, s2.new_user, s2.renamed, s2.legacy),
        (1, 1, 1, 1, 3),
        "{s2}"
    );
    let l = Ledger::open(&t.campaign).unwrap();
    let st = |f: &str, c: &str| l.state.sites[&key(f, c)].state;
    assert_eq!(
        st("drivers/gpio/gpio-alpha.c", "alpha_driver"),
        SiteState::Applied
    );
    assert_eq!(
        l.state.sites[&key("drivers/gpio/gpio-alpha.c", "alpha_driver")]
            .applied_in
            .as_deref(),
        Some("6.2.0")
    );
    assert_eq!(st("drivers/spi/spi-beta.c", "beta_driver"), SiteState::Gone);
    assert_eq!(
        st("drivers/watchdog/gamma_wdt.c", "gamma_driver"),
        SiteState::Open
    );
    assert_eq!(
        st("drivers/spi/spi-epsilon.c", "epsilon_driver"),
        SiteState::NewUser
    );
    // The moved driver keeps its state, not a false new user.
    let delta = &l.state.sites[&key("drivers/gpio/gpio-delta-core.c", "delta_driver")];
    assert_eq!(delta.state, SiteState::Open);
    assert_eq!(
        delta.renamed_from.as_deref(),
        Some(key("drivers/gpio/gpio-delta.c", "delta_driver").as_str())
    );
    assert!(!l
        .state
        .sites
        .contains_key(&key("drivers/gpio/gpio-delta.c", "delta_driver")));

    // History: one snapshot per scan, with the tree's version.
    assert_eq!(l.state.scans.len(), 2);
    assert_eq!(l.state.scans[0].tree.version.as_deref(), Some("6.1.0"));
    assert_eq!(l.state.scans[1].legacy, 3);
    for s in &l.state.scans {
        let snap: serde_json::Value =
            serde_json::from_slice(&std::fs::read(t.campaign.join(&s.snapshot)).unwrap()).unwrap();
        assert_eq!(snap["schema"], "unplug-snapshot/1");
    }

    // Recording the same tree again changes no state.
    let s3 = reports::campaign::record_scan(&t.campaign, &doc2, &t.v2, &[]).unwrap();
    assert_eq!(
        (s3.applied, s3.gone, s3.new_user, s3.new),
        (0, 0, 0, 0),
        "{s3}"
    );
}

#[test]
fn state_file_is_sorted_pretty_json() {
    let t = trees();
    recorded(&t);
    let text = std::fs::read_to_string(t.campaign.join("ledger.json")).unwrap();
    assert!(text.starts_with("{\n  \"about\""), "{}", &text[..80]);
    assert!(text.contains("\"schema\": \"unplug-ledger/1\""));
    // Saving again without change is byte-identical.
    let mut l = Ledger::open(&t.campaign).unwrap();
    l.save().unwrap();
    assert_eq!(
        std::fs::read_to_string(t.campaign.join("ledger.json")).unwrap(),
        text
    );
}

#[test]
fn scoped_scan_leaves_other_directories_alone() {
    let t = trees();
    let doc1 = scan_doc(&t.v1, &[PATTERN]);
    reports::campaign::record_scan(&t.campaign, &doc1, &t.v1, &[]).unwrap();
    let ids = vec![PATTERN.to_string()];
    let out = reports::scan::run_patterns(&t.v2, &ids, &["drivers/watchdog".into()], None).unwrap();
    let doc = reports::scan::scan_document(&t.v2, &out, Some(&["drivers/watchdog".into()]));
    let s = reports::campaign::record_scan(&t.campaign, &doc, &t.v2, &[]).unwrap();
    assert_eq!((s.gone, s.applied, s.new_user), (0, 0, 0), "{s}");
    let l = Ledger::open(&t.campaign).unwrap();
    assert_eq!(
        l.state.sites[&key("drivers/spi/spi-beta.c", "beta_driver")].state,
        SiteState::Open
    );
}

#[test]
fn damaged_or_foreign_state_is_refused_and_untouched() {
    let t = trees();
    recorded(&t);
    let path = t.campaign.join("ledger.json");
    let doc = scan_doc(&t.v2, &[PATTERN]);
    for bad in [
        b"{\"schema\": \"unplug-ledger/1\", \"sites\": {tru".to_vec(),
        b"{\"schema\": \"unplug-ledger/2\", \"patterns\": []}\n".to_vec(),
        b"{\"schema\": \"unplug-ledger/1\", \"patterns\": \"x\"}\n".to_vec(),
        b"not json at all".to_vec(),
    ] {
        std::fs::write(&path, &bad).unwrap();
        let err = Ledger::open(&t.campaign)
            .err()
            .expect("refused")
            .to_string();
        assert!(err.contains("not modified"), "{err}");
        let err =
            reports::campaign::record_scan(&t.campaign, &doc, &t.v2, &[]).expect_err("refused");
        assert!(format!("{err:#}").contains("ledger.json"), "{err:#}");
        assert_eq!(std::fs::read(&path).unwrap(), bad, "state file was touched");
        let args = reports::campaign::ReportOptions {
            campaign: t.campaign.clone(),
            format: reports::Format::Md,
            out: None,
            ..Default::default()
        };
        assert!(reports::campaign::report(&args).is_err());
        assert_eq!(std::fs::read(&path).unwrap(), bad);
    }
    let err = std::fs::write(&path, b"{\"schema\": \"unplug-ledger/2\"}")
        .map(|_| Ledger::open(&t.campaign));
    let msg = err.unwrap().err().unwrap().to_string();
    assert!(
        msg.contains("unplug-ledger/2") && msg.contains("unplug-ledger/1"),
        "{msg}"
    );
}

#[test]
fn a_concurrent_write_is_not_clobbered() {
    let t = trees();
    recorded(&t);
    let mut a = Ledger::open(&t.campaign).unwrap();
    let mut b = Ledger::open(&t.campaign).unwrap();
    b.state.imports.clear();
    b.save().unwrap();
    std::fs::write(t.campaign.join("ledger.json"), b"{\"changed\": 1}\n").unwrap();
    assert!(a
        .save()
        .unwrap_err()
        .to_string()
        .contains("not overwritten"));
    assert_eq!(
        std::fs::read(t.campaign.join("ledger.json")).unwrap(),
        b"{\"changed\": 1}\n"
    );
}

#[test]
fn campaigns_never_mix() {
    let t = trees();
    recorded(&t);
    let before = std::fs::read(t.campaign.join("ledger.json")).unwrap();
    // A scan of another campaign's pattern.
    let other = scan_doc(&t.v2, &["class-create-no-owner"]);
    let err = reports::campaign::record_scan(&t.campaign, &other, &t.v2, &[]).unwrap_err();
    assert!(err.to_string().contains("never mix"), "{err}");
    // A scan of both patterns.
    let both = scan_doc(&t.v2, &[PATTERN, "class-create-no-owner"]);
    let err = reports::campaign::record_scan(&t.campaign, &both, &t.v2, &[]).unwrap_err();
    assert!(err.to_string().contains("never mix"), "{err}");
    // Opening for other ids.
    let err = Ledger::create_or_open(&t.campaign, &["class-create-no-owner".into()])
        .err()
        .unwrap();
    assert!(err.to_string().contains("never mix"), "{err}");
    // A series of another campaign.
    let mut l = Ledger::open(&t.campaign).unwrap();
    let err = l
        .record_series_json(
            &json!({"campaign": "class-create-no-owner", "version": 1, "series": []}),
        )
        .unwrap_err();
    assert!(err.to_string().contains("never mix"), "{err}");
    assert_eq!(
        std::fs::read(t.campaign.join("ledger.json")).unwrap(),
        before
    );
}

#[test]
fn series_and_verification_are_linked() {
    let t = trees();
    recorded(&t);
    let mut l = Ledger::open(&t.campaign).unwrap();
    let series = json!({
        "campaign": PATTERN, "version": 2, "out_dir": "out", "per": "driver", "checked": true,
        "series": [{
            "section": "WATCHDOG DEVICE DRIVERS", "part": 1, "parts": 1, "dir": "out/wdt",
            "cover_letter": "", "cover_subject": "", "orphan": false, "to": [], "cc": [],
            "patches": [{
                "file_name": "v2-0001-watchdog-gamma-Convert-to-platform-remove-callback-returning-void.patch",
                "path": "out/wdt/v2-0001.patch",
                "subject": "[PATCH v2 1/1] watchdog: gamma: Convert to platform remove callback returning void",
                "drivers": ["drivers/watchdog/gamma_wdt.c"], "files": ["drivers/watchdog/gamma_wdt.c"],
                "to": ["Walt Dog <walt@example.org>"], "cc": [],
                "check": {"applies": true, "checkpatch_errors": 0, "checkpatch_warnings": 0, "checkpatch_checks": 0, "detail": ""}
            }]
        }],
        "filtered_out": [], "warnings": []
    });
    assert_eq!(l.record_series_json(&series).unwrap(), 1);
    // Verifier output (`unplug verify --json`) and the small stable format.
    let verify = json!([{
        "scenario": "default driver check", "kernel": "6.12", "passed": true, "seconds": 3.0,
        "operations": [
            {"operation": "rmmod gamma_wdt", "verdict": "ok", "objects": 3, "reason": null, "expected": true},
            {"operation": "unbind x", "verdict": "ok", "objects": 1, "reason": null, "expected": true}
        ],
        "problems": [], "log": null
    }]);
    assert_eq!(l.record_verify_json(&verify).unwrap(), 1);
    let stable = json!({"schema": "unplug-verify-results/1", "results": [
        {"file": "drivers/spi/spi-epsilon.c", "kernel": "6.1", "ok": false, "detail": "device outlived rmmod"}
    ]});
    assert_eq!(l.record_verify_json(&stable).unwrap(), 1);
    l.save().unwrap();

    let l = Ledger::open(&t.campaign).unwrap();
    let g = &l.state.sites[&key("drivers/watchdog/gamma_wdt.c", "gamma_driver")];
    assert_eq!(g.state, SiteState::InSeries);
    let p = g.patch.as_ref().unwrap();
    assert_eq!(p.series, "WATCHDOG DEVICE DRIVERS");
    assert_eq!(p.version, 2);
    assert_eq!(p.applies, Some(true));
    assert_eq!(g.verification.len(), 1);
    assert!(g.verification[0].ok && g.verification[0].kernel == "6.12");
    let e = &l.state.sites[&key("drivers/spi/spi-epsilon.c", "epsilon_driver")];
    assert!(!e.verification[0].ok);
    // A later scan where gamma is converted: applied, the patch kept.
    let tmp = tempfile::tempdir().unwrap();
    let v3 = tmp.path().join("linux-6.3");
    tree_v2(&v3);
    write(
        &v3,
        "Makefile",
        "VERSION = 6\nPATCHLEVEL = 3\nSUBLEVEL = 0\n",
    );
    write(
        &v3,
        "drivers/watchdog/gamma_wdt.c",
        &converted_driver("gamma"),
    );
    let doc = scan_doc(&v3, &[PATTERN]);
    let s = reports::campaign::record_scan(&t.campaign, &doc, &v3, &[]).unwrap();
    assert_eq!(s.applied, 1, "{s}");
    let l = Ledger::open(&t.campaign).unwrap();
    let g = &l.state.sites[&key("drivers/watchdog/gamma_wdt.c", "gamma_driver")];
    assert_eq!(g.state, SiteState::Applied);
    assert_eq!(g.applied_in.as_deref(), Some("6.3.0"));
    assert!(g.patch.is_some());
}

#[test]
fn bad_verify_and_series_input_is_an_error() {
    let t = trees();
    recorded(&t);
    let mut l = Ledger::open(&t.campaign).unwrap();
    assert!(l.record_verify_json(&json!({"foo": 1})).is_err());
    assert!(l.record_series_json(&json!({"foo": 1})).is_err());
}

#[test]
fn phase_series_are_core_patches() {
    let t = trees();
    recorded(&t);
    let mut l = Ledger::open(&t.campaign).unwrap();
    let series = json!({
        "campaign": format!("{PATTERN}/introduce"), "version": 1,
        "series": [{"section": "DRIVER CORE", "part": 1, "parts": 1, "patches": [{
            "file_name": "v1-0001-driver-core-platform-Add-a-remove-callback-that-returns-void.patch",
            "subject": "[PATCH] driver core: platform: Add a remove callback that returns void",
            "files": ["include/linux/platform_device.h"], "to": [], "cc": []}]}]
    });
    assert_eq!(l.record_series_json(&series).unwrap(), 0);
    assert!(l.state.phases.contains_key(&format!("{PATTERN}/introduce")));
    let md = reports::render(&l, reports::Format::Md).unwrap();
    assert!(
        md.contains(
            "Core patches: introduce: [PATCH] driver core: platform: Add a remove callback"
        ),
        "{md}"
    );
    assert!(md.contains("waits for 3 legacy user(s)"), "{md}");
    let other = json!({"campaign": "class-create-no-owner/retire", "version": 1, "series": []});
    assert!(l.record_series_json(&other).is_err());
}

#[test]
fn repeated_operations_fold_into_one_result() {
    let t = trees();
    recorded(&t);
    let mut l = Ledger::open(&t.campaign).unwrap();
    let verify = json!([{
        "scenario": "s", "kernel": "6.1", "passed": false, "seconds": 1.0,
        "operations": [
            {"operation": "rmmod gamma_wdt", "verdict": "not_ok", "objects": 3, "reason": "platform:gamma outlived rmmod", "expected": false},
            {"operation": "rmmod gamma_wdt", "verdict": "ok", "objects": 0, "reason": null, "expected": true},
            {"operation": "rmmod gamma-wdt", "verdict": "skip", "objects": null, "reason": null, "expected": true}
        ],
        "problems": [], "log": null
    }]);
    assert_eq!(l.record_verify_json(&verify).unwrap(), 1);
    let g = &l.state.sites[&key("drivers/watchdog/gamma_wdt.c", "gamma_driver")];
    assert_eq!(g.verification.len(), 1);
    assert!(!g.verification[0].ok);
    assert_eq!(
        g.verification[0].detail.as_deref(),
        Some("platform:gamma outlived rmmod")
    );
    assert_eq!(g.verification_summary().as_deref(), Some("6.1 not ok"));
}

#[test]
fn an_unreadable_file_does_not_make_its_sites_gone() {
    let t = trees();
    let doc = scan_doc(&t.v1, &[PATTERN]);
    reports::campaign::record_scan(&t.campaign, &doc, &t.v1, &[]).unwrap();
    // gamma_wdt.c turned binary in the later tree: the scan reports an error finding.
    let mut bytes = b"\0\0\0 binary ".to_vec();
    bytes.extend_from_slice(legacy_driver("gamma").as_bytes());
    std::fs::write(t.v2.join("drivers/watchdog/gamma_wdt.c"), bytes).unwrap();
    let doc = scan_doc(&t.v2, &[PATTERN]);
    let findings = &doc.findings;
    assert!(
        findings
            .iter()
            .any(|f| f.file == "drivers/watchdog/gamma_wdt.c"),
        "{findings:?}"
    );
    let s = reports::campaign::record_scan(&t.campaign, &doc, &t.v2, &[]).unwrap();
    assert_eq!(s.gone, 1, "only beta: {s}");
    let l = Ledger::open(&t.campaign).unwrap();
    assert_eq!(
        l.state.sites[&key("drivers/watchdog/gamma_wdt.c", "gamma_driver")].state,
        SiteState::Open
    );
}

fn class_tree(root: &std::path::Path, patchlevel: u32, first: &str, second: &str) {
    write(
        root,
        "Makefile",
        &format!("VERSION = 6\nPATCHLEVEL = {patchlevel}\nSUBLEVEL = 0\n"),
    );
    write(
        root,
        "drivers/char/two.c",
        &format!(
            "// SPDX-License-Identifier: GPL-2.0
#include <linux/device/class.h>

static struct class *a, *b;

static int __init two_init(void)
{{
	a = {first};
	if (IS_ERR(a))
		return PTR_ERR(a);
	b = {second};
	return PTR_ERR_OR_ZERO(b);
}}
"
        ),
    );
}

#[test]
fn two_sites_in_one_function_keep_their_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let (v1, v2, dir) = (
        tmp.path().join("a"),
        tmp.path().join("b"),
        tmp.path().join("c"),
    );
    let id = "class-create-no-owner";
    class_tree(
        &v1,
        1,
        "class_create(THIS_MODULE, \"a\")",
        "class_create(THIS_MODULE, \"b\")",
    );
    // The first converted, the second not yet.
    class_tree(
        &v2,
        4,
        "class_create(\"a\")",
        "class_create(THIS_MODULE, \"b\")",
    );
    let s = reports::campaign::record_scan(&dir, &scan_doc(&v1, &[id]), &v1, &[]).unwrap();
    assert_eq!(s.legacy, 2, "{s}");
    let s = reports::campaign::record_scan(&dir, &scan_doc(&v2, &[id]), &v2, &[]).unwrap();
    assert_eq!(
        (s.applied, s.gone, s.new_user, s.legacy),
        (1, 0, 0, 1),
        "{s}"
    );
    let l = Ledger::open(&dir).unwrap();
    let k = format!("{id}|drivers/char/two.c|two_init");
    assert_eq!(l.state.sites[&k].state, SiteState::Applied);
    assert_eq!(l.state.sites[&format!("{k}#2")].state, SiteState::Open);
}

#[test]
fn a_same_named_driver_in_a_known_file_is_not_a_rename() {
    let t = trees();
    let doc = scan_doc(&t.v1, &[PATTERN]);
    reports::campaign::record_scan(&t.campaign, &doc, &t.v1, &[]).unwrap();
    // Later: gpio-delta.c deleted, and spi-beta.c (a known file) now holds
    // a driver object that happens to be called delta_driver.
    let later = t.campaign.parent().unwrap().join("later");
    tree_v1(&later);
    std::fs::remove_file(later.join("drivers/gpio/gpio-delta.c")).unwrap();
    write(&later, "drivers/spi/spi-beta.c", &legacy_driver("delta"));
    let s = reports::campaign::record_scan(&t.campaign, &scan_doc(&later, &[PATTERN]), &later, &[])
        .unwrap();
    // beta_driver -> delta_driver in the same file is a rename (rule b), but
    // not gpio-delta.c -> spi-beta.c (rule a): gpio-delta.c's site is gone.
    assert_eq!((s.renamed, s.gone, s.new_user), (1, 1, 0), "{s}");
    let l = Ledger::open(&t.campaign).unwrap();
    assert_eq!(
        l.state.sites[&key("drivers/gpio/gpio-delta.c", "delta_driver")].state,
        SiteState::Gone
    );
    let b = &l.state.sites[&key("drivers/spi/spi-beta.c", "delta_driver")];
    assert_eq!(
        b.renamed_from.as_deref(),
        Some(key("drivers/spi/spi-beta.c", "beta_driver").as_str())
    );
}
