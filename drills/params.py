"""Typed drill parameters with units, ranges and a one-line explanation for the panel."""

import math
from dataclasses import dataclass

from drills.errors import DrillParamError
from sensing.words import ENGLISH, N_, pgettext

SETTING_LABELS = {
    "amplitude_mm": pgettext("drill setting", "Amplitude"),
    "axis": pgettext("drill setting", "Direction"),
    "band_deg": pgettext("drill setting", "Level band"),
    "countdown_s": pgettext("drill setting", "Countdown"),
    "distance_mm": pgettext("drill setting", "Distance"),
    "duration_s": pgettext("drill setting", "Duration"),
    "dwell_s": pgettext("drill setting", "Time in target"),
    "eyes": pgettext("drill setting", "Eyes"),
    "feet_apart_mm": pgettext("drill setting", "Feet apart"),
    "hold_s": pgettext("drill setting", "Hold"),
    "interval_max_s": pgettext("drill setting", "Longest wait"),
    "interval_min_s": pgettext("drill setting", "Shortest wait"),
    "leg": pgettext("drill setting", "Leg"),
    "legs": pgettext("drill setting", "Leg stepping first"),
    "limit_pct": pgettext("drill setting", "Load limit"),
    "max_excursion_mm": pgettext("drill setting", "Loss of balance at"),
    "max_s": pgettext("drill setting", "Longest trial"),
    "move_s": pgettext("drill setting", "Time per direction"),
    "order": pgettext("drill setting", "Order"),
    "pace": pgettext("drill setting", "Pace"),
    "rest_s": pgettext("drill setting", "Rest"),
    "side": pgettext("drill setting", "Operated side"),
    "surface": pgettext("drill setting", "Surface"),
    "target_pct": pgettext("drill setting", "Target"),
    "target_radius_mm": pgettext("drill setting", "Target radius"),
    "targets": pgettext("drill setting", "Targets"),
    "timeout_s": pgettext("drill setting", "Time allowed"),
    "trial_s": pgettext("drill setting", "Trial length"),
    "trials": pgettext("drill setting", "Trials"),
    "height_cm": pgettext("drill setting", "Height"),
    "weight_kg": pgettext("drill setting", "Weight"),
}
"""What the panel calls each drill parameter and each patient field a drill uses (the unit is
shown beside the value)."""

CHOICE_LABELS = {
    "both": pgettext("setting value", "both"),
    "clockwise": pgettext("setting value", "clockwise"),
    "closed": pgettext("setting value", "closed"),
    "counter-clockwise": pgettext("setting value", "counter-clockwise"),
    "cycle": pgettext("setting value", "in turn"),
    "disc": pgettext("setting value", "balance disc"),
    "fast": pgettext("setting value", "fast"),
    "firm": pgettext("setting value", "firm"),
    "foam": pgettext("setting value", "foam pad"),
    "forward-back": pgettext("setting value", "forward-back"),
    "front-to-back": pgettext("setting value", "front to back"),
    "left": pgettext("setting value", "left"),
    "medium": pgettext("setting value", "medium"),
    "open": pgettext("setting value", "open"),
    "random": pgettext("setting value", "random"),
    "right": pgettext("setting value", "right"),
    "side": pgettext("setting value", "to the side"),
    "side-to-side": pgettext("setting value", "side to side"),
    "slow": pgettext("setting value", "slow"),
}
"""What the panel calls each value of a parameter with choices."""


def setting_label(name: str, translations=ENGLISH) -> str:
    """A parameter's or patient field's name in words, in the language of ``translations``
    (a name without a label as written, its underscores as spaces)."""
    label = SETTING_LABELS.get(name)
    return translations.pgettext(*label) if label else name.replace("_", " ")


def choice_label(value, translations=ENGLISH):
    """A parameter value in words, in the language of ``translations`` (numbers and values
    without words as they are)."""
    label = CHOICE_LABELS.get(value) if isinstance(value, str) else None
    return translations.pgettext(*label) if label else value


@dataclass(frozen=True)
class Param:
    """One drill parameter: ``kind`` int or float with inclusive limits and an SI unit, or str
    with ``choices``; ``help`` is the one-line explanation shown in the panel (English, marked
    with ``N_``)."""

    name: str
    kind: type
    default: float | str
    minimum: float | None = None
    maximum: float | None = None
    unit: str = ""
    help: str = ""
    choices: tuple[str, ...] | None = None

    def validate(self, value):
        """The value converted to ``kind``; raises DrillParamError naming the parameter."""
        if self.kind is str:
            if value not in self.choices:
                raise DrillParamError(
                    self.name, f"choose one of {', '.join(self.choices)}, got {value!r}"
                )
            return value
        if isinstance(value, bool):
            raise DrillParamError(self.name, f"expected a number in {self.unit}, got {value!r}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise DrillParamError(
                self.name, f"expected a number in {self.unit}, got {value!r}"
            ) from None
        if not math.isfinite(number):
            raise DrillParamError(self.name, f"must be a finite number, got {value!r}")
        if self.kind is int and not number.is_integer():
            raise DrillParamError(self.name, f"must be a whole number, got {value!r}")
        if not self.minimum <= number <= self.maximum:
            raise DrillParamError(
                self.name,
                f"{value} {self.unit} is outside {self.minimum:g}-{self.maximum:g} {self.unit}",
            )
        return self.kind(number)

    def schema(self, translations=ENGLISH) -> dict:
        """Plain-dict description for the panel and ``--json`` listings, ``label``, ``help`` and
        ``choice_labels`` in the language of ``translations``."""
        out = {
            "name": self.name,
            "type": self.kind.__name__,
            "default": self.default,
            "unit": self.unit,
            "label": setting_label(self.name, translations),
            "help": translations.gettext(self.help),
        }
        if self.choices is not None:
            out["choices"] = list(self.choices)
            out["choice_labels"] = {c: choice_label(c, translations) for c in self.choices}
        else:
            out.update(minimum=self.minimum, maximum=self.maximum)
        return out


def choice(name: str, choices: tuple[str, ...], default: str, help: str) -> Param:
    """A parameter that takes one of ``choices`` (e.g. the standing leg)."""
    return Param(name, str, default, help=help, choices=choices)


def validate_params(spec: tuple[Param, ...], given: dict | None) -> dict:
    """Defaults filled in and every given value checked; unknown names are errors."""
    given = dict(given or {})
    known = {p.name: p for p in spec}
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise DrillParamError(unknown[0], f"unknown parameter (known: {', '.join(known)})")
    return {p.name: p.validate(given.get(p.name, p.default)) for p in spec}


FEET_APART = Param(
    "feet_apart_mm",
    float,
    180.0,
    100.0,
    400.0,
    "mm",
    N_("Distance between the centres of the feet on the foot markings."),
)
"""The stance width on the platform's foot markings, whose centre is the COP origin: where the
COP lies between the feet gives each foot's share of the load."""


def foot_share_pct(cop_ml_mm: float, feet_apart_mm: float, side: str) -> float:
    """Percent of the load on the ``side`` ("left" or "right") foot, from the COP's ML position
    (mm, positive right) between feet ``feet_apart_mm`` apart and centred on the origin:
    100 over that foot, 50 midway, clipped to 0..100; NaN without a COP."""
    right = 50.0 + 100.0 * cop_ml_mm / feet_apart_mm
    share = right if side == "right" else 100.0 - right
    return min(100.0, max(0.0, share)) if math.isfinite(share) else math.nan
