//! Scrubbing a captured exchange by rule, never by hand: the marketplace's address
//! becomes the spec's, every time moves by one offset so that the recording happens
//! at the rules' `now`, personal data becomes stable placeholders, and a signed
//! request is signed again over what it now says.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime};
use serde_json::Value;

use crate::rules::{Kind, PersonalData};

/// What scrubbing changed, for the person recording.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Seconds every time was moved by (the rules' `now` minus the recording time).
    pub shift_seconds: i64,
    /// How many times were moved.
    pub times_shifted: usize,
    /// How many strings named the marketplace's address (now the spec's server).
    pub addresses_rewritten: usize,
    /// Distinct values replaced, per kind.
    pub placeholders: BTreeMap<Kind, usize>,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} time(s) moved by {} s, the marketplace's address rewritten in {} value(s)",
            self.times_shifted, self.shift_seconds, self.addresses_rewritten
        )?;
        for (kind, count) in &self.placeholders {
            write!(f, ", {count} {kind:?} value(s) replaced")?;
        }
        Ok(())
    }
}

/// Writes `from` (the live base URL's origin) as `to` (the spec's server origin)
/// wherever a string of the exchange names it: links and cursor URLs in bodies, a
/// `Location` header. Returns the number of strings changed.
pub fn rewrite_origin(fixture: &mut Value, from: &str, to: &str) -> usize {
    let mut changed = 0;
    let parts = [
        QUERY,
        REQUEST_BODY,
        RESPONSE_HEADERS,
        RESPONSE_BODY,
        "/response/raw_body",
    ];
    visit_parts(fixture, &parts, &mut |_, text| {
        if let Some(rewritten) = replace_origin(text, from, to) {
            *text = rewritten;
            changed += 1;
        }
    });
    changed
}

const QUERY: &str = "/request/query";
const REQUEST_BODY: &str = "/request/body";
const RESPONSE_HEADERS: &str = "/response/headers";
const RESPONSE_BODY: &str = "/response/body";

/// [`visit_strings`] under each of `parts` (JSON pointers into the fixture) there is.
fn visit_parts(fixture: &mut Value, parts: &[&str], f: &mut impl FnMut(&[String], &mut String)) {
    for part in parts {
        if let Some(value) = fixture.pointer_mut(part) {
            visit_strings(value, &mut Vec::new(), f);
        }
    }
}

/// `text` with every occurrence of the origin `from` that ends there (at the end,
/// or before `/`, `?` or `#`: `…:4000` is not in `…:40001`) written as `to`.
fn replace_origin(text: &str, from: &str, to: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut found = false;
    while let Some(at) = rest.find(from) {
        let after = &rest[at + from.len()..];
        let whole = after.is_empty() || after.starts_with(['/', '?', '#']);
        out.push_str(&rest[..at]);
        out.push_str(if whole { to } else { from });
        found |= whole;
        rest = after;
    }
    out.push_str(rest);
    found.then_some(out)
}

/// Moves every date and time in the query, the bodies and the response headers by
/// `seconds` (order and distances kept; the text keeps its form: offset, `T` or
/// space, fraction digits, HTTP date). Returns the number moved.
pub fn shift_times(fixture: &mut Value, seconds: i64) -> usize {
    let mut shifted = 0;
    let parts = [QUERY, REQUEST_BODY, RESPONSE_HEADERS, RESPONSE_BODY];
    visit_parts(fixture, &parts, &mut |_, text| {
        if let Some(moved) = shift_time(text, seconds) {
            *text = moved;
            shifted += 1;
        }
    });
    shifted
}

