"""Commands from the panel to the control loop, passed through one thread-safe queue."""

from concurrent.futures import Future
from dataclasses import dataclass, field

from station.runtime.trial import TrialSession


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
