"""The panel in English and Spanish through the station's gettext catalog: what a template shows
is in the catalog, every message has its Spanish, the compiled catalog is the one the .po
says, and each account reads the panel in its own language."""

import json
import re
import subprocess
import sys
from gettext import GNUTranslations
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from jinja2 import Environment

from station.i18n.catalog import TRANSLATIONS_DIR

ROOT = Path(__file__).parents[2]
TEMPLATES = ROOT / "webpanel" / "templates"
SPANISH = TRANSLATIONS_DIR / "es" / "LC_MESSAGES"

NOT_WORDS = {"cm", "kg", "lb", "mm", "Hz", "SPS", "ft", "in", "UTC"}
"""Units, symbols and the time zone's name, the same in both languages."""

HUMAN_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}
PUNCTUATION = ".,:;()[]\"'\u201c\u201d\u2039\u203a\u00b7\u2026!?\u2013-"


class _Text(HTMLParser):
    """Collects the text a person reads: text nodes outside scripts and styles, and the
    attributes shown or read aloud."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        self.found += [v for k, v in attrs if k in HUMAN_ATTRIBUTES and v]

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.found.append(data)


def untranslated_words(source: str) -> list[str]:
    """Words of ``source`` (a Jinja template) a reader sees that do not come from gettext:
    Jinja's own tokens and the insides of ``{% trans %}`` blocks are blanked first."""
    skeleton, in_trans = [], False
    for _, kind, value in Environment(extensions=["jinja2.ext.i18n"]).lex(source):
        if kind == "name" and value in ("trans", "pluralize"):
            in_trans = True
        elif kind == "name" and value == "endtrans":
            in_trans = False
        skeleton.append(value if kind == "data" and not in_trans else " ")
    parser = _Text()
    parser.feed("".join(skeleton))
    words = []
    for text in parser.found:
        for word in text.split():
            word = word.strip(PUNCTUATION)
            if "=" in word:  # an attribute a macro writes (aria-invalid="true")
                continue
            if sum(c.isalpha() for c in word) >= 2 and word not in NOT_WORDS:
                words.append(word)
    return words


@pytest.mark.parametrize("name", sorted(p.name for p in TEMPLATES.iterdir()))
def test_what_a_template_shows_is_in_the_catalog(name):
    words = untranslated_words((TEMPLATES / name).read_text(encoding="utf-8"))
    assert words == [], f"{name} shows words outside gettext: {words[:10]}"


def test_the_checker_finds_words_outside_gettext():
    assert untranslated_words('<p title="Hello there">{{ _("Hi") }} Bye</p>') == [
        "Hello",
        "there",
        "Bye",
    ]
    assert untranslated_words("{% trans n=1 %}Hello {{ n }}{% endtrans %}<b>{{ x }}</b> cm") == []


def _catalog(path: Path):
    with open(path, "rb") as f:
        return read_po(f, locale="es")


def test_every_message_has_its_spanish_and_the_compiled_catalog_is_up_to_date(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            Path(sys.executable).with_name("pybabel"),
            *("-q", "extract", "-F", "babel.cfg", "-k", "_l", "-k", "N_", "-o", str(pot), "."),
        ],
        cwd=ROOT,
        check=True,
    )
    extracted = {(m.id, m.context) for m in _catalog(pot) if m.id}
    spanish = _catalog(SPANISH / "messages.po")
    missing = sorted(
        str(m if isinstance(m, str) else m[0])
        for m, context in extracted
        if not (found := spanish.get(m, context=context)) or not all(_strings(found.string))
    )
    assert missing == [], f"no Spanish for {missing[:10]}: pybabel update, then translate"
    compiled = tmp_path / "messages.mo"
    with open(compiled, "wb") as out:
        write_mo(out, spanish)
    assert _messages(compiled) == _messages(SPANISH / "messages.mo"), (
        "messages.mo is older than messages.po: run pybabel compile -d station/i18n/translations"
    )


def _messages(mo: Path) -> dict:
    """What a compiled catalog translates, and to what."""
    with open(mo, "rb") as f:
        return dict(GNUTranslations(f)._catalog)


def _strings(string):
    return string if isinstance(string, tuple) else (string,)


def test_each_account_reads_the_panel_in_its_own_language(app, log_in):
    spanish = log_in(app, "thea")
    english = log_in(app, "tom")
    chosen = spanish.post("/account/language", data={"language": "es"}, follow_redirects=True)
    page = chosen.get_data(as_text=True)
    assert '<html lang="es">' in page and "El panel ahora está en español." in page
    assert "Idioma del panel" in page and "Cambie su contraseña" in page
    patients = spanish.get("/").get_data(as_text=True)
    assert "<h1>Pacientes</h1>" in patients and "Agregar paciente" in patients
    assert "Cerrar sesión" in patients and "terapeuta" in patients
    # the other account, on its own device, keeps English
    other = english.get("/").get_data(as_text=True)
    assert '<html lang="en">' in other and "<h1>Patients</h1>" in other
    assert app.extensions["accounts"].find("thea")["language"] == "es"
    changes = [
        (e["target"], e["detail"])
        for e in app.extensions["accounts"].recent_audit(20, username="thea")
        if e["action"] == "account-changed"
    ]
    assert changes == [("thea", "language es")]  # audited as an account change


