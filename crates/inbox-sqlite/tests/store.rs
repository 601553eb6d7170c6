//! The SQLite store, each test on a real file and in memory.

mod common;

use std::sync::Arc;

use common::*;
use marketplace_inbox_sqlite::SqliteStore;
use marketplace_inbox_store::{
    AuthorRole::{Buyer, Seller, System},
    ChangeKind, Marketplace, Message, MessageFacts, MessageId, NewReply, OutboxId, OutboxState,
    OutgoingAttachment, Page, Retention, Status, StatusKind, Store, StoreError, ThreadFilter,
};

const METRO: &str = "metro:acme:9fd9e513-8284-4764-91f8-f4a818f2d549";
const YANDEX: &str = "yandex:acme:12345:678";
const SKYHUB: &str = "skyhub:acme:Lojas%20Americanas-9999900001:CUSTOMER_SELLER";
const LECTRONZ: &str = "lectronz:acme:42";

fn metro_page() -> Page {
    Page {
        threads: vec![thread(
            METRO,
            (StatusKind::Unknown, "WAITING_FOR_SELLER"),
            true,
            Some(at(2, 9)),
        )],
        messages: vec![
            message(METRO, "m1", Buyer, "Where is my parcel?", at(2, 9)),
            message(METRO, "m2", Seller, "Shipped today.", at(2, 10)),
            message(METRO, "m3", Buyer, "Thanks, and the invoice?", at(2, 11)),
        ],
        versions: vec![],
    }
}

#[tokio::test]
async fn apply_page_is_idempotent_by_vendor_ids() {
    for t in both().await {
        let s = &t.store;
        let page = metro_page();
        let acct = account(&page.threads[0].id);
        let first = s
            .apply_page(&acct, &page, &checkpoint("chats", 1))
            .await
            .unwrap();
        assert_eq!(
            (
                first.threads_inserted,
                first.messages_inserted,
                first.changes
            ),
            (1, 3, 2),
            "{}",
            t.name
        );
        let before = dump(s).await;
        let again = s
            .apply_page(&acct, &page, &checkpoint("chats", 1))
            .await
            .unwrap();
        assert_eq!(
            (
                again.threads_inserted,
                again.threads_updated,
                again.messages_inserted,
                again.messages_updated,
                again.changes
            ),
            (0, 1, 0, 3, 0),
            "{}",
            t.name
        );
        assert_eq!(
            dump(s).await,
            before,
            "{}: a re-applied page changes nothing",
            t.name
        );
        assert_eq!(count(s, "messages").await, 3);
        assert_eq!(
            s.messages(&tid(METRO)).await.unwrap(),
            page.messages,
            "{}: stored as given",
            t.name
        );
        assert_eq!(
            s.thread(&tid(METRO)).await.unwrap().as_ref(),
            Some(&page.threads[0])
        );

        // An update of a known message (read receipt arrives) updates in place.
        let mut read = page.clone();
        read.messages[1].read_at = Some(at(2, 12));
        s.apply_page(&acct, &read, &checkpoint("chats", 2))
            .await
            .unwrap();
        assert_eq!(
            s.messages(&tid(METRO)).await.unwrap()[1].read_at,
            Some(at(2, 12))
        );
        assert_eq!(count(s, "messages").await, 3);
        assert_eq!(
            s.checkpoint(&acct, "chats").await.unwrap(),
            Some(serde_json::json!({"page": 2}))
        );
        assert_eq!(s.checkpoint(&acct, "other").await.unwrap(), None);
    }
}

