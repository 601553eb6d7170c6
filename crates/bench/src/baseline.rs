//! The hand-written baseline: what a careful developer writes with plain `reqwest`
//! and `serde_json` for the same requests, without the SDK.

use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use reqwest::Method;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
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

/// Lectronz message summary, by hand (`type` kept as text, for forward compatibility).
#[derive(Debug, Deserialize)]
pub struct MessageSummary {
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Lectronz message, by hand.
#[derive(Debug, Deserialize)]
pub struct Message {
    pub id: i64,
    pub content: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub subject: Subject,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// Lectronz message subject, by hand.
#[derive(Debug, Deserialize, Serialize)]
pub struct Subject {
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// A new Lectronz message, by hand.
#[derive(Debug, Serialize)]
pub struct NewMessage<'a> {
    pub content: &'a str,
    #[serde(rename = "type")]
    pub kind: &'a str,
    pub subject: Subject,
}

/// Lectronz by hand: bearer header, JSON in and out, status check.
pub struct Lectronz {
    pub http: reqwest::Client,
    pub base_url: String,
    pub bearer: String,
}

impl Lectronz {
    pub async fn list_messages(&self, limit: u64) -> reqwest::Result<MessageList> {
        self.http
            .get(format!("{}/api/v1/messages", self.base_url))
            .query(&[("limit", limit)])
            .header(AUTHORIZATION, &self.bearer)
            .header(ACCEPT, "application/json")
            .send()
            .await?
            .error_for_status()?
            .json()
            .await
    }

    pub async fn create_message(&self, message: &NewMessage<'_>) -> reqwest::Result<Message> {
        self.http
            .post(format!("{}/api/v1/messages", self.base_url))
            .header(AUTHORIZATION, &self.bearer)
            .header(ACCEPT, "application/json")
            .json(message)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await
    }
}

/// METRO Markets chat list envelope, by hand.
#[derive(Debug, Deserialize)]
pub struct MetroChatList {
    pub status: String,
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

/// A METRO Markets chat, by hand (`status` kept as text, for forward compatibility).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetroChat {
    pub id: String,
    pub subject: String,
    pub custom_subject: Option<String>,
    pub status: String,
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

/// A METRO Markets attachment reference, by hand.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MetroAttachment {
    pub file_id: String,
    pub file_name: String,
    pub file_type: String,
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
    pub status: String,
    pub message: String,
    pub data: MetroMessage,
}

/// A METRO Markets message, by hand.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetroMessage {
    pub id: String,
    pub chat_id: String,
    pub sender_id: String,
    pub sender_user_type: String,
    pub content: String,
    pub attachments: Vec<MetroAttachment>,
    pub seen_at: Option<DateTime<Utc>>,
    pub created_at: Option<DateTime<Utc>>,
}

/// METRO Markets Message Center by hand: each request signed with HMAC-SHA256 over
/// `METHOD\nFULL_URL\nBODY\nTIMESTAMP`, hex-encoded, as METRO's sample does.
pub struct Metro {
    pub http: reqwest::Client,
    pub base_url: String,
    pub client_id: String,
    pub client_secret: Vec<u8>,
}

impl Metro {
    fn signed(&self, method: Method, url: String, body: Vec<u8>) -> reqwest::RequestBuilder {
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
            .to_string();
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.client_secret).expect("any key length");
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
        let signature = hex::encode(mac.finalize().into_bytes());
        let request = self
            .http
            .request(method, url)
            .header(ACCEPT, "application/json")
            .header("x-client-id", &self.client_id)
            .header("x-timestamp", timestamp)
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
