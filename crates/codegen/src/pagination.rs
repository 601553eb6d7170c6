//! `x-pagination`: how a list operation pages, written in the spec, checked by the
//! `pagination` house rule and turned into `by_page()` / `by_item()` on the
//! operation's builder.
//!
//! ```yaml
//! x-pagination:
//!   style: offset          # offset | page-token | cursor-url
//!   items: /messages       # JSON pointer into the success body: the page's items (an array)
//!   total: /total_count    # optional: the number of items in the whole list (an integer)
//!   next: /next_page       # page-token, cursor-url: the next page's token or URL (a string)
//!   page-size: limit       # query parameter: items per page (optional for the token styles)
//!   offset: offset         # offset: query parameter, items to skip
//!   token: cursor          # page-token: query parameter taking the token;
//!                          # cursor-url: the query parameter of the next URL sent back
//! ```
//!
//! The generated streams call the runtime's one pager
//! (`marketplace_runtime::pagination::Pages`), which owns the stop rules; the
//! generated code only sets the position on a clone of the builder (keeping every
//! filter the caller set) and reads the pointers out of the answer.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use crate::names::{Case, rust_name};
use crate::spec::{Finding, Spec};
use crate::spec::{Operation, operations, resolve, schema_ref_name};
use crate::surface;

/// The operation extension.
pub const EXTENSION: &str = "x-pagination";

/// How the next page is found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// `offset` and `page-size` query parameters.
    Offset,
    /// A token in the answer (`next`), sent back as query parameter `token`.
    PageToken,
    /// A URL in the answer (`next`) whose query parameter `token` is sent back.
    CursorUrl,
}

/// One operation's `x-pagination`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pagination {
    /// How the next page is found.
    pub style: Style,
    /// Pointer to the page's items.
    pub items: String,
    /// Pointer to the next page's token or URL.
    pub next: Option<String>,
    /// Pointer to the list's total.
    pub total: Option<String>,
    /// Query parameter: items per page.
    pub page_size: Option<String>,
    /// Query parameter: items to skip.
    pub offset: Option<String>,
    /// Query parameter: the token or cursor.
    pub token: Option<String>,
}

const KEYS: &[&str] = &[
    "style",
    "items",
    "next",
    "total",
    "page-size",
    "offset",
    "token",
];

impl Pagination {
    /// Reads an `x-pagination` value; every problem is one message.
    pub fn parse(value: &Value) -> Result<Pagination, Vec<String>> {
        let Some(object) = value.as_object() else {
            return Err(vec![format!("`{EXTENSION}` is an object; found {value}")]);
        };
        let mut problems: Vec<String> = object
            .keys()
            .filter(|k| !KEYS.contains(&k.as_str()))
            .map(|k| format!("unknown key `{k}` (known: {})", KEYS.join(", ")))
            .collect();
        let text = |key: &str, problems: &mut Vec<String>| match object.get(key) {
            None => None,
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(other) => {
                problems.push(format!("`{key}` is a non-empty string; found {other}"));
                None
            }
        };
        let style = match text("style", &mut problems).as_deref() {
            Some("offset") => Some(Style::Offset),
            Some("page-token") => Some(Style::PageToken),
            Some("cursor-url") => Some(Style::CursorUrl),
            other => {
                problems.push(format!(
                    "`style` is `offset`, `page-token` or `cursor-url`; found {other:?}"
                ));
                None
            }
        };
        let parsed = Pagination {
            style: style.unwrap_or(Style::Offset),
            items: text("items", &mut problems).unwrap_or_default(),
            next: text("next", &mut problems),
            total: text("total", &mut problems),
            page_size: text("page-size", &mut problems),
            offset: text("offset", &mut problems),
            token: text("token", &mut problems),
        };
        if let Some(style) = style {
            let (required, unused): (&[&str], &[&str]) = match style {
                Style::Offset => (&["items", "offset", "page-size"], &["next", "token"]),
                Style::PageToken | Style::CursorUrl => (&["items", "next", "token"], &["offset"]),
            };
            for key in required {
                if !object.contains_key(*key) {
                    problems.push(format!("style `{}` needs `{key}`", style.name()));
                }
            }
            for key in unused {
                if object.contains_key(*key) {
                    problems.push(format!("style `{}` has no `{key}`", style.name()));
                }
            }
        }
        for pointer in [
            Some(&parsed.items),
            parsed.next.as_ref(),
            parsed.total.as_ref(),
        ]
        .into_iter()
        .flatten()
        {
            if !pointer.starts_with('/') {
                problems.push(format!(
                    "`{pointer}` is not a JSON pointer into the answer (`/a/b`)"
                ));
            }
        }
        if problems.is_empty() {
            Ok(parsed)
        } else {
            Err(problems)
        }
    }
}

