//! Absurd or malformed values in the response head: every header the client
//! reads (`Retry-After` in its forms, `retry-after-ms`, `x-ratelimit-*`,
//! `x-request-id`, `content-type`, `content-length`), and the status line.
//! None may panic or overflow: a wait the server asks for that is not a
//! reasonable duration is not honoured (the backoff applies), a number that
//! is not one reads as absent.

use std::time::Duration;

use serde_json::json;

use super::*;

pub(crate) fn cases() -> Vec<Case> {
    vec![
        Case::new(
            "retry_after_1e20_seconds",
            |probe| boxed(retry_after("retry-after", "1e20", probe)),
            retried_with_backoff,
        ),
        Case::new(
            "retry_after_ms_1e23",
            |probe| boxed(retry_after("retry-after-ms", "1e23", probe)),
            retried_with_backoff,
        ),
        Case::new(
            "retry_after_date_in_a_huge_year",
            |probe| {
                boxed(retry_after(
                    "retry-after",
                    "Sun, 06 Nov 999999999999999999 08:49:37 GMT",
                    probe,
                ))
            },
            retried_with_backoff,
        ),
        Case::new(
            "retry_after_date_in_a_negative_year",
            |probe| {
                boxed(retry_after(
                    "retry-after",
                    "Sun, 06 Nov -9223372036854775808 08:49:37 GMT",
                    probe,
                ))
            },
            retried_with_backoff,
        ),
        Case::new(
            "retry_after_not_a_number",
            |probe| boxed(retry_after("retry-after", "NaN", probe)),
            retried_with_backoff,
        ),
        Case::new(
            "rate_limit_headers_out_of_range",
            |probe| boxed(rate_limits(probe)),
            |observed| {
                ended_with(observed, "done")?;
                ensure(
                    observed.detail
                        == json!({"remaining_tokens": null, "limit_requests": null, "reset_tokens_after": null, "reset_requests_after": null}),
                    "read as numbers",
                    observed,
                )
            },
        ),
        Case::new(
            "request_id_not_text",
            |probe| boxed(request_id(probe)),
            |observed| {
                ended_with(observed, "done")?;
                ensure(
                    observed.detail == json!({"request_id": null}),
                    "not text taken as a request id",
                    observed,
                )
            },
        ),
        Case::new(
            "content_type_with_huge_parameters",
            |probe| boxed(content_type(probe)),
            |observed| ended_with(observed, "done"),
        ),
        Case::new(
            "content_length_past_u64",
            |probe| boxed(content_length(probe)),
            |observed| match observed.end.as_str() {
                "transport" | "decode" => Ok(()),
                _ => Err(format!("expected a transport error: {observed:?}")),
            },
        ),
        Case::new(
            "status_code_out_of_range",
            |probe| boxed(status_line("999 Whatever", probe)),
            |observed| {
                ended_with(observed, "http")?;
                ensure(
                    observed.message.contains("999"),
                    "status not reported",
                    observed,
                )
            },
        ),
        Case::new(
            "status_line_not_http",
            |probe| boxed(raw_head("SPDY/9 OK\r\n\r\n", probe)),
            |observed| ended_with(observed, "transport"),
        ),
        Case::new(
            "proxy_in_the_environment_the_client_cannot_speak",
            |probe| boxed(proxy_from_env(probe)),
            |observed| {
                ended_with(observed, "builder")?;
                ensure(
                    observed.message.contains("HTTPS_PROXY")
                        && !observed.message.contains("secret"),
                    "proxy not named, or its secret shown",
                    observed,
                )
            },
        )
        .env(&[("HTTPS_PROXY", "socks5://user:secret@127.0.0.1:1080")]),
        Case::new(
            "proxy_in_the_environment_that_is_not_a_url",
            |probe| boxed(proxy_from_env(probe)),
            |observed| ended_with(observed, "builder"),
        )
        .env(&[("ALL_PROXY", "http://exa mple:3128")]),
        Case::new(
            "ten_thousand_headers",
            |probe| boxed(header_flood(probe)),
            |observed| ended_with(observed, "transport"),
        ),
    ]
}

