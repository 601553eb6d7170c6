//! Structural, recursive schema comparison in one direction (request or response).
//!
//! `$ref`s are followed (a pair of named schemas is compared once per operation
//! and direction, which also stops recursive schemas), and a schema's subject is
//! restarted at each named schema (`MessageSubject.id`, not
//! `Message.subject.id`), so one component change reached from several places is
//! reported once with every operation it reaches.

use std::collections::HashSet;

use marketplace_codegen::spec::{follow_ref, schema_name};
use openapiv3::{
    AdditionalProperties, IntegerType, NumberType, OpenAPI, ReferenceOr, Schema, SchemaKind,
    StringType, Type, VariantOrUnknownOrEmpty,
};
use serde::Serialize;

use super::Class::{self, Breaking, NonBreaking};
use super::changes::{Changes, list};

/// Which way a payload travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Dir {
    /// Sent by the client: narrowing breaks callers.
    Request,
    /// Sent by the marketplace: widening breaks decoding (tolerant enums and
    /// ignored unknown fields excepted).
    Response,
}

/// A schema position: a `$ref` or an inline schema.
#[derive(Clone, Copy)]
pub(super) enum Node<'a> {
    Ref(&'a str),
    Inline(&'a Schema),
}

impl<'a> From<&'a ReferenceOr<Schema>> for Node<'a> {
    fn from(value: &'a ReferenceOr<Schema>) -> Self {
        match value {
            ReferenceOr::Reference { reference } => Node::Ref(reference),
            ReferenceOr::Item(schema) => Node::Inline(schema),
        }
    }
}

impl<'a> From<&'a ReferenceOr<Box<Schema>>> for Node<'a> {
    fn from(value: &'a ReferenceOr<Box<Schema>>) -> Self {
        match value {
            ReferenceOr::Reference { reference } => Node::Ref(reference),
            ReferenceOr::Item(schema) => Node::Inline(schema),
        }
    }
}

/// A schema with `$ref`s followed and a lone `allOf: [X]` wrapper (the 3.0 way to
/// describe or null a `$ref`) unwrapped.
struct Resolved<'a> {
    /// The component it is, if named (its Rust type name).
    name: Option<&'a str>,
    schema: &'a Schema,
    nullable: bool,
}

fn resolve<'a>(api: &'a OpenAPI, node: Node<'a>) -> Option<Resolved<'a>> {
    let (mut name, mut schema) = match node {
        Node::Ref(reference) => {
            let (name, schema) = follow_ref::<Schema>(api, reference)?;
            (Some(name), schema)
        }
        Node::Inline(schema) => (None, schema),
    };
    let mut nullable = schema.schema_data.nullable;
    for _ in 0..8 {
        let SchemaKind::AllOf { all_of } = &schema.schema_kind else {
            break;
        };
        let [only] = all_of.as_slice() else { break };
        match only {
            ReferenceOr::Reference { reference } => {
                let (n, s) = follow_ref::<Schema>(api, reference)?;
                (name, schema) = (Some(n), s);
            }
            ReferenceOr::Item(s) => schema = s,
        }
        nullable |= schema.schema_data.nullable;
    }
    Some(Resolved {
        name,
        schema,
        nullable,
    })
}

/// One operation's walk over its schemas.
pub(super) struct Walk<'a, 'c> {
    pub old: &'a OpenAPI,
    pub new: &'a OpenAPI,
    pub dir: Dir,
    op: &'c str,
    seen: HashSet<(Option<&'a str>, Option<&'a str>, Dir)>,
    pub out: &'c mut Changes,
}

impl<'a, 'c> Walk<'a, 'c> {
    pub fn new(old: &'a OpenAPI, new: &'a OpenAPI, op: &'c str, out: &'c mut Changes) -> Self {
        Walk {
            old,
            new,
            dir: Dir::Request,
            op,
            seen: HashSet::new(),
            out,
        }
    }

    fn push(&mut self, class: Class, rule: &'static str, subject: &str, message: String) {
        self.out.push(class, rule, subject, message, Some(self.op));
    }

    /// Compares the schemas at `subject`. `report_rename`: whether a change of the
    /// named type is reported here (callers that report it their own way pass false).
    pub fn schema(&mut self, old: Node<'a>, new: Node<'a>, subject: &str, report_rename: bool) {
        self.node(old, new, subject, report_rename, false);
    }

