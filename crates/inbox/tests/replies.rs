//! Replies are sent exactly once on every marketplace; a reply interrupted between
//! sending and recording is confirmed from the thread's history after a restart, not
//! sent again; what a marketplace cannot do is `Unsupported`, and sends nothing.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use marketplace_inbox::{
    Account, AuthorRole, Inbox, InboxError, Interrupt, Marketplace, MessageId, OutboxState, Reply,
    Thread, ThreadFilter, VendorThread,
};
use marketplace_inbox_sqlite::SqliteStore;
use marketplace_mock::{Api, MockMarketplace};

const MARKETPLACES: [Marketplace; 4] = [
    Marketplace::Lectronz,
    Marketplace::Metro,
    Marketplace::Skyhub,
    Marketplace::Yandex,
];

/// The requests of `api` that send a message.
fn sends(mock: &MockMarketplace, api: Api) -> Vec<String> {
    requests(mock, api)
        .into_iter()
        .filter(|r| {
            r.starts_with("POST ")
                && (r.contains("/chats/message?")
                    || r.ends_with("/messages")
                    || r.contains("/chats/CUSTOMER_SELLER")
                    || r.contains("/chats/B2W_SELLER"))
        })
        .collect()
}

async fn synced(threads: usize) -> (MockMarketplace, Arc<SqliteStore>, Inbox) {
    let mock = mock(threads).await;
    let store = memory_store().await;
    let inbox = Access::of(&mock).builder(store.clone()).build().unwrap();
    assert!(inbox.sync().await.is_ok());
    mock.clear_journal();
    (mock, store, inbox)
}

/// The thread of `marketplace` that has waited longest for an answer.
async fn awaiting(inbox: &Inbox, marketplace: Marketplace) -> Thread {
    let filter = ThreadFilter {
        marketplaces: vec![marketplace],
        limit: Some(1),
        ..ThreadFilter::default()
    };
    inbox.awaiting_reply(&filter).await.unwrap().remove(0)
}

#[tokio::test]
async fn every_marketplace_sends_a_reply_once_and_stores_it_as_the_sellers() {
    let (mock, _store, inbox) = synced(20).await;
    for marketplace in MARKETPLACES {
        let thread = awaiting(&inbox, marketplace).await;
        let text = format!("We are on it ({marketplace}).");
        let entry = inbox
            .reply(Reply::text(thread.id.clone(), &text))
            .await
            .unwrap_or_else(|e| panic!("{marketplace}: {e}"));

        assert_eq!(entry.state, OutboxState::Sent, "{marketplace}");
        let id = entry
            .vendor_message_id
            .clone()
            .expect("the sent message's id");
        assert_eq!(sends(&mock, api_of(marketplace)).len(), 1, "{marketplace}");
        let messages = inbox.messages(&thread.id).await.unwrap();
        let sent = messages.iter().find(|m| m.id == id).expect("stored");
        assert_eq!(sent.author, AuthorRole::Seller, "{marketplace}");
        assert_eq!(sent.text.as_deref(), Some(text.as_str()));
        let after = inbox.thread(&thread.id).await.unwrap();
        assert_eq!(after.awaiting_reply_since, None, "{marketplace}: answered");
    }
}

#[tokio::test]
async fn a_reply_interrupted_between_send_and_record_is_confirmed_after_restart_not_resent() {
    let mock = mock(20).await;
    let access = Access::of(&mock);
    let store = memory_store().await;
    assert!(
        access
            .builder(store.clone())
            .build()
            .unwrap()
            .sync()
            .await
            .is_ok()
    );
    mock.clear_journal();

    // The process "dies" right after each send.
    let crashing = access
        .builder(store.clone())
        .interrupt(|at| matches!(at, Interrupt::AfterSend { .. }))
        .build()
        .unwrap();
    let mut entries = Vec::new();
    for marketplace in MARKETPLACES {
        let thread = awaiting(&crashing, marketplace).await;
        let text = format!("Sent before the crash ({marketplace}).");
        let err = crashing
            .reply(Reply::text(thread.id.clone(), text))
            .await
            .unwrap_err();
        assert!(matches!(err, InboxError::Interrupted(_)), "{err}");
        entries.push((marketplace, thread.id));
    }
    let pending = crashing.outbox(OutboxState::Pending).await.unwrap();
    assert_eq!(pending.len(), 4);
    drop(crashing);

    // After the restart, reconciliation finds each reply in its thread's history.
    let restarted = access.builder(store.clone()).build().unwrap();
    let report = restarted.reconcile_outbox().await.unwrap();
    assert_eq!(report.confirmed.len(), 4, "{report:?}");
    assert!(report.unknown.is_empty() && report.waiting.is_empty() && report.errors.is_empty());
    for entry in &pending {
        let entry = restarted
            .outbox(OutboxState::Sent)
            .await
            .unwrap()
            .into_iter()
            .find(|e| e.id == entry.id)
            .expect("sent");
        let id = entry
            .vendor_message_id
            .expect("matched to the sent message");
        let messages = restarted.messages(&entry.thread).await.unwrap();
        assert!(
            messages
                .iter()
                .any(|m| m.id == id && m.author == AuthorRole::Seller)
        );
    }
    // Nothing was sent twice.
    for (marketplace, _) in &entries {
        assert_eq!(sends(&mock, api_of(*marketplace)).len(), 1, "{marketplace}");
    }
    // Reconciling again changes nothing and sends nothing.
    let again = restarted.reconcile_outbox().await.unwrap();
    assert!(again.confirmed.is_empty() && again.unknown.is_empty());
    for (marketplace, _) in &entries {
        assert_eq!(sends(&mock, api_of(*marketplace)).len(), 1, "{marketplace}");
    }
}

