"""Who the simulated person is: body size, sway controller and disturbance per axis and
condition (eyes open or closed, firm ground or foam, one leg), limits of stability, how they step
on and off, lean, stand on one leg and react; and the clinical profiles the station offers
(``PROFILES``: healthy young, older adult, post-stroke, post-knee-surgery, high fall risk).

Each condition has its own `SwayAxis` values per axis (AP, ML); a condition left None sways
like eyes open on firm ground. The body turns about the ankles as an inverted pendulum with
its centre of mass at ``com_height_fraction * height_m`` and the radius of gyration of
``GYRATION_SQ`` (``pendulum_w2``); how it sways under these values is `hw.sim.sway`'s.
"""

import math
from dataclasses import dataclass, field, replace

from hw.sim.trunk import TrunkPosture

G_M_S2 = 9.80665  # standard gravity, m/s^2

LOS_LIMITS_DEG = {"front": 8.0, "back": 4.5, "left": 8.0, "right": 8.0}
"""Theoretical limits of stability: sway angle about the ankles (docs/clinical.md)."""

GYRATION_SQ = {"ml": 0.0572, "ap": 0.0533}
"""The body's squared radius of gyration about its centre of mass over height squared, per
axis (Duarte, BMClab ``cogve``; Brenière 1996): with the centre of mass's own distance from the
ankles it gives the moment of inertia the pendulum turns with (docs/clinical.md)."""


FEET_STANCES = ("together", "semi-tandem", "tandem")
"""The narrower two-foot stances of the standard tests (STEADI, BESS), narrowest last."""

FEET_GEOMETRY_MM = {"together": (100.0, 0.0), "semi-tandem": (100.0, 125.0), "tandem": (0.0, 250.0)}
"""(ML, AP) distance between the feet's centres in each narrow stance, mm: an adult foot about
100 mm wide and 250 mm long; side by side touching, the instep against the big toe (half a
foot ahead), heel against toe."""

NARROW_SWAY = {"together": (1.0, 1.8), "semi-tandem": (1.1, 2.3), "tandem": (1.3, 3.0)}
"""(AP, ML) factors on the disturbance and drift of habitual stance in each narrow stance.
Design values, not a published ratio: a narrower base raises sway, the ML sway most (Sarabon et
al. 2010: changes proportional to the base of support's reduction per direction; Day et al.
1993), and no paper read gives the factor (docs/clinical.md, "The virtual patient")."""

WEAKER_STANCE_GAIT = (0.6, 1.4)
"""Gait initiation with the weaker leg as the stance leg: the APA's size times 0.6 and its
phases 1.4 times as long (design values after Delafontaine et al. 2019: after stroke the COP
shift is smaller and the preparation longer; docs/clinical.md)."""

SURFACE_HOLD_FACTOR = {"firm": 1.0, "foam": 0.5, "disc": 0.4}
"""The median time a narrow or one-leg stance is held on each surface, relative to firm ground:
the foam pad halves it (design value that puts a healthy young adult's BESS near the 10-13
errors of young athletes), the balance disc shortens it more (design value: an air-filled
disc sways more than a foam pad, Lee et al. 2018; docs/clinical.md)."""
DISC_SWAY = 1.3
"""Sway on the balance disc: the foam pad's disturbance and drift times this (design value;
only the order firm < foam < disc is published, Lee et al. 2018)."""


@dataclass(frozen=True)
class SwayAxis:
    """Controller and disturbance of one sway axis (defaults: healthy young adult, AP)."""

    stiffness: float = 1.25  # active proportional gain, in units of m*g*h (>1 to stand)
    damping_s: float = 0.45  # derivative gain / (m*g*h), s
    noise_mm: float = 0.98  # std of the torque disturbance, expressed as COP, mm
    noise_tau_s: float = 1.0  # correlation time of the torque disturbance, s
    drift_mm: float = 2.52  # std of the reference-posture drift, mm
    drift_tau_s: float = 10.0  # correlation time of that drift, s


@dataclass(frozen=True)
class Stance:
    """Both sway axes in one condition."""

    ap: SwayAxis
    ml: SwayAxis


@dataclass(frozen=True)
class Reach:
    """Per direction, a fraction of the theoretical limit of stability (LOS_LIMITS_DEG)."""

    front: float = 1.0
    back: float = 1.0
    left: float = 1.0
    right: float = 1.0


