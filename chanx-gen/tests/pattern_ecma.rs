//! Rust and TypeScript agree on `pattern`: for generated ECMA-262 patterns and inputs, the regex
//! crate running `chanx_gen::pattern::to_rust(p)` accepts exactly the strings that node's
//! `new RegExp(p, "u")` (what the TypeScript guards run) accepts. Node runs every case in one
//! process; it is required (CI and the development machine have node 20).

use std::io::Write as _;
use std::process::{Command, Stdio};

use chanx_gen::pattern::to_rust;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// Characters where Unicode-aware and ECMA-262 classes disagree, and a few plain ones.
const CHARS: &[char] = &[
    'a', 'Z', '0', '9', '_', '-', ' ', '.', 'é', 'α', 'Ω', 'ß', '١', '٣', '𝟙', '२', '\u{a0}', '\u{85}',
    '\u{feff}', '\u{2028}', '\u{2029}', '\u{3000}', '\u{200b}', '\n', '\r', '\t', '\u{b}', '\u{1680}', '😀',
    'K', '\u{212a}',
];

fn char_text() -> impl Strategy<Value = String> {
    proptest::sample::select(CHARS).prop_map(|c| match c {
        // Literal meta characters are escaped in a pattern.
        '.' | '-' => format!("\\{c}"),
        c => c.to_string(),
    })
}

fn class_item() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(
            &[r"\d", r"\D", r"\w", r"\W", r"\s", r"\S", r"\b", "a-z", "0-9", "α-ω", "-", "^", "[", "&", "~"]
                [..]
        )
        .prop_map(str::to_owned),
        char_text(),
    ]
}

fn atom() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::sample::select(&[r"\d", r"\D", r"\w", r"\W", r"\s", r"\S", "."][..]).prop_map(str::to_owned),
        2 => char_text(),
        2 => (any::<bool>(), proptest::collection::vec(class_item(), 0..4))
            .prop_map(|(neg, items)| format!("[{}{}]", if neg { "^" } else { "" }, items.concat())),
    ]
}

fn piece() -> impl Strategy<Value = String> {
    let quantified = (atom(), proptest::sample::select(&["", "", "*", "+", "?", "{1,3}", "{2}", "+?"][..]))
        .prop_map(|(a, q)| format!("{a}{q}"));
    prop_oneof![6 => quantified, 1 => proptest::sample::select(&[r"\b", r"\B", "^", "$"][..]).prop_map(str::to_owned)]
}

fn pattern() -> impl Strategy<Value = String> {
    let seq = proptest::collection::vec(piece(), 1..5).prop_map(|p| p.concat());
    seq.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a}|{b}")),
            inner.clone().prop_map(|a| format!("(?:{a})+")),
            (inner.clone(), inner).prop_map(|(a, b)| format!("^(?:{a}){b}$")),
        ]
    })
}

fn inputs() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec(proptest::collection::vec(proptest::sample::select(CHARS), 0..6), 8)
        .prop_map(|v| v.into_iter().map(|cs| cs.into_iter().collect()).collect())
}

/// For each pattern, node's `RegExp(p, "u").test` on each input; `None` when node refuses it.
fn node_results(cases: &[(String, Vec<String>)]) -> Vec<Option<Vec<bool>>> {
    const SCRIPT: &str = r#"
let data = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (d) => (data += d));
process.stdin.on("end", () => {
  const out = JSON.parse(data).map(([p, inputs]) => {
    let re;
    try { re = new RegExp(p, "u"); } catch { return null; }
    return inputs.map((s) => re.test(s));
  });
  process.stdout.write(JSON.stringify(out));
});
"#;
    let mut child = Command::new("node")
        .arg("-e")
        .arg(SCRIPT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node must be installed: it runs the ECMA-262 side of this test");
    let input = serde_json::to_string(cases).expect("cases serialise");
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write to node");
    let out = child.wait_with_output().expect("node runs");
    assert!(out.status.success(), "node failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("node prints JSON")
}

/// The fixed cases the review found, plus generated ones.
fn cases() -> Vec<(String, Vec<String>)> {
    let words = |w: &[&str]| w.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let mut cases = vec![
        (r"^\d{4}$".to_owned(), words(&["2024", "١٢٣٤", "𝟙𝟚𝟛𝟜", "२०२४", "202"])),
        (r"^\w+$".to_owned(), words(&["abc_1", "αβγ", "é", "ß"])),
        (r"\bcat\b".to_owned(), words(&["a cat", "écat", "cats", "αcatα"])),
        (r"^\s+$".to_owned(), words(&[" \t", "\u{85}", "\u{feff}", "\u{a0}\u{2028}", "\u{200b}"])),
        (r"^.$".to_owned(), words(&["a", "\n", "\r", "\u{2028}", "😀"])),
        (r"^[^\d\s]+$".to_owned(), words(&["ab", "a1", "١", "a b"])),
    ];
    let cases_n = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(400);
    let seed: u64 = std::env::var("PROPTEST_RNG_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(7);
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        Config { cases: cases_n, ..Config::default() },
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    );
    let strategy = (pattern(), inputs());
    for _ in 0..cases_n {
        let tree = strategy.new_tree(&mut runner).expect("a case");
        cases.push(tree.current());
    }
    cases
}

#[test]
fn rust_and_node_accept_the_same_strings() {
    let cases = cases();
    let node = node_results(&cases);
    let mut compared = 0;
    let mut refused = 0;
    let mut mismatches = Vec::new();
    for ((p, inputs), js) in cases.iter().zip(&node) {
        let rust = to_rust(p).ok().and_then(|r| regex::Regex::new(&r).ok());
        match (rust, js) {
            (Some(re), Some(js)) => {
                for (s, js) in inputs.iter().zip(js) {
                    compared += 1;
                    if re.is_match(s) != *js {
                        mismatches.push(format!("pattern {p:?} on {s:?}: Rust {}, ECMA-262 {js}", !js));
                    }
                }
            }
            (None, None) => {}
            (Some(_), None) => mismatches.push(format!("pattern {p:?}: Rust runs it, ECMA-262 refuses it")),
            // Refusing is the safe side (the IR reports it), but must stay rare.
            (None, Some(_)) => refused += 1,
        }
    }
    assert!(mismatches.is_empty(), "{} disagreements:\n{}", mismatches.len(), mismatches.join("\n"));
    assert!(compared >= 2000, "only {compared} comparisons");
    assert!(refused * 20 <= cases.len(), "{refused} of {} valid ECMA-262 patterns refused", cases.len());
}

#[test]
fn what_ecma_refuses_is_refused() {
    let refused = ["(?i)abc", "(?P<n>a)", r"\Aabc", r"\pL", "a{,3}", "]", r"\e", "[[:alpha:]]]"];
    let cases: Vec<(String, Vec<String>)> = refused.iter().map(|p| ((*p).to_owned(), Vec::new())).collect();
    for ((p, _), js) in cases.iter().zip(node_results(&cases)) {
        assert_eq!(js, None, "node accepts {p}");
        assert!(to_rust(p).is_err(), "{p} is not ECMA-262 and must be refused");
    }
}
