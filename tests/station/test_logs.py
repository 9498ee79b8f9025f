"""Log lines: journald's format under systemd, and events (never samples) from the station."""

import logging
import os
import sys

from station.runtime.logs import JournalFormatter, RecentLines, syslog_priority, writes_to_journal


def record(level, message, exc_info=None):
    return logging.LogRecord("station.runtime.loop", level, __file__, 1, message, (), exc_info)


def test_journal_stream_is_recognised_only_when_it_is_our_stream(tmp_path):
    with open(tmp_path / "stderr", "w") as stream, open(tmp_path / "other", "w") as other:
        st = os.fstat(stream.fileno())
        environ = {"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"}
        assert writes_to_journal(stream, environ)
        assert not writes_to_journal(other, environ)  # output redirected: plain lines
        assert not writes_to_journal(stream, {})
        assert not writes_to_journal(stream, {"JOURNAL_STREAM": "garbage"})


def test_journal_lines_carry_the_priority_and_no_time_stamp():
    formatter = JournalFormatter()
    assert formatter.format(record(logging.INFO, "station running")) == (
        "<6>INFO station.runtime.loop: station running"
    )
    assert formatter.format(record(logging.WARNING, "imu fault")).startswith("<4>WARNING ")
    try:
        raise ValueError("boom")
    except ValueError:
        lines = formatter.format(record(logging.ERROR, "crashed", sys.exc_info())).splitlines()
    assert len(lines) > 2 and all(line.startswith("<3>") for line in lines)  # one entry each
    assert lines[-1] == "<3>ValueError: boom"
    assert [syslog_priority(n) for n in (10, 20, 25, 30, 40, 50)] == [7, 6, 4, 4, 3, 2]


def test_recent_lines_keep_the_newest():
    recent = RecentLines(capacity=3)
    for i in range(5):
        recent.handle(record(logging.INFO, f"line {i}"))
    assert [line["message"] for line in recent.lines(10)] == ["line 2", "line 3", "line 4"]
    assert recent.lines(1)[0] | {"t": None} == {
        "t": None,
        "level": "INFO",
        "priority": 6,
        "logger": "station.runtime.loop",
        "message": "line 4",
    }


def test_a_trial_and_a_fault_log_events_not_samples(station, caplog):
    patient = station.records.create_patient({"name": "Log Lines"})
    with caplog.at_level(logging.DEBUG):
        station.start_drill(patient["id"], "quiet-stance", {"duration_s": 10})
        station.run_virtual(max_s=60.0)
        assert station.loop.session is None
        trial = caplog.records[:]
        caplog.clear()
        station.inject_simulated_fault("back-right", "unplug")
        station.run_virtual(max_s=3.0, until_trial_ends=False)
        station.inject_simulated_fault("back-right", "plug")
        station.run_virtual(max_s=3.0, until_trial_ends=False)
        fault = caplog.records[:]
    assert station.loop.ticks > 1500
    started = [r for r in trial if "quiet-stance started" in r.getMessage()]
    ended = [r for r in trial if "quiet-stance ended: completed" in r.getMessage()]
    assert len(started) == len(ended) == 1
    assert len(trial) < 10, [r.getMessage() for r in trial]
    messages = [(r.levelname, r.getMessage()) for r in fault if r.name == "hw.supervisor"]
    assert len(messages) == 2, messages  # one line per outage, one per recovery
    assert messages[0][0] == "WARNING" and "fault" in messages[0][1]
    assert messages[1][0] == "INFO" and "recovered after" in messages[1][1]