@dataclass(frozen=True)
class PersonProfile:
    """A person: body size, sway controller per axis and condition, how they step on and off,
    lean, stand on one leg or in a narrower stance (``FEET_STANCES``) and react.

    ``ap`` / ``ml`` sway eyes open on a firm surface; a condition left None sways the same.
    """

    name: str
    mass_kg: float
    height_m: float
    age_years: int = 30  # what a therapist enters as the birth date; the norms depend on it
    sex: str = "female"  # 'female' or 'male', likewise
    ap: SwayAxis = field(default_factory=SwayAxis)  # antero-posterior sway
    ml: SwayAxis = field(default_factory=SwayAxis)  # medio-lateral sway
    eyes_closed: Stance | None = None  # eyes closed, firm surface
    foam: Stance | None = None  # eyes open on a foam pad
    eyes_closed_foam: Stance | None = None
    single_leg: Stance | None = None  # on one leg (firm, either eye condition)
    com_height_fraction: float = 0.55  # ankle-to-COM distance / body height
    delay_s: float = 0.15  # neural feedback delay, s
    muscle_tau_s: float = 0.08  # time constant of ankle-torque build-up, s
    step_on_s: float = 0.7  # weight ramp when stepping on, s
    step_off_s: float = 0.5  # weight ramp when stepping off, s
    foot_spacing_mm: float = 180.0  # ML distance between the feet's centres, mm
    lead_side: int = 1  # foot placed first: +1 right, -1 left
    load_share_left: float = 0.5  # share of body weight on the left leg in quiet stance
    los_fraction: Reach = field(default_factory=Reach)  # own limits of stability
    balance_reserve: float = 1.4  # reachable COP range / own limits of stability (firm)
    reaction_time_s: tuple[float, float] = (0.4, 0.08)  # cue to movement: mean and std, s
    lean_speed_deg_s: float = 6.0  # COM speed of a deliberate lean, deg/s about the ankles
    single_leg_hold_s: tuple[float, float] = (40.0, 9.0)  # median hold, eyes open and closed
    single_leg_hold_spread: float = 0.45  # std of the log of the hold time
    # median hold of feet together, semi-tandem and tandem stance on firm ground, s: eyes open,
    # then eyes closed; foam or a disc shortens them by SURFACE_HOLD_FACTOR
    narrow_hold_s: tuple[tuple[float, float, float], tuple[float, float, float]] = (
        (300.0, 120.0, 60.0),
        (120.0, 30.0, 10.0),
    )
    # gait initiation: the anticipatory COP shift back and toward the swing leg (mm), its
    # duration from onset to the swing foot unloading (s), and that unloading (s)
    gait_apa_mm: tuple[float, float] = (30.0, 25.0)
    gait_apa_s: float = 0.35
    gait_unload_s: float = 0.15
    weaker_leg: str | None = None  # 'left' or 'right': the affected leg
    weaker_leg_hold_factor: float = 1.0  # hold time standing on the weaker leg, relative
    trunk: TrunkPosture = field(default_factory=TrunkPosture)  # the trunk's posture on the hips

    def stance(self, eyes_closed: bool, surface: str = "firm", feet: str = "apart") -> Stance:
        """The sway axes in a condition, on a ``surface`` (firm, foam, or a balance disc: the
        foam pad's sway scaled by ``DISC_SWAY``), with the feet ``apart`` (the habitual
        stance), on one leg (``single``) or in a narrower stance (``FEET_STANCES``: the
        habitual sway's disturbance scaled by ``NARROW_SWAY``)."""
        if feet == "single":
            return self.single_leg or Stance(self.ap, self.ml)
        if surface == "firm":
            chosen = self.eyes_closed if eyes_closed else None
        else:
            chosen = self.eyes_closed_foam if eyes_closed else self.foam
        chosen = chosen or Stance(self.ap, self.ml)
        if surface == "disc":
            chosen = _scaled(chosen, DISC_SWAY, DISC_SWAY, 1.0)
        if feet == "apart":
            return chosen
        ap, ml = NARROW_SWAY[feet]
        return _scaled(chosen, ap, ap, ml / ap)

    def hold_median_s(self, feet: str, eyes_closed: bool, surface: str = "firm") -> float:
        """Median time the person holds stance ``feet`` (``single`` or one of FEET_STANCES) in
        a condition before a foot moves, s; before the weaker leg's factor."""
        if feet == "single":
            median_s = self.single_leg_hold_s[1 if eyes_closed else 0]
        else:
            median_s = self.narrow_hold_s[1 if eyes_closed else 0][FEET_STANCES.index(feet)]
        return median_s * SURFACE_HOLD_FACTOR[surface]

    def gait(self, swing: str) -> tuple[float, float, float, float]:
        """Gait initiation stepping off with the ``swing`` leg: (APA back mm, APA toward the
        swing leg mm, APA duration s, unloading s). Standing on the weaker leg shrinks the APA
        and slows it (``WEAKER_STANCE_GAIT``)."""
        back, side = self.gait_apa_mm
        apa_s, unload_s = self.gait_apa_s, self.gait_unload_s
        if self.weaker_leg is not None and swing != self.weaker_leg:
            size, slower = WEAKER_STANCE_GAIT
            back, side = back * size, side * size
            apa_s, unload_s = apa_s * slower, unload_s * slower
        return back, side, apa_s, unload_s

    def pendulum_w2(self, axis: str) -> float:
        """Squared natural angular frequency (1/s^2) of the body pendulum about the ankles on
        ``axis`` ('ml' or 'ap'): m g h / I with I = m (k^2 H^2 + h^2)."""
        h = self.com_height_fraction * self.height_m
        return G_M_S2 * h / (GYRATION_SQ[axis] * self.height_m**2 + h * h)

    @property
    def cog_height_mm(self) -> float:
        """Height of the centre of gravity above the ankles, mm."""
        return self.com_height_fraction * self.height_m * 1000.0

    @property
    def neutral_ml_mm(self) -> float:
        """Mean ML COP of quiet stance from the midpoint of the feet, mm: with the feet at
        +-spacing/2 it is spacing * (share_right - 0.5)."""
        return self.foot_spacing_mm * (0.5 - self.load_share_left)

    def limit_mm(self, direction: str) -> float:
        """How far the COM can be held from the midpoint of the feet toward ``direction``
        ('front', 'back', 'left', 'right'), mm: the fraction of the theoretical limit."""
        angle = math.radians(LOS_LIMITS_DEG[direction])
        return self.cog_height_mm * math.tan(angle) * getattr(self.los_fraction, direction)


