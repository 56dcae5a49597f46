//! [`Book`]: which connection slot a request goes to, from what each slot's
//! connection said and how many streams each carries.
//!
//! The pool's decisions live here, apart from hyper and the network, so that
//! they can be tested as a state machine: a request asks [`Book::route`]; the
//! connection watchers report what they learn ([`Book::connected`],
//! [`Book::settings`], [`Book::closed`]); a stream's [`InFlight`] token gives
//! its place back when the stream ends. Every change wakes the requests
//! waiting to be routed ([`Book::changed`]).
//!
//! A slot is one hyper-util pool, which holds at most one HTTP/2 connection
//! to the origin. Its state:
//!
//! | connections | limit | connecting | the slot is |
//! |---|---|---|---|
//! | ≥ 1 | known | – | *ready*: takes streams up to `min(limit, cap)` |
//! | ≥ 1 | not yet | – | *settling*: its server's SETTINGS are on the way |
//! | 0 | – | yes | *connecting*: a request was sent to it and connects |
//! | 0 | – | no | *idle*: the next request to need room takes it |
//!
//! A request takes the first ready slot with room. If there is none and a
//! slot is settling or connecting, it waits: that connection may well have
//! room, and opening another at the same time would make as many
//! connections as a burst has requests. Otherwise it takes an idle slot or a
//! new one, and connects. So the pool never holds more connections than
//! requests in flight (the bound HTTP/1.1 has), however small the limit a
//! server announces — even zero.
//!
//! A connect that fails sets the waiting requests free to connect each on its
//! own (they do not queue behind one another's connect timeouts).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

use super::settings::StreamLimit;

/// The pool's book: one per client.
#[derive(Debug)]
pub(crate) struct Book {
    state: Mutex<State>,
    /// Woken on every change of state.
    changed: Notify,
    /// Set once a connection to the origin spoke HTTP/1.1: from then on
    /// requests go straight to the first slot, uncounted.
    http1: AtomicBool,
    /// The caller's cap on streams per connection.
    cap: u32,
}

#[derive(Debug, Default)]
struct State {
    slots: Vec<Slot>,
    /// Connects that failed before the connection spoke; waiting requests
    /// compare it to know that the connection they waited for never came.
    failed_connects: u64,
}

#[derive(Debug, Default, Clone, Copy)]
struct Slot {
    in_flight: u32,
    connections: u32,
    limit: Option<u32>,
    connecting: bool,
}

impl Slot {
    fn has_room(&self, cap: u32) -> bool {
        self.connections > 0
            && self
                .limit
                .is_some_and(|limit| self.in_flight < limit.min(cap))
    }

    fn is_pending(&self) -> bool {
        self.connecting || (self.connections > 0 && self.limit.is_none())
    }

    fn is_idle(&self) -> bool {
        self.connections == 0 && !self.connecting
    }
}

/// Where a request goes.
#[derive(Debug)]
pub(crate) enum Route {
    /// The origin speaks HTTP/1.1: the first slot, whose pool opens a
    /// connection per concurrent request; nothing to count.
    Http1,
    /// This slot; the token counts the stream until it is dropped.
    Slot(InFlight),
    /// Wait for a change, then ask again; the number is the count of failed
    /// connects to compare with after the wait.
    Wait(u64),
}

