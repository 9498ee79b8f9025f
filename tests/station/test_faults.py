"""Faults on the whole emulated station: the stop button, sensors failing mid-drill, recovery.

The real drivers run against the emulated chips; faults are injected into the chips, so what is
tested is what a Pi would see: the driver's own exceptions, caught and counted by the station.
"""

import threading
import time
from types import SimpleNamespace

import adafruit_bno08x
import pytest

from station.clock import VirtualClock
from station.runtime.core_config import parse_config
from station.runtime.station import SimFaultError, Station

pytestmark = pytest.mark.slow

ALL_PINS_OFF = ("front", "back", "left", "right", "centre")


def start_quiet_stance(station, seconds_in=8.0):
    patient = station.records.create_patient({"name": "Fault Test"})
    trial_id = station.start_drill(patient["id"], "quiet-stance")["trial_id"]
    station.run_virtual(max_s=seconds_in, until_trial_ends=False)
    assert station.drill_status()["phase"] == "recording"
    return trial_id


def cue_pins_state(station):
    factory = station.hardware.emulated["pin_factory"]
    pins = station.hardware.cues.pins.all_pins().values()
    return [factory.pin(pin).state for pin in pins]


def test_stop_button_ends_the_drill_within_one_tick_and_turns_every_cue_off(station):
    trial_id = start_quiet_stance(station)
    assert any(cue_pins_state(station))  # the status light is green
    factory = station.hardware.emulated["pin_factory"]
    button = factory.pin(station.config.cues.stop_button_pin)
    button.drive_low()
    button.drive_high()  # a short press, released before the next tick
    station.loop.tick()  # one tick
    assert station.loop.session is None
    buzzer = factory.pin(station.config.cues.buzzer_pin)
    lights = [s for s in cue_pins_state(station)]
    assert lights[:-1] == [0] * (len(lights) - 1)  # every light off
    assert station.hardware.cues.status()["pattern"] == "stop"  # the falling stop tone only
    assert buzzer.frequency == pytest.approx(880)
    station.storage.flush()
    trial = station.results.get_trial(trial_id)
    assert trial["state"] == "aborted" and trial["reason"] == "stop button pressed"
    assert len(station.results.trial_samples(trial_id)) > 100  # data kept


def test_a_held_stop_button_refuses_a_start(station):
    from station.errors import BusyError

    patient = station.records.create_patient({"name": "Held"})
    station.hardware.emulated["pin_factory"].pin(station.config.cues.stop_button_pin).drive_low()
    with pytest.raises(BusyError, match="stop button is held"):
        station.start_drill(patient["id"], "quiet-stance")


@pytest.mark.platform_only
@pytest.mark.parametrize("fault", ["nack", "all-ff", "unplug"])
def test_load_cell_fault_aborts_the_drill_keeps_data_and_recovers(station, fault):
    trial_id = start_quiet_stance(station)
    chip = station.hardware.emulated["loadcells"][0]
    chip.unplug() if fault == "unplug" else chip.inject(fault)
    station.run_virtual(max_s=2.0, until_trial_ends=False)
    station.storage.flush()
    trial = station.results.get_trial(trial_id)
    assert trial["state"] == "aborted"
    assert trial["reason"].startswith("load cells stopped sending samples (sensor fault: ")
    assert "front-left" in trial["reason"]
    assert trial["cues"][-2]["cue"] == "all-off" and trial["cues"][-1]["cue"] == "tone:warning"
    assert (
        len(station.results.trial_samples(trial_id)) > 600
    )  # everything recorded before the fault
    health = station.status()["devices"]["loadcells"]
    assert health["state"] == "recovering" and health["faults_total"] > 0
    chip.plug() if fault == "unplug" else chip.inject(None)
    answered = station.clock.now()
    station.run_virtual(max_s=2.0, until_trial_ends=False)
    health = station.status()["devices"]["loadcells"]
    assert health["state"] == "ready" and health["recoveries"] == 1
    assert station.loop.last_frame.fresh and station.loop.last_frame.total_n > 500
    assert station.loop.last_frame.t_s - answered <= 2.0
    before = station.loop.ticks
    station.run_virtual(max_s=0.5, until_trial_ends=False)
    assert station.loop.ticks - before == 50  # ticking on time again


@pytest.mark.parametrize("fault, kind", [("nack", "nack"), ("bit7-drop", "bad-data")])
def test_imu_fault_is_counted_and_recovered_while_load_cells_go_on(station, fault, kind):
    station.run_virtual(max_s=1.0, until_trial_ends=False)
    assert station.loop.last_frame.pitch_deg == station.loop.last_frame.pitch_deg  # not NaN
    imu = station.hardware.emulated["imu"]
    imu.inject(fault)
    station.run_virtual(max_s=1.0, until_trial_ends=False)
    health = station.status()["devices"]["imu"]
    assert health["state"] == "recovering" and health["faults"][kind] >= 1
    frame = station.loop.last_frame
    assert frame.fresh and frame.total_n > 0  # load cells unaffected
    assert frame.pitch_deg != frame.pitch_deg  # NaN: no tilt without the IMU
    imu.inject(None)
    station.run_virtual(max_s=2.0, until_trial_ends=False)
    assert station.status()["devices"]["imu"]["state"] == "ready"
    assert station.loop.last_frame.pitch_deg == station.loop.last_frame.pitch_deg


