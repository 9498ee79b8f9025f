"""The technician's diagnostics and recent log lines, as the station service gives them."""

import json
import logging
import subprocess
from datetime import UTC, datetime, timedelta

from station.clock import VirtualClock
from station.runtime.core_config import parse_config
from station.runtime.logs import RecentLines
from station.runtime.station import Station
from station.storage.backup import backup_database
from station.technician.diagnostics import (
    cpu_temperature_c,
    diagnostics,
    disk_space,
    journal_lines,
    recent_log_lines,
)


def test_cpu_temperature_where_the_kernel_reports_one(tmp_path):
    zone = tmp_path / "temp"
    zone.write_text("48312\n")
    assert cpu_temperature_c(zone) == 48.312
    assert cpu_temperature_c(tmp_path / "missing") is None


def test_diagnostics_of_a_running_station(tmp_path):
    config = parse_config({"station": {"data_dir": str(tmp_path)}, "backup": {"keep": 5}})
    station = Station(config, clock=VirtualClock())
    try:
        station.run_virtual(max_s=1.0, until_trial_ends=False)
        station.storage.flush()
        backup = backup_database(
            tmp_path / "station.db", 5, datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
        )
        zone = tmp_path / "temp"
        zone.write_text("51000\n")
        report = diagnostics(station, thermal_zone=zone)
    finally:
        station.close()
    assert report["version"] == station.version
    assert report["hardware"] == "sim"
    assert report["loop"]["ticks"] == 100 and report["loop"]["measured_rate_hz"] == 100.0
    assert report["devices"]["loadcells"]["state"] == "ready"
    assert report["cpu_temperature_c"] == 51.0
    assert report["disk"]["free_bytes"] > 0 and 0 < report["disk"]["used_pct"] <= 100
    assert report["database"]["path"] == str(tmp_path / "station.db")
    assert report["database"]["size_bytes"] > 0
    assert report["backups"]["count"] == 1 and report["backups"]["keep"] == 5
    assert report["backups"]["latest"]["file"] == str(backup)
    assert report["backups"]["latest"]["taken_at"] == "2025-01-02T03:04:05+00:00"
    json.dumps(report)  # plain data, ready for the panel


def test_disk_space(tmp_path):
    space = disk_space(tmp_path)
    assert space["total_bytes"] >= space["free_bytes"] > 0


def fake_journalctl(stdout, returncode=0):
    calls = []

    def run(command, **kwargs):
        calls.append(command)
        return subprocess.CompletedProcess(command, returncode, stdout=stdout, stderr="")

    return run, calls


def test_journal_lines_are_read_as_json():
    t = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    micros = int(t.timestamp() * 1e6)
    entries = [
        {"MESSAGE": "INFO balance-station: station running", "PRIORITY": "6",
         "__REALTIME_TIMESTAMP": str(micros)},
        {"MESSAGE": list("WARNING imu: fault \xff".encode("latin-1")), "PRIORITY": "4",
         "__REALTIME_TIMESTAMP": str(micros + 10**6)},
    ]  # fmt: skip
    run, calls = fake_journalctl("".join(json.dumps(e) + "\n" for e in entries))
    lines = journal_lines(50, run=run)
    assert calls == [  # the core's and the panel's lines, together
        ["journalctl", "--unit", "balance-station.service", "--unit",
         "balance-station-panel.service", "--lines", "50", "--output", "json", "--no-pager"]
    ]  # fmt: skip
    assert lines[0] == {
        "t": "2025-01-02T03:04:05+00:00",
        "level": "INFO",
        "priority": 6,
        "message": "INFO balance-station: station running",
    }
    assert lines[1]["level"] == "WARNING" and lines[1]["message"].startswith("WARNING imu: fault")
    assert lines[1]["t"] == (t + timedelta(seconds=1)).isoformat()


def test_without_a_readable_journal_the_lines_come_from_memory():
    failing, _ = fake_journalctl("", returncode=1)
    empty, _ = fake_journalctl("")  # no permission: journalctl shows nothing

    def missing(command, **kwargs):
        raise FileNotFoundError(command[0])

    assert journal_lines(10, run=failing) is None
    assert journal_lines(10, run=empty) is None
    assert journal_lines(10, run=missing) is None
    systemd = {"INVOCATION_ID": "abc"}
    assert recent_log_lines(10, systemd, run=missing) == {"source": None, "lines": []}
    handler = RecentLines()
    logging.getLogger().addHandler(handler)
    try:
        logging.getLogger("station.test").warning("kept in memory")
        recent = recent_log_lines(10, systemd, run=empty)
    finally:
        logging.getLogger().removeHandler(handler)
    assert recent["source"] == "memory"
    assert recent["lines"][-1]["message"] == "kept in memory"
    with_journal, _ = fake_journalctl(json.dumps({"MESSAGE": "x", "PRIORITY": "6"}) + "\n")
    assert recent_log_lines(10, systemd, run=with_journal)["source"] == "journal"
    assert recent_log_lines(10, {}, run=with_journal)["source"] is None  # not under systemd
