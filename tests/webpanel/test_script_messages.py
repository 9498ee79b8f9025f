"""The page scripts' words come from the gettext catalog (issue 18): every ``t("key")`` a script
calls is a message of ``webpanel.script_messages`` and every message is called, a page carries
them in its own language, and no English sentence is left written in a script."""

import json
import re
from pathlib import Path

import pytest

import webpanel
from webpanel.script_messages import (
    MESSAGES,
    for_scripts,
    plural_samples,
)

STATIC = Path(webpanel.__file__).parent / "static"
SCRIPTS = {p.name: p.read_text(encoding="utf-8") for p in sorted(STATIC.glob("*.js"))}

NOT_WORDS = {"cm", "kg", "ms", "Hz", "px", "s", "N"}
"""Units, the same in both languages."""

ALLOWED = {
    "use strict": "JavaScript's own",
    "health degraded": "class names",
    "led status ": "class names",
    "verdict {}": "class names",
    "muted small": "class names",
    "small muted": "class names",
    "{}px system-ui, sans-serif": "a CSS font",
    "input, select": "a CSS selector",
    ".step-params input, .step-params select": "a CSS selector",
    "Raspberry Pi": "the computer's name",
    "balance-station {}": "the software's name and its version",
}
"""String literals with spaces and letters that are not words for a reader (why, beside)."""


def scan(source: str) -> list[str]:
    """The string literals of a JavaScript ``source``, comments skipped: a template literal's
    text with each ``${…}`` as ``{}``, and the literals inside its expressions on their own."""
    return _scan(source, 0, False)[0]


def _scan(source: str, i: int, in_expression: bool) -> tuple[list[str], int]:
    """(the literals from ``i`` on, the index where the scan stopped: the end of ``source``,
    or after the ``}`` that closes the ``${`` expression the scan is in)."""
    found, depth = [], 0
    while i < len(source):
        c = source[i]
        if source.startswith("//", i):
            end = source.find("\n", i)
            i = len(source) if end < 0 else end
        elif source.startswith("/*", i):
            i = source.index("*/", i) + 2
        elif c in "\"'":
            j = i + 1
            while source[j] != c:
                j += 2 if source[j] == "\\" else 1
            found.append(source[i + 1 : j])
            i = j + 1
        elif c == "`":
            text, i = [], i + 1
            while source[i] != "`":
                if source[i] == "\\":
                    text.append(source[i : i + 2])
                    i += 2
                elif source.startswith("${", i):
                    inside, i = _scan(source, i + 2, True)
                    found += inside
                    text.append("{}")
                else:
                    text.append(source[i])
                    i += 1
            found.append("".join(text))
            i += 1
        elif in_expression and c in "{}":
            if c == "}" and depth == 0:
                return found, i + 1
            depth += 1 if c == "{" else -1
            i += 1
        else:
            i += 1
    return found, i


def english(literal: str) -> bool:
    """A literal that reads as English words: a space and two words of letters or more,
    once units are set aside."""
    if literal in ALLOWED or " " not in literal.strip() or literal.startswith((".", "[")):
        return False  # allowed, a word alone, a CSS selector
    words = [w for w in re.findall(r"[A-Za-z]+", literal) if w not in NOT_WORDS]
    return len(words) >= 2 or any(len(w) >= 3 for w in words)


def used_keys() -> dict[str, set[str]]:
    """Script -> the keys of its ``t("…")`` calls."""
    key = re.compile(r"\bt\(\s*\"([\w.-]+)\"\s*[,)]")
    return {name: set(key.findall(text)) for name, text in SCRIPTS.items()}


def messages_block(page: str) -> dict:
    return json.loads(page.split('id="messages">', 1)[1].split("</script>", 1)[0])


def test_the_scanner_finds_the_literals_outside_comments():
    source = """// don't "count" this
    const a = "one two", b = 'it\\'s'; /* "nor" this */
    x = `Step ${i + 1}: ${ok ? "fine here" : `inner ${y} text`} of ${n}`;"""
    assert sorted(scan(source)) == sorted(
        ["one two", "it\\'s", "fine here", "inner {} text", "Step {}: {} of {}"]
    )
    assert english("Enter whole minutes.") and english("Step {}: {} of {}")
    assert not english("fieldset.params") and not english(" s") and not english("L \u2013")


