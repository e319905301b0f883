//! The constraint checks generated code relies on (string length in characters, patterns,
//! numeric bounds, `multipleOf`, array sizes and uniqueness, enums, formats) and the builders of
//! error items with pydantic's `type` names and `msg` wording, so that Chanx frontends see the
//! errors they already handle. Owns wording; does not walk schemas (see [`crate::schema`]).

use crate::schema::{ArrayRules, Const, Cx, Format, NumRules, Pattern, StrRules};

/// A number the way Python prints it in pydantic messages: `0` for an integral value, `0.5`
/// otherwise.
pub fn num(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 { format!("{}", f as i64) } else { format!("{f}") }
}

/// `""` for one, `"s"` otherwise.
pub fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Checks length (in characters), pattern and format of a string.
pub fn check_str(s: &str, rules: &StrRules, cx: &mut Cx<'_>) {
    if rules.min_length.is_some() || rules.max_length.is_some() {
        let len = s.chars().count() as u64;
        if let Some(min) = rules.min_length
            && len < min
        {
            cx.error(
                "string_too_short",
                format!("String should have at least {min} character{}", plural(min)),
            );
        }
        if let Some(max) = rules.max_length
            && len > max
        {
            cx.error("string_too_long", format!("String should have at most {max} character{}", plural(max)));
        }
    }
    if let Some(p) = rules.pattern
        && !p.is_match(s)
    {
        cx.error("string_pattern_mismatch", format!("String should match pattern '{}'", p.source()));
    }
    if let Some(format) = rules.format {
        check_format(s, format, cx);
    }
}

/// Checks a string against a format.
pub fn check_format(s: &str, format: Format, cx: &mut Cx<'_>) {
    match format {
        Format::DateTime if !is_date_time(s) => {
            cx.error("datetime_parsing", "Input should be a valid datetime, invalid format".to_owned())
        }
        Format::Date if !is_date(s) => cx.error(
            "date_parsing",
            "Input should be a valid date in the format YYYY-MM-DD, invalid format".to_owned(),
        ),
        Format::Time if !is_time(s) => {
            cx.error("time_parsing", "Input should be in a valid time format, invalid format".to_owned())
        }
        Format::Uuid if !is_uuid(s) => {
            cx.error("uuid_parsing", "Input should be a valid UUID, invalid format".to_owned())
        }
        Format::Email if !is_email(s) => {
            cx.error("value_error", "value is not a valid email address".to_owned())
        }
        Format::Uri if !is_uri(s) => cx.error("url_parsing", "Input should be a valid URL".to_owned()),
        _ => {}
    }
}

fn check_bounds(x: f64, rules: &NumRules, cx: &mut Cx<'_>) {
    if let Some(gt) = rules.exclusive_minimum
        && x <= gt
    {
        cx.error("greater_than", format!("Input should be greater than {}", num(gt)));
    }
    if let Some(ge) = rules.minimum
        && x < ge
    {
        cx.error("greater_than_equal", format!("Input should be greater than or equal to {}", num(ge)));
    }
    if let Some(lt) = rules.exclusive_maximum
        && x >= lt
    {
        cx.error("less_than", format!("Input should be less than {}", num(lt)));
    }
    if let Some(le) = rules.maximum
        && x > le
    {
        cx.error("less_than_equal", format!("Input should be less than or equal to {}", num(le)));
    }
}

fn multiple_of_error(m: f64, cx: &mut Cx<'_>) {
    cx.error("multiple_of", format!("Input should be a multiple of {}", num(m)));
}

/// Checks bounds and `multipleOf` of an integer (exactly, when the divisor is integral).
pub fn check_int(i: i64, rules: &NumRules, cx: &mut Cx<'_>) {
    check_bounds(i as f64, rules, cx);
    if let Some(m) = rules.multiple_of {
        let ok = if m.fract() == 0.0 && m != 0.0 && m.abs() < 9.0e18 {
            i % (m as i64) == 0
        } else {
            is_multiple(i as f64, m)
        };
        if !ok {
            multiple_of_error(m, cx);
        }
    }
}

/// Checks bounds and `multipleOf` of a number.
pub fn check_num(f: f64, rules: &NumRules, cx: &mut Cx<'_>) {
    check_bounds(f, rules, cx);
    if let Some(m) = rules.multiple_of
        && !is_multiple(f, m)
    {
        multiple_of_error(m, cx);
    }
}

