"""``balance-station simulate-episode``: a whole episode of care on the virtual patient, for a
demo without hardware. An evaluation, its suggested plan of care accepted, two goals with their
baselines from the evaluation, a home program, visits twice a week with the plan's drills and
their progression, pain and home-exercise adherence, then a re-evaluation and the goals met.

Each visit runs on a station of its own over one database, the virtual patient trained for the
weeks since the evaluation (``hw.sim.profiles.trained``), its trials dated on the visit's day.
What the patient says is scripted, not modelled, and said so: pain on arrival falls by about
2 points over the episode, the home exercises are done on about 70% of the days, the PSFS
activities rise with the training (``_scripted``).
"""

import json
import math
import sqlite3
from datetime import UTC, date, datetime, time, timedelta

import numpy as np

from drills.catalog import needs_imu
from hw.sim.profiles import PROFILES
from station.records.goals import goal_progress, latest_values
from station.records.home_program import adherence
from station.records.programs import DEFAULT_EVALUATION
from station.records.visits import Visits
from station.results.evaluation import evaluation_report
from station.results.measures import drill_title, headline
from station.results.plan_of_care import suggest_plan
from station.results.progress import patient_progress
from station.results.validation import patient_of

VISITS_PER_WEEK = 2
HOME_EXERCISES = (
    {"exercise": "tandem-stance", "level": 1},
    {"exercise": "single-leg-stance", "level": 1},
    {"exercise": "sit-to-stand", "level": 2},
)
"""The home program of the episode: the Otago programme's first balance and strength steps."""
PSFS_ACTIVITIES = ("Walking outdoors", "Dressing standing up", "Reaching to a high shelf")
THERAPIST = "Simulated therapist"


def _scripted(rng, weeks_done: float, weeks: float) -> dict:
    """What the simulated patient reports at a visit (scripted, not modelled): pain on arrival
    from about 5/10 down by 2 points over the episode, a point lower after the visit; PSFS
    ratings from about 4 up by 3; the home program done on about 70% of the days."""
    share = min(1.0, weeks_done / weeks) if weeks else 1.0
    pain = int(np.clip(round(5 - 2.4 * share + rng.normal(0, 0.4)), 0, 10))
    ratings = [
        int(np.clip(round(4 + 3 * share + rng.normal(0, 0.5)), 0, 10)) for _ in PSFS_ACTIVITIES
    ]
    return {"pain_before": pain, "pain_after": max(0, pain - 1), "psfs": ratings}


def _station(profile: str, seed: int, weeks_done: float, db_path: str, steps, config_path):
    """The day's simulated station, with an IMU only when one of the day's ``steps`` (a
    program's) needs it (``drills.catalog.needs_imu``); its platform and loop settings from
    the TOML at ``config_path`` when given (as ``simulate --config``), else the defaults."""
    from station.clock import VirtualClock
    from station.runtime.core_config import load_config, parse_config
    from station.runtime.station import Station

    overrides = {
        "station": {"hardware": "sim"},
        "sim": {"profile": profile, "seed": seed, "training_weeks": round(weeks_done, 2)},
        "imu": {"enabled": needs_imu(step["drill"] for step in steps)},
    }
    config = load_config(config_path, overrides) if config_path else parse_config(overrides)
    return Station(config, clock=VirtualClock(), db_path=db_path)


def _run_step(station, program_id: int, step: int) -> str:
    """Run one step of a program on the virtual patient to its end; its trial id."""
    trial_id = station.start_program_step(program_id, step)["trial_id"]
    station.run_virtual(max_s=900.0)
    if station.loop.session is not None:
        station.stop_drill("simulation time limit (900 s) reached")
    station.storage.flush()
    return trial_id


def _date_trials(db_path: str, trial_ids: list[str], day: date) -> None:
    """Date the visit's trials on its simulated day (from 10:00 local time, a minute apart)."""
    start = datetime.combine(day, time(10, 0)).astimezone()
    with sqlite3.connect(db_path) as db:
        for k, trial_id in enumerate(trial_ids):
            when = (start + timedelta(minutes=k)).astimezone(UTC)
            db.execute(
                "UPDATE trials SET started_at = ? WHERE id = ?",
                [when.isoformat(timespec="seconds"), trial_id],
            )


