//! The outbox's SMTP settings (SPEC §9.4): `smtp_url`, `smtp_from` and
//! `smtp_retry_secs` as lettre reads them, checked when the configuration
//! is read; `mailer.rs` sends with them.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, Tokio1Executor};

/// How long one SMTP conversation may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Where and as whom the outbox is sent.
#[derive(Clone)]
pub struct MailSettings {
    pub(crate) transport: AsyncSmtpTransport<Tokio1Executor>,
    pub(crate) from: Mailbox,
    pub(crate) first_retry: Duration,
}

impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The transport holds the SMTP credentials.
        f.debug_struct("MailSettings")
            .field("from", &self.from.to_string())
            .field("first_retry", &self.first_retry)
            .finish_non_exhaustive()
    }
}

impl MailSettings {
    /// Sending through the SMTP server of `url` (lettre's URL form), from
    /// `from`, retrying first after `retry_secs`.
    ///
    /// # Errors
    /// A message naming the key whose value lettre cannot use.
    pub fn new(url: &str, from: &str, retry_secs: u64) -> Result<Self, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("key `smtp_url`: {e}"))?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        let from = from
            .parse::<Mailbox>()
            .map_err(|e| format!("key `smtp_from`: not a mailbox ({e})"))?;
        Ok(Self {
            transport,
            from,
            first_retry: Duration::from_secs(retry_secs),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_settings_name_their_key() {
        let url = MailSettings::new("http://mail.example.com", "a@example.com", 30).unwrap_err();
        assert!(url.starts_with("key `smtp_url`"), "{url}");
        let from = MailSettings::new("smtp://127.0.0.1:2525", "not an address", 30).unwrap_err();
        assert!(from.starts_with("key `smtp_from`"), "{from}");
    }
}
