//! Renders the conformance harness's code for one client: the fixture-replay
//! dispatcher and the response decoders.
//!
//! None of it is compiled into a client crate: the harness (`crates/conformance`)
//! and the fuzz target generate it in their own build scripts, reaching the client
//! through a path they choose, so the product crates hold only product code.
//!
//! For every operation the dispatcher has a function that takes a `Call` (the
//! recorded request's arguments as JSON, keyed by the spec's parameter names),
//! decodes each argument into the exact type the generated builder setter takes
//! (read from the generated code, so they cannot drift), calls `send()` and wraps the
//! result.

use quote::{format_ident, quote};

use crate::generate::{Options, generate_syntax, header};
use crate::names::outside;
use crate::spec::{Finding, Spec, operations, resolve, schema_ref_name};
use crate::surface::{builder, normalize};

/// Where the rendered code finds what it uses.
#[derive(Clone, Copy, Debug)]
pub struct Paths<'a> {
    /// The client crate (`::marketplace_sdk::lectronz`): its `Client` and `types`.
    pub client: &'a str,
    /// The runtime crate (`::marketplace_runtime`), for its strict decoder.
    pub runtime: &'a str,
}

/// The replay dispatcher and the decoders of `spec`'s client, as a module body for
/// the conformance harness: `dispatch(&Client, &Call) -> Outcome`,
/// `decode_every_response`, `decode_response` and `response_schema` (the client
/// built with the runtime's `json-schema` feature). It uses the harness's
/// `crate::call::{Call, Location, Outcome}`, and replays each hand-written
/// (multipart) operation through `crate::handwritten::<spec module>::<operation>`.
pub fn replay_source(spec: &Spec, paths: Paths<'_>) -> Result<String, Vec<Finding>> {
    let (file, _) = generate_syntax(spec, Options::default())?;
    let doc = &spec.document;
    let module = format_ident!("{}", spec.name.replace('-', "_"));
    let mut arms = Vec::new();
    let mut functions = Vec::new();
    for op in operations(doc) {
        let id = op.id();
        let method = format_ident!("{}", id);
        if op.is_handwritten() {
            // Hand-written operations replay through the harness's function of the same name.
            arms.push(quote! { #id => crate::handwritten::#module::#method(client, call).await, });
            continue;
        }
        let Some(b) = builder(&file, id) else {
            continue;
        };
        let params = op.parameters(doc);
        let mut steps = Vec::new();
        for setter in &b.setters {
            let name = format_ident!("{}", setter.name);
            let ty = &outside(&setter.ty);
            if setter.name == "body" {
                steps.push(quote! {
                    if let Some(value) = call.body::<#ty>()? { request = request.body(value); }
                });
                continue;
            }
            let Some((param, _)) = params.iter().find(|(p, _)| {
                normalize(p["name"].as_str().unwrap_or_default()) == normalize(&setter.name)
            }) else {
                continue;
            };
            let wire = param["name"].as_str().unwrap_or_default();
            let location = match param["in"].as_str() {
                Some("path") => quote! { Location::Path },
                Some("header") => quote! { Location::Header },
                _ => quote! { Location::Query },
            };
            steps.push(quote! {
                if let Some(value) = call.arg::<#ty>(#location, #wire)? { request = request.#name(value); }
            });
        }
        arms.push(quote! { #id => #method(client, call).await, });
        functions.push(quote! {
            #[allow(unused_variables)]
            async fn #method(client: &Client, call: &Call) -> Result<Outcome, String> {
                #[allow(unused_mut)]
                let mut request = client.#method();
                #(#steps)*
                Ok(Outcome::from_result(request.send().await))
            }
        });
    }
    let client = path(paths.client);
    let decoders = decoders(spec, &file, paths);
    let schemas = response_schemas(spec, paths);
    let spec_path = &spec.display_path;
    let tokens = quote! {
        #[allow(unused_imports)]
        use crate::call::{Call, Location, Outcome};
        #[allow(unused_imports)]
        use #client::{types, Client};

        /// Replays `call` through the generated client.
        pub async fn dispatch(client: &Client, call: &Call) -> Outcome {
            let result = match call.operation.as_str() {
                #(#arms)*
                other => Err(format!("operation `{other}` is not in {}", #spec_path)),
            };
            result.unwrap_or_else(Outcome::BadArguments)
        }

        #decoders

        #schemas

        #(#functions)*
    };
    Ok(header(spec) + &unparse(tokens))
}

/// Only the decoders of `spec`'s client (`decode_every_response`,
/// `decode_response`), as a module body: what the fuzz target needs.
pub fn decoders_source(spec: &Spec, paths: Paths<'_>) -> Result<String, Vec<Finding>> {
    let (file, _) = generate_syntax(spec, Options::default())?;
    let client = path(paths.client);
    let decoders = decoders(spec, &file, paths);
    let tokens = quote! {
        #[allow(unused_imports)]
        use #client::types;

        #decoders
    };
    Ok(header(spec) + &unparse(tokens))
}

fn path(text: &str) -> syn::Path {
    syn::parse_str(text).expect("a Rust path")
}

fn unparse(tokens: proc_macro2::TokenStream) -> String {
    prettyplease::unparse(&syn::parse2(tokens).expect("rendered harness code parses"))
}

/// `decode_every_response` and `decode_response` for the client of `file`.
fn decoders(spec: &Spec, file: &syn::File, paths: Paths<'_>) -> proc_macro2::TokenStream {
    let doc = &spec.document;
    let runtime = path(paths.runtime);
    // Every distinct success and error body type, for decode_every_response.
    let mut decoded_types: Vec<syn::Type> = Vec::new();
    for op in operations(doc) {
        let Some(b) = builder(file, op.id()) else {
            continue;
        };
        let returned = b.returns.iter().flat_map(response_types);
        for ty in returned.chain(b.error_body) {
            if !decoded_types.contains(&ty) {
                decoded_types.push(ty);
            }
        }
    }
    // Each documented response body, for decode_response: a recorded body is
    // checked against its own type.
    let documented = documented_bodies(spec)
        .into_iter()
        .map(|(id, status, name)| {
            let ty = format_ident!("{}", name);
            quote! { (#id, #status) => #runtime::decode::decode::<types::#ty>(body).map(drop), }
        });
    quote! {
        /// Decodes `body` as every response type of the spec and returns how many
        /// accepted it: the entry point of the decoder fuzz target and property
        /// tests, which require that no input makes decoding panic.
        pub fn decode_every_response(body: &[u8]) -> usize {
            let mut accepted = 0;
            #(accepted += usize::from(#runtime::decode::decode::<#decoded_types>(body).is_ok());)*
            accepted
        }

        /// Decodes `body` as the type the spec documents for `operation` answering
        /// `status` (that status, else its range such as `4XX`); `None` when the spec
        /// documents no JSON body there. The property tests check each recorded body
        /// against its own operation's type with it.
        #[allow(dead_code)]
        pub fn decode_response(operation: &str, status: u16, body: &[u8]) -> Option<Result<(), String>> {
            fn documented(operation: &str, status: &str, body: &[u8]) -> Option<Result<(), String>> {
                Some(match (operation, status) {
                    #(#documented)*
                    _ => return None,
                })
            }
            documented(operation, &status.to_string(), body)
                .or_else(|| documented(operation, &format!("{}XX", status / 100), body))
        }
    }
}

/// `(operation id, status key such as "200" or "4XX", schema name)` of every
/// response the spec documents with a JSON body of a named schema.
fn documented_bodies(spec: &Spec) -> Vec<(String, String, String)> {
    let doc = &spec.document;
    let mut documented = Vec::new();
    for op in operations(doc) {
        for (status, response) in op.value["responses"].as_object().into_iter().flatten() {
            let content = &resolve(doc, response)["content"];
            if let Some(name) = content
                .as_object()
                .and_then(|media| media.values().next())
                .and_then(|media| schema_ref_name(&media["schema"]))
            {
                documented.push((op.id().to_owned(), status.clone(), name.to_owned()));
            }
        }
    }
    documented
}

/// `response_schema`: the JSON Schema schemars derives for the type the spec
/// documents for an operation and status. The client must be built with the
/// runtime's `json-schema` feature (the harness enables it).
fn response_schemas(spec: &Spec, paths: Paths<'_>) -> proc_macro2::TokenStream {
    let runtime = path(paths.runtime);
    let arms = documented_bodies(spec)
        .into_iter()
        .map(|(id, status, name)| {
            let ty = format_ident!("{}", name);
            quote! {
                (#id, #status) => (#name, #runtime::__schemars::schema_for!(types::#ty)),
            }
        });
    quote! {
        /// The name and JSON Schema (draft 7, derived by schemars) of the generated
        /// type the spec documents for `operation` answering `status` (that status,
        /// else its range such as `4XX`); `None` when the spec documents no JSON body
        /// there. The harness checks every recorded body against it.
        pub fn response_schema(operation: &str, status: u16) -> Option<(&'static str, ::serde_json::Value)> {
            fn documented(operation: &str, status: &str) -> Option<(&'static str, ::serde_json::Value)> {
                let (name, schema) = match (operation, status) {
                    #(#arms)*
                    _ => return None,
                };
                Some((name, ::serde_json::to_value(schema).unwrap_or_default()))
            }
            documented(operation, &status.to_string())
                .or_else(|| documented(operation, &format!("{}XX", status / 100)))
        }
    }
}

/// `T` and `E` of `Result<ResponseValue<T>, Error<E>>`, skipping `()` and `ByteStream`.
fn response_types(returns: &syn::Type) -> Vec<syn::Type> {
    let mut found = Vec::new();
    collect_generic_args(returns, &mut found);
    found
}

fn collect_generic_args(ty: &syn::Type, found: &mut Vec<syn::Type>) {
    let syn::Type::Path(path) = ty else { return };
    let Some(last) = path.path.segments.last() else {
        return;
    };
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return;
    };
    for arg in &args.args {
        let syn::GenericArgument::Type(inner) = arg else {
            continue;
        };
        let is_wrapper = matches!(&last.ident.to_string()[..], "Result");
        if is_wrapper {
            collect_generic_args(inner, found);
        } else if matches!(&last.ident.to_string()[..], "ResponseValue" | "Error") {
            let text = quote::ToTokens::to_token_stream(inner).to_string();
            if text != "()" && !text.ends_with("ByteStream") {
                found.push(inner.clone());
            }
        }
    }
}
