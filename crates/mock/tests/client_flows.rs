//! Each client's crate-doc example, run through the public client API against the
//! mock, then checked against what the mock's world now shows.

mod common;

use futures::TryStreamExt;
use marketplace_mock::{Api, REDACTED};
use marketplace_runtime::{Error, RateLimit};

#[tokio::test]
async fn lectronz_list_get_mark_read_reply() -> Result<(), Error> {
    let mock = common::small_mock().await;
    let access = mock.lectronz();
    let client = marketplace_lectronz::Client::builder(&access.api_key)
        .base_url(&access.base_url)
        .build()?;
    use marketplace_lectronz::types;

    // The crate-doc example, verbatim but for the counters.
    let page = client
        .list_messages()
        .limit(20u64)
        .offset(0u64)
        .send()
        .await?;
    let before = page.total_count;
    let mut answered = Vec::new();
    for summary in &page.messages {
        let message = client.get_message().id(summary.id).send().await?;
        if message.read_at.is_none() && message.type_ == types::MessageType::CustomerOrderMessage {
            client.mark_message_as_read().id(message.id).send().await?;
            let reply = client
                .create_message()
                .body(types::MessageCreate {
                    content: "Thanks, we are on it!".into(),
                    type_: types::MessageType::SellerOrderMessage,
                    subject: types::MessageSubjectRef {
                        id: message.subject.id,
                        type_: types::SubjectType::Order,
                    },
                })
                .send()
                .await?;
            answered.push((message.id, reply.into_inner()));
        }
    }
    assert!(
        !answered.is_empty(),
        "the default world has unread buyer messages on page 1"
    );

    // The writes are visible: each buyer message is read, each reply is the newest.
    for (id, reply) in &answered {
        let message = client.get_message().id(*id).send().await?;
        assert!(message.read_at.is_some());
        assert_eq!(message.updated_at, message.read_at.unwrap());
        let stored = client.get_message().id(reply.id).send().await?;
        assert_eq!(stored.into_inner(), *reply);
    }
    let page = client
        .list_messages()
        .limit(answered.len() as u64)
        .send()
        .await?;
    assert_eq!(page.total_count, before + answered.len() as i64);
    let newest: Vec<i64> = page.messages.iter().map(|m| m.id).collect();
    let mut replies: Vec<i64> = answered.iter().map(|(_, r)| r.id).collect();
    replies.reverse();
    assert_eq!(newest, replies, "newest first");
    Ok(())
}

#[tokio::test]
async fn skyhub_tickets_chats_reply_read() -> Result<(), Error> {
    use marketplace_skyhub_sac::types;
    let mock = common::small_mock().await;
    let access = mock.skyhub();
    let client = marketplace_skyhub_sac::Client::builder(
        &access.user_email,
        &access.api_key,
        &access.account_manager_key,
    )
    .base_url(&access.base_url)
    // The 1 request/s the SDK assumes for SkyHub would only slow the test down.
    .rate_limit(RateLimit::per_second(1000.0))
    .build()?;

    // The crate-doc example.
    let mut replied = Vec::new();
    let mut unread = client
        .list_tickets()
        .status(types::SellerStatus::Unread)
        .by_item();
    while let Some(ticket) = unread.try_next().await? {
        for chat in client.chats(&ticket.code).await? {
            if chat.parts != types::ChatParts::CustomerSeller {
                continue;
            }
            client
                .reply(
                    &ticket.code,
                    &chat.parts,
                    types::ChatReply {
                        delivery_id: "3".into(),
                        identity_id: "00007604079750".into(),
                        message_to: types::MessageTo::ToCustomer,
                        message_type: types::MessageType::TextMessage,
                        order_id: ticket.order_code.clone(),
                        message: "Olá! Já verificamos com a transportadora.".into(),
                    },
                )
                .await?;
            client
                .update_chat_status()
                .code(ticket.code.as_str())
                .parts(types::AnswerableParts::CustomerSeller)
                .body(types::ChatStatusUpdate {
                    status: types::SellerStatus::Read,
                })
                .send()
                .await?;
            replied.push(ticket.code.clone());
        }
    }
    assert!(!replied.is_empty(), "the default world has unread tickets");
    // The journal: the ticket pages, then per ticket its chats, the reply and the
    // status change, the code percent-encoded in the path; credentials redacted.
    let journal = mock.journal_of(Api::SkyhubSac);
    assert_eq!(journal[0].request_line(), "GET /sac?status=UNREAD");
    for code in &replied {
        let path = format!("/sac/{}", code.replace(' ', "%20"));
        let lines: Vec<String> = journal
            .iter()
            .filter(|e| e.path.starts_with(&path))
            .map(|e| e.request_line())
            .collect();
        assert_eq!(
            lines,
            [
                format!("GET {path}/chats"),
                format!("POST {path}/chats/CUSTOMER_SELLER"),
                format!("PATCH {path}/chats/CUSTOMER_SELLER"),
            ]
        );
    }
    assert!(
        journal
            .iter()
            .all(|e| e.header("x-api-key") == Some(REDACTED)
                && e.header("x-accountmanager-key") == Some(REDACTED)
                && e.header("x-user-email") == Some(access.user_email.as_str()))
    );

    // Nothing is unread any more, and each chat shows the reply, answering the buyer.
    let still_unread: Vec<_> = client
        .list_tickets()
        .status(types::SellerStatus::Unread)
        .by_item()
        .try_collect()
        .await?;
    assert!(still_unread.is_empty(), "{still_unread:?}");
    for code in &replied {
        let chats = client.chats(code).await?;
        let chat = chats
            .iter()
            .find(|c| c.parts == types::ChatParts::CustomerSeller)
            .unwrap();
        assert_eq!(chat.seller_status, Some(types::SellerStatus::Read));
        let last = chat.messages.last().unwrap();
        assert_eq!(last.content, "Olá! Já verificamos com a transportadora.");
        assert_eq!(chat.last_message.as_ref(), Some(&last.created_at));
        let question = &chat.messages[chat.messages.len() - 2];
        assert_eq!(question.part.role, types::PartRole::Customer);
        assert_eq!(question.replied_at(), Some(&last.created_at));
    }
    Ok(())
}

