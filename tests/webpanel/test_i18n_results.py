"""What the station composes about a result, in the reader's language (issue 18): a Spanish
account reads a trial's conditions, measures, quality gate, comparison with published values,
trends against the minimal detectable change, fall-risk screens and goals in Spanish, with no
English sentence of the catalog left on its pages; an English account reads the same in
English; and a goal set from a Spanish page is stored in the words every reader's page finds."""

import html
import json
import re
from datetime import date, timedelta

import pytest
from babel.dates import format_date
from babel.messages.pofile import read_po

from station.i18n.catalog import TRANSLATIONS_DIR, translations
from station.results.norms import POSITION_WORDS

pytestmark = [pytest.mark.slow, pytest.mark.lean_station]

PLACEHOLDER = re.compile(r"%(\([a-z_]+\))?[-+ #0]*\d*(\.\d+)?[a-zA-Z%]")
SHORTEST_FRAGMENT = 20
"""English fragments shorter than this (a unit, "s", a name) may rightly appear in Spanish."""


def english_fragments() -> set[str]:
    """The English text between placeholders of every translated message whose Spanish
    differs: any of these on a Spanish page is a sentence the station forgot to translate."""
    with open(TRANSLATIONS_DIR / "es" / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)
    fragments = set()
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        spanish = " ".join(message.string) if isinstance(message.string, tuple) else message.string
        for english in ids:
            for fragment in PLACEHOLDER.split(english):
                fragment = (fragment or "").strip(" .,:;()")
                if len(fragment) >= SHORTEST_FRAGMENT and fragment not in spanish:
                    fragments.add(fragment)
    return fragments


def visible_text(page: str) -> str:
    """A page's words as a reader sees or hears them: text and the accessible labels, without
    the scripts' data and the tags."""
    page = re.sub(r"<script\b.*?</script>", " ", page, flags=re.S)
    labels = " ".join(re.findall(r'(?:aria-label|title|alt)="([^"]*)"', page))
    text = re.sub(r"<[^>]+>", " ", page)
    return re.sub(r"\s+", " ", html.unescape(f"{text} {labels}"))


@pytest.fixture
def record(station, client):
    """A Spanish-speaking woman of 76 with two quiet stances of 20 s (a trend), a
    single-leg stance, a STEADI screen, a quiet stance the therapist stopped, a goal on her
    sway speed and today's visit."""
    made = client.post(
        "/api/v1/patients",
        json={"name": "Rosa Ruiz", "birth_date": "1950-02-03", "sex": "female", "language": "es"},
    )
    assert made.status_code == 201, made.get_json()
    patient = made.get_json()
    trials = []
    for drill, params in (
        ("quiet-stance", {"duration_s": 20, "countdown_s": 1}),
        ("quiet-stance", {"duration_s": 20, "countdown_s": 1}),
        ("single-leg-stance", {"max_s": 10, "trials": 1, "countdown_s": 1}),
        ("steadi-4-stage", {"rest_s": 2, "countdown_s": 1}),
    ):
        trials.append(station.start_drill(patient["id"], drill, params)["trial_id"])
        station.run_virtual(max_s=300)
    trials.append(station.start_drill(patient["id"], "quiet-stance", {})["trial_id"])
    station.run_virtual(max_s=2)
    station.stop_drill()  # by the therapist, from the panel
    station.run_virtual(max_s=1)
    station.storage.flush()
    goal = client.post(
        f"/patients/{patient['id']}/goals",
        data={
            "measure": "quiet-stance|velocity_mean_cm_s|eyes open, firm surface",
            "target": "0.5",
            "due_date": (date.today() + timedelta(days=30)).isoformat(),
        },
    )
    assert goal.status_code == 303, goal.get_data(as_text=True)
    visit = client.post(
        f"/api/v1/patients/{patient['id']}/visits",
        json={"visit_date": date.today().isoformat(), "therapist": "thea", "nmr_minutes": 30},
    )
    assert visit.status_code == 201, visit.get_json()
    return {"patient": patient, "trials": trials, "visit": visit.get_json()}


def result_urls(record) -> dict[str, str]:
    patient_id, visit_id = record["patient"]["id"], record["visit"]["id"]
    return {
        "patient": f"/patients/{patient_id}",
        "progress": f"/patients/{patient_id}/progress",
        "visit": f"/visits/{visit_id}",
        "report": f"/visits/{visit_id}/report",
        "discharge": f"/patients/{patient_id}/discharge",
        **{f"trial {n}": f"/trials/{t}" for n, t in enumerate(record["trials"])},
    }


