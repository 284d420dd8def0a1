//! Tidy: checks of the codebase itself, run by `cargo test` (STYLE.md §2.11).

use std::fs;
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "target" && n != "node_modules") {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn all_rust_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    rust_files(&workspace().join("crates"), &mut files);
    assert!(files.len() > 20, "the walk found the crates");
    files
}

#[test]
fn every_module_opens_with_a_doc_line() {
    let missing: Vec<_> = all_rust_files()
        .into_iter()
        .filter(|f| {
            let text = fs::read_to_string(f).unwrap();
            !text
                .lines()
                .find(|l| !l.trim().is_empty())
                .is_some_and(|l| l.starts_with("//!"))
        })
        .collect();
    assert!(missing.is_empty(), "start these modules with a `//!` line: {missing:?}");
}

#[test]
fn no_unwrap_or_expect_outside_tests_and_main() {
    let mut offenders = Vec::new();
    for file in all_rust_files() {
        let rel = file.strip_prefix(workspace()).unwrap().to_string_lossy().into_owned();
        let in_tests = rel.contains("/tests/") || rel.contains("/benches/");
        if in_tests || rel.ends_with("/main.rs") {
            continue;
        }
        let text = fs::read_to_string(&file).unwrap();
        // Code after a `#[cfg(test)]` module is test code.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (n, line) in code.lines().enumerate() {
            let line = line.trim_start();
            if line.starts_with("//") {
                continue;
            }
            if line.contains(".unwrap()") || line.contains(".expect(") {
                offenders.push(format!("{rel}:{}", n + 1));
            }
        }
    }
    assert!(offenders.is_empty(), "return errors instead: {offenders:?}");
}

#[test]
fn authz_has_no_io_dependencies() {
    let manifest: toml::Table = fs::read_to_string(workspace().join("crates/authz/Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let deps: Vec<&String> = manifest["dependencies"].as_table().unwrap().keys().collect();
    // ARCHITECTURE.md records each: foldhash hashes the interning and name
    // maps, smol_str keeps the name maps' keys inline, mem_prefetch is the
    // batch check's prefetch hint; none does I/O.
    let allowed = [
        "serde",
        "toml",
        "thiserror",
        "imbl",
        "smallvec",
        "foldhash",
        "smol_str",
        "mem_prefetch",
    ];
    let extra: Vec<_> = deps.iter().filter(|d| !allowed.contains(&d.as_str())).collect();
    assert!(
        extra.is_empty(),
        "gatehouse-authz stays pure; new dependencies {extra:?} need an architecture decision"
    );

    let mut sources = Vec::new();
    rust_files(&workspace().join("crates/authz/src"), &mut sources);
    let banned = [
        "std::fs",
        "std::net",
        "std::io",
        "std::time",
        "std::env",
        "std::process",
        "async fn",
        "Instant::now",
        "SystemTime",
    ];
    // A compile may run on scoped threads the caller counts (the core
    // reads nothing of the machine, not even its cores); nothing else in
    // the core starts one.
    let compile = workspace().join("crates/authz/src/snapshot/edit/compile.rs");
    for file in sources {
        let text = fs::read_to_string(&file).unwrap();
        for word in banned {
            assert!(
                !text.contains(word),
                "{} uses `{word}`: authz does no I/O and reads no clock",
                file.display()
            );
        }
        let threads = text.replace("std::thread::scope", "");
        assert!(
            !threads.contains("std::thread") && (file == compile || !text.contains("std::thread::scope")),
            "{} uses threads: only the compile runs on scoped threads, as many as its caller says",
            file.display()
        );
    }
}

#[test]
fn no_grab_bag_modules() {
    for file in all_rust_files() {
        let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
        let dir = file
            .parent()
            .and_then(Path::file_name)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        for name in [stem, dir] {
            assert!(
                !["utils", "util", "helpers", "misc", "common"].contains(&name.as_str()),
                "{}: name the module for its one job",
                file.display()
            );
        }
    }
}

#[test]
fn only_the_store_speaks_sql() {
    let store = workspace().join("crates/store");
    for file in all_rust_files() {
        if file.starts_with(&store) {
            continue;
        }
        let text = fs::read_to_string(&file).unwrap();
        let speaks = text.lines().any(|l| {
            let code = l.trim_start();
            !code.starts_with("//") && (code.starts_with("use sqlx") || code.contains(concat!("sqlx", "::query")))
        });
        assert!(!speaks, "{}: SQL belongs in crates/store", file.display());
    }
    for manifest in fs::read_dir(workspace().join("crates")).unwrap().flatten() {
        let path = manifest.path().join("Cargo.toml");
        if manifest.path() == store || !path.exists() {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap();
        assert!(
            !text.lines().any(|l| l.trim_start().starts_with("sqlx")),
            "{}: only gatehouse-store depends on sqlx",
            path.display()
        );
    }
}

/// The server crate's modules (a `handlers/` file counts as `handlers`)
/// and the modules each one names through `crate::`, test code left out.
fn server_imports() -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let src = workspace().join("crates/server/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut imports = std::collections::BTreeMap::<String, std::collections::BTreeSet<String>>::new();
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap();
        let module = rel.components().next().unwrap().as_os_str().to_string_lossy();
        let module = module.trim_end_matches(".rs").to_owned();
        if module == "lib" {
            continue;
        }
        let text = fs::read_to_string(file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let named = imports.entry(module.clone()).or_default();
        for (at, _) in code.match_indices("crate::") {
            let rest = &code[at + "crate::".len()..];
            let names: Vec<&str> = if let Some(group) = rest.strip_prefix('{') {
                let group = &group[..group.find('}').unwrap()];
                group
                    .split(',')
                    .filter_map(|n| n.split("::").next())
                    .map(str::trim)
                    .collect()
            } else {
                vec![rest.split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap()]
            };
            named.extend(
                names
                    .into_iter()
                    .filter(|n| !n.is_empty() && *n != module)
                    .map(str::to_owned),
            );
        }
    }
    imports
}

#[test]
fn server_modules_import_no_circle() {
    let imports = server_imports();
    assert!(
        imports.contains_key("router") && imports.contains_key("handlers") && imports.contains_key("operations"),
        "{imports:?}"
    );
    // Depth-first search for a back edge; reports the circle it closes.
    fn visit<'a>(
        module: &'a str,
        imports: &'a std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
        path: &mut Vec<&'a str>,
        done: &mut std::collections::BTreeSet<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|m| *m == module) {
            let mut circle: Vec<String> = path[start..].iter().map(|m| (*m).to_owned()).collect();
            circle.push(module.to_owned());
            return Some(circle);
        }
        if !done.insert(module) {
            return None;
        }
        path.push(module);
        for next in imports.get(module).into_iter().flatten() {
            if imports.contains_key(next)
                && let Some(circle) = visit(next, imports, path, done)
            {
                return Some(circle);
            }
        }
        path.pop();
        None
    }
    // The operations layer is under every face (STYLE.md §14): it names no
    // face, nor what is built on the faces.
    for above in ["handlers", "ops", "openapi", "router", "start", "serve"] {
        assert!(
            !imports["operations"].contains(above),
            "`operations` imports `{above}`, a layer above it (ARCHITECTURE.md)"
        );
    }
    let mut done = std::collections::BTreeSet::new();
    for module in imports.keys() {
        let circle = visit(module, &imports, &mut Vec::new(), &mut done);
        assert!(
            circle.is_none(),
            "the server's modules import in a circle (ARCHITECTURE.md: wire → rules → host → operations → faces → router): {}",
            circle.unwrap_or_default().join(" → ")
        );
    }
}
