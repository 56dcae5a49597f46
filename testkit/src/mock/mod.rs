//! A loopback mock of an OpenAI-compatible server, for the integration tests,
//! the benchmarks and the load tool.
//!
//! # Why a mock lives here
//!
//! The client streams chat completions over real HTTP: connection pooling,
//! HTTP/1.1 chunked bodies and HTTP/2 streams, TLS with ALPN, timeouts between
//! body pieces, a stream the caller drops half-way. None of that can be
//! exercised by feeding bytes to the decoder, and the tests must not reach the
//! network. So the tests start this server on `127.0.0.1` (port 0, one per
//! test), point the client at [`MockServer::url`], and script what comes back,
//! down to how the body is cut into pieces, the pauses between them and how
//! the body ends.
//!
//! # Modes
//!
//! - [`MockServer::start`]: plain TCP, served by hyper; HTTP/1.1 and HTTP/2
//!   with prior knowledge (h2c) on the same port. For everything a well-behaved
//!   server (or one that fails in ways hyper can express) does: status codes,
//!   headers, JSON errors, SSE bodies in chosen pieces, pacing, a body cut off
//!   mid-way ([`Ending::Abort`]) or one that never ends ([`Ending::Stall`]).
//! - [`MockServer::start_tls`]: the same over TLS, with ALPN `h2` and
//!   `http/1.1`, and a certificate for `localhost` and `127.0.0.1` signed by a
//!   CA generated when the server starts (no key material on disk). The client
//!   trusts it through [`MockServer::ca_cert_der`].
//! - [`MockServer::start_with_stream_limit`] and
//!   [`MockServer::start_tls_with_stream_limit`]: the same, with HTTP/2
//!   connections that take only so many concurrent streams — how a client
//!   behaves past a server's `SETTINGS_MAX_CONCURRENT_STREAMS`.
//! - [`MockServer::start_tls_http1`]: TLS whose ALPN offers `http/1.1` only.
//! - [`MockServer::start_tls_for_name`]: a certificate valid only for another
//!   name, for the test that a client expecting `localhost` refuses it.
//! - [`MockServer::start_raw`]: plain TCP, HTTP/1.1, no hyper: the server reads
//!   one request and writes the bytes a [`RawReply`] gives, verbatim. For the
//!   faults hyper refuses to produce: a malformed head, a close in the middle
//!   of a chunk, a wrong `content-length`, a server that never answers.
//!
//! Every mode records each request ([`MockServer::requests`]) and counts
//! connections opened and closed, so a test can check what the client sent
//! and that dropping a stream really closes its connection.
//!
//! # Replay
//!
//! [`ReplayHandler`] serves the captured provider streams under
//! `tests/data/fixtures` paced like a model (one SSE event per piece), for the
//! corpus tests; [`fixture_reply`] turns one capture into
//! a [`Reply`].
//!
//! # Example
//!
//! ```no_run
//! use chatstream_testkit::mock::{MockServer, Reply};
//! use std::time::Duration;
//!
//! # async fn demo() -> std::io::Result<()> {
//! let server = MockServer::start(|_request: &chatstream_testkit::mock::RecordedRequest| {
//!     Reply::sse("data: {}\n\ndata: [DONE]\n\n")
//!         .header("x-request-id", "req_1")
//!         .split_every(7)
//!         .pace(Duration::from_millis(5))
//! })
//! .await?;
//! let base_url = server.url(); // "http://127.0.0.1:PORT/v1"
//! # let _ = base_url;
//! # Ok(())
//! # }
//! ```

mod body;
mod handler;
mod raw;
mod replay;
mod reply;
mod request;
mod server;
mod tls;

pub use handler::{Handler, Sequence};
pub use raw::{RawEnding, RawHandler, RawReply};
pub use replay::{FIXTURE_HEADER, ReplayHandler, fixture_reply, sse_events};
pub use reply::{Ending, Reply};
pub use request::RecordedRequest;
pub use server::MockServer;
