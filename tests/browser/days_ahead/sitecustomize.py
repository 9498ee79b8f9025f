"""Loaded at start-up by every Python process whose PYTHONPATH holds this folder (the daemon
and the panel it starts): with CLINIC_DAYS_AHEAD set, the process's calendar runs that many
days ahead, the clock ticking on from there (time-machine: the wall clock and dates only;
``time.monotonic``, which times the control loop, is left alone). Lets one test walk through
weeks of clinic days with the real daemon."""

import os
from datetime import UTC, datetime, timedelta

if os.environ.get("CLINIC_DAYS_AHEAD"):
    import time_machine

    days = float(os.environ["CLINIC_DAYS_AHEAD"])
    time_machine.travel(datetime.now(UTC) + timedelta(days=days), tick=True).start()
