"""Clinical validation on the virtual patient: every drill, at its default settings, for every
profile and several seeds, through the whole emulated station (odd seeds on the NAU7802, even
ones on the HX711: ``AMPLIFIER_TURNS``); the table of headline measures
and the checks of what the literature says healthy and impaired people do (docs/clinical.md,
"Validation on the virtual patient").

``validation_table(seeds)`` runs them (``ValidationRuns``: two worker processes, the machine's
cores, started at once, so that a test session computes the table while it runs other tests)
and returns per drill, measure and profile the values over the seeds; ``CHECKS`` judge the
table, each naming its source; ``format_table`` prints both for a therapist
(``bench/clinical_table.py``).
"""

import functools
import json
import logging
import math
import multiprocessing
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from drills.catalog import DRILLS as CATALOG
from drills.catalog import needs_imu

PROFILE_ORDER = (
    "healthy-young",
    "older-adult",
    "post-stroke",
    "post-knee-surgery",
    "high-fall-risk",
)
SEEDS = (1, 2)
"""Two seeds per profile: with the standard tests of issue 17 a third made the validation most
of the suite's 15 minutes on two cores; ``bench/clinical_table.py --seeds 1 2 3 4 5`` checks
the same literature on as many as wanted."""

VALIDATED_FIRST = (
    "limits-of-stability",
    "reaction",
    "weight-shift",
    "single-leg-stance",
    "mctsib",
    "quiet-stance",
    "rhythmic-weight-shift",
    "weight-bearing",
    "wobble-board",
    "postural-hold",
)
"""The order the catalog's drills have been validated in since issue 13 (one simulated person
goes through them, one station per IMU mount); drills added since come after them."""


DRILLS: tuple[tuple[str, dict, str], ...] = tuple(
    (
        name,
        {},
        CATALOG[name].imu_mount or "wobble-board" if needs_imu((name,)) else "platform",
    )
    for name in (*VALIDATED_FIRST, *(n for n in CATALOG if n not in VALIDATED_FIRST))
)
"""(drill, parameters, the station): every drill of the catalog at its default settings, those
that need the IMU on a station with it where they need it ("wobble-board", "trunk"), the others
on a platform-only station ("platform": [imu] enabled = false, a configuration clinics run):
their measures come from the load cells alone, and the emulated IMU's reports would cost a
sixth of the run's CPU for nothing they use."""

AMPLIFIER_TURNS = ("nau7802", "hx711")
"""The load-cell amplifier of the stations a seed's patient goes through, in turn: seed 1 (every
odd seed) on the NAU7802 at its 320 SPS, the default station, seed 2 (every even one) on the
HX711 at its 80 SPS, so that every check holds on both amplifiers the station supports. On one
seed's patient the two give the same measures to within the noise (docs/clinical.md), and the
HX711's run takes about two thirds of the CPU."""


def amplifier_of(seed: int) -> str:
    """The ``[loadcells] amplifier`` of seed ``seed``'s stations (``AMPLIFIER_TURNS``)."""
    return AMPLIFIER_TURNS[(seed - 1) % len(AMPLIFIER_TURNS)]


STATIONS = {
    "platform": {"imu": {"enabled": False}},
    "wobble-board": {"sim": {"imu_mount": "wobble-board"}},
    "trunk": {"sim": {"imu_mount": "trunk"}},
}
"""The configuration of each station a simulated patient goes through, beyond its profile."""


def _reaction_times(drill: str, result: dict) -> list[float]:
    """Every single reaction time a result holds (per direction or per trial, where the drill's
    ``reaction_times`` says), s."""
    where = CATALOG[drill].reaction_times
    if where is None:
        return []
    items, key = where
    return [r[key] for r in result.get(items) or [] if r.get(key) is not None]


