//! METRO Markets Message Center side of the benchmarks: signed calls against the
//! hand-written signing baseline, and the cost of signing itself.

use std::collections::HashMap;
use std::fmt::Write;
use std::hint::black_box;
use std::num::NonZeroU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use marketplace_metro_message_center::{Auth, Client, ClientBuilder, MetroHmac, types};
use marketplace_runtime::Authenticate;
use serde_json::json;

use crate::{baseline, baseline_http, compare, percentiles};

const CLIENT_ID: &str = "fake-bench-metro-client-id";
const CLIENT_SECRET: &str = "fake-bench-metro-client-secret";
const CHAT_ID: &str = "9fc8aac4-6fce-43f2-b230-0b372097729b";
const MESSAGES_PATH: &str = "/openapi/v1/chats/9fc8aac4-6fce-43f2-b230-0b372097729b/messages";
const CONTENT: &str = "Here is your invoice.";

/// The seed's chat (METRO's "Retrieve list of Chats" example) with another id.
fn chat(i: usize) -> serde_json::Value {
    json!({
        "id": format!("9fc8aac4-6fce-43f2-b230-{i:012}"),
        "subject": "SELLER.ORDERS.ORDER_CONFIRMATION",
        "customSubject": null,
        "status": "WAITING_FOR_BUYER",
        "lastMessageAt": "2025-09-02T19:41:12+00:00",
        "isSeen": true,
        "createdAt": "2025-09-02T19:41:12+00:00",
        "buyer": {"id": "7cc2d1d0-bf2c-4af6-89c0-01fbb24a436a", "lastName": "Valid Vies", "firstName": "Quality Business"},
        "seller": {
            "organization": {"id": "581c41ea-6bc5-4716-a325-4a803c0ebff0", "shopName": "My DESHOP"},
            "accounts": [{"id": "18461e1b-d845-4587-8ecb-90ba8838fc6e", "firstName": "Test", "lastName": "Metro"}]
        },
        "order": {"id": "4cff7a94-224c-45e4-8187-6d978e3afab5", "orderNumber": "O25-568200129071", "salesChannel": "pt"}
    })
}

fn attachment() -> serde_json::Value {
    json!({"fileId": "files/581c41ea/4cff7a94/5d2f7c8e", "fileName": "invoice.pdf", "fileType": "application/pdf"})
}

/// A page of `count` chats in METRO's envelope.
pub fn chat_list(count: usize) -> Bytes {
    let chats: Vec<_> = (0..count).map(chat).collect();
    let body = json!({"status": "success", "message": format!("[{count}] chats have been fetched successfully"),
                      "data": chats, "metadata": {"total": count, "offset": 0, "limit": count}});
    Bytes::from(serde_json::to_vec(&body).expect("json"))
}

/// The canned METRO routes: a page of 20 chats, and the sent message.
pub fn routes() -> HashMap<(&'static str, &'static str), (u16, Bytes)> {
    let sent = json!({
        "status": "success",
        "message": "Message [e4b1c2d3-7a8b-4c9d-8e0f-1a2b3c4d5e6f] has been sent successfully",
        "data": {"id": "e4b1c2d3-7a8b-4c9d-8e0f-1a2b3c4d5e6f", "chatId": CHAT_ID,
                 "senderId": "18461e1b-d845-4587-8ecb-90ba8838fc6e", "senderUserType": "SELLER",
                 "content": CONTENT, "attachments": [attachment()], "seenAt": null,
                 "createdAt": "2025-09-11T09:20:44+00:00"},
        "metadata": []
    });
    HashMap::from([
        (("GET", "/openapi/v1/chats"), (200, chat_list(20))),
        (
            ("POST", MESSAGES_PATH),
            (201, Bytes::from(serde_json::to_vec(&sent).expect("json"))),
        ),
    ])
}

/// The SDK client as applications get it (default retry policy, HMAC signing).
fn sdk(base_url: &str) -> Client {
    ClientBuilder::new(base_url, Auth::metro_hmac(CLIENT_ID, CLIENT_SECRET))
        .build()
        .expect("client")
}

fn hand(base_url: &str) -> baseline::Metro {
    baseline::Metro {
        http: baseline_http(),
        base_url: base_url.to_owned(),
        client_id: CLIENT_ID.to_owned(),
        client_secret: CLIENT_SECRET.as_bytes().to_vec(),
    }
}

