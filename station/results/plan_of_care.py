"""A suggested plan of care from an evaluation's findings: the rules that map a deficit to the
drills that train it, each shown with why it fired (docs/clinical.md, "Suggested plan of
care"). The suggestion is a program the therapist reviews, edits and accepts; nothing is applied
without them.

The rules are clinical convention after the sensory logic of the CTSIB (Shumway-Cook & Horak
1986: a condition lost tells which sense the patient cannot do without, and standing in it
trains reweighting) and the falls-prevention evidence for challenging balance training
(Sherrington et al. 2019, 2020), not a published algorithm.
"""

from drills.catalog import drill_class
from sensing.words import ENGLISH, N_

DOSE = N_(
    "Balance and functional exercise for at least 3 hours a week, ongoing, with a moderate to "
    "high balance challenge, gave the largest fall reduction in older people (Sherrington C et "
    "al. Cochrane 2019, CD012424; Int J Behav Nutr Phys Act 2020): add the home exercises to "
    "the sessions here."
)

WEIGHT_SHIFT_PROGRESSION = {
    "metric": "hit_rate_pct",
    "above": 80,
    "param": "distance_mm",
    "add": 10,
}
"""Progression of the weight-shift step: 10 mm further once 8 targets in 10 are held."""

RULES = (
    (
        "vestibular",
        N_(
            "Sensory reweighting without vision or the feel of the ground: quiet stance on "
            "foam, eyes closed"
        ),
        {
            "drill": "quiet-stance",
            "params": {"eyes": "closed", "surface": "foam", "duration_s": 30},
        },
    ),
    (
        "somatosensory",
        N_("Balance on an unsteady surface: quiet stance on foam, eyes open"),
        {"drill": "quiet-stance", "params": {"eyes": "open", "surface": "foam", "duration_s": 30}},
    ),
    (
        "vision",
        N_("Balance without vision: quiet stance on firm ground, eyes closed"),
        {
            "drill": "quiet-stance",
            "params": {"eyes": "closed", "surface": "firm", "duration_s": 30},
        },
    ),
    (
        "single-leg",
        N_("Single-leg balance on the weaker leg"),
        {"drill": "single-leg-stance", "params": {"eyes": "open", "max_s": 30}},
    ),
    (
        "weight-shift",
        N_(
            "Moving the centre of mass over a narrow base and toward the limits: weight shift "
            "to targets, 10 mm further once 8 targets in 10 are held"
        ),
        {"drill": "weight-shift", "params": {"distance_mm": 40}},
    ),
)
"""(finding, what is trained and how, the step) in the order the plan lists them."""

SWAY = ("velocity_mean_cm_s", "area_ellipse95_cm2")
"""The sway measures whose band a condition's recording is compared with."""

SHORTEST_HOLD_S = 5.0
"""A stance the patient could not hold in the evaluation starts at what they held, in whole 5 s
steps, never under the drill's 5 s: a drill the patient fails at every visit trains nothing
(design judgement, docs/clinical.md "Suggested plan of care")."""

LOS_REACH_PCT = 70.0
"""Maximum excursion under 70% of the theoretical limit: the station's own design threshold
(healthy adults reach 70-110% on the virtual patient; no published fall cut-off was found)."""


