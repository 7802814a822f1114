//! Folding in what earlier API versions send.
//!
//! dockhand's models are the newest version's, but it talks to daemons
//! down to API 1.41, and those send fields the newest definition no longer
//! lists (`NetworkSettings.IPAddress`, image `Parent`, the `/system/df`
//! totals before 1.52, …); serde drops them without a word. This step puts
//! them back: for every earlier definition beside the input (`v1.41.yaml`
//! up to the one before it), each property of a schema the target still
//! has but no longer lists is added to the target's schema, optional,
//! with the description `Sent by daemons of API X and earlier (removed in
//! Y).`; a schema such a property refers to that the target lacks is
//! copied too. Earlier versions are read newest first, so X is the last
//! version that sent the field and the newest shape of it wins.
//!
//! It runs on the converted (OpenAPI 3.0) documents, before the patches, so
//! the patches shape folded schemas like the rest.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use anyhow::{Context, Result};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use super::patches::ApiVersion;
use super::{convert, hex, parse_version};

/// The oldest API version dockhand speaks, and so the oldest folded.
pub const OLDEST: ApiVersion = (1, 41);

/// An earlier definition, converted.
pub struct Earlier {
    pub version: ApiVersion,
    /// Its file name, for the provenance.
    pub name: String,
    pub sha256: String,
    pub document: Arc<Value>,
}

/// What folding added: `Schema.property` (or `Operation status.property`
/// for an inline response) with the last version that sent it.
pub type Folded = BTreeMap<String, ApiVersion>;

/// The earlier definitions next to `input` (`v1.NN.yaml` with
/// [`OLDEST`] <= 1.NN < `target`), newest first. Each is converted once
/// per process.
pub fn earlier_beside(input: &Path, target: ApiVersion) -> Result<Vec<Earlier>> {
    let Some(dir) = input.parent() else {
        return Ok(Vec::new());
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let mut found: Vec<(ApiVersion, PathBuf)> = fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter_map(|path| {
            let stem = path
                .file_name()?
                .to_str()?
                .strip_prefix('v')?
                .strip_suffix(".yaml")?;
            let version = parse_version(stem).ok()?;
            (version >= OLDEST && version < target).then_some((version, path))
        })
        .collect();
    found.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
    found
        .into_iter()
        .map(|(version, path)| {
            let (sha256, document) = converted(&path)?;
            Ok(Earlier {
                version,
                name: path
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
                sha256,
                document,
            })
        })
        .collect()
}

/// `path` read and converted, remembered for the rest of the process (the
/// tests regenerate every version, each folding in all earlier ones).
fn converted(path: &Path) -> Result<(String, Arc<Value>)> {
    type Cache = Mutex<BTreeMap<PathBuf, (String, Arc<Value>)>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(hit) = cache.lock().unwrap().get(path) {
        return Ok(hit.clone());
    }
    let bytes = fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let swagger: Value = serde_norway::from_slice(&bytes)
        .with_context(|| format!("parsing {} as YAML", path.display()))?;
    let document =
        convert::convert(&swagger).with_context(|| format!("converting {}", path.display()))?;
    let entry = (hex(&Sha256::digest(&bytes)), Arc::new(document));
    cache
        .lock()
        .unwrap()
        .insert(path.to_path_buf(), entry.clone());
    Ok(entry)
}

/// Folds the properties of `earlier` (newest first) that `spec` (of API
/// `target`) no longer lists into it, and returns what was added.
pub fn fold(spec: &mut Value, target: ApiVersion, earlier: &[Earlier]) -> Result<Folded> {
    let mut folded = Folded::new();
    for (index, old) in earlier.iter().enumerate() {
        // The version after `old` among those read: the first without the
        // field (the target itself for the newest earlier one).
        let removed_in = earlier[..index]
            .last()
            .map_or(target, |newer| newer.version);
        let mut fold = Folding {
            last: old.version,
            removed_in,
            folded: &mut folded,
            wanted_refs: BTreeSet::new(),
        };
        let no_schemas = Map::new();
        let old_schemas = old
            .document
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .unwrap_or(&no_schemas);
        for (name, old_schema) in old_schemas {
            if let Some(schema) = spec.pointer_mut(&format!("/components/schemas/{name}")) {
                fold.schema(schema, old_schema, name);
            }
        }
        fold_responses(spec, &old.document, &mut fold);
        // Schemas the folded properties refer to, and those they refer to.
        let mut pending: Vec<String> = std::mem::take(&mut fold.wanted_refs).into_iter().collect();
        while let Some(name) = pending.pop() {
            let schemas = spec
                .pointer_mut("/components/schemas")
                .and_then(Value::as_object_mut)
                .context("the document has no components.schemas")?;
            if schemas.contains_key(&name) {
                continue;
            }
            let Some(old_schema) = old_schemas.get(&name) else {
                continue;
            };
            let mut copy = old_schema.clone();
            collect_refs(&copy, &mut |referenced| pending.push(referenced.to_owned()));
            note(&mut copy, old.version, removed_in);
            schemas.insert(name.clone(), copy);
            fold.folded.insert(name, old.version);
        }
    }
    Ok(folded)
}

/// One earlier version's folding into the target.
struct Folding<'a> {
    last: ApiVersion,
    removed_in: ApiVersion,
    folded: &'a mut Folded,
    /// Schemas referred to by folded properties.
    wanted_refs: BTreeSet<String>,
}

