//! Spec-level comparison: servers, operations, parameters, request bodies and
//! responses. Schemas are compared by [`super::schema`], the marketplace
//! descriptor and the server constants by [`super::marketplace`].

use std::collections::BTreeSet;

use marketplace_codegen::pagination::EXTENSION as PAGINATION;
use marketplace_codegen::spec::{IDEMPOTENT, follow, schema_name};
use openapiv3::{MediaType, OpenAPI, Operation, Parameter, ParameterSchemaOrContent, StatusCode};

use super::changes::{Changes, list};
use super::schema::{Dir, Node, Walk};
use super::{Change, Class};

/// Every classified change from `old` to `new` (`None`: the spec is absent at that
/// side), breaking ones first, each group in spec order.
pub fn compare(old: Option<&OpenAPI>, new: Option<&OpenAPI>) -> Vec<Change> {
    let mut out = Changes::default();
    match (old, new) {
        (None, None) => {}
        (None, Some(new)) => out.push(
            Class::NonBreaking,
            "spec-added",
            "spec",
            format!("new spec with {} operation(s)", ops(new).len()),
            None,
        ),
        (Some(old), None) => out.push(
            Class::Breaking,
            "spec-removed",
            "spec",
            format!(
                "the spec is removed with its {} operation(s): its client goes away",
                ops(old).len()
            ),
            None,
        ),
        (Some(old), Some(new)) => {
            servers(old, new, &mut out);
            super::marketplace::compare(old, new, &mut out);
            operations(old, new, &mut out);
        }
    }
    let mut changes = out.0;
    // Stable: spec order within each class.
    changes.sort_by_key(|c| c.class);
    changes
}

fn servers(old: &OpenAPI, new: &OpenAPI, out: &mut Changes) {
    let old_urls: Vec<&str> = old.servers.iter().map(|s| s.url.as_str()).collect();
    let new_urls: Vec<&str> = new.servers.iter().map(|s| s.url.as_str()).collect();
    match (old_urls.first(), new_urls.first()) {
        (Some(o), Some(n)) if o != n => out.push(
            Class::Breaking,
            "server-url-changed",
            "servers",
            format!(
                "the default server `{o}` is now `{n}`: `DEFAULT_BASE_URL` and the `Client` \
                 constructors' default host change"
            ),
            None,
        ),
        (Some(o), None) => out.push(
            Class::Breaking,
            "server-url-changed",
            "servers",
            format!("the default server `{o}` is removed: the client has no default base URL"),
            None,
        ),
        _ => {
            let (o, n): (BTreeSet<_>, BTreeSet<_>) =
                (old_urls.iter().collect(), new_urls.iter().collect());
            if o != n {
                out.push(
                    Class::NonBreaking,
                    "servers-changed",
                    "servers",
                    format!(
                        "the other servers changed (now {}); the default is unchanged",
                        list(new_urls.iter().skip(1))
                    ),
                    None,
                );
            }
        }
    }
}

/// One operation with where it sits.
struct Op<'a> {
    id: String,
    method: &'a str,
    path: &'a str,
    op: &'a Operation,
    /// Path-item parameters followed by the operation's own.
    path_parameters: &'a [openapiv3::ReferenceOr<Parameter>],
}

impl Op<'_> {
    fn endpoint(&self) -> String {
        format!("{} {}", self.method.to_uppercase(), self.path)
    }
    /// The path with parameter names erased: `/a/{}/b`.
    fn shape(&self) -> String {
        let mut shape = String::new();
        let mut in_param = false;
        for c in self.path.chars() {
            match c {
                '{' => {
                    in_param = true;
                    shape.push_str("{}");
                }
                '}' => in_param = false,
                c if !in_param => shape.push(c),
                _ => {}
            }
        }
        format!("{} {shape}", self.method)
    }
}

fn ops(api: &OpenAPI) -> Vec<Op<'_>> {
    let mut out = Vec::new();
    for (path, item) in &api.paths.paths {
        let Some(item) = item.as_item() else { continue };
        for (method, op) in item.iter() {
            out.push(Op {
                id: op
                    .operation_id
                    .clone()
                    .unwrap_or_else(|| format!("{} {path}", method.to_uppercase())),
                method,
                path,
                op,
                path_parameters: &item.parameters,
            });
        }
    }
    out
}