#[tokio::test]
async fn a_reply_neither_confirmed_nor_ruled_out_becomes_unknown_and_is_never_sent() {
    let mock = mock(10).await;
    let access = Access::of(&mock);
    let store = memory_store().await;
    let inbox = access.builder(store.clone()).build().unwrap();
    assert!(inbox.sync().await.is_ok());
    let thread = awaiting(&inbox, Marketplace::Yandex).await;
    // Recorded, then the process died before sending: nothing reached Yandex.
    let entry = inbox
        .store()
        .enqueue_reply(&marketplace_inbox_store::NewReply {
            thread: thread.id.clone(),
            text: "Never sent".into(),
            attachments: vec![],
            last_seen: None,
        })
        .await
        .unwrap();
    mock.clear_journal();

    // Within the window it waits…
    let report = inbox.reconcile_outbox().await.unwrap();
    assert_eq!(report.waiting, [entry.id]);
    // …past it, it is surfaced as unknown, and still not sent.
    let impatient = access
        .builder(store.clone())
        .reconcile_window(Duration::ZERO)
        .build()
        .unwrap();
    let report = impatient.reconcile_outbox().await.unwrap();
    assert_eq!(report.unknown, [entry.id]);
    assert_eq!(
        impatient.outbox(OutboxState::Unknown).await.unwrap()[0].id,
        entry.id
    );
    assert!(sends(&mock, Api::YandexMarketChats).is_empty());
}

/// The id of the newest message of `thread` in `inbox`'s store.
async fn last_message(inbox: &Inbox, thread: &Thread) -> MessageId {
    let messages = inbox.messages(&thread.id).await.unwrap();
    messages.last().unwrap().id.clone()
}

#[tokio::test]
async fn a_reply_after_a_colleagues_answer_is_refused_unless_forced() {
    let (mock, _store, inbox) = synced(20).await;
    let thread = awaiting(&inbox, Marketplace::Lectronz).await;
    let seen = last_message(&inbox, &thread).await;
    // A colleague answers.
    inbox
        .reply(Reply::text(thread.id.clone(), "First answer"))
        .await
        .unwrap();
    let mut late = Reply::text(thread.id.clone(), "Second answer");
    late.last_seen = Some(seen);
    let err = inbox.reply(late.clone()).await.unwrap_err();
    assert!(err.is_conflict(), "{err}");
    assert_eq!(sends(&mock, Api::Lectronz).len(), 1);
    late.force = true;
    inbox.reply(late).await.unwrap();
    assert_eq!(sends(&mock, Api::Lectronz).len(), 2);
}

#[tokio::test]
async fn a_colleagues_answer_from_another_inbox_is_a_conflict_on_every_marketplace() {
    let (mock, _store, inbox) = synced(20).await;
    // A colleague on another machine: the same accounts, a store of their own.
    let colleague = Access::of(&mock)
        .builder(memory_store().await)
        .build()
        .unwrap();
    assert!(colleague.sync().await.is_ok());
    for marketplace in MARKETPLACES {
        let thread = awaiting(&inbox, marketplace).await;
        let seen = last_message(&inbox, &thread).await;
        let api = api_of(marketplace);
        let before = sends(&mock, api).len();
        colleague
            .reply(Reply::text(thread.id.clone(), "Answered by a colleague."))
            .await
            .unwrap_or_else(|e| panic!("{marketplace}: {e}"));

        // This store has not synced the colleague's answer: the reply reads the
        // thread before it checks.
        let mut late = Reply::text(thread.id.clone(), "Answered twice?");
        late.last_seen = Some(seen);
        let err = inbox.reply(late).await.unwrap_err();
        assert!(err.is_conflict(), "{marketplace}: {err}");
        assert_eq!(sends(&mock, api).len(), before + 1, "{marketplace}");
    }
}

