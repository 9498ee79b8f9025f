"""The catalog wrapper that writes a composed sentence's numbers the reader's way: a decimal
comma in Spanish for real numbers, whole numbers and words untouched, everything else Python's
formatting as written."""

from datetime import date
from gettext import NullTranslations

from sensing.words import InLocale


def test_real_numbers_take_the_readers_decimal_mark_and_nothing_else_changes():
    comma = InLocale(NullTranslations(), ",")
    said = comma.gettext("From %(first).3g to %(latest).3g%(unit)s (%(change)+.3g, %(pct).0f%%)")
    filled = said % {
        "first": 0.9342,
        "latest": 12.5,
        "unit": " cm/s",
        "change": -0.196,
        "pct": 47.4,
    }
    assert filled == "From 0,934 to 12,5 cm/s (-0,196, 47%)"
    count = comma.ngettext("%(num)d unit of %(min)d min", "%(num)d units of %(min)d min", 2)
    assert count % {"num": 2, "min": 30} == "2 units of 30 min"
    assert comma.pgettext("drill setting", "Rest") == "Rest"
    assert comma.gettext("%(name)s at 1.5 s") % {"name": "Dr. Ruiz"} == "Dr. Ruiz at 1.5 s"


def test_a_point_stays_a_point_where_the_reader_writes_one():
    point = InLocale(NullTranslations(), ".")
    assert point.gettext("%(value).3g%(unit)s") % {"value": 0.7384, "unit": " cm/s"} == "0.738 cm/s"


def test_a_day_is_written_as_the_reader_writes_it_and_iso_without_a_way_to():
    day = date(2026, 12, 5)
    spanish = InLocale(NullTranslations(), ",", day=lambda d: f"{d.day} dic {d.year}")
    assert spanish.gettext("by %(due)s") % {"due": day} == "by 5 dic 2026"
    assert InLocale(NullTranslations(), ".").gettext("by %(due)s") % {"due": day} == "by 2026-12-05"