#[tokio::test]
async fn yandex_chats_history_send_create() -> Result<(), Error> {
    use marketplace_yandex_market_chats::handwritten::ChatFile;
    use marketplace_yandex_market_chats::types;
    let mock = common::small_mock().await;
    let access = mock.yandex();
    let client = marketplace_yandex_market_chats::Client::builder(&access.api_key)
        .base_url(&access.base_url)
        .build()?;
    let business_id = access.business_id;

    // The crate-doc example.
    let waiting = types::GetChatsRequest {
        statuses: Some(vec![types::ChatStatusType::WaitingForPartner]),
        ..Default::default()
    };
    let mut answered = Vec::new();
    let b = format!("/v2/businesses/{business_id}");
    let mut chats = client
        .get_chats()
        .business_id(business_id)
        .limit(20)
        .body(waiting.clone())
        .by_item();
    while let Some(chat) = chats.try_next().await? {
        let messages: Vec<types::ChatMessage> = history(&client, business_id, chat.chat_id)
            .try_collect()
            .await?;
        let history = mock.journal_of(Api::YandexMarketChats).pop().unwrap();
        assert_eq!(
            history.request_line(),
            format!("POST {b}/chats/history?chatId={}&limit=100", chat.chat_id)
        );
        assert_eq!(history.body, "{}");
        assert_eq!(
            messages.last().unwrap().sender,
            types::ChatMessageSenderType::Customer
        );
        client
            .send_message(business_id, chat.chat_id, "Hello! Your order ships today.")
            .await?;
        answered.push((chat.chat_id, messages.len()));
    }
    assert!(
        !answered.is_empty(),
        "the default world has chats waiting for the store"
    );

    // Each answer is the newest message, and nothing waits for the store any more.
    for (chat_id, before) in &answered {
        let messages: Vec<types::ChatMessage> = history(&client, business_id, *chat_id)
            .try_collect()
            .await?;
        assert_eq!(messages.len(), before + 1);
        let last = messages.last().unwrap();
        assert_eq!(last.sender, types::ChatMessageSenderType::Partner);
        assert_eq!(
            last.message.as_deref(),
            Some("Hello! Your order ships today.")
        );
        let chat = client
            .get_chat()
            .business_id(business_id)
            .chat_id(*chat_id)
            .send()
            .await?;
        let chat = chat.into_inner().result.unwrap();
        assert_eq!(chat.status, types::ChatStatusType::WaitingForCustomer);
        assert_eq!(chat.updated_at, last.created_at);
        let one = client
            .get_chat_message()
            .business_id(business_id)
            .chat_id(*chat_id)
            .message_id(last.message_id)
            .send()
            .await?;
        assert_eq!(one.into_inner().result.as_ref(), Some(last));
    }
    let still: Vec<_> = client
        .get_chats()
        .business_id(business_id)
        .limit(20)
        .body(waiting)
        .by_item()
        .try_collect()
        .await?;
    assert!(still.is_empty(), "{still:?}");

    // A file, through the hand-written multipart method, shows as a payload.
    let (chat_id, _) = answered[0];
    let file = ChatFile::new("invoice.pdf", vec![7u8; 1234]);
    client.send_file_to_chat(business_id, chat_id, file).await?;
    let messages: Vec<types::ChatMessage> =
        history(&client, business_id, chat_id).try_collect().await?;
    let payload = &messages.last().unwrap().payload.as_ref().unwrap()[0];
    assert_eq!((payload.name.as_str(), payload.size), ("invoice.pdf", 1234));

    // Opening a chat about an order: a new chat the first time, the same one after.
    // Orders are numbered from 50 000 000; some have no chat in the generated world.
    let mut opened = None;
    for order in 50_000_000..50_000_020u64 {
        let existing: Vec<_> = client
            .get_chats()
            .business_id(business_id)
            .limit(20)
            .body(types::GetChatsRequest {
                contexts: Some(vec![types::ChatContext {
                    type_: types::ChatContextIdentifiableType::Order,
                    id: order.try_into().unwrap(),
                }]),
                ..Default::default()
            })
            .by_item()
            .try_collect()
            .await?;
        if existing.is_empty() {
            opened = Some(order);
            break;
        }
    }
    let order = opened.expect("an order without a chat in the first 20");
    let create = || {
        client
            .create_chat()
            .business_id(business_id)
            .body(types::CreateChatRequest {
                context: Some(types::ChatContext {
                    type_: types::ChatContextIdentifiableType::Order,
                    id: order.try_into().unwrap(),
                }),
                order_id: None,
            })
            .send()
    };
    let first = create().await?.into_inner().result.unwrap().chat_id;
    let again = create().await?.into_inner().result.unwrap().chat_id;
    assert_eq!(first, again);
    let chat = client
        .get_chat()
        .business_id(business_id)
        .chat_id(first)
        .send()
        .await?;
    let chat = chat.into_inner().result.unwrap();
    assert_eq!(chat.status, types::ChatStatusType::New);
    assert_eq!(chat.context.order_id.map(|o| o.get()), Some(order));
    Ok(())
}

