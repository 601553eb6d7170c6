//! A readable rendering of what a generated client exposes.
//!
//! Stored as an insta snapshot beside the spec, so that a spec change in a pull
//! request also shows, as a plain diff, how the Rust API changed. It is read from
//! the generated code itself (not from the spec), so it shows what users get.

use std::collections::BTreeMap;
use std::fmt::Write;

use quote::ToTokens;

use crate::enums::{OTHER_VARIANT, TolerantEnum};
use crate::spec::{Spec, operations};

/// One builder method of an operation.
#[derive(Clone, Debug)]
pub struct Setter {
    /// Rust method name, e.g. `page_token`.
    pub name: String,
    /// The parameter type as tokens (paths as in the generated `builder` module).
    pub ty: syn::Type,
    /// Whether `send()` fails without it.
    pub required: bool,
}

/// One operation's builder, read from the generated code.
#[derive(Clone, Debug)]
pub struct Builder {
    /// Setters in declaration order.
    pub setters: Vec<Setter>,
    /// `send()`'s return type.
    pub returns: Option<syn::Type>,
    /// The spec's error schema: `E` of the generated `progenitor_client::Error<E>`,
    /// reachable as `marketplace_runtime::Error::body_as::<E>()`.
    pub error_body: Option<syn::Type>,
    /// The paging streams (`by_page`, `by_item`) with their types, if the spec
    /// describes the operation's paging (`x-pagination`).
    pub streams: Vec<(String, syn::Type)>,
}

/// Finds the builder of `operation_id` (progenitor names it in PascalCase).
pub fn builder(file: &syn::File, operation_id: &str) -> Option<Builder> {
    let module = module(&file.items, "builder")?;
    let wanted = normalize(operation_id);
    let mut fields: BTreeMap<String, bool> = BTreeMap::new();
    let mut found = false;
    for item in module {
        if let syn::Item::Struct(s) = item
            && normalize(&s.ident.to_string()) == wanted
        {
            found = true;
            for field in &s.fields {
                let name = field
                    .ident
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                // Required parameters are `Result<T, String>`, optional ones `Result<Option<T>, String>`.
                let optional = render_type(&field.ty).starts_with("Result<Option<");
                fields.insert(name, !optional);
            }
        }
    }
    if !found {
        return None;
    }
    let mut builder = Builder {
        setters: Vec::new(),
        returns: None,
        error_body: None,
        streams: Vec::new(),
    };
    for item in module {
        let syn::Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() || normalize(&type_ident(&imp.self_ty)) != wanted {
            continue;
        }
        for item in &imp.items {
            let syn::ImplItem::Fn(f) = item else { continue };
            let name = f.sig.ident.to_string();
            if name == "send" {
                if let syn::ReturnType::Type(_, ty) = &f.sig.output {
                    builder.returns = Some((**ty).clone());
                }
            } else if name == "send_generated" {
                if let syn::ReturnType::Type(_, ty) = &f.sig.output {
                    builder.error_body = generic_arg(ty, 1).and_then(|e| generic_arg(&e, 0));
                }
            } else if matches!(name.as_str(), "by_page" | "by_item") {
                if let syn::ReturnType::Type(_, ty) = &f.sig.output {
                    builder.streams.push((name, (**ty).clone()));
                }
            } else if let Some(ty) = try_into_target(&f.sig) {
                let required = fields.get(&name).copied().unwrap_or(false);
                builder.setters.push(Setter { name, ty, required });
            }
        }
    }
    Some(builder)
}

/// The `n`th type argument of the last segment of `ty` (`E` of `Error<E>`).
fn generic_arg(ty: &syn::Type, n: usize) -> Option<syn::Type> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let syn::PathArguments::AngleBracketed(args) = &path.path.segments.last()?.arguments else {
        return None;
    };
    args.args
        .iter()
        .filter_map(|arg| match arg {
            syn::GenericArgument::Type(ty) => Some(ty.clone()),
            _ => None,
        })
        .nth(n)
}

