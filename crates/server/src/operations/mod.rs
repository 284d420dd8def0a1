//! The one operations layer every face calls (STYLE.md §14): `/api/v1`
//! today, the web UI, SCIM, the JFrog-compatible API and OIDC logins next.
//!
//! A face maps its wire (JSON, a form, a SCIM resource, a JFrog body) to
//! one plain input struct of this module, calls one operation through
//! [`App::ops`] with the face it is ([`Via`]), and maps the answer — a
//! domain entity, or [`Done`] with the revision a write produced — and the
//! error back. Everything between is here, once: field validation into
//! newtypes (every invalid field at once, with its path), password hashing
//! through the argon2 gate, invitation and token secrets, the choice
//! between invite and create, authorization through the domain's commands,
//! the commit (one transaction with its audit record) under the write
//! lock, `expected_revision` preconditions, and the re-read that builds the
//! answer.
//!
//! Errors are [`ApiProblem`]s built from the domain's errors, so every face
//! maps one refusal the same way (its code is `ApiProblem::code`).

pub mod access;
pub mod audit;
pub mod environments;
pub mod groups;
pub mod invitations;
pub mod members;
pub mod oidc;
pub mod preview;
pub mod projects;
pub mod resources;
pub mod roles;
pub mod sessions;
pub mod settings;
pub mod tokens;
pub mod transfer;
pub mod users;
pub mod visibility;

use gatehouse_api::{ErrorCode, Page};
use gatehouse_authz::Snapshot;
pub use gatehouse_domain::Via;
use gatehouse_domain::commands::{Acting, Ctx};
use gatehouse_domain::store::{Page as Found, PageRequest};
use gatehouse_store::Store;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::problem::ApiProblem;
use crate::state::App;

/// What an operation answers: an error every face maps the same way.
pub type OpResult<T> = Result<T, ApiProblem>;

/// The operations, as one face calls them.
#[derive(Clone, Copy)]
pub struct Ops<'a> {
    app: &'a App,
    via: Via,
    /// Set: a dry run (`preview.rs`).
    preview: Option<&'a preview::Preview>,
}

impl App {
    /// The operations as the face `via` calls them: each command it runs
    /// records `via` in its audit record, and only a user's upstream source
    /// may change what SPEC §13 keeps from the other faces.
    #[must_use]
    pub fn ops(&self, via: Via) -> Ops<'_> {
        Ops {
            app: self,
            via,
            preview: None,
        }
    }
}

impl<'a> Ops<'a> {
    /// The application.
    #[must_use]
    pub fn app(&self) -> &'a App {
        self.app
    }

    /// The face the operations are called through.
    #[must_use]
    pub fn via(&self) -> Via {
        self.via
    }

    /// A command context on `snapshot` (the current one), outside the
    /// write lock: for deciding whether a request is allowed before costly
    /// work (argon2), and for reads. The write lock decides again.
    fn ctx<'b>(&self, snapshot: &'b Snapshot, acting: &'b Acting) -> Ctx<'b, Store>
    where
        'a: 'b,
    {
        Ctx {
            store: self.app.store(),
            snapshot,
            acting,
            via: self.via,
            now: self.app.now(),
        }
    }
}

/// A write done: the revision it produced and what it answers.
#[derive(Clone, Debug)]
pub struct Done<T> {
    /// The store revision the commit produced (`Gatehouse-Revision`).
    pub revision: u64,
    /// The answer, read back after the commit.
    pub value: T,
}

impl<T> Done<T> {
    fn new(revision: u64, value: T) -> Self {
        Self { revision, value }
    }
}

/// Refuses when the caller read another version than `current` (an
/// `If-Match` precondition): `None` matches anything.
///
/// # Errors
/// 412 `precondition_failed`: nothing is written.
pub fn expect_revision(expected: Option<u64>, current: u64) -> OpResult<()> {
    match expected {
        Some(read) if read != current => Err(ApiProblem::new(
            ErrorCode::PreconditionFailed,
            format!("`If-Match` names version {read}; it is at {current}: read it again"),
        )),
        _ => Ok(()),
    }
}

/// 404 `not_found` for the `kind` (`user`, `project`, …) named `name` —
/// also the answer for what the caller may not know exists (SPEC §7).
#[must_use]
pub fn not_found(kind: &'static str, name: &str) -> ApiProblem {
    gatehouse_domain::DomainError::NotFound {
        kind,
        name: name.to_owned(),
    }
    .into()
}

