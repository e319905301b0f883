//! `notifications-server`: the Chanx peer's notifications sample on the chanx runtime.
//! Usage: `notifications-server [PORT]` (default 8000; listens on 127.0.0.1).

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = match std::env::args().nth(1) {
        Some(p) => p.parse().map_err(|_| std::io::Error::other(format!("not a port: {p}")))?,
        None => 8000,
    };
    let hub = chanx::Hub::memory();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    eprintln!("listening on ws://{}", listener.local_addr()?);
    axum::serve(listener, notifications_example::app(&hub)).await
}
