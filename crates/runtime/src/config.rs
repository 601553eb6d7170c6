use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use crate::limits::{ConcurrencyLimit, Limiter, RateLimit};
use crate::{Auth, RetryPolicy};

/// The generated `Client`'s inner type: what the hooks need on every request.
///
/// Cheap to clone (one `Arc`); its `Debug` output never contains secrets.
#[derive(Clone, Debug)]
pub struct Runtime {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    marketplace: &'static str,
    auth: Auth,
    retry: RetryPolicy,
    limiter: Limiter,
}

impl Runtime {
    fn with_settings(
        marketplace: &'static str,
        auth: Auth,
        retry: RetryPolicy,
        limiter: Limiter,
    ) -> Self {
        Runtime {
            shared: Arc::new(Shared {
                marketplace,
                auth,
                retry,
                limiter,
            }),
        }
    }

    pub(crate) fn retry_policy(&self) -> &RetryPolicy {
        &self.shared.retry
    }

    pub(crate) fn limiter(&self) -> &Limiter {
        &self.shared.limiter
    }

    /// The marketplace name this client talks to, e.g. `"lectronz"`.
    pub fn marketplace(&self) -> &'static str {
        self.shared.marketplace
    }

    pub(crate) fn auth(&self) -> &Auth {
        &self.shared.auth
    }
}

/// Implemented by every generated client (the house code generator emits the impl),
/// so that [`ClientBuilder`] can construct any of them.
pub trait GeneratedClient: Sized {
    /// Short marketplace/service name, e.g. `"lectronz"`.
    const MARKETPLACE: &'static str;

    /// Assembles a client from its parts. Prefer [`ClientBuilder`].
    ///
    /// `http` must not follow redirects itself (build it with
    /// [`redirect_policy`]): a client that does sends credentials wherever a
    /// redirect points. [`ClientBuilder`] sets that policy on every client it builds.
    fn from_parts(base_url: &str, http: reqwest::Client, runtime: Runtime) -> Self;
}

/// Why a client could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The base URL is not an absolute `http`/`https` URL.
    #[error("invalid base URL {url:?}: {reason}")]
    InvalidBaseUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An `https` base URL, but this build has no TLS: without it every call would
    /// fail as a (retried) connect error.
    #[error(
        "base URL {url:?} needs TLS, which this build lacks: enable the `rustls` feature \
         of `marketplace-sdk` (on by default) or of `marketplace-runtime`"
    )]
    TlsNotEnabled {
        /// The URL as given.
        url: String,
    },
    /// reqwest refused the HTTP client settings (for example no TLS backend).
    #[error("could not build the HTTP client: {0}")]
    Http(#[source] reqwest::Error),
}

/// Default overall per-request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default TCP/TLS connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Builds any generated client: base URL, credentials, timeouts, user agent.
///
/// ```
/// # use marketplace_runtime::{Auth, ClientBuilder, GeneratedClient, Runtime};
/// # struct Client;
/// # impl GeneratedClient for Client {
/// #     const MARKETPLACE: &'static str = "example";
/// #     fn from_parts(_: &str, _: reqwest::Client, _: Runtime) -> Self { Client }
/// # }
/// let client: Client = ClientBuilder::new("http://127.0.0.1:8080/api", Auth::bearer("fake-key"))
///     .timeout(std::time::Duration::from_secs(5))
///     .build()?;
/// # Ok::<(), marketplace_runtime::ConfigError>(())
/// ```
#[derive(Debug)]
#[must_use]
pub struct ClientBuilder<C> {
    base_url: String,
    auth: Auth,
    timeout: Duration,
    connect_timeout: Duration,
    user_agent: String,
    http: Option<reqwest::ClientBuilder>,
    retry: RetryPolicy,
    concurrency: Option<ConcurrencyLimit>,
    rate: Option<RateLimit>,
    client: PhantomData<fn() -> C>,
}

impl<C: GeneratedClient> ClientBuilder<C> {
    /// Starts a builder for the API at `base_url` with `auth` on every request.
    pub fn new(base_url: impl Into<String>, auth: Auth) -> Self {
        ClientBuilder {
            base_url: base_url.into(),
            auth,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            user_agent: concat!("marketplace-sdk/", env!("CARGO_PKG_VERSION")).to_owned(),
            http: None,
            retry: RetryPolicy::default(),
            concurrency: None,
            rate: None,
            client: PhantomData,
        }
    }

    /// How failed calls are retried (default: [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Caps requests in flight (callers queue for a slot); [`ConcurrencyLimit::none`]
    /// switches off a client's default cap.
    pub fn concurrency_limit(mut self, limit: ConcurrencyLimit) -> Self {
        self.concurrency = Some(limit);
        self
    }