#[tokio::test]
async fn metro_unseen_chats_messages_upload_send_create() -> Result<(), Error> {
    use marketplace_metro_message_center::types;
    let mock = common::small_mock().await;
    let access = mock.metro();
    let client =
        marketplace_metro_message_center::Client::sandbox(&access.client_id, &access.client_secret)
            .base_url(&access.message_center_url)
            .build()?;

    // The crate-doc example.
    let unseen = client.count_unseen_chats().send().await?;
    let to_answer = unseen.data.count;
    assert!(to_answer > 0, "the default world has unseen chats");
    let mut answered = Vec::new();
    let mut chats = client.list_chats().limit(50u64).by_item();
    while let Some(chat) = chats.try_next().await? {
        if chat.is_seen {
            continue;
        }
        // Reading the messages marks the buyer's messages as seen.
        let messages = client.list_chat_messages().chat_id(&chat.id).send().await?;
        assert!(
            messages
                .data
                .iter()
                .all(|m| m.sender_user_type != types::SenderUserType::Buyer || m.seen_at.is_some())
        );
        let invoice = client
            .upload_file(
                &chat.order.id,
                "invoice.pdf",
                types::AttachmentFileType::ApplicationPdf,
                b"%PDF-1.4 mock invoice".to_vec(),
            )
            .await?
            .into_inner()
            .data;
        client
            .send_message()
            .chat_id(&chat.id)
            .body(types::MessageCreate {
                content: "Here is your invoice.".into(),
                attachments: vec![invoice.clone()],
            })
            .send()
            .await?;
        // Read, upload, send: exactly these three, signed (signature redacted).
        let journal = mock.journal_of(Api::MetroMessageCenter);
        let last: Vec<String> = journal[journal.len() - 3..]
            .iter()
            .map(|e| e.request_line())
            .collect();
        assert_eq!(
            last,
            [
                format!("GET /openapi/v1/chats/{}/messages", chat.id),
                format!("POST /openapi/v1/orders/{}/upload-file", chat.order.id),
                format!("POST /openapi/v1/chats/{}/messages", chat.id),
            ]
        );
        assert!(
            journal[journal.len() - 3..]
                .iter()
                .all(|e| e.header("x-signature") == Some(REDACTED)
                    && e.header("x-client-id") == Some(access.client_id.as_str()))
        );
        answered.push((chat.id.clone(), invoice));
    }
    assert_eq!(answered.len() as i64, to_answer);
    assert_eq!(client.count_unseen_chats().send().await?.data.count, 0);
    for (chat_id, invoice) in &answered {
        let messages = client
            .list_chat_messages()
            .chat_id(chat_id)
            .limit(100u64)
            .send()
            .await?;
        let last = messages.data.last().unwrap();
        assert_eq!(last.sender_user_type, types::SenderUserType::Seller);
        assert_eq!(last.attachments, vec![invoice.clone()]);
        let listed = client
            .list_chats()
            .filters_chat_id(chat_id.as_str())
            .send()
            .await?;
        assert_eq!(listed.data[0].last_message_at, last.created_at);
        assert_eq!(listed.data[0].status, types::ChatStatus::WaitingForBuyer);
    }

    // Open a chat about an order (its id): a draft with the subject's dotted path.
    let order_id = answered
        .first()
        .map(|(chat_id, _)| chat_id.clone())
        .unwrap();
    let order_id = client
        .list_chats()
        .filters_chat_id(order_id.as_str())
        .send()
        .await?
        .data[0]
        .order
        .id
        .clone();
    let chat = client
        .create_chat()
        .order_id(&order_id)
        .body(types::ChatCreate {
            subject: "OTHERS".into(),
            custom_subject: Some("Your delivery".into()),
        })
        .send()
        .await?;
    assert_eq!(chat.data.status, types::ChatStatus::Draft);
    assert_eq!(chat.data.subject, "SELLER.OTHERS");
    assert_eq!(chat.data.custom_subject.as_deref(), Some("Your delivery"));
    let listed = client
        .list_chats()
        .filters_order_id(order_id.as_str())
        .send()
        .await?;
    assert!(listed.data.iter().any(|c| c.id == chat.data.id));
    Ok(())
}

