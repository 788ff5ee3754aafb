//! The `heatdesk` command: the console, and the sub-commands around it.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    match cli::run(cli::Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("heatdesk: {e:#}");
            ExitCode::FAILURE
        }
    }
}
