"""A trial's standing-still scores against the published 10-90% bands of the patient's age
group and condition (``sensing.norms``: Santos & Duarte 2016, CC BY 4.0), in plain words.

The comparison applies only where it means something: a standing-still recording (quiet
stance, an mCTSIB condition), an adult with a known birth date, and a result scored under the
published conventions; otherwise ``reason`` says why there is none.
"""

from datetime import datetime

from sensing import norms
from station.patients import age_years
from station.trial_measures import measure_doc, quality_label, scored_parts

METRICS = ("velocity_mean_cm_s", "area_ellipse95_cm2")
GROUP_WORDS = {"young": "adults under 60", "old": "adults aged 60 and over"}
POSITION_WORDS = {
    "below": "below the band: less sway than 9 in 10 published trials of {group}",
    "within": "within the band of the middle 80% of {group}",
    "above": "above the band: more sway than 9 in 10 published trials of {group}",
}


def compare_with_norms(trial: dict, patient: dict) -> dict:
    """``source``, ``group`` (``young``/``old``/None), ``group_words``, ``age_years``,
    ``rows`` (per part and metric: ``condition``, ``metric``, ``label``, ``unit``, ``value``,
    ``p10``, ``median``, ``p90``, ``position``, ``words``, ``quality``), ``notes`` and
    ``reason`` (why nothing is compared, else None)."""
    out = {
        "source": norms.SOURCE,
        "source_short": norms.SOURCE_SHORT,
        "group": None,
        "group_words": None,
        "age_years": None,
        "rows": [],
        "notes": [],
        "reason": None,
    }
    parts = [p for p in scored_parts(trial) if p["eyes"] and p["measures"].get(METRICS[0])]
    if not parts:
        out["reason"] = (
            "Published bands exist for standing still (quiet stance and the mCTSIB conditions) "
            "once scored; this trial has no such scores."
        )
        return out
    on = datetime.fromisoformat(trial["started_at"]).astimezone().date()
    age = age_years(patient.get("birth_date"), on)
    out["age_years"] = age
    group = norms.age_group(age)
    if age is None:
        out["reason"] = (
            "Add the patient's birth date to compare with the published values of their age group."
        )
        return out
    if group is None:
        out["reason"] = f"The published values are for adults; the patient was {age} years old."
        return out
    options = ((trial.get("result") or {}).get("conventions") or {}).get("options") or {}
    if any(options.get(k) != v for k, v in norms.CONVENTIONS.items()):
        out["reason"] = (
            "This result was scored under other conventions (filter, resampling or ellipse) "
            "than the published values, so they cannot be compared."
        )
        return out
    out.update(group=group, group_words=GROUP_WORDS[group])
    for part in parts:
        for metric in METRICS:
            value = part["measures"].get(metric)
            band = norms.band_for(group, part["eyes"], part["surface"], metric)
            position = None if value is None or band is None else norms.band_position(value, band)
            if position is None:
                continue
            label, unit, _ = measure_doc(metric)
            out["rows"].append(
                {
                    "condition": part["condition"],
                    "metric": metric,
                    "label": label,
                    "unit": unit,
                    "value": value,
                    "p10": band.p10,
                    "median": band.median,
                    "p90": band.p90,
                    "position": position,
                    "words": POSITION_WORDS[position].format(group=GROUP_WORDS[group]),
                    "quality": quality_label(part["quality"]),
                }
            )
    durations = {round(p["measures"].get("duration_s") or 0.0) for p in parts}
    if durations != {round(norms.TRIAL_DURATION_S)}:
        out["notes"].append(
            f"The published trials lasted {norms.TRIAL_DURATION_S:g} s; these lasted "
            f"{', '.join(f'{d:g}' for d in sorted(durations))} s. Sway speed depends little on "
            "the length; the ellipse area grows with it, so compare areas with care."
        )
    return out
