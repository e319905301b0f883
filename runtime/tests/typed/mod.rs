//! Shared by the topic and event tests: small hand-written message enums (tagged by `action`,
//! decoded with serde) and an endpoint served in memory or behind axum on a loopback socket.

use std::time::Duration;

use chanx::testing::Communicator;
use chanx::{Channel, Endpoint};

/// A message enum tagged by `action`, decoded with serde (unknown tags get Chanx's
/// `union_tag_invalid`).
macro_rules! tagged {
    ($name:ident { $($variant:ident = $tag:literal $(($payload:ty))?),* $(,)? }) => {
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "action", content = "payload", rename_all = "snake_case")]
        enum $name { $($variant $(($payload))?),* }

        impl Message for $name {
            fn decode(frame: &str) -> Result<Self, DecodeError> {
                let tag = chanx::codec::peek_tag(frame, "action")?;
                if ![$($tag),*].contains(&&*tag) {
                    return Err(chanx::codec::unknown_tag(frame, "action", &tag, &[$($tag),*]));
                }
                serde_json::from_str(frame).map_err(|e| DecodeError::single("missing", Vec::new(), e.to_string()))
            }
            fn encode(&self) -> Cow<'static, str> {
                let mut v = serde_json::to_value(self).expect("serializes");
                if v.get("payload").is_none() {
                    v["payload"] = Value::Null;
                }
                v.to_string().into()
            }
            fn tag(&self) -> &'static str {
                match self { $(Self::$variant { .. } => $tag),* }
            }
        }
    };
}

#[derive(Clone, Copy, Debug)]
pub enum Via {
    Memory,
    Axum,
}

/// An endpoint served in memory or behind axum on a loopback socket.
pub struct Served<C: Channel> {
    pub endpoint: Endpoint<C>,
    base: Option<String>,
}

impl<C: Channel> Served<C> {
    pub async fn start(via: Via, endpoint: Endpoint<C>) -> Self {
        let base = match via {
            Via::Memory => None,
            Via::Axum => {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind loopback");
                let addr = listener.local_addr().expect("local addr");
                let app: axum::Router = chanx::axum::router(endpoint.clone());
                tokio::spawn(async move {
                    let _ = axum::serve(listener, app).await;
                });
                Some(format!("ws://{addr}"))
            }
        };
        Self { endpoint, base }
    }

    pub async fn connect(&self, path: &str) -> Communicator<C> {
        let client = match &self.base {
            None => Communicator::connect(&self.endpoint, path).await,
            Some(base) => Communicator::connect_url(&format!("{base}{path}")).await,
        };
        client.expect("connects").with_timeout(Duration::from_secs(3))
    }
}

/// Defines one `#[tokio::test]` per transport for an `async fn(Via)`.
macro_rules! on_both_transports {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn memory() {
                super::$name($crate::typed::Via::Memory).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn axum() {
                super::$name($crate::typed::Via::Axum).await
            }
        }
    )*};
}

/// Two hubs over Redis standing for two processes (a prefix of their own per test), or `None`
/// without `REDIS_URL`: skipped with a message outside CI, a failure in CI.
#[cfg(feature = "redis")]
pub async fn redis_hubs() -> Option<(chanx::Hub, chanx::Hub)> {
    use chanx::{RedisConfig, RedisLayer};
    let url = match std::env::var("REDIS_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            assert!(std::env::var_os("CI").is_none_or(|v| v.is_empty()), "Redis is required in CI");
            eprintln!("skipping a Redis test: REDIS_URL is not set (scripts/test.sh starts a Redis)");
            return None;
        }
    };
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    let prefix = format!("push-{}-{nanos}:", std::process::id());
    let layer = || RedisLayer::connect(RedisConfig::new(url.clone()).prefix(prefix.clone()));
    let (a, b) = (layer().await.expect("connect to REDIS_URL"), layer().await.expect("connect to REDIS_URL"));
    Some((chanx::Hub::new(a), chanx::Hub::new(b)))
}
