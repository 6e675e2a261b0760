//! `unplug debug parse-stats`: how many files tree-sitter-c reads with
//! errors, without and with the masking pass. The figures in README.md
//! come from here.

use anyhow::Result;
use rayon::prelude::*;
use rewriter::parse::{parse, parse_raw, ErrorMap};
use std::io::Write;
use std::path::Path;

pub fn run(tree: &Path, paths: &[String], json: bool) -> Result<u8> {
    let (files, findings) = rewriter::tree::list_sources(tree, paths)?;
    let c_files: Vec<&String> = files.iter().filter(|f| f.ends_with(".c")).collect();
    let started = std::time::Instant::now();
    let per_file: Vec<(bool, bool, usize, usize)> = c_files
        .par_iter()
        .filter_map(|rel| {
            let bytes = rewriter::tree::read_source(tree, rel).ok()?.bytes;
            let raw = ErrorMap::of(&parse_raw(&bytes));
            let masked = ErrorMap::of(&parse(&bytes).tree);
            Some((
                raw.count() > 0,
                masked.count() > 0,
                raw.count(),
                masked.count(),
            ))
        })
        .collect();
    let n = per_file.len();
    let raw_files = per_file.iter().filter(|x| x.0).count();
    let masked_files = per_file.iter().filter(|x| x.1).count();
    let raw_nodes: usize = per_file.iter().map(|x| x.2).sum();
    let masked_nodes: usize = per_file.iter().map(|x| x.3).sum();
    let pct = |a: usize| {
        if n == 0 {
            0.0
        } else {
            100.0 * a as f64 / n as f64
        }
    };
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(
            &mut out,
            &serde_json::json!({
                "files": n, "files_with_errors_raw": raw_files, "files_with_errors_masked": masked_files,
                "error_nodes_raw": raw_nodes, "error_nodes_masked": masked_nodes,
                "seconds": started.elapsed().as_secs_f64(), "unreadable": findings.len(),
            }),
        )?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "{n} .c files ({:.1} s, parsed twice)",
            started.elapsed().as_secs_f64()
        )?;
        writeln!(out, "files with ERROR/MISSING nodes: raw {raw_files} ({:.1}%), masked {masked_files} ({:.1}%)", pct(raw_files), pct(masked_files))?;
        writeln!(
            out,
            "ERROR/MISSING nodes: raw {raw_nodes}, masked {masked_nodes}"
        )?;
    }
    Ok(0)
}

/// Writes the masked text of `file` to stdout, then each parse error left.
pub fn print_masked(file: &Path) -> Result<u8> {
    let bytes = rewriter::tree::read_regular(file, false, rewriter::tree::MAX_READ_BYTES)
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let parsed = parse(&bytes);
    std::io::stdout().write_all(parsed.text())?;
    for e in ErrorMap::of(&parsed.tree).errors {
        eprintln!(
            "{}:{}: {}",
            file.display(),
            e.line,
            if e.missing {
                "MISSING"
            } else if e.multi_token {
                "ERROR (several tokens)"
            } else {
                "ERROR (one token)"
            }
        );
    }
    Ok(0)
}
