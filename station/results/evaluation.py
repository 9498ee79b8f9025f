"""One evaluation's report: each test of the battery with its latest completed result, read
against its published values for the patient's age, the deficits found, the fall-risk screens,
and, for a re-evaluation, the same tests of the evaluation before it side by side
(docs/clinical.md, "Evaluation").

A deficit is a comparison on the wrong side of its reference: sway above the band of the age
group, a sensory ratio above its band (leaning on vision or the feel of the ground more than
9 in 10 people), a single-leg time below the age mean, a tandem time under the CDC's 10 s.
"""

from drills.catalog import drill_class
from sensing.words import ENGLISH, N_
from station.results.fall_risk import fall_risk_screens
from station.results.measures import headline
from station.results.norms import compare_with_norms

ASYMMETRY_FINDING_PCT = 30.0
"""A leg holding single-leg stance 30% less than the other is a finding: the station's design
threshold (no published cut-off for the difference between legs was found; docs/clinical.md)."""

WORSE_WHEN = {
    "velocity_mean_cm_s": "above",
    "area_ellipse95_cm2": "above",
    "romberg_ratio": "above",
    "foam_ratio": "above",
    "best_stance_time_s": "below",
    "tandem_time_s": "below",
}
"""Where each compared measure's value means a deficit, against its reference."""

ASYMMETRY_WORDS = {
    ("open", "left"): N_(
        "Single-leg stance, eyes open: the left leg holds %(pct).0f%% less than the other "
        "(%(weaker_s)g s against %(stronger_s)g s)"
    ),
    ("open", "right"): N_(
        "Single-leg stance, eyes open: the right leg holds %(pct).0f%% less than the other "
        "(%(weaker_s)g s against %(stronger_s)g s)"
    ),
    ("closed", "left"): N_(
        "Single-leg stance, eyes closed: the left leg holds %(pct).0f%% less than the other "
        "(%(weaker_s)g s against %(stronger_s)g s)"
    ),
    ("closed", "right"): N_(
        "Single-leg stance, eyes closed: the right leg holds %(pct).0f%% less than the other "
        "(%(weaker_s)g s against %(stronger_s)g s)"
    ),
}
"""A finding of asymmetry, by the eyes and the weaker leg (whole sentences, so each language
orders its words)."""


def evaluation_report(
    evaluation: dict,
    trials: list[dict],
    patient: dict,
    before: tuple | None = None,
    translations=ENGLISH,
) -> dict:
    """``steps`` (per test of the battery: ``step``, ``drill``, ``title``, ``condition``,
    ``trial`` (the latest completed one, or None), ``headline``, ``norms``, ``deficits``
    (words) and ``before``: the previous evaluation's headline of the same test), ``deficits``
    (all, in words, with a single-leg asymmetry of ASYMMETRY_FINDING_PCT or more),
    ``screens`` (fall risk), ``sources`` (each once), ``single_leg_asymmetry``, ``done`` and
    ``total``. ``trials``: the evaluation's; ``before``: (the previous evaluation, its
    trials), to compare. The words are in the language of ``translations``."""
    latest = _latest_by_step(trials, evaluation["steps"])
    earlier_steps = before[0]["steps"] if before else []
    earlier = _latest_by_step(before[1], earlier_steps) if before else {}
    steps, deficits = [], []
    for index, step in enumerate(evaluation["steps"]):
        cls = drill_class(step["drill"])
        trial = latest.get(index)
        entry = {
            "step": index,
            "drill": cls.name,
            "title": translations.gettext(cls.title),
            "condition": _condition(step, translations),
            "trial": trial,
            "headline": headline(trial, translations) if trial else [],
            "norms": compare_with_norms(trial, patient, translations=translations)
            if trial
            else None,
            "deficits": [],
            "before": None,
        }
        if trial:
            entry["deficits"] = _deficits(entry["norms"], entry["title"], translations)
            deficits += entry["deficits"]
        match = _same_test(step, earlier_steps)
        if match is not None and match in earlier:
            entry["before"] = {
                "trial": earlier[match],
                "headline": headline(earlier[match], translations),
            }
        steps.append(entry)
    done = list(latest.values())
    asymmetry = single_leg_asymmetry(steps, translations)
    if asymmetry and asymmetry["pct"] >= ASYMMETRY_FINDING_PCT:
        deficits.append(asymmetry["words"])
    screens = fall_risk_screens(
        sorted(done, key=lambda t: t["started_at"]), patient, translations=translations
    )
    sources = [s["source"] for s in screens]
    sources += [s["norms"]["source"] for s in steps if s["norms"] and s["norms"]["source"]]
    return {
        "steps": steps,
        "deficits": deficits,
        "screens": screens,
        "sources": list(dict.fromkeys(sources)),
        "single_leg_asymmetry": asymmetry,
        "done": len(done),
        "total": len(evaluation["steps"]),
    }