def patient_of(profile: str, on, name: str | None = None) -> dict:
    """The patient record a therapist would enter for a virtual patient on the day ``on``:
    the profile's height, weight, sex and a birth date that makes its age."""
    from hw.sim.profiles import PROFILES  # hw stays out of the panel's imports

    body = PROFILES[profile]
    return {
        "name": name or f"Simulated {profile}",
        "height_cm": round(body.height_m * 100, 1),
        "weight_kg": body.mass_kg,
        "sex": body.sex,
        "birth_date": on.replace(year=on.year - body.age_years).isoformat(),
    }


def station_options(profile: str, seed: int, mount: str) -> dict:
    """The configuration of the station ``profile``'s patient at ``seed`` goes through for the
    drills of ``mount``: ``STATIONS[mount]`` with the profile, the seed and the seed's
    amplifier."""
    options = STATIONS[mount]
    sim = {"profile": profile, "seed": seed, **options.get("sim", {})}
    return {**options, "sim": sim, "loadcells": {"amplifier": amplifier_of(seed)}}


def run_profile(profile: str, seed: int, mounts=tuple(STATIONS)) -> dict:
    """Each drill of DRILLS for one simulated patient: drill -> {"state", "summary",
    "reaction_times"}. One station per kind of STATIONS (those of ``mounts``), each new with
    the same seed and the seed's amplifier (``amplifier_of``), so the stations can run apart;
    the patient's height, weight, sex and birth date are the profile's, as a therapist would
    enter them."""
    from datetime import date

    from station.clock import VirtualClock
    from station.results.measures import scored_parts
    from station.runtime.core_config import parse_config
    from station.runtime.station import Station

    logging.getLogger().setLevel(logging.WARNING)
    out = {}
    for mount in mounts:
        config = parse_config(station_options(profile, seed, mount))
        station = Station(config, clock=VirtualClock(), db_path=":memory:")
        try:
            patient = station.records.create_patient(patient_of(profile, date.today()))
            for drill, params, where in DRILLS:
                if where != mount:
                    continue
                trial_id = station.start_drill(patient["id"], drill, params)["trial_id"]
                station.run_virtual(max_s=900.0)
                if station.loop.session is not None:
                    station.stop_drill("validation time limit (900 s) reached")
                station.storage.flush()
                trial = station.results.get_trial(trial_id)
                result = trial["result"] or {}
                out[drill] = {
                    "state": result.get("state"),
                    "reason": result.get("reason"),
                    "summary": result.get("summary") or {},
                    "reaction_times": _reaction_times(drill, result),
                    "measure_keys": sorted({k for p in scored_parts(trial) for k in p["measures"]}),
                    "phases": sorted({e["phase"] for e in trial["events"] or []}),
                }
        finally:
            station.close()
    return out


class ValidationRuns:
    """``run_profile`` for every profile, seed and station, started at once in ``workers``
    processes of their own (spawned: the caller may have threads; at ``nice`` 19 when
    ``background``, so a test session or a therapist's work goes first), the platform's runs
    (most of the drills) first, so that the short ones even out the end; ``table()`` waits for
    them. With ``results_dir``, each run is also written there as it finishes, for another
    process to read (``WrittenRuns``: the test session's workers)."""

    def __init__(
        self,
        seeds=SEEDS,
        profiles=PROFILE_ORDER,
        workers: int = 2,
        background=False,
        results_dir: Path | None = None,
    ):
        self.seeds, self.profiles = tuple(seeds), tuple(profiles)
        self._pool = multiprocessing.get_context("spawn").Pool(
            workers,
            initializer=os.nice if background else None,
            initargs=(19,) if background else (),
        )
        self._runs = {}
        for mount in STATIONS:
            for p in profiles:
                for s in seeds:
                    done = failed = None
                    if results_dir is not None:
                        name = _run_name(p, s, mount)
                        done = functools.partial(_write_run, results_dir, name, ".json")
                        failed = functools.partial(_write_run, results_dir, name, ".error")
                    self._runs[p, s, mount] = self._pool.apply_async(
                        run_profile, (p, s, (mount,)), callback=done, error_callback=failed
                    )

    def table(self) -> dict:
        """``{"seeds", "profiles", "runs": {profile: {seed: run_profile(...)}}}``."""
        try:
            runs = {
                p: {s: _merged(self._runs[p, s, m].get() for m in STATIONS) for s in self.seeds}
                for p in self.profiles
            }
        finally:
            self.close()
        return {"seeds": list(self.seeds), "profiles": list(self.profiles), "runs": runs}

    def close(self) -> None:
        """End the workers at once, runs in progress included; safe to call twice."""
        self._pool.terminate()
        self._pool.join()