#[tokio::test]
async fn what_a_marketplace_cannot_do_is_unsupported_and_sends_nothing() {
    let (mock, _store, inbox) = synced(20).await;
    let account = |m| Account::new(m, ACCOUNT).unwrap();

    let yandex = awaiting(&inbox, Marketplace::Yandex).await;
    let err = inbox.mark_read(&yandex.id).await.unwrap_err();
    assert!(err.is_unsupported(), "{err}");
    let err = inbox
        .reply(Reply::text(yandex.id.clone(), "x".repeat(4097)))
        .await
        .unwrap_err();
    assert!(err.is_unsupported(), "{err}");
    assert_eq!(
        err.to_string(),
        "yandex cannot reply with text (4097 characters, at most 4096 accepted)"
    );

    let err = inbox
        .start_thread(&account(Marketplace::Skyhub), "9999900001", None, "Hello")
        .await
        .unwrap_err();
    assert!(err.is_unsupported(), "{err}");
    // The customer's conversation with the marketplace is read-only for the seller.
    let skyhub = awaiting(&inbox, Marketplace::Skyhub).await;
    let mut b2w = skyhub.id.clone();
    if let VendorThread::Skyhub { parts, .. } = &mut b2w.vendor {
        *parts = "CUSTOMER_B2W".into();
    }
    let err = inbox.reply(Reply::text(b2w, "Hello")).await.unwrap_err();
    assert!(err.is_unsupported(), "{err}");

    let lectronz = awaiting(&inbox, Marketplace::Lectronz).await;
    let mut with_file = Reply::text(lectronz.id.clone(), "See attached");
    with_file
        .attachments
        .push(marketplace_inbox::OutgoingAttachment {
            name: "label.pdf".into(),
            content_type: "application/pdf".into(),
            size: 10,
            location: "/nonexistent".into(),
        });
    let err = inbox.reply(with_file).await.unwrap_err();
    assert!(err.is_unsupported(), "{err}");

    for api in APIS {
        assert!(
            requests(&mock, api)
                .iter()
                .all(|r| !r.starts_with("POST") && !r.starts_with("PATCH")),
            "{api:?}: nothing written"
        );
    }
    assert!(inbox.outbox(OutboxState::Pending).await.unwrap().is_empty());
}

#[tokio::test]
async fn mark_read_uses_each_marketplaces_own_way() {
    let (mock, _store, inbox) = synced(30).await;
    let unread = |m: Marketplace| {
        let inbox = inbox.clone();
        async move {
            let filter = ThreadFilter {
                marketplaces: vec![m],
                unread: Some(true),
                limit: Some(1),
                ..ThreadFilter::default()
            };
            inbox.awaiting_reply(&filter).await.unwrap().remove(0)
        }
    };
    let skyhub = unread(Marketplace::Skyhub).await;
    let lectronz = unread(Marketplace::Lectronz).await;
    let metro = unread(Marketplace::Metro).await;
    let before = inbox.unread_counts().await.unwrap();
    for thread in [&skyhub, &lectronz, &metro] {
        inbox.mark_read(&thread.id).await.unwrap();
        assert!(
            !inbox.thread(&thread.id).await.unwrap().unread,
            "{}",
            thread.id
        );
    }
    let VendorThread::Skyhub { code, .. } = &skyhub.id.vendor else {
        unreachable!()
    };
    assert_eq!(
        requests(&mock, Api::SkyhubSac),
        [format!(
            "PATCH /sac/{}/chats/CUSTOMER_SELLER",
            code.replace(' ', "%20")
        )]
    );
    let marked: Vec<String> = requests(&mock, Api::Lectronz);
    assert!(
        !marked.is_empty()
            && marked
                .iter()
                .all(|r| r.starts_with("POST /api/v1/messages/") && r.ends_with("/mark_as_read")),
        "{marked:?}"
    );
    // METRO's only way: reading the chat's messages.
    assert!(
        requests(&mock, Api::MetroMessageCenter)
            .iter()
            .any(|r| r.contains("/messages"))
    );
    let after = inbox.unread_counts().await.unwrap();
    for ((m, b), (_, a)) in before.iter().zip(&after) {
        let expected = if *m == Marketplace::Yandex { *b } else { b - 1 };
        assert_eq!(*a, expected, "{m}");
    }
}

