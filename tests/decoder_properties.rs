//! Bounded property tests over the response decoders of every client (the same
//! entry point the `fuzz/` target uses): no input may make decoding panic.
//! Inputs: arbitrary bytes, arbitrary JSON documents, and recorded response bodies
//! with one node replaced by arbitrary JSON (close to real traffic, so the decoders
//! get deep into the types).

use marketplace_conformance::{MARKETPLACES, fixture_files};
use proptest::prelude::*;
use serde_json::Value;

fn every_decoder(body: &[u8]) {
    for marketplace in MARKETPLACES {
        (marketplace.decode)(body);
    }
}

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[a-zA-Z0-9_ .:+-]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,10}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every recorded response body of every spec.
fn recorded_bodies() -> Vec<Value> {
    MARKETPLACES
        .iter()
        .flat_map(|m| fixture_files(m.name))
        .filter_map(|file| file.load().ok()?.response.body)
        .collect()
}

/// Replaces the `index`-th node (pre-order, wrapping) of `value` by `new`.
fn replace_node(value: &mut Value, index: &mut usize, new: &Value) -> bool {
    if *index == 0 {
        *value = new.clone();
        return true;
    }
    *index -= 1;
    match value {
        Value::Array(items) => items.iter_mut().any(|v| replace_node(v, index, new)),
        Value::Object(map) => map.values_mut().any(|v| replace_node(v, index, new)),
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
        every_decoder(&body);
    }

    #[test]
    fn arbitrary_json_never_panics(document in json()) {
        every_decoder(&serde_json::to_vec(&document).unwrap());
    }

    #[test]
    fn mutated_recorded_bodies_never_panic(pick in any::<prop::sample::Index>(), node in 0usize..64, new in json()) {
        let bodies = recorded_bodies();
        prop_assume!(!bodies.is_empty());
        let mut body = bodies[pick.index(bodies.len())].clone();
        let mut index = node;
        replace_node(&mut body, &mut index, &new);
        every_decoder(&serde_json::to_vec(&body).unwrap());
    }
}

/// The recorded bodies themselves decode as at least one response type each, so
/// the properties above exercise real decoding paths, not just early rejections.
#[test]
fn every_recorded_body_decodes_as_some_response_type() {
    for marketplace in MARKETPLACES {
        for file in fixture_files(marketplace.name) {
            let Some(body) = file.load().unwrap().response.body else {
                continue;
            };
            let accepted = (marketplace.decode)(&serde_json::to_vec(&body).unwrap());
            assert!(
                accepted > 0,
                "{}: no response type of {} accepts it",
                file.display(),
                marketplace.name
            );
        }
    }
}