    /// `optional`: the position is an optional field in the new spec (its Rust type
    /// is `Option<T>` whatever `nullable` says).
    fn node(
        &mut self,
        old: Node<'a>,
        new: Node<'a>,
        subject: &str,
        report_rename: bool,
        optional: bool,
    ) {
        // A dangling `$ref` is the house lint's finding (`refs-resolve`), not a change.
        let (Some(o), Some(n)) = (resolve(self.old, old), resolve(self.new, new)) else {
            return;
        };
        if report_rename && o.name != n.name {
            let describe = |name: Option<&str>| match name {
                Some(name) => format!("`{name}`"),
                None => "an inline schema".to_owned(),
            };
            self.push(
                Breaking,
                "type-renamed",
                subject,
                format!(
                    "the type is now {} (was {}): the Rust type name changes",
                    describe(n.name),
                    describe(o.name)
                ),
            );
        }
        let subject = n
            .name
            .or(o.name)
            .map_or_else(|| subject.to_owned(), str::to_owned);
        if (o.name.is_some() || n.name.is_some()) && !self.seen.insert((o.name, n.name, self.dir)) {
            return;
        }
        self.nullable(&o, &n, &subject, optional);
        self.kind(&o, &n, &subject);
    }

    fn nullable(&mut self, o: &Resolved<'_>, n: &Resolved<'_>, subject: &str, optional: bool) {
        let (rule, message, class) = match (o.nullable, n.nullable, self.dir, optional) {
            (false, true, Dir::Request, _) => ("nullable-added", "now accepts `null`".to_owned(), NonBreaking),
            (false, true, Dir::Response, true) => (
                "nullable-added",
                "may now be `null`; the field is optional, so it already decodes into `Option`".to_owned(),
                NonBreaking,
            ),
            (false, true, Dir::Response, false) => (
                "nullable-added",
                "may now be `null`: clients built from the old spec fail to decode it, and the Rust type becomes `Option<T>`"
                    .to_owned(),
                Breaking,
            ),
            (true, false, Dir::Request, false) => (
                "nullable-removed",
                "no longer accepts `null`: the Rust type changes from `Option<T>` to `T`".to_owned(),
                Breaking,
            ),
            (true, false, Dir::Response, false) => (
                "nullable-removed",
                "is never `null` now: the Rust type changes from `Option<T>` to `T`".to_owned(),
                Breaking,
            ),
            (true, false, _, true) => (
                "nullable-removed",
                "is no longer nullable; the field is optional, so its Rust type stays `Option<T>`".to_owned(),
                NonBreaking,
            ),
            _ => return,
        };
        self.push(class, rule, subject, message);
    }

    fn kind(&mut self, o: &Resolved<'a>, n: &Resolved<'a>, subject: &str) {
        let (os, ns): (&'a SchemaKind, &'a SchemaKind) =
            (&o.schema.schema_kind, &n.schema.schema_kind);
        let (ol, nl) = (kind_label(os), kind_label(ns));
        if ol != nl {
            self.push(
                Breaking,
                "type-changed",
                subject,
                format!("the type is now {nl} (was {ol})"),
            );
            return;
        }
        match (os, ns) {
            (SchemaKind::Type(Type::String(a)), SchemaKind::Type(Type::String(b))) => {
                self.string(a, b, subject)
            }
            (SchemaKind::Type(Type::Integer(a)), SchemaKind::Type(Type::Integer(b))) => {
                self.numeric(a.into(), b.into(), subject)
            }
            (SchemaKind::Type(Type::Number(a)), SchemaKind::Type(Type::Number(b))) => {
                self.numeric(a.into(), b.into(), subject)
            }
            (SchemaKind::Type(Type::Object(a)), SchemaKind::Type(Type::Object(b))) => {
                self.object(a, b, subject)
            }
            (SchemaKind::Type(Type::Array(a)), SchemaKind::Type(Type::Array(b))) => {
                if a.unique_items != b.unique_items {
                    self.push(
                        Breaking,
                        "type-changed",
                        subject,
                        format!(
                            "`uniqueItems` is now {}: the Rust type changes between `Vec` and a set",
                            b.unique_items
                        ),
                    );
                    return;
                }
                self.bound(
                    subject,
                    "minItems",
                    Lower,
                    a.min_items.map(|v| v as f64),
                    b.min_items.map(|v| v as f64),
                    false,
                );
                self.bound(
                    subject,
                    "maxItems",
                    Upper,
                    a.max_items.map(|v| v as f64),
                    b.max_items.map(|v| v as f64),
                    false,
                );
                match (&a.items, &b.items) {
                    (Some(ai), Some(bi)) => self.node(
                        Node::from(ai),
                        Node::from(bi),
                        &format!("{subject}[]"),
                        true,
                        false,
                    ),
                    (None, None) => {}
                    _ => self.push(
                        Breaking,
                        "type-changed",
                        subject,
                        "the item schema was added or removed: the Rust element type changes"
                            .into(),
                    ),
                }
            }
            (SchemaKind::Type(Type::Boolean(_)), SchemaKind::Type(Type::Boolean(_))) => {}
            (SchemaKind::OneOf { one_of: a }, SchemaKind::OneOf { one_of: b })
            | (SchemaKind::AnyOf { any_of: a }, SchemaKind::AnyOf { any_of: b }) => {
                self.variants(a, b, subject, true)
            }
            (SchemaKind::AllOf { all_of: a }, SchemaKind::AllOf { all_of: b }) => {
                self.variants(a, b, subject, false)
            }
            (a, b) => {
                if json(a) != json(b) {
                    self.push(
                        Breaking,
                        "schema-changed",
                        subject,
                        "the schema changed in a way this tool does not classify; review it by hand"
                            .into(),
                    );
                }
            }
        }
    }

