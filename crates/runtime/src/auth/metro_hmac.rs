//! METRO Markets: every request signed with HMAC-SHA256 over its method, full URL,
//! body and timestamp.

use std::borrow::Cow;
use std::sync::Arc;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use reqwest::header::{HeaderName, HeaderValue};
use sha2::Sha256;

use super::{Auth, Authenticate};
use crate::{Clock, SystemClock};

const CLIENT_ID: HeaderName = HeaderName::from_static("x-client-id");
const TIMESTAMP: HeaderName = HeaderName::from_static("x-timestamp");
const SIGNATURE: HeaderName = HeaderName::from_static("x-signature");

/// How the HMAC-SHA256 digest is written into `X-Signature`.
///
/// METRO's authentication page contradicts itself: its prose says the HMAC is sent
/// "in base64 encoding", while its own PHP sample (`hash_hmac('sha256', …)` without
/// raw output) produces **lower-case hex**, and every public production client found
/// sends hex. [`Hex`](SignatureEncoding::Hex) is therefore the default;
/// [`Base64`](SignatureEncoding::Base64) is kept as a switch until the question is
/// settled against the sandbox.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureEncoding {
    /// 64 lower-case hexadecimal characters (PHP `hash_hmac` default). The default.
    #[default]
    Hex,
    /// Standard base64 with padding of the 32 raw digest bytes (44 characters).
    Base64,
}

/// METRO Markets request signing: `X-Client-Id`, `X-Timestamp` and `X-Signature` on
/// every request.
///
/// * `X-Client-Id`: the *Client Key* generated in Seller Office.
/// * `X-Timestamp`: the current Unix time in seconds, read from the [`Clock`]
///   (METRO accepts ±5 minutes).
/// * `X-Signature`: HMAC-SHA256, keyed with the *Client Secret*, of the four fields
///   `METHOD`, `FULL_URL`, `BODY` and `TIMESTAMP` joined by `\n` (no trailing newline;
///   see [`MetroHmac::string_to_sign`]), written as lower-case hex by default (see
///   [`SignatureEncoding`]).
///
/// `FULL_URL` is the URL the request goes to, with scheme, host and the query string
/// exactly as sent (percent-encoding included). `BODY` is the request body exactly as
/// sent, or empty when there is none (`GET`, `DELETE`). A `multipart/form-data` upload
/// is a streamed body, so it is signed with an empty `BODY`: METRO does not define
/// `BODY` for multipart requests, and the public clients that upload to METRO sign an
/// empty body (not verified against the sandbox).
///
/// The client secret itself is not kept: the signer holds the HMAC state keyed with
/// it once (each signature clones that state rather than hashing the key again). The
/// state is as secret as the key: it is never sent, `Debug` shows only the client id,
/// and no error message contains it. The signature header is marked sensitive.
///
/// ```
/// use marketplace_runtime::{Auth, FixedClock, MetroHmac, SignatureEncoding};
///
/// // The defaults: hex signatures, the system clock.
/// let auth = Auth::metro_hmac("my-client-key", "my-client-secret");
///
/// // Base64 signatures and a fixed clock (tests).
/// let auth = Auth::from(
///     MetroHmac::new("my-client-key", "my-client-secret")
///         .encoding(SignatureEncoding::Base64)
///         .clock(FixedClock(1_757_581_999)),
/// );
/// assert!(!format!("{auth:?}").contains("my-client-secret"));
/// ```
pub struct MetroHmac {
    client_id: String,
    /// `X-Client-Id`, built once; an id that is not a valid header value is
    /// reported on every request, never sent.
    client_id_header: Result<HeaderValue, String>,
    /// The HMAC keyed once with the client secret (each signature clones this
    /// state instead of hashing the key again). It is as secret as the key: never
    /// shown by `Debug`.
    keyed: Hmac<Sha256>,
    encoding: SignatureEncoding,
    clock: Arc<dyn Clock>,
    /// `scheme://host[:port]` to sign instead of the request's own (see
    /// [`MetroHmac::signed_origin`]); an invalid one is reported on every request.
    signed_origin: Option<Result<String, String>>,
}

