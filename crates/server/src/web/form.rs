//! The form-error pattern of every page (SPEC §12): the server validates,
//! and each error is shown next to its field (tied to it by
//! `aria-describedby`, templates/web/forms.html), the typed values kept.
//! The errors come from the same problem the API answers: its field errors
//! are mapped from the operation's field names (`memberships[0].roles[1]`)
//! to the form's, and a refusal that names no field (an anti-escalation
//! refusal, a conflict) is put next to the field the page says it is
//! about, or above the form.

use std::collections::BTreeMap;

use crate::problem::ApiProblem;

/// The errors of one form.
#[derive(Clone, Debug, Default)]
pub struct FormErrors {
    fields: BTreeMap<String, String>,
    /// Errors that belong to no field, shown above the form.
    pub general: Vec<String>,
}

impl FormErrors {
    /// No errors.
    #[must_use]
    pub fn none() -> Self {
        Self::default()
    }

    /// The errors of `problem`: each field error at the form field
    /// `field_of` names for it (`None`: above the form); a problem without
    /// field errors next to the field `about` names for its code, else
    /// above the form.
    #[must_use]
    pub fn from_problem(
        problem: &ApiProblem,
        field_of: impl Fn(&str) -> Option<&'static str>,
        about: impl Fn(gatehouse_api::ErrorCode) -> Option<&'static str>,
    ) -> Self {
        let mut errors = Self::default();
        let body = &problem.problem;
        if body.errors.is_empty() {
            match about(body.code) {
                Some(field) => errors.add(field, &body.detail),
                None => errors.general.push(body.detail.clone()),
            }
        }
        for error in &body.errors {
            let message = format!("{}: {}", error.field, error.message);
            match field_of(&error.field) {
                Some(field) => errors.add(field, &message),
                None => errors.general.push(message),
            }
        }
        errors
    }

    /// Adds `message` to `field` (after any message it has).
    pub fn add(&mut self, field: &str, message: &str) {
        self.fields
            .entry(field.to_owned())
            .and_modify(|m| {
                m.push_str("; ");
                m.push_str(message);
            })
            .or_insert_with(|| message.to_owned());
    }

    /// The error of `field`, if any.
    #[must_use]
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields.get(field).map(String::as_str)
    }

    /// Whether there is no error at all.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.general.is_empty()
    }
}

/// The first segment of a field path: `memberships[0].roles[1]` →
/// `memberships`, `account_permissions[2]` → `account_permissions`.
#[must_use]
pub fn root_field(path: &str) -> &str {
    let end = path.find(['[', '.']).unwrap_or(path.len());
    path.get(..end).unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::root_field;

    #[test]
    fn root_fields() {
        assert_eq!(root_field("memberships[0].roles[1]"), "memberships");
        assert_eq!(root_field("account_permissions[2]"), "account_permissions");
        assert_eq!(root_field("email"), "email");
        assert_eq!(root_field("a.b"), "a");
    }
}
