"""Pain on the 0-10 numeric rating scale (NPRS) and whether a change in it matters.

The patient rates the pain of the moment, 0 no pain to 10 the worst imaginable, at the start
and at the end of each visit. A change of 2 points or more is judged clinically important: it
is the minimal clinically important difference of Farrar et al. 2001 (a reduction of about 2
points or 30% was "much improved" in chronic pain) and the smallest change beyond measurement
error in Childs et al. 2005 (MDC 2 points), so a smaller change, up or down, may be noise.
The percentage is shown beside it (docs/clinical.md, "Pain").
"""

MIN_PAIN, MAX_PAIN = 0, 10
IMPORTANT_CHANGE = 2
"""Points of change on the 0-10 scale judged clinically important (Farrar 2001; Childs 2005)."""


def pain_change(
    before: int | None, after: int | None, what: str = "during the visit"
) -> dict | None:
    """``{"before", "after", "change", "percent", "important", "words"}`` for a change from
    ``before`` to ``after`` (0-10 ratings; ``change`` is after minus before, ``percent`` of
    ``before``, None from 0); None unless both were rated. ``what`` names the span in words."""
    if before is None or after is None:
        return None
    change = after - before
    percent = None if before == 0 else round(100 * change / before)
    important = abs(change) >= IMPORTANT_CHANGE
    if change == 0:
        words = f"pain unchanged {what} ({before}/10)"
    else:
        way = "less" if change < 0 else "more"
        size = f"{abs(change)} point{'s' if abs(change) != 1 else ''} {way}"
        share = "" if percent is None else f", {abs(percent)}%"
        verdict = (
            "a clinically important change (2 points or more)"
            if important
            else "within what the scale's measurement error allows (under 2 points)"
        )
        words = f"pain {before}/10 to {after}/10 {what}: {size}{share}, {verdict}"
    return {
        "before": before,
        "after": after,
        "change": change,
        "percent": percent,
        "important": important,
        "words": words,
    }


def pain_course(visits: list[dict]) -> dict:
    """The pain ratings of a patient's ``visits`` (any order): ``rows`` oldest first
    (``visit_id``, ``visit_date``, ``before``, ``after``, ``change`` during the visit) for the
    visits with a rating, and ``change`` from the first visit's pain on arrival to the latest
    one's (``pain_change``; None with fewer than two arrivals rated)."""
    rated = sorted(
        (v for v in visits if v["pain_before"] is not None or v["pain_after"] is not None),
        key=lambda v: (v["visit_date"], v["id"]),
    )
    rows = [
        {
            "visit_id": v["id"],
            "visit_date": v["visit_date"],
            "before": v["pain_before"],
            "after": v["pain_after"],
            "change": pain_change(v["pain_before"], v["pain_after"]),
        }
        for v in rated
    ]
    arrivals = [v for v in rated if v["pain_before"] is not None]
    change = None
    if len(arrivals) >= 2:
        first, last = arrivals[0], arrivals[-1]
        span = f"on arrival from {first['visit_date']} to {last['visit_date']}"
        change = pain_change(first["pain_before"], last["pain_before"], span)
    return {"rows": rows, "change": change}
