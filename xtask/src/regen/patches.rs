//! Docker-specific corrections applied after conversion.
//!
//! Each patch is a named function with a comment saying what upstream gets
//! wrong and for which API versions. It returns how many sites it changed;
//! a patch that changes nothing inside its version range is an error naming
//! it, so an upgrade shows which patches have become obsolete.

use anyhow::{bail, Context, Result};
use serde_json::{json, Map, Value};

use super::convert::{effective_produces, wrap_ref_with_siblings};

/// An Engine API version, `(major, minor)`.
pub type ApiVersion = (u32, u32);

/// What a patch sees: the converted document it edits and the upstream input
/// (for facts the conversion drops, such as a schema-less response's media
/// types).
pub struct Ctx<'a> {
    pub spec: &'a mut Value,
    pub swagger: &'a Value,
    pub version: ApiVersion,
}

/// One correction, applied to API versions `since..=until`.
pub struct Patch {
    pub name: &'static str,
    pub since: ApiVersion,
    pub until: Option<ApiVersion>,
    pub apply: fn(&mut Ctx<'_>) -> Result<usize>,
}

/// Every patch, in the order applied.
pub const PATCHES: &[Patch] = &[
    Patch {
        name: "single_request_content_type",
        since: (1, 41),
        until: None,
        apply: single_request_content_type,
    },
    Patch {
        name: "json_only_error_responses",
        since: (1, 41),
        until: None,
        apply: json_only_error_responses,
    },
    Patch {
        name: "non_json_success_as_stream",
        since: (1, 41),
        until: None,
        apply: non_json_success_as_stream,
    },
    Patch {
        name: "json_lines_as_stream",
        since: (1, 41),
        until: None,
        apply: json_lines_as_stream,
    },
    Patch {
        name: "one_success_kind",
        since: (1, 41),
        until: None,
        apply: one_success_kind,
    },
    Patch {
        name: "nullable_collections",
        since: (1, 41),
        until: None,
        apply: nullable_collections,
    },
    Patch {
        name: "drop_schema_defaults",
        since: (1, 41),
        until: None,
        apply: drop_schema_defaults,
    },
    Patch {
        name: "plain_date_time_strings",
        since: (1, 41),
        until: None,
        apply: plain_date_time_strings,
    },
    Patch {
        name: "drop_string_constraints",
        since: (1, 41),
        until: None,
        apply: drop_string_constraints,
    },
    Patch {
        name: "nullable_changes_response",
        since: (1, 41),
        until: None,
        apply: nullable_changes_response,
    },
    Patch {
        name: "undocumented_builder_size",
        since: (1, 41),
        until: None,
        apply: undocumented_builder_size,
    },
    Patch {
        name: "open_model_enums",
        since: (1, 41),
        until: None,
        apply: open_model_enums,
    },
];

/// One line of the patch log: a patch and how many sites it changed, or
/// `None` when the API version is outside its range.
pub type LogEntry = (&'static str, Option<usize>);

/// Applies every patch in range, failing on the first that no longer applies.
pub fn apply_all(spec: &mut Value, swagger: &Value, version: ApiVersion) -> Result<Vec<LogEntry>> {
    let mut log = Vec::new();
    for patch in PATCHES {
        let in_range = version >= patch.since && patch.until.is_none_or(|until| version <= until);
        if !in_range {
            log.push((patch.name, None));
            continue;
        }
        let mut ctx = Ctx {
            spec,
            swagger,
            version,
        };
        let sites = (patch.apply)(&mut ctx).with_context(|| {
            format!(
                "patch `{}` failed on API v{}.{}",
                patch.name, version.0, version.1
            )
        })?;
        if sites == 0 {
            bail!(
                "patch `{}` no longer applies to API v{}.{}: it changed nothing; \
                 check whether upstream fixed it and narrow its version range",
                patch.name,
                version.0,
                version.1
            );
        }
        log.push((patch.name, Some(sites)));
    }
    Ok(log)
}

const HTTP_METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch"];

/// A binary body: the only request schema progenitor accepts for
/// `application/octet-stream`, and what it turns a response into a byte
/// stream for.
fn binary() -> Value {
    json!({ "type": "string", "format": "binary" })
}

/// Calls `f(path, method, operation)` for every operation in the document.
fn for_each_operation(
    spec: &mut Value,
    mut f: impl FnMut(&str, &str, &mut Map<String, Value>) -> Result<()>,
) -> Result<()> {
    let paths = spec
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .context("no `paths`")?;
    for (path, item) in paths.iter_mut() {
        let item = item.as_object_mut().context("path item is not a map")?;
        for (method, op) in item.iter_mut() {
            if HTTP_METHODS.contains(&method.as_str()) {
                let op = op.as_object_mut().context("operation is not a map")?;
                f(path, method, op)?;
            }
        }
    }
    Ok(())
}

/// The operation with `operationId == id`, or an error naming it.
fn operation_mut<'a>(spec: &'a mut Value, id: &str) -> Result<&'a mut Map<String, Value>> {
    let paths = spec
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .context("no `paths`")?;
    paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
        .filter_map(Value::as_object_mut)
        .find(|op| op.get("operationId").and_then(Value::as_str) == Some(id))
        .with_context(|| format!("operation `{id}` not found"))
}