    fn string(&mut self, a: &StringType, b: &StringType, subject: &str) {
        let (ot, nt) = (string_rust_type(a), string_rust_type(b));
        if ot != nt {
            self.push(
                Breaking,
                "type-changed",
                subject,
                format!("the Rust type changes from {ot} to {nt}"),
            );
            return;
        }
        let values =
            |t: &StringType| -> Vec<String> { t.enumeration.iter().flatten().cloned().collect() };
        self.enum_values(&values(a), &values(b), subject);
        let (of, nf) = (format_name(&a.format), format_name(&b.format));
        if of != nf {
            let tighter = match (&of, &nf) {
                (None, Some(_)) => Some(true),
                (Some(_), None) => Some(false),
                _ => None,
            };
            let message = format!(
                "`format` is now {} (was {})",
                nf.map_or("none".into(), |f| format!("`{f}`")),
                of.map_or("none".into(), |f| format!("`{f}`"))
            );
            self.constraint(subject, tighter, message, false);
        }
        if a.pattern != b.pattern {
            let tighter = match (&a.pattern, &b.pattern) {
                (None, Some(_)) => Some(true),
                (Some(_), None) => Some(false),
                _ => None,
            };
            let message = match &b.pattern {
                Some(p) => format!("`pattern` is now `{p}`"),
                None => "`pattern` is removed".into(),
            };
            self.constraint(subject, tighter, message, true);
        }
        self.bound(
            subject,
            "minLength",
            Lower,
            a.min_length.map(|v| v as f64),
            b.min_length.map(|v| v as f64),
            true,
        );
        self.bound(
            subject,
            "maxLength",
            Upper,
            a.max_length.map(|v| v as f64),
            b.max_length.map(|v| v as f64),
            true,
        );
    }

    /// An integer or a number: the Rust type, enum values and bounds.
    fn numeric(&mut self, a: Numeric, b: Numeric, subject: &str) {
        if a.rust_type != b.rust_type {
            self.push(
                Breaking,
                "type-changed",
                subject,
                format!(
                    "the Rust type changes from `{}` to `{}`",
                    a.rust_type, b.rust_type
                ),
            );
            return;
        }
        self.enum_values(&a.values, &b.values, subject);
        self.bound(subject, "minimum", Lower, a.lower, b.lower, false);
        self.bound(subject, "maximum", Upper, a.upper, b.upper, false);
        if a.multiple_of != b.multiple_of {
            self.constraint(
                subject,
                None,
                format!("`multipleOf` is now {}", b.multiple_of),
                false,
            );
        }
    }

