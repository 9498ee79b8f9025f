"""A stand-in for systemctl in the deploy tests: runs a unit's ExecStart from an installed tree
the way systemd runs a Type=notify service, without systemd.

    python fake_systemctl.py --root DIR --state DIR COMMAND [--quiet] [UNIT ...]

``start`` runs the ExecStart of the station's services (balance-station.service, the core, and
balance-station-panel.service; its absolute paths taken inside the root) with the unit's
Environment= and a notify socket, and succeeds when READY=1 arrives, failing when the process
exits first (as ``systemctl start`` does for Type=notify). ``is-active`` checks the process,
``stop`` sends SIGTERM and waits. Restart= is not emulated: a crashed daemon stays down.
Every call is appended to ``<state>/calls.log``.
"""

import argparse
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

READY_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 20.0
SERVICES = ("balance-station.service", "balance-station-panel.service")


def unit_settings(root: Path, unit: str) -> dict[str, list[str]]:
    settings: dict[str, list[str]] = {}
    for line in (root / "etc/systemd/system" / unit).read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.startswith(("#", "[")):
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def running_pid(state: Path, unit: str) -> int | None:
    try:
        pid = int((state / f"{unit}.pid").read_text())
    except (OSError, ValueError):
        return None
    return pid if alive(pid) else None


def start(root: Path, state: Path, unit: str) -> int:
    if unit not in SERVICES or running_pid(state, unit):
        return 0  # the backup timer has nothing to run now
    settings = unit_settings(root, unit)
    argv = [
        str(root / arg.lstrip("/")) if arg.startswith("/") and (root / arg.lstrip("/")).exists()
        else arg
        for arg in shlex.split(settings["ExecStart"][0])
    ]  # fmt: skip
    env = dict(os.environ)
    for assignments in settings.get("Environment", []):
        env.update(pair.split("=", 1) for pair in shlex.split(assignments))
    # as systemd's /run/systemd/notify: a short path (AF_UNIX allows 107 bytes, which a test's
    # temporary folder under an xdist worker can exceed)
    short = Path(tempfile.mkdtemp(prefix="notify-"))
    notify = short / f"{unit}.notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(notify))
    sock.settimeout(0.5)
    env["NOTIFY_SOCKET"] = str(notify)
    with open(state / f"{unit}.log", "ab") as log:
        proc = subprocess.Popen(
            argv, env=env, cwd=state, stdout=log, stderr=log, start_new_session=True
        )
    (state / f"{unit}.pid").write_text(str(proc.pid))
    deadline = time.monotonic() + READY_TIMEOUT_S
    try:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                print(f"Job for {unit} failed (exit code {proc.returncode})", file=sys.stderr)
                return 1
            try:
                if b"READY=1" in sock.recv(4096).split(b"\n"):
                    return 0
            except TimeoutError:
                continue
    finally:
        sock.close()
        shutil.rmtree(short, ignore_errors=True)
    proc.kill()
    print(f"Job for {unit} timed out waiting for READY=1", file=sys.stderr)
    return 1


def stop(state: Path, unit: str) -> int:
    pid = running_pid(state, unit)
    if pid is None:
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while alive(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            break
        time.sleep(0.05)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("command")
    parser.add_argument("units", nargs="*")
    args = parser.parse_intermixed_args()
    args.state.mkdir(parents=True, exist_ok=True)
    with open(args.state / "calls.log", "a") as calls:
        calls.write(" ".join([args.command, *args.units]) + "\n")
    units = [u if "." in u else u + ".service" for u in args.units]
    if args.command in ("daemon-reload", "enable", "disable"):
        return 0
    if args.command == "is-active":
        active = all(running_pid(args.state, u) for u in units)
        if not args.quiet:
            print("active" if active else "inactive")
        return 0 if active else 3
    if args.command == "stop":
        return max((stop(args.state, u) for u in units), default=0)
    if args.command in ("start", "restart"):
        status = 0
        for unit in units:
            if args.command == "restart":
                stop(args.state, unit)
            status = max(status, start(args.root, args.state, unit))
        return status
    print(f"fake systemctl: unsupported command {args.command}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