/// The upstream (Swagger) operation with `operationId == id`.
fn swagger_operation<'a>(swagger: &'a Value, id: &str) -> Result<&'a Value> {
    swagger
        .get("paths")
        .and_then(Value::as_object)
        .context("no `paths` upstream")?
        .values()
        .filter_map(Value::as_object)
        .flat_map(|item| item.values())
        .find(|op| op.get("operationId").and_then(Value::as_str) == Some(id))
        .with_context(|| format!("upstream operation `{id}` not found"))
}

fn op_id(op: &Map<String, Value>) -> &str {
    op.get("operationId").and_then(Value::as_str).unwrap_or("?")
}

fn is_success(status: &str) -> bool {
    status.starts_with('2')
}

fn is_error(status: &str) -> bool {
    status.starts_with('4') || status.starts_with('5') || status == "default"
}

/// Upstream lists every media type an operation accepts (and the document
/// default adds `text/plain` to all of them), but progenitor takes exactly
/// one request-body content type and rejects `application/x-tar`
/// (ContainerCreate, PutContainerArchive, ImageCreate, ImageLoad, the
/// swarm/secret/config/plugin updates, …). Object bodies keep
/// `application/json`; string bodies (tar archives, image tarballs) become a
/// binary `application/octet-stream`. All versions.
fn single_request_content_type(ctx: &mut Ctx<'_>) -> Result<usize> {
    let mut sites = 0;
    for_each_operation(ctx.spec, |_, _, op| {
        let id = op_id(op).to_owned();
        let Some(content) = op
            .get_mut("requestBody")
            .and_then(|b| b.get_mut("content"))
            .and_then(Value::as_object_mut)
        else {
            return Ok(());
        };
        let schema = content
            .values()
            .next()
            .and_then(|m| m.get("schema"))
            .cloned()
            .with_context(|| format!("{id}: request body without schema"))?;
        let is_string = schema.get("type").and_then(Value::as_str) == Some("string");
        let (media, schema) = if is_string {
            ("application/octet-stream", binary())
        } else if content.contains_key("application/json") {
            ("application/json", schema)
        } else {
            bail!("{id}: object request body without application/json");
        };
        let wanted = Map::from_iter([(media.to_owned(), json!({ "schema": schema }))]);
        if *content != wanted {
            *content = wanted;
            sites += 1;
        }
        Ok(())
    })?;
    Ok(sites)
}

