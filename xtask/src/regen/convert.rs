//! Swagger 2.0 → OpenAPI 3.0, over `serde_json::Value`.
//!
//! The conversion keeps the API's structure only: it copies the keywords it
//! knows (paths, operations, parameters, schemas, types, enums, required,
//! nullability) and drops prose (descriptions, summaries, examples, titles,
//! `x-go-*` hints). A keyword it does not know is an error rather than a
//! silent loss, so an upstream change in shape shows up at conversion time.

use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Map, Value};

/// Media type used when an operation declares no `consumes`/`produces`.
const JSON: &str = "application/json";

/// Keywords copied verbatim from a Swagger schema into an OpenAPI schema.
const SCHEMA_COPY: &[&str] = &[
    "type",
    "format",
    "enum",
    "default",
    "required",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "readOnly",
];

/// Prose keywords dropped from schemas and parameters.
const PROSE: &[&str] = &[
    "description",
    "title",
    "example",
    "examples",
    "externalDocs",
    "summary",
    "xml",
];

/// Converts a Swagger 2.0 document into an OpenAPI 3.0.3 document.
pub fn convert(swagger: &Value) -> Result<Value> {
    let root = swagger
        .as_object()
        .context("the input is not a YAML mapping")?;
    if root.get("swagger").and_then(Value::as_str) != Some("2.0") {
        bail!("the input is not a Swagger 2.0 document (no `swagger: \"2.0\"`)");
    }
    for key in root.keys() {
        let known = [
            "swagger",
            "schemes",
            "produces",
            "consumes",
            "basePath",
            "host",
            "info",
            "tags",
            "definitions",
            "paths",
        ];
        if !known.contains(&key.as_str()) && !key.starts_with("x-") {
            bail!("unsupported top-level Swagger key `{key}`");
        }
    }

    let info = root.get("info").context("missing `info`")?;
    let title = info.get("title").and_then(Value::as_str).unwrap_or("API");
    let version = info
        .get("version")
        .and_then(Value::as_str)
        .context("missing `info.version`")?;

    let defaults = MediaDefaults {
        consumes: media_list(root.get("consumes"))?,
        produces: media_list(root.get("produces"))?,
    };

    let mut schemas = Map::new();
    if let Some(defs) = root.get("definitions") {
        for (name, schema) in defs.as_object().context("`definitions` is not a map")? {
            let converted =
                convert_schema(schema).with_context(|| format!("in definition `{name}`"))?;
            schemas.insert(name.clone(), converted);
        }
    }

    let mut paths = Map::new();
    for (path, item) in root
        .get("paths")
        .and_then(Value::as_object)
        .context("missing `paths`")?
    {
        let converted =
            convert_path_item(item, &defaults).with_context(|| format!("in path `{path}`"))?;
        paths.insert(path.clone(), converted);
    }

    let mut out = Map::new();
    out.insert("openapi".into(), json!("3.0.3"));
    out.insert("info".into(), json!({ "title": title, "version": version }));
    if let Some(base) = root.get("basePath").and_then(Value::as_str) {
        out.insert("servers".into(), json!([{ "url": base }]));
    }
    out.insert("paths".into(), Value::Object(paths));
    out.insert("components".into(), json!({ "schemas": schemas }));
    Ok(Value::Object(out))
}

/// The document-wide `consumes` and `produces` lists.
struct MediaDefaults {
    consumes: Vec<String>,
    produces: Vec<String>,
}

/// Reads a `consumes`/`produces` list; `None` when the key is absent.
fn media_list(value: Option<&Value>) -> Result<Vec<String>> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    value
        .as_array()
        .context("media type list is not a sequence")?
        .iter()
        .map(|m| {
            m.as_str()
                .map(str::to_owned)
                .context("media type is not a string")
        })
        .collect()
}

/// The media types an operation produces: its own list, else the document's.
pub fn effective_produces(swagger_root: &Value, operation: &Value) -> Result<Vec<String>> {
    let own = media_list(operation.get("produces"))?;
    if !own.is_empty() {
        return Ok(own);
    }
    let global = media_list(swagger_root.get("produces"))?;
    Ok(if global.is_empty() {
        vec![JSON.to_owned()]
    } else {
        global
    })
}

