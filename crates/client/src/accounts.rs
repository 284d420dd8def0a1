//! Logging in, the caller, users, groups and tokens (SPEC §5.1, §5.2, §6).

use gatehouse_api::{
    CreateGroup, CreateInvitation, CreateToken, CreateUser, CreatedToken, Group, InvitationSent, Message, OidcInfo,
    OidcTokenRequest, Page, PatchGroup, PatchGroupMembers, PatchUser, Permissions, RequestPasswordReset, ResetPassword,
    SetPassword, Token, TokenRequest, User,
};
use reqwest::Method;

use crate::error::ClientError;
use crate::query::{Paging, UserQuery};
use crate::transport::Client;

/// No query string.
pub(crate) const NO_QUERY: &[(&str, &str)] = &[];

impl Client {
    /// `POST /api/v1/auth/token`: a personal token for a username and password.
    ///
    /// # Errors
    /// 401 `invalid_credentials`, 429, or a transport failure.
    pub async fn auth_token(&self, request: &TokenRequest) -> Result<CreatedToken, ClientError> {
        self.send(Method::POST, &["api", "v1", "auth", "token"], Some(request))
            .await
    }

    /// `GET /api/v1/auth/oidc`: the instance's OpenID Connect provider.
    ///
    /// # Errors
    /// 404 when none is configured; 503 when it cannot be reached.
    pub async fn oidc_info(&self) -> Result<OidcInfo, ClientError> {
        self.get(&["api", "v1", "auth", "oidc"], NO_QUERY).await
    }

    /// `POST /api/v1/auth/oidc/token`: a personal token for a fresh ID token
    /// the provider issued to this instance's client (the device grant).
    ///
    /// # Errors
    /// 401 `invalid_credentials` (the reason in the detail), 429, or a
    /// transport failure.
    pub async fn oidc_token(&self, request: &OidcTokenRequest) -> Result<CreatedToken, ClientError> {
        self.send(Method::POST, &["api", "v1", "auth", "oidc", "token"], Some(request))
            .await
    }

    /// `GET /api/v1/me`.
    ///
    /// # Errors
    /// 401 without a valid token.
    pub async fn me(&self) -> Result<User, ClientError> {
        self.get(&["api", "v1", "me"], NO_QUERY).await
    }

    /// `GET /api/v1/me/permissions?project=`.
    ///
    /// # Errors
    /// 404 for a project the caller cannot see.
    pub async fn my_permissions(&self, project: &str) -> Result<Permissions, ClientError> {
        self.get(&["api", "v1", "me", "permissions"], &[("project", project)])
            .await
    }

    /// `GET /api/v1/users`: one page.
    ///
    /// # Errors
    /// 403 without `accounts.manage`.
    pub async fn list_users(&self, query: &UserQuery) -> Result<Page<User>, ClientError> {
        self.get(&["api", "v1", "users"], query).await
    }

    /// `POST /api/v1/users`.
    ///
    /// # Errors
    /// 422 naming the fields, 409 for a taken name.
    pub async fn create_user(&self, request: &CreateUser) -> Result<User, ClientError> {
        self.send(Method::POST, &["api", "v1", "users"], Some(request)).await
    }

    /// `GET /api/v1/users/{username}`.
    ///
    /// # Errors
    /// 404 for an unknown user.
    pub async fn get_user(&self, username: &str) -> Result<User, ClientError> {
        self.get(&["api", "v1", "users", username], NO_QUERY).await
    }

    /// `PATCH /api/v1/users/{username}`.
    ///
    /// # Errors
    /// 422, 403 (anti-escalation), 409 `last_admin`.
    pub async fn patch_user(&self, username: &str, request: &PatchUser) -> Result<User, ClientError> {
        self.send(Method::PATCH, &["api", "v1", "users", username], Some(request))
            .await
    }

    /// `DELETE /api/v1/users/{username}`.
    ///
    /// # Errors
    /// 404, 409 `last_admin`.
    pub async fn delete_user(&self, username: &str) -> Result<(), ClientError> {
        self.send_empty(Method::DELETE, &["api", "v1", "users", username], NO_QUERY)
            .await
    }

    /// `POST /api/v1/users/{username}/disable`.
    ///
    /// # Errors
    /// 404, 409 `last_admin`.
    pub async fn disable_user(&self, username: &str) -> Result<User, ClientError> {
        self.user_action(username, "disable").await
    }

    /// `POST /api/v1/users/{username}/enable`.
    ///
    /// # Errors
    /// 404.
    pub async fn enable_user(&self, username: &str) -> Result<User, ClientError> {
        self.user_action(username, "enable").await
    }

    /// `POST /api/v1/users/{username}/unlock`.
    ///
    /// # Errors
    /// 404.
    pub async fn unlock_user(&self, username: &str) -> Result<User, ClientError> {
        self.user_action(username, "unlock").await
    }

    async fn user_action(&self, username: &str, action: &str) -> Result<User, ClientError> {
        self.send::<User, ()>(Method::POST, &["api", "v1", "users", username, action], None)
            .await
    }

    /// `PUT /api/v1/users/{username}/password`.
    ///
    /// # Errors
    /// 422 for a password the rules refuse; 403 without the current one.
    pub async fn set_password(&self, username: &str, request: &SetPassword) -> Result<(), ClientError> {
        let url = self.url(&["api", "v1", "users", username, "password"])?;
        self.put_empty(url, request).await
    }