/// The daemon answers every error with a JSON `{"message": …}`, but upstream
/// attaches the operation's success media types (`text/plain`, tar, raw
/// streams) to error responses too, which progenitor would treat as raw
/// bytes (or, for SystemPing and the stream endpoints, as the only media
/// type, leaving the error untyped). Each error response with a schema gets
/// exactly that schema as `application/json`. All versions.
fn json_only_error_responses(ctx: &mut Ctx<'_>) -> Result<usize> {
    let mut sites = 0;
    for_each_operation(ctx.spec, |_, _, op| {
        let id = op_id(op).to_owned();
        let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
            return Ok(());
        };
        for (status, response) in responses.iter_mut() {
            if !is_error(status) {
                continue;
            }
            let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) else {
                continue;
            };
            let media = match content.get("application/json") {
                Some(json) => json.clone(),
                None => content
                    .values()
                    .next()
                    .cloned()
                    .with_context(|| format!("{id} {status}: empty content"))?,
            };
            let wanted = Map::from_iter([("application/json".to_owned(), media)]);
            if *content != wanted {
                *content = wanted;
                sites += 1;
            }
        }
        Ok(())
    })?;
    Ok(sites)
}

/// Success bodies that are not JSON (raw and multiplexed streams, tar
/// archives, `text/plain`) must reach the caller as a byte stream. Upstream
/// gives many of them no schema (ContainerExport, ContainerArchive,
/// ExecStart, ContainerAttach), which progenitor reads as "no body" and
/// drops; others have a schema in a media type progenitor cannot decode
/// (SystemPing's `text/plain`, the v1.52+ event stream); and up to some
/// version the log endpoints declare a binary string under the document's
/// default `application/json`, which progenitor would try to parse as JSON.
/// Each such 2xx response becomes a binary body in each of its upstream
/// non-JSON media types (else `application/octet-stream`), which progenitor
/// returns as a `ByteStream` with the response headers (SystemPing's
/// `Api-Version`). All versions.
fn non_json_success_as_stream(ctx: &mut Ctx<'_>) -> Result<usize> {
    let swagger = ctx.swagger;
    let mut sites = 0;
    for_each_operation(ctx.spec, |_, _, op| {
        let id = op_id(op).to_owned();
        let upstream = swagger_operation(swagger, &id)?;
        let produces = effective_produces(swagger, upstream)?;
        let produces_json = produces.iter().any(|m| m == "application/json");
        let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
            return Ok(());
        };
        for (status, response) in responses.iter_mut() {
            if !is_success(status) || status == "204" {
                continue;
            }
            let response = response.as_object_mut().context("response is not a map")?;
            let binary_json = response
                .get("content")
                .and_then(|c| c.pointer("/application~1json/schema"))
                == Some(&binary());
            if produces_json && !binary_json {
                continue;
            }
            // A schema-less `text/plain` answer (ContainerResize) is empty.
            let schema_less = response.get("content").is_none();
            if schema_less && produces.iter().all(|m| m == "text/plain") {
                continue;
            }
            let mut media: Vec<&str> = produces
                .iter()
                .map(String::as_str)
                .filter(|m| !produces_json || *m != "text/plain")
                .filter(|m| *m != "application/json")
                .collect();
            if media.is_empty() {
                media.push("application/octet-stream");
            }
            let content: Map<String, Value> = media
                .into_iter()
                .map(|m| (m.to_owned(), json!({ "schema": binary() })))
                .collect();
            if response.get("content") != Some(&Value::Object(content.clone())) {
                response.insert("content".into(), Value::Object(content));
                sites += 1;
            }
        }
        Ok(())
    })?;
    Ok(sites)
}

/// Operations that answer with a stream of JSON objects (progress, events,
/// stats) while upstream declares a single `application/json` value or no
/// body at all. Progenitor would buffer the whole stream and fail to decode
/// it, or drop it. The success response becomes a binary
/// `application/x-ndjson` body at status 200 (PluginPull and PluginUpgrade
/// declare 204, but the daemon streams their progress with 200).
/// Each entry is `(operation, last API version it applies to)`.
const JSON_LINES: &[(&str, Option<ApiVersion>)] = &[
    // v1.52 declared the event stream's JSON-lines media types.
    ("SystemEvents", Some((1, 51))),
    ("ImageCreate", None),
    ("ImageBuild", None),
    ("ImagePush", None),
    ("ImageLoad", None),
    ("ContainerStats", None),
    ("PluginPull", None),
    ("PluginUpgrade", None),
    ("PluginPush", None),
];

