//! A first sync stores the mock's whole world; a second one, after buyers wrote on
//! every marketplace, sends only the requests those changes need and stores exactly
//! the new messages.

mod common;

use common::*;
use marketplace_inbox::{AuthorRole, ChangeKind, Marketplace, ThreadFilter};
use marketplace_mock::Api;

#[tokio::test]
async fn first_sync_stores_every_thread_and_message_of_the_mock() {
    let mock = mock(40).await;
    let store = memory_store().await;
    let inbox = Access::of(&mock).builder(store.clone()).build().unwrap();

    let report = inbox.sync().await;

    assert!(report.is_ok(), "{report:#?}");
    let world = world_census(&mock);
    let stored = stored_census(&store).await;
    for api in APIS {
        assert!(!world[&api].is_empty(), "{api:?} has threads");
        assert_eq!(
            stored[&api], world[&api],
            "{api:?}: threads and message counts"
        );
    }
    for account in &report.accounts {
        let api = api_of(account.account.marketplace);
        let messages: usize = world[&api].iter().map(|(_, n)| n).sum();
        assert_eq!(account.messages_new as usize, messages, "{api:?}");
        assert_eq!(account.threads_new as usize, world[&api].len(), "{api:?}");
        // The report counts the HTTP requests the mock received.
        assert_eq!(
            account.requests as usize,
            mock.journal_of(api).len(),
            "{api:?}"
        );
    }
    // What the seller asks first is answered from the store.
    let awaiting = inbox
        .awaiting_reply(&ThreadFilter::default())
        .await
        .unwrap();
    assert!(!awaiting.is_empty());
    assert!(
        awaiting
            .windows(2)
            .all(|w| w[0].awaiting_reply_since <= w[1].awaiting_reply_since)
    );
    for marketplace in [
        Marketplace::Lectronz,
        Marketplace::Metro,
        Marketplace::Skyhub,
        Marketplace::Yandex,
    ] {
        assert!(
            awaiting.iter().any(|t| t.id.marketplace() == marketplace),
            "{marketplace} has threads awaiting a reply"
        );
    }
    let unread = inbox.unread_counts().await.unwrap();
    assert!(unread.iter().all(|(_, n)| *n > 0), "{unread:?}");
}

