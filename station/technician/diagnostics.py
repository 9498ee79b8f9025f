"""What a technician checks on a running station, as plain dicts: software version, loop
timing, devices, disk space, CPU temperature, database and backups, and the recent log lines.

The log lines come from the journal (``journalctl -u balance-station -u balance-station-panel
-o json``: the core's and the panel's) when the station runs under systemd and may read it (the
panel's unit adds the systemd-journal group), so they span restarts and show why the last run
ended; otherwise (a station started by hand, or no journal access) from the lines this process
logged, kept in memory by ``station.runtime.logs``.
"""

import json
import os
import platform
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from station.runtime.logs import recent_lines_handler
from station.storage.backup import backup_time, list_backups

THERMAL_ZONE = Path("/sys/class/thermal/thermal_zone0/temp")
UNITS = ("balance-station.service", "balance-station-panel.service")  # the core, the panel
JOURNAL_TIMEOUT_S = 5.0
LEVELS = {priority: name for name, priority in (
    ("CRITICAL", 2), ("ERROR", 3), ("WARNING", 4), ("NOTICE", 5), ("INFO", 6), ("DEBUG", 7),
)}  # fmt: skip


def cpu_temperature_c(path: Path = THERMAL_ZONE) -> float | None:
    """The SoC temperature in °C from the kernel's thermal zone (millidegrees), or None where
    the machine reports none. A Pi throttles from 80 °C."""
    try:
        return int(path.read_text().strip()) / 1000.0
    except (OSError, ValueError):
        return None


def disk_space(path: Path) -> dict:
    """Size and free space of the file system holding ``path``, in bytes and percent used."""
    usage = shutil.disk_usage(path)
    return {
        "path": str(path),
        "total_bytes": usage.total,
        "free_bytes": usage.free,
        "used_pct": round(100.0 * (usage.total - usage.free) / usage.total, 1),
    }


def database_files(db_path: Path) -> dict:
    """The database's size and its write-ahead log's, in bytes."""

    def size(path: Path) -> int:
        return path.stat().st_size if path.exists() else 0

    return {
        "path": str(db_path),
        "size_bytes": size(db_path),
        "wal_bytes": size(db_path.with_name(db_path.name + "-wal")),
    }


def backups_summary(data_dir: Path, keep: int) -> dict:
    """How many backups there are, at most how many are kept, and the newest (UTC time)."""
    backups = list_backups(data_dir)
    latest = backups[-1] if backups else None
    return {
        "count": len(backups),
        "keep": keep,
        "latest": None
        if latest is None
        else {
            "file": str(latest),
            "taken_at": backup_time(latest).isoformat(),
            "size_bytes": latest.stat().st_size,
        },
    }


def diagnostics(station, thermal_zone: Path = THERMAL_ZONE) -> dict:
    """Everything the technician's diagnostics view shows, from a running ``Station``.

    ``loop.lateness_ms`` is the loop's jitter: how late ticks started over the last 10 s
    (p50, p99, max), beside the target and measured rates and the late-tick count."""
    status = station.status()
    config = station.config
    data_dir = Path(config.station.data_dir)
    in_memory = str(station.storage.path) == ":memory:"
    return {
        "version": status["version"],
        "hardware": status["hardware"],
        "calibration": status["calibration"],
        "loop": status["loop"],
        "devices": status["devices"],
        "cpu_temperature_c": cpu_temperature_c(thermal_zone),
        "disk": disk_space(data_dir) if data_dir.exists() else None,
        "database": None if in_memory else database_files(Path(station.storage.path)),
        "backups": backups_summary(data_dir, config.backup.keep),
        "config_file": None if config.source is None else str(config.source),
        "python": platform.python_version(),
        "system": platform.platform(),
    }


def _journal_entry(entry: dict) -> dict:
    message = entry.get("MESSAGE", "")
    if isinstance(message, list):  # journald stores non-UTF-8 text as a byte array
        message = bytes(message).decode("utf-8", errors="replace")
    priority = int(entry.get("PRIORITY", 6))
    micros = int(entry.get("__REALTIME_TIMESTAMP", 0))
    return {
        "t": datetime.fromtimestamp(micros / 1e6, UTC).isoformat(timespec="seconds"),
        "level": LEVELS.get(priority, "INFO"),
        "priority": priority,
        "message": message,
    }


def journal_lines(n: int, units=UNITS, run=subprocess.run) -> list[dict] | None:
    """The newest ``n`` journal entries of ``units`` together, oldest first; None if journalctl is
    missing, fails, or shows none (no entries, or no permission to read them)."""
    selected = [arg for unit in units for arg in ("--unit", unit)]
    command = ["journalctl", *selected, "--lines", str(n), "--output", "json", "--no-pager"]
    try:
        done = run(command, capture_output=True, text=True, timeout=JOURNAL_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    entries = [_journal_entry(json.loads(line)) for line in done.stdout.splitlines() if line]
    return entries or None


def recent_log_lines(n: int = 200, environ=None, run=subprocess.run) -> dict:
    """``{"source": "journal" | "memory" | None, "lines": [{"t", "level", "priority",
    "message", ...}]}``, the newest ``n`` lines, oldest first. Under systemd
    (``$INVOCATION_ID`` set) the journal's, across restarts; else this process's own."""
    environ = os.environ if environ is None else environ
    if environ.get("INVOCATION_ID"):
        lines = journal_lines(n, run=run)
        if lines is not None:
            return {"source": "journal", "lines": lines}
    handler = recent_lines_handler()
    if handler is None:
        return {"source": None, "lines": []}
    return {"source": "memory", "lines": handler.lines(n)}
