"""The panel's own resource limits: live streams per account and in all (each holds one of
waitress's threads while open), password hashes computed at once (each Argon2 hash takes
about 0.1 s of a core and 64 MiB), and how deeply a JSON body may nest, so that neither a room
full of tablets, a login flood nor a crafted body can take the threads commands need, the
panel's memory, the machine's cores or a request thread's stack.

One ``LiveStreams`` and one ``BoundedHasher`` per app (``create_app`` puts them in
``app.extensions``): the limits hold across every request of the panel process.
"""

import itertools
import re
import threading
from collections import Counter

from flask.json.provider import DefaultJSONProvider

from webpanel.api import ApiError

PASSWORD_CHECK_WAIT_S = 5.0
MAX_JSON_DEPTH = 32
"""How deeply a request's JSON may nest (the panel's deepest body, a program, nests 4 levels):
a 64 KiB body of brackets nests 32,000 levels, past Python's recursion limit, which made every
JSON route answer 500."""
JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
BRACKETS = {"[": 1, "{": 1, "]": -1, "}": -1}


class JSONNestingError(ValueError):
    """A JSON text nests deeper than ``MAX_JSON_DEPTH``."""


def json_depth(text: str) -> int:
    """How deeply ``text`` nests arrays and objects (brackets inside strings do not count)."""
    steps = (BRACKETS.get(c, 0) for c in JSON_STRING.sub("", text) if c in BRACKETS)
    return max(itertools.accumulate(steps, initial=0))


class NestingLimitedJSON(DefaultJSONProvider):
    """Flask's JSON provider refusing, before parsing, a text nested deeper than
    ``MAX_JSON_DEPTH`` (JSONNestingError, a ValueError like any JSON that does not parse)."""

    def loads(self, s, **kwargs):
        text = s.decode("utf-8", "replace") if isinstance(s, bytes | bytearray) else s
        if json_depth(text) > MAX_JSON_DEPTH:
            raise JSONNestingError(
                f"the JSON nests deeper than {MAX_JSON_DEPTH} levels: no request of the panel "
                "needs more"
            )
        return super().loads(s, **kwargs)


class LiveStreams:
    """Counts open live streams: at most ``total`` in all, ``per_account`` for one account."""

    def __init__(self, total: int, per_account: int):
        self.total, self.per_account = total, per_account
        self._open: Counter = Counter()
        self._lock = threading.Lock()

    @property
    def open(self) -> int:
        with self._lock:
            return sum(self._open.values())

    def take(self, account) -> "StreamSlot":
        """A slot for one more stream of ``account``; ApiError 503 ``too_many_streams`` (saying
        which limit) when there is none."""
        with self._lock:
            if sum(self._open.values()) >= self.total:
                raise ApiError(
                    503,
                    "too_many_streams",
                    f"the station already serves {self.total} live views, its limit: close a "
                    "live view or patient display on another device, then reload this page",
                )
            if self._open[account] >= self.per_account:
                raise ApiError(
                    503,
                    "too_many_streams",
                    f"this account already has {self.per_account} live views open, its limit: "
                    "close a tab or display showing the live view, then reload this page",
                )
            self._open[account] += 1
        return StreamSlot(self, account)

    def _give_back(self, account) -> None:
        with self._lock:
            self._open[account] -= 1
            if self._open[account] <= 0:
                del self._open[account]


class StreamSlot:
    """One open stream's place; ``release()`` is safe to call twice (the stream's end and the
    response's close both call it)."""

    def __init__(self, streams: LiveStreams, account):
        self._streams, self._account = streams, account
        self._released = False
        self._lock = threading.Lock()

    def release(self) -> None:
        with self._lock:
            if self._released:
                return
            self._released = True
        self._streams._give_back(self._account)


class PasswordChecksBusy(ApiError):
    """Every password-check slot stayed taken for ``PASSWORD_CHECK_WAIT_S``: try again soon."""

    def __init__(self):
        super().__init__(
            503,
            "busy",
            "The station is checking too many passwords at once: wait a few seconds, then "
            "try again.",
        )


class BoundedHasher:
    """An argon2 ``PasswordHasher`` that computes at most ``slots`` hashes (or verifications)
    at once across the panel; a caller waits up to ``wait_s`` for a slot, then gets
    PasswordChecksBusy."""

    def __init__(self, hasher, slots: int, wait_s: float = PASSWORD_CHECK_WAIT_S):
        self._hasher = hasher
        self._slots = threading.BoundedSemaphore(slots)
        self._wait_s = wait_s

    def _in_slot(self, work, *args):
        if not self._slots.acquire(timeout=self._wait_s):
            raise PasswordChecksBusy()
        try:
            return work(*args)
        finally:
            self._slots.release()

    def hash(self, password: str) -> str:
        return self._in_slot(self._hasher.hash, password)

    def verify(self, password_hash: str, password: str) -> bool:
        return self._in_slot(self._hasher.verify, password_hash, password)

    def check_needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)
