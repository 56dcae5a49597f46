//! [`Pool`]: the client's connections — so that no stream waits for another
//! stream's answer, over HTTP/1.1 or HTTP/2.
//!
//! # Why not hyper-util's pool alone
//!
//! hyper-util's pool holds one HTTP/2 connection per origin and sends every
//! request over it. A server allows only so many concurrent streams on a
//! connection (`SETTINGS_MAX_CONCURRENT_STREAMS`, often 100 to 256); past
//! that, hyper queues new requests until earlier streams end. A chat answer
//! streams for tens of seconds or minutes, so stream 101 of a busy gateway
//! would wait that long for its first byte, and then time out. HTTP/1.1 does
//! not have the problem (a connection per concurrent request), and neither do
//! the clients users compare this one with (Go's opens another HTTP/2
//! connection; the Python and Node SDKs pool HTTP/1.1).
//!
//! # How
//!
//! The pool is a row of *slots*, each a hyper-util pool of its own (so each
//! holds at most one HTTP/2 connection to the origin). The [`Book`] counts
//! the streams of each slot and knows each connection's limit — the smaller
//! of the server's `SETTINGS_MAX_CONCURRENT_STREAMS`, read from the
//! server's first frame as the connection starts (see `watched`), the
//! client's cap ([`ClientBuilder::http2_max_streams_per_connection`]) and
//! what the flow-control windows allow (below). A
//! request goes to the first slot with room; when every connection is full,
//! to a new slot, which connects. Requests that arrive while a connection is
//! being made wait for its limit instead of opening connections of their
//! own. A slot whose connection closed (idle past the pool's idle timeout,
//! or ended by the server) is reused before a new one is made. The
//! decisions are made once per request; nothing is added per chunk, and a
//! stream's count is given back when its body ends ([`PooledBody`]).
//!
//! Building on several hyper-util pools rather than on hyper's
//! connection-level API keeps everything hyper-util does right — HTTP/1.1
//! pooling and keep-alive, ALPN, connection reuse and eviction, proxies —
//! unchanged; HTTP/1.1 never goes past the first slot: once a connection to
//! the origin speaks HTTP/1.1 (always, for `http://` without prior
//! knowledge), requests go straight to it, uncounted, as before.
//!
//! # Flow control: what a reader that falls behind can cost, and why it
//! cannot stall the others
//!
//! The streams of an HTTP/2 connection share its reads, so what the server
//! sends ahead of a reader that falls behind is held by the client, up to
//! the flow-control windows the client announces: the stream window per
//! stream, the connection window per connection. hyper's defaults (2 MiB
//! per stream, 5 MiB per connection) are sized for downloads, and have a
//! second flaw here: unread data holds the *connection's* window too, so
//! three readers that fall behind would fill it and the connection's other
//! streams — readers that keep up — would get nothing more. The client
//! announces [`DEFAULT_STREAM_WINDOW`] per stream (a token stream needs
//! little: the server simply waits for a reader 64 KiB behind) and
//! [`DEFAULT_CONNECTION_WINDOW`] per connection, and puts at most
//! `connection window ÷ stream window` streams (256) on a connection: every
//! stream can have its whole window unread and the connection still has
//! room for all of them. So a stream never waits for another reader either,
//! and the memory readers that fall behind can cost is 64 KiB each.
//!
//! [`ClientBuilder::http2_max_streams_per_connection`]: crate::ClientBuilder::http2_max_streams_per_connection

mod body;
mod book;
mod settings;
mod watched;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use http::{Request, Response};
use hyper_util::client::legacy::{
    Builder, Client as HyperClient, Error as SendError, ResponseFuture,
};

pub(crate) use body::PooledBody;
use book::{Book, InFlight, Route};
use watched::SlotConnector;

use crate::body::RequestBody;
use crate::connect::Connector;

/// The stream window the client announces over HTTP/2 by default: 64 KiB.
/// A reader that falls behind lets at most this much of its stream be
/// buffered; at 50 ms round trip it still lets one stream go at 1.3 MB/s,
/// some fifty times what a fast model streams.
pub(crate) const DEFAULT_STREAM_WINDOW: u32 = 64 * 1024;

/// The connection window the client announces over HTTP/2 by default:
/// 16 MiB, room for 256 streams' whole windows.
pub(crate) const DEFAULT_CONNECTION_WINDOW: u32 = 16 * 1024 * 1024;

/// The most streams one connection takes with these windows: as many as can
/// each have a whole stream window unread without filling the connection's.
pub(crate) fn streams_the_windows_allow(stream_window: u32, connection_window: u32) -> u32 {
    (connection_window / stream_window.max(1)).max(1)
}

/// A hyper-util client for slot `index`, its connections reporting to
/// `book`.
fn slot_client(
    builder: &Builder,
    connector: &Connector,
    book: &Arc<Book>,
    index: usize,
    http2_only: bool,
) -> HyperClient<SlotConnector, RequestBody> {
    let connector = SlotConnector::new(connector.clone(), Arc::clone(book), index, http2_only);
    builder.build(connector)
}