def run_episode(
    profile: str,
    seed: int,
    weeks: int,
    db_path: str,
    today: date | None = None,
    battery_params: dict | None = None,
    config_path=None,
) -> dict:
    """Simulate the episode into the database at ``db_path`` (a file); returns its story as
    plain data (``format_story`` words it). ``battery_params`` (drill -> params) edits the
    evaluation battery's tests, as a therapist may (shorter trials); ``config_path`` is a
    station TOML whose platform and loop settings (amplifier, rate...) the stations take."""
    today = today or date.today()
    first = today - timedelta(weeks=weeks)
    days = [
        first + timedelta(days=round(k * 7 / VISITS_PER_WEEK))
        for k in range(weeks * VISITS_PER_WEEK + 1)
    ]
    rng = np.random.default_rng(seed)
    story: dict = {"profile": profile, "seed": seed, "weeks": weeks, "visits": []}

    # checks the profile's name first; a first evaluation is the default battery
    station = _station(profile, seed, 0.0, db_path, DEFAULT_EVALUATION, config_path)
    body = PROFILES[profile]
    try:
        patient = station.records.create_patient(
            patient_of(profile, first, f"Simulated {profile} (episode)")
        )
        pid = patient["id"]
        evaluation = _evaluation(station, pid, first, battery_params)
        ids = [_run_step(station, evaluation["id"], k) for k in range(len(evaluation["steps"]))]
        _date_trials(db_path, ids, first)
        trials = station.results.trial_history(pid, program_id=evaluation["id"])
        report = evaluation_report(evaluation, trials, patient)
        plan = suggest_plan(report, evaluation["name"])
        program = station.records.create_program(pid, plan["program"]) if plan["program"] else None
        said = _scripted(rng, 0.0, weeks)
        Visits(station.storage).create(
            pid, _visit_fields(first, said, ids, station, with_psfs=True), today=today
        )
        goals = _set_goals(station, pid, report, said, today)
        for item in HOME_EXERCISES:
            station.records.home_programs.prescribe(pid, item, today=first)
        story["patient"] = {"id": pid, "age_years": body.age_years}
        story["evaluation"] = _evaluation_story(evaluation, report, plan)
        story["goals_set"] = [g["words"] for g in goals]
        story["home_program"] = [
            f"{e['name']}: {e['dose_words']}" for e in station.records.home_programs.current(pid)
        ]
    finally:
        station.close()

    for k, day in enumerate(days[1:-1], start=1):
        weeks_done = (day - first).days / 7
        station = _station(profile, seed + k, weeks_done, db_path, program["steps"], config_path)
        try:
            ids = [_run_step(station, program["id"], s) for s in range(len(program["steps"]))]
            _date_trials(db_path, ids, day)
            said = _scripted(rng, weeks_done, weeks)
            since = (day - days[k - 1]).days
            said["hep_days"] = int(rng.binomial(since, 0.7))
            Visits(station.storage).create(pid, _visit_fields(day, said, ids, station), today=today)
            story["visits"].append(_visit_story(station, day, weeks_done, ids, said))
        finally:
            station.close()

    station = _station(profile, seed + len(days), weeks, db_path, evaluation["steps"], config_path)
    try:
        again = _evaluation(station, pid, today, battery_params)
        ids = [_run_step(station, again["id"], k) for k in range(len(again["steps"]))]
        _date_trials(db_path, ids, today)
        said = _scripted(rng, weeks, weeks)
        said["hep_days"] = int(rng.binomial((today - days[-2]).days, 0.7))
        Visits(station.storage).create(
            pid, _visit_fields(today, said, ids, station, with_psfs=True), today=today
        )
        patient = station.records.get_patient(pid)
        before = (evaluation, station.results.trial_history(pid, program_id=evaluation["id"]))
        trials = station.results.trial_history(pid, program_id=again["id"])
        report = evaluation_report(again, trials, patient, before)
        story["re_evaluation"] = _evaluation_story(again, report, None)
        visit_list = Visits(station.storage).for_patient(pid)
        charts = patient_progress(station.results.trial_history(pid, limit=1000), patient=patient)
        latest = latest_values(charts, visit_list)
        progress = goal_progress(station.records.goals.for_patient(pid), latest, today)
        story["goals"] = [{"words": g["words"], "met": g["met"]} for g in progress]
        story["adherence"] = adherence(visit_list, station.records.home_programs.began_on(pid))
        story["trends"] = [
            {
                "measure": f"{c['drill_title']}: {c['label'].lower()}",
                "condition": line["condition"],
                "unit": c["unit"],
                **line["change"],
            }
            for c in charts
            for line in c["lines"]
            if "first" in line["change"]
        ]
    finally:
        station.close()
    return story