/// `T` in a setter's `where V: std::convert::TryInto<T>` bound.
fn try_into_target(sig: &syn::Signature) -> Option<syn::Type> {
    let clause = sig.generics.where_clause.as_ref()?;
    for predicate in &clause.predicates {
        let syn::WherePredicate::Type(p) = predicate else {
            continue;
        };
        for bound in &p.bounds {
            let syn::TypeParamBound::Trait(t) = bound else {
                continue;
            };
            let last = t.path.segments.last()?;
            if last.ident != "TryInto" {
                continue;
            }
            if let syn::PathArguments::AngleBracketed(args) = &last.arguments
                && let Some(syn::GenericArgument::Type(ty)) = args.args.first()
            {
                return Some(ty.clone());
            }
        }
    }
    None
}

/// The items of the generated module `name` (`types`, `builder`).
pub(crate) fn module<'a>(items: &'a [syn::Item], name: &str) -> Option<&'a [syn::Item]> {
    items.iter().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == name => {
            m.content.as_ref().map(|(_, items)| items.as_slice())
        }
        _ => None,
    })
}

/// The last path segment of a type: `Chat` of `types::Chat`.
pub(crate) fn type_ident(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(p) => p
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// Lower-case alphanumerics only: matches `get_message`, `GetMessage`, `getMessage`.
pub fn normalize(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// A type as a short, stable string: `Option<types::Message>`, not `:: std :: option :: Option < … >`.
pub fn render_type(ty: &syn::Type) -> String {
    let mut text = ty.to_token_stream().to_string();
    for (from, to) in [
        (" :: ", "::"),
        (":: ", "::"),
        (" ::", "::"),
        (" < ", "<"),
        ("< ", "<"),
        (" <", "<"),
        (" >", ">"),
        (" ,", ","),
        (",>", ">"),
        ("& '", "&'"),
        ("& ", "&"),
        // `send()`'s error, `, :: marketplace_runtime :: Error`.
        (",::marketplace_runtime::", ", marketplace_runtime::"),
        ("::marketplace_runtime::", "marketplace_runtime::"),
    ] {
        text = text.replace(from, to);
    }
    for prefix in [
        "::std::option::",
        "::std::string::",
        "::std::vec::",
        "::std::collections::",
        "::std::num::",
        "std::num::",
        "::chrono::offset::",
        "::chrono::naive::",
        "::chrono::",
        "::serde_json::",
        "::std::",
        "std::",
        "crate::generated::",
        "super::",
    ] {
        text = text.replace(prefix, "");
    }
    text
}

/// Renders the API surface of a generated client.
pub fn render(spec: &Spec, file: &syn::File, enums: &[TolerantEnum]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "API surface of the `{}` client, generated from {}.",
        spec.name, spec.display_path
    );
    let _ = writeln!(
        out,
        "Review a change here like a change to the public Rust API.\n"
    );

    for item in &file.items {
        if let syn::Item::Const(c) = item {
            if c.ident == "_" {
                continue;
            }
            let _ = writeln!(
                out,
                "const {}: {} = {}",
                c.ident,
                render_type(&c.ty),
                c.expr.to_token_stream()
            );
        }
    }

    constructors(file, &mut out);

    let _ = writeln!(out, "\n# Operations");
    for op in operations(&spec.document) {
        let id = op.id();
        let _ = writeln!(
            out,
            "\nclient.{id}()  // {} {}",
            op.method.to_uppercase(),
            op.path
        );
        if op.is_handwritten() {
            let _ = writeln!(
                out,
                "    hand-written (multipart body): see the crate's `handwritten` module"
            );
            continue;
        }
        let Some(builder) = builder(file, id) else {
            let _ = writeln!(out, "    MISSING from the generated code");
            continue;
        };
        for setter in &builder.setters {
            let need = if setter.required {
                "required"
            } else {
                "optional"
            };
            let _ = writeln!(
                out,
                "    .{}({})  {need}",
                setter.name,
                render_type(&setter.ty)
            );
        }
        if let Some(returns) = &builder.returns {
            let _ = write!(out, "    .send() -> {}", render_type(returns));
            if let Some(body) = &builder.error_body {
                let _ = write!(out, "  // error body: {}", render_type(body));
            }
            let _ = writeln!(out);
        }
        for (name, ty) in &builder.streams {
            let _ = writeln!(out, "    .{name}() -> {}", render_type(ty));
        }
    }

    let _ = writeln!(out, "\n# Types");
    let mut types: BTreeMap<String, String> = BTreeMap::new();
    for e in enums {
        let mut text = format!("enum {} (tolerant) {{\n", e.name);
        for (variant, wire) in &e.variants {
            let _ = writeln!(text, "    {variant} = {wire:?},");
        }
        let _ = writeln!(text, "    {OTHER_VARIANT}(String),\n}}");
        types.insert(e.name.clone(), text);
    }
    for item in module(&file.items, "types").unwrap_or_default() {
        match item {
            syn::Item::Struct(s) => {
                types.insert(s.ident.to_string(), render_struct(s));
            }
            syn::Item::Enum(e) => {
                let variants: Vec<String> = e
                    .variants
                    .iter()
                    .map(|v| {
                        let fields = match &v.fields {
                            syn::Fields::Unnamed(f) => format!(
                                "({})",
                                f.unnamed
                                    .iter()
                                    .map(|f| render_type(&f.ty))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                            syn::Fields::Named(_) => " { .. }".to_owned(),
                            syn::Fields::Unit => String::new(),
                        };
                        format!("    {}{fields},\n", v.ident)
                    })
                    .collect();
                types.insert(
                    e.ident.to_string(),
                    format!("enum {} {{\n{}}}\n", e.ident, variants.concat()),
                );
            }
            syn::Item::Type(t) => {
                types.insert(
                    t.ident.to_string(),
                    format!("type {} = {}\n", t.ident, render_type(&t.ty)),
                );
            }
            _ => {}
        }
    }
    for text in types.values() {
        let _ = write!(out, "\n{text}");
    }
    out
}

fn render_struct(s: &syn::ItemStruct) -> String {
    match &s.fields {
        syn::Fields::Named(fields) => {
            let mut text = format!("struct {} {{\n", s.ident);
            for field in &fields.named {
                let name = field
                    .ident
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                let wire = serde_rename(&field.attrs).filter(|wire| *wire != name);
                let wire = wire
                    .map(|w| format!("  // wire: {w:?}"))
                    .unwrap_or_default();
                let ty = render_type(&field.ty).replace("types::", "");
                let _ = writeln!(text, "    {name}: {ty},{wire}");
            }
            text + "}\n"
        }
        syn::Fields::Unnamed(fields) => format!(
            "struct {}({})\n",
            s.ident,
            fields
                .unnamed
                .iter()
                .map(|f| render_type(&f.ty))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        syn::Fields::Unit => format!("struct {}\n", s.ident),
    }
}

/// The wire name from `#[serde(rename = "...")]`.
fn serde_rename(attrs: &[syn::Attribute]) -> Option<String> {
    let mut found = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let value: syn::LitStr = meta.value()?.parse()?;
                found = Some(value.value());
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            } else if meta.input.peek(syn::token::Paren) {
                let _content;
                syn::parenthesized!(_content in meta.input);
            }
            Ok(())
        });
    }
    found
}

/// The constructors the house adds from `x-marketplace` (the generated
/// `marketplace` module's `impl Client`), one line each.
fn constructors(file: &syn::File, out: &mut String) {
    let Some(items) = module(&file.items, "marketplace") else {
        return;
    };
    let _ = writeln!(out, "\n# Constructors\n");
    for item in items {
        let syn::Item::Impl(imp) = item else { continue };
        for item in &imp.items {
            let syn::ImplItem::Fn(f) = item else { continue };
            let arguments: Vec<String> = f
                .sig
                .inputs
                .iter()
                .filter_map(|input| match input {
                    syn::FnArg::Typed(arg) => Some(format!(
                        "{}: {}",
                        arg.pat.to_token_stream(),
                        render_type(&arg.ty)
                    )),
                    syn::FnArg::Receiver(_) => None,
                })
                .collect();
            let _ = writeln!(
                out,
                "Client::{}({}) -> ClientBuilder<Client>",
                f.sig.ident,
                arguments.join(", ")
            );
        }
    }
}
