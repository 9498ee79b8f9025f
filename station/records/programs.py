"""A therapist's program: an ordered list of drills with their parameters, saved per patient,
with optional progression rules that adjust a step's parameters from its last result.

A rule reads one number from a completed trial's result (a key of ``result``, or of its
``metrics``) and, when it is above (or below) a threshold, adds to (or multiplies) one of the
step's parameters within a bound: "raise distance_mm by 10, up to 150, when hit_rate_pct is
above 80". Every change is logged in the program's history with the trial that caused it.
"""

from drills.catalog import drill_class
from drills.errors import DrillError, DrillParamError
from sensing.words import N_
from station.errors import FieldError
from station.records.text import clean_line

MAX_STEPS = 20
MAX_NAME = 80


class ProgramError(FieldError, ValueError):
    """A program, a step or a rule is invalid; ``field`` says where (e.g. ``steps[2].params``)."""


DEFAULT_EVALUATION = (
    {"drill": "mctsib", "params": {}},
    {"drill": "limits-of-stability", "params": {}},
    {"drill": "single-leg-stance", "params": {"leg": "left"}},
    {"drill": "single-leg-stance", "params": {"leg": "right"}},
    {"drill": "steadi-4-stage", "params": {}},
)
"""The evaluation battery a new evaluation starts from, in the spirit of what clinics run: the
sensory conditions, the limits of stability, each leg alone, the CDC's fall-risk screen."""

KINDS = ("program", "evaluation")
"""A training program, or an evaluation: a battery of standard tests read in one report."""


def validate_program(data: dict) -> dict:
    """Cleaned ``{"name", "kind", "steps": [{"drill", "params"}], "rules": [...]}``; every
    drill is known and its parameters are checked now, so a program never fails at the start.
    An evaluation has no progression rules: its tests are run as set, to compare."""
    if not isinstance(data, dict):
        raise ProgramError("body", N_("expected an object with name and steps"))
    unknown = sorted(set(data) - {"name", "kind", "steps", "rules"})
    if unknown:
        raise ProgramError(unknown[0], N_("unknown field"))
    kind = data.get("kind") or "program"
    if kind not in KINDS:
        raise ProgramError("kind", N_("one of %(choices)s"), choices=", ".join(KINDS))
    if kind == "evaluation" and data.get("rules"):
        raise ProgramError("rules", N_("an evaluation runs its tests as set: no progression rules"))
    name = clean_line(str(data.get("name") or ""))
    if not name or len(name) > MAX_NAME:
        raise ProgramError(
            "name", N_("a name of 1 to %(most)d characters is required"), most=MAX_NAME
        )
    steps = data.get("steps")
    if not isinstance(steps, list) or not 1 <= len(steps) <= MAX_STEPS:
        raise ProgramError(
            "steps", N_("a list of 1 to %(most)d drills is required"), most=MAX_STEPS
        )
    clean_steps = [_step(i, step) for i, step in enumerate(steps)]
    rules = data.get("rules") or []
    if not isinstance(rules, list):
        raise ProgramError("rules", N_("must be a list"))
    return {
        "name": name,
        "kind": kind,
        "steps": clean_steps,
        "rules": [_rule(i, rule, clean_steps) for i, rule in enumerate(rules)],
    }


def _step(index: int, step) -> dict:
    where = f"steps[{index}]"
    if not isinstance(step, dict) or not isinstance(step.get("drill"), str):
        raise ProgramError(where, N_("each step needs a drill name"))
    try:
        cls = drill_class(step["drill"])
        params = cls.check_params(step.get("params") or {})
    except DrillParamError as exc:
        raise ProgramError(f"{where}.params.{exc.param}", str(exc)) from exc
    except DrillError as exc:
        raise ProgramError(f"{where}.drill", str(exc)) from exc
    return {"drill": cls.name, "params": params}


def _rule(index: int, rule, steps: list[dict]) -> dict:
    where = f"rules[{index}]"
    if not isinstance(rule, dict):
        raise ProgramError(where, N_("expected an object"))
    step = rule.get("step")
    if not isinstance(step, int) or isinstance(step, bool) or not 0 <= step < len(steps):
        raise ProgramError(
            f"{where}.step", N_("the index of a step, 0 to %(last)d"), last=len(steps) - 1
        )
    cls = drill_class(steps[step]["drill"])
    params = {p.name: p for p in cls.params if p.kind is not str}
    param = rule.get("param")
    if param not in params:
        raise ProgramError(
            f"{where}.param",
            N_("a numeric parameter of %(drill)s: %(params)s"),
            drill=cls.name,
            params=", ".join(params),
        )
    metric = rule.get("metric")
    if not isinstance(metric, str) or not metric:
        raise ProgramError(
            f"{where}.metric", N_("the result value the rule reads, e.g. hit_rate_pct")
        )
    numbers = {}
    for key in ("above", "below", "add", "multiply"):
        value = rule.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ProgramError(f"{where}.{key}", N_("must be a number"))
        numbers[key] = value
    if (numbers["above"] is None) == (numbers["below"] is None):
        raise ProgramError(where, N_("give exactly one of above or below"))
    if (numbers["add"] is None) == (numbers["multiply"] is None):
        raise ProgramError(where, N_("give exactly one of add or multiply"))
    spec = params[param]
    return {
        "step": step,
        "metric": metric,
        "param": param,
        **{k: v for k, v in numbers.items() if v is not None},
        "limit": spec.maximum if _raises(numbers) else spec.minimum,
    }


def _raises(rule: dict) -> bool:
    """Whether the rule moves its parameter up (toward the maximum)."""
    if rule.get("add") is not None:
        return rule["add"] > 0
    return rule["multiply"] > 1


def _result_value(result: dict, metric: str):
    value = result.get(metric)
    if value is None:
        value = (result.get("metrics") or {}).get(metric)
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def apply_progression(program: dict, step: int, result: dict) -> tuple[list[dict], list[dict]]:
    """The program's steps after the rules of ``step`` read a completed trial's ``result``,
    and the changes made (``{"step", "param", "from", "to", "because"}``)."""
    steps = [{"drill": s["drill"], "params": dict(s["params"])} for s in program["steps"]]
    changes = []
    if result.get("state") != "completed":
        return steps, changes
    for rule in program["rules"]:
        if rule["step"] != step:
            continue
        value = _result_value(result, rule["metric"])
        if value is None:
            continue
        if "above" in rule and not value > rule["above"]:
            continue
        if "below" in rule and not value < rule["below"]:
            continue
        params = steps[step]["params"]
        old = params[rule["param"]]
        new = old + rule["add"] if "add" in rule else old * rule["multiply"]
        new = min(new, rule["limit"]) if _raises(rule) else max(new, rule["limit"])
        spec = {p.name: p for p in drill_class(steps[step]["drill"]).params}[rule["param"]]
        new = spec.kind(round(new, 6))
        if new != old:
            params[rule["param"]] = new
            comparison = f"above {rule['above']}" if "above" in rule else f"below {rule['below']}"
            changes.append(
                {
                    "step": step,
                    "param": rule["param"],
                    "from": old,
                    "to": new,
                    "because": f"{rule['metric']} = {value:.4g} was {comparison}",
                }
            )
    return steps, changes
