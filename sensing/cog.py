"""The body's centre of gravity (COG) estimated from the centre of pressure (COP) alone.

A platform of four vertical load cells measures no horizontal force, so the COG cannot be found
by integrating it twice (Zatsiorsky & King 1998). What it can use is the inverted pendulum that
standing sway is: the COP leads the COG and swings past it, x_cop - x_cog = -(I / (m g h))
x_cog'' (I the body's moment of inertia about the ankles, h the COG's height above them), so
in the frequency domain the COG is the COP through the gain w0^2 / (w0^2 + w^2) with
w0^2 = m g h / I: a low-pass without phase shift (Caron, Faure & Brenière 1997; Duarte's
``cogve`` in BMClab/BMC implements it). A first-order Butterworth low-pass at w0 run forward and
backward has exactly that gain, so ``cog_from_cop`` is one.

The body's constants are Duarte's (``cogve``, after McGinnis 2005, Winter 2005 and Brenière
1996): h = ``COG_HEIGHT_FRACTION`` x body height H above the ankles and I = m (k^2 H^2 + h^2)
with k^2 = ``GYRATION_SQ`` per axis; the natural frequency comes out near 0.48 Hz for an adult,
where Benda et al. 1994 found the best equivalent low-pass (0.4-0.5 Hz). The estimate is the
least accurate of the published methods (Lafond et al. 2004) but the only one that needs no
horizontal force (docs/clinical.md, "Centre of gravity from the COP").
"""

import math

import numpy as np

from sensing.errors import NotEnoughDataError, SensingError

G_M_S2 = 9.80665

COG_HEIGHT_FRACTION = 0.521
"""COG height above the ankles over body height (Duarte's ``cogve``: 0.56 H of the COG above
the floor less 0.039 H of the ankle)."""

GYRATION_SQ = {"ml": 0.0572, "ap": 0.0533}
"""The body's squared radius of gyration about its COG over H^2, per axis (Brenière 1996)."""

MIN_SAMPLES = 8
"""Shortest run of COP the forward-backward filter is applied to; shorter runs are left out."""


class CogSettingsError(SensingError, ValueError):
    """A centre-of-gravity estimate got an impossible setting: the message names it."""


def natural_frequency_hz(body_height_m: float, axis: str) -> float:
    """The body pendulum's natural frequency on ``axis`` ('ml' or 'ap'), Hz."""
    if not (math.isfinite(body_height_m) and body_height_m > 0):
        raise CogSettingsError(f"body height must be a positive number of m, got {body_height_m}")
    if axis not in GYRATION_SQ:
        raise CogSettingsError(f"axis must be 'ml' or 'ap', got {axis!r}")
    h = COG_HEIGHT_FRACTION * body_height_m
    w0_sq = G_M_S2 * h / (GYRATION_SQ[axis] * body_height_m**2 + h * h)
    return math.sqrt(w0_sq) / (2 * math.pi)


def cog_from_cop(cop_mm, fs_hz: float, body_height_m: float) -> np.ndarray:
    """The COG (ML, AP) of a COP trace ``cop_mm`` of shape (2, N), rows ML and AP, sampled at
    ``fs_hz``: each row through its axis's zero-phase pendulum gain. Runs of missing COP (NaN:
    the patient off the platform) stay missing and each run is filtered on its own; a run
    shorter than MIN_SAMPLES is left missing."""
    if not (math.isfinite(fs_hz) and fs_hz > 0):
        raise CogSettingsError(f"the sampling rate must be a positive number of Hz, got {fs_hz}")
    values = np.asarray(cop_mm, dtype=float)
    if values.ndim != 2 or values.shape[0] != 2:
        raise CogSettingsError(f"give the COP as 2 rows (ML, AP), got shape {values.shape}")
    if values.shape[1] == 0:
        raise NotEnoughDataError("no COP samples to estimate the COG from")
    from scipy import signal  # lazily: sensing.libraries

    out = np.full(values.shape, np.nan)
    finite = np.all(np.isfinite(values), axis=0)
    edges = np.flatnonzero(np.diff(finite.astype(np.int8))) + 1
    runs = zip(np.concatenate([[0], edges]), np.concatenate([edges, [finite.size]]), strict=True)
    filters = [
        signal.butter(1, natural_frequency_hz(body_height_m, axis), fs=fs_hz)
        for axis in ("ml", "ap")
    ]
    for start, stop in runs:
        if not finite[start] or stop - start < MIN_SAMPLES:
            continue
        for row, (b, a) in enumerate(filters):
            # ends mirrored about their end values ('odd'): a stance starts and ends at rest
            out[row, start:stop] = signal.filtfilt(
                b, a, values[row, start:stop], padtype="odd", padlen=min(stop - start - 1, 300)
            )
    return out
