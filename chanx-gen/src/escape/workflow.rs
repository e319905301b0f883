//! GitHub Actions workflow commands (`::error file=F,line=L::message`): the runner reads one
//! command per line and splits properties at `,` and the message at `::`, so text is percent-
//! encoded the way the runner's own toolkit encodes it.

/// A command's message: `%`, CR and LF encoded.
pub fn data(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// A property value (`file=...`): as [`data`], plus `:` and `,`.
pub fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_cannot_end_the_command() {
        assert_eq!(data("a\nb\r%"), "a%0Ab%0D%25");
        assert_eq!(property("x,y::z\n"), "x%2Cy%3A%3Az%0A");
    }
}
