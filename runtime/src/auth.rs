//! What is known of a connection before the upgrade ([`Handshake`]), the authenticator hook that
//! judges it, and the origin allowlist. Runs before any WebSocket frame; must not touch sockets.

use std::any::Any;
use std::future::Future;
use std::sync::Arc;

use crate::channel::{BoxFuture, PathValues};
use crate::context::AuthData;

/// The upgrade request, as the authenticator and the router see it.
#[derive(Debug, Clone, Default)]
pub struct Handshake {
    /// The request path (`/ws/chat/lobby`).
    pub path: String,
    /// The raw query string, without `?`.
    pub query: Option<String>,
    /// The request headers.
    pub headers: http::HeaderMap,
    /// The values captured by the channel address's `{param}` placeholders.
    pub path_values: PathValues,
}

impl Handshake {
    /// A header's value, if present and valid text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The first value of a query parameter, percent-decoded (`+` is a space).
    pub fn query_param(&self, name: &str) -> Option<String> {
        let query = self.query.as_deref()?;
        query.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k) == name).then(|| percent_decode(v))
        })
    }

    /// The value of a cookie, if the request carries it.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.headers.get_all(http::header::COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|header| {
            header.split(';').find_map(|c| {
                let (k, v) = c.trim().split_once('=')?;
                (k == name).then_some(v)
            })
        })
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'+' {
            out.push(b' ');
        } else if b == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                Some(decoded) => {
                    out.push(decoded);
                    i += 2;
                }
                None => out.push(b'%'),
            }
        } else {
            out.push(b);
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Why a connection was refused. With [`AuthFailure::CloseCode`](crate::AuthFailure) the client
/// sees close code 4000 + `status` (4401 for a status outside 400..=599); with
/// [`AuthFailure::HttpStatus`](crate::AuthFailure) the upgrade is answered with `status`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("connection refused ({status}): {detail}")]
pub struct AuthRejection {
    /// HTTP status: 401 (who are you?) or 403 (not allowed).
    pub status: u16,
    /// Text for the client (close reason or response body).
    pub detail: String,
}

impl AuthRejection {
    /// 401: the request carries no valid credentials.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self { status: 401, detail: detail.into() }
    }

    /// 403: the credentials are valid but not allowed here.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self { status: 403, detail: detail.into() }
    }

    /// The close code Chanx uses for this rejection: 4000 + status, or 4401.
    pub fn close_code(&self) -> u16 {
        if (400..600).contains(&self.status) { 4000 + self.status } else { 4401 }
    }
}

/// Decides whether a connection may open; runs before the upgrade, with the request.
///
/// The result is stored in the connection's context ([`Context::auth`](crate::Context::auth)).
/// Closures `Fn(&Handshake) -> impl Future<Output = Result<T, AuthRejection>>` implement it
/// (the future must not borrow the handshake: copy what it needs first).
pub trait Authenticator: Send + Sync + 'static {
    /// Accepts (with the data handlers will see) or refuses the connection.
    fn authenticate<'a>(&'a self, req: &'a Handshake) -> BoxFuture<'a, Result<AuthData, AuthRejection>>;
}

impl<F, Fut, T> Authenticator for F
where
    F: Fn(&Handshake) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, AuthRejection>> + Send + 'static,
    T: Any + Send + Sync,
{
    fn authenticate<'a>(&'a self, req: &'a Handshake) -> BoxFuture<'a, Result<AuthData, AuthRejection>> {
        let fut = self(req);
        Box::pin(async move { fut.await.map(|t| Arc::new(t) as AuthData) })
    }
}

