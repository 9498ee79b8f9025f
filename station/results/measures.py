"""A stored trial's scores as parts a person reads and a CSV holds: one part per scored
recording (an mCTSIB trial has one per condition and one for its totals), each with its
condition in words, its numeric measures, its data-quality gate and its recording window.

Drills store their scores in different shapes (``metrics``, top-level keys, per-condition
lists); this module is the one place that knows them, so pages, the report, the progress
charts and the exports show the same numbers under the same names.
"""

from drills.catalog import DRILLS, result_doc
from drills.params import choice_label, setting_label  # noqa: F401  (for the panel)
from drills.standing import sway_condition_words
from sensing.words import ENGLISH, N_
from station.runtime.trial import recording_window

NOT_MEASURES = {"drill", "state", "reason", "params", "events", "profile", "seed", "simulated_s"}
"""Top-level result keys that describe the run rather than score it."""


SWAY_FIRST = (
    "passed",
    "attempts",
    "time_held_s",
    "area_ellipse95_cm2",
    "velocity_mean_cm_s",
    "path_length_cm",
    "distance_mean_cm",
    "rms_ap_cm",
    "rms_ml_cm",
    "range_ap_cm",
    "range_ml_cm",
    "frequency_mean_hz",
    "duration_s",
)
"""The measures of a standing-still recording shown first; its other 30 or so come on request."""

LEG_STEPS_FIRST = {"left": N_("left foot steps first"), "right": N_("right foot steps first")}
"""A gait-initiation leg's part, by the foot that steps first."""


def drill_title(drill: str, translations=ENGLISH) -> str:
    """The drill's name as the catalog shows it, in the language of ``translations`` (the key
    itself for a retired drill)."""
    cls = DRILLS.get(drill)
    return translations.gettext(cls.title) if cls else drill


def tracked(drill: str) -> tuple[str, ...]:
    """The drill's headline measures, shown in the report and followed on the progress page
    (none for a retired drill)."""
    cls = DRILLS.get(drill)
    return cls.tracked if cls else ()


def lower_is_better(drill: str, key: str) -> bool:
    """Whether a smaller value of the drill's measure ``key`` means better balance."""
    cls = DRILLS.get(drill)
    return bool(cls) and key in cls.lower_is_better


def measure_doc(key: str, translations=ENGLISH) -> tuple[str, str, str]:
    """(label, unit, meaning) of a measure key in the language of ``translations``; the key
    itself when it has no entry."""
    return result_doc(key, translations=translations)


def quality_label(quality: dict | None, translations=ENGLISH) -> str:
    """``good``, ``not scored as good`` or an empty string for a part without a quality gate."""
    if not quality:
        return ""
    _ = translations.gettext
    return _("good") if quality.get("ok") else _("not scored as good")


def scored_parts(trial: dict, translations=ENGLISH) -> list[dict]:
    """The trial's scored parts, in order. Each: ``condition`` (words), ``eyes`` and
    ``surface`` (for standing-still tests, else None), ``measures`` (key -> number, bool or
    None), ``quality`` (the gate's dict or None) and ``window_s`` ([start, end] s since the
    trial began, or None). A trial without scores (aborted early) has no parts. The words are
    in the language of ``translations``."""
    _ = translations.gettext
    result = trial.get("result") or {}
    if trial["drill"] == "mctsib":
        return _mctsib_parts(result, translations)
    echoed = set(result.get("params") or {})  # parameters a result repeats are not scores
    top = {k: v for k, v in _scalars(result).items() if k not in echoed}
    measures = {**top, **_scalars(result.get("metrics") or {})}
    if not measures:
        return []
    cls = DRILLS.get(trial["drill"])
    eyes, surface = (cls and cls.sway_condition) or (None, None)
    if eyes:  # the condition the result recorded, else the drill's only one
        eyes, surface = result.get("eyes", eyes), result.get("surface", surface)
        condition = sway_condition_words(eyes, surface, translations=translations)
    else:
        condition = cls.condition_words(result, translations=translations) if cls else ""
    whole = {
        "condition": condition,
        "eyes": eyes,
        "surface": surface,
        "measures": measures,
        "quality": result.get("quality"),
        "window_s": list(recording_window(trial.get("events") or [])),
    }
    legs = result.get("legs")
    if not isinstance(legs, dict) or not legs:
        return [whole]
    # a drill scored per leg (gait initiation): each leg's means, then both legs together;
    # the legs' trials alternate through one recording, charted once (with both legs)
    per_leg = [
        {
            **whole,
            "condition": _(LEG_STEPS_FIRST[leg]) if leg in LEG_STEPS_FIRST else leg,
            "measures": {k: v for k, v in _scalars(values).items() if k != "trials"},
            "window_s": None,
        }
        for leg, values in legs.items()
    ]
    return [*per_leg, {**whole, "condition": _("both legs")}]


def _scalars(values: dict) -> dict:
    return {
        key: value
        for key, value in values.items()
        if key not in NOT_MEASURES
        and (value is None or isinstance(value, int | float))
        and key != "metrics"
    }


def _mctsib_parts(result: dict, translations) -> list[dict]:
    passing = {
        a["condition"]: a for a in result.get("attempt_log") or [] if a["outcome"] == "passed"
    }
    parts = []
    for c in result.get("conditions") or []:
        measures = {key: c.get(key) for key in ("passed", "attempts", "time_held_s")}
        measures.update(_scalars(c.get("metrics") or {}))
        attempt = passing.get(c["condition"])
        window = None
        if attempt is not None:
            window = [attempt["start_s"], attempt["start_s"] + attempt["time_held_s"]]
        parts.append(
            {
                "condition": f"{c['condition']}: "
                + sway_condition_words(c["eyes"], c["surface"], translations=translations),
                "eyes": c["eyes"],
                "surface": c["surface"],
                "measures": measures,
                "quality": c.get("quality"),
                "window_s": window,
            }
        )
    if parts:
        keys = ("conditions_passed", "total_time_held_s", "composite_velocity_cm_s")
        parts.append(
            {
                "condition": translations.gettext("all four conditions"),
                "eyes": None,
                "surface": None,
                "measures": {key: result.get(key) for key in keys},
                "quality": None,
                "window_s": None,
            }
        )
    return parts


def headline(trial: dict, translations=ENGLISH) -> list[dict]:
    """Per part, the drill's headline measures that it has: ``condition``, ``quality``
    (words, in the language of ``translations``) and ``values`` ([{key, label, unit, value}])."""
    keys = tracked(trial["drill"])
    out = []
    for part in scored_parts(trial, translations):
        values = [
            {"key": k, "label": label, "unit": unit, "value": v}
            for k in keys
            if (v := part["measures"].get(k)) is not None
            for label, unit, _ in [measure_doc(k, translations)]
        ]
        if values:
            out.append(
                {
                    "condition": part["condition"],
                    "quality": quality_label(part["quality"], translations),
                    "values": values,
                }
            )
    return out