def _evaluation(station, pid: int, day: date, battery_params: dict | None) -> dict:
    """A new evaluation of the default battery, its tests' parameters edited first."""
    evaluation = station.records.create_evaluation(pid, day.isoformat())
    if not battery_params:
        return evaluation
    steps = [
        {"drill": s["drill"], "params": {**s["params"], **battery_params.get(s["drill"], {})}}
        for s in evaluation["steps"]
    ]
    edited = {"name": evaluation["name"], "kind": "evaluation", "steps": steps}
    return station.records.update_program(evaluation["id"], edited)


def _visit_fields(day: date, said: dict, ids, station, with_psfs: bool = False) -> dict:
    """A visit's record: what the patient said, and the minutes the station's record suggests."""
    seconds = [station.results.get_trial(t)["duration_s"] or 0.0 for t in ids]
    minutes = math.ceil(sum(seconds) / 60 + 2 * len(ids))
    fields = {
        "visit_date": day.isoformat(),
        "therapist": THERAPIST,
        "nmr_minutes": minutes,
        "pain_before": said["pain_before"],
        "pain_after": said["pain_after"],
        "hep_days": said.get("hep_days"),
    }
    if with_psfs:
        fields["psfs"] = [
            {"activity": a, "score": s} for a, s in zip(PSFS_ACTIVITIES, said["psfs"], strict=True)
        ]
    return fields


def _set_goals(station, pid: int, report: dict, said: dict, today: date) -> list[dict]:
    """Two goals with their baselines from the evaluation, due at the episode's end: the
    single-leg time of the leg that held least half as long again (at most its age group's
    mean), and pain on arrival 2 points lower."""
    legs = [
        s
        for s in report["steps"]
        if s["drill"] == "single-leg-stance" and s["trial"] and s["norms"] and s["norms"]["rows"]
    ]
    due = today.isoformat()
    goals = []
    if legs:
        weaker = min(legs, key=lambda s: s["norms"]["rows"][0]["value"])
        row = weaker["norms"]["rows"][0]
        # an attainable step toward the age group's mean: half as long again, at most the mean
        baseline = row["value"]
        target = round(max(baseline + 1.0, min(row["median"], 1.5 * baseline)), 1)
        goals.append(
            {
                "drill": "single-leg-stance",
                "metric": "best_stance_time_s",
                "condition": weaker["condition"],
                "baseline": round(baseline, 1),
                "target": target,
                "due_date": due,
                "note": "toward the age group's mean single-leg time",
            }
        )
    pain = said["pain_before"]
    goals.append({"metric": "pain", "baseline": pain, "target": max(0, pain - 2), "due_date": due})
    made = [station.records.goals.create(pid, g, latest={}, today=today) for g in goals]
    return goal_progress(made, {}, today)


