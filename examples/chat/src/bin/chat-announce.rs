//! `chat-announce`: sends a `chat_notification` from `"server"` into a room of every
//! `chat-server` that shares the given Redis, without running a server itself.
//! Exit status: 0 published, 1 Redis unreachable or the publish failed, 2 bad arguments.

use anyhow::{Context as _, bail};
use chanx::{Hub, RedisConfig, RedisLayer};
use chat_example::api::chat::{ChatNotification, ChatNotificationPayload, ServerMessage};
use clap::Parser;

/// Announce a line in a chat room, through Redis.
#[derive(Debug, Parser)]
#[command(name = "chat-announce", version)]
struct Args {
    /// The Redis the chat servers use (`chat-server --redis URL`).
    #[arg(long, value_name = "URL")]
    redis: String,
    /// The room to announce in.
    #[arg(long)]
    room: String,
    /// The line to announce.
    #[arg(long)]
    text: String,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let args = Args::parse();
    let layer = RedisLayer::connect(RedisConfig::new(args.redis.as_str()))
        .await
        .with_context(|| format!("connecting to {}", args.redis))?;
    // A hub without a WebSocket server: every member of the room lives in another process.
    let hub = Hub::new(layer.clone());
    let note = ServerMessage::ChatNotification(ChatNotification {
        payload: ChatNotificationPayload {
            room: args.room.clone(),
            text: args.text,
            sender: "server".to_owned(),
            seq: None,
            sent_at: None,
        },
    });
    let report = hub.broadcast(&args.room, &note).await.context("announcing")?;
    if layer.stats().publish_failed > 0 {
        bail!("publishing to redis failed");
    }
    println!("announced in {} to {} server process(es)", args.room, report.forwarded);
    Ok(())
}
