//! Stand-alone `unplug verify` until the CLI wires it: same flags.
use clap::Parser;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: verifier::VerifyArgs,
}

fn main() {
    let cli = Cli::parse();
    match verifier::run(&cli.args) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("unplug verify: error: {e:#}");
            std::process::exit(2);
        }
    }
}
