//! Password hashing (argon2id, the crate's defaults, PHC strings; SPEC §6.1),
//! the [`Gate`] that bounds how much of it runs at once, and the first
//! admin's random password (SPEC §6.4).

use std::sync::Arc;

use std::path::Path;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Argon2, Params};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The file holding a generated first admin password (SPEC §6.4).
pub const INITIAL_ADMIN_PASSWORD_FILE: &str = "initial-admin-password";

/// Random bytes in a generated password: 192 bits, 32 base64url characters.
const GENERATED_BYTES: usize = 24;

/// A password from the operating system's CSPRNG, base64url without padding.
///
/// # Errors
/// When the operating system has no randomness to give.
pub fn generate() -> Result<String, String> {
    let mut bytes = [0_u8; GENERATED_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| format!("no randomness: {e}"))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// The argon2id PHC string of `password`, with a random salt.
///
/// # Errors
/// When hashing fails (no randomness for the salt).
pub fn hash(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash: {e}"))
}

/// Whether `password` matches the PHC string `phc`.
#[must_use]
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// Removes the file holding the generated first admin password: called
/// when that password changes (SPEC §6.4).
pub fn forget_initial_password(data_dir: &Path) {
    let file = data_dir.join(INITIAL_ADMIN_PASSWORD_FILE);
    match std::fs::remove_file(&file) {
        Ok(()) => tracing::info!(file = %file.display(), "removed the initial admin password file"),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => tracing::warn!(%error, file = %file.display(), "cannot remove the initial admin password file"),
    }
}

/// Whether the PHC string `phc` was made with weaker parameters than
/// [`hash`] uses today (another algorithm or version, less memory, fewer
/// passes or lanes), so that it is made again at the next login (SPEC §6.1).
#[must_use]
pub fn needs_rehash(phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return true;
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return true;
    };
    let current = Params::default();
    parsed.algorithm.as_str() != argon2::Algorithm::Argon2id.ident().as_str()
        || parsed.version.is_some_and(|v| v < u32::from(argon2::Version::V0x13))
        || params.m_cost() < current.m_cost()
        || params.t_cost() < current.t_cost()
        || params.p_cost() < current.p_cost()
}

/// Hashing jobs queued per worker before more are refused.
const QUEUE_PER_WORKER: usize = 16;

/// How long a refused caller is told to wait.
pub const BUSY_RETRY_SECS: u64 = 1;

/// Bounds the argon2 work in flight (each job holds 19 MiB for tens of
/// milliseconds): at most `workers` jobs run at once, at most `queue` more
/// wait, and past that a job is refused at once ([`Busy`]) — so no burst of
/// logins or password changes, authenticated or not, grows the process
/// beyond `workers` × 19 MiB of hashing memory.
#[derive(Debug)]
pub struct Gate {
    running: Arc<tokio::sync::Semaphore>,
    admitted: Arc<tokio::sync::Semaphore>,
    started: std::sync::atomic::AtomicU64,
}

/// The gate is full: retry after [`BUSY_RETRY_SECS`].
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    /// Too many jobs running and waiting.
    #[error("too many passwords are being hashed at once")]
    Busy,
    /// The job panicked.
    #[error("password hashing panicked")]
    Panicked,
}

impl Gate {
    /// A gate running `workers` jobs at once with `queue` waiting.
    #[must_use]
    pub fn new(workers: usize, queue: usize) -> Self {
        let workers = workers.max(1);
        Self {
            running: Arc::new(tokio::sync::Semaphore::new(workers)),
            admitted: Arc::new(tokio::sync::Semaphore::new(workers + queue)),
            started: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// A gate with one worker per core of this machine.
    #[must_use]
    pub fn for_this_machine() -> Self {
        let workers = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        Self::new(workers, workers * QUEUE_PER_WORKER)
    }

    /// How many jobs have started since the process did.
    #[must_use]
    pub fn jobs_started(&self) -> u64 {
        self.started.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Runs `job` on the blocking pool once a worker is free. The permits
    /// go with the job, so a caller that gives up (a dropped request) does
    /// not let more work start than the bound.
    ///
    /// # Errors
    /// [`GateError::Busy`] at once when the queue is full.
    pub async fn run<T: Send + 'static>(&self, job: impl FnOnce() -> T + Send + 'static) -> Result<T, GateError> {
        let admitted = Arc::clone(&self.admitted)
            .try_acquire_owned()
            .map_err(|_| GateError::Busy)?;
        let running = Arc::clone(&self.running)
            .acquire_owned()
            .await
            .map_err(|_| GateError::Busy)?;
        self.started.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tokio::task::spawn_blocking(move || {
            let out = job();
            drop((running, admitted));
            out
        })
        .await
        .map_err(|_| GateError::Panicked)
    }
}

#[cfg(test)]
mod tests {
    use super::{Gate, GateError, generate, hash, needs_rehash, verify};

    #[test]
    fn weaker_parameters_need_a_rehash() {
        let current = hash("a long enough password").unwrap();
        assert!(!needs_rehash(&current), "{current}");
        let params = argon2::Params::new(8 * 1024, 1, 1, None).unwrap();
        let weak = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let weak = argon2::password_hash::PasswordHasher::hash_password(&weak, b"a long enough password")
            .unwrap()
            .to_string();
        assert!(needs_rehash(&weak), "{weak}");
        assert!(verify("a long enough password", &weak), "a weaker hash still verifies");
        assert!(needs_rehash("not a phc string"));
    }

    #[tokio::test]
    async fn the_gate_refuses_past_its_queue() {
        let gate = std::sync::Arc::new(Gate::new(1, 1));
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let first = {
            let gate = std::sync::Arc::clone(&gate);
            tokio::spawn(async move { gate.run(move || rx.recv().is_ok()).await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let second = {
            let gate = std::sync::Arc::clone(&gate);
            tokio::spawn(async move { gate.run(|| true).await })
        };
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        assert!(
            matches!(gate.run(|| true).await, Err(GateError::Busy)),
            "one running, one waiting"
        );
        tx.send(()).unwrap();
        assert!(first.await.unwrap().unwrap());
        assert!(second.await.unwrap().unwrap());
        assert!(gate.run(|| true).await.unwrap(), "free again");
    }

    #[test]
    fn generated_passwords_are_long_distinct_and_verify() {
        let (a, b) = (generate().unwrap(), generate().unwrap());
        assert!(a.len() >= 20, "{a}");
        assert_ne!(a, b);
        let phc = hash(&a).unwrap();
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(verify(&a, &phc));
        assert!(!verify(&b, &phc));
    }
}
