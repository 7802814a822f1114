//! Unit tests for the converter rules and each patch (small Swagger or
//! OpenAPI snippets in, expected output out), plus the freshness check that
//! keeps `spec/` in step with the upstream input.

use serde_json::{json, Value};

use super::convert::{convert, convert_schema};
use super::patches::{apply_all, ApiVersion, Ctx, PATCHES};

const V: ApiVersion = (1, 55);

/// A minimal Swagger document around `paths` and `definitions`.
fn swagger(paths: Value, definitions: Value) -> Value {
    json!({
        "swagger": "2.0",
        "basePath": "/v1.55",
        "info": { "title": "T", "version": "1.55", "description": "prose" },
        "consumes": ["application/json", "text/plain"],
        "produces": ["application/json", "text/plain"],
        "paths": paths,
        "definitions": definitions,
    })
}

/// Runs the patch called `name` on `spec`, returning its site count.
fn run_patch(name: &str, spec: &mut Value, upstream: &Value) -> anyhow::Result<usize> {
    let patch = PATCHES
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no patch {name}"));
    let mut ctx = Ctx {
        spec,
        swagger: upstream,
        version: V,
    };
    (patch.apply)(&mut ctx)
}

/// An OpenAPI document with one operation.
fn openapi_op(op: Value) -> Value {
    json!({
        "openapi": "3.0.3",
        "info": { "title": "T", "version": "1.55" },
        "paths": { "/x": { "post": op } },
        "components": { "schemas": {} },
    })
}

#[test]
fn references_move_to_components() {
    let out = convert_schema(&json!({ "$ref": "#/definitions/Mount" })).unwrap();
    assert_eq!(out, json!({ "$ref": "#/components/schemas/Mount" }));
}

#[test]
fn nullable_reference_is_wrapped_in_all_of() {
    let out = convert_schema(&json!({
        "$ref": "#/definitions/Health",
        "x-nullable": true,
        "description": "prose",
    }))
    .unwrap();
    assert_eq!(
        out,
        json!({ "allOf": [{ "$ref": "#/components/schemas/Health" }], "nullable": true })
    );
}

#[test]
fn prose_is_dropped_but_properties_named_like_prose_stay() {
    let out = convert_schema(&json!({
        "type": "object",
        "title": "prose",
        "description": "prose",
        "example": { "a": 1 },
        "x-go-name": "Thing",
        "properties": {
            "Description": { "type": "string", "description": "prose" },
            "description": { "type": "string" },
        },
    }))
    .unwrap();
    assert_eq!(
        out,
        json!({
            "type": "object",
            "properties": {
                "Description": { "type": "string" },
                "description": { "type": "string" },
            },
        })
    );
}

#[test]
fn unknown_schema_keyword_is_an_error() {
    let err = convert_schema(&json!({ "type": "string", "discriminator": "Kind" })).unwrap_err();
    assert!(err.to_string().contains("discriminator"), "{err}");
}

#[test]
fn parameter_type_moves_into_schema_and_multi_becomes_exploded_form() {
    let doc = swagger(
        json!({ "/images/{name}/push": { "post": {
            "operationId": "ImagePush",
            "parameters": [
                { "name": "name", "in": "path", "type": "string", "description": "prose" },
                { "name": "changes", "in": "query", "type": "array",
                  "items": { "type": "string" }, "collectionFormat": "multi" },
                { "name": "all", "in": "query", "type": "boolean", "default": false },
            ],
            "responses": { "200": { "description": "ok" } },
        } } }),
        json!({}),
    );
    let out = convert(&doc).unwrap();
    let params = &out["paths"]["/images/{name}/push"]["post"]["parameters"];
    assert_eq!(
        params,
        &json!([
            { "name": "name", "in": "path", "required": true, "schema": { "type": "string" } },
            { "name": "changes", "in": "query", "style": "form", "explode": true,
              "schema": { "type": "array", "items": { "type": "string" } } },
            { "name": "all", "in": "query", "schema": { "type": "boolean", "default": false } },
        ])
    );
}