fn operations(old: &OpenAPI, new: &OpenAPI, out: &mut Changes) {
    let old_ops = ops(old);
    let new_ops = ops(new);
    // Pair by operationId first (the Rust method name), then by method and path.
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    let mut old_left: BTreeSet<usize> = (0..old_ops.len()).collect();
    let mut new_left: BTreeSet<usize> = (0..new_ops.len()).collect();
    for (i, o) in old_ops.iter().enumerate() {
        if let Some(j) = new_ops.iter().position(|n| n.id == o.id)
            && new_left.remove(&j)
        {
            old_left.remove(&i);
            pairs.push((i, j));
        }
    }
    for i in old_left.clone() {
        if let Some(&j) = new_left
            .iter()
            .find(|&&j| new_ops[j].shape() == old_ops[i].shape())
        {
            new_left.remove(&j);
            old_left.remove(&i);
            pairs.push((i, j));
        }
    }
    pairs.sort_by_key(|&(_, j)| j);

    for i in old_left {
        let o = &old_ops[i];
        out.push(
            Class::Breaking,
            "operation-removed",
            &o.id,
            format!(
                "operation removed (was {}): its Rust method goes away",
                o.endpoint()
            ),
            None,
        );
    }
    for (i, j) in pairs {
        operation(old, &old_ops[i], new, &new_ops[j], out);
    }
    for j in new_left {
        let n = &new_ops[j];
        out.push(
            Class::NonBreaking,
            "operation-added",
            &n.id,
            format!("new operation, {}", n.endpoint()),
            None,
        );
    }
}

fn operation<'a>(
    old_api: &'a OpenAPI,
    old: &Op<'a>,
    new_api: &'a OpenAPI,
    new: &Op<'a>,
    out: &mut Changes,
) {
    let id = new.id.as_str();
    if old.id != new.id {
        out.push(
            Class::Breaking,
            "operation-renamed",
            id,
            format!(
                "renamed from `{}` ({}): the Rust method name changes",
                old.id,
                new.endpoint()
            ),
            None,
        );
    }
    if old.shape() != new.shape() {
        out.push(
            Class::Breaking,
            "operation-moved",
            id,
            format!(
                "moved from {} to {}: clients built from the old spec call the old endpoint",
                old.endpoint(),
                new.endpoint()
            ),
            None,
        );
    }
    if new.op.deprecated && !old.op.deprecated {
        out.push(
            Class::NonBreaking,
            "operation-deprecated",
            id,
            "deprecated".to_owned(),
            None,
        );
    }
    let declared_idempotent =
        |op: &Operation| op.extensions.get(IDEMPOTENT) == Some(&serde_json::Value::Bool(true));
    match (declared_idempotent(old.op), declared_idempotent(new.op)) {
        (false, true) => out.push(
            Class::NonBreaking,
            "operation-retries",
            id,
            "now declared `x-idempotent`: retried like a GET (timeouts, 420/429, 5xx), not only on connect failures",
            None,
        ),
        (true, false) => out.push(
            Class::NonBreaking,
            "operation-retries",
            id,
            "no longer declared `x-idempotent`: retried only when the request never reached the server",
            None,
        ),
        _ => {}
    }
    match (
        old.op.extensions.get(PAGINATION),
        new.op.extensions.get(PAGINATION),
    ) {
        (None, Some(_)) => out.push(
            Class::NonBreaking,
            "operation-paging",
            id,
            "now pages (`x-pagination`): its builder gains `by_page()` and `by_item()`",
            None,
        ),
        (Some(_), None) => out.push(
            Class::Breaking,
            "operation-paging",
            id,
            "no longer pages: `by_page()` and `by_item()` are gone from its builder",
            None,
        ),
        (Some(before), Some(after)) if before != after => {
            // The streamed item type follows `items`; the rest changes only how
            // pages are fetched and when the stream stops.
            let (class, message) = if before.get("items") == after.get("items") {
                (
                    Class::NonBreaking,
                    "pages differently (`x-pagination` changed, same items): the streams keep their type",
                )
            } else {
                (
                    Class::Breaking,
                    "streams other items (`x-pagination` `items` changed): `by_item()` may yield another type",
                )
            };
            out.push(class, "operation-paging", id, message, None);
        }
        _ => {}
    }
    let mut walk = Walk::new(old_api, new_api, id, out);
    parameters(old, new, &mut walk);
    request_body(old, new, &mut walk);
    walk.dir = Dir::Response;
    responses(old, new, &mut walk);
}

