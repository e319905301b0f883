//! One connection's bounded outbox: many producers (its context, the layers, the hub), one
//! consumer (its writer). Owns the queue and the wake-ups; knows nothing of frames or sockets.
//!
//! It lives inside the connection's shared state, so a connection pays for one allocation of
//! shared state rather than a separate channel (a Tokio `mpsc` channel allocates its shared
//! half and a first block of 32 slots up front, about 1.7 KiB per connection; this queue is
//! empty until something is queued and gives back a burst's memory once drained).

use std::collections::VecDeque;
use std::fmt;
use std::future::poll_fn;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::task::{Poll, Waker};

use tokio::sync::Notify;

use crate::layer::Outgoing;

/// A drained queue whose buffer grew past this many slots gives the buffer back.
const SHRINK_ABOVE: usize = 64;

/// Deferred items after which the consumer is woken anyway (see [`Outbox::try_push_deferred`]).
const DEFER_AT_MOST: usize = 32;

/// Why [`Outbox::try_push`] refused an item (the item is dropped).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PushError {
    /// The queue holds its capacity.
    Full,
    /// The consumer is gone.
    Closed,
}

pub(crate) struct Outbox {
    state: Mutex<State>,
    /// The queue's length, written under the lock, read without it by [`Outbox::has_room`].
    len: AtomicUsize,
    capacity: usize,
    /// Wakes the connection's reader waiting in [`Outbox::room`].
    room: Notify,
}

struct State {
    items: VecDeque<Outgoing>,
    /// The consumer waiting in [`Outbox::pop`].
    waker: Option<Waker>,
    /// Live producers; the consumer sees the end once none is left and the queue is empty.
    senders: usize,
    /// The consumer closed the queue: every push fails.
    closed: bool,
    /// Free slots the reader is waiting for (0: nobody waits).
    room_wanted: usize,
    /// Items queued by [`Outbox::try_push_deferred`] since the consumer was last woken.
    deferred: usize,
}

impl Outbox {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            state: Mutex::new(State {
                items: VecDeque::new(),
                waker: None,
                senders: 0,
                closed: false,
                room_wanted: 0,
                deferred: 0,
            }),
            len: AtomicUsize::new(0),
            capacity: capacity.max(1),
            room: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues an item without waiting and wakes the consumer.
    pub(crate) fn try_push(&self, item: Outgoing) -> Result<(), PushError> {
        self.push(item, false)
    }

    /// Queues an item without waking the consumer, until [`Outbox::release_deferred`] (or
    /// [`DEFER_AT_MOST`] such items): the connection's reader queues the replies to the frames it
    /// already holds and lets the writer send them in one write when it is about to wait.
    pub(crate) fn try_push_deferred(&self, item: Outgoing) -> Result<(), PushError> {
        self.push(item, true)
    }

