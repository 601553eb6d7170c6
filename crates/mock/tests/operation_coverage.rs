//! Every operation of every client spec is served by the mock: a request to each
//! (path parameters filled in) must reach one of the mock's routes, not its "no such
//! route" fallback (`UNROUTED_HEADER`).
mod common;

use marketplace_codegen::lint::operations;
use marketplace_mock::UNROUTED_HEADER;
use marketplace_spec_check::{spec_names, workspace_root};
use reqwest::Method;
use serde_json::Value;

/// Specs of webhook deliveries: the marketplace calls the seller, so they are pushed
/// by the mock, not served by it.
const DELIVERY_SPECS: &[&str] = &["metro-events", "yandex-market-notifications"];

fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value["$ref"].as_str().and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => doc.pointer(pointer).expect("local $ref resolves"),
        None => value,
    }
}

/// A value for a path parameter that the route accepts: the first documented enum
/// value, else `1`.
fn sample(doc: &Value, parameter: &Value) -> String {
    let schema = resolve(doc, &parameter["schema"]);
    schema["enum"][0]
        .as_str()
        .map_or_else(|| "1".to_owned(), str::to_owned)
}

#[tokio::test]
async fn every_operation_of_the_served_specs_is_routed() {
    let mock = common::small_mock().await;
    let served = common::served(&mock);

    let mut accounted: Vec<&str> = served.iter().map(|(spec, _)| *spec).collect();
    accounted.extend(DELIVERY_SPECS);
    accounted.sort();
    assert_eq!(
        accounted,
        spec_names(&workspace_root()),
        "every spec is served, or a delivery spec"
    );

    let http = reqwest::Client::new();
    let mut unserved = Vec::new();
    let mut count = 0;
    for (name, base_url) in &served {
        let spec = common::load_spec(name);
        let doc = &spec.document;
        for op in operations(doc) {
            let mut path = op.path.to_owned();
            for (parameter, _) in op.parameters(doc) {
                if parameter["in"] == "path" {
                    let name = parameter["name"].as_str().unwrap();
                    path = path.replace(&format!("{{{name}}}"), &sample(doc, parameter));
                }
            }
            let method = Method::from_bytes(op.method.to_uppercase().as_bytes()).unwrap();
            let response = http
                .request(method, format!("{base_url}{path}"))
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .expect("the mock answers");
            count += 1;
            if response.headers().contains_key(UNROUTED_HEADER) {
                unserved.push(format!("{name}: {} ({} {})", op.id(), op.method, op.path));
            }
        }
    }
    assert!(unserved.is_empty(), "not served:\n{}", unserved.join("\n"));
    // Lectronz 4 + SkyHub SAC 4 + Yandex Market chats 7 + METRO Message Center 9 +
    // METRO Subscriptions 4.
    assert_eq!(count, 28);
}

#[tokio::test]
async fn an_unknown_route_is_reported_unrouted() {
    // The marker the coverage test relies on is really set by the fallbacks.
    let mock = common::small_mock().await;
    let http = reqwest::Client::new();
    for url in [
        format!("{}/orders", mock.lectronz().api_url),
        format!("{}/sac/x/y/z", mock.skyhub().base_url),
        format!("{}/v2/businesses/1/orders", mock.yandex().base_url),
        format!("{}/openapi/v1/orders", mock.metro().message_center_url),
        format!("{}/openapi/v1/chats", mock.metro().subscriptions_url),
    ] {
        let response = http.get(url).send().await.unwrap();
        assert!(response.headers().contains_key(UNROUTED_HEADER));
    }
    let response = http
        .delete(format!("{}/messages/1", mock.lectronz().api_url))
        .send()
        .await
        .unwrap();
    assert!(response.headers().contains_key(UNROUTED_HEADER));
}