/// Every field error a request collected, as one 422 problem; `Ok` when
/// there is none.
///
/// # Errors
/// `validation_failed` listing `errors`.
pub fn refuse_invalid(errors: Vec<gatehouse_domain::FieldError>) -> OpResult<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(gatehouse_domain::DomainError::Validation(errors).into())
    }
}

/// A domain error as the problem every face shows; an anti-escalation
/// refusal for an action names it, and the environment, in the words of
/// `snapshot`'s catalogue (SPEC §2.5: a refusal names what the actor
/// lacks).
#[must_use]
pub fn named_refusal(snapshot: &Snapshot, error: gatehouse_domain::DomainError) -> ApiProblem {
    let missing = match &error {
        gatehouse_domain::DomainError::Escalation(gatehouse_authz::Escalation::MissingAction {
            action,
            environment,
        }) => Some((*action, *environment)),
        _ => None,
    };
    let mut problem = ApiProblem::from(error);
    if let Some((action, environment)) = missing {
        let action = &snapshot.catalogue().action(action).id;
        problem.problem.detail = match environment.and_then(|e| snapshot.env_name(e)) {
            Some(env) => format!("forbidden: you do not hold `{action}` in `{env}`, so you cannot grant it"),
            None => format!("forbidden: you do not hold `{action}`, so you cannot grant it"),
        };
    }
    problem
}

/// The internal error for fields validation said were present.
fn missing(what: &str) -> ApiProblem {
    ApiProblem::internal("validated fields are missing", &what)
}

/// `limit` and `cursor` of a list.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// At most this many items (default 100, at most 1,000).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl Paging {
    /// The store's page request.
    ///
    /// # Errors
    /// 422 naming `limit` outside 1..=1000.
    pub fn request(&self) -> OpResult<PageRequest> {
        let limit = self.limit.unwrap_or(Page::<()>::DEFAULT_LIMIT);
        if !(1..=Page::<()>::MAX_LIMIT).contains(&limit) {
            return Err(gatehouse_domain::FieldError::invalid("limit", "must be 1 to 1000").into());
        }
        Ok(PageRequest {
            cursor: self.cursor.clone(),
            limit: limit as usize,
        })
    }
}

/// One page of a list read whole (a user's tokens, roles, environments, the
/// projects a caller sees), paged by keyset as the store pages (SPEC §7):
/// `items` are put in `key` order and the cursor names the last key given,
/// so a page is never empty while a `next_cursor` follows it, and an item
/// removed between two pages moves nothing else. `listing` names the list
/// (with whose or where it is), so a cursor of another list is refused.
///
/// # Errors
/// 422 naming `limit`; 400 `invalid_cursor`.
pub fn page_of<T, K>(listing: &str, mut items: Vec<T>, key: impl Fn(&T) -> K, paging: &Paging) -> OpResult<Found<T>>
where
    K: Ord + Serialize + DeserializeOwned,
{
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    #[derive(serde::Serialize, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Cursor<K> {
        l: String,
        a: K,
    }

    let request = paging.request()?;
    items.sort_by_cached_key(|item| key(item));
    let start = match &request.cursor {
        None => 0,
        Some(raw) => {
            let cursor: Cursor<K> = URL_SAFE_NO_PAD
                .decode(raw)
                .ok()
                .and_then(|bytes| serde_json::from_slice(&bytes).ok())
                .filter(|c: &Cursor<K>| c.l == listing)
                .ok_or_else(|| ApiProblem::new(ErrorCode::InvalidCursor, "the cursor was not issued for this list"))?;
            items.partition_point(|item| key(item) <= cursor.a)
        }
    };
    let mut page: Vec<T> = items.into_iter().skip(start).take(request.limit + 1).collect();
    let next_cursor = if page.len() > request.limit {
        page.truncate(request.limit);
        page.last()
            .map(|last| {
                serde_json::to_vec(&Cursor {
                    l: listing.to_owned(),
                    a: key(last),
                })
                .map(|bytes| URL_SAFE_NO_PAD.encode(bytes))
                .map_err(|e| ApiProblem::internal("cannot write a cursor", &e))
            })
            .transpose()?
    } else {
        None
    };
    Ok(Found {
        items: page,
        next_cursor,
    })
}