def _run_name(profile: str, seed: int, mount: str) -> str:
    return f"{profile}-{seed}-{mount}"


def _merged(runs) -> dict:
    """One patient's runs on each station as one: each drill runs on one station only."""
    out = {}
    for run in runs:
        out.update(run)
    return out


def _write_run(results_dir: Path, name: str, suffix: str, outcome) -> None:
    """Write one run's outcome (its result, or the error it raised) whole, then rename it into
    place, so a reader never sees half a file."""
    text = json.dumps(outcome, default=float) if suffix == ".json" else repr(outcome)
    final = Path(results_dir) / f"{name}{suffix}"
    partial = final.with_suffix(".partial")
    partial.write_text(text)
    os.replace(partial, final)


class WrittenRuns:
    """The runs a ``ValidationRuns`` in another process writes to ``results_dir``: ``table()``
    waits up to ``timeout_s`` for them, and raises the error of a run that failed."""

    def __init__(self, results_dir: Path, seeds=SEEDS, profiles=PROFILE_ORDER, timeout_s=1800.0):
        self.results_dir = Path(results_dir)
        self.seeds, self.profiles = tuple(seeds), tuple(profiles)
        self.timeout_s = timeout_s

    def table(self) -> dict:
        deadline = time.monotonic() + self.timeout_s
        runs: dict = {p: {} for p in self.profiles}
        for p in self.profiles:
            for s in self.seeds:
                runs[p][s] = _merged(self._read(p, s, mount, deadline) for mount in STATIONS)
        return {"seeds": list(self.seeds), "profiles": list(self.profiles), "runs": runs}

    def _read(self, profile: str, seed: int, mount: str, deadline: float) -> dict:
        """One run's result once written; its error raised, or TimeoutError past ``deadline``."""
        done = self.results_dir / f"{_run_name(profile, seed, mount)}.json"
        failed = done.with_suffix(".error")
        what = f"validation run {profile}, seed {seed}, {mount}"
        while not done.exists():
            if failed.exists():
                raise RuntimeError(f"{what}: {failed.read_text()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what}: not written in time")
            time.sleep(0.5)
        return json.loads(done.read_text())

    def close(self) -> None:
        """Nothing to end: the runs belong to the process that started them."""


def validation_table(seeds=SEEDS, profiles=PROFILE_ORDER, workers: int = 2) -> dict:
    """The table of ``ValidationRuns``, waited for."""
    return ValidationRuns(seeds, profiles, workers).table()


def values(table: dict, drill: str, key: str, profile: str) -> list[float]:
    """The summary ``key`` of ``drill`` for ``profile`` at each seed that has it."""
    out = []
    for run in table["runs"][profile].values():
        value = run.get(drill, {}).get("summary", {}).get(key)
        if value is not None:
            out.append(value)
    return out


def median(table: dict, drill: str, key: str, profile: str) -> float | None:
    found = values(table, drill, key, profile)
    return statistics.median(found) if found else None


@dataclass(frozen=True)
class Check:
    """One thing the literature (or the issue's definition of done) says the table must show."""

    text: str
    source: str
    test: Callable[[dict], tuple[bool, str]]  # table -> (passed, what was measured)