#[tokio::test]
async fn start_thread_opens_a_thread_about_an_order_and_sends_the_first_message_once() {
    let (mock, _store, inbox) = synced(20).await;
    for marketplace in [
        Marketplace::Metro,
        Marketplace::Yandex,
        Marketplace::Lectronz,
    ] {
        let known = awaiting(&inbox, marketplace).await;
        let order = known.order.and_then(|o| o.id).expect("an order");
        let text = format!("About your order ({marketplace})");
        let thread = inbox
            .start_thread(
                &Account::new(marketplace, ACCOUNT).unwrap(),
                &order,
                Some("INVOICE_INSTRUCTIONS"),
                &text,
            )
            .await
            .unwrap_or_else(|e| panic!("{marketplace}: {e}"));
        assert_eq!(
            thread.order.and_then(|o| o.id).as_deref(),
            Some(order.as_str())
        );
        let messages = inbox.messages(&thread.id).await.unwrap();
        assert!(messages.iter().any(|m| m.author == AuthorRole::Seller && m.text.as_deref() == Some(text.as_str())));
        assert_eq!(sends(&mock, api_of(marketplace)).len(), 1, "{marketplace}");
    }
    let metro = requests(&mock, Api::MetroMessageCenter);
    assert!(
        metro
            .iter()
            .any(|r| r.starts_with("POST /openapi/v1/orders/") && r.ends_with("/chats")),
        "{metro:?}"
    );
    // METRO needs a subject.
    let known = awaiting(&inbox, Marketplace::Metro).await;
    let err = inbox
        .start_thread(
            &Account::new(Marketplace::Metro, ACCOUNT).unwrap(),
            &known.order.unwrap().id.unwrap(),
            None,
            "Hi",
        )
        .await
        .unwrap_err();
    assert!(matches!(err, InboxError::InvalidInput(_)), "{err}");
}

#[tokio::test]
async fn files_go_with_a_reply_where_the_marketplace_takes_them() {
    let (mock, _store, inbox) = synced(20).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("invoice.pdf");
    std::fs::write(&path, b"%PDF-1.4 a small invoice").unwrap();
    let file = marketplace_inbox::attachment_from_path(&path).unwrap();
    assert_eq!(
        (file.content_type.as_str(), file.size),
        ("application/pdf", 24)
    );

    // METRO uploads the file, then sends one message carrying it.
    let metro = awaiting(&inbox, Marketplace::Metro).await;
    let mut reply = Reply::text(metro.id.clone(), "The invoice is attached.");
    reply.attachments.push(file.clone());
    let entry = inbox.reply(reply).await.unwrap();
    let sent = inbox.messages(&metro.id).await.unwrap();
    let sent = sent
        .iter()
        .find(|m| Some(&m.id) == entry.vendor_message_id.as_ref())
        .unwrap();
    assert_eq!(sent.attachments.len(), 1);
    assert_eq!(sent.attachments[0].name.as_deref(), Some("invoice.pdf"));
    let posts: Vec<String> = requests(&mock, Api::MetroMessageCenter)
        .into_iter()
        .filter(|r| r.starts_with("POST"))
        .collect();
    assert_eq!(posts.len(), 2, "{posts:?}");
    assert!(
        posts[0].ends_with("/upload-file") && posts[1].ends_with("/messages"),
        "{posts:?}"
    );

    // Yandex sends the text, then the file as a message of its own.
    let yandex = awaiting(&inbox, Marketplace::Yandex).await;
    let mut reply = Reply::text(yandex.id.clone(), "The invoice is attached.");
    reply.attachments.push(file);
    inbox.reply(reply).await.unwrap();
    let posts: Vec<String> = requests(&mock, Api::YandexMarketChats)
        .into_iter()
        .filter(|r| r.starts_with("POST") && !r.contains("/history"))
        .collect();
    assert_eq!(posts.len(), 2, "{posts:?}");
    assert!(
        posts[0].contains("/chats/message?") && posts[1].contains("/chats/file/send?"),
        "{posts:?}"
    );

    // An unreadable file fails the reply before anything is sent.
    let mut reply = Reply::text(yandex.id.clone(), "Another file");
    let mut missing = marketplace_inbox::attachment_from_path(&path).unwrap();
    missing.location = dir.path().join("gone.pdf").display().to_string();
    reply.attachments.push(missing);
    let err = inbox.reply(reply).await.unwrap_err();
    assert!(matches!(err, InboxError::InvalidInput(_)), "{err}");
    assert_eq!(inbox.outbox(OutboxState::Failed).await.unwrap().len(), 1);
    let writes = requests(&mock, Api::YandexMarketChats)
        .into_iter()
        .filter(|r| r.starts_with("POST") && !r.contains("/history"))
        .count();
    assert_eq!(writes, 2, "nothing more sent");
    assert!(matches!(
        marketplace_inbox::attachment_from_path(dir.path()),
        Err(InboxError::InvalidInput(_))
    ));
}
