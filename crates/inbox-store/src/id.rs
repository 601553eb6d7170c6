//! Marketplaces, thread ids and message ids, with their text forms.

use std::fmt;
use std::str::FromStr;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

/// The four marketplaces of the SDK.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Marketplace {
    /// Lectronz (messages grouped by order).
    Lectronz,
    /// METRO Markets Message Center (chats).
    Metro,
    /// SkyHub / Americanas SAC (tickets × `parts`).
    Skyhub,
    /// Yandex Market chats.
    Yandex,
}

impl Marketplace {
    /// Every marketplace, in a stable order.
    pub const ALL: [Marketplace; 4] = [
        Marketplace::Lectronz,
        Marketplace::Metro,
        Marketplace::Skyhub,
        Marketplace::Yandex,
    ];

    /// The lowercase name used in thread ids, JSON and the store.
    pub const fn as_str(self) -> &'static str {
        match self {
            Marketplace::Lectronz => "lectronz",
            Marketplace::Metro => "metro",
            Marketplace::Skyhub => "skyhub",
            Marketplace::Yandex => "yandex",
        }
    }
}

impl fmt::Display for Marketplace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Marketplace {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Marketplace::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| IdError::UnknownMarketplace(truncate(s)))
    }
}

/// One seller account on one marketplace (the unit a sync and a checkpoint belong to).
///
/// `name` is the caller's label for the account (not a credential): for Yandex it is
/// usually the cabinet, for the others the API key pair's owner.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub struct Account {
    /// The marketplace.
    pub marketplace: Marketplace,
    /// The caller's name for the account; not empty.
    pub name: String,
}

impl Account {
    /// An account; `name` must not be empty.
    pub fn new(marketplace: Marketplace, name: impl Into<String>) -> Result<Self, IdError> {
        let name = name.into();
        if name.is_empty() {
            return Err(IdError::Empty("account"));
        }
        Ok(Account { marketplace, name })
    }
}

/// The vendor's identity of a thread, per marketplace.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(tag = "marketplace", rename_all = "lowercase")]
pub enum VendorThread {
    /// Lectronz has no thread object: the inbox groups messages by `subject.id` (the order id).
    Lectronz {
        /// `subject.id` of the messages (an order id).
        order_id: i64,
    },
    /// A METRO chat.
    Metro {
        /// `Chat.id` (a UUID, kept as the vendor's text).
        chat_id: String,
    },
    /// One conversation of a SkyHub SAC ticket: the address of `POST /sac/{code}/chats/{parts}`.
    Skyhub {
        /// Ticket `code`, e.g. `Lojas Americanas-9999900001` (contains spaces).
        code: String,
        /// `CUSTOMER_SELLER`, `B2W_SELLER` or `CUSTOMER_B2W` (read-only); kept as text.
        parts: String,
    },
    /// A Yandex Market chat, scoped by its cabinet.
    Yandex {
        /// The cabinet `businessId` (≥ 1).
        business_id: i64,
        /// `chatId` (≥ 1).
        chat_id: i64,
    },
}

impl VendorThread {
    /// The marketplace this vendor id belongs to.
    pub fn marketplace(&self) -> Marketplace {
        match self {
            VendorThread::Lectronz { .. } => Marketplace::Lectronz,
            VendorThread::Metro { .. } => Marketplace::Metro,
            VendorThread::Skyhub { .. } => Marketplace::Skyhub,
            VendorThread::Yandex { .. } => Marketplace::Yandex,
        }
    }
}