def _stance(ap_noise_mm, ap_drift_mm, ml_noise_mm, ml_drift_mm, *, noise_tau_s, **kw) -> Stance:
    """Both axes with the given disturbance and drift over a common controller ``kw``."""
    ap = SwayAxis(noise_mm=ap_noise_mm, drift_mm=ap_drift_mm, noise_tau_s=noise_tau_s, **kw)
    return Stance(ap, replace(ap, noise_mm=ml_noise_mm, drift_mm=ml_drift_mm))


def _scaled(stance: Stance, noise: float, drift: float, ml: float) -> Stance:
    """``stance`` with disturbance and drift scaled, the ML axis's by ``ml`` more."""
    ap, m = stance.ap, stance.ml
    return Stance(
        replace(ap, noise_mm=ap.noise_mm * noise, drift_mm=ap.drift_mm * drift),
        replace(m, noise_mm=m.noise_mm * noise * ml, drift_mm=m.drift_mm * drift * ml),
    )


_OLDER = {"stiffness": 1.2, "damping_s": 0.5}  # the older adult's controller
_OLDER_SWAY = {
    "eyes_open": _stance(1.14, 1.76, 0.58, 0.88, noise_tau_s=0.8, **_OLDER),
    "eyes_closed": _stance(1.13, 0.75, 0.57, 0.38, noise_tau_s=0.56, **_OLDER),
    "foam": _stance(3.06, 4.7, 2.02, 2.91, noise_tau_s=0.4, **_OLDER),
    "eyes_closed_foam": _stance(3.37, 4.79, 2.22, 2.98, noise_tau_s=0.32, **_OLDER),
    "single_leg": _stance(3.6, 3.5, 4.2, 2.8, noise_tau_s=0.8, **_OLDER),
}


def _clinical(name, mass_kg, height_m, *, noise, drift, ml, on_foam, **kw) -> PersonProfile:
    """A patient swaying like the older adult scaled by ``noise``, ``drift`` and ``ml``; on
    foam by ``on_foam`` instead of ``noise`` and ``drift``."""
    sway = {
        k: _scaled(v, *((on_foam,) * 2 if "foam" in k else (noise, drift)), ml)
        for k, v in _OLDER_SWAY.items()
    }
    eyes_open = sway.pop("eyes_open")
    return PersonProfile(name, mass_kg, height_m, ap=eyes_open.ap, ml=eyes_open.ml, **sway, **kw)