/// See [`JSON_LINES`]. All versions (per-operation ranges in the table).
fn json_lines_as_stream(ctx: &mut Ctx<'_>) -> Result<usize> {
    let mut sites = 0;
    for (id, until) in JSON_LINES {
        if until.is_some_and(|until| ctx.version > until) {
            continue;
        }
        let op = operation_mut(ctx.spec, id)?;
        let responses = op
            .get_mut("responses")
            .and_then(Value::as_object_mut)
            .with_context(|| format!("{id}: no responses"))?;
        let status = responses
            .keys()
            .find(|s| is_success(s))
            .cloned()
            .with_context(|| format!("{id}: no success response"))?;
        let mut response = responses.shift_remove(&status).unwrap_or_default();
        let is_json = response
            .get("content")
            .and_then(Value::as_object)
            .is_none_or(|c| c.contains_key("application/json"));
        if !is_json {
            bail!("{id}: success response is no longer JSON; drop it from JSON_LINES");
        }
        response["content"] = json!({ "application/x-ndjson": { "schema": binary() } });
        responses.insert("200".into(), response);
        sites += 1;
    }
    Ok(sites)
}

/// Progenitor requires all success responses of an operation to have one
/// kind (typed, empty, stream or upgrade). Upstream lists both the 101
/// upgrade and a plain 200 for the attach endpoints (the client always asks
/// to upgrade, so 101 is kept), and both a typed 200 and an empty 204 for
/// SystemAuth (the daemon answers 200 with a body). All versions.
const ONE_SUCCESS: &[(&str, &str)] = &[
    ("ContainerAttach", "101"),
    ("ContainerAttachWebsocket", "101"),
    ("SystemAuth", "200"),
];

/// See [`ONE_SUCCESS`].
fn one_success_kind(ctx: &mut Ctx<'_>) -> Result<usize> {
    let mut sites = 0;
    for (id, keep) in ONE_SUCCESS {
        let responses = operation_mut(ctx.spec, id)?
            .get_mut("responses")
            .and_then(Value::as_object_mut)
            .with_context(|| format!("{id}: no responses"))?;
        if !responses.contains_key(*keep) {
            bail!("{id}: no {keep} response to keep");
        }
        let before = responses.len();
        responses.retain(|status, _| status == keep || !(is_success(status) || status == "101"));
        if responses.len() == before {
            bail!("{id}: already has a single success response");
        }
        sites += before - responses.len();
    }
    Ok(sites)
}

/// dockerd encodes empty Go slices and maps as `null` (container list
/// `Mounts`, image inspect `RepoDigests`, volume and network lists against a
/// 20.10 daemon, …), but upstream marks almost none of those properties
/// `x-nullable`, so a strict decoder fails. Every array or map property (or
/// reference to an array or map schema) becomes nullable. All versions.
fn nullable_collections(ctx: &mut Ctx<'_>) -> Result<usize> {
    let schemas = ctx
        .spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .context("no components")?;
    let collections: Vec<String> = schemas
        .iter()
        .filter(|(_, s)| is_collection(s))
        .map(|(name, _)| format!("#/components/schemas/{name}"))
        .collect();
    let mut sites = 0;
    walk_schemas(ctx.spec, &mut |schema| {
        let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
            return;
        };
        for prop in props.values_mut() {
            let Some(map) = prop.as_object_mut() else {
                continue;
            };
            if map.get("nullable") == Some(&Value::Bool(true)) {
                continue;
            }
            let referenced = map
                .get("$ref")
                .and_then(Value::as_str)
                .is_some_and(|r| collections.iter().any(|c| c == r));
            if is_collection(prop) || referenced {
                let mut map = std::mem::take(prop.as_object_mut().expect("checked above"));
                map.insert("nullable".into(), json!(true));
                *prop = wrap_ref_with_siblings(map);
                sites += 1;
            }
        }
    });
    Ok(sites)
}

