"""EmulatedBNO08x: SHTP at the byte level, and the real adafruit_bno08x driver running on it."""

import errno
import math
import statistics
import struct
import time
import types

import adafruit_bno08x
import pytest
from adafruit_bno08x import BNO_REPORT_ACCELEROMETER, BNO_REPORT_GAME_ROTATION_VECTOR
from adafruit_bno08x.i2c import BNO08X_I2C

from hw.i2cbus import SMBusI2C
from hw.sim.bno08x import ADVERTISEMENT, MAX_BATCH, PRODUCT_IDS, EmulatedBNO08x
from station.clock import VirtualClock

GRV, ACCEL = BNO_REPORT_GAME_ROTATION_VECTOR, BNO_REPORT_ACCELEROMETER
G = 9.80665


def level(t_s):
    return (0.0, 0.0, 0.0, 1.0)


def about_x(angle_rad):
    return (math.sin(angle_rad / 2), 0.0, 0.0, math.cos(angle_rad / 2))


def turning(t_s):
    """Tilting at 0.2 rad/s: every game rotation vector report differs from the last."""
    return about_x(0.2 * (t_s - 100.0))


def shtp(channel: int, payload: bytes, seq: int = 0) -> bytes:
    """A host-to-chip packet: 4-byte header, then the payload."""
    return struct.pack("<HBB", len(payload) + 4, channel, seq) + payload


def header(raw: bytes) -> tuple[int, bool, int, int]:
    """(length, continuation, channel, sequence) of a read's first four bytes."""
    length, channel, seq = struct.unpack_from("<HBB", raw)
    return length & 0x7FFF, bool(length & 0x8000), channel, seq


def read_packet(chip) -> tuple[int, int, bytes]:
    """Read one packet the driver's way: the header, then header and payload together."""
    length, _, channel, seq = header(chip.read(4))
    if length == 0:
        return channel, seq, b""
    return channel, seq, chip.read(length)[4:]


def drain(chip) -> list[tuple[int, int, bytes]]:
    """Read packets until none is pending; (channel, sequence, payload) of each."""
    packets = []
    while (packet := read_packet(chip))[2]:
        packets.append(packet)
    return packets


def set_feature(sensor: int, interval_us: int) -> bytes:
    report = bytearray(17)
    report[0], report[1] = 0xFD, sensor
    struct.pack_into("<I", report, 5, interval_us)
    return shtp(2, bytes(report))


def reports_in(payload: bytes) -> list[tuple[int, float, tuple[int, ...]]]:
    """(report ID, time offset from the packet's reference in s, raw int16 values) of each
    report in a channel 3 packet after its FB base timestamp."""
    assert payload[0] == 0xFB
    (base,) = struct.unpack_from("<i", payload, 1)
    out, i = [], 5
    while i < len(payload):
        report_id, count = payload[i], {GRV: 4, ACCEL: 3}[payload[i]]
        delay = (payload[i + 2] >> 2) << 8 | payload[i + 3]
        values = struct.unpack_from(f"<{count}h", payload, i + 4)
        out.append((report_id, (delay - base) * 100e-6, values))
        i += 4 + 2 * count
    return out


@pytest.fixture
def clock():
    return VirtualClock(100.0)


@pytest.fixture
def fast_driver(monkeypatch, clock):
    """The driver's sleeps advance the virtual clock instead of waiting (its timeouts still
    run on real time, and none is reached here)."""
    fake_time = types.SimpleNamespace(sleep=clock.sleep, monotonic=time.monotonic)
    monkeypatch.setattr(adafruit_bno08x, "time", fake_time)


def attach(bus, clock, orientation=level, **kw) -> EmulatedBNO08x:
    chip = EmulatedBNO08x(orientation, clock.now, **kw)
    bus.attach(0x4A, chip)
    return chip


def driver_on(bus, interval_us=10_000) -> BNO08X_I2C:
    """The real driver on ``bus`` with both features enabled."""
    driver = BNO08X_I2C(SMBusI2C(bus))
    driver.enable_feature(GRV, interval_us)
    driver.enable_feature(ACCEL, interval_us)
    return driver


def started(bus, clock, interval_us=10_000, **kw):
    """A chip on the bus and the real driver on it with both features enabled."""
    chip = attach(bus, clock, **kw)
    return chip, driver_on(bus, interval_us)


def accel_packet(clock, seed: int) -> bytes:
    """The first accelerometer packet of a fresh chip with ``seed``, at the byte level."""
    chip = EmulatedBNO08x(level, clock.now, seed=seed)
    chip.write(set_feature(ACCEL, 10_000))
    drain(chip)
    clock.sleep(0.01)
    return read_packet(chip)[2]


# --- SHTP at the byte level -----------------------------------------------------------------


