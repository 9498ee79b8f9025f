"""A trial's scores against published reference values for the patient's age, in plain words.

- Standing still (quiet stance, each mCTSIB condition): sway against the 10-90% bands of the
  age group and condition (Santos & Duarte 2016, CC BY 4.0), and an mCTSIB's sensory ratios
  against the bands over that data set's subjects. Only for a result scored under the
  published processing (the 10 Hz zero-lag low-pass, the prediction ellipse). The published
  trials lasted 60 s: the mean sway speed does not depend on a trial's length (it is a rate), so
  it is compared for any recording of at least MIN_SPEED_DURATION_S; the ellipse grows with the
  time the sway has to wander, so an area is compared only for a recording of 60 s.
- Single-leg stance: the best time against the mean best-of-three time of healthy adults of
  the age (and, eyes closed, the sex) in Springer et al. 2007, and the 5 s of Vellas et al.
  1997 for people aged 60 and over.
- The STEADI 4-stage test: the tandem time against the CDC's 10 s fall-risk cut-off (for
  adults aged 65 and over), and the one-foot stage against Vellas's 5 s.
- BESS and gait initiation: no norms could be verified, and ``reason`` says so.

Every comparison needs an adult with a known birth date; ``reason`` says why there is none.
Rows: ``condition``, ``metric``, ``label``, ``unit``, ``value``, ``reference`` (the published
value in words), ``p10``/``median``/``p90`` (a band; None for a mean), ``position``
(``below``/``within``/``above``) and ``words``. Every word is in the language of the
``translations`` catalog (gettext), English by default.
"""

from datetime import datetime
from gettext import NullTranslations

from drills.catalog import DRILLS
from drills.steadi import SHORT_STAGES, tandem_screened
from sensing import norms
from sensing.words import ENGLISH, N_
from station.records.patients import age_years
from station.results.measures import measure_doc, quality_label, scored_parts

METRICS = ("velocity_mean_cm_s", "area_ellipse95_cm2")
RATIOS = ("romberg_ratio", "foam_ratio")
MIN_SPEED_DURATION_S = 20.0
"""A shorter recording's mean speed is too uncertain to place in a band of 60 s trials."""
DURATION_TOLERANCE_S = 1.0
"""A recording within this of the published 60 s counts as the same length."""
GROUP_WORDS = {"young": N_("adults under 60"), "old": N_("adults aged 60 and over")}
POSITION_WORDS = {
    "below": N_("below the band: less sway than 9 in 10 published trials of %(group)s"),
    "within": N_("within the band of the middle 80%% of %(group)s"),
    "above": N_("above the band: more sway than 9 in 10 published trials of %(group)s"),
}
RATIO_WORDS = {
    "below": N_("below the band of 9 in 10 %(group)s of the data set"),
    "within": N_("within the band of the middle 80%% of %(group)s"),
    "above": N_("above the band: relies on %(sense)s more than 9 in 10 %(group)s"),
}
RATIO_SENSES = {"romberg_ratio": N_("vision"), "foam_ratio": N_("the feel of the ground")}
SINGLE_LEG_INTROS = {
    ("left", "open"): N_(
        "Best of three on the left leg, eyes open, against healthy adults of the same age (mean "
        "best-of-three time; the paper gives no spread the station could check)."
    ),
    ("left", "closed"): N_(
        "Best of three on the left leg, eyes closed, against healthy adults of the same age "
        "(mean best-of-three time; the paper gives no spread the station could check)."
    ),
    ("right", "open"): N_(
        "Best of three on the right leg, eyes open, against healthy adults of the same age "
        "(mean best-of-three time; the paper gives no spread the station could check)."
    ),
    ("right", "closed"): N_(
        "Best of three on the right leg, eyes closed, against healthy adults of the same age "
        "(mean best-of-three time; the paper gives no spread the station could check)."
    ),
}
"""What a single-leg comparison reads, by leg and eyes (whole sentences, so each language
orders its words)."""