/// A `429` asking for a wait of `value` (in header `name`), every time: the
/// client must retry with its backoff (10–20 ms here), not panic, not wait.
async fn retry_after(name: &'static str, value: &'static str, probe: Probe) -> Observed {
    let error = json!({"error": {"message": "slow down", "type": "rate_limit"}}).to_string();
    let response = head(
        "429 Too Many Requests",
        &[
            (name, value),
            ("content-type", "application/json"),
            ("content-length", &error.len().to_string()),
        ],
    ) + &error;
    let server = raw(RawReply::response(response)).await;
    let client = client(&server, |builder| {
        builder
            .max_retries(2)
            .retry_backoff(Duration::from_millis(10), Duration::from_millis(20))
    });
    probe.start();
    let mut observed = stream_through(&client, &server).await;
    observed.detail = json!({"retry_after": client_retry_after(&client).await});
    observed.requests = server.requests().len();
    observed
}

/// What the error of one more request says of the wait (milliseconds).
async fn client_retry_after(client: &Client) -> Option<u64> {
    let error = client
        .create_chat_completion_stream(&request())
        .await
        .err()?;
    error.retry_after().map(|wait| wait.as_millis() as u64)
}

fn retried_with_backoff(observed: &Observed) -> Result<(), String> {
    ended_with(observed, "http")?;
    if observed.requests < 3 {
        return Err(format!("expected 3 attempts: {observed:?}"));
    }
    // The unreasonable wait is not reported either.
    if observed.detail["retry_after"] != json!(null) {
        return Err(format!("a wait was read: {observed:?}"));
    }
    Ok(())
}

async fn rate_limits(probe: Probe) -> Observed {
    let response = head(
        "200 OK",
        &[
            ("content-type", "text/event-stream"),
            (
                "x-ratelimit-remaining-tokens",
                "999999999999999999999999999999",
            ),
            ("x-ratelimit-limit-requests", "-1"),
            ("x-ratelimit-reset-tokens", "99999999999999999999h"),
            ("x-ratelimit-reset-requests", "1e400s"),
        ],
    ) + &short_stream();
    let (_server, mut stream) = open(probe, RawReply::response(response)).await;
    let limits = stream.rate_limits();
    let mut observed = read_to_end(&mut stream, |_| {}).await;
    observed.detail = json!({
        "remaining_tokens": limits.remaining_tokens,
        "limit_requests": limits.limit_requests,
        "reset_tokens_after": limits.reset_tokens_after().map(|d| d.as_secs()),
        "reset_requests_after": limits.reset_requests_after().map(|d| d.as_secs()),
    });
    observed
}

async fn request_id(probe: Probe) -> Observed {
    let mut response = b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-type: text/event-stream\r\nx-request-id: \xff\xfe\x80req\r\n\r\n".to_vec();
    response.extend_from_slice(short_stream().as_bytes());
    let (_server, mut stream) = open(probe, RawReply::response(response)).await;
    let detail = json!({"request_id": stream.request_id()});
    let _ = format!("{stream:?}");
    let mut observed = read_to_end(&mut stream, |_| {}).await;
    observed.detail = detail;
    observed
}

async fn content_type(probe: Probe) -> Observed {
    let value = format!("text/event-stream; {}", "p=\"\\\";".repeat(2000));
    let response = head("200 OK", &[("content-type", &value)]) + &short_stream();
    answer(probe, RawReply::response(response)).await
}

async fn content_length(probe: Probe) -> Observed {
    let response = head(
        "200 OK",
        &[
            ("content-type", "text/event-stream"),
            ("content-length", "99999999999999999999999"),
        ],
    ) + &short_stream();
    answer(probe, RawReply::response(response)).await
}

async fn status_line(status: &'static str, probe: Probe) -> Observed {
    let response = head(status, &[("content-type", "text/plain")]) + "no";
    answer(probe, RawReply::response(response)).await
}

async fn raw_head(bytes: &'static str, probe: Probe) -> Observed {
    answer(probe, RawReply::response(bytes)).await
}

/// A client that takes its proxies from the environment: `build` must
/// refuse one it cannot speak rather than connect around it.
async fn proxy_from_env(probe: Probe) -> Observed {
    probe.start();
    let mut observed = Observed::default();
    match Client::builder().api_key("sk-hostile").build() {
        Ok(_) => observed.end = "built".to_owned(),
        Err(error) => observed.failed(&error),
    }
    observed
}

async fn header_flood(probe: Probe) -> Observed {
    let mut response = String::from("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n");
    for at in 0..10_000 {
        response.push_str(&format!("x-filler-{at}: {}\r\n", "v".repeat(80)));
    }
    response.push_str("\r\n");
    response.push_str(&short_stream());
    answer(probe, RawReply::response(response)).await
}