impl Style {
    fn name(self) -> &'static str {
        match self {
            Style::Offset => "offset",
            Style::PageToken => "page-token",
            Style::CursorUrl => "cursor-url",
        }
    }
}

/// The `pagination` house rule: the extension is well formed, on a request that
/// can be repeated, its parameters exist with the right types, and its pointers
/// resolve in the success schema to an array (`items`), a string (`next`) and an
/// integer (`total`).
pub fn lint(spec: &Spec) -> Vec<Finding> {
    let doc = &spec.document;
    let mut findings = Vec::new();
    for op in operations(doc) {
        let Some(value) = op.value.get(EXTENSION) else {
            continue;
        };
        let at = format!("{}/{EXTENSION}", op.pointer);
        let mut problem =
            |message: String| findings.push(spec.finding(at.clone(), "pagination", message));
        let pagination = match Pagination::parse(value) {
            Ok(p) => p,
            Err(problems) => {
                problems.into_iter().for_each(problem);
                continue;
            }
        };
        if !(op.method == "get" || op.is_declared_idempotent()) {
            problem(format!(
                "a pager repeats the request: page a GET, or a POST declared `x-idempotent: true`; this is a {}",
                op.method.to_uppercase()
            ));
        }
        for (key, name, ty) in [
            ("page-size", &pagination.page_size, "integer"),
            ("offset", &pagination.offset, "integer"),
            ("token", &pagination.token, "string"),
        ] {
            let Some(name) = name else { continue };
            let found = op
                .parameters(doc)
                .into_iter()
                .find(|(p, _)| p["name"] == name.as_str() && p["in"] == "query");
            match found {
                None => problem(format!(
                    "`{key}`: the operation has no query parameter `{name}`"
                )),
                Some((p, _)) if p["schema"]["type"] != ty => problem(format!(
                    "`{key}`: query parameter `{name}` is not of type {ty}"
                )),
                Some(_) => {}
            }
        }
        let Some(success) = success_schema(doc, &op) else {
            problem("the operation has no JSON success schema to page through".into());
            continue;
        };
        for (key, pointer, ty) in [
            ("items", Some(&pagination.items), "array"),
            ("next", pagination.next.as_ref(), "string"),
            ("total", pagination.total.as_ref(), "integer"),
        ] {
            let Some(pointer) = pointer else { continue };
            match walk(doc, success, pointer) {
                Err(message) => problem(format!("`{key}`: {message}")),
                Ok(schema) if schema["type"] != ty => problem(format!(
                    "`{key}`: `{pointer}` is not of type {ty} in the success schema"
                )),
                Ok(_) => {}
            }
        }
    }
    findings
}

/// The schema of the operation's 2xx answers (one, by `one-success-schema`).
fn success_schema<'a>(doc: &'a Value, op: &Operation<'a>) -> Option<&'a Value> {
    let (_, response) = op.value["responses"]
        .as_object()?
        .iter()
        .find(|(code, _)| code.starts_with('2'))?;
    let content = resolve(doc, response)["content"].as_object()?;
    content.values().next().map(|media| &media["schema"])
}

/// A `$ref` into `components/schemas` followed (repeatedly).
fn deref<'a>(doc: &'a Value, mut schema: &'a Value) -> &'a Value {
    for _ in 0..16 {
        match schema_ref_name(schema) {
            Some(name) => schema = &doc["components"]["schemas"][name],
            None => break,
        }
    }
    schema
}

/// The schema `pointer` names inside `schema`, through object properties.
fn walk<'a>(doc: &'a Value, schema: &'a Value, pointer: &str) -> Result<&'a Value, String> {
    let mut schema = deref(doc, schema);
    for token in tokens(pointer) {
        schema = schema["properties"]
            .get(&token)
            .map(|s| deref(doc, s))
            .ok_or_else(|| {
                format!(
                    "`{pointer}` does not resolve in the success schema (no property `{token}`)"
                )
            })?;
    }
    Ok(schema)
}

