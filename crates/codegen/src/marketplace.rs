//! `x-marketplace`: the facts about a marketplace that are not in OpenAPI, written
//! once in the spec, checked by the `marketplace` house rule and turned into the
//! client's constructors and default limits.
//!
//! ```yaml
//! x-marketplace:
//!   summary: "Lectronz API v1: order messages"   # one line: the umbrella crate's table
//!   constructors:
//!     - name: builder                 # Client::builder(..) -> ClientBuilder<Client>
//!       base-url: DEFAULT_BASE_URL    # a server constant (DEFAULT_BASE_URL or a server's x-rust-const)
//!       # base-url-parameter: receiver_base_url  (instead: the caller passes the base URL)
//!       auth: bearer                  # a runtime `Auth` scheme, see SCHEMES
//!       parameters: [api_key]         # the scheme's credentials, as the constructor's arguments
//!       description: A builder for …  # the constructor's docs
//!   rate-limit:                       # optional, applied by every constructor
//!     per-second: 1.0
//!     rust-const: DEFAULT_REQUESTS_PER_SECOND
//!     description: …
//!   concurrency-limit:                # optional, applied by every constructor
//!     per-path-segment-after: businesses
//!     requests: 4
//!     rust-const: MAX_PARALLEL_REQUESTS_PER_BUSINESS
//!     description: …
//! ```
//!
//! Every spec has one: the list of specs, each with its descriptor, is the registry
//! the conformance harness, the fuzz target and the umbrella crate are derived from.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::{Map, Value};

use crate::names::{Case, rust_name};
use crate::spec::{Finding, Spec, operations};

/// The document extension.
pub const EXTENSION: &str = "x-marketplace";

/// The credential schemes a constructor can use: the name in the spec, the runtime's
/// `Auth` constructor, and how many credentials it takes.
pub const SCHEMES: &[(&str, &str, usize)] = &[
    ("bearer", "bearer", 1),
    ("skyhub", "skyhub", 3),
    ("yandex-api-key", "yandex_api_key", 1),
    ("yandex-oauth", "yandex_oauth", 1),
    ("metro-hmac", "metro_hmac", 2),
    ("metro-delivery", "metro_delivery", 2),
    ("unsigned", "unsigned", 0),
];

/// A spec's `x-marketplace`.
#[derive(Clone, Debug, PartialEq)]
pub struct Marketplace {
    /// One line naming the marketplace and the API.
    pub summary: String,
    /// The client's constructors.
    pub constructors: Vec<Constructor>,
    /// Requests per second every constructor allows by default.
    pub rate_limit: Option<Limit<f64>>,
    /// Requests in flight per path segment every constructor allows by default.
    pub concurrency_limit: Option<Limit<usize>>,
}

/// One constructor: `Client::<name>(<base URL parameter>?, <credentials>…)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Constructor {
    /// Rust name.
    pub name: String,
    /// Its docs.
    pub description: String,
    /// Where the client goes.
    pub base_url: BaseUrl,
    /// The `auth` scheme's name (one of [`SCHEMES`]).
    pub auth: String,
    /// The credentials' argument names.
    pub parameters: Vec<String>,
}

/// A constructor's base URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BaseUrl {
    /// A server constant of the generated code.
    Server(String),
    /// An argument the caller passes first (a webhook receiver's URL).
    Parameter(String),
}

/// A default client-side limit, with the public constant that names it.
#[derive(Clone, Debug, PartialEq)]
pub struct Limit<T> {
    /// The value.
    pub value: T,
    /// `concurrency-limit`: the path segment after which the key segment follows.
    pub segment: Option<String>,
    /// The constant's name.
    pub rust_const: String,
    /// The constant's docs.
    pub description: String,
}

