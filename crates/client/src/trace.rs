//! [`CallTrace`]: one `tracing` span per call, with the attributes of
//! OpenTelemetry's GenAI semantic conventions, and an event per retry —
//! behind the `tracing` feature; without it, every method here is empty and
//! compiles away.
//!
//! The span is `chat` (with `otel.name = "chat {model}"`, the conventions'
//! span name, for `tracing-opentelemetry`) and carries:
//!
//! | attribute | when |
//! |---|---|
//! | `gen_ai.operation.name` = `chat`, `gen_ai.provider.name` (`openai` or `azure.ai.openai`), `gen_ai.request.model`, `server.address`, `server.port` | at the start |
//! | `gen_ai.response.id`, `gen_ai.response.model`, `chatstream.time_to_first_chunk_ms` | at the first chunk (or the completion) |
//! | `gen_ai.response.finish_reasons` (comma-separated), `gen_ai.usage.input_tokens`, `gen_ai.usage.output_tokens` | as they arrive |
//! | `chatstream.attempts`, `chatstream.end_state` (`done`, `finished`, `not_streamed`, `dropped`, or the error kind), `error.type` | at the end |
//!
//! Each retry is an event (`retrying`) with the attempt, the wait and why.
//! Nothing is recorded unless a subscriber listens (the span is disabled
//! then, and the per-chunk work is skipped); no header, key or credential is
//! ever recorded — only the host of the base URL.

#[cfg(feature = "tracing")]
pub(crate) use enabled::CallTrace;

#[cfg(not(feature = "tracing"))]
pub(crate) use disabled::CallTrace;

#[cfg(feature = "tracing")]
mod enabled {
    use std::time::{Duration, Instant};

    use chatstream_types::{ChatCompletion, ChatCompletionChunk, Usage};
    use tracing::field::Empty;

    /// The span of one call.
    #[derive(Debug)]
    pub(crate) struct CallTrace {
        span: tracing::Span,
        started: Instant,
        first_chunk: bool,
        finish_reasons: Vec<String>,
        ended: bool,
    }

    impl CallTrace {
        /// The span of a chat call to `model` at `base_url`.
        pub(crate) fn start(model: &str, base_url: &str, azure: bool) -> Self {
            let (host, port) = address(base_url);
            let span = tracing::info_span!(
                "chat",
                otel.name = %format_args!("chat {model}"),
                gen_ai.operation.name = "chat",
                gen_ai.provider.name = if azure { "azure.ai.openai" } else { "openai" },
                gen_ai.request.model = model,
                server.address = host,
                server.port = port,
                gen_ai.response.id = Empty,
                gen_ai.response.model = Empty,
                gen_ai.response.finish_reasons = Empty,
                gen_ai.usage.input_tokens = Empty,
                gen_ai.usage.output_tokens = Empty,
                chatstream.time_to_first_chunk_ms = Empty,
                chatstream.attempts = Empty,
                chatstream.end_state = Empty,
                error.type = Empty,
            );
            CallTrace {
                span,
                started: Instant::now(),
                first_chunk: true,
                finish_reasons: Vec::new(),
                ended: false,
            }
        }

        /// No span (a stream read from a response obtained elsewhere).
        pub(crate) fn none() -> Self {
            CallTrace {
                span: tracing::Span::none(),
                started: Instant::now(),
                first_chunk: false,
                finish_reasons: Vec::new(),
                ended: true,
            }
        }

        /// A retry is about to wait `wait` after attempt `attempt`.
        pub(crate) fn retry(&self, attempt: u32, wait: Duration, reason: &str) {
            tracing::info!(
                parent: &self.span,
                attempt,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                reason,
                "retrying"
            );
        }

