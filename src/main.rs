//! The `textwgan` command line: parses arguments and calls the library.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Wasserstein GANs with gradient penalty on text.
#[derive(Parser)]
#[command(name = "textwgan", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the version and build features.
    Version,
    /// Turn corpus files into a dataset directory (vocabulary, id rows, holdout split).
    Prepare(textwgan::data::prepare::PrepareArgs),
    /// Train (or resume) a WGAN-GP on a prepared dataset.
    Train(textwgan::train::cli::TrainArgs),
    /// Write sentences sampled from a trained generator.
    Sample(textwgan::sample::SampleArgs),
    /// N-gram statistics (JS divergence, precision, …) of samples against a corpus.
    Eval(textwgan::eval::EvalArgs),
    /// Sample lines from an order-K character Markov chain fitted on a dataset.
    Baseline(textwgan::baseline::BaselineArgs),
    /// Draw a run's learning curves as PNG or SVG.
    Plot(textwgan::report::PlotArgs),
    /// Write RUN/report.html: config, curves, latest eval, samples and checkpoints on one page.
    Report(textwgan::report::ReportArgs),
}

/// Exit status after Ctrl-C (128 + SIGINT), once the checkpoint is written.
const INTERRUPTED: u8 = 130;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result: anyhow::Result<()> = match cli.command {
        Command::Version => {
            println!("textwgan {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        Command::Prepare(args) => textwgan::data::prepare::run(&args),
        Command::Train(args) => match textwgan::train::cli::run(&args) {
            Ok(textwgan::train::Outcome::Interrupted { .. }) => return ExitCode::from(INTERRUPTED),
            other => other.map(|_| ()),
        },
        Command::Sample(args) => textwgan::sample::run(&args),
        Command::Eval(args) => textwgan::eval::run(&args),
        Command::Baseline(args) => textwgan::baseline::run(&args),
        Command::Plot(args) => textwgan::report::run_plot(&args),
        Command::Report(args) => textwgan::report::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
