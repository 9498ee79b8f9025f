"""Sway metrics of a center-of-pressure trace, as defined in docs/clinical.md.

Input is COP in centimetres (AP and ML, any origin) sampled at ``fs_hz``; every metric is computed
on the mean-removed trace, with N samples lasting T = N / fs. ``area_ellipse95_cm2`` is the 95%
prediction ellipse and ``frequency_mean_hz`` the power-weighted Welch mean power frequency, the
conventions of Santos & Duarte (2016), so the published values of their public data set are
reproduced exactly. Every key is explained in plain words in ``sensing.metric_docs``.
"""

import numpy as np

from sensing.ellipse import DESCRIPTIONS as ELLIPSE_DESCRIPTIONS
from sensing.ellipse import ellipse95_areas, ellipse95_prediction_area
from sensing.errors import ImplausibleDataError, NotEnoughDataError, SensingError
from sensing.spectral import (
    MEAN_COMBINED,
    MEASURES,
    WELCH,
    combined_mean_frequency,
    spectral_measures,
    welch_psd,
)

__all__ = [
    "CONVENTIONS",
    "MIN_SAMPLES",
    "MetricSettingsError",
    "ellipse95_prediction_area",
    "frequency_mean",
    "sway_metrics",
    "validated_cop",
    "validated_rate",
]

MIN_SAMPLES = 8

CONVENTIONS = {
    "ellipse": ELLIPSE_DESCRIPTIONS["prediction"],
    "ellipse_prediction": ELLIPSE_DESCRIPTIONS["prediction"],
    "ellipse_confidence": ELLIPSE_DESCRIPTIONS["confidence"],
    "ellipse_chi2": ELLIPSE_DESCRIPTIONS["chi2"],
    "velocity": "path length / (N / fs)",
    "frequency_mean": MEAN_COMBINED,
    "spectral": f"{WELCH}; {MEASURES}",
    "mean_removal": "each axis minus its own mean before any metric",
    "range_resultant": "largest distance between any two COP samples (hull diameter)",
    "sway_area": "Prieto 1996: sum |ML[n+1]*AP[n] - ML[n]*AP[n+1]| / (2T)",
    "frequency_mean_prieto": "Prieto 1996: path length / (2*pi * mean distance * T)",
    "filter": "none (raw COP)",
}


class MetricSettingsError(SensingError, ValueError):
    """A metric was asked for with an impossible setting (a sampling rate, a convention name)."""


def validated_cop(ap_cm, ml_cm) -> tuple[np.ndarray, np.ndarray]:
    """AP and ML as float arrays, refused with a reason when too short, mismatched, gapped
    (NaN: off the platform) or infinite."""
    ap = np.asarray(ap_cm, dtype=float)
    ml = np.asarray(ml_cm, dtype=float)
    if ap.shape != ml.shape or ap.ndim != 1:
        raise NotEnoughDataError("AP and ML traces must be 1-D arrays of the same length")
    n = len(ap)
    if n < MIN_SAMPLES:
        raise NotEnoughDataError(f"need at least {MIN_SAMPLES} COP samples, got {n}")
    if np.isinf(ap).any() or np.isinf(ml).any():
        raise ImplausibleDataError("the COP trace holds infinite values, which are no measurement")
    if not (np.all(np.isfinite(ap)) and np.all(np.isfinite(ml))):
        raise NotEnoughDataError("COP trace has gaps (the patient was off the platform)")
    return ap, ml


def validated_rate(fs_hz: float) -> float:
    """The sampling rate as a float, refused unless positive and finite."""
    if not (np.isfinite(fs_hz) and fs_hz > 0):
        raise MetricSettingsError(f"the sampling rate must be a positive number of Hz, got {fs_hz}")
    return float(fs_hz)


def frequency_mean(ap: np.ndarray, ml: np.ndarray, fs_hz: float) -> float:
    """Power-weighted mean power frequency of both axes, in Hz (Duarte's Welch settings)."""
    f, p = welch_psd(np.vstack([ap, ml]), fs_hz)
    means = (spectral_measures(f, p[0])["mean_hz"], spectral_measures(f, p[1])["mean_hz"])
    return combined_mean_frequency(means, (float(p[0].sum()), float(p[1].sum())))


