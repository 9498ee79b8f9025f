"""The Patient-Specific Functional Scale (PSFS): activities the patient names, each rated.

The patient names three to five activities they find hard because of the problem treated
(getting up from a chair, walking on grass, ...) and rates each from 0 (unable) to 10 (able as
before); the score is their mean (Stratford et al. 1995). The same activities are rated again
at re-evaluation. A change of the mean of 2 points or more is called clinically important:
about 2 points is both the smallest detectable and the minimal important change in primary
care (Moseng et al. 2013), and sizes follow Abbott & Schmitt 2014 (1,708 patients: 1.3 small,
2.3 medium, 2.7 large). Single activities are shown, not judged (docs/clinical.md, "PSFS").
"""

from sensing.words import N_
from station.errors import FieldError
from station.records.refusals import AT_MOST_CHARACTERS
from station.records.text import clean_line

MIN_ACTIVITIES, MAX_ACTIVITIES = 3, 5
ACTIVITY_LIMIT = 80
IMPORTANT_CHANGE = 2.0
SIZES = ((2.7, "large"), (2.3, "medium"), (1.3, "small"))
"""Abbott & Schmitt 2014's minimal important changes of the mean, points, by size."""


class PsfsError(FieldError, ValueError):
    """A PSFS that cannot be recorded as given; ``field`` names the part to fix."""


def validate_psfs(items) -> list[dict] | None:
    """``[{"activity", "score"}, ...]`` cleaned: 3 to 5 named activities (up to 80
    characters, no two alike), each scored 0-10 in whole points; None or [] when not asked."""
    if items is None or items == []:
        return None
    if not isinstance(items, list):
        raise PsfsError("psfs", N_("expected a list of {activity, score}"))
    if not MIN_ACTIVITIES <= len(items) <= MAX_ACTIVITIES:
        raise PsfsError(
            "psfs",
            N_("name %(least)d to %(most)d activities the patient finds hard, got %(count)d"),
            least=MIN_ACTIVITIES,
            most=MAX_ACTIVITIES,
            count=len(items),
        )
    out, seen = [], set()
    for i, item in enumerate(items, start=1):
        field = f"psfs[{i}]"
        if not isinstance(item, dict) or set(item) - {"activity", "score"}:
            raise PsfsError(field, N_("expected {activity, score}"))
        activity = item.get("activity")
        activity = clean_line(activity) if isinstance(activity, str) else ""
        if not activity:
            raise PsfsError(
                f"{field}.activity", N_("name the activity (for example 'climb stairs')")
            )
        if len(activity) > ACTIVITY_LIMIT:
            raise PsfsError(f"{field}.activity", AT_MOST_CHARACTERS, limit=ACTIVITY_LIMIT)
        if activity.casefold() in seen:
            raise PsfsError(
                f"{field}.activity", N_("'%(activity)s' is named twice"), activity=activity
            )
        seen.add(activity.casefold())
        score = item.get("score")
        if isinstance(score, str) and score.strip().isdigit():
            score = int(score)
        if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 10:
            raise PsfsError(
                f"{field}.score",
                N_("rate it from 0 (unable) to 10 (able as before), got %(value)r"),
                value=score,
            )
        out.append({"activity": activity, "score": score})
    return out


def psfs_score(items: list[dict] | None) -> float | None:
    """The PSFS score: the mean rating, 0-10, to one decimal (None when not asked)."""
    if not items:
        return None
    return round(sum(i["score"] for i in items) / len(items), 1)


def psfs_change(first: list[dict], latest: list[dict], span: str) -> dict:
    """``{"before", "after", "change", "important", "size", "activities", "words"}``: the
    mean from ``first`` to ``latest``, judged, and each activity rated both times with its
    own change (``span`` names the dates in words)."""
    before, after = psfs_score(first), psfs_score(latest)
    change = round(after - before, 1)
    size = next((name for low, name in SIZES if abs(change) >= low), None)
    important = abs(change) >= IMPORTANT_CHANGE
    then = {i["activity"].casefold(): i["score"] for i in first}
    activities = [
        {"activity": i["activity"], "before": then[key], "after": i["score"]}
        for i in latest
        if (key := i["activity"].casefold()) in then
    ]
    if change == 0:
        words = f"PSFS unchanged {span} ({before:g}/10)"
    else:
        way = "better" if change > 0 else "worse"
        verdict = (
            f"a clinically important change ({size})"
            if important
            else "within the scale's error (under 2 points)"
        )
        words = f"PSFS {before:g} to {after:g} {span}: {abs(change):g} points {way}, {verdict}"
    return {
        "before": before,
        "after": after,
        "change": change,
        "important": important,
        "size": size,
        "activities": activities,
        "words": words,
    }


def psfs_course(visits: list[dict]) -> dict:
    """The PSFS of a patient's ``visits`` (any order, ``psfs`` decoded): ``rows`` oldest
    first (``visit_id``, ``visit_date``, ``score``, ``items``) and ``change`` from the first
    to the latest (``psfs_change``; None with fewer than two)."""
    rated = sorted((v for v in visits if v["psfs"]), key=lambda v: (v["visit_date"], v["id"]))
    rows = [
        {
            "visit_id": v["id"],
            "visit_date": v["visit_date"],
            "score": psfs_score(v["psfs"]),
            "items": v["psfs"],
        }
        for v in rated
    ]
    change = None
    if len(rated) >= 2:
        first, last = rated[0], rated[-1]
        span = f"from {first['visit_date']} to {last['visit_date']}"
        change = psfs_change(first["psfs"], last["psfs"], span)
    return {"rows": rows, "change": change}
