//! The Rust names progenitor and typify derive from spec names, so that two spec
//! names that collide in Rust are caught before generation, and how code outside a
//! client crate names its generated types.

pub(crate) fn is_snake_case(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

pub(crate) fn is_pascal_case(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_uppercase()) && s.chars().all(|c| c.is_ascii_alphanumeric())
}

/// The two name shapes progenitor and typify derive from spec names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Case {
    /// Methods, builder setters, struct fields.
    Snake,
    /// Types and builder structs.
    Pascal,
}

/// The Rust identifier progenitor 0.15 / typify 0.8 derive from a spec name
/// (`sanitize`: heck's word splitting, a `_` prefix before a leading digit, a `_`
/// suffix on keywords), so that two names colliding in Rust can be caught here.
pub fn rust_name(name: &str, case: Case) -> String {
    let words = words(&name.replace('\'', ""));
    let mut out: String = match case {
        Case::Snake => words
            .iter()
            .map(|w| w.to_lowercase())
            .collect::<Vec<_>>()
            .join("_"),
        Case::Pascal => words
            .iter()
            .map(|w| {
                let mut chars = w.chars();
                chars.next().map_or_else(String::new, |c| {
                    c.to_uppercase()
                        .chain(chars.flat_map(char::to_lowercase))
                        .collect()
                })
            })
            .collect(),
    };
    if out.is_empty() {
        out = if case == Case::Snake { "x" } else { "X" }.to_owned();
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    if RUST_KEYWORDS.contains(&out.as_str()) {
        out.push('_');
    }
    out
}

const RUST_KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "gen", "macro",
    "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// heck 0.5's word boundaries: any non-alphanumeric character, a lower-case letter
/// followed by an upper-case one, and the last of a run of upper-case letters
/// followed by a lower-case one (`HTTPServer` → `HTTP`, `Server`).
fn words(s: &str) -> Vec<String> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mode {
        Boundary,
        Lower,
        Upper,
    }
    let mut out = Vec::new();
    for word in s.split(|c: char| !c.is_alphanumeric()) {
        let chars: Vec<(usize, char)> = word.char_indices().collect();
        let mut init = 0;
        let mut mode = Mode::Boundary;
        for (k, &(i, c)) in chars.iter().enumerate() {
            let Some(&(next_i, next)) = chars.get(k + 1) else {
                out.push(word[init..].to_owned());
                break;
            };
            let next_mode = if c.is_lowercase() {
                Mode::Lower
            } else if c.is_uppercase() {
                Mode::Upper
            } else {
                mode
            };
            if next_mode == Mode::Lower && next.is_uppercase() {
                out.push(word[init..next_i].to_owned());
                init = next_i;
                mode = Mode::Boundary;
            } else if mode == Mode::Upper && c.is_uppercase() && next.is_lowercase() {
                out.push(word[init..i].to_owned());
                init = i;
                mode = Mode::Boundary;
            } else {
                mode = next_mode;
            }
        }
    }
    out.retain(|w| !w.is_empty());
    out
}

/// `ty` as code outside the client crate writes it: the generated code names its
/// tolerant enums `crate::generated::types::X`, reachable here as `types::X`.
pub(crate) fn outside(ty: &syn::Type) -> syn::Type {
    struct Rewrite;
    impl syn::visit_mut::VisitMut for Rewrite {
        fn visit_path_mut(&mut self, path: &mut syn::Path) {
            let generated = path.segments.len() > 2
                && path.segments[0].ident == "crate"
                && path.segments[1].ident == "generated";
            if generated {
                path.leading_colon = None;
                path.segments = path.segments.iter().skip(2).cloned().collect();
            }
            syn::visit_mut::visit_path_mut(self, path);
        }
    }
    let mut ty = ty.clone();
    syn::visit_mut::VisitMut::visit_type_mut(&mut Rewrite, &mut ty);
    ty
}
