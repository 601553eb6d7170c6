//! A Yandex Market chat notification pushed by the mock, received through
//! `marketplace-webhooks`, puts the new message in the store without a sync.

mod common;

use std::time::Duration;

use common::*;
use marketplace_inbox::{AuthorRole, Marketplace, ThreadFilter};
use marketplace_mock::{Api, MockConfig, MockMarketplace, Webhooks};
use marketplace_webhooks::axum::{ServeLimits, serve, yandex_router};
use marketplace_webhooks::yandex::YandexReceiver;

/// Waits until `check` holds, for at most 10 s.
async fn eventually<F: std::future::Future<Output = bool>>(mut check: impl FnMut() -> F) {
    for _ in 0..200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("not within 10 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pushed_yandex_notification_stores_the_new_message_without_a_poll() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let receiver_url = format!("http://{}", listener.local_addr().unwrap());
    let mock = MockMarketplace::start(MockConfig {
        webhooks: Webhooks {
            yandex_notification_urls: vec![receiver_url],
            backoff: Duration::from_millis(50),
            ..Webhooks::default()
        },
        ..config(12)
    })
    .await
    .unwrap();
    let store = memory_store().await;
    let inbox = Access::of(&mock).builder(store.clone()).build().unwrap();
    assert!(inbox.sync().await.is_ok());
    let app = yandex_router(
        YandexReceiver::new("inbox-test", "1.0").unwrap(),
        inbox.yandex_notification_handler(),
    );
    tokio::spawn(serve(listener, app, ServeLimits::default()));
    mock.clear_journal();

    // A buyer writes in a known chat: CHAT_MESSAGE_SENT.
    let chat = world_census(&mock)[&Api::YandexMarketChats][0].0.clone();
    mock.buyer_writes(Api::YandexMarketChats, &chat, "Pushed question")
        .unwrap();
    let id = thread(&format!(
        "yandex:{ACCOUNT}:{}:{chat}",
        mock.yandex().business_id
    ));
    eventually(|| {
        let inbox = inbox.clone();
        let id = id.clone();
        async move {
            inbox.messages(&id).await.unwrap().iter().any(|m| {
                m.author == AuthorRole::Buyer && m.text.as_deref() == Some("Pushed question")
            })
        }
    })
    .await;
    let stored = inbox.thread(&id).await.unwrap();
    assert!(stored.awaiting_reply_since.is_some() && stored.unread);
    // Only that chat's history was read: no listing, no poll.
    let read = requests(&mock, Api::YandexMarketChats);
    assert!(!read.is_empty());
    assert!(
        read.iter()
            .all(|r| r.contains(&format!("/chats/history?chatId={chat}&"))),
        "{read:#?}"
    );

    // A buyer opens a chat: CHAT_CREATED (and CHAT_MESSAGE_SENT) bring the new thread.
    mock.clear_journal();
    let opened = mock
        .buyer_opens_chat(Api::YandexMarketChats, None, "Hello, a new question")
        .unwrap();
    let new = thread(&format!(
        "yandex:{ACCOUNT}:{}:{}",
        mock.yandex().business_id,
        opened.thread
    ));
    eventually(|| {
        let inbox = inbox.clone();
        let new = new.clone();
        async move {
            inbox.messages(&new).await.is_ok_and(|m| {
                m.iter()
                    .any(|m| m.text.as_deref() == Some("Hello, a new question"))
            })
        }
    })
    .await;
    let filter = ThreadFilter {
        marketplaces: vec![Marketplace::Yandex],
        ..ThreadFilter::default()
    };
    assert!(
        inbox
            .awaiting_reply(&filter)
            .await
            .unwrap()
            .iter()
            .any(|t| t.id == new)
    );
    assert!(
        requests(&mock, Api::YandexMarketChats)
            .iter()
            .all(|r| !r.contains("/chats?"))
    );
    // Every stored message once: what a full sync would have stored.
    assert_eq!(
        stored_census(&store).await[&Api::YandexMarketChats],
        world_census(&mock)[&Api::YandexMarketChats]
    );
}