def test_missing_imu_at_start_up_is_reported_not_fatal():
    config = parse_config({"sim": {"step_on_at_s": 1.0}, "imu": {"address": 0x4B}})
    station = Station(config, clock=VirtualClock(), db_path=":memory:")
    try:
        station.hardware.emulated["bus"].detach(0x4B)  # nothing answers at 0x4B any more
        station.run_virtual(max_s=1.0, until_trial_ends=False)
        imu = station.status()["devices"]["imu"]
        assert imu["state"] == "recovering"
        assert "No IMU at 0x4B" in imu["last_error"]
    finally:
        station.close()


def test_hx711_station_runs_quiet_stance_and_recovers_from_a_stall():
    config = parse_config(
        {"sim": {"step_on_at_s": 1.0, "seed": 3}, "loadcells": {"amplifier": "hx711"}}
    )
    station = Station(config, clock=VirtualClock(), db_path=":memory:")
    try:
        patient = station.records.create_patient({"name": "HX"})
        trial_id = station.start_drill(patient["id"], "quiet-stance", {"duration_s": 10})[
            "trial_id"
        ]
        station.run_virtual(max_s=30.0)
        station.storage.flush()
        trial = station.results.get_trial(trial_id)
        assert trial["state"] == "completed"
        assert 0.2 < trial["result"]["metrics"]["area_ellipse95_cm2"] < 10
        chip = station.hardware.emulated["loadcells"][3]
        chip.unplug()
        station.run_virtual(max_s=1.0, until_trial_ends=False)
        health = station.status()["devices"]["loadcells"]
        assert health["faults"]["timeout"] >= 1
        assert "back-right" in health["last_error"]
        chip.plug()
        station.run_virtual(max_s=2.0, until_trial_ends=False)
        assert station.status()["devices"]["loadcells"]["state"] == "ready"
    finally:
        station.close()


@pytest.mark.platform_only
def test_a_brief_fault_while_recording_completes_but_is_flagged_not_scored_good(
    station, panel_client
):
    trial_id = start_quiet_stance(station)
    chip = station.hardware.emulated["loadcells"][2]
    chip.inject("nack")
    station.run_virtual(max_s=0.2, until_trial_ends=False)  # shorter than the 0.5 s abort
    chip.inject(None)
    station.run_virtual(max_s=60)
    station.storage.flush()
    trial = station.results.get_trial(trial_id)
    assert trial["state"] == "completed"
    quality = trial["result"]["quality"]
    assert quality["ok"] is False
    assert "sensor_stalled" in [f["code"] for f in quality["flags"]]
    page = panel_client.get(f"/trials/{trial_id}").get_data(as_text=True)
    assert "Not scored as good" in page and "sent no new reading" in page


# --- one-off glitches cost a sample, not a drill ---------------------------------------------
GLITCHES = [("nack-once", "nack"), ("all-ff-once", "bad-data"), ("bit7-drop-once", "bad-data")]


def start_drill(station, drill, seconds_in=8.0, **params):
    patient = station.records.create_patient({"name": "Glitch Test"})
    trial_id = station.start_drill(patient["id"], drill, params)["trial_id"]
    station.run_virtual(max_s=seconds_in, until_trial_ends=False)
    assert station.drill_status()["phase"] == "recording"
    return trial_id


@pytest.mark.parametrize("fault, kind", GLITCHES)
def test_a_wobble_board_trial_with_one_imu_glitch_completes(station, fault, kind):
    trial_id = start_drill(station, "wobble-board", duration_s=10)
    station.inject_simulated_fault("imu", fault)
    station.run_virtual(max_s=60)
    station.storage.flush()
    trial = station.results.get_trial(trial_id)
    assert trial["state"] == "completed", trial["reason"]
    assert trial["result"]["metrics"]["missing_tilt_s"] == 0.0
    health = station.status()["devices"]["imu"]
    assert health["faults"] == {kind: 1}  # counted, never silent
    assert (health["retries"], health["reinits"], health["recoveries"]) == (1, 0, 0)
    assert health["state"] == "ready"


@pytest.mark.platform_only
@pytest.mark.parametrize("fault, kind", GLITCHES)
def test_a_quiet_stance_trial_with_one_corner_glitch_completes_and_passes_its_gate(
    station, fault, kind
):
    trial_id = start_drill(station, "quiet-stance")
    station.inject_simulated_fault("back-left", fault)
    station.run_virtual(max_s=60)
    station.storage.flush()
    trial = station.results.get_trial(trial_id)
    assert trial["state"] == "completed", trial["reason"]
    quality = trial["result"]["quality"]
    assert quality["ok"] is True, quality["flags"]
    assert quality["measures"]["dropped_samples"] == 0  # the retry read the same conversion
    health = station.status()["devices"]["loadcells"]
    assert health["faults"] == {kind: 1}
    assert (health["retries"], health["reinits"], health["recoveries"]) == (1, 0, 0)
    assert health["lost_conversions"] == {c: 0 for c in health["lost_conversions"]}


