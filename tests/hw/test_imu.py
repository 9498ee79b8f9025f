"""BNO08xIMU: the real adafruit_bno08x driver on the emulated chip, through SMBusI2C."""

import errno
import math
import time
import types

import adafruit_bno08x
import pytest

from hw.errors import BadDataError, DeviceClosedError, DeviceNotFoundError, DeviceTimeoutError
from hw.i2cbus import SMBusI2C
from hw.imu import BNO08xIMU, ImuSample
from hw.sim.bno08x import EmulatedBNO08x
from hw.sim.person import Person
from hw.sim.profiles import PROFILES
from hw.sim.wobble import WobbleBoard
from sensing.tilt import tilt_deg
from station.clock import VirtualClock

G = 9.80665
STALE = "IMU at 0x4A on /dev/i2c-1 sent no report for 0.1 s"  # 10 report intervals


def turning(t_s):
    """Tilting about x at 0.2 rad/s, so that every report differs from the last."""
    angle = 0.2 * (t_s - 100.0)
    return (math.sin(angle / 2), 0.0, 0.0, math.cos(angle / 2))


@pytest.fixture
def clock():
    return VirtualClock(100.0)


def fake_driver_time(monkeypatch, sleep):
    """Replace the driver's ``time`` module: ``sleep`` instead of its sleeps, real monotonic."""
    fake = types.SimpleNamespace(sleep=sleep, monotonic=time.monotonic)
    monkeypatch.setattr(adafruit_bno08x, "time", fake)


@pytest.fixture
def fast_driver(monkeypatch, clock):
    """The driver's 0.5 s sleeps advance the virtual clock instead of waiting."""
    fake_driver_time(monkeypatch, clock.sleep)


@pytest.fixture
def chip(bus, clock):
    chip = EmulatedBNO08x(turning, clock.now)
    bus.attach(0x4A, chip)
    return chip


def make_imu(bus, clock, **kw) -> BNO08xIMU:
    return BNO08xIMU(SMBusI2C(bus), clock=clock.now, **kw)


def run(imu, clock, seconds: float, step_s: float = 0.001) -> list:
    """Poll every ``step_s`` of virtual time for ``seconds``; the polls' results."""
    t0 = clock.now()
    samples = []
    for i in range(1, round(seconds / step_s) + 1):
        clock.advance_to(t0 + i * step_s)
        samples.append(imu.poll())
    return samples


def drain_reset_packets(imu):
    """Poll past the packets a chip sends after a reset, which the driver cannot parse as
    reports (the advertisement on channel 0: KeyError 0; reset complete: RuntimeError)."""
    for _ in range(3):
        try:
            assert imu.poll() is None
        except (KeyError, RuntimeError):
            continue
        return
    raise AssertionError("the driver kept failing")


def test_begin_enables_both_reports_at_the_rate_interval(bus, clock, chip, fast_driver):
    make_imu(bus, clock, rate_hz=7.0).begin()
    assert chip.status()["features_us"] == {
        "game_rotation_vector": 142857,
        "accelerometer": 142857,
    }


def test_poll_gives_each_report_once_when_it_arrives(bus, clock, chip, fast_driver):
    imu = make_imu(bus, clock)
    imu.begin()
    assert imu.poll() is None
    clock.sleep(0.01)
    first = imu.poll()
    assert isinstance(first, ImuSample)
    assert first.t_s == pytest.approx(clock.now() - 0.005)  # the middle of the poll interval
    assert first.quaternion == pytest.approx(turning(clock.now()), abs=2**-14)
    angle = 0.2 * (clock.now() - 100.0)
    assert first.accel_m_s2 == pytest.approx(
        (0.0, G * math.sin(angle), G * math.cos(angle)), abs=0.1
    )
    assert (first.seq, first.lost, first.reports) == (0, 0, 1)
    assert imu.poll() is None  # nothing new at the same instant


