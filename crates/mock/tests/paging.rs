//! Paging in each vendor's style, over 10 000 items, through the clients' own
//! streams: nothing is skipped or repeated, and the order is the vendor's.

mod common;

use std::collections::HashSet;

use futures::TryStreamExt;
use marketplace_mock::{MockConfig, MockMarketplace};
use marketplace_runtime::{Error, RateLimit};
use reqwest::Method;

#[tokio::test]
async fn lectronz_offset_limit_with_total_over_10_000_messages() -> Result<(), Error> {
    let mock = MockMarketplace::start(MockConfig {
        threads: 2_500,
        messages_per_thread: 4,
        ..common::config()
    })
    .await
    .unwrap();
    let access = mock.lectronz();
    let client = marketplace_lectronz::Client::builder(&access.api_key)
        .base_url(&access.base_url)
        .build()?;
    let all: Vec<_> = client
        .list_messages()
        .limit(100u64)
        .by_item()
        .try_collect()
        .await?;
    assert_eq!(all.len(), 10_000);
    let ids: HashSet<i64> = all.iter().map(|m| m.id).collect();
    assert_eq!(ids.len(), 10_000, "no message twice");
    assert!(
        all.windows(2)
            .all(|w| w[0].created_at >= w[1].created_at && w[0].id > w[1].id),
        "newest first"
    );

    // The last, short page carries the request's limit and offset and the total.
    let checked = common::checked(&mock, "lectronz");
    let page = checked
        .send(Method::GET, "/messages?limit=20&offset=9990", None)
        .await;
    let body = page.body.unwrap();
    assert_eq!(body["messages"].as_array().unwrap().len(), 10);
    assert_eq!(
        (body["limit"].as_i64(), body["offset"].as_i64()),
        (Some(20), Some(9990))
    );
    assert_eq!(body["total_count"], 10_000);
    // Without parameters: Lectronz's default page of 20 from the newest.
    let page = checked
        .send(Method::GET, "/messages", None)
        .await
        .body
        .unwrap();
    assert_eq!(page["messages"].as_array().unwrap().len(), 20);
    assert_eq!(page["messages"][0]["id"].as_i64(), Some(all[0].id));
    Ok(())
}