def _evaluation_story(evaluation: dict, report: dict, plan: dict | None) -> dict:
    tests = []
    for step in report["steps"]:
        values = [
            f"{v['label']} {v['value']:.3g}{(' ' + v['unit']) if v['unit'] else ''}"
            for line in step["headline"]
            for v in line["values"]
        ]
        before = step.get("before")
        tests.append(
            {
                "title": step["title"] + (f" ({step['condition']})" if step["condition"] else ""),
                "values": values,
                "before": [
                    f"{v['label']} {v['value']:.3g}"
                    for line in (before or {}).get("headline", [])
                    for v in line["values"]
                ]
                if before
                else [],
            }
        )
    return {
        "day": evaluation["name"],
        "tests": tests,
        "deficits": report["deficits"],
        "screens": [
            f"{s['test']}: {s['value'] or 'not done'}, "
            f"{'at risk' if s['at_risk'] else 'not at risk'} (at risk: {s['cut_off']})"
            for s in report["screens"]
        ],
        "plan": [f["aim"] for f in plan["findings"]] if plan else [],
    }


def _visit_story(station, day: date, weeks_done: float, ids, said: dict) -> dict:
    shown = []
    for trial_id in ids:
        trial = station.results.get_trial(trial_id)
        if trial["state"] != "completed":
            shown.append(f"{drill_title(trial['drill'])}: {trial['state']} ({trial['reason']})")
            continue
        for line in headline(trial):
            for v in line["values"][:1]:
                label = drill_title(trial["drill"]) + (
                    f" ({line['condition']})" if line["condition"] else ""
                )
                shown.append(f"{label}: {v['value']:.3g} {v['unit']}".rstrip())
    return {
        "day": day.isoformat(),
        "week": round(weeks_done, 1),
        "pain": f"{said['pain_before']}→{said['pain_after']}",
        "hep_days": said["hep_days"],
        "drills": shown,
    }


def format_story(story: dict) -> str:
    """The episode in words, as the command prints it."""
    out = [
        f"Episode of care: simulated {story['profile']} patient, {story['patient']['age_years']} "
        f"years, seed {story['seed']}, {story['weeks']} weeks, {len(story['visits']) + 2} visits",
        "",
        f"{story['evaluation']['day']}:",
    ]
    out += [
        f"  {t['title']}: {'; '.join(t['values']) or 'no result'}"
        for t in story["evaluation"]["tests"]
    ]
    out += ["  Deficits:"] + [f"    - {d}" for d in story["evaluation"]["deficits"] or ["none"]]
    out += ["  Fall-risk screens:"] + [f"    - {s}" for s in story["evaluation"]["screens"]]
    out += ["  Suggested plan of care (accepted):"] + [
        f"    - {a}" for a in story["evaluation"]["plan"] or ["no finding calls for a drill"]
    ]
    out += ["  Goals set:"] + [f"    - {g}" for g in story["goals_set"]]
    out += ["  Home program:"] + [f"    - {e}" for e in story["home_program"]]
    out += ["", "Visits (pain at the start → end; home exercises: days done since the last):"]
    for v in story["visits"]:
        out.append(
            f"  {v['day']} (week {v['week']:g}): pain {v['pain']}, home {v['hep_days']} "
            f"day{'s' if v['hep_days'] != 1 else ''}; " + "; ".join(v["drills"])
        )
    out += ["", f"{story['re_evaluation']['day']} (re-evaluation, before → now):"]
    for t in story["re_evaluation"]["tests"]:
        then = "; ".join(t["before"]) or "—"
        out.append(f"  {t['title']}: {then} → {'; '.join(t['values']) or 'no result'}")
    out += ["  Fall-risk screens:"] + [f"    - {s}" for s in story["re_evaluation"]["screens"]]
    out += ["", "Trends, first → latest:"]
    for t in story["trends"]:
        condition = f" ({t['condition']})" if t["condition"] else ""
        judged = {True: f"a real change ({t['direction']})", False: "within measurement noise"}
        verdict = judged.get(t["exceeds_mdc"], "no MDC known")
        unit = f" {t['unit']}" if t["unit"] else ""
        out.append(
            f"  {t['measure']}{condition}: {t['first']:.3g} → {t['latest']:.3g}{unit}, {verdict}"
        )
    met = sum(g["met"] for g in story["goals"])
    out += ["", f"Goals: {met} of {len(story['goals'])} met"]
    out += [f"  {'✓' if g['met'] else '✗'} {g['words']}" for g in story["goals"]]
    return "\n".join(out)


def story_json(story: dict) -> str:
    return json.dumps(story, indent=2, default=str)
