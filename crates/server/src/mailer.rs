//! The outbox sender (SPEC §9.4): with `smtp_url` configured, messages that
//! commits queued (invitations) are sent over SMTP by lettre, and retried
//! with a doubling delay when the server refuses them for now. Woken by
//! every new snapshot revision and by a timer; claims in the store keep two
//! instances from sending one message at once. The outbox never holds a
//! link: a message that carries one names the user's secret, and the
//! sender mints a fresh secret (storing its hash) when it sends, so the
//! link exists only in the message on its way to the recipient. Never logs
//! a body.

use std::time::Duration;

use gatehouse_domain::Store as _;
use gatehouse_domain::entities::{LINK_PLACEHOLDER, QueuedMessage};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::{Address, AsyncTransport as _};
use time::OffsetDateTime;

use crate::credentials::{random_secret, sha256_hex};
use crate::mail_settings::MailSettings;
use crate::state::App;

/// Attempts before a message is given up.
pub const MAX_ATTEMPTS: u32 = 10;
/// The longest wait between two attempts.
const MAX_RETRY: Duration = Duration::from_secs(3_600);
/// Messages claimed at once; the lease covers sending all of them.
const CLAIM: u32 = 10;
/// How long a claim keeps other senders away.
const LEASE: Duration = Duration::from_secs(600);
/// The longest sleep between two looks at the outbox.
const POLL: Duration = Duration::from_secs(5);

/// Sends the outbox over SMTP.
#[derive(Clone, Debug)]
pub struct Mailer {
    settings: MailSettings,
}

/// What became of one attempt.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Sent,
    /// Refused for now (4xx, or the server unreachable): try again later.
    Transient(String),
    /// Refused for good (5xx, an address lettre cannot use).
    Permanent(String),
}

impl Mailer {
    /// A sender with these settings.
    #[must_use]
    pub fn new(settings: MailSettings) -> Self {
        Self { settings }
    }

    /// Sends messages until the process ends.
    pub async fn run(self, app: App) {
        let mut revisions = app.inner.revision.subscribe();
        let mut tick = tokio::time::interval(self.settings.first_retry.min(POLL));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                // A commit may have queued a message: look at once.
                changed = revisions.changed() => if changed.is_err() { return },
            }
            if let Err(error) = self.deliver_due(&app).await {
                tracing::warn!(%error, "outbox delivery stopped at a store error; claimed messages wait for their lease");
            }
        }
    }

    /// Claims the messages due now and sends each once; returns how many
    /// were sent.
    ///
    /// # Errors
    /// The store failed; messages already claimed wait for their lease.
    pub async fn deliver_due(&self, app: &App) -> Result<usize, gatehouse_domain::StoreError> {
        let store = app.store();
        let mut sent = 0;
        loop {
            let now = OffsetDateTime::now_utc();
            let claimed = store.claim_outbox(now, now + LEASE, CLAIM).await?;
            if claimed.is_empty() {
                return Ok(sent);
            }
            for queued in &claimed {
                let outcome = match self.render(app, queued).await? {
                    Ok(body) => self.send(queued, body).await,
                    Err(outcome) => outcome,
                };
                match outcome {
                    Outcome::Sent => {
                        store.outbox_sent(queued.id, OffsetDateTime::now_utc()).await?;
                        metrics::counter!("gatehouse_outbox_sent_total").increment(1);
                        tracing::info!(message = queued.id, "outbox message sent");
                        sent += 1;
                    }
                    Outcome::Transient(error) if queued.attempts + 1 < MAX_ATTEMPTS => {
                        let retry_at = OffsetDateTime::now_utc() + self.delay_after(queued.attempts + 1);
                        store.outbox_failed(queued.id, &error, Some(retry_at)).await?;
                        metrics::counter!("gatehouse_outbox_failures_total").increment(1);
                        tracing::warn!(message = queued.id, %error, %retry_at, "outbox message not sent; will retry");
                    }
                    Outcome::Transient(error) | Outcome::Permanent(error) => {
                        store.outbox_failed(queued.id, &error, None).await?;
                        metrics::counter!("gatehouse_outbox_failures_total").increment(1);
                        tracing::error!(message = queued.id, %error, "outbox message given up");
                    }
                }
            }
        }
    }

    /// The wait after the `failures`-th failure: the first retry delay,
    /// doubled for each further one, at most an hour.
    fn delay_after(&self, failures: u32) -> Duration {
        let factor = 1u32 << failures.saturating_sub(1).min(16);
        self.settings.first_retry.saturating_mul(factor).min(MAX_RETRY)
    }

    /// The body to send: with its link, for a freshly minted secret whose
    /// hash replaces the stored one (the outbox never holds a link). A
    /// secret gone meanwhile — accepted, replaced or expired — means the
    /// message is not needed any more.
    async fn render(
        &self,
        app: &App,
        queued: &QueuedMessage,
    ) -> Result<Result<String, Outcome>, gatehouse_domain::StoreError> {
        let Some(link) = &queued.message.link else {
            return Ok(Ok(queued.message.body.clone()));
        };
        let secret = match random_secret() {
            Ok(secret) => secret,
            Err(e) => return Ok(Err(Outcome::Transient(e.to_string()))),
        };
        let minted = app
            .store()
            .mint_link(link.username.as_str(), link.purpose, &sha256_hex(&secret), app.now())
            .await?;
        if !minted {
            return Ok(Err(Outcome::Permanent(
                "not sent: the link was accepted, replaced or expired before delivery".to_owned(),
            )));
        }
        let url = format!("{}/{}/{secret}", app.config().base_url(), link.purpose.link_path());
        Ok(Ok(queued.message.body.replace(LINK_PLACEHOLDER, &url)))
    }

    async fn send(&self, queued: &QueuedMessage, body: String) -> Outcome {
        let to = match queued.message.to.as_str().parse::<Address>() {
            Ok(address) => Mailbox::new(None, address),
            Err(e) => return Outcome::Permanent(format!("recipient: {e}")),
        };
        let email = Message::builder()
            .from(self.settings.from.clone())
            .to(to)
            .subject(queued.message.subject.as_str())
            .header(ContentType::TEXT_PLAIN)
            .body(body);
        let email = match email {
            Ok(email) => email,
            Err(e) => return Outcome::Permanent(e.to_string()),
        };
        match self.settings.transport.send(email).await {
            Ok(_) => Outcome::Sent,
            Err(e) if e.is_permanent() => Outcome::Permanent(e.to_string()),
            Err(e) => Outcome::Transient(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_twice_as_long_each_time_up_to_an_hour() {
        let settings = MailSettings::new("smtp://127.0.0.1:2525", "Gatehouse <gatehouse@example.com>", 30).unwrap();
        let mailer = Mailer::new(settings);
        let waits: Vec<u64> = (1..=9).map(|n| mailer.delay_after(n).as_secs()).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 960, 1_920, 3_600, 3_600]);
    }
}
