//! The chat page at `/` with its `/app.js` and `/app.css`: the files of `examples/chat/web/`,
//! compiled into the binary. The script is the bundle that `web/build.sh` writes to
//! `web/dist/app.js` (checked in, so building needs no Node). Must not hold chat logic: the page
//! talks to the server only through the generated `ChatClient`.

use axum::Router;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::routing::get;

/// The page (`web/index.html`).
pub const INDEX_HTML: &str = include_str!("../web/index.html");
/// The page's script (`web/dist/app.js`, bundled from `web/app.ts` by `web/build.sh`).
pub const APP_JS: &str = include_str!("../web/dist/app.js");
/// The page's style sheet (`web/app.css`).
pub const APP_CSS: &str = include_str!("../web/app.css");

/// Serves one static body with its content type; clients revalidate on every load.
fn file<S: Clone + Send + Sync + 'static>(
    content_type: &'static str,
    body: &'static str,
) -> axum::routing::MethodRouter<S> {
    get(move || std::future::ready(([(CONTENT_TYPE, content_type), (CACHE_CONTROL, "no-cache")], body)))
}

/// Routes `/`, `/app.js` and `/app.css`.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", file("text/html; charset=utf-8", INDEX_HTML))
        .route("/app.js", file("text/javascript; charset=utf-8", APP_JS))
        .route("/app.css", file("text/css; charset=utf-8", APP_CSS))
}
