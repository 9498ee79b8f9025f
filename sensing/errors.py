"""Exceptions raised by the sensing package."""


class SensingError(Exception):
    """Base class of every error raised by sensing."""


class NotEnoughDataError(SensingError, ValueError):
    """Too few samples to compute a metric: record longer or check that the patient stood still."""
