"""What a standing drill's patient stands on: the platform itself, the foam pad or the balance
disc. A drill offers the choice by listing ``SURFACE`` among its params; ``CuedDrill`` then
tells the patient to set it up at the countdown, back onto the platform at the end, records it
with the result and names it in the result's condition, so trends keep surfaces apart."""

from drills.params import choice

SURFACE_WORDS = {"firm": "firm surface", "foam": "foam pad", "disc": "balance disc"}
"""Each surface in words, as a result's condition names it."""

SURFACE = choice(
    "surface",
    tuple(SURFACE_WORDS),
    "firm",
    "The platform itself; the foam pad on it (less feel of the ground); or the air-filled "
    "balance disc, centred on the platform (the least stable).",
)


def with_surface(words: str, result: dict) -> str:
    """A result's condition ``words`` with its surface added when it was not the platform
    itself ("side to side, on the foam pad"); results from before surfaces were a setting
    stood on the platform."""
    surface = result.get("surface", "firm")
    if surface == "firm":
        return words
    return ", ".join(w for w in (words, f"on the {SURFACE_WORDS[surface]}") if w)
