"""The drill catalogue says the therapist's words in the therapist's language: every word a
drill's description, a result's condition and a result key's label and meaning show goes through
the gettext catalog it is given, as a message ``pybabel extract`` finds in the code, and with
English, the default, they read as written."""

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file

from drills import bess
from drills.catalog import DRILLS, RESULT_DOCS, result_doc
from drills.params import CHOICE_LABELS, SETTING_LABELS
from drills.standing import sway_condition_words
from tests.catalogs import Marked

ROOT = Path(__file__).parents[2]
CATALOG = sorted(DRILLS.items())

RESULTS = [
    {},
    {"leg": "left", "eyes": "closed"},
    {"leg": "right", "eyes": "open", "surface": "foam"},
    {"leg": "both"},
    {"eyes": "closed", "surface": "disc"},
    {"axis": "side-to-side", "pace_per_min": 45, "surface": "foam"},
    {"axis": "front-to-back", "pace_per_min": 30},
    {"side": "right", "limit_bw_pct": 40.0, "surface": "firm"},
    {"side": "?"},
]
"""Stored results (and program steps' settings) of every drill, some with settings missing or
unknown."""


def extracted() -> set[str]:
    """Every message ``pybabel extract -k N_`` finds in the drills and the sensing layer (a
    message with a context without it)."""
    keywords = {"_": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
    paths = [*ROOT.glob("drills/*.py"), *ROOT.glob("sensing/*.py")]
    found = set()
    for path in paths:
        for _, message, _, _ in extract_from_file("python", path, keywords=keywords):
            found.update(message if isinstance(message, tuple) else (message,))
    return found


def all_said(words: str) -> bool:
    """True when every character of ``words`` came through the catalog, but the commas that
    list the conditions' parts."""
    return re.fullmatch(r"\[[^\]]+\](, \[[^\]]+\])*", words) is not None


@pytest.mark.parametrize(("name", "cls"), CATALOG)
def test_a_drill_describes_itself_in_the_catalogs_language(name, cls):
    english, marked = cls.describe(), cls.describe(Marked())
    assert marked["title"] == f"[{cls.title}]"
    assert marked["summary"] == f"[{cls.summary}]"
    assert [p["help"] for p in marked["params"]] == [f"[{p.help}]" for p in cls.params]
    assert [p["label"] for p in marked["params"]] == [f"[{p['label']}]" for p in english["params"]]
    assert [p.get("choice_labels") for p in marked["params"]] == [
        {c: f"[{w}]" for c, w in p["choice_labels"].items()} if "choice_labels" in p else None
        for p in english["params"]
    ]
    words = ("help", "label", "choice_labels")
    assert [{k: v for k, v in p.items() if k not in words} for p in marked["params"]] == [
        {k: v for k, v in p.items() if k not in words} for p in english["params"]
    ]
    for part in ("phases", "stages"):
        said = english["words"][part]
        assert marked["words"][part] == {k: f"[{v}]" for k, v in said.items()}
    # the patient display says the patient's words in the patient's language, not these
    for part in ("patient", "patient_stages"):
        assert marked["words"][part] == english["words"][part]
    rest = ("title", "summary", "params", "words")
    assert {k: v for k, v in marked.items() if k not in rest} == {
        k: v for k, v in english.items() if k not in rest
    }


@pytest.mark.parametrize(("name", "cls"), CATALOG)
def test_in_english_a_drill_describes_itself_as_written(name, cls):
    described = cls.describe()
    assert (described["title"], described["summary"]) == (cls.title, cls.summary)
    assert [p["help"] for p in described["params"]] == [p.help for p in cls.params]
    assert described["words"]["phases"] == {str(k): v for k, v in cls.phase_words.items()}
    assert described["words"]["stages"] == cls.stage_words


@pytest.mark.parametrize(("name", "cls"), CATALOG)
def test_a_results_condition_is_said_whole_in_the_catalogs_language(name, cls):
    for result in RESULTS:
        words = cls.condition_words(result, Marked())
        assert words == "" or all_said(words), (result, words)
        assert bool(words) == bool(cls.condition_words(result)), result


def test_composed_conditions_keep_their_english_and_put_each_part_through_the_catalog():
    single_leg, rhythmic = DRILLS["single-leg-stance"], DRILLS["rhythmic-weight-shift"]
    weight_bearing = DRILLS["weight-bearing"]
    right_on_foam = {"leg": "right", "eyes": "open", "surface": "foam"}
    assert single_leg.condition_words(right_on_foam) == "right leg, eyes open"
    assert single_leg.condition_words({}) == "? leg, eyes ?"
    assert single_leg.condition_words({}, Marked()) == "[? leg], [eyes ?]"
    pace = {"axis": "front-to-back", "pace_per_min": 30, "surface": "disc"}
    assert (
        rhythmic.condition_words(pace) == "front to back, 30 shifts a minute, on the balance disc"
    )
    assert rhythmic.condition_words(pace, Marked()) == (
        "[front to back], [30 shifts a minute], [on the balance disc]"
    )
    assert rhythmic.condition_words({}) == "? shifts a minute"
    limit = {"side": "right", "limit_bw_pct": 40.0}
    assert weight_bearing.condition_words(limit) == "right side, limit 40.0% body weight"
    assert weight_bearing.condition_words(limit, Marked()) == (
        "[right side], [limit 40.0% body weight]"
    )
    assert weight_bearing.condition_words({}) == "? side, limit ?% body weight"
    assert sway_condition_words("closed", "disc") == "eyes closed, balance disc"
    assert sway_condition_words("closed", "disc", Marked()) == "[eyes closed], [balance disc]"


def test_a_result_keys_label_and_meaning_are_said_in_the_catalogs_language():
    for key, (label, unit, meaning) in RESULT_DOCS.items():
        assert result_doc(key) == (label, unit, meaning)
        assert result_doc(key, Marked()) == (f"[{label}]", unit, f"[{meaning}]")
    assert result_doc("no_such_measure", Marked()) == ("no_such_measure", "", "")


def test_every_word_the_catalogue_says_is_a_message_the_code_marks():
    catalog = Marked()
    for cls in DRILLS.values():
        cls.describe(catalog)
        for result in RESULTS:
            cls.condition_words(result, catalog)
    for key in RESULT_DOCS:
        result_doc(key, catalog)
    assert sorted(catalog.asked - extracted()) == []


def test_bess_has_words_for_the_stage_of_each_condition():
    assert list(bess.Bess.stage_words) == [
        f"{stance}-{surface}" for stance, surface in bess.CONDITIONS
    ]


def test_every_setting_and_choice_has_words():
    """The panel names each parameter, each patient field a drill uses and each choice in the
    reader's language: none is left to show as its key."""
    names = {p.name for cls in DRILLS.values() for p in cls.params}
    names |= {field for cls in DRILLS.values() for field in cls.subject_fields}
    choices = {c for cls in DRILLS.values() for p in cls.params for c in p.choices or ()}
    assert sorted(names - set(SETTING_LABELS)) == []
    assert sorted(choices - set(CHOICE_LABELS)) == []
