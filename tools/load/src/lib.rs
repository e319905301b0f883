//! Loopback-only WebSocket load client for servers speaking the chat protocol.
//!
//! Scenarios (`rtt`, `pipeline`, `fanout`, `idle`, `stall`) open connections to
//! `ws://ADDR/ws/chat/{room}` on 127.0.0.0/8 or ::1 only, with bounded counts and a hard deadline,
//! and summarise what they measured as one JSON object (the last line the binary prints).

pub mod cli;
pub mod conn;
pub mod flood;
pub mod hist;
pub mod idle;
pub mod requests;
pub mod sys;

use serde_json::Value;

use crate::cli::{Cli, Scenario};
use crate::conn::Target;

/// Runs the chosen scenario and returns its measurements.
pub async fn run(cli: &Cli) -> anyhow::Result<Value> {
    let target = Target { addr: cli.common.addr, path: cli.common.path.clone() };
    match &cli.scenario {
        Scenario::Rtt(r) => requests::run(&target, &cli.common, r, 1).await,
        Scenario::Pipeline(p) => requests::run(&target, &cli.common, &p.requests, p.window).await,
        Scenario::Fanout(f) => flood::run(&target, &cli.common, f, None).await,
        Scenario::Idle(i) => idle::run(&target, &cli.common, i).await,
        Scenario::Stall(s) => flood::run(&target, &cli.common, &s.flood, Some(s)).await,
    }
}

/// The scenario's name as it appears in the summary.
pub fn scenario_name(scenario: &Scenario) -> &'static str {
    match scenario {
        Scenario::Rtt(_) => "rtt",
        Scenario::Pipeline(_) => "pipeline",
        Scenario::Fanout(_) => "fanout",
        Scenario::Idle(_) => "idle",
        Scenario::Stall(_) => "stall",
    }
}
