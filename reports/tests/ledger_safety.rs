//! The ledger as a small database: concurrent recordings all kept,
//! leftovers of killed saves removed, file modes kept, and reports never
//! written over the campaign.

mod common;

use common::*;
use reports::Ledger;
use std::sync::{Arc, Barrier};

#[test]
fn concurrent_recordings_are_all_kept() {
    let t = trees();
    let doc = scan_doc(&t.v1, &[PATTERN]);
    reports::campaign::record_scan(&t.campaign, &doc, &t.v1, &[]).unwrap();
    let rounds = 8;
    for _ in 0..rounds {
        let start = Arc::new(Barrier::new(2));
        let workers: Vec<_> = [t.v1.clone(), t.v2.clone()]
            .into_iter()
            .map(|tree| {
                let (start, dir, doc) = (
                    start.clone(),
                    t.campaign.clone(),
                    scan_doc(&tree, &[PATTERN]),
                );
                std::thread::spawn(move || {
                    start.wait();
                    reports::campaign::record_scan(&dir, &doc, &tree, &[]).map(|_| ())
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap().expect("both recordings succeed");
        }
    }
    let l = Ledger::open(&t.campaign).unwrap();
    assert_eq!(l.state.scans.len(), 1 + 2 * rounds, "a scan was lost");
    let ids: Vec<u32> = l.state.scans.iter().map(|s| s.id).collect();
    assert_eq!(ids, (1..=1 + 2 * rounds as u32).collect::<Vec<_>>());
    for s in &l.state.scans {
        assert!(t.campaign.join(&s.snapshot).is_file(), "{}", s.snapshot);
    }
}

#[test]
fn leftovers_of_a_killed_save_are_removed() {
    let t = trees();
    let doc = scan_doc(&t.v1, &[PATTERN]);
    reports::campaign::record_scan(&t.campaign, &doc, &t.v1, &[]).unwrap();
    // What a save killed at various points leaves: a temporary file (ours,
    // or tempfile's default name from unplug before 0.1), and a snapshot
    // written before the state that would have referred to it.
    let litter = [
        ".unplug-tmp-Ab12Cd",
        ".tmpXy3Z9q",
        "history/.unplug-tmp-x1Y2z3",
        "history/.tmpQwErTy",
        "history/0002-6.9.0.json",
    ];
    for f in litter {
        write(&t.campaign, f, "{}\n");
    }
    // Files that are not litter stay.
    let keep = [".tmp", ".tmpfile-of-mine", "notes.md", "history/README"];
    for f in keep {
        write(&t.campaign, f, "mine\n");
    }
    let doc = scan_doc(&t.v2, &[PATTERN]);
    reports::campaign::record_scan(&t.campaign, &doc, &t.v2, &[]).unwrap();
    for f in litter {
        assert!(!t.campaign.join(f).exists(), "{f} left behind");
    }
    for f in keep {
        assert!(t.campaign.join(f).exists(), "{f} removed");
    }
    let l = Ledger::open(&t.campaign).unwrap();
    assert_eq!(l.state.scans[1].snapshot, "history/0002-6.2.0.json");
    assert!(t.campaign.join("history/0001-6.1.0.json").is_file());
    assert!(t.campaign.join("history/0002-6.2.0.json").is_file());
}

#[cfg(unix)]
#[test]
fn a_save_keeps_the_mode_of_existing_files() {
    use std::os::unix::fs::PermissionsExt;
    let t = trees();
    recorded(&t);
    let state = t.campaign.join("ledger.json");
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o640)).unwrap();
    let doc = scan_doc(&t.v2, &[PATTERN]);
    reports::campaign::record_scan(&t.campaign, &doc, &t.v2, &[]).unwrap();
    let mode = std::fs::metadata(&state).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
}

fn report_to(t: &Trees, out: std::path::PathBuf) -> reports::campaign::ReportOptions {
    reports::campaign::ReportOptions {
        campaign: t.campaign.clone(),
        out: Some(out),
        ..Default::default()
    }
}

#[test]
fn report_out_inside_the_campaign_is_refused() {
    let t = trees();
    recorded(&t);
    let state = t.campaign.join("ledger.json");
    let before = std::fs::read(&state).unwrap();
    let top = t.campaign.parent().unwrap();
    std::os::unix::fs::symlink(&t.campaign, top.join("link-to-campaign")).unwrap();
    std::os::unix::fs::symlink(&state, top.join("link-to-ledger.json")).unwrap();
    for out in [
        state.clone(),
        t.campaign.join("history/0001-6.1.0.json"),
        t.campaign.join("status.md"),
        t.campaign.join("new-dir/../ledger.json"),
        top.join("linux-6.1/../campaign/ledger.json"),
        top.join("link-to-campaign/ledger.json"),
        top.join("link-to-ledger.json"),
    ] {
        let err = reports::campaign::report(&report_to(&t, out.clone()))
            .expect_err(&out.display().to_string());
        let msg = format!("{err:#}");
        assert!(msg.contains("inside the campaign directory"), "{msg}");
        assert_eq!(std::fs::read(&state).unwrap(), before, "{}", out.display());
    }
    assert!(!t.campaign.join("status.md").exists());
    assert!(std::fs::symlink_metadata(top.join("link-to-ledger.json"))
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn a_refused_report_records_no_import() {
    let t = trees();
    recorded(&t);
    let state = t.campaign.join("ledger.json");
    let before = std::fs::read(&state).unwrap();
    let verify = t.campaign.parent().unwrap().join("verify.json");
    std::fs::write(
        &verify,
        r#"{"schema": "unplug-verify-results/1", "results": [{"module": "gpio_delta", "kernel": "6.12", "ok": true}]}"#,
    )
    .unwrap();
    for out in [
        t.campaign.join("report.md"),
        t.campaign.parent().unwrap().join("no-such-dir/report.md"),
    ] {
        let mut args = report_to(&t, out);
        args.verify = vec![verify.clone()];
        assert!(reports::campaign::report(&args).is_err());
        assert_eq!(std::fs::read(&state).unwrap(), before);
    }
}

/// A state file that cannot be read at save time is that error, naming the
/// file, not a "changed since" that sends the user looking for another run.
#[test]
fn an_unreadable_state_file_is_named_at_save() {
    let t = trees();
    let doc = scan_doc(&t.v1, &[PATTERN]);
    reports::campaign::record_scan(&t.campaign, &doc, &t.v1, &[]).unwrap();
    let mut l = Ledger::open(&t.campaign).unwrap();
    // A directory in its place: reading it fails with EISDIR (as root, a
    // mode of 000 would not stop the read).
    let state = t.campaign.join(reports::LEDGER_FILE);
    std::fs::remove_file(&state).unwrap();
    std::fs::create_dir(&state).unwrap();
    let err = format!("{:#}", l.save().unwrap_err());
    assert!(err.contains(&state.display().to_string()), "{err}");
    assert!(err.contains("cannot read the state file"), "{err}");
    assert!(!err.contains("changed since"), "{err}");
    assert!(state.is_dir(), "the state was overwritten");
}