def compare_with_norms(
    trial: dict, patient: dict, translations: NullTranslations = ENGLISH
) -> dict:
    """``source``, ``group`` (``young``/``old``/None), ``group_words``, ``age_years``, ``intro``
    (what is compared, in words), ``processing``, ``rows`` (see the module docstring),
    ``notes`` and ``reason`` (why nothing is compared, else None); the words in the language
    of ``translations``."""
    _ = translations.gettext
    out = {
        "source": norms.SOURCE,
        "source_short": norms.SOURCE_SHORT,
        "group": None,
        "group_words": None,
        "age_years": None,
        "intro": None,
        "processing": None,
        "rows": [],
        "notes": [],
        "reason": None,
    }
    if trial["drill"] == "steadi-4-stage":
        return _steadi(out, trial, patient, translations)
    if trial["drill"] == "gait-initiation":
        out["reason"] = _(
            "No published values in millimetres and milliseconds could be verified for gait "
            "initiation on a plate like this one: compare the patient's legs with each other "
            "(the asymmetry) and with their own earlier results (docs/clinical.md)."
        )
        return out
    if trial["drill"] == "bess":
        out["reason"] = _(
            "No adult BESS norms by age could be verified (Iverson & Koehle 2013's tables "
            "could not be read): follow the patient's own totals against the minimal "
            "detectable change (7.3 errors) on the progress page. For scale, young athletes "
            "score about 9-20 errors at baseline (docs/clinical.md)."
        )
        return out
    single_leg = trial["drill"] == "single-leg-stance"
    parts = [
        p
        for p in scored_parts(trial, translations=translations)
        if p["eyes"] and p["measures"].get(METRICS[0])
    ]
    if single_leg:
        out["source"] = out["source_short"] = norms.SINGLE_LEG_SOURCE
        best = (trial.get("result") or {}).get("best_stance_time_s")
        if best is None:
            out["reason"] = _("This trial has no single-leg stance time to compare.")
            return out
    elif not parts:
        out["reason"] = _(
            "Published values exist for standing still (quiet stance and the mCTSIB "
            "conditions) and single-leg stance once scored; this trial has no such scores."
        )
        return out
    if parts and all(p["surface"] == "disc" for p in parts):
        out["reason"] = _(
            "No published values exist for sway on a balance disc: compare the patient with "
            "their own earlier results on the disc (the progress page keeps it apart)."
        )
        return out
    age = _adult_age(out, trial, patient, translations)
    if age is None:
        return out
    if single_leg:
        return _single_leg(out, trial["result"], age, patient.get("sex"), translations)
    return _standing(out, trial, parts, age, translations)


def _adult_age(out: dict, trial: dict, patient: dict, translations: NullTranslations) -> int | None:
    """The patient's age when the trial started (also into ``out``), or None with ``reason``
    set when it is unknown or under adult age."""
    on = datetime.fromisoformat(trial["started_at"]).astimezone().date()
    age = age_years(patient.get("birth_date"), on)
    out["age_years"] = age
    if age is None:
        out["reason"] = translations.gettext(
            "Add the patient's birth date to compare with the published values of their age group."
        )
        return None
    if age < norms.ADULT_FROM_AGE_YEARS:
        out["reason"] = translations.ngettext(
            "The published values are for adults; the patient was %(age)d year old.",
            "The published values are for adults; the patient was %(age)d years old.",
            age,
        ) % {"age": age}
        return None
    return age


