#![doc = include_str!("../README.md")]
//!
//! ## The clients in this crate
//!
//! Each module is one client crate, re-exported behind the cargo feature of the same
//! name (all on by default); its page lists every operation with its builder.
//!
//! | module | what it talks to | feature |
//! |---|---|---|
//! | [`lectronz`] | Lectronz API v1: order messages | `lectronz` |
//! | [`metro_message_center`] | METRO Markets Message Center: chats with buyers (HMAC-signed) | `metro-message-center` |
//! | [`metro_subscriptions`] | METRO Markets Service Event Subscription: webhook subscriptions | `metro-subscriptions` |
//! | [`skyhub_sac`] | SkyHub (Americanas) SAC: tickets and chats | `skyhub-sac` |
//! | [`yandex_market_chats`] | Yandex Market Partner API: chats with buyers | `yandex-market-chats` |
//! | [`metro_events`] | METRO Markets event deliveries (the receiver side's types) | `metro-events` |
//! | [`yandex_market_notifications`] | Yandex Market API notifications (the receiver side's types) | `yandex-market-notifications` |
//! | [`webhooks`] | receivers for both, verified and deduplicated, with an axum adapter | `webhooks` |
//! | [`runtime`] | what every client shares: [`Error`], [`ClientBuilder`], [`Auth`], retries, limits | always |

#[doc(inline)]
pub use marketplace_runtime as runtime;
pub use marketplace_runtime::{Auth, ClientBuilder, Error, Result};

/// Lectronz API v1: order messages (`specs/lectronz.yaml`).
#[cfg(feature = "lectronz")]
#[doc(inline)]
pub use marketplace_lectronz as lectronz;

/// SkyHub (Americanas marketplace) SAC: tickets and chats (`specs/skyhub-sac.yaml`).
#[cfg(feature = "skyhub-sac")]
#[doc(inline)]
pub use marketplace_skyhub_sac as skyhub_sac;

/// METRO Markets event deliveries: the typed envelope and payloads, and a client that
/// delivers signed events like METRO (`specs/metro-events.yaml`).
#[cfg(feature = "metro-events")]
#[doc(inline)]
pub use marketplace_metro_events as metro_events;

/// Yandex Market API notifications: the typed notifications and answers, and a client
/// that delivers them like Yandex Market (`specs/yandex-market-notifications.yaml`).
#[cfg(feature = "yandex-market-notifications")]
#[doc(inline)]
pub use marketplace_yandex_market_notifications as yandex_market_notifications;

/// Webhook receivers for METRO Markets events and Yandex Market notifications:
/// verified, deduplicated, with an axum adapter (`marketplace-webhooks`).
#[cfg(feature = "webhooks")]
#[doc(inline)]
pub use marketplace_webhooks as webhooks;

/// Yandex Market Partner API: chats with buyers (`specs/yandex-market-chats.yaml`).
#[cfg(feature = "yandex-market-chats")]
#[doc(inline)]
pub use marketplace_yandex_market_chats as yandex_market_chats;

/// METRO Markets Message Center: chats with buyers (`specs/metro-message-center.yaml`).
#[cfg(feature = "metro-message-center")]
#[doc(inline)]
pub use marketplace_metro_message_center as metro_message_center;

/// METRO Markets Service Event Subscription: webhook subscriptions
/// (`specs/metro-subscriptions.yaml`).
#[cfg(feature = "metro-subscriptions")]
#[doc(inline)]
pub use marketplace_metro_subscriptions as metro_subscriptions;
