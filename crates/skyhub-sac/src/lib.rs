//! Typed client for the SAC part of [SkyHub](https://desenvolvedores.skyhub.com.br), the
//! seller API of the Americanas marketplace (formerly B2W): post-sale customer-service
//! tickets and the chats of each ticket between the customer, the marketplace and
//! the seller.
//!
//! Generated at build time from `specs/skyhub-sac.yaml`; the ticket list
//! (`list_tickets`) streams every page (`.by_page()`) or every ticket
//! (`.by_item()`) with the builder's filters, following SkyHub's forward-only
//! cursor: only the `cursor` of each `next_page` URL is sent back, to the client's
//! own base URL, so credentials never go to a host an answer names. This file adds
//! the SkyHub constructor and a few helpers the spec cannot express:
//!
//! * [`Client::chats`] lists the chats of a ticket whether SkyHub answers one chat
//!   object (as its documentation shows) or a list of them (as its text implies);
//! * [`Client::reply`] replies in a chat and refuses, before sending anything, the
//!   read-only `CUSTOMER_B2W` conversation;
//! * [`ChatMessage::replied_at`](types::ChatMessage::replied_at) reads SkyHub's
//!   `replyed_at` field (the generated field keeps the wire spelling);
//! * [`LocalDateTime`](types::LocalDateTime) parses the chats' offset-less timestamps.
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use marketplace_skyhub_sac::{Client, types};
//!
//! # async fn demo() -> Result<(), marketplace_skyhub_sac::Error> {
//! let client = Client::builder("seller@example.com", "my-api-key", "my-account-manager-key")
//!     .build()?;
//!
//! let mut unread = client.list_tickets().status(types::SellerStatus::Unread).by_item();
//! while let Some(ticket) = unread.try_next().await? {
//!     for chat in client.chats(&ticket.code).await? {
//!         if chat.parts != types::ChatParts::CustomerSeller {
//!             continue;
//!         }
//!         if let Some(last) = chat.messages.last() {
//!             println!("{} at {}: {}", ticket.code, last.created_at, last.content);
//!         }
//!         client
//!             .reply(
//!                 &ticket.code,
//!                 &chat.parts,
//!                 types::ChatReply {
//!                     delivery_id: "3".into(),
//!                     identity_id: "00007604079750".into(),
//!                     message_to: types::MessageTo::ToCustomer,
//!                     message_type: types::MessageType::TextMessage,
//!                     order_id: ticket.order_code.clone(),
//!                     message: "Olá! Já verificamos com a transportadora.".into(),
//!                 },
//!             )
//!             .await?;
//!         client
//!             .update_chat_status()
//!             .code(ticket.code.as_str())
//!             .parts(types::AnswerableParts::CustomerSeller)
//!             .body(types::ChatStatusUpdate { status: types::SellerStatus::Read })
//!             .send()
//!             .await?;
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! **Ticket codes** are `<marketplace>-<order>` and contain spaces
//! (`Lojas Americanas-9999900001`); pass them as they are, the client percent-encodes
//! them (`/sac/Lojas%20Americanas-9999900001/chats`).
//!
//! **Timestamps.** The ticket list's timestamps carry an offset and decode as UTC
//! instants. The chats' do not (`2019-10-03T14:20:41`); they are kept as the text
//! received in [`types::LocalDateTime`] and are *presumed* to be the marketplace's
//! local time, America/Sao_Paulo: no SkyHub document says so.
//!
//! **Errors.** SkyHub answers errors as `{"errors": {"detail": "…"}}` or
//! `{"error": "…"}`; either way [`Error::message`] is the text. SkyHub sends no error
//! codes, so [`Error::code`] is `None`.
//!
//! **Limits.** SkyHub throttles per endpoint and answers 429 beyond; the SAC limit is
//! not published, so [`Client::builder`] spaces requests at one per second (the
//! documented rate for "other endpoints"). Change it with
//! [`ClientBuilder::rate_limit`] ([`RateLimit::none`] switches it off).

marketplace_runtime::include_generated_client!();

pub use marketplace_runtime::{Auth, ClientBuilder, Error, RateLimit, Result, RetryPolicy};

