//! Reading `seq` and `sent_at` out of a `chat_notification` without deserializing it.
//!
//! Every member sees every line, so this runs once per delivery. The fast scan wants the frame to
//! open with `{"action":"chat_notification"` (any whitespace around the tokens, as the servers
//! write it) and then reads the first `"seq"` and `"sent_at"` keys that follow, in either order,
//! parsing their values in place. When it cannot read all three (another layout, a missing field, an escaped
//! key, a number it does not parse) the frame goes through serde as before, so the fast scan only
//! decides frames it fully understands.

use std::sync::LazyLock;

use memchr::memmem::Finder;

use crate::conn::{Notification, NotificationPayload};

/// The stamped fields of a notification.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stamp {
    /// `payload.seq`.
    pub seq: Option<i64>,
    /// `payload.sent_at`.
    pub sent_at: Option<f64>,
}

/// `Some` when `frame` is a `chat_notification` (with whatever stamps it has), `None` for any
/// other frame.
pub fn notification(frame: &[u8]) -> Option<Stamp> {
    if let Some((seq, sent_at)) = fast(frame) {
        return Some(Stamp { seq: Some(seq), sent_at: Some(sent_at) });
    }
    let text = std::str::from_utf8(frame).ok()?;
    match serde_json::from_str::<Notification<'_>>(text) {
        Ok(n) if n.action == "chat_notification" => {
            let p = n.payload.unwrap_or(NotificationPayload { seq: None, sent_at: None });
            Some(Stamp { seq: p.seq, sent_at: p.sent_at })
        }
        _ => None,
    }
}

/// The fast scan: `(seq, sent_at)` of a `chat_notification`, or `None` when it cannot tell.
pub fn fast(frame: &[u8]) -> Option<(i64, f64)> {
    let rest = skip_ws(frame).strip_prefix(b"{")?;
    let rest = skip_ws(rest).strip_prefix(b"\"action\"")?;
    let rest = skip_ws(rest).strip_prefix(b":")?;
    let frame = skip_ws(rest).strip_prefix(b"\"chat_notification\"")?;
    // Built once: building a searcher costs more than a search in a frame this short.
    static SEQ: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\"seq\""));
    static SENT_AT: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\"sent_at\""));
    let seq = parse_int(value_of(frame, &SEQ)?)?;
    let sent_at = parse_float(value_of(frame, &SENT_AT)?)?;
    Some((seq, sent_at))
}

/// The bytes after the first `key` (quoted, as searched by the finder) that is followed by optional whitespace and a colon,
/// with the whitespace after the colon skipped.
fn value_of<'a>(frame: &'a [u8], key: &Finder<'_>) -> Option<&'a [u8]> {
    let key_len = key.needle().len();
    for at in key.find_iter(frame) {
        // A key is preceded by `{`, `,` or whitespace; `\"key\"` inside a string is not one.
        if at > 0 && frame[at - 1] == b'\\' {
            continue;
        }
        let rest = skip_ws(&frame[at + key_len..]);
        if let Some(rest) = rest.strip_prefix(b":") {
            return Some(skip_ws(rest));
        }
    }
    None
}

fn skip_ws(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')).count();
    &s[n..]
}