#[tokio::test]
async fn skyhub_cursor_url_over_10_000_tickets() -> Result<(), Error> {
    use marketplace_skyhub_sac::types;
    let mock = MockMarketplace::start(MockConfig {
        threads: 10_000,
        messages_per_thread: 2,
        ..common::config()
    })
    .await
    .unwrap();
    let access = mock.skyhub();
    let client = marketplace_skyhub_sac::Client::builder(
        &access.user_email,
        &access.api_key,
        &access.account_manager_key,
    )
    .base_url(&access.base_url)
    .rate_limit(RateLimit::per_second(1_000_000.0))
    .build()?;
    let all: Vec<_> = client.list_tickets().by_item().try_collect().await?;
    assert_eq!(all.len(), 10_000);
    let codes: HashSet<&str> = all.iter().map(|t| t.code.as_str()).collect();
    assert_eq!(codes.len(), 10_000, "no ticket twice");

    // A filtered walk finds exactly the tickets the unfiltered one shows with it.
    let archived: Vec<_> = client
        .list_tickets()
        .status(types::SellerStatus::Archived)
        .by_item()
        .try_collect()
        .await?;
    let expected: Vec<_> = all
        .iter()
        .filter(|t| t.status == types::SellerStatus::Archived)
        .cloned()
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(archived, expected);

    // `next_page` is a full URL on the mock's host; with a cursor the filters sent
    // again are ignored (the cursor carries the first page's), and the last page has
    // no `next_page`.
    let checked = common::checked(&mock, "skyhub-sac");
    let first = checked
        .send(Method::GET, "/sac?status=ARCHIVED", None)
        .await
        .body
        .unwrap();
    let next = first["next_page"].as_str().unwrap();
    let cursor = next
        .strip_prefix(&format!("{}/sac?cursor=", access.base_url))
        .expect("the next page's URL is on the mock's host");
    let second = checked
        .send(
            Method::GET,
            &format!("/sac?cursor={cursor}&status=UNREAD"),
            None,
        )
        .await
        .body
        .unwrap();
    let statuses: HashSet<&str> = second["sacs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, HashSet::from(["ARCHIVED"]));
    let mut page = second;
    while let Some(next) = page["next_page"].as_str() {
        let query = next.split_once('?').unwrap().1;
        page = checked
            .send(Method::GET, &format!("/sac?{query}"), None)
            .await
            .body
            .unwrap();
    }
    assert!(page.get("next_page").is_none());
    Ok(())
}

#[tokio::test]
async fn yandex_page_tokens_over_10_000_chats_and_10_000_messages() -> Result<(), Error> {
    use marketplace_yandex_market_chats::types;
    // About three orders in four have a chat: 13 400 orders give over 10 000 chats.
    let mock = MockMarketplace::start(MockConfig {
        threads: 13_400,
        messages_per_thread: 1,
        ..common::config()
    })
    .await
    .unwrap();
    let access = mock.yandex();
    let client = marketplace_yandex_market_chats::Client::builder(&access.api_key)
        .base_url(&access.base_url)
        .build()?;
    let chats: Vec<_> = client
        .get_chats()
        .business_id(access.business_id)
        .limit(20)
        .body(types::GetChatsRequest::default())
        .by_item()
        .try_collect()
        .await?;
    assert!(chats.len() >= 10_000, "{}", chats.len());
    // Every chat once, in creation order, and none after the last.
    let ids: Vec<u64> = chats.iter().map(|c| c.chat_id.get()).collect();
    assert_eq!(ids, (1..=chats.len() as u64).collect::<Vec<_>>());
    let checked = common::checked(&mock, "yandex-market-chats");
    let beyond = checked
        .send(
            Method::GET,
            &format!(
                "/v2/businesses/{}/chat?chatId={}",
                access.business_id,
                ids.len() + 1
            ),
            None,
        )
        .await;
    assert_eq!(beyond.status, 404);

    // One chat of 10 000 messages, read 100 at a time, oldest first; the vendor's
    // other spelling of the token (`page_token`) works too.
    let mock = MockMarketplace::start(MockConfig {
        threads: 1,
        messages_per_thread: 10_000,
        seed: 3, // a seed whose only order has a chat
        ..common::config()
    })
    .await
    .unwrap();
    let access = mock.yandex();
    let client = marketplace_yandex_market_chats::Client::builder(&access.api_key)
        .base_url(&access.base_url)
        .build()?;
    let messages: Vec<_> = client
        .get_chat_history()
        .business_id(access.business_id)
        .chat_id(1)
        .limit(100)
        .body(types::GetChatHistoryRequest::default())
        .by_item()
        .try_collect()
        .await?;
    assert_eq!(messages.len(), 10_000);
    assert!(
        messages
            .windows(2)
            .all(|w| w[0].message_id < w[1].message_id && w[0].created_at <= w[1].created_at)
    );
    let checked = common::checked(&mock, "yandex-market-chats");
    let history = |query: String| {
        let path = format!(
            "/v2/businesses/{}/chats/history?chatId=1&{query}",
            access.business_id
        );
        let checked = &checked;
        async move {
            checked
                .send(Method::POST, &path, Some(serde_json::json!({})))
                .await
                .body
                .unwrap()
        }
    };
    let first = history("limit=100".into()).await;
    let token = first["result"]["paging"]["nextPageToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = history(format!("limit=100&page_token={token}")).await;
    assert_eq!(second["result"]["messages"][0]["messageId"], 101);
    // `messageIdFrom` starts the history at that message.
    let from = checked
        .send(
            Method::POST,
            &format!(
                "/v2/businesses/{}/chats/history?chatId=1&limit=1",
                access.business_id
            ),
            Some(serde_json::json!({"messageIdFrom": 9_999})),
        )
        .await
        .body
        .unwrap();
    assert_eq!(from["result"]["messages"][0]["messageId"], 9_999);
    Ok(())
}

#[tokio::test]
async fn metro_offset_limit_with_total_over_10_000_chats() -> Result<(), Error> {
    // Three orders in four have a chat: 13 400 orders give over 10 000 chats.
    let mock = MockMarketplace::start(MockConfig {
        threads: 13_400,
        messages_per_thread: 1,
        ..common::config()
    })
    .await
    .unwrap();
    let access = mock.metro();
    let client =
        marketplace_metro_message_center::Client::sandbox(&access.client_id, &access.client_secret)
            .base_url(&access.message_center_url)
            .build()?;
    let total = client.list_chats().limit(1u64).send().await?.metadata.total;
    assert!(total >= 10_000, "{total}");
    let all: Vec<_> = client
        .list_chats()
        .limit(100u64)
        .by_item()
        .try_collect()
        .await?;
    assert_eq!(all.len() as i64, total);
    let ids: HashSet<&str> = all.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids.len(), all.len(), "no chat twice");
    // A filtered walk (unseen chats) agrees with the total METRO reports for it.
    let unseen: Vec<_> = client
        .list_chats()
        .limit(100u64)
        .filters_is_seen(false)
        .by_item()
        .try_collect()
        .await?;
    assert_eq!(unseen.len(), all.iter().filter(|c| !c.is_seen).count());
    assert_eq!(
        client.count_unseen_chats().send().await?.data.count,
        unseen.len() as i64
    );
    Ok(())
}
