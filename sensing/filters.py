"""Low-pass filters and resampling for COP and load traces (scipy.signal).

Live display and cues need a causal filter that runs sample by sample (``CausalLowPass``);
analysis uses a zero-lag Butterworth (``zero_lag_lowpass``, forward and backward, no delay) and
rational-ratio resampling (``resample``). Each is described by a plain dict (``describe``)
recorded with the results, so a trial can be re-analysed and its numbers explained.
"""

import math
from fractions import Fraction

import numpy as np

from sensing.errors import NotEnoughDataError, SensingError

CAUSAL = "butterworth_lowpass_causal"
ZERO_LAG = "butterworth_lowpass_zero_lag"
NONE = "none"

MAX_ORDER = 8
"""Higher Butterworth orders gain nothing for sway (content below ~3 Hz) and ring on steps."""

MAX_RESAMPLING_TERM = 1000
"""Largest numerator or denominator of the rate ratio: 100 -> 25 Hz is 1/4, 80 -> 100 Hz 5/4."""

RESAMPLING_KAISER_BETA = 5.0
"""scipy's own default window for resample_poly's anti-alias filter."""

RESAMPLING = (
    "scipy.signal.resample_poly with scipy's default anti-alias FIR (firwin, 20*max(up,down)+1 "
    "taps, cutoff 1/max(up,down) of Nyquist, Kaiser beta 5), each polyphase branch scaled to "
    "unit gain at 0 Hz; ends extended by a straight line ('line')"
)


class FilterSettingsError(SensingError, ValueError):
    """A filter or resampling setting cannot work: the message names it and the allowed range."""


def describe(
    kind: str,
    order: int | None,
    cutoff_hz: float | None,
    fs_hz: float,
    resampled_to_hz: float | None = None,
) -> dict:
    """The plain dict recorded with results: filter kind, order, cutoff, input and output rate."""
    return {
        "kind": kind,
        "order": order,
        "cutoff_hz": cutoff_hz,
        "fs_hz": fs_hz,
        "resampled_to_hz": resampled_to_hz,
    }


def lowpass_sos(cutoff_hz: float, fs_hz: float, order: int) -> np.ndarray:
    """Second-order sections of a Butterworth low-pass, after checking every setting."""
    if not (np.isfinite(fs_hz) and fs_hz > 0):
        raise FilterSettingsError(f"the sampling rate must be a positive number of Hz, got {fs_hz}")
    if isinstance(order, bool) or not isinstance(order, int | np.integer):
        raise FilterSettingsError(f"the filter order must be a whole number, got {order!r}")
    if not 1 <= order <= MAX_ORDER:
        raise FilterSettingsError(f"the filter order must be 1 to {MAX_ORDER}, got {order}")
    nyquist_hz = fs_hz / 2
    if not (np.isfinite(cutoff_hz) and 0 < cutoff_hz < nyquist_hz):
        raise FilterSettingsError(
            f"the cutoff must lie between 0 and half the sampling rate ({nyquist_hz:g} Hz at "
            f"{fs_hz:g} Hz), got {cutoff_hz} Hz"
        )
    from scipy import signal  # lazily: sensing.libraries

    return signal.butter(order, cutoff_hz, btype="lowpass", fs=fs_hz, output="sos")


