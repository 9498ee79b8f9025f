"""The records' refusals as catalog messages (issue 18): each error carries its English template
and params, reads in English exactly as before, and is said in the reader's language where it
is shown (``station.errors.error_words``). Every template a record raises is a message the
catalog extraction finds, so none stays English in a Spanish panel."""

import ast
import functools
from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file

from sensing.words import ENGLISH
from station.errors import StationError, WordedError, error_words
from station.records.accounts import check_password, check_role, check_username
from station.records.billing import units_97112
from station.records.exercise_library import UNITS
from station.records.goals import Goals, describe
from station.records.home_program import OUTSIDE, validate_prescription
from station.records.patients import PatientFieldError, validate_patient
from station.records.programs import validate_program
from station.records.units import si_body_fields
from station.records.visits import Visits, validate_visit
from tests.catalogs import Marked

ROOT = Path(__file__).resolve().parents[2]
RECORDS = ROOT / "station" / "records"
ERRORS = {
    "PatientFieldError": 1,
    "VisitFieldError": 1,
    "GoalFieldError": 1,
    "ProgramError": 1,
    "PsfsError": 1,
    "HomeProgramError": 1,
    "AccountError": 1,
    "field_error": 1,
    "NumberError": 0,
    "MinutesError": 0,
    "LoginError": 0,
}
"""The records' errors (and ``short_note``'s stand-in for them): where their template goes."""
TODAY = date(2026, 3, 10)


@functools.cache
def extracted() -> set:
    """The messages ``pybabel extract -k N_`` finds in the records and the errors module
    (a plural message as its (singular, plural) pair)."""
    files = [*sorted(RECORDS.glob("*.py")), ROOT / "station" / "errors.py"]
    keywords = {"N_": None, "ngettext": (1, 2)}
    return {
        message
        for path in files
        for _, message, _, _ in extract_from_file("python", path, keywords=keywords)
    }


def raised(refuse) -> WordedError:
    with pytest.raises(WordedError) as error:
        refuse()
    return error.value


class GoalsWithoutStorage(Goals):
    """Goals whose patient always exists: ``create`` refuses before it would store."""

    def __init__(self):
        super().__init__(type("Storage", (), {"get_patient": lambda self, _id: {}})())


def refusals():
    """Records refused with their errors, one or more of each kind."""
    yield lambda: validate_patient({"name": " "})
    yield lambda: validate_patient({"name": "Ada", "sex": "f"})
    yield lambda: validate_patient({"name": "Ada", "language": "fr"})
    yield lambda: validate_patient({"name": "Ada", "note": "x" * 501})
    yield lambda: validate_patient({"name": "Ada", "birth_date": "1890-01-01"}, TODAY)
    yield lambda: validate_patient({"name": "Ada", "height_cm": 20})
    yield lambda: validate_patient({"name": "Ada", "age": 70})
    yield lambda: si_body_fields({"height_ft": "9"}, "us")
    yield lambda: validate_visit({"visit_date": "2026-03-01", "nmr_minutes": "2.5"}, TODAY)
    yield lambda: validate_visit({"visit_date": "2026-03-01", "pain_before": True}, TODAY)
    yield lambda: validate_visit({"visit_date": "1999-12-31"}, TODAY)
    yield lambda: validate_visit({"visit_date": "2026-03-01", "psfs": [{"activity": "x"}]})
    yield lambda: validate_visit({"visit_date": "2026-03-01", "psfs": [{}] * 2}, TODAY)
    yield lambda: validate_prescription({"exercise": "heel-raises", "amount": 200})
    yield lambda: validate_prescription({"exercise": "heel-raises", "level": 9})
    yield lambda: validate_prescription({"exercise": "heel-raises", "sets": "lots"})
    yield lambda: validate_prescription({"exercise": "heel-raises", "note": 5})
    yield lambda: validate_program({"name": "P", "steps": []})
    yield lambda: validate_program({"name": "P", "steps": [{"drill": "quiet-stance"}], "x": 1})
    yield lambda: describe("quiet-stance", "no-such-measure")
    yield lambda: GoalsWithoutStorage().create(1, [], {})
    yield lambda: check_username("a")
    yield lambda: check_password("short", "anna")
    yield lambda: check_role("admin")
    yield lambda: units_97112(-1)