impl Folding<'_> {
    /// Adds to `schema` the properties of `old` it lacks, and recurses into
    /// those both have. A `$ref` on either side ends the walk: the schema
    /// it names is folded by name.
    fn schema(&mut self, schema: &mut Value, old: &Value, path: &str) {
        if schema.get("$ref").is_some() || old.get("$ref").is_some() {
            return;
        }
        if let (Some(items), Some(old_items)) = (schema.get_mut("items"), old.get("items")) {
            self.schema(items, old_items, &format!("{path}[]"));
        }
        if let (Some(values), Some(old_values)) = (
            schema.get_mut("additionalProperties"),
            old.get("additionalProperties"),
        ) {
            if values.is_object() && old_values.is_object() {
                self.schema(values, old_values, &format!("{path}{{}}"));
            }
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            if let (Some(Value::Array(parts)), Some(Value::Array(old_parts))) =
                (schema.get_mut(key), old.get(key))
            {
                for (part, old_part) in parts.iter_mut().zip(old_parts) {
                    self.schema(part, old_part, path);
                }
            }
        }
        let Some(old_properties) = old.get("properties").and_then(Value::as_object) else {
            return;
        };
        // Only an object schema takes properties.
        let Some(map) = schema.as_object_mut() else {
            return;
        };
        if map.get("type").is_some_and(|kind| kind != "object") {
            return;
        }
        let properties = map
            .entry("properties")
            .or_insert_with(|| Value::Object(Map::new()));
        let Some(properties) = properties.as_object_mut() else {
            return;
        };
        for (name, old_property) in old_properties {
            let at = format!("{path}.{name}");
            match properties.get_mut(name) {
                Some(property) => self.schema(property, old_property, &at),
                None => {
                    let mut property = old_property.clone();
                    collect_refs(&property, &mut |referenced| {
                        self.wanted_refs.insert(referenced.to_owned());
                    });
                    note(&mut property, self.last, self.removed_in);
                    properties.insert(name.clone(), property);
                    self.folded.insert(at, self.last);
                }
            }
        }
    }
}

/// Folds the inline schemas of success responses, matched by path, method
/// and status.
fn fold_responses(spec: &mut Value, old: &Value, fold: &mut Folding<'_>) {
    let Some(old_paths) = old.get("paths").and_then(Value::as_object) else {
        return;
    };
    for (route, old_item) in old_paths {
        let Some(old_item) = old_item.as_object() else {
            continue;
        };
        for (method, old_operation) in old_item {
            let Some(old_responses) = old_operation.get("responses").and_then(Value::as_object)
            else {
                continue;
            };
            let Some(responses) = spec
                .get_mut("paths")
                .and_then(|paths| paths.get_mut(route))
                .and_then(|item| item.get_mut(method))
                .and_then(|operation| operation.get_mut("responses"))
            else {
                continue;
            };
            let id = old_operation
                .get("operationId")
                .and_then(Value::as_str)
                .unwrap_or(route);
            for (status, old_response) in old_responses {
                if !status.starts_with('2') {
                    continue;
                }
                let pointer = "/content/application~1json/schema";
                let (Some(schema), Some(old_schema)) = (
                    responses
                        .get_mut(status)
                        .and_then(|response| response.pointer_mut(pointer)),
                    old_response.pointer(pointer),
                ) else {
                    continue;
                };
                fold.schema(schema, old_schema, &format!("{id} {status}"));
            }
        }
    }
}

/// Calls `found` with the schema name of every `#/components/schemas/…`
/// reference in `schema`.
fn collect_refs(schema: &Value, found: &mut impl FnMut(&str)) {
    match schema {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|reference| reference.strip_prefix("#/components/schemas/"))
            {
                found(name);
            }
            map.values().for_each(|value| collect_refs(value, found));
        }
        Value::Array(items) => items.iter().for_each(|value| collect_refs(value, found)),
        _ => {}
    }
}

/// The description of a folded property or schema: which daemons send it.
/// A `$ref` takes no siblings in OpenAPI 3.0, so it is wrapped.
fn note(schema: &mut Value, last: ApiVersion, removed_in: ApiVersion) {
    let text = format!(
        "{NOTE_PREFIX}{}.{} and earlier (removed in {}.{}).",
        last.0, last.1, removed_in.0, removed_in.1
    );
    if schema.get("$ref").is_some() {
        *schema = json!({ "allOf": [schema.take()] });
    }
    if let Some(map) = schema.as_object_mut() {
        map.insert("description".into(), Value::String(text));
    }
}

/// The prefix every fold note starts with: the only descriptions in the
/// generated document (upstream prose is dropped).
pub const NOTE_PREFIX: &str = "Sent by daemons of API ";

#[cfg(test)]
mod tests {
    use super::*;

