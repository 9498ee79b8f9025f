"""SupervisedDevice: faults classified and counted, re-initialisation with back-off, logging."""

import errno
import itertools
import logging

import pytest

from hw.errors import BadDataError, CalibrationError, DeviceNotFoundError, DeviceTimeoutError
from hw.supervisor import FIRST_RETRY_S, MAX_RETRY_S, SupervisedDevice, classify_fault
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
        (DeviceNotFoundError("No IMU"), "not-found"),
        (CalibrationError("CAL_ERR"), "calibration"),
        (RuntimeError("Could not read ID"), "driver-error"),
        (ZeroDivisionError(), "other"),
    ],
)
def test_driver_errors_are_classified(exc, kind):
    assert classify_fault(exc) == kind


class FlakyDevice:
    """A device whose begin() and poll() fail while ``broken`` is set."""

    def __init__(self):
        self.broken: Exception | None = None
        self.begins = 0

    def begin(self):
        self.begins += 1
        if self.broken:
            raise self.broken

    def poll(self):
        if self.broken:
            raise self.broken
        return "sample"

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
        assert status["faults"] == {"nack": 1 + len(retry_times)}
        assert status["last_error"].startswith("nack: ")
        device.broken = None
        answered_at = clock.now()
        while sup.poll() is None:
            clock.sleep(0.01)
        assert clock.now() - answered_at <= MAX_RETRY_S + 0.011
    assert sup.status()["state"] == "ready" and sup.status()["recoveries"] == 1
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
