"""Per-corner calibration: raw amplifier counts to force in newtons."""

from dataclasses import dataclass

from sensing.errors import SensingError


class CalibrationError(SensingError, ValueError):
    """A calibration has the wrong shape or impossible values: check the [loadcells] config."""


@dataclass(frozen=True)
class CornerCalibration:
    """Tare in counts (empty platform) and gain in N per count, one value per corner."""

    tare_counts: tuple[float, ...]
    gain_n_per_count: tuple[float, ...]

    def __post_init__(self):
        if len(self.tare_counts) != len(self.gain_n_per_count):
            raise CalibrationError("tare_counts and gain_n_per_count need one value per corner")
        if any(g == 0 for g in self.gain_n_per_count):
            raise CalibrationError("a gain of 0 N/count would read every load as zero")

    def forces_n(self, counts) -> tuple[float, ...]:
        """Force on each corner in newtons for one set of raw counts. Plain floats: this runs
        for every frame, where numpy's per-call cost on four values is most of the work."""
        return tuple(
            (float(c) - tare) * gain
            for c, tare, gain in zip(counts, self.tare_counts, self.gain_n_per_count, strict=True)
        )
