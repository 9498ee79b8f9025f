"""What a standing drill's patient stands on: the platform itself, the foam pad or the balance
disc. A drill offers the choice by listing ``SURFACE`` among its params; ``CuedDrill`` then
tells the patient to set it up at the countdown, back onto the platform at the end, records it
with the result and names it in the result's condition, so trends keep surfaces apart."""

from drills.params import choice
from sensing.words import ENGLISH, N_

SURFACE_WORDS = {"firm": N_("firm surface"), "foam": N_("foam pad"), "disc": N_("balance disc")}
"""Each surface in words, as a result's condition names it."""

ON_SURFACE_WORDS = {"foam": N_("on the foam pad"), "disc": N_("on the balance disc")}
"""A surface other than the platform itself as the condition of a drill that offers the choice
adds it."""

SURFACE = choice(
    "surface",
    tuple(SURFACE_WORDS),
    "firm",
    N_(
        "The platform itself; the foam pad on it (less feel of the ground); or the air-filled "
        "balance disc, centred on the platform (the least stable)."
    ),
)


def with_surface(words: str, result: dict, translations=ENGLISH) -> str:
    """A result's condition ``words`` (in the language of ``translations``) with its surface
    added in that language when it was not the platform itself ("side to side, on the foam
    pad"); results from before surfaces were a setting stood on the platform."""
    surface = result.get("surface", "firm")
    if surface == "firm":
        return words
    on_surface = translations.gettext(ON_SURFACE_WORDS[surface])
    return ", ".join(w for w in (words, on_surface) if w)
