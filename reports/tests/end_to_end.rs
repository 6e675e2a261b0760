//! The real pieces together: engine → series::build_series → ledger, and a
//! tree that is a git work tree.

mod common;

use common::*;
use reports::{Ledger, SiteState};
use std::process::Command;

#[test]
fn series_report_from_the_series_crate_links_patches() {
    let t = trees();
    let doc = scan_doc(&t.v1, &[PATTERN]);
    reports::campaign::record_scan(&t.campaign, &doc, &t.v1, &[]).unwrap();

    let ids = vec![PATTERN.to_string()];
    let out = reports::scan::run_patterns(&t.v1, &ids, &["drivers/gpio".into()], None).unwrap();
    let changes: Vec<series::DriverChange> = out
        .changes
        .iter()
        .map(|c| series::DriverChange {
            key: c.file.clone(),
            files: vec![series::FileEdit {
                rel_path: c.file.clone(),
                before: c.before.clone(),
                after: c.after.clone(),
                mode: 0o100644,
            }],
            shared_helper: None,
            remarks: vec![],
        })
        .collect();
    assert_eq!(changes.len(), 2, "alpha and delta");
    let series_out = t.campaign.parent().unwrap().join("series-out");
    let campaign = series::Campaign {
        id: PATTERN.into(),
        subject: "Convert to platform remove callback returning void".into(),
        rationale: "Because.".into(),
    };
    let opts = series::SeriesOptions {
        out_dir: series_out.clone(),
        tree: t.v1.clone(),
        from: Some("Dev <dev@example.org>".into()),
        date: Some(1_795_632_300),
        ..Default::default()
    };
    let report = series::build_series(&t.v1, &campaign, &changes, &opts).unwrap();
    assert_eq!(
        reports::campaign::record_series(&t.campaign, &series::campaign::record_of(&report))
            .unwrap(),
        2
    );

    // The same from series.json, through `report --series`.
    let args = reports::campaign::ReportOptions {
        campaign: t.campaign.clone(),
        format: reports::Format::Md,
        out: Some(t.campaign.with_file_name("status.md")),
        series: vec![series_out.join("series.json")],
        ..Default::default()
    };
    assert!(reports::campaign::report(&args).unwrap().text.is_none());
    let md = std::fs::read_to_string(t.campaign.with_file_name("status.md")).unwrap();
    assert!(md.contains("in-series auto"), "{md}");
    assert!(md.contains(".patch"), "{md}");

    let l = Ledger::open(&t.campaign).unwrap();
    let alpha = &l.state.sites[&format!("{PATTERN}|drivers/gpio/gpio-alpha.c|alpha_driver")];
    assert_eq!(alpha.state, SiteState::InSeries);
    let p = alpha.patch.as_ref().unwrap();
    assert_eq!(p.series, "GPIO SUBSYSTEM");
    assert!(p.subject.contains("alpha"), "{}", p.subject);
    assert!(
        p.to.iter().any(|a| a.contains("gina@example.org")),
        "{:?}",
        p.to
    );
    let beta = &l.state.sites[&format!("{PATTERN}|drivers/spi/spi-beta.c|beta_driver")];
    assert_eq!(beta.state, SiteState::Open);
    assert!(beta.patch.is_none());
}

#[test]
fn git_commit_of_the_scanned_tree_is_recorded() {
    let t = trees();
    let git = |args: &[&str]| {
        let o = Command::new("git")
            .args(["-c", "user.name=T", "-c", "user.email=t@example.org"])
            .args(args)
            .current_dir(&t.v1)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "v6.1"]);
    let head = git(&["rev-parse", "HEAD"]).trim().to_string();
    let doc = scan_doc(&t.v1, &[PATTERN]);
    reports::campaign::record_scan(&t.campaign, &doc, &t.v1, &[]).unwrap();
    let l = Ledger::open(&t.campaign).unwrap();
    assert_eq!(l.state.scans[0].tree.commit.as_deref(), Some(head.as_str()));
    assert_eq!(l.state.scans[0].tree.version.as_deref(), Some("6.1.0"));
    // A tree that is not a git work tree has no commit.
    let doc = scan_doc(&t.v2, &[PATTERN]);
    reports::campaign::record_scan(&t.campaign, &doc, &t.v2, &[]).unwrap();
    let l = Ledger::open(&t.campaign).unwrap();
    assert_eq!(l.state.scans[1].tree.commit, None);
}