/// `text` moved by `seconds` if it is a date-time (RFC 3339, or without an offset,
/// with `T` or a space), a date (moved with the instant its midnight moves to) or an
/// HTTP / RFC 2822 date (`Tue, 01 Dec 2026 17:37:50 GMT`).
pub fn shift_time(text: &str, seconds: i64) -> Option<String> {
    let by = Duration::seconds(seconds);
    if let Ok(parsed) = DateTime::parse_from_rfc2822(text) {
        let moved = parsed.checked_add_signed(by)?;
        return Some(match text.strip_suffix(" GMT") {
            Some(_) => moved.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
            None => moved.to_rfc2822(),
        });
    }
    let bytes = text.as_bytes();
    let looks_like_date = bytes.len() >= 10
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && bytes[7] == b'-';
    if !looks_like_date {
        return None;
    }
    if bytes.len() == 10 {
        let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
        let moved = date.and_hms_opt(0, 0, 0)?.checked_add_signed(by)?;
        return Some(moved.format("%Y-%m-%d").to_string());
    }
    // Date, separator, time, then an optional fraction and an optional offset.
    let separator = *bytes.get(10)? as char;
    if bytes.len() < 19 || !matches!(separator, 'T' | 't' | ' ') {
        return None;
    }
    let fraction_digits = text[19..].strip_prefix('.').map_or(0, |rest| {
        rest.bytes().take_while(u8::is_ascii_digit).count()
    });
    let tail_at = 19
        + if fraction_digits > 0 {
            1 + fraction_digits
        } else {
            0
        };
    let offset = &text[tail_at..];
    let (date, time, nanos) = if offset.is_empty() {
        let format = if separator == ' ' {
            "%Y-%m-%d %H:%M:%S%.f"
        } else {
            "%Y-%m-%dT%H:%M:%S%.f"
        };
        let parsed = NaiveDateTime::parse_from_str(&text.replacen('t', "T", 1), format).ok()?;
        let moved = parsed.checked_add_signed(by)?;
        (
            moved.date(),
            moved.time(),
            moved.and_utc().timestamp_subsec_nanos(),
        )
    } else {
        let normalized = format!("{}T{}", &text[..10], &text[11..]);
        let parsed: DateTime<FixedOffset> = DateTime::parse_from_rfc3339(&normalized).ok()?;
        let moved = parsed.checked_add_signed(by)?;
        (
            moved.date_naive(),
            moved.time(),
            moved.timestamp_subsec_nanos(),
        )
    };
    let fraction = if fraction_digits > 0 {
        let digits = format!("{nanos:09}");
        format!(".{}", &digits[..fraction_digits.min(9)])
    } else {
        String::new()
    };
    Some(format!(
        "{}{separator}{}{fraction}{offset}",
        date.format("%Y-%m-%d"),
        time.format("%H:%M:%S"),
    ))
}

/// Stable placeholders: the same value of the same kind gets the same placeholder
/// everywhere in a fixture, numbered in order of first appearance.
#[derive(Default)]
pub struct Placeholders {
    given: HashMap<(Kind, String), String>,
    counts: BTreeMap<Kind, usize>,
}

impl Placeholders {
    /// The placeholder for `value`.
    pub fn for_value(&mut self, kind: Kind, value: &str) -> String {
        if let Some(given) = self.given.get(&(kind, value.to_owned())) {
            return given.clone();
        }
        let n = self.counts.entry(kind).or_default();
        *n += 1;
        let placeholder = kind.placeholder(*n);
        self.given
            .insert((kind, value.to_owned()), placeholder.clone());
        placeholder
    }

    /// Distinct values replaced, per kind.
    pub fn counts(&self) -> BTreeMap<Kind, usize> {
        self.counts.clone()
    }
}

/// Replaces the personal data `rules` name in the query and both bodies: every
/// string at a matching path, and every string of an array at one. Returns the
/// placeholders given.
pub fn personal_data(fixture: &mut Value, rules: &PersonalData) -> Placeholders {
    let mut placeholders = Placeholders::default();
    visit_parts(
        fixture,
        &[QUERY, REQUEST_BODY, RESPONSE_BODY],
        &mut |path, text| {
            let in_array = path
                .last()
                .is_some_and(|key| key.bytes().all(|b| b.is_ascii_digit()));
            let kind = rules.rules().find_map(|(kind, rule)| {
                let matches =
                    rule.matches(path) || (in_array && rule.matches(&path[..path.len() - 1]));
                matches.then_some(kind)
            });
            if let Some(kind) = kind {
                *text = placeholders.for_value(kind, text);
            }
        },
    );
    placeholders
}

