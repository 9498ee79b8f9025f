"""Scheduling priorities: what is asked for is granted or said not to be, and a raised policy
reaches exactly the threads started for it."""

import os
import sys
import threading

from station.runtime.panel_process import PanelProcess
from station.runtime.priority import (
    core_floor,
    normal_priority,
    realtime_children,
    realtime_thread,
    scheduling_of,
)


def policy_of_a_thread_started_now() -> int:
    seen = []
    thread = threading.Thread(target=lambda: seen.append(os.sched_getscheduler(0)))
    thread.start()
    thread.join()
    return seen[0]


def test_threads_started_for_real_time_get_it_and_the_caller_gives_it_back():
    with realtime_children(5) as granted:
        inside = policy_of_a_thread_started_now()
    if granted == "SCHED_FIFO 5":  # root, CAP_SYS_NICE or RLIMIT_RTPRIO here
        assert inside == os.SCHED_FIFO
    else:
        assert granted.startswith("normal scheduling: SCHED_FIFO 5 not allowed")
        assert inside == os.SCHED_OTHER
    assert os.sched_getscheduler(0) == os.SCHED_OTHER
    assert policy_of_a_thread_started_now() == os.SCHED_OTHER


def test_a_thread_that_was_raised_gives_it_back_when_asked():
    said = []

    def work():
        said.append(realtime_thread(3))
        said.append(normal_priority())
        said.append(os.sched_getscheduler(0))

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert said[0] in ("SCHED_FIFO 3",) or said[0].startswith("normal scheduling: SCHED_FIFO 3")
    assert said[1].startswith("nice ") and said[2] == os.SCHED_OTHER
    assert realtime_thread(0) == "normal scheduling"


def test_the_core_floor_reaches_every_thread_before_and_after_it_and_readers_go_above_it():
    said = []
    library_started, done = threading.Event(), threading.Event()
    library = []

    def library_thread():  # like OpenBLAS's, started at import before the core's code runs
        library.append(threading.get_native_id())
        library_started.set()
        done.wait(5)

    def core_main_thread():
        said.append(core_floor(2))
        said.append(policy_of_a_thread_started_now())
        said.append(os.sched_getscheduler(library[0]))
        with realtime_children(4) as granted:
            said.append(granted)
        said.append(scheduling_of())  # back to the floor, not to normal scheduling

    worker = threading.Thread(target=library_thread)
    worker.start()
    library_started.wait(5)
    thread = threading.Thread(target=core_main_thread)
    thread.start()
    thread.join()
    done.set()
    worker.join()
    normal_priority()  # this test process's threads back to normal for the tests after
    if said[0] == "SCHED_FIFO 2":
        assert said[1] == os.SCHED_FIFO and said[2] == os.SCHED_FIFO
        assert said[3] == "SCHED_FIFO 4" and said[4] == "SCHED_FIFO 2"
    else:  # not allowed here: the lower nice value instead, said in words
        assert said[0].startswith("nice ") and said[1] == os.SCHED_OTHER
        assert said[4].startswith("nice ")
    assert os.sched_getscheduler(0) == os.SCHED_OTHER


def test_the_panel_gives_back_a_raised_priority_in_every_thread_even_those_started_before():
    started, done = threading.Event(), threading.Event()
    tids = []

    def library_thread():  # like OpenBLAS's, started at import before the panel's code runs
        tids.append(threading.get_native_id())
        started.set()
        done.wait(5)

    def panel_main_thread():
        raised = realtime_thread(3)
        worker = threading.Thread(target=library_thread)
        worker.start()
        started.wait(5)
        tids.append(raised)
        tids.append(normal_priority())
        tids.append(os.sched_getscheduler(tids[0]))
        done.set()
        worker.join()

    thread = threading.Thread(target=panel_main_thread)
    thread.start()
    thread.join()
    _, raised, said, worker_policy = tids
    assert said.startswith("nice ")
    assert worker_policy == os.SCHED_OTHER  # also when it had been raised to SCHED_FIFO 3
    if raised == "SCHED_FIFO 3":
        assert "could not" not in said


def test_the_panel_starts_at_normal_priority_when_the_core_that_starts_it_is_real_time(tmp_path):
    """The panel's interpreter and imports (about a CPU-second) ran at the core's SCHED_FIFO
    until its own code gave the priority back: under load a panel restarted mid-trial kept the
    sensor readers waiting and the trial lost 1% of its conversions."""
    seen = tmp_path / "policy"
    probe = f"import os; open({str(seen)!r}, 'w').write(str(os.sched_getscheduler(0)))"
    said = []

    def core_thread():
        said.append(realtime_thread(3))
        panel = PanelProcess(None, "info")
        panel.command = [sys.executable, "-c", probe + "; raise SystemExit(2)"]  # refused: once
        panel.start()
        said.append(panel.refused.wait(30))
        panel.stop()
        said.append(os.sched_getscheduler(0))

    thread = threading.Thread(target=core_thread)
    thread.start()
    thread.join()
    assert said[1], "the probe never ran"
    assert int(seen.read_text()) == os.SCHED_OTHER
    if said[0] == "SCHED_FIFO 3":  # root, CAP_SYS_NICE or RLIMIT_RTPRIO here
        assert said[2] == os.SCHED_FIFO  # the core's own thread keeps what it was given
