//! The hand-written baseline: what a careful developer writes with plain `reqwest`
//! and `serde_json` for the same requests, without the SDK.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use reqwest::Method;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// Lectronz message list, by hand.
#[derive(Debug, Deserialize)]
pub struct MessageList {
    pub limit: i64,
    pub offset: i64,
    pub total_count: i64,
    pub messages: Vec<MessageSummary>,
}

/// Lectronz message type, by hand: unknown values decode as `Other` (forward
/// compatible without allocating, as the SDK's tolerant enums do for known values).
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageType {
    CustomerOrderMessage,
    SellerOrderMessage,
    RefundOrderMessage,
    #[serde(other)]
    Other,
}

/// Lectronz message summary, by hand.
#[derive(Debug, Deserialize)]
pub struct MessageSummary {
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: MessageType,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Lectronz message, by hand.
#[derive(Debug, Deserialize)]
pub struct Message {
    pub id: i64,
    pub content: String,
    #[serde(rename = "type")]
    pub kind: MessageType,
    pub subject: Subject,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// Lectronz message subject, by hand.
#[derive(Debug, Deserialize)]
pub struct Subject {
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: SubjectType,
    pub link: String,
}

/// Lectronz subject type, by hand.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectType {
    Order,
    #[serde(other)]
    Other,
}

/// The subject of a new Lectronz message, by hand.
#[derive(Debug, Serialize)]
pub struct SubjectRef {
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: SubjectType,
}

/// A new Lectronz message, by hand.
#[derive(Debug, Serialize)]
pub struct NewMessage<'a> {
    pub content: &'a str,
    #[serde(rename = "type")]
    pub kind: MessageType,
    pub subject: SubjectRef,
}

/// The headers every request of a hand-written client carries, built once into
/// the reqwest client (`default_headers`), with the SDK's timeouts and user agent:
/// the same work on the wire as the SDK (whose defaults are 30 s and 10 s).
fn http_client(headers: HeaderMap) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10))
        .user_agent(USER_AGENT)
        .default_headers(headers)
        .build()
        .expect("reqwest client")
}

/// The same `User-Agent` length as the SDK's.
const USER_AGENT: &str = concat!("marketplace-sdk/", env!("CARGO_PKG_VERSION"));

/// Lectronz by hand: bearer header and `Accept` built once, JSON in and out,
/// status check.
pub struct Lectronz {
    http: reqwest::Client,
    messages_url: String,
}

impl Lectronz {
    pub fn new(base_url: &str, api_key: &str) -> Lectronz {
        let mut bearer = HeaderValue::from_str(&format!("Bearer {api_key}")).expect("header");
        bearer.set_sensitive(true);
        let headers = HeaderMap::from_iter([
            (AUTHORIZATION, bearer),
            (ACCEPT, HeaderValue::from_static("application/json")),
        ]);
        Lectronz {
            http: http_client(headers),
            messages_url: format!("{base_url}/api/v1/messages"),
        }
    }

    pub async fn list_messages(&self, limit: u64) -> reqwest::Result<MessageList> {
        self.http
            .get(format!("{}?limit={limit}", self.messages_url))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await
    }

    pub async fn create_message(&self, message: &NewMessage<'_>) -> reqwest::Result<Message> {
        self.http
            .post(&self.messages_url)
            .json(message)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await
    }
}

/// METRO Markets envelope status, by hand.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MetroStatus {
    Success,
    Error,
    #[serde(other)]
    Other,
}

/// METRO Markets chat list envelope, by hand.
#[derive(Debug, Deserialize)]
pub struct MetroChatList {
    pub status: MetroStatus,
    pub message: String,
    pub data: Vec<MetroChat>,
    pub metadata: MetroPagination,
}

/// METRO Markets list metadata, by hand.
#[derive(Debug, Deserialize)]
pub struct MetroPagination {
    pub total: i64,
    pub offset: i64,
    pub limit: i64,
}

/// METRO Markets chat status, by hand.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MetroChatStatus {
    Draft,
    WaitingForBuyer,
    #[serde(other)]
    Other,
}

/// A METRO Markets chat, by hand.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetroChat {
    pub id: String,
    pub subject: String,
    pub custom_subject: Option<String>,
    pub status: MetroChatStatus,
    pub last_message_at: Option<DateTime<Utc>>,
    pub is_seen: bool,
    pub created_at: DateTime<Utc>,
    pub buyer: MetroPerson,
    pub seller: MetroSeller,
    pub order: MetroOrder,
}

/// A METRO Markets buyer or seller account, by hand.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetroPerson {
    pub id: String,
    pub first_name: String,
    pub last_name: String,
}

