//! Retry storms: a server that answers every attempt with a retryable
//! failure. The client retries as configured, with its backoff, and then
//! stops with a typed error — never more attempts, never a long wait.

use std::time::Duration;

use super::*;

pub(crate) fn cases() -> Vec<Case> {
    vec![
        Case::new(
            "retry_storm_of_503_asking_for_no_wait",
            |probe| boxed(storm(probe, RawReply::response(unavailable()))),
            |observed| {
                ended_with(observed, "http")?;
                attempts(observed, 6)
            },
        ),
        Case::new(
            "retry_storm_of_closed_connections",
            |probe| boxed(storm(probe, RawReply::close_immediately())),
            |observed| {
                match observed.end.as_str() {
                    "transport" | "connect" => {}
                    _ => return Err(format!("{observed:?}")),
                }
                attempts(observed, 6)
            },
        ),
        Case::new(
            "retry_storm_where_the_server_says_retry_forever",
            |probe| {
                let mut response = unavailable();
                response = response.replace("retry-after: 0", "x-should-retry: true");
                boxed(storm(probe, RawReply::response(response)))
            },
            |observed| {
                ended_with(observed, "http")?;
                attempts(observed, 6)
            },
        ),
    ]
}

fn unavailable() -> String {
    head(
        "503 Service Unavailable",
        &[
            ("retry-after", "0"),
            ("content-type", "text/plain"),
            ("content-length", "4"),
        ],
    ) + "busy"
}

/// Five retries allowed, 5–10 ms of backoff.
async fn storm(probe: Probe, reply: RawReply) -> Observed {
    let server = raw(reply).await;
    let client = client(&server, |builder| {
        builder
            .max_retries(5)
            .retry_backoff(Duration::from_millis(5), Duration::from_millis(10))
    });
    probe.start();
    stream_through(&client, &server).await
}

fn attempts(observed: &Observed, expected: usize) -> Result<(), String> {
    ensure(
        observed.requests == expected,
        &format!("expected {expected} attempts"),
        observed,
    )
}
