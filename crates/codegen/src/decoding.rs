//! House edits of how generated types deserialize (see `marketplace_runtime::decode`).
//!
//! The runtime decodes every body under an adapter that refuses an array where a
//! struct is expected, but serde's buffered shapes bypass any adapter: an untagged
//! enum tries its variants on a private buffer, a flattened field reads a private
//! buffer too. So the generator rewrites those shapes to decode through the
//! runtime, and refuses the ones it does not know how to make strict (a
//! `strict-decoding` finding at the schema). It also makes `null` in an optional
//! field decode like the field left out (empty, or the spec's `default`), which
//! only the generator can decide: the decoder cannot tell an optional field from a
//! required one, typify can (it gives only optional fields a serde default).

use quote::{ToTokens, format_ident, quote};
use syn::punctuated::Punctuated;
use syn::{Attribute, Fields, Item, Meta, Token};

use crate::spec::{Finding, Spec};

const NULL_AS_DEFAULT: &str = "::marketplace_runtime::decode::null_as_default";
const LENIENT_MAP: &str = "::marketplace_runtime::decode::lenient_map";

/// Applies the decoding edits to the generated `types` module; a shape that would
/// decode without the strict adapter is a finding at its schema.
pub(crate) fn edit(spec: &Spec, file: &mut syn::File) -> Result<(), Vec<Finding>> {
    let mut refused = Vec::new();
    for item in &mut file.items {
        if let Item::Mod(module) = item
            && module.ident == "types"
            && let Some((_, items)) = &mut module.content
        {
            refused.extend(edit_types(items));
        }
    }
    if refused.is_empty() {
        return Ok(());
    }
    Err(refused
        .into_iter()
        .map(|(name, why)| {
            spec.finding(
                format!("/components/schemas/{name}"),
                "strict-decoding",
                why,
            )
        })
        .collect())
}

