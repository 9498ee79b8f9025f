"""The panel's calibration wizard on a running (virtual-clock) station: its steps, keeping drills
off the platform, refusing what does not fit, closing itself when forgotten, and a saved
calibration taking effect at once."""

import pytest

from hw.sim.platform import factory_calibration, true_calibration
from sensing.calibration_fit import STANDARD_GRAVITY_M_S2
from station.calibration.platform import CalibrationStepError
from station.calibration.session import (
    IDLE_S,
    CalibrationWizard,
    ReaderSamples,
    WizardInputError,
    WizardStateError,
)
from station.calibration.steps import calibration_steps, check_steps
from station.errors import BusyError
from station.runtime.station import geometry_from

G = STANDARD_GRAVITY_M_S2


@pytest.fixture
def patient(station):
    return station.records.create_patient(
        {"name": "Wizard Check", "height_cm": 170, "weight_kg": 70}
    )


@pytest.fixture
def wizard(station):
    station.run_virtual(3, until_trial_ends=False)  # the simulated patient stands on it
    return CalibrationWizard(station)


def walk(wizard, phase):
    """Place (simulation) and measure every step of ``phase``; the state after it."""
    state = wizard.state()
    while state["phase"] == phase:
        wizard.place_simulated()
        state = wizard.measure()
    return state


def factory_record(station, scale=1.0):
    factory = factory_calibration(pga_gain=128)
    record = {
        "technician": "factory",
        "tare_counts": list(factory["tare_counts"]),
        "gain_n_per_count": [g * scale for g in factory["gain_n_per_count"]],
    }
    return station.storage.save_calibration(record)


def test_the_steps_are_the_command_line_wizards(station):
    geometry = geometry_from(station.config).platform_frame()
    steps = calibration_steps((5.0, 10.0, 20.0), 20.0, geometry)
    assert [s["kind"] for s in steps] == ["tare"] + ["corner"] * 12 + ["cop"] * 5
    assert steps[1]["instruction"] == (
        "Place 5 kg over the front-left cell (the corner marked FL)."
    )
    assert steps[1]["masses"] == [(5.0, -200.0, 150.0)]  # over the FL cell of 400 x 300 mm
    assert steps[12]["title"] == "BR 20 kg" and steps[12]["corner"] == 3
    assert steps[13]["instruction"] == "Place 20 kg at the centre of the platform."
    assert len(calibration_steps((5.0, 10.0, 20.0), None, geometry)) == 13
    empty, loaded = check_steps(15.0)
    assert empty["masses"] == [] and loaded["masses"] == [(15.0, 0.0, 0.0)]


def test_calibration_then_check_recovers_the_cells_true_values(station, wizard):
    state = wizard.start("ann", seconds=1.0, cop_positions=True)
    assert state["phase"] == "calibrate" and len(state["steps"]) == 18
    state = walk(wizard, "calibrate")
    assert state["phase"] == "review" and state["fit"]["problems"] == []
    assert all(c["linear"] for c in state["fit"]["corners"])
    assert state["fit"]["cop"]["positions"] == 5

    state = wizard.save("ann", "  after the move ")
    record = station.storage.active_calibration()
    assert state["saved"]["id"] == record["id"] and record["technician"] == "ann"
    assert record["note"] == "after the move" and record["cop_correction"] is not None
    assert record["residuals"]["conditions"]["masses_kg"] == [5.0, 10.0, 20.0]
    # realistic cells: their zero drifts by a few hundredths of a newton (0.03 N is about 130
    # counts) and their hum and noise average over 1 s; the gains come out within a tenth of a
    # percent of the cells' own, better than the factory's few tenths
    true = true_calibration(pga_gain=128)
    assert record["tare_counts"] == pytest.approx(true["tare_counts"], abs=650)  # 0.15 N
    assert record["gain_n_per_count"] == pytest.approx(true["gain_n_per_count"], rel=1e-3)
    assert station.calibration_source.startswith(f"calibration #{record['id']} by ann")

    assert state["phase"] == "check" and state["steps"][-1]["title"] == "Check: 20 kg"
    state = walk(wizard, "check")
    check = state["check"]
    assert state["phase"] == "done" and check["passed"]
    assert abs(check["error_pct"]) < 0.05 and check["reads_kg"] == pytest.approx(20, abs=0.01)
    assert station.platform_holder() is None  # done: drills may start again
    with pytest.raises(WizardStateError, match="the wizard has finished: close it or start"):
        wizard.measure()
    assert wizard.start("bo", check_only=True)["opened_by"] == "bo"  # the finished one goes


def test_no_drill_starts_while_the_wizard_is_open(station, wizard, patient):
    wizard.start("ann", seconds=0.5)
    with pytest.raises(BusyError, match=r"the calibration wizard \(ann\) is using the platform"):
        station.start_drill(patient["id"], "quiet-stance", {"duration_s": 5})
    wizard.close()
    assert station.start_drill(patient["id"], "quiet-stance", {"duration_s": 5})["trial_id"]


