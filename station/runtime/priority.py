"""Scheduling priority: the core asks for SCHED_FIFO for every thread it has (a floor of
``CORE_FLOOR`` for its background threads, more for the sensor readers and the control loop),
or failing that a lower nice value; the panel gives back any raised priority it inherited.
What the system granted is reported in words, never assumed.

Why every thread of the core and not the loop alone: the core's threads share one GIL. A
background thread of ordinary priority (the socket to the panel, the database writer, the
scoring worker) that holds the GIL and is preempted by any other process keeps the real-time
loop and readers waiting until it runs again: a priority inversion that under load made ticks
tens of milliseconds late and lost conversions. On SCHED_FIFO nothing outside the core
preempts a thread of it; they all sleep between their jobs (the core is about a quarter of a
core here), and the kernel's real-time throttling keeps 5% of each core for everyone else.

Linux keeps nice values and scheduling policies per thread, so each call here changes the
calling thread and the threads it creates from then on.
"""

import os
import threading
from contextlib import contextmanager

CORE_NICE = -10  # systemd's Nice= of balance-station.service, asked for when run by hand
CORE_FLOOR = 1  # SCHED_FIFO priority of the core's background threads


def scheduling_of(tid: int = 0) -> str:
    """What thread ``tid`` (0: the caller; a process id: its main thread) runs at, in words."""
    if os.sched_getscheduler(tid) == os.SCHED_FIFO:
        return f"SCHED_FIFO {os.sched_getparam(tid).sched_priority}"
    return f"nice {os.getpriority(os.PRIO_PROCESS, tid)}"


def core_floor(priority: int = CORE_FLOOR) -> str:
    """Put every thread of this process on SCHED_FIFO at ``priority``: the calling thread
    before it starts any other, so that the threads it starts inherit at least that (see the
    module), and those libraries started at import (OpenBLAS's). If not allowed, the lower
    nice value instead. In words what the core's threads run at."""
    granted = realtime_thread(priority)
    if not granted.startswith("SCHED_FIFO"):
        return lower_nice()
    for tid in _threads_of_this_process():
        try:
            if os.sched_getscheduler(tid) == os.SCHED_OTHER:
                os.sched_setscheduler(tid, os.SCHED_FIFO, os.sched_param(priority))
        except ProcessLookupError:  # the thread ended meanwhile
            continue
    return granted


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
    its starter's policy); the calling thread is back to its own policy after it. Yields
    what the threads got, in words (0: as the caller's)."""
    policy, param = os.sched_getscheduler(0), os.sched_getparam(0)
    granted = realtime_thread(priority)
    try:
        yield granted
    finally:
        if (os.sched_getscheduler(0), os.sched_getparam(0)) != (policy, param):
            os.sched_setscheduler(0, policy, param)


def normal_priority() -> str:
    """Give back, for every thread of this process, a raised priority inherited from the
    process that started it (the panel, spawned by ``balance-station run``, must not compete
    with the core; libraries such as OpenBLAS start threads at import, before any code of
    ours runs); in words. A system call the sandbox refuses leaves the priority as it is."""
    try:
        for tid in _threads_of_this_process():
            _give_back(tid)
    except PermissionError:
        return f"nice {os.getpriority(os.PRIO_PROCESS, 0)} (could not give back a raised one)"
    return f"nice {os.getpriority(os.PRIO_PROCESS, 0)}"


def normal_thread() -> None:
    """Give back the calling thread's raised priority, so that the processes it starts begin
    at normal priority: a child inherits its parent thread's policy, and a panel that imported
    its libraries at SCHED_FIFO kept the core's sensor readers waiting for a second."""
    _give_back(threading.get_native_id())


def _give_back(tid: int) -> None:
    """Thread ``tid`` to SCHED_OTHER and nice 0 (neither needs privilege); a thread that ended
    meanwhile is left alone."""
    try:
        if os.sched_getscheduler(tid) != os.SCHED_OTHER:
            os.sched_setscheduler(tid, os.SCHED_OTHER, os.sched_param(0))
        if os.getpriority(os.PRIO_PROCESS, tid) < 0:
            os.setpriority(os.PRIO_PROCESS, tid, 0)  # a higher nice needs no privilege
    except ProcessLookupError:
        return


def _threads_of_this_process() -> list[int]:
    """Linux thread ids of this process, the calling thread among them."""
    return [int(tid) for tid in os.listdir("/proc/self/task")]