#[test]
fn body_parameter_becomes_request_body_per_consumed_type() {
    let doc = swagger(
        json!({ "/containers/create": { "post": {
            "operationId": "ContainerCreate",
            "consumes": ["application/json", "application/octet-stream"],
            "parameters": [{ "name": "body", "in": "body", "required": true,
                             "schema": { "$ref": "#/definitions/Config" } }],
            "responses": { "201": { "description": "ok" } },
        } } }),
        json!({ "Config": { "type": "object" } }),
    );
    let out = convert(&doc).unwrap();
    let schema = json!({ "schema": { "$ref": "#/components/schemas/Config" } });
    assert_eq!(
        out["paths"]["/containers/create"]["post"]["requestBody"],
        json!({ "required": true, "content": {
            "application/json": schema,
            "application/octet-stream": schema,
        } })
    );
    assert_eq!(
        out["components"]["schemas"]["Config"],
        json!({ "type": "object" })
    );
}

#[test]
fn produces_becomes_content_only_where_a_schema_exists() {
    let doc = swagger(
        json!({ "/x": { "get": {
            "operationId": "X",
            "produces": ["application/json"],
            "responses": {
                "200": { "description": "ok", "schema": { "type": "string" },
                         "headers": { "Api-Version": { "type": "string", "description": "p" } } },
                "204": { "description": "empty" },
            },
        } } }),
        json!({}),
    );
    let out = convert(&doc).unwrap();
    assert_eq!(
        out["paths"]["/x"]["get"]["responses"],
        json!({
            "200": { "description": "",
                     "content": { "application/json": { "schema": { "type": "string" } } },
                     "headers": { "Api-Version": { "schema": { "type": "string" } } } },
            "204": { "description": "" },
        })
    );
    assert_eq!(out["servers"], json!([{ "url": "/v1.55" }]));
    assert_eq!(out["info"], json!({ "title": "T", "version": "1.55" }));
}

#[test]
fn single_request_content_type_keeps_json_for_objects_and_binary_for_strings() {
    let obj = json!({ "schema": { "type": "object" } });
    let tar = json!({ "schema": { "type": "string", "format": "binary" } });
    let mut spec = openapi_op(json!({
        "operationId": "Create",
        "requestBody": { "content": { "application/json": obj, "text/plain": obj } },
        "responses": {},
    }));
    spec["paths"]["/y"] = json!({ "put": {
        "operationId": "Load",
        "requestBody": { "content": { "application/x-tar": tar } },
        "responses": {},
    } });
    assert_eq!(
        run_patch("single_request_content_type", &mut spec, &json!({})).unwrap(),
        2
    );
    assert_eq!(
        spec["paths"]["/x"]["post"]["requestBody"]["content"],
        json!({ "application/json": obj })
    );
    assert_eq!(
        spec["paths"]["/y"]["put"]["requestBody"]["content"],
        json!({ "application/octet-stream": tar })
    );
}

#[test]
fn error_responses_become_json_only() {
    let err = json!({ "schema": { "$ref": "#/components/schemas/ErrorResponse" } });
    let mut spec = openapi_op(json!({
        "operationId": "SystemPing",
        "responses": {
            "200": { "description": "", "content": { "text/plain": { "schema": {} } } },
            "500": { "description": "", "content": { "text/plain": err } },
        },
    }));
    assert_eq!(
        run_patch("json_only_error_responses", &mut spec, &json!({})).unwrap(),
        1
    );
    let responses = &spec["paths"]["/x"]["post"]["responses"];
    assert_eq!(
        responses["500"]["content"],
        json!({ "application/json": err })
    );
    assert_eq!(
        responses["200"]["content"],
        json!({ "text/plain": { "schema": {} } })
    );
}

