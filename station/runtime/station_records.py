"""What the core's ``Station`` and the panel's ``PanelStation`` share: the named services over
the station's database (``records``, ``results``, ``calibrations``), each process on its own
handle to the same file, so the panel's blueprints call the same services in either process;
and starting a program's step, which needs the runtime's ``start_drill``.
"""

from station.calibration.service import Calibrations
from station.hub.settings import sync_state
from station.records.programs import ProgramError
from station.records.service import Records
from station.results.service import Results
from station.storage.database import Storage
from station.storage.migrations import MIGRATIONS


class StationRecords:
    """The services on ``storage`` (given by the subclass to ``_serve``)."""

    storage: Storage
    records: Records
    results: Results
    calibrations: Calibrations
    sync_agent = None  # the clinic hub's sync agent, where the panel runs one ([hub])

    def _serve(self, storage: Storage) -> None:
        """Open the named services on ``storage``."""
        self.storage = storage
        self.records = Records(storage)
        self.results = Results(storage, self.loadcell_rate_sps)
        self.calibrations = Calibrations(storage)

    def sync_status(self) -> dict:
        """The clinic hub's sync as /health and the technician page show it."""
        return sync_state(self.sync_agent)

    def start_drill(self, patient_id, drill, params=None, program=None) -> dict:
        """Start ``drill`` for ``patient_id``; the runtime (core or panel) provides it."""
        raise NotImplementedError

    def loadcell_rate_sps(self) -> int:
        """The load cells' conversion rate, which the core's config resolves from the
        amplifier; the runtime (core or panel) provides it."""
        raise NotImplementedError

    def start_program_step(self, program_id: int, step: int) -> dict:
        """Start step ``step`` of a program with the step's current parameters."""
        program = self.storage.get_program(program_id)
        if not 0 <= step < len(program["steps"]):
            raise ProgramError("step", f"the program has steps 0 to {len(program['steps']) - 1}")
        entry = program["steps"][step]
        return self.start_drill(
            program["patient_id"], entry["drill"], entry["params"], program=(program_id, step)
        )

    @property
    def schema_version(self) -> int:
        """The database's schema version (migrations applied)."""
        return self.storage.schema_version

    @property
    def latest_schema_version(self) -> int:
        """The schema version this software migrates a database to."""
        return len(MIGRATIONS)

    @property
    def database_path(self):
        """Where the database lives (the panel keeps its secret key beside it)."""
        return self.storage.path