/// An array, or an object that is a map (no fixed `properties`).
fn is_collection(schema: &Value) -> bool {
    match schema.get("type").and_then(Value::as_str) {
        Some("array") => true,
        Some("object") => schema.get("properties").is_none(),
        _ => false,
    }
}

/// Upstream gives many request fields a `default` (`AttachStdout: true`,
/// `Tty: false`, …) documenting the daemon's behaviour when the field is
/// absent. Typify turns a default into a plain field that is always sent,
/// so "absent" could not be expressed and the client would override daemon
/// and image defaults. Defaults are dropped from every schema outside
/// parameters (query parameter defaults stay: they only become `Option`).
/// All versions.
fn drop_schema_defaults(ctx: &mut Ctx<'_>) -> Result<usize> {
    let mut sites = 0;
    walk_schemas(ctx.spec, &mut |schema| {
        if let Some(map) = schema.as_object_mut() {
            if map.shift_remove("default").is_some() {
                sites += 1;
            }
        }
    });
    Ok(sites)
}

/// Upstream marks a few timestamps `format: date-time` (most are the
/// non-standard `dateTime`, read as plain strings). Typify maps `date-time`
/// to `chrono::DateTime`, which would add chrono to the library for a
/// handful of fields and reject the zero time some daemons send. Timestamps
/// stay strings. All versions (one site in v1.41, more later).
fn plain_date_time_strings(ctx: &mut Ctx<'_>) -> Result<usize> {
    let mut sites = 0;
    walk_schemas(ctx.spec, &mut |schema| {
        if let Some(map) = schema.as_object_mut() {
            if map.get("format").and_then(Value::as_str) == Some("date-time") {
                map.shift_remove("format");
                sites += 1;
            }
        }
    });
    Ok(sites)
}

/// Upstream puts `pattern`/`minLength`/`maxLength` on a few strings. Typify
/// turns each into a validating newtype (needing the `regress` crate),
/// which rejects values only the daemon should judge and makes those fields
/// awkward to build (ContainerCreate's `name` parameter among them). The
/// constraints are dropped, in parameters too. All versions.
fn drop_string_constraints(ctx: &mut Ctx<'_>) -> Result<usize> {
    let mut sites = 0;
    let mut drop = |schema: &mut Value| {
        if let Some(map) = schema.as_object_mut() {
            for key in ["pattern", "minLength", "maxLength"] {
                if map.shift_remove(key).is_some() {
                    sites += 1;
                }
            }
        }
    };
    walk_schemas(ctx.spec, &mut drop);
    for_each_operation(ctx.spec, |_, _, op| {
        let params = op.get_mut("parameters").and_then(Value::as_array_mut);
        for param in params.into_iter().flatten() {
            if let Some(schema) = param.get_mut("schema") {
                walk_schema(schema, &mut drop);
            }
        }
        Ok(())
    })?;
    Ok(sites)
}

/// ContainerChanges answers `null`, not `[]`, for a container whose
/// filesystem has not changed (the daemon encodes a nil slice), but upstream
/// declares a plain array, so the empty answer fails to decode. The 200
/// schema becomes nullable. All versions.
fn nullable_changes_response(ctx: &mut Ctx<'_>) -> Result<usize> {
    let op = operation_mut(ctx.spec, "ContainerChanges")?;
    let schema = op
        .get_mut("responses")
        .and_then(|responses| responses.get_mut("200"))
        .and_then(|ok| ok.pointer_mut("/content/application~1json/schema"))
        .and_then(Value::as_object_mut)
        .context("ContainerChanges has no JSON 200 schema")?;
    if schema.get("type") != Some(&json!("array")) {
        bail!("ContainerChanges' 200 schema is no longer an array");
    }
    schema.insert("nullable".into(), json!(true));
    Ok(1)
}