impl Book {
    /// A book for streams capped at `cap` per connection (`u32::MAX`: the
    /// server's limit alone); `http1` when the origin is known to speak
    /// HTTP/1.1 only (plain `http://` without prior knowledge).
    pub(crate) fn new(cap: u32, http1: bool) -> Self {
        Book {
            state: Mutex::default(),
            changed: Notify::new(),
            http1: AtomicBool::new(http1),
            cap,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Every update leaves the state whole before anything can panic, so
        // a poisoned lock still holds a good state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether requests go straight to the first slot.
    pub(crate) fn is_http1(&self) -> bool {
        self.http1.load(Ordering::Relaxed)
    }

    /// What wakes waiting requests.
    pub(crate) fn changed(&self) -> &Notify {
        &self.changed
    }

    /// How many failed connects so far (see [`Route::Wait`]).
    pub(crate) fn failed_connects(&self) -> u64 {
        self.state().failed_connects
    }

    /// Routes one request. `patient`: whether it may wait for a connection
    /// that is settling or connecting (a request whose awaited connect
    /// failed is not: it connects on its own).
    pub(crate) fn route(self: &Arc<Self>, patient: bool) -> Route {
        if self.is_http1() {
            return Route::Http1;
        }
        let mut state = self.state();
        let cap = self.cap;
        let chosen = match state.slots.iter().position(|slot| slot.has_room(cap)) {
            Some(ready) => ready,
            None if patient && state.slots.iter().any(Slot::is_pending) => {
                return Route::Wait(state.failed_connects);
            }
            None => {
                let idle = state.slots.iter().position(Slot::is_idle);
                let index = idle.unwrap_or(state.slots.len());
                if idle.is_none() {
                    state.slots.push(Slot::default());
                }
                if let Some(slot) = state.slots.get_mut(index) {
                    slot.connecting = slot.connections == 0;
                }
                index
            }
        };
        if let Some(slot) = state.slots.get_mut(chosen) {
            slot.in_flight = slot.in_flight.saturating_add(1);
        }
        Route::Slot(InFlight {
            book: Arc::clone(self),
            slot: chosen,
        })
    }

    /// A connection of `slot` was established; `http2`: it speaks HTTP/2
    /// (its limit follows in [`settings`](Self::settings)).
    pub(crate) fn connected(&self, slot: usize, http2: bool) {
        {
            let mut state = self.state();
            let Some(entry) = state.slots.get_mut(slot) else {
                return;
            };
            entry.connecting = false;
            if http2 {
                entry.connections = entry.connections.saturating_add(1);
                self.http1.store(false, Ordering::Relaxed);
            } else {
                self.http1.store(true, Ordering::Relaxed);
            }
        }
        self.changed.notify_waiters();
    }

    /// The server's first SETTINGS on a connection of `slot`.
    pub(crate) fn settings(&self, slot: usize, limit: StreamLimit) {
        if let Some(entry) = self.state().slots.get_mut(slot) {
            entry.limit = Some(match limit {
                StreamLimit::Limited(limit) => limit,
                StreamLimit::Unlimited => u32::MAX,
            });
        }
        self.changed.notify_waiters();
    }

    /// An HTTP/2 connection of `slot` ended.
    pub(crate) fn closed(&self, slot: usize) {
        if let Some(entry) = self.state().slots.get_mut(slot) {
            entry.connections = entry.connections.saturating_sub(1);
            if entry.connections == 0 {
                entry.limit = None;
            }
        }
        self.changed.notify_waiters();
    }

    fn release(&self, slot: usize) {
        {
            let mut state = self.state();
            let mut failed = false;
            if let Some(entry) = state.slots.get_mut(slot) {
                entry.in_flight = entry.in_flight.saturating_sub(1);
                if entry.connecting && entry.in_flight == 0 {
                    // The request that was to connect ended without a
                    // connection: its connect failed.
                    entry.connecting = false;
                    failed = true;
                }
            }
            if failed {
                state.failed_connects += 1;
            }
        }
        self.changed.notify_waiters();
    }
}

/// A stream counted against its slot until dropped.
#[derive(Debug)]
pub(crate) struct InFlight {
    book: Arc<Book>,
    slot: usize,
}

impl InFlight {
    /// The slot the stream was routed to.
    pub(crate) fn slot(&self) -> usize {
        self.slot
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.book.release(self.slot);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot_of(route: Route) -> InFlight {
        match route {
            Route::Slot(in_flight) => in_flight,
            other => panic!("expected a slot, got {other:?}"),
        }
    }

    #[test]
    fn a_burst_waits_for_the_first_connection_then_fills_it_to_the_limit() {
        let book = Arc::new(Book::new(u32::MAX, false));
        let first = slot_of(book.route(true));
        assert_eq!(first.slot(), 0);
        assert!(matches!(book.route(true), Route::Wait(0)));
        book.connected(0, true);
        assert!(matches!(book.route(true), Route::Wait(0)), "settling");
        book.settings(0, StreamLimit::Limited(3));
        let more: Vec<_> = (0..2).map(|_| slot_of(book.route(true))).collect();
        assert!(more.iter().all(|s| s.slot() == 0));
        // Full: a second slot connects; the next waits for it.
        let second = slot_of(book.route(true));
        assert_eq!(second.slot(), 1);
        assert!(matches!(book.route(true), Route::Wait(0)));
        book.connected(1, true);
        book.settings(1, StreamLimit::Limited(3));
        assert_eq!(slot_of(book.route(true)).slot(), 1);
        // A stream of the first slot ends: its place is taken again.
        drop(first);
        assert_eq!(slot_of(book.route(true)).slot(), 0);
    }

    #[test]
    fn the_cap_is_applied_below_the_servers_limit() {
        let book = Arc::new(Book::new(2, false));
        let _a = slot_of(book.route(true));
        book.connected(0, true);
        book.settings(0, StreamLimit::Unlimited);
        let _b = slot_of(book.route(true));
        assert_eq!(slot_of(book.route(true)).slot(), 1);
    }

    #[test]
    fn http1_is_routed_uncounted() {
        let book = Arc::new(Book::new(u32::MAX, false));
        let first = slot_of(book.route(true));
        book.connected(first.slot(), false);
        assert!(matches!(book.route(true), Route::Http1));
        assert!(Arc::new(Book::new(u32::MAX, true)).is_http1());
    }

    /// A limit of zero makes every request connect on its own, never more
    /// connections than requests.
    #[test]
    fn a_zero_limit_costs_one_connection_per_request_at_most() {
        let book = Arc::new(Book::new(u32::MAX, false));
        let mut held = Vec::new();
        for n in 0..4 {
            let in_flight = slot_of(book.route(true));
            assert_eq!(in_flight.slot(), n);
            book.connected(n, true);
            book.settings(n, StreamLimit::Limited(0));
            held.push(in_flight);
        }
        assert_eq!(book.state().slots.len(), 4);
    }

    #[test]
    fn a_failed_connect_frees_the_waiters_and_the_slot() {
        let book = Arc::new(Book::new(u32::MAX, false));
        let first = slot_of(book.route(true));
        let Route::Wait(failed) = book.route(true) else {
            panic!("should wait");
        };
        drop(first);
        assert_eq!(book.failed_connects(), failed + 1);
        // The slot is idle again and is reused, not a new one.
        let retry = slot_of(book.route(true));
        assert_eq!(retry.slot(), 0);
        // An impatient request does not wait for it.
        assert_eq!(slot_of(book.route(false)).slot(), 1);
    }

    #[test]
    fn a_closed_connection_makes_its_slot_idle() {
        let book = Arc::new(Book::new(u32::MAX, false));
        let first = slot_of(book.route(true));
        book.connected(0, true);
        book.settings(0, StreamLimit::Limited(1));
        drop(first);
        book.closed(0);
        let again = slot_of(book.route(true));
        assert_eq!(again.slot(), 0);
        assert!(
            matches!(book.route(true), Route::Wait(_)),
            "connecting again"
        );
    }
}