#[tokio::test]
async fn awaiting_reply_is_oldest_wait_first_across_marketplaces_with_filters() {
    for t in both().await {
        let s = &t.store;
        let threads = [
            thread(
                YANDEX,
                (StatusKind::AwaitingSeller, "WAITING_FOR_PARTNER"),
                false,
                Some(at(3, 8)),
            ),
            thread(
                METRO,
                (StatusKind::Unknown, "WAITING_FOR_SELLER"),
                true,
                Some(at(1, 8)),
            ),
            thread(SKYHUB, (StatusKind::Open, "ACTIVE"), true, Some(at(2, 8))),
            thread(LECTRONZ, (StatusKind::Unknown, "order"), false, None),
        ];
        for th in &threads {
            let page = Page {
                threads: vec![th.clone()],
                messages: vec![],
                versions: vec![],
            };
            s.apply_page(&th.id.account(), &page, &checkpoint("t", 1))
                .await
                .unwrap();
        }
        let ids = |v: Vec<marketplace_inbox_store::Thread>| {
            v.into_iter().map(|t| t.id.to_string()).collect::<Vec<_>>()
        };
        assert_eq!(
            ids(s.awaiting_reply(&ThreadFilter::default()).await.unwrap()),
            [METRO, SKYHUB, YANDEX],
            "{}",
            t.name
        );
        let only = |marketplaces: Vec<Marketplace>| ThreadFilter {
            marketplaces,
            ..Default::default()
        };
        assert_eq!(
            ids(s
                .awaiting_reply(&only(vec![Marketplace::Yandex, Marketplace::Skyhub]))
                .await
                .unwrap()),
            [SKYHUB, YANDEX]
        );
        assert_eq!(
            ids(s
                .awaiting_reply(&only(vec![Marketplace::Lectronz]))
                .await
                .unwrap()),
            Vec::<String>::new()
        );
        let unread = ThreadFilter {
            unread: Some(true),
            ..Default::default()
        };
        assert_eq!(
            ids(s.awaiting_reply(&unread).await.unwrap()),
            [METRO, SKYHUB]
        );
        let read = ThreadFilter {
            unread: Some(false),
            ..Default::default()
        };
        assert_eq!(ids(s.awaiting_reply(&read).await.unwrap()), [YANDEX]);
        let status = ThreadFilter {
            statuses: vec![StatusKind::AwaitingSeller, StatusKind::Open],
            ..Default::default()
        };
        assert_eq!(
            ids(s.awaiting_reply(&status).await.unwrap()),
            [SKYHUB, YANDEX]
        );
        let limit = ThreadFilter {
            limit: Some(1),
            ..Default::default()
        };
        assert_eq!(ids(s.awaiting_reply(&limit).await.unwrap()), [METRO]);

        assert_eq!(
            s.unread_counts().await.unwrap(),
            vec![
                (Marketplace::Lectronz, 0),
                (Marketplace::Metro, 1),
                (Marketplace::Skyhub, 1),
                (Marketplace::Yandex, 0)
            ],
            "{}",
            t.name
        );
    }
}

#[tokio::test]
async fn messages_come_oldest_first_ties_in_stored_order() {
    for t in both().await {
        let s = &t.store;
        let th = thread(YANDEX, (StatusKind::New, "NEW"), true, None);
        let page = Page {
            threads: vec![th.clone()],
            messages: vec![
                message(YANDEX, "30", Buyer, "third", at(5, 12)),
                message(YANDEX, "10", Buyer, "first", at(5, 10)),
                message(YANDEX, "21", System, "tie A", at(5, 11)),
                message(YANDEX, "20", Seller, "tie B", at(5, 11)),
            ],
            versions: vec![],
        };
        s.apply_page(&th.id.account(), &page, &checkpoint("chats", 1))
            .await
            .unwrap();
        let texts: Vec<_> = s
            .messages(&th.id)
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.text.unwrap())
            .collect();
        assert_eq!(texts, ["first", "tie A", "tie B", "third"], "{}", t.name);
        assert_eq!(
            s.last_message(&th.id)
                .await
                .unwrap()
                .unwrap()
                .text
                .as_deref(),
            Some("third")
        );
        assert!(
            s.messages(&tid("yandex:acme:1:1"))
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(s.last_message(&tid("yandex:acme:1:1")).await.unwrap(), None);
    }
}

