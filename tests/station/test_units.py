"""Height and weight in a US clinic's units: entered in feet, inches and pounds, stored in SI,
shown back as entered."""

import pytest

from station.records.patients import PatientFieldError, validate_patient
from station.records.units import form_values, height_text, si_body_fields, weight_text

US_FORM = {"name": "Ana", "height_ft": "5", "height_in": "7", "weight_lb": "154"}


def test_feet_inches_and_pounds_are_stored_in_si():
    stored = validate_patient(si_body_fields(US_FORM, "us"))
    assert stored["height_cm"] == pytest.approx(170.18)  # 67 in x 2.54 cm
    assert stored["weight_kg"] == pytest.approx(69.853)  # 154 lb x 0.45359237 kg
    assert "height_ft" not in stored and "weight_lb" not in stored


def test_what_a_us_clinic_entered_reads_back_unchanged_after_saving_again():
    for feet, inches, pounds in [("5", "7", "154"), ("4", "11.5", "98.6"), ("6", "0", "250")]:
        form = {"name": "A", "height_ft": feet, "height_in": inches, "weight_lb": pounds}
        stored = validate_patient(si_body_fields(form, "us"))
        shown = form_values(stored, "us")
        assert (shown["height_ft"], shown["height_in"]) == (int(feet), float(inches))
        assert shown["weight_lb"] == float(pounds)
        again = validate_patient(si_body_fields({"name": "A", **shown}, "us"))
        assert again["height_cm"] == stored["height_cm"]
        assert again["weight_kg"] == stored["weight_kg"]


def test_a_clinic_reads_heights_and_weights_in_its_units():
    assert height_text(170.18, "us") == "5 ft 7 in"
    assert weight_text(69.853, "us") == "154 lb"
    assert height_text(170.18, "metric") == "170.2 cm"
    assert weight_text(69.853, "metric") == "69.9 kg"
    assert height_text(None, "us") == weight_text(None, "metric") == ""


def test_metric_forms_pass_through_as_entered():
    form = {"name": "A", "height_cm": "170", "weight_kg": "70"}
    assert si_body_fields(form, "metric") is form


@pytest.mark.parametrize(
    ("form", "field", "words"),
    [
        ({"height_ft": "9"}, "height_ft", "between 1 ft 7.7 in and 8 ft 2.4 in"),
        ({"height_ft": "5", "height_in": "12"}, "height_in", "0 to 11.9 inches"),
        ({"weight_lb": "22"}, "weight_lb", "between 23 and 771 lb"),  # 22 lb is 9.98 kg
        ({"weight_lb": "lots"}, "weight_lb", "expected a number, got 'lots'"),
    ],
)
def test_a_us_value_out_of_range_names_its_field_in_its_units(form, field, words):
    with pytest.raises(PatientFieldError) as caught:
        si_body_fields({"name": "A", **form}, "us")
    assert caught.value.field == field and words in str(caught.value)


def test_a_height_and_weight_left_empty_are_not_recorded():
    stored = validate_patient(si_body_fields({"name": "A", "height_ft": "", "weight_lb": ""}, "us"))
    assert stored["height_cm"] is None and stored["weight_kg"] is None
    assert form_values(stored, "us") == {"height_ft": "", "height_in": "", "weight_lb": ""}
