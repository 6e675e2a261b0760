//! The clap structs parse the documented command lines (and pass clap's
//! debug assertions) inside a CLI like unplug's.

use clap::{CommandFactory, Parser, Subcommand};
use reports::cli::{CheckArgs, ReportArgs};
use reports::Format;

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
    assert_eq!(r.format, Format::Html);
    assert_eq!(r.campaign.to_str(), Some("c"));
    assert_eq!(r.subsystems, vec!["GPIO"]);
    assert_eq!(r.series.len(), 1);
    assert_eq!(r.max_rows, 300);

    let c = Cli::parse_from(["unplug", "report"]);
    let Cmd::Report(r) = c.command else { panic!() };
    assert_eq!(r.format, Format::Md);
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
    assert!(a.extra_patterns.is_none());

    let c = Cli::parse_from(["unplug", "check", "linux", "--path", "drivers/gpio"]);
    let Cmd::Check(a) = c.command else { panic!() };
    assert_eq!(a.paths, vec!["drivers/gpio"]);
    assert!(Cli::try_parse_from(["unplug", "report", "--format", "pdf"]).is_err());
}