#[tokio::test]
async fn change_feed_has_new_buyer_messages_and_status_changes_with_an_increasing_cursor() {
    for t in both().await {
        let s = &t.store;
        assert_eq!(s.latest_cursor().await.unwrap(), 0);
        let page = metro_page();
        let acct = account(&page.threads[0].id);
        s.apply_page(&acct, &page, &checkpoint("chats", 1))
            .await
            .unwrap();

        let mut next = page.clone();
        next.threads[0].status =
            Status::new(StatusKind::AwaitingBuyer, Some("WAITING_FOR_BUYER".into()));
        next.messages
            .push(message(METRO, "m4", Seller, "Attached.", at(2, 12)));
        next.messages
            .push(message(METRO, "m5", Buyer, "Got it!", at(2, 13)));
        s.apply_page(&acct, &next, &checkpoint("chats", 2))
            .await
            .unwrap();
        s.apply_page(&acct, &next, &checkpoint("chats", 2))
            .await
            .unwrap(); // nothing new

        let feed = s.changes_since(0, 100).await.unwrap();
        let kinds: Vec<_> = feed.iter().map(|c| c.change.clone()).collect();
        assert_eq!(
            kinds,
            vec![
                ChangeKind::NewBuyerMessage {
                    message: MessageId::vendor("m1")
                },
                ChangeKind::NewBuyerMessage {
                    message: MessageId::vendor("m3")
                },
                ChangeKind::StatusChanged {
                    from: Status::new(StatusKind::Unknown, Some("WAITING_FOR_SELLER".into())),
                    to: Status::new(StatusKind::AwaitingBuyer, Some("WAITING_FOR_BUYER".into())),
                },
                ChangeKind::NewBuyerMessage {
                    message: MessageId::vendor("m5")
                },
            ],
            "{}",
            t.name
        );
        assert!(
            feed.windows(2).all(|w| w[0].cursor < w[1].cursor),
            "strictly increasing"
        );
        assert!(feed.iter().all(|c| c.thread == tid(METRO)));
        assert_eq!(s.latest_cursor().await.unwrap(), feed[3].cursor);
        // Polling from a cursor gives only what follows it, in pages.
        let after = s.changes_since(feed[1].cursor, 1).await.unwrap();
        assert_eq!(after.len(), 1);
        assert_eq!(after[0], feed[2]);
        assert!(
            s.changes_since(feed[3].cursor, 100)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn a_transaction_failing_midway_stores_nothing_of_the_page_nor_its_checkpoint() {
    for t in both().await {
        let s = &t.store;
        let page = metro_page();
        let acct = account(&page.threads[0].id);
        s.apply_page(&acct, &page, &checkpoint("chats", 1))
            .await
            .unwrap();
        let before = dump(s).await;

        // Page 2: a new thread, its messages, then a message of a thread that is neither
        // stored nor in the page: the foreign key fails on the last row, after the
        // checkpoint, the thread, a status change and the other messages were written.
        let other = "metro:acme:00000000-0000-0000-0000-000000000002";
        let mut bad = Page {
            threads: vec![
                thread(other, (StatusKind::Draft, "DRAFT"), true, Some(at(4, 1))),
                thread(METRO, (StatusKind::Closed, "CLOSED"), false, None),
            ],
            messages: vec![
                message(other, "n1", Buyer, "Hello", at(4, 1)),
                message(METRO, "m9", Buyer, "One more thing", at(4, 2)),
            ],
            versions: vec![],
        };
        bad.messages.push(message(
            "metro:acme:missing",
            "x",
            Buyer,
            "orphan",
            at(4, 3),
        ));
        let err = s
            .apply_page(&acct, &bad, &checkpoint("chats", 2))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Backend(_)), "{}: {err}", t.name);
        assert!(err.to_string().contains("FOREIGN KEY"), "{err}");
        assert_eq!(
            dump(s).await,
            before,
            "{}: nothing of the failed page",
            t.name
        );
        assert_eq!(
            s.checkpoint(&acct, "chats").await.unwrap(),
            Some(serde_json::json!({"page": 1}))
        );

        // The page without the orphan then applies whole.
        bad.messages.pop();
        let report = s
            .apply_page(&acct, &bad, &checkpoint("chats", 2))
            .await
            .unwrap();
        assert_eq!(
            (
                report.threads_inserted,
                report.messages_inserted,
                report.changes
            ),
            (1, 2, 3)
        );
        assert_eq!(count(s, "messages").await, 5);
    }
}

#[tokio::test]
async fn a_page_of_another_account_is_refused_before_writing() {
    for t in both().await {
        let s = &t.store;
        let page = metro_page();
        let wrong = tid("metro:other:9fd9e513-8284-4764-91f8-f4a818f2d549").account();
        let err = s
            .apply_page(&wrong, &page, &checkpoint("chats", 1))
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::WrongAccount { what: "thread", .. }),
            "{}: {err}",
            t.name
        );
        let yandex = tid(YANDEX).account();
        let err = s
            .apply_page(
                &yandex,
                &Page {
                    threads: vec![],
                    messages: page.messages.clone(),
                    versions: vec![],
                },
                &checkpoint("c", 1),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::WrongAccount {
                    what: "message",
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(count(s, "checkpoints").await, 0);
    }
}

#[tokio::test]
async fn times_outside_the_storable_range_are_errors_not_panics() {
    for t in both().await {
        let s = &t.store;
        let mut page = metro_page();
        page.messages[0].created_at = chrono::DateTime::<chrono::Utc>::MAX_UTC;
        let err = s
            .apply_page(&account(&page.threads[0].id), &page, &checkpoint("c", 1))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{}: {err}", t.name);
        assert_eq!(count(s, "threads").await, 0);
    }
}

fn reply(text: &str) -> NewReply {
    NewReply {
        thread: tid(SKYHUB),
        text: text.to_owned(),
        attachments: vec![OutgoingAttachment {
            name: "label.pdf".into(),
            content_type: "application/pdf".into(),
            size: 10,
            location: "/tmp/label.pdf".into(),
        }],
        last_seen: Some(MessageId::vendor("m3")),
    }
}

#[tokio::test]
async fn outbox_pending_to_sent_records_the_vendor_id() {
    for t in both().await {
        let s = &t.store;
        let e = s.enqueue_reply(&reply("On its way")).await.unwrap();
        assert_eq!(e.state, OutboxState::Pending);
        assert_eq!(
            (e.text.as_deref(), e.last_seen.clone()),
            (Some("On its way"), Some(MessageId::vendor("m3")))
        );
        assert_eq!(
            s.outbox(OutboxState::Pending).await.unwrap(),
            vec![e.clone()],
            "{}",
            t.name
        );
        let sent = s
            .mark_sent(e.id, Some(MessageId::vendor("777")))
            .await
            .unwrap();
        assert_eq!(sent.state, OutboxState::Sent);
        assert_eq!(sent.vendor_message_id, Some(MessageId::vendor("777")));
        assert!(s.outbox(OutboxState::Pending).await.unwrap().is_empty());
        assert_eq!(s.outbox_entry(e.id).await.unwrap(), Some(sent));
    }
}

#[tokio::test]
async fn thread_outbox_gives_one_threads_entries_in_a_state_through_an_index() {
    for t in both().await {
        let s = &t.store;
        let on = |thread: &str, text: &str| NewReply {
            thread: tid(thread),
            ..reply(text)
        };
        let first = s.enqueue_reply(&on(SKYHUB, "first")).await.unwrap();
        let elsewhere = s.enqueue_reply(&on(YANDEX, "elsewhere")).await.unwrap();
        let second = s.enqueue_reply(&on(SKYHUB, "second")).await.unwrap();
        let pending = s.enqueue_reply(&on(SKYHUB, "pending")).await.unwrap();
        let mut sent = Vec::new();
        for (e, id) in [(&second, "2"), (&elsewhere, "9"), (&first, "1")] {
            sent.push(
                s.mark_sent(e.id, Some(MessageId::vendor(id)))
                    .await
                    .unwrap(),
            );
        }
        assert_eq!(
            s.thread_outbox(&tid(SKYHUB), OutboxState::Sent)
                .await
                .unwrap(),
            vec![sent[2].clone(), sent[0].clone()],
            "{}: the thread's sent replies, oldest first",
            t.name
        );
        assert_eq!(
            s.thread_outbox(&tid(SKYHUB), OutboxState::Pending)
                .await
                .unwrap(),
            vec![pending],
            "{}",
            t.name
        );
        assert!(
            s.thread_outbox(&tid(METRO), OutboxState::Sent)
                .await
                .unwrap()
                .is_empty()
        );
        // Found through the index, not by reading every sent reply.
        let plan: Vec<String> = sqlx::query(
            "EXPLAIN QUERY PLAN SELECT id FROM outbox WHERE thread_key = ?1 AND state = ?2 \
             ORDER BY id ASC",
        )
        .bind(SKYHUB)
        .bind("sent")
        .fetch_all(s.pool())
        .await
        .unwrap()
        .iter()
        .map(|row| sqlx::Row::get(row, "detail"))
        .collect();
        assert!(
            plan.iter().any(|step| step.contains("outbox_by_thread")),
            "{}: {plan:?}",
            t.name
        );
    }
}

#[tokio::test]
async fn outbox_sent_without_an_id_gets_it_filled_in_once() {
    for t in both().await {
        let s = &t.store;
        let e = s.enqueue_reply(&reply("Yandex gives no id")).await.unwrap();
        let sent = s.mark_sent(e.id, None).await.unwrap();
        assert_eq!(
            (sent.state, sent.vendor_message_id),
            (OutboxState::Sent, None),
            "{}",
            t.name
        );
        let filled = s
            .mark_sent(e.id, Some(MessageId::vendor("91")))
            .await
            .unwrap();
        assert_eq!(filled.vendor_message_id, Some(MessageId::vendor("91")));
        let again = s
            .mark_sent(e.id, Some(MessageId::vendor("92")))
            .await
            .unwrap_err();
        assert!(
            matches!(
                again,
                StoreError::IllegalTransition {
                    from: OutboxState::Sent,
                    to: OutboxState::Sent,
                    ..
                }
            ),
            "{again}"
        );
        assert_eq!(
            s.outbox_entry(e.id)
                .await
                .unwrap()
                .unwrap()
                .vendor_message_id,
            Some(MessageId::vendor("91"))
        );
    }
}

#[tokio::test]
async fn outbox_pending_to_unknown_then_reconciled_to_sent_or_failed() {
    for t in both().await {
        let s = &t.store;
        let a = s.enqueue_reply(&reply("a")).await.unwrap();
        let b = s.enqueue_reply(&reply("b")).await.unwrap();
        assert!(a.id < b.id);
        for id in [a.id, b.id] {
            assert_eq!(
                s.mark_unknown(id).await.unwrap().state,
                OutboxState::Unknown,
                "{}",
                t.name
            );
        }
        assert_eq!(s.outbox(OutboxState::Unknown).await.unwrap().len(), 2);
        let confirmed = s
            .mark_sent(a.id, Some(MessageId::vendor("5")))
            .await
            .unwrap();
        assert_eq!(confirmed.state, OutboxState::Sent);
        let ruled_out = s
            .mark_failed(b.id, "not in history after 10 min")
            .await
            .unwrap();
        assert_eq!(
            (ruled_out.state, ruled_out.error.as_deref()),
            (OutboxState::Failed, Some("not in history after 10 min"))
        );
    }
}

#[tokio::test]
async fn outbox_pending_to_failed() {
    for t in both().await {
        let s = &t.store;
        let e = s.enqueue_reply(&reply("too long")).await.unwrap();
        let failed = s.mark_failed(e.id, "400 Bad Request").await.unwrap();
        assert_eq!(failed.state, OutboxState::Failed, "{}", t.name);
        assert_eq!(s.outbox(OutboxState::Failed).await.unwrap(), vec![failed]);
    }
}

#[tokio::test]
async fn outbox_illegal_transitions_are_refused_and_change_nothing() {
    use OutboxState::*;
    for t in both().await {
        let s = &t.store;
        let new =
            |text: &'static str| async move { s.enqueue_reply(&reply(text)).await.unwrap().id };
        let sent = new("s").await;
        s.mark_sent(sent, Some(MessageId::vendor("1")))
            .await
            .unwrap();
        let failed = new("f").await;
        s.mark_failed(failed, "no").await.unwrap();
        let unknown = new("u").await;
        s.mark_unknown(unknown).await.unwrap();

        let cases: Vec<(OutboxId, OutboxState, OutboxState)> = vec![
            (sent, Sent, Unknown),
            (sent, Sent, Failed),
            (failed, Failed, Sent),
            (failed, Failed, Unknown),
            (failed, Failed, Failed),
            (unknown, Unknown, Unknown),
        ];
        for (id, from, to) in cases {
            let before = s.outbox_entry(id).await.unwrap();
            let result = match to {
                Sent => s.mark_sent(id, Some(MessageId::vendor("2"))).await,
                Unknown => s.mark_unknown(id).await,
                Failed => s.mark_failed(id, "x").await,
                Pending => unreachable!(),
            };
            match result {
                Err(StoreError::IllegalTransition {
                    id: i,
                    from: f,
                    to: t2,
                }) => {
                    assert_eq!((i, f, t2), (id, from, to), "{}", t.name)
                }
                other => panic!("{}: {from:?} → {to:?} gave {other:?}", t.name),
            }
            assert_eq!(
                s.outbox_entry(id).await.unwrap(),
                before,
                "{from:?} → {to:?} changed the entry"
            );
        }
        // Sent with an id: a second id is refused too (checked above for Sent → Sent in
        // outbox_sent_without_an_id_gets_it_filled_in_once).
        assert!(matches!(
            s.mark_sent(OutboxId(999), None).await,
            Err(StoreError::NotFound(OutboxId(999)))
        ));
        assert_eq!(s.outbox_entry(OutboxId(999)).await.unwrap(), None);
    }
}

#[tokio::test]
async fn the_database_itself_refuses_illegal_outbox_updates() {
    for t in both().await {
        let s = &t.store;
        let e = s.enqueue_reply(&reply("x")).await.unwrap();
        s.mark_sent(e.id, None).await.unwrap();
        let err = sqlx::query("UPDATE outbox SET state = 'pending' WHERE id = ?1")
            .bind(e.id.0)
            .execute(s.pool())
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("illegal outbox transition"),
            "{}: {err}",
            t.name
        );
        let err = sqlx::query(
            "INSERT INTO outbox (thread_key, attachments, state, created_at, updated_at)
             VALUES ('lectronz:a:1', '[]', 'sent', 'x', 'x')",
        )
        .execute(s.pool())
        .await
        .unwrap_err();
        assert!(err.to_string().contains("start pending"), "{err}");
    }
}