    /// `GET /api/v1/users/{username}/permissions?project=`.
    ///
    /// # Errors
    /// 404 for a project or user the caller cannot see, 403 without `authz.query`.
    pub async fn user_permissions(&self, username: &str, project: &str) -> Result<Permissions, ClientError> {
        self.get(
            &["api", "v1", "users", username, "permissions"],
            &[("project", project)],
        )
        .await
    }

    /// `GET /api/v1/users/{username}/tokens`.
    ///
    /// # Errors
    /// 403 for another user's tokens without `accounts.manage`.
    pub async fn list_user_tokens(&self, username: &str, paging: &Paging) -> Result<Page<Token>, ClientError> {
        self.get(&["api", "v1", "users", username, "tokens"], paging).await
    }

    /// `POST /api/v1/users/{username}/tokens` (platform admins, for anyone).
    ///
    /// # Errors
    /// 403, 422.
    pub async fn create_user_token(&self, username: &str, request: &CreateToken) -> Result<CreatedToken, ClientError> {
        self.send(Method::POST, &["api", "v1", "users", username, "tokens"], Some(request))
            .await
    }

    /// `GET /api/v1/tokens`: the caller's tokens.
    ///
    /// # Errors
    /// 401.
    pub async fn list_tokens(&self, paging: &Paging) -> Result<Page<Token>, ClientError> {
        self.get(&["api", "v1", "tokens"], paging).await
    }

    /// `POST /api/v1/tokens`: a token for the caller.
    ///
    /// # Errors
    /// 422 for a scope or lifetime the instance refuses.
    pub async fn create_token(&self, request: &CreateToken) -> Result<CreatedToken, ClientError> {
        self.send(Method::POST, &["api", "v1", "tokens"], Some(request)).await
    }

    /// `DELETE /api/v1/tokens/{id}`.
    ///
    /// # Errors
    /// 404 for a token the caller cannot see.
    pub async fn revoke_token(&self, id: &str) -> Result<(), ClientError> {
        self.send_empty(Method::DELETE, &["api", "v1", "tokens", id], NO_QUERY)
            .await
    }

    /// `GET /api/v1/invitations`: one page of the outbox, with each
    /// message's delivery.
    ///
    /// # Errors
    /// 403 without `accounts.manage`.
    pub async fn list_invitations(&self, paging: &Paging) -> Result<Page<Message>, ClientError> {
        self.get(&["api", "v1", "invitations"], paging).await
    }

    /// `POST /api/v1/invitations`: invites a new user by email, or re-sends
    /// the invitation of the user with this email while it is still
    /// invited. The answer holds the link only for a platform admin of an
    /// instance without SMTP.
    ///
    /// # Errors
    /// 409 for a user who has logged in; 403; 422.
    pub async fn invite(&self, request: &CreateInvitation) -> Result<InvitationSent, ClientError> {
        self.send(Method::POST, &["api", "v1", "invitations"], Some(request))
            .await
    }

    /// `POST /api/v1/auth/password-reset`: asks for a reset link to be sent
    /// to `email` (accepted whatever the address).
    ///
    /// # Errors
    /// 422 for an address that is not one; 429.
    pub async fn request_password_reset(&self, email: &str) -> Result<(), ClientError> {
        let url = self.url(&["api", "v1", "auth", "password-reset"])?;
        let request = RequestPasswordReset {
            email: email.to_owned(),
        };
        self.post_empty(url, &request).await
    }

    /// `POST /api/v1/auth/password-reset/{secret}`: sets a new password
    /// with the secret of a reset link.
    ///
    /// # Errors
    /// 404 for an unknown, spent or expired link; 422; 429.
    pub async fn reset_password(&self, secret: &str, request: &ResetPassword) -> Result<(), ClientError> {
        let url = self.url(&["api", "v1", "auth", "password-reset", secret])?;
        self.post_empty(url, request).await
    }

    /// `GET /api/v1/groups`: one page.
    ///
    /// # Errors
    /// 403 without `accounts.manage`.
    pub async fn list_groups(&self, paging: &Paging) -> Result<Page<Group>, ClientError> {
        self.get(&["api", "v1", "groups"], paging).await
    }

    /// `POST /api/v1/groups`.
    ///
    /// # Errors
    /// 422, 409.
    pub async fn create_group(&self, request: &CreateGroup) -> Result<Group, ClientError> {
        self.send(Method::POST, &["api", "v1", "groups"], Some(request)).await
    }

    /// `GET /api/v1/groups/{name}`.
    ///
    /// # Errors
    /// 404.
    pub async fn get_group(&self, name: &str) -> Result<Group, ClientError> {
        self.get(&["api", "v1", "groups", name], NO_QUERY).await
    }

    /// `PATCH /api/v1/groups/{name}`.
    ///
    /// # Errors
    /// 404, 422.
    pub async fn patch_group(&self, name: &str, request: &PatchGroup) -> Result<Group, ClientError> {
        self.send(Method::PATCH, &["api", "v1", "groups", name], Some(request))
            .await
    }

    /// `DELETE /api/v1/groups/{name}`.
    ///
    /// # Errors
    /// 404.
    pub async fn delete_group(&self, name: &str) -> Result<(), ClientError> {
        self.send_empty(Method::DELETE, &["api", "v1", "groups", name], NO_QUERY)
            .await
    }

    /// `PATCH /api/v1/groups/{name}/members`.
    ///
    /// # Errors
    /// 404, 422 naming unknown users.
    pub async fn change_group_members(&self, name: &str, request: &PatchGroupMembers) -> Result<Group, ClientError> {
        self.send(Method::PATCH, &["api", "v1", "groups", name, "members"], Some(request))
            .await
    }
}