fn convert_path_item(item: &Value, defaults: &MediaDefaults) -> Result<Value> {
    let item = item.as_object().context("path item is not a map")?;
    let shared_params = match item.get("parameters") {
        Some(p) => p.as_array().context("`parameters` is not a list")?.clone(),
        None => Vec::new(),
    };
    let mut out = Map::new();
    for (key, op) in item {
        match key.as_str() {
            "get" | "put" | "post" | "delete" | "options" | "head" | "patch" => {
                let converted = convert_operation(op, &shared_params, defaults)
                    .with_context(|| format!("in `{key}`"))?;
                out.insert(key.clone(), converted);
            }
            "parameters" => {}
            k if k.starts_with("x-") => {}
            k => bail!("unsupported path item key `{k}`"),
        }
    }
    Ok(Value::Object(out))
}

fn convert_operation(op: &Value, shared: &[Value], defaults: &MediaDefaults) -> Result<Value> {
    let op_map = op.as_object().context("operation is not a map")?;
    let mut out = Map::new();
    let mut consumes = media_list(op_map.get("consumes"))?;
    if consumes.is_empty() {
        consumes.clone_from(&defaults.consumes);
    }
    if consumes.is_empty() {
        consumes.push(JSON.to_owned());
    }
    let mut produces = media_list(op_map.get("produces"))?;
    if produces.is_empty() {
        produces.clone_from(&defaults.produces);
    }
    if produces.is_empty() {
        produces.push(JSON.to_owned());
    }

    for (key, value) in op_map {
        match key.as_str() {
            "operationId" | "deprecated" => {
                out.insert(key.clone(), value.clone());
            }
            "parameters" | "responses" | "consumes" | "produces" | "tags" => {}
            k if PROSE.contains(&k) || k.starts_with("x-") => {}
            k => bail!("unsupported operation key `{k}`"),
        }
    }
    if !out.contains_key("operationId") {
        bail!("operation without `operationId`");
    }

    let own_params = match op_map.get("parameters") {
        Some(p) => p
            .as_array()
            .context("`parameters` is not a list")?
            .as_slice(),
        None => &[],
    };
    let mut params = Vec::new();
    for param in shared.iter().chain(own_params) {
        let name = param.get("name").and_then(Value::as_str).unwrap_or("?");
        let location = param.get("in").and_then(Value::as_str).unwrap_or("?");
        if location == "body" {
            let body = convert_body(param, &consumes)
                .with_context(|| format!("in body parameter `{name}`"))?;
            out.insert("requestBody".into(), body);
        } else {
            let converted =
                convert_parameter(param).with_context(|| format!("in parameter `{name}`"))?;
            params.push(converted);
        }
    }
    if !params.is_empty() {
        out.insert("parameters".into(), Value::Array(params));
    }

    let responses = op_map
        .get("responses")
        .and_then(Value::as_object)
        .context("operation without `responses`")?;
    let mut out_responses = Map::new();
    for (status, response) in responses {
        if status.starts_with("x-") {
            continue;
        }
        let converted = convert_response(response, &produces)
            .with_context(|| format!("in response `{status}`"))?;
        out_responses.insert(status.clone(), converted);
    }
    out.insert("responses".into(), Value::Object(out_responses));
    Ok(Value::Object(out))
}

/// A `path`, `query` or `header` parameter: its type keywords move into
/// `schema`, and `collectionFormat` becomes `style`/`explode`.
fn convert_parameter(param: &Value) -> Result<Value> {
    let map = param.as_object().context("parameter is not a map")?;
    if map.contains_key("$ref") {
        bail!("parameter references are not supported");
    }
    let location = map
        .get("in")
        .and_then(Value::as_str)
        .context("parameter without `in`")?;
    if !matches!(location, "path" | "query" | "header") {
        bail!("unsupported parameter location `{location}`");
    }
    let mut out = Map::new();
    let mut schema = Map::new();
    for (key, value) in map {
        match key.as_str() {
            "name" | "in" => {
                out.insert(key.clone(), value.clone());
            }
            "required" => {
                out.insert(key.clone(), value.clone());
            }
            "collectionFormat" => match value.as_str() {
                Some("multi") => {
                    out.insert("style".into(), json!("form"));
                    out.insert("explode".into(), json!(true));
                }
                Some("csv") if location == "query" => {
                    out.insert("style".into(), json!("form"));
                    out.insert("explode".into(), json!(false));
                }
                Some("csv") => {}
                other => bail!("unsupported collectionFormat {other:?}"),
            },
            "allowEmptyValue" => {}
            "type" if value == "file" => bail!("`type: file` parameters are not supported"),
            k if PROSE.contains(&k) || k.starts_with("x-") => {}
            _ => {
                schema.insert(key.clone(), value.clone());
            }
        }
    }
    if location == "path" {
        out.insert("required".into(), json!(true));
    }
    out.insert(
        "schema".into(),
        convert_schema(&Value::Object(schema)).context("in parameter type")?,
    );
    Ok(Value::Object(out))
}