    fn enum_values(&mut self, old: &[String], new: &[String], subject: &str) {
        if old.is_empty() != new.is_empty() {
            self.push(
                Breaking,
                "type-changed",
                subject,
                if new.is_empty() {
                    "is no longer an enum: the Rust type changes".into()
                } else {
                    "is now an enum: the Rust type changes".into()
                },
            );
            return;
        }
        let removed: Vec<&String> = old.iter().filter(|v| !new.contains(v)).collect();
        let added: Vec<&String> = new.iter().filter(|v| !old.contains(v)).collect();
        if !removed.is_empty() {
            let message = match self.dir {
                Dir::Request => format!(
                    "enum value(s) {} removed: requests that send them are now invalid, and their Rust variants go away",
                    list(&removed)
                ),
                Dir::Response => format!(
                    "enum value(s) {} removed: their Rust variants go away (code naming them stops compiling; the values themselves would decode into `Other`)",
                    list(&removed)
                ),
            };
            self.push(Breaking, "enum-value-removed", subject, message);
        }
        if !added.is_empty() {
            let message = match self.dir {
                Dir::Request => format!("new enum value(s) {}", list(&added)),
                Dir::Response => format!(
                    "new enum value(s) {} in responses: forward compatible, clients built from the old spec decode them into `Other(String)`",
                    list(&added)
                ),
            };
            self.push(NonBreaking, "enum-value-added", subject, message);
        }
    }

    fn object(
        &mut self,
        a: &'a openapiv3::ObjectType,
        b: &'a openapiv3::ObjectType,
        subject: &str,
    ) {
        for (name, old_prop) in &a.properties {
            let field = format!("{subject}.{name}");
            let was_required = a.required.contains(name);
            let Some(new_prop) = b.properties.get(name) else {
                let (rule, message) = match self.dir {
                    Dir::Request => (
                        "request-field-removed",
                        "request field removed: callers that set it stop compiling".to_owned(),
                    ),
                    Dir::Response => (
                        "response-field-removed",
                        "response field removed: code reading it stops compiling".to_owned(),
                    ),
                };
                self.push(Breaking, rule, &field, message);
                continue;
            };
            let is_required = b.required.contains(name);
            match (was_required, is_required, self.dir) {
                (false, true, Dir::Request) => self.push(
                    Breaking,
                    "request-field-required",
                    &field,
                    "request field is now required: requests without it are rejected".to_owned(),
                ),
                (true, false, Dir::Request) => self.push(
                    NonBreaking,
                    "request-field-optional",
                    &field,
                    "request field is now optional (its Rust type becomes `Option<T>`; builders accept both)".to_owned(),
                ),
                (true, false, Dir::Response) => self.push(
                    Breaking,
                    "response-field-optional",
                    &field,
                    "response field is now optional: its Rust type becomes `Option<T>`, and clients built from the old spec fail on responses without it".to_owned(),
                ),
                (false, true, Dir::Response) => self.push(
                    Breaking,
                    "response-field-required",
                    &field,
                    "response field is now required: its Rust type changes from `Option<T>` to `T`, and responses without it no longer decode".to_owned(),
                ),
                _ => {}
            }
            self.node(
                Node::from(old_prop),
                Node::from(new_prop),
                &field,
                true,
                !is_required,
            );
        }
        for name in b
            .properties
            .keys()
            .filter(|k| !a.properties.contains_key(*k))
        {
            let field = format!("{subject}.{name}");
            let required = b.required.contains(name);
            let (class, rule, message) = match (self.dir, required) {
                (Dir::Request, true) => (
                    Breaking,
                    "request-field-added-required",
                    "new required request field: requests without it are rejected".to_owned(),
                ),
                (Dir::Request, false) => (
                    NonBreaking,
                    "request-field-added",
                    "new optional request field".to_owned(),
                ),
                (Dir::Response, true) => (
                    NonBreaking,
                    "response-field-added-required",
                    "new required response field: clients built from the old spec ignore it; the new client rejects any response without it (fixtures must carry it)".to_owned(),
                ),
                (Dir::Response, false) => (
                    NonBreaking,
                    "response-field-added",
                    "new optional response field".to_owned(),
                ),
            };
            self.push(class, rule, &field, message);
        }

        let (ao, bo) = (
            additional(&a.additional_properties),
            additional(&b.additional_properties),
        );
        match (ao, bo) {
            (Additional::Map(x), Additional::Map(y)) => {
                self.node(x, y, &format!("{subject}.<key>"), true, false)
            }
            (Additional::Map(_), _) | (_, Additional::Map(_)) => self.push(
                Breaking,
                "type-changed",
                subject,
                "`additionalProperties` changed between a schema and none: the Rust type changes between a map and a struct"
                    .into(),
            ),
            (Additional::Open, Additional::Closed) => self.constraint(
                subject,
                Some(true),
                "`additionalProperties: false`: unknown fields are now rejected".into(),
                true,
            ),
            (Additional::Closed, Additional::Open) => self.constraint(
                subject,
                Some(false),
                "`additionalProperties: false` is removed: unknown fields are allowed".into(),
                true,
            ),
            _ => {}
        }
    }

