"""The errors of real load cells and their amplifiers, for the emulated platform.

Sway moves a corner's force by tens of newtons; what makes a cheap platform's numbers wrong is
smaller and slower (docs/clinical.md, "The simulated platform's errors"). Each emulated corner
is a ``SimLoadCell``: it turns the true corner force into the force its amplifier sees, adding

- creep: under a load change the output keeps moving toward ``CREEP_FRACTION`` of that change
  more, with time constant ``CREEP_TAU_S`` (a first-order lag of the load);
- zero drift: the bridge's zero wanders with temperature, a repeatable sum of slow sinusoids of
  ``ZERO_DRIFT_N`` rms, periods of minutes;
- mains pickup: ``MAINS_PICKUP_NV`` of ``mains_hz`` hum on the unshielded bridge wires, seen
  through the amplifier's conversion window (a boxcar of one sample period: at 10 SPS a whole
  number of mains cycles, so it cancels, as the HX711 datasheet promises; at 80 and 320 SPS it
  does not, and it aliases below the sample rate);

and ``datasheet_noise_counts`` gives the amplifier's own input-referred noise at its rate, which
the chip emulators add per conversion with the quantisation to whole counts. The residual gain
mismatch of a calibration is the platform's (``hw.sim.platform.factory_calibration``).
"""

import math
from dataclasses import dataclass
from math import sin

from hw.sim.noise import gauss

MAINS_HZ = (50, 60)
_TWO_PI = 2 * math.pi

CREEP_FRACTION = 0.001
"""Creep: 0.1% of a load change, about what a generic 50 kg cell lists per 30 min."""

CREEP_TAU_S = 600.0
"""Creep time constant: ten minutes."""

ZERO_DRIFT_N = 0.03
"""Zero drift over minutes (temperature acting on the bridge): 0.03 N rms per corner, what a
zero coefficient of 0.05% of full scale per 10 degC gives a 50 kg cell in a room that moves by a
degree (design judgement)."""

ZERO_DRIFT_PERIODS_S = (97.0, 251.0, 613.0)
"""The drift's components: slow enough that a 60 s trial sees a trend, not noise."""

MAINS_PICKUP_NV = 400.0
"""Mains hum on the amplifier input, nV peak: a few hundred nV on unshielded wires a metre
long near a clinic's wiring (design judgement; real amplitude depends on the room)."""

REFERENCE_V = 3.3
"""Excitation and ADC reference of the emulated chips (the Pi's 3.3 V rail or the NAU7802's
LDO): it sets the size of one count."""

DATASHEET_NOISE_NV = {
    ("hx711", 10): 50.0,
    ("hx711", 80): 90.0,
    ("nau7802", 10): 50.0,
    ("nau7802", 20): 70.0,
    ("nau7802", 40): 100.0,
    ("nau7802", 80): 150.0,
    ("nau7802", 320): 300.0,
}
"""Input-referred rms noise at gain 128 by amplifier and rate, nV: the HX711 datasheet (50 nV
at 10 SPS, 90 nV at 80 SPS) and the NAU7802 datasheet Rev 2.1 (50 nV at 10 SPS, 150 nV at 80
SPS); NAU7802 20, 40 and 320 SPS scaled by the square root of the bandwidth (an estimate: the
datasheet's table for them is an image no one here could read)."""


def count_nv(gain: int = 128, reference_v: float = REFERENCE_V) -> float:
    """Input voltage of one count, nV: +-0.5 * reference / gain maps to +-2**23 counts."""
    return 0.5 * reference_v / gain / 2**23 * 1e9


def datasheet_noise_counts(amplifier: str, rate_sps: int, gain: int = 128) -> float:
    """The amplifier's rms noise at ``rate_sps`` in counts (ValueError for an unknown pair)."""
    try:
        noise_nv = DATASHEET_NOISE_NV[(amplifier, rate_sps)]
    except KeyError:
        raise ValueError(f"no datasheet noise figure for {amplifier} at {rate_sps} SPS") from None
    return noise_nv / count_nv(gain)


@dataclass(frozen=True)
class CellErrors:
    """How large the errors of one cell are (defaults: the module's figures); zeros give an
    ideal cell."""

    creep_fraction: float = CREEP_FRACTION
    creep_tau_s: float = CREEP_TAU_S
    zero_drift_n: float = ZERO_DRIFT_N
    mains_pickup_nv: float = MAINS_PICKUP_NV


