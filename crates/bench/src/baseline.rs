//! The hand-written baseline: what a careful developer writes with plain `reqwest`
//! and `serde_json` for the same requests, without the SDK.

use chrono::{DateTime, Utc};
use reqwest::header::{ACCEPT, AUTHORIZATION};
use serde::{Deserialize, Serialize};

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
            .get(format!("{}/messages", self.base_url))
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
            .post(format!("{}/messages", self.base_url))
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