/// An operation's effective parameters: the path item's, overridden by the
/// operation's own with the same name and location.
fn params<'a>(api: &'a OpenAPI, op: &Op<'a>) -> Vec<&'a Parameter> {
    let mut out: Vec<&Parameter> = Vec::new();
    for p in op.path_parameters.iter().chain(&op.op.parameters) {
        let Some(p) = follow(api, p) else {
            continue;
        };
        let data = p.parameter_data_ref();
        out.retain(|q| !(location(q) == location(p) && q.parameter_data_ref().name == data.name));
        out.push(p);
    }
    out
}

fn location(p: &Parameter) -> &'static str {
    match p {
        Parameter::Query { .. } => "query",
        Parameter::Header { .. } => "header",
        Parameter::Path { .. } => "path",
        Parameter::Cookie { .. } => "cookie",
    }
}

/// Header names are case-insensitive; others are compared as written.
fn same_name(a: &Parameter, b: &Parameter) -> bool {
    let (x, y) = (&a.parameter_data_ref().name, &b.parameter_data_ref().name);
    if matches!(a, Parameter::Header { .. }) || matches!(b, Parameter::Header { .. }) {
        x.eq_ignore_ascii_case(y)
    } else {
        x == y
    }
}

fn parameters<'a>(old: &Op<'a>, new: &Op<'a>, walk: &mut Walk<'a, '_>) {
    let id = new.id.clone();
    let old_params = params(walk.old, old);
    let new_params = params(walk.new, new);
    let mut new_left: Vec<bool> = vec![true; new_params.len()];
    let mut pairs = Vec::new();
    let mut old_left = Vec::new();
    // Same name and location first, then the same name elsewhere (moved).
    for o in &old_params {
        let found = (0..new_params.len()).find(|&j| {
            new_left[j] && same_name(o, new_params[j]) && location(o) == location(new_params[j])
        });
        match found {
            Some(j) => {
                new_left[j] = false;
                pairs.push((*o, new_params[j]));
            }
            None => old_left.push(*o),
        }
    }
    for o in old_left {
        let name = &o.parameter_data_ref().name;
        let subject = format!("{id}({name})");
        match (0..new_params.len()).find(|&j| new_left[j] && same_name(o, new_params[j])) {
            Some(j) => {
                new_left[j] = false;
                walk.out.push(
                    Class::Breaking,
                    "parameter-moved",
                    &subject,
                    format!(
                        "parameter moved from {} to {}: requests built from the old spec send it in the wrong place",
                        location(o),
                        location(new_params[j])
                    ),
                    None,
                );
                pairs.push((o, new_params[j]));
            }
            None => walk.out.push(
                Class::Breaking,
                "parameter-removed",
                &subject,
                format!(
                    "{} parameter removed: its builder setter goes away",
                    location(o)
                ),
                None,
            ),
        }
    }
    for (o, n) in pairs {
        let (od, nd) = (o.parameter_data_ref(), n.parameter_data_ref());
        let subject = format!("{id}({})", nd.name);
        match (od.required, nd.required) {
            (false, true) => walk.out.push(
                Class::Breaking,
                "parameter-required",
                &subject,
                format!(
                    "{} parameter is now required: calls that do not set it fail",
                    location(n)
                ),
                None,
            ),
            (true, false) => walk.out.push(
                Class::NonBreaking,
                "parameter-optional",
                &subject,
                format!("{} parameter is now optional", location(n)),
                None,
            ),
            _ => {}
        }
        if let (ParameterSchemaOrContent::Schema(os), ParameterSchemaOrContent::Schema(ns)) =
            (&od.format, &nd.format)
        {
            walk.dir = Dir::Request;
            walk.schema(Node::from(os), Node::from(ns), &subject, true);
        }
    }
    for (j, n) in new_params.iter().enumerate().filter(|(j, _)| new_left[*j]) {
        let _ = j;
        let nd = n.parameter_data_ref();
        let subject = format!("{id}({})", nd.name);
        if nd.required {
            walk.out.push(
                Class::Breaking,
                "parameter-added-required",
                &subject,
                format!(
                    "new required {} parameter: existing calls do not set it",
                    location(n)
                ),
                None,
            );
        } else {
            walk.out.push(
                Class::NonBreaking,
                "parameter-added",
                &subject,
                format!("new optional {} parameter", location(n)),
                None,
            );
        }
    }
}