impl Client {
    /// The chats of ticket `code` (e.g. `Lojas Americanas-9999900001`), one per
    /// conversation pair, whether SkyHub answers a single chat object or a list
    /// (see [`types::Chats`]). The code is sent percent-encoded; an empty code, `.`
    /// or `..` (which URL normalisation would turn into another path) is rejected
    /// before sending.
    ///
    /// ```no_run
    /// # async fn demo(client: marketplace_skyhub_sac::Client) -> marketplace_skyhub_sac::Result<()> {
    /// for chat in client.chats("Lojas Americanas-9999900001").await? {
    ///     println!("{}: {} message(s)", chat.parts, chat.messages.len());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn chats(&self, code: &str) -> Result<Vec<types::Chat>> {
        check_code(code)?;
        Ok(self
            .list_chats()
            .code(code)
            .send()
            .await?
            .into_inner()
            .into_vec())
    }

    /// Replies in the conversation `parts` of ticket `code`: typically the `parts`
    /// of a chat returned by [`Client::chats`].
    ///
    /// `CUSTOMER_B2W` (the customer's conversation with the marketplace) is
    /// read-only for sellers: replying to it fails with
    /// [`Error::is_invalid_request`] before anything is sent, as do the codes
    /// [`Client::chats`] rejects. `parts` values this SDK does not know are sent as
    /// they are.
    ///
    /// ```no_run
    /// # use marketplace_skyhub_sac::types;
    /// # async fn demo(client: marketplace_skyhub_sac::Client) -> marketplace_skyhub_sac::Result<()> {
    /// let reply = types::ChatReply {
    ///     delivery_id: "3".into(),
    ///     identity_id: "00007604079750".into(),
    ///     message_to: types::MessageTo::ToCustomer,
    ///     message_type: types::MessageType::TextMessage,
    ///     order_id: "1234567".into(),
    ///     message: "Seu pedido já foi despachado.".into(),
    /// };
    /// client
    ///     .reply("Lojas Americanas-9999900001", &types::ChatParts::CustomerSeller, reply)
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn reply(
        &self,
        code: &str,
        parts: &types::ChatParts,
        reply: types::ChatReply,
    ) -> Result<()> {
        check_code(code)?;
        let Some(parts) = parts.answerable() else {
            return Err(Error::invalid_request(format!(
                "cannot reply in the {parts} conversation of ticket {code:?}: it is between \
                 the customer and the marketplace and read-only for sellers \
                 (answerable: CUSTOMER_SELLER, B2W_SELLER)"
            )));
        };
        self.reply_to_chat()
            .code(code)
            .parts(parts)
            .body(reply)
            .send()
            .await?;
        Ok(())
    }
}

/// A ticket code must name a path segment: not empty, and not `.` or `..`, which
/// URL normalisation would resolve (percent-encoded or not) into another path.
fn check_code(code: &str) -> Result<()> {
    if matches!(code, "" | "." | "..") {
        return Err(Error::invalid_request(format!(
            "{code:?} is not a SkyHub ticket code (`<marketplace>-<order>`)"
        )));
    }
    Ok(())
}

impl types::Chats {
    /// The chats as a list, whichever shape SkyHub answered.
    pub fn into_vec(self) -> Vec<types::Chat> {
        match self {
            types::Chats::Chat(chat) => vec![chat],
            types::Chats::List(chats) => chats,
        }
    }
}

impl types::ChatParts {
    /// The same conversation as a target of replies and status changes, or `None`
    /// for `CUSTOMER_B2W`, which sellers can read but not write to. Values this SDK
    /// does not know are passed on unchanged.
    pub fn answerable(&self) -> Option<types::AnswerableParts> {
        match self {
            types::ChatParts::CustomerB2W => None,
            other if other.as_str() == types::ChatParts::CustomerB2W.as_str() => None,
            other => Some(types::AnswerableParts::from(other.as_str())),
        }
    }
}

impl types::ChatMessage {
    /// When the message was answered (SkyHub's `replyed_at`), if it was.
    pub fn replied_at(&self) -> Option<&types::LocalDateTime> {
        self.replyed_at.as_ref()
    }
}

/// The UTC offset of America/Sao_Paulo since Brazil abolished daylight saving time
/// in 2019: UTC−03:00.
pub fn sao_paulo_offset() -> chrono::FixedOffset {
    chrono::FixedOffset::west_opt(3 * 3600).expect("-03:00 is a valid offset")
}

