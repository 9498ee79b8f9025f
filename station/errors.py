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
