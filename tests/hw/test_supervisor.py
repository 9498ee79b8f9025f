"""SupervisedDevice: faults classified and counted, re-initialisation with back-off, logging."""

import errno
import itertools
import logging

import pytest

from hw.errors import (
    BadDataError,
    CalibrationError,
    DeviceNotFoundError,
    DeviceResetError,
    DeviceTimeoutError,
)
from hw.supervisor import (
    FIRST_RETRY_S,
    IMMEDIATE_RETRIES,
    MAX_RETRY_S,
    SupervisedDevice,
    classify_fault,
)
from station.clock import VirtualClock


@pytest.mark.parametrize(
    "exc, kind",
    [
        (OSError(errno.EREMOTEIO, "Remote I/O error"), "nack"),
        (OSError(errno.EIO, "Input/output error"), "bus-error"),
        (KeyError(123), "bad-data"),  # bit 7 dropped: report 0xFB read as 0x7B
        (IndexError("list index out of range"), "bad-data"),  # all-0xFF header
        (BadDataError("all 0xFF"), "bad-data"),
        (DeviceTimeoutError("no report"), "timeout"),
        (DeviceResetError("PU_CTRL reads 0x00"), "reset"),
        (DeviceNotFoundError("No IMU"), "not-found"),
        (CalibrationError("CAL_ERR"), "calibration"),
        (RuntimeError("Could not read ID"), "driver-error"),
        (ZeroDivisionError(), "other"),
    ],
)
def test_driver_errors_are_classified(exc, kind):
    assert classify_fault(exc) == kind


class FlakyDevice:
    """A device whose begin() and poll() fail while ``broken`` is set; ``glitches`` polls
    fail once each with ``glitch`` first."""

    def __init__(self):
        self.broken: Exception | None = None
        self.glitch: Exception | None = None
        self.glitches = 0
        self.begins = 0
        self.polls = 0

    def begin(self):
        self.begins += 1
        if self.broken:
            raise self.broken

    def poll(self):
        self.polls += 1
        if self.glitches:
            self.glitches -= 1
            raise self.glitch
        if self.broken:
            raise self.broken
        return "sample"

    def recovery_budget_s(self):
        return 0.123

    def status(self):
        return {"begins": self.begins}

    def close(self):
        self.closed = True


def test_fault_then_retries_with_backoff_then_recovery(caplog):
    clock = VirtualClock()
    device = FlakyDevice()
    sup = SupervisedDevice(device, "widget", clock.now)
    assert sup.start() and sup.poll() == "sample"
    device.broken = OSError(errno.EREMOTEIO, "Remote I/O error")
    retry_times = []
    with caplog.at_level(logging.INFO, logger="hw.supervisor"):
        for _ in range(300):  # 3 s of 10 ms ticks
            begins = device.begins
            assert sup.poll() is None
            if device.begins != begins:
                retry_times.append(round(clock.now(), 3))
            clock.sleep(0.01)
        gaps = [b - a for a, b in itertools.pairwise(retry_times)]
        assert retry_times[0] == pytest.approx(FIRST_RETRY_S, abs=0.011)
        assert gaps[:3] == pytest.approx([0.2, 0.4, MAX_RETRY_S], abs=0.011)  # doubling...
        assert max(gaps) == pytest.approx(MAX_RETRY_S, abs=0.011)  # ...up to the cap
        status = sup.status()
        assert status["state"] == "recovering"
        # the failed poll and its immediate retries, then one per re-initialisation tried
        assert status["faults"] == {"nack": 1 + IMMEDIATE_RETRIES + len(retry_times)}
        assert status["retries"] == IMMEDIATE_RETRIES
        assert status["last_error"].startswith("nack: ")
        device.broken = None
        answered_at = clock.now()
        while sup.poll() is None:
            clock.sleep(0.01)
        assert clock.now() - answered_at <= MAX_RETRY_S + 0.011
    assert sup.status()["state"] == "ready" and sup.status()["recoveries"] == 1
    assert sup.status()["reinits"] == 1
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2  # one line for the outage, one for the recovery: no retry spam
    assert "widget fault during poll (nack)" in messages[0]
    assert messages[1].startswith("widget recovered after")


def test_a_device_missing_at_start_is_retried_not_fatal():
    clock = VirtualClock()
    device = FlakyDevice()
    device.broken = DeviceNotFoundError("No widget at 0x10")
    sup = SupervisedDevice(device, "widget", clock.now)
    assert sup.start() is False
    assert sup.status()["state"] == "recovering"
    assert sup.status()["faults"] == {"not-found": 1}
    device.broken = None
    clock.sleep(FIRST_RETRY_S)
    assert sup.poll() == "sample"