IDEAL = CellErrors(0.0, CREEP_TAU_S, 0.0, 0.0)


class SimLoadCell:
    """One corner's cell: ``output_n(t)`` is the force its amplifier converts at ``t`` s.

    ``force_n(t)`` is the true corner force; ``counts_per_newton`` and ``gain`` turn the mains
    voltage into newtons; ``rate_sps`` is the amplifier's, whose conversion window averages the
    hum. Queries must come in time order, as one chip converts (a repeated time is served again,
    an earlier one does not move the creep back).
    """

    def __init__(
        self,
        force_n,
        *,
        counts_per_newton: float,
        rate_sps: float,
        mains_hz: float = 60.0,
        seed: int = 0,
        errors: CellErrors = CellErrors(),
        gain: int = 128,
    ):
        if mains_hz not in MAINS_HZ:
            raise ValueError(f"mains_hz must be 50 or 60, got {mains_hz!r}")
        if not rate_sps > 0:
            raise ValueError(f"rate_sps must be positive, got {rate_sps!r}")
        self._force_n = force_n
        self.errors = errors
        self.mains_hz = mains_hz
        window_s = 1.0 / rate_sps
        x = math.pi * mains_hz * window_s
        # a boxcar over one sample period passes sin(x)/x of the hum, delayed by half of it
        mains_gain = math.sin(x) / x
        self._mains_delay_s = window_s / 2
        newtons_per_nv = 1.0 / (count_nv(gain) * counts_per_newton * gain / 128)
        mains_n = errors.mains_pickup_nv * newtons_per_nv
        self._mains_amp_n = mains_n * mains_gain  # the averaged hum's amplitude, N
        self._mains_rad_s = 2 * math.pi * mains_hz
        phases = [gauss(seed, k + 0.5) for k in range(1 + len(ZERO_DRIFT_PERIODS_S))]
        self._mains_phase = math.pi * phases[0]
        # (period s, phase rad) of each sinusoid of the drift
        self._drift = tuple(
            zip(ZERO_DRIFT_PERIODS_S, [math.pi * p for p in phases[1:]], strict=True)
        )
        # equal shares of the drift's variance: each sinusoid has rms amplitude / sqrt(2)
        self._drift_amp_n = errors.zero_drift_n * math.sqrt(2.0 / len(ZERO_DRIFT_PERIODS_S))
        self._creep_t: float | None = None
        self._creep_level_n = 0.0  # the lagged load the creep follows
        self._creep_from_n = 0.0  # ... from the load the cell was first read under
        self._last: tuple[float, float] = (math.nan, 0.0)

    def output_n(self, t_s: float) -> float:
        """Force seen by the amplifier at ``t_s``: true force plus creep, drift and hum."""
        if t_s == self._last[0]:
            return self._last[1]
        force = self._force_n(t_s)
        out = force + self._creep(t_s, force) + self.zero_drift_n(t_s) + self.mains_n(t_s)
        self._last = (t_s, out)
        return out

    def _creep(self, t_s: float, force: float) -> float:
        """The creep of the output at ``t_s``, N: CREEP_FRACTION of the lagged load change."""
        e = self.errors
        if self._creep_t is None:  # settled under the first load
            self._creep_t, self._creep_level_n, self._creep_from_n = t_s, force, force
        elif t_s > self._creep_t:
            a = math.exp(-(t_s - self._creep_t) / e.creep_tau_s)
            self._creep_level_n = a * self._creep_level_n + (1 - a) * force
            self._creep_t = t_s
        # a load change reads true at once (what a calibration measures), then creeps on
        return e.creep_fraction * (self._creep_level_n - self._creep_from_n)

    def zero_drift_n(self, t_s: float) -> float:
        """The bridge's zero offset at ``t_s``, N."""
        total = 0.0  # summed as sum() sums floats (from 0.0, in order), without its list
        for period, phase in self._drift:
            total += sin(_TWO_PI * t_s / period + phase)
        return self._drift_amp_n * total

    def mains_n(self, t_s: float) -> float:
        """Mains hum at ``t_s`` as the amplifier averages it over one conversion, N."""
        t = t_s - self._mains_delay_s
        return self._mains_amp_n * sin(self._mains_rad_s * t + self._mains_phase)
