//! Basic ↔ Advanced role editing (SPEC §4): Basic → Advanced expands the
//! categories; Advanced → Basic keeps only the categories all of whose
//! actions the role grants, and says what that would lose.

use gatehouse_authz::{ActionSet, Catalogue};

use crate::error::{DomainError, FieldError};

/// What a role grants, resolved against the catalogue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grants {
    /// Basic categories (empty in Advanced mode).
    pub categories: Vec<String>,
    /// Advanced actions as dotted ids (empty in Basic mode).
    pub actions: Vec<String>,
    /// Every granted action.
    pub granted: ActionSet,
}

/// Resolves Basic-mode categories; unknown ones are field errors.
///
/// # Errors
/// `categories[i]` for each unknown id; `role_empty` for an empty list.
pub fn basic(catalogue: &Catalogue, categories: &[String]) -> Result<Grants, DomainError> {
    let mut errors = Vec::new();
    let mut granted = ActionSet::EMPTY;
    let mut kept: Vec<String> = Vec::new();
    for (i, id) in categories.iter().enumerate() {
        match catalogue.category(id) {
            Some(c) => {
                granted = granted.union(c.actions);
                if !kept.contains(id) {
                    kept.push(id.clone());
                }
            }
            None => errors.push(FieldError::unknown(&format!("categories[{i}]"), id)),
        }
    }
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors));
    }
    if granted.is_empty() {
        return Err(DomainError::RoleEmpty);
    }
    Ok(Grants {
        categories: kept,
        actions: Vec::new(),
        granted,
    })
}

/// Resolves Advanced-mode actions (dotted ids or JFrog wire names) into
/// dotted ids in catalogue order.
///
/// # Errors
/// `actions[i]` for each unknown action; `role_empty` for an empty list.
pub fn advanced(catalogue: &Catalogue, actions: &[String]) -> Result<Grants, DomainError> {
    let mut errors = Vec::new();
    let mut granted = ActionSet::EMPTY;
    for (i, name) in actions.iter().enumerate() {
        match catalogue.resolve_action(name) {
            Some(a) => granted.insert(a),
            None => errors.push(FieldError::unknown(&format!("actions[{i}]"), name)),
        }
    }
    if !errors.is_empty() {
        return Err(DomainError::Validation(errors));
    }
    if granted.is_empty() {
        return Err(DomainError::RoleEmpty);
    }
    let ids = granted.iter().map(|a| catalogue.action(a).id.clone()).collect();
    Ok(Grants {
        categories: Vec::new(),
        actions: ids,
        granted,
    })
}

/// Basic → Advanced: the categories expanded into actions.
#[must_use]
pub fn to_advanced(catalogue: &Catalogue, grants: &Grants) -> Grants {
    let ids = grants.granted.iter().map(|a| catalogue.action(a).id.clone()).collect();
    Grants {
        categories: Vec::new(),
        actions: ids,
        granted: grants.granted,
    }
}

/// What Advanced → Basic makes of `granted`: the categories all of whose
/// actions it holds, what they grant, and the actions lost (dotted ids, in
/// catalogue order) — the UI's warning before anything is saved and
/// [`to_basic`]'s refusal name the same actions.
#[must_use]
pub fn basic_within(catalogue: &Catalogue, granted: ActionSet) -> (Vec<String>, ActionSet, Vec<String>) {
    let kept: Vec<String> = catalogue
        .categories_within(granted)
        .iter()
        .map(|c| c.id.clone())
        .collect();
    let kept_granted = catalogue
        .expand_categories(kept.iter().map(String::as_str))
        .unwrap_or_default();
    let lost: Vec<String> = granted
        .difference(kept_granted)
        .iter()
        .map(|a| catalogue.action(a).id.clone())
        .collect();
    (kept, kept_granted, lost)
}

/// Advanced → Basic: the categories wholly granted. Losing actions needs
/// `discard`; ending up empty is refused.
///
/// # Errors
/// `would_discard_actions` with the lost actions when not confirmed;
/// `role_empty` when no category is wholly granted.
pub fn to_basic(catalogue: &Catalogue, grants: &Grants, discard: bool) -> Result<Grants, DomainError> {
    let (kept, granted, lost) = basic_within(catalogue, grants.granted);
    if granted.is_empty() {
        return Err(DomainError::RoleEmpty);
    }
    if !lost.is_empty() && !discard {
        return Err(DomainError::WouldDiscardActions(lost));
    }
    Ok(Grants {
        categories: kept,
        actions: Vec::new(),
        granted,
    })
}