def test_a_spanish_account_reads_what_the_station_composed_in_spanish(
    in_spanish, record, read_pages
):
    """No English sentence of the catalog is left on the result pages, and what the station
    composed (conditions, settings, the gate, the comparisons, trends, goals, billing) reads
    in Spanish; the Spanish page offers goals under the English words a goal is stored and
    found by, whoever reads it."""
    spanish = in_spanish("thea")
    shown = {k: visible_text(v) for k, v in read_pages(spanish, result_urls(record)).items()}
    fragments = english_fragments()
    assert len(fragments) > 500  # the check has the catalog's English to look for
    left = {name: sorted(f for f in fragments if f in text) for name, text in shown.items()}
    assert {name: found for name, found in left.items() if found} == {}
    quiet = shown["trial 0"]
    assert "Bipedestación estática completado" in quiet  # the drill and its state
    assert "Duración 20,0 Ojos abiertos Superficie firme" in quiet  # its settings
    assert "Ojos abiertos, superficie firme · válido" in quiet  # the condition, the gate
    in_band = [
        translations("es").gettext(words) % {"group": "adultos de 60 años o más"}
        for words in POSITION_WORDS.values()
    ]
    assert sum(words in quiet for words in in_band) == 1  # its sway against the band
    assert "Las pruebas publicadas duraron 60 s; esta, 20 s." in quiet  # why no area
    single_leg = shown["trial 2"]
    assert "Pierna izquierda, ojos abiertos" in single_leg
    # she held all of a 10 s trial, under the 21.5 s mean of her age: not compared, and why
    assert (
        "El paciente se mantuvo hasta el final de la prueba (10 s), que termina antes del "
        "tiempo medio de los adultos sanos de 70-79 años (21,5 s)" in single_leg
    )
    assert "Postura en tándem" in shown["trial 3"] and "mantuvo los 10 s" in shown["trial 3"]
    assert "Bipedestación estática interrumpido detenido por el terapeuta" in shown["trial 4"]
    progress = shown["progress"]
    assert "más bajo es mejor) entre el" in progress  # a trend, against
    assert re.search(r"De \d+,\d+ a \d+,\d+ cm/s \([-+]\d+,\d+ cm/s;", progress)  # 0,738
    today = format_date(date.today(), "d MMM y", locale="es")
    assert f"entre el {today} y el {today}." in progress  # days the Spanish way
    assert "El cambio mínimo detectable es de" in progress  # its MDC
    assert (
        "Bipedestación estática: velocidad media de oscilación (ojos abiertos, superficie "
        "firme): de" in progress
    )  # the goal, its condition in Spanish
    assert "Más bajo es mejor." in progress
    assert "30 min dan 2 unidades (23-37 min según la regla de los 8 minutos)" in shown["visit"]
    assert "más de lo que respalda el registro de esta visita" in shown["visit"]
    patient_id = record["patient"]["id"]
    patient_page = spanish.get(f"/patients/{patient_id}").get_data(as_text=True)
    reasons = json.loads(re.search(r'id="end-reasons">([^<]*)<', patient_page).group(1))
    assert reasons["stopped by the therapist"] == "detenido por el terapeuta"  # the live view's
    page = spanish.get(f"/patients/{patient_id}/progress").get_data(as_text=True)
    option = re.search(r'<option value="quiet-stance\|velocity_mean_cm_s\|([^"]*)">([^<]*)<', page)
    assert option.group(1) == "eyes open, firm surface"
    assert option.group(2) == (
        "Bipedestación estática: velocidad media de oscilación (ojos abiertos, superficie firme)"
    )
    assert "aún sin resultado" not in visible_text(page)


def test_an_english_account_reads_the_same_in_english(english, record, read_pages):
    """The same record in English, the goal with its latest result."""
    shown = {k: visible_text(v) for k, v in read_pages(english, result_urls(record)).items()}
    quiet = shown["trial 0"]
    assert "Quiet stance completed" in quiet
    assert "Quiet stance aborted stopped by the therapist" in shown["trial 4"]
    assert "Duration 20.0 Eyes open Surface firm" in quiet
    assert "Eyes open, firm surface · good" in quiet
    progress = shown["progress"]
    assert "lower is better) between" in progress and "Lower is better." in progress
    assert re.search(r"From \d+\.\d+ to \d+\.\d+ cm/s \([-+]\d+\.\d+ cm/s,", progress)
    today = date.today().isoformat()
    assert f"between {today} and {today}." in progress
    assert "The minimal detectable change is" in progress
    assert "Quiet stance: mean sway speed (eyes open, firm surface): from" in progress
    assert "30 min gives 2 units (23-37 min under the 8-minute rule)" in shown["visit"]
    goals = visible_text(
        english.get(f"/patients/{record['patient']['id']}/progress").get_data(as_text=True)
    )
    assert "no result yet" not in goals and re.search(r"; now \d[.\d]* cm/s \(", goals)