/// The single media type of a body or response (the house rules allow one), with
/// `application/*+json` read as JSON like the generator does.
fn media(content: &openapiv3::Content) -> Option<(String, &MediaType)> {
    let (name, media) = content.iter().next()?;
    let name = if marketplace_codegen::spec::is_json_media_type(name) {
        "application/json".to_owned()
    } else {
        name.clone()
    };
    Some((name, media))
}

fn request_body<'a>(old: &Op<'a>, new: &Op<'a>, walk: &mut Walk<'a, '_>) {
    let id = new.id.clone();
    let subject = format!("{id} body");
    let o = old
        .op
        .request_body
        .as_ref()
        .and_then(|b| follow(walk.old, b));
    let n = new
        .op
        .request_body
        .as_ref()
        .and_then(|b| follow(walk.new, b));
    let (o, n) = match (o, n) {
        (None, None) => return,
        (Some(_), None) => {
            walk.out.push(
                Class::Breaking,
                "request-body-removed",
                &subject,
                "request body removed: the `body` setter goes away".to_owned(),
                None,
            );
            return;
        }
        (None, Some(n)) => {
            let (class, rule, what) = if n.required {
                (Class::Breaking, "request-body-added-required", "required")
            } else {
                (Class::NonBreaking, "request-body-added", "optional")
            };
            walk.out.push(
                class,
                rule,
                &subject,
                format!("new {what} request body"),
                None,
            );
            return;
        }
        (Some(o), Some(n)) => (o, n),
    };
    match (o.required, n.required) {
        (false, true) => walk.out.push(
            Class::Breaking,
            "request-body-required",
            &subject,
            "the request body is now required".to_owned(),
            None,
        ),
        (true, false) => walk.out.push(
            Class::NonBreaking,
            "request-body-optional",
            &subject,
            "the request body is now optional".to_owned(),
            None,
        ),
        _ => {}
    }
    let (Some((om, omedia)), Some((nm, nmedia))) = (media(&o.content), media(&n.content)) else {
        return;
    };
    if om != nm {
        walk.out.push(
            Class::Breaking,
            "request-media-type-changed",
            &subject,
            format!("the request body is now `{nm}` (was `{om}`)"),
            None,
        );
        return;
    }
    if let (Some(os), Some(ns)) = (&omedia.schema, &nmedia.schema) {
        walk.dir = Dir::Request;
        walk.schema(Node::from(os), Node::from(ns), &subject, true);
    }
}

fn is_success(code: &StatusCode) -> bool {
    match code {
        StatusCode::Code(c) => (200..300).contains(c),
        StatusCode::Range(r) => *r == 2,
    }
}

/// Success or error side of an operation's responses.
struct Side<'a> {
    statuses: Vec<String>,
    /// The first documented body of that side (the house rules make them all equal).
    body: Option<(String, &'a openapiv3::ReferenceOr<openapiv3::Schema>)>,
}

