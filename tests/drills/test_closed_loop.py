"""Drills end to end on the full emulated station with the virtual patient, for what the
clinical validation (``tests/clinical``: every drill on every profile, healthy better than
frail) does not check: offloading a knee on the warning, foam costing the frail patient, a trunk
brought back by the cues, the patient back on firm ground after mCTSIB. The patient sees only
the LEDs and hears only the instructions, as a real one."""

import pytest

from drills.catalog import needs_imu
from hw.sim.profiles import PROFILES
from station.clock import VirtualClock
from station.runtime.core_config import parse_config
from station.runtime.station import Station
from tests.conftest import LEAN_STATION

pytestmark = pytest.mark.slow


def run_session(profile: str, drills: list[tuple[str, dict]], seed: int = 1, **sim) -> list:
    """The stored results of ``drills`` (name, params) run one after the other for one
    simulated ``profile`` (height and weight from the profile, as a therapist would enter
    them); ``sim`` adds [sim] options. As the clinical validation does, drills that need no
    IMU run on a platform-only station (a third less CPU, the same load-cell data); the load
    cells convert at the lean station's 80 SPS (``LEAN_STATION``), where one patient's drills
    score as at the default 320 (docs/clinical.md, "Validation on the virtual patient"), for
    27 CPU-s of this module's 46 here."""
    config = parse_config(
        {
            "imu": {"enabled": needs_imu(name for name, _ in drills)},
            "loadcells": LEAN_STATION["loadcells"],
            "sim": {"profile": profile, "seed": seed, "step_on_at_s": 1.0, **sim},
        }
    )
    station = Station(config, clock=VirtualClock(), db_path=":memory:")
    try:
        body = PROFILES[profile]
        patient = station.records.create_patient(
            {"name": profile, "height_cm": body.height_m * 100, "weight_kg": body.mass_kg}
        )
        results = []
        for drill, params in drills:
            trial_id = station.start_drill(patient["id"], drill, params)["trial_id"]
            station.run_virtual(max_s=900.0)
            assert station.loop.session is None, f"{drill} did not end in 900 s"
            station.storage.flush()
            results.append(station.results.get_trial(trial_id)["result"])
        return results
    finally:
        station.close()


def run_drill(drill: str, profile: str, params: dict | None = None, seed: int = 1, **sim) -> dict:
    """The stored result of ``drill`` alone for a simulated ``profile``."""
    return run_session(profile, [(drill, params or {})], seed, **sim)[0]


def test_the_post_surgery_patient_offloads_the_knee_and_is_warned_below_their_habit():
    free = {"side": "left", "limit_pct": 100, "duration_s": 20}  # no warning can fire
    habit = run_drill("weight-bearing", "post-knee-surgery", free)
    healthy = run_drill("weight-bearing", "healthy-young", free)
    assert healthy["load_left_bw_pct"] == pytest.approx(50, abs=5)
    # offloads the operated left knee: the drill reads the profile's own foot loading
    offloaded = 100 * PROFILES["post-knee-surgery"].load_share_left
    assert habit["load_left_bw_pct"] == pytest.approx(offloaded, abs=3)
    assert habit["exceedances"] == 0
    strict = run_drill("weight-bearing", "post-knee-surgery", {**free, "limit_pct": 25})
    assert strict["exceedances"] >= 1  # the warning fires...
    assert strict["load_left_bw_pct"] < habit["load_left_bw_pct"]  # ...and the patient heeds it


def test_mctsib_conditions_pass_for_the_healthy_and_foam_costs_the_frail():
    healthy = run_drill("mctsib", "healthy-young", {"trial_s": 20})
    frail = run_drill("mctsib", "high-fall-risk", {"trial_s": 20})
    assert healthy["state"] == "completed" and healthy["conditions_passed"] == 4
    per_condition = {c["condition"]: c for c in healthy["conditions"]}
    # sway speed rises from eyes open on firm ground to eyes closed on foam
    assert per_condition[4]["velocity_mean_cm_s"] > 2 * per_condition[1]["velocity_mean_cm_s"]
    assert frail["conditions_passed"] < 4 or (
        frail["composite_velocity_cm_s"] > healthy["composite_velocity_cm_s"]
    )


def test_postural_hold_the_frail_trunk_leans_further_and_is_brought_back():
    params = {"duration_s": 30, "band_deg": 1.0}
    healthy = run_drill("postural-hold", "healthy-young", params, imu_mount="trunk")
    frail = run_drill("postural-hold", "high-fall-risk", params, imu_mount="trunk")
    h, f = healthy["metrics"], frail["metrics"]
    assert healthy["state"] == frail["state"] == "completed"
    assert f["max_tilt_deg"] > 1.2 * h["max_tilt_deg"]
    assert f["excursions"] >= 1 and f["time_in_band_pct"] < h["time_in_band_pct"]
    assert f["mean_excursion_s"] < 2.0  # each lean out was cued and corrected within 2 s


def test_after_mctsib_the_patient_is_back_on_firm_ground_with_eyes_open():
    quiet = ("quiet-stance", {"duration_s": 20})
    fresh, _, after = run_session("healthy-young", [quiet, ("mctsib", {"trial_s": 10}), quiet])
    velocity = "velocity_mean_cm_s"
    assert after["metrics"][velocity] == pytest.approx(fresh["metrics"][velocity], rel=0.35)