/// A JSON pointer's reference tokens, unescaped (RFC 6901).
fn tokens(pointer: &str) -> impl Iterator<Item = String> + '_ {
    pointer
        .split('/')
        .skip(1)
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
}

/// Adds `by_page()` and `by_item()` to the builder of every operation with
/// `x-pagination` (the spec passed the `pagination` rule).
pub(crate) fn add_streams(spec: &Spec, file: &mut syn::File) -> Result<(), Vec<Finding>> {
    let mut impls = Vec::new();
    for op in operations(&spec.document) {
        let Some(value) = op.value.get(EXTENSION) else {
            continue;
        };
        let at = format!("{}/{EXTENSION}", op.pointer);
        let fail = |message: String| vec![spec.finding(at.clone(), "pagination", message)];
        let pagination = Pagination::parse(value).map_err(|p| fail(p.join("; ")))?;
        impls.push(streams(file, op.id(), &pagination).map_err(fail)?);
    }
    if impls.is_empty() {
        return Ok(());
    }
    let builder = file.items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == "builder" => m.content.as_mut(),
        _ => None,
    });
    let Some((_, items)) = builder else {
        return Err(vec![spec.finding(
            "",
            "pagination",
            "the generated code has no `builder` module",
        )]);
    };
    for tokens in impls {
        items.push(syn::parse2(tokens).expect("paging streams parse"));
    }
    Ok(())
}

