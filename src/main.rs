//! `unplug`: migrate Linux drivers to disconnect-now driver-core
//! interfaces, per subsystem, and verify each conversion.
//!
//! The binary owns the command line (`flags`), what is printed, and the
//! exit codes; it wires the crates of the pipeline (README.md, Layout).
//! It may not hold logic a crate can own.

mod campaign_verify;
mod commands;
mod driver_verify;
mod exit;
mod flags;
mod output;
mod parse_stats;
mod series_cmd;
mod stdout;

use clap::Parser;
use flags::{Cli, Command, DebugAction, PatternsAction, VerifyCmd};
use std::process::ExitCode;

// A run allocates and frees a token list, a masked copy and a tree per
// candidate file on every core; glibc's allocator spent a tenth of the
// default scan in malloc, free and the page faults of its large blocks.
// Built without transparent huge pages (`no_thp`): on a host whose memory
// is fragmented, faulting them in doubled the scan's system time.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    reports::set_lock_wait_notice(output::lock_wait_notice);
    let result = match cli.command {
        Command::Scan {
            sel,
            json,
            campaign,
        } => commands::scan(cli.patterns.as_deref(), &sel, json, campaign.as_deref()),
        Command::Report(args) => flags::report::run_report(&args),
        Command::Check(args) => flags::report::run_check(&args, cli.patterns.clone()),
        Command::Rewrite { sel, in_place } => {
            commands::rewrite(cli.patterns.as_deref(), &sel, in_place)
        }
        Command::Series(args) => series_cmd::run(cli.patterns.as_deref(), &args),
        Command::Patterns { action } => match action {
            PatternsAction::List => commands::patterns_list(cli.patterns.as_deref()),
            PatternsAction::Show { id } => commands::patterns_show(cli.patterns.as_deref(), &id),
            PatternsAction::Test { dir } => commands::patterns_test(cli.patterns.as_deref(), dir),
        },
        Command::Verify(v)
            if v.driver.is_some()
                || v.args.suite.as_deref() == Some("drivers")
                || (v.campaign.is_some() && v.tree.is_some()) =>
        {
            driver_verify::run_drivers(&driver_verify::DriverArgs {
                tree: v.tree.as_deref(),
                driver: v.driver.as_deref(),
                patterns: &v.pattern_ids,
                kcidb: v.kcidb.as_deref(),
                campaign: v.campaign.as_deref(),
                extra_patterns: cli.patterns.as_deref(),
                args: &v.args,
            })
        }
        Command::Verify(v)
            if v.tree.is_some() || v.kcidb.is_some() || !v.pattern_ids.is_empty() =>
        {
            Err(anyhow::anyhow!(
                "--tree, --pattern and --kcidb go with --driver PATH or --suite drivers"
            ))
        }
        Command::Verify(VerifyCmd {
            campaign: Some(dir),
            args,
            ..
        }) => campaign_verify::run_campaign(cli.patterns.as_deref(), &dir, &args),
        Command::Verify(VerifyCmd {
            campaign: None,
            args,
            ..
        }) => flags::verify::run(&args),
        Command::Debug { action } => match action {
            DebugAction::ParseStats { tree, paths, json } => parse_stats::run(&tree, &paths, json),
            DebugAction::Mask { file } => parse_stats::print_masked(&file),
        },
    };
    match result {
        Ok(code) => ExitCode::from(code),
        // `| head` took what it wanted: that is no error of the run.
        Err(e) if broken_pipe(&e) && output::stdout_closed() => ExitCode::from(exit::OK),
        Err(e) => {
            eprintln!("unplug: error: {e:#}");
            ExitCode::from(exit::USAGE)
        }
    }
}

fn broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
