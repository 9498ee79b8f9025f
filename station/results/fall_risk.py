"""A patient's fall-risk screens: the latest result of each standard test that has a published
fall-risk cut-off, read against it, with the source (docs/clinical.md, "Fall-risk screens").

- STEADI 4-stage: tandem stance under 10 s (the CDC; for adults aged 65 and over).
- Single-leg stance, eyes open: under 5 s on the better leg (Vellas et al. 1997: twice the risk
  of an injurious fall, people over 60).
- mCTSIB condition 4 (foam, eyes closed): held under 10 s (5.5 times the odds of a fall in the
  past year, 1,174 people aged 4-83; Front Neurol 2017).

Each screen says ``at_risk`` True or False, or None with ``words`` saying why it cannot (not
done, or the patient outside the cut-off's ages).
"""

from datetime import datetime

from station.records.patients import age_years

SCREEN_DRILLS = ("steadi-4-stage", "single-leg-stance", "mctsib")
"""The drills whose latest results the screens read."""

STEADI_SOURCE = "CDC STEADI 4-Stage Balance Test (assessment form)"
VELLAS_SOURCE = "Vellas BJ et al. J Am Geriatr Soc 1997;45:735-8 (316 people over 60)"
FOAM_SOURCE = (
    "Balance screening of vestibular function in subjects aged 4 years and older, Front Neurol "
    "2017 (doi:10.3389/fneur.2017.00631; 1,174 people): odds of a fall in the past year"
)


def fall_risk_screens(trials: list[dict], patient: dict) -> list[dict]:
    """Per screen: ``test``, ``cut_off`` (words), ``value`` (the patient's, in words, or None),
    ``at_risk`` (True, False or None), ``words``, ``source``, ``trial_id`` and ``date`` of the
    result read. ``trials``: the patient's trials, oldest first (any drills)."""
    done = [t for t in trials if t["drill"] in SCREEN_DRILLS and t.get("state") == "completed"]
    return [_steadi(done, patient), _single_leg(done, patient), _foam(done)]


def _latest(trials: list[dict], drill: str, keep=lambda result: True) -> dict | None:
    found = [t for t in trials if t["drill"] == drill and keep(t.get("result") or {})]
    return found[-1] if found else None


def _screen(test: str, cut_off: str, source: str, trial: dict | None) -> dict:
    return {
        "test": test,
        "cut_off": cut_off,
        "source": source,
        "value": None,
        "at_risk": None,
        "words": "Not done yet.",
        "trial_id": trial["id"] if trial else None,
        "date": trial["started_at"][:10] if trial else None,
    }


def _age_on(trial: dict, patient: dict) -> int | None:
    return age_years(patient.get("birth_date"), datetime.fromisoformat(trial["started_at"]).date())


def _steadi(trials: list[dict], patient: dict) -> dict:
    trial = _latest(trials, "steadi-4-stage", lambda r: r.get("tandem_time_s") is not None)
    out = _screen("STEADI 4-stage: tandem stance", "under 10 s", STEADI_SOURCE, trial)
    if trial is None:
        return out
    tandem_s = trial["result"]["tandem_time_s"]
    reached = any(s.get("stance") == "tandem" for s in trial["result"].get("stages") or [])
    out["value"] = f"{tandem_s:g} s" if reached else "not reached (an easier stance ended it)"
    out["at_risk"] = tandem_s < 10.0 - 1e-9
    out["words"] = (
        "Increased risk of falling (the CDC's cut-off)." if out["at_risk"] else "Held 10 s."
    )
    age = _age_on(trial, patient)
    if age is not None and age < 65:
        out["words"] += f" The cut-off is for adults aged 65 and over; the patient was {age}."
    return out


def _single_leg(trials: list[dict], patient: dict) -> dict:
    out = _screen("Single-leg stance, eyes open (better leg)", "under 5 s", VELLAS_SOURCE, None)
    latest = {
        leg: _latest(
            trials,
            "single-leg-stance",
            lambda r, leg=leg: r.get("eyes") == "open" and r.get("leg") == leg,
        )
        for leg in ("left", "right")
    }
    found = [t for t in latest.values() if t and t["result"].get("best_stance_time_s") is not None]
    if not found:
        return out
    best = max(found, key=lambda t: t["result"]["best_stance_time_s"])
    best_s = best["result"]["best_stance_time_s"]
    out.update(trial_id=best["id"], date=best["started_at"][:10])
    out["value"] = f"{best_s:g} s ({best['result']['leg']} leg)"
    age = _age_on(best, patient)
    if age is None or age < 60:
        out["words"] = "The cut-off is for people over 60" + (
            "; add the birth date." if age is None else f"; the patient was {age}."
        )
        return out
    out["at_risk"] = best_s < 5.0
    out["words"] = (
        "Twice the risk of an injurious fall (Vellas)." if out["at_risk"] else "5 s or more."
    )
    return out


def _foam(trials: list[dict]) -> dict:
    trial = _latest(trials, "mctsib", lambda r: len(r.get("conditions") or []) == 4)
    out = _screen("mCTSIB: foam, eyes closed", "held under 10 s", FOAM_SOURCE, trial)
    if trial is None:
        return out
    held_s = trial["result"]["conditions"][3]["time_held_s"]
    out["value"] = f"{held_s:.1f} s held"
    out["at_risk"] = held_s < 10.0
    out["words"] = (
        "5.5 times the odds of having fallen in the past year."
        if out["at_risk"]
        else "10 s or more."
    )
    return out
