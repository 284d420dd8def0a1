//! Start-up: open the store, initialise it on first start (SPEC §6.4), and
//! compile the snapshot the server answers from.

use std::fmt;
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use gatehouse_authz::{Catalogue, Model, Snapshot};
use gatehouse_domain::commands::init::{FIRST_ADMIN, initialize};
use gatehouse_domain::names::Password;
use gatehouse_domain::store::{AuditFilter, PageRequest};
use gatehouse_domain::{AuditActor, AuditEntry, DomainError, Store as _, StoreError};
use gatehouse_store::Store;
use time::OffsetDateTime;

use crate::config::Config;
use crate::error::StartError;
use crate::mailer::Mailer;
use crate::password;
use crate::router::router;
use crate::state::App;
use crate::tls::Tls;

pub use crate::password::INITIAL_ADMIN_PASSWORD_FILE;

/// The first admin's generated password, shown once.
pub struct InitialAdmin {
    /// The password.
    pub password: String,
    /// The file it was written to (mode 0600).
    pub file: PathBuf,
}

impl fmt::Debug for InitialAdmin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InitialAdmin")
            .field("password", &"<redacted>")
            .field("file", &self.file)
            .finish()
    }
}

/// A started server, ready to serve.
#[derive(Clone)]
pub struct Server {
    app: App,
    config: Config,
    initialized: bool,
    initial_admin: Option<Arc<InitialAdmin>>,
    mailer: Option<Mailer>,
    tls: Option<Tls>,
}

impl Server {
    /// The shared application state.
    #[must_use]
    pub fn app(&self) -> &App {
        &self.app
    }

    /// The configuration it started with.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Whether this start initialised an empty store.
    #[must_use]
    pub fn initialized(&self) -> bool {
        self.initialized
    }

    /// The generated first admin password, when this start created it.
    #[must_use]
    pub fn initial_admin(&self) -> Option<&InitialAdmin> {
        self.initial_admin.as_deref()
    }

    /// The outbox sender, when SMTP is configured.
    #[must_use]
    pub fn mailer(&self) -> Option<&Mailer> {
        self.mailer.as_ref()
    }

    /// The certificate served, when `tls_cert` is set (SPEC §8.1).
    #[must_use]
    pub fn tls(&self) -> Option<&Tls> {
        self.tls.as_ref()
    }

    /// The HTTP router.
    pub fn router(&self) -> Router {
        router(self.app.clone())
    }
}

/// Opens the store, initialises it if empty, and compiles the snapshot.
///
/// # Errors
/// [`StartError`] saying what failed: the catalogue, the data directory,
/// the store, or the stored model.
pub async fn start(config: Config) -> Result<Server, StartError> {
    let mailer = config.mail_settings()?.map(Mailer::new);
    let tls = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => Some(Tls::load(cert, key)?),
        _ => None,
    };
    let catalogue = Arc::new(load_catalogue(&config.catalogue)?);
    create_data_dir(&config.data_dir)?;
    let store = Store::open(&config.database_url()).await?;
    match store.upgrade_audit_chain(OffsetDateTime::now_utc()).await {
        Ok(0) => {}
        Ok(records) => tracing::info!(
            records,
            "audit chain rewritten in the RFC 8785 form (SPEC §9.1), audited"
        ),
        Err(error) => {
            tracing::warn!(%error, "audit chain left in its legacy form; `gatehouse audit verify` reports it")
        }
    }

    let mut initialized = false;
    let mut initial_admin = None;
    if store.revision().await? == 0 {
        (initialized, initial_admin) = first_start(&store, &catalogue, &config).await?;
    }

    let (model, revision) = store.load_model().await?;
    if !initialized {
        keep_catalogue(&store, &catalogue, &model).await?;
    }
    let threads = crate::compile_threads::for_model(&model);
    let snapshot = Snapshot::compile_owned_on(catalogue, model, threads)?.with_revision(revision);
    tracing::info!(revision, "snapshot compiled");
    // Unknown users are checked against this hash (SPEC §6.1).
    let dummy_hash =
        password::hash(&password::generate().map_err(StartError::Password)?).map_err(StartError::Password)?;
    let oidc = start_oidc(&config).await?;
    Ok(Server {
        app: App::new(store, snapshot, config.clone(), dummy_hash, oidc),
        config,
        initialized,
        initial_admin: initial_admin.map(Arc::new),
        mailer,
        tls,
    })
}

/// The configured OIDC provider, discovered once (bounded by the client's
/// timeouts). A provider that does not answer leaves the instance running —
/// the password login works — with a warning here and a detail in
/// `/readyz`; the next OIDC login discovers it again (SPEC §13).
async fn start_oidc(config: &Config) -> Result<Option<crate::oidc::Oidc>, StartError> {
    let Some(oidc) = crate::oidc::Oidc::from_config(config)? else {
        return Ok(None);
    };
    match oidc.discover().await {
        Ok(()) => tracing::info!(issuer = oidc.issuer(), "OIDC provider discovered"),
        Err(error) => {
            tracing::warn!(issuer = oidc.issuer(), %error, "OIDC login unavailable until the provider answers")
        }
    }
    Ok(Some(oidc))
}

/// The audit events that name the catalogue the store was kept with.
const CATALOGUE_EVENTS: [&str; 2] = ["instance.initialized", "catalogue.switched"];