impl MetroHmac {
    /// Signing with METRO's client key (sent as `X-Client-Id`) and client secret,
    /// lower-case hex signatures and the system clock.
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        let client_id = client_id.into();
        MetroHmac {
            client_id_header: HeaderValue::from_str(&client_id).map_err(|_| {
                "the METRO client id contains characters that are not allowed in an HTTP header"
                    .to_owned()
            }),
            client_id,
            // HMAC accepts keys of any length: keying cannot fail.
            keyed: Hmac::<Sha256>::new_from_slice(client_secret.into().as_bytes())
                .expect("HMAC-SHA256 takes keys of any length"),
            encoding: SignatureEncoding::default(),
            clock: Arc::new(SystemClock),
            signed_origin: None,
        }
    }

    /// How the digest is written into `X-Signature` (default: lower-case hex).
    #[must_use]
    pub fn encoding(mut self, encoding: SignatureEncoding) -> Self {
        self.encoding = encoding;
        self
    }

    /// The clock `X-Timestamp` is read from (default: the system clock).
    #[must_use]
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Signs every request as if it went to `origin` (`scheme://host[:port]`), keeping
    /// the request's own path and query: for requests that reach METRO through a
    /// proxy that rewrites the host, or that go to a local stand-in for METRO (a mock
    /// server or recorded-fixture replay) which checks signatures made for METRO's
    /// host. Anything after the origin in `origin` (a path, a trailing `/`) is
    /// ignored; a value that is not an absolute `http(s)` URL fails every request.
    #[must_use]
    pub fn signed_origin(mut self, origin: impl AsRef<str>) -> Self {
        let origin = origin.as_ref();
        let parsed = reqwest::Url::parse(origin)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.has_host())
            .map(|url| url.origin().ascii_serialization())
            .ok_or_else(|| format!("METRO signed origin {origin:?} is not an http(s) origin"));
        self.signed_origin = Some(parsed);
        self
    }

    /// The text METRO signs: `METHOD\nFULL_URL\nBODY\nTIMESTAMP`, as bytes (the body
    /// need not be UTF-8).
    ///
    /// ```
    /// use marketplace_runtime::MetroHmac;
    ///
    /// let text = MetroHmac::string_to_sign("GET", "https://example.test/x?a=1", b"", 1_700_000_000);
    /// assert_eq!(text, b"GET\nhttps://example.test/x?a=1\n\n1700000000");
    /// ```
    pub fn string_to_sign(method: &str, full_url: &str, body: &[u8], timestamp: i64) -> Vec<u8> {
        let timestamp = timestamp.to_string();
        let mut text = Vec::with_capacity(method.len() + full_url.len() + body.len() + 24);
        Self::each_part_to_sign(method, full_url, body, timestamp.as_bytes(), |part| {
            text.extend_from_slice(part)
        });
        text
    }

    /// The pieces of [`string_to_sign`](Self::string_to_sign), in order, newlines
    /// included (`timestamp` as its decimal digits): signing feeds them to the HMAC
    /// one by one instead of copying the body into one string first.
    fn each_part_to_sign(
        method: &str,
        full_url: &str,
        body: &[u8],
        timestamp: &[u8],
        mut part: impl FnMut(&[u8]),
    ) {
        for (i, field) in [method.as_bytes(), full_url.as_bytes(), body, timestamp]
            .into_iter()
            .enumerate()
        {
            if i > 0 {
                part(b"\n");
            }
            part(field);
        }
    }

    /// The signature's text in this signer's encoding, in `buffer` (no allocation).
    fn encode<'b>(
        &self,
        method: &str,
        full_url: &str,
        body: &[u8],
        timestamp: &[u8],
        buffer: &'b mut [u8; 64],
    ) -> &'b [u8] {
        let mut mac = self.keyed.clone();
        Self::each_part_to_sign(method, full_url, body, timestamp, |part| mac.update(part));
        let digest = mac.finalize().into_bytes();
        let written = match self.encoding {
            SignatureEncoding::Hex => hex::encode_to_slice(digest, &mut buffer[..])
                .ok()
                .map(|()| 64),
            SignatureEncoding::Base64 => base64::engine::general_purpose::STANDARD
                .encode_slice(digest, &mut buffer[..])
                .ok(),
        };
        // 32 bytes are 64 hex digits or 44 base64 characters: both fit.
        let written = written.expect("a SHA-256 digest fits 64 bytes in either encoding");
        &buffer[..written]
    }

    /// The `X-Signature` value for one request: HMAC-SHA256 of
    /// [`string_to_sign`](Self::string_to_sign) keyed with the client secret, in this
    /// signer's encoding. Useful to check a signature computed elsewhere.
    pub fn signature(&self, method: &str, full_url: &str, body: &[u8], timestamp: i64) -> String {
        let timestamp = timestamp.to_string();
        let mut buffer = [0; 64];
        let text = self.encode(method, full_url, body, timestamp.as_bytes(), &mut buffer);
        // Hex and base64 are ASCII: nothing is replaced.
        String::from_utf8_lossy(text).into_owned()
    }

    /// Whether `signature` (a received `x-signature`) is the HMAC-SHA256 of `text`
    /// keyed with the client secret, in hex (either case) or standard base64 whatever
    /// this signer's [`SignatureEncoding`]; compared in constant time
    /// (`Mac::verify_slice`). For receivers of METRO's signed webhook deliveries, with
    /// `text` usually [`string_to_sign`](Self::string_to_sign).
    ///
    /// ```
    /// use marketplace_runtime::MetroHmac;
    ///
    /// let signer = MetroHmac::new("my-client-key", "my-client-secret");
    /// let text = MetroHmac::string_to_sign("POST", "https://shop.test/hook", b"{}", 1_700_000_000);
    /// let sent = signer.signature("POST", "https://shop.test/hook", b"{}", 1_700_000_000);
    /// assert!(signer.verify(&text, &sent));
    /// assert!(signer.verify(&text, &sent.to_uppercase()));
    /// assert!(!signer.verify(b"something else", &sent));
    /// ```
    pub fn verify(&self, text: &[u8], signature: &str) -> bool {
        let digest = match signature.len() {
            64 => hex::decode(signature).ok(),
            44 => base64::engine::general_purpose::STANDARD
                .decode(signature)
                .ok(),
            _ => None,
        };
        let Some(digest) = digest else {
            return false;
        };
        let mut mac = self.keyed.clone();
        mac.update(text);
        mac.verify_slice(&digest).is_ok()
    }

    /// The `FULL_URL` of a request: scheme, host, port, path and query as sent
    /// (never the fragment, which is not sent), with the signed origin if one is set.
    fn full_url<'u>(&self, url: &'u reqwest::Url) -> Result<Cow<'u, str>, String> {
        let mut full_url = match &self.signed_origin {
            None if url.fragment().is_none() => return Ok(Cow::Borrowed(url.as_str())),
            None => {
                let mut url = url.clone();
                url.set_fragment(None);
                return Ok(Cow::Owned(url.into()));
            }
            Some(origin) => origin.clone()?,
        };
        full_url.push_str(url.path());
        if let Some(query) = url.query() {
            full_url.push('?');
            full_url.push_str(query);
        }
        Ok(Cow::Owned(full_url))
    }
}