        /// A chunk was delivered.
        pub(crate) fn on_chunk(&mut self, chunk: &ChatCompletionChunk) {
            if self.span.is_disabled() {
                return;
            }
            if self.first_chunk {
                self.first_chunk = false;
                let span = &self.span;
                span.record("gen_ai.response.id", chunk.id.as_str());
                span.record("gen_ai.response.model", chunk.model.as_str());
                let millis = self.started.elapsed().as_secs_f64() * 1000.0;
                span.record("chatstream.time_to_first_chunk_ms", millis);
            }
            for choice in &chunk.choices {
                if let Some(reason) = &choice.finish_reason {
                    if !self.finish_reasons.iter().any(|r| r == reason.as_str()) {
                        self.finish_reasons.push(reason.as_str().to_owned());
                        let all = self.finish_reasons.join(",");
                        self.span
                            .record("gen_ai.response.finish_reasons", all.as_str());
                    }
                }
            }
            if let Some(usage) = &chunk.usage {
                self.usage(usage);
            }
        }

        /// A whole completion arrived (the non-streaming call).
        pub(crate) fn on_completion(&mut self, completion: &ChatCompletion) {
            if self.span.is_disabled() {
                return;
            }
            let span = &self.span;
            span.record("gen_ai.response.id", completion.id.as_str());
            span.record("gen_ai.response.model", completion.model.as_str());
            let reasons: Vec<&str> = completion
                .choices
                .iter()
                .filter_map(|choice| choice.finish_reason.as_ref().map(|r| r.as_str()))
                .collect();
            span.record("gen_ai.response.finish_reasons", reasons.join(",").as_str());
            if let Some(usage) = &completion.usage {
                self.usage(usage);
            }
        }

        /// The token counts.
        pub(crate) fn usage(&self, usage: &Usage) {
            self.span
                .record("gen_ai.usage.input_tokens", usage.prompt_tokens);
            self.span
                .record("gen_ai.usage.output_tokens", usage.completion_tokens);
        }

        /// The call ended: `end` is the end state's name or the error kind's.
        pub(crate) fn end(&mut self, attempts: Option<u32>, end: &str, failed: bool) {
            if std::mem::replace(&mut self.ended, true) {
                return;
            }
            if let Some(attempts) = attempts {
                self.span.record("chatstream.attempts", attempts);
            }
            self.span.record("chatstream.end_state", end);
            if failed {
                self.span.record("error.type", end);
            }
        }
    }

    impl Drop for CallTrace {
        fn drop(&mut self) {
            if !self.ended {
                self.span.record("chatstream.end_state", "dropped");
            }
        }
    }

    /// The host and port of a base URL (never its path, query or user info).
    fn address(base_url: &str) -> (String, u16) {
        match base_url.parse::<http::Uri>() {
            Ok(uri) => {
                let https = uri.scheme_str() == Some("https");
                let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
                (uri.host().unwrap_or_default().to_owned(), port)
            }
            Err(_) => (String::new(), 0),
        }
    }
}

#[cfg(not(feature = "tracing"))]
mod disabled {
    use std::time::Duration;

    use chatstream_types::{ChatCompletion, ChatCompletionChunk};

    /// No span: the `tracing` feature is off.
    #[derive(Debug)]
    pub(crate) struct CallTrace;

    impl CallTrace {
        #[inline(always)]
        pub(crate) fn start(_model: &str, _base_url: &str, _azure: bool) -> Self {
            CallTrace
        }

        #[inline(always)]
        pub(crate) fn none() -> Self {
            CallTrace
        }

        #[inline(always)]
        pub(crate) fn retry(&self, _attempt: u32, _wait: Duration, _reason: &str) {}

        #[inline(always)]
        pub(crate) fn on_chunk(&mut self, _chunk: &ChatCompletionChunk) {}

        #[inline(always)]
        pub(crate) fn on_completion(&mut self, _completion: &ChatCompletion) {}

        #[inline(always)]
        pub(crate) fn end(&mut self, _attempts: Option<u32>, _end: &str, _failed: bool) {}
    }
}