def _resultant_range(ap: np.ndarray, ml: np.ndarray) -> float:
    """Largest distance between two samples; the pair lies on the convex hull, so only its
    vertices are compared ('QJ' joggles collinear traces into a valid hull of the same extremes)."""
    from scipy.spatial import ConvexHull  # lazily: sensing.libraries
    from scipy.spatial.distance import pdist

    points = np.column_stack([ml, ap])
    return float(pdist(points[ConvexHull(points, qhull_options="QJ").vertices]).max())


def _ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, 0 when the trace did not move (denominator 0)."""
    return numerator / denominator if denominator > 0 else 0.0


def sway_metrics(ap_cm: np.ndarray, ml_cm: np.ndarray, fs_hz: float) -> dict[str, float]:
    """Every sway metric of a COP trace in centimetres, keyed with its unit (see metric_docs)."""
    ap, ml = validated_cop(ap_cm, ml_cm)
    fs_hz = validated_rate(fs_hz)
    n = len(ap)
    ap = ap - ap.mean()
    ml = ml - ml.mean()
    duration_s = n / fs_hz
    distance = np.hypot(ap, ml)
    d_ap, d_ml = np.diff(ap), np.diff(ml)
    path_cm = float(np.sum(np.hypot(d_ap, d_ml)))
    path_ap_cm = float(np.sum(np.abs(d_ap)))
    path_ml_cm = float(np.sum(np.abs(d_ml)))
    rms_ap = float(np.sqrt(np.mean(ap**2)))
    rms_ml = float(np.sqrt(np.mean(ml**2)))
    distance_mean = float(distance.mean())
    ellipses = ellipse95_areas(ap, ml)
    f, p = welch_psd(np.vstack([ap, ml]), fs_hz)
    spectra = {"ap": spectral_measures(f, p[0]), "ml": spectral_measures(f, p[1])}
    means = (spectra["ap"]["mean_hz"], spectra["ml"]["mean_hz"])
    triangles = np.abs(ml[1:] * ap[:-1] - ml[:-1] * ap[1:])
    metrics = {
        "n_samples": n,
        "duration_s": duration_s,
        "distance_mean_cm": distance_mean,
        "rms_ap_cm": rms_ap,
        "rms_ml_cm": rms_ml,
        "range_ap_cm": float(ap.max() - ap.min()),
        "range_ml_cm": float(ml.max() - ml.min()),
        "path_length_cm": path_cm,
        "velocity_mean_cm_s": path_cm / duration_s,
        "area_ellipse95_cm2": ellipses["prediction"],
        "frequency_mean_hz": combined_mean_frequency(means, (float(p[0].sum()), float(p[1].sum()))),
        "distance_mean_ap_cm": float(np.mean(np.abs(ap))),
        "distance_mean_ml_cm": float(np.mean(np.abs(ml))),
        "rms_cm": float(np.hypot(rms_ap, rms_ml)),
        "range_cm": _resultant_range(ap, ml),
        "path_length_ap_cm": path_ap_cm,
        "path_length_ml_cm": path_ml_cm,
        "velocity_mean_ap_cm_s": path_ap_cm / duration_s,
        "velocity_mean_ml_cm_s": path_ml_cm / duration_s,
        "area_sway_cm2_s": float(triangles.sum()) / (2 * duration_s),
        "frequency_mean_prieto_hz": _ratio(path_cm, 2 * np.pi * distance_mean * duration_s),
        "area_ellipse95_prediction_cm2": ellipses["prediction"],
        "area_ellipse95_confidence_cm2": ellipses["confidence"],
        "area_ellipse95_chi2_cm2": ellipses["chi2"],
    }
    for axis, measures in spectra.items():
        metrics[f"frequency_mean_{axis}_hz"] = measures["mean_hz"]
        metrics[f"frequency_f50_{axis}_hz"] = measures["f50_hz"]
        metrics[f"frequency_f95_{axis}_hz"] = measures["f95_hz"]
        metrics[f"frequency_centroid_{axis}_hz"] = measures["centroid_hz"]
        metrics[f"frequency_dispersion_{axis}"] = measures["dispersion"]
    return metrics