    /// `oneOf`/`anyOf` (`alternatives`) or `allOf` members, paired by `$ref` name,
    /// then inline ones in order.
    fn variants(
        &mut self,
        a: &'a [ReferenceOr<Schema>],
        b: &'a [ReferenceOr<Schema>],
        subject: &str,
        alternatives: bool,
    ) {
        fn name(r: &ReferenceOr<Schema>) -> Option<&str> {
            match r {
                ReferenceOr::Reference { reference } => Some(reference.as_str()),
                ReferenceOr::Item(_) => None,
            }
        }
        let mut b_left: Vec<bool> = vec![true; b.len()];
        let mut pairs = Vec::new();
        let mut a_left = Vec::new();
        for (i, x) in a.iter().enumerate() {
            match name(x).and_then(|n| (0..b.len()).find(|&j| b_left[j] && name(&b[j]) == Some(n)))
            {
                Some(j) => {
                    b_left[j] = false;
                    pairs.push((i, j));
                }
                None => a_left.push(i),
            }
        }
        let mut removed = Vec::new();
        for i in a_left {
            match (0..b.len())
                .find(|&j| b_left[j] && name(&a[i]).is_none() && name(&b[j]).is_none())
            {
                Some(j) => {
                    b_left[j] = false;
                    pairs.push((i, j));
                }
                None => removed.push(i),
            }
        }
        let added: Vec<usize> = (0..b.len()).filter(|&j| b_left[j]).collect();
        let label = |r: &ReferenceOr<Schema>, i: usize| match r {
            ReferenceOr::Reference { reference } => {
                schema_name(reference).unwrap_or(reference).to_owned()
            }
            ReferenceOr::Item(_) => format!("#{i}"),
        };
        if !alternatives && (!removed.is_empty() || !added.is_empty()) {
            self.push(
                Breaking,
                "composition-changed",
                subject,
                "the `allOf` members changed: the merged Rust type changes".into(),
            );
        } else {
            if !removed.is_empty() {
                let names: Vec<String> = removed.iter().map(|&i| label(&a[i], i)).collect();
                self.push(
                    Breaking,
                    "variant-removed",
                    subject,
                    format!(
                        "variant(s) {} removed: their Rust enum variants go away",
                        list(&names)
                    ),
                );
            }
            if !added.is_empty() {
                let names: Vec<String> = added.iter().map(|&j| label(&b[j], j)).collect();
                let (class, message) = match self.dir {
                    Dir::Request => (NonBreaking, format!("new variant(s) {}", list(&names))),
                    Dir::Response => (
                        Breaking,
                        format!(
                            "new variant(s) {} in responses: clients built from the old spec fail to decode them",
                            list(&names)
                        ),
                    ),
                };
                self.push(class, "variant-added", subject, message);
            }
        }
        for (i, j) in pairs {
            self.node(
                Node::from(&a[i]),
                Node::from(&b[j]),
                &format!("{subject}#{j}"),
                true,
                false,
            );
        }
    }

    /// A lower or upper bound (`minimum`, `maxLength`, …) that may have moved.
    fn bound(
        &mut self,
        subject: &str,
        what: &str,
        side: Side,
        old: Option<f64>,
        new: Option<f64>,
        enforced: bool,
    ) {
        let tighter = match (old, new) {
            (None, None) => return,
            (None, Some(_)) => true,
            (Some(_), None) => false,
            (Some(o), Some(n)) if o == n => return,
            (Some(o), Some(n)) => (n > o) == (side == Lower),
        };
        let show = |v: Option<f64>| v.map_or("none".to_owned(), |v| format!("{v}"));
        let message = format!("`{what}` is now {} (was {})", show(new), show(old));
        self.constraint(subject, Some(tighter), message, enforced);
    }

