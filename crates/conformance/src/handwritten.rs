//! Replay of the operations a client crate writes by hand (multipart uploads, which
//! the generator cannot produce): one module per spec, one function per operation,
//! named like the spec and the operation id. The generated dispatcher of that spec
//! calls them; a spec with a new hand-written operation needs its function here.
//! Each module is compiled when its client is (`cfg(client = "<spec>")`, set by the
//! build script).

/// METRO Markets Message Center.
#[cfg(client = "metro-message-center")]
pub mod metro_message_center {
    use marketplace_sdk::metro_message_center::{Client, types};

    use crate::call::{Call, Location, Outcome};

    /// Replays `upload_file`: the `orderId` path argument and the `file` part (its
    /// file name, its content type as the attachment type, its bytes).
    pub async fn upload_file(client: &Client, call: &Call) -> Result<Outcome, String> {
        let order_id: String = call
            .arg(Location::Path, "orderId")?
            .ok_or("the path has no `orderId`")?;
        let file = call.part("file")?;
        let file_name = file
            .filename
            .clone()
            .ok_or("the `file` part has no file name")?;
        let file_type: types::AttachmentFileType = file
            .content_type
            .as_deref()
            .ok_or("the `file` part has no content type")?
            .parse()
            .map_err(|e| format!("the `file` part's content type: {e}"))?;
        let result = client
            .upload_file(&order_id, file_name, file_type, file.content.clone())
            .await;
        Ok(Outcome::from_result(result))
    }
}

/// Yandex Market Partner API, chats.
#[cfg(client = "yandex-market-chats")]
pub mod yandex_market_chats {
    use std::num::NonZeroU64;

    use marketplace_sdk::yandex_market_chats::{ChatFile, Client};

    use crate::call::{Call, Location, Outcome};

    /// Replays `send_file_to_chat` from the recorded path, query and `file` part.
    pub async fn send_file_to_chat(client: &Client, call: &Call) -> Result<Outcome, String> {
        let business_id: NonZeroU64 = call
            .arg(Location::Path, "businessId")?
            .ok_or("the call has no `businessId`")?;
        let chat_id: NonZeroU64 = call
            .arg(Location::Query, "chatId")?
            .ok_or("the call has no `chatId`")?;
        let part = call.part("file")?;
        let mut file = ChatFile::new(
            part.filename.clone().unwrap_or_default(),
            part.content.clone(),
        );
        if let Some(content_type) = &part.content_type {
            file = file.with_content_type(content_type.clone());
        }
        Ok(Outcome::from_result(
            client.send_file_to_chat(business_id, chat_id, file).await,
        ))
    }
}