def test_the_wizard_does_not_open_while_a_drill_runs(station, wizard, patient):
    station.start_drill(patient["id"], "quiet-stance", {"duration_s": 5})
    with pytest.raises(BusyError, match="quiet-stance is running"):
        wizard.start("ann")
    assert wizard.state()["open"] is False


def test_a_forgotten_wizard_closes_itself_and_gives_the_platform_back(station, wizard, patient):
    wizard.start("ann", seconds=0.5)
    wizard.place_simulated()
    wizard.measure()
    station.clock.sleep(IDLE_S)
    assert station.platform_holder() is None
    station.start_drill(patient["id"], "quiet-stance", {"duration_s": 5})
    state = wizard.state()
    assert state["open"] is False and "closed itself after 15 min" in state["notice"]
    with pytest.raises(WizardStateError, match="no calibration wizard is open"):
        wizard.measure()


def test_actions_that_do_not_fit_are_refused(station, wizard):
    with pytest.raises(WizardStateError, match="no calibration wizard is open"):
        wizard.measure()
    wizard.start("ann", seconds=0.5)
    with pytest.raises(WizardStateError, match="ann's calibration wizard is open"):
        wizard.start("bo")
    with pytest.raises(WizardStateError, match="no finished calibration to save"):
        wizard.save("ann")


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"masses_kg": [5, 10]}, "masses_kg"),
        ({"masses_kg": [5, 5, 10]}, "masses_kg"),
        ({"masses_kg": [5, -10, 20]}, "masses_kg"),
        ({"masses_kg": "5,10,20"}, "masses_kg"),
        ({"seconds": 0.1}, "seconds"),
        ({"check_mass_kg": 0}, "check_mass_kg"),
    ],
)
def test_bad_settings_name_their_field(wizard, settings, field):
    with pytest.raises(WizardInputError) as caught:
        wizard.start("ann", **settings)
    assert caught.value.field == field
    assert wizard.state()["open"] is False


def test_a_mass_on_the_wrong_corner_is_refused_and_can_be_measured_again(station, wizard):
    wizard.start("ann", seconds=0.5)
    wizard.place_simulated()
    wizard.measure()  # tare
    platform = station.hardware.emulated["platform"]
    platform.remove_masses()
    platform.place_mass(5.0, 200.0, 150.0)  # over FR, while the step asks for FL
    with pytest.raises(CalibrationStepError, match="front-left did not respond to 5 kg but "):
        wizard.measure()
    state = wizard.state()
    assert state["index"] == 1 and state["steps"][1]["result"] is None
    assert not state["measuring"]
    wizard.place_simulated()
    state = wizard.measure()
    assert state["index"] == 2
    rise = state["steps"][1]["result"]["above_tare_counts"]
    cell = true_calibration(pga_gain=128)["gain_n_per_count"][0]  # the cell's own sensitivity
    assert rise[0] == pytest.approx(5 * G / cell, rel=1e-3)


def test_a_saved_calibration_is_used_from_the_next_frame(station):
    platform = station.hardware.emulated["platform"]
    station.set_simulated_person(False)
    platform.place_mass(20.0)
    station.run_virtual(3, until_trial_ends=False)
    assert station.loop.last_frame.total_n == pytest.approx(20 * G, abs=0.5)
    record = factory_record(station, scale=1.03)
    station.use_calibration(record)
    station.run_virtual(0.1, until_trial_ends=False)
    assert station.loop.last_frame.total_n == pytest.approx(1.03 * 20 * G, abs=0.5)
    assert station.calibration_source.startswith(f"calibration #{record['id']} by factory")


def test_the_check_alone_fails_a_wrong_calibration(station, wizard):
    station.use_calibration(factory_record(station, scale=1.03))
    state = wizard.start("ann", check_only=True, check_mass_kg=20, seconds=0.5)
    assert [s["kind"] for s in state["steps"]] == ["check-empty", "check-mass"]
    check = walk(wizard, "check")["check"]
    assert not check["passed"]
    assert check["error_pct"] == pytest.approx(3.0, abs=0.05)
    assert check["error_kg"] == pytest.approx(0.6, abs=0.01)
    assert check["error_n"] == pytest.approx(0.6 * G, abs=0.1)


def test_in_simulation_the_patient_steps_back_on_when_the_wizard_closes(station, wizard):
    person = station.hardware.person
    wizard.start("ann", seconds=0.5)
    wizard.place_simulated()
    wizard.measure()
    wizard.place_simulated()
    assert station.hardware.emulated["platform"].status()["test_mass_kg"] == pytest.approx(5.0)
    wizard.close()
    assert station.hardware.emulated["platform"].status()["test_mass_kg"] == 0
    station.run_virtual(3, until_trial_ends=False)
    assert person.on_platform(station.clock.now())


def test_the_reader_adapter_gives_each_sample_once(station):
    reader = station.hardware.readers["loadcells"]
    samples = ReaderSamples(reader, station.hardware.sensors["loadcells"])
    station.clock.sleep(0.01)
    first = samples.poll()
    assert first is not None
    assert samples.poll() is None  # no new conversion at the same virtual time
    station.clock.sleep(0.01)
    assert samples.poll().t_s > first.t_s
    assert samples.status()["state"] == "ready"