#[tokio::test]
async fn a_recorded_reply_and_the_synced_pages_survive_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let page = metro_page();
    let acct = account(&page.threads[0].id);
    let id = {
        let s = SqliteStore::open(&path).await.unwrap();
        s.apply_page(&acct, &page, &checkpoint("chats", 7))
            .await
            .unwrap();
        let id = s.enqueue_reply(&reply("durable")).await.unwrap().id;
        s.close().await;
        id
    };
    let s = SqliteStore::open(&path).await.unwrap(); // migrations already applied: no-op
    let e = s.outbox_entry(id).await.unwrap().unwrap();
    assert_eq!(
        (e.state, e.text.as_deref()),
        (OutboxState::Pending, Some("durable"))
    );
    assert_eq!(e.attachments, reply("durable").attachments);
    assert_eq!(s.messages(&tid(METRO)).await.unwrap(), page.messages);
    assert_eq!(
        s.checkpoint(&acct, "chats").await.unwrap(),
        Some(serde_json::json!({"page": 7}))
    );
}

#[tokio::test]
async fn retention_blanks_old_texts_and_attachment_references_only() {
    for t in both().await {
        let s = &t.store;
        let page = metro_page(); // messages at Nov 2, 09:00–11:00
        let acct = account(&page.threads[0].id);
        s.apply_page(&acct, &page, &checkpoint("chats", 1))
            .await
            .unwrap();
        let sent = s.enqueue_reply(&reply("old sent")).await.unwrap().id;
        s.mark_sent(sent, None).await.unwrap();
        let pending = s.enqueue_reply(&reply("still pending")).await.unwrap().id;

        // Keep 30 days, purge on Dec 2 10:30: m1 (09:00) and m2 (10:00) go, m3 (11:00) stays.
        let retention = Retention {
            max_age: chrono::Duration::days(30),
        };
        let report = retention
            .purge(
                s,
                at(2, 10) + chrono::Duration::days(30) + chrono::Duration::minutes(30),
            )
            .await
            .unwrap();
        assert_eq!(report.messages, 2, "{}", t.name);
        let stored = s.messages(&tid(METRO)).await.unwrap();
        for m in &stored[..2] {
            assert_eq!(
                (&m.text, m.attachments.len(), &m.raw),
                (&None, 0, &serde_json::Value::Null),
                "{}",
                m.id
            );
            assert_eq!(
                m.author,
                page.messages.iter().find(|p| p.id == m.id).unwrap().author,
                "metadata kept"
            );
        }
        assert_eq!(stored[2], page.messages[2], "newer message untouched");

        // A later sync that sees the purged messages again does not bring the text back.
        s.apply_page(&acct, &page, &checkpoint("chats", 2))
            .await
            .unwrap();
        let stored = s.messages(&tid(METRO)).await.unwrap();
        assert_eq!(stored[0].text, None);
        assert_eq!(stored[2].text, page.messages[2].text);

        // Outbox (recorded "now", so purge with a cutoff in the future): the sent reply is
        // blanked, the pending one keeps its text for reconciliation.
        let report = s
            .purge_before(chrono::Utc::now() + chrono::Duration::days(1))
            .await
            .unwrap();
        assert_eq!(
            report,
            marketplace_inbox_store::PurgeReport {
                messages: 1,
                outbox: 1
            }
        );
        let sent = s.outbox_entry(sent).await.unwrap().unwrap();
        assert_eq!((sent.text, sent.attachments.len()), (None, 0));
        assert_eq!(
            s.outbox_entry(pending)
                .await
                .unwrap()
                .unwrap()
                .text
                .as_deref(),
            Some("still pending")
        );
        // Purging again finds nothing new.
        let report = s
            .purge_before(chrono::Utc::now() + chrono::Duration::days(1))
            .await
            .unwrap();
        assert_eq!(report, marketplace_inbox_store::PurgeReport::default());
    }
}