def test_closed_device_polls_nothing_and_closes_once():
    device = FlakyDevice()
    sup = SupervisedDevice(device, "widget", VirtualClock().now)
    sup.start()
    sup.close()
    sup.close()
    assert sup.poll() is None and sup.status()["state"] == "closed"


def test_a_one_off_glitch_is_retried_at_once_and_costs_no_reinitialisation(caplog):
    clock = VirtualClock()
    device = FlakyDevice()
    sup = SupervisedDevice(device, "widget", clock.now)
    sup.start()
    device.glitch, device.glitches = OSError(errno.EREMOTEIO, "Remote I/O error"), 1
    with caplog.at_level(logging.WARNING, logger="hw.supervisor"):
        assert sup.poll() == "sample"  # the same poll, retried
        device.glitch, device.glitches = KeyError(123), IMMEDIATE_RETRIES
        assert sup.poll() == "sample"
    status = sup.status()
    assert status["state"] == "ready"
    assert status["faults"] == {"nack": 1, "bad-data": IMMEDIATE_RETRIES}
    assert status["retries"] == 1 + IMMEDIATE_RETRIES
    assert (status["reinits"], status["recoveries"], device.begins) == (0, 0, 1)
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1  # retried glitches: one line a minute at most
    assert "1 transfer glitch(es) retried without a re-initialisation" in messages[0]


def test_a_timeout_is_not_retried_at_once():
    clock = VirtualClock()
    device = FlakyDevice()
    sup = SupervisedDevice(device, "widget", clock.now)
    sup.start()
    device.broken = DeviceTimeoutError("converted nothing for 0.03 s")
    polls = device.polls
    assert sup.poll() is None
    assert device.polls == polls + 1  # an immediate retry cannot make a chip convert
    assert sup.status()["state"] == "recovering" and sup.status()["retries"] == 0


class RecoverableDevice(FlakyDevice):
    """A FlakyDevice with a light recovery that fails with ``recover_error`` when set."""

    def __init__(self):
        super().__init__()
        self.recovers = 0
        self.recover_error: Exception | None = None

    def recover(self):
        self.recovers += 1
        if self.broken:
            raise self.broken
        if self.recover_error:
            raise self.recover_error


def test_a_light_recovery_comes_before_a_reinitialisation():
    clock = VirtualClock()
    device = RecoverableDevice()
    sup = SupervisedDevice(device, "widget", clock.now)
    sup.start()
    device.broken = OSError(errno.EREMOTEIO, "Remote I/O error")
    for _ in range(30):  # 0.3 s of NACKs: recover() and begin() both fail
        sup.poll()
        clock.sleep(0.01)
    device.broken = None
    while sup.poll() is None:
        clock.sleep(0.01)
    status = sup.status()
    assert device.recovers >= 2 and device.begins == 1 + device.recovers - 1
    assert (status["reinits"], status["recoveries"]) == (0, 1)  # back by the light way


def test_a_chip_that_lost_its_configuration_is_reinitialised_in_the_same_attempt():
    clock = VirtualClock()
    device = RecoverableDevice()
    sup = SupervisedDevice(device, "widget", clock.now)
    sup.start()
    device.glitch, device.glitches = DeviceTimeoutError("no report"), 1
    device.recover_error = DeviceResetError("PU_CTRL reads 0x00")
    assert sup.poll() is None
    clock.sleep(FIRST_RETRY_S)
    assert sup.poll() == "sample"
    assert (device.recovers, device.begins) == (1, 2)
    assert sup.status()["reinits"] == 1 and sup.status()["recoveries"] == 1


def test_recovery_counts_when_data_flows_not_when_begin_returns():
    clock = VirtualClock()
    device = FlakyDevice()
    sup = SupervisedDevice(device, "widget", clock.now)
    sup.start()
    timeout = DeviceTimeoutError("never signalled a conversion")
    device.broken = timeout
    for _ in range(100):  # begin() succeeds each time, then the chip stays silent
        device.begin = lambda: None
        sup.poll()
        clock.sleep(0.01)
    assert sup.status()["recoveries"] == 0  # one outage, not a string of recoveries
    assert sup.status()["state"] == "recovering"  # until data flows
    device.broken = None
    while sup.poll() is None:
        clock.sleep(0.01)
    assert sup.status()["recoveries"] == 1 and sup.status()["state"] == "ready"


def test_the_stale_limit_is_the_recovery_budget_and_the_first_back_off_rounded_up():
    sup = SupervisedDevice(FlakyDevice(), "widget", VirtualClock().now)
    assert sup.stale_limit_s() == pytest.approx(0.25)  # 0.123 + 0.1, up to 50 ms