# Sway tuned so that 60 s of standing still, measured through the whole emulated station (load cells
# with their noise, hum and drift, scored under the published processing of drills.standing), puts
# the medians over 20 seeds within 10% of those of Santos & Duarte 2016 for young and old adults in
# all four conditions (docs/clinical.md, "The virtual patient"). Older adults: longer delay, more
# noise and less slow drift (faster, not larger, sway). Foam enlarges and speeds the sway: more
# disturbance with a shorter correlation time, the ML axis relatively more; eyes closed on firm
# ground barely changes the area and slightly raises the velocity. The clinical profiles scale the
# older adult's sway. Single-leg hold times put the best of three trials near Springer et al. 2007's
# age norms (44.7 s eyes open at 18-39 years, 21.5 s at 70-79; eyes closed 13-17 s and about 3 s)
# and the frail patient under Vellas et al. 1997's 5 s. Narrow stances (STEADI 4-stage, BESS): the
# frail patient holds feet together, semi-tandem and tandem for 10 s as often as Giuliani et al.
# 2008's assisted-living residents (61%, 34%, 8%), the older adult fails tandem about one time in
# twenty, the post-stroke patient mostly (below the CDC's 10 s); eyes-closed and foam holds put the
# healthy young adult's BESS near young athletes' 10-13 errors. Gait initiation: the APA is
# largest and quickest in the healthy young adult, smaller and slower with age and impairment
# (design values ordered as the literature orders the groups; no magnitudes could be read).
# Reach, reaction and lean speed are
# plausible values in the spirit of the clinical literature (docs/clinical.md), ordered from the
# healthy young adult to the frail one.
PROFILES: dict[str, PersonProfile] = {
    "healthy-young": PersonProfile(
        "healthy-young", 65.0, 1.70, age_years=25, ml=SwayAxis(noise_mm=0.49, drift_mm=1.26),
        eyes_closed=_stance(1.04, 2.32, 0.51, 1.16, noise_tau_s=1.0),
        foam=_stance(2.27, 4.37, 1.5, 2.69, noise_tau_s=0.6),
        eyes_closed_foam=_stance(2.57, 3.02, 1.69, 1.88, noise_tau_s=0.36),
        single_leg=_stance(2.4, 3.5, 2.88, 2.8, noise_tau_s=1.0),
        los_fraction=Reach(front=0.95, back=0.9, left=0.95, right=0.95), balance_reserve=1.4,
        reaction_time_s=(0.4, 0.08), lean_speed_deg_s=6.0,
        single_leg_hold_s=(90.0, 10.0), single_leg_hold_spread=0.45,
        narrow_hold_s=((600.0, 600.0, 300.0), (600.0, 60.0, 15.0)),
        gait_apa_mm=(35.0, 30.0), gait_apa_s=0.35, gait_unload_s=0.15,
        trunk=TrunkPosture(sway_deg=0.3, drift_deg_min=0.3),
    ),
    "older-adult": PersonProfile(
        "older-adult", 75.0, 1.68, age_years=72, sex="male", delay_s=0.17,
        ap=_OLDER_SWAY["eyes_open"].ap, ml=_OLDER_SWAY["eyes_open"].ml,
        eyes_closed=_OLDER_SWAY["eyes_closed"], foam=_OLDER_SWAY["foam"],
        eyes_closed_foam=_OLDER_SWAY["eyes_closed_foam"], single_leg=_OLDER_SWAY["single_leg"],
        los_fraction=Reach(front=0.8, back=0.75, left=0.8, right=0.8), balance_reserve=1.4,
        reaction_time_s=(0.6, 0.12), lean_speed_deg_s=4.0,
        single_leg_hold_s=(13.0, 1.9), single_leg_hold_spread=0.6,
        narrow_hold_s=((300.0, 120.0, 25.0), (120.0, 20.0, 5.0)),
        gait_apa_mm=(25.0, 22.0), gait_apa_s=0.45, gait_unload_s=0.2,
        trunk=TrunkPosture(sway_deg=0.5, drift_deg_min=1.0),
    ),
    # paretic left side: weight kept on the right leg, little reach or stance on the left
    "post-stroke": _clinical(
        "post-stroke", 72.0, 1.72, age_years=63, sex="male",
        noise=1.4, drift=1.3, ml=1.3, on_foam=1.2, delay_s=0.18,
        load_share_left=0.37, los_fraction=Reach(front=0.65, back=0.55, left=0.45, right=0.8),
        balance_reserve=1.45, reaction_time_s=(0.8, 0.2), lean_speed_deg_s=2.5,
        single_leg_hold_s=(8.0, 2.0), single_leg_hold_spread=0.6,
        narrow_hold_s=((120.0, 30.0, 7.0), (40.0, 8.0, 2.5)),
        gait_apa_mm=(20.0, 18.0), gait_apa_s=0.55, gait_unload_s=0.25,
        weaker_leg="left", weaker_leg_hold_factor=0.3,
        trunk=TrunkPosture(sway_deg=0.6, drift_deg_min=1.5, drift_ml_ap=(-1.0, 0.5)),
    ),
    # left knee operated a few weeks ago: the left leg offloaded and guarded
    "post-knee-surgery": _clinical(
        "post-knee-surgery", 82.0, 1.75, age_years=58, sex="male",
        noise=1.1, drift=1.1, ml=1.2, on_foam=1.1, delay_s=0.16,
        load_share_left=0.32, los_fraction=Reach(front=0.8, back=0.75, left=0.6, right=0.9),
        balance_reserve=1.35, reaction_time_s=(0.5, 0.1), lean_speed_deg_s=3.5,
        single_leg_hold_s=(20.0, 5.0), single_leg_hold_spread=0.6,
        narrow_hold_s=((300.0, 90.0, 18.0), (120.0, 15.0, 4.0)),
        gait_apa_mm=(25.0, 20.0), gait_apa_s=0.45, gait_unload_s=0.2,
        weaker_leg="left", weaker_leg_hold_factor=0.25,
        trunk=TrunkPosture(sway_deg=0.4, drift_deg_min=0.6),
    ),
    # frail, fearful older adult: large sway, half the reach, slow, a few seconds on one leg
    "high-fall-risk": _clinical(
        "high-fall-risk", 70.0, 1.62, age_years=81, noise=1.5, drift=1.3, ml=1.1, on_foam=1.3,
        delay_s=0.18,
        los_fraction=Reach(front=0.5, back=0.45, left=0.5, right=0.5),
        balance_reserve=1.2, reaction_time_s=(1.0, 0.25), lean_speed_deg_s=2.0,
        single_leg_hold_s=(3.0, 1.0), single_leg_hold_spread=0.5,
        narrow_hold_s=((12.0, 8.0, 5.0), (4.0, 2.5, 1.5)),
        gait_apa_mm=(12.0, 12.0), gait_apa_s=0.6, gait_unload_s=0.3,
        trunk=TrunkPosture(sway_deg=0.8, drift_deg_min=2.5),
    ),
}  # fmt: skip


