"""Physical model of a person stepping onto, standing on and leaving the simulated platform.

Sway: per axis (AP, ML) a body-about-the-ankles inverted pendulum of length
``com_height_fraction * height_m``, ``x'' = (g / h) * (x - p)`` with x the centre of mass and p the
centre of pressure (COP = ankle torque / weight), in mm. The nervous system commands
``p_cmd = r + k * (x(t - delay) - r) + b * x'(t - delay) + n`` (a delayed PD controller, gains
normalised by m*g*h) and the muscles follow it with a first-order lag; n is a low-pass torque
disturbance and r a slow drift of the reference posture (the "rambling" of quiet stance). The ML
axis, standing in for the hip load/unload mechanism, has the same form with a quieter disturbance.
Later conditions (eyes closed, foam, fall risk) are other `SwayAxis` values, cue reactions will
move r, and stepping on or off adds separate COP transients. The state advances on a fixed 5 ms
step from t = 0 with noise drawn in 1 s blocks from the seeded generator; queries interpolate, so
results depend on the seed only, never on the query pattern.
"""

import math
import threading
from dataclasses import dataclass, field

import numpy as np

G_M_S2 = 9.80665  # standard gravity, m/s^2
STEP_S = 0.005  # integration step, s
BLOCK_STEPS = 200  # steps integrated (and noise drawn) at a time
SETTLE_S = 4.0  # the stepping transient is cut to 0 this long after the weight ramp, s


@dataclass(frozen=True)
class SwayAxis:
    """Controller and disturbance of one sway axis (defaults: healthy young adult, AP)."""

    stiffness: float = 1.25  # active proportional gain, in units of m*g*h (>1 to stand)
    damping_s: float = 0.45  # derivative gain / (m*g*h), s
    noise_mm: float = 0.82  # std of the torque disturbance, expressed as COP, mm
    noise_tau_s: float = 1.0  # correlation time of the torque disturbance, s
    drift_mm: float = 4.8  # std of the reference-posture drift, mm
    drift_tau_s: float = 10.0  # correlation time of that drift, s


@dataclass(frozen=True)
class PersonProfile:
    """A person: body size, sway controller per axis, and how they step on and off."""

    name: str
    mass_kg: float
    height_m: float
    ap: SwayAxis = field(default_factory=SwayAxis)  # antero-posterior sway
    ml: SwayAxis = field(default_factory=SwayAxis)  # medio-lateral sway
    com_height_fraction: float = 0.55  # ankle-to-COM distance / body height
    delay_s: float = 0.15  # neural feedback delay, s
    muscle_tau_s: float = 0.08  # time constant of ankle-torque build-up, s
    step_on_s: float = 0.7  # weight ramp when stepping on, s
    step_off_s: float = 0.5  # weight ramp when stepping off, s
    foot_spacing_mm: float = 180.0  # ML distance between the feet's centres, mm
    lead_side: int = 1  # foot placed first: +1 right, -1 left


# Tuned so that 30 s of quiet stance reproduces the medians of Santos & Duarte 2016 (eyes open,
# firm): young 2.0 cm2 / 0.80 cm/s, old 2.2 cm2 / 1.01 cm/s; older adults: longer delay, more
# noise and less slow drift (faster, not larger, sway).
PROFILES: dict[str, PersonProfile] = {
    "healthy-young": PersonProfile(
        "healthy-young", 65.0, 1.70, ml=SwayAxis(noise_mm=0.41, drift_mm=2.4)
    ),
    "older-adult": PersonProfile(
        "older-adult", 75.0, 1.68, delay_s=0.17,
        ap=SwayAxis(stiffness=1.2, damping_s=0.5, noise_mm=0.95, noise_tau_s=0.8, drift_mm=3.6),
        ml=SwayAxis(stiffness=1.2, damping_s=0.5, noise_mm=0.48, noise_tau_s=0.8, drift_mm=1.8),
    ),
}  # fmt: skip


