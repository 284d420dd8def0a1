//! Validated names, keys and texts (SPEC §4–§5): parse once at the edge;
//! inside, a `ProjectKey` is valid and cannot pass as a `Username`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

/// Declares a string newtype with a validating `parse`.
macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident, $field:literal, $check:expr, $rule:literal) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Validates `raw`.
            ///
            /// # Errors
            /// A field error naming the rule that `raw` breaks.
            pub fn parse(raw: &str) -> Result<Self, FieldError> {
                let check: fn(&str) -> bool = $check;
                if check(raw) {
                    Ok(Self(raw.to_owned()))
                } else {
                    Err(FieldError::invalid($field, concat!("must match ", $rule)))
                }
            }

            /// The validated text.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = String::deserialize(d)?;
                Self::parse(&raw).map_err(serde::de::Error::custom)
            }
        }
    };
}

fn is_username(raw: &str) -> bool {
    (1..=64).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b".-_@+".contains(&b))
}

fn is_group_name(raw: &str) -> bool {
    (1..=64).contains(&raw.len())
        && raw.starts_with(|c: char| c.is_ascii_alphanumeric())
        && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b" ._-".contains(&b))
}

fn is_project_key(raw: &str) -> bool {
    (2..=32).contains(&raw.len())
        && raw.starts_with(|c: char| c.is_ascii_lowercase())
        && raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn is_env_part(raw: &str) -> bool {
    (1..=32).contains(&raw.len())
        && raw.starts_with(|c: char| c.is_ascii_alphanumeric())
        && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Printable text of `min..=max` characters, no control characters, no
/// leading or trailing blanks.
fn is_text(raw: &str, min: usize, max: usize) -> bool {
    let n = raw.chars().count();
    (min..=max).contains(&n) && !raw.chars().any(char::is_control) && raw.trim() == raw
}

fn is_email(raw: &str) -> bool {
    // RFC 5321 mailbox: local@domain, local a dot-atom, domain of labels.
    if raw.len() > 254 {
        return false;
    }
    let Some((local, domain)) = raw.rsplit_once('@') else {
        return false;
    };
    let atext = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c);
    let local_ok =
        (1..=64).contains(&local.len()) && local.split('.').all(|part| !part.is_empty() && part.chars().all(atext));
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    let domain_ok = (1..=253).contains(&domain.len()) && domain.split('.').all(label_ok);
    local_ok && domain_ok
}

name_type!(
    /// A username, `^[a-z0-9.\-_@+]{1,64}$` (SPEC §5.1).
    Username, "username", is_username, "^[a-z0-9.\\-_@+]{1,64}$"
);
name_type!(
    /// A group name, `^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$` (SPEC §5.2).
    GroupName, "name", is_group_name, "^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$"
);
name_type!(
    /// A project key, `^[a-z][a-z0-9-]{1,31}$` (SPEC §5.3).
    ProjectKey, "key", is_project_key, "^[a-z][a-z0-9-]{1,31}$"
);
name_type!(
    /// The part of an environment name a person chooses,
    /// `^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$` (SPEC §5.4).
    EnvPart, "name", is_env_part, "^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$"
);
name_type!(
    /// A project's display name, 1–128 characters (SPEC §5.3).
    DisplayName, "display_name", |raw| is_text(raw, 1, 128), "1–128 printable characters"
);
name_type!(
    /// A role name, 1–64 printable characters.
    RoleName, "name", |raw| is_text(raw, 1, 64), "1–64 printable characters"
);
name_type!(
    /// A registered resource's name (SPEC §5.6): 1–128 characters, no
    /// control characters, no leading or trailing blanks.
    ResourceName, "name", |raw| is_text(raw, 1, 128), "1–128 printable characters"
);

/// An email address: RFC 5321 syntax, at most 254 characters, compared
/// without regard to case (SPEC §5.1). Stored as given; compared lowercased.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Validates `raw`.
    ///
    /// # Errors
    /// A field error for `email`.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        if is_email(raw) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldError::invalid(
                "email",
                "must be an email address (RFC 5321), at most 254 characters",
            ))
        }
    }

    /// As given.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form uniqueness is decided on.
    #[must_use]
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A description: up to `max` characters, no control characters but newlines.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Description(String);