#[tokio::test]
async fn the_store_is_usable_as_a_trait_object() {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().await.unwrap());
    let page = metro_page();
    let acct = account(&page.threads[0].id);
    let handle = {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            store
                .apply_page(&acct, &page, &checkpoint("chats", 1))
                .await
        })
    };
    handle.await.unwrap().unwrap();
    assert_eq!(store.messages(&tid(METRO)).await.unwrap().len(), 3);
}

#[tokio::test]
async fn ids_that_would_not_read_back_are_refused() {
    use marketplace_inbox_store::{ThreadId, VendorThread};
    for t in both().await {
        let s = &t.store;
        let mut page = metro_page();
        let acct = account(&page.threads[0].id);
        page.messages[0].id = MessageId::vendor("");
        let err = s
            .apply_page(&acct, &page, &checkpoint("c", 1))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{}: {err}", t.name);

        let zero = ThreadId {
            account: "acme".into(),
            vendor: VendorThread::Yandex {
                business_id: 0,
                chat_id: 1,
            },
        };
        let page = Page {
            threads: vec![thread(YANDEX, (StatusKind::New, "NEW"), true, None)],
            messages: vec![],
            versions: vec![],
        };
        let mut bad = page.clone();
        bad.threads[0].id = zero.clone();
        let err = s
            .apply_page(&zero.account(), &bad, &checkpoint("c", 1))
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("Yandex business id is not a positive integer"),
            "{err}"
        );
        let mut r = reply("x");
        r.thread = zero;
        assert!(matches!(
            s.enqueue_reply(&r).await,
            Err(StoreError::Invalid(_))
        ));
        assert_eq!(count(s, "threads").await + count(s, "outbox").await, 0);
    }
}