impl Marketplace {
    /// Reads the spec's `x-marketplace`; every problem is one `(pointer, message)`.
    /// A spec without one is an error here: the workspace's specs are the registry
    /// of marketplaces (the spec stage requires it); the house rule and the
    /// generator accept its absence (no constructors), as any OpenAPI document.
    pub fn of(spec: &Spec) -> Result<Marketplace, Vec<(String, String)>> {
        let root = format!("/{EXTENSION}");
        let Some(object) = spec.document.get(EXTENSION) else {
            return Err(vec![(
                String::new(),
                format!(
                    "`{EXTENSION}` is missing: every spec of the workspace describes its \
                     marketplace (summary, constructors; see crates/codegen/src/marketplace.rs)"
                ),
            )]);
        };
        let mut problems = Vec::new();
        let object = keys(
            object,
            &root,
            &["summary", "constructors", "rate-limit", "concurrency-limit"],
            &mut problems,
        );
        let summary = text(&object, "summary", &root, &mut problems).unwrap_or_default();
        let mut constructors = Vec::new();
        match object.get("constructors").and_then(Value::as_array) {
            Some(list) if !list.is_empty() => {
                for (i, value) in list.iter().enumerate() {
                    if let Some(c) = constructor(
                        spec,
                        value,
                        &format!("{root}/constructors/{i}"),
                        &mut problems,
                    ) {
                        constructors.push(c);
                    }
                }
            }
            _ => problems.push((
                format!("{root}/constructors"),
                "`constructors` is a non-empty list".into(),
            )),
        }
        let rate_limit = object.get("rate-limit").and_then(|value| {
            let at = format!("{root}/rate-limit");
            let map = keys(
                value,
                &at,
                &["per-second", "rust-const", "description"],
                &mut problems,
            );
            let per_second = map
                .get("per-second")
                .and_then(Value::as_f64)
                .filter(|v| *v > 0.0);
            if per_second.is_none() {
                problems.push((
                    format!("{at}/per-second"),
                    "`per-second` is a positive number".into(),
                ));
            }
            limit(&map, &at, per_second, None, &mut problems)
        });
        let concurrency_limit = object.get("concurrency-limit").and_then(|value| {
            let at = format!("{root}/concurrency-limit");
            let map = keys(
                value,
                &at,
                &[
                    "per-path-segment-after",
                    "requests",
                    "rust-const",
                    "description",
                ],
                &mut problems,
            );
            let requests = map
                .get("requests")
                .and_then(Value::as_u64)
                .filter(|v| *v > 0);
            if requests.is_none() {
                problems.push((
                    format!("{at}/requests"),
                    "`requests` is a positive integer".into(),
                ));
            }
            let segment = text(&map, "per-path-segment-after", &at, &mut problems);
            limit(
                &map,
                &at,
                requests.map(|r| r as usize),
                segment,
                &mut problems,
            )
        });
        let mut names: Vec<&str> = constructors.iter().map(|c| c.name.as_str()).collect();
        names.sort_unstable();
        if names.windows(2).any(|w| w[0] == w[1]) {
            problems.push((
                format!("{root}/constructors"),
                "constructor names are unique".into(),
            ));
        }
        if problems.is_empty() {
            Ok(Marketplace {
                summary,
                constructors,
                rate_limit,
                concurrency_limit,
            })
        } else {
            Err(problems)
        }
    }
}

/// The object at `pointer`, reporting keys other than `known`.
fn keys(
    value: &Value,
    pointer: &str,
    known: &[&str],
    problems: &mut Vec<(String, String)>,
) -> Map<String, Value> {
    let Some(object) = value.as_object() else {
        problems.push((pointer.to_owned(), format!("an object; found {value}")));
        return Map::new();
    };
    for key in object.keys().filter(|k| !known.contains(&k.as_str())) {
        problems.push((
            format!("{pointer}/{key}"),
            format!("unknown key `{key}` (known: {})", known.join(", ")),
        ));
    }
    object.clone()
}

fn text(
    object: &Map<String, Value>,
    key: &str,
    pointer: &str,
    problems: &mut Vec<(String, String)>,
) -> Option<String> {
    match object.get(key).and_then(Value::as_str) {
        Some(s) if !s.trim().is_empty() => Some(s.to_owned()),
        _ => {
            problems.push((
                format!("{pointer}/{key}"),
                format!("`{key}` is a non-empty string"),
            ));
            None
        }
    }
}

/// How a name is written in Rust.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// Functions and arguments: `snake_case`.
    Snake,
    /// Constants: `SCREAMING_SNAKE_CASE`.
    Constant,
}

/// `name` as a Rust identifier of `kind`, or a problem.
fn identifier(
    name: Option<String>,
    kind: Kind,
    pointer: String,
    problems: &mut Vec<(String, String)>,
) -> Option<String> {
    let name = name?;
    let fits = match kind {
        Kind::Snake => rust_name(&name, Case::Snake) == name,
        Kind::Constant => rust_name(&name, Case::Snake).to_uppercase() == name,
    };
    if fits && syn::parse_str::<syn::Ident>(&name).is_ok() {
        Some(name)
    } else {
        problems.push((
            pointer,
            format!("`{name}` is not a {kind:?} Rust identifier"),
        ));
        None
    }
}