def suggest_plan(report: dict, name: str, translations=ENGLISH) -> dict:
    """``findings`` ([{``finding``, ``because`` (words), ``aim`` (words), ``step``}]), the
    ``program`` to accept (``{"name", "steps", "rules"}``, None without findings) and
    ``dose`` (words), from an evaluation's report (``evaluation_report``, in the same
    language: the words are in the language of ``translations``)."""
    _ = translations.gettext
    because: dict[str, list[str]] = {}
    held_s: dict[str, float] = {}  # finding -> what the patient held of the stance it trains
    weaker_leg = None
    for step in report["steps"]:
        trial = step["trial"]
        if trial is None:
            continue
        result = trial["result"] or {}
        if step["drill"] == "mctsib":
            _sensory(result, step, because, held_s, translations)
        elif step["drill"] == "single-leg-stance" and step["deficits"]:
            because.setdefault("single-leg", []).extend(step["deficits"])
        elif step["drill"] == "steadi-4-stage" and step["deficits"]:
            because.setdefault("weight-shift", []).extend(step["deficits"])
        elif step["drill"] == "limits-of-stability":
            reach = (result.get("summary") or {}).get("max_excursion_pct")
            if reach is not None and reach < LOS_REACH_PCT:
                because.setdefault("weight-shift", []).append(
                    _(
                        "Limits of stability: maximum excursion %(reach).0f%% of the "
                        "theoretical limit (under %(limit)g%%)"
                    )
                    % {"reach": reach, "limit": LOS_REACH_PCT}
                )
    asymmetry = report.get("single_leg_asymmetry")
    if asymmetry and asymmetry["words"] in report.get("deficits", []):
        because.setdefault("single-leg", []).append(asymmetry["words"])
    singles = [s for s in report["steps"] if s["drill"] == "single-leg-stance" and s["trial"]]
    if singles:
        weakest = min(singles, key=lambda s: s["trial"]["result"].get("best_stance_time_s") or 0)
        weaker_leg = weakest["trial"]["result"].get("leg")
    findings, steps, rules = [], [], []
    for finding, aim, template in RULES:
        if finding not in because:
            continue
        step = {"drill": template["drill"], "params": dict(template["params"])}
        if finding == "single-leg" and weaker_leg:
            step["params"]["leg"] = weaker_leg
        held = held_s.get(finding)
        if held is not None and "duration_s" in step["params"]:
            start = max(SHORTEST_HOLD_S, 5.0 * (held // 5.0))
            step["params"]["duration_s"] = min(step["params"]["duration_s"], start)
        step["params"] = drill_class(step["drill"]).check_params(step["params"])
        if finding == "weight-shift":
            rules.append({"step": len(steps), **WEIGHT_SHIFT_PROGRESSION})
        findings.append(
            {"finding": finding, "because": because[finding], "aim": _(aim), "step": step}
        )
        steps.append(step)
    named = _("Plan of care from %(name)s") % {"name": name}
    program = {"name": named, "steps": steps, "rules": rules}
    return {"findings": findings, "program": program if steps else None, "dose": _(DOSE)}


def _sensory(
    result: dict, step: dict, because: dict[str, list[str]], held_s: dict, translations
) -> None:
    """The mCTSIB's findings: a condition lost (with the time it was held on average, into
    ``held_s``), or its ratio above its band."""
    _ = translations.gettext
    conditions = result.get("conditions") or []
    lost = {c["condition"] for c in conditions if not c.get("passed")}
    trains = {4: "vestibular", 3: "somatosensory", 2: "vision"}
    for c in conditions:
        if not c.get("passed") and c["condition"] in trains and c.get("time_held_s") is not None:
            held_s[trains[c["condition"]]] = c["time_held_s"]
    rows = [r for r in (step["norms"] or {}).get("rows", []) if r.get("position") == "above"]
    above = {r["metric"] for r in rows}
    if 4 in lost:
        because.setdefault("vestibular", []).append(
            _("mCTSIB: condition 4 (foam, eyes closed) not held")
        )
    elif any(str(r.get("condition")).startswith("4: ") and r["metric"] in SWAY for r in rows):
        because.setdefault("vestibular", []).append(
            _("mCTSIB: sway on foam with eyes closed above the band of the age group")
        )
    for condition, finding, not_held, ratio, ratio_above in (
        (
            3,
            "somatosensory",
            N_("mCTSIB: condition 3 (foam, eyes open) not held"),
            "foam_ratio",
            N_("mCTSIB: foam ratio above its band"),
        ),
        (
            2,
            "vision",
            N_("mCTSIB: condition 2 (firm, eyes closed) not held"),
            "romberg_ratio",
            N_("mCTSIB: Romberg ratio above its band"),
        ),
    ):
        if condition in lost or ratio in above:
            because.setdefault(finding, []).append(
                _(not_held) if condition in lost else _(ratio_above)
            )
