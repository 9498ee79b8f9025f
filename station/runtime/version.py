"""The station's software version, recorded with every trial and shown by both processes."""

from importlib.metadata import PackageNotFoundError, version


def software_version() -> str:
    """The installed package version (recorded with every trial)."""
    try:
        return version("balance-station")
    except PackageNotFoundError:
        return "unknown"
