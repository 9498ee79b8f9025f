"""Every NAU7802 fault the emulator injects, through the real driver under its supervisor:
counted by kind, and samples flow again within 2 s of the chip answering."""

import pytest

from hw.errors import BadDataError
from hw.loadcells import NAU7802Array
from hw.nau7802 import NAU7802
from hw.sim.nau7802 import EmulatedNAU7802
from hw.sim.smbus import EmulatedSMBus
from hw.sim.tca9548a import EmulatedTCA9548A
from hw.supervisor import SupervisedDevice
from station.clock import VirtualClock

TICK_S = 0.01


@pytest.fixture
def rig():
    clock = VirtualClock(5.0)
    bus = EmulatedSMBus()
    mux = EmulatedTCA9548A()
    bus.attach(0x70, mux)
    chips = []
    for channel in range(4):
        chip = EmulatedNAU7802(
            lambda t: 100.0, clock.now, offset_counts=0.0, counts_per_newton=4000.0, seed=channel
        )
        mux.attach(channel, 0x2A, chip)
        chips.append(chip)
    array = NAU7802Array(bus, clock=clock.now, sleep=clock.sleep)
    sup = SupervisedDevice(array, "load cells", clock.now)
    assert sup.start()
    yield clock, chips, sup
    sup.close()


def run(clock, sup, seconds):
    """Poll every 10 ms for ``seconds``; returns the times at which samples arrived."""
    times = []
    end = clock.now() + seconds
    while clock.now() < end:
        clock.sleep(TICK_S)
        if sup.poll() is not None:
            times.append(clock.now())
    return times


def recovery_time_s(clock, sup):
    """Seconds from now until the first sample."""
    start = clock.now()
    while sup.poll() is None:
        clock.sleep(TICK_S)
        assert clock.now() - start < 5.0, sup.status()
    return clock.now() - start


@pytest.mark.parametrize(
    "fault, kind",
    [("nack", "nack"), ("all-ff", "bad-data")],
)
def test_injected_fault_is_counted_and_recovered_within_2_s(rig, fault, kind):
    clock, chips, sup = rig
    assert run(clock, sup, 0.2)
    chips[2].inject(fault)
    assert run(clock, sup, 1.5) == []  # no samples while the back-left chip is faulty
    status = sup.status()
    assert status["state"] == "recovering"
    assert status["faults"][kind] >= 1
    assert "back-left" in status["last_error"]
    chips[2].inject(None)
    assert recovery_time_s(clock, sup) < 2.0
    assert sup.status()["state"] == "ready" and sup.status()["recoveries"] == 1


def test_unplugged_chip_powers_up_again_when_plugged(rig):
    clock, chips, sup = rig
    chips[1].unplug()
    assert run(clock, sup, 1.0) == []
    assert sup.status()["faults"]["nack"] >= 1
    # the re-initialisations find no chip on front-right's channel
    assert sup.status()["faults"]["not-found"] >= 1
    assert "No NAU7802 at 0x2a on mux channel 1" in sup.status()["last_error"]
    chips[1].plug()  # back with every register at its power-on value: needs a full init
    assert recovery_time_s(clock, sup) < 2.0
    times = run(clock, sup, 1.0)
    assert len(times) == pytest.approx(100, abs=2)  # one per tick again (chips at 320 SPS)


def test_all_ff_is_reported_as_bad_data_not_as_a_conversion():
    clock = VirtualClock()
    bus = EmulatedSMBus()
    chip = EmulatedNAU7802(lambda t: 0.0, clock.now, offset_counts=0.0, counts_per_newton=1.0)
    bus.attach(0x2A, chip)
    cell = NAU7802(bus, clock=clock.now, sleep=clock.sleep, name="front-left")
    cell.begin()
    chip.inject("all-ff")
    with pytest.raises(BadDataError, match=r"front-left load cell amplifier .* all 0xFF"):
        cell.data_ready()
    with pytest.raises(ValueError, match="unknown fault"):
        chip.inject("gremlins")