#[test]
fn non_json_success_becomes_a_binary_stream_even_without_schema() {
    let binary = json!({ "type": "string", "format": "binary" });
    let upstream = swagger(
        json!({
            "/export": { "get": {
                "operationId": "ContainerExport",
                "produces": ["application/octet-stream"],
                "responses": { "200": { "description": "ok" } },
            } },
            "/logs": { "get": {
                "operationId": "ContainerLogs",
                "responses": { "200": { "description": "ok", "schema": binary } },
            } },
            "/resize": { "post": {
                "operationId": "ContainerResize",
                "produces": ["text/plain"],
                "responses": { "200": { "description": "ok" } },
            } },
            "/ping": { "get": {
                "operationId": "SystemPing",
                "produces": ["text/plain"],
                "responses": { "200": { "description": "ok", "schema": { "type": "string" } } },
            } },
        }),
        json!({}),
    );
    let mut spec = convert(&upstream).unwrap();
    assert_eq!(
        run_patch("non_json_success_as_stream", &mut spec, &upstream).unwrap(),
        3
    );
    let content = |path: &str| spec["paths"][path]["get"]["responses"]["200"]["content"].clone();
    assert_eq!(
        content("/export"),
        json!({ "application/octet-stream": { "schema": binary } })
    );
    assert_eq!(
        content("/logs"),
        json!({ "application/octet-stream": { "schema": binary } })
    );
    assert_eq!(
        content("/ping"),
        json!({ "text/plain": { "schema": binary } })
    );
    assert_eq!(
        spec["paths"]["/resize"]["post"]["responses"]["200"],
        json!({ "description": "" })
    );
}

#[test]
fn json_lines_operations_stream_at_200_and_fail_when_missing() {
    let upstream = swagger(json!({}), json!({}));
    let mut spec = json!({ "paths": {} });
    let err = run_patch("json_lines_as_stream", &mut spec, &upstream).unwrap_err();
    assert!(err.to_string().contains("ImageCreate"), "{err}");

    let mut paths = serde_json::Map::new();
    for id in [
        "ImageCreate",
        "ImageBuild",
        "ImagePush",
        "ImageLoad",
        "ContainerStats",
        "PluginPull",
        "PluginUpgrade",
        "PluginPush",
    ] {
        paths.insert(
            format!("/{id}"),
            json!({ "post": { "operationId": id, "responses": { "204": { "description": "" } } } }),
        );
    }
    let mut spec = json!({ "paths": paths });
    assert_eq!(
        run_patch("json_lines_as_stream", &mut spec, &upstream).unwrap(),
        8
    );
    assert_eq!(
        spec["paths"]["/PluginPull"]["post"]["responses"],
        json!({ "200": { "description": "", "content": {
            "application/x-ndjson": { "schema": { "type": "string", "format": "binary" } }
        } } })
    );
}

#[test]
fn one_success_kind_keeps_the_named_status() {
    let mut spec = json!({ "paths": {
        "/a": { "post": { "operationId": "ContainerAttach", "responses": {
            "101": {}, "200": {}, "404": {} } } },
        "/w": { "get": { "operationId": "ContainerAttachWebsocket", "responses": {
            "101": {}, "200": {} } } },
        "/auth": { "post": { "operationId": "SystemAuth", "responses": {
            "200": {}, "204": {}, "500": {} } } },
    } });
    assert_eq!(
        run_patch("one_success_kind", &mut spec, &json!({})).unwrap(),
        3
    );
    assert_eq!(
        spec["paths"]["/a"]["post"]["responses"],
        json!({ "101": {}, "404": {} })
    );
    assert_eq!(
        spec["paths"]["/auth"]["post"]["responses"],
        json!({ "200": {}, "500": {} })
    );
}

