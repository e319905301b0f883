//! `chanx-load`: parses the command line, runs one scenario under a hard deadline, prints the JSON summary last.

use std::process::ExitCode;
use std::time::Duration;

use chanx_load::cli::Cli;
use clap::Parser as _;
use serde_json::json;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let name = chanx_load::scenario_name(&cli.scenario);
    let writes = cli.common.writes.name();
    let mut builder = if cli.common.threads == 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(cli.common.threads as usize);
        b
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            println!(
                "{}",
                json!({"scenario": name, "writes": writes, "ok": false, "error": format!("runtime: {e}")})
            );
            return ExitCode::FAILURE;
        }
    };
    let deadline = Duration::from_secs(cli.common.deadline);
    let outcome = runtime.block_on(async { tokio::time::timeout(deadline, chanx_load::run(&cli)).await });
    let (summary, code) = match outcome {
        Ok(Ok(results)) => (
            json!({"scenario": name, "label": cli.common.label, "writes": writes, "ok": true, "results": results}),
            ExitCode::SUCCESS,
        ),
        Ok(Err(e)) => (
            json!({"scenario": name, "label": cli.common.label, "writes": writes, "ok": false, "error": format!("{e:#}")}),
            ExitCode::FAILURE,
        ),
        Err(_) => (
            json!({"scenario": name, "label": cli.common.label, "writes": writes, "ok": false,
                   "error": format!("deadline of {}s exceeded", cli.common.deadline)}),
            ExitCode::from(2),
        ),
    };
    runtime.shutdown_timeout(Duration::from_secs(1));
    println!("{summary}");
    code
}
