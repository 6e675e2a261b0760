//! The HTML report in headless Chromium: no console message at all, a
//! screenshot, and the sort/filter script working (driven through the
//! URL hash, then read back with --dump-dom).

mod common;

use common::*;
use reports::{render, Format, Ledger};
use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> Option<PathBuf> {
    for c in ["chromium", "chromium-browser", "google-chrome"] {
        if let Ok(o) = Command::new("sh")
            .arg("-c")
            .arg(format!("command -v {c}"))
            .output()
        {
            let p = String::from_utf8_lossy(&o.stdout).trim().to_string();
            if o.status.success() && !p.is_empty() {
                return Some(PathBuf::from(p));
            }
        }
    }
    None
}

/// Runs chromium on `url` with `extra` args; returns (stdout, stderr).
fn run(bin: &Path, url: &str, extra: &[&str]) -> (String, String) {
    let profile = tempfile::tempdir().unwrap();
    let o = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1280,1600",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(url)
        .output()
        .expect("chromium runs");
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn console_messages(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught"))
        .collect()
}

#[test]
fn html_report_in_headless_chromium() {
    let Some(bin) = chromium() else {
        eprintln!(
            "note: chromium is not installed (apt-get install -y chromium): HTML check skipped"
        );
        return;
    };
    let t = trees();
    recorded(&t);
    let l = Ledger::open(&t.campaign).unwrap();
    let html = render(&l, Format::Html).unwrap();
    let file = t.campaign.join("report.html");
    std::fs::write(&file, &html).unwrap();
    let url = format!("file://{}", file.display());

    // Screenshot (kept in the target dir for a human to look at) and no console output.
    let shot_dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let shot = shot_dir.join("reports-html.png");
    let _ = std::fs::remove_file(&shot);
    let (_, err) = run(&bin, &url, &[&format!("--screenshot={}", shot.display())]);
    assert!(
        console_messages(&err).is_empty(),
        "console: {:?}",
        console_messages(&err)
    );
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    eprintln!("screenshot: {}", shot.display());

    // Filter by state through the hash: only the new user is shown.
    let (dom, err) = run(&bin, &format!("{url}#state=new-user"), &["--dump-dom"]);
    assert!(
        console_messages(&err).is_empty(),
        "{:?}",
        console_messages(&err)
    );
    assert!(
        dom.contains("<span id=\"shown\">1</span>"),
        "filter did not run"
    );
    // Text filter.
    let (dom, _) = run(&bin, &format!("{url}#q=watchdog"), &["--dump-dom"]);
    assert!(
        dom.contains("<span id=\"shown\">1</span>"),
        "text filter did not run"
    );
    // Sort the driver table by file, descending: watchdog first.
    let (dom, err) = run(&bin, &format!("{url}#sort=0&dir=desc"), &["--dump-dom"]);
    assert!(
        console_messages(&err).is_empty(),
        "{:?}",
        console_messages(&err)
    );
    let body = &dom[dom.find("id=\"sites\"").unwrap()..];
    let first = &body[body.find("<tbody>").unwrap()..];
    let first_row = &first[..first.find("</tr>").unwrap()];
    assert!(
        first_row.contains("drivers/watchdog/gamma_wdt.c"),
        "{first_row}"
    );
    assert!(body.contains("data-dir=\"desc\""));
}