TRAINING_FULL_WEEKS = 12.0
"""Weeks of balance training after which the virtual patient improves no further: the length of
the balance-training trials read (Nicholson et al. 2014; Lacroix et al. 2016); that improvement
stops there is a design value (docs/clinical.md, "The virtual patient")."""
TRAINING_SWAY = 0.7
"""Sway disturbance and drift after full training, relative to before: about one between-subject
standard deviation less sway speed for an older adult, the size of the effect of balance
exercise in Low et al. 2017's meta-analysis (SMD -1.13 eyes open; a design value sized on it)."""
TRAINING_HOLD = 2.0
"""Median hold of a narrow or one-leg stance after full training, relative (design value)."""


def trained(profile: PersonProfile, weeks: float) -> PersonProfile:
    """``profile`` after ``weeks`` of balance training: its sway scaled toward TRAINING_SWAY and
    its holds toward TRAINING_HOLD, evenly over TRAINING_FULL_WEEKS (no change at 0 weeks)."""
    if weeks <= 0:
        return profile
    done = min(weeks, TRAINING_FULL_WEEKS) / TRAINING_FULL_WEEKS
    sway = 1.0 - (1.0 - TRAINING_SWAY) * done
    hold = 1.0 + (TRAINING_HOLD - 1.0) * done

    def calmer(stance: Stance | None) -> Stance | None:
        return None if stance is None else _scaled(stance, sway, sway, 1.0)

    base = _scaled(Stance(profile.ap, profile.ml), sway, sway, 1.0)
    return replace(
        profile,
        ap=base.ap,
        ml=base.ml,
        eyes_closed=calmer(profile.eyes_closed),
        foam=calmer(profile.foam),
        eyes_closed_foam=calmer(profile.eyes_closed_foam),
        single_leg=calmer(profile.single_leg),
        single_leg_hold_s=tuple(s * hold for s in profile.single_leg_hold_s),
        narrow_hold_s=tuple(tuple(s * hold for s in row) for row in profile.narrow_hold_s),
    )