#[tokio::test]
async fn concurrent_accounts_write_to_one_file_without_busy_errors() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        SqliteStore::open(dir.path().join("inbox.db"))
            .await
            .unwrap(),
    );
    let tasks: Vec<_> = (0..8)
        .map(|a| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                for n in 0..10 {
                    let key = format!("lectronz:account{a}:{n}");
                    let page = Page {
                        threads: vec![thread(
                            &key,
                            (StatusKind::Unknown, "order"),
                            true,
                            Some(at(1, 1)),
                        )],
                        messages: (0..20)
                            .map(|j| message(&key, &format!("{n}-{j}"), Buyer, "hi", at(1, 1)))
                            .collect(),
                        versions: vec![],
                    };
                    store
                        .apply_page(&tid(&key).account(), &page, &checkpoint("messages", n))
                        .await?;
                    // Readers run alongside the writers.
                    store.awaiting_reply(&ThreadFilter::default()).await?;
                }
                Ok::<_, StoreError>(())
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(count(&store, "messages").await, 8 * 10 * 20);
    assert_eq!(
        store.unread_counts().await.unwrap()[0],
        (Marketplace::Lectronz, 80)
    );
    let cursors: Vec<i64> = store
        .changes_since(0, 10_000)
        .await
        .unwrap()
        .iter()
        .map(|c| c.cursor)
        .collect();
    assert_eq!(
        cursors,
        (1..=1600).collect::<Vec<_>>(),
        "gap-free, in commit order"
    );
}

