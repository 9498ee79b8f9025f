"""Builds a Frame from one grid point's raw readings (``sensing.grid``): calibration, total
force, COP in the patient's frame, the load split, step-on/off and settled stance, a causally
low-passed COP for live display and cues, and the IMU's tilt relative to a zeroed reference
with its angular velocity."""

import math

from sensing.calibration import CornerCalibration
from sensing.calibration_fit import apply_cop_correction
from sensing.cop import PlatformGeometry, center_of_pressure, load_split_pct
from sensing.filters import CausalLowPass
from sensing.frame import Frame
from sensing.stance import StanceDetector, StanceSettings
from sensing.tilt import tilt_deg

EMPTY_FORCES = (0.0, 0.0, 0.0, 0.0)
NAN2 = (math.nan, math.nan)


class FrameBuilder:
    """Turns (time, counts, IMU reading) into Frames at ``rate_hz``; COP only above
    ``min_load_n`` newtons, through the calibration's affine ``cop_correction`` when it has
    one; the live COP low-passed at ``live_cutoff_hz`` (order 2)."""

    def __init__(
        self,
        calibration: CornerCalibration,
        geometry: PlatformGeometry,
        min_load_n: float,
        *,
        rate_hz: float = 100.0,
        live_cutoff_hz: float = 5.0,
        cop_correction=None,
        stance: StanceSettings | None = None,
    ):
        self.calibration = calibration
        self.geometry = geometry
        self._platform = geometry.platform_frame()  # COP is corrected there, then turned
        self.min_load_n = min_load_n
        self.cop_correction = cop_correction  # 2x3 affine map of the calibration, or None
        self._stance = StanceDetector(stance or StanceSettings(), rate_hz)
        self._live = (
            CausalLowPass(live_cutoff_hz, rate_hz),
            CausalLowPass(live_cutoff_hz, rate_hz),
        )
        self.live_filter = self._live[0].description
        self.tilt_zero_deg = (0.0, 0.0)
        self._raw_tilt = NAN2
        self._last_tilt: tuple[float, float, float] | None = None  # (t_s, pitch, roll)
        self._tilt_rate = NAN2

    def zero_tilt(self) -> tuple[float, float]:
        """Make the current IMU attitude the zero of pitch and roll (e.g. the board held level);
        returns the new reference in degrees. Without a recent reading nothing changes."""
        if not math.isnan(self._raw_tilt[0]):
            self.tilt_zero_deg = self._raw_tilt
        return self.tilt_zero_deg

    def build(
        self,
        t_s: float,
        counts,
        fresh: bool,
        imu=None,
        *,
        conversions: int = 0,
        lost_conversions: int = 0,
        source_seq: tuple[int, ...] = (),
    ) -> Frame:
        """The Frame at ``t_s`` for ``counts`` (None before any sample: zero load, no COP) and
        ``imu``, the newest IMU reading (None when there is none or it is stale); the other
        arguments say which conversions it summarises (see ``Frame``)."""
        pitch, roll, pitch_rate, roll_rate = self._tilt(imu)
        if counts is None:
            forces, total, ml, ap = EMPTY_FORCES, 0.0, math.nan, math.nan
        else:
            forces = self.calibration.forces_n(counts)
            total, ml, ap = center_of_pressure(forces, self._platform, self.min_load_n)
            if self.cop_correction is not None and not math.isnan(ml):
                ml, ap = (float(v) for v in apply_cop_correction(self.cop_correction, ml, ap))
            ml, ap = self.geometry.to_patient(ml, ap)
        left_pct, front_pct = load_split_pct(ml, ap, self.geometry)
        self._stance.update(total, ml, ap)
        return Frame(
            t_s,
            forces,
            total,
            ml,
            ap,
            fresh=bool(fresh) and counts is not None,
            pitch_deg=pitch,
            roll_deg=roll,
            cop_ml_live_mm=self._live[0].step(ml),
            cop_ap_live_mm=self._live[1].step(ap),
            load_left_pct=left_pct,
            load_front_pct=front_pct,
            pitch_rate_deg_s=pitch_rate,
            roll_rate_deg_s=roll_rate,
            on_platform=self._stance.on_platform,
            settled=self._stance.settled,
            conversions=conversions,
            lost_conversions=lost_conversions,
            source_seq=source_seq,
            imu_age_s=math.nan if imu is None else t_s - imu.t_s,
        )

    def _tilt(self, imu) -> tuple[float, float, float, float]:
        """Relative pitch and roll in degrees and their rates in deg/s (NaN without IMU); the
        rates come from consecutive new readings."""
        if imu is None:
            self._raw_tilt, self._last_tilt, self._tilt_rate = NAN2, None, NAN2
            return math.nan, math.nan, math.nan, math.nan
        pitch, roll = tilt_deg(imu.quaternion)
        self._raw_tilt = (pitch, roll)
        last = self._last_tilt
        if last is not None and imu.t_s > last[0]:
            dt = imu.t_s - last[0]
            self._tilt_rate = ((pitch - last[1]) / dt, (roll - last[2]) / dt)
        if last is None or imu.t_s > last[0]:
            self._last_tilt = (imu.t_s, pitch, roll)
        zero_pitch, zero_roll = self.tilt_zero_deg
        return pitch - zero_pitch, roll - zero_roll, *self._tilt_rate