/// True when `b` may follow a JSON value.
fn ends_value(b: Option<&u8>) -> bool {
    matches!(b, None | Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'))
}

fn parse_int(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let n = digits.iter().take_while(|b| b.is_ascii_digit()).count();
    if n == 0 || n > 18 || !ends_value(digits.get(n)) {
        return None;
    }
    let v = digits[..n].iter().fold(0i64, |acc, b| acc * 10 + i64::from(b - b'0'));
    Some(if neg { -v } else { v })
}

fn parse_float(s: &[u8]) -> Option<f64> {
    let n = s.iter().take_while(|b| matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')).count();
    if n == 0 || !ends_value(s.get(n)) {
        return None;
    }
    // ASCII by construction.
    std::str::from_utf8(&s[..n]).ok()?.parse().ok().filter(|v: &f64| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVER: &str = r#"{"action":"chat_notification","payload":{"room":"r","text":"xx","sender":"s","seq":3000000007,"sent_at":1.25}}"#;

    #[test]
    fn reads_the_server_layout() {
        assert_eq!(fast(SERVER.as_bytes()), Some((3_000_000_007, 1.25)));
        assert_eq!(
            notification(SERVER.as_bytes()),
            Some(Stamp { seq: Some(3_000_000_007), sent_at: Some(1.25) })
        );
    }

    #[test]
    fn any_field_order_and_whitespace() {
        for frame in [
            r#"{"action":"chat_notification","payload":{"sent_at":0.5,"seq":5,"text":"t"}}"#,
            r#"{ "action" : "chat_notification" , "payload" : { "seq" : 5 , "sent_at" : 0.5 } }"#,
            "{\n  \"action\":\t\"chat_notification\",\n  \"payload\": {\"seq\":\n5,\r\n\"sent_at\": 5e-1}\n}",
            r#"{"action":"chat_notification","payload":{"text":"seq","seq":5,"sent_at":0.5}}"#,
            r#"{"action":"chat_notification","payload":{"text":"\"seq\":9","seq":5,"sent_at":0.5}}"#,
        ] {
            assert_eq!(fast(frame.as_bytes()), Some((5, 0.5)), "{frame}");
            assert_eq!(notification(frame.as_bytes()), Some(Stamp { seq: Some(5), sent_at: Some(0.5) }));
        }
    }

    #[test]
    fn missing_or_odd_fields_fall_back_to_serde() {
        let cases = [
            (r#"{"action":"chat_notification","payload":{"seq":5}}"#, Stamp { seq: Some(5), sent_at: None }),
            (
                r#"{"action":"chat_notification","payload":{"sent_at":2}}"#,
                Stamp { seq: None, sent_at: Some(2.0) },
            ),
            (r#"{"action":"chat_notification","payload":null}"#, Stamp { seq: None, sent_at: None }),
            (r#"{"action":"chat_notification"}"#, Stamp { seq: None, sent_at: None }),
            (
                r#"{"payload":{"sent_at":2,"seq":5},"action":"chat_notification"}"#,
                Stamp { seq: Some(5), sent_at: Some(2.0) },
            ),
            (
                r#"{"ref":1,"action":"chat_notification","payload":{"seq":5,"sent_at":2}}"#,
                Stamp { seq: Some(5), sent_at: Some(2.0) },
            ),
            (
                r#"{"action":"chat_\u006eotification","payload":{"seq":5,"sent_at":1}}"#,
                Stamp { seq: Some(5), sent_at: Some(1.0) },
            ),
        ];
        for (frame, stamp) in cases {
            assert_eq!(fast(frame.as_bytes()), None, "{frame}");
            assert_eq!(notification(frame.as_bytes()), Some(stamp), "{frame}");
        }
        // A number the scan does not take is left to serde, which rejects a non-integer seq.
        let frame = r#"{"action":"chat_notification","payload":{"seq":5.5,"sent_at":1}}"#;
        assert_eq!(fast(frame.as_bytes()), None);
        assert_eq!(notification(frame.as_bytes()), None);
    }

    #[test]
    fn other_frames_are_not_notifications() {
        for frame in [
            r#"{"action":"pong","payload":null}"#,
            r#"{"action":"error","payload":{"seq":1,"sent_at":1}}"#,
            r#"{"payload":{"action":"chat_notification","seq":1,"sent_at":1}}"#,
            r#"{"action":"chat","payload":{"text":"chat_notification","seq":1,"sent_at":1}}"#,
            "not json",
            "",
            "\u{7f}\"action\":",
        ] {
            assert_eq!(fast(frame.as_bytes()), None, "{frame}");
            assert_eq!(notification(frame.as_bytes()), None, "{frame}");
        }
        assert_eq!(notification(&[0xff, 0xfe]), None);
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_int(b"-12,"), Some(-12));
        assert_eq!(parse_int(b"12}"), Some(12));
        assert_eq!(parse_int(b"12.0,"), None);
        assert_eq!(parse_int(b"1e3,"), None);
        assert_eq!(parse_int(b"x"), None);
        assert_eq!(parse_int(b"9999999999999999999,"), None);
        assert_eq!(parse_float(b"1.5e3}"), Some(1500.0));
        assert_eq!(parse_float(b"7 "), Some(7.0));
        assert_eq!(parse_float(b"1.2.3,"), None);
        assert_eq!(parse_float(b"null,"), None);
        assert_eq!(parse_float(b"1e999,"), None);
    }
}
