//! JSON Schema `pattern`s are ECMA-262 regular expressions (the TypeScript guards run them as
//! `new RegExp(pattern, "u")`); the Rust side runs them with the `regex` crate, whose syntax looks
//! the same but means something else in places: its `\d`, `\w`, `\s` and `\b` are Unicode-aware
//! (`^\d{4}$` would accept `١٢٣٤` and `𝟙𝟚𝟛𝟜`, `\w` Greek letters), its `.` stops only at `\n`,
//! and it reads `[[:alpha:]]`, `&&`, `(?i)` and `\pL` where ECMA-262 reads literals or refuses
//! the pattern. [`to_rust`] translates an ECMA-262 pattern into a `regex` pattern that accepts
//! exactly the same strings, and refuses what either side cannot run, so that a schema means
//! one thing in both languages.
//!
//! Translated (ECMA-262 meaning, `u` flag, no other flag):
//! - `\d` `[0-9]`, `\w` `[0-9A-Za-z_]`, `\s` ECMA's WhiteSpace and LineTerminator set, their
//!   negations, inside and outside classes; `\b` / `\B` as ASCII word boundaries (`[\b]` is a
//!   backspace);
//! - `.` any character but `\n`, `\r`, U+2028, U+2029; `[^]` any character, `[]` none;
//! - `\0`, `\cX`, surrogate pairs `\uD83D\uDE00`; `[`, `&`, `~` and a second `-` inside a class
//!   are literals.
//!
//! Refused (an error the IR reports at the pattern): look-around and backreferences (the `regex`
//! crate cannot run them), and what ECMA-262 refuses with the `u` flag but `regex` would accept:
//! inline flags `(?i)`, `(?P<name>`, `\A`, `\z`, `\pL` without braces and other unknown escapes,
//! a lone `]`, `{` or `}`, `{,n}`.

use std::fmt;

/// Why a pattern cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError(String);

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PatternError {}

fn err<T>(what: impl Into<String>) -> Result<T, PatternError> {
    Err(PatternError(what.into()))
}

/// ECMA-262 `\s`: WhiteSpace and LineTerminator, as the body of a `regex` class.
const SPACE: &str =
    r"\t\n\x0B\x0C\r\x20\xA0\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}";
const DIGIT: &str = "0-9";
const WORD: &str = "0-9A-Za-z_";

/// The `regex` crate pattern that accepts exactly the strings the ECMA-262 pattern `ecma` (with
/// the `u` flag) accepts, checked to compile. See the module docs for what is translated and
/// what is refused.
pub fn to_rust(ecma: &str) -> Result<String, PatternError> {
    let out = Translator { chars: ecma.chars().collect(), at: 0, out: String::with_capacity(ecma.len() + 8) }
        .run()?;
    if let Err(e) = regex::Regex::new(&out) {
        let text = e.to_string();
        let last = text.lines().last().unwrap_or_default().trim().trim_start_matches("error: ");
        return err(last.to_lowercase());
    }
    Ok(out)
}

struct Translator {
    chars: Vec<char>,
    at: usize,
    out: String,
}

