//! Hostile input never panics the receivers' `verify`: arbitrary bodies and headers,
//! and (so that parsing is reached) arbitrary bodies with a valid METRO signature and
//! JSON shaped like the events, with arbitrary values.

use marketplace_runtime::MetroHmac;
use marketplace_webhooks::metro::MetroReceiver;
use marketplace_webhooks::yandex::YandexReceiver;
use proptest::prelude::*;
use serde_json::{Value, json};

const URL: &str = "https://seller.example.invalid/metro-markets/events";
const KEY: &str = "fake-metro-client-key";
const SECRET: &str = "fake-metro-client-secret";
const NOW: i64 = 1_772_530_260;

fn metro() -> MetroReceiver {
    MetroReceiver::new(URL, KEY, SECRET)
        .unwrap()
        .body_limit(4096)
}

fn yandex() -> YandexReceiver {
    YandexReceiver::new("fake-shop", "1")
        .unwrap()
        .body_limit(4096)
}

/// Header names the receivers read, and some they do not.
fn header_name() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("x-client"),
        Just("x-timestamp"),
        Just("x-signature"),
        Just("content-type"),
        Just("content-length"),
        Just("x-other"),
    ]
}

fn headers() -> impl Strategy<Value = http::HeaderMap> {
    proptest::collection::vec(
        (header_name(), proptest::collection::vec(any::<u8>(), 0..80)),
        0..8,
    )
    .prop_map(|pairs| {
        let mut map = http::HeaderMap::new();
        for (name, value) in pairs {
            // Only bytes an HTTP stack would deliver as a header value.
            if let Ok(value) = http::HeaderValue::from_bytes(&value) {
                map.append(name, value);
            }
        }
        map
    })
}

/// Arbitrary JSON, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,12}".prop_map(Value::from),
        Just(json!("2026-03-03T09:31:00Z")),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("orderId".to_owned()),
                    Just("chatId".to_owned()),
                    Just("businessId".to_owned()),
                    Just("createdAt".to_owned()),
                    Just("trackings".to_owned()),
                    ".{0,6}"
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A METRO envelope with a known or random event and a random payload.
fn metro_body() -> impl Strategy<Value = Vec<u8>> {
    (
        prop_oneof![
            Just("test_connection".to_owned()),
            Just("order_created".to_owned()),
            Just("order_line_shipped".to_owned()),
            Just("order_line_canceled".to_owned()),
            Just("order_line_cancelled".to_owned()),
            ".{0,10}"
        ],
        json_value(),
        json_value(),
        json_value(),
    )
        .prop_map(|(event, message_id, payload, emitted_at)| {
            serde_json::to_vec(&json!({
                "messageId": message_id, "event": event, "payload": payload, "emittedAt": emitted_at
            }))
            .unwrap()
        })
}

/// A Yandex notification of a known or random type with random fields.
fn yandex_body() -> impl Strategy<Value = Vec<u8>> {
    let kinds: Vec<&'static str> = marketplace_webhooks::yandex::types::NotificationType::KNOWN
        .iter()
        .map(|k| k.as_str())
        .collect();
    (
        proptest::sample::select(kinds),
        proptest::collection::btree_map(".{0,10}", json_value(), 0..6),
    )
        .prop_map(|(kind, fields)| {
            let mut object: serde_json::Map<String, Value> = fields.into_iter().collect();
            object.insert("notificationType".into(), Value::from(kind));
            serde_json::to_vec(&object).unwrap()
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_and_headers_never_panic(
        body in proptest::collection::vec(any::<u8>(), 0..6000),
        headers in headers(),
        now in any::<i64>(),
    ) {
        let metro = metro().verify(&headers, &body, now);
        if let Err(rejection) = &metro {
            prop_assert!(rejection.status().is_client_error());
        }
        prop_assert!(metro.is_err(), "nothing passes without a valid signature");
        let yandex = yandex().verify(&headers, &body);
        if let Err(rejection) = &yandex {
            prop_assert!(rejection.status().is_client_error());
            prop_assert!(serde_json::from_slice::<Value>(rejection.body()).is_ok());
        }
    }

    #[test]
    fn signed_metro_envelopes_with_arbitrary_values_never_panic(
        body in metro_body(),
        skew in -400i64..400,
    ) {
        let timestamp = NOW + skew;
        let signature = MetroHmac::new(KEY, SECRET).signature("POST", URL, &body, timestamp);
        let mut headers = http::HeaderMap::new();
        headers.insert("x-client", KEY.parse().unwrap());
        headers.insert("x-timestamp", timestamp.to_string().parse().unwrap());
        headers.insert("x-signature", signature.parse().unwrap());
        match metro().verify(&headers, &body, NOW) {
            Ok(delivery) => prop_assert!(skew.abs() <= 300 && !delivery.message_id.is_empty()),
            Err(rejection) => {
                let status = rejection.status().as_u16();
                prop_assert!(status == 400 || status == 413 || (status == 401 && skew.abs() > 300),
                    "{rejection}");
            }
        }
    }

    #[test]
    fn yandex_notifications_with_arbitrary_values_never_panic(body in yandex_body()) {
        match yandex().verify(&http::HeaderMap::new(), &body) {
            Ok(notification) => {
                // Every decoded notification has a key.
                prop_assert!(notification.dedupe_key().starts_with("yandex|"));
            }
            Err(rejection) => prop_assert!(matches!(rejection.status().as_u16(), 400 | 413)),
        }
    }
}
