"""Text typed by a person, as the station keeps it: Unicode composed (NFC) and without the
characters that show as nothing or change how the rest shows: controls (NUL, escape...),
format characters (zero-width spaces and joiners, the byte-order mark, right-to-left
overrides, soft hyphens), surrogates, private-use and unassigned code points, and the other
default-ignorable ones (Hangul fillers, variation selectors). Two patients whose names differ
only by such characters look the same on every screen, so the station never stores them.
"""

import unicodedata

from station.records.refusals import AT_MOST_CHARACTERS, MUST_BE_TEXT

# default-ignorable code points outside the C categories (Unicode's DerivedCoreProperties)
IGNORABLE = frozenset(
    [
        0x034F,
        0x115F,
        0x1160,
        0x17B4,
        0x17B5,
        0x3164,
        0xFFA0,
        *range(0x180B, 0x1810),
        *range(0xFE00, 0xFE10),
        *range(0xE0100, 0xE01F0),
    ]
)
INVISIBLE = ("Cc", "Cf", "Cs", "Co", "Cn")


def _shown(char: str, keep: str) -> bool:
    return char in keep or (
        unicodedata.category(char) not in INVISIBLE and ord(char) not in IGNORABLE
    )


def clean_line(text: str) -> str:
    """``text`` as one line: NFC, invisible characters removed, runs of any kind of space
    (and line breaks) made one space, no space at either end."""
    text = unicodedata.normalize("NFC", text)
    return " ".join("".join(c if _shown(c, " ") else "" for c in text).split())


def clean_lines(text: str) -> str:
    """``text`` that may hold line breaks (a note): as ``clean_line`` line by line, the
    breaks kept as newlines (CR LF, CR and the Unicode line and paragraph separators too)."""
    text = unicodedata.normalize("NFC", text)
    for br in ("\r\n", "\r", "\u2028", "\u2029", "\x85"):
        text = text.replace(br, "\n")
    lines = ("".join(c for c in line if _shown(c, "\t")).rstrip() for line in text.split("\n"))
    return "\n".join(lines).strip()


def short_note(value, limit: int, field_error) -> str | None:
    """An optional one-line note (``clean_line``) of at most ``limit`` characters; None when
    empty. ``field_error(field, template, **params)`` is the record's own error (a
    ``station.errors.FieldError``), raised for ``note``."""
    value = value or ""
    if not isinstance(value, str):
        raise field_error("note", MUST_BE_TEXT)
    note = clean_line(value)
    if len(note) > limit:
        raise field_error("note", AT_MOST_CHARACTERS, limit=limit)
    return note or None
