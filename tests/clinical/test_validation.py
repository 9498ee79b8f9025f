"""Clinical validation: every drill at its default settings on every profile of the virtual
patient at seeds 1 and 2 (seed 1 on NAU7802 amplifiers, seed 2 on HX711s), through the whole
emulated station, against what the literature says
(``station.results.validation.CHECKS``, each naming its source). ``python bench/clinical_table.py``
prints the same table for a therapist; the session writes it to test-artifacts/. It is computed
in the background from the start of the session (tests/conftest.py), and these tests run
last."""

from pathlib import Path

import pytest

from drills.catalog import DRILLS as CATALOG
from station.results.validation import (
    CHECKS,
    DRILLS,
    PROFILE_ORDER,
    SEEDS,
    STATIONS,
    format_table,
    station_options,
)
from station.runtime.core_config import parse_config
from tests.drills.test_catalog import undocumented

pytestmark = pytest.mark.clinical

ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def table(clinical_runs):
    """The table, also written to test-artifacts/clinical-table.txt for whoever reads CI's
    results (the same text ``bench/clinical_table.py`` prints)."""
    table = clinical_runs.table()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "clinical-table.txt").write_text(format_table(table) + "\n")
    return table


def test_the_seeds_stand_on_both_amplifiers_the_station_supports():
    """Every check holds on both amplifiers: seed 1's stations read NAU7802s at their 320 SPS
    (the default station), seed 2's HX711s at their 80 SPS, each as the core configures it."""
    for mount in STATIONS:
        seen = [parse_config(station_options("older-adult", s, mount)).loadcells for s in SEEDS]
        assert [(c.amplifier, c.rate_sps) for c in seen] == [
            ("nau7802", 320),
            ("hx711", 80),
        ], mount


@pytest.mark.parametrize("check", CHECKS, ids=[c.text for c in CHECKS])
def test_the_literature_holds_on_the_virtual_patient(table, check):
    passed, measured = check.test(table)
    assert passed, f"{check.text} ({check.source}): {measured}"


def test_every_drill_ran_for_every_profile_and_seed_and_has_a_summary(table):
    for profile in PROFILE_ORDER:
        for seed in SEEDS:
            run = table["runs"][profile][seed]
            for drill, _, _ in DRILLS:
                assert drill in run, (profile, seed, drill)
                assert run[drill]["state"] in ("completed", "aborted")
    healthy = {seed: table["runs"]["healthy-young"][seed] for seed in SEEDS}
    for seed, run in healthy.items():
        for drill, _, _ in DRILLS:
            assert run[drill]["state"] == "completed", (seed, drill, run[drill]["reason"])
            assert run[drill]["summary"], (seed, drill)


@pytest.mark.parametrize("drill", [d for d, _, _ in DRILLS])
def test_what_every_run_recorded_is_explained_to_the_therapist(table, drill):
    """Every measure a real run of the drill stored has a label and a meaning, and every phase
    it went through has words on the live view and the patient display: the drill's own
    description is complete where tests/drills/test_catalog.py cannot run it."""
    cls = CATALOG[drill]
    keys, phases = set(), set()
    for profile in PROFILE_ORDER:
        for seed in SEEDS:
            run = table["runs"][profile][seed][drill]
            keys.update(run["measure_keys"])
            phases.update(run["phases"])
    assert keys, f"{drill} stored no measures"
    assert undocumented(sorted(keys)) == []
    assert sorted(p for p in phases if not cls.phase_words.get(p)) == []
    assert phases <= set(cls.phases())