@pytest.mark.parametrize("rate_hz", [100.0, 200.0])
def test_fresh_samples_come_at_the_configured_rate(bus, clock, chip, fast_driver, rate_hz):
    imu = make_imu(bus, clock, rate_hz=rate_hz)
    imu.begin()
    samples = [s for s in run(imu, clock, 2.0) if s is not None]
    assert len(samples) == 2 * rate_hz
    assert [s.seq for s in samples] == list(range(len(samples)))
    assert imu.measured_rate_hz() == pytest.approx(rate_hz, rel=1e-3)
    assert imu.status() == {
        "state": "ready",
        "address": 0x4A,
        "bus": "/dev/i2c-1",
        "rate_hz": rate_hz,
        "measured_rate_hz": round(imu.measured_rate_hz(), 1),
        "clock_rate_hz": pytest.approx(rate_hz, rel=1e-3),
        "samples": 2 * rate_hz,
        "lost_reports": 0,
    }


def test_missing_chip_is_device_not_found_with_a_helpful_message(bus, clock, fast_driver):
    imu = make_imu(bus, clock)
    with pytest.raises(DeviceNotFoundError) as error:
        imu.begin()
    assert str(error.value) == (
        "No IMU at 0x4A on /dev/i2c-1: check the wiring and that I²C is enabled"
    )
    assert imu.status()["state"] == "failed"
    other = make_imu(bus, clock, address=0x4B, bus_name="/dev/i2c-3")
    with pytest.raises(DeviceNotFoundError, match=r"^No IMU at 0x4B on /dev/i2c-3: "):
        other.begin()


def test_nack_is_not_found_at_begin_and_oserror_121_from_poll(bus, clock, chip, fast_driver):
    imu = make_imu(bus, clock)
    chip.inject("nack")
    with pytest.raises(DeviceNotFoundError):
        imu.begin()
    chip.inject(None)
    imu.begin()
    chip.inject("nack")
    with pytest.raises(OSError) as error:
        imu.poll()
    assert type(error.value) is OSError and error.value.errno == errno.EREMOTEIO


def test_nack_during_begin_passes_oserror_121_through(bus, clock, chip, monkeypatch):
    def sleep_then_fail(seconds):  # the chip stops answering after the first soft reset
        clock.sleep(seconds)
        chip.inject("nack")

    fake_driver_time(monkeypatch, sleep_then_fail)
    with pytest.raises(OSError) as error:
        make_imu(bus, clock).begin()
    assert type(error.value) is OSError and error.value.errno == errno.EREMOTEIO


def test_an_all_ff_read_is_bad_data_though_the_driver_shrugs_it_off(bus, clock, chip, fast_driver):
    imu = make_imu(bus, clock)
    imu.begin()
    run(imu, clock, 0.1)
    chip.inject_once("all-ff")  # the next header reads FF FF FF FF: "nothing pending"
    with pytest.raises(BadDataError, match="IMU at 0x4A on /dev/i2c-1 read as all 0xFF"):
        imu.poll()
    samples = [s for s in run(imu, clock, 0.1) if s is not None]
    assert len(samples) == 10 and sum(s.lost for s in samples) == 0  # nothing was lost


def test_a_chip_that_stops_reporting_times_out(bus, clock, chip, fast_driver):
    imu = make_imu(bus, clock)
    imu.begin()
    run(imu, clock, 0.1)
    chip.brownout()  # it resets itself: no more reports, no bus error
    drain_reset_packets(imu)
    run(imu, clock, 0.1 - 0.001)  # 0.1 s after the last report: not yet stale
    clock.sleep(0.001)
    with pytest.raises(DeviceTimeoutError, match=f"^{STALE}: check its cable"):
        imu.poll()


def test_a_reader_held_up_right_after_an_empty_read_is_not_a_dead_chip(
    bus, clock, chip, fast_driver, monkeypatch
):
    """The reader's thread may lose the CPU between reading nothing and looking at the clock
    (a loaded machine): the chip was silent only until the read, so that is no timeout; the
    next poll brings the reports that came meanwhile."""
    imu = make_imu(bus, clock)
    imu.begin()
    run(imu, clock, 0.1)
    take = imu._driver.take_reports

    def read_then_lose_the_cpu():
        reports = take()
        clock.sleep(0.15)  # longer than stale_after_s (0.1 s)
        return reports

    monkeypatch.setattr(imu._driver, "take_reports", read_then_lose_the_cpu)
    assert imu.poll() is None  # nothing due at the read: not stale either
    monkeypatch.undo()
    sample = imu.poll()
    # the 15 reports of the 0.15 s held up: read, or counted lost (the chip holds fewer)
    assert sample is not None and sample.reports + sample.lost == 15


