"""The catalog of drills by name."""

from drills.engine import Drill
from drills.errors import UnknownDrillError
from drills.quiet_stance import QuietStance

DRILLS: dict[str, type[Drill]] = {cls.name: cls for cls in (QuietStance,)}


def drill_class(name: str) -> type[Drill]:
    """The drill class called ``name``; raises UnknownDrillError listing the known ones."""
    try:
        return DRILLS[name]
    except KeyError:
        raise UnknownDrillError(
            f"no drill called {name!r}; known drills: {', '.join(sorted(DRILLS))}"
        ) from None
