"""The station's calibrations service: the platform calibrations stored in its database.
``Station.calibrations`` in the core, ``PanelStation.calibrations`` in the panel; choosing one
for the live frames is the runtime's (``Station.use_calibration``)."""

from station.storage.database import Storage


class Calibrations:
    """The calibrations in ``storage``."""

    def __init__(self, storage: Storage):
        self.storage = storage

    def active(self) -> dict | None:
        """The calibration in use, or None when none was ever stored."""
        return self.storage.active_calibration()

    def history(self) -> list[dict]:
        """Every stored calibration, newest first."""
        return self.storage.list_calibrations()
