//! Renders a catalogue for `gatehouse catalogue show`: a table for people,
//! JSON in the shape of `GET /api/v1/catalogue` (SPEC §7) for scripts.

use std::fmt::Write as _;

use gatehouse_authz::{AccountPermission, Catalogue};
use serde_json::{Value, json};

pub fn to_json(catalogue: &Catalogue) -> anyhow::Result<String> {
    let resource_types: Vec<Value> = catalogue
        .resource_types()
        .iter()
        .map(|t| {
            let actions: Vec<Value> = t
                .actions
                .iter()
                .map(|a| {
                    let a = catalogue.action(*a);
                    json!({"id": a.id, "wire_name": a.wire_name, "description": a.description})
                })
                .collect();
            json!({"id": t.id, "env_scoped": t.env_scoped, "actions": actions})
        })
        .collect();
    let categories: Vec<Value> = catalogue
        .categories()
        .iter()
        .map(|c| {
            let actions: Vec<&str> = c.actions.iter().map(|a| catalogue.action(a).id.as_str()).collect();
            json!({"id": c.id, "description": c.description, "actions": actions})
        })
        .collect();
    let account_permissions: Vec<Value> = AccountPermission::ALL
        .iter()
        .map(|p| json!({"id": p.as_str(), "name": p.title()}))
        .collect();
    let value = json!({
        "name": catalogue.name(),
        "resource_types": resource_types,
        "categories": categories,
        "account_permissions": account_permissions,
    });
    Ok(serde_json::to_string_pretty(&value)?)
}

pub fn to_table(catalogue: &Catalogue) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "catalogue {}", catalogue.name());
    for t in catalogue.resource_types() {
        let scope = if t.env_scoped {
            "environment-scoped"
        } else {
            "not scoped"
        };
        let _ = writeln!(out, "\n{} ({scope})", t.id);
        for a in &t.actions {
            let a = catalogue.action(*a);
            let _ = writeln!(out, "  {:<40} {:<32} {}", a.id, a.wire_name, a.description);
        }
    }
    let _ = writeln!(out, "\ncategories");
    for c in catalogue.categories() {
        let actions: Vec<&str> = c.actions.iter().map(|a| catalogue.action(a).id.as_str()).collect();
        let _ = writeln!(out, "  {:<20} {}", c.id, actions.join(", "));
    }
    let _ = writeln!(out, "\npredefined roles");
    for r in catalogue.predefined_roles() {
        let _ = writeln!(
            out,
            "  {:<20} {:<10} {:<50} {}",
            r.name,
            r.role_type.as_str(),
            r.categories.join(", "),
            r.environments.join(", ")
        );
    }
    out
}

/// `gatehouse catalogue show --server`: the catalogue a server uses.
pub async fn show_server(client: &gatehouse_client::Client, format: crate::cli::output::Format) -> anyhow::Result<()> {
    let catalogue = client.catalogue().await?;
    crate::cli::output::print(format, &catalogue, |c| {
        let mut table = crate::cli::output::table(["RESOURCE TYPE", "ENV-SCOPED", "ACTION", "WIRE NAME"]);
        for t in &c.resource_types {
            for a in &t.actions {
                table.add_row([
                    t.id.clone(),
                    if t.env_scoped {
                        "yes".to_owned()
                    } else {
                        "no".to_owned()
                    },
                    a.id.clone(),
                    a.wire_name.clone(),
                ]);
            }
        }
        table
    })
}
