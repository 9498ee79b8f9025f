"""Which language a panel page speaks: Flask-Babel's locale selector over the station's
catalogs (``station.i18n.catalog``)."""

from datetime import date

from babel.numbers import get_decimal_symbol
from flask import Flask, g, request
from flask_babel import Babel, format_date, get_locale, get_translations, gettext
from flask_login import current_user

from station.i18n.catalog import DEFAULT_LANGUAGE, LANGUAGES, TRANSLATIONS_DIR, InLocale


def init_language(app: Flask) -> None:
    """Translate the panel's templates and messages, and format its dates and numbers, in the
    language ``page_language`` picks."""
    Babel(
        app,
        locale_selector=page_language,
        default_translation_directories=str(TRANSLATIONS_DIR),
    )
    app.jinja_env.globals["get_locale"] = get_locale  # <html lang="{{ get_locale() }}">


def page_language() -> str:
    """The patient's language on pages the patient reads (``g.patient_language``: the patient
    display, the home program), else the logged-in account's, else the browser's preference
    among the station's languages, else English."""
    chosen = g.get("patient_language")
    if chosen in LANGUAGES:
        return chosen
    if current_user and current_user.is_authenticated and current_user.language in LANGUAGES:
        return current_user.language
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def page_words() -> InLocale:
    """The page's catalog for the sentences the station composes: its words in the page's
    language, its numbers and days written the page's way (a decimal comma in Spanish), as the
    page's own are."""
    return InLocale(get_translations(), get_decimal_symbol(get_locale()), written_day)


def written_day(day: date) -> str:
    """A day as the page's language writes it ("2026-01-05" in English, "5 ene 2026" in
    Spanish)."""
    # TRANSLATORS: a date's pattern (CLDR: yyyy year, MM month, dd day, MMM the month's name)
    return format_date(day, gettext("yyyy-MM-dd"))
