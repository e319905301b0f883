//! Runs an endpoint behind each transport: in memory, axum on a socket, actix-web on a socket.

use chanx::Endpoint;
use chanx::testing::{Communicator, ConnectError};

use super::chat::Chat;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Memory,
    Axum,
    #[cfg(feature = "actix")]
    Actix,
}

/// An endpoint served over one transport.
pub struct Served {
    pub via: Via,
    pub endpoint: Endpoint<Chat>,
    base: Option<String>,
}

impl Served {
    pub async fn start(via: Via, endpoint: Endpoint<Chat>) -> Self {
        let base = match via {
            Via::Memory => None,
            Via::Axum => Some(start_axum(endpoint.clone()).await),
            #[cfg(feature = "actix")]
            Via::Actix => Some(start_actix(endpoint.clone())),
        };
        Self { via, endpoint, base }
    }

    pub async fn try_connect(&self, path: &str) -> Result<Communicator<Chat>, ConnectError> {
        self.try_connect_with(path, &[]).await
    }

    pub async fn try_connect_with(
        &self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Result<Communicator<Chat>, ConnectError> {
        match &self.base {
            None => {
                let mut map = http::HeaderMap::new();
                for (k, v) in headers {
                    map.insert(
                        http::HeaderName::from_bytes(k.as_bytes()).expect("header name"),
                        http::HeaderValue::from_str(v).expect("header value"),
                    );
                }
                Communicator::connect_with(&self.endpoint, path, map).await
            }
            Some(base) => Communicator::connect_url_with(&format!("{base}{path}"), headers).await,
        }
    }

    pub async fn connect(&self, path: &str) -> Communicator<Chat> {
        self.try_connect(path).await.expect("connects")
    }
}

async fn start_axum(endpoint: Endpoint<Chat>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let app: axum::Router = axum::Router::new().merge(chanx::axum::router(endpoint));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("ws://{addr}")
}

#[cfg(feature = "actix")]
fn start_actix(endpoint: Endpoint<Chat>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = actix_web::HttpServer::new(move || {
                actix_web::App::new().configure(chanx::actix::configure(endpoint.clone()))
            })
            .workers(1)
            .disable_signals()
            .listen(listener)
            .expect("listen");
            let _ = server.run().await;
        });
    });
    format!("ws://{addr}")
}

/// Defines one `#[tokio::test]` per transport for an `async fn(Via)`.
#[macro_export]
macro_rules! on_every_transport {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn memory() {
                super::$name($crate::support::harness::Via::Memory).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn axum() {
                super::$name($crate::support::harness::Via::Axum).await
            }
            #[cfg(feature = "actix")]
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn actix() {
                super::$name($crate::support::harness::Via::Actix).await
            }
        }
    )*};
}
