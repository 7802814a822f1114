//! The API difference between two converted documents: operations,
//! parameters and schema properties added, removed or changed in type, so a
//! maintainer sees what an upgrade brings.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

/// A readable report of what changed from `old` to `new`; empty when the
/// two documents describe the same API.
pub fn report(old: &Value, new: &Value) -> String {
    let mut out = String::new();
    let old_ops = operations(old);
    let new_ops = operations(new);
    section(&mut out, "operations", &old_ops, &new_ops, |op| {
        op.route.clone()
    });
    for (id, new_op) in &new_ops {
        let Some(old_op) = old_ops.get(id) else {
            continue;
        };
        if old_op.route != new_op.route {
            let _ = writeln!(out, "  ~ {id}: {} -> {}", old_op.route, new_op.route);
        }
        let mut lines = String::new();
        section(&mut lines, "", &old_op.params, &new_op.params, Clone::clone);
        if old_op.body != new_op.body {
            let _ = writeln!(lines, "  ~ body: {} -> {}", old_op.body, new_op.body);
        }
        if old_op.success != new_op.success {
            let _ = writeln!(
                lines,
                "  ~ success: {} -> {}",
                old_op.success, new_op.success
            );
        }
        if !lines.is_empty() {
            let _ = writeln!(out, "operation {id}:");
            out.push_str(&lines);
        }
    }

    let old_schemas = schemas(old);
    let new_schemas = schemas(new);
    section(
        &mut out,
        "schemas",
        &old_schemas,
        &new_schemas,
        |s: &Schema| s.kind.clone(),
    );
    for (name, new_schema) in &new_schemas {
        let Some(old_schema) = old_schemas.get(name) else {
            continue;
        };
        let mut lines = String::new();
        if old_schema.kind != new_schema.kind {
            let _ = writeln!(lines, "  ~ {} -> {}", old_schema.kind, new_schema.kind);
        }
        section(
            &mut lines,
            "",
            &old_schema.props,
            &new_schema.props,
            Clone::clone,
        );
        if !lines.is_empty() {
            let _ = writeln!(out, "schema {name}:");
            out.push_str(&lines);
        }
    }
    out
}

/// Writes `+ key: value` / `- key: value` / `~ key: old -> new` lines for
/// two keyed maps, under a `title:` heading when one is given.
fn section<T: PartialEq>(
    out: &mut String,
    title: &str,
    old: &BTreeMap<String, T>,
    new: &BTreeMap<String, T>,
    show: impl Fn(&T) -> String,
) {
    let mut lines = String::new();
    for (key, value) in new {
        match old.get(key) {
            None => {
                let _ = writeln!(lines, "  + {key}: {}", show(value));
            }
            Some(before) if title.is_empty() && before != value => {
                let _ = writeln!(lines, "  ~ {key}: {} -> {}", show(before), show(value));
            }
            Some(_) => {}
        }
    }
    for (key, value) in old {
        if !new.contains_key(key) {
            let _ = writeln!(lines, "  - {key}: {}", show(value));
        }
    }
    if lines.is_empty() {
        return;
    }
    if !title.is_empty() {
        let _ = writeln!(out, "{title}:");
    }
    out.push_str(&lines);
}

/// The parts of an operation the report compares.
#[derive(PartialEq)]
struct Operation {
    route: String,
    params: BTreeMap<String, String>,
    body: String,
    success: String,
}

fn operations(doc: &Value) -> BTreeMap<String, Operation> {
    let mut ops = BTreeMap::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return ops;
    };
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for (method, op) in item {
            let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            let params = op
                .get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|p| {
                    let name = p.get("name").and_then(Value::as_str).unwrap_or("?");
                    let location = p.get("in").and_then(Value::as_str).unwrap_or("?");
                    let required = if p.get("required") == Some(&Value::Bool(true)) {
                        ", required"
                    } else {
                        ""
                    };
                    let ty = p.get("schema").map_or("?".into(), type_name);
                    (format!("{location} {name}"), format!("{ty}{required}"))
                })
                .collect();
            let body = op
                .pointer("/requestBody/content")
                .and_then(Value::as_object)
                .map_or("none".into(), media_summary);
            let success = op
                .get("responses")
                .and_then(Value::as_object)
                .map(|r| {
                    r.iter()
                        .filter(|(s, _)| s.starts_with('1') || s.starts_with('2'))
                        .map(|(s, resp)| {
                            let content = resp
                                .get("content")
                                .and_then(Value::as_object)
                                .map_or("empty".into(), media_summary);
                            format!("{s} {content}")
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            ops.insert(
                id.to_owned(),
                Operation {
                    route: format!("{} {path}", method.to_uppercase()),
                    params,
                    body,
                    success,
                },
            );
        }
    }
    ops
}

fn media_summary(content: &serde_json::Map<String, Value>) -> String {
    content
        .iter()
        .map(|(media, m)| {
            let ty = m.get("schema").map_or("?".into(), type_name);
            format!("{media} {ty}")
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

/// The parts of a component schema the report compares.
#[derive(PartialEq)]
struct Schema {
    kind: String,
    props: BTreeMap<String, String>,
}

fn schemas(doc: &Value) -> BTreeMap<String, Schema> {
    doc.pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(name, schema)| {
            let props = schema
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(prop, s)| (prop.clone(), type_name(s)))
                .collect();
            let kind = type_name(schema);
            (name.clone(), Schema { kind, props })
        })
        .collect()
}

/// A short type description: `string`, `integer(int64)`, `[Mount]`,
/// `{string}`, `Mount?`, `enum(3)`.
pub fn type_name(schema: &Value) -> String {
    let nullable = if schema.get("nullable") == Some(&Value::Bool(true)) {
        "?"
    } else {
        ""
    };
    let base = if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        r.rsplit('/').next().unwrap_or(r).to_owned()
    } else if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        parts.iter().map(type_name).collect::<Vec<_>>().join(" & ")
    } else {
        match schema.get("type").and_then(Value::as_str) {
            Some("array") => format!("[{}]", schema.get("items").map_or("?".into(), type_name)),
            Some("object") if schema.get("properties").is_some() => "object".into(),
            Some("object") => match schema.get("additionalProperties") {
                Some(v) if v.is_object() => format!("{{{}}}", type_name(v)),
                _ => "{any}".into(),
            },
            Some(t) => match schema.get("format").and_then(Value::as_str) {
                Some(f) => format!("{t}({f})"),
                None => t.to_owned(),
            },
            None => "any".into(),
        }
    };
    let enumeration = schema
        .get("enum")
        .and_then(Value::as_array)
        .map_or(String::new(), |e| format!(" enum({})", e.len()));
    format!("{base}{nullable}{enumeration}")
}
