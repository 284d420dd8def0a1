//! The two schemas stay in step: the same migrations by name. (That they
//! hold the same columns is checked by every backup, which compares the
//! database's catalogue with the one column list backups use.)

use std::path::Path;

fn migrations(backend: &str) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn both_backends_have_the_same_migrations() {
    let sqlite = migrations("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, migrations("postgres"));
}
