"""A damaged SQLite write-ahead log, found before SQLite opens the database.

SQLite replays the WAL (``station.db-wal``) frame by frame and stops, without a word, at the
first frame whose checksum fails: every transaction committed after that frame is dropped as if
it had never been. After a crash that is how an unfinished transaction at the log's end is
undone; in the middle of the log it is damage (an SD card's flipped bits) that loses committed
work, e.g. a trial's completion, which then reads "interrupted". ``wal_damage`` tells the two
apart: it finds the first frame that fails and looks for commit frames of the same log (same
salts) after it. None: an unfinished transaction at the end, nothing lost. Any: damage, and
every transaction committed from the bad frame on is one that SQLite will drop.

Format (https://www.sqlite.org/fileformat2.html#walformat): a 32-byte header (magic, version,
page size, checkpoint sequence, two salts, a checksum of its first 24 bytes), then frames of a
24-byte header (page number, the database size in pages for a commit frame else 0, the two
salts, a checksum running on from the previous frame over the header's first 8 bytes and the
page) and one page. The checksum adds 32-bit words in the byte order the magic number names.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC_LITTLE, MAGIC_BIG = 0x377F0682, 0x377F0683
HEADER_BYTES, FRAME_HEADER_BYTES = 32, 24
MASK = np.uint64(0xFFFFFFFF)
# one checksum step on (s0, s1) with the words (a, b): s0 += a + s1; s1 += b + s0
STEP = np.array([[1, 1], [1, 2]], dtype=np.uint64)


@dataclass(frozen=True)
class WalDamage:
    """Where a write-ahead log fails and what SQLite would drop because of it."""

    path: Path
    frame: int  # the first frame (from 1) that fails its checksum; 0: the header fails
    frames: int  # frames in the file
    lost_commits: int  # transactions committed from it on, which SQLite drops

    def describe(self) -> str:
        where = "its header" if self.frame == 0 else f"frame {self.frame} of {self.frames}"
        return (
            f"the write-ahead log {self.path} is damaged at {where}: the "
            f"{self.lost_commits} transaction(s) committed from there on are lost"
        )


def _words(data: bytes, big_endian: bool) -> np.ndarray:
    return np.frombuffer(data, dtype=">u4" if big_endian else "<u4").astype(np.uint64)


def _stored(data: bytes) -> tuple[int, int]:
    """A checksum as written in a header: two big-endian 32-bit words."""
    return int.from_bytes(data[:4], "big"), int.from_bytes(data[4:8], "big")


def _powers(n: int) -> np.ndarray:
    """STEP**k (mod 2**64, which keeps it right mod 2**32) for k = 0..n-1."""
    out = np.empty((n, 2, 2), dtype=np.uint64)
    out[0] = np.eye(2, dtype=np.uint64)
    for k in range(1, n):
        out[k] = out[k - 1] @ STEP
    return out


def _partials(pairs: np.ndarray, powers: np.ndarray) -> np.ndarray:
    """For each row of ``pairs`` (n word pairs (a, b)), the checksum it ends with when started
    from (0, 0): the sum over i of STEP**(n-1-i) @ (a_i, a_i + b_i). The checksum is linear,
    so a frame started from S ends with STEP**n @ S + its partial."""
    n = pairs.shape[1]
    inputs = np.stack([pairs[..., 0], pairs[..., 0] + pairs[..., 1]], axis=-1)
    return np.einsum("kij,fkj->fi", powers[n - 1 :: -1], inputs)


def _masked(s: np.ndarray) -> tuple[int, int]:
    return int(s[0] & MASK), int(s[1] & MASK)


def _page_size(data: bytes, wal: Path) -> int:
    """The log's page size; the database file's when the log's header field is damaged."""
    size = int.from_bytes(data[8:12], "big")
    if 512 <= size <= 65536 and not size & (size - 1):
        return size
    try:
        with open(wal.with_name(wal.name.removesuffix("-wal")), "rb") as db:
            db.seek(16)
            size = int.from_bytes(db.read(2), "big")
    except OSError:
        return 4096  # SQLite's default
    return 65536 if size == 1 else size or 4096


def wal_damage(path: Path | str) -> WalDamage | None:
    """The damage in the write-ahead log at ``path`` that loses committed transactions, or
    None (no log, an empty one, a sound one, or one whose only bad frames are an unfinished
    transaction at its end)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    page_size = _page_size(data, path)
    frame_bytes = FRAME_HEADER_BYTES + page_size
    frames = max(0, len(data) - HEADER_BYTES) // frame_bytes
    if not frames:
        return None
    body = np.frombuffer(data, np.uint8, frames * frame_bytes, HEADER_BYTES)
    rows = body.reshape(frames, frame_bytes)
    headers = [row[:FRAME_HEADER_BYTES].tobytes() for row in rows]

    def commits_after(frame: int, salts: bytes) -> int:
        """Commit frames of the log with ``salts`` after frame number ``frame``."""
        return sum(h[4:8] != b"\0\0\0\0" and h[8:16] == salts for h in headers[frame:])

    magic = int.from_bytes(data[:4], "big")
    big = magic == MAGIC_BIG
    powers = _powers(1 + page_size // 8)
    header_sum = _masked(_partials(_words(data[:24], big).reshape(1, 3, 2), powers)[0])
    if magic not in (MAGIC_LITTLE, MAGIC_BIG) or header_sum != _stored(data[24:32]):
        # SQLite ignores the whole log: everything the first frame's log committed is lost
        lost = commits_after(0, headers[0][8:16])
        return WalDamage(path, 0, frames, lost) if lost else None
    salts = data[16:24]
    covered = np.concatenate([rows[:, :8], rows[:, FRAME_HEADER_BYTES:]], axis=1)
    partials = _partials(_words(covered.tobytes(), big).reshape(frames, -1, 2), powers)
    run_on = powers[-1] @ STEP  # STEP**n for a frame's n word pairs
    state = np.array(header_sum, dtype=np.uint64)
    for i, header in enumerate(headers):
        state = np.array(_masked(run_on @ state + partials[i]), dtype=np.uint64)
        if header[8:16] != salts or _masked(state) != _stored(header[16:24]):
            # a commit after the bad frame: damage, and the bad frame's own commit is lost too
            if commits_after(i + 1, salts):
                return WalDamage(path, i + 1, frames, commits_after(i, salts))
            return None  # an unfinished transaction at the end
    return None
