//! `gatehouse login`, `logout` and `whoami`: a token for a username and
//! password, kept in a profile (SPEC §6.3, §11); with `--oidc`, for the
//! instance's OpenID Connect provider through the device-authorization
//! grant (RFC 8628, SPEC §13).

use anyhow::{Context as _, bail};
use clap::Args;
use gatehouse_api::{CreatedToken, OidcTokenRequest, Secret, TokenRequest, User};
use gatehouse_client::{Client, ClientError, device};

use super::Global;
use super::output::{self, Format};
use super::profile::{self, Profile, Profiles};
use super::secrets::{self, StdinSecrets};

/// `gatehouse login`.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The server's URL (or `--url`).
    #[arg(value_name = "URL")]
    pub server: Option<String>,
    /// The username (or email); asked for when missing.
    #[arg(long, short)]
    pub username: Option<String>,
    /// Read the password from standard input instead of prompting.
    #[arg(long)]
    pub password_stdin: bool,
    /// The token's description.
    #[arg(long, default_value = "gatehouse CLI")]
    pub description: String,
    /// Log in through the instance's identity provider (OpenID Connect)
    /// with the device-authorization grant: open the URL shown, enter the
    /// code, and the CLI gets its token when you have approved.
    #[arg(long, conflicts_with_all = ["username", "password_stdin"])]
    pub oidc: bool,
}

/// Logs in and saves the profile.
pub async fn login(global: &Global, args: &LoginArgs) -> anyhow::Result<()> {
    let url = match (&args.server, &global.url) {
        (Some(url), _) | (None, Some(url)) => url.clone(),
        (None, None) => match global.saved_profile()? {
            Some(p) => p.url,
            None => bail!("name the server: `gatehouse login URL`"),
        },
    };
    let client = Client::new(&url, None)?;
    let created = if args.oidc {
        oidc_token(&client, &args.description).await?
    } else {
        password_token(&client, args).await?
    };
    let mut profiles = Profiles::load()?;
    let previous = profiles.profiles.insert(
        global.profile.clone(),
        Profile {
            url: client.base_url().as_str().trim_end_matches('/').to_owned(),
            username: created.token.username.clone(),
            token: created.secret.expose().to_owned(),
            token_id: Some(created.token.id.clone()),
        },
    );
    profiles.save()?;
    // The token this profile held before is not used any more.
    if let Some(old) = previous
        && let Some(id) = old.token_id
        && same(&old.url, client.base_url().as_str())
    {
        let _ = client.with_token(Some(old.token)).revoke_token(&id).await;
    }
    eprintln!(
        "Logged in to {} as {} (profile `{}`, saved in {})",
        url,
        created.token.username,
        global.profile,
        profile::path()?.display()
    );
    Ok(())
}

/// A personal token for a username and password.
async fn password_token(client: &Client, args: &LoginArgs) -> anyhow::Result<CreatedToken> {
    let username = match &args.username {
        Some(u) => u.clone(),
        None if args.password_stdin => bail!("give `--username` with `--password-stdin`"),
        None => secrets::ask("Username")?,
    };
    let password = if args.password_stdin {
        StdinSecrets::new().next_secret("password")?
    } else {
        secrets::prompt("Password")?
    };
    Ok(client
        .auth_token(&TokenRequest {
            username,
            password,
            description: Some(args.description.clone()),
            expires_in: None,
        })
        .await?)
}

/// A personal token through the identity provider's device grant.
async fn oidc_token(client: &Client, description: &str) -> anyhow::Result<CreatedToken> {
    let info = client.oidc_info().await.context("this instance offers no OIDC login")?;
    let code = device::start(&info).await?;
    match &code.verification_uri_complete {
        Some(complete) => eprintln!(
            "To log in with {}, open {complete}\n(or {} and enter the code {})",
            info.display_name, code.verification_uri, code.user_code
        ),
        None => eprintln!(
            "To log in with {}, open {} and enter the code {}",
            info.display_name, code.verification_uri, code.user_code
        ),
    }
    eprintln!("Waiting for your approval…");
    let id_token = device::finish(&info, &code).await?;
    Ok(client
        .oidc_token(&OidcTokenRequest {
            id_token: Secret::new(id_token),
            description: Some(description.to_owned()),
            expires_in: None,
        })
        .await?)
}

fn same(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// Revokes the profile's token and forgets the profile.
pub async fn logout(global: &Global) -> anyhow::Result<()> {
    let mut profiles = Profiles::load()?;
    let Some(saved) = profiles.profiles.get(&global.profile).cloned() else {
        bail!("no profile `{}` to log out of", global.profile);
    };
    if let Some(id) = &saved.token_id {
        let client = Client::new(&saved.url, Some(saved.token.clone()))?;
        match client.revoke_token(id).await {
            // Already revoked or expired: nothing left to revoke.
            Ok(()) | Err(ClientError::Problem(_)) => {}
            Err(e) => {
                return Err(e).context("cannot revoke the token; the profile is kept (try again, or delete it)");
            }
        }
    }
    profiles.profiles.remove(&global.profile);
    profiles.save()?;
    eprintln!("Logged out of {} (profile `{}`)", saved.url, global.profile);
    Ok(())
}

/// Shows who the token acts for.
pub async fn whoami(client: &Client, format: Format) -> anyhow::Result<()> {
    let me = client.me().await?;
    output::print(format, &me, |u| user_table(std::slice::from_ref(u)))
}

/// Users as a table.
pub fn user_table(users: &[User]) -> comfy_table::Table {
    let mut table = output::table([
        "USERNAME",
        "EMAIL",
        "KIND",
        "STATUS",
        "ADMIN",
        "ACCOUNT PERMISSIONS",
        "GROUPS",
    ]);
    for u in users {
        table.add_row([
            u.username.clone(),
            output::opt(u.email.as_deref()),
            enum_text(&u.kind),
            enum_text(&u.status),
            if u.admin { "yes".to_owned() } else { "no".to_owned() },
            output::list(&u.account_permissions),
            output::list(&u.groups),
        ]);
    }
    table
}

/// A serde enum's wire name.
pub fn enum_text<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}