def test_power_on_queues_advertisement_initialised_and_reset_complete(clock):
    chip = EmulatedBNO08x(level, clock.now)
    assert header(chip.read(4)) == (276, False, 0, 0)
    assert header(chip.read(4)) == (276, True, 0, 0)  # a header-only read consumed nothing
    assert chip.read(276)[4:] == ADVERTISEMENT
    channel, _, payload = read_packet(chip)
    assert (channel, payload[0], payload[2], len(payload)) == (2, 0xF1, 0x84, 16)
    assert read_packet(chip)[::2] == (1, b"\x01")
    assert chip.read(8) == bytes(8)  # nothing pending: length 0, zero padding


def test_a_short_read_leaves_the_rest_with_the_continuation_bit(clock):
    chip = EmulatedBNO08x(level, clock.now)
    first = chip.read(4 + 100)
    rest = chip.read(4 + 172)
    assert header(first) == (276, False, 0, 0)
    assert header(rest) == (176, True, 0, 0)
    assert first[4:] + rest[4:] == ADVERTISEMENT


def test_a_long_read_is_padded_with_zeros_and_ends_the_packet(clock):
    chip = EmulatedBNO08x(level, clock.now)
    read_packet(chip)  # advertisement
    raw = chip.read(64)
    assert header(raw)[::2] == (20, 2) and raw[20:] == bytes(44)
    assert header(chip.read(4))[::2] == (5, 1)


def test_soft_reset_disables_features_and_requeues_the_startup_packets(clock):
    chip = EmulatedBNO08x(level, clock.now)
    chip.write(set_feature(GRV, 10_000))
    chip.write(b"\x05\x00\x01\x00\x01")
    assert chip.status()["features_us"] == {}
    assert [channel for channel, _, _ in drain(chip)] == [0, 2, 1]  # the FC answer is gone
    clock.sleep(1.0)
    assert drain(chip) == []  # no reports after the reset


def test_product_id_answers_with_f8_records_the_driver_parses(clock):
    chip = EmulatedBNO08x(level, clock.now)
    chip.write(shtp(2, b"\xf9\x00"))
    channel, _, payload = drain(chip)[-1]
    assert channel == 2 and len(payload) == 16 * len(PRODUCT_IDS)
    part, major, minor, patch, build = PRODUCT_IDS[0]
    assert adafruit_bno08x.parse_sensor_id(payload[:16]) == (part, major, minor, patch, build)


def test_set_feature_is_answered_with_the_granted_interval(clock):
    chip = EmulatedBNO08x(level, clock.now)
    chip.write(set_feature(GRV, 1000))  # faster than the chip's 400 Hz
    chip.write(set_feature(0x02, 10_000))  # gyroscope: not modelled
    answers = [payload for _, _, payload in drain(chip)[3:]]
    assert [(a[0], a[1], struct.unpack_from("<I", a, 5)[0]) for a in answers] == [
        (0xFC, GRV, 2500),
        (0xFC, 0x02, 0),
    ]
    assert chip.status()["features_us"] == {"game_rotation_vector": 2500}


def test_due_reports_are_batched_behind_a_base_timestamp(clock):
    chip = EmulatedBNO08x(lambda t: about_x(t - 100.0), clock.now)
    chip.write(set_feature(GRV, 10_000))
    chip.write(set_feature(ACCEL, 20_000))
    drain(chip)
    clock.sleep(0.045)
    [(channel, _, payload)] = drain(chip)
    reports = reports_in(payload)
    assert channel == 3
    assert [r[0] for r in reports].count(GRV) == 4 and [r[0] for r in reports].count(ACCEL) == 2
    for report_id, offset_s, values in reports:  # offsets are from the read, 45 ms after enable
        t = 0.045 + offset_s
        if report_id == GRV:
            assert values[0] == round(math.sin(t / 2) * 2**14)
    assert sorted(round(0.045 + r[1], 4) for r in reports) == [0.01, 0.02, 0.02, 0.03, 0.04, 0.04]


def test_a_long_backlog_keeps_the_newest_reports(clock):
    chip = EmulatedBNO08x(level, clock.now)
    chip.write(set_feature(GRV, 10_000))
    drain(chip)
    clock.sleep(1.0)
    [(_, _, payload)] = drain(chip)
    reports = reports_in(payload)
    assert len(reports) == MAX_BATCH
    assert round(reports[0][1], 4) == -0.07  # the oldest kept is 70 ms before the read
    assert chip.status()["reports_dropped"] == 100 - MAX_BATCH


def test_sequence_numbers_count_per_channel(clock):
    chip = EmulatedBNO08x(level, clock.now)
    chip.write(shtp(2, b"\xf9\x00"))
    chip.write(shtp(2, b"\xf9\x00"))
    packets = [(channel, seq) for channel, seq, _ in drain(chip)]
    assert packets == [(0, 0), (2, 0), (1, 0), (2, 1), (2, 2)]


