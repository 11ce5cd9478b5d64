//! `cargo run -p referee-load --release --example echo_ceiling -- --echo --clients 200 --duration 3`
//!
//! The `referee load` subcommand in miniature: flatten [`LoadArgs`] into a command line,
//! call [`run`], print the table and then the one-line JSON summary. With `--echo` it needs
//! no server: it measures this machine's line-echo ceiling (with `--transport ws`, the
//! WebSocket JSON echo ceiling).

use std::process::ExitCode;

use clap::Parser;
use referee_load::{LoadArgs, run};

/// Load a Referee server (or, with `--echo`, the in-process echo ceiling).
#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    load: LoadArgs,
}

#[tokio::main]
async fn main() -> ExitCode {
    let Cli { load } = Cli::parse();
    let json_only = load.json;
    match run(load).await {
        Ok(report) => {
            if !json_only {
                println!("{report}");
            }
            println!("{}", report.to_json());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
