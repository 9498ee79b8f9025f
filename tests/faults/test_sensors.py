"""Sensors failing mid-drill on the real daemon: each cable pulled and put back, the bus
corrupted. The drill that needs the sensor ends as aborted with the fault in its reason and its
data kept, the device comes back once it answers again, and the daemon keeps serving.

Faults are injected into the emulated chips through ``POST /api/v1/sim/fault`` (technicians
only), so the real drivers see what a Pi would: NACKs, all-0xFF reads, the dropped bit 7.
"""

import pytest

pytestmark = pytest.mark.faults

CORNERS = ("front-left", "front-right", "back-left", "back-right")
# a drill that needs the sensor: quiet stance needs the load cells, the wobble board the IMU too
DRILL_NEEDING = {"loadcells": "quiet-stance", "imu": "wobble-board"}
SENSOR_WORDS = {"loadcells": "load cells", "imu": "the IMU"}


def sensor_of(device: str) -> str:
    return "imu" if device == "imu" else "loadcells"


def fault_mid_drill(daemon, device: str, fault: str) -> dict:
    """Start a drill that needs ``device``, inject ``fault`` while it records; the ended trial."""
    trial_id = daemon.start_trial(DRILL_NEEDING[sensor_of(device)], duration_s=10)
    daemon.fault(device, fault)
    return daemon.ended(trial_id)


def assert_aborted_by(trial: dict, device: str) -> None:
    sensor = sensor_of(device)
    assert trial["state"] == "aborted", trial
    assert trial["reason"].startswith(f"{SENSOR_WORDS[sensor]} stopped sending samples"), trial
    assert "(sensor fault" in trial["reason"]
    if sensor == "loadcells":  # the array names the corner that stopped answering
        assert device in trial["reason"]
    assert trial["has_samples"] and trial["result"]["recorded_s"] > 0  # data kept


def back_to_ready(daemon, device: str) -> dict:
    """Health once the device is ready again (after its chip answers)."""
    sensor = sensor_of(device)
    return daemon.wait_for(
        lambda: (h := daemon.call("/api/v1/health"))["devices"][sensor]["state"] == "ready" and h,
        15,
        f"{sensor} to be ready again",
    )


def drill_completes_again(daemon) -> None:
    """A wobble-board drill (it needs the load cells and the IMU) runs through and is scored."""
    trial = daemon.ended(daemon.start_trial("wobble-board", duration_s=10))
    assert trial["state"] == "completed", trial
    assert trial["result"]["recorded_s"] == 10.0
    assert trial["result"]["metrics"]["missing_tilt_s"] == 0.0  # the IMU reported throughout


def test_each_sensor_unplugged_and_replugged_mid_drill(daemon, subtests):
    for device in (*CORNERS, "imu"):
        with subtests.test(device=device):
            try:
                assert_aborted_by(fault_mid_drill(daemon, device, "unplug"), device)
                health = daemon.call("/api/v1/health")
                assert health["status"] == "degraded"
                assert health["devices"][sensor_of(device)]["state"] == "recovering"
            finally:  # the next device's drill needs this one plugged in
                daemon.fault(device, "plug")
            health = back_to_ready(daemon, device)
            assert health["devices"][sensor_of(device)]["recoveries"] >= 1
            assert daemon.call(f"/api/v1/patients/{daemon.patient_id}")["name"] == "Fault Suite"
    drill_completes_again(daemon)
    assert daemon.proc.poll() is None  # never restarted


BUS_FAULTS = [  # (device, injected fault, the kind the supervisor counts)
    ("front-right", "all-ff", "bad-data"),
    ("back-left", "nack", "nack"),
    ("imu", "bit7-drop", "bad-data"),
    ("imu", "all-ff", "bad-data"),
    ("imu", "nack", "nack"),
]


def test_a_corrupted_bus_aborts_the_drill_and_the_station_recovers(daemon, subtests):
    for device, fault, kind in BUS_FAULTS:
        with subtests.test(device=device, fault=fault):
            try:
                assert_aborted_by(fault_mid_drill(daemon, device, fault), device)
                sensor = sensor_of(device)
                assert daemon.call("/api/v1/health")["devices"][sensor]["faults"][kind] >= 1
            finally:  # the next fault's drill needs this chip answering again
                daemon.fault(device, "clear")
            back_to_ready(daemon, device)
    drill_completes_again(daemon)
    assert daemon.proc.poll() is None


ONE_OFF = [  # (injected fault, the kind the supervisor counts for it)
    ("nack-once", "nack"),
    ("all-ff-once", "bad-data"),
    ("bit7-drop-once", "bad-data"),
]


def sensor_counts(health: dict, sensor: str) -> tuple[dict, int, int]:
    device = health["devices"][sensor]
    return device["faults"], device["retries"], device["reinits"]


def test_one_off_glitches_cost_a_sample_not_a_drill(daemon, subtests):
    """Each one-off kind on the IMU and on a corner, while a wobble-board drill (which needs
    both) records: the drill completes, every glitch is counted in /health as a fault and a
    retry, and nothing is re-initialised."""
    for fault, kind in ONE_OFF:
        with subtests.test(fault=fault):
            before = daemon.call("/api/v1/health")
            trial_id = daemon.start_trial("wobble-board", duration_s=10)
            daemon.fault("imu", fault)
            daemon.fault("front-left", fault)
            trial = daemon.ended(trial_id)
            assert trial["state"] == "completed", trial
            assert trial["result"]["metrics"]["missing_tilt_s"] == 0.0
            health = daemon.call("/api/v1/health")
            assert health["status"] == "ok"
            for sensor in ("imu", "loadcells"):
                faults, retries, reinits = sensor_counts(health, sensor)
                old_faults, old_retries, old_reinits = sensor_counts(before, sensor)
                assert faults[kind] == old_faults.get(kind, 0) + 1, (sensor, faults)
                assert retries == old_retries + 1
                assert reinits == old_reinits  # a glitch never costs a re-initialisation
                assert health["devices"][sensor]["state"] == "ready"
    assert daemon.proc.poll() is None


def test_a_brown_out_is_caught_and_the_chips_come_back(daemon):
    """A silent power-on reset (no bus error at all) of a corner and of the IMU, each while a
    drill records: neither freezes; the corner is re-initialised, the IMU gets its reports
    enabled again without the driver's resets."""
    trial_id = daemon.start_trial("quiet-stance", duration_s=5)
    daemon.fault("back-right", "brownout")
    daemon.ended(trial_id)
    health = back_to_ready(daemon, "back-right")
    loadcells = health["devices"]["loadcells"]
    assert loadcells["faults"]["reset"] >= 1 and loadcells["reinits"] >= 1
    trial_id = daemon.start_trial("wobble-board", duration_s=10)
    daemon.fault("imu", "brownout")
    daemon.ended(trial_id)
    health = back_to_ready(daemon, "imu")
    imu = health["devices"]["imu"]
    assert imu["faults"]["timeout"] >= 1 and imu["recoveries"] >= 1
    assert imu["reinits"] == 0  # back by enabling its reports, not by the driver's 1 s reset
    drill_completes_again(daemon)