def test_glitches_on_both_sensors_are_counted_in_health(station, panel_client):
    start_drill(station, "wobble-board", duration_s=10)
    station.inject_simulated_fault("imu", "bit7-drop-once")
    station.run_virtual(max_s=1.0, until_trial_ends=False)
    station.inject_simulated_fault("front-right", "nack-once")
    station.run_virtual(max_s=60)
    health = panel_client.get("/api/v1/health").get_json()
    assert health["status"] == "ok"
    assert health["devices"]["imu"]["faults"] == {"bad-data": 1}
    assert health["devices"]["loadcells"]["faults"] == {"nack": 1}
    assert health["devices"]["imu"]["retries"] == health["devices"]["loadcells"]["retries"] == 1


@pytest.mark.platform_only
def test_a_corner_that_browns_out_is_caught_and_reinitialised(station):
    trial_id = start_drill(station, "quiet-stance")
    station.inject_simulated_fault("front-left", "brownout")  # no NACK: only its registers tell
    station.run_virtual(max_s=60)
    station.storage.flush()
    health = station.status()["devices"]["loadcells"]
    assert health["faults"]["reset"] == 1
    assert "front-left load cell amplifier" in health["last_error"]
    assert (health["reinits"], health["recoveries"], health["state"]) == (1, 1, "ready")
    trial = station.results.get_trial(trial_id)
    # the re-initialisation (0.35 s of calibration) is inside the 0.5 s stale limit: the trial
    # completes, and its gate says it is not to be scored as good
    assert trial["state"] == "completed"
    assert "sensor_stalled" in [f["code"] for f in trial["result"]["quality"]["flags"]]


def test_an_imu_that_resets_itself_gets_its_reports_back_without_a_driver_reset(station):
    trial_id = start_drill(station, "wobble-board", duration_s=10)
    station.inject_simulated_fault("imu", "brownout")
    station.run_virtual(max_s=60)
    station.storage.flush()
    health = station.status()["devices"]["imu"]
    assert health["faults"]["timeout"] == 1  # the reports stopped
    assert (health["reinits"], health["recoveries"], health["state"]) == (0, 1, "ready")
    assert station.hardware.emulated["imu"].status()["resets"] == 3 + 1  # the brown-out only
    trial = station.results.get_trial(trial_id)
    assert trial["state"] == "completed", trial["reason"]  # 0.23 s without tilt: under 0.25


def test_the_fault_api_names_what_each_chip_knows(station):
    config = parse_config({"loadcells": {"amplifier": "hx711"}})
    hx711 = Station(config, clock=VirtualClock(), db_path=":memory:")
    try:
        with pytest.raises(SimFaultError, match="no fault 'nack-once'; known: stall, unplug"):
            hx711.inject_simulated_fault("back-left", "nack-once")
    finally:
        hx711.close()
    with pytest.raises(SimFaultError, match="known: nack, all-ff, bit7-drop, nack-once"):
        station.inject_simulated_fault("imu", "gremlins")


def test_the_imus_reinitialisation_never_takes_the_load_cells_or_the_loops_time(monkeypatch):
    """In real time, with the BNO08x driver's reset sleep held open: the IMU re-initialises on
    its own reader thread while the load cells go on converting and the loop on ticking."""
    station = Station(parse_config({"sim": {"seed": 3}}), db_path=":memory:")  # real time
    in_reset, release = threading.Event(), threading.Event()

    def reset_sleep(seconds):
        in_reset.set()
        assert release.wait(20.0)

    # from here the driver's soft reset sleeps until released (begin() above did not)
    monkeypatch.setattr(
        adafruit_bno08x, "time", SimpleNamespace(sleep=reset_sleep, monotonic=time.monotonic)
    )
    station.start()
    try:
        readers = station.hardware.readers
        wait_until(lambda: readers["imu"].samples > 10, "the IMU to report")
        station.inject_simulated_fault("imu", "bit7-drop")  # every packet garbled: re-initialise
        wait_until(in_reset.is_set, "the IMU's re-initialisation to reach the driver's reset")
        samples, ticks = readers["loadcells"].samples, station.loop.ticks
        wait_until(
            lambda: (
                readers["loadcells"].samples > samples + 200 and station.loop.ticks > ticks + 50
            ),
            "the load cells and the loop to go on",
        )
        assert not release.is_set() and station.status()["devices"]["imu"]["state"] != "ready"
        assert station.status()["devices"]["loadcells"]["state"] == "ready"
        station.inject_simulated_fault("imu", "clear")
        release.set()
        wait_until(lambda: station.status()["devices"]["imu"]["state"] == "ready", "the IMU")
    finally:
        release.set()
        station.close()


def wait_until(predicate, what: str, timeout_s: float = 20.0) -> None:
    """Wait for ``predicate()`` (a bound on waiting, not a speed requirement)."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)
