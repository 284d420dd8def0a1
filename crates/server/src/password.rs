//! Password hashing (argon2id, the crate's defaults, PHC strings; SPEC §6.1),
//! the [`Gate`] that bounds how much of it runs at once, and the first
//! admin's random password (SPEC §6.4).

use std::path::Path;
use std::sync::Arc;

use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Params, Version};
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
    let mut salt = [0_u8; 16];
    getrandom::fill(&mut salt).map_err(|e| format!("no randomness: {e}"))?;
    let params = Params::default();
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut out = [0_u8; Params::DEFAULT_OUTPUT_LEN];
    with_memory(&params, |memory| {
        argon2.hash_password_into_with_memory(password.as_bytes(), &salt, &mut out, memory)
    })
    .map_err(|e| format!("cannot hash: {e}"))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| format!("cannot hash: {e}"))?,
        salt: Some(Salt::new(&salt).map_err(|e| format!("cannot hash: {e}"))?),
        hash: Some(Output::new(&out).map_err(|e| format!("cannot hash: {e}"))?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the PHC string `phc` (any argon2 variant and
/// parameters; the comparison takes constant time).
#[must_use]
pub fn verify(password: &str, phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(mut params) = Params::try_from(&parsed) else {
        return false;
    };
    if params.output_len().is_none() {
        let Ok(with_len) = argon2::ParamsBuilder::new()
            .m_cost(params.m_cost())
            .t_cost(params.t_cost())
            .p_cost(params.p_cost())
            .output_len(expected.len())
            .build()
        else {
            return false;
        };
        params = with_len;
    }
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0_u8; expected.len()];
    let done = with_memory(&params, |memory| {
        argon2.hash_password_into_with_memory(password.as_bytes(), salt.as_ref(), &mut out, memory)
    });
    done.is_ok() && bool::from(subtle::ConstantTimeEq::ct_eq(out.as_slice(), expected.as_bytes()))
}

/// The most blocks a thread keeps between jobs: four times today's memory.
const KEPT_BLOCKS: usize = 4 * Params::DEFAULT_M_COST as usize;

thread_local! {
    /// The argon2 memory of this thread, kept between jobs: an allocator
    /// would keep a freed 19 MiB block anyway, but not always reuse it.
    static MEMORY: std::cell::RefCell<Vec<argon2::Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `job` with the memory `params` need: this thread's own, reused from
/// one job to the next (a job needing more than [`KEPT_BLOCKS`] gets memory
/// of its own, freed after it).
fn with_memory<T>(params: &Params, job: impl FnOnce(&mut [argon2::Block]) -> T) -> T {
    let blocks = params.block_count();
    if blocks > KEPT_BLOCKS {
        let mut own = vec![argon2::Block::default(); blocks];
        return job(&mut own);
    }
    MEMORY.with_borrow_mut(|memory| {
        if memory.len() < blocks {
            memory.resize(blocks, argon2::Block::default());
        }
        job(memory.get_mut(..blocks).unwrap_or_default())
    })
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

/// Whether `username` is the first admin and still has the generated
/// one-time password (its file is there until the password changes,
/// SPEC §6.4): the web UI then asks for a new one at log-in.
#[must_use]
pub fn initial_password_pending(data_dir: &Path, username: &str) -> bool {
    username == gatehouse_domain::commands::init::FIRST_ADMIN && data_dir.join(INITIAL_ADMIN_PASSWORD_FILE).exists()
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
/// milliseconds): `workers` threads of its own run the jobs, at most
/// `queue` more wait, and past that a job is refused at once
/// ([`GateError::Busy`]) — so no burst of logins or password changes,
/// authenticated or not, grows the process beyond `workers` × 19 MiB of
/// hashing memory. Threads of its own, rather than the blocking pool: an
/// allocator keeps memory per thread, and a pool that grows to hundreds of
/// threads would keep hundreds of 19 MiB blocks.
pub struct Gate {
    queue: std::sync::mpsc::SyncSender<Job>,
    started: Arc<std::sync::atomic::AtomicU64>,
}

type Job = Box<dyn FnOnce() + Send>;

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gate")
            .field("started", &self.jobs_started())
            .finish_non_exhaustive()
    }
}

/// Why a job did not run.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    /// Too many jobs running and waiting: retry after [`BUSY_RETRY_SECS`].
    #[error("too many passwords are being hashed at once")]
    Busy,
    /// The job panicked (or the gate's workers are gone).
    #[error("password hashing panicked")]
    Panicked,
}

impl Gate {
    /// A gate running `workers` jobs at once with `queue` waiting.
    #[must_use]
    pub fn new(workers: usize, queue: usize) -> Self {
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Job>(queue);
        let receiver = Arc::new(std::sync::Mutex::new(receiver));
        let started = Arc::new(std::sync::atomic::AtomicU64::new(0));
        for n in 0..workers.max(1) {
            let receiver = Arc::clone(&receiver);
            let started = Arc::clone(&started);
            let spawned = std::thread::Builder::new().name(format!("argon2-{n}")).spawn(move || {
                loop {
                    // The lock is held only while taking a job.
                    let job = match receiver.lock() {
                        Ok(receiver) => receiver.recv(),
                        Err(_) => return,
                    };
                    let Ok(job) = job else {
                        return;
                    };
                    started.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    job();
                }
            });
            if let Err(error) = spawned {
                tracing::error!(%error, "cannot start a password-hashing thread");
            }
        }
        Self { queue: sender, started }
    }

    /// A gate with one worker per core of this machine.
    #[must_use]
    pub fn for_this_machine() -> Self {
        let workers = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        Self::new(workers, workers * QUEUE_PER_WORKER)
    }

    /// How many jobs have started since the gate did.
    #[must_use]
    pub fn jobs_started(&self) -> u64 {
        self.started.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Runs `job` on one of the gate's threads once one is free; a caller
    /// that gives up (a dropped request) leaves its job to run, counted in
    /// the bound.
    ///
    /// # Errors
    /// [`GateError::Busy`] at once when the queue is full.
    pub async fn run<T: Send + 'static>(&self, job: impl FnOnce() -> T + Send + 'static) -> Result<T, GateError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(job());
        });
        self.queue.try_send(job).map_err(|e| match e {
            std::sync::mpsc::TrySendError::Full(_) => GateError::Busy,
            std::sync::mpsc::TrySendError::Disconnected(_) => GateError::Panicked,
        })?;
        rx.await.map_err(|_| GateError::Panicked)
    }
}

#[cfg(test)]
mod tests {
    use super::{Gate, GateError, generate, hash, needs_rehash, verify};

    #[test]
    fn weaker_parameters_need_a_rehash() {
        let current = hash("a long enough password").unwrap();
        assert!(!needs_rehash(&current), "{current}");
        let parsed = argon2::password_hash::phc::PasswordHash::new(&current).unwrap();
        assert!(
            argon2::password_hash::PasswordVerifier::verify_password(
                &argon2::Argon2::default(),
                b"a long enough password",
                &parsed
            )
            .is_ok(),
            "the argon2 crate verifies our hashes"
        );
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