fn side<'a>(api: &'a OpenAPI, op: &'a Operation, success: bool) -> Side<'a> {
    let mut statuses = Vec::new();
    let mut body = None;
    let default = op.responses.default.as_ref().filter(|_| !success);
    let coded = op
        .responses
        .responses
        .iter()
        .filter(|(code, _)| is_success(code) == success)
        .map(|(code, r)| (code.to_string(), r));
    for (code, response) in coded.chain(default.map(|r| ("default".to_owned(), r))) {
        statuses.push(code);
        let Some(response) = follow(api, response) else {
            continue;
        };
        if body.is_none()
            && let Some((media_type, media)) = media(&response.content)
            && let Some(schema) = &media.schema
        {
            body = Some((media_type, schema));
        }
    }
    Side { statuses, body }
}

fn responses<'a>(old: &Op<'a>, new: &Op<'a>, walk: &mut Walk<'a, '_>) {
    let id = new.id.clone();
    for success in [true, false] {
        let o = side(walk.old, old.op, success);
        let n = side(walk.new, new.op, success);
        let removed: Vec<&String> = o
            .statuses
            .iter()
            .filter(|s| !n.statuses.contains(s))
            .collect();
        let added: Vec<&String> = n
            .statuses
            .iter()
            .filter(|s| !o.statuses.contains(s))
            .collect();
        let (kind, subject) = if success {
            ("success", format!("{id} response"))
        } else {
            ("error", format!("{id} error"))
        };
        // The generated clients accept any 2xx as success (decoded with the one
        // success schema), so which 2xx the spec documents changes no behaviour.
        if success && !removed.is_empty() {
            walk.out.push(
                Class::NonBreaking,
                "success-status-changed",
                &subject,
                format!(
                    "success status {} is now {}: documentation only, any 2xx is success",
                    list(&o.statuses),
                    list(&n.statuses),
                ),
                None,
            );
        } else if success && !added.is_empty() {
            walk.out.push(
                Class::NonBreaking,
                "success-status-added",
                &subject,
                format!(
                    "new success status {}: documentation only, any 2xx is success",
                    list(&added)
                ),
                None,
            );
        } else if !success && (!removed.is_empty() || !added.is_empty()) {
            let mut parts = Vec::new();
            if !added.is_empty() {
                parts.push(format!("{} documented", list(&added)));
            }
            if !removed.is_empty() {
                parts.push(format!(
                    "{} no longer documented (reported as an unexpected response)",
                    list(&removed)
                ));
            }
            walk.out.push(
                Class::NonBreaking,
                "error-status-changed",
                &subject,
                format!("error statuses: {}", parts.join("; ")),
                None,
            );
        }

        let rule = if success {
            "success-schema-changed"
        } else {
            "error-schema-changed"
        };
        match (o.body, n.body) {
            (None, None) => {}
            (Some((_, os)), None) => walk.out.push(
                Class::Breaking,
                rule,
                &subject,
                format!(
                    "the {kind} response no longer has a body (was {}): the Rust type changes",
                    type_name(os)
                ),
                None,
            ),
            (None, Some((_, ns))) => walk.out.push(
                Class::Breaking,
                rule,
                &subject,
                format!(
                    "the {kind} response now has a body, {}: the Rust type changes",
                    type_name(ns)
                ),
                None,
            ),
            (Some((om, os)), Some((nm, ns))) => {
                if om != nm {
                    walk.out.push(
                        Class::Breaking,
                        "response-media-type-changed",
                        &subject,
                        format!("the {kind} response is now `{nm}` (was `{om}`)"),
                        None,
                    );
                    continue;
                }
                if type_name(os) != type_name(ns) {
                    walk.out.push(
                        Class::Breaking,
                        rule,
                        &subject,
                        format!(
                            "the {kind} schema is now {} (was {}): the Rust type changes",
                            type_name(ns),
                            type_name(os)
                        ),
                        None,
                    );
                }
                walk.dir = Dir::Response;
                walk.schema(Node::from(os), Node::from(ns), &subject, false);
            }
        }
    }
}

fn type_name(schema: &openapiv3::ReferenceOr<openapiv3::Schema>) -> String {
    match schema {
        openapiv3::ReferenceOr::Reference { reference } => {
            format!("`{}`", schema_name(reference).unwrap_or(reference))
        }
        openapiv3::ReferenceOr::Item(_) => "an inline schema".into(),
    }
}