#[test]
fn array_and_map_properties_become_nullable() {
    let mut spec = json!({ "paths": {}, "components": { "schemas": {
        "Labels": { "type": "object", "additionalProperties": { "type": "string" } },
        "Summary": { "type": "object", "properties": {
            "Names": { "type": "array", "items": { "type": "string" } },
            "Labels": { "$ref": "#/components/schemas/Labels" },
            "Id": { "type": "string" },
            "State": { "type": "object", "properties": { "Env": { "type": "array" } } },
        } },
    } } });
    assert_eq!(
        run_patch("nullable_collections", &mut spec, &json!({})).unwrap(),
        3
    );
    let props = &spec["components"]["schemas"]["Summary"]["properties"];
    assert_eq!(props["Names"]["nullable"], json!(true));
    assert_eq!(
        props["Labels"],
        json!({ "allOf": [{ "$ref": "#/components/schemas/Labels" }], "nullable": true })
    );
    assert_eq!(props["Id"], json!({ "type": "string" }));
    assert_eq!(props["State"]["properties"]["Env"]["nullable"], json!(true));
}

#[test]
fn schema_defaults_are_dropped_but_parameter_defaults_stay() {
    let mut spec = openapi_op(json!({
        "operationId": "ContainerCreate",
        "parameters": [{ "name": "all", "in": "query",
                         "schema": { "type": "boolean", "default": false } }],
        "requestBody": { "content": { "application/json": { "schema": {
            "type": "object",
            "properties": { "AttachStdout": { "type": "boolean", "default": true } },
        } } } },
        "responses": {},
    }));
    assert_eq!(
        run_patch("drop_schema_defaults", &mut spec, &json!({})).unwrap(),
        1
    );
    let op = &spec["paths"]["/x"]["post"];
    assert_eq!(
        op["requestBody"]["content"]["application/json"]["schema"]["properties"]["AttachStdout"],
        json!({ "type": "boolean" })
    );
    assert_eq!(op["parameters"][0]["schema"]["default"], json!(false));
}

#[test]
fn date_time_format_and_string_constraints_are_dropped() {
    let mut spec = openapi_op(json!({
        "operationId": "ContainerCreate",
        "parameters": [{ "name": "name", "in": "query",
                         "schema": { "type": "string", "pattern": "^/?[a-z]+$" } }],
        "responses": {},
    }));
    spec["components"]["schemas"]["Event"] = json!({ "type": "object", "properties": {
        "Created": { "type": "string", "format": "date-time" },
        "Id": { "type": "string", "minLength": 1, "maxLength": 64 },
    } });
    assert_eq!(
        run_patch("plain_date_time_strings", &mut spec, &json!({})).unwrap(),
        1
    );
    assert_eq!(
        run_patch("drop_string_constraints", &mut spec, &json!({})).unwrap(),
        3
    );
    assert_eq!(
        spec["components"]["schemas"]["Event"]["properties"],
        json!({ "Created": { "type": "string" }, "Id": { "type": "string" } })
    );
    assert_eq!(
        spec["paths"]["/x"]["post"]["parameters"][0]["schema"],
        json!({ "type": "string" })
    );
}

#[test]
fn container_changes_may_answer_null() {
    let mut spec = openapi_op(json!({
        "operationId": "ContainerChanges",
        "responses": { "200": { "description": "", "content": { "application/json": {
            "schema": { "type": "array", "items": { "type": "string" } } } } } },
    }));
    assert_eq!(
        run_patch("nullable_changes_response", &mut spec, &json!({})).unwrap(),
        1
    );
    let schema =
        &spec["paths"]["/x"]["post"]["responses"]["200"]["content"]["application/json"]["schema"];
    assert_eq!(schema["nullable"], json!(true));
}