impl std::fmt::Debug for MetroHmac {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut debug = f.debug_struct("MetroHmac");
        debug
            .field("client_id", &self.client_id)
            .field("client_secret", &format_args!("[redacted]"))
            .field("encoding", &self.encoding)
            .field("clock", &self.clock);
        if let Some(origin) = &self.signed_origin {
            debug.field("signed_origin", origin);
        }
        debug.finish()
    }
}

impl Authenticate for MetroHmac {
    fn authenticate(&self, request: &mut reqwest::Request) -> Result<(), String> {
        // Everything is computed before any header is set: a failure leaves the
        // request untouched.
        let client_id = self.client_id_header.clone()?;
        // The header's digits are the string to sign's: formatted once.
        let timestamp = HeaderValue::from(self.clock.now_unix());
        let full_url = self.full_url(request.url())?;
        // A streamed body (multipart upload) has no bytes here: it is signed as empty.
        let body = request
            .body()
            .and_then(reqwest::Body::as_bytes)
            .unwrap_or_default();
        let mut buffer = [0; 64];
        let text = self.encode(
            request.method().as_str(),
            &full_url,
            body,
            timestamp.as_bytes(),
            &mut buffer,
        );
        let mut signature = HeaderValue::from_bytes(text)
            .map_err(|_| "METRO signature: not a valid header value".to_owned())?;
        signature.set_sensitive(true);
        let headers = request.headers_mut();
        headers.insert(CLIENT_ID, client_id);
        headers.insert(TIMESTAMP, timestamp);
        headers.insert(SIGNATURE, signature);
        Ok(())
    }
}