def _each(table, drill, key, profile) -> str:
    return ", ".join(f"{v:.3g}" for v in values(table, drill, key, profile)) or "none"


def _all_within(drill, key, profile, low, high):
    def test(table):
        found = values(table, drill, key, profile)
        ok = len(found) == len(table["seeds"]) and all(low <= v <= high for v in found)
        return ok, f"{profile}: {_each(table, drill, key, profile)}"

    return test


def _both(first: tuple, second: tuple) -> tuple:
    """Two tests' (passed, measured) as one: passed when both are."""
    return first[0] and second[0], f"{first[1]}; {second[1]}"


def _ordered(drill, key, better, worse, lower_is_better=False, margin=0.0):
    """Median of ``better`` beats ``worse`` (by ``margin`` in the key's unit)."""

    def test(table):
        b, w = median(table, drill, key, better), median(table, drill, key, worse)
        if b is None:
            return False, f"{better} has no {key}"
        if w is None:  # the impaired patient could not produce it: that is worse
            return True, f"{better} {b:.3g}; {worse} none"
        ok = (b + margin <= w) if lower_is_better else (b >= w + margin)
        return ok, f"{better} {b:.3g} vs {worse} {w:.3g}"

    return test


def _no_fast_reactions(table):
    times = [
        (profile, seed, drill, rt)
        for profile, by_seed in table["runs"].items()
        for seed, run in by_seed.items()
        for drill, r in run.items()
        for rt in r["reaction_times"]
    ]
    fast = [t for t in times if t[3] < 0.1]
    shortest = min(times, key=lambda t: t[3]) if times else None
    seen = f"{len(times)} reaction times, shortest {shortest[3]:.3f} s" if shortest else "none"
    return not fast and bool(times), seen


def _apa_timed(profiles: tuple[str, ...], least: int):
    """Each of ``profiles``' gait-initiation runs has at least ``least`` trials with the APA
    timed (their onsets are the run's reaction times)."""

    def test(table):
        counts = {
            (p, seed): len(run.get("gait-initiation", {}).get("reaction_times", []))
            for p in profiles
            for seed, run in table["runs"][p].items()
        }
        seen = ", ".join(f"{p} seed {seed}: {n}" for (p, seed), n in counts.items())
        return all(n >= least for n in counts.values()), seen

    return test