def _steadi(out: dict, trial: dict, patient: dict, translations: NullTranslations) -> dict:
    """The tandem time against the CDC's cut-off, the one-foot stage against Vellas's 5 s."""
    _ = translations.gettext
    out["source"] = out["source_short"] = norms.STEADI_SOURCE
    result = trial.get("result") or {}
    tandem_s = result.get("tandem_time_s")
    if tandem_s is None:
        out["reason"] = _("This test ended before it could time tandem stance.")
        return out
    if not tandem_screened(result):
        out["reason"] = _(SHORT_STAGES) % {"hold": result["hold_s"], "cut": norms.STEADI_TANDEM_S}
        return out
    age = _adult_age(out, trial, patient, translations)
    if age is None:
        return out
    cut_s = norms.STEADI_TANDEM_S
    cut = {"cut": cut_s}
    label, unit = measure_doc("tandem_time_s", translations=translations)[:2]
    below = tandem_s < cut_s - 1e-9
    out["intro"] = (
        _(
            "The CDC's STEADI screen for older adults: tandem stance (heel against toe) held "
            "for %(cut)g s, or not."
        )
        % cut
    )
    reached = any(s.get("stance") == "tandem" for s in result.get("stages") or [])
    if not below:
        words = _("held the %(cut)g s") % cut
    elif reached:
        words = _("under the CDC's %(cut)g s: increased risk of falling") % cut
    else:
        words = (
            _(
                "not reached: an easier stance ended the test, under the CDC's %(cut)g s: "
                "increased risk of falling"
            )
            % cut
        )
    out["rows"].append(
        {
            "condition": _("tandem stance"),
            "metric": "tandem_time_s",
            "label": label,
            "unit": unit,
            "value": tandem_s,
            "reference": translations.gettext("%(seconds)g s (CDC STEADI)") % {"seconds": cut_s},
            "p10": None,
            "median": cut_s,
            "p90": None,
            "position": "below" if below else "within",
            "words": words,
            "quality": "",
        }
    )
    if age < norms.STEADI_FROM_AGE_YEARS:
        out["notes"].append(
            _(
                "The CDC's cut-off is for adults aged %(from_age)d and over; the patient was "
                "%(age)d."
            )
            % {"from_age": norms.STEADI_FROM_AGE_YEARS, "age": age}
        )
    one_foot = next((s for s in result["stages"] if s["stance"] == "one-foot"), None)
    if age >= 60 and one_foot and one_foot["time_s"] < norms.SINGLE_LEG_FALL_RISK_S:
        out["notes"].append(
            _(
                "Under %(cut)g s on one foot: older people who could not stand %(cut)g s on one "
                "leg had twice the risk of an injurious fall (Vellas et al. 1997)."
            )
            % {"cut": norms.SINGLE_LEG_FALL_RISK_S}
        )
    return out


def _standing(
    out: dict, trial: dict, parts: list[dict], age: int, translations: NullTranslations
) -> dict:
    """Each standing-still part's sway, and the sensory ratios, against the age group's bands."""
    _ = translations.gettext
    options = ((trial.get("result") or {}).get("conventions") or {}).get("options") or {}
    if any(options.get(k) != v for k, v in norms.CONVENTIONS.items()):
        out["reason"] = _(
            "This result was scored under other conventions (filter, resampling or ellipse) "
            "than the published values, so they cannot be compared: re-analyse it with the "
            "published processing (10 Hz zero-lag low-pass, prediction ellipse)."
        )
        return out
    group = norms.age_group(age)
    words = _(GROUP_WORDS[group])
    out.update(group=group, group_words=words)
    out["intro"] = _(
        "Sway of %(group)s standing still: the band is the middle 80%% (10th to 90th "
        "percentile) of the published trials."
    ) % {"group": words}
    out["processing"] = _(
        "Scored as the published values were: the COP low-passed at 10 Hz (zero lag), sway "
        "speed as path length over time, the 95% prediction ellipse."
    )
    skipped_area = False
    for part in parts:
        duration = part["measures"].get("duration_s") or 0.0
        full_length = abs(duration - norms.TRIAL_DURATION_S) <= DURATION_TOLERANCE_S
        for metric in METRICS:
            if metric == "area_ellipse95_cm2" and not full_length:
                skipped_area = True
                continue
            if metric == "velocity_mean_cm_s" and duration < MIN_SPEED_DURATION_S:
                continue
            band = norms.band_for(group, part["eyes"], part["surface"], metric)
            row = _band_row(
                part["condition"], metric, part["measures"].get(metric), band, translations
            )
            if row is not None:
                row["words"] = _(POSITION_WORDS[row["position"]]) % {"group": words}
                row["quality"] = quality_label(part["quality"], translations=translations)
                out["rows"].append(row)
    result = trial.get("result") or {}
    for ratio in RATIOS:
        band = norms.SENSORY_RATIOS.get((group, ratio))
        row = _band_row(_("sensory ratio"), ratio, result.get(ratio), band, translations)
        if row is not None:
            row["words"] = _(RATIO_WORDS[row["position"]]) % {
                "group": words,
                "sense": _(RATIO_SENSES[ratio]),
            }
            row["quality"] = ""
            out["rows"].append(row)
    durations = {round(p["measures"].get("duration_s") or 0.0) for p in parts}
    if skipped_area:
        out["notes"].append(
            _(
                "The published trials lasted %(published)g s; this one %(durations)s s. Sway "
                "speed is a rate and is compared; the ellipse grows with the time sway has to "
                "wander, so its area is compared only for %(published)g s recordings."
            )
            % {
                "published": norms.TRIAL_DURATION_S,
                "durations": ", ".join(f"{d:g}" for d in sorted(durations)),
            }
        )
    if any(r["metric"] in RATIOS for r in out["rows"]):
        out["notes"].append(
            _(
                "Sensory ratios: sway speed with eyes closed over eyes open on firm ground "
                "(Romberg), and on foam over firm with eyes open; their bands are our "
                "computation from the same data set's per-trial published values (median of "
                "each subject's three trials)."
            )
        )
    return out