# --- the real driver ------------------------------------------------------------------------


def test_driver_initialises_and_enables_both_features(bus, clock, fast_driver):
    chip, _ = started(bus, clock)
    assert chip.status()["features_us"] == {
        "game_rotation_vector": 10_000,
        "accelerometer": 10_000,
    }
    assert chip.status()["resets"] == 3  # power-on, then the driver's two soft resets


@pytest.mark.parametrize("rate_hz", [100, 200])
def test_reports_arrive_at_the_requested_rate(bus, clock, fast_driver, rate_hz):
    chip, driver = started(bus, clock, round(1e6 / rate_hz), orientation=turning)
    t0, changes, last = clock.now(), 0, (driver.game_quaternion, driver.acceleration)
    for ms in range(1, 2001):
        clock.advance_to(t0 + ms / 1000)
        q = driver.game_quaternion, driver.acceleration
        changes += q != last
        last = q
    assert chip.status()["reports_sent"] == 2 * 2 * rate_hz
    assert changes == 2 * rate_hz


def test_quaternion_round_trips_to_q14(bus, clock, fast_driver):
    x, y, z, w = 0.1, -0.2, 0.3, 0.9
    n = math.sqrt(x * x + y * y + z * z + w * w)
    q = (x / n, y / n, z / n, w / n)
    _, driver = started(bus, clock, orientation=lambda t: q)
    clock.sleep(0.01)
    for got, want in zip(driver.game_quaternion, q, strict=True):
        assert got == pytest.approx(want, abs=2**-15)


def test_acceleration_round_trips_to_q8(bus, clock, fast_driver):
    accel = (1.5, -2.3, 9.7)
    _, driver = started(bus, clock, acceleration=lambda t: accel, accel_noise_m_s2=0.0)
    clock.sleep(0.01)
    for got, want in zip(driver.acceleration, accel, strict=True):
        assert got == pytest.approx(want, abs=2**-9)


def test_default_acceleration_is_gravity_in_sensor_axes(bus, clock, fast_driver):
    tilt = math.radians(30)  # front edge up
    _, driver = started(bus, clock, orientation=lambda t: about_x(tilt), accel_noise_m_s2=0.0)
    clock.sleep(0.01)
    expected = (0.0, G * math.sin(tilt), G * math.cos(tilt))
    assert driver.acceleration == pytest.approx(expected, abs=2**-9)


def test_acceleration_noise_is_seeded(bus, clock, fast_driver):
    _, driver = started(bus, clock)
    zs = []
    for _ in range(300):
        clock.sleep(0.01)
        zs.append(driver.acceleration[2])
    assert statistics.stdev(zs) == pytest.approx(0.02, rel=0.25)
    assert statistics.mean(zs) == pytest.approx(G, abs=0.005)
    assert accel_packet(VirtualClock(5.0), 0) == accel_packet(VirtualClock(5.0), 0)
    assert accel_packet(VirtualClock(5.0), 0) != accel_packet(VirtualClock(5.0), 1)


def test_batched_reports_leave_the_oldest_in_the_driver(bus, clock, fast_driver):
    t_enabled = clock.now() + 1.0  # after the driver's two 0.5 s reset sleeps
    _, driver = started(bus, clock, orientation=lambda t: about_x(t - t_enabled))
    clock.sleep(0.035)  # three reports of each kind are due
    assert driver.game_quaternion[0] == pytest.approx(math.sin(0.01 / 2), abs=2**-14)


# --- faults ---------------------------------------------------------------------------------


def test_nack_raises_oserror_121_until_cleared(bus, clock, fast_driver):
    chip, driver = started(bus, clock)
    chip.inject("nack")
    clock.sleep(0.02)
    with pytest.raises(OSError) as error:
        _ = driver.game_quaternion
    assert error.value.errno == errno.EREMOTEIO
    chip.inject(None)
    assert driver.game_quaternion != (0.0, 0.0, 0.0, 0.0)


def test_nack_at_start_is_no_device_for_the_driver(bus, clock, fast_driver):
    attach(bus, clock).inject("nack")
    with pytest.raises(ValueError, match="No I2C device at address: 0x4a"):
        BNO08X_I2C(SMBusI2C(bus))


def test_all_ff_makes_the_running_driver_go_silent(bus, clock, fast_driver, capsys):
    chip, driver = started(bus, clock)
    clock.sleep(0.01)
    before = driver.game_quaternion
    chip.inject("all-ff")
    clock.sleep(0.05)
    assert driver.game_quaternion == before
    assert "Byte count is 0x7FFF/0xFFFF; Error?" in capsys.readouterr().out
    assert chip.status()["reports_sent"] == 2


