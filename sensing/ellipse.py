"""The three 95% ellipse areas of a COP trace, each under its own name (docs/clinical.md).

They answer slightly different questions and differ by a few percent for short trials, so a report
must say which one it quotes: the prediction ellipse (Duarte), that of the published values of the
public data set; the confidence ellipse of Prieto et al. (1996); and the chi-square ellipse.
"""

import numpy as np

PROBABILITY = 0.95

DESCRIPTIONS = {
    "prediction": (
        "95% prediction ellipse (Duarte): pi*sqrt(l1*l2)*F(.95;2,N-2)*2(N-1)(N+1)/(N(N-2)), "
        "l = eigenvalues of the 2x2 covariance with ddof=1"
    ),
    "confidence": (
        "95% confidence ellipse (Prieto 1996): 2*pi*F(.95;2,N-2)*sqrt(s2_AP*s2_ML - s_APML^2), "
        "(co)variances with 1/N (ddof=0)"
    ),
    "chi2": "95% chi-square ellipse: pi*chi2(.95;2)*sqrt(det S) = pi*5.991*sqrt(det S), ddof=1",
}


def _covariance(ap: np.ndarray, ml: np.ndarray) -> np.ndarray:
    """2x2 sample covariance (ddof=1) of AP and ML."""
    return np.cov(np.vstack([ap, ml]))


def _prediction(cov: np.ndarray, n: int) -> float:
    from scipy import stats  # lazily: sensing.libraries

    eigenvalues = np.clip(np.linalg.eigvalsh(cov), 0.0, None)
    f_value = stats.f.ppf(PROBABILITY, 2, n - 2)
    return float(
        np.pi
        * np.sqrt(eigenvalues[0] * eigenvalues[1])
        * f_value
        * 2
        * (n - 1)
        * (n + 1)
        / (n * (n - 2))
    )


def ellipse95_prediction_area(ap: np.ndarray, ml: np.ndarray) -> float:
    """Area of the 95% prediction ellipse of the COP (Duarte), in the input unit squared."""
    return _prediction(_covariance(ap, ml), len(ap))


def ellipse95_areas(ap: np.ndarray, ml: np.ndarray) -> dict[str, float]:
    """All three 95% ellipse areas in the input unit squared, keyed by convention name.

    The (co)variances with 1/N of the confidence ellipse are those with ddof=1 times (N-1)/N, so
    its square-rooted determinant carries that factor once.
    """
    from scipy import stats  # lazily: sensing.libraries

    n = len(ap)
    cov = _covariance(ap, ml)
    root_det = float(np.sqrt(max(np.linalg.det(cov), 0.0)))
    f_value = float(stats.f.ppf(PROBABILITY, 2, n - 2))
    return {
        "prediction": _prediction(cov, n),
        "confidence": 2 * np.pi * f_value * root_det * (n - 1) / n,
        "chi2": np.pi * float(stats.chi2.ppf(PROBABILITY, 2)) * root_det,
    }