/// `/system/df` answers carry `BuilderSize` (dockerd 20.10 sends it, 0,
/// on every call; later ones leave it out when empty), which no API
/// definition from 1.41 on lists, so the models would drop it. The 200
/// schema gets it as an optional integer, with a note in the form the fold
/// step writes. All versions.
fn undocumented_builder_size(ctx: &mut Ctx<'_>) -> Result<usize> {
    let op = operation_mut(ctx.spec, "SystemDataUsage")?;
    let properties = op
        .get_mut("responses")
        .and_then(|responses| responses.get_mut("200"))
        .and_then(|ok| ok.pointer_mut("/content/application~1json/schema/properties"))
        .and_then(Value::as_object_mut)
        .context("SystemDataUsage has no JSON 200 schema with properties")?;
    if properties.contains_key("BuilderSize") {
        return Ok(0);
    }
    let note = format!(
        "{}1.41 and later, though no API definition lists it (deprecated).",
        super::fold::NOTE_PREFIX
    );
    properties.insert(
        "BuilderSize".into(),
        json!({ "type": "integer", "format": "int64", "description": note }),
    );
    Ok(1)
}

/// Upstream declares closed `enum`s on model fields (container state,
/// health status, mount type, restart policy, change kind, …), which typify
/// turns into Rust enums that reject any other value. Daemons newer than the
/// spec add values (e.g. mount type `image`, v1.48), and other engines such
/// as Podman send their own, so a strict enum would fail a whole inspect or
/// list over one field. Model enums become plain strings/integers; the
/// facade offers typed enums with an unknown-value variant where users want
/// them. Parameter enums (values we send) stay typed. All versions.
fn open_model_enums(ctx: &mut Ctx<'_>) -> Result<usize> {
    let mut sites = 0;
    walk_schemas(ctx.spec, &mut |schema| {
        if let Some(map) = schema.as_object_mut() {
            if map.shift_remove("enum").is_some() {
                sites += 1;
            }
        }
    });
    Ok(sites)
}

/// Calls `f` on every schema (and nested schema) in components, request
/// bodies and responses; parameter schemas are left out.
fn walk_schemas(spec: &mut Value, f: &mut impl FnMut(&mut Value)) {
    if let Some(schemas) = spec
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for schema in schemas.values_mut() {
            walk_schema(schema, f);
        }
    }
    let Some(paths) = spec.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut().filter_map(Value::as_object_mut) {
        for op in item.values_mut().filter_map(Value::as_object_mut) {
            let mut media: Vec<&mut Value> = Vec::new();
            for (key, value) in op.iter_mut() {
                match key.as_str() {
                    "requestBody" => media.extend(value.get_mut("content")),
                    "responses" => media.extend(
                        value
                            .as_object_mut()
                            .into_iter()
                            .flat_map(|r| r.values_mut())
                            .filter_map(|r| r.get_mut("content")),
                    ),
                    _ => {}
                }
            }
            for content in media {
                for m in content
                    .as_object_mut()
                    .into_iter()
                    .flat_map(|c| c.values_mut())
                {
                    if let Some(schema) = m.get_mut("schema") {
                        walk_schema(schema, f);
                    }
                }
            }
        }
    }
}

fn walk_schema(schema: &mut Value, f: &mut impl FnMut(&mut Value)) {
    f(schema);
    let Some(map) = schema.as_object_mut() else {
        return;
    };
    if let Some(props) = map.get_mut("properties").and_then(Value::as_object_mut) {
        for prop in props.values_mut() {
            walk_schema(prop, f);
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(child) = map.get_mut(key) {
            if child.is_object() {
                walk_schema(child, f);
            }
        }
    }
    if let Some(parts) = map.get_mut("allOf").and_then(Value::as_array_mut) {
        for part in parts {
            walk_schema(part, f);
        }
    }
}
