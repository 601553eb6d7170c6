//! `cargo xtask expand [<spec>…]`: writes each client's generated code, formatted and
//! with its do-not-edit header, where a person (or a tool) can open it:
//! `<target dir>/expanded/<spec>.rs`. Cargo generates the same text into each client
//! crate's `OUT_DIR` on every build; this writes it from the spec through the one
//! generation path (`marketplace_codegen::generate`), so nothing here can differ from
//! what the client compiles. Nothing is written inside the source tree.

use std::path::{Path, PathBuf};

use marketplace_spec_check::{load, spec_names};

/// Where the expanded code goes: `$CARGO_TARGET_DIR/expanded`, else
/// `<root>/target/expanded`.
pub fn output_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("expanded")
}

/// Writes the generated client code of `specs` (every spec when empty) under `out`;
/// returns the files written. A spec that does not generate is an error naming its
/// findings.
pub fn expand(root: &Path, specs: &[String], out: &Path) -> Result<Vec<PathBuf>, String> {
    let all = spec_names(root);
    let chosen: Vec<&String> = if specs.is_empty() {
        all.iter().collect()
    } else {
        specs
            .iter()
            .map(|name| {
                all.iter()
                    .find(|known| *known == name)
                    .ok_or_else(|| format!("no spec `{name}` (known: {})", all.join(", ")))
            })
            .collect::<Result<_, _>>()?
    };
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut written = Vec::new();
    for name in chosen {
        let spec = load(root, name)?;
        let generated = marketplace_codegen::generate(&spec).map_err(|findings| {
            let findings: Vec<String> = findings.iter().map(ToString::to_string).collect();
            format!("{name} does not generate:\n{}", findings.join("\n"))
        })?;
        let path = out.join(format!("{name}.rs"));
        std::fs::write(&path, &generated.client).map_err(|e| format!("{}: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}
