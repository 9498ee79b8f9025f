"""Live feed: the control loop publishes each frame; panel streams subscribe without blocking it."""

import threading
from collections import deque


class Subscription:
    """One subscriber's bounded buffer; the oldest items drop if the reader falls behind."""

    def __init__(self, feed: "LiveFeed", maxlen: int):
        self._feed = feed
        self._items: deque = deque(maxlen=maxlen)
        self._ready = threading.Condition()
        self.closed = False

    def push(self, item) -> None:
        with self._ready:
            self._items.append(item)
            self._ready.notify()

    def wait(self, timeout_s: float) -> list:
        """Everything published since the last call, waiting up to ``timeout_s`` for something."""
        with self._ready:
            self._ready.wait_for(lambda: self._items or self.closed, timeout_s)
            items = list(self._items)
            self._items.clear()
        return items

    def close(self) -> None:
        """Stop receiving; safe to call twice."""
        self.closed = True
        self._feed.unsubscribe(self)
        with self._ready:
            self._ready.notify_all()


class LiveFeed:
    """Fan-out of published items to every current subscriber."""

    def __init__(self, maxlen: int = 512):
        self._maxlen = maxlen
        self._subs: set[Subscription] = set()
        self._lock = threading.Lock()
        self._closed = False

    def subscribe(self) -> Subscription:
        """A new subscription (already closed once the feed is closed)."""
        sub = Subscription(self, self._maxlen)
        with self._lock:
            if not self._closed:
                self._subs.add(sub)
                return sub
        sub.closed = True
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subs.discard(sub)

    @property
    def subscribers(self) -> int:
        return len(self._subs)

    def publish(self, item) -> None:
        """Hand ``item`` to every subscriber (cheap: one append each)."""
        with self._lock:
            subs = tuple(self._subs)
        for sub in subs:
            sub.push(item)

    def close(self) -> None:
        """Wake and detach every subscriber; later subscriptions start closed."""
        with self._lock:
            self._closed = True
            subs = tuple(self._subs)
        for sub in subs:
            sub.close()