def test_every_template_the_records_raise_is_a_marked_message():
    """No error of the records is raised with words the catalog extraction cannot find: a
    template is a ``N_``/``ngettext`` call or a constant marked where it is defined (checked
    by running the refusals below), never a literal, f-string or composed text."""
    unmarked = []
    for path in sorted(RECORDS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            at = ERRORS.get(node.func.id)
            if at is None or len(node.args) <= at:
                continue
            template = node.args[at]
            if isinstance(template, ast.Constant | ast.JoinedStr | ast.BinOp):
                unmarked.append(f"{path.name}:{node.lineno}")
    assert unmarked == []


@pytest.mark.parametrize("refuse", list(refusals()))
def test_a_refusal_is_said_through_the_catalog(refuse):
    error = raised(refuse)
    assert error.template in extracted()  # a plural message: its (singular, plural) pair
    said = error.in_language(Marked())
    assert said.startswith("[") and said.endswith("]")  # its words came from the catalog
    assert str(error) == error_words(error, ENGLISH)


def test_the_goal_refusals_are_marked_messages():
    goals = GoalsWithoutStorage()
    messages = extracted()
    for data in (
        {"metric": "pain", "target": "x", "due_date": "2026-04-01"},
        {"metric": "pain", "target": 1, "baseline": 5, "due_date": "2026-01-01"},
        {"metric": "pain", "target": 6, "baseline": 5, "due_date": "2026-04-01"},
        {"metric": "psfs", "target": 8, "due_date": "2026-04-01"},
    ):
        with pytest.raises(WordedError) as error:
            goals.create(1, data, {}, TODAY)
        assert error.value.template in messages


def test_english_is_as_before_and_leaves_out_the_field_only_when_asked():
    error = raised(lambda: validate_patient({"name": "Ada", "note": "x" * 501}))
    assert str(error) == "note: at most 500 characters, got 501"
    assert error.in_language(ENGLISH) == "at most 500 characters, got 501"
    assert error_words(error, ENGLISH, with_field=False) == "at most 500 characters, got 501"
    assert repr(error) == "PatientFieldError('note: at most 500 characters, got 501')"
    number = raised(lambda: units_97112(-1))
    assert str(number) == "timed minutes must be a whole number of 0 or more, got -1"


class Answers:
    """A database handle whose queries answer ``values`` in turn, one value each."""

    def __init__(self, *values):
        self.values = iter(values)

    def execute(self, *_):
        return self

    def fetchone(self):
        return [next(self.values)]


def refuse_days(done: int, days: int) -> WordedError:
    """The refusal of ``done`` days of home exercise when the previous visit was ``days``
    before (the program began long before)."""
    previous = date.fromordinal(TODAY.toordinal() - days).isoformat()
    fields = {"hep_days": done, "visit_date": TODAY.isoformat()}
    return raised(lambda: Visits._check_hep_days(Answers("2026-01-01", previous), 1, fields, None))


def test_a_count_decides_the_grammar():
    one, two = refuse_days(done=3, days=1), refuse_days(done=3, days=2)
    assert str(one).endswith("(2026-03-09) was 1 day before")
    assert str(two) == "hep_days: 3 days, but the previous visit (2026-03-08) was 2 days before"
    assert one.in_language(Marked()).endswith("was 1 day before]")
    assert two.in_language(Marked()).endswith("was 2 days before]")


def test_words_that_are_catalog_messages_themselves_are_said_in_the_language_too():
    drill = raised(lambda: describe("quiet-stance", "no-such-measure"))
    exercise = raised(lambda: validate_prescription({"exercise": "heel-raises", "level": 9}))
    assert str(drill) == "metric: Quiet stance gives no headline measure 'no-such-measure'"
    assert (
        drill.in_language(Marked())
        == "[[Quiet stance] gives no headline measure 'no-such-measure']"
    )
    assert exercise.in_language(Marked()) == "[[Heel raises] has levels 1 to 4, not 9]"


def test_every_unit_of_a_dose_has_its_sentence():
    assert set(UNITS) <= set(OUTSIDE)


def test_an_error_the_station_did_not_word_is_shown_as_its_message_says():
    """Errors rebuilt from the core's reply, or of other modules, keep their words."""
    plain = StationError("steps[0]: the program has steps 0 to 2")
    plain.field = "steps[0]"
    assert error_words(plain, Marked()) == "steps[0]: the program has steps 0 to 2"
    assert error_words(plain, Marked(), with_field=False) == "the program has steps 0 to 2"
    worded_elsewhere = PatientFieldError("code", "A1 is already the code of patient 3")
    assert error_words(worded_elsewhere, ENGLISH) == "code: A1 is already the code of patient 3"