fn is_multiple(x: f64, m: f64) -> bool {
    if m == 0.0 {
        return true;
    }
    let q = x / m;
    (q - q.round()).abs() <= 1e-9 * q.abs().max(1.0)
}

/// Checks `minItems` / `maxItems`.
pub fn check_len(len: usize, rules: &ArrayRules, cx: &mut Cx<'_>) {
    let len = len as u64;
    if let Some(min) = rules.min_items
        && len < min
    {
        cx.error(
            "too_short",
            format!("List should have at least {min} item{} after validation, not {len}", plural(min)),
        );
    }
    if let Some(max) = rules.max_items
        && len > max
    {
        cx.error(
            "too_long",
            format!("List should have at most {max} item{} after validation, not {len}", plural(max)),
        );
    }
}

/// True when no two items are equal.
pub fn all_unique<T: PartialEq>(items: &[T]) -> bool {
    items.iter().enumerate().all(|(i, a)| items[..i].iter().all(|b| a != b))
}

/// `uniqueItems` violated (pydantic has no such check; the name follows JSON Schema).
pub fn not_unique(cx: &mut Cx<'_>) {
    cx.error("unique_items", "List should have unique items".to_owned());
}

/// A value differs from a `const`.
pub fn literal_error(c: &Const, cx: &mut Cx<'_>) {
    cx.error("literal_error", format!("Input should be {}", c.repr()));
}

fn one_of(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// A string outside its `enum`.
pub fn enum_error(values: &[&str], cx: &mut Cx<'_>) {
    let items: Vec<String> = values.iter().map(|v| format!("'{v}'")).collect();
    cx.error("enum", format!("Input should be {}", one_of(&items)));
}

/// An integer outside its `enum`.
pub fn int_enum_error(values: &[i64], cx: &mut Cx<'_>) {
    let items: Vec<String> = values.iter().map(i64::to_string).collect();
    cx.error("enum", format!("Input should be {}", one_of(&items)));
}

/// A map key does not match `patternProperties`.
pub fn key_pattern_mismatch(p: &Pattern, cx: &mut Cx<'_>) {
    cx.error("string_pattern_mismatch", format!("String should match pattern '{}'", p.source()));
}

/// A required property is absent.
pub fn missing(cx: &mut Cx<'_>) {
    cx.error("missing", "Field required".to_owned());
}

/// Not an integer.
pub fn int_type(cx: &mut Cx<'_>) {
    cx.error("int_type", "Input should be a valid integer".to_owned());
}

/// Not a string.
pub fn string_type(cx: &mut Cx<'_>) {
    cx.error("string_type", "Input should be a valid string".to_owned());
}

/// Not an array.
pub fn list_type(cx: &mut Cx<'_>) {
    cx.error("list_type", "Input should be a valid list".to_owned());
}

/// The tag property is absent.
pub fn tag_not_found(key: &str, cx: &mut Cx<'_>) {
    cx.error("union_tag_not_found", format!("Unable to extract tag using discriminator '{key}'"));
}

/// The tag property has a value no variant uses.
pub fn tag_invalid(key: &str, tag: &str, expected: &[&str], cx: &mut Cx<'_>) {
    let expected: Vec<String> = expected.iter().map(|t| format!("'{t}'")).collect();
    cx.error(
        "union_tag_invalid",
        format!(
            "Input tag '{tag}' found using '{key}' does not match any of the expected tags: {}",
            expected.join(", ")
        ),
    );
}

fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0')))
}

/// RFC 3339 `full-date`: `YYYY-MM-DD`.
pub fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && digits(&b[..4]).is_some()
        && digits(&b[5..7]).is_some_and(|m| (1..=12).contains(&m))
        && digits(&b[8..10]).is_some_and(|d| (1..=31).contains(&d))
}

/// RFC 3339 `full-time` (`HH:MM:SS[.frac]` and an offset; the offset may be left out, as
/// pydantic allows).
pub fn is_time(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 8 || b[2] != b':' || b[5] != b':' {
        return false;
    }
    let ok = digits(&b[..2]).is_some_and(|h| h < 24)
        && digits(&b[3..5]).is_some_and(|m| m < 60)
        && digits(&b[6..8]).is_some_and(|s| s <= 60);
    if !ok {
        return false;
    }
    let mut rest = &b[8..];
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    match rest {
        [] | [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            digits(&[*h1, *h2]).is_some_and(|h| h < 24) && digits(&[*m1, *m2]).is_some_and(|m| m < 60)
        }
        _ => false,
    }
}

