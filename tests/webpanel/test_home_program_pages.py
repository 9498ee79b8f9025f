"""The home program pages as a therapist uses them: pick and dose exercises, see a bad dose
explained, stop one, print the handout, and read adherence on the progress page."""

from datetime import date, timedelta

import pytest

from station.records.exercise_library import EXERCISES, GENERAL_SAFETY
from station.records.home_program import MAX_EXERCISES


@pytest.fixture
def patient(station):
    return station.records.create_patient({"name": "Rosa Díaz", "code": "RD-7"})


def add(client, patient_id, **form):
    return client.post(f"/patients/{patient_id}/home-program", data=form)


def test_the_library_shows_every_exercise_with_its_drawing(client, patient):
    page = client.get(f"/patients/{patient['id']}/home-program").text
    for key, ex in EXERCISES.items():
        assert f'id="exercise-{key}"' in page
        assert f"/static/exercises/{key}.svg" in page
        assert ex.name in page
    assert "No home exercises yet." in page
    assert client.get("/static/exercises/tandem-stance.svg").status_code == 200


def test_a_dosed_exercise_joins_the_program_and_the_handout(client, patient):
    pid = patient["id"]
    answer = add(client, pid, exercise="tandem-stance", level="2", amount="20", times_per_day="2")
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"/patients/{pid}/home-program")
    add(client, pid, exercise="sit-to-stand", sets="2", note="from the kitchen chair")
    page = client.get(f"/patients/{pid}/home-program").text
    assert 'id="current-tandem-stance"' in page and 'id="current-sit-to-stand"' in page
    assert "hold 20 seconds; twice a day, 3 days a week" in page

    handout = client.get(f"/patients/{pid}/home-program/handout").text
    assert "Your home exercises" in handout and "Rosa Díaz" in handout
    assert handout.index("Heel-to-toe stand") < handout.index("Sit to stand")
    assert "Hold 20 seconds; twice a day, 3 days a week." in handout
    assert "Hold on with one hand." in handout  # level 2 of the support progression
    assert "2 rounds of 10 times; once a day, 3 days a week." in handout
    assert "from the kitchen chair" in handout
    assert EXERCISES["tandem-stance"].safety in handout
    assert GENERAL_SAFETY in handout
    assert "/static/handout.css" in handout


def test_a_spanish_speaking_patients_handout_is_in_spanish_the_therapists_page_in_english(
    client, station
):
    """The handout is the patient's: its exercises, dose, level and safety words in the
    patient's language; the therapist's page stays in the therapist's."""
    pid = station.records.create_patient({"name": "Rosa Díaz", "language": "es"})["id"]
    add(client, pid, exercise="tandem-stance", level="2", amount="20", times_per_day="2")
    add(client, pid, exercise="sit-to-stand", sets="2", amount="1", days_per_week="7")
    handout = client.get(f"/patients/{pid}/home-program/handout").text
    assert '<html lang="es">' in handout and "Sus ejercicios en casa" in handout
    assert "De pie con un pie delante del otro" in handout  # Heel-to-toe stand
    assert "Mantener 20 segundos; dos veces al día, 3 días a la semana." in handout
    assert "Sujétese con una mano." in handout  # level 2 of the support progression
    assert "2 series de 1 vez; una vez al día, todos los días." in handout  # one, not "veces"
    assert "Tenga la encimera justo delante" in handout  # the exercise's own safety note
    assert "Haga los ejercicios junto a la encimera" in handout  # the general safety rules
    for english in ("Heel-to-toe stand", "Hold 20 seconds", "Hold on with one hand", "counter"):
        assert english not in handout
    page = client.get(f"/patients/{pid}/home-program").text
    assert "hold 20 seconds; twice a day, 3 days a week" in page
    assert "2 rounds of 1 time; once a day, every day" in page


def test_a_bad_dose_reshows_the_page_saying_what_is_wrong_and_keeps_the_form(client, patient):
    pid = patient["id"]
    answer = add(client, pid, exercise="heel-raises", amount="45", note="slowly")
    assert answer.status_code == 400
    page = answer.text
    assert "amount: 45 is outside 1-30 (times)" in page
    assert 'id="exercise-heel-raises" open' in page
    assert 'value="45"' in page and 'value="slowly"' in page
    assert 'id="hep-none"' in page  # nothing was stored


def test_the_page_refuses_a_sixth_exercise_and_stop_frees_a_place(client, station, patient):
    pid = patient["id"]
    keys = list(EXERCISES)
    for key in keys[:MAX_EXERCISES]:
        assert add(client, pid, exercise=key).status_code == 303
    answer = add(client, pid, exercise=keys[MAX_EXERCISES])
    assert answer.status_code == 400
    assert f"already has {MAX_EXERCISES} exercises" in answer.text
    first = station.records.home_programs.current(pid)[0]
    assert client.post(f"/home-exercises/{first['id']}/stop").status_code == 303
    assert add(client, pid, exercise=keys[MAX_EXERCISES]).status_code == 303
    shown = client.get(f"/patients/{pid}/home-program/handout").text
    assert EXERCISES[keys[0]].name not in shown
    assert EXERCISES[keys[MAX_EXERCISES]].name in shown


def test_adherence_recorded_on_visits_shows_on_the_progress_page(client, station, patient):
    pid = patient["id"]
    today = date.today()
    first, second = (today - timedelta(days=d) for d in (10, 3))
    station.records.home_programs.prescribe(pid, {"exercise": "marching"}, today=first)
    client.post(f"/patients/{pid}/visits", data={"visit_date": first.isoformat()})
    answer = client.post(
        f"/patients/{pid}/visits", data={"visit_date": second.isoformat(), "hep_days": "9"}
    )
    assert answer.status_code == 400
    assert f"9 days, but the previous visit ({first.isoformat()}) was 7 days before" in answer.text
    client.post(f"/patients/{pid}/visits", data={"visit_date": second.isoformat(), "hep_days": 3})
    page = client.get(f"/patients/{pid}/progress").text
    assert "Doing now: Marching on the spot (level 1)." in page
    row = page[page.index('id="adherence-table"') :]
    assert second.isoformat() in row
    assert '<td class="warn">43%</td>' in row  # 3 of 7 days: under half is marked


def test_the_patient_page_links_to_the_home_program(client, patient):
    page = client.get(f"/patients/{patient['id']}").text
    assert f'href="/patients/{patient["id"]}/home-program"' in page