/// The seller side of a METRO Markets chat, by hand.
#[derive(Debug, Deserialize)]
pub struct MetroSeller {
    pub organization: MetroOrganization,
    pub accounts: Vec<MetroPerson>,
}

/// A METRO Markets seller organization, by hand.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetroOrganization {
    pub id: String,
    pub shop_name: String,
}

/// The order of a METRO Markets chat, by hand.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetroOrder {
    pub id: String,
    pub order_number: String,
    pub sales_channel: String,
}

/// The media type of a METRO Markets attachment, by hand.
#[derive(Debug, Deserialize, Serialize)]
pub enum MetroFileType {
    #[serde(rename = "application/pdf")]
    Pdf,
    #[serde(rename = "image/png")]
    Png,
    #[serde(rename = "image/jpeg")]
    Jpeg,
    #[serde(other)]
    Other,
}

/// A METRO Markets attachment reference, by hand.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MetroAttachment {
    pub file_id: String,
    pub file_name: String,
    pub file_type: MetroFileType,
}

/// A new METRO Markets message, by hand.
#[derive(Debug, Serialize)]
pub struct MetroNewMessage<'a> {
    pub content: &'a str,
    pub attachments: &'a [MetroAttachment],
}

/// METRO Markets single-message envelope, by hand (`metadata` is `[]`: ignored).
#[derive(Debug, Deserialize)]
pub struct MetroMessageEnvelope {
    pub status: MetroStatus,
    pub message: String,
    pub data: MetroMessage,
}

/// Who sent a METRO Markets message, by hand.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum MetroSender {
    Buyer,
    Seller,
    #[serde(other)]
    Other,
}

/// A METRO Markets message, by hand.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetroMessage {
    pub id: String,
    pub chat_id: String,
    pub sender_id: String,
    pub sender_user_type: MetroSender,
    pub content: String,
    pub attachments: Vec<MetroAttachment>,
    pub seen_at: Option<DateTime<Utc>>,
    pub created_at: Option<DateTime<Utc>>,
}

/// METRO Markets Message Center by hand: each request signed with HMAC-SHA256 over
/// `METHOD\nFULL_URL\nBODY\nTIMESTAMP`, hex-encoded, as METRO's sample does. The
/// HMAC is keyed once (each request clones the keyed state); `Accept` and
/// `X-Client-Id` are built once, into the reqwest client.
pub struct Metro {
    http: reqwest::Client,
    base_url: String,
    keyed: Hmac<Sha256>,
}

impl Metro {
    pub fn new(base_url: &str, client_id: &str, client_secret: &str) -> Metro {
        let headers = HeaderMap::from_iter([
            (ACCEPT, HeaderValue::from_static("application/json")),
            (
                HeaderName::from_static("x-client-id"),
                HeaderValue::from_str(client_id).expect("header"),
            ),
        ]);
        Metro {
            http: http_client(headers),
            base_url: base_url.to_owned(),
            keyed: Hmac::new_from_slice(client_secret.as_bytes()).expect("any key length"),
        }
    }

    fn signed(&self, method: Method, url: String, body: Vec<u8>) -> reqwest::RequestBuilder {
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
            .to_string();
        let mut mac = self.keyed.clone();
        for (i, part) in [
            method.as_str().as_bytes(),
            url.as_bytes(),
            &body,
            timestamp.as_bytes(),
        ]
        .into_iter()
        .enumerate()
        {
            if i > 0 {
                mac.update(b"\n");
            }
            mac.update(part);
        }
        let mut signature =
            HeaderValue::try_from(hex::encode(mac.finalize().into_bytes())).expect("hex");
        signature.set_sensitive(true);
        let request = self
            .http
            .request(method, url)
            .header(
                "x-timestamp",
                HeaderValue::try_from(timestamp).expect("digits"),
            )
            .header("x-signature", signature);
        if body.is_empty() {
            request
        } else {
            request.header(CONTENT_TYPE, "application/json").body(body)
        }
    }

    pub async fn list_chats(&self, limit: u64) -> reqwest::Result<MetroChatList> {
        let url = format!("{}/openapi/v1/chats?limit={limit}", self.base_url);
        self.signed(Method::GET, url, Vec::new())
            .send()
            .await?
            .error_for_status()?
            .json()
            .await
    }

    pub async fn send_message(
        &self,
        chat_id: &str,
        message: &MetroNewMessage<'_>,
    ) -> reqwest::Result<MetroMessageEnvelope> {
        let url = format!("{}/openapi/v1/chats/{chat_id}/messages", self.base_url);
        let body = serde_json::to_vec(message).expect("serializable");
        self.signed(Method::POST, url, body)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await
    }
}