/// RFC 3339 `date-time` (`T`, `t` or a space between date and time).
pub fn is_date_time(s: &str) -> bool {
    s.len() > 11
        && s.is_char_boundary(10)
        && is_date(&s[..10])
        && matches!(s.as_bytes()[10], b'T' | b't' | b' ')
        && is_time(&s[11..])
}

/// A hyphenated UUID (`8-4-4-4-12` hex digits), optionally braced or `urn:uuid:`-prefixed.
pub fn is_uuid(s: &str) -> bool {
    let s = s.strip_prefix("urn:uuid:").unwrap_or(s);
    let s = s.strip_prefix('{').and_then(|x| x.strip_suffix('}')).unwrap_or(s);
    let b = s.as_bytes();
    if b.len() == 32 {
        return b.iter().all(u8::is_ascii_hexdigit);
    }
    b.len() == 36
        && b.iter()
            .enumerate()
            .all(|(i, c)| if matches!(i, 8 | 13 | 18 | 23) { *c == b'-' } else { c.is_ascii_hexdigit() })
}

/// A plausible e-mail address: one `@`, a non-empty local part, a dotted domain, no spaces.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    !local.is_empty()
        && !domain.contains('@')
        && !s.chars().any(char::is_whitespace)
        && domain.split('.').count() >= 2
        && domain.split('.').all(|l| !l.is_empty())
}

