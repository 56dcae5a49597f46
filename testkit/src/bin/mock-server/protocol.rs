//! What a connection to `mock-server` speaks, and how it is told.
//!
//! Without `--http2` or `--tls` every connection is HTTP/1.1 and goes
//! straight to the hand-written server (the `http1` module), as it always
//! has: the client benchmark measures against exactly those bytes.
//!
//! With either option the server looks at the first bytes of each connection
//! without consuming them (`peek`):
//!
//! - a TLS handshake record (first byte `0x16`), with `--tls`: the TLS
//!   handshake, offering ALPN `h2` with `--http2` and `http/1.1` without;
//!   then HTTP/2 if `h2` was negotiated, HTTP/1.1 otherwise;
//! - the HTTP/2 connection preface `PRI * HTTP/2.0…`, with `--http2`: HTTP/2
//!   with prior knowledge (h2c);
//! - anything else: plain HTTP/1.1.
//!
//! So one port serves the streams in the protocol asked for and, beside
//! them, plain HTTP/1.1: the tools that start the server ask `GET /health`
//! and `GET /stats` on a plain connection of their own, with no TLS or
//! HTTP/2 client, whatever the streams speak. (`/health` and `/stats` answer
//! over TLS and HTTP/2 too.)

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;

use crate::options::Options;
use crate::stats::Stats;
use crate::{Served, http1, http2};

/// The HTTP/2 connection preface (RFC 9113, section 3.4).
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// The first byte of a TLS handshake record (a ClientHello).
const TLS_HANDSHAKE: u8 = 0x16;

/// How long a connection that has sent part of the HTTP/2 preface may take
/// to send the rest before it is taken for HTTP/1.1 (and refused as such).
const PREFACE_PATIENCE: Duration = Duration::from_secs(10);

/// The protocols the listener speaks besides plain HTTP/1.1.
pub(crate) struct Listener {
    /// `--tls`: the acceptor, with the ALPN of the chosen protocol.
    tls: Option<TlsAcceptor>,
    /// `--http2`: hyper's HTTP/2 server settings.
    http2: Option<http2::Builder>,
}

impl fmt::Debug for Listener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Listener")
            .field("tls", &self.tls.is_some())
            .field("http2", &self.http2)
            .finish()
    }
}

impl Listener {
    /// The listener `options` ask for, and with `--tls` the PEM of the CA
    /// its certificate (for `localhost` and `127.0.0.1`) is signed by.
    pub(crate) fn new(options: &Options) -> io::Result<(Listener, Option<String>)> {
        let http2 = options
            .http2
            .then(|| http2::builder(options.max_concurrent_streams));
        let (tls, ca_pem) = if options.ca_out.is_some() {
            let alpn: &[u8] = if options.http2 { b"h2" } else { b"http/1.1" };
            let identity = chatstream_testkit::tls::identity(&["localhost", "127.0.0.1"], &[alpn])?;
            let pem = identity.ca_cert_pem();
            (Some(identity.acceptor), Some(pem))
        } else {
            (None, None)
        };
        Ok((Listener { tls, http2 }, ca_pem))
    }

    /// The scheme and host of the URL clients use: `https://localhost`
    /// (the certificate's name) with TLS, `http://127.0.0.1` without.
    pub(crate) fn origin(&self) -> &'static str {
        if self.tls.is_some() {
            "https://localhost"
        } else {
            "http://127.0.0.1"
        }
    }
}

/// What the first bytes of a connection say it speaks.
#[derive(Debug, PartialEq, Eq)]
enum First {
    /// It closed before sending anything.
    Closed,
    /// A TLS handshake.
    Tls,
    /// The HTTP/2 preface.
    H2c,
    /// Anything else.
    Http1,
}

/// Serves one accepted connection in the protocol it speaks.
pub(crate) async fn connection(stream: TcpStream, served: &Arc<Served>) -> io::Result<()> {
    let listener = &served.listener;
    if listener.tls.is_none() && listener.http2.is_none() {
        return http1::connection(stream, served).await;
    }
    let first = sniff(&stream, listener.tls.is_some(), listener.http2.is_some()).await?;
    match (first, &listener.tls, &listener.http2) {
        (First::Closed, _, _) => Ok(()),
        (First::Tls, Some(acceptor), _) => {
            let stream = acceptor.accept(stream).await?;
            Stats::bump(&served.stats.connections_tls);
            let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2".as_slice());
            match &listener.http2 {
                Some(builder) if h2 => http2::connection(stream, builder, Arc::clone(served)).await,
                _ => http1::connection(stream, served).await,
            }
        }
        (First::H2c, _, Some(builder)) => {
            http2::connection(stream, builder, Arc::clone(served)).await
        }
        _ => http1::connection(stream, served).await,
    }
}

/// Peeks at the first bytes of `stream` until they tell what it speaks.
async fn sniff(stream: &TcpStream, tls: bool, http2: bool) -> io::Result<First> {
    let started = Instant::now();
    let mut seen = [0u8; PREFACE.len()];
    loop {
        let n = stream.peek(&mut seen).await?;
        match classify(&seen[..n], tls, http2) {
            Some(first) => return Ok(first),
            None if started.elapsed() > PREFACE_PATIENCE => return Ok(First::Http1),
            // Part of the preface: wait for the rest (peeking again at once
            // would return the same bytes).
            None => tokio::time::sleep(Duration::from_millis(1)).await,
        }
    }
}

/// What `seen` (the first bytes, at least one unless the connection closed)
/// says: `None` while it could still be the HTTP/2 preface.
fn classify(seen: &[u8], tls: bool, http2: bool) -> Option<First> {
    match seen.first() {
        None => Some(First::Closed),
        Some(&TLS_HANDSHAKE) if tls => Some(First::Tls),
        Some(_) if !http2 || !PREFACE.starts_with(seen) => Some(First::Http1),
        Some(_) if seen.len() == PREFACE.len() => Some(First::H2c),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_are_told_by_their_first_bytes() {
        let preface = PREFACE;
        assert_eq!(classify(b"", true, true), Some(First::Closed));
        assert_eq!(classify(&[0x16, 3, 1], true, true), Some(First::Tls));
        assert_eq!(classify(&[0x16, 3, 1], false, true), Some(First::Http1));
        assert_eq!(classify(preface, true, true), Some(First::H2c));
        assert_eq!(classify(preface, true, false), Some(First::Http1));
        assert_eq!(classify(&preface[..5], false, true), None);
        assert_eq!(classify(b"POST /v1/chat", false, true), Some(First::Http1));
        assert_eq!(classify(b"P", false, true), None);
        assert_eq!(
            classify(b"GET /stats HTTP/1.1\r\n", true, true),
            Some(First::Http1)
        );
    }
}
