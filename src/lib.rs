#![doc = include_str!("../README.md")]

pub use marketplace_runtime as runtime;
pub use marketplace_runtime::{Auth, ClientBuilder, Error, Result};

/// Lectronz API v1: order messages (`specs/lectronz.yaml`).
#[cfg(feature = "lectronz")]
pub use marketplace_lectronz as lectronz;

/// SkyHub (Americanas marketplace) SAC: tickets and chats (`specs/skyhub-sac.yaml`).
#[cfg(feature = "skyhub-sac")]
pub use marketplace_skyhub_sac as skyhub_sac;

/// METRO Markets event deliveries: the typed envelope and payloads, and a client that
/// delivers signed events like METRO (`specs/metro-events.yaml`).
#[cfg(feature = "metro-events")]
pub use marketplace_metro_events as metro_events;

/// Yandex Market API notifications: the typed notifications and answers, and a client
/// that delivers them like Yandex Market (`specs/yandex-market-notifications.yaml`).
#[cfg(feature = "yandex-market-notifications")]
pub use marketplace_yandex_market_notifications as yandex_market_notifications;

/// Webhook receivers for METRO Markets events and Yandex Market notifications:
/// verified, deduplicated, with an axum adapter (`marketplace-webhooks`).
#[cfg(feature = "webhooks")]
pub use marketplace_webhooks as webhooks;

/// Yandex Market Partner API: chats with buyers (`specs/yandex-market-chats.yaml`).
#[cfg(feature = "yandex-market-chats")]
pub use marketplace_yandex_market_chats as yandex_market_chats;

/// METRO Markets Message Center: chats with buyers (`specs/metro-message-center.yaml`).
#[cfg(feature = "metro-message-center")]
pub use marketplace_metro_message_center as metro_message_center;

/// METRO Markets Service Event Subscription: webhook subscriptions
/// (`specs/metro-subscriptions.yaml`).
#[cfg(feature = "metro-subscriptions")]
pub use marketplace_metro_subscriptions as metro_subscriptions;
