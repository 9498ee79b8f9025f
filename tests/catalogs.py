"""A stand-in gettext catalog for the tests of words the code composes: it says each message in
brackets and keeps the messages it was asked for, so a word that bypassed the catalog shows
unbracketed, and so does one that is no message of the code."""

from gettext import NullTranslations


class Marked(NullTranslations):
    """Every message in brackets: ``gettext``, ``ngettext`` (by the count) and ``pgettext``."""

    def __init__(self):
        super().__init__()
        self.asked: set[str] = set()

    def gettext(self, message):
        self.asked.add(message)
        return f"[{message}]"

    def ngettext(self, singular, plural, n):
        self.asked.add(singular)
        return f"[{singular if n == 1 else plural}]"

    def pgettext(self, context, message):
        self.asked.add(message)
        return f"[{message}]"