def single_leg_asymmetry(steps: list[dict], translations=ENGLISH) -> dict | None:
    """Between the legs' best single-leg times with the same eyes: ``left_s``, ``right_s``,
    ``pct`` (the difference as a share of the better leg's time) and ``words`` (in the
    language of ``translations``); None unless both legs were timed."""
    best = {}
    for step in steps:
        result = (step["trial"] or {}).get("result") or {}
        if step["drill"] == "single-leg-stance" and result.get("best_stance_time_s") is not None:
            best[(result.get("leg"), result.get("eyes"))] = result["best_stance_time_s"]
    for eyes in ("open", "closed"):
        left, right = best.get(("left", eyes)), best.get(("right", eyes))
        if left is None or right is None or max(left, right) <= 0:
            continue
        pct = 100 * abs(left - right) / max(left, right)
        weaker = "left" if left < right else "right"
        words = translations.gettext(ASYMMETRY_WORDS[(eyes, weaker)]) % {
            "pct": pct,
            "weaker_s": min(left, right),
            "stronger_s": max(left, right),
        }
        return {
            "left_s": left,
            "right_s": right,
            "pct": round(pct, 1),
            "eyes": eyes,
            "words": words,
        }
    return None


def _latest_by_step(trials: list[dict], steps: list[dict]) -> dict[int, dict]:
    """step -> its latest completed trial (``trials`` oldest first), of the step's drill: a
    trial run before the step was edited to another drill is not its result."""
    out = {}
    for trial in trials:
        step = trial.get("program_step")
        if trial.get("state") != "completed" or step is None or not 0 <= step < len(steps):
            continue
        if steps[step]["drill"] == trial["drill"]:
            out[step] = trial
    return out


def _condition(step: dict, translations=ENGLISH) -> str:
    """The step's settings that make it a test of its own, in words ("left leg, eyes open"),
    as the drill names the condition of its result."""
    return drill_class(step["drill"]).condition_words(step["params"], translations=translations)


def _same_test(step: dict, steps: list[dict]) -> int | None:
    """The index in ``steps`` of the same drill in the same condition, if any."""
    for index, other in enumerate(steps):
        if (other["drill"], _condition(other)) == (step["drill"], _condition(step)):
            return index
    return None


def _deficits(norms: dict | None, title: str, translations) -> list[str]:
    """The comparisons on the wrong side of their reference, in words."""
    _ = translations.gettext
    out = []
    for row in (norms or {}).get("rows", []):
        if WORSE_WHEN.get(row["metric"]) == row.get("position"):
            said = {"title": title, "measure": row["label"].lower(), "words": row["words"]}
            if row.get("condition"):
                line = _("%(title)s (%(condition)s): %(measure)s %(words)s")
                said["condition"] = row["condition"]
            else:
                line = _("%(title)s: %(measure)s %(words)s")
            out.append(line % said)
    return out
