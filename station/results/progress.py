"""A patient's progress: every stored trial oldest first, and per drill and headline measure
the series over time, split by condition (mCTSIB condition, leg and eyes...), with the change
from the first to the latest good result against the measure's minimal detectable change.

A result counts for the change only when it passed its data-quality gate (or the drill has
none); results that failed it are still plotted, marked. The minimal detectable changes come
from ``sensing.norms``; where none is known the change is reported as such, never judged.
"""

import json
from datetime import date, datetime

from sensing import norms
from sensing.norms import MINIMAL_DETECTABLE_CHANGE, Mdc
from sensing.words import ENGLISH, N_
from station.records.patients import age_years
from station.results.measures import (
    drill_title,
    lower_is_better,
    measure_doc,
    scored_parts,
    tracked,
)
from station.storage.database import Storage

FROM_TO_WORDS = {
    "lower": N_(
        "From %(first).3g to %(latest).3g%(unit)s (%(change)+.3g%(unit)s, lower is better) "
        "between %(since)s and %(until)s."
    ),
    "higher": N_(
        "From %(first).3g to %(latest).3g%(unit)s (%(change)+.3g%(unit)s, higher is better) "
        "between %(since)s and %(until)s."
    ),
}
"""A line's change from its first to its latest good result, by which way is better."""

MDC_NOISE_WORDS = {
    False: N_(
        "The minimal detectable change is %(mdc).3g%(unit)s: this change is within measurement "
        "noise."
    ),
    True: N_(
        "The minimal detectable change is %(mdc).3g%(unit)s (%(share)g%% of the first result): "
        "this change is within measurement noise."
    ),
}
"""A change within the minimal detectable change, by whether the MDC is relative."""

MDC_REAL_WORDS = {
    (False, "better"): N_(
        "The minimal detectable change is %(mdc).3g%(unit)s: this is a real change (better)."
    ),
    (False, "worse"): N_(
        "The minimal detectable change is %(mdc).3g%(unit)s: this is a real change (worse)."
    ),
    (True, "better"): N_(
        "The minimal detectable change is %(mdc).3g%(unit)s (%(share)g%% of the first result): "
        "this is a real change (better)."
    ),
    (True, "worse"): N_(
        "The minimal detectable change is %(mdc).3g%(unit)s (%(share)g%% of the first result): "
        "this is a real change (worse)."
    ),
}
"""A change beyond the minimal detectable change, by whether the MDC is relative and which way
it went."""

REFERENCE_WORDS = {
    "open": N_(
        "healthy adults aged %(ages)s, eyes open: mean best of three %(mean_s)g s "
        "(Springer et al. 2007)"
    ),
    "closed": N_(
        "healthy adults aged %(ages)s, eyes closed: mean best of three %(mean_s)g s "
        "(Springer et al. 2007)"
    ),
}
"""A single-leg line's published reference, by the eyes."""

TRIAL_COLUMNS = (
    "id, patient_id, drill, state, reason, started_at, duration_s, result, visit_id, "
    "program_id, program_step"
)


def patient_trials(
    storage: Storage,
    patient_id: int,
    limit: int | None = None,
    skip: int = 0,
    drills: tuple[str, ...] | None = None,
    program_id: int | None = None,
) -> list[dict]:
    """Trials of ``patient_id`` (of ``drills`` only, of program or evaluation ``program_id``
    only, when given), oldest first, with decoded
    results (samples excluded): every one, or with ``limit`` the newest ``limit`` after the
    ``skip`` newest (one page of a long history, which a page can show in bounded time)."""
    storage.get_patient(patient_id)
    where, params = "patient_id = ?", [patient_id]
    if drills is not None:
        where += f" AND drill IN ({', '.join('?' * len(drills))})"
        params += list(drills)
    if program_id is not None:
        where += " AND program_id = ?"
        params.append(program_id)
    if limit is None:
        rows = storage.query(
            f"SELECT {TRIAL_COLUMNS} FROM trials WHERE {where} ORDER BY started_at, rowid",
            params,
        )
    else:
        rows = storage.query(
            f"SELECT {TRIAL_COLUMNS} FROM trials WHERE {where} "
            "ORDER BY started_at DESC, rowid DESC LIMIT ? OFFSET ?",
            [*params, limit, skip],
        )[::-1]
    return [{**r, "result": json.loads(r["result"]) if r["result"] else None} for r in rows]


