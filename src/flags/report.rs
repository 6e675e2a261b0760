//! `unplug report` and `unplug check`: their flags, what they print and
//! their exit codes. The work is `reports::campaign`'s.

use crate::exit;
use anyhow::Result;
use clap::{Args, ValueEnum};
use reports::campaign::{self, CheckOptions, ReportOptions, DEFAULT_CAMPAIGN};
use std::io::Write;
use std::path::PathBuf;

/// A report's format on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Md,
    Html,
    Json,
}

impl From<FormatArg> for reports::Format {
    fn from(f: FormatArg) -> reports::Format {
        match f {
            FormatArg::Md => reports::Format::Md,
            FormatArg::Html => reports::Format::Html,
            FormatArg::Json => reports::Format::Json,
        }
    }
}

/// Arguments of `unplug report`.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Campaign directory (holds ledger.json and history/).
    #[arg(long, value_name = "DIR", default_value = DEFAULT_CAMPAIGN)]
    pub campaign: PathBuf,
    /// md (status mail, cover letter), html (one self-contained file) or json (unplug-report/1).
    #[arg(long, value_enum, default_value = "md")]
    pub format: FormatArg,
    /// Write the report here instead of stdout (atomically; not inside the campaign directory).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Only these subsystems (MAINTAINERS section name substring, or a path prefix); repeatable.
    #[arg(long = "subsystem", value_name = "NAME|PATH")]
    pub subsystems: Vec<String>,
    /// Markdown: at most this many driver rows (default 300).
    #[arg(long, value_name = "N", default_value_t = 300)]
    pub max_rows: usize,
    /// First record a series report (series.json of `unplug series`, or its --json output).
    #[arg(long = "series", value_name = "SERIES_JSON")]
    pub series: Vec<PathBuf>,
    /// First record verification results (`unplug verify --json` output or unplug-verify-results/1).
    #[arg(long = "verify", value_name = "VERIFY_JSON")]
    pub verify: Vec<PathBuf>,
}

/// Arguments of `unplug check`.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// A kernel tree, or a patch file (unified diff or git format-patch mail) to apply to --tree.
    #[arg(value_name = "TREE|PATCH")]
    pub target: PathBuf,
    /// Campaign directory.
    #[arg(long, value_name = "DIR", default_value = DEFAULT_CAMPAIGN)]
    pub campaign: PathBuf,
    /// The tree a patch applies to (default: the latest scanned tree of the campaign).
    #[arg(long, value_name = "TREE")]
    pub tree: Option<PathBuf>,
    /// Restrict a tree check to these subdirectories (default: the latest scan's scope).
    #[arg(long = "path", value_name = "SUBDIR")]
    pub paths: Vec<String>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `unplug report`: the report on stdout (or in --out), what was imported on stderr.
pub fn run_report(args: &ReportArgs) -> Result<u8> {
    let run = campaign::report(&ReportOptions {
        campaign: args.campaign.clone(),
        format: args.format.into(),
        out: args.out.clone(),
        subsystems: args.subsystems.clone(),
        max_rows: args.max_rows,
        series: args.series.clone(),
        verify: args.verify.clone(),
    })?;
    for l in &run.imported {
        eprintln!("unplug: {l}");
    }
    if let Some(text) = run.text {
        std::io::stdout().lock().write_all(text.as_bytes())?;
    }
    Ok(exit::OK)
}

/// `unplug check`: exit 1 when there are new users of a retired interface.
pub fn run_check(args: &CheckArgs, extra_patterns: Option<PathBuf>) -> Result<u8> {
    let res = campaign::check(&CheckOptions {
        target: args.target.clone(),
        campaign: args.campaign.clone(),
        tree: args.tree.clone(),
        paths: args.paths.clone(),
        extra_patterns,
    })?;
    // a closed stdout must not hide the gate's verdict
    let mut out = crate::output::stdout();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &res)?;
        writeln!(out)?;
    } else {
        res.print(&mut out)?;
    }
    Ok(if res.new_users.is_empty() {
        exit::OK
    } else {
        exit::FINDINGS
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser, Subcommand};

    #[derive(Parser)]
    struct Cli {
        #[arg(long, global = true)]
        patterns: Option<std::path::PathBuf>,
        #[command(subcommand)]
        command: Cmd,
    }

    #[derive(Subcommand)]
    enum Cmd {
        Report(ReportArgs),
        Check(CheckArgs),
    }

    /// The flags parse the documented command lines (and pass clap's debug
    /// assertions) inside a CLI like unplug's.
    #[test]
    fn command_lines() {
        Cli::command().debug_assert();
        let c = Cli::parse_from([
            "unplug",
            "report",
            "--campaign",
            "c",
            "--format",
            "html",
            "--out",
            "r.html",
            "--subsystem",
            "GPIO",
            "--series",
            "s/series.json",
            "--verify",
            "v.json",
        ]);
        let Cmd::Report(r) = c.command else { panic!() };
        assert_eq!(r.format, FormatArg::Html);
        assert_eq!(r.campaign.to_str(), Some("c"));
        assert_eq!(r.subsystems, vec!["GPIO"]);
        assert_eq!(r.series.len(), 1);
        assert_eq!(r.max_rows, 300);

        let c = Cli::parse_from(["unplug", "report"]);
        let Cmd::Report(r) = c.command else { panic!() };
        assert_eq!(r.format, FormatArg::Md);
        assert_eq!(r.campaign.to_str(), Some("unplug-campaign"));

        let c = Cli::parse_from([
            "unplug",
            "check",
            "0001-x.patch",
            "--campaign",
            "c",
            "--tree",
            "linux",
            "--json",
        ]);
        let Cmd::Check(a) = c.command else { panic!() };
        assert_eq!(a.target.to_str(), Some("0001-x.patch"));
        assert_eq!(a.tree.as_deref().and_then(|p| p.to_str()), Some("linux"));
        assert!(a.json);

        let c = Cli::parse_from(["unplug", "check", "linux", "--path", "drivers/gpio"]);
        let Cmd::Check(a) = c.command else { panic!() };
        assert_eq!(a.paths, vec!["drivers/gpio"]);
        assert!(Cli::try_parse_from(["unplug", "report", "--format", "pdf"]).is_err());
    }
}