/// Checks the `Origin` header against an allowlist of origins (`https://app.example`).
///
/// An empty list allows every origin. A request without `Origin` (not from a browser) is allowed:
/// the check exists against cross-site WebSocket hijacking, which only browsers can be tricked
/// into. Both sides are compared as [`normalize_origin`] writes them, so `https://app.example:443`
/// is `https://app.example`.
pub(crate) fn origin_allowed(allowed: &[String], headers: &http::HeaderMap) -> bool {
    if allowed.is_empty() {
        return true;
    }
    let Some(origin) = headers.get(http::header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let origin = normalize_origin(origin);
    allowed.iter().any(|a| normalize_origin(a) == origin)
}

/// An origin as compared by the allowlist: scheme and host in lower case, the port left out
/// when it is the scheme's default (80 for `http`/`ws`, 443 for `https`/`wss`), no trailing `/`.
/// Text that is not `scheme://host[:port]` (such as a browser's `null`) is only trimmed and
/// lower-cased, so it matches itself and nothing else.
pub(crate) fn normalize_origin(origin: &str) -> String {
    let trimmed = origin.trim().trim_end_matches('/');
    let parsed = http::Uri::try_from(trimmed).ok().and_then(|uri| {
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        let authority = uri.authority()?;
        if authority.as_str().contains('@') || uri.path_and_query().is_some_and(|p| p.as_str() != "/") {
            return None;
        }
        let host = authority.host().to_ascii_lowercase();
        let default = match scheme.as_str() {
            "http" | "ws" => Some(80),
            "https" | "wss" => Some(443),
            _ => None,
        };
        Some(match authority.port_u16() {
            Some(port) if Some(port) != default => format!("{scheme}://{host}:{port}"),
            _ => format!("{scheme}://{host}"),
        })
    });
    parsed.unwrap_or_else(|| trimmed.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_and_cookie_helpers() {
        let mut h = Handshake { query: Some("token=a%20b&x=1&y=c+d".into()), ..Default::default() };
        h.headers.insert(http::header::COOKIE, "a=1; session=xyz".parse().expect("valid header"));
        assert_eq!(h.query_param("token").as_deref(), Some("a b"));
        assert_eq!(h.query_param("y").as_deref(), Some("c d"));
        assert_eq!(h.query_param("z"), None);
        assert_eq!(h.cookie("session"), Some("xyz"));
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }

    #[test]
    fn origins() {
        let allowed = vec!["https://app.example".to_owned()];
        let mut headers = http::HeaderMap::new();
        assert!(origin_allowed(&allowed, &headers));
        headers.insert(http::header::ORIGIN, "https://app.example".parse().expect("valid"));
        assert!(origin_allowed(&allowed, &headers));
        headers.insert(http::header::ORIGIN, "https://evil.example".parse().expect("valid"));
        assert!(!origin_allowed(&allowed, &headers));
        assert!(origin_allowed(&[], &headers));
    }

    #[test]
    fn an_explicit_default_port_is_the_same_origin() {
        let allowed = vec!["https://example.com".to_owned(), "http://plain.example:8080/".to_owned()];
        let allows = |origin: &str| {
            let mut headers = http::HeaderMap::new();
            headers.insert(http::header::ORIGIN, origin.parse().expect("valid header"));
            origin_allowed(&allowed, &headers)
        };
        for origin in ["https://example.com", "https://example.com:443", "HTTPS://Example.COM:443/"] {
            assert!(allows(origin), "{origin}");
        }
        assert!(allows("http://plain.example:8080"));
        for origin in [
            "https://example.com:8443",
            "http://example.com",
            "http://example.com:443",
            "http://plain.example",
            "http://plain.example:80",
            "https://example.com.evil.example",
            "https://user@example.com",
            "null",
        ] {
            assert!(!allows(origin), "{origin}");
        }
        // Listed with its default port, an origin matches the browser's form without one.
        let listed = ["http://example.com:80".to_owned()];
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::ORIGIN, "http://example.com".parse().expect("valid header"));
        assert!(origin_allowed(&listed, &headers));
        assert_eq!(normalize_origin("wss://h.example:443"), "wss://h.example");
        assert_eq!(normalize_origin("ws://h.example:80"), "ws://h.example");
        assert_eq!(normalize_origin(" null "), "null");
    }
}