class CausalLowPass:
    """Butterworth low-pass that keeps its state between calls, for live display and cues.

    It delays the signal (about a quarter period of the cutoff for order 2), the price of using
    only past samples. It starts at the steady state of its first input, so a constant input comes
    out unchanged from the first sample. A non-finite input (no COP: nobody on the platform) gives
    NaN and restarts the filter at the next finite sample.
    """

    def __init__(self, cutoff_hz: float, fs_hz: float, order: int = 2):
        self._sos = lowpass_sos(cutoff_hz, fs_hz, order)
        self._sos_rows = [tuple(float(v) for v in row) for row in self._sos]
        from scipy import signal  # lazily: sensing.libraries

        self._zi_unit = signal.sosfilt_zi(self._sos)
        self._zi = None
        self.description = describe(CAUSAL, order, float(cutoff_hz), float(fs_hz))

    def reset(self) -> None:
        """Forget the past: the next sample restarts the filter at its steady state."""
        self._zi = None

    def step(self, x):
        """Filter one sample (a number in, a number out) or a 1-D block of consecutive samples."""
        if isinstance(x, float | int):
            return self._step_one(float(x))
        from scipy import signal  # lazily: sensing.libraries

        values = np.asarray(x, dtype=float)
        block = np.atleast_1d(values)
        if block.ndim != 1:
            raise FilterSettingsError("step() takes one sample or a 1-D block of samples")
        out = np.full(block.shape, np.nan)
        finite = np.isfinite(block)
        edges = np.flatnonzero(np.diff(finite.astype(np.int8))) + 1
        for start, stop in zip(
            np.concatenate([[0], edges]), np.concatenate([edges, [len(block)]]), strict=True
        ):
            if not finite[start]:
                self._zi = None
                continue
            zi = self._zi_unit * block[start] if self._zi is None else np.asarray(self._zi)
            out[start:stop], zi = signal.sosfilt(self._sos, block[start:stop], zi=zi)
            self._zi = zi.tolist()
        return float(out[0]) if values.ndim == 0 else out

    def _step_one(self, x: float) -> float:
        """One sample through the same second-order sections as ``scipy.signal.sosfilt``
        (transposed direct form II): the control loop filters two numbers a tick, and a
        scipy call per number would cost fifty times more than the arithmetic."""
        if not math.isfinite(x):
            self._zi = None
            return math.nan
        if self._zi is None:
            self._zi = (self._zi_unit * x).tolist()  # lists of floats: no numpy per number
        for state, (b0, b1, b2, _, a1, a2) in zip(self._zi, self._sos_rows, strict=True):
            y = b0 * x + state[0]
            state[0] = b1 * x - a1 * y + state[1]
            state[1] = b2 * x - a2 * y
            x = y
        return x


def zero_lag_lowpass(x, fs_hz: float, cutoff_hz: float, order: int = 4) -> np.ndarray:
    """Butterworth low-pass of ``x`` along its last axis, run forward and backward (no delay).

    ``order`` is the design order (Quijoux et al. 2021: 4); running it twice squares the response,
    so the gain at the cutoff is 1/2 (-6 dB) and the roll-off is that of twice the order.
    """
    sos = lowpass_sos(cutoff_hz, fs_hz, order)
    values = np.asarray(x, dtype=float)
    from scipy import signal  # lazily: sensing.libraries

    try:
        return signal.sosfiltfilt(sos, values, axis=-1)
    except ValueError as exc:  # scipy: "The length of the input vector x must be greater ..."
        raise NotEnoughDataError(
            f"too few samples ({values.shape[-1]}) for a zero-lag filter of order {order}: {exc}"
        ) from None


def resampling_ratio(fs_hz: float, target_hz: float) -> tuple[int, int]:
    """(up, down) with target = fs * up / down exactly, small whole numbers, or a clear error."""
    for name, rate in (("sampling rate", fs_hz), ("target rate", target_hz)):
        if not (np.isfinite(rate) and rate > 0):
            raise FilterSettingsError(f"the {name} must be a positive number of Hz, got {rate}")
    ratio = Fraction(target_hz / fs_hz).limit_denominator(MAX_RESAMPLING_TERM)
    if (
        ratio.numerator > MAX_RESAMPLING_TERM
        or abs(fs_hz * ratio.numerator / ratio.denominator - target_hz) > 1e-9 * target_hz
    ):
        raise FilterSettingsError(
            f"cannot resample {fs_hz:g} Hz to {target_hz:g} Hz: the ratio must be a fraction "
            f"of whole numbers up to {MAX_RESAMPLING_TERM} (for example 100 -> 25 Hz)"
        )
    return ratio.numerator, ratio.denominator


def _antialias_taps(up: int, down: int) -> np.ndarray:
    """scipy's default resample_poly filter with each polyphase branch summing to 1 / up.

    Left as designed, the branches of an up-sampling filter differ in gain by about 0.05%, which
    turns a COP offset into a ripple at the branch rate and adds false path length.
    """
    from scipy import signal  # lazily: sensing.libraries

    rate = max(up, down)
    taps = signal.firwin(20 * rate + 1, 1 / rate, window=("kaiser", RESAMPLING_KAISER_BETA))
    for phase in range(up):
        taps[phase::up] /= taps[phase::up].sum() * up
    return taps


def resample(x, fs_hz: float, target_hz: float) -> np.ndarray:
    """``x`` resampled along its last axis from ``fs_hz`` to ``target_hz`` (see RESAMPLING).

    N samples become ceil(N * up / down); the first output sample is at the first input time.
    """
    up, down = resampling_ratio(fs_hz, target_hz)
    values = np.asarray(x, dtype=float)
    if up == down:
        return values.copy()
    taps = _antialias_taps(up, down)
    from scipy import signal  # lazily: sensing.libraries

    return signal.resample_poly(values, up, down, axis=-1, window=taps, padtype="line")
