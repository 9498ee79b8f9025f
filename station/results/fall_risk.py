"""A patient's fall-risk screens: the latest result of each standard test that has a published
fall-risk cut-off, read against it, with the source (docs/clinical.md, "Fall-risk screens").

- STEADI 4-stage: tandem stance under 10 s (the CDC; for adults aged 65 and over).
- Single-leg stance, eyes open: under 5 s on the better leg (Vellas et al. 1997: twice the risk
  of an injurious fall, people over 60).
- mCTSIB condition 4 (foam, eyes closed): held under 10 s (5.5 times the odds of a fall in the
  past year, 1,174 people aged 4-83; Front Neurol 2017).

Each screen says ``at_risk`` True or False, or None with ``words`` saying why it cannot (not
done, or the patient outside the cut-off's ages). Every word is in the language of the
``translations`` catalog (gettext), English by default.
"""

from datetime import datetime
from gettext import NullTranslations

from drills.steadi import CDC_HOLD_S, SHORT_STAGES, tandem_screened
from sensing.words import ENGLISH, N_
from station.records.patients import age_years

SCREEN_DRILLS = ("steadi-4-stage", "single-leg-stance", "mctsib")
"""The drills whose latest results the screens read."""

STEADI_SOURCE = N_("CDC STEADI 4-Stage Balance Test (assessment form)")
VELLAS_SOURCE = N_("Vellas BJ et al. J Am Geriatr Soc 1997;45:735-8 (316 people over 60)")
FOAM_SOURCE = N_(
    "Balance screening of vestibular function in subjects aged 4 years and older, Front Neurol "
    "2017 (doi:10.3389/fneur.2017.00631; 1,174 people): odds of a fall in the past year"
)
BETTER_LEG_TIMES = {"left": N_("%(time)g s (left leg)"), "right": N_("%(time)g s (right leg)")}
"""The single-leg screen's value, by the better leg."""


def fall_risk_screens(
    trials: list[dict], patient: dict, translations: NullTranslations = ENGLISH
) -> list[dict]:
    """Per screen: ``test``, ``cut_off`` (words), ``value`` (the patient's, in words, or None),
    ``at_risk`` (True, False or None), ``words``, ``source``, ``trial_id`` and ``date`` of the
    result read; the words in the language of ``translations``. ``trials``: the patient's
    trials, oldest first (any drills)."""
    done = [t for t in trials if t["drill"] in SCREEN_DRILLS and t.get("state") == "completed"]
    return [
        _steadi(done, patient, translations),
        _single_leg(done, patient, translations),
        _foam(done, translations),
    ]


def _latest(trials: list[dict], drill: str, keep=lambda result: True) -> dict | None:
    found = [t for t in trials if t["drill"] == drill and keep(t.get("result") or {})]
    return found[-1] if found else None


def _screen(
    test: str, cut_off: str, source: str, trial: dict | None, translations: NullTranslations
) -> dict:
    """A screen not read yet: its test, cut-off and source (marked messages) in the language of
    ``translations``, and the result it will read."""
    _ = translations.gettext
    return {
        "test": _(test),
        "cut_off": _(cut_off),
        "source": _(source),
        "value": None,
        "at_risk": None,
        "words": _("Not done yet."),
        "trial_id": trial["id"] if trial else None,
        "date": trial["started_at"][:10] if trial else None,
    }


def _age_on(trial: dict, patient: dict) -> int | None:
    return age_years(patient.get("birth_date"), datetime.fromisoformat(trial["started_at"]).date())


def _steadi(trials: list[dict], patient: dict, translations: NullTranslations) -> dict:
    _ = translations.gettext
    trial = _latest(trials, "steadi-4-stage", tandem_screened)
    out = _screen(
        N_("STEADI 4-stage: tandem stance"), N_("under 10 s"), STEADI_SOURCE, trial, translations
    )
    if trial is None:
        timed = _latest(trials, "steadi-4-stage", lambda r: r.get("tandem_time_s") is not None)
        if timed is not None:  # done, but with stages too short to read
            out["words"] = _(SHORT_STAGES) % {"hold": timed["result"]["hold_s"], "cut": CDC_HOLD_S}
        return out
    tandem_s = trial["result"]["tandem_time_s"]
    reached = any(s.get("stance") == "tandem" for s in trial["result"].get("stages") or [])
    out["value"] = (
        _("%(seconds)g s") % {"seconds": tandem_s}
        if reached
        else _("not reached (an easier stance ended it)")
    )
    out["at_risk"] = tandem_s < CDC_HOLD_S - 1e-9
    out["words"] = (
        _("Increased risk of falling (the CDC's cut-off).") if out["at_risk"] else _("Held 10 s.")
    )
    age = _age_on(trial, patient)
    if age is not None and age < 65:
        out["words"] += " " + _(
            "The cut-off is for adults aged 65 and over; the patient was %(age)d."
        ) % {"age": age}
    return out


def _single_leg(trials: list[dict], patient: dict, translations: NullTranslations) -> dict:
    _ = translations.gettext
    out = _screen(
        N_("Single-leg stance, eyes open (better leg)"),
        N_("under 5 s"),
        VELLAS_SOURCE,
        None,
        translations,
    )
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
    out["value"] = _(BETTER_LEG_TIMES[best["result"]["leg"]]) % {"time": best_s}
    age = _age_on(best, patient)
    if age is None:
        out["words"] = _("The cut-off is for people over 60; add the birth date.")
        return out
    if age < 60:
        out["words"] = _("The cut-off is for people over 60; the patient was %(age)d.") % {
            "age": age
        }
        return out
    out["at_risk"] = best_s < 5.0
    out["words"] = (
        _("Twice the risk of an injurious fall (Vellas).") if out["at_risk"] else _("5 s or more.")
    )
    return out


def _foam(trials: list[dict], translations: NullTranslations) -> dict:
    _ = translations.gettext
    trial = _latest(trials, "mctsib", lambda r: len(r.get("conditions") or []) == 4)
    out = _screen(
        N_("mCTSIB: foam, eyes closed"), N_("held under 10 s"), FOAM_SOURCE, trial, translations
    )
    if trial is None:
        return out
    held_s = trial["result"]["conditions"][3]["time_held_s"]
    out["value"] = _("%(time).1f s held") % {"time": held_s}
    out["at_risk"] = held_s < 10.0
    out["words"] = (
        _("5.5 times the odds of having fallen in the past year.")
        if out["at_risk"]
        else _("10 s or more.")
    )
    return out
