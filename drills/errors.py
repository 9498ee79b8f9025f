"""Exceptions raised by the drills package."""


class DrillError(Exception):
    """Base class of every error raised by drills."""


class UnknownDrillError(DrillError, LookupError):
    """No drill of that name in the catalog: list them with ``balance-station drills``."""


class DrillParamError(DrillError, ValueError):
    """A drill parameter is missing, of the wrong type or out of range; the message names it."""

    def __init__(self, param: str, message: str):
        super().__init__(f"{param}: {message}")
        self.param = param


class DrillSubjectError(DrillError, ValueError):
    """The drill needs a patient detail (height, weight) that is not recorded."""