/// The global id of a thread: the account it belongs to and the vendor's id.
///
/// # Text form
///
/// `<marketplace>:<account>:<vendor id parts…>`, colon-separated, every part
/// percent-encoded so that only `A–Z a–z 0–9 - . _ %` remain besides the colons: the
/// text can be pasted into a shell unquoted and split back unambiguously.
///
/// | marketplace | text form |
/// |---|---|
/// | Lectronz | `lectronz:<account>:<order id>` |
/// | METRO | `metro:<account>:<chat uuid>` |
/// | SkyHub | `skyhub:<account>:<ticket code>:<parts>` |
/// | Yandex | `yandex:<account>:<business id>:<chat id>` |
///
/// ```
/// use marketplace_inbox_store::{ThreadId, VendorThread};
///
/// let id: ThreadId = "skyhub:acme:Lojas%20Americanas-9999900001:CUSTOMER_SELLER".parse()?;
/// assert_eq!(
///     id.vendor,
///     VendorThread::Skyhub {
///         code: "Lojas Americanas-9999900001".into(),
///         parts: "CUSTOMER_SELLER".into(),
///     }
/// );
/// assert_eq!(id.to_string(), "skyhub:acme:Lojas%20Americanas-9999900001:CUSTOMER_SELLER");
///
/// // Hostile or mistyped text is an error naming what is wrong, never a panic.
/// let err = "yandex:acme:12:x".parse::<ThreadId>().unwrap_err();
/// assert_eq!(err.to_string(), "thread id: Yandex chat id is not a positive integer: `x`");
/// # Ok::<(), marketplace_inbox_store::IdError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ThreadId {
    /// The account name (see [`Account::name`]).
    pub account: String,
    /// The vendor's id; also names the marketplace.
    pub vendor: VendorThread,
}

/// Percent-encode everything but ASCII letters, digits, `-`, `.` and `_`.
/// (`~` is encoded too: at the start of a shell word it expands to a home directory.)
const PART: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_');

/// Longest excerpt of hostile input quoted back in an error.
const EXCERPT: usize = 64;

fn truncate(s: &str) -> String {
    match s.char_indices().nth(EXCERPT) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

fn encode(part: &str) -> impl fmt::Display + '_ {
    utf8_percent_encode(part, PART)
}

fn decode(part: &str, what: &'static str) -> Result<String, IdError> {
    if part.is_empty() {
        return Err(IdError::Empty(what));
    }
    let bytes = part.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        let ok = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'%');
        if !ok {
            return Err(IdError::Character {
                what,
                found: truncate(part),
            });
        }
        if *b == b'%' {
            let hex = bytes.get(i + 1..i + 3);
            if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                return Err(IdError::Escape {
                    what,
                    found: truncate(part),
                });
            }
        }
    }
    let decoded = percent_decode_str(part)
        .decode_utf8()
        .map_err(|_| IdError::Utf8 {
            what,
            found: truncate(part),
        })?;
    if decoded.is_empty() {
        return Err(IdError::Empty(what));
    }
    Ok(decoded.into_owned())
}

fn positive(part: &str, what: &'static str) -> Result<i64, IdError> {
    let text = decode(part, what)?;
    match text.parse::<i64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(IdError::NotPositive {
            what,
            found: truncate(&text),
        }),
    }
}

fn integer(part: &str, what: &'static str) -> Result<i64, IdError> {
    let text = decode(part, what)?;
    text.parse::<i64>().map_err(|_| IdError::NotInteger {
        what,
        found: truncate(&text),
    })
}

impl ThreadId {
    /// A thread id; the account name must not be empty.
    pub fn new(account: impl Into<String>, vendor: VendorThread) -> Result<Self, IdError> {
        let account = account.into();
        if account.is_empty() {
            return Err(IdError::Empty("account"));
        }
        Ok(ThreadId { account, vendor })
    }

    /// The marketplace of the thread.
    pub fn marketplace(&self) -> Marketplace {
        self.vendor.marketplace()
    }

    /// The account the thread belongs to.
    pub fn account(&self) -> Account {
        Account {
            marketplace: self.marketplace(),
            name: self.account.clone(),
        }
    }
}

impl fmt::Display for ThreadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:", self.marketplace(), encode(&self.account))?;
        match &self.vendor {
            VendorThread::Lectronz { order_id } => write!(f, "{order_id}"),
            VendorThread::Metro { chat_id } => write!(f, "{}", encode(chat_id)),
            VendorThread::Skyhub { code, parts } => {
                write!(f, "{}:{}", encode(code), encode(parts))
            }
            VendorThread::Yandex {
                business_id,
                chat_id,
            } => write!(f, "{business_id}:{chat_id}"),
        }
    }
}