/// [`edit`] on the items of the `types` module; returns `(type name, why)` for
/// each shape that would decode without the strict adapter.
fn edit_types(items: &mut Vec<Item>) -> Vec<(String, String)> {
    let mut refused = Vec::new();
    let mut impls = Vec::new();
    for item in items.iter_mut() {
        match item {
            Item::Struct(s) if derives_deserialize(&s.attrs) => {
                let mut helpers = Vec::new();
                for field in s.fields.iter_mut() {
                    match edit_field(&s.ident, field) {
                        Ok(helper) => helpers.extend(helper),
                        Err(why) => refused.push((s.ident.to_string(), why)),
                    }
                }
                if !helpers.is_empty() {
                    let name = &s.ident;
                    let tokens = quote! { impl #name { #(#helpers)* } };
                    impls.push(syn::parse2(tokens).expect("default helpers parse"));
                }
            }
            Item::Enum(e) if derives_deserialize(&e.attrs) => {
                let flags = serde_flags(&e.attrs);
                if flags.iter().any(|f| f == "tag" || f == "content") {
                    refused.push((
                        e.ident.to_string(),
                        "a tagged enum decodes from serde's buffer, which bypasses the \
                         strict decoder; write the schema as a `oneOf` of distinct shapes \
                         (decoded as an untagged enum)"
                            .into(),
                    ));
                } else if flags.iter().any(|f| f == "untagged") {
                    match untagged_impl(e) {
                        Ok(tokens) => {
                            drop_deserialize_derive(&mut e.attrs);
                            impls.push(syn::parse2(tokens).expect("untagged impl parses"));
                        }
                        Err(why) => refused.push((e.ident.to_string(), why)),
                    }
                }
            }
            _ => {}
        }
    }
    items.extend(impls);
    refused
}

/// `null_as_default` on every `#[serde(default)]` field (typify's optional
/// collections), `lenient_map` on a flattened catch-all map. A field with the
/// spec's own default (`#[serde(default = "defaults::…")]`) gets a helper, returned
/// for the struct's `impl`, that decodes `null` as that default.
fn edit_field(
    owner: &syn::Ident,
    field: &mut syn::Field,
) -> Result<Option<proc_macro2::TokenStream>, String> {
    let flags = serde_flags(&field.attrs);
    let has = |name: &str| flags.iter().any(|f| f == name);
    if has("deserialize_with") || has("with") {
        return Ok(None);
    }
    let mut helper = None;
    let with = if has("flatten") {
        match map_value_type(&field.ty) {
            // A JSON object of anything: nothing typed inside to be strict about.
            Some(value) if value == "::serde_json::Value" => return Ok(None),
            Some(_) => LENIENT_MAP.to_owned(),
            None => {
                return Err(format!(
                    "the flattened field `{}` is not a map: it would decode from serde's \
                     buffer, which bypasses the strict decoder",
                    field.ident.to_token_stream()
                ));
            }
        }
    } else if let Some(default) = default_fn(&field.attrs) {
        let ident = field
            .ident
            .as_ref()
            .expect("typify's structs have named fields");
        let name = format_ident!("__{}_null_as_default", ident);
        let ty = &field.ty;
        helper = Some(quote! {
            #[doc(hidden)]
            fn #name<'de, D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<#ty, D::Error> {
                ::marketplace_runtime::decode::null_or(deserializer, #default)
            }
        });
        format!("{owner}::{name}")
    } else if has("default") {
        NULL_AS_DEFAULT.to_owned()
    } else {
        return Ok(None);
    };
    let attr = field
        .attrs
        .iter_mut()
        .find(|a| a.path().is_ident("serde"))
        .expect("a serde attribute has flags");
    let mut metas = serde_metas(attr);
    metas.push(syn::parse_quote!(deserialize_with = #with));
    *attr = syn::parse_quote!(#[serde(#metas)]);
    Ok(helper)
}

/// With `JsonSchema` derived on the types ([`crate::Options::json_schema`]): makes
/// each edited field's schema exactly as tolerant as [`edit_field`] made its
/// decoding, so the harness's schema check holds the types to what they accept:
/// `null` where it decodes as the default (the schema of `Option<T>`), any value
/// among a flattened map's entries, where an unexpected one is skipped.
pub(crate) fn schemas_as_tolerant_as_decoding(items: &mut [Item]) {
    for item in items {
        let Item::Struct(s) = item else { continue };
        let owner = s.ident.to_string();
        for field in s.fields.iter_mut() {
            let with = serde_text(&field.attrs, "deserialize_with");
            let Some(with) = with else { continue };
            let ty = &field.ty;
            let schema = if with == LENIENT_MAP {
                quote! { ::serde_json::Map<::std::string::String, ::serde_json::Value> }
            } else if with == NULL_AS_DEFAULT
                || (with.starts_with(&format!("{owner}::__")) && with.ends_with("_null_as_default"))
            {
                quote! { ::std::option::Option<#ty> }
            } else {
                continue;
            };
            let schema = schema.to_string();
            field
                .attrs
                .push(syn::parse_quote!(#[schemars(with = #schema)]));
        }
    }
}

/// The function of `#[serde(default = "…")]`, if the field has one.
fn default_fn(attrs: &[Attribute]) -> Option<syn::ExprPath> {
    syn::parse_str(&serde_text(attrs, "default")?).ok()
}

/// The text of `#[serde(<key> = "…")]`, if an attribute has it.
fn serde_text(attrs: &[Attribute], key: &str) -> Option<String> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("serde"))
        .flat_map(serde_metas)
        .find_map(|meta| match meta {
            Meta::NameValue(nv) if nv.path.is_ident(key) => match nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(text),
                    ..
                }) => Some(text.value()),
                _ => None,
            },
            _ => None,
        })
}

/// The replacement of serde's derived `Deserialize` for an untagged enum of newtype
/// variants: the variants are tried in order through the runtime's strict decoder.
fn untagged_impl(e: &syn::ItemEnum) -> Result<proc_macro2::TokenStream, String> {
    let name = &e.ident;
    let mut variants = Vec::new();
    for variant in &e.variants {
        match &variant.fields {
            Fields::Unnamed(fields) if fields.unnamed.len() == 1 => {
                let v = &variant.ident;
                variants.push(quote! { .variant(Self::#v) });
            }
            _ => {
                return Err(format!(
                    "the untagged variant `{}` does not hold exactly one value",
                    variant.ident
                ));
            }
        }
    }
    let text = name.to_string();
    Ok(quote! {
        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                ::marketplace_runtime::decode::Untagged::read(deserializer, #text)?
                    #(#variants)*
                    .finish()
            }
        }
    })
}

/// The value type `V` of a field typed `HashMap<String, V>` or `Map<String, V>`.
fn map_value_type(ty: &syn::Type) -> Option<String> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != "HashMap" && last.ident != "Map" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.iter().collect::<Vec<_>>()[..] {
        [_, syn::GenericArgument::Type(value)] => {
            Some(value.to_token_stream().to_string().replace(' ', ""))
        }
        _ => None,
    }
}

fn derives_deserialize(attrs: &[Attribute]) -> bool {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("derive"))
        .any(|a| a.to_token_stream().to_string().contains("Deserialize"))
}

fn drop_deserialize_derive(attrs: &mut [Attribute]) {
    for attr in attrs.iter_mut().filter(|a| a.path().is_ident("derive")) {
        let derives: Punctuated<syn::Path, Token![,]> = attr
            .parse_args_with(Punctuated::parse_terminated)
            .expect("derive lists parse");
        let kept = derives
            .into_iter()
            .filter(|p| p.segments.last().is_none_or(|s| s.ident != "Deserialize"));
        *attr = syn::parse_quote!(#[derive(#(#kept),*)]);
    }
}

/// The items of every `#[serde(...)]` attribute.
fn serde_metas(attr: &Attribute) -> Punctuated<Meta, Token![,]> {
    attr.parse_args_with(Punctuated::parse_terminated)
        .expect("serde attributes parse")
}

/// The names in `#[serde(...)]` attributes: `default`, `flatten`, `rename`, …
fn serde_flags(attrs: &[Attribute]) -> Vec<String> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("serde"))
        .flat_map(serde_metas)
        .filter_map(|meta| meta.path().get_ident().map(ToString::to_string))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types(tokens: proc_macro2::TokenStream) -> (String, Vec<(String, String)>) {
        let mut file: syn::File = syn::parse2(tokens).unwrap();
        let refused = edit_types(&mut file.items);
        (prettyplease::unparse(&file), refused)
    }

    #[test]
    fn tagged_enums_and_flattened_structs_are_refused() {
        let (_, refused) = types(quote! {
            #[derive(::serde::Deserialize)]
            #[serde(tag = "kind")]
            pub enum Event { A(A), B(B) }
            #[derive(::serde::Deserialize)]
            pub struct Outer {
                #[serde(flatten)]
                pub inner: Inner,
            }
            #[derive(::serde::Deserialize)]
            #[serde(untagged)]
            pub enum Loose { Unit, One(A) }
        });
        let names: Vec<&str> = refused.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["Event", "Outer", "Loose"], "{refused:?}");
    }

    #[test]
    fn only_defaulted_and_flattened_fields_of_deserialized_structs_are_edited() {
        let (text, refused) = types(quote! {
            #[derive(::serde::Deserialize)]
            pub struct Texts {
                #[serde(default, skip_serializing_if = "::std::vec::Vec::is_empty")]
                pub tags: ::std::vec::Vec<::std::string::String>,
                pub required: ::std::vec::Vec<::std::string::String>,
                #[serde(flatten)]
                pub extra: ::std::collections::HashMap<::std::string::String, ::std::string::String>,
                #[serde(flatten)]
                pub anything: ::serde_json::Map<::std::string::String, ::serde_json::Value>,
            }
            #[derive(::serde::Serialize)]
            pub struct Request {
                #[serde(default)]
                pub tags: ::std::vec::Vec<::std::string::String>,
            }
        });
        assert!(refused.is_empty(), "{refused:?}");
        let expected = [
            r#"#[serde(
        default,
        skip_serializing_if = "::std::vec::Vec::is_empty",
        deserialize_with = "::marketplace_runtime::decode::null_as_default"
    )]"#,
            r#"#[serde(flatten, deserialize_with = "::marketplace_runtime::decode::lenient_map")]"#,
            "#[serde(flatten)]\n    pub anything",
            "#[serde(default)]\n    pub tags",
        ];
        for expected in expected {
            assert!(text.contains(expected), "{expected}\n---\n{text}");
        }
        assert_eq!(text.matches("deserialize_with").count(), 2, "{text}");
    }
}
