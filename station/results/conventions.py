"""Analysis conventions as a person asks for them (CLI flags, API fields) turned into the
keyword arguments of ``sensing.analysis.analyse_cop``, with errors naming the option."""

from station.errors import StationError

ELLIPSES = ("prediction", "confidence", "chi2")


class ConventionError(StationError, ValueError):
    """An analysis option is out of range or unknown; ``field`` names it."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


def analysis_options(
    filter_hz: float | None = None,
    filter_order: int = 4,
    resample_hz: float | None = None,
    ellipse: str = "prediction",
) -> dict:
    """``{"filter", "resample_hz", "ellipse"}`` for ``analyse_cop``; defaults reproduce the
    published values of the public data set (raw COP, prediction ellipse)."""
    if ellipse not in ELLIPSES:
        raise ConventionError("ellipse", f"choose one of {', '.join(ELLIPSES)}, got {ellipse!r}")
    if filter_hz is not None and not 0 < filter_hz <= 50:
        raise ConventionError("filter_hz", f"a cutoff between 0 and 50 Hz, got {filter_hz!r}")
    if not isinstance(filter_order, int) or not 1 <= filter_order <= 8:
        raise ConventionError("filter_order", f"an order of 1 to 8, got {filter_order!r}")
    if resample_hz is not None and not 5 <= resample_hz <= 1000:
        raise ConventionError("resample_hz", f"a rate of 5 to 1000 Hz, got {resample_hz!r}")
    return {
        "filter": None if filter_hz is None else {"cutoff_hz": filter_hz, "order": filter_order},
        "resample_hz": resample_hz,
        "ellipse": ellipse,
    }
