"""Commands from the panel to the control loop, passed through one thread-safe queue."""

from concurrent.futures import Future
from dataclasses import dataclass, field

from sensing.words import N_
from station.runtime.trial import TrialSession

STOPPED_BY_THERAPIST = N_("stopped by the therapist")
"""The reason of a trial the therapist stopped from the panel (without saying why)."""
STOP_BUTTON_PRESSED = N_("stop button pressed")
"""The reason of a trial the station's physical stop button ended."""
STATION_SHUT_DOWN = N_("station shut down")
"""The reason of a trial the station's shutdown ended."""


@dataclass
class StartTrial:
    """Begin ``session`` (its drill already validated) unless a drill is running."""

    session: TrialSession
    done: Future = field(default_factory=Future)


@dataclass
class StopTrial:
    """End the running drill as aborted with ``reason``."""

    reason: str
    done: Future = field(default_factory=Future)


@dataclass
class ZeroTilt:
    """Make the IMU's current attitude the zero of pitch and roll; the result is the new
    reference (pitch, roll) in degrees."""

    done: Future = field(default_factory=Future)


@dataclass
class MarkFailed:
    """The therapist saw the attempt under way fail in a way the platform cannot see (eyes
    opened, arms uncrossed, a hand on the rail): the drill fails it (BESS counts an error).
    The result is True when the drill marked it, False when nothing was under way."""

    done: Future = field(default_factory=Future)