impl FromStr for ThreadId {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split(':').collect();
        let marketplace: Marketplace = parts[0].parse()?;
        let expected = match marketplace {
            Marketplace::Lectronz | Marketplace::Metro => 3,
            Marketplace::Skyhub | Marketplace::Yandex => 4,
        };
        if parts.len() != expected {
            return Err(IdError::Parts {
                marketplace,
                expected,
                found: parts.len(),
            });
        }
        let account = decode(parts[1], "account")?;
        let vendor = match marketplace {
            Marketplace::Lectronz => VendorThread::Lectronz {
                order_id: integer(parts[2], "Lectronz order id")?,
            },
            Marketplace::Metro => VendorThread::Metro {
                chat_id: decode(parts[2], "METRO chat id")?,
            },
            Marketplace::Skyhub => VendorThread::Skyhub {
                code: decode(parts[2], "SkyHub ticket code")?,
                parts: decode(parts[3], "SkyHub parts")?,
            },
            Marketplace::Yandex => VendorThread::Yandex {
                business_id: positive(parts[2], "Yandex business id")?,
                chat_id: positive(parts[3], "Yandex chat id")?,
            },
        };
        Ok(ThreadId { account, vendor })
    }
}

impl Serialize for ThreadId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ThreadId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// In JSON a thread id is its text form.
impl JsonSchema for ThreadId {
    fn schema_name() -> String {
        "ThreadId".to_owned()
    }

    fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        schemars::schema::SchemaObject {
            instance_type: Some(schemars::schema::InstanceType::String.into()),
            string: Some(Box::new(schemars::schema::StringValidation {
                pattern: Some(
                    "^(lectronz|metro):[A-Za-z0-9._%-]+:[A-Za-z0-9._%-]+$|^(skyhub|yandex):[A-Za-z0-9._%-]+:[A-Za-z0-9._%-]+:[A-Za-z0-9._%-]+$"
                        .to_owned(),
                ),
                ..Default::default()
            })),
            metadata: Some(Box::new(schemars::schema::Metadata {
                description: Some(
                    "`<marketplace>:<account>:<vendor id parts>`, each part percent-encoded".to_owned(),
                ),
                ..Default::default()
            })),
            ..Default::default()
        }
        .into()
    }
}

/// A thread id or message id that did not parse, naming what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The first part is not `lectronz`, `metro`, `skyhub` or `yandex`.
    #[error("thread id: unknown marketplace `{0}` (expected lectronz, metro, skyhub or yandex)")]
    UnknownMarketplace(String),
    /// Wrong number of `:`-separated parts for the marketplace.
    #[error(
        "thread id: a {marketplace} thread id has {expected} `:`-separated parts, found {found}"
    )]
    Parts {
        /// The marketplace named by the first part.
        marketplace: Marketplace,
        /// Parts expected.
        expected: usize,
        /// Parts found.
        found: usize,
    },
    /// A part is empty.
    #[error("thread id: the {0} is empty")]
    Empty(&'static str),
    /// A character outside `A–Z a–z 0–9 - . _ %`.
    #[error("thread id: the {what} has a character that must be percent-encoded: `{found}`")]
    Character {
        /// Which part.
        what: &'static str,
        /// The part (truncated).
        found: String,
    },
    /// A `%` not followed by two hex digits.
    #[error("thread id: the {what} has a `%` not followed by two hex digits: `{found}`")]
    Escape {
        /// Which part.
        what: &'static str,
        /// The part (truncated).
        found: String,
    },
    /// The decoded bytes are not UTF-8.
    #[error("thread id: the {what} does not decode to UTF-8: `{found}`")]
    Utf8 {
        /// Which part.
        what: &'static str,
        /// The part (truncated).
        found: String,
    },
    /// Not an integer.
    #[error("thread id: {what} is not an integer: `{found}`")]
    NotInteger {
        /// Which part.
        what: &'static str,
        /// The decoded part (truncated).
        found: String,
    },
    /// Not an integer ≥ 1.
    #[error("thread id: {what} is not a positive integer: `{found}`")]
    NotPositive {
        /// Which part.
        what: &'static str,
        /// The decoded part (truncated).
        found: String,
    },
    /// A message id without the `v:` or `s:` prefix, or with an empty or malformed rest.
    #[error("message id: expected `v:<vendor id>` or `s:<64 hex digits>`, found `{0}`")]
    MessageId(String),
}

