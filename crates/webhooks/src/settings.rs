//! What every receiver is configured with besides its own verification: the body limit,
//! the body read timeout, the dedupe store and the clock — one struct and one set of
//! builder setters, so the two receivers cannot drift apart.

use std::sync::Arc;
use std::time::Duration;

use marketplace_runtime::{Clock, SystemClock};

use crate::dedupe::{DedupeStore, InMemoryDedupe};
use crate::{DEFAULT_BODY_LIMIT, DEFAULT_BODY_READ_TIMEOUT};

#[derive(Clone)]
pub(crate) struct Settings {
    pub(crate) body_limit: usize,
    pub(crate) body_read_timeout: Duration,
    pub(crate) dedupe: Arc<dyn DedupeStore>,
    pub(crate) clock: Arc<dyn Clock>,
}

impl Default for Settings {
    /// 1 MiB, [`DEFAULT_BODY_READ_TIMEOUT`], an [`InMemoryDedupe`], the system clock.
    fn default() -> Self {
        Settings {
            body_limit: DEFAULT_BODY_LIMIT,
            body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
            dedupe: Arc::new(InMemoryDedupe::default()),
            clock: Arc::new(SystemClock),
        }
    }
}

impl Settings {
    /// Adds the settings to a receiver's `Debug` output.
    pub(crate) fn debug_fields(&self, out: &mut std::fmt::DebugStruct<'_, '_>) {
        out.field("body_limit", &self.body_limit)
            .field("body_read_timeout", &self.body_read_timeout)
            .field("clock", &self.clock);
    }
}

/// The builder setters and getters of [`Settings`], for a receiver with a `settings`
/// field: `$what` names what it receives ("events"), `$clock` says what its clock is for.
macro_rules! setters {
    ($what:literal, $clock:literal) => {
        /// Bodies over `bytes` are refused with `413` (default 1 MiB).
        pub fn body_limit(mut self, bytes: usize) -> Self {
            self.settings.body_limit = bytes;
            self
        }

        /// The configured body limit, in bytes.
        pub fn limit(&self) -> usize {
            self.settings.body_limit
        }

        /// How long the [`axum`](crate::axum) router waits for the whole body once the
        /// headers are in (default [`DEFAULT_BODY_READ_TIMEOUT`](crate::DEFAULT_BODY_READ_TIMEOUT));
        /// a body still incomplete then is answered `408`.
        pub fn body_read_timeout(mut self, timeout: std::time::Duration) -> Self {
            self.settings.body_read_timeout = timeout;
            self
        }

        /// The configured body read timeout.
        pub fn read_timeout(&self) -> std::time::Duration {
            self.settings.body_read_timeout
        }

        #[doc = concat!("Where delivered ", $what, " are remembered (default: [`InMemoryDedupe`](crate::InMemoryDedupe)).")]
        pub fn dedupe_store(mut self, store: std::sync::Arc<dyn crate::DedupeStore>) -> Self {
            self.settings.dedupe = store;
            self
        }

        #[doc = concat!("The clock ", $clock, " (default: the system clock).")]
        pub fn clock(mut self, clock: impl marketplace_runtime::Clock) -> Self {
            self.settings.clock = std::sync::Arc::new(clock);
            self
        }
    };
}

pub(crate) use setters;