class _Sway:
    """Both sway axes, integrated on a fixed step from ``start_s``; COP in mm, interpolated."""

    def __init__(self, profile: PersonProfile, seed: int, start_s: float = 0.0):
        self._rng = np.random.default_rng(seed)
        d = max(1, round(profile.delay_s / STEP_S))
        self._w2dt = G_M_S2 / (profile.com_height_fraction * profile.height_m) * STEP_S
        self._am = 1.0 - math.exp(-STEP_S / profile.muscle_tau_s)
        self._gains, self._states = [], []
        for a in (profile.ml, profile.ap):
            an, ar = math.exp(-STEP_S / a.noise_tau_s), math.exp(-STEP_S / a.drift_tau_s)
            bn, br = a.noise_mm * math.sqrt(1 - an * an), a.drift_mm * math.sqrt(1 - ar * ar)
            n0, r0 = (float(z) for z in self._rng.standard_normal(2) * (a.noise_mm, a.drift_mm))
            self._gains.append((a.stiffness, a.damping_s, an, bn, ar, br))
            # x, v: COM (mm, mm/s); p: COP; n: disturbance; r: reference; delay lines of x and v
            self._states.append([r0, 0.0, r0, n0, r0, 0, [r0] * d, [0.0] * d])
        self._t0 = start_s  # time of the first sample in self._cop
        self._cop: list[list[float]] = [[], []]  # ML, AP samples of the previous + current block
        self._advance()

    def _advance(self) -> None:
        """Integrate one more block, keeping the previous one for slightly late queries."""
        noise = self._rng.standard_normal((2, 2, BLOCK_STEPS)).tolist()
        drop = max(0, len(self._cop[0]) - BLOCK_STEPS)
        self._t0 += drop * STEP_S
        for out, g, st, (en, er) in zip(self._cop, self._gains, self._states, noise, strict=True):
            del out[:drop]
            out.extend(self._run(g, st, en, er))

    def _run(self, gains: tuple, st: list, en: list[float], er: list[float]) -> list[float]:
        """One axis over one block: delayed PD command, muscle lag, pendulum (semi-implicit)."""
        k, b, an, bn, ar, br = gains
        x, v, p, n, r, j, hx, hv = st
        am, w2dt, d, dt = self._am, self._w2dt, len(hx), STEP_S
        out = []
        for e1, e2 in zip(en, er, strict=True):
            out.append(p)
            xd, vd = hx[j], hv[j]
            hx[j], hv[j] = x, v
            j = j + 1 if j + 1 < d else 0
            n = an * n + bn * e1
            r = ar * r + br * e2
            p += am * (r + k * (xd - r) + b * vd + n - p)
            v += w2dt * (x - p)
            x += dt * v
        st[:6] = x, v, p, n, r, j
        return out

    def cop_mm(self, t_s: float) -> tuple[float, float]:
        """Sway COP (ML, AP) in mm at ``t_s``; times may go back by at most one block."""
        pos = (t_s - self._t0) / STEP_S
        if pos < 0.0:
            raise ValueError(f"sway queried at {t_s} s, more than 1 s before a later query")
        while pos >= len(self._cop[0]) - 1:
            self._advance()
            pos = (t_s - self._t0) / STEP_S
        i = int(pos)
        f = pos - i
        ml, ap = self._cop
        return ml[i] + f * (ml[i + 1] - ml[i]), ap[i] + f * (ap[i + 1] - ap[i])


def _smooth(u: float) -> float:
    """Smoothstep from 0 (u <= 0) to 1 (u >= 1), zero slope at both ends."""
    u = min(max(u, 0.0), 1.0)
    return u * u * (3.0 - 2.0 * u)


def _settle(tau_s: float) -> float:
    """Damped 0.8 Hz oscillation (0 at tau_s = 0): balance recovery after a weight transfer."""
    return math.exp(-tau_s / 0.4) * math.sin(2 * math.pi * 0.8 * tau_s)


