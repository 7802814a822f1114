//! Generates the raw Engine API client from the committed OpenAPI document
//! (`spec/engine-api.json`, written by `cargo xtask regen`) with progenitor,
//! into `$OUT_DIR/engine_api.rs`, which `src/raw.rs` includes.

use std::{env, fs, path::Path};

use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle};

const SPEC: &str = "spec/engine-api.json";

fn main() {
    println!("cargo:rerun-if-changed={SPEC}");
    println!("cargo:rerun-if-changed=build.rs");

    let text = fs::read_to_string(SPEC).unwrap_or_else(|e| panic!("reading {SPEC}: {e}"));
    let spec: openapiv3::OpenAPI =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {SPEC}: {e}"));

    // Positional methods, one `Client` for all tags; the facade implements
    // `ClientHooks` itself (every request goes through its transport, which
    // the client carries as its inner value), so no default.
    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Positional)
        .with_tag(TagStyle::Merged)
        .with_hooks(HooksMode::Expected)
        .with_inner_type(quote::quote!(crate::transport::Transport));
    let tokens = Generator::new(&settings)
        .generate_tokens(&spec)
        .unwrap_or_else(|e| panic!("generating the client from {SPEC}: {e}"));
    let file = syn::parse2(tokens).expect("progenitor emitted invalid Rust");

    let out = Path::new(&env::var_os("OUT_DIR").expect("OUT_DIR is set")).join("engine_api.rs");
    fs::write(&out, prettyplease::unparse(&file))
        .unwrap_or_else(|e| panic!("writing {}: {e}", out.display()));
}
