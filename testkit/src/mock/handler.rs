//! What decides the reply to each request.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::reply::Reply;
use super::request::RecordedRequest;

/// Decides the reply to each request of a [`MockServer`](super::MockServer).
///
/// Called once per request, after the whole request body was read and the
/// request recorded. Closures `Fn(&RecordedRequest) -> Reply` implement it, so
/// do [`Sequence`] and [`Reply`] itself (the same reply every time).
pub trait Handler: Send + Sync + 'static {
    /// The reply to `request`.
    fn reply(&self, request: &RecordedRequest) -> Reply;
}

impl<F> Handler for F
where
    F: Fn(&RecordedRequest) -> Reply + Send + Sync + 'static,
{
    fn reply(&self, request: &RecordedRequest) -> Reply {
        self(request)
    }
}

impl Handler for Reply {
    fn reply(&self, _request: &RecordedRequest) -> Reply {
        self.clone()
    }
}

/// A [`Handler`] serving a list of replies in order, whatever the request:
/// the first request gets the first reply, and so on; once the list is used
/// up the last reply is repeated. An empty list answers every request with a
/// 500.
///
/// For retry tests: `Sequence::new(vec![Reply::json(429, ..), Reply::sse(..)])`.
#[derive(Debug)]
pub struct Sequence {
    replies: Vec<Reply>,
    next: AtomicUsize,
}

impl Sequence {
    /// Serves `replies` in order, then repeats the last.
    pub fn new(replies: Vec<Reply>) -> Self {
        Sequence {
            replies,
            next: AtomicUsize::new(0),
        }
    }

    /// How many requests were answered so far.
    pub fn served(&self) -> usize {
        self.next.load(Ordering::SeqCst)
    }
}

impl Handler for Sequence {
    fn reply(&self, _request: &RecordedRequest) -> Reply {
        let index = self.next.fetch_add(1, Ordering::SeqCst);
        match self.replies.get(index).or(self.replies.last()) {
            Some(reply) => reply.clone(),
            None => Reply::text(500, "text/plain", "mock Sequence has no replies\n"),
        }
    }
}