    /// A validation change: `tighter` (`None`: neither, e.g. a different pattern).
    /// `enforced`: the generated types check it when decoding (string newtypes,
    /// `deny_unknown_fields`), so loosening it breaks clients built from the old spec.
    fn constraint(
        &mut self,
        subject: &str,
        tighter: Option<bool>,
        message: String,
        enforced: bool,
    ) {
        let (class, rule, why) = match (self.dir, tighter) {
            (Dir::Request, Some(true)) => (
                Breaking,
                "constraint-tightened",
                "requests valid before may now be rejected",
            ),
            (Dir::Request, Some(false)) => (
                NonBreaking,
                "constraint-loosened",
                "every request valid before still is",
            ),
            (Dir::Request, None) => (
                Breaking,
                "constraint-changed",
                "requests valid before may now be rejected",
            ),
            (Dir::Response, Some(true)) => (
                NonBreaking,
                "constraint-tightened",
                "responses stay decodable",
            ),
            (Dir::Response, Some(false) | None) if enforced => (
                Breaking,
                if tighter.is_none() {
                    "constraint-changed"
                } else {
                    "constraint-loosened"
                },
                "clients built from the old spec check it when decoding and reject the new values",
            ),
            (Dir::Response, Some(false) | None) => (
                NonBreaking,
                if tighter.is_none() {
                    "constraint-changed"
                } else {
                    "constraint-loosened"
                },
                "not checked when decoding",
            ),
        };
        self.push(class, rule, subject, format!("{message}: {why}"));
    }
}

/// What the comparison reads of an integer or a number schema.
struct Numeric {
    rust_type: String,
    values: Vec<String>,
    /// The smallest and largest accepted values, exclusive bounds made inclusive.
    lower: Option<f64>,
    upper: Option<f64>,
    /// `multipleOf`, as the report shows it.
    multiple_of: String,
}

impl From<&IntegerType> for Numeric {
    fn from(t: &IntegerType) -> Self {
        let step = |exclusive: bool| if exclusive { 1.0 } else { 0.0 };
        Numeric {
            rust_type: integer_rust_type(t),
            values: t
                .enumeration
                .iter()
                .flatten()
                .map(ToString::to_string)
                .collect(),
            lower: t.minimum.map(|m| m as f64 + step(t.exclusive_minimum)),
            upper: t.maximum.map(|m| m as f64 - step(t.exclusive_maximum)),
            multiple_of: format!("{:?}", t.multiple_of),
        }
    }
}

impl From<&NumberType> for Numeric {
    fn from(t: &NumberType) -> Self {
        // An exclusive bound is a hair tighter than the same inclusive one.
        let eps = |exclusive: bool| if exclusive { 1e-9 } else { 0.0 };
        Numeric {
            rust_type: number_rust_type(t).to_owned(),
            values: t
                .enumeration
                .iter()
                .flatten()
                .map(ToString::to_string)
                .collect(),
            lower: t.minimum.map(|m| m + eps(t.exclusive_minimum)),
            upper: t.maximum.map(|m| m - eps(t.exclusive_maximum)),
            multiple_of: format!("{:?}", t.multiple_of),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Lower,
    Upper,
}
use Side::{Lower, Upper};

enum Additional<'a> {
    Open,
    Closed,
    Map(Node<'a>),
}

fn additional(value: &Option<AdditionalProperties>) -> Additional<'_> {
    match value {
        None | Some(AdditionalProperties::Any(true)) => Additional::Open,
        Some(AdditionalProperties::Any(false)) => Additional::Closed,
        Some(AdditionalProperties::Schema(schema)) => Additional::Map(Node::from(schema.as_ref())),
    }
}

fn kind_label(kind: &SchemaKind) -> String {
    match kind {
        SchemaKind::Type(Type::String(_)) => "`string`".into(),
        SchemaKind::Type(Type::Number(_)) => "`number`".into(),
        SchemaKind::Type(Type::Integer(_)) => "`integer`".into(),
        SchemaKind::Type(Type::Object(_)) => "`object`".into(),
        SchemaKind::Type(Type::Array(_)) => "`array`".into(),
        SchemaKind::Type(Type::Boolean(_)) => "`boolean`".into(),
        SchemaKind::OneOf { .. } => "a `oneOf`".into(),
        SchemaKind::AllOf { .. } => "an `allOf`".into(),
        SchemaKind::AnyOf { .. } => "an `anyOf`".into(),
        SchemaKind::Not { .. } => "a `not`".into(),
        SchemaKind::Any(any) => match &any.typ {
            Some(t) => format!("`{t}` (with mixed keywords)"),
            None => "an untyped schema".into(),
        },
    }
}

fn json(value: &impl Serialize) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or_default()
}