/// Calls `f` with the path (keys and array indices) and the text of every string
/// inside `value`, which may change it.
pub fn visit_strings(
    value: &mut Value,
    path: &mut Vec<String>,
    f: &mut impl FnMut(&[String], &mut String),
) {
    match value {
        Value::String(text) => f(path, text),
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                path.push(i.to_string());
                visit_strings(item, path, f);
                path.pop();
            }
        }
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                path.push(key.clone());
                visit_strings(item, path, f);
                path.pop();
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::rules::FieldPath;

    #[test]
    fn times_move_by_the_offset_and_keep_their_form() {
        let day = 86_400;
        for (before, after) in [
            ("2025-06-24T15:39:00Z", "2025-06-25T15:39:00Z"),
            (
                "2025-06-24T15:39:00.120+03:00",
                "2025-06-25T15:39:00.120+03:00",
            ),
            (
                "2025-06-24T15:39:00.123456789-03:00",
                "2025-06-25T15:39:00.123456789-03:00",
            ),
            ("2025-06-24T15:39:00", "2025-06-25T15:39:00"),
            ("2025-06-24 15:39:00", "2025-06-25 15:39:00"),
            ("2025-12-31", "2026-01-01"),
            (
                "Tue, 01 Dec 2026 17:37:50 GMT",
                "Wed, 02 Dec 2026 17:37:50 GMT",
            ),
            (
                "Tue, 1 Dec 2026 17:37:50 +0300",
                "Wed, 2 Dec 2026 17:37:50 +0300",
            ),
        ] {
            assert_eq!(shift_time(before, day).as_deref(), Some(after), "{before}");
        }
        assert_eq!(
            shift_time("2025-06-24T23:59:59Z", 1).as_deref(),
            Some("2025-06-25T00:00:00Z")
        );
        // A date moves with its midnight: back 1.5 days is two calendar days back.
        assert_eq!(
            shift_time("2025-06-24", -day - day / 2).as_deref(),
            Some("2025-06-22")
        );
        for not_a_time in [
            "O25-12345678910",
            "2025-06-24T15:39",
            "2025-13-01",
            "2025-06-24 is a date",
            "Lojas Americanas-9999900001",
            "120",
            "",
        ] {
            assert_eq!(shift_time(not_a_time, day), None, "{not_a_time}");
        }
    }

    #[test]
    fn shifting_keeps_the_order_and_the_distances() {
        let mut fixture = json!({"response": {"body": {"messages": [
            {"created_at": "2025-06-24T15:39:00Z"},
            {"created_at": "2025-06-24T17:01:00Z"},
        ], "other": 17}}});
        let moved = shift_times(&mut fixture, -1_000_000);
        assert_eq!(moved, 2);
        let at = |i: usize| {
            DateTime::parse_from_rfc3339(
                fixture["response"]["body"]["messages"][i]["created_at"]
                    .as_str()
                    .unwrap(),
            )
            .unwrap()
        };
        assert_eq!((at(1) - at(0)).num_minutes(), 82);
        assert_eq!(at(0).to_rfc3339(), "2025-06-13T01:52:20+00:00");
    }

    fn rules(text: &[&str], names: &[&str], emails: &[&str]) -> PersonalData {
        let paths = |list: &[&str]| {
            list.iter()
                .map(|p| FieldPath::try_from((*p).to_owned()).unwrap())
                .collect()
        };
        PersonalData {
            names: paths(names),
            emails: paths(emails),
            phones: Vec::new(),
            text: paths(text),
        }
    }

    #[test]
    fn personal_data_becomes_stable_placeholders() {
        let mut fixture = json!({
            "request": {"query": {"email": "a@shop.example"}, "body": {"message": "hello"}},
            "response": {"body": {"messages": [
                {"content": "first", "part": {"name": "Bruno Lima", "email": "b@mail.example"}},
                {"content": "second", "part": {"name": "Bruno Lima", "email": "b@mail.example"}},
                {"content": "third", "part": {"name": "Ana", "role": "CUSTOMER"}},
            ], "emails": ["c@mail.example", "b@mail.example"], "error": {"message": "kept"}}},
        });
        let placeholders = personal_data(
            &mut fixture,
            &rules(
                &["messages/*/content", "/message"],
                &["part/name"],
                &["email", "emails"],
            ),
        );
        assert_eq!(
            fixture["request"]["query"]["email"],
            "person-1@example.invalid"
        );
        assert_eq!(fixture["request"]["body"]["message"], "Text 1");
        let messages = &fixture["response"]["body"]["messages"];
        assert_eq!(messages[0]["content"], "Text 2");
        assert_eq!(messages[2]["content"], "Text 4");
        assert_eq!(messages[0]["part"]["name"], "Person 1");
        assert_eq!(messages[1]["part"]["name"], "Person 1");
        assert_eq!(messages[2]["part"]["name"], "Person 2");
        // Numbered in the order met (object keys in name order: `emails` first).
        assert_eq!(messages[1]["part"]["email"], "person-3@example.invalid");
        assert_eq!(messages[2]["part"]["role"], "CUSTOMER");
        assert_eq!(
            fixture["response"]["body"]["emails"],
            json!(["person-2@example.invalid", "person-3@example.invalid"])
        );
        assert_eq!(fixture["response"]["body"]["error"]["message"], "kept");
        assert_eq!(
            placeholders.counts(),
            BTreeMap::from([(Kind::Name, 2), (Kind::Email, 3), (Kind::Text, 4)])
        );
    }

    #[test]
    fn the_marketplace_address_becomes_the_specs() {
        let mut fixture = json!({
            "request": {"path": "/sac", "headers": {"accept": "application/json"}},
            "response": {"headers": {"location": "http://127.0.0.1:4000/sac?cursor=x"},
                "body": {"next_page": "http://127.0.0.1:4000/sac?cursor=y", "code": "http://127.0.0.1:40001"}},
        });
        let changed = rewrite_origin(
            &mut fixture,
            "http://127.0.0.1:4000",
            "https://api.skyhub.com.br",
        );
        assert_eq!(changed, 2);
        assert_eq!(
            fixture["response"]["body"]["code"],
            "http://127.0.0.1:40001"
        );
        assert_eq!(
            fixture["response"]["body"]["next_page"],
            "https://api.skyhub.com.br/sac?cursor=y"
        );
        assert_eq!(
            fixture["response"]["headers"]["location"],
            "https://api.skyhub.com.br/sac?cursor=x"
        );
    }
}
