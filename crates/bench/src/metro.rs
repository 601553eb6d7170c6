//! METRO Markets Message Center side of the benchmarks: the canned routes, both
//! sides' clients and request bodies, and the cost of signing itself.

use std::collections::HashMap;
use std::fmt::Write;
use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hmac::{Hmac, Mac};
use marketplace_metro_message_center::{Auth, Client, ClientBuilder, MetroHmac, types};
use marketplace_runtime::Authenticate;
use serde_json::json;
use sha2::Sha256;

use crate::{baseline, percentiles};

pub const CLIENT_ID: &str = "fake-bench-metro-client-id";
pub const CLIENT_SECRET: &str = "fake-bench-metro-client-secret";
pub const CHAT_ID: &str = "9fc8aac4-6fce-43f2-b230-0b372097729b";
const MESSAGES_PATH: &str = "/openapi/v1/chats/9fc8aac4-6fce-43f2-b230-0b372097729b/messages";
pub const CONTENT: &str = "Here is your invoice.";
const FILE_ID: &str = "files/581c41ea/4cff7a94/5d2f7c8e";
const FILE_NAME: &str = "invoice.pdf";

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
    json!({"fileId": FILE_ID, "fileName": FILE_NAME, "fileType": "application/pdf"})
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
pub fn sdk(base_url: &str) -> Client {
    ClientBuilder::new(base_url, Auth::metro_hmac(CLIENT_ID, CLIENT_SECRET))
        .build()
        .expect("client")
}

pub fn hand(base_url: &str) -> baseline::Metro {
    baseline::Metro::new(base_url, CLIENT_ID, CLIENT_SECRET)
}

/// The message the SDK sends, built as an application builds it (owned fields).
pub fn new_message() -> types::MessageCreate {
    types::MessageCreate {
        content: CONTENT.into(),
        attachments: vec![types::Attachment {
            file_id: FILE_ID.into(),
            file_name: FILE_NAME.into(),
            file_type: types::AttachmentFileType::ApplicationPdf,
        }],
    }
}

/// The attachment the hand-written client sends.
pub fn baseline_attachment() -> baseline::MetroAttachment {
    baseline::MetroAttachment {
        file_id: FILE_ID.into(),
        file_name: FILE_NAME.into(),
        file_type: baseline::MetroFileType::Pdf,
    }
}

/// The URL and JSON body of the POST whose signing is measured.
pub fn signing_request() -> (String, Vec<u8>) {
    let body = serde_json::to_vec(&json!({"content": CONTENT, "attachments": [attachment()]}))
        .expect("json");
    let url = format!(
        "https://app-seller-messaging-center.sandbox.infra.metro-markets.cloud{MESSAGES_PATH}"
    );
    (url, body)
}

/// What signing costs, each way, on the same POST: the SDK's signer as a client
/// runs it, and the least a hand-written signer must do (a pre-keyed HMAC over the
/// same string to sign). The instruction counts and the timings both run these.
pub struct SigningWork {
    signer: MetroHmac,
    request: reqwest::Request,
    keyed: Hmac<Sha256>,
    text: Vec<u8>,
    pub body_len: usize,
}

impl SigningWork {
    pub fn new() -> SigningWork {
        let (url, body) = signing_request();
        let text = MetroHmac::string_to_sign("POST", &url, &body, 1_757_582_444);
        SigningWork {
            signer: MetroHmac::new(CLIENT_ID, CLIENT_SECRET),
            body_len: body.len(),
            request: reqwest::Client::new()
                .post(&url)
                .body(body)
                .build()
                .expect("request"),
            keyed: Hmac::new_from_slice(CLIENT_SECRET.as_bytes()).expect("any key length"),
            text,
        }
    }

    /// `Authenticate::authenticate`: string to sign, HMAC-SHA256, hex, three
    /// headers (replacing the previous signature's on the same request).
    pub fn sdk(&mut self) {
        self.signer
            .authenticate(black_box(&mut self.request))
            .expect("signed");
    }

    /// The keyed state cloned, fed the string to sign, finalized.
    pub fn pre_keyed_hmac(&self) {
        let mut mac = self.keyed.clone();
        mac.update(black_box(&self.text));
        black_box(mac.finalize().into_bytes());
    }
}

/// The wall-clock signing table: median and p99 of 1 000-signature batches.
pub fn signing() -> String {
    const BATCH: u32 = 1000;
    const BATCHES: usize = 200;
    let mut work = SigningWork::new();
    let mut per_op = |f: &mut dyn FnMut(&mut SigningWork)| {
        let mut samples: Vec<Duration> = (0..BATCHES)
            .map(|_| {
                let t = Instant::now();
                for _ in 0..BATCH {
                    f(&mut work);
                }
                t.elapsed() / BATCH
            })
            .collect();
        percentiles(&mut samples)
    };
    let (sdk_median, sdk_p99) = per_op(&mut SigningWork::sdk);
    let (hmac_median, hmac_p99) = per_op(&mut |w| w.pre_keyed_hmac());
    let mut out = String::from(
        "\n## METRO HMAC signing, wall-clock (target < 2 µs per request)\n\n\
         The same work as the instruction rows above; µs on this machine swing between two speeds.\n\n\
         | what | median | p99 (of 1 000-signature batches) |\n|---|---|---|\n",
    );
    let _ = writeln!(
        out,
        "| signing a POST with a {}-byte JSON body (`Authenticate::authenticate`: string to sign, HMAC-SHA256, hex, 3 headers) | {} | {} |",
        work.body_len,
        micros_precise(sdk_median),
        micros_precise(sdk_p99),
    );
    let _ = writeln!(
        out,
        "| a pre-keyed HMAC-SHA256 over the same string | {} | {} |",
        micros_precise(hmac_median),
        micros_precise(hmac_p99),
    );
    out
}

fn micros_precise(d: Duration) -> String {
    format!("{:.2} µs", d.as_secs_f64() * 1e6)
}
