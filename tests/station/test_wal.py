"""Finding a damaged write-ahead log before SQLite replays it (``station.storage.wal``), checked
against SQLite itself: what it reports lost is what SQLite drops."""

import sqlite3
import struct
import subprocess
import sys

import pytest

from station.storage.wal import wal_damage

WRITES = 40


@pytest.fixture
def wal(tmp_path):
    """A database whose last ``WRITES`` committed inserts (one row each, 3000 random bytes,
    so one page per row) are only in its WAL: the writer died without a checkpoint."""
    db = tmp_path / "w.db"
    code = (
        "import os, sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1]); c.execute('PRAGMA journal_mode=WAL')\n"
        "c.execute('CREATE TABLE t (x)'); c.commit(); c.execute('PRAGMA wal_checkpoint')\n"
        f"for i in range({WRITES}):\n"
        "    c.execute('INSERT INTO t VALUES (?)', [os.urandom(3000)]); c.commit()\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", code, db], check=True)
    return db.with_name("w.db-wal")


def rows(wal) -> int:
    """The rows SQLite sees (it replays the log as far as it is sound)."""
    conn = sqlite3.connect(wal.with_name("w.db"))
    try:
        return conn.execute("SELECT count(*) FROM t").fetchone()[0]
    finally:
        conn.close()


def frame_offset(wal, frame: int) -> int:
    page_size = int.from_bytes(wal.read_bytes()[8:12], "big")
    return 32 + (frame - 1) * (24 + page_size)


def flip(wal, offset: int) -> None:
    data = bytearray(wal.read_bytes())
    data[offset] ^= 0xFF
    wal.write_bytes(bytes(data))


def test_a_sound_log_and_no_log_are_no_damage(wal, tmp_path):
    assert wal_damage(wal) is None
    assert wal_damage(tmp_path / "none.db-wal") is None
    assert rows(wal) == WRITES


@pytest.mark.parametrize("frame", [1, 2, 11, 60])
def test_a_damaged_frame_counts_the_commits_sqlite_drops(wal, frame):
    frames = (wal.stat().st_size - 32) // (24 + 4096)
    flip(wal, frame_offset(wal, frame) + 24 + 500)  # a byte of the frame's page
    damage = wal_damage(wal)
    assert (damage.frame, damage.frames) == (frame, frames)
    lost = WRITES - rows(wal)
    assert damage.lost_commits == lost > 0
    said = f"damaged at frame {frame} of {frames}: the {lost} transaction(s) committed from"
    assert said in damage.describe()


def test_a_damaged_header_loses_the_whole_log(wal):
    flip(wal, 17)  # a salt
    damage = wal_damage(wal)
    assert damage.frame == 0 and damage.lost_commits == WRITES
    assert rows(wal) == 0


def test_an_unfinished_last_transaction_is_no_damage(wal):
    """A crash while the last transaction was written: SQLite undoes it, nothing committed is
    lost."""
    wal.write_bytes(wal.read_bytes()[:-1000])
    assert wal_damage(wal) is None
    flip(wal, wal.stat().st_size - 3000)
    assert wal_damage(wal) is None


def checksum(data: bytes, s0: int, s1: int, fmt: str) -> tuple[int, int]:
    """SQLite's WAL checksum, word by word (the reference for the vectorised one)."""
    words = struct.unpack(f"{fmt}{len(data) // 4}I", data)
    for a, b in zip(words[::2], words[1::2], strict=True):
        s0 = (s0 + a + s1) & 0xFFFFFFFF
        s1 = (s1 + b + s0) & 0xFFFFFFFF
    return s0, s1


def as_big_endian(wal) -> None:
    """Rewrite the log as a big-endian machine writes it (magic 0x377f0683, checksums on
    big-endian words), as a station's card moved from such a machine would hold it."""
    data = bytearray(wal.read_bytes())
    page_size = int.from_bytes(data[8:12], "big")
    data[0:4] = (0x377F0683).to_bytes(4, "big")
    s = checksum(bytes(data[:24]), 0, 0, ">")
    data[24:32] = struct.pack(">II", *s)
    for offset in range(32, len(data), 24 + page_size):
        s = checksum(bytes(data[offset : offset + 8]), *s, ">")
        s = checksum(bytes(data[offset + 24 : offset + 24 + page_size]), *s, ">")
        data[offset + 16 : offset + 24] = struct.pack(">II", *s)
    wal.write_bytes(bytes(data))


def test_a_big_endian_log_is_read_in_its_own_byte_order(wal):
    as_big_endian(wal)
    assert wal_damage(wal) is None
    assert rows(wal) == WRITES  # SQLite agrees that it is sound


def test_a_damaged_big_endian_log(wal):
    as_big_endian(wal)
    flip(wal, frame_offset(wal, 5) + 40)
    assert wal_damage(wal).frame == 5