SPRINGER = "Springer et al. 2007 (docs/clinical.md)"
SANTOS = "Santos & Duarte 2016, 10-90% bands (docs/clinical.md)"
STEADI = "CDC STEADI 4-Stage Balance Test (docs/clinical.md)"
CHECKS = (
    Check(
        "LOS: healthy young maximum excursion 70-110% of the theoretical limit",
        "issue 13; NeuroCom: young adults reach most of the theoretical limit",
        _all_within("limits-of-stability", "max_excursion_pct", "healthy-young", 70, 110),
    ),
    Check(
        "LOS: healthy young reach further than the high-fall-risk patient",
        "Clark & Rose 2001; lower LOS in fallers",
        _ordered("limits-of-stability", "max_excursion_pct", "healthy-young", "high-fall-risk"),
    ),
    Check(
        "LOS: healthy young react sooner than the high-fall-risk patient",
        "older adults' and fallers' movement onset is later (docs/clinical.md)",
        _ordered("limits-of-stability", "reaction_time_s", "healthy-young", "high-fall-risk", True),
    ),
    Check(
        "No reaction time under 0.1 s anywhere (LOS directions, reaction trials, APA onsets)",
        "World Athletics false-start rule: under 0.100 s is anticipation",
        _no_fast_reactions,
    ),
    Check(
        "Reaction: healthy young accuracy at least 80%",
        "issue 13",
        _all_within("reaction", "accuracy_pct", "healthy-young", 80, 100),
    ),
    Check(
        "Reaction: healthy young accuracy not below the high-fall-risk patient's",
        "issue 13",
        _ordered("reaction", "accuracy_pct", "healthy-young", "high-fall-risk"),
    ),
    Check(
        "Weight shift: healthy young hit rate at least 70%",
        "issue 13; Biodex-style training targets healthy adults meet",
        _all_within("weight-shift", "hit_rate_pct", "healthy-young", 70, 100),
    ),
    Check(
        "Weight shift: healthy young hit rate not below the high-fall-risk patient's",
        "issue 13",
        _ordered("weight-shift", "hit_rate_pct", "healthy-young", "high-fall-risk"),
    ),
    Check(
        "Postural hold: time in band at least 10 points apart, healthy young over high fall risk",
        "issue 13",
        _ordered("postural-hold", "time_in_band_pct", "healthy-young", "high-fall-risk", margin=10),
    ),
    Check(
        "Single-leg stance: healthy young best time 35 s or more",
        f"issue 13; {SPRINGER}: 44.7 s at 18-39 years, eyes open",
        _all_within("single-leg-stance", "best_time_s", "healthy-young", 35, 60),
    ),
    Check(
        "Single-leg stance: the older adult within reach of the 70-79 norm (21.5 s)",
        SPRINGER,
        _all_within("single-leg-stance", "best_time_s", "older-adult", 8, 45),
    ),
    Check(
        "Single-leg stance: the high-fall-risk patient under Vellas's 5 s",
        "Vellas et al. 1997 (docs/clinical.md)",
        _all_within("single-leg-stance", "best_time_s", "high-fall-risk", 0, 5),
    ),
    Check(
        "STEADI 4-stage: the healthy young hold all four stances",
        f"{STEADI}: healthy adults hold each 10 s stance",
        _all_within("steadi-4-stage", "highest_stage_held", "healthy-young", 4, 4),
    ),
    Check(
        "STEADI 4-stage: the high-fall-risk patient under the CDC's 10 s in tandem",
        f"{STEADI}; Giuliani et al. 2008: 8% of assisted-living residents held tandem 10 s",
        _all_within("steadi-4-stage", "tandem_time_s", "high-fall-risk", 0, 9.99),
    ),
    Check(
        "STEADI 4-stage: the older adult holds tandem for the CDC's 10 s",
        "PMC11566129: community adults aged 60-89 held tandem 22.2 s on average (of 30)",
        _all_within("steadi-4-stage", "tandem_time_s", "older-adult", 10, 10),
    ),
    Check(
        "STEADI 4-stage: the SPPB balance score, full (4) for the healthy young, 2 or less for "
        "the frail patient",
        "Guralnik et al. 1994 (the SPPB's scoring); Giuliani et al. 2008: a third of "
        "assisted-living residents held semi-tandem 10 s, one in twelve tandem",
        lambda table: _both(
            _all_within("steadi-4-stage", "sppb_balance_score", "healthy-young", 4, 4)(table),
            _all_within("steadi-4-stage", "sppb_balance_score", "high-fall-risk", 0, 2)(table),
        ),
    ),
    Check(
        "BESS: the healthy young within young athletes' baselines (20 errors or fewer)",
        "Valovich et al. 2003: 12.9 ± 3.3 (high-school athletes); Mathiasen et al.: 20.3 "
        "(D-I football freshmen) (docs/clinical.md)",
        _all_within("bess", "total_errors", "healthy-young", 0, 20),
    ),
    Check(
        "BESS: the high-fall-risk patient makes more errors than the healthy young, by more "
        "than the MDC (7.3)",
        "Hansen et al.: MDC95 7.3 errors; Iverson & Koehle 2013: BESS worsens with age",
        _ordered("bess", "total_errors", "healthy-young", "high-fall-risk", True, margin=7.3),
    ),
    Check(
        "BESS: the older adult makes more errors than the healthy young",
        "Iverson & Koehle 2013: similar at 20-49 years, worse at 50-69 (r with age .34)",
        _ordered("bess", "total_errors", "healthy-young", "older-adult", True),
    ),
    Check(
        "Gait initiation: the healthy young shift toward the swing leg further than the frail "
        "patient",
        "Lee et al. 2019: young adults' APA excursions larger than older adults' at risk of "
        "falling; Hass et al. 2008 (docs/clinical.md)",
        _ordered("gait-initiation", "apa_ml_mm", "healthy-young", "high-fall-risk"),
    ),
    Check(
        "Gait initiation: the healthy young's and the older adult's APAs are timed in at least "
        "5 of every 6 trials",
        "A step from quiet stance starts with an APA in healthy adults (Yiou et al. 2017, "
        "docs/clinical.md): a scorer that leaves their trials untimed misreads them",
        _apa_timed(("healthy-young", "older-adult"), 5),
    ),
    Check(
        "Gait initiation: the older adult's APA starts later after the cue than the healthy "
        "young's",
        "Older adults' APA onsets come later than young adults' (a review of 11 studies of 324 "
        "people; docs/clinical.md)",
        _ordered("gait-initiation", "apa_onset_s", "healthy-young", "older-adult", True),
    ),
    Check(
        "Gait initiation: the frail patient's APA lasts longer than the healthy young's",
        "APA onsets delayed and phases longer with age and impairment (docs/clinical.md)",
        _ordered("gait-initiation", "apa_duration_s", "healthy-young", "high-fall-risk", True),
    ),
    Check(
        "Gait initiation: the post-stroke patient unloads the swing leg more slowly than the "
        "healthy young",
        "Delafontaine et al. 2019: after stroke a longer preparatory phase (docs/clinical.md)",
        _ordered("gait-initiation", "unload_time_s", "healthy-young", "post-stroke", True),
    ),
    Check(
        "mCTSIB: healthy young Romberg ratio 0.8-1.6",
        f"issue 13; {SANTOS}: 0.94-1.32 over young subjects",
        _all_within("mctsib", "romberg_ratio", "healthy-young", 0.8, 1.6),
    ),
    Check(
        "mCTSIB: healthy young foam ratio above 1.5",
        f"issue 13; {SANTOS}: 2.09-3.63 over young subjects",
        _all_within("mctsib", "foam_ratio", "healthy-young", 1.5, math.inf),
    ),
    Check(
        "Quiet stance: healthy young sway speed in the young adults' band (0.56-1.32 cm/s)",
        SANTOS,
        _all_within("quiet-stance", "velocity_mean_cm_s", "healthy-young", 0.56, 1.32),
    ),
    Check(
        "Quiet stance: healthy young 95% ellipse in the young adults' band (0.8-4.4 cm²)",
        SANTOS,
        _all_within("quiet-stance", "area_ellipse95_cm2", "healthy-young", 0.8, 4.4),
    ),
    Check(
        "Quiet stance: the older adult's sway speed in the old adults' band (0.71-1.77 cm/s)",
        SANTOS,
        _all_within("quiet-stance", "velocity_mean_cm_s", "older-adult", 0.71, 1.77),
    ),
    Check(
        "Wobble board: the healthy young keep the board level longer than the frail patient",
        "issue 13 (orderings: healthy better than frail)",
        _ordered("wobble-board", "time_in_band_pct", "healthy-young", "high-fall-risk"),
    ),
    Check(
        "Rhythmic weight shift: the healthy young keep time better than the frail patient",
        "issue 13 (orderings: healthy better than frail)",
        _ordered("rhythmic-weight-shift", "rhythm_pct", "healthy-young", "high-fall-risk"),
    ),
    Check(
        "Rhythmic weight shift: the older adult reaches the side on a third of the slow beats "
        "or more",
        "keeping time with a metronome is well preserved in old age (von Schnehen et al. 2022, "
        "docs/clinical.md): a patient who reacted to every beat instead reached 12% of them",
        _all_within("rhythmic-weight-shift", "rhythm_pct", "older-adult", 100 / 3, 100),
    ),
    Check(
        "Weight bearing: the post-stroke patient stands with 30-45% of the load on the paretic "
        "(left) leg: symmetry index +20 to +80",
        "Adegoke et al. 2012: 60.3 ± 7.1% on the unaffected leg in standing (n = 53); "
        "57.6-70% in earlier studies (docs/clinical.md)",
        _all_within("weight-bearing", "symmetry_index_lr_pct", "post-stroke", 20, 80),
    ),
    Check(
        "Weight bearing: the post-knee-surgery patient stands with 25-45% of the load on the "
        "operated (left) leg: symmetry index +20 to +100",
        "Knee Surg Sports Traumatol Arthrosc 2014;22:609-14: about 70% on the good side in "
        "quiet stance before a knee replacement, unchanged 6 weeks to 6 months after",
        _all_within("weight-bearing", "symmetry_index_lr_pct", "post-knee-surgery", 20, 100),
    ),
    Check(
        "Weight bearing: the asymmetry the progress page follows is larger after a knee "
        "operation than in the healthy young",
        "Knee Surg Sports Traumatol Arthrosc 2014;22:609-14 (about 70% on the good side); healthy "
        "adults stand evenly (Ohlendorf et al. 2020)",
        _ordered("weight-bearing", "asymmetry_pct", "healthy-young", "post-knee-surgery", True),
    ),
    Check(
        "Quiet stance: the high-fall-risk patient sways faster than the healthy young",
        "older and impaired people sway faster (Santos & Duarte 2016)",
        _ordered("quiet-stance", "velocity_mean_cm_s", "healthy-young", "high-fall-risk", True),
    ),
)