/// A `body` parameter becomes `requestBody`, one entry per consumed type.
fn convert_body(param: &Value, consumes: &[String]) -> Result<Value> {
    let schema = convert_schema(param.get("schema").context("body without `schema`")?)?;
    let content: Map<String, Value> = consumes
        .iter()
        .map(|media| (media.clone(), json!({ "schema": schema })))
        .collect();
    let required = param
        .get("required")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Ok(json!({ "required": required, "content": content }))
}

/// A response gets `content` (one entry per produced type) only where it has
/// a schema; response headers keep their types.
fn convert_response(response: &Value, produces: &[String]) -> Result<Value> {
    let map = response.as_object().context("response is not a map")?;
    let mut out = Map::new();
    out.insert("description".into(), json!(""));
    for (key, value) in map {
        match key.as_str() {
            "schema" => {
                let schema = convert_schema(value)?;
                let content: Map<String, Value> = produces
                    .iter()
                    .map(|media| (media.clone(), json!({ "schema": schema })))
                    .collect();
                out.insert("content".into(), Value::Object(content));
            }
            "headers" => {
                let mut headers = Map::new();
                for (name, header) in value.as_object().context("`headers` is not a map")? {
                    let schema =
                        convert_schema(header).with_context(|| format!("in header `{name}`"))?;
                    headers.insert(name.clone(), json!({ "schema": schema }));
                }
                out.insert("headers".into(), Value::Object(headers));
            }
            k if PROSE.contains(&k) || k.starts_with("x-") => {}
            k => bail!("unsupported response key `{k}`"),
        }
    }
    Ok(Value::Object(out))
}

/// Rewrites a `#/definitions/…` reference to `#/components/schemas/…`.
fn convert_ref(reference: &Value) -> Result<Value> {
    let reference = reference.as_str().context("`$ref` is not a string")?;
    let name = reference
        .strip_prefix("#/definitions/")
        .ok_or_else(|| anyhow!("unsupported reference `{reference}`"))?;
    Ok(json!(format!("#/components/schemas/{name}")))
}

/// Converts one schema: references move to `#/components/schemas`,
/// `x-nullable` becomes `nullable`, prose is dropped, and a `$ref` that keeps
/// sibling keywords is wrapped in `allOf` (OpenAPI 3.0 ignores `$ref`
/// siblings).
pub fn convert_schema(schema: &Value) -> Result<Value> {
    let map = schema.as_object().context("schema is not a map")?;
    let mut out = Map::new();
    for (key, value) in map {
        match key.as_str() {
            "$ref" => {
                out.insert(key.clone(), convert_ref(value)?);
            }
            "x-nullable" => {
                if value.as_bool().context("`x-nullable` is not a boolean")? {
                    out.insert("nullable".into(), json!(true));
                }
            }
            "items" => {
                if value.is_array() {
                    bail!("tuple `items` are not supported in OpenAPI 3.0");
                }
                out.insert(key.clone(), convert_schema(value).context("in `items`")?);
            }
            "properties" => {
                let mut props = Map::new();
                for (name, prop) in value.as_object().context("`properties` is not a map")? {
                    let converted =
                        convert_schema(prop).with_context(|| format!("in property `{name}`"))?;
                    props.insert(name.clone(), converted);
                }
                out.insert(key.clone(), Value::Object(props));
            }
            "additionalProperties" => {
                let converted = match value {
                    Value::Bool(_) => value.clone(),
                    _ => convert_schema(value).context("in `additionalProperties`")?,
                };
                out.insert(key.clone(), converted);
            }
            "allOf" => {
                let parts = value
                    .as_array()
                    .context("`allOf` is not a list")?
                    .iter()
                    .map(convert_schema)
                    .collect::<Result<Vec<_>>>()
                    .context("in `allOf`")?;
                out.insert(key.clone(), Value::Array(parts));
            }
            k if SCHEMA_COPY.contains(&k) => {
                out.insert(key.clone(), value.clone());
            }
            k if PROSE.contains(&k) || k.starts_with("x-") => {}
            k => bail!("unsupported schema keyword `{k}`"),
        }
    }
    Ok(wrap_ref_with_siblings(out))
}

/// OpenAPI 3.0 ignores every keyword beside `$ref`, so a reference that
/// carries other keywords (typically `nullable`) moves into `allOf`.
pub fn wrap_ref_with_siblings(mut schema: Map<String, Value>) -> Value {
    if schema.len() > 1 {
        if let Some(reference) = schema.remove("$ref") {
            schema.insert("allOf".into(), json!([{ "$ref": reference }]));
        }
    }
    Value::Object(schema)
}
