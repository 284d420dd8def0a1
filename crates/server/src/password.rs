//! Password hashing (argon2id, the crate's defaults, PHC strings; SPEC §6.1)
//! and the first admin's random password (SPEC §6.4).

use std::path::Path;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
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

#[cfg(test)]
mod tests {
    use super::{generate, hash, verify};

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