class Person:
    """A person who steps on at ``step_on_at_s`` (None: stays off) and sways in quiet stance.

    ``stance_ml_mm`` / ``stance_ap_mm`` place the mean COP in the platform frame (origin at the
    centre, ML positive to the patient's right, AP positive to the front). Query times must not
    decrease (by more than 1 s); ``step_on`` / ``step_off`` act from the time they are given.
    ``start_s`` is when the sway model starts (the clock's time at start-up: the daemon runs on
    the monotonic clock, whose zero is long past).
    """

    def __init__(
        self,
        profile: PersonProfile,
        *,
        seed: int = 0,
        step_on_at_s: float | None = 1.0,
        stance_ap_mm: float = 0.0,
        stance_ml_mm: float = 0.0,
        start_s: float = 0.0,
    ):
        self.profile, self.seed = profile, seed
        self._ml0, self._ap0 = stance_ml_mm, stance_ap_mm
        self._weight_n = profile.mass_kg * G_M_S2
        self._half_feet = profile.lead_side * profile.foot_spacing_mm / 2
        self._sway = _Sway(profile, seed, start_s)
        self._on_at, self._off_at, self._level0, self._off_level0 = step_on_at_s, None, 0.0, 0.0
        self._last: tuple[float, tuple[float, float, float]] = (math.nan, (0.0, 0.0, 0.0))
        # the load cells and the IMU (through the wobble board) query from their own threads
        self._lock = threading.Lock()

    def step_on(self, t_s: float) -> None:
        """Start stepping on at ``t_s`` (no effect while already on)."""
        with self._lock:
            self._step_on(t_s)

    def _step_on(self, t_s: float) -> None:
        if self._on_at is None or self._off_at is not None:
            self._level0 = self._envelope(t_s)[0]
            self._on_at, self._off_at = t_s, None

    def step_off(self, t_s: float) -> None:
        """Start stepping off at ``t_s``: the weight ramps down over ``profile.step_off_s``."""
        with self._lock:
            self._step_off(t_s)

    def _step_off(self, t_s: float) -> None:
        if self._on_at is not None and self._off_at is None:
            self._off_level0 = self._envelope(t_s)[0]
            self._off_at = t_s

    def _envelope(self, t_s: float) -> tuple[float, float, float]:
        """Share of body weight on the platform and the stepping COP offsets (ML, AP) in mm."""
        p, on, off = self.profile, self._on_at, self._off_at
        if on is None:
            return 0.0, 0.0, 0.0
        if off is None or t_s < off:
            tau = t_s - on - p.step_on_s
            if tau >= SETTLE_S:  # settled stance, the common case
                return 1.0, 0.0, 0.0
            if tau >= 0.0:  # recovery after the weight transfer, with a small force overshoot
                s = _settle(tau)
                return 1 + 0.04 * s * math.exp(-tau / 0.1), -0.12 * self._half_feet * s, 10.0 * s
            # heel strike of the lead foot, then the trailing foot takes its share from 35 %
            u = (t_s - on) / p.step_on_s
            lead = 1 - _smooth((u - 0.35) / 0.65)
            share = self._level0 + (1 - self._level0) * _smooth(u)
            return share, self._half_feet * lead, -30.0 * (1 - _smooth(u))
        u = (t_s - off) / p.step_off_s
        if u >= 1.0:
            return 0.0, 0.0, 0.0
        # the lead foot leaves first: COP moves under the trailing foot and forward (push-off)
        share = self._off_level0 * (1 - _smooth(u))
        return share, -self._half_feet * _smooth(u / 0.6), 25.0 * _smooth(u)

    def load(self, t_s: float) -> tuple[float, float, float]:
        """Vertical force in N and COP (ML, AP) in mm at ``t_s``; (0, 0, 0) when nobody is on."""
        with self._lock:
            return self._load(t_s)

    def _load(self, t_s: float) -> tuple[float, float, float]:
        if self._last[0] != t_s:
            if not -math.inf < t_s < math.inf:
                raise ValueError(f"load queried at t = {t_s} s: time must be finite")
            share, d_ml, d_ap = self._envelope(t_s)
            if share > 0.0:
                ml, ap = self._sway.cop_mm(t_s)
                out = (share * self._weight_n, self._ml0 + ml + d_ml, self._ap0 + ap + d_ap)
            else:
                out = (0.0, 0.0, 0.0)
            self._last = (t_s, out)
        return self._last[1]

    def on_platform(self, t_s: float) -> bool:
        """Whether any of the person's weight is on the platform at ``t_s``."""
        return self._envelope(t_s)[0] > 0.0

    def status(self) -> dict:
        """Plain-dict state: profile, seed, stepping times and the last load served."""
        t, (force, ml, ap) = self._last
        return {
            "profile": self.profile.name,
            "mass_kg": self.profile.mass_kg,
            "seed": self.seed,
            "step_on_at_s": self._on_at,
            "step_off_at_s": self._off_at,
            "on_platform": None if math.isnan(t) else self.on_platform(t),
            "last_t_s": None if math.isnan(t) else t,
            "force_n": force,
            "cop_ml_mm": ml,
            "cop_ap_mm": ap,
        }