def test_every_message_a_script_shows_is_in_the_catalog_and_every_message_is_shown():
    used = used_keys()
    unknown = {name: sorted(keys - MESSAGES.keys()) for name, keys in used.items()}
    assert {name: keys for name, keys in unknown.items() if keys} == {}
    shown = set().union(*used.values())
    unused = [k for k in MESSAGES if k not in shown]
    assert unused == [], f"messages no script shows: {unused}"


def test_every_call_of_t_names_its_key():
    calls = {
        name: re.findall(r"\bt\(\s*([^)]{0,40})", text)
        for name, text in SCRIPTS.items()
        if name != "messages.js"
    }
    named = re.compile(r"\"[\w.-]+\"\s*(,|\)|$)")
    bad = {name: [c for c in found if not named.match(c)] for name, found in calls.items()}
    assert {name: found for name, found in bad.items() if found} == {}


def test_no_english_sentence_is_left_in_a_script():
    literals = {name: scan(text) for name, text in SCRIPTS.items() if name != "messages.js"}
    left = {name: [lit for lit in found if english(lit)] for name, found in literals.items()}
    assert {name: found for name, found in left.items() if found} == {}
    every = set().union(*literals.values())
    assert [lit for lit in ALLOWED if lit not in every] == [], "allowed, and no script has it"


def test_placeholders_reach_the_scripts_in_braces():
    assert (
        for_scripts("%(count)d held, %(name)s: %% of %(pct).1f")
        == "{count} held, {name}: % of {pct}"
    )
    assert plural_samples("en") == {"one": 1, "other": 0}
    assert plural_samples("es") == {"one": 1, "other": 0, "many": 1000000}


def test_the_display_carries_the_messages_in_the_patients_language(client):
    spanish = messages_block(client.get("/display?lang=es").get_data(as_text=True))
    assert spanish.keys() == MESSAGES.keys()
    assert spanish["patients.none_yet"] == "Todavía no hay pacientes: agregue el primero abajo."
    assert spanish["patients.no_match"] == "Ningún paciente coincide con “{query}”."
    assert spanish["patients.side_both"] == "ambos lados"
    assert spanish["patients.years"] == {
        "one": "{num} año",
        "many": "{num} años",
        "other": "{num} años",
    }
    english = messages_block(client.get("/display").get_data(as_text=True))
    assert english["patients.side_both"] == "both sides"
    assert english["patients.years"] == {"one": "{num} year", "other": "{num} years"}
    assert english["live.split_legs"] == "Load on each leg, % of body weight"


def test_the_display_speaks_the_language_of_the_patient_whose_trial_runs(client, station):
    patient = station.records.create_patient({"name": "Rosa", "weight_kg": 70, "language": "es"})
    station.start_drill(patient["id"], "weight-bearing", {"side": "left"})
    station.run_virtual(max_s=0.5, until_trial_ends=False)
    page = client.get("/display").get_data(as_text=True)  # no ?lang=: the trial's patient's
    assert '<html lang="es">' in page
    assert messages_block(page)["patients.side_left"] == "izquierdo"
    assert '<html lang="en">' in client.get("/display?lang=en").get_data(as_text=True)
    station.stop_drill()
    station.run_virtual(max_s=0.5)
    assert '<html lang="en">' in client.get("/display").get_data(as_text=True)


@pytest.fixture
def spanish_client(in_spanish):
    return in_spanish()


def test_a_page_carries_the_messages_in_the_accounts_language(spanish_client):
    page = spanish_client.get("/").get_data(as_text=True)
    assert page.index('id="messages"') < page.index("/static/messages.js")
    assert page.index("/static/messages.js") < page.index("/static/panel.js")
    messages = messages_block(page)
    assert messages["patients.none_yet"] == "Todavía no hay pacientes: agregue el primero abajo."
    assert messages["patients.affected_side"] == "lado afectado: {side}"
