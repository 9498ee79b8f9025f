"""Exceptions raised by the station package, and the words a person reads about them
(``WordedError``, ``error_words``): in the reader's language where the station shows them."""

from gettext import NullTranslations

from sensing.words import ENGLISH, Plural


class StationError(Exception):
    """Base class of every error raised by the station."""


class ConfigError(StationError, ValueError):
    """The config is unreadable, or an option unknown or out of range; the message names it."""


class NotFoundError(StationError, LookupError):
    """A patient or trial id that does not exist."""


class BusyError(StationError, RuntimeError):
    """A drill is already running: stop it before starting another."""


class RecordingFormatError(StationError, ValueError):
    """A recording file cannot be read; the message names the file and the problem."""


class StorageError(StationError, RuntimeError):
    """The database could not be opened or written: check the data directory and free space."""


class ConflictError(StationError, RuntimeError):
    """An action that does not fit the state it was asked in (a wizard step with no wizard
    open); the message says what to do instead."""


class CoreUnavailableError(StationError, ConnectionError):
    """The panel cannot reach the station's core (stopped, restarting or not answering); the
    message says since when and what to check."""


class CoreFailedError(StationError, RuntimeError):
    """The core met an unexpected error serving a request; the core's log has the details."""


class WordedError(StationError):
    """An error whose words are a catalog message: its English ``template``, marked with ``N_``
    (or ``ngettext``) where it is raised, and the ``params`` that fill its named placeholders.
    ``str()`` is the English; ``in_language`` says it in a reader's language, so the layer that
    shows the error (a page, the API) gives it in the reader's language without the layer that
    raised it knowing who reads. A ``Plural`` template's count is its ``count`` param. A param
    is shown as it is (a value typed, a list of field names), or, when it is a function of the
    catalog, as that function says it: words that are catalog messages themselves (a drill's
    title, ``lambda words: drill_title(drill, words)``). A template another module worded
    (without params: a drill's own refusal) is shown as it came."""

    field: str | None = None

    def __init__(self, template: str | Plural, /, **params):
        self.template, self.params = template, params
        super().__init__(error_words(self))

    def in_language(self, translations: NullTranslations) -> str:
        """The message in the language of ``translations`` (a gettext catalog), without the
        field a field error names."""
        if isinstance(self.template, Plural):
            said = translations.ngettext(*self.template, self.params["count"])
        else:
            said = translations.gettext(self.template)
        if not self.params:
            return said
        return said % {k: v(translations) if callable(v) else v for k, v in self.params.items()}


class FieldError(WordedError):
    """A ``WordedError`` about one ``field`` of a record (``steps[2].params`` for a part of
    one): its English is "field: message", as the API and the logs give it."""

    def __init__(self, field: str, template: str | Plural, /, **params):
        self.field = field
        super().__init__(template, **params)


def error_words(
    exc: BaseException, translations: NullTranslations = ENGLISH, *, with_field: bool = True
) -> str:
    """What to tell a person about ``exc`` in the language of ``translations`` (in the panel,
    ``webpanel.language.page_words()``): a ``WordedError`` from the catalog, any other error as
    its message says. Led by the field it names ("name: ..."), as ``str(exc)`` is, unless
    ``with_field`` is false: for a form that shows the words beside their field."""
    if isinstance(exc, WordedError):
        words = exc.in_language(translations)
        return f"{exc.field}: {words}" if exc.field and with_field else words
    words, field = str(exc), getattr(exc, "field", None)
    return words.removeprefix(f"{field}: ") if field and not with_field else words
