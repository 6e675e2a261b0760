//! Drives the ledger without the unplug binary (for measurements):
//!
//! ```text
//! campaign record DIR SCAN_JSON TREE [SUBDIR]...   # record an unplug-scan/1 document
//! campaign scan DIR TREE PATTERN [SUBDIR]...        # run the engine and record
//! campaign import DIR series|verify FILE        # series.json, verify --json output
//! campaign report DIR md|html|json [OUT]
//! campaign check DIR TREE|PATCH [TREE]
//! ```

use anyhow::{bail, Result};
use reports::campaign::{check, record_scan, report, CheckOptions, ReportOptions};
use std::path::PathBuf;

fn main() -> Result<()> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let code = match a.first().map(String::as_str) {
        Some("record") if a.len() >= 4 => {
            let doc: model::scan::ScanDoc = serde_json::from_slice(&std::fs::read(&a[2])?)?;
            let s = record_scan(a[1].as_ref(), &doc, a[3].as_ref(), &a[4..])?;
            println!("{s}");
            0
        }
        Some("scan") if a.len() >= 4 => {
            let t = std::time::Instant::now();
            let out = reports::scan::run_patterns(a[2].as_ref(), &[a[3].clone()], &a[4..], None)?;
            let doc = reports::scan::scan_document(a[2].as_ref(), &out, Some(&a[4..]));
            let s = record_scan(a[1].as_ref(), &doc, a[2].as_ref(), &a[4..])?;
            println!("{s} ({:.1} s)", t.elapsed().as_secs_f64());
            0
        }
        Some("import") if a.len() == 4 => {
            let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&a[3])?)?;
            let n = match a[2].as_str() {
                "series" => {
                    reports::campaign::record_series(a[1].as_ref(), &serde_json::from_value(v)?)?
                }
                "verify" => reports::campaign::record_verify(
                    a[1].as_ref(),
                    &reports::ledger::record_import::verify_import(&v)?,
                )?,
                _ => bail!("import DIR series|verify FILE"),
            };
            println!("{n} site(s)");
            0
        }
        Some("report") if a.len() >= 3 => {
            let run = report(&ReportOptions {
                campaign: a[1].clone().into(),
                format: a[2].parse()?,
                out: a.get(3).map(PathBuf::from),
                ..Default::default()
            })?;
            print!("{}", run.text.unwrap_or_default());
            0
        }
        Some("check") if a.len() >= 3 => {
            let res = check(&CheckOptions {
                target: a[2].clone().into(),
                campaign: a[1].clone().into(),
                tree: a.get(3).map(PathBuf::from),
                paths: vec![],
                extra_patterns: None,
            })?;
            res.print(&mut std::io::stdout())?;
            u8::from(!res.new_users.is_empty())
        }
        _ => bail!("usage: campaign record|scan|report|check … (see the source)"),
    };
    std::process::exit(code as i32)
}