impl From<MetroHmac> for Auth {
    fn from(scheme: MetroHmac) -> Self {
        Auth::custom(scheme)
    }
}

impl Auth {
    /// METRO Markets: every request signed with the client key and secret (see
    /// [`MetroHmac`]: lower-case hex signatures and the system clock; build a
    /// [`MetroHmac`] and convert it with `Auth::from` for other settings).
    pub fn metro_hmac(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        Auth::from(MetroHmac::new(client_id, client_secret))
    }
}

#[cfg(test)]
mod tests {
    //! The expected digests were computed independently of this code, with Python's
    //! `hmac`/`hashlib`/`base64` (and the GET one also with `openssl dgst -sha256
    //! -hmac`), over the string-to-sign written out by hand:
    //!
    //! ```text
    //! python3 -c 'import hmac,hashlib,base64; d=hmac.new(b"fake-metro-client-secret",
    //!   b"GET\nhttps://service-message-center.sandbox.infra.metro-markets.cloud/openapi/v1/chats?limit=15&offset=21\n\n1757581999",
    //!   hashlib.sha256).digest(); print(d.hex(), base64.b64encode(d).decode())'
    //! ```
    use super::*;
    use crate::FixedClock;

    const ID: &str = "fake-metro-client-id";
    const SECRET: &str = "fake-metro-client-secret";
    const NOW: i64 = 1_757_581_999;
    const HOST: &str = "https://service-message-center.sandbox.infra.metro-markets.cloud";
    const ORDER: &str = "9e159b23-5585-4482-b078-9a9e1db2b252";

    const GET_HEX: &str = "caa36803c44fd1d0ee001c97479e3df3c6723c4b2d4832a572b73f679d969c89";
    const GET_BASE64: &str = "yqNoA8RP0dDuAByXR54988ZyPEstSDKlcrc/Z52WnIk=";
    const POST_BODY: &str = r#"{"customSubject":"Open API Custom Subject","subject":"OTHERS"}"#;
    const POST_HEX: &str = "b8bf81f35e41a1ae9b3caee96eb38ffd6585bb709d25e25859f40a547cf85d40";
    const POST_BASE64: &str = "uL+B815Boa6bPK7pbrOP/WWFu3CdJeJYWfQKVHz4XUA=";
    const UPLOAD_HEX: &str = "df3d03bccc765da5b765de75d55350c5c870a0d6e9ea01bc7cd190c96f2dfa14";
    const UPLOAD_BASE64: &str = "3z0DvMx2XaW3Zd511VNQxchwoNbp6gG8fNGQyW8t+hQ=";

    fn signer(encoding: SignatureEncoding) -> MetroHmac {
        MetroHmac::new(ID, SECRET)
            .encoding(encoding)
            .clock(FixedClock(NOW))
    }

    fn get_request() -> reqwest::Request {
        reqwest::Client::new()
            .get(format!("{HOST}/openapi/v1/chats?limit=15&offset=21"))
            .build()
            .unwrap()
    }

