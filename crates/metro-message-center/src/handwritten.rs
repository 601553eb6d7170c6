//! The operations of the spec that the generator cannot produce: `upload_file`, a
//! `multipart/form-data` request. It goes through the same hooks as every generated
//! call (signing, retries policy, tracing) via [`marketplace_runtime::multipart::send`].

use marketplace_runtime::multipart::{Form, Part, send};
use progenitor_client::{ClientInfo, ResponseValue, encode_path};

use crate::{Client, Error, Result, types};

impl Client {
    /// Uploads one file to attach to a message about order `order_id` (its id, not
    /// its number), and returns its reference (`data`) to pass in
    /// [`MessageCreate::attachments`](types::MessageCreate::attachments).
    ///
    /// `POST /openapi/v1/orders/{orderId}/upload-file`, one multipart part `file`
    /// carrying `file_name` and `file_type` as its media type. METRO accepts at most
    /// 10 MB per file and only the types of [`types::AttachmentFileType`]. The request
    /// is signed with an empty body (see [`MetroHmac`](crate::MetroHmac)). Being a
    /// stream, it is sent once, never retried.
    ///
    /// ```no_run
    /// # async fn demo(client: marketplace_metro_message_center::Client) -> marketplace_metro_message_center::Result<()> {
    /// use marketplace_metro_message_center::types::AttachmentFileType;
    ///
    /// let uploaded = client
    ///     .upload_file(
    ///         "9e159b23-5585-4482-b078-9a9e1db2b252",
    ///         "invoice.pdf",
    ///         AttachmentFileType::ApplicationPdf,
    ///         b"%PDF-1.4 ...".to_vec(),
    ///     )
    ///     .await?;
    /// println!("attach {}", uploaded.data.file_id);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn upload_file(
        &self,
        order_id: &str,
        file_name: impl Into<String>,
        file_type: types::AttachmentFileType,
        content: impl Into<Vec<u8>>,
    ) -> Result<ResponseValue<types::AttachmentResponse>> {
        let part = Part::bytes(content.into())
            .file_name(file_name.into())
            .mime_str(&file_type.to_string())
            .map_err(|_| {
                Error::invalid_request(format!("`{file_type}` is not a valid media type"))
            })?;
        let url = format!(
            "{}/openapi/v1/orders/{}/upload-file",
            self.baseurl(),
            encode_path(order_id)
        );
        send::<_, _, types::ErrorResponse>(
            self,
            "upload_file",
            reqwest::Method::POST,
            &url,
            Form::new().part("file", part),
        )
        .await
    }
}