#[test]
fn model_enums_open_but_parameter_enums_stay() {
    let mut spec = openapi_op(json!({
        "operationId": "ContainerWait",
        "parameters": [{ "name": "condition", "in": "query",
                         "schema": { "type": "string", "enum": ["not-running", "removed"] } }],
        "responses": {},
    }));
    spec["components"]["schemas"]["State"] = json!({ "type": "object", "properties": {
        "Status": { "type": "string", "enum": ["created", "running"] },
        "Kind": { "type": "integer", "enum": [0, 1, 2] },
    } });
    assert_eq!(
        run_patch("open_model_enums", &mut spec, &json!({})).unwrap(),
        2
    );
    assert_eq!(
        spec["components"]["schemas"]["State"]["properties"],
        json!({ "Status": { "type": "string" }, "Kind": { "type": "integer" } })
    );
    assert_eq!(
        spec["paths"]["/x"]["post"]["parameters"][0]["schema"]["enum"],
        json!(["not-running", "removed"])
    );
}

#[test]
fn a_patch_that_changes_nothing_fails_naming_itself() {
    let upstream = swagger(json!({}), json!({}));
    let mut spec = convert(&upstream).unwrap();
    let err = apply_all(&mut spec, &upstream, V).unwrap_err();
    let message = format!("{err:#}");
    assert!(message.contains("single_request_content_type"), "{message}");
}

#[test]
fn diff_reports_operations_parameters_and_properties() {
    let old = json!({
        "paths": { "/a": { "get": { "operationId": "A", "parameters": [
            { "name": "all", "in": "query", "schema": { "type": "boolean" } }] } } },
        "components": { "schemas": { "S": { "type": "object", "properties": {
            "Gone": { "type": "string" }, "Size": { "type": "integer" } } } } },
    });
    let new = json!({
        "paths": {
            "/a": { "get": { "operationId": "A", "parameters": [
                { "name": "all", "in": "query", "schema": { "type": "string" } }] } },
            "/b": { "post": { "operationId": "B" } },
        },
        "components": { "schemas": { "S": { "type": "object", "properties": {
            "Size": { "type": "integer", "format": "int64" }, "New": { "type": "string" } } } } },
    });
    let report = super::diff::report(&old, &new);
    for line in [
        "+ B: POST /b",
        "~ query all: boolean -> string",
        "+ New: string",
        "- Gone: string",
        "~ Size: integer -> integer(int64)",
    ] {
        assert!(report.contains(line), "missing `{line}` in:\n{report}");
    }
    assert!(super::diff::report(&new, &new).is_empty());
}

/// `spec/` must be what `cargo xtask regen` makes of the default input.
/// This needs `shared/engine-api/` beside the repository and fails (rather
/// than skips) without it.
#[test]
fn spec_is_fresh() {
    if let Err(e) = super::check_committed() {
        panic!("{e:#}");
    }
}

/// Every upstream version converts, patches cleanly, and converts the same
/// way twice.
#[test]
fn every_upstream_version_converts_deterministically() {
    let dir = super::default_input()
        .parent()
        .expect("input has a parent")
        .to_path_buf();
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e} (needs shared/engine-api/)", dir.display()));
    let mut inputs: Vec<_> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    inputs.sort();
    assert!(
        !inputs.is_empty(),
        "no upstream definitions in {}",
        dir.display()
    );
    for input in inputs {
        let first =
            super::generate(&input).unwrap_or_else(|e| panic!("{}: {e:#}", input.display()));
        let second = super::generate(&input).unwrap();
        assert_eq!(first.spec, second.spec, "{}", input.display());
        assert_eq!(first.provenance, second.provenance, "{}", input.display());
        for prose in ["\"summary\"", "\"example\"", "\"x-go-name\""] {
            assert!(!first.spec.contains(prose), "{}: {prose}", input.display());
        }
        // The only descriptions are empty ones and the fold notes.
        let described = first.spec.matches("\"description\": \"").count();
        let empty = first.spec.matches("\"description\": \"\"").count();
        let notes = first
            .spec
            .matches(&format!("\"description\": \"{}", super::fold::NOTE_PREFIX))
            .count();
        assert_eq!(
            described,
            empty + notes,
            "{}: upstream prose leaked",
            input.display()
        );
    }
}
