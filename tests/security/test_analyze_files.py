"""``balance-station analyze`` given hostile files (issue 15, finding 10: ragged rows ended in a
ValueError traceback that lost the good files' output of the same run, COP values of 1e308 in a
QhullError traceback asking the user to mail qhull, Inf cells were reported as the patient off
the platform, and /dev/zero was read without limit).

Each bad file is named on stderr with what is wrong with it, the good ones are still printed,
the exit code is 1, and nothing is read past ``MAX_RECORDING_BYTES``."""

import json
import subprocess
import sys

import pytest

from station.results.recordings import MAX_RECORDING_BYTES

pytestmark = pytest.mark.security


@pytest.fixture
def bds(bds_dir):
    """The lines of a public data set recording (header first)."""
    return (bds_dir / "BDS00001.txt").read_text().splitlines()


def with_column(lines: list[str], column: int, value) -> list[str]:
    """``lines`` with the data rows' ``column`` set to ``value`` (a callable of the row's
    number, or a text)."""
    out = [lines[0]]
    for number, line in enumerate(lines[1:300]):
        cells = line.split("\t")
        cells[column] = value(number) if callable(value) else value
        out.append("\t".join(cells))
    return out


def export(rows: list[str]) -> str:
    """A station export's text: its header lines, then ``rows`` (t_s, cop_ml_mm, cop_ap_mm)."""
    head = ["# balance-station trial export", "# rate_hz: 100", "# recording_s: 0.0000"]
    return "\n".join([*head, "t_s,cop_ml_mm,cop_ap_mm", *rows]) + "\n"


def good_export_rows() -> list[str]:
    return [f"{i / 100:.2f},{(i % 17) - 8},{(i % 11) - 5}" for i in range(300)]


@pytest.fixture
def hostile(tmp_path, bds):
    """{file: what stderr must say about it}."""
    files = {}

    def add(name: str, text: str, said: str) -> None:
        path = tmp_path / name
        path.write_text(text)
        files[str(path)] = said

    ragged = [*bds[:100], "9.99\t1\t2", *bds[100:300]]
    add("ragged.txt", "\n".join(ragged) + "\n", "line 101 has 3 values, the header 9")
    add(
        "huge-cop.txt",
        "\n".join(with_column(bds, 7, "1e308")) + "\n",
        "a COP 1e+308 cm from the origin: no balance platform measures one beyond 100 cm",
    )
    add(
        "inf-cop.txt",
        "\n".join(with_column(bds, 8, "inf")) + "\n",
        "the data contains NaN or infinite values",
    )
    add(
        "nanosecond-time.txt",
        "\n".join(with_column(bds, 0, lambda n: f"{(n + 1) * 1e-9:.12e}")) + "\n",
        "a sampling rate of 1e+09 Hz, outside the 1-10000 Hz of balance recordings",
    )
    rows = good_export_rows()
    add("ragged.csv", export([*rows[:50], "0.50,1", *rows[50:]]), "line 55 has 2 values")
    add("inf.csv", export([*rows[:50], "0.50,inf,1", *rows[50:]]), "line 55: 'inf' is not a")
    add(
        "huge.csv",
        export([f"{i / 100:.2f},1e300,{i % 7}" for i in range(300)]),
        "a COP 1e+299 cm from the origin",
    )
    files["/dev/zero"] = f"larger than {MAX_RECORDING_BYTES // 2**20} MiB"
    return files


def analyze(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "station", "analyze", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_each_bad_file_is_named_and_the_good_ones_still_printed(
    hostile, bds_dir, tmp_path, as_json
):
    good_export = tmp_path / "good.csv"
    good_export.write_text(export(good_export_rows()))
    good = [bds_dir / "BDS00001.txt", good_export, bds_dir / "BDS00037.txt"]
    bad = list(hostile)
    files = [good[0], *bad[:4], good[1], *bad[4:], good[2]]  # the good ones among the bad
    run = analyze(*files, *(["--json"] if as_json else []))
    assert run.returncode == 1
    assert "Traceback" not in run.stderr and "qhull" not in run.stderr.lower()
    errors = run.stderr.splitlines()
    assert len(errors) == len(bad), run.stderr
    for path, said in hostile.items():
        (line,) = [e for e in errors if e.startswith(f"error: {path}: ")]
        assert said in line, line
    assert "off the platform" not in run.stderr  # no Inf passed off as a missing sample
    if as_json:
        assert [r["file"] for r in json.loads(run.stdout)] == [str(p) for p in good]
    else:
        assert [line.split(": area")[0] for line in run.stdout.splitlines()] == list(map(str, good))


def test_a_file_past_the_limit_is_refused_unread_and_one_below_is_read(tmp_path, bds):
    big = tmp_path / "big.txt"
    with big.open("w") as out:  # a recording padded past the limit with rows of its own
        out.write("\n".join(bds) + "\n")
        while out.tell() <= MAX_RECORDING_BYTES:
            out.write("\n".join(bds[1:]) + "\n")
    run = analyze(big)
    assert run.returncode == 1
    assert f"error: {big}: larger than 32 MiB" in run.stderr
    small = tmp_path / "small.txt"
    small.write_text("\n".join(bds) + "\n")
    assert analyze(small).returncode == 0