#[tokio::test]
async fn metro_subscriptions_create_list_update_delete() -> Result<(), Error> {
    use marketplace_metro_subscriptions::types;
    let mock = common::small_mock().await;
    let access = mock.metro();
    let client =
        marketplace_metro_subscriptions::Client::sandbox(&access.client_id, &access.client_secret)
            .base_url(&access.subscriptions_url)
            .build()?;

    // The crate-doc example, with a receiver of this workspace on loopback: METRO
    // (the mock) delivers `test_connection` to it before subscribing it.
    let (url, received) = common::metro_receiver(&mock).await;
    let created = client
        .create_subscription()
        .body(types::SubscriptionCreate {
            url: url.clone(),
            event: types::EventName::OrderCreated,
            fallback_email: "ops@shop.example.com".into(),
            is_active: true,
        })
        .send()
        .await?;
    // The receiver answers `test_connection` itself (the application is not handed it).
    assert!(received.lock().unwrap().is_empty());
    let listed = client.list_subscriptions().send().await?.into_inner();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, created.id);
    assert!(listed[0].is_active);
    client
        .update_subscription()
        .subscription_id(&created.id)
        .body(types::SubscriptionUpdate {
            is_active: Some(false),
            ..Default::default()
        })
        .send()
        .await?;
    assert!(!client.list_subscriptions().send().await?[0].is_active);
    client
        .delete_subscription()
        .subscription_id(&created.id)
        .send()
        .await?;
    assert!(client.list_subscriptions().send().await?.is_empty());
    let gone = client
        .delete_subscription()
        .subscription_id(&created.id)
        .send()
        .await;
    // `Error::from` holds whichever error type `send` returns.
    assert!(gone.unwrap_err().is_not_found());
    Ok(())
}

/// A Yandex chat's whole history, 100 messages a request, oldest first.
fn history(
    client: &marketplace_yandex_market_chats::Client,
    business_id: u64,
    chat_id: impl TryInto<std::num::NonZeroU64>,
) -> marketplace_runtime::pagination::Items<'_, marketplace_yandex_market_chats::types::ChatMessage>
{
    client
        .get_chat_history()
        .business_id(business_id)
        .chat_id(chat_id)
        .limit(100)
        .body(marketplace_yandex_market_chats::types::GetChatHistoryRequest::default())
        .by_item()
}