/// The connections of one client.
pub(crate) struct Pool {
    book: Arc<Book>,
    builder: Builder,
    connector: Connector,
    http2_only: bool,
    /// The first slot, the only one HTTP/1.1 uses: reached without a lock.
    first: HyperClient<SlotConnector, RequestBody>,
    /// The slots after the first, made as load needs them.
    more: Mutex<Vec<HyperClient<SlotConnector, RequestBody>>>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("book", &self.book)
            .finish_non_exhaustive()
    }
}

impl Pool {
    /// A pool whose slots are hyper-util clients made by `builder`.
    /// `plain_http1`: the origin is `http://` without prior knowledge, so it
    /// speaks HTTP/1.1 only. `max_streams`: the cap per HTTP/2 connection
    /// (the caller's, and what the windows allow).
    pub(crate) fn new(
        builder: Builder,
        connector: Connector,
        http2_only: bool,
        plain_http1: bool,
        max_streams: u32,
    ) -> Pool {
        let book = Arc::new(Book::new(max_streams, plain_http1));
        Pool {
            first: slot_client(&builder, &connector, &book, 0, http2_only),
            book,
            builder,
            connector,
            http2_only,
            more: Mutex::new(Vec::new()),
        }
    }

    /// The client of `slot` (after the first), made on first use.
    fn slot(&self, slot: usize) -> HyperClient<SlotConnector, RequestBody> {
        let mut more = self.more.lock().unwrap_or_else(PoisonError::into_inner);
        while more.len() < slot {
            let client = slot_client(
                &self.builder,
                &self.connector,
                &self.book,
                more.len() + 1,
                self.http2_only,
            );
            more.push(client);
        }
        // In bounds: the loop above made it so (slot ≥ 1, more.len() ≥ slot).
        more[slot - 1].clone()
    }

    /// Sends `request` on a connection with room for it (see the module
    /// docs), waiting only for a connection being made.
    ///
    /// Once the origin is known to speak HTTP/1.1 the request goes straight
    /// to hyper-util and the returned future is hyper-util's own; only
    /// HTTP/2 routing, which may wait, runs as a (boxed) state machine of
    /// its own. See [`Sending`].
    pub(crate) fn request(&self, request: Request<RequestBody>) -> Sending<'_> {
        if self.book.is_http1() {
            return Sending::Http1(self.first.request(request));
        }
        Sending::Routing(Box::pin(async move {
            let (slot, in_flight) = self.route().await;
            let response = match slot {
                0 => self.first.request(request).await?,
                n => self.slot(n).request(request).await?,
            };
            Ok(response.map(|body| PooledBody::new(body, in_flight)))
        }))
    }

    /// The slot for the next request, and its count when counted.
    async fn route(&self) -> (usize, Option<InFlight>) {
        // `request` sent straight to the first slot when the book already
        // knew the origin speaks HTTP/1.1; this covers a book that learnt it
        // since.
        if self.book.is_http1() {
            return (0, None);
        }
        let mut patient = true;
        loop {
            let changed = self.book.changed().notified();
            let mut changed = std::pin::pin!(changed);
            // Registered before the book is read, so a change between the
            // two is not missed.
            changed.as_mut().enable();
            match self.book.route(patient) {
                Route::Http1 => return (0, None),
                Route::Slot(in_flight) => return (in_flight.slot(), Some(in_flight)),
                Route::Wait(failed) => {
                    changed.await;
                    if self.book.failed_connects() != failed {
                        patient = false;
                    }
                }
            }
        }
    }
}

/// What [`Pool::request`] returns: the response head, its body counted in
/// the pool when it is an HTTP/2 stream.
///
/// # Why written by hand
///
/// Every request to an origin known to speak HTTP/1.1 (always, for plain
/// `http://`) needs no routing: as an `async fn` the pool would still wrap
/// hyper-util's future in a state machine of its own, polled at every
/// wake-up of the request on the way to the first chunk, and carried in
/// every call's future. `Http1`
/// is hyper-util's future with the body wrapped when it resolves. Routing
/// among HTTP/2 connections, which may wait for a connection being made, is
/// boxed: one allocation per HTTP/2 request, small beside what HTTP/2 does
/// per request.
#[must_use = "futures do nothing unless polled"]
pub(crate) enum Sending<'a> {
    /// Handed straight to hyper-util (HTTP/1.1: streams are not counted).
    Http1(ResponseFuture),
    /// Being routed among HTTP/2 connections, then sent.
    Routing(Pin<Box<dyn Future<Output = Result<Response<PooledBody>, SendError>> + Send + 'a>>),
}

impl std::fmt::Debug for Sending<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Sending::Http1(_) => f.write_str("Sending::Http1"),
            Sending::Routing(_) => f.write_str("Sending::Routing"),
        }
    }
}

impl Future for Sending<'_> {
    type Output = Result<Response<PooledBody>, SendError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Unpin: both states hold their futures boxed.
        match self.get_mut() {
            Sending::Http1(future) => Pin::new(future)
                .poll(cx)
                .map_ok(|response| response.map(|body| PooledBody::new(body, None))),
            Sending::Routing(routed) => routed.as_mut().poll(cx),
        }
    }
}
