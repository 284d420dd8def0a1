//! Rate limits on the endpoints that take a password (SPEC §6.1): per
//! client address and per account name, answered 429 with `Retry-After`.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

/// The limiters of password attempts.
pub struct LoginLimiter {
    by_address: DefaultKeyedRateLimiter<IpAddr>,
    by_account: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl LoginLimiter {
    /// `per_minute` attempts per address; an account gets a third of it
    /// (at least 12, so the lockout of SPEC §5.1 is reachable first).
    #[must_use]
    pub fn new(per_minute: NonZeroU32) -> Self {
        let per_account = NonZeroU32::new((per_minute.get() / 3).max(12)).unwrap_or(per_minute);
        Self {
            by_address: DefaultKeyedRateLimiter::keyed(Quota::per_minute(per_minute)),
            by_account: DefaultKeyedRateLimiter::keyed(Quota::per_minute(per_account)),
            clock: DefaultClock::default(),
        }
    }

    /// Counts an attempt from `address` on `account`; `Err` carries how long
    /// to wait when either limit is spent.
    ///
    /// # Errors
    /// The wait, rounded up to whole seconds.
    pub fn attempt(&self, address: IpAddr, account: &str) -> Result<(), Duration> {
        let now = self.clock.now();
        let wait = |not_until: governor::NotUntil<_>| {
            let wait = not_until.wait_time_from(now);
            Duration::from_secs(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
        };
        self.by_address.check_key(&address).map_err(wait)?;
        self.by_account.check_key(&account.to_lowercase()).map_err(wait)?;
        Ok(())
    }

    /// Forgets keys whose limits have fully refilled.
    pub fn shrink(&self) {
        self.by_address.retain_recent();
        self.by_account.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};
    use std::num::NonZeroU32;

    use super::LoginLimiter;

    #[test]
    fn an_address_and_an_account_are_limited_separately() {
        let limiter = LoginLimiter::new(NonZeroU32::new(60).unwrap());
        let a = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let b = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        for i in 0..20 {
            assert!(limiter.attempt(a, "alice").is_ok(), "attempt {i}");
        }
        let wait = limiter.attempt(b, "ALICE").unwrap_err();
        assert!(wait.as_secs() >= 1, "{wait:?}");
        for i in 0..40 {
            assert!(limiter.attempt(a, &format!("user{i}")).is_ok(), "attempt {i}");
        }
        assert!(limiter.attempt(a, "bob").is_err(), "the address is spent");
        assert!(limiter.attempt(b, "bob").is_ok());
    }
}