    fn push(&self, item: Outgoing, defer: bool) -> Result<(), PushError> {
        let waker = {
            let mut state = self.lock();
            if state.closed {
                return Err(PushError::Closed);
            }
            if state.items.len() >= self.capacity {
                return Err(PushError::Full);
            }
            state.items.push_back(item);
            self.len.store(state.items.len(), Ordering::Release);
            if defer && state.deferred + 1 < DEFER_AT_MOST {
                state.deferred += 1;
                None
            } else {
                state.deferred = 0;
                state.waker.take()
            }
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// Wakes the consumer for the items queued by [`Outbox::try_push_deferred`].
    pub(crate) fn release_deferred(&self) {
        let waker = {
            let mut state = self.lock();
            if state.deferred == 0 {
                return;
            }
            state.deferred = 0;
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// The next item if one is queued.
    pub(crate) fn try_pop(&self) -> Option<Outgoing> {
        let mut one = [None];
        self.try_pop_many(&mut one);
        one[0].take()
    }

    /// Takes up to `out.len()` queued items under one lock, oldest first, into the front of
    /// `out`; returns how many.
    pub(crate) fn try_pop_many(&self, out: &mut [Option<Outgoing>]) -> usize {
        let (n, room) = {
            let mut state = self.lock();
            let n = out.len().min(state.items.len());
            if n == 0 {
                return 0;
            }
            for (slot, item) in out.iter_mut().zip(state.items.drain(..n)) {
                *slot = Some(item);
            }
            (n, self.after_pop(&mut state))
        };
        if room {
            self.room.notify_waiters();
        }
        n
    }

    /// Puts back, at the front and in their order, items taken by [`Outbox::try_pop_many`]
    /// that the consumer could not write yet.
    pub(crate) fn unpop(&self, items: impl DoubleEndedIterator<Item = Outgoing>) {
        let mut state = self.lock();
        for item in items.rev() {
            state.items.push_front(item);
        }
        self.len.store(state.items.len(), Ordering::Release);
    }

    /// The next item, waiting for one; `None` once the queue is closed, or empty with no
    /// producer left.
    pub(crate) async fn pop(&self) -> Option<Outgoing> {
        poll_fn(|cx| {
            let (item, room) = {
                let mut state = self.lock();
                match state.items.pop_front() {
                    Some(item) => (item, self.after_pop(&mut state)),
                    None if state.closed || state.senders == 0 => return Poll::Ready(None),
                    None => {
                        match &state.waker {
                            Some(w) if w.will_wake(cx.waker()) => {}
                            _ => state.waker = Some(cx.waker().clone()),
                        }
                        return Poll::Pending;
                    }
                }
            };
            if room {
                self.room.notify_waiters();
            }
            Poll::Ready(Some(item))
        })
        .await
    }

    /// Bookkeeping after an item left: gives back a drained burst's buffer and says whether the
    /// reader waiting for room must be woken.
    fn after_pop(&self, state: &mut State) -> bool {
        self.len.store(state.items.len(), Ordering::Release);
        if state.items.is_empty() && state.items.capacity() > SHRINK_ABOVE {
            state.items = VecDeque::new();
        }
        if state.room_wanted > 0 && self.capacity - state.items.len() >= state.room_wanted {
            state.room_wanted = 0;
            return true;
        }
        false
    }

    /// Whether `wanted` items fit right now, read without the lock (other producers can fill
    /// the queue right after, as they could after a locked check).
    /// `wanted` is capped at the capacity, as in [`Outbox::room`].
    pub(crate) fn has_room(&self, wanted: usize) -> bool {
        let wanted = wanted.clamp(1, self.capacity);
        self.capacity.saturating_sub(self.len.load(Ordering::Acquire)) >= wanted
    }

    /// Waits until `wanted` items fit (`true`) or the queue is closed (`false`). Cancel-safe;
    /// meant for one waiter, the connection's own reader.
    pub(crate) async fn room(&self, wanted: usize) -> bool {
        let wanted = wanted.clamp(1, self.capacity);
        loop {
            let notified = self.room.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut state = self.lock();
                if state.closed {
                    return false;
                }
                if self.capacity - state.items.len() >= wanted {
                    return true;
                }
                state.room_wanted = wanted;
            }
            // The writer makes room: it must know about what is queued.
            self.release_deferred();
            notified.await;
        }
    }

    /// Refuses every further push and wakes whoever waits; queued items can still be popped.
    pub(crate) fn close(&self) {
        let waker = {
            let mut state = self.lock();
            state.closed = true;
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        self.room.notify_waiters();
    }

    pub(crate) fn add_sender(&self) {
        self.lock().senders += 1;
    }

    pub(crate) fn drop_sender(&self) {
        let waker = {
            let mut state = self.lock();
            state.senders -= 1;
            if state.senders == 0 { state.waker.take() } else { None }
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl fmt::Debug for Outbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("Outbox")
            .field("queued", &state.items.len())
            .field("capacity", &self.capacity)
            .field("senders", &state.senders)
            .field("closed", &state.closed)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use bytes::Bytes;

    use super::*;

    fn text(n: u8) -> Outgoing {
        Outgoing::Pong(Bytes::from(vec![n]))
    }

    fn byte(item: Option<Outgoing>) -> Option<u8> {
        match item? {
            Outgoing::Pong(b) => Some(b[0]),
            _ => None,
        }
    }

    #[test]
    fn bounded_fifo() {
        let outbox = Outbox::new(2);
        outbox.add_sender();
        assert!(outbox.try_push(text(1)).is_ok());
        assert!(outbox.try_push(text(2)).is_ok());
        assert!(outbox.try_push(text(3)) == Err(PushError::Full));
        assert_eq!(byte(outbox.try_pop()), Some(1));
        assert!(outbox.try_push(text(3)).is_ok());
        assert_eq!(byte(outbox.try_pop()), Some(2));
        assert_eq!(byte(outbox.try_pop()), Some(3));
        assert!(outbox.try_pop().is_none());
    }

    #[test]
    fn many_at_once_and_put_back_in_order() {
        let outbox = Outbox::new(8);
        outbox.add_sender();
        for i in 1..=5 {
            assert!(outbox.try_push(text(i)).is_ok());
        }
        let mut taken: [Option<Outgoing>; 3] = Default::default();
        assert_eq!(outbox.try_pop_many(&mut taken), 3);
        assert!(outbox.has_room(6) && !outbox.has_room(7));
        let first = byte(taken[0].take());
        assert_eq!(first, Some(1));
        // 2 and 3 were not written: they go back before 4 and 5.
        outbox.unpop(taken[1..].iter_mut().filter_map(Option::take));
        assert!(!outbox.has_room(5));
        let order: Vec<_> = std::iter::from_fn(|| byte(outbox.try_pop())).collect();
        assert_eq!(order, [2, 3, 4, 5]);
        assert_eq!(outbox.try_pop_many(&mut taken), 0);
    }

    #[test]
    fn closed_refuses_but_drains() {
        let outbox = Outbox::new(4);
        outbox.add_sender();
        assert!(outbox.try_push(text(1)).is_ok());
        outbox.close();
        assert!(outbox.try_push(text(2)) == Err(PushError::Closed));
        assert_eq!(byte(outbox.try_pop()), Some(1));
    }

    #[test]
    fn a_drained_burst_gives_its_buffer_back() {
        let outbox = Outbox::new(1000);
        outbox.add_sender();
        for i in 0..200 {
            assert!(outbox.try_push(text(i as u8)).is_ok());
        }
        assert!(outbox.lock().items.capacity() >= 200);
        while outbox.try_pop().is_some() {}
        assert_eq!(outbox.lock().items.capacity(), 0);
    }

    #[tokio::test]
    async fn pop_waits_and_ends_when_the_last_sender_leaves() {
        let outbox = Arc::new(Outbox::new(4));
        outbox.add_sender();
        let consumer = tokio::spawn({
            let outbox = outbox.clone();
            async move {
                let mut got = Vec::new();
                while let Some(item) = outbox.pop().await {
                    got.extend(byte(Some(item)));
                }
                got
            }
        });
        tokio::task::yield_now().await;
        assert!(outbox.try_push(text(7)).is_ok());
        tokio::task::yield_now().await;
        assert!(outbox.try_push(text(8)).is_ok());
        outbox.drop_sender();
        let got = tokio::time::timeout(Duration::from_secs(5), consumer).await.expect("ends").expect("joins");
        assert_eq!(got, vec![7, 8]);
    }

    #[tokio::test]
    async fn deferred_items_wake_the_consumer_on_release_or_when_many() {
        let outbox = Arc::new(Outbox::new(256));
        outbox.add_sender();
        let woken = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let consumer = tokio::spawn({
            let (outbox, woken) = (outbox.clone(), woken.clone());
            async move {
                let mut got = 0usize;
                while outbox.pop().await.is_some() {
                    woken.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    got += 1;
                    while outbox.try_pop().is_some() {
                        got += 1;
                    }
                }
                got
            }
        });
        tokio::task::yield_now().await;
        for i in 0..3 {
            assert!(outbox.try_push_deferred(text(i)).is_ok());
        }
        tokio::task::yield_now().await;
        assert_eq!(woken.load(std::sync::atomic::Ordering::SeqCst), 0, "deferred items do not wake");
        outbox.release_deferred();
        tokio::task::yield_now().await;
        assert_eq!(woken.load(std::sync::atomic::Ordering::SeqCst), 1, "one wake-up for the batch");
        for i in 0..DEFER_AT_MOST {
            assert!(outbox.try_push_deferred(text(i as u8)).is_ok());
        }
        tokio::task::yield_now().await;
        assert_eq!(woken.load(std::sync::atomic::Ordering::SeqCst), 2, "woken after DEFER_AT_MOST items");
        outbox.drop_sender();
        let got = tokio::time::timeout(Duration::from_secs(5), consumer).await.expect("ends").expect("joins");
        assert_eq!(got, 3 + DEFER_AT_MOST);
    }

    #[tokio::test]
    async fn waiting_for_room_releases_deferred_items() {
        let outbox = Arc::new(Outbox::new(2));
        outbox.add_sender();
        let consumer = tokio::spawn({
            let outbox = outbox.clone();
            async move {
                let mut got = 0usize;
                while outbox.pop().await.is_some() {
                    got += 1;
                }
                got
            }
        });
        tokio::task::yield_now().await;
        assert!(outbox.try_push_deferred(text(1)).is_ok());
        assert!(outbox.try_push_deferred(text(2)).is_ok());
        let room = tokio::time::timeout(Duration::from_secs(5), outbox.room(2)).await.expect("room");
        assert!(room);
        outbox.drop_sender();
        let got = tokio::time::timeout(Duration::from_secs(5), consumer).await.expect("ends").expect("joins");
        assert_eq!(got, 2);
    }

    #[tokio::test]
    async fn room_waits_for_the_consumer() {
        let outbox = Arc::new(Outbox::new(2));
        outbox.add_sender();
        assert!(outbox.try_push(text(1)).is_ok());
        assert!(outbox.try_push(text(2)).is_ok());
        assert!(!outbox.has_room(1));
        let waiter = tokio::spawn({
            let outbox = outbox.clone();
            async move { outbox.room(2).await }
        });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        assert!(outbox.try_pop().is_some());
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished(), "one free slot is not enough");
        assert!(outbox.try_pop().is_some());
        let room = tokio::time::timeout(Duration::from_secs(5), waiter).await.expect("wakes").expect("joins");
        assert!(room);
    }

    #[tokio::test]
    async fn close_wakes_the_room_waiter() {
        let outbox = Arc::new(Outbox::new(1));
        outbox.add_sender();
        assert!(outbox.try_push(text(1)).is_ok());
        let waiter = tokio::spawn({
            let outbox = outbox.clone();
            async move { outbox.room(1).await }
        });
        tokio::task::yield_now().await;
        outbox.close();
        let room = tokio::time::timeout(Duration::from_secs(5), waiter).await.expect("wakes").expect("joins");
        assert!(!room);
    }
}
