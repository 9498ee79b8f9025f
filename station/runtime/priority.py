"""Scheduling priority: the core asks for a lower nice value (every thread it starts after
inherits it) and SCHED_FIFO for its control-loop thread; the panel gives back any raised
priority it inherited. What the system granted is reported in words, never assumed.

Linux keeps nice values and scheduling policies per thread, so each call here changes the
calling thread and the threads it creates from then on.
"""

import os
from contextlib import contextmanager

CORE_NICE = -10  # systemd's Nice= of balance-station.service, asked for when run by hand


def lower_nice(target: int = CORE_NICE) -> str:
    """Bring the calling thread's nice value down to ``target`` if allowed (root, or
    CAP_SYS_NICE, or RLIMIT_NICE); what it is now, in words."""
    current = os.getpriority(os.PRIO_PROCESS, 0)
    if current <= target:
        return f"nice {current}"
    try:
        os.setpriority(os.PRIO_PROCESS, 0, target)
    except PermissionError:
        return f"nice {current} (not allowed to lower it to {target})"
    return f"nice {target}"


def realtime_thread(priority: int) -> str:
    """Put the calling thread on SCHED_FIFO at ``priority`` (0: leave it as it is); in words
    what it runs at. Allowed for root, with CAP_SYS_NICE, or up to RLIMIT_RTPRIO (the core's
    unit sets LimitRTPRIO)."""
    if priority == 0:
        return "normal scheduling"
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(priority))
    except PermissionError:
        return (
            f"normal scheduling: SCHED_FIFO {priority} not allowed here (needs root, "
            "CAP_SYS_NICE or RLIMIT_RTPRIO; balance-station.service grants it)"
        )
    return f"SCHED_FIFO {priority}"


@contextmanager
def realtime_children(priority: int):
    """Threads started inside the block run on SCHED_FIFO at ``priority`` (a new thread takes
    its starter's policy); the calling thread is back to normal scheduling after it. Yields
    what the threads got, in words (0: as the caller's)."""
    granted = realtime_thread(priority)
    try:
        yield granted
    finally:
        if os.sched_getscheduler(0) != os.SCHED_OTHER:
            os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))


def normal_priority() -> str:
    """Give back a raised priority inherited from the process that started this one (the
    panel, spawned by ``balance-station run``, must not compete with the core); in words. A
    system call the sandbox refuses leaves the priority as it is (said so)."""
    try:
        if os.sched_getscheduler(0) != os.SCHED_OTHER:
            os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
        if os.getpriority(os.PRIO_PROCESS, 0) < 0:
            os.setpriority(os.PRIO_PROCESS, 0, 0)  # a higher nice value needs no privilege
    except PermissionError:
        return f"nice {os.getpriority(os.PRIO_PROCESS, 0)} (could not give back a raised one)"
    return f"nice {os.getpriority(os.PRIO_PROCESS, 0)}"
