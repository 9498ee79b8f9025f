"""The panel's own resource limits: live streams per account and in all (each holds one of
waitress's threads while open), password hashes computed at once and password forms sent a
minute (each Argon2 hash takes about 0.1 s of a core and 64 MiB), and how deeply a JSON body
may nest, so that neither a room full of tablets, a login flood nor a crafted body can take
the threads commands need, the panel's memory, the machine's cores or a request thread's
stack.

One ``LiveStreams``, one ``BoundedHasher`` and one ``PasswordAttempts`` per app
(``create_app`` puts them in ``app.extensions``): the limits hold across every request of the
panel process.
"""

import itertools
import re
import threading
import time
from collections import Counter, deque

from flask.json.provider import DefaultJSONProvider
from flask_babel import gettext

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
                    gettext(
                        "the station already serves %(limit)d live views, its limit: close a "
                        "live view or patient display on another device, then reload this page",
                        limit=self.total,
                    ),
                )
            if self._open[account] >= self.per_account:
                raise ApiError(
                    503,
                    "too_many_streams",
                    gettext(
                        "this account already has %(limit)d live views open, its limit: close "
                        "a tab or display showing the live view, then reload this page",
                        limit=self.per_account,
                    ),
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


class TooManyPasswordAttempts(ApiError):
    """429: a password form was sent too often in the last minute, from this address
    (``scope`` "address") or from every address together (``scope`` "station")."""

    def __init__(self, scope: str, limit: int):
        if scope == "address":
            message = gettext(
                "Too many password attempts from this device (%(limit)d a minute): wait a "
                "minute, then try again.",
                limit=limit,
            )
        else:
            message = gettext(
                "The station has checked %(limit)d passwords in the last minute, its limit "
                "for every device together: wait a minute, then try again.",
                limit=limit,
            )
        super().__init__(429, "rate_limited", message)
        self.scope = scope


class PasswordAttempts:
    """Sends of the forms that check or hash a password (login, first-run setup, a change of
    password, a technician's new account or reset), counted as each begins, whatever its
    outcome: at most ``per_address`` a minute from one address and ``total`` a minute from
    all addresses together, so that neither one device nor many (rotating addresses) get more
    than ``total`` hashes a minute out of the station. Counting at the start, under a lock,
    also holds for attempts sent all at once."""

    WINDOW_S = 60.0

    def __init__(self, total: int, per_address: int, clock=time.monotonic):
        self.total, self.per_address = total, per_address
        self._clock = clock
        self._all: deque = deque()
        self._by_address: dict[str, deque] = {}
        self._lock = threading.Lock()

    def take(self, address: str) -> None:
        """Count one attempt from ``address``, or TooManyPasswordAttempts (nothing counted)."""
        with self._lock:
            now = self._clock()
            self._forget_before(now - self.WINDOW_S)
            mine = self._by_address.setdefault(address, deque())
            if len(mine) >= self.per_address:
                raise TooManyPasswordAttempts("address", self.per_address)
            if len(self._all) >= self.total:
                raise TooManyPasswordAttempts("station", self.total)
            mine.append(now)
            self._all.append(now)

    def _forget_before(self, cutoff: float) -> None:
        while self._all and self._all[0] < cutoff:
            self._all.popleft()
        for address in list(self._by_address):
            times = self._by_address[address]
            while times and times[0] < cutoff:
                times.popleft()
            if not times:
                del self._by_address[address]


class PasswordChecksBusy(ApiError):
    """Every password-check slot stayed taken for ``PASSWORD_CHECK_WAIT_S``: try again soon."""

    def __init__(self):
        super().__init__(
            503,
            "busy",
            gettext(
                "The station is checking too many passwords at once: wait a few seconds, "
                "then try again."
            ),
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
