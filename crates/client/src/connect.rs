//! The connector: TCP (hyper-util), proxies (`HTTP_PROXY`, `HTTPS_PROXY`,
//! `NO_PROXY` through hyper-util's matcher and CONNECT tunnel), then TLS
//! (rustls through hyper-rustls, HTTP/1.1 and HTTP/2 by ALPN), with the TLS
//! session boxed ([`Slim`]) so that a plain connection stays small: a
//! process holding thousands of open streams pays for every byte of each.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::Uri;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder, MaybeHttpsStream};
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tower_service::Service;

use crate::error::BoxError;

/// The connector stack the client uses: [`ProxyConnector`], then TLS by
/// hyper-rustls, then [`Slim`] so that a plain connection does not carry
/// room for a TLS session.
pub(crate) type Connector = SlimConnector;

/// Builds the connector stack.
pub(crate) fn connector(
    tls: rustls::ClientConfig,
    proxies: Option<Arc<Matcher>>,
    connect_timeout: Option<Duration>,
) -> Connector {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(connect_timeout);
    let https = HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_all_versions()
        .wrap_connector(ProxyConnector { http, proxies });
    SlimConnector { https }
}

/// hyper-rustls's connector, its streams turned into [`Slim`] ones.
#[derive(Clone, Debug)]
pub(crate) struct SlimConnector {
    https: HttpsConnector<ProxyConnector>,
}

impl Service<Uri> for SlimConnector {
    type Response = Slim;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Slim, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.https.poll_ready(cx)
    }

    fn call(&mut self, target: Uri) -> Self::Future {
        let connecting = self.https.call(target);
        Box::pin(async move {
            Ok(match connecting.await? {
                MaybeHttpsStream::Http(io) => Slim::Plain(io),
                tls => Slim::Tls(Box::new(tls)),
            })
        })
    }
}

/// A connection: plain, or TLS behind a box.
///
/// hyper keeps the stream inline in the task that drives the connection, for
/// as long as the connection lives. hyper-rustls's stream is an enum whose
/// TLS variant holds the whole rustls session (about 1,100 bytes against 40
/// for a TCP stream), so without the box every plain `http://` connection —
/// a local model server, a sidecar proxy — would pay for a session it never
/// has: measured with `cargo xtask load`, about 1 KiB per open stream. A TLS
/// connection pays one pointer more and one allocation per connection.
#[derive(Debug)]
pub(crate) enum Slim {
    /// `http://`, possibly to a forwarding proxy.
    Plain(ProxyStream),
    /// `https://` (hyper-rustls's stream, always its TLS variant here).
    Tls(Box<MaybeHttpsStream<ProxyStream>>),
}

impl Connection for Slim {
    fn connected(&self) -> Connected {
        match self {
            Slim::Plain(io) => io.connected(),
            Slim::Tls(io) => io.connected(),
        }
    }
}

impl Read for Slim {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Slim::Plain(io) => Pin::new(io).poll_read(cx, buf),
            Slim::Tls(io) => Pin::new(&mut **io).poll_read(cx, buf),
        }
    }
}

impl Write for Slim {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Slim::Plain(io) => Pin::new(io).poll_write(cx, buf),
            Slim::Tls(io) => Pin::new(&mut **io).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Slim::Plain(io) => Pin::new(io).poll_flush(cx),
            Slim::Tls(io) => Pin::new(&mut **io).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Slim::Plain(io) => Pin::new(io).poll_shutdown(cx),
            Slim::Tls(io) => Pin::new(&mut **io).poll_shutdown(cx),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Slim::Plain(io) => io.is_write_vectored(),
            Slim::Tls(io) => io.is_write_vectored(),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Slim::Plain(io) => Pin::new(io).poll_write_vectored(cx, bufs),
            Slim::Tls(io) => Pin::new(&mut **io).poll_write_vectored(cx, bufs),
        }
    }
}

/// Connects directly, through a CONNECT tunnel (HTTPS targets behind a proxy),
/// or to a forwarding proxy (plain HTTP targets behind a proxy).
#[derive(Clone, Debug)]
pub(crate) struct ProxyConnector {
    http: HttpConnector,
    proxies: Option<Arc<Matcher>>,
}

impl Service<Uri> for ProxyConnector {
    type Response = ProxyStream;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<ProxyStream, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.http.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, target: Uri) -> Self::Future {
        let intercept = self.proxies.as_ref().and_then(|m| m.intercept(&target));
        let mut http = self.http.clone();
        Box::pin(async move {
            let Some(intercept) = intercept else {
                let io = http.call(target).await?;
                return Ok(ProxyStream {
                    io,
                    forwarding: false,
                });
            };
            let proxy = intercept.uri().clone();
            if proxy.scheme_str() == Some("https") {
                return Err("HTTPS proxies (TLS to the proxy itself) are not supported; use an http:// proxy URL".into());
            }
            if target.scheme_str() == Some("https") {
                let mut tunnel = Tunnel::new(proxy, http);
                if let Some(auth) = intercept.basic_auth() {
                    tunnel = tunnel.with_auth(auth.clone());
                }
                let io = tunnel.call(target).await?;
                Ok(ProxyStream {
                    io,
                    forwarding: false,
                })
            } else {
                let io = http.call(proxy).await?;
                Ok(ProxyStream {
                    io,
                    forwarding: true,
                })
            }
        })
    }
}

/// A TCP stream, maybe to a proxy. `forwarding` marks a connection to a
/// forwarding proxy, so hyper sends requests in absolute form.
#[derive(Debug)]
pub(crate) struct ProxyStream {
    io: TokioIo<TcpStream>,
    forwarding: bool,
}

impl Connection for ProxyStream {
    fn connected(&self) -> Connected {
        self.io.connected().proxy(self.forwarding)
    }
}

impl Read for ProxyStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl Write for ProxyStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// hyper holds the stream inline for the life of the connection: a plain
    /// one must not carry room for a TLS session (hyper-rustls's enum is
    /// about 1,100 bytes).
    #[test]
    fn a_plain_connection_has_no_room_for_tls() {
        assert!(
            std::mem::size_of::<Slim>() <= 2 * std::mem::size_of::<ProxyStream>(),
            "{} bytes",
            std::mem::size_of::<Slim>()
        );
        assert!(std::mem::size_of::<MaybeHttpsStream<ProxyStream>>() > 512);
    }
}