/// An absolute URI: a scheme (`[A-Za-z][A-Za-z0-9+.-]*`), `:`, something, no spaces.
pub fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else { return false };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-'))
        && !rest.is_empty()
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::ErrorItem;

    fn run(f: impl FnOnce(&mut Cx<'_>)) -> Vec<ErrorItem> {
        let mut cx = Cx::new(None);
        f(&mut cx);
        cx.into_errors()
    }

    fn kinds_msgs(errors: &[ErrorItem]) -> Vec<(String, String)> {
        errors.iter().map(|e| (e.kind.to_string(), e.msg.clone())).collect()
    }

    fn pair(kind: &str, msg: &str) -> (String, String) {
        (kind.to_owned(), msg.to_owned())
    }

    #[test]
    fn string_length_counts_characters() {
        let rules = StrRules { min_length: Some(2), max_length: Some(3), ..StrRules::NONE };
        assert!(run(|cx| check_str("héé", &rules, cx)).is_empty());
        assert_eq!(
            kinds_msgs(&run(|cx| check_str("é", &rules, cx))),
            vec![pair("string_too_short", "String should have at least 2 characters")]
        );
        assert_eq!(
            kinds_msgs(&run(|cx| check_str("abcd", &rules, cx))),
            vec![pair("string_too_long", "String should have at most 3 characters")]
        );
        let one = StrRules { min_length: Some(1), ..StrRules::NONE };
        assert_eq!(run(|cx| check_str("", &one, cx))[0].msg, "String should have at least 1 character");
    }

    #[test]
    fn patterns_are_searched_and_cached() {
        static P: Pattern = Pattern::new("^[A-Za-z0-9_-]+$");
        let rules = StrRules { pattern: Some(&P), ..StrRules::NONE };
        assert!(run(|cx| check_str("room_1", &rules, cx)).is_empty());
        assert_eq!(
            kinds_msgs(&run(|cx| check_str("no spaces", &rules, cx))),
            vec![pair("string_pattern_mismatch", "String should match pattern '^[A-Za-z0-9_-]+$'")]
        );
        static Q: Pattern = Pattern::new("b");
        assert!(Q.is_match("abc"));
        static BAD: Pattern = Pattern::new("(");
        assert!(BAD.is_match("anything"));
    }

    #[test]
    fn numeric_bounds_use_pydantic_wording() {
        let rules = NumRules {
            minimum: Some(0.0),
            maximum: Some(10.0),
            exclusive_minimum: None,
            exclusive_maximum: None,
            multiple_of: Some(2.0),
        };
        assert!(run(|cx| check_int(4, &rules, cx)).is_empty());
        assert_eq!(
            kinds_msgs(&run(|cx| check_int(-1, &rules, cx))),
            vec![
                pair("greater_than_equal", "Input should be greater than or equal to 0"),
                pair("multiple_of", "Input should be a multiple of 2"),
            ]
        );
        assert_eq!(
            kinds_msgs(&run(|cx| check_int(12, &rules, cx))),
            vec![pair("less_than_equal", "Input should be less than or equal to 10")]
        );
        let ex = NumRules { exclusive_minimum: Some(0.5), exclusive_maximum: Some(1.5), ..NumRules::NONE };
        assert_eq!(
            kinds_msgs(&run(|cx| check_num(0.5, &ex, cx))),
            vec![pair("greater_than", "Input should be greater than 0.5")]
        );
        assert_eq!(
            kinds_msgs(&run(|cx| check_num(1.5, &ex, cx))),
            vec![pair("less_than", "Input should be less than 1.5")]
        );
        let tenth = NumRules { multiple_of: Some(0.1), ..NumRules::NONE };
        assert!(run(|cx| check_num(0.3, &tenth, cx)).is_empty());
        assert_eq!(run(|cx| check_num(0.35, &tenth, cx))[0].kind, "multiple_of");
    }

    #[test]
    fn array_sizes_and_uniqueness() {
        let rules = ArrayRules { min_items: Some(1), max_items: Some(2), unique_items: true };
        assert_eq!(
            kinds_msgs(&run(|cx| check_len(0, &rules, cx))),
            vec![pair("too_short", "List should have at least 1 item after validation, not 0")]
        );
        assert_eq!(
            kinds_msgs(&run(|cx| check_len(3, &rules, cx))),
            vec![pair("too_long", "List should have at most 2 items after validation, not 3")]
        );
        assert!(all_unique(&[1, 2, 3]));
        assert!(!all_unique(&["a", "b", "a"]));
    }

    #[test]
    fn enum_and_literal_messages() {
        assert_eq!(
            run(|cx| enum_error(&["low", "normal", "high"], cx))[0].msg,
            "Input should be 'low', 'normal' or 'high'"
        );
        assert_eq!(run(|cx| enum_error(&["a"], cx))[0].msg, "Input should be 'a'");
        assert_eq!(run(|cx| int_enum_error(&[1, 2], cx))[0].msg, "Input should be 1 or 2");
        assert_eq!(run(|cx| literal_error(&Const::Str("chat"), cx))[0].msg, "Input should be 'chat'");
        assert_eq!(run(|cx| literal_error(&Const::Null, cx))[0].msg, "Input should be None");
    }

    #[test]
    fn tag_messages() {
        assert_eq!(
            run(|cx| tag_not_found("action", cx))[0].msg,
            "Unable to extract tag using discriminator 'action'"
        );
        assert_eq!(
            run(|cx| tag_invalid("action", "nope", &["ping", "chat"], cx))[0].msg,
            "Input tag 'nope' found using 'action' does not match any of the expected tags: 'ping', 'chat'"
        );
    }

    #[test]
    fn formats() {
        for (s, ok) in [
            ("2024-05-01T10:20:30Z", true),
            ("2024-05-01T10:20:30.123+02:00", true),
            ("2024-05-01 10:20:30", true),
            ("2024-13-01T10:20:30Z", false),
            ("2024-05-01", false),
            ("2024-05-01T25:00:00Z", false),
            ("2024-05-01Té0:00:00Z", false),
        ] {
            assert_eq!(is_date_time(s), ok, "{s}");
        }
        assert!(is_date("2024-02-29"));
        assert!(!is_date("24-02-29"));
        assert!(is_time("23:59:60Z"));
        assert!(!is_time("23:59"));
        assert!(is_uuid("123e4567-e89b-12d3-a456-426614174000"));
        assert!(is_uuid("123e4567e89b12d3a456426614174000"));
        assert!(!is_uuid("123e4567-e89b-12d3-a456-42661417400g"));
        assert!(is_email("a.b@example.com"));
        assert!(!is_email("a@b"));
        assert!(!is_email("a b@example.com"));
        assert!(is_uri("https://example.com/x?y=1"));
        assert!(is_uri("urn:isbn:123"));
        assert!(!is_uri("/relative/path"));
        assert!(!is_uri("http://exa mple.com"));
        let errs = run(|cx| check_format("nope", Format::Uuid, cx));
        assert_eq!(errs[0].kind, "uuid_parsing");
    }

    #[test]
    fn numbers_print_like_python() {
        assert_eq!(num(0.0), "0");
        assert_eq!(num(60000.0), "60000");
        assert_eq!(num(0.5), "0.5");
    }
}