def test_all_ff_at_start_is_an_index_error(bus, clock, fast_driver):
    attach(bus, clock).inject("all-ff")
    with pytest.raises(IndexError):
        BNO08X_I2C(SMBusI2C(bus))


def test_bit7_drop_turns_fb_into_7b_and_a_key_error(bus, clock, fast_driver, capsys):
    chip, driver = started(bus, clock)
    chip.inject("bit7-drop")
    clock.sleep(0.01)
    with pytest.raises(KeyError) as error:
        _ = driver.game_quaternion
    assert error.value.args == (0x7B,)
    assert "0x7B" in capsys.readouterr().out  # the driver prints the packet it cannot parse


def test_bit7_drop_at_start_defeats_the_product_id(bus, clock, fast_driver):
    attach(bus, clock).inject("bit7-drop")
    with pytest.raises(RuntimeError, match="Could not read ID"):
        BNO08X_I2C(SMBusI2C(bus))


def test_unplug_nacks_and_plug_powers_on_afresh(bus, clock, fast_driver):
    chip, driver = started(bus, clock)
    chip.unplug()
    with pytest.raises(OSError) as error:
        _ = driver.game_quaternion
    assert error.value.errno == errno.EREMOTEIO
    chip.plug()
    assert chip.status()["features_us"] == {}
    assert header(chip.read(4))[::2] == (276, 0)  # the advertisement again
    driver = driver_on(bus)
    clock.sleep(0.01)
    assert driver.game_quaternion == (0.0, 0.0, 0.0, 1.0)


@pytest.mark.parametrize("fault", ["nack", "all-ff", "bit7-drop"])
def test_a_one_off_fault_costs_at_most_one_packet(bus, clock, fast_driver, capsys, fault):
    chip, driver = started(bus, clock, orientation=turning)
    clock.sleep(0.01)
    _ = driver.game_quaternion
    sent = chip.status()["reports_sent"]
    chip.inject_once(fault)
    clock.sleep(0.01)
    errors = {"nack": OSError, "all-ff": None, "bit7-drop": KeyError}
    if errors[fault] is None:  # the driver takes an all-0xFF header for "nothing pending"
        _ = driver.game_quaternion
    else:
        with pytest.raises(errors[fault]):
            _ = driver.game_quaternion
    assert chip.status()["fault_once"] is None
    seen = set()
    for _ in range(3):  # then the reports flow again
        clock.sleep(0.01)
        seen.add(driver.game_quaternion)
    assert len(seen) == 3
    # every report the chip made was read, the garbled one included (the driver threw it away)
    assert chip.status()["reports_sent"] - sent == 8


def test_a_brownout_resets_the_chip_without_a_nack(bus, clock, fast_driver):
    chip, _ = started(bus, clock)
    clock.sleep(0.01)
    chip.brownout()
    assert chip.status()["features_us"] == {}  # the reports stop
    assert chip.status()["plugged"] is True
    assert header(chip.read(4))[::2] == (276, 0)  # the advertisement, as after a power-on


def test_the_chips_clock_error_sets_the_report_rate(bus, clock, fast_driver):
    chip, driver = started(bus, clock, rate_error=0.002)
    t0 = clock.now()
    for ms in range(1, 2001):
        clock.advance_to(t0 + ms / 1000)
        _ = driver.game_quaternion
    assert chip.status()["reports_sent"] == 2 * 200  # both sensors: 2 s at 100.2 Hz, 200.4
    clock.advance_to(t0 + 2.0 + 0.002)
    _ = driver.game_quaternion
    assert chip.status()["reports_sent"] == 2 * 200  # 2.0 s x 100.2 = 200.4: no 201st yet
    with pytest.raises(ValueError, match="fraction"):
        EmulatedBNO08x(level, clock.now, rate_error=0.2)


def test_a_still_noise_free_chip_repeats_its_values(bus, clock, fast_driver):
    chip, driver = started(bus, clock, accel_noise_m_s2=0.0)
    values = set()
    for _ in range(10):
        clock.sleep(0.01)
        values.add((driver.game_quaternion, driver.acceleration))
    assert len(values) == 1
    assert chip.status()["reports_sent"] == 20  # each a new report all the same


def test_unknown_fault_is_rejected(clock):
    with pytest.raises(ValueError, match="unknown BNO08x fault 'stall'"):
        EmulatedBNO08x(level, clock.now).inject("stall")


def test_status_reports_connection_fault_and_features(clock):
    chip = EmulatedBNO08x(level, clock.now)
    chip.write(set_feature(ACCEL, 5000))
    chip.inject("bit7-drop")
    chip.unplug()
    assert chip.status() == {
        "plugged": False,
        "fault": "bit7-drop",
        "fault_once": None,
        "features_us": {"accelerometer": 5000},
        "reports_sent": 0,
        "reports_dropped": 0,
        "resets": 1,
        "pending_packets": 4,
    }