impl Translator {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.chars.get(self.at + n).copied()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.at += 1;
        Some(c)
    }

    fn starts_with(&self, s: &str) -> bool {
        s.chars().enumerate().all(|(i, c)| self.peek_at(i) == Some(c))
    }

    fn run(mut self) -> Result<String, PatternError> {
        while let Some(c) = self.next() {
            match c {
                '\\' => self.escape(false)?,
                '.' => self.out.push_str(r"[^\n\r\x{2028}\x{2029}]"),
                '[' => self.class()?,
                '(' => self.group()?,
                '{' => self.quantifier()?,
                ']' | '}' => return err(format!("a lone `{c}` (escape it as `\\{c}`)")),
                c => self.out.push(c),
            }
        }
        Ok(self.out)
    }

    /// `{n}`, `{n,}`, `{n,m}` after an atom: copied; anything else is refused like ECMA-262 does
    /// with the `u` flag.
    fn quantifier(&mut self) -> Result<(), PatternError> {
        let mut body = String::new();
        while let Some(c) = self.next() {
            if c == '}' {
                let (min, max) = body.split_once(',').map_or((body.as_str(), None), |(a, b)| (a, Some(b)));
                let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
                if digits(min) && max.is_none_or(|m| m.is_empty() || digits(m)) {
                    self.out.push('{');
                    self.out.push_str(&body);
                    self.out.push('}');
                    return Ok(());
                }
                break;
            }
            body.push(c);
        }
        err("a `{` that does not start a quantifier `{n}`, `{n,}` or `{n,m}` (escape it as `\\{`)")
    }

    fn group(&mut self) -> Result<(), PatternError> {
        if self.peek() != Some('?') {
            self.out.push('(');
            return Ok(());
        }
        if self.starts_with("?:") {
            self.at += 2;
            self.out.push_str("(?:");
            return Ok(());
        }
        if self.starts_with("?=")
            || self.starts_with("?!")
            || self.starts_with("?<=")
            || self.starts_with("?<!")
        {
            return err("look-around, including look-ahead and look-behind, is not supported");
        }
        if self.starts_with("?<") {
            self.at += 2;
            let mut name = String::new();
            while let Some(c) = self.next() {
                if c == '>' {
                    let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                    if !valid {
                        return err("a group name other than ASCII letters, digits and `_`");
                    }
                    self.out.push_str("(?<");
                    self.out.push_str(&name);
                    self.out.push('>');
                    return Ok(());
                }
                name.push(c);
            }
            return err("an unclosed group name");
        }
        err("a group `(?…` other than `(?:`, `(?<name>` or look-around (inline flags are not ECMA-262)")
    }

    /// After a `\`, outside (`in_class == false`) or inside a class.
    fn escape(&mut self, in_class: bool) -> Result<(), PatternError> {
        let Some(c) = self.next() else { return err("a trailing `\\`") };
        let class = |negated: bool, body: &str| {
            if in_class && !negated {
                body.to_owned()
            } else {
                format!("[{}{body}]", if negated { "^" } else { "" })
            }
        };
        let text = match c {
            'd' => class(false, DIGIT),
            'D' => class(true, DIGIT),
            'w' => class(false, WORD),
            'W' => class(true, WORD),
            's' => class(false, SPACE),
            'S' => class(true, SPACE),
            'b' if in_class => r"\x08".to_owned(),
            'b' => r"(?-u:\b)".to_owned(),
            'B' if in_class => return err("`\\B` inside a class"),
            'B' => r"(?-u:\B)".to_owned(),
            'n' | 'r' | 't' | 'f' | 'v' => format!("\\{c}"),
            '0' if !self.peek().is_some_and(|d| d.is_ascii_digit()) => r"\x00".to_owned(),
            '1'..='9' | 'k' => return err("backreferences are not supported"),
            'c' => match self.next() {
                Some(l) if l.is_ascii_alphabetic() => format!("\\x{:02X}", (l as u32) % 32),
                _ => return err("`\\c` not followed by a letter"),
            },
            'x' => {
                let hex =
                    self.hex(2).ok_or_else(|| PatternError("`\\x` not followed by two hex digits".into()))?;
                format!("\\x{{{hex:X}}}")
            }
            'u' => format!("\\x{{{:X}}}", self.unicode_escape()?),
            'p' | 'P' => {
                if self.peek() != Some('{') {
                    return err(format!("`\\{c}` without braces (write `\\{c}{{…}}`)"));
                }
                let mut body = String::new();
                self.at += 1;
                loop {
                    match self.next() {
                        Some('}') => break,
                        Some(ch) if ch.is_ascii_alphanumeric() || ch == '_' || ch == '=' => body.push(ch),
                        _ => return err(format!("a malformed `\\{c}{{…}}`")),
                    }
                }
                format!("\\{c}{{{body}}}")
            }
            '-' if in_class => r"\-".to_owned(),
            '^' | '$' | '\\' | '.' | '*' | '+' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '|' | '/' => {
                format!("\\{c}")
            }
            other => return err(format!("`\\{other}` is not an ECMA-262 escape")),
        };
        self.out.push_str(&text);
        Ok(())
    }

    fn hex(&mut self, n: usize) -> Option<u32> {
        let digits: String = (0..n).map(|i| self.peek_at(i)).collect::<Option<String>>()?;
        let value = u32::from_str_radix(&digits, 16)
            .ok()
            .filter(|_| digits.chars().all(|c| c.is_ascii_hexdigit()))?;
        self.at += n;
        Some(value)
    }

    /// After `\u`: `XXXX`, a surrogate pair `XXXX\uXXXX`, or `{X…}`; the code point.
    fn unicode_escape(&mut self) -> Result<u32, PatternError> {
        let bad = || PatternError("a malformed `\\u` escape".into());
        let value = if self.peek() == Some('{') {
            self.at += 1;
            let mut digits = String::new();
            loop {
                match self.next() {
                    Some('}') => break,
                    Some(c) if c.is_ascii_hexdigit() && digits.len() < 6 => digits.push(c),
                    _ => return Err(bad()),
                }
            }
            u32::from_str_radix(&digits, 16).map_err(|_| bad())?
        } else {
            let high = self.hex(4).ok_or_else(bad)?;
            if (0xD800..0xDC00).contains(&high) && self.starts_with("\\u") {
                let save = self.at;
                self.at += 2;
                match self.hex(4) {
                    Some(low) if (0xDC00..0xE000).contains(&low) => {
                        0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                    }
                    _ => {
                        self.at = save;
                        high
                    }
                }
            } else {
                high
            }
        };
        if char::from_u32(value).is_none() {
            return err("a `\\u` escape of a lone surrogate or past U+10FFFF");
        }
        Ok(value)
    }

    /// After `[`: a class, up to its `]`.
    fn class(&mut self) -> Result<(), PatternError> {
        let negated = self.peek() == Some('^');
        if negated {
            self.at += 1;
        }
        if self.peek() == Some(']') {
            self.at += 1;
            // ECMA-262: `[]` matches nothing, `[^]` any character.
            self.out.push_str(if negated { r"[\s\S]" } else { r"[^\s\S]" });
            return Ok(());
        }
        self.out.push('[');
        if negated {
            self.out.push('^');
        }
        let mut previous_dash = false;
        loop {
            let Some(c) = self.next() else { return err("an unclosed class `[`") };
            let dash = c == '-';
            match c {
                ']' => {
                    self.out.push(']');
                    return Ok(());
                }
                '\\' => self.escape(true)?,
                '[' | '&' | '~' => {
                    self.out.push('\\');
                    self.out.push(c);
                }
                '-' if previous_dash => self.out.push_str(r"\-"),
                c => self.out.push(c),
            }
            previous_dash = dash;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(ecma: &str, s: &str) -> bool {
        let rust = to_rust(ecma).unwrap_or_else(|e| panic!("{ecma}: {e}"));
        regex::Regex::new(&rust).expect("checked").is_match(s)
    }

    #[test]
    fn shorthand_classes_are_ascii_like_ecma() {
        assert!(matches(r"^\d{4}$", "2024"));
        assert!(!matches(r"^\d{4}$", "١٢٣٤"));
        assert!(!matches(r"^\d{4}$", "𝟙𝟚𝟛𝟜"));
        assert!(!matches(r"^\w+$", "αβγ"));
        assert!(matches(r"^\W+$", "αβγ"));
        assert!(matches(r"^[\w-]+$", "a-b_c"));
        assert!(!matches(r"^[\w-]+$", "é"));
        assert!(matches(r"^[^\d]$", "١"));
        assert!(matches(r"^[\D]$", "١"));
        assert!(matches(r"^\s$", "\u{feff}"));
        assert!(!matches(r"^\s$", "\u{85}"));
        assert!(matches(r"\bcat\b", "a cat!"));
        assert!(!matches(r"\bé", "é"), "`é` is not a word character for ECMA-262");
    }

    #[test]
    fn dot_and_empty_classes_follow_ecma() {
        assert!(!matches("^.$", "\r"));
        assert!(!matches("^.$", "\u{2028}"));
        assert!(matches("^.$", "😀"));
        assert!(matches("^[^]$", "\n"));
        assert!(!matches("[]", "anything"));
    }

    #[test]
    fn escapes_and_literals() {
        assert!(matches(r"^\u00e9\u{1F600}\uD83D\uDE00$", "é😀😀"));
        assert!(matches(r"^\cJ\0$", "\n\0"));
        assert!(matches(r"^[[]$", "["));
        assert!(matches(r"^[a&&b]+$", "a&b"));
        assert!(matches(r"^[\b]$", "\u{8}"));
        assert!(matches(r"^\/\.$", "/."));
        assert!(matches(r"^a{2,}$", "aaa"));
        assert!(matches(r"^(?<year>[0-9]{4})$", "2024"));
        assert!(matches(r"^\p{Lu}$", "É"));
    }

    #[test]
    fn refuses_what_one_side_cannot_run() {
        for p in [
            "(?i)abc",
            "(?P<n>a)",
            r"\Aabc",
            r"abc\z",
            r"\pL",
            "^(?!admin)",
            "(a)\\1",
            "a{,3}",
            "]",
            "a}",
            "x{",
            r"\e",
            "(",
            "[a",
            r"\u{110000}",
            r"\uD800",
        ] {
            assert!(to_rust(p).is_err(), "{p} should be refused");
        }
        assert_eq!(
            to_rust("^(?!admin)[a-z]+$").err().map(|e| e.to_string()),
            Some("look-around, including look-ahead and look-behind, is not supported".to_owned())
        );
    }

    #[test]
    fn plain_patterns_are_unchanged() {
        for p in ["^[A-Za-z0-9_-]+$", "^[a-z]+$", "^(?:a|b)*$", "x+?y"] {
            assert_eq!(to_rust(p).as_deref(), Ok(p));
        }
    }
}
