//! `gatehouse catalogue`: the real binary on real files.

use std::process::Command;

fn gatehouse(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_gatehouse"))
        .args(args)
        .output()
        .expect("the binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn show_prints_the_catalogue_as_json() {
    let (ok, out, _) = gatehouse(&["catalogue", "show", "platform", "--json"]);
    assert!(ok);
    let value: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(value["name"], "platform");
    let types = value["resource_types"].as_array().unwrap();
    assert_eq!(types[0]["id"], "repository");
    assert_eq!(types[0]["actions"][3]["wire_name"], "DELETE_OVERWRITE_REPOSITORY");
    assert_eq!(value["account_permissions"].as_array().unwrap().len(), 5);
}

#[test]
fn validate_names_the_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        "name = \"x\"\n[[resource_types]]\nid = \"Bad\"\nenv_scoped = true\nactions = []\n",
    )
    .unwrap();
    let (ok, _, err) = gatehouse(&["catalogue", "validate", path.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        err.contains(&format!("{}:3: `resource_types[0].id`", path.display())),
        "{err}"
    );

    std::fs::write(&path, "name = \"x\"\n[[resource_types]]\nid = \"box\"\nenv_scoped = true\nactions = [{ id = \"open\", wire_name = \"OPEN_BOX\" }]\n").unwrap();
    let (ok, out, _) = gatehouse(&["catalogue", "validate", path.to_str().unwrap()]);
    assert!(ok);
    assert!(out.contains("is valid: 2 resource types, 6 actions"), "{out}");
}
