//! JFrog's wire action names (`READ_REPOSITORY`, `MANAGE_MEMBERS`, …) and
//! the catalogue's dotted ids (SPEC §3.2, §3.3): the catalogue holds both,
//! so the mapping is the catalogue's, never a second table.

use gatehouse_authz::Catalogue;

use crate::error::Failure;

/// The dotted ids of JFrog action names (a dotted id is taken as well), in
/// order; `field` names the list in the error.
///
/// # Errors
/// 400 naming the first name the catalogue does not know.
pub fn to_ids(catalogue: &Catalogue, field: &str, names: &[String]) -> Result<Vec<String>, Failure> {
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            catalogue
                .resolve_action(name.trim())
                .map(|id| catalogue.action(id).id.clone())
                .ok_or_else(|| {
                    Failure::field(
                        &format!("{field}[{i}]"),
                        format!("`{name}` is not an action of the catalogue"),
                    )
                })
        })
        .collect()
}

/// JFrog's wire names of dotted action ids, in order; an id the catalogue
/// does not know (it cannot happen for what the store holds) is kept as is.
#[must_use]
pub fn to_wire(catalogue: &Catalogue, ids: &[String]) -> Vec<String> {
    ids.iter()
        .map(|id| {
            catalogue
                .resolve_action(id)
                .map_or_else(|| id.clone(), |a| catalogue.action(a).wire_name.clone())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use gatehouse_authz::Catalogue;

    use super::{to_ids, to_wire};

    #[test]
    fn every_wire_name_of_spec_3_2_and_3_3_maps_both_ways() {
        let catalogue = Catalogue::platform().unwrap();
        for (wire, id) in [
            ("READ_REPOSITORY", "repository.read"),
            ("ANNOTATE_REPOSITORY", "repository.annotate"),
            ("DEPLOY_CACHE_REPOSITORY", "repository.deploy"),
            ("DELETE_OVERWRITE_REPOSITORY", "repository.delete"),
            ("MANAGE_XRAY_MD_REPOSITORY", "repository.manage_xray_metadata"),
            ("READ_RELEASE_BUNDLE", "release_bundle.read"),
            ("ANNOTATE_RELEASE_BUNDLE", "release_bundle.annotate"),
            ("CREATE_RELEASE_BUNDLE", "release_bundle.create"),
            ("PROMOTE_RELEASE_BUNDLE", "release_bundle.promote"),
            ("DISTRIBUTE_RELEASE_BUNDLE", "release_bundle.distribute"),
            ("DELETE_RELEASE_BUNDLE", "release_bundle.delete"),
            ("MANAGE_XRAY_MD_RELEASE_BUNDLE", "release_bundle.manage_xray_metadata"),
            ("READ_BUILD", "build.read"),
            ("ANNOTATE_BUILD", "build.annotate"),
            ("DEPLOY_BUILD", "build.deploy"),
            ("DELETE_BUILD", "build.delete"),
            ("MANAGE_XRAY_MD_BUILD", "build.manage_xray_metadata"),
            ("READ_SOURCES_PIPELINE", "pipeline.read_sources"),
            ("TRIGGER_PIPELINE", "pipeline.trigger"),
            ("READ_INTEGRATIONS_PIPELINE", "pipeline.read_integrations"),
            ("READ_POOLS_PIPELINE", "pipeline.read_pools"),
            ("MANAGE_INTEGRATIONS_PIPELINE", "pipeline.manage_integrations"),
            ("MANAGE_SOURCES_PIPELINE", "pipeline.manage_sources"),
            ("MANAGE_POOLS_PIPELINE", "pipeline.manage_pools"),
            ("TRIGGER_SECURITY", "security.trigger"),
            ("ISSUES_SECURITY", "security.issues"),
            ("LICENCES_SECURITY", "security.licenses"),
            ("REPORTS_SECURITY", "security.reports"),
            ("WATCHES_SECURITY", "security.watches"),
            ("POLICIES_SECURITY", "security.policies"),
            ("RULES_SECURITY", "security.rules"),
            ("MANAGE_MEMBERS", "project.manage_members"),
            ("MANAGE_RESOURCES", "project.manage_resources"),
            ("INDEX_RESOURCES", "project.index_resources"),
        ] {
            assert_eq!(
                to_ids(&catalogue, "actions", &[wire.to_owned()]).unwrap(),
                vec![id.to_owned()],
                "{wire}"
            );
            assert_eq!(to_wire(&catalogue, &[id.to_owned()]), vec![wire.to_owned()], "{id}");
        }
        // Every action of the catalogue has a wire name that maps back.
        for action in catalogue.actions() {
            let back = to_ids(&catalogue, "actions", std::slice::from_ref(&action.wire_name)).unwrap();
            assert_eq!(back, vec![action.id.clone()]);
        }
    }

    #[test]
    fn an_unknown_action_is_a_400_naming_its_index() {
        let catalogue = Catalogue::platform().unwrap();
        let names = vec!["READ_REPOSITORY".to_owned(), "FLY_REPOSITORY".to_owned()];
        let failure = to_ids(&catalogue, "actions", &names).unwrap_err();
        assert_eq!(failure.status, 400);
        assert!(failure.body.errors[0].message.contains("`actions[1]`"), "{failure:?}");
        assert!(failure.body.errors[0].message.contains("FLY_REPOSITORY"), "{failure:?}");
    }
}