def test_a_language_the_station_does_not_speak_is_refused_naming_it(app, log_in):
    client = log_in(app, "thea")
    refused = client.post("/account/language", data={"language": "fr"})
    assert refused.status_code == 400
    assert "language &#39;fr&#39; is not one the station speaks" in refused.get_data(as_text=True)
    assert app.extensions["accounts"].find("thea")["language"] == "en"


def test_a_technician_chooses_the_language_of_any_account_on_the_accounts_page(app, log_in):
    tech = log_in(app, "tom")
    thea = app.extensions["accounts"].find("thea")["id"]
    page = tech.get("/accounts").get_data(as_text=True)
    assert f'action="/accounts/{thea}/language"' in page
    chosen = tech.post(f"/accounts/{thea}/language", data={"language": "es"}, follow_redirects=True)
    page = chosen.get_data(as_text=True)
    assert "Account thea now reads the panel in Español." in page
    assert '<html lang="en">' in page and "<h1>Accounts</h1>" in page  # the technician's own
    assert app.extensions["accounts"].find("thea")["language"] == "es"
    changes = [
        (e["username"], e["target"], e["detail"])
        for e in app.extensions["accounts"].recent_audit(20, username="tom")
        if e["action"] == "account-changed"
    ]
    assert changes == [("tom", "thea", "language es")]
    refused = tech.post(f"/accounts/{thea}/language", data={"language": "fr"})
    assert refused.status_code == 400
    assert "language &#39;fr&#39; is not one the station speaks" in refused.get_data(as_text=True)
    assert tech.post("/accounts/999/language", data={"language": "es"}).status_code == 404
    assert "Pacientes" in log_in(app, "thea").get("/").get_data(as_text=True)


def test_a_therapist_chooses_only_their_own_language(app, log_in):
    thea = log_in(app, "thea")
    tom, own = (app.extensions["accounts"].find(name)["id"] for name in ("tom", "thea"))
    assert thea.post(f"/accounts/{tom}/language", data={"language": "es"}).status_code == 403
    assert app.extensions["accounts"].find("tom")["language"] == "en"
    mine = thea.post(f"/accounts/{own}/language", data={"language": "es"})
    assert mine.status_code == 303 and mine.headers["Location"].endswith("/password")


def test_the_accounts_page_and_its_messages_speak_the_technicians_language(app, log_in, password):
    tech = log_in(app, "tom")
    tech.post("/account/language", data={"language": "es"})
    page = tech.get("/accounts").get_data(as_text=True)
    assert "<h1>Cuentas</h1>" in page and "Agregar cuenta" in page
    assert "Actividad reciente" in page
    assert re.search(r'<option value="therapist"[^>]*>terapeuta</option>', page)
    added = tech.post(
        "/accounts",
        data={"username": "anna", "password": password, "role": "therapist"},
        follow_redirects=True,
    )
    assert "Se agregó la cuenta anna (terapeuta)." in added.get_data(as_text=True)
    # a page a therapist may not open says why in her language
    thea = log_in(app, "thea")
    thea.post("/account/language", data={"language": "es"})
    refused = thea.get("/accounts")
    assert refused.status_code == 403
    assert "Solo para técnicos" in refused.get_data(as_text=True)


def test_before_login_the_browsers_preference_is_followed(anon_client):
    page = anon_client.get("/login", headers={"Accept-Language": "es-US,es;q=0.9,en;q=0.5"})
    assert "<h1>Iniciar sesión</h1>" in page.get_data(as_text=True)
    page = anon_client.get("/login", headers={"Accept-Language": "fr-FR"})
    assert "<h1>Log in</h1>" in page.get_data(as_text=True)


def test_the_patient_display_speaks_the_language_of_the_patient_on_the_platform(client, station):
    patient = station.records.create_patient({"name": "Rosa", "weight_kg": 70, "language": "es"})
    station.start_drill(patient["id"], "weight-bearing", {"side": "left"})
    station.run_virtual(max_s=0.5, until_trial_ends=False)
    assert station.live_state()["language"] == "es"  # display.js reloads with ?lang=es
    page = client.get("/display?lang=es").get_data(as_text=True)
    assert '<html lang="es">' in page and 'data-idle="Espere, por favor"' in page
    words = drill_words(page)["weight-bearing"]["patient"]
    assert words["waiting"] == "Súbase a la plataforma"
    assert words["over-limit-left"] == "Menos peso en la pierna izquierda"
    station.stop_drill()
    station.run_virtual(max_s=0.5)
    assert station.live_state()["language"] is None
    english = client.get("/display").get_data(as_text=True)  # the account's language
    assert '<html lang="en">' in english
    assert drill_words(english)["weight-bearing"]["patient"]["waiting"] == "Step on"


def drill_words(page: str) -> dict:
    """The patient's words for each drill that a display page carries for its script."""
    return json.loads(page.split('id="drill-words">', 1)[1].split("</script>", 1)[0])


def test_every_spanish_message_keeps_the_placeholders_of_its_english():
    """A translation that drops or mistypes a placeholder raises where it is shown, or shows
    the wrong number: Babel's checks (those ``pybabel compile`` runs) pass on every message.
    English with a literal percent sign before a space and a letter ("95% oval") reads as a
    placeholder to them: such English is written another way ("Oval holding 95%")."""
    catalog = _catalog(SPANISH / "messages.po")
    problems = [(message.id, str(error)) for message, errors in catalog.check() for error in errors]
    assert problems == []
