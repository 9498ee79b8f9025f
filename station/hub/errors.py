"""The hub package's exception base."""

from station.errors import StationError


class HubError(StationError, RuntimeError):
    """The hub could not be reached, refused this station or holds something unexpected; the
    message names the hub and what to check."""
