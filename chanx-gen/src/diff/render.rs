//! A [`Report`] as text (a terminal, a CI log), Markdown (a pull-request comment) or JSON (a
//! tool). Spec text is escaped for each: [`Untrusted`] in text, [`escape::markdown`] in
//! Markdown, `serde_json` in JSON.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::{Change, Deployed, Part, Report, Verdict, Words, breaks};
use crate::error::Untrusted;
use crate::escape::markdown;
use crate::location::Location;

/// An output format of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// Plain text, one block per change (the default).
    #[default]
    Text,
    /// A Markdown table, for a pull-request comment.
    Markdown,
    /// JSON, for tools.
    Json,
}

/// What the report is about.
pub(super) struct Titles<'a> {
    pub old: &'a str,
    pub new: &'a str,
    pub deployed: Deployed,
}

pub(super) fn render(report: &Report, format: Format, titles: &Titles<'_>) -> String {
    match format {
        Format::Text => text(report, titles),
        Format::Markdown => markdown(report, titles),
        Format::Json => json(report, titles),
    }
}

fn party(d: Deployed) -> &'static str {
    match d {
        Deployed::Clients => "deployed clients",
        Deployed::Servers => "deployed servers",
        Deployed::Both => "deployed clients or servers",
    }
}

fn counts(report: &Report) -> String {
    let n = report.changes.len();
    format!(
        "{n} change{}: {} break{} deployed clients, {} break{} deployed servers, {} safe",
        if n == 1 { "" } else { "s" },
        report.breaking_clients(),
        if report.breaking_clients() == 1 { "s" } else { "" },
        report.breaking_servers(),
        if report.breaking_servers() == 1 { "s" } else { "" },
        report.safe()
    )
}

/// The last line: the gate's decision.
fn conclusion(report: &Report, deployed: Deployed) -> String {
    let n = report.changes.iter().filter(|c| breaks(c.verdict, deployed)).count();
    if n > 0 {
        format!(
            "{n} change{} break{} {}",
            if n == 1 { "" } else { "s" },
            if n == 1 { "s" } else { "" },
            party(deployed)
        )
    } else {
        format!("no change breaks {}", party(deployed))
    }
}

fn words_text(w: &Words) -> String {
    let mut out = String::new();
    for p in &w.0 {
        match p {
            Part::Text(t) => out.push_str(t),
            Part::Code(c) => {
                let _ = write!(out, "`{}`", Untrusted(c));
            }
        }
    }
    out
}

fn words_markdown(w: &Words) -> String {
    let mut out = String::new();
    for p in &w.0 {
        match p {
            // Our own words: backticks mark keywords.
            Part::Text(t) => out.push_str(t),
            Part::Code(c) => out.push_str(&markdown::code(c)),
        }
    }
    out
}

/// `channel / message (direction)` as text.
fn subject_text(c: &Change) -> String {
    let mut s = String::new();
    if let Some(ch) = &c.channel {
        let _ = write!(s, "{}", Untrusted(ch));
    }
    if let Some(m) = &c.message {
        let _ = write!(s, " / {}", Untrusted(m));
    }
    if s.is_empty() {
        s.push_str("document");
    } else {
        let _ = write!(s, " ({})", c.flow.as_str());
    }
    if !c.path.is_empty() {
        let _ = write!(s, " at {}", Untrusted(&c.path));
    }
    s
}

fn text(report: &Report, t: &Titles<'_>) -> String {
    let mut out = format!("chanx-gen diff {} → {}: {}\n", Untrusted(t.old), Untrusted(t.new), counts(report));
    for c in &report.changes {
        let _ = writeln!(out, "\n{}: {}", c.verdict.as_str(), subject_text(c));
        let _ = writeln!(out, "  {} ({})", words_text(&c.what), c.effect.as_str());
        if let Some(loc) = c.location() {
            let _ = writeln!(out, "  --> {loc}");
        }
    }
    let _ = writeln!(out, "\n{}", conclusion(report, t.deployed));
    out
}

fn mark(verdict: Verdict, deployed: Deployed) -> &'static str {
    if breaks(verdict, deployed) {
        "❌"
    } else if verdict == Verdict::Safe {
        "✅"
    } else {
        "⚠️"
    }
}

fn location_markdown(loc: Option<&Location>) -> String {
    loc.map_or_else(String::new, |l| {
        let at = markdown::code(&format!("{}#{}", l.file, l.pointer));
        match l.line {
            Some(n) => format!("{at} (line {n})"),
            None => at,
        }
    })
}

fn opt_code(s: &Option<String>) -> String {
    s.as_deref().map_or_else(String::new, markdown::code)
}

fn markdown(report: &Report, t: &Titles<'_>) -> String {
    let icon = if report.breaking(t.deployed) { "❌" } else { "✅" };
    let mut out = format!("### {icon} chanx-gen diff: {}\n\n", conclusion(report, t.deployed));
    let _ = writeln!(out, "{} → {}: {}.", markdown::code(t.old), markdown::code(t.new), counts(report));
    if report.changes.is_empty() {
        return out;
    }
    out.push_str("\n| | Verdict | Channel | Message | Direction | In the frame | Change | Where |\n");
    out.push_str("|---|---|---|---|---|---|---|---|\n");
    for c in &report.changes {
        let path = if c.path.is_empty() { String::new() } else { markdown::code(&c.path) };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} ({}) | {} |",
            mark(c.verdict, t.deployed),
            c.verdict.as_str(),
            opt_code(&c.channel),
            opt_code(&c.message),
            c.flow.as_str(),
            path,
            words_markdown(&c.what),
            c.effect.as_str(),
            location_markdown(c.location()),
        );
    }
    out
}

fn location_json(loc: &Option<Location>) -> Value {
    match loc {
        Some(l) => json!({ "file": l.file, "pointer": l.pointer, "line": l.line }),
        None => Value::Null,
    }
}

fn json(report: &Report, t: &Titles<'_>) -> String {
    let changes: Vec<Value> = report
        .changes
        .iter()
        .map(|c| {
            json!({
                "verdict": c.verdict.id(),
                "effect": c.effect.as_str(),
                "channel": c.channel,
                "message": c.message,
                "direction": c.flow.id(),
                "path": c.path,
                "what": c.what.to_string(),
                "old": location_json(&c.old),
                "new": location_json(&c.new),
            })
        })
        .collect();
    let deployed = match t.deployed {
        Deployed::Clients => "clients",
        Deployed::Servers => "servers",
        Deployed::Both => "both",
    };
    let doc = json!({
        "old": t.old,
        "new": t.new,
        "deployed": deployed,
        "breaking": report.breaking(t.deployed),
        "summary": {
            "changes": report.changes.len(),
            "breaks_clients": report.breaking_clients(),
            "breaks_servers": report.breaking_servers(),
            "safe": report.safe(),
        },
        "changes": changes,
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
