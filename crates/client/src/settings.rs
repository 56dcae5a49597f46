//! [`CallSettings`]: what one call runs under — the client's settings with
//! the call's [`RequestOptions`] on top — and when its total deadline falls.

use std::time::Duration;

use tokio::time::Instant;

use crate::builder::Config;
use crate::head_timer;
use crate::options::RequestOptions;
use crate::stream::StreamLimits;

/// The settings of one call.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CallSettings {
    pub(crate) response_timeout: Option<Duration>,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) chunk_timeout: Option<Duration>,
    pub(crate) max_retries: u32,
    /// When the call must be over, and the limit that set it.
    pub(crate) total: Option<(Instant, Duration)>,
}

impl CallSettings {
    /// The settings of a call starting now.
    pub(crate) fn start(config: &Config, options: &RequestOptions) -> Self {
        let total = options.total_timeout.unwrap_or(config.total_timeout);
        CallSettings {
            response_timeout: options.response_timeout.unwrap_or(config.response_timeout),
            idle_timeout: options.idle_timeout.unwrap_or(config.idle_timeout),
            chunk_timeout: options.chunk_timeout.unwrap_or(config.chunk_timeout),
            max_retries: options.max_retries.unwrap_or(config.max_retries),
            total: total.map(|limit| (head_timer::deadline(Instant::now(), limit), limit)),
        }
    }

    /// The limits of the call's stream.
    pub(crate) fn stream_limits(&self) -> StreamLimits {
        StreamLimits {
            idle: self.idle_timeout,
            chunk: self.chunk_timeout,
            total: self.total,
        }
    }
}