#[tokio::test]
async fn item_versions_are_stored_with_their_page_per_account_and_read_back_in_order() {
    use marketplace_inbox_store::ItemVersion;
    let version = |item: &str, v: &str| ItemVersion {
        item: item.into(),
        version: v.into(),
    };
    for t in both().await {
        let s = &t.store;
        let mut page = metro_page();
        page.versions = vec![version("chat:a", "1"), version("chat:b", "1")];
        let acct = account(&page.threads[0].id);
        s.apply_page(&acct, &page, &checkpoint("chats", 1))
            .await
            .unwrap();
        page.versions = vec![version("chat:b", "2")];
        s.apply_page(&acct, &page, &checkpoint("chats", 2))
            .await
            .unwrap();
        let items: Vec<String> = ["chat:b", "chat:x", "chat:a"].map(String::from).into();
        assert_eq!(
            s.item_versions(&acct, &items).await.unwrap(),
            [Some("2".into()), None, Some("1".into())],
            "{}",
            t.name
        );
        // Another account of the same marketplace has none of them.
        let other = marketplace_inbox_store::Account::new(acct.marketplace, "other").unwrap();
        assert_eq!(
            s.item_versions(&other, &items).await.unwrap(),
            [None, None, None]
        );
        // A page that fails stores none of its versions.
        let mut bad = metro_page();
        bad.versions = vec![version("chat:a", "3")];
        bad.messages.push(message(
            "metro:acme:missing",
            "x",
            Buyer,
            "orphan",
            at(4, 3),
        ));
        assert!(
            s.apply_page(&acct, &bad, &checkpoint("chats", 3))
                .await
                .is_err()
        );
        assert_eq!(
            s.item_versions(&acct, &items[2..]).await.unwrap(),
            [Some("1".into())]
        );
        // More items than one query binds.
        let many: Vec<String> = (0..1_200).map(|i| format!("chat:{i}")).collect();
        assert_eq!(s.item_versions(&acct, &many).await.unwrap().len(), 1_200);
    }
}

