"""Scheduling priorities: what is asked for is granted or said not to be, and a raised policy
reaches exactly the threads started for it."""

import os
import threading

from station.runtime.priority import normal_priority, realtime_children, realtime_thread


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