def _band_row(
    condition: str, metric: str, value, band, translations: NullTranslations
) -> dict | None:
    """A row placing ``value`` in ``band``; None when either is missing."""
    position = None if value is None or band is None else norms.band_position(value, band)
    if position is None:
        return None
    label, unit = measure_doc(metric, translations=translations)[:2]
    return {
        "condition": condition,
        "metric": metric,
        "label": label,
        "unit": unit,
        "value": value,
        # TRANSLATORS: a published band, its 10th to 90th percentile and (its median)
        "reference": translations.gettext("%(p10)g-%(p90)g%(unit)s (%(median)g)")
        % {
            "p10": band.p10,
            "p90": band.p90,
            "unit": f" {unit}" if unit else "",
            "median": band.median,
        },
        "p10": band.p10,
        "median": band.median,
        "p90": band.p90,
        "position": position,
    }


def _single_leg(
    out: dict, result: dict, age: int, sex: str | None, translations: NullTranslations
) -> dict:
    """The best time against the mean of healthy adults of the age (and sex, eyes closed), and
    against Vellas's 5 s at 60 and over."""
    _ = translations.gettext
    eyes, leg = result.get("eyes"), result.get("leg")
    norm = norms.single_leg_norm(age, eyes, sex)
    best = result["best_stance_time_s"]
    if norm is None:
        out["reason"] = (
            _("The published eyes-closed values are by sex: set the patient's sex to compare.")
            if eyes == "closed"
            else translations.ngettext(
                "No published single-leg value applies to %(age)d year.",
                "No published single-leg value applies to %(age)d years.",
                age,
            )
            % {"age": age}
        )
        return out
    mean = norm["mean_best_s"]
    max_s = result.get("max_s")
    if result.get("max_reached") and max_s is not None and max_s < mean:
        # held to the end of a trial shorter than the age group's mean: the patient may stand
        # longer, so "below the mean" would be a deficit the test could not show
        out["reason"] = _(
            "The patient held to the end of the trial (%(max)g s), which stops before the "
            "mean best time of healthy adults aged %(band)s (%(mean)g s): compare a trial "
            "of up to 45 s, as the published ones were."
        ) % {"max": max_s, "band": norm["age_band"], "mean": mean}
        return out
    position = "below" if best < mean else "within"
    label, unit = measure_doc("best_stance_time_s", translations=translations)[:2]
    at_limit = mean >= 44  # the trials stopped at 45 s
    words = (
        _(
            "%(share).0f%% of the mean best time of healthy adults aged %(band)s (that mean is "
            "at the 45 s limit: most reach it)"
        )
        if at_limit
        else _("%(share).0f%% of the mean best time of healthy adults aged %(band)s")
    ) % {"share": 100 * best / mean, "band": norm["age_band"]}
    out["intro"] = _(SINGLE_LEG_INTROS[(leg, eyes)])
    out["rows"].append(
        {
            "condition": DRILLS["single-leg-stance"].condition_words(
                result, translations=translations
            ),
            "metric": "best_stance_time_s",
            "label": label,
            "unit": unit,
            "value": best,
            "reference": _("mean %(mean)g s (ages %(band)s)")
            % {"mean": mean, "band": norm["age_band"]},
            "p10": None,
            "median": mean,
            "p90": None,
            "position": position,
            "words": words,
            "quality": "",
        }
    )
    if age >= 60 and best < norms.SINGLE_LEG_FALL_RISK_S:
        out["notes"].append(
            _(
                "Under %(cut)g s on one leg: older people who could not stand %(cut)g s on one "
                "leg had twice the risk of an injurious fall (Vellas et al. 1997)."
            )
            % {"cut": norms.SINGLE_LEG_FALL_RISK_S}
        )
    return out
