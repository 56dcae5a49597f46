//! Sending a call's request: each attempt, its response-head deadline, and
//! the retries of failed responses.
//!
//! Kept apart from the calls themselves (`client.rs`) because its future is
//! part of every call's: what it holds across a wait is paid by every call
//! (see `send_attempt`, and the boxed error-body read in `send`).

use std::time::Duration;

use bytes::Bytes;
use chatstream_types::{ChatCompletionRequest, check_chat_model, validate_reasoning_request};
use http::Response;
use tokio::time::Instant as TokioInstant;

use crate::builder::Config;
use crate::credential::Credential;
use crate::deadline::Deadline;
use crate::error::{Error, ErrorKind, Result};
use crate::error_body::status_error;
use crate::head_timer;
use crate::options::RequestOptions;
use crate::pool::{PooledBody, Sending};
use crate::response_body::ResponseBody;
use crate::retry;
use crate::settings::CallSettings;
use crate::trace::CallTrace;

use super::Client;
use super::request::encode_body;

impl Client {
    /// Validates, encodes and sends the request, with retries; returns a
    /// successful response, the number of attempts and the response-head
    /// timer (for the stream to take over, see `head_timer`).
    pub(super) async fn send(
        &self,
        request: &ChatCompletionRequest,
        options: &RequestOptions,
        settings: &CallSettings,
        trace: &CallTrace,
        stream: bool,
    ) -> Result<(Response<PooledBody>, u32, Option<head_timer::Timer>)> {
        let config = &self.inner.config;
        validate(config, request)?;
        let body = encode_body(request, options, stream)?;
        let uri = self.url(&request.model, &options.query)?;
        let mut attempt = 0u32;
        let mut timer: Option<head_timer::Timer> = None;
        loop {
            // Asked before each attempt; its failure sends nothing.
            let credential = match &config.credentials {
                Some(provider) => Some(provider.credential().await?),
                None => None,
            };
            // Fixed before the request is handed over (see `head_timer`).
            let head = head_deadline(settings);
            let sent = self.send_attempt(&uri, options, body.clone(), stream, credential);
            let outcome = match head {
                Some((at, deadline, limit)) => {
                    match head_timer::within(sent, timer_at(&mut timer, at)).await {
                        Some(outcome) => outcome.map_err(classify_send_error),
                        None => Err(head_timeout(deadline, limit)),
                    }
                }
                None => sent.await.map_err(classify_send_error),
            };
            let retries_left = attempt < settings.max_retries;
            match outcome {
                Ok(response) if response.status().is_success() => {
                    return Ok((response, attempt + 1, timer));
                }
                Ok(response) => {
                    let status = response.status();
                    let headers = response.headers();
                    if retries_left && retry::should_retry(status, headers) {
                        let wait = retry::retry_after(headers).unwrap_or_else(|| {
                            retry::backoff(attempt, config.initial_backoff, config.max_backoff)
                        });
                        drop(response);
                        trace.retry(attempt + 1, wait, status.as_str());
                        wait_to_retry(wait, settings).await?;
                        attempt += 1;
                        continue;
                    }
                    // Boxed: reading an error body is the rare path, and
                    // its state would otherwise enlarge every call's future.
                    let read_error =
                        Box::pin(status_error(config, response.map(ResponseBody::Hyper)));
                    return Err(read_error.await);
                }
                Err(error)
                    if retries_left
                        && error.kind() != ErrorKind::Request
                        && error.deadline() != Some(Deadline::Total) =>
                {
                    let wait = retry::backoff(attempt, config.initial_backoff, config.max_backoff);
                    trace.retry(attempt + 1, wait, error.kind().as_str());
                    wait_to_retry(wait, settings).await?;
                    attempt += 1;
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Hands one attempt's request to the pool. Not inline in `send`: the
    /// request and credential would stay in its future's state across every
    /// wait (a few hundred bytes in every call's future).
    fn send_attempt(
        &self,
        uri: &http::Uri,
        options: &RequestOptions,
        body: Bytes,
        stream: bool,
        credential: Option<Credential>,
    ) -> Sending<'_> {
        let mut http_request = self.http_request(uri, options, body, stream);
        if let Some(credential) = credential {
            http_request
                .headers_mut()
                .insert(credential.name, credential.value);
        }
        self.inner.http.request(http_request)
    }
}

/// The request's checks, when the client makes them: a chat model, and
/// (opt-in) the reasoning models' parameters.
fn validate(config: &Config, request: &ChatCompletionRequest) -> Result<()> {
    if config.validate {
        check_chat_model(&request.model).map_err(Error::validation)?;
        if config.validate_reasoning {
            validate_reasoning_request(request).map_err(Error::validation)?;
        }
    }
    Ok(())
}

/// The call's response-head timer set to `at`: the one made for an earlier
/// attempt, or a new one (one timer per call; see `head_timer`).
fn timer_at(timer: &mut Option<head_timer::Timer>, at: TokioInstant) -> &mut head_timer::Timer {
    match timer {
        Some(timer) => {
            timer.as_mut().reset(at);
            timer
        }
        None => timer.insert(head_timer::start_at(at)),
    }
}

/// The response head's deadline for an attempt starting now: the response
/// timeout's or the total's, whichever comes first (with which it is and its
/// limit); `None` when neither is set.
fn head_deadline(settings: &CallSettings) -> Option<(TokioInstant, Deadline, Duration)> {
    let response = settings.response_timeout.map(|limit| {
        let at = head_timer::deadline(TokioInstant::now(), limit);
        (at, Deadline::ResponseHead, limit)
    });
    let total = settings
        .total
        .map(|(at, limit)| (at, Deadline::Total, limit));
    match (response, total) {
        (Some(response), Some(total)) => Some(if total.0 < response.0 {
            total
        } else {
            response
        }),
        (response, total) => response.or(total),
    }
}

/// The error for a response head that did not arrive by `deadline`.
fn head_timeout(deadline: Deadline, limit: Duration) -> Error {
    match deadline {
        Deadline::Total => total_timeout(limit),
        _ => Error::timeout(deadline, format!("no response within {limit:?}")),
    }
}

/// The error for a call past its total timeout.
pub(super) fn total_timeout(limit: Duration) -> Error {
    Error::timeout(
        Deadline::Total,
        format!("the call took longer than {limit:?} (total timeout)"),
    )
}

/// Waits `wait` before a retry, unless the call's total deadline comes
/// first: then there is no point in waiting, and the call fails now.
pub(super) async fn wait_to_retry(wait: Duration, settings: &CallSettings) -> Result<()> {
    if let Some((at, limit)) = settings.total {
        if head_timer::deadline(TokioInstant::now(), wait) >= at {
            return Err(total_timeout(limit));
        }
    }
    tokio::time::sleep(wait).await;
    Ok(())
}

/// The error for a request that failed before a response: a connect
/// timeout, a failed connect, or a transport failure after connecting.
fn classify_send_error(error: hyper_util::client::legacy::Error) -> Error {
    if crate::error::timed_out(&error) {
        Error::timeout(Deadline::Connect, "timed out connecting").with_source(error)
    } else if error.is_connect() {
        Error::new(ErrorKind::Connect, "cannot connect").with_source(error)
    } else {
        Error::new(ErrorKind::Transport, "the request failed before a response").with_source(error)
    }
}