fn format_name<T: Serialize>(format: &VariantOrUnknownOrEmpty<T>) -> Option<String> {
    match format {
        VariantOrUnknownOrEmpty::Empty => None,
        VariantOrUnknownOrEmpty::Unknown(s) => Some(s.clone()),
        VariantOrUnknownOrEmpty::Item(item) => json(item).as_str().map(str::to_owned),
    }
}

/// The Rust type typify 0.8 gives a string schema (`convert_string`).
fn string_rust_type(t: &StringType) -> String {
    match format_name(&t.format).as_deref() {
        Some("uuid") => "`Uuid`".into(),
        Some("date") => "`NaiveDate`".into(),
        Some("date-time") => "`DateTime<Utc>`".into(),
        Some("ip") => "`IpAddr`".into(),
        Some("ipv4") => "`Ipv4Addr`".into(),
        Some("ipv6") => "`Ipv6Addr`".into(),
        _ if t.pattern.is_some() || t.min_length.is_some() || t.max_length.is_some() => {
            "a validated string newtype".into()
        }
        _ => "`String`".into(),
    }
}

fn number_rust_type(t: &NumberType) -> &'static str {
    match format_name(&t.format).as_deref() {
        Some("float") => "f32",
        _ => "f64",
    }
}

/// The Rust type typify 0.8 gives an integer schema (a port of `convert_integer`:
/// the format's type, `NonZeroU*` for `minimum: 1`, else bounds matching a type).
fn integer_rust_type(t: &IntegerType) -> String {
    const FORMATS: &[(&str, &str, &str, f64, f64)] = &[
        ("int8", "i8", "NonZeroU8", i8::MIN as f64, i8::MAX as f64),
        ("uint8", "u8", "NonZeroU8", u8::MIN as f64, u8::MAX as f64),
        (
            "int16",
            "i16",
            "NonZeroU16",
            i16::MIN as f64,
            i16::MAX as f64,
        ),
        (
            "uint16",
            "u16",
            "NonZeroU16",
            u16::MIN as f64,
            u16::MAX as f64,
        ),
        ("int", "i32", "NonZeroU32", i32::MIN as f64, i32::MAX as f64),
        (
            "int32",
            "i32",
            "NonZeroU32",
            i32::MIN as f64,
            i32::MAX as f64,
        ),
        (
            "uint",
            "u32",
            "NonZeroU32",
            u32::MIN as f64,
            u32::MAX as f64,
        ),
        (
            "uint32",
            "u32",
            "NonZeroU32",
            u32::MIN as f64,
            u32::MAX as f64,
        ),
        (
            "int64",
            "i64",
            "NonZeroU64",
            i64::MIN as f64,
            i64::MAX as f64,
        ),
        (
            "uint64",
            "u64",
            "NonZeroU64",
            u64::MIN as f64,
            u64::MAX as f64,
        ),
    ];
    let mut min = t
        .minimum
        .map(|m| m as f64 + if t.exclusive_minimum { 1.0 } else { 0.0 });
    let mut max = t
        .maximum
        .map(|m| m as f64 - if t.exclusive_maximum { 1.0 } else { 0.0 });
    if let Some(format) = format_name(&t.format)
        && let Some((_, ty, nz, imin, imax)) = FORMATS.iter().find(|f| f.0 == format)
    {
        let valid_min = min.is_none_or(|m| m >= *imin);
        let valid_max = max.is_none_or(|m| m <= *imax);
        if t.multiple_of.is_none() && valid_min && valid_max {
            return if min == Some(1.0) { nz } else { ty }.to_string();
        }
        min = min.or(Some(*imin));
        max = max.or(Some(*imax));
    }
    let close = |a: f64, b: f64| (a - b).abs() <= f64::EPSILON;
    let found = FORMATS
        .iter()
        .rev()
        .find_map(|(_, ty, nz, imin, imax)| match (min, max) {
            (None, None) => None,
            (Some(1.0), _) => Some(*nz),
            (None, Some(max)) => close(*imax, max).then_some(*ty),
            (Some(min), None) => close(*imin, min).then_some(*ty),
            (Some(min), Some(max)) => (close(*imax, max) && close(*imin, min)).then_some(*ty),
        });
    found.unwrap_or("i64").to_owned()
}
