//! Credentials. Each marketplace's scheme is an [`Authenticate`] implementation in
//! its own module; [`Auth`] is the handle a client holds.

mod bearer;
mod deliveries;
mod metro_hmac;
mod skyhub;
mod yandex;

use std::sync::Arc;

use reqwest::header::HeaderValue;

pub use bearer::Bearer;
pub use deliveries::{DeliverySigning, Unsigned};
pub use metro_hmac::{MetroHmac, SignatureEncoding};
pub use skyhub::SkyHub;
pub use yandex::Yandex;

/// Adds credentials (headers, signatures) to an outgoing request.
///
/// Implementations hold their secrets as [`secrecy::SecretString`] (or a state
/// derived from them, such as a keyed HMAC, that nothing prints), implement `Debug`
/// without them, and mark the header values they set sensitive (see
/// [`sensitive_header`]). An error message must never contain a secret.
pub trait Authenticate: Send + Sync + std::fmt::Debug + 'static {
    /// Adds the credentials to `request`, which is complete (final URL and body).
    fn authenticate(&self, request: &mut reqwest::Request) -> Result<(), String>;
}

/// The credentials a client attaches to every request.
///
/// Cheap to clone; `Debug` shows the scheme, never the secrets.
#[derive(Clone, Debug)]
pub struct Auth(Arc<dyn Authenticate>);

impl Auth {
    /// Any [`Authenticate`] implementation.
    pub fn custom(scheme: impl Authenticate) -> Self {
        Auth(Arc::new(scheme))
    }

    /// `Authorization: Bearer <token>` (Lectronz store API key).
    pub fn bearer(token: impl Into<String>) -> Self {
        Auth::custom(Bearer::new(token))
    }

    /// Adds the credentials to an outgoing request.
    pub(crate) fn apply(&self, request: &mut reqwest::Request) -> Result<(), String> {
        self.0.authenticate(request)
    }
}

/// A header value that reqwest's and http's `Debug` render as `Sensitive`.
/// The error message never repeats the value.
pub fn sensitive_header(value: &str) -> Result<HeaderValue, String> {
    let mut value = HeaderValue::from_str(value).map_err(|_| {
        "credential contains characters that are not allowed in an HTTP header".to_owned()
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// The environment variable that holds one credential field of one account:
/// `MKT_<MARKETPLACE>_<ACCOUNT>_<FIELD>`, upper case, every character but ASCII
/// letters and digits written `_`. One scheme for every tool that reads credentials
/// from the environment (the `mkt` CLI, `cargo xtask record`), so several accounts
/// per marketplace can be configured side by side.
///
/// ```
/// use marketplace_runtime::credential_env_var;
///
/// assert_eq!(
///     credential_env_var("metro", "de-main", "client_secret"),
///     "MKT_METRO_DE_MAIN_CLIENT_SECRET"
/// );
/// ```
pub fn credential_env_var(marketplace: &str, account: &str, field: &str) -> String {
    let mut name = String::from("MKT");
    for part in [marketplace, account, field] {
        name.push('_');
        name.extend(part.chars().map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        }));
    }
    name
}
