"""Exceptions raised by the station package."""


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