fn limit<T>(
    map: &Map<String, Value>,
    at: &str,
    value: Option<T>,
    segment: Option<String>,
    problems: &mut Vec<(String, String)>,
) -> Option<Limit<T>> {
    let rust_const = identifier(
        text(map, "rust-const", at, problems),
        Kind::Constant,
        format!("{at}/rust-const"),
        problems,
    );
    let description = text(map, "description", at, problems);
    Some(Limit {
        value: value?,
        segment,
        rust_const: rust_const?,
        description: description?,
    })
}

fn constructor(
    spec: &Spec,
    value: &Value,
    at: &str,
    problems: &mut Vec<(String, String)>,
) -> Option<Constructor> {
    let map = keys(
        value,
        at,
        &[
            "name",
            "description",
            "base-url",
            "base-url-parameter",
            "auth",
            "parameters",
        ],
        problems,
    );
    let name = identifier(
        text(&map, "name", at, problems),
        Kind::Snake,
        format!("{at}/name"),
        problems,
    );
    if let Some(name) = &name
        && operations(&spec.document).iter().any(|op| op.id() == name)
    {
        problems.push((
            format!("{at}/name"),
            format!("`{name}` is also an operation: both would be `Client::{name}`"),
        ));
    }
    let description = text(&map, "description", at, problems);
    let base_url = match (
        map.get("base-url").and_then(Value::as_str),
        map.get("base-url-parameter").and_then(Value::as_str),
    ) {
        (Some(server), None) if server_consts(spec).iter().any(|c| c == server) => {
            Some(BaseUrl::Server(server.to_owned()))
        }
        (Some(server), None) => {
            problems.push((
                format!("{at}/base-url"),
                format!(
                    "`{server}` is not a server constant (known: {})",
                    server_consts(spec).join(", ")
                ),
            ));
            None
        }
        (None, Some(parameter)) => identifier(
            Some(parameter.to_owned()),
            Kind::Snake,
            format!("{at}/base-url-parameter"),
            problems,
        )
        .map(BaseUrl::Parameter),
        _ => {
            problems.push((
                at.to_owned(),
                "exactly one of `base-url` (a server constant) and `base-url-parameter`".into(),
            ));
            None
        }
    };
    let auth = text(&map, "auth", at, problems);
    let parameters: Vec<String> = map
        .get("parameters")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .enumerate()
                .filter_map(|(i, p)| {
                    identifier(
                        p.as_str().map(str::to_owned),
                        Kind::Snake,
                        format!("{at}/parameters/{i}"),
                        problems,
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    match auth.as_deref().and_then(scheme) {
        Some((_, _, arity)) if arity != parameters.len() => problems.push((
            format!("{at}/parameters"),
            format!(
                "scheme `{}` takes {arity} credential(s); {} named",
                auth.as_deref().unwrap_or_default(),
                parameters.len()
            ),
        )),
        Some(_) => {}
        None => problems.push((
            format!("{at}/auth"),
            format!(
                "`auth` is one of {}",
                SCHEMES.iter().map(|s| s.0).collect::<Vec<_>>().join(", ")
            ),
        )),
    }
    Some(Constructor {
        name: name?,
        description: description?,
        base_url: base_url?,
        auth: auth?,
        parameters,
    })
}

fn scheme(name: &str) -> Option<(&'static str, &'static str, usize)> {
    SCHEMES.iter().copied().find(|s| s.0 == name)
}

/// The names the generated code gives the spec's servers.
fn server_consts(spec: &Spec) -> Vec<String> {
    let servers = spec.document["servers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let named = servers
        .iter()
        .filter_map(|s| s["x-rust-const"].as_str().map(str::to_owned));
    (!servers.is_empty())
        .then(|| "DEFAULT_BASE_URL".to_owned())
        .into_iter()
        .chain(named)
        .collect()
}

/// The `marketplace` house rule: `x-marketplace` is present and well formed.
pub fn lint(spec: &Spec) -> Vec<Finding> {
    if spec.document.get(EXTENSION).is_none() {
        return Vec::new();
    }
    match Marketplace::of(spec) {
        Ok(_) => Vec::new(),
        Err(problems) => problems
            .into_iter()
            .map(|(pointer, message)| spec.finding(pointer, "marketplace", message))
            .collect(),
    }
}

/// Adds the limit constants, the constructors and the `marketplace` module (every
/// constant, which the client crate re-exports) to the generated code.
pub(crate) fn add_items(spec: &Spec, file: &mut syn::File) -> Result<(), Vec<Finding>> {
    let described = spec.document.get(EXTENSION).is_some();
    let marketplace = if !described {
        Marketplace {
            summary: String::new(),
            constructors: Vec::new(),
            rate_limit: None,
            concurrency_limit: None,
        }
    } else {
        Marketplace::of(spec).map_err(|problems| {
            problems
                .into_iter()
                .map(|(p, m)| spec.finding(p, "marketplace", m))
                .collect::<Vec<_>>()
        })?
    };
    let mut limits = Vec::new();
    let mut items = Vec::new();
    if let Some(rate) = &marketplace.rate_limit {
        let (name, doc, value) = (
            format_ident!("{}", rate.rust_const),
            &rate.description,
            proc_macro2::Literal::f64_unsuffixed(rate.value),
        );
        items.push(quote! { #[doc = #doc] pub const #name: f64 = #value; });
        limits.push(quote! { .rate_limit(::marketplace_runtime::RateLimit::per_second(#name)) });
    }
    if let Some(concurrency) = &marketplace.concurrency_limit {
        let (name, doc, value) = (
            format_ident!("{}", concurrency.rust_const),
            &concurrency.description,
            proc_macro2::Literal::usize_unsuffixed(concurrency.value),
        );
        let segment = concurrency.segment.as_deref().unwrap_or_default();
        items.push(quote! { #[doc = #doc] pub const #name: usize = #value; });
        limits.push(quote! {
            .concurrency_limit(::marketplace_runtime::ConcurrencyLimit::per_path_segment_after(#segment, #name))
        });
    }
    let constructors = marketplace
        .constructors
        .iter()
        .map(|c| constructor_tokens(c, &limits));
    let exported = server_consts(spec)
        .into_iter()
        .map(|c| format_ident!("{}", c))
        .chain(
            marketplace
                .rate_limit
                .iter()
                .map(|l| format_ident!("{}", l.rust_const)),
        )
        .chain(
            marketplace
                .concurrency_limit
                .iter()
                .map(|l| format_ident!("{}", l.rust_const)),
        );
    items.push(quote! {
        /// The marketplace's constants (servers, default limits), re-exported at the
        /// crate root, and its constructors, from the spec's `x-marketplace`.
        pub mod marketplace {
            pub use super::{#(#exported),*};
            // In scope for the constructors' doc links.
            use ::marketplace_runtime::{Auth, ClientBuilder, ConcurrencyLimit, MetroHmac, RateLimit};

            impl super::Client {
                #(#constructors)*
            }
        }
    });
    for tokens in items {
        let parsed: syn::File = syn::parse2(tokens).map_err(|e| {
            vec![spec.finding(
                format!("/{EXTENSION}"),
                "marketplace",
                format!("generated constructors do not parse: {e}"),
            )]
        })?;
        file.items.extend(parsed.items);
    }
    Ok(())
}

fn constructor_tokens(c: &Constructor, limits: &[TokenStream]) -> TokenStream {
    let name = format_ident!("{}", c.name);
    let doc = &c.description;
    let (_, auth, _) = scheme(&c.auth).expect("checked by the marketplace rule");
    let auth = format_ident!("{}", auth);
    let credentials: Vec<_> = c
        .parameters
        .iter()
        .map(|p| format_ident!("{}", p))
        .collect();
    let (base_parameter, base) = match &c.base_url {
        BaseUrl::Server(server) => {
            let server = format_ident!("{}", server);
            (None, quote! { super::#server })
        }
        BaseUrl::Parameter(parameter) => {
            let parameter = format_ident!("{}", parameter);
            (
                Some(quote! { #parameter: impl Into<String>, }),
                quote! { #parameter },
            )
        }
    };
    quote! {
        #[doc = #doc]
        pub fn #name(#base_parameter #(#credentials: impl Into<String>),*) -> ::marketplace_runtime::ClientBuilder<super::Client> {
            ::marketplace_runtime::ClientBuilder::new(
                #base,
                ::marketplace_runtime::Auth::#auth(#(#credentials),*),
            )
            #(#limits)*
        }
    }
}
