"""CPT 97112 units under the 8-minute rule as docs/clinical.md defines it, at every boundary."""

import pytest

from station.records.billing import (
    MinutesError,
    billing_summary,
    minutes_for_units,
    record_check,
    suggested_minutes,
    units_97112,
)


@pytest.mark.parametrize(
    "minutes, units",
    [
        (0, 0),
        (7, 0),
        (8, 1),
        (22, 1),
        (23, 2),
        (37, 2),
        (38, 3),
        (52, 3),
        (53, 4),
        (67, 4),
        (68, 5),
        (82, 5),
        (83, 6),
        (97, 6),
        (98, 7),
        (480, 32),
    ],
)
def test_units_follow_the_8_minute_rule_at_every_boundary(minutes, units):
    assert units_97112(minutes) == units


def test_every_unit_spans_15_minutes_from_8():
    assert [minutes_for_units(n) for n in (1, 2, 3, 4, 5)] == [
        (8, 22),
        (23, 37),
        (38, 52),
        (53, 67),
        (68, 82),
    ]
    for units in range(1, 30):
        low, high = minutes_for_units(units)
        assert units_97112(low) == units_97112(high) == units
        assert units_97112(low - 1) == units - 1


@pytest.mark.parametrize("minutes", [-1, 7.5, 8.0, True, "8", None])
def test_minutes_must_be_whole_and_not_negative(minutes):
    with pytest.raises(MinutesError, match="whole number of 0 or more"):
        units_97112(minutes)


def test_summary_says_the_range_and_the_next_unit():
    summary = billing_summary(23)
    assert summary["code"] == "97112"
    assert summary["units"] == 2
    assert summary["range_min"] == [23, 37]
    assert summary["next_unit_in_min"] == 15
    assert summary["explanation"] == "23 min gives 2 units (23-37 min under the 8-minute rule)"
    short = billing_summary(7)
    assert short["units"] == 0 and short["next_unit_in_min"] == 1
    assert "no unit can be billed" in short["explanation"]
    assert billing_summary(22)["next_unit_in_min"] == 1


def test_suggestion_adds_set_up_to_the_time_on_the_station():
    suggestion = suggested_minutes([60.0, 90.0, 30.0])  # 3 min on the station, 3 trials
    assert suggestion == {"minutes": 9, "on_station_min": 3.0, "setup_min": 6.0, "trials": 3}
    assert suggested_minutes([61.0])["minutes"] == 4  # 1.02 min + 2 min set-up, rounded up
    assert suggested_minutes([])["minutes"] == 0


def test_minutes_billing_more_units_than_the_record_supports_are_questioned():
    """Issue 17: 23 min (2 units) against a suggested 11 min (1 unit) went through without a
    word. Minutes within the suggested unit pass; more units are questioned, never refused."""
    record = suggested_minutes([120.0, 90.0, 138.0])  # 5.8 min on the station, 3 trials: 12 min
    assert record["minutes"] == 12
    assert record_check(22, record) is None  # same single unit as the suggestion
    warning = record_check(23, record)
    assert warning.startswith("23 min bill 2 units, more than this visit's record supports")
    assert "12 min (5.8 min on the station in 3 trials + 6 min of set-up) give 1 unit" in warning
    assert "say what in the note" in warning
    assert record_check(8, suggested_minutes([])).count("no trial on the station") == 1
    assert record_check(7, suggested_minutes([])) is None  # bills nothing
