//! The response-head timeout, with one timer per request.
//!
//! Why not `tokio::time::timeout(limit, response)`: that registers its timer
//! at the first wait, which comes right after the request was handed to the
//! connection task and before that task has written it (it runs once this
//! task yields), so registering delays the request; and it cancels the timer
//! when the head arrives, which delays the first chunk. Here the timer is
//! registered at the *second* wait — the task yields once first, so the
//! connection task gets to write the request before (on Tokio's
//! current-thread runtime always; on the multi-thread one the connection
//! task may run on another worker, which is no worse) — and it is not
//! cancelled: the stream
//! takes it over as its idle timer (`ChatCompletionStream`), setting it to
//! the idle deadline when it first waits for the body. One registration per
//! request instead of two, none on the way out, no cancellation on the way
//! in. The deadline itself is fixed when the timer is made, before the
//! request is sent, so the limit is never exceeded by the yield.

use std::future::Future;
use std::pin::{Pin, pin};
use std::task::Poll;
use std::time::Duration;

use tokio::time::{Instant, Sleep};

/// A timer for the response head of one request (and then, handed to the
/// stream, its idle timer).
pub(crate) type Timer = Pin<Box<Sleep>>;

/// A timer that elapses `limit` from now.
pub(crate) fn start(limit: Duration) -> Timer {
    Box::pin(tokio::time::sleep(limit))
}

/// A timer that elapses at `at`.
pub(crate) fn start_at(at: Instant) -> Timer {
    Box::pin(tokio::time::sleep_until(at))
}

/// `from + after`, or about 30 years from `from` when that overflows (a
/// limit of `Duration::MAX` means "never", as in `tokio::time::sleep`).
pub(crate) fn deadline(from: Instant, after: Duration) -> Instant {
    const FAR: Duration = Duration::from_secs(86_400 * 365 * 30);
    from.checked_add(after)
        .or_else(|| from.checked_add(FAR))
        .unwrap_or(from)
}

/// Waits for `response`, or for `timer` to elapse (`None` then).
///
/// The first time `response` is not ready, this yields without looking at
/// the timer (see the module docs); from the second time on, the timer is
/// polled, which registers it.
pub(crate) async fn within<F: Future>(response: F, timer: &mut Timer) -> Option<F::Output> {
    let mut response = pin!(response);
    let mut yielded = false;
    std::future::poll_fn(|cx| {
        if let Poll::Ready(output) = response.as_mut().poll(cx) {
            return Poll::Ready(Some(output));
        }
        if !yielded {
            yielded = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_response_that_never_comes_is_cut_at_the_limit() {
        let mut timer = start(Duration::from_secs(3));
        let started = Instant::now();
        let outcome = within(std::future::pending::<()>(), &mut timer).await;
        assert_eq!(outcome, None);
        assert_eq!(started.elapsed(), Duration::from_secs(3));
    }

    #[tokio::test(start_paused = true)]
    async fn a_response_in_time_is_returned_and_the_timer_lives_on() {
        let mut timer = start(Duration::from_secs(3));
        let outcome = within(
            async {
                tokio::time::sleep(Duration::from_secs(1)).await;
                7
            },
            &mut timer,
        )
        .await;
        assert_eq!(outcome, Some(7));
        assert!(!timer.is_elapsed());
        // The stream resets it to its idle deadline.
        timer
            .as_mut()
            .reset(Instant::now() + Duration::from_secs(5));
        let started = Instant::now();
        timer.as_mut().await;
        assert_eq!(started.elapsed(), Duration::from_secs(5));
    }

    #[test]
    fn a_deadline_past_the_clock_s_end_is_far_away_not_a_panic() {
        let now = Instant::now();
        assert!(deadline(now, Duration::MAX) > now + Duration::from_secs(86_400 * 365));
        assert_eq!(
            deadline(now, Duration::from_secs(3)),
            now + Duration::from_secs(3)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_timer_reset_counts_from_its_new_deadline() {
        let mut timer = start_at(Instant::now() + Duration::from_secs(3));
        tokio::time::sleep(Duration::from_secs(2)).await;
        timer
            .as_mut()
            .reset(deadline(Instant::now(), Duration::from_secs(3)));
        let started = Instant::now();
        assert_eq!(within(std::future::pending::<()>(), &mut timer).await, None);
        assert_eq!(started.elapsed(), Duration::from_secs(3));
    }
}