    fn earlier(version: ApiVersion, document: Value) -> Earlier {
        Earlier {
            version,
            name: format!("v{}.{}.yaml", version.0, version.1),
            sha256: String::new(),
            document: Arc::new(document),
        }
    }

    fn schemas(schemas: Value) -> Value {
        json!({ "paths": {}, "components": { "schemas": schemas } })
    }

    #[test]
    fn removed_properties_come_back_optional_in_their_newest_shape() {
        let mut spec = schemas(json!({
            "A": { "type": "object", "required": ["x"], "properties": { "x": { "type": "string" } } }
        }));
        let newer = schemas(json!({
            "A": { "type": "object", "properties": {
                "x": { "type": "string" }, "old": { "type": "integer" } } }
        }));
        let older = schemas(json!({
            "A": { "type": "object", "properties": {
                "x": { "type": "string" }, "old": { "type": "string" }, "older": { "type": "boolean" } } }
        }));
        let folded = fold(
            &mut spec,
            (1, 45),
            &[earlier((1, 44), newer), earlier((1, 42), older)],
        )
        .unwrap();
        let a = &spec["components"]["schemas"]["A"];
        assert_eq!(a["required"], json!(["x"]));
        assert_eq!(a["properties"]["x"], json!({ "type": "string" }));
        assert_eq!(
            a["properties"]["old"],
            json!({ "type": "integer",
                    "description": "Sent by daemons of API 1.44 and earlier (removed in 1.45)." })
        );
        assert_eq!(
            a["properties"]["older"]["description"],
            "Sent by daemons of API 1.42 and earlier (removed in 1.44)."
        );
        assert_eq!(
            folded,
            Folded::from([("A.old".into(), (1, 44)), ("A.older".into(), (1, 42))])
        );
    }

    #[test]
    fn schemas_a_folded_property_refers_to_are_copied() {
        let mut spec = schemas(json!({ "A": { "type": "object", "properties": {} } }));
        let old = schemas(json!({
            "A": { "type": "object", "properties": {
                "link": { "$ref": "#/components/schemas/Gone" } } },
            "Gone": { "type": "object", "properties": {
                "sub": { "$ref": "#/components/schemas/Sub" } } },
            "Sub": { "type": "string" },
            "Unused": { "type": "string" }
        }));
        fold(&mut spec, (1, 52), &[earlier((1, 51), old)]).unwrap();
        let all = &spec["components"]["schemas"];
        assert_eq!(
            all["A"]["properties"]["link"],
            json!({ "allOf": [{ "$ref": "#/components/schemas/Gone" }],
                    "description": "Sent by daemons of API 1.51 and earlier (removed in 1.52)." })
        );
        assert!(all["Gone"].is_object() && all["Sub"].is_object());
        assert!(all.get("Unused").is_none());
    }

    #[test]
    fn inline_response_schemas_and_nested_objects_fold() {
        let response = |properties: Value| {
            json!({ "paths": { "/system/df": { "get": { "operationId": "SystemDataUsage",
                "responses": { "200": { "content": { "application/json": { "schema": {
                    "type": "object", "properties": properties } } } } } } } },
                "components": { "schemas": {} } })
        };
        let mut spec = response(json!({
            "Inner": { "type": "object", "properties": { "kept": { "type": "string" } } }
        }));
        let old = response(json!({
            "LayersSize": { "type": "integer" },
            "Inner": { "type": "object", "properties": {
                "kept": { "type": "string" }, "gone": { "type": "string" } } }
        }));
        let folded = fold(&mut spec, (1, 52), &[earlier((1, 51), old)]).unwrap();
        let schema = spec
            .pointer("/paths/~1system~1df/get/responses/200/content/application~1json/schema")
            .unwrap();
        assert_eq!(schema["properties"]["LayersSize"]["type"], "integer");
        assert_eq!(
            schema["properties"]["Inner"]["properties"]["gone"]["type"],
            "string"
        );
        assert!(folded.contains_key("SystemDataUsage 200.LayersSize"));
        assert!(folded.contains_key("SystemDataUsage 200.Inner.gone"));
    }

    #[test]
    fn earlier_definitions_are_those_from_the_oldest_supported_up_to_the_target() {
        let dir = std::env::temp_dir().join(format!("dockhand-fold-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        for version in ["1.40", "1.41", "1.43", "1.45", "1.46"] {
            let yaml = format!("swagger: '2.0'\ninfo:\n  version: '{version}'\npaths: {{}}\n");
            fs::write(dir.join(format!("v{version}.yaml")), yaml).unwrap();
        }
        fs::write(dir.join("notes.yaml"), "x: 1\n").unwrap();
        let found = earlier_beside(&dir.join("v1.45.yaml"), (1, 45)).unwrap();
        let versions: Vec<ApiVersion> = found.iter().map(|old| old.version).collect();
        assert_eq!(versions, [(1, 43), (1, 41)]);
        assert_eq!(found[0].name, "v1.43.yaml");
        assert_eq!(found[0].sha256.len(), 64);
        fs::remove_dir_all(&dir).unwrap();
    }
}