/// The `impl` block with the two streams of operation `id`.
fn streams(file: &syn::File, id: &str, pagination: &Pagination) -> Result<TokenStream, String> {
    let builder = builder_ident(file, id).ok_or("no generated builder")?;
    let answer = surface::builder(file, id)
        .and_then(|b| b.returns)
        .and_then(|returns| innermost(&returns))
        .ok_or("no `send()` returning `ResponseValue<T>`")?;
    let types = types_module(file);

    let (items, item_type) = read(types, &answer, &pagination.items, Read::Items)?;
    let item_type = item_type.ok_or("`items` is not a list")?;
    let item_type = in_builder_module(types, item_type);
    let total = match &pagination.total {
        Some(p) => read(types, &answer, p, Read::Total)?.0,
        None => quote! { None },
    };
    let next = match &pagination.next {
        Some(p) => read(types, &answer, p, Read::Next)?.0,
        None => quote! { None },
    };
    let setter = |name: &Option<String>| {
        name.as_deref()
            .map(|n| format_ident!("{}", rust_name(n, Case::Snake)))
    };
    let requested = match setter(&pagination.page_size) {
        Some(field) => quote! { ::marketplace_runtime::pagination::requested(&self.#field) },
        None => quote! { None },
    };
    let (style, position, start) = match pagination.style {
        Style::Offset => {
            let offset = setter(&pagination.offset).ok_or("no `offset`")?;
            (
                quote! { Offset },
                quote! { ::marketplace_runtime::pagination::At::Offset(offset) => self.clone().#offset(offset), },
                // A caller's own offset is where the list starts.
                quote! { ::marketplace_runtime::pagination::requested(&self.#offset) },
            )
        }
        Style::PageToken | Style::CursorUrl => {
            let token = setter(&pagination.token).ok_or("no `token`")?;
            let style = match pagination.style {
                Style::CursorUrl => {
                    let name = pagination.token.as_deref().unwrap_or_default();
                    quote! { CursorUrl(#name) }
                }
                _ => quote! { PageToken },
            };
            (
                style,
                quote! { ::marketplace_runtime::pagination::At::Token(token) => self.clone().#token(token), },
                quote! { None },
            )
        }
    };
    let page_doc = format!(
        "Every page of [`Client::{id}`](super::Client::{id}), with this builder's filters, as a \
         stream fetched lazily ({} paging): each page has its items and what the marketplace \
         said about the list (`total()`, `next_token()`). `Unpin`; fails with \
         [`marketplace_runtime::Error`]. When it ends, and what a list that changes meanwhile \
         may skip: [`marketplace_runtime::pagination`].",
        pagination.style.name()
    );
    let item_doc = format!(
        "Every item of every page of [`Client::{id}`](super::Client::{id}), with this builder's \
         filters: [`by_page`](Self::by_page) one item at a time."
    );
    Ok(quote! {
        impl<'a> #builder<'a> {
            #[doc = #page_doc]
            pub fn by_page(self) -> ::marketplace_runtime::pagination::Pages<'a, #item_type> {
                let requested = #requested;
                let start = #start;
                ::marketplace_runtime::pagination::Pages::new(
                    ::marketplace_runtime::pagination::Style::#style,
                    requested,
                    move |at| {
                        let request = match at {
                            #position
                            _ => self.clone(),
                        };
                        Box::pin(async move {
                            let page = request.send().await?.into_inner();
                            // Borrowed reads first, then the items are moved out.
                            Ok(::marketplace_runtime::pagination::Fetched {
                                total: #total,
                                next: #next,
                                items: #items,
                            })
                        })
                    },
                )
                .from_offset(start)
            }

            #[doc = #item_doc]
            pub fn by_item(self) -> ::marketplace_runtime::pagination::Items<'a, #item_type> {
                self.by_page().items()
            }
        }
    })
}

/// What is read at a pointer.
#[derive(Clone, Copy, PartialEq)]
enum Read {
    /// The items, moved out of the answer (an absent list is empty).
    Items,
    /// The total, as a count.
    Total,
    /// The next token or URL, as text.
    Next,
}

/// The expression reading `pointer` out of `page` (of type `answer`), through
/// the generated structs (an `Option` field is stepped through with `and_then`),
/// and for `items` the element type.
fn read(
    types: &[syn::Item],
    answer: &str,
    pointer: &str,
    read: Read,
) -> Result<(TokenStream, Option<syn::Type>), String> {
    let mut expr = match read {
        Read::Items => quote! { Some(page) },
        _ => quote! { Some(&page) },
    };
    let mut ty = answer.to_owned();
    let mut last: Option<syn::Type> = None;
    for token in tokens(pointer) {
        let (field, field_ty) = field(types, &ty, &token).ok_or_else(|| {
            format!("`{pointer}`: the generated `{ty}` has no field for `{token}`")
        })?;
        let (optional, inner) = match generic(&field_ty, "Option") {
            Some(inner) => (true, inner),
            None => (false, field_ty),
        };
        expr = match (read, optional) {
            (Read::Items, true) => quote! { #expr.and_then(|v| v.#field) },
            (Read::Items, false) => quote! { #expr.map(|v| v.#field) },
            (_, true) => quote! { #expr.and_then(|v| v.#field.as_ref()) },
            (_, false) => quote! { #expr.map(|v| &v.#field) },
        };
        ty = surface::type_ident(&inner);
        last = Some(inner);
    }
    let expr = match read {
        Read::Items => quote! { #expr.unwrap_or_default() },
        Read::Total => {
            quote! { #expr.and_then(|v| ::marketplace_runtime::pagination::Count::count(*v)) }
        }
        Read::Next => quote! { #expr.map(::std::string::ToString::to_string) },
    };
    let element = last.as_ref().and_then(|t| generic(t, "Vec"));
    Ok((expr, element))
}

/// The field of struct `ty` that (de)serializes as `name`, with its type.
fn field(types: &[syn::Item], ty: &str, name: &str) -> Option<(syn::Ident, syn::Type)> {
    let fields = types.iter().find_map(|item| match item {
        syn::Item::Struct(s) if s.ident == ty => Some(&s.fields),
        _ => None,
    })?;
    fields.iter().find_map(|f| {
        let ident = f.ident.clone()?;
        let wire = serde_rename(f)
            .unwrap_or_else(|| ident.to_string().trim_start_matches("r#").to_owned());
        (wire == name).then(|| (ident, f.ty.clone()))
    })
}

/// `rename = "…"` of a field's `#[serde(…)]`.
fn serde_rename(field: &syn::Field) -> Option<String> {
    field
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("serde"))
        .find_map(|a| {
            let text = quote::ToTokens::to_token_stream(&a.meta).to_string();
            let start = text.find("rename = \"")? + "rename = \"".len();
            let rest = &text[start..];
            Some(rest[..rest.find('"')?].to_owned())
        })
}

/// `T` of a `…::Option<T>` / `…::Vec<T>`.
fn generic(ty: &syn::Type, wrapper: &str) -> Option<syn::Type> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != wrapper {
        return None;
    }
    match &last.arguments {
        syn::PathArguments::AngleBracketed(args) => args.args.iter().find_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(t.clone()),
            _ => None,
        }),
        _ => None,
    }
}

/// `T` of `Result<ResponseValue<types::T>, _>`, as the type's name.
fn innermost(returns: &syn::Type) -> Option<String> {
    let value = generic(returns, "Result")?;
    let answer = generic(&value, "ResponseValue")?;
    Some(surface::type_ident(&answer))
}

/// A type of the `types` module as the `builder` module names it (`types::Chat`).
fn in_builder_module(types: &[syn::Item], ty: syn::Type) -> syn::Type {
    let name = surface::type_ident(&ty);
    let is_generated = matches!(&ty, syn::Type::Path(p) if p.path.segments.len() == 1)
        && types.iter().any(|item| match item {
            syn::Item::Struct(s) => s.ident == name,
            syn::Item::Enum(e) => e.ident == name,
            syn::Item::Type(t) => t.ident == name,
            _ => false,
        });
    if is_generated {
        let ident = format_ident!("{}", name);
        syn::parse_quote!(types::#ident)
    } else {
        ty
    }
}

fn types_module(file: &syn::File) -> &[syn::Item] {
    surface::module(&file.items, "types").unwrap_or_default()
}

fn builder_ident(file: &syn::File, id: &str) -> Option<syn::Ident> {
    let wanted = surface::normalize(id);
    surface::module(&file.items, "builder")?
        .iter()
        .find_map(|item| match item {
            syn::Item::Struct(s) if surface::normalize(&s.ident.to_string()) == wanted => {
                Some(s.ident.clone())
            }
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types() -> syn::File {
        syn::parse_quote! {
            pub mod types {
                pub struct Answer {
                    pub result: ::std::option::Option<Result>,
                }
                pub struct Result {
                    pub chats: ::std::vec::Vec<Chat>,
                    #[serde(rename = "nextPageToken", skip_serializing_if = "::std::option::Option::is_none")]
                    pub next_page_token: ::std::option::Option<::std::string::String>,
                    pub total: i64,
                }
                pub struct Chat {}
            }
        }
    }

    #[test]
    fn pointers_become_reads_through_the_generated_structs() {
        let file = types();
        let types = types_module(&file);
        let (items, element) = read(types, "Answer", "/result/chats", Read::Items).unwrap();
        assert_eq!(
            items.to_string(),
            quote! { Some(page).and_then(|v| v.result).map(|v| v.chats).unwrap_or_default() }
                .to_string()
        );
        let element = in_builder_module(types, element.unwrap());
        assert_eq!(
            quote!(#element).to_string(),
            quote!(types::Chat).to_string()
        );

        let (next, _) = read(types, "Answer", "/result/nextPageToken", Read::Next).unwrap();
        assert_eq!(
            next.to_string(),
            quote! {
                Some(&page)
                    .and_then(|v| v.result.as_ref())
                    .and_then(|v| v.next_page_token.as_ref())
                    .map(::std::string::ToString::to_string)
            }
            .to_string()
        );
        let (total, _) = read(types, "Answer", "/result/total", Read::Total).unwrap();
        assert!(
            total.to_string().ends_with(
                &quote! { .map(|v| &v.total).and_then(|v| ::marketplace_runtime::pagination::Count::count(*v)) }
                    .to_string()
            ),
            "{total}"
        );

        let missing = read(types, "Answer", "/result/cursor", Read::Next).unwrap_err();
        assert!(missing.contains("no field for `cursor`"), "{missing}");
    }

    #[test]
    fn the_extension_is_parsed_with_every_problem_named() {
        let parsed = Pagination::parse(&serde_json::json!({
            "style": "cursor-url", "items": "/sacs", "next": "/next_page", "token": "cursor"
        }))
        .unwrap();
        assert_eq!(parsed.style, Style::CursorUrl);
        assert_eq!(parsed.token.as_deref(), Some("cursor"));

        let problems = Pagination::parse(&serde_json::json!({"style": "offset", "items": "sacs"}))
            .unwrap_err();
        assert_eq!(
            problems,
            [
                "style `offset` needs `offset`",
                "style `offset` needs `page-size`",
                "`sacs` is not a JSON pointer into the answer (`/a/b`)",
            ]
        );
    }
}
