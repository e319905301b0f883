//! Channel addresses: matching a request path against an address with `{param}` placeholders.
//! Pure string work; adapters with their own routers (axum, actix-web) use their router instead.

use crate::channel::PathValues;

/// Matches `path` against `address` (`/ws/chat/{room}`); each placeholder takes one non-empty
/// path segment, percent-decoded. Returns `None` when the path does not match.
pub fn match_path(address: &str, path: &str) -> Option<PathValues> {
    let path = path.split_once('?').map_or(path, |(p, _)| p);
    let mut pattern = address.trim_matches('/').split('/');
    let mut segments = path.trim_matches('/').split('/');
    let mut pairs = Vec::new();
    loop {
        match (pattern.next(), segments.next()) {
            (None, None) => return Some(PathValues::new(pairs)),
            (Some(p), Some(s)) => {
                if let Some(name) = p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                    if s.is_empty() {
                        return None;
                    }
                    pairs.push((name.to_owned(), decode_segment(s)));
                } else if p != s {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

fn decode_segment(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Some(b) =
                std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_placeholders() {
        let v = match_path("/ws/chat/{room}", "/ws/chat/lob%20by?x=1").expect("matches");
        assert_eq!(v.get("room"), Some("lob by"));
        assert!(match_path("/ws/chat/{room}", "/ws/chat/").is_none());
        assert!(match_path("/ws/chat/{room}", "/ws/chat/a/b").is_none());
        assert!(match_path("/ws/chat", "/ws/chat").is_some());
        assert!(match_path("/ws/chat", "/ws/other").is_none());
    }
}