/// A message id: the vendor's, or a synthetic one where the vendor gives none.
///
/// Text form: `v:<vendor id>` (METRO UUID, Yandex `messageId`, Lectronz `id`, as the
/// vendor's decimal or text) or `s:<64 lowercase hex digits>` (synthetic).
///
/// **Synthetic ids** (SkyHub messages have no id; see [`MessageId::synthetic`]) are the
/// SHA-256 of the thread id's text form, the creation time (RFC 3339, UTC, nanoseconds),
/// the vendor's raw author role, the text and the *occurrence*: the number of earlier
/// messages in the same thread listing with the same four fields (0 for the first).
/// SkyHub returns a conversation's whole history in one answer, oldest first, so the
/// occurrence is stable as long as history is only appended to: the same message gets
/// the same id on every sync, and two identical messages sent in the same second stay two.
///
/// A reply sent to Yandex (whose sends return no id) has no message id until the sync
/// reads it back from the history; until then it is known by its outbox id.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use marketplace_inbox_store::{MessageId, ThreadId};
///
/// let thread: ThreadId = "skyhub:acme:Lojas%20Americanas-1:CUSTOMER_SELLER".parse()?;
/// let at = Utc.with_ymd_and_hms(2019, 10, 3, 17, 20, 41).unwrap();
/// let a = MessageId::synthetic(&thread, at, "CUSTOMER", "Olá", 0);
/// assert_eq!(a, MessageId::synthetic(&thread, at, "CUSTOMER", "Olá", 0));
/// assert_ne!(a, MessageId::synthetic(&thread, at, "CUSTOMER", "Olá", 1));
/// assert!(a.to_string().starts_with("s:"));
/// assert_eq!(a.to_string().parse::<MessageId>()?, a);
/// # Ok::<(), marketplace_inbox_store::IdError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema)]
#[schemars(transparent)]
pub struct MessageId(String);

impl MessageId {
    /// The vendor's id (`v:` + the id as text).
    pub fn vendor(id: impl fmt::Display) -> Self {
        MessageId(format!("v:{id}"))
    }

    /// A deterministic synthetic id (see the type's docs).
    pub fn synthetic(
        thread: &ThreadId,
        created_at: chrono::DateTime<chrono::Utc>,
        raw_role: &str,
        text: &str,
        occurrence: u32,
    ) -> Self {
        let mut hash = Sha256::new();
        // Length-prefixed fields: no two field tuples hash the same input.
        for field in [
            thread.to_string().as_str(),
            &created_at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
            raw_role,
            text,
            &occurrence.to_string(),
        ] {
            hash.update((field.len() as u64).to_be_bytes());
            hash.update(field.as_bytes());
        }
        MessageId(format!("s:{}", hex::encode(hash.finalize())))
    }

    /// Whether the id is synthetic (`s:`).
    pub fn is_synthetic(&self) -> bool {
        self.0.starts_with("s:")
    }

    /// The vendor's id, if this is one.
    pub fn vendor_id(&self) -> Option<&str> {
        self.0.strip_prefix("v:")
    }

    /// The text form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for MessageId {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = match (s.strip_prefix("v:"), s.strip_prefix("s:")) {
            (Some(v), _) => !v.is_empty(),
            (_, Some(h)) => {
                h.len() == 64
                    && h.bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            }
            _ => false,
        };
        if ok {
            Ok(MessageId(s.to_owned()))
        } else {
            Err(IdError::MessageId(truncate(s)))
        }
    }
}

impl Serialize for MessageId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for MessageId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}