def test_all_ff_at_begin_is_the_drivers_index_error(bus, clock, chip, fast_driver):
    chip.inject("all-ff")
    with pytest.raises(IndexError):
        make_imu(bus, clock).begin()


def test_a_chip_that_never_reports_times_out(bus, clock, chip, fast_driver):
    imu = make_imu(bus, clock, stale_after_s=0.5)
    imu.begin()
    chip.brownout()  # the reports were enabled, then the chip forgot them
    drain_reset_packets(imu)
    assert run(imu, clock, 0.5) == [None] * 500
    clock.sleep(0.001)
    with pytest.raises(DeviceTimeoutError, match=r"sent no report for 0\.5 s"):
        imu.poll()


def test_bit7_drop_is_a_key_error_from_poll_and_a_runtime_error_from_begin(
    bus, clock, chip, fast_driver
):
    imu = make_imu(bus, clock)
    imu.begin()
    chip.inject("bit7-drop")
    clock.sleep(0.01)
    with pytest.raises(KeyError) as error:
        imu.poll()
    assert error.value.args == (123,)
    with pytest.raises(RuntimeError, match="Could not read ID"):
        imu.begin()


def test_unplug_then_plug_and_begin_recovers(bus, clock, chip, fast_driver):
    imu = make_imu(bus, clock)
    imu.begin()
    run(imu, clock, 0.1)
    chip.unplug()
    with pytest.raises(OSError) as error:
        run(imu, clock, 0.01)
    assert error.value.errno == errno.EREMOTEIO
    with pytest.raises(DeviceNotFoundError):
        imu.begin()
    chip.plug()
    imu.begin()
    samples = run(imu, clock, 0.1)
    assert samples[0] is None  # nothing before the first report
    assert sum(s is not None for s in samples) == 10
    assert imu.status()["samples"] == 20
    assert imu.status()["state"] == "ready"


def test_lifecycle_and_close_is_idempotent(bus, clock, chip, fast_driver):
    imu = make_imu(bus, clock)
    assert imu.status()["state"] == "not-started"
    assert imu.measured_rate_hz() is None
    with pytest.raises(DeviceClosedError, match="call begin"):
        imu.poll()
    with imu:
        assert imu.status()["state"] == "ready"
    imu.close()
    assert imu.status()["state"] == "closed"
    with pytest.raises(DeviceClosedError):
        imu.poll()


@pytest.mark.parametrize("rate_hz", [0.0, -5.0, 401.0])
def test_rate_must_be_within_the_chips_range(bus, clock, rate_hz):
    with pytest.raises(ValueError, match="rate_hz"):
        make_imu(bus, clock, rate_hz=rate_hz)


class LeaningRight:
    """A person standing with the centre of pressure 4 mm right of the board's centre."""

    def load(self, t_s):
        return (700.0, 4.0, 0.0)


def test_a_board_tilted_right_reads_as_positive_roll(bus, clock, fast_driver):
    board = WobbleBoard(LeaningRight(), radius_mm=100.0, start_s=clock.now())
    bus.attach(0x4A, EmulatedBNO08x(board.orientation, clock.now))
    imu = make_imu(bus, clock)
    imu.begin()
    pitch_deg, roll_deg = tilt_deg([s for s in run(imu, clock, 2.0) if s][-1].quaternion)
    assert roll_deg == pytest.approx(math.degrees(4.0 / 100.0), abs=0.01)
    assert pitch_deg == pytest.approx(0.0, abs=0.01)