impl Description {
    /// Validates `raw` against a maximum length (1,024 for projects and tokens).
    ///
    /// # Errors
    /// A field error for `field`.
    pub fn parse(field: &'static str, raw: &str, max: usize) -> Result<Self, FieldError> {
        let ok = raw.chars().count() <= max && !raw.chars().any(|c| c.is_control() && c != '\n' && c != '\t');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(FieldError::invalid(
                field,
                "at most 1,024 characters, no control characters",
            ))
        }
    }

    /// The text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A full environment name: a global `NAME`, or `<key>-<NAME>` in a project.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EnvName(String);

impl EnvName {
    /// A global environment's name.
    #[must_use]
    pub fn global(part: &EnvPart) -> Self {
        Self(part.as_str().to_owned())
    }

    /// Parses what the API takes for a project environment: `NAME` or the
    /// full `<key>-NAME` (SPEC §5.4). `NAME` holds no `-`, so a full name
    /// splits into key and name one way only.
    ///
    /// # Errors
    /// A field error for `name`.
    pub fn for_project(key: &ProjectKey, raw: &str) -> Result<Self, FieldError> {
        let prefix = format!("{key}-");
        let part = raw.strip_prefix(&prefix).unwrap_or(raw);
        let part = EnvPart::parse(part)?;
        if part.as_str().contains('-') {
            return Err(FieldError::invalid(
                "name",
                "a project environment's name holds no `-` (the full name is `<key>-<NAME>`)",
            ));
        }
        Ok(Self(format!("{prefix}{part}")))
    }

    /// The full name of project `key`'s environment `raw` (`NAME` or the
    /// full name) as it may already be stored — a name made before `NAME`
    /// lost its `-` included — for finding it, not for making one.
    ///
    /// # Errors
    /// A field error for `name`.
    pub fn existing_in_project(key: &ProjectKey, raw: &str) -> Result<Self, FieldError> {
        let prefix = format!("{key}-");
        let part = raw.strip_prefix(&prefix).unwrap_or(raw);
        let part = EnvPart::parse(part)?;
        Ok(Self(format!("{prefix}{part}")))
    }

    /// Wraps a name read back from the store or the model.
    #[must_use]
    pub fn from_trusted(name: &str) -> Self {
        Self(name.to_owned())
    }

    /// The full name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EnvName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password as typed: 12–256 characters, not the username or email
/// (SPEC §5.1). Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Validates a new password for a user.
    ///
    /// # Errors
    /// A field error for `field`.
    pub fn parse(field: &'static str, raw: &str, username: &str, email: Option<&str>) -> Result<Self, FieldError> {
        let n = raw.chars().count();
        if !(12..=256).contains(&n) {
            return Err(FieldError::invalid(field, "must be 12 to 256 characters"));
        }
        let same = raw.eq_ignore_ascii_case(username) || email.is_some_and(|e| raw.eq_ignore_ascii_case(e));
        if same {
            return Err(FieldError::invalid(
                field,
                "must differ from the username and the email",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The secret, for hashing only.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(…)")
    }
}

impl Username {
    /// The default username for an email, when it fits the username rule
    /// (SPEC §5.1).
    #[must_use]
    pub fn from_email(email: &Email) -> Option<Self> {
        Self::parse(&email.normalized()).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::ResourceName;

    #[test]
    fn resource_names_are_printable_text_of_1_to_128_characters() {
        let long = "r".repeat(128);
        let too_long = "r".repeat(129);
        let wide = "é".repeat(128);
        for (raw, ok) in [
            ("web-libs-dev", true),
            ("a", true),
            ("libs release/2.x", true),
            (long.as_str(), true),
            (wide.as_str(), true),
            ("", false),
            (too_long.as_str(), false),
            (" padded", false),
            ("padded ", false),
            ("tab\there", false),
            ("line\nbreak", false),
        ] {
            assert_eq!(ResourceName::parse(raw).is_ok(), ok, "{raw:?}");
        }
        let error = ResourceName::parse("").unwrap_err();
        assert_eq!(error.field, "name");
    }
}
