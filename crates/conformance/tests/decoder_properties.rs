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

/// Number of nodes of `value` (itself and everything inside it).
fn count_nodes(value: &Value) -> usize {
    1 + match value {
        Value::Array(items) => items.iter().map(count_nodes).sum(),
        Value::Object(map) => map.values().map(count_nodes).sum(),
        _ => 0,
    }
}

/// `value` with its `index`-th node (pre-order, wrapping around the node count)
/// replaced by `new`, or by `[new]` where `new` equals that node, so the result
/// always differs from `value`.
fn replace_node(value: &Value, index: usize, new: &Value) -> Value {
    fn walk(node: &mut Value, index: &mut usize, new: &Value) -> bool {
        if *index == 0 {
            *node = if node == new {
                Value::Array(vec![new.clone()])
            } else {
                new.clone()
            };
            return true;
        }
        *index -= 1;
        match node {
            Value::Array(items) => items.iter_mut().any(|v| walk(v, index, new)),
            Value::Object(map) => map.values_mut().any(|v| walk(v, index, new)),
            _ => false,
        }
    }
    let mut mutated = value.clone();
    let mut index = index % count_nodes(value);
    assert!(walk(&mut mutated, &mut index, new), "the index wraps");
    mutated
}

#[test]
fn replace_node_replaces_exactly_the_chosen_node_and_wraps() {
    let body = serde_json::json!({"a": [1, 2], "b": {"c": null}});
    // Pre-order: the root, "a", 1, 2, "b", "c" (6 nodes); 6 + 2 wraps to 1.
    assert_eq!(count_nodes(&body), 6);
    assert_eq!(
        replace_node(&body, 6 + 2, &Value::from("x")),
        serde_json::json!({"a": ["x", 2], "b": {"c": null}})
    );
    assert_eq!(
        replace_node(&body, 5, &Value::Null),
        serde_json::json!({"a": [1, 2], "b": {"c": [null]}}),
        "a replacement equal to the node is wrapped, so the body still changes"
    );
    assert_eq!(
        replace_node(&body, 0, &Value::Bool(true)),
        Value::Bool(true)
    );
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
    fn mutated_recorded_bodies_never_panic(pick in any::<prop::sample::Index>(), node in any::<usize>(), new in json()) {
        let bodies = recorded_bodies();
        prop_assert!(!bodies.is_empty(), "no recorded bodies");
        let original = &bodies[pick.index(bodies.len())];
        let body = replace_node(original, node, &new);
        prop_assert_ne!(&body, original);
        every_decoder(&serde_json::to_vec(&body).unwrap());
    }
}

/// Every recorded body decodes as the type its own operation documents for the
/// recorded status (not merely as some type of the spec, which a type accepting
/// any object would always satisfy), so the properties above exercise real
/// decoding paths and a type that stops fitting its recorded bodies fails here.
#[test]
fn every_recorded_body_decodes_as_its_operations_response_type() {
    for marketplace in MARKETPLACES {
        let mut decoded = 0;
        for file in fixture_files(marketplace.name) {
            let response = file.load().unwrap().response;
            let Some(body) = response.body else {
                continue;
            };
            let at = format!(
                "{}: `{}` answering {}",
                file.display(),
                file.operation,
                response.status
            );
            match (marketplace.decode_response)(
                &file.operation,
                response.status,
                &serde_json::to_vec(&body).unwrap(),
            ) {
                Some(Ok(())) => decoded += 1,
                Some(Err(reason)) => panic!("{at}: does not decode: {reason}"),
                None => panic!("{at}: the spec documents no JSON body for it"),
            }
        }
        assert!(
            decoded > 0,
            "{}: no recorded body decoded",
            marketplace.name
        );
    }
}
