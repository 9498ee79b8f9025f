"""Welch power spectrum of a COP trace and the spectral sway measures of docs/clinical.md.

One spectrum per axis serves every measure: Duarte's Welch settings, those of the published mean
frequency of the public data set (Santos & Duarte 2016), so no spectrum is computed twice.
"""

import numpy as np

WELCH = (
    "Welch PSD per axis: Hann window, nperseg=N//2, noverlap=N//4, nfft=N//2, constant detrend, "
    "one-sided density over 0 to fs/2 (Duarte's settings)"
)
MEASURES = (
    "moments m_k = trapezoid(f^k * P); F50/F95 = first frequency where the cumulative trapezoid "
    "power reaches 50%/95% of m0; centroid sqrt(m2/m0); dispersion sqrt(1 - m1^2/(m0*m2)); "
    "mean power frequency m1/m0; 0 for an axis without power"
)
MEAN_COMBINED = (
    "Welch, Hann, nperseg=N/2, noverlap=N/4, nfft=N/2, constant detrend; "
    "per-axis mean power frequency combined power-weighted"
)
MEASURE_NAMES = ("mean_hz", "f50_hz", "f95_hz", "centroid_hz", "dispersion")


def welch_psd(traces: np.ndarray, fs_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """Frequencies in Hz and the one-sided PSD (unit^2/Hz) of each row of ``traces``."""
    from scipy import signal  # lazily: sensing.libraries

    n = traces.shape[-1]
    nperseg = n // 2
    return signal.welch(
        traces,
        fs_hz,
        window="hann",
        nperseg=nperseg,
        noverlap=n // 4,
        nfft=nperseg,
        detrend="constant",
        axis=-1,
    )


def spectral_measures(f: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """Mean power frequency, F50, F95, centroid (Hz) and dispersion (no unit) of one PSD."""
    from scipy.integrate import cumulative_trapezoid, trapezoid  # lazily: sensing.libraries

    m0 = trapezoid(p, f)
    if not m0 > 0:
        return dict.fromkeys(MEASURE_NAMES, 0.0)
    m1 = trapezoid(f * p, f)
    m2 = trapezoid(f * f * p, f)
    cumulative = cumulative_trapezoid(p, f, initial=0.0)
    last = len(f) - 1
    f50, f95 = (f[min(np.searchsorted(cumulative, q * m0), last)] for q in (0.5, 0.95))
    return {
        "mean_hz": float(m1 / m0),
        "f50_hz": float(f50),
        "f95_hz": float(f95),
        "centroid_hz": float(np.sqrt(m2 / m0)),
        "dispersion": float(np.sqrt(max(0.0, 1.0 - m1 * m1 / (m0 * m2)))),
    }


def combined_mean_frequency(mean_hz: tuple[float, float], power: tuple[float, float]) -> float:
    """Per-axis mean power frequencies combined, weighted by each axis's summed PSD (Duarte)."""
    total = power[0] + power[1]
    return (mean_hz[0] * power[0] + mean_hz[1] * power[1]) / total if total > 0 else 0.0
