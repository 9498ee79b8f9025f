"""The published normative bands (Santos & Duarte 2016, CC BY 4.0) as data, and the outline of
the 95% ellipse drawn on the statokinesigram."""

import numpy as np
import pytest

from sensing.ellipse import ellipse95_areas
from sensing.ellipse_outline import ellipse_outline
from sensing.errors import NotEnoughDataError
from sensing.norms import NORMS, Band, age_group, band_for, band_position


def test_the_table_holds_every_group_and_condition_of_the_clinical_notes():
    assert len(NORMS) == 8
    for group in ("young", "old"):
        for eyes in ("open", "closed"):
            for surface in ("firm", "foam"):
                bands = NORMS[(group, eyes, surface)]
                assert set(bands) == {"area_ellipse95_cm2", "velocity_mean_cm_s"}
                for band in bands.values():
                    assert band.p10 < band.median < band.p90
    # spot checks against docs/clinical.md, "Reference data"
    assert band_for("young", "open", "firm", "velocity_mean_cm_s") == Band(0.56, 0.80, 1.32)
    assert band_for("old", "closed", "foam", "area_ellipse95_cm2") == Band(14.4, 23.3, 42.9)
    assert band_for("old", "closed", "foam", "rms_cm") is None


@pytest.mark.parametrize(
    "age, group", [(None, None), (17, None), (18, "young"), (59, "young"), (60, "old"), (95, "old")]
)
def test_age_groups_are_the_data_sets(age, group):
    assert age_group(age) == group


def test_band_position_counts_the_limits_as_within():
    band = Band(0.71, 1.01, 1.77)
    assert band_position(0.70, band) == "below"
    assert band_position(0.71, band) == "within"
    assert band_position(1.77, band) == "within"
    assert band_position(1.78, band) == "above"
    assert band_position(float("nan"), band) is None


def elongated_trace(n=3000, seed=4):
    """A COP trace (cm) swaying mostly front-back, its long axis turned 30° from AP."""
    rng = np.random.default_rng(seed)
    major, minor = rng.normal(0, 0.6, n), rng.normal(0, 0.2, n)
    angle = np.radians(30)
    ml = major * np.sin(angle) + minor * np.cos(angle) + 1.5
    ap = major * np.cos(angle) - minor * np.sin(angle) - 0.5
    return ap, ml


def polygon_area(x, y):
    return 0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))


def test_the_outline_has_the_stored_area_and_the_traces_shape():
    ap, ml = elongated_trace()
    area = ellipse95_areas(ap, ml)["prediction"]
    outline = ellipse_outline(ap, ml, area, points=721)
    assert polygon_area(outline["ml"], outline["ap"]) == pytest.approx(area, rel=1e-3)
    assert np.pi * outline["semi_major"] * outline["semi_minor"] == pytest.approx(area)
    assert outline["semi_major"] / outline["semi_minor"] == pytest.approx(3.0, rel=0.1)
    assert outline["angle_deg"] == pytest.approx(60.0, abs=3.0)  # 30° from AP is 60° from ML
    assert (outline["centre_ml"], outline["centre_ap"]) == pytest.approx((1.5, -0.5), abs=0.05)
    assert (outline["ml"][0], outline["ap"][0]) == (outline["ml"][-1], outline["ap"][-1])
    # about 95% of the samples lie inside the 95% prediction ellipse
    d_ml, d_ap = ml - outline["centre_ml"], ap - outline["centre_ap"]
    theta = np.radians(outline["angle_deg"])
    along = d_ml * np.cos(theta) + d_ap * np.sin(theta)
    across = -d_ml * np.sin(theta) + d_ap * np.cos(theta)
    inside = (along / outline["semi_major"]) ** 2 + (across / outline["semi_minor"]) ** 2 <= 1
    assert inside.mean() == pytest.approx(0.95, abs=0.015)


def test_a_trace_that_never_moved_sideways_has_no_ellipse():
    ap = np.linspace(-1, 1, 100)
    with pytest.raises(NotEnoughDataError, match="two directions"):
        ellipse_outline(ap, np.zeros(100), 1.0)
    with pytest.raises(NotEnoughDataError, match="3 or more"):
        ellipse_outline(ap[:2], ap[:2], 1.0)
