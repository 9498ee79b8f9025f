"""Exceptions raised by the hw package.

Each subclass also inherits the matching built-in, so callers that only know the standard
library (``except OSError``, ``except TimeoutError``) still catch them. Messages name the chip,
its address, mux channel and bus, and say what a person should check.
"""


class HardwareError(Exception):
    """Base class of every error raised by the hw package."""


class DeviceNotFoundError(HardwareError, LookupError):
    """No chip answered at the expected address, or a different chip did: check the wiring."""


class DeviceTimeoutError(HardwareError, TimeoutError):
    """A chip did not finish an operation (power-up, calibration) within its deadline."""


class BusError(HardwareError, OSError):
    """An I²C transfer failed (NACK, bus conflict, I/O error); ``errno`` is the kernel's."""


class CalibrationError(HardwareError, RuntimeError):
    """A chip reported that its internal calibration failed: check supply and inputs."""


class DeviceResetError(HardwareError, RuntimeError):
    """A chip reset itself (a brown-out or power glitch) and lost its configuration, without a
    bus error: it must be initialised again; check its supply and connectors."""


class DeviceClosedError(HardwareError, RuntimeError):
    """The device was used after ``close()``: call ``begin()`` again to re-open it."""


class BadDataError(HardwareError, ValueError):
    """A chip returned bytes it cannot produce (all 0xFF, impossible flags): the bus is
    disturbed or the chip lost power; check its cable and connectors."""
