//! Operations the code generator cannot produce, written by hand on top of
//! [`marketplace_runtime::multipart::send`] (same hooks, auth, limits, tracing span
//! and error decoding as the generated operations).
//!
//! * `send_file_to_chat` (vendor `sendFileToChat`): [`Client::send_file_to_chat`].

use std::num::NonZeroU64;

use marketplace_runtime::multipart::{self, Form, Part};
use progenitor_client::ResponseValue;
use reqwest::Method;

use crate::{Client, Error, Result, types};

/// The largest file [`Client::send_file_to_chat`] sends: 5 MiB. Yandex documents
/// "5 MB" without saying which; the larger reading is used, so a file Yandex
/// might accept is never refused here (a file between 5,000,000 and 5,242,880
/// bytes may still be refused by Yandex).
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;

/// A file to send into a chat: its name, its bytes and its media type.
///
/// The media type defaults to the one registered for the file name's extension, else
/// `application/octet-stream`.
///
/// ```
/// use marketplace_yandex_market_chats::ChatFile;
///
/// let receipt = ChatFile::new("receipt.pdf", b"%PDF-1.7 ...".to_vec());
/// assert_eq!(receipt.content_type(), "application/pdf");
/// let photo = ChatFile::new("parcel", vec![0xFF, 0xD8]).with_content_type("image/jpeg");
/// assert_eq!(photo.content_type(), "image/jpeg");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ChatFile {
    name: String,
    content: bytes::Bytes,
    content_type: String,
}

impl ChatFile {
    /// A file called `name` (as the buyer will see it) with `content`.
    pub fn new(name: impl Into<String>, content: impl Into<bytes::Bytes>) -> Self {
        let name = name.into();
        let content_type = guess_content_type(&name).to_owned();
        ChatFile {
            name,
            content: content.into(),
            content_type,
        }
    }

    /// Sets the media type sent with the file (e.g. `image/png`).
    #[must_use]
    pub fn with_content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = content_type.into();
        self
    }

    /// The file name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The media type sent with the file.
    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    /// The file's size in bytes.
    pub fn len(&self) -> usize {
        self.content.len()
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> bool {
        self.content.is_empty()
    }
}

/// Shows the name, media type and size, never the content.
impl std::fmt::Debug for ChatFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatFile")
            .field("name", &self.name)
            .field("content_type", &self.content_type)
            .field("bytes", &self.content.len())
            .finish()
    }
}

/// The media type registered for the file name's extension (mime_guess, already in
/// the tree through reqwest's multipart support), else `application/octet-stream`.
/// The extension is read from the name itself, so `.pdf` counts as a PDF.
fn guess_content_type(name: &str) -> &'static str {
    name.rsplit_once('.')
        .and_then(|(_, extension)| mime_guess::from_ext(extension).first_raw())
        .unwrap_or("application/octet-stream")
}

impl Client {
    /// Sends `file` into chat `chat_id` of cabinet `business_id` (vendor
    /// `sendFileToChat`, `POST /v2/businesses/{businessId}/chats/file/send?chatId=…`,
    /// one `multipart/form-data` part named `file`). Quota: 1,000 requests per hour.
    ///
    /// A file over [`MAX_FILE_BYTES`] or an id of 0 fails with
    /// [`Error::is_invalid_request`] and sends nothing. Like every `POST`, the
    /// upload is not retried once it may have reached the server.
    ///
    /// ```no_run
    /// use marketplace_yandex_market_chats::ChatFile;
    ///
    /// # async fn demo(client: marketplace_yandex_market_chats::Client) -> marketplace_yandex_market_chats::Result<()> {
    /// let label = std::fs::read("label.pdf").expect("the label");
    /// client.send_file_to_chat(12345, 42, ChatFile::new("label.pdf", label)).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send_file_to_chat(
        &self,
        business_id: impl TryInto<NonZeroU64>,
        chat_id: impl TryInto<NonZeroU64>,
        file: ChatFile,
    ) -> Result<ResponseValue<types::EmptyApiResponse>> {
        let business_id = crate::id(business_id, "businessId").map_err(Error::invalid_request)?;
        let chat_id = crate::id(chat_id, "chatId").map_err(Error::invalid_request)?;
        if file.len() > MAX_FILE_BYTES {
            return Err(Error::invalid_request(format!(
                "file {:?} is {} bytes; Yandex Market accepts chat files of at most 5 MB \
             ({MAX_FILE_BYTES} bytes)",
                file.name,
                file.len()
            )));
        }
        let part = Part::stream_with_length(file.content.clone(), file.content.len() as u64)
            .file_name(file.name.clone())
            .mime_str(&file.content_type)
            .map_err(|_| {
                Error::invalid_request(format!(
                    "{:?} is not a media type (file {:?})",
                    file.content_type, file.name
                ))
            })?;
        let url = format!(
            "{}/v2/businesses/{business_id}/chats/file/send?chatId={chat_id}",
            progenitor_client::ClientInfo::baseurl(self)
        );
        multipart::send::<_, _, types::ApiErrorResponse>(
            self,
            "send_file_to_chat",
            Method::POST,
            &url,
            Form::new().part("file", part),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_are_guessed_from_the_extension() {
        assert_eq!(ChatFile::new("a.JPG", vec![]).content_type(), "image/jpeg");
        assert_eq!(
            ChatFile::new("b.tar.zip", vec![]).content_type(),
            "application/zip"
        );
        assert_eq!(
            ChatFile::new("no-extension", vec![]).content_type(),
            "application/octet-stream"
        );
        assert_eq!(
            ChatFile::new(".pdf", vec![]).content_type(),
            "application/pdf"
        );
        // Beyond a hand-kept table: the maintained registry knows every common type.
        assert_eq!(
            ChatFile::new("logo.svg", vec![]).content_type(),
            "image/svg+xml"
        );
        assert_eq!(
            ChatFile::new("scan.TIFF", vec![]).content_type(),
            "image/tiff"
        );
        assert_eq!(
            ChatFile::new("notes.odt", vec![]).content_type(),
            "application/vnd.oasis.opendocument.text"
        );
    }

    #[test]
    fn debug_shows_the_size_not_the_content() {
        let file = ChatFile::new("secret.txt", b"top secret".to_vec());
        let shown = format!("{file:?}");
        assert_eq!(
            shown,
            "ChatFile { name: \"secret.txt\", content_type: \"text/plain\", bytes: 10 }"
        );
    }
}