    fn post_request() -> reqwest::Request {
        reqwest::Client::new()
            .post(format!("{HOST}/openapi/v1/orders/{ORDER}/chats"))
            .header("content-type", "application/json")
            .body(POST_BODY)
            .build()
            .unwrap()
    }

    fn upload_request() -> reqwest::Request {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(b"%PDF-1.4 fake".to_vec())
                .file_name("invoice.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
        reqwest::Client::new()
            .post(format!("{HOST}/openapi/v1/orders/{ORDER}/upload-file"))
            .multipart(form)
            .build()
            .unwrap()
    }

    fn signed(mut request: reqwest::Request, scheme: &MetroHmac) -> reqwest::Request {
        scheme.authenticate(&mut request).unwrap();
        request
    }

    fn header<'a>(request: &'a reqwest::Request, name: &str) -> &'a str {
        request.headers()[name].to_str().unwrap()
    }

    #[test]
    fn the_string_to_sign_is_the_four_fields_joined_by_newlines() {
        assert_eq!(
            MetroHmac::string_to_sign(
                "GET",
                &format!("{HOST}/openapi/v1/chats?limit=15&offset=21"),
                b"",
                NOW
            ),
            format!("GET\n{HOST}/openapi/v1/chats?limit=15&offset=21\n\n1757581999").as_bytes()
        );
        assert_eq!(
            MetroHmac::string_to_sign("POST", "https://x.test/a", POST_BODY.as_bytes(), NOW),
            format!("POST\nhttps://x.test/a\n{POST_BODY}\n1757581999").as_bytes()
        );
    }

    #[test]
    fn get_with_a_query_string_in_both_encodings() {
        for (encoding, expected) in [
            (SignatureEncoding::Hex, GET_HEX),
            (SignatureEncoding::Base64, GET_BASE64),
        ] {
            let request = signed(get_request(), &signer(encoding));
            assert_eq!(header(&request, "x-client-id"), ID);
            assert_eq!(header(&request, "x-timestamp"), "1757581999");
            assert_eq!(header(&request, "x-signature"), expected, "{encoding:?}");
        }
    }

    #[test]
    fn post_with_a_json_body_in_both_encodings() {
        for (encoding, expected) in [
            (SignatureEncoding::Hex, POST_HEX),
            (SignatureEncoding::Base64, POST_BASE64),
        ] {
            let request = signed(post_request(), &signer(encoding));
            assert_eq!(header(&request, "x-signature"), expected, "{encoding:?}");
        }
    }

    #[test]
    fn a_multipart_upload_is_signed_with_an_empty_body_in_both_encodings() {
        for (encoding, expected) in [
            (SignatureEncoding::Hex, UPLOAD_HEX),
            (SignatureEncoding::Base64, UPLOAD_BASE64),
        ] {
            let request = upload_request();
            assert!(request.body().unwrap().as_bytes().is_none(), "a stream");
            let request = signed(request, &signer(encoding));
            assert_eq!(header(&request, "x-signature"), expected, "{encoding:?}");
        }
    }

    #[test]
    fn hex_is_the_default_encoding_and_auth_metro_hmac_signs() {
        let mut request = get_request();
        let auth = Auth::from(MetroHmac::new(ID, SECRET).clock(FixedClock(NOW)));
        auth.apply(&mut request).unwrap();
        assert_eq!(header(&request, "x-signature"), GET_HEX);
        // The system clock by default: a current timestamp, a 64-character hex digest.
        let mut request = get_request();
        Auth::metro_hmac(ID, SECRET).apply(&mut request).unwrap();
        let sent: i64 = header(&request, "x-timestamp").parse().unwrap();
        assert!((sent - chrono::Utc::now().timestamp()).abs() < 60);
        let signature = header(&request, "x-signature");
        assert_eq!(signature.len(), 64);
        assert!(
            signature
                .chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
        );
    }

    #[test]
    fn the_fragment_is_not_signed_and_the_query_is_signed_as_encoded() {
        let scheme = signer(SignatureEncoding::Hex);
        let mut request = get_request();
        request.url_mut().set_fragment(Some("ignored"));
        assert_eq!(header(&signed(request, &scheme), "x-signature"), GET_HEX);
        // A different encoding of the same query is a different URL, so a different signature.
        let request = reqwest::Client::new()
            .get(format!("{HOST}/openapi/v1/chats?offset=21&limit=15"))
            .build()
            .unwrap();
        assert_ne!(header(&signed(request, &scheme), "x-signature"), GET_HEX);
    }

    #[test]
    fn a_signed_origin_replaces_scheme_host_and_port_only() {
        let scheme = signer(SignatureEncoding::Hex).signed_origin(format!("{HOST}/"));
        let request = reqwest::Client::new()
            .get("http://127.0.0.1:45678/openapi/v1/chats?limit=15&offset=21")
            .build()
            .unwrap();
        assert_eq!(header(&signed(request, &scheme), "x-signature"), GET_HEX);
        let request = reqwest::Client::new()
            .post(format!(
                "http://127.0.0.1:45678/openapi/v1/orders/{ORDER}/chats"
            ))
            .body(POST_BODY)
            .build()
            .unwrap();
        assert_eq!(header(&signed(request, &scheme), "x-signature"), POST_HEX);
    }

    #[test]
    fn the_signature_is_sensitive_and_the_secret_is_never_sent() {
        let request = signed(post_request(), &signer(SignatureEncoding::Hex));
        assert!(request.headers()["x-signature"].is_sensitive());
        let dumped = format!("{:?}", request.headers());
        assert!(!dumped.contains(POST_HEX), "{dumped}");
        for value in request.headers().values() {
            assert!(!value.to_str().unwrap_or_default().contains(SECRET));
        }
    }

    #[test]
    fn debug_shows_the_client_id_but_never_the_secret() {
        let shown = format!(
            "{:?}",
            Auth::from(signer(SignatureEncoding::Base64).signed_origin(HOST))
        );
        assert_eq!(
            shown,
            "Auth(MetroHmac { client_id: \"fake-metro-client-id\", client_secret: [redacted], \
             encoding: Base64, clock: FixedClock(1757581999), \
             signed_origin: Ok(\"https://service-message-center.sandbox.infra.metro-markets.cloud\") })"
        );
        assert!(!shown.contains(SECRET));
        assert!(!format!("{:?}", Auth::metro_hmac(ID, SECRET)).contains(SECRET));
    }

    #[test]
    fn bad_settings_fail_the_request_without_the_secret_and_without_touching_it() {
        let cases = [
            MetroHmac::new("fake-metro\nclient-id", SECRET),
            MetroHmac::new(ID, SECRET).signed_origin("ftp://fake.test"),
            MetroHmac::new(ID, SECRET).signed_origin("/openapi/v1"),
        ];
        for scheme in cases {
            let mut request = get_request();
            let err = scheme.authenticate(&mut request).unwrap_err();
            assert!(err.contains("METRO"), "{err}");
            assert!(!err.contains(SECRET), "{err}");
            assert!(request.headers().is_empty(), "{:?}", request.headers());
        }
    }

    #[test]
    fn verify_accepts_the_digest_in_any_encoding_and_nothing_else() {
        let scheme = MetroHmac::new(ID, SECRET);
        let text = MetroHmac::string_to_sign(
            "POST",
            &format!("{HOST}/openapi/v1/orders/{ORDER}/chats"),
            POST_BODY.as_bytes(),
            NOW,
        );
        for good in [POST_HEX, &POST_HEX.to_uppercase(), POST_BASE64] {
            assert!(scheme.verify(&text, good), "{good}");
        }
        let flipped = format!("0{}", &POST_HEX[1..]);
        for bad in [
            "",
            "x",
            &flipped,
            &POST_HEX[..63],
            GET_HEX,
            GET_BASE64,
            "=".repeat(44).as_str(),
        ] {
            assert!(!scheme.verify(&text, bad), "{bad}");
        }
        assert!(!MetroHmac::new(ID, "another-secret").verify(&text, POST_HEX));
    }
}