impl types::LocalDateTime {
    /// The date and time as written, without an offset: `2019-10-03T14:20:41`
    /// (fractional seconds accepted). `None` if the text has another shape.
    ///
    /// ```
    /// # use marketplace_skyhub_sac::types::LocalDateTime;
    /// let at = LocalDateTime::from("2019-10-03T14:20:41".to_owned());
    /// assert_eq!(at.to_naive().unwrap().to_string(), "2019-10-03 14:20:41");
    /// ```
    pub fn to_naive(&self) -> Option<chrono::NaiveDateTime> {
        chrono::NaiveDateTime::parse_from_str(self.trim(), "%Y-%m-%dT%H:%M:%S%.f").ok()
    }

    /// The instant, taking the text's own offset if it has one, and otherwise
    /// presuming Sao Paulo time at UTC−03:00 ([`sao_paulo_offset`]). Both are
    /// assumptions: SkyHub does not document the time zone, and before 2019
    /// Sao Paulo summer time was UTC−02:00. `None` if the text is not a date-time.
    ///
    /// ```
    /// # use marketplace_skyhub_sac::types::LocalDateTime;
    /// let at = LocalDateTime::from("2019-10-03T14:20:41".to_owned());
    /// assert_eq!(at.to_datetime().unwrap().to_rfc3339(), "2019-10-03T14:20:41-03:00");
    /// ```
    pub fn to_datetime(&self) -> Option<chrono::DateTime<chrono::FixedOffset>> {
        self.to_datetime_in(sao_paulo_offset())
    }

    /// Like [`to_datetime`](Self::to_datetime), presuming `offset` instead of Sao
    /// Paulo's for a text without one (where the marketplace's zone is configured).
    ///
    /// ```
    /// # use marketplace_skyhub_sac::types::LocalDateTime;
    /// let at = LocalDateTime::from("2019-10-03T14:20:41".to_owned());
    /// let utc = chrono::FixedOffset::east_opt(0).unwrap();
    /// assert_eq!(at.to_datetime_in(utc).unwrap().to_rfc3339(), "2019-10-03T14:20:41+00:00");
    /// ```
    pub fn to_datetime_in(
        &self,
        offset: chrono::FixedOffset,
    ) -> Option<chrono::DateTime<chrono::FixedOffset>> {
        if let Ok(with_offset) = chrono::DateTime::parse_from_rfc3339(self.trim()) {
            return Some(with_offset);
        }
        self.to_naive()?.and_local_timezone(offset).single()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customer_b2w_is_not_answerable_and_unknown_values_pass_through() {
        assert_eq!(types::ChatParts::CustomerB2W.answerable(), None);
        assert_eq!(
            types::ChatParts::Other("CUSTOMER_B2W".into()).answerable(),
            None
        );
        assert_eq!(
            types::ChatParts::CustomerSeller.answerable(),
            Some(types::AnswerableParts::CustomerSeller)
        );
        assert_eq!(
            types::ChatParts::B2WSeller.answerable(),
            Some(types::AnswerableParts::B2WSeller)
        );
        assert_eq!(
            types::ChatParts::Other("B2W_CARRIER".into()).answerable(),
            Some(types::AnswerableParts::Other("B2W_CARRIER".into()))
        );
    }

    #[test]
    fn offsetless_timestamps_parse_and_are_placed_in_sao_paulo() {
        let at = types::LocalDateTime::from("2019-10-02T11:39:23".to_owned());
        assert_eq!(
            at.to_naive().unwrap(),
            chrono::NaiveDate::from_ymd_opt(2019, 10, 2)
                .unwrap()
                .and_hms_opt(11, 39, 23)
                .unwrap()
        );
        assert_eq!(
            at.to_datetime().unwrap().to_utc().to_rfc3339(),
            "2019-10-02T14:39:23+00:00"
        );
        let fraction = types::LocalDateTime::from("2019-10-02T11:39:23.250".to_owned());
        assert_eq!(
            fraction
                .to_naive()
                .unwrap()
                .and_utc()
                .timestamp_subsec_millis(),
            250
        );
        // An offset, if SkyHub ever sends one, is honoured.
        let utc = types::LocalDateTime::from("2019-10-02T11:39:23Z".to_owned());
        assert_eq!(
            utc.to_datetime().unwrap().to_rfc3339(),
            "2019-10-02T11:39:23+00:00"
        );
        for bad in ["", "yesterday", "2019-13-02T11:39:23", "2019-10-02"] {
            let at = types::LocalDateTime::from(bad.to_owned());
            assert_eq!(at.to_naive(), None, "{bad}");
            assert_eq!(at.to_datetime(), None, "{bad}");
        }
    }
}
