"""Exceptions raised by the sensing package."""


class SensingError(Exception):
    """Base class of every error raised by sensing."""


class NotEnoughDataError(SensingError, ValueError):
    """Too few samples to compute a metric: record longer or check that the patient stood still."""


class ImplausibleDataError(SensingError, ValueError):
    """Values no balance platform measures (infinite, or a COP metres away): the data are not
    a COP recording in centimetres, or they are damaged."""
