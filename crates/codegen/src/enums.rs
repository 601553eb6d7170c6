//! Tolerant enums: every string-enum schema becomes `marketplace_runtime::tolerant_enum!`.

use crate::spec::{Finding, Spec, pointer};

/// One string-enum component schema.
#[derive(Clone, Debug)]
pub struct TolerantEnum {
    /// Schema (and Rust type) name.
    pub name: String,
    /// The schema's description.
    pub description: String,
    /// `(RustVariant, "wire value")` in spec order.
    pub variants: Vec<(String, String)>,
}

/// The name of the catch-all variant (see `marketplace_runtime::tolerant_enum!`).
pub const OTHER_VARIANT: &str = "Other";

/// Every string-enum schema in `components/schemas`.
pub fn collect(spec: &Spec) -> Result<Vec<TolerantEnum>, Vec<Finding>> {
    let mut out = Vec::new();
    let mut findings = Vec::new();
    for (name, schema) in spec.document["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
    {
        if schema["type"] != "string" || !schema["enum"].is_array() {
            continue;
        }
        let at = pointer(["components", "schemas", name]);
        let mut variants: Vec<(String, String)> = Vec::new();
        for (i, value) in schema["enum"].as_array().into_iter().flatten().enumerate() {
            let Some(wire) = value.as_str() else {
                findings.push(spec.finding(
                    format!("{at}/enum/{i}"),
                    "string-enums",
                    "enum values of a string enum are strings",
                ));
                continue;
            };
            let variant = variant_name(wire);
            if variant == OTHER_VARIANT || variants.iter().any(|(v, _)| *v == variant) {
                findings.push(spec.finding(
                    format!("{at}/enum/{i}"),
                    "enum-variant-names",
                    format!(
                        "`{wire}` maps to the Rust variant `{variant}`, which is already taken"
                    ),
                ));
            }
            variants.push((variant, wire.to_owned()));
        }
        out.push(TolerantEnum {
            name: name.clone(),
            description: schema["description"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            variants,
        });
    }
    if findings.is_empty() {
        Ok(out)
    } else {
        Err(findings)
    }
}

/// `customer_order_message` → `CustomerOrderMessage`, `WAITING_FOR_BUYER` →
/// `WaitingForBuyer`, `order` → `Order`; a leading digit gets a `V` prefix.
pub fn variant_name(wire: &str) -> String {
    let mut out = String::new();
    for word in split_words(wire) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.extend(chars.flat_map(char::to_lowercase));
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    out
}

/// Splits on non-alphanumerics and on lower→upper case boundaries (`camelCase`).
fn split_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in s.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        current.push(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// The tokens of one tolerant enum, placed inside the generated `types` module.
pub fn tokens(e: &TolerantEnum) -> proc_macro2::TokenStream {
    let name = quote::format_ident!("{}", e.name);
    let doc = &e.description;
    let variants = e.variants.iter().map(|(variant, wire)| {
        let variant = quote::format_ident!("{}", variant);
        quote::quote! { #variant = #wire, }
    });
    quote::quote! {
        ::marketplace_runtime::tolerant_enum! {
            #[doc = #doc]
            pub enum #name { #(#variants)* }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::variant_name;

    #[test]
    fn wire_values_become_pascal_case_variants() {
        assert_eq!(
            variant_name("customer_order_message"),
            "CustomerOrderMessage"
        );
        assert_eq!(variant_name("WAITING_FOR_BUYER"), "WaitingForBuyer");
        assert_eq!(variant_name("order"), "Order");
        assert_eq!(variant_name("SELLER.OTHERS"), "SellerOthers");
        assert_eq!(variant_name("orderLineShipped"), "OrderLineShipped");
        assert_eq!(variant_name("1"), "V1");
        assert_eq!(variant_name("TO_CUSTOMER"), "ToCustomer");
    }
}
