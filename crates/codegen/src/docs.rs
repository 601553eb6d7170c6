//! The documentation a user reads on docs.rs, added to progenitor's output: each
//! operation keeps the spec's summary and description, and gets a compiled
//! (`no_run`) example in place of progenitor's `ignore` placeholder; each builder
//! setter gets its parameter's description from the spec.
//!
//! The examples are doc tests of the client crate (`cargo test --doc`), so a spec
//! change that breaks one fails there, not on a reader's screen.

use quote::ToTokens;
use serde_json::Value;

use crate::names::outside;
use crate::spec::{Operation, Spec, operations, resolve};
use crate::surface::{Builder, builder, normalize, render_type, type_ident};

/// Adds the examples and setter docs for every generated operation of `spec`.
pub(crate) fn add(spec: &Spec, file: &mut syn::File) {
    let krate = format!("marketplace_{}", spec.name.replace('-', "_"));
    for op in operations(&spec.document) {
        if op.is_handwritten() {
            continue;
        }
        let Some(b) = builder(file, op.id()) else {
            continue;
        };
        let example = example(&krate, op.id(), &b);
        let setter_docs = setter_docs(spec, &op);
        for item in &mut file.items {
            match item {
                syn::Item::Impl(imp)
                    if imp.trait_.is_none() && type_ident(&imp.self_ty) == "Client" =>
                {
                    replace_placeholder(imp, op.id(), &example);
                }
                syn::Item::Mod(module) if module.ident == "builder" => {
                    let items = module.content.iter_mut().flat_map(|(_, items)| items);
                    for item in items {
                        if let syn::Item::Impl(imp) = item
                            && imp.trait_.is_none()
                            && normalize(&type_ident(&imp.self_ty)) == normalize(op.id())
                        {
                            document_setters(imp, op.id(), &setter_docs);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// The example for operation `id`: every setter called with an argument of its
/// type (the hidden function's parameters), then `send()`.
fn example(krate: &str, id: &str, b: &Builder) -> String {
    let setters: Vec<_> = b.setters.iter().filter(|s| s.name != "body_map").collect();
    let parameters: Vec<String> = setters
        .iter()
        .map(|s| format!("{}: {}", s.name, outside(&s.ty).to_token_stream()))
        .collect();
    let calls: String = setters
        .iter()
        .map(|s| format!("    .{0}({0})\n", s.name))
        .collect();
    let returns_nothing = b
        .returns
        .as_ref()
        .is_some_and(|ty| render_type(ty).contains("ResponseValue<()>"));
    let binding = if returns_nothing { "" } else { "let answer = " };
    let using = if returns_nothing {
        String::new()
    } else {
        "// `answer` derefs to the decoded body; `answer.status()` and `answer.headers()` \
         are the response's.\n"
            .to_owned()
    };
    let parameters = std::iter::once(format!("client: &{krate}::Client"))
        .chain(parameters)
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "```no_run\n\
         # #[allow(unused_imports)] use {krate}::types;\n\
         # async fn example({parameters}) -> Result<(), marketplace_runtime::Error> {{\n\
         {binding}client\n    .{id}()\n{calls}    .send()\n    .await?;\n\
         {using}\
         # Ok(())\n\
         # }}\n\
         ```"
    )
}

/// Replaces progenitor's `ignore` example of `client.<id>()` by `example`.
fn replace_placeholder(imp: &mut syn::ItemImpl, id: &str, example: &str) {
    for item in &mut imp.items {
        let syn::ImplItem::Fn(f) = item else { continue };
        if f.sig.ident != id {
            continue;
        }
        for attr in &mut f.attrs {
            let Some(text) = doc_text(attr) else { continue };
            if let Some(at) = text.find("```ignore") {
                let text = format!("{}{example}", &text[..at]);
                *attr = syn::parse_quote!(#[doc = #text]);
            }
        }
    }
}

/// Docs for the setters of operation `op`: `(setter, doc)`.
fn setter_docs(spec: &Spec, op: &Operation<'_>) -> Vec<(String, String)> {
    let doc = &spec.document;
    let mut docs = Vec::new();
    for (parameter, _) in op.parameters(doc) {
        let name = parameter["name"].as_str().unwrap_or_default();
        let description = parameter["description"].as_str().unwrap_or_default().trim();
        let place = match parameter["in"].as_str() {
            Some("path") => "path",
            Some("header") => "header",
            _ => "query",
        };
        let required = if parameter["required"] == Value::Bool(true) {
            " Required: `send()` fails without it."
        } else {
            ""
        };
        docs.push((
            name.to_owned(),
            format!("{description}\n\nThe {place} parameter `{name}`.{required}"),
        ));
    }
    let body = resolve(doc, &op.value["requestBody"]);
    if body.is_object() {
        let description = body["description"]
            .as_str()
            .map(|d| format!("{}\n\n", d.trim()))
            .unwrap_or_default();
        docs.push((
            "body".to_owned(),
            format!("{description}The request body. Required: `send()` fails without it."),
        ));
        docs.push((
            "body_map".to_owned(),
            "Builds the request body step by step: `f` gets its builder (`types::builder::…`), \
             starting from the body set so far."
                .to_owned(),
        ));
    }
    docs
}

/// Puts each setter's doc on it, and says what `new` is for.
fn document_setters(imp: &mut syn::ItemImpl, id: &str, docs: &[(String, String)]) {
    for item in &mut imp.items {
        let syn::ImplItem::Fn(f) = item else { continue };
        let name = f.sig.ident.to_string();
        let doc = if name == "new" {
            format!("A builder for `client.{id}()`, which is the usual way to get one.")
        } else if let Some((_, doc)) = docs.iter().find(|(p, _)| normalize(p) == normalize(&name)) {
            doc.clone()
        } else {
            continue;
        };
        if f.attrs.iter().any(|a| doc_text(a).is_some()) {
            continue;
        }
        f.attrs.insert(0, syn::parse_quote!(#[doc = #doc]));
    }
}

fn doc_text(attr: &syn::Attribute) -> Option<String> {
    let syn::Meta::NameValue(nv) = &attr.meta else {
        return None;
    };
    if !nv.path.is_ident("doc") {
        return None;
    }
    match &nv.value {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(text),
            ..
        }) => Some(text.value()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::surface::Setter;

    fn builder_of(setters: &[(&str, syn::Type)], returns: syn::Type) -> Builder {
        Builder {
            setters: setters
                .iter()
                .map(|(name, ty)| Setter {
                    name: (*name).to_owned(),
                    ty: ty.clone(),
                    required: true,
                })
                .collect(),
            returns: Some(returns),
            error_body: None,
            streams: Vec::new(),
        }
    }

    #[test]
    fn the_example_calls_every_setter_with_an_argument_of_its_type() {
        let b = builder_of(
            &[
                ("id", syn::parse_quote!(i64)),
                ("state", syn::parse_quote!(crate::generated::types::State)),
                ("body", syn::parse_quote!(types::ItemCreate)),
                ("body_map", syn::parse_quote!(types::builder::ItemCreate)),
            ],
            syn::parse_quote!(Result<ResponseValue<types::Item>, ::marketplace_runtime::Error>),
        );
        let update = example("marketplace_shop", "update_item", &b);
        let expected = "```no_run\n\
            # #[allow(unused_imports)] use marketplace_shop::types;\n\
            # async fn example(client: &marketplace_shop::Client, id: i64, state: types :: State, \
            body: types :: ItemCreate) -> Result<(), marketplace_runtime::Error> {\n\
            let answer = client\n    .update_item()\n    .id(id)\n    .state(state)\n    .body(body)\n    \
            .send()\n    .await?;\n\
            // `answer` derefs to the decoded body; `answer.status()` and `answer.headers()` are the response's.\n\
            # Ok(())\n# }\n```";
        assert_eq!(update, expected);

        // Nothing to bind when the answer has no body.
        let empty = builder_of(
            &[],
            syn::parse_quote!(Result<ResponseValue<()>, ::marketplace_runtime::Error>),
        );
        let delete = example("marketplace_shop", "delete_item", &empty);
        assert!(
            delete.contains("\nclient\n    .delete_item()\n    .send()\n    .await?;\n# Ok(())"),
            "{delete}"
        );
    }

    /// The doc of each method of `imp`.
    fn docs_of(imp: &syn::ItemImpl) -> Vec<Option<String>> {
        imp.items
            .iter()
            .map(|item| match item {
                syn::ImplItem::Fn(f) => f.attrs.iter().find_map(doc_text),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_ignored_placeholder_is_replaced_and_setters_get_the_spec_descriptions() {
        let mut client: syn::ItemImpl = syn::parse_quote! {
            impl Client {
                #[doc = "Get an item\n\nSends a `GET` request\n```ignore\nlet response = client.get_item()\n    .id(id)\n    .send()\n    .await;\n```"]
                pub fn get_item(&self) -> builder::GetItem<'_> { builder::GetItem::new(self) }
                #[doc = "Other\n```ignore\nx\n```"]
                pub fn other(&self) {}
            }
        };
        replace_placeholder(&mut client, "get_item", "```no_run\nexample\n```");
        assert_eq!(
            docs_of(&client),
            [
                Some("Get an item\n\nSends a `GET` request\n```no_run\nexample\n```".into()),
                Some("Other\n```ignore\nx\n```".into()),
            ]
        );

        let mut setters: syn::ItemImpl = syn::parse_quote! {
            impl<'a> GetItem<'a> {
                pub fn new(client: &'a super::Client) -> Self { Self { client } }
                pub fn item_id<V>(mut self, value: V) -> Self { self }
                #[doc = "Sends the request."]
                pub async fn send(self) {}
            }
        };
        let docs = [("itemId".to_owned(), "The item's id.".to_owned())];
        document_setters(&mut setters, "get_item", &docs);
        assert_eq!(
            docs_of(&setters),
            [
                Some(
                    "A builder for `client.get_item()`, which is the usual way to get one.".into()
                ),
                Some("The item's id.".into()),
                Some("Sends the request.".into()),
            ]
        );
    }
}