def test_recovers_on_a_wobble_board_after_a_long_outage(bus, clock, fast_driver):
    person = Person(PROFILES["healthy-young"], seed=1, step_on_at_s=clock.now(), start_s=100.0)
    board = WobbleBoard(person)
    chip = EmulatedBNO08x(board.orientation, clock.now)
    bus.attach(0x4A, chip)
    imu = make_imu(bus, clock)
    imu.begin()
    run(imu, clock, 1.0)
    chip.unplug()
    for _ in range(50):  # the load cells read on while the IMU is down
        clock.sleep(0.1)
        person.load(clock.now())
    chip.plug()
    imu.begin()
    samples = run(imu, clock, 0.1)
    assert sum(s is not None for s in samples) == 10


def test_a_still_noise_free_chip_is_alive(bus, clock, fast_driver):
    chip = EmulatedBNO08x(lambda t: (0.0, 0.0, 0.0, 1.0), clock.now, accel_noise_m_s2=0.0)
    bus.attach(0x4A, chip)
    imu = make_imu(bus, clock)
    imu.begin()
    samples = [s for s in run(imu, clock, 2.0) if s is not None]  # never a timeout
    assert len(samples) == 200
    assert {s.quaternion for s in samples} == {(0.0, 0.0, 0.0, 1.0)}  # every value the same


def test_batched_reports_keep_the_newest_and_count_them(bus, clock, chip, fast_driver):
    imu = make_imu(bus, clock)
    imu.begin()
    run(imu, clock, 0.1)
    clock.sleep(0.035)  # the reader was held up: three reports wait in one packet
    sample = imu.poll()
    assert sample.reports == 3 and sample.lost == 0
    assert sample.t_s == pytest.approx(clock.now() - 0.005, abs=0.005)
    # the newest of the three (the driver alone keeps the oldest, 20 ms older: 2e-3 away)
    assert sample.quaternion == pytest.approx(turning(sample.t_s), abs=3e-4)


def test_reports_the_chip_dropped_are_counted_as_lost(bus, clock, chip, fast_driver):
    imu = make_imu(bus, clock)
    imu.begin()
    run(imu, clock, 0.5)
    clock.sleep(0.2)  # 20 reports due: the chip keeps only the newest 8 of a backlog
    sample = imu.poll()
    assert sample.reports == 8
    later = [s for s in run(imu, clock, 0.05) if s is not None]
    # a loss too close to call at the late poll is counted at the next report
    assert sample.lost + sum(s.lost for s in later) == 12
    assert imu.status()["lost_reports"] == 12
    assert chip.status()["reports_dropped"] == 2 * 12  # both kinds


def test_the_chips_own_rate_is_measured(bus, clock, fast_driver):
    chip = EmulatedBNO08x(turning, clock.now, rate_error=0.002)
    bus.attach(0x4A, chip)
    imu = make_imu(bus, clock)
    imu.begin()
    # polls at exactly twice the rate sweep the reports' phase once every 2.5 s here
    samples = [s for s in run(imu, clock, 15.0, step_s=0.005) if s is not None]
    assert imu.status()["clock_rate_hz"] == pytest.approx(100.2, abs=0.02)
    assert sum(s.lost for s in samples) == 0
    assert [s.seq for s in samples] == list(range(len(samples)))


def test_recover_enables_the_reports_again_without_a_reset(bus, clock, chip, monkeypatch):
    slept = []
    fake_driver_time(monkeypatch, slept.append)
    imu = make_imu(bus, clock)
    imu.begin()
    assert slept == [0.5, 0.5]  # begin(): the driver's two soft resets
    run(imu, clock, 0.1)
    chip.brownout()
    recovered_at = clock.now()
    imu.recover()
    assert slept == [0.5, 0.5]  # no sleep in recover()
    samples = [s for s in run(imu, clock, 0.1) if s is not None]
    assert len(samples) == 10
    assert samples[0].t_s - recovered_at == pytest.approx(0.01, abs=0.002)


def test_recover_on_a_chip_reading_all_ff_fails_at_once(bus, clock, chip, fast_driver):
    imu = make_imu(bus, clock)
    imu.begin()
    run(imu, clock, 0.1)
    chip.inject("all-ff")
    # the driver would otherwise wait 2 s (its own clock) for the answer to enabling a report
    with pytest.raises(BadDataError, match="still reads as all 0xFF"):
        imu.recover()
