//! [`SlotConnector`] and [`Watched`]: the connector of one pool slot, and
//! the connections it makes, which tell the [`Book`] what they speak, the
//! stream limit their server announces, and when they end.
//!
//! Only an HTTP/2 connection is watched. Until the server's first frame
//! (its SETTINGS) has been read, reads go through a small buffer of this
//! type's own so that [`FirstSettings`] can see the bytes (hyper's read
//! cursor does not show what was written into it, and reading its memory
//! directly would take `unsafe`); from then on reads go straight through,
//! so the watching costs nothing per chunk. An HTTP/1.1 connection is not
//! watched at all.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::Uri;
use hyper::rt::{Read, ReadBuf, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::{Connected, Connection};
use tower_service::Service;

use super::book::Book;
use super::settings::FirstSettings;
use crate::connect::{Connector, Slim};
use crate::error::BoxError;

/// The most read at once while the server's SETTINGS are awaited: the
/// frame is a few dozen bytes, and what follows is handed on unchanged.
const SNIFF_READ: usize = 1024;

/// The connector of one slot.
#[derive(Clone, Debug)]
pub(crate) struct SlotConnector {
    inner: Connector,
    book: Arc<Book>,
    slot: usize,
    /// HTTP/2 whatever ALPN says (the client's prior-knowledge mode).
    http2_only: bool,
}

impl SlotConnector {
    pub(crate) fn new(inner: Connector, book: Arc<Book>, slot: usize, http2_only: bool) -> Self {
        SlotConnector {
            inner,
            book,
            slot,
            http2_only,
        }
    }
}

impl Service<Uri> for SlotConnector {
    type Response = Watched;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Watched, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, target: Uri) -> Self::Future {
        let connecting = self.inner.call(target);
        let book = Arc::clone(&self.book);
        let slot = self.slot;
        let http2_only = self.http2_only;
        Box::pin(async move {
            let io = connecting.await?;
            let http2 = http2_only || io.connected().is_negotiated_h2();
            book.connected(slot, http2);
            let watch = http2.then(|| {
                Box::new(Watch {
                    settings: Some(FirstSettings::default()),
                    book,
                    slot,
                })
            });
            Ok(Watched { io, watch })
        })
    }
}

/// A connection, with its watch when it speaks HTTP/2.
#[derive(Debug)]
pub(crate) struct Watched {
    io: Slim,
    watch: Option<Box<Watch>>,
}

/// What an HTTP/2 connection reports to the book; dropped (and reported
/// closed) with the connection.
#[derive(Debug)]
struct Watch {
    /// Until the server's SETTINGS were read.
    settings: Option<FirstSettings>,
    book: Arc<Book>,
    slot: usize,
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.book.closed(self.slot);
    }
}

impl Watched {
    /// Reads through a buffer of its own while the server's SETTINGS are
    /// awaited.
    fn poll_read_watching(
        &mut self,
        cx: &mut Context<'_>,
        mut cursor: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let mut scratch = [0u8; SNIFF_READ];
        let room = cursor.remaining().min(SNIFF_READ);
        let mut buf = ReadBuf::new(&mut scratch[..room]);
        let polled = Pin::new(&mut self.io).poll_read(cx, buf.unfilled());
        let read = buf.filled();
        if let (Poll::Ready(Ok(())), Some(watch)) = (&polled, self.watch.as_mut()) {
            if let Some(limit) = watch.settings.as_mut().and_then(|s| s.feed(read)) {
                watch.settings = None;
                watch.book.settings(watch.slot, limit);
            }
        }
        cursor.put_slice(read);
        polled
    }
}

impl Connection for Watched {
    fn connected(&self) -> Connected {
        self.io.connected()
    }
}

impl Read for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match &this.watch {
            Some(watch) if watch.settings.is_some() => this.poll_read_watching(cx, buf),
            _ => Pin::new(&mut this.io).poll_read(cx, buf),
        }
    }
}

impl Write for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }
}
