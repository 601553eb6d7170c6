//! Output for people (tables fitted to the terminal, colour unless `NO_COLOR`) and for
//! scripts (`--json`: one document, or one object per line for lists).

use std::io::Write;

use chrono::{DateTime, Utc};
use comfy_table::{Cell, ContentArrangement, Table, presets};
use console::Term;
use serde::Serialize;

use crate::exit::{CliError, CliResult};

/// Where and how a command prints.
#[derive(Debug, Clone)]
pub struct Output {
    /// `--json`.
    pub json: bool,
    /// The terminal's width, when stdout is one.
    width: Option<u16>,
    /// "Now" for relative times (`MKT_NOW` pins it for tests).
    pub now: DateTime<Utc>,
}

impl Output {
    /// From `--json` and the environment.
    pub fn new(json: bool, now: DateTime<Utc>) -> Self {
        let term = Term::stdout();
        let width = term
            .is_term()
            .then(|| term.size_checked().map(|(_, cols)| cols))
            .flatten();
        Output { json, width, now }
    }

    /// One JSON document (a line).
    pub fn json<T: Serialize>(&self, value: &T) -> CliResult<()> {
        let line = serde_json::to_string(value)
            .map_err(|e| CliError::failure(format!("cannot write JSON: {e}")))?;
        println_out(&line)
    }

    /// A table with `headers`, fitted to the terminal's width.
    pub fn table(&self, headers: &[&str], rows: Vec<Vec<String>>) -> CliResult<()> {
        let mut table = Table::new();
        table.load_style(presets::NOTHING);
        // Plain text in cells: comfy-table without its terminal feature measures escape
        // codes as characters, so colour stays outside tables.
        table.set_header(headers.iter().map(|h| Cell::new(h.to_uppercase())));
        if let Some(width) = self.width {
            table
                .set_width(width)
                .set_content_arrangement(ContentArrangement::Dynamic);
        }
        for row in rows {
            table.add_row(row);
        }
        // comfy-table pads the last column too: trailing spaces trimmed.
        let text: Vec<String> = table
            .lines()
            .map(|line| line.trim_end().to_owned())
            .collect();
        println_out(&text.join("\n"))
    }

    /// A line of text.
    pub fn line(&self, text: &str) -> CliResult<()> {
        println_out(text)
    }
}

/// Writes to stdout; a closed pipe (`mkt inbox | head`) is not an error.
fn println_out(text: &str) -> CliResult<()> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}") {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(CliError::from),
    }
}

/// How long ago `at` was, in the largest unit: `3d 4h`, `5h 2m`, `12m`, `40s`.
pub fn ago(now: DateTime<Utc>, at: DateTime<Utc>) -> String {
    let secs = (now - at).num_seconds();
    if secs < 0 {
        return "in the future".to_owned();
    }
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{secs}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

/// At most `max` characters of `text` on one line, with `…` when cut.
pub fn excerpt(text: &str, max: usize) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &one_line[..i]),
        None => one_line,
    }
}

/// A time as people read it: `2025-12-30 14:05 UTC`.
pub fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn ages_and_excerpts() {
        let now = Utc.with_ymd_and_hms(2026, 1, 10, 12, 0, 0).unwrap();
        assert_eq!(ago(now, now - chrono::Duration::seconds(40)), "40s");
        assert_eq!(ago(now, now - chrono::Duration::minutes(12)), "12m");
        assert_eq!(ago(now, now - chrono::Duration::minutes(302)), "5h 2m");
        assert_eq!(ago(now, now - chrono::Duration::hours(76)), "3d 4h");
        assert_eq!(excerpt("hello\n  world", 20), "hello world");
        assert_eq!(excerpt("héllo world", 4), "héll…");
    }
}