/// The catalogue the store was initialised with or last switched to (its
/// name, the target of the newest of [`CATALOGUE_EVENTS`]), if any.
async fn kept_catalogue(store: &Store) -> Result<Option<String>, StartError> {
    let mut newest: Option<(u64, String)> = None;
    for event in CATALOGUE_EVENTS {
        let filter = AuditFilter {
            event: Some(event.to_owned()),
            ..AuditFilter::default()
        };
        let mut page = PageRequest {
            cursor: None,
            limit: 1_000,
        };
        loop {
            let found = store.audit(&filter, &page).await?;
            for record in found.items {
                if newest.as_ref().is_none_or(|(id, _)| record.id > *id) {
                    newest = Some((record.id, record.entry.target_id));
                }
            }
            match found.next_cursor {
                Some(cursor) => page.cursor = Some(cursor),
                None => break,
            }
        }
    }
    Ok(newest.map(|(_, name)| name))
}

/// SPEC §7: the catalogue is chosen at first start and kept in the store.
/// A start with another one is refused, naming both, unless every stored
/// role still validates against it; then it switches, audited as
/// `catalogue.switched`.
async fn keep_catalogue(store: &Store, catalogue: &Arc<Catalogue>, model: &Model) -> Result<(), StartError> {
    let Some(kept) = kept_catalogue(store).await? else {
        return Ok(());
    };
    if kept == catalogue.name() {
        return Ok(());
    }
    if let Err(error) = Snapshot::compile(catalogue.clone(), model) {
        return Err(StartError::CatalogueChanged {
            kept,
            configured: catalogue.name().to_owned(),
            why: error.to_string(),
        });
    }
    let entry = AuditEntry {
        actor: AuditActor {
            via: Some(gatehouse_domain::Via::System),
            ..AuditActor::default()
        },
        event: "catalogue.switched".into(),
        target_type: "instance".into(),
        target_id: catalogue.name().into(),
        project: None,
        before: Some(serde_json::json!({"catalogue": kept})),
        after: Some(serde_json::json!({"catalogue": catalogue.name()})),
        request_id: None,
    };
    store.record_event(&entry, OffsetDateTime::now_utc()).await?;
    tracing::warn!(from = %kept, to = catalogue.name(), "catalogue switched: every role validates against the new one");
    Ok(())
}

fn load_catalogue(name_or_path: &str) -> Result<Catalogue, StartError> {
    if let Some(builtin) = Catalogue::builtin(name_or_path) {
        return builtin.map_err(|e| StartError::catalogue(name_or_path, &e));
    }
    let text = std::fs::read_to_string(name_or_path).map_err(|source| StartError::Io {
        what: "cannot read the catalogue",
        path: name_or_path.to_owned(),
        source,
    })?;
    Catalogue::parse(name_or_path, &text).map_err(|e| StartError::catalogue(name_or_path, &e))
}

fn create_data_dir(dir: &Path) -> Result<(), StartError> {
    if dir.exists() {
        return Ok(());
    }
    // The store holds password and token hashes: only its owner reads it.
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| StartError::Io {
            what: "cannot create the data directory",
            path: dir.display().to_string(),
            source,
        })
}

/// Creates `admin` in the empty store. Returns whether this start did it,
/// and the generated password if there is one.
async fn first_start(
    store: &Store,
    catalogue: &Catalogue,
    config: &Config,
) -> Result<(bool, Option<InitialAdmin>), StartError> {
    let (password, generated) = match &config.admin_password {
        Some(password) => {
            // The configured password obeys the rule every password does.
            let checked = Password::parse("admin_password", password, FIRST_ADMIN, None).map_err(DomainError::field)?;
            (checked.expose().to_owned(), false)
        }
        None => (password::generate().map_err(StartError::Password)?, true),
    };
    let hash = password::hash(&password).map_err(StartError::Password)?;
    let now = OffsetDateTime::now_utc();
    let commit = initialize(catalogue, hash, now)?;

    // Written before the commit so a committed password is never lost;
    // removed again if the commit does not happen.
    let file = config.data_dir.join(INITIAL_ADMIN_PASSWORD_FILE);
    if generated {
        write_secret(&file, &password)?;
    }
    match store.commit(&commit, now).await {
        Ok(revision) => {
            tracing::info!(revision, catalogue = catalogue.name(), "initialised the empty store");
            Ok((true, generated.then_some(InitialAdmin { password, file })))
        }
        Err(error) => {
            if generated {
                let _ = std::fs::remove_file(&file);
            }
            match error {
                // Another instance initialised it first.
                StoreError::Stale { .. } => Ok((false, None)),
                other => Err(other.into()),
            }
        }
    }
}

/// Writes `secret` to `file`, readable by its owner only.
fn write_secret(file: &Path, secret: &str) -> Result<(), StartError> {
    let io = |source| StartError::Io {
        what: "cannot write",
        path: file.display().to_string(),
        source,
    };
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(file)
        .map_err(io)?;
    // A file left from an earlier store keeps its mode: set it again.
    f.set_permissions(std::fs::Permissions::from_mode(0o600)).map_err(io)?;
    f.write_all(secret.as_bytes()).map_err(io)?;
    f.write_all(b"\n").map_err(io)?;
    f.sync_all().map_err(io)
}