def patient_progress(
    trials: list[dict],
    mdc: dict | None = None,
    patient: dict | None = None,
    translations=ENGLISH,
) -> list[dict]:
    """One chart per drill and headline measure the patient has results for: ``drill``,
    ``drill_title``, ``metric``, ``label``, ``unit``, ``better`` (``lower``/``higher``) and
    ``lines`` (per condition: ``condition``, ``points`` [{``t``: Unix s, ``date``,
    ``trial_id``, ``value``, ``good``}], ``change`` and, for single-leg stance when
    ``patient`` has a birth date, ``reference``: the published mean of their age). ``mdc``
    ((drill, metric) -> ``Mdc``) defaults to ``sensing.norms.MINIMAL_DETECTABLE_CHANGE``; a
    line in a condition its study did not measure (``Mdc.applies``) has none. The words are in
    the language of ``translations``."""
    mdc = MINIMAL_DETECTABLE_CHANGE if mdc is None else mdc
    charts: dict[tuple[str, str], dict] = {}
    measured_in: dict[tuple[str, str, str], tuple] = {}  # a line's (eyes, surface)
    for trial in trials:
        when = datetime.fromisoformat(trial["started_at"])
        stood = (trial.get("result") or {}).get("eyes")  # single-leg stance: no sway condition
        for part in scored_parts(trial, translations):
            for metric in tracked(trial["drill"]):
                value = part["measures"].get(metric)
                if value is None:
                    continue
                chart = charts.setdefault(
                    (trial["drill"], metric), _chart(trial["drill"], metric, translations)
                )
                measured_in[trial["drill"], metric, part["condition"]] = (
                    part["eyes"] or stood,
                    part["surface"],
                )
                line = chart["lines"].setdefault(
                    part["condition"],
                    {
                        "condition": part["condition"],
                        "points": [],
                        "reference": _reference(trial, metric, patient, translations),
                    },
                )
                line["points"].append(
                    {
                        "t": when.timestamp(),
                        "date": when.astimezone().date().isoformat(),
                        "trial_id": trial["id"],
                        "value": float(value),
                        "good": not part["quality"] or bool(part["quality"].get("ok")),
                    }
                )
    out = []
    for chart in charts.values():
        lines = list(chart["lines"].values())
        for line in lines:
            known = mdc.get((chart["drill"], chart["metric"]))
            where = measured_in[chart["drill"], chart["metric"], line["condition"]]
            if known is not None and not known.applies(*where):
                known = None
            line["change"] = change(line["points"], chart, known, translations)
        out.append({**chart, "lines": lines})
    return out


def _reference(trial: dict, metric: str, patient: dict | None, translations) -> dict | None:
    """The published value a line is read against: for single-leg stance, the mean best time
    of healthy adults of the patient's age today (Springer et al. 2007); else None."""
    if trial["drill"] != "single-leg-stance" or metric != "best_stance_time_s" or not patient:
        return None
    eyes = (trial.get("result") or {}).get("eyes")
    norm = norms.single_leg_norm(age_years(patient.get("birth_date")), eyes, patient.get("sex"))
    if norm is None:
        return None
    return {
        "value": norm["mean_best_s"],
        "words": translations.gettext(REFERENCE_WORDS[eyes])
        % {"ages": norm["age_band"], "mean_s": norm["mean_best_s"]},
    }


def _chart(drill: str, metric: str, translations) -> dict:
    label, unit, meaning = measure_doc(metric, translations)
    return {
        "drill": drill,
        "drill_title": drill_title(drill, translations),
        "metric": metric,
        "label": label,
        "unit": unit,
        "meaning": meaning,
        "better": "lower" if lower_is_better(drill, metric) else "higher",
        "lines": {},
    }


def change(points: list[dict], chart: dict, mdc: Mdc | None, translations=ENGLISH) -> dict:
    """First to latest good result of a line: ``first``, ``latest``, ``change`` (latest -
    first), ``direction`` (``better``/``worse``/``same``), ``mdc`` (the smallest real change
    from the first value, in the measure's unit), ``mdc_source``, ``exceeds_mdc`` (None when
    no MDC is known) and ``words`` (in the language of ``translations``); with fewer than two
    good results only ``words``."""
    _ = translations.gettext
    good = [p for p in points if p["good"]]
    unit = f" {chart['unit']}" if chart["unit"] else ""
    if len(good) < 2:
        return {
            "words": _("One good result so far: the trend starts with the next one.")
            if good
            else _("No result that passed the data-quality checks yet.")
        }
    first, latest = good[0]["value"], good[-1]["value"]
    delta = latest - first
    lower_better = chart["better"] == "lower"
    direction = "same" if delta == 0 else ("better" if (delta < 0) == lower_better else "worse")
    said = {
        "first": first,
        "latest": latest,
        "change": delta,
        "unit": unit,
        "since": date.fromisoformat(good[0]["date"]),
        "until": date.fromisoformat(good[-1]["date"]),
    }
    words = _(FROM_TO_WORDS[chart["better"]]) % said
    if mdc is None:
        smallest, exceeds = None, None
        verdict = _(
            "No minimal detectable change is known for this test, so the station cannot say "
            "whether this is more than measurement noise."
        )
    else:
        smallest = mdc.of(first)
        exceeds = abs(delta) > smallest
        said.update(mdc=smallest, share=mdc.value)
        if not exceeds:
            verdict = MDC_NOISE_WORDS[mdc.relative]
        else:
            verdict = MDC_REAL_WORDS[(mdc.relative, direction)]
        verdict = _(verdict) % said
    words = f"{words} {verdict}"
    return {
        "first": first,
        "latest": latest,
        "change": delta,
        "direction": direction,
        "mdc": smallest,
        "mdc_source": None if mdc is None else mdc.source,
        "exceeds_mdc": exceeds,
        "words": words,
    }