def judge(table: dict) -> list[dict]:
    """Every check on ``table``: ``text``, ``source``, ``passed`` and ``measured``."""
    out = []
    for check in CHECKS:
        passed, measured = check.test(table)
        out.append(
            {"text": check.text, "source": check.source, "passed": passed, "measured": measured}
        )
    return out


def format_table(table: dict) -> str:
    """The table as text: per drill and headline measure, the median (range) over the seeds for
    each profile; then the checks."""
    profiles = table["profiles"]
    on = ", ".join(f"seed {s} on the {amplifier_of(s).upper()}" for s in table["seeds"])
    lines = [
        f"Clinical validation on the virtual patient ({on}): median (min-max)",
        "",
        f"{'drill / measure':44s}" + "".join(f"{p:>20s}" for p in profiles),
    ]
    for drill, _, _ in DRILLS:
        keys = sorted(
            {
                k
                for p in profiles
                for run in table["runs"][p].values()
                for k in run.get(drill, {}).get("summary", {})
            }
        )
        for key in keys:
            cells = []
            for p in profiles:
                found = values(table, drill, key, p)
                if not found:
                    cells.append("-")
                elif len(found) == 1:
                    cells.append(f"{found[0]:.3g}")
                else:
                    cells.append(
                        f"{statistics.median(found):.3g} ({min(found):.3g}-{max(found):.3g})"
                    )
            lines.append(f"{drill + ' / ' + key:44s}" + "".join(f"{c:>20s}" for c in cells))
        ended = [
            f"{p} seed {s}: {run[drill]['state']} ({run[drill]['reason']})"
            for p in profiles
            for s, run in table["runs"][p].items()
            if drill in run and run[drill]["state"] != "completed"
        ]
        lines += [f"    {e}" for e in ended]
    lines += ["", "Checks:"]
    for c in judge(table):
        lines.append(f"{'PASS' if c['passed'] else 'FAIL'}  {c['text']}: {c['measured']}")
        lines.append(f"      source: {c['source']}")
    return "\n".join(lines)


def as_json(table: dict) -> str:
    """The table and the checks as JSON."""
    return json.dumps({**table, "checks": judge(table)}, indent=2)