#[tokio::test]
async fn message_facts_of_several_threads_come_in_one_call_each_oldest_first() {
    for t in both().await {
        let s = &t.store;
        let mut page = metro_page();
        page.messages[0].read_at = Some(at(2, 10));
        s.apply_page(
            &account(&page.threads[0].id),
            &page,
            &checkpoint("chats", 1),
        )
        .await
        .unwrap();
        let other = thread(YANDEX, (StatusKind::New, "NEW"), true, None);
        let second = Page {
            threads: vec![other.clone()],
            messages: vec![
                message(YANDEX, "2", Buyer, "later", at(5, 12)),
                message(YANDEX, "1", Buyer, "earlier", at(5, 10)),
            ],
            versions: vec![],
        };
        s.apply_page(&other.id.account(), &second, &checkpoint("chats", 1))
            .await
            .unwrap();
        let ids = [tid(YANDEX), tid(METRO), tid(LECTRONZ)];
        let all = s.message_facts(&ids).await.unwrap();
        let of = |key: &str| -> Vec<MessageFacts> {
            all.iter()
                .filter(|m| m.thread == tid(key))
                .cloned()
                .collect()
        };
        let facts = |messages: Vec<Message>| -> Vec<MessageFacts> {
            messages.iter().map(MessageFacts::from).collect()
        };
        assert_eq!(
            of(YANDEX),
            facts(vec![second.messages[1].clone(), second.messages[0].clone()]),
            "{}",
            t.name
        );
        let metro = s.messages(&tid(METRO)).await.unwrap();
        assert!(
            metro.iter().any(|m| m.read_at.is_some()),
            "read times come too"
        );
        assert_eq!(of(METRO), facts(metro.clone()), "{}", t.name);
        assert!(of(LECTRONZ).is_empty(), "a thread not stored has none");
        assert_eq!(all.len(), 2 + metro.len());
        assert!(s.message_facts(&[]).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn a_row_twice_in_one_page_counts_as_if_applied_one_after_the_other() {
    for t in both().await {
        let s = &t.store;
        let first = thread(YANDEX, (StatusKind::New, "NEW"), true, None);
        let second = thread(
            YANDEX,
            (StatusKind::AwaitingSeller, "WAITING_FOR_PARTNER"),
            true,
            Some(at(5, 10)),
        );
        let page = Page {
            threads: vec![first, second.clone()],
            messages: vec![
                message(YANDEX, "1", Buyer, "draft", at(5, 10)),
                message(YANDEX, "1", Buyer, "edited", at(5, 10)),
            ],
            versions: vec![],
        };
        let report = s
            .apply_page(&second.id.account(), &page, &checkpoint("chats", 1))
            .await
            .unwrap();
        assert_eq!(
            (
                report.threads_inserted,
                report.threads_updated,
                report.messages_inserted,
                report.messages_updated,
                report.changes
            ),
            (1, 1, 1, 1, 2),
            "{}",
            t.name
        );
        assert_eq!(s.thread(&second.id).await.unwrap().unwrap(), second);
        let texts: Vec<_> = s
            .messages(&second.id)
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.text.unwrap())
            .collect();
        assert_eq!(texts, ["edited"]);
        let kinds: Vec<_> = s
            .changes_since(0, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.change)
            .collect();
        assert!(
            matches!(kinds[0], ChangeKind::StatusChanged { .. }),
            "{kinds:?}"
        );
        assert!(
            matches!(kinds[1], ChangeKind::NewBuyerMessage { .. }),
            "{kinds:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_dropped_at_any_point_leaves_the_store_writable() {
    for t in both().await {
        let s = &t.store;
        let page = metro_page();
        let acct = account(&page.threads[0].id);
        // Callers drop futures (a timeout, a cancelled sync): each write is dropped
        // after a different number of polls, some inside `BEGIN`, some later.
        let first = checkpoint("chats", 1);
        for polls in 0..400 {
            let mut write = s.apply_page(&acct, &page, &first);
            for _ in 0..polls % 40 {
                if futures::poll!(write.as_mut()).is_ready() {
                    break;
                }
                tokio::task::yield_now().await;
            }
        }
        s.apply_page(&acct, &page, &checkpoint("chats", 2))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", t.name));
        assert_eq!(count(s, "threads").await, 1, "{}", t.name);
    }
}
