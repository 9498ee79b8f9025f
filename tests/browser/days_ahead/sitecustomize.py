"""Loaded at start-up by every Python process whose PYTHONPATH holds this folder (the daemon
and the panel it starts): with CLINIC_DAY set (YYYY-MM-DD), the process's calendar starts at
9:00 local time that day and the clock ticks on from there (time-machine: the wall clock and
dates only; ``time.monotonic``, which times the control loop, is left alone). Lets one test
walk through weeks of clinic days with the real daemon, whatever the real time of day."""

import os
from datetime import date, datetime, time

if os.environ.get("CLINIC_DAY"):
    import time_machine

    morning = datetime.combine(date.fromisoformat(os.environ["CLINIC_DAY"]), time(9, 0))
    time_machine.travel(morning.astimezone(), tick=True).start()