fn new_message() -> types::MessageCreate {
    types::MessageCreate {
        content: CONTENT.into(),
        attachments: vec![serde_json::from_value(attachment()).expect("attachment")],
    }
}

/// Per-call rows for a signed GET (list chats) and POST (send a message).
pub async fn rows(base_url: &str) -> String {
    let sdk = Arc::new(sdk(base_url));
    let hand = Arc::new(hand(base_url));
    let mut out = String::new();

    let (s, h) = (sdk.clone(), hand.clone());
    out.push_str(
        &compare(
            "METRO GET list_chats (HMAC-signed)",
            move || {
                let s = s.clone();
                async move {
                    let page = s
                        .list_chats()
                        .limit(NonZeroU64::new(20).expect("nonzero"))
                        .send()
                        .await
                        .expect("sdk call");
                    assert_eq!(page.data.len(), 20);
                }
            },
            move || {
                let h = h.clone();
                async move {
                    let page = h.list_chats(20).await.expect("baseline call");
                    assert_eq!(page.data.len(), 20);
                }
            },
        )
        .await,
    );

    let attachments: Arc<[baseline::MetroAttachment]> =
        Arc::new([serde_json::from_value(attachment()).expect("attachment")]);
    out.push_str(
        &compare(
            "METRO POST send_message (HMAC-signed)",
            move || {
                let s = sdk.clone();
                async move {
                    s.send_message()
                        .chat_id(CHAT_ID)
                        .body(new_message())
                        .send()
                        .await
                        .expect("sdk call");
                }
            },
            move || {
                let (h, attachments) = (hand.clone(), attachments.clone());
                async move {
                    let message = baseline::MetroNewMessage {
                        content: CONTENT,
                        attachments: &attachments,
                    };
                    h.send_message(CHAT_ID, &message)
                        .await
                        .expect("baseline call");
                }
            },
        )
        .await,
    );
    out
}

/// Signing one request: what `Auth::metro_hmac` adds to every METRO call (the
/// string to sign, HMAC-SHA256, hex, three headers), and the HMAC alone.
pub fn signing() -> String {
    const BATCH: u32 = 1000;
    const BATCHES: usize = 200;
    let signer = MetroHmac::new(CLIENT_ID, CLIENT_SECRET);
    let body = serde_json::to_vec(&json!({"content": CONTENT, "attachments": [attachment()]}))
        .expect("json");
    let url = format!(
        "https://app-seller-messaging-center.sandbox.infra.metro-markets.cloud{MESSAGES_PATH}"
    );
    let template = reqwest::Client::new()
        .post(&url)
        .body(body.clone())
        .build()
        .expect("request");

    let per_op = |f: &mut dyn FnMut()| {
        let mut samples: Vec<Duration> = (0..BATCHES)
            .map(|_| {
                let t = Instant::now();
                for _ in 0..BATCH {
                    f();
                }
                t.elapsed() / BATCH
            })
            .collect();
        percentiles(&mut samples)
    };
    let (whole_median, whole_p99) = per_op(&mut || {
        let mut request = template.try_clone().expect("bytes body");
        signer.authenticate(&mut request).expect("signed");
        black_box(request);
    });
    let (clone_median, _) = per_op(&mut || {
        black_box(template.try_clone().expect("bytes body"));
    });
    let (hmac_median, hmac_p99) = per_op(&mut || {
        black_box(signer.signature("POST", black_box(&url), black_box(&body), 1_757_582_444));
    });
    let signed = whole_median.saturating_sub(clone_median);
    let mut out = String::from(
        "\n## METRO HMAC signing (target < 2 µs per request)\n\n\
         | what | median | p99 (of 1 000-call batches) |\n|---|---|---|\n",
    );
    let _ = writeln!(
        out,
        "| signing a POST with a {}-byte JSON body: string to sign, HMAC-SHA256, hex, 3 headers (`Authenticate::authenticate`, request clone subtracted) | {} | {} |",
        body.len(),
        micros_precise(signed),
        micros_precise(whole_p99.saturating_sub(clone_median)),
    );
    let _ = writeln!(
        out,
        "| the signature alone (`MetroHmac::signature`) | {} | {} |",
        micros_precise(hmac_median),
        micros_precise(hmac_p99),
    );
    out
}

fn micros_precise(d: Duration) -> String {
    format!("{:.2} µs", d.as_secs_f64() * 1e6)
}
