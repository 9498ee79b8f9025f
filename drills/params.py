"""Typed drill parameters with units, ranges and a one-line explanation for the panel."""

import math
from dataclasses import dataclass

from drills.errors import DrillParamError


@dataclass(frozen=True)
class Param:
    """One drill parameter: ``kind`` int or float with inclusive limits and an SI unit, or str
    with ``choices``; ``help`` is the one-line explanation shown in the panel."""

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

    def schema(self) -> dict:
        """Plain-dict description for the panel and ``--json`` listings."""
        out = {
            "name": self.name,
            "type": self.kind.__name__,
            "default": self.default,
            "unit": self.unit,
            "help": self.help,
        }
        if self.choices is not None:
            out["choices"] = list(self.choices)
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
    "Distance between the centres of the feet on the foot markings.",
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