#[tokio::test]
async fn second_sync_after_buyer_activity_makes_only_the_needed_requests() {
    let mock = mock(30).await;
    let store = memory_store().await;
    let inbox = Access::of(&mock).builder(store.clone()).build().unwrap();
    assert!(inbox.sync().await.is_ok());
    let cursor = inbox.store().latest_cursor().await.unwrap();
    let mut ticks = inbox.subscribe_changes();
    ticks.borrow_and_update();

    // A buyer writes on each marketplace.
    let world = world_census(&mock);
    let mut written = Vec::new();
    for api in APIS {
        let thread = &world[&api][world[&api].len() / 2].0;
        let thread = match api {
            Api::SkyhubSac => thread.split_once('/').unwrap().0.to_owned(),
            _ => thread.clone(),
        };
        let text = format!("Where is my parcel? ({api:?})");
        mock.buyer_writes(api, &thread, &text).unwrap();
        written.push((api, thread, text));
    }
    mock.clear_journal();

    let report = inbox.sync().await;

    assert!(report.is_ok(), "{report:#?}");
    for account in &report.accounts {
        assert_eq!(account.messages_new, 1, "{:?}", account.account);
        assert_eq!(account.threads_new, 0, "{:?}", account.account);
    }
    let (_, chat, _) = &written[1];
    let metro = requests(&mock, Api::MetroMessageCenter);
    assert_eq!(metro.len(), 2, "{metro:#?}");
    assert!(
        metro[0].starts_with("GET /openapi/v1/chats?")
            && metro[0].contains("filters%5BlastMessage%5D%5Bfrom%5D="),
        "{metro:#?}"
    );
    assert!(
        metro[1].starts_with(&format!("GET /openapi/v1/chats/{chat}/messages?")),
        "{metro:#?}"
    );

    let (_, chat, _) = &written[3];
    let yandex = requests(&mock, Api::YandexMarketChats);
    let chats = world[&Api::YandexMarketChats].len();
    let list = chats.div_ceil(20);
    assert_eq!(yandex.len(), list + 1, "{yandex:#?}");
    let (lists, histories): (Vec<_>, Vec<_>) =
        yandex.iter().partition(|r| r.contains("/chats?limit=20"));
    assert_eq!(lists.len(), list, "{yandex:#?}");
    assert!(
        histories[0].contains(&format!("/chats/history?chatId={chat}&")),
        "{yandex:#?}"
    );
    let (_, ticket, _) = &written[2];
    let skyhub = requests(&mock, Api::SkyhubSac);
    let mut tickets: Vec<&str> = world[&Api::SkyhubSac]
        .iter()
        .map(|(t, _)| t.split_once('/').unwrap().0)
        .collect();
    tickets.dedup();
    let list = tickets.len().div_ceil(25);
    assert_eq!(skyhub.len(), list + 1, "{skyhub:#?}");
    assert_eq!(
        skyhub
            .iter()
            .filter(|r| r.starts_with("GET /sac?") || *r == "GET /sac")
            .count(),
        list
    );
    assert!(
        skyhub.contains(&format!("GET /sac/{}/chats", ticket.replace(' ', "%20"))),
        "{skyhub:#?}"
    );

    let lectronz = requests(&mock, Api::Lectronz);
    let newest = mock
        .census(Api::Lectronz)
        .iter()
        .map(|t| t.messages)
        .sum::<usize>();
    assert_eq!(
        lectronz,
        [
            "GET /api/v1/messages?limit=25&offset=0".to_owned(),
            format!("GET /api/v1/messages/{newest}"),
        ]
    );
    for account in &report.accounts {
        let api = api_of(account.account.marketplace);
        assert_eq!(
            account.requests as usize,
            mock.journal_of(api).len(),
            "{api:?}"
        );
    }

    // Exactly the new messages are stored, once each, and the feed says so.
    assert_eq!(stored_census(&store).await, world_census(&mock));
    let changes = inbox.changes_since(cursor, 100).await.unwrap();
    let new_messages: Vec<_> = changes
        .iter()
        .filter_map(|c| match &c.change {
            ChangeKind::NewBuyerMessage { message } => Some((c, message)),
            // A buyer's message moves a SkyHub ticket to UNREAD, a Yandex chat to
            // WAITING_FOR_PARTNER: status changes of the same threads.
            ChangeKind::StatusChanged { .. } => None,
        })
        .collect();
    assert_eq!(new_messages.len(), 4, "{changes:#?}");
    for (change, message) in new_messages {
        let stored = inbox.messages(&change.thread).await.unwrap();
        let message = stored.iter().find(|m| m.id == *message).unwrap();
        assert_eq!(message.author, AuthorRole::Buyer);
        assert!(
            message
                .text
                .as_deref()
                .unwrap()
                .starts_with("Where is my parcel?")
        );
        let thread = inbox.thread(&change.thread).await.unwrap();
        assert!(thread.awaiting_reply_since.is_some(), "{thread:?}");
    }
    assert!(ticks.has_changed().unwrap());

    // A third sync with nothing new reads no history at all.
    mock.clear_journal();
    let report = inbox.sync().await;
    assert!(
        report
            .accounts
            .iter()
            .all(|a| a.messages_new == 0 && a.error.is_none())
    );
    assert!(
        requests(&mock, Api::MetroMessageCenter)
            .iter()
            .all(|r| !r.contains("/messages"))
    );
    assert!(
        requests(&mock, Api::YandexMarketChats)
            .iter()
            .all(|r| !r.contains("/history"))
    );
    assert!(
        requests(&mock, Api::SkyhubSac)
            .iter()
            .all(|r| !r.contains("/chats"))
    );
    assert_eq!(
        requests(&mock, Api::Lectronz),
        ["GET /api/v1/messages?limit=25&offset=0"]
    );
}