    /// Caps requests per second (callers wait for their slot); [`RateLimit::none`]
    /// switches off a client's default limit.
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate = Some(limit);
        self
    }

    /// Talks to `base_url` instead (a sandbox, a proxy, or a local mock server).
    ///
    /// For every client the base URL is `scheme://host[:port]`: the request paths
    /// carry any prefix the API has (`/api/v1`, `/openapi/v1`, `/v2`). A path given
    /// here is put before every request path (a proxy's mount point).
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// Overall per-request timeout (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Connect timeout (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The `User-Agent` header (default `marketplace-sdk/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Builds the HTTP client from a caller-configured `reqwest::ClientBuilder`
    /// (proxies, pools, TLS roots) instead of a default one.
    ///
    /// A builder rather than a built client, so that the SDK's redirect policy
    /// ([`redirect_policy`]) holds for it too: `build` sets it, and this builder's
    /// timeouts and user agent, on `http`, replacing what `http` had for them.
    pub fn http_client(mut self, http: reqwest::ClientBuilder) -> Self {
        self.http = Some(http);
        self
    }

    /// Validates the settings and builds the client.
    ///
    /// An `https` base URL needs the `rustls` feature (of `marketplace-sdk`, on by
    /// default, or `marketplace-runtime`) unless [`http_client`](Self::http_client)
    /// supplies the HTTP client: without it this fails with
    /// [`ConfigError::TlsNotEnabled`].
    pub fn build(self) -> Result<C, ConfigError> {
        let base_url = normalize_base_url(&self.base_url)?;
        if self.http.is_none() {
            // A caller's own reqwest builder may speak TLS through its own reqwest
            // features; ours only does with the `rustls` feature.
            require_tls_for_https(&self.base_url, cfg!(feature = "rustls"))?;
        }
        let http = self
            .http
            .unwrap_or_else(reqwest::Client::builder)
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .user_agent(self.user_agent)
            .redirect(redirect_policy())
            .build()
            .map_err(ConfigError::Http)?;
        let runtime = Runtime::with_settings(
            C::MARKETPLACE,
            self.auth,
            self.retry,
            Limiter::new(self.concurrency, self.rate),
        );
        Ok(C::from_parts(&base_url, http, runtime))
    }
}

/// The redirect policy of every client [`ClientBuilder`] builds: reqwest follows
/// no redirect itself.
///
/// * A redirect to another origin (scheme, host or port) fails the call with an
///   error naming the status and the target origin (never its path or query), and
///   nothing is sent there: credentials only ever go to the base URL's origin.
///   (reqwest would carry `X-Api-Key`, `Api-Key`, `X-Signature` along, and re-send
///   a POST on a 307/308.)
/// * A same-origin redirect is handed to the runtime's `exec` hook, which follows it
///   only for reads (GET, … and `x-idempotent` POSTs), at most a few hops, with the
///   credentials applied again for the new URL (METRO signs the URL); a write's
///   redirect is returned as its error and never re-sent.
///
/// Public so that an HTTP client handed to [`GeneratedClient::from_parts`] can use
/// it too.
pub fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let target = attempt.url().origin();
        // reqwest never follows (same origin stops below), so the last previous URL
        // is the request's own.
        if attempt
            .previous()
            .last()
            .is_some_and(|from| from.origin() == target)
        {
            return attempt.stop();
        }
        let reason = format!(
            "the marketplace answered {} to another origin ({}); not followed: \
             credentials are only sent to the base URL's origin",
            attempt.status(),
            target.ascii_serialization()
        );
        attempt.error(reason)
    })
}

/// Without TLS an `https` base URL would fail every call as a (retried) connect
/// error whose cause, "scheme is not http", hides in the `source()` chain.
fn require_tls_for_https(url: &str, has_tls: bool) -> Result<(), ConfigError> {
    let https = url
        .get(..6)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https:"));
    if https && !has_tls {
        return Err(ConfigError::TlsNotEnabled {
            url: url.to_owned(),
        });
    }
    Ok(())
}

/// Generated clients append paths to the base URL verbatim, so a trailing `/`
/// would produce `//`; a relative or non-HTTP URL would fail on every call.
fn normalize_base_url(url: &str) -> Result<String, ConfigError> {
    let invalid = |reason: &str| ConfigError::InvalidBaseUrl {
        url: url.to_owned(),
        reason: reason.to_owned(),
    };
    let parsed = reqwest::Url::parse(url).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid("the scheme must be http or https"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(invalid("a base URL cannot carry a query or fragment"));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Dummy;

    impl GeneratedClient for Dummy {
        const MARKETPLACE: &'static str = "dummy";
        fn from_parts(_: &str, _: reqwest::Client, _: Runtime) -> Self {
            Dummy
        }
    }

    fn builder(url: &str) -> ClientBuilder<Dummy> {
        ClientBuilder::new(url, Auth::bearer("fake-key"))
    }

    #[test]
    fn https_without_tls_is_refused_naming_the_feature_whatever_this_build_has() {
        let err = require_tls_for_https("HTTPS://x.test", false).unwrap_err();
        assert!(err.to_string().contains("`rustls` feature"), "{err}");
        assert!(require_tls_for_https("https://x.test", true).is_ok());
        assert!(require_tls_for_https("http://x.test", false).is_ok());
    }

    #[cfg(not(feature = "rustls"))]
    #[test]
    fn https_without_the_rustls_feature_fails_at_build_naming_the_feature() {
        let err = builder("https://x.test").build().err().expect("refused");
        let text = err.to_string();
        assert!(
            text.contains("`rustls` feature") && text.contains("marketplace-sdk"),
            "{text}"
        );
        assert!(builder("http://127.0.0.1:1").build().is_ok());
        // A caller's own reqwest client may well speak TLS: it is not second-guessed.
        let own = builder("https://x.test").http_client(reqwest::Client::builder());
        assert!(own.build().is_ok());
    }

    #[cfg(feature = "rustls")]
    #[test]
    fn https_with_the_rustls_feature_builds() {
        assert!(builder("https://x.test").build().is_ok());
    }

    #[test]
    fn base_url_trailing_slash_is_trimmed() {
        assert_eq!(
            normalize_base_url("https://proxy.test/mount/").unwrap(),
            "https://proxy.test/mount"
        );
    }

    #[test]
    fn relative_and_non_http_base_urls_are_rejected() {
        for bad in ["/api/v1", "ftp://example.com", "https://x.test/api?x=1", ""] {
            let err = normalize_base_url(bad).unwrap_err();
            assert!(err.to_string().contains("invalid base URL"), "{bad}: {err}");
        }
    }
}
