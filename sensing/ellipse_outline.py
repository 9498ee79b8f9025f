"""The outline of a COP trace's 95% ellipse, for drawing it over the statokinesigram.

A stored result keeps the ellipse's area (under its named convention, ``sensing.ellipse``) but
not its shape. The shape is the COP's: the axes lie along the eigenvectors of the 2x2
covariance of AP and ML, in the ratio of the square roots of its eigenvalues. Every convention
scales the same shape, so the outline is that shape scaled to the stored area.
"""

import numpy as np

from sensing.errors import NotEnoughDataError


def ellipse_outline(ap: np.ndarray, ml: np.ndarray, area: float, points: int = 73) -> dict:
    """The ellipse of area ``area`` (input unit squared) shaped and centred like the trace.

    Returns ``ap`` and ``ml`` (closed outline, ``points`` long, first point repeated last),
    ``centre_ap`` and ``centre_ml`` (the trace's mean), ``semi_major`` and ``semi_minor`` (input
    unit) and ``angle_deg`` (of the major axis, counter-clockwise from the ML axis).
    """
    ap, ml = np.asarray(ap, dtype=float), np.asarray(ml, dtype=float)
    if len(ap) < 3 or len(ap) != len(ml):
        raise NotEnoughDataError(f"an ellipse needs 3 or more COP samples, got {len(ap)}")
    eigenvalues, vectors = np.linalg.eigh(np.cov(np.vstack([ml, ap])))
    minor_var, major_var = np.clip(eigenvalues, 0.0, None)
    if minor_var * major_var <= 0.0:
        raise NotEnoughDataError("the COP did not move in two directions: no ellipse to draw")
    scale = area / (np.pi * np.sqrt(minor_var * major_var))
    semi_minor, semi_major = np.sqrt(scale * minor_var), np.sqrt(scale * major_var)
    theta = np.linspace(0.0, 2.0 * np.pi, points)
    unit = np.vstack([semi_major * np.cos(theta), semi_minor * np.sin(theta)])
    outline = vectors[:, [1, 0]] @ unit  # rows: ml, ap
    outline[:, -1] = outline[:, 0]  # closed exactly, whatever the rounding of cos and sin
    major = vectors[:, 1]
    return {
        "ml": outline[0] + ml.mean(),
        "ap": outline[1] + ap.mean(),
        "centre_ml": float(ml.mean()),
        "centre_ap": float(ap.mean()),
        "semi_major": float(semi_major),
        "semi_minor": float(semi_minor),
        "angle_deg": float(np.degrees(np.arctan2(major[1], major[0])) % 180.0),
    }
