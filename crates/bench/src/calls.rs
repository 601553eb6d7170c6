//! The four per-call scenarios (Lectronz and METRO, a read and a write each), made
//! through the generated client and through the hand-written baseline. The
//! instruction counts and the wall-clock rows both call them from here, so both
//! measure exactly the same calls.

use std::num::NonZeroU64;

use crate::baseline;

/// One per-call scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    LectronzGet,
    LectronzPost,
    MetroGet,
    MetroPost,
}

impl Scenario {
    pub const ALL: [Scenario; 4] = [
        Scenario::LectronzGet,
        Scenario::LectronzPost,
        Scenario::MetroGet,
        Scenario::MetroPost,
    ];

    /// The name on the command line (`marketplace-bench client <name> …`).
    pub fn name(self) -> &'static str {
        match self {
            Scenario::LectronzGet => "lectronz-get",
            Scenario::LectronzPost => "lectronz-post",
            Scenario::MetroGet => "metro-get",
            Scenario::MetroPost => "metro-post",
        }
    }

    /// The row label in BENCHMARKS.md.
    pub fn label(self) -> &'static str {
        match self {
            Scenario::LectronzGet => "Lectronz GET list_messages (bearer, 20 items)",
            Scenario::LectronzPost => "Lectronz POST create_message (bearer)",
            Scenario::MetroGet => "METRO GET list_chats (HMAC-signed, 20 chats)",
            Scenario::MetroPost => "METRO POST send_message (HMAC-signed)",
        }
    }

    pub fn parse(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// Who makes the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The generated client, as applications get it from its builder.
    Sdk,
    /// The hand-written baseline.
    Hand,
}

impl Side {
    pub fn parse(name: &str) -> Option<Side> {
        match name {
            "sdk" => Some(Side::Sdk),
            "hand" => Some(Side::Hand),
            _ => None,
        }
    }
}

/// Both sides' clients for both marketplaces, all talking to one server.
pub struct Clients {
    lectronz: marketplace_lectronz::Client,
    lectronz_hand: baseline::Lectronz,
    metro: marketplace_metro_message_center::Client,
    metro_hand: baseline::Metro,
}

impl Clients {
    pub fn new(base_url: &str) -> Clients {
        Clients {
            lectronz: crate::generated(base_url),
            lectronz_hand: baseline::Lectronz::new(base_url, crate::LECTRONZ_KEY),
            metro: crate::metro::sdk(base_url),
            metro_hand: crate::metro::hand(base_url),
        }
    }

    /// One call; panics on any failure, and checks what was decoded, so a side that
    /// skipped its work would be caught.
    pub async fn call(&self, scenario: Scenario, side: Side) {
        let limit = NonZeroU64::new(20).expect("nonzero");
        match (scenario, side) {
            (Scenario::LectronzGet, Side::Sdk) => {
                let page = self
                    .lectronz
                    .list_messages()
                    .limit(limit)
                    .send()
                    .await
                    .expect("sdk call");
                assert_eq!(page.messages.len(), 20);
            }
            (Scenario::LectronzGet, Side::Hand) => {
                let page = self
                    .lectronz_hand
                    .list_messages(20)
                    .await
                    .expect("baseline call");
                assert_eq!(page.messages.len(), 20);
            }
            (Scenario::LectronzPost, Side::Sdk) => {
                let message = self
                    .lectronz
                    .create_message()
                    .body(crate::new_message())
                    .send()
                    .await
                    .expect("sdk call");
                assert_eq!(message.id, 1044);
            }
            (Scenario::LectronzPost, Side::Hand) => {
                let message = self
                    .lectronz_hand
                    .create_message(&crate::baseline_message())
                    .await
                    .expect("baseline call");
                assert_eq!(message.id, 1044);
            }
            (Scenario::MetroGet, Side::Sdk) => {
                let page = self
                    .metro
                    .list_chats()
                    .limit(limit)
                    .send()
                    .await
                    .expect("sdk call");
                assert_eq!(page.data.len(), 20);
            }
            (Scenario::MetroGet, Side::Hand) => {
                let page = self.metro_hand.list_chats(20).await.expect("baseline call");
                assert_eq!(page.data.len(), 20);
            }
            (Scenario::MetroPost, Side::Sdk) => {
                let sent = self
                    .metro
                    .send_message()
                    .chat_id(crate::metro::CHAT_ID)
                    .body(crate::metro::new_message())
                    .send()
                    .await
                    .expect("sdk call");
                assert_eq!(sent.data.content, crate::metro::CONTENT);
            }
            (Scenario::MetroPost, Side::Hand) => {
                let attachments = [crate::metro::baseline_attachment()];
                let message = baseline::MetroNewMessage {
                    content: crate::metro::CONTENT,
                    attachments: &attachments,
                };
                let sent = self
                    .metro_hand
                    .send_message(crate::metro::CHAT_ID, &message)
                    .await
                    .expect("baseline call");
                assert_eq!(sent.data.content, crate::metro::CONTENT);
            }
        }
    }
}
