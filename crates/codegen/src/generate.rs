//! The house generation step: house rules → progenitor → house additions.

use std::collections::BTreeSet;

use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle, TypeImpl};
use quote::{format_ident, quote};
use serde_json::Value;

use crate::enums::{self, TolerantEnum};
use crate::lint;
use crate::spec::{self, Finding, Spec, is_json_media_type, operations, schema_ref_name};
use crate::surface;

/// Everything generated from one spec.
#[derive(Clone, Debug)]
pub struct Generated {
    /// The client code, `include!`d by the client crate (see `include_generated_client!`).
    pub client: String,
    /// The readable API surface, kept as an insta snapshot.
    pub surface: String,
}

/// What a build adds to the product code: [`generate`] uses the defaults.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Derive `schemars::JsonSchema` on every generated type, through the runtime's
    /// re-export: set when the runtime's `json-schema` feature is on (the conformance
    /// harness's check that the types accept every recorded response), never for users.
    pub json_schema: bool,
}

/// Module path of the generated code inside every client crate.
const GENERATED_MODULE: &str = "crate::generated";

/// The house progenitor settings. This is the only place they are written down:
/// every build script and xtask go through [`generate`].
fn house_settings(enums: &[TolerantEnum], options: Options) -> GenerationSettings {
    let mut settings = GenerationSettings::default();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        // The runtime's hooks are mandatory: a client without auth must not compile.
        .with_hooks(HooksMode::Expected)
        .with_inner_type(quote! { ::marketplace_runtime::Runtime })
        .with_derive("PartialEq");
    if options.json_schema {
        // `schemars` is the runtime's re-export, imported into `types` by
        // `add_json_schema`; the derive names its crate by that relative path.
        settings.with_derive("schemars::JsonSchema");
    }
    for e in enums {
        settings.with_replacement(
            &e.name,
            format!("{GENERATED_MODULE}::types::{}", e.name),
            [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
        );
    }
    settings
}

/// Generates the client and API surface for `spec`, or explains (file, JSON
/// pointer, rule) why the spec cannot be generated.
pub fn generate(spec: &Spec) -> Result<Generated, Vec<Finding>> {
    generate_with(spec, Options::default())
}

/// [`generate`] with `options` (what a client's build script asks for).
pub fn generate_with(spec: &Spec, options: Options) -> Result<Generated, Vec<Finding>> {
    let (file, enums) = generate_syntax(spec, options)?;
    Ok(Generated {
        client: header(spec) + &prettyplease::unparse(&file),
        surface: surface::render(spec, &file, &enums),
    })
}

/// The generated client as syntax, with the tolerant enums it defines: what the
/// client file, the API surface and the conformance harness's replay code are read
/// from.
pub(crate) fn generate_syntax(
    spec: &Spec,
    options: Options,
) -> Result<(syn::File, Vec<TolerantEnum>), Vec<Finding>> {
    let findings = lint::lint(spec);
    if !findings.is_empty() {
        return Err(findings);
    }
    let enums = enums::collect(spec)?;
    let prepared = prepare_for_progenitor(&spec.document);
    let model = spec.model(&prepared).map_err(|f| vec![f])?;

    let settings = house_settings(&enums, options);
    // progenitor still panics on some inputs the house rules do not foresee; a panic
    // in a build script is unreadable, so turn it into a finding.
    let tokens =
        std::panic::catch_unwind(move || Generator::new(&settings).generate_tokens(&model))
            .map_err(|panic| {
                let reason = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                vec![spec.finding("", "progenitor", format!("progenitor panicked: {reason}"))]
            })?
            .map_err(|e| vec![spec.finding("", "progenitor", e.to_string())])?;

    let mut file: syn::File = syn::parse2(tokens).map_err(|e| {
        vec![spec.finding(
            "",
            "progenitor",
            format!("generated code does not parse: {e}"),
        )]
    })?;
    crate::decoding::edit(spec, &mut file)?;
    add_house_items(spec, &mut file, &enums);
    if options.json_schema {
        add_json_schema(&mut file, &enums);
    }
    crate::marketplace::add_items(spec, &mut file)?;
    crate::pagination::add_streams(spec, &mut file)?;
    crate::docs::add(spec, &mut file);
    Ok((file, enums))
}

/// The first lines of every generated file: what it comes from and which command
/// does what (cargo regenerates the code; xtask only refreshes the snapshots).
pub(crate) fn header(spec: &Spec) -> String {
    format!(
        "// Generated by marketplace-codegen from {path}: cargo regenerates this file on\n\
         // every build of the client crate (its build.rs), so it is never stale. Do not\n\
         // edit it: change the spec. `cargo xtask generate` does not regenerate code; it\n\
         // only refreshes the API-surface snapshot ({name}.api.snap beside the spec) and\n\
         // the fixture snapshots.\n\n",
        path = spec.display_path,
        name = spec.name,
    )
}

/// The document progenitor sees: hand-written (multipart) operations removed and
/// `application/*+json` media types read as `application/json`.
fn prepare_for_progenitor(document: &Value) -> Value {
    let mut prepared = document.clone();
    let handwritten: Vec<(String, String)> = operations(document)
        .iter()
        .filter(|op| op.is_handwritten())
        .map(|op| (op.path.to_owned(), op.method.to_owned()))
        .collect();
    for (path, method) in handwritten {
        if let Some(item) = prepared["paths"][&path].as_object_mut() {
            item.remove(&method);
        }
    }
    if let Some(paths) = prepared["paths"].as_object_mut() {
        paths.retain(|_, item| {
            item.as_object()
                .is_some_and(|i| i.keys().any(|k| spec::METHODS.contains(&k.as_str())))
        });
        for item in paths.values_mut() {
            for method in spec::METHODS {
                let responses = item
                    .get_mut(*method)
                    .and_then(|op| op.get_mut("responses"))
                    .and_then(Value::as_object_mut);
                for response in responses.into_iter().flat_map(|r| r.values_mut()) {
                    read_json_suffix_as_json(response);
                }
            }
        }
    }
    // Responses shared through `components/responses` too (a `$ref` in an
    // operation points at them, so they are normalized where they live).
    if let Some(shared) = prepared["components"]["responses"].as_object_mut() {
        shared.values_mut().for_each(read_json_suffix_as_json);
    }
    prepared
}

/// The `minimum`/`maximum` of each integer query parameter, per operation, as the
/// expression the `pre` hook checks: typify carries string lengths into the types
/// but not integer ranges, and a page size out of range must fail before sending.
fn query_bounds(spec: &Spec) -> proc_macro2::TokenStream {
    let doc = &spec.document;
    let mut arms = Vec::new();
    for op in operations(doc) {
        let mut bounds = Vec::new();
        for (parameter, _) in op.parameters(doc) {
            let schema = &parameter["schema"];
            if parameter["in"] != "query" || schema["type"] != "integer" {
                continue;
            }
            let exclusive = |key: &str| schema[key] == Value::Bool(true);
            let min = schema["minimum"]
                .as_i64()
                .map(|m| m + i64::from(exclusive("exclusiveMinimum")));
            let max = schema["maximum"]
                .as_i64()
                .map(|m| m - i64::from(exclusive("exclusiveMaximum")));
            if min.is_none() && max.is_none() {
                continue;
            }
            let name = parameter["name"].as_str().unwrap_or_default();
            let [min, max] = [min, max].map(|b| match b {
                Some(b) => quote! { Some(#b) },
                None => quote! { None },
            });
            bounds.push(quote! {
                ::marketplace_runtime::hooks::QueryBound { name: #name, min: #min, max: #max }
            });
        }
        if !bounds.is_empty() {
            let id = op.id();
            arms.push(quote! { #id => &[#(#bounds),*], });
        }
    }
    if arms.is_empty() {
        quote! { &[] }
    } else {
        quote! {
            match info.operation_id {
                #(#arms)*
                _ => &[],
            }
        }
    }
}

/// Renames a response's `application/*+json` media type (problem details) to
/// `application/json`, which progenitor decodes; the body is JSON either way.
fn read_json_suffix_as_json(response: &mut Value) {
    let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) else {
        return;
    };
    let json: Vec<String> = content
        .keys()
        .filter(|k| is_json_media_type(k) && *k != "application/json")
        .cloned()
        .collect();
    for media_type in json {
        let media = content.remove(&media_type).unwrap_or_default();
        content.insert("application/json".into(), media);
    }
}

/// Items the house adds to progenitor's output: tolerant enums, the runtime hooks,
/// error-body accessors, base-URL constants and the `GeneratedClient` impl.
fn add_house_items(spec: &Spec, file: &mut syn::File, enums: &[TolerantEnum]) {
    syn::visit_mut::VisitMut::visit_file_mut(&mut HouseEdits, file);

    for item in &mut file.items {
        if let syn::Item::Mod(module) = item
            && module.ident == "types"
            && let Some((_, items)) = &mut module.content
        {
            for e in enums {
                items.push(syn::parse2(enums::tokens(e)).expect("tolerant enum tokens parse"));
            }
        }
    }

    let marketplace = &spec.name;
    // POSTs the spec declares safe to repeat (`x-idempotent: true`): retried like GETs.
    let idempotent_ids: Vec<String> = operations(&spec.document)
        .iter()
        .filter(|op| op.is_declared_idempotent())
        .map(|op| op.id().to_owned())
        .collect();
    let declared_idempotent = if idempotent_ids.is_empty() {
        quote! { false }
    } else {
        quote! { matches!(info.operation_id, #(#idempotent_ids)|*) }
    };
    let bounds = query_bounds(spec);
    let mut extra = vec![quote! {
        impl ClientHooks<::marketplace_runtime::Runtime> for Client {
            async fn pre<E>(
                &self,
                request: &mut reqwest::Request,
                info: &OperationInfo,
            ) -> std::result::Result<(), Error<E>> {
                let bounds: &[::marketplace_runtime::hooks::QueryBound] = #bounds;
                ::marketplace_runtime::hooks::pre(&self.inner, request, info, bounds).await
            }

            async fn exec(
                &self,
                request: reqwest::Request,
                info: &OperationInfo,
            ) -> reqwest::Result<reqwest::Response> {
                let declared_idempotent = #declared_idempotent;
                ::marketplace_runtime::hooks::exec(
                    &self.client,
                    &self.inner,
                    request,
                    info,
                    declared_idempotent,
                )
                .await
            }
        }

        impl ::marketplace_runtime::GeneratedClient for Client {
            const MARKETPLACE: &'static str = #marketplace;

            fn from_parts(
                base_url: &str,
                http: reqwest::Client,
                runtime: ::marketplace_runtime::Runtime,
            ) -> Self {
                Self::new_with_client(base_url, http, runtime)
            }
        }
    }];

    for (i, server) in spec.document["servers"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let url = server["url"].as_str().unwrap_or_default();
        let doc = server["description"].as_str().unwrap_or("Base URL.");
        let mut names: Vec<String> = server["x-rust-const"]
            .as_str()
            .map(str::to_owned)
            .into_iter()
            .collect();
        if i == 0 {
            names.insert(0, "DEFAULT_BASE_URL".into());
        }
        for name in names {
            let ident = format_ident!("{}", name);
            extra.push(quote! {
                #[doc = #doc]
                pub const #ident: &str = #url;
            });
        }
    }

    let mut error_schemas = BTreeSet::new();
    for op in operations(&spec.document) {
        for (code, response) in op.value["responses"].as_object().into_iter().flatten() {
            let response = spec::resolve(&spec.document, response);
            if code.starts_with('4') || code.starts_with('5') {
                for media in response["content"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(_, m)| m)
                {
                    if let Some(name) = schema_ref_name(&media["schema"]) {
                        error_schemas.insert(name.to_owned());
                    }
                }
            }
        }
    }
    for name in error_schemas {
        let schema = &spec.document["components"]["schemas"][&name];
        let pointers = |key: &str| -> Vec<String> {
            schema[key]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p.as_str().map(str::to_owned))
                .collect()
        };
        let (code, message) = (pointers("x-error-code"), pointers("x-error-message"));
        let ty = format_ident!("{}", name);
        extra.push(quote! {
            impl ::marketplace_runtime::ApiErrorBody for types::#ty {
                fn code(&self) -> Option<String> {
                    ::marketplace_runtime::text_at(self, &[#(#code),*])
                }
                fn message(&self) -> Option<String> {
                    ::marketplace_runtime::text_at(self, &[#(#message),*])
                }
            }
        });
    }

    for tokens in extra {
        let parsed: syn::File = syn::parse2(tokens).expect("house items parse");
        file.items.extend(parsed.items);
    }
}

/// Imports the runtime's schemars into `types` (what the derives name) and gives
/// each tolerant enum the schema of what it decodes: any string (an unknown value
/// is `Other`), so the schema is exactly as tolerant as the type.
fn add_json_schema(file: &mut syn::File, enums: &[TolerantEnum]) {
    let Some(items) = file.items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(module) if module.ident == "types" => {
            module.content.as_mut().map(|(_, items)| items)
        }
        _ => None,
    }) else {
        return;
    };
    crate::decoding::schemas_as_tolerant_as_decoding(items);
    items.insert(
        0,
        syn::parse_quote! { use ::marketplace_runtime::__schemars as schemars; },
    );
    for e in enums {
        let ty = format_ident!("{}", e.name);
        let name = &e.name;
        items.push(syn::parse_quote! {
            impl schemars::JsonSchema for #ty {
                fn schema_name() -> ::std::string::String {
                    #name.into()
                }
                fn json_schema(
                    generator: &mut schemars::r#gen::SchemaGenerator,
                ) -> schemars::schema::Schema {
                    <::std::string::String as schemars::JsonSchema>::json_schema(generator)
                }
            }
        });
    }
}

/// House edits of progenitor's output: routes every `ResponseValue::from_response(..)`
/// through `marketplace_runtime::decode::from_response` (which reports the JSON path
/// and keeps the status when a body does not decode), makes any 2xx a success,
/// drops the `api-version` header, and builds each request's URL and header map
/// without per-call work that buys nothing.
struct HouseEdits;

impl syn::visit_mut::VisitMut for HouseEdits {
    /// progenitor builds every request URL with `format!("{}/path/{}", client.baseurl,
    /// encode_path(..))` and starts an empty `HeaderMap::with_capacity(n)`: the URL is
    /// joined instead (`marketplace_runtime::hooks::join_url`, one exact allocation,
    /// no formatting machinery) and the map starts unallocated (it allocates only if
    /// a header parameter is set). About 1.5 k instructions per call.
    fn visit_expr_mut(&mut self, expr: &mut syn::Expr) {
        if let Some(edited) = url_joined(expr).or_else(|| header_map_unallocated(expr)) {
            *expr = edited;
        }
        syn::visit_mut::visit_expr_mut(self, expr);
    }

    /// progenitor adds `api-version: <info.version>` to every request. No marketplace
    /// defines that header, so the statement is dropped: nothing to send, nothing to
    /// strip again in the hooks.
    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        block.stmts.retain(|stmt| {
            let text = quote::ToTokens::to_token_stream(stmt).to_string();
            !(text.starts_with("header_map . append") && text.contains("\"api-version\""))
        });
        syn::visit_mut::visit_block_mut(self, block);
    }

    fn visit_item_impl_mut(&mut self, imp: &mut syn::ItemImpl) {
        send_returns_the_runtime_error(imp);
        syn::visit_mut::visit_item_impl_mut(self, imp);
    }

    fn visit_expr_match_mut(&mut self, expr: &mut syn::ExprMatch) {
        any_2xx_is_success(expr);
        syn::visit_mut::visit_expr_match_mut(self, expr);
    }

    fn visit_expr_path_mut(&mut self, expr: &mut syn::ExprPath) {
        let segments: Vec<String> = expr
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        if segments == ["ResponseValue", "from_response"] {
            *expr = syn::parse_quote!(::marketplace_runtime::decode::from_response);
        }
        syn::visit_mut::visit_expr_path_mut(self, expr);
    }
}

/// `format!("{}/a/{}/b", client.baseurl, x)` as `join_url(&["…", "/a/", "…", "/b"])`,
/// for a template of plain `{}` placeholders that starts with the base URL; any
/// other `format!` is left alone.
fn url_joined(expr: &syn::Expr) -> Option<syn::Expr> {
    let syn::Expr::Macro(call) = expr else {
        return None;
    };
    if !call.mac.path.is_ident("format") {
        return None;
    }
    let args = call
        .mac
        .parse_body_with(syn::punctuated::Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated)
        .ok()?;
    let mut args = args.into_iter();
    let syn::Expr::Lit(syn::ExprLit {
        lit: syn::Lit::Str(template),
        ..
    }) = args.next()?
    else {
        return None;
    };
    let args: Vec<syn::Expr> = args.collect();
    let base = args
        .first()
        .map(|a| quote::ToTokens::to_token_stream(a).to_string());
    let template = template.value();
    let pieces: Vec<&str> = template.split("{}").collect();
    if base.as_deref() != Some("client . baseurl")
        || !template.starts_with("{}")
        || pieces.len() != args.len() + 1
        || pieces.iter().any(|piece| piece.contains(['{', '}']))
    {
        return None;
    }
    let mut parts: Vec<proc_macro2::TokenStream> = Vec::new();
    for (i, piece) in pieces.iter().enumerate() {
        if !piece.is_empty() {
            parts.push(quote!(#piece));
        }
        if let Some(arg) = args.get(i) {
            parts.push(quote!(::std::convert::AsRef::<str>::as_ref(&#arg)));
        }
    }
    Some(syn::parse_quote!(::marketplace_runtime::hooks::join_url(&[#(#parts),*])))
}

/// `HeaderMap::with_capacity(n)` as `HeaderMap::new()`, which allocates nothing
/// until a header is inserted.
fn header_map_unallocated(expr: &syn::Expr) -> Option<syn::Expr> {
    let syn::Expr::Call(call) = expr else {
        return None;
    };
    let syn::Expr::Path(path) = &*call.func else {
        return None;
    };
    let names: Vec<String> = path
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    names
        .ends_with(&["HeaderMap".to_owned(), "with_capacity".to_owned()])
        .then(|| syn::parse_quote!(::reqwest::header::HeaderMap::new()))
}

/// Makes a builder's public `send()` return `marketplace_runtime::Error`:
/// progenitor's `send` becomes the private `send_generated` and a public `send`
/// converts its `progenitor_client::Error<E>`. progenitor's error prints a rebuilt
/// `Response { url: "http://no.url.provided.local/", … }` through `?` into
/// `Box<dyn Error>`; the runtime's error is the marketplace's status, code and
/// message whatever a caller converts it into, and keeps the body (`body_as::<E>()`).
fn send_returns_the_runtime_error(imp: &mut syn::ItemImpl) {
    let Some(index) = imp.items.iter().position(|item| {
        matches!(item, syn::ImplItem::Fn(f) if f.sig.ident == "send" && f.sig.asyncness.is_some())
    }) else {
        return;
    };
    let syn::ImplItem::Fn(generated) = &mut imp.items[index] else {
        return;
    };
    let syn::ReturnType::Type(_, returns) = &generated.sig.output else {
        return;
    };
    // `Result<ResponseValue<T>, Error<E>>` → `ResponseValue<T>` and `E`.
    let syn::Type::Path(result) = &**returns else {
        return;
    };
    let Some(syn::PathArguments::AngleBracketed(args)) =
        result.path.segments.last().map(|s| &s.arguments)
    else {
        return;
    };
    let (Some(syn::GenericArgument::Type(success)), Some(syn::GenericArgument::Type(error))) =
        (args.args.first(), args.args.get(1))
    else {
        return;
    };
    let success = success.clone();
    let error_body = match error {
        syn::Type::Path(p) => match p.path.segments.last().map(|s| &s.arguments) {
            Some(syn::PathArguments::AngleBracketed(e)) => e.args.first().cloned(),
            _ => None,
        },
        _ => None,
    };
    let error_doc = error_body.map_or_else(String::new, |body| {
        let body = quote::ToTokens::to_token_stream(&body)
            .to_string()
            .replace(' ', "");
        format!(" The marketplace's error body is `err.body_as::<{body}>()`.")
    });
    // The docs move to the public method; any other attribute stays.
    let (docs, others): (Vec<syn::Attribute>, _) = std::mem::take(&mut generated.attrs)
        .into_iter()
        .partition(|a| a.path().is_ident("doc"));
    generated.attrs = others;
    generated.sig.ident = format_ident!("send_generated");
    generated.vis = syn::Visibility::Inherited;
    let note = format!(
        "\n\nAny 2xx answer is a success. Fails with [`marketplace_runtime::Error`]: \
         ask it with its predicates (`is_rate_limited`, `succeeded`, …).{error_doc}"
    );
    let public: syn::ImplItemFn = syn::parse_quote! {
        #(#docs)*
        #[doc = #note]
        pub async fn send(self) -> Result<#success, ::marketplace_runtime::Error> {
            self.send_generated().await.map_err(::marketplace_runtime::Error::from)
        }
    };
    imp.items.insert(index, syn::ImplItem::Fn(public));
}

/// In a `send()`'s `match response.status().as_u16()`, replaces the arms of the
/// documented 2xx statuses (`201u16 => …`) by one `200u16..=299u16` arm with the
/// same body. A marketplace that answers a write `200` instead of its documented
/// `201` has done the write: reporting "undocumented status" would make the caller
/// send it again. (progenitor already matches `200..=299` for bodiless successes.)
fn any_2xx_is_success(expr: &mut syn::ExprMatch) {
    let scrutinee = quote::ToTokens::to_token_stream(&expr.expr).to_string();
    if !scrutinee.ends_with("status () . as_u16 ()") {
        return;
    }
    let is_2xx = |pat: &syn::Pat| match pat {
        syn::Pat::Lit(syn::ExprLit {
            lit: syn::Lit::Int(int),
            ..
        }) => int
            .base10_parse::<u16>()
            .is_ok_and(|code| (200..300).contains(&code)),
        _ => false,
    };
    let Some(first) = expr.arms.iter().position(|arm| is_2xx(&arm.pat)) else {
        return;
    };
    let mut success = expr.arms[first].clone();
    success.pat = syn::parse_quote!(200u16..=299u16);
    // Every documented 2xx has the same body type (the `one-success-schema` rule),
    // so the first arm's decoding stands for all of them.
    expr.arms.retain(|arm| !is_2xx(&arm.pat));
    expr.arms.insert(first, success);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn edited(expr: syn::Expr) -> String {
        let mut expr = expr;
        syn::visit_mut::VisitMut::visit_expr_mut(&mut HouseEdits, &mut expr);
        quote::ToTokens::to_token_stream(&expr).to_string()
    }

    #[test]
    fn request_urls_are_joined_and_other_formats_left_alone() {
        assert_eq!(
            edited(syn::parse_quote!(format!(
                "{}/openapi/v1/chats/{}/messages",
                client.baseurl,
                encode_path(&chat_id.to_string()),
            ))),
            quote!(::marketplace_runtime::hooks::join_url(&[
                ::std::convert::AsRef::<str>::as_ref(&client.baseurl),
                "/openapi/v1/chats/",
                ::std::convert::AsRef::<str>::as_ref(&encode_path(&chat_id.to_string())),
                "/messages"
            ]))
            .to_string()
        );
        for untouched in [
            quote!(format!("error converting supplied value for id: {e}")),
            quote!(format!("{}/x/{:?}", client.baseurl, id)),
            quote!(format!("{}/x/{{y}}", client.baseurl)),
            quote!(format!("{}/x", other.baseurl)),
            quote!(format!("{}/x/{}", client.baseurl)),
        ] {
            let expr: syn::Expr = syn::parse2(untouched.clone()).unwrap();
            assert_eq!(edited(expr), untouched.to_string());
        }
    }

    #[test]
    fn the_header_map_starts_unallocated() {
        assert_eq!(
            edited(syn::parse_quote!(
                ::reqwest::header::HeaderMap::with_capacity(1usize)
            )),
            quote!(::reqwest::header::HeaderMap::new()).to_string()
        );
    }

    #[test]
    fn integer_query_ranges_become_bounds_exclusive_ones_made_inclusive() {
        let spec = Spec {
            name: "shop".into(),
            path: "specs/shop.yaml".into(),
            display_path: "specs/shop.yaml".into(),
            document: json!({"paths": {"/items": {"get": {
                "operationId": "list_items",
                "parameters": [
                    {"name": "limit", "in": "query", "schema": {
                        "type": "integer", "minimum": 0, "exclusiveMinimum": true, "maximum": 50}},
                    {"name": "offset", "in": "query", "schema": {
                        "type": "integer", "maximum": 1000, "exclusiveMaximum": true}},
                    {"name": "id", "in": "path", "schema": {"type": "integer", "minimum": 1}},
                    {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 9}}
                ]
            }}}}),
        };
        let bounds = query_bounds(&spec).to_string();
        let expected = quote! {
            match info.operation_id {
                "list_items" => &[
                    ::marketplace_runtime::hooks::QueryBound { name: "limit", min: Some(1i64), max: Some(50i64) },
                    ::marketplace_runtime::hooks::QueryBound { name: "offset", min: None, max: Some(999i64) }
                ],
                _ => &[],
            }
        };
        assert_eq!(bounds, expected.to_string());

        let unbounded = Spec {
            document: json!({"paths": {}}),
            ..spec
        };
        assert_eq!(
            query_bounds(&unbounded).to_string(),
            quote! { &[] }.to_string()
        );
    }

    #[test]
    fn the_header_says_cargo_regenerates_and_xtask_only_refreshes_snapshots() {
        let spec = Spec {
            name: "shop".into(),
            path: "specs/shop.yaml".into(),
            display_path: "specs/shop.yaml".into(),
            document: json!({}),
        };
        let text = header(&spec);
        assert!(text.starts_with("// Generated by marketplace-codegen from specs/shop.yaml"));
        assert!(
            text.contains("cargo regenerates this file on\n// every build"),
            "{text}"
        );
        assert!(
            text.contains("`cargo xtask generate` does not regenerate code"),
            "{text}"
        );
        assert!(text.contains("shop.api.snap"), "{text}");
        assert!(
            text.lines().all(|l| l.is_empty() || l.starts_with("// ")),
            "{text}"
        );
    }

    #[test]
    fn send_becomes_private_send_generated_behind_a_public_send_with_the_runtime_error() {
        let mut imp: syn::ItemImpl = syn::parse_quote! {
            impl<'a> GetMessage<'a> {
                pub fn id(self) -> Self { self }
                ///Sends a `GET` request to `/messages/{id}`
                pub async fn send(self) -> Result<ResponseValue<types::Message>, Error<types::ErrorResponse>> {
                    todo!()
                }
            }
        };
        send_returns_the_runtime_error(&mut imp);
        let note = "\n\nAny 2xx answer is a success. Fails with [`marketplace_runtime::Error`]: \
                    ask it with its predicates (`is_rate_limited`, `succeeded`, …). \
                    The marketplace's error body is `err.body_as::<types::ErrorResponse>()`.";
        let expected: syn::ItemImpl = syn::parse_quote! {
            impl<'a> GetMessage<'a> {
                pub fn id(self) -> Self { self }
                ///Sends a `GET` request to `/messages/{id}`
                #[doc = #note]
                pub async fn send(self) -> Result<ResponseValue<types::Message>, ::marketplace_runtime::Error> {
                    self.send_generated().await.map_err(::marketplace_runtime::Error::from)
                }
                async fn send_generated(self) -> Result<ResponseValue<types::Message>, Error<types::ErrorResponse>> {
                    todo!()
                }
            }
        };
        assert_eq!(
            prettyplease::unparse(&syn::parse_quote!(#imp)),
            prettyplease::unparse(&syn::parse_quote!(#expected))
        );
    }

    #[test]
    fn documented_2xx_arms_become_one_200_to_299_arm() {
        let mut status: syn::ExprMatch = syn::parse_quote! {
            match response.status().as_u16() {
                200u16 => decode(response).await,
                201u16 => decode(response).await,
                400u16..=499u16 => Err(error),
                _ => Err(Error::UnexpectedResponse(response)),
            }
        };
        any_2xx_is_success(&mut status);
        let expected: syn::ExprMatch = syn::parse_quote! {
            match response.status().as_u16() {
                200u16..=299u16 => decode(response).await,
                400u16..=499u16 => Err(error),
                _ => Err(Error::UnexpectedResponse(response)),
            }
        };
        assert_eq!(status, expected);

        // Other matches on numbers are left alone.
        let mut other: syn::ExprMatch = syn::parse_quote! { match n { 201u16 => a, _ => b } };
        let before = other.clone();
        any_2xx_is_success(&mut other);
        assert_eq!(other, before);
    }

    #[test]
    fn problem_json_is_read_as_json_inline_and_in_shared_responses() {
        let problem = json!({"description": "A problem.", "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}});
        let document = json!({
            "paths": {"/items": {"get": {"responses": {
                "4XX": problem,
                "5XX": {"$ref": "#/components/responses/Problem"}
            }}}},
            "components": {"responses": {"Problem": problem}}
        });
        let prepared = prepare_for_progenitor(&document);
        for at in [
            "/paths/~1items/get/responses/4XX/content",
            "/components/responses/Problem/content",
        ] {
            let content = prepared.pointer(at).and_then(Value::as_object).unwrap();
            assert_eq!(
                content.keys().collect::<Vec<_>>(),
                ["application/json"],
                "{at}"
            );
        }
        assert_eq!(
            prepared.pointer("/paths/~1items/get/responses/5XX"),
            document.pointer("/paths/~1items/get/responses/5XX"),
            "a $ref stays a $ref"
        );
    }
}
