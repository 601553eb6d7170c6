//! Thread-id and message-id text forms: round trips, shell safety, hostile input.

use chrono::{TimeZone, Utc};
use marketplace_inbox_store::{IdError, Marketplace, MessageId, ThreadId, VendorThread};
use proptest::prelude::*;

fn vendor() -> impl Strategy<Value = VendorThread> {
    prop_oneof![
        any::<i64>().prop_map(|order_id| VendorThread::Lectronz { order_id }),
        ".+".prop_map(|chat_id| VendorThread::Metro { chat_id }),
        (".+", ".+").prop_map(|(code, parts)| VendorThread::Skyhub { code, parts }),
        (1..=i64::MAX, 1..=i64::MAX).prop_map(|(business_id, chat_id)| VendorThread::Yandex {
            business_id,
            chat_id
        }),
    ]
}

proptest! {
    /// Any thread id (any Unicode in its text parts) prints to a text that parses back to
    /// it, uses only shell-safe characters, and prints identically again.
    #[test]
    fn thread_id_text_round_trips_and_is_shell_safe(account in ".+", vendor in vendor()) {
        let id = ThreadId::new(account, vendor).unwrap();
        let text = id.to_string();
        prop_assert!(
            text.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._%:".contains(&b)),
            "not shell-safe: {text}"
        );
        let back: ThreadId = text.parse().unwrap();
        prop_assert_eq!(&back, &id);
        prop_assert_eq!(back.to_string(), text.clone());
        // JSON carries the same text form.
        let json = serde_json::to_value(&id).unwrap();
        prop_assert_eq!(json.as_str(), Some(text.as_str()));
        prop_assert_eq!(serde_json::from_value::<ThreadId>(json).unwrap(), id);
    }

    /// Arbitrary text never panics the parser: it parses or names what is wrong.
    #[test]
    fn thread_id_parser_never_panics(text in ".*") {
        match text.parse::<ThreadId>() {
            Ok(id) => { let _ = id.to_string(); }
            Err(e) => prop_assert!(e.to_string().starts_with("thread id: ")),
        }
    }

    /// Synthetic ids: deterministic, different for any differing field, and parseable.
    #[test]
    fn synthetic_ids_are_deterministic_and_distinct(
        text in ".*", other in ".*", secs in 0i64..4_000_000_000, n in 0u32..5,
    ) {
        let thread: ThreadId = "skyhub:acme:Lojas%20Americanas-1:CUSTOMER_SELLER".parse().unwrap();
        let at = Utc.timestamp_opt(secs, 0).unwrap();
        let a = MessageId::synthetic(&thread, at, "CUSTOMER", &text, n);
        prop_assert_eq!(&a, &MessageId::synthetic(&thread, at, "CUSTOMER", &text, n));
        prop_assert_ne!(&a, &MessageId::synthetic(&thread, at, "CUSTOMER", &text, n + 1));
        if other != text {
            prop_assert_ne!(&a, &MessageId::synthetic(&thread, at, "CUSTOMER", &other, n));
        }
        prop_assert_eq!(a.to_string().parse::<MessageId>().unwrap(), a);
    }
}

#[test]
fn documented_examples_parse() {
    let cases = [
        ("lectronz:acme:42", VendorThread::Lectronz { order_id: 42 }),
        (
            "metro:acme:9fd9e513-8284-4764-91f8-f4a818f2d549",
            VendorThread::Metro {
                chat_id: "9fd9e513-8284-4764-91f8-f4a818f2d549".into(),
            },
        ),
        (
            "skyhub:acme:Lojas%20Americanas-9999900001:B2W_SELLER",
            VendorThread::Skyhub {
                code: "Lojas Americanas-9999900001".into(),
                parts: "B2W_SELLER".into(),
            },
        ),
        (
            "yandex:acme:12345:678",
            VendorThread::Yandex {
                business_id: 12345,
                chat_id: 678,
            },
        ),
    ];
    for (text, vendor) in cases {
        let id: ThreadId = text.parse().unwrap();
        assert_eq!(id.vendor, vendor, "{text}");
        assert_eq!(id.account, "acme");
        assert_eq!(id.marketplace(), vendor.marketplace());
        assert_eq!(id.to_string(), text);
    }
}

#[test]
fn account_with_colon_space_and_tilde_is_encoded() {
    let id = ThreadId::new("~me: shop", VendorThread::Lectronz { order_id: 7 }).unwrap();
    assert_eq!(id.to_string(), "lectronz:%7Eme%3A%20shop:7");
}

#[test]
fn bad_thread_ids_name_what_is_wrong() {
    let cases: &[(&str, IdError)] = &[
        ("ebay:acme:1", IdError::UnknownMarketplace("ebay".into())),
        ("", IdError::UnknownMarketplace(String::new())),
        (
            "metro:acme",
            IdError::Parts {
                marketplace: Marketplace::Metro,
                expected: 3,
                found: 2,
            },
        ),
        (
            "skyhub:acme:Lojas%20Americanas-1",
            IdError::Parts {
                marketplace: Marketplace::Skyhub,
                expected: 4,
                found: 3,
            },
        ),
        ("metro::abc", IdError::Empty("account")),
        (
            "metro:acme:%",
            IdError::Escape {
                what: "METRO chat id",
                found: "%".into(),
            },
        ),
        (
            "metro:acme:%zz",
            IdError::Escape {
                what: "METRO chat id",
                found: "%zz".into(),
            },
        ),
        (
            "metro:acme:%FF",
            IdError::Utf8 {
                what: "METRO chat id",
                found: "%FF".into(),
            },
        ),
        (
            "skyhub:acme:Lojas Americanas-1:CUSTOMER_SELLER",
            IdError::Character {
                what: "SkyHub ticket code",
                found: "Lojas Americanas-1".into(),
            },
        ),
        (
            "yandex:acme:0:5",
            IdError::NotPositive {
                what: "Yandex business id",
                found: "0".into(),
            },
        ),
        (
            "yandex:acme:1:-5",
            IdError::NotPositive {
                what: "Yandex chat id",
                found: "-5".into(),
            },
        ),
        (
            "yandex:acme:1:99999999999999999999",
            IdError::NotPositive {
                what: "Yandex chat id",
                found: "99999999999999999999".into(),
            },
        ),
        (
            "lectronz:acme:x1",
            IdError::NotInteger {
                what: "Lectronz order id",
                found: "x1".into(),
            },
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(text.parse::<ThreadId>().as_ref(), Err(expected), "{text:?}");
    }
    // Quoted input is bounded.
    let long = format!("metro:acme:{}", "é".repeat(10_000));
    let message = long.parse::<ThreadId>().unwrap_err().to_string();
    assert!(message.len() < 300, "{message}");
}

#[test]
fn bad_message_ids_are_errors() {
    for text in ["", "v:", "x:1", "s:abc", &format!("s:{}", "G".repeat(64))] {
        assert!(
            matches!(text.parse::<MessageId>(), Err(IdError::MessageId(_))),
            "{text:?}"
        );
    }
    assert_eq!(
        "v:123".parse::<MessageId>().unwrap().vendor_id(),
        Some("123")
    );
    assert!(serde_json::from_str::<MessageId>("\"nope\"").is_err());
}

#[test]
fn json_schema_describes_thread_ids_as_strings() {
    let schema =
        serde_json::to_value(schemars::schema_for!(marketplace_inbox_store::Message)).unwrap();
    let thread = &schema["definitions"]["ThreadId"];
    assert_eq!(thread["type"], "string");
    let pattern = thread["pattern"].as_str().unwrap();
    assert!(pattern.contains("skyhub|yandex"), "{pattern}");
}
